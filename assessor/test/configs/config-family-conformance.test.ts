import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_FAMILIES, CONFIG_RULES, ConfigDocument, type FamilyContext } from "../../src/configs/index.js";
import { loadRulebook } from "../../src/rules/index.js";
import { PROFILES } from "../../src/rules/rulebook.js";
import { GARBAGE, SAMPLES } from "./samples.js";

/** The one suite every ConfigFamily runs. */
const contexts: FamilyContext[] = await Promise.all(
  PROFILES.map(async (profile) => {
    const rulebooks = { postgresql: await loadRulebook("postgresql", profile), mysql: await loadRulebook("mysql", profile) };
    return {
      profile,
      idleClientTimeoutSeconds: 1800,
      classifySql: (engine, sql) => rulebooks[engine].classify({ text: sql }).findings,
    } satisfies FamilyContext;
  }),
);
const documentedRules = new Set(CONFIG_RULES.map((r) => r.id));
const docsPage = readFileSync(new URL("../../../docs/configs.md", import.meta.url), "utf8");

describe.each(CONFIG_FAMILIES.map((f) => [f.id, f] as const))("config family %s", (id, family) => {
  const own = SAMPLES.filter((s) => s.family === id);
  const others = SAMPLES.filter((s) => s.family !== id && !(s.alsoDetectedBy ?? []).includes(id));

  it("has samples", () => {
    expect(own.length).toBeGreaterThan(0);
  });

  it.each(own.map((s) => [s.name, s] as const))("detects its own sample %s", (_name, sample) => {
    expect(family.detect(new ConfigDocument(sample.name, sample.text))).toBeGreaterThanOrEqual(0.5);
  });

  it.each(others.map((s) => [s.name, s] as const))("ignores %s", (_name, sample) => {
    expect(family.detect(new ConfigDocument(sample.name, sample.text))).toBeLessThan(0.5);
  });

  it.each(GARBAGE.map((g) => [g.name, g] as const))("neither detects nor throws on garbage %s", (_name, garbage) => {
    const document = new ConfigDocument(garbage.name, garbage.text);
    expect(() => family.detect(document)).not.toThrow();
    for (const context of contexts) expect(() => family.analyze(document, context)).not.toThrow();
  });

  it("reports findings with file, line, documented rule, family and fix under every profile", () => {
    let total = 0;
    for (const context of contexts) {
      for (const sample of own) {
        for (const finding of family.analyze(new ConfigDocument(sample.name, sample.text), context).findings) {
          total++;
          expect(finding.file).toBe(sample.name);
          expect(finding.line).toBeGreaterThanOrEqual(1);
          expect(finding.line).toBeLessThanOrEqual(sample.text.split("\n").length);
          expect(finding.rule).toMatch(/^config\.[a-z_]+\.[a-z_]+$/);
          expect(documentedRules.has(finding.rule)).toBe(true);
          expect(finding.family).toBe(id);
          expect(finding.fix.length).toBeGreaterThan(10);
          expect(finding.message.length).toBeGreaterThan(10);
        }
      }
    }
    expect(total).toBeGreaterThan(0);
  });

  it("documents each of its rules in docs/configs.md", () => {
    for (const rule of CONFIG_RULES.filter((r) => r.family === id)) expect(docsPage).toContain(`\`${rule.id}\``);
  });
});
