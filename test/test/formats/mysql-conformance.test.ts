import { afterAll } from "vitest";
import {
  describeMysqlFormatConformance,
  GENERAL_LOG_SETUP,
  SLOW_LOG_SETUP,
  sharedMysqlLogRun,
} from "../../src/workload/mysql-conformance.js";

// One MariaDB run with both query logs on; each format parses its own log of it.
const run = sharedMysqlLogRun();
afterAll(() => run.stop());

describeMysqlFormatConformance(GENERAL_LOG_SETUP, run.get);
describeMysqlFormatConformance(SLOW_LOG_SETUP, run.get);
