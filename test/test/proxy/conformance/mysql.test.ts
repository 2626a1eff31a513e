/** The shared conformance suite against the MySQL engine, with mysql2 and real MariaDB servers. */
import { afterAll } from "vitest";
import { mysqlFixture } from "./mysql.js";
import { describeEngine } from "./suite.js";

const { fixture, drop } = await mysqlFixture();
afterAll(drop);
describeEngine(fixture);
