import { describePgFormatConformance } from "../../src/workload/pg-conformance.js";

// Every PostgreSQL format runs the same suite against the same workload; only the server's log settings differ.

describePgFormatConformance({
  name: "Debian default prefix, log_statement=all",
  format: "pg-stderr",
  settings: { log_line_prefix: "%m [%p] %q%u@%d ", log_statement: "all" },
  expectPrefix: "%m [%p] %q%u@%d ",
});

describePgFormatConformance({
  name: "RDS prefix, log_min_duration_statement=0",
  format: "pg-stderr",
  settings: { log_line_prefix: "%t:%r:%u@%d:[%p]:", log_min_duration_statement: 0 },
  expectPrefix: "%t:%r:%u@%d:[%p]:",
});

describePgFormatConformance({
  name: "rich prefix, log_statement=all and log_min_duration_statement=0",
  format: "pg-stderr",
  settings: { log_line_prefix: "%m|%a|%u|%d|%p|%c|%l|%x|%e: ", log_statement: "all", log_min_duration_statement: 0 },
  expectPrefix: "%m|%a|%u|%d|%p|%c|%l|%x|%e: ",
});

describePgFormatConformance({
  name: "csvlog, log_statement=all and log_min_duration_statement=0",
  format: "pg-csv",
  settings: { log_statement: "all", log_min_duration_statement: 0 },
});

describePgFormatConformance({
  name: "jsonlog, log_min_duration_statement=0",
  format: "pg-json",
  settings: { log_min_duration_statement: 0 },
});
