/**
 * Configuration files written the way projects write them (driver / framework documented syntax). Each sample
 * belongs to one family; `alsoDetectedBy` lists the other families that legitimately read the same file (a Spring
 * file configures both pgjdbc and HikariCP).
 */
export interface ConfigSample {
  family: string;
  name: string;
  text: string;
  alsoDetectedBy?: string[];
}

export const SAMPLES: readonly ConfigSample[] = [
  {
    family: "pgjdbc",
    name: "orders-service/src/main/resources/application.properties",
    alsoDetectedBy: ["hikaricp"],
    text: `# Orders service
spring.datasource.url=jdbc:postgresql://orders-db.cluster-abc.us-east-1.rds.amazonaws.com:5432/orders?prepareThreshold=0&options=-c%20statement_timeout%3D5000&currentSchema=orders
spring.datasource.username=orders
spring.datasource.password=\${DB_PASSWORD}
spring.datasource.driver-class-name=org.postgresql.Driver
spring.datasource.hikari.maximum-pool-size=20
spring.datasource.hikari.connection-init-sql=SET search_path TO orders, public
spring.datasource.hikari.max-lifetime=1800000
spring.datasource.hikari.idle-timeout=2400000
spring.jpa.open-in-view=false
`,
  },
  {
    family: "hikaricp",
    name: "billing/src/main/resources/hikari.properties",
    alsoDetectedBy: ["pgjdbc"],
    text: `jdbcUrl=jdbc:postgresql://billing-db.internal:5432/billing
username=billing
maximumPoolSize=30
minimumIdle=5
keepaliveTime=2400000
maxLifetime=0
dataSource.prepareThreshold=3
`,
  },
  {
    family: "mysql-connector-j",
    name: "shop/src/main/resources/application.yml",
    alsoDetectedBy: ["hikaricp"],
    text: `spring:
  application:
    name: shop
  datasource:
    url: jdbc:mysql://shop-db.abc.us-east-1.rds.amazonaws.com:3306/shop?useServerPrepStmts=true&cachePrepStmts=true&sessionVariables=group_concat_max_len=1000000,sql_mode='STRICT_TRANS_TABLES'&useCursorFetch=true
    driver-class-name: com.mysql.cj.jdbc.Driver
    username: shop
    hikari:
      maximum-pool-size: 15
      connection-init-sql: SET @app_user = 'shop'
      keepalive-time: 300000
`,
  },
  {
    family: "libpq",
    name: "worker/.env",
    text: `DATABASE_URL=postgresql://app:secret@db.internal:5432/app?sslmode=require&options=-c%20search_path%3Dapp
PGOPTIONS=-c statement_timeout=5000
REDIS_URL=redis://cache.internal:6379/0
`,
  },
  {
    family: "psycopg",
    name: "reports/db.py",
    alsoDetectedBy: ["libpq"],
    text: `import psycopg
from psycopg_pool import ConnectionPool

pool = ConnectionPool(
    "host=db.internal dbname=reports user=reports",
    min_size=4,
    max_size=20,
    kwargs={"prepare_threshold": None, "autocommit": True},
)


def export_orders(conn: psycopg.Connection) -> None:
    with conn.cursor(name="orders_export") as cur:
        cur.execute("SELECT * FROM orders")
        for row in cur:
            print(row)
`,
  },
  {
    family: "asyncpg",
    name: "api/app/db.py",
    text: `import os

import asyncpg


async def init_pool() -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn=os.environ["DATABASE_URL"],
        min_size=5,
        max_size=20,
        statement_cache_size=0,
        max_inactive_connection_lifetime=3600.0,
    )
`,
  },
  {
    family: "sqlalchemy",
    name: "etl/engine.py",
    alsoDetectedBy: ["libpq"],
    text: `from sqlalchemy import create_engine, text

engine = create_engine(
    "postgresql+psycopg2://etl:secret@db.internal:5432/warehouse",
    pool_size=10,
    max_overflow=5,
    pool_recycle=3600,
    connect_args={"options": "-c timezone=utc"},
)

with engine.connect() as conn:
    result = conn.execution_options(stream_results=True).execute(text("SELECT * FROM events"))
`,
  },
  {
    family: "django",
    name: "mysite/settings.py",
    alsoDetectedBy: ["libpq"],
    text: `import os

DEBUG = False

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "mysite",
        "USER": "mysite",
        "HOST": os.environ["DB_HOST"],
        "PORT": "5432",
        "CONN_MAX_AGE": None,
        "OPTIONS": {"options": "-c search_path=mysite"},
    }
}
`,
  },
  {
    family: "django",
    name: "legacy/settings.py",
    text: `DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.mysql',
        'NAME': 'legacy',
        'CONN_MAX_AGE': 600,
        'CONN_HEALTH_CHECKS': True,
        'OPTIONS': {
            'init_command': "SET @@session.group_concat_max_len = 100000",
        },
    }
}
`,
  },
  {
    family: "rails",
    name: "config/database.yml",
    text: `default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>
  prepared_statements: false

development:
  <<: *default
  database: app_development

production:
  <<: *default
  database: app_production
  username: app
  password: <%= ENV["APP_DATABASE_PASSWORD"] %>
  schema_search_path: "app,public"
  variables:
    statement_timeout: 5000
  idle_timeout: 0
`,
  },
  {
    family: "prisma",
    name: "prisma/schema.prisma",
    text: `generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
}
`,
  },
  {
    family: "prisma",
    name: "lambda/.env.production",
    alsoDetectedBy: ["libpq"],
    text: `DATABASE_URL="postgresql://app:secret@app-proxy.proxy-abc.us-east-1.rds.amazonaws.com:5432/app?pgbouncer=true&connection_limit=1"
`,
  },
  {
    family: "node-postgres",
    name: "api/src/db.js",
    text: `const { Pool } = require('pg')

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: 20,
  idleTimeoutMillis: 0,
  options: '-c statement_timeout=5000',
})

module.exports = { query: (text, params) => pool.query(text, params) }
`,
  },
  {
    family: "knex",
    name: "knexfile.js",
    text: `module.exports = {
  production: {
    client: 'pg',
    connection: process.env.DATABASE_URL,
    pool: {
      min: 2,
      max: 10,
      afterCreate: (conn, done) => {
        conn.query('SET timezone="UTC";', (err) => done(err, conn))
      },
    },
    migrations: { tableName: 'knex_migrations' },
  },
}
`,
  },
  {
    family: "sequelize",
    name: "src/models/index.js",
    text: `const { Sequelize } = require('sequelize')

const sequelize = new Sequelize(process.env.DATABASE_URL, {
  dialect: 'postgres',
  timezone: '+00:00',
  logging: false,
  pool: { max: 10, min: 0, acquire: 30000, idle: 3600000 },
})

module.exports = sequelize
`,
  },
  {
    family: "typeorm",
    name: "src/data-source.ts",
    text: `import "reflect-metadata"
import { DataSource } from "typeorm"
import { User } from "./entity/User"

export const AppDataSource = new DataSource({
  type: "postgres",
  host: process.env.DB_HOST,
  port: 5432,
  username: "app",
  database: "app",
  entities: [User],
  poolSize: 20,
  extra: { idleTimeoutMillis: 0 },
})
`,
  },
  {
    family: "pgx",
    name: "internal/db/db.go",
    text: `package db

import (
	"context"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func Open(ctx context.Context) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgxpool.NewWithConfig(ctx, cfg)
}
`,
  },
  {
    family: "php-pdo",
    name: "src/Database.php",
    text: `<?php

function connect(string $user, string $pass): PDO
{
    return new PDO('mysql:host=shop-db.internal;dbname=shop;charset=utf8mb4', $user, $pass, [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_EMULATE_PREPARES => false,
        PDO::ATTR_PERSISTENT => true,
        PDO::MYSQL_ATTR_INIT_COMMAND => "SET @@session.group_concat_max_len = 1000000",
    ]);
}
`,
  },
];

/** Inputs no family may recognise, and none may crash on. */
export const GARBAGE: ReadonlyArray<{ name: string; text: string }> = [
  { name: "empty.properties", text: "" },
  { name: "README.md", text: "# Orders\n\nRun `make` to build. Ask #db-team about the database.\n" },
  { name: "random.bin", text: "\u0000\u0001\u00ff garbage \u0000 jdbc:postgresql://x" },
  { name: "broken.yml", text: "spring:\n\tdatasource:\n  url: [unclosed\n  : : :\n- - -\n" },
  { name: "huge-line.txt", text: `${"x".repeat(200_000)}\n` },
  { name: "unbalanced.js", text: "module.exports = { pool: { min: 2, afterCreate: (c) => { c.query('SET x = 1" },
  { name: "package.json", text: '{ "name": "app", "version": "1.0.0", "dependencies": { "express": "^5.0.0" } }\n' },
];
