#!/usr/bin/env node
// The one `proxyfit` command. Each subcommand lives in the package that owns it and is loaded only when asked for,
// so `proxyfit assess` never pays for the proxy's or the server's imports.
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

const [name, ...rest] = process.argv.slice(2);
const subcommand = name ? subcommands[name] : undefined;
if (!subcommand) {
  const list = Object.entries(subcommands).map(([n, s]) => `  ${n.padEnd(10)} ${s.about}`).join("\n");
  const out = name === undefined || name === "--help" || name === "-h" ? process.stdout : process.stderr;
  if (name && out === process.stderr) out.write(`proxyfit: unknown command "${name}"\n\n`);
  out.write(`usage: proxyfit <command> [options]\n\ncommands:\n${list}\n\nRun "proxyfit <command> --help" for a command's options.\n`);
  process.exit(out === process.stdout ? 0 : 2);
}
const run = await subcommand.load();
process.exitCode = await run(rest);
