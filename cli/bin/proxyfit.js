#!/usr/bin/env node
// The one `proxyfit` command. Each subcommand lives in the package that owns it and is loaded only when asked for,
// so `proxyfit assess` never pays for the proxy's or the server's imports.
import { readFileSync } from "node:fs";

const subcommands = {
  assess: {
    about: "analyse database logs and driver configs for RDS Proxy fit",
    load: async () => {
      // The SQL parser is WebAssembly: V8's optimising second compile of it costs ~100 MB and ~0.3 s that a one-shot
      // command never earns back (docs/benchmarks.md). The server and the proxy keep V8's default.
      (await import("node:v8")).setFlagsFromString("--liftoff-only");
      return (await import("@proxyfit/assessor/cli")).runAssess;
    },
  },
  serve: {
    about: "run the assessor as an HTTP service",
    // The Terraform route's writer is cdktf's, loaded at the route's first request, not at start.
    load: () =>
      import("@proxyfit/assessor/server").then(
        (m) => (argv) => m.runServe(argv, process.env, { terraformModules: () => import("@proxyfit/cdktf/terraform").then((t) => t.writeTerraformModules) }),
      ),
  },
  proxy: { about: "run the trial proxy (PostgreSQL transaction pooling like RDS Proxy)", load: () => import("@proxyfit/proxy/cli").then((m) => m.runProxy) },
  terraform: { about: "write the recommendation as plain Terraform modules (HCL)", load: () => import("@proxyfit/cdktf/cli").then((m) => m.runTerraform) },
};

const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

const usage = () =>
  `usage: proxyfit <command> [options]\n\ncommands:\n${Object.entries(subcommands)
    .map(([n, s]) => `  ${n.padEnd(10)} ${s.about}`)
    .join("\n")}\n\nRun "proxyfit help <command>" (or "proxyfit <command> --help") for a command's options.\n` +
  `"proxyfit --version" prints the version.\n`;

/** Exit 2 with one line and the usage: how every command answers a command line it cannot run. */
function usageError(message) {
  process.stderr.write(`proxyfit: ${message}\n\n${usage()}`);
  return 2;
}

async function main(argv) {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return 0;
  }
  if (name === "--version") {
    process.stdout.write(`proxyfit ${VERSION}\n`);
    return 0;
  }
  if (name === "help") {
    if (rest.length === 0) return main([]);
    if (rest.length > 1) return usageError(`help takes one command, not "${rest.join(" ")}"`);
    if (!(rest[0] in subcommands)) return usageError(`unknown command "${rest[0]}"`);
    return main([rest[0], "--help"]);
  }
  const subcommand = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!subcommand) return usageError(`unknown command "${name}"`);
  try {
    return await (await subcommand.load())(rest);
  } catch (error) {
    // Every problem a user can fix is answered by the subcommand with one line and exit code 2: this is a bug.
    process.stderr.write(`proxyfit ${name}: unexpected failure (a bug: please report it): ${error?.stack ?? error}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
