/** The shared conformance suite against the PostgreSQL engine, with node-postgres and real PostgreSQL servers. */
import { postgresFixture } from "./postgres.js";
import { describeEngine } from "./suite.js";

describeEngine(postgresFixture);
