import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runApiBench } from "./api.js";
import { runAssessorBench } from "./assessor.js";
import type { BenchSection } from "./measure.js";
import { runProxyBench } from "./proxy.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const DOC = join(ROOT, "docs/benchmarks.md");

/**
 * `npm run bench`: every benchmark in one run, side by side with its anchor, written to docs/benchmarks.md.
 * `node test/dist/bench/run.js assessor` reruns only the named sections and keeps the others as they were.
 */
const benches: Array<[string, () => Promise<BenchSection>]> = [
  ["assessor", runAssessorBench],
  ["api", runApiBench],
  ["proxy", runProxyBench],
];

const names = benches.map(([name]) => name);
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !names.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown section ${unknown.join(", ")}; expected ${names.join(", ")}\n`);
  process.exit(2);
}

/** Each section starts with this marker, so a partial run can replace its own sections and keep the rest. */
const marker = (name: string) => `<!-- bench: ${name} -->`;
const previous = await readFile(DOC, "utf8").catch(() => "");
function previousSection(name: string): string | undefined {
  const start = previous.indexOf(marker(name));
  if (start === -1) return undefined;
  const next = previous.indexOf("<!-- bench: ", start + marker(name).length);
  return previous.slice(start, next === -1 ? undefined : next).trimEnd();
}

const sections: string[] = [];
for (const [name, run] of benches) {
  if (wanted.length > 0 && !wanted.includes(name)) {
    sections.push(previousSection(name) ?? `${marker(name)}\n## ${name}\n\nNot run yet.`);
    continue;
  }
  process.stderr.write(`bench: ${name}...\n`);
  const started = Date.now();
  try {
    const section = await run();
    sections.push(`${marker(name)}\n## ${section.title}\n\n${section.markdown}`);
  } catch (error) {
    sections.push(`${marker(name)}\n## ${name}\n\nFailed: ${(error as Error).message}`);
  }
  process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const doc = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${machine}). Every figure comes from one run
in which proxyfit and its anchor (pgBadger, pt-query-digest, PgBouncer, a bare forwarder) ran on the same inputs on the
same machine, one after the other; compare the ratios, not the absolute numbers, across machines. Set
\`PROXYFIT_BENCH_QUICK=1\` for a short smoke run (small inputs; figures not meaningful). \`node test/dist/bench/run.js
SECTION...\` (${names.join(", ")}) reruns only those sections.

${sections.join("\n\n")}
`;
await writeFile(DOC, doc);
process.stderr.write("bench: wrote docs/benchmarks.md\n");
