import { writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runAssessorBench } from "./assessor.js";
import type { BenchSection } from "./measure.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

/** `npm run bench`: every benchmark in one run, side by side with its anchor, written to docs/benchmarks.md. */
const benches: Array<[string, () => Promise<BenchSection>]> = [["assessor", runAssessorBench]];

const sections: string[] = [];
for (const [name, run] of benches) {
  process.stderr.write(`bench: ${name}...\n`);
  const started = Date.now();
  try {
    const section = await run();
    sections.push(`## ${section.title}\n\n${section.markdown}\n`);
  } catch (error) {
    sections.push(`## ${name}\n\nFailed: ${(error as Error).message}\n`);
  }
  process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const doc = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${machine}). Every figure comes from one run
in which proxyfit and its anchor (pgBadger, pt-query-digest, PgBouncer, a bare forwarder) ran on the same inputs on the
same machine, one after the other; compare the ratios, not the absolute numbers, across machines. Set
\`PROXYFIT_BENCH_QUICK=1\` for a short smoke run (small inputs; figures not meaningful).

${sections.join("\n")}`;
await writeFile(join(ROOT, "docs/benchmarks.md"), doc);
process.stderr.write("bench: wrote docs/benchmarks.md\n");
