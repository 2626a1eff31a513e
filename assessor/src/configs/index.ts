/**
 * Driver and ORM configuration findings (`proxyfit assess --config FILE...`): each file is recognised by content as
 * one or more driver / ORM families, and each family reports what pins or breaks behind the proxy, with the fix.
 *
 *   const { findings, problems } = await analyzeConfigs(
 *     [{ name: "application.properties", text }],
 *     { profile: "rds-proxy", idleClientTimeoutSeconds: 1800 },
 *   );
 */
import type { Engine } from "../events/log-event.js";
import type { ConfigFinding } from "../report/report.js";
import { loadRulebook } from "../rules/index.js";
import type { Rulebook } from "../rules/rulebook.js";
import { ConfigDocument } from "./config-document.js";
import { type ConfigContext, type ConfigFamily, type ConfigProblem, DETECTED, type FamilyContext } from "./config-family.js";
import { CONFIG_FAMILIES } from "./families/index.js";

export { ConfigDocument } from "./config-document.js";
export type { ConfigContext, ConfigFamily, ConfigProblem, FamilyContext } from "./config-family.js";
export { CONFIG_RULES, type ConfigRuleDoc, configRule } from "./config-rules.js";
export { CONFIG_FAMILIES } from "./families/index.js";

export interface ConfigFile {
  name: string;
  text: string;
}

export interface ConfigAnalysis {
  findings: ConfigFinding[];
  problems: ConfigProblem[];
  /** Per file, the families it was recognised as (empty when it was not recognised: see problems). */
  recognised: Array<{ file: string; families: string[] }>;
}

const SEVERITY_ORDER: Record<ConfigFinding["severity"], number> = { break: 0, pin: 1, warn: 2, info: 3 };

export async function analyzeConfigs(files: readonly ConfigFile[], context: ConfigContext): Promise<ConfigAnalysis> {
  if (!(Number.isFinite(context.idleClientTimeoutSeconds) && context.idleClientTimeoutSeconds > 0)) {
    throw new RangeError(`idleClientTimeoutSeconds must be a positive number of seconds, got ${context.idleClientTimeoutSeconds}`);
  }
  const rulebooks = new Map<Engine, Rulebook>();
  for (const engine of ["postgresql", "mysql"] as const) rulebooks.set(engine, await loadRulebook(engine, context.profile));
  const familyContext: FamilyContext = {
    ...context,
    classifySql: (engine, sql) => rulebooks.get(engine)!.classify({ text: sql }).findings,
  };
  const analysis: ConfigAnalysis = { findings: [], problems: [], recognised: [] };
  for (const file of files) analyzeFile(file, familyContext, CONFIG_FAMILIES, analysis);
  return analysis;
}

function analyzeFile(file: ConfigFile, context: FamilyContext, families: readonly ConfigFamily[], into: ConfigAnalysis): void {
  if (file.text.includes("\u0000")) {
    into.problems.push({ file: file.name, message: "binary content (NUL bytes): not a configuration file; skipped" });
    into.recognised.push({ file: file.name, families: [] });
    return;
  }
  const document = new ConfigDocument(file.name, file.text);
  const detected = families.filter((family) => {
    try {
      return family.detect(document) >= DETECTED;
    } catch (error) {
      into.problems.push({ file: file.name, message: `could not check it as ${family.title}: ${(error as Error).message}` });
      return false;
    }
  });
  into.recognised.push({ file: file.name, families: detected.map((f) => f.id) });
  if (detected.length === 0) {
    into.problems.push({
      file: file.name,
      message:
        file.text.trim() === ""
          ? "empty file: nothing to analyse"
          : `not recognised as a driver or ORM configuration (proxyfit reads: ${families.map((f) => f.title).join("; ")})`,
    });
    return;
  }
  for (const problem of document.structured.problems) {
    into.problems.push({ file: file.name, line: problem.line, message: problem.message });
  }
  const findings: ConfigFinding[] = [];
  for (const family of detected) {
    try {
      const result = family.analyze(document, context);
      findings.push(...result.findings);
      into.problems.push(...(result.problems ?? []));
    } catch (error) {
      into.problems.push({ file: file.name, message: `analysis as ${family.title} failed: ${(error as Error).message}` });
    }
  }
  findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  into.findings.push(...findings);
}
