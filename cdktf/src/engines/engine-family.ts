import type { Recommendation } from "@proxyfit/assessor/recommendation";

export type EngineFamily = Recommendation["engine_family"];
export type ClientPasswordAuthType = Recommendation["client_password_auth_type"];

/** The `engine` of an RDS instance or Aurora cluster, as the RDS API names it. */
export type DatabaseEngine = "postgres" | "aurora-postgresql" | "mysql" | "mariadb" | "aurora-mysql";

export const DATABASE_ENGINES: Readonly<Record<DatabaseEngine, { family: EngineFamily; aurora: boolean }>> = {
  postgres: { family: "POSTGRESQL", aurora: false },
  "aurora-postgresql": { family: "POSTGRESQL", aurora: true },
  mysql: { family: "MYSQL", aurora: false },
  mariadb: { family: "MYSQL", aurora: false },
  "aurora-mysql": { family: "MYSQL", aurora: true },
};

/** RDS Proxy always listens on the engine's default port, whatever port the database itself uses. */
export const ENGINE_PORT: Readonly<Record<EngineFamily, number>> = { POSTGRESQL: 5432, MYSQL: 3306 };

export const CLIENT_PASSWORD_AUTH_TYPES: Readonly<Record<EngineFamily, readonly ClientPasswordAuthType[]>> = {
  POSTGRESQL: ["POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5"],
  MYSQL: ["MYSQL_NATIVE_PASSWORD", "MYSQL_CACHING_SHA2_PASSWORD"],
};
