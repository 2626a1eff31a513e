import type { ConfigFamily } from "../config-family.js";
import { asyncpg } from "./asyncpg.js";
import { django } from "./django.js";
import { hikaricp } from "./hikaricp.js";
import { knex } from "./knex.js";
import { libpq } from "./libpq.js";
import { mysqlConnectorJ } from "./mysql-connector-j.js";
import { nodePostgres } from "./node-postgres.js";
import { pgjdbc } from "./pgjdbc.js";
import { pgx } from "./pgx.js";
import { phpPdo } from "./php-pdo.js";
import { prisma } from "./prisma.js";
import { psycopg } from "./psycopg.js";
import { rails } from "./rails.js";
import { sequelize } from "./sequelize.js";
import { sqlalchemy } from "./sqlalchemy.js";
import { typeorm } from "./typeorm.js";

/** Every driver / ORM family, in the order findings of one file are listed. */
export const CONFIG_FAMILIES: readonly ConfigFamily[] = [
  pgjdbc,
  mysqlConnectorJ,
  hikaricp,
  libpq,
  psycopg,
  asyncpg,
  sqlalchemy,
  django,
  rails,
  prisma,
  nodePostgres,
  knex,
  sequelize,
  typeorm,
  pgx,
  phpPdo,
];
