import { Testing } from "cdktf";
import { expect } from "vitest";
import { readFileSync } from "node:fs";
import { type DeployConfig, loadDeployConfig, parseDeployConfig } from "../src/config/deploy-config.js";
import { RecommendedProxyStack } from "../src/stacks/recommended-proxy-stack.js";
import { TrialProxyStack } from "../src/stacks/trial-proxy-stack.js";

export const SAMPLES = ["postgres-instance", "aurora-mysql-cluster", "iam-end-to-end"] as const;
export type SampleName = (typeof SAMPLES)[number];

export const samplePath = (name: SampleName) => new URL(`../samples/${name}.deploy.json`, import.meta.url).pathname;

export interface SynthesizedStack {
  /** Testing.synth output, for the Testing matchers and snapshots. */
  json: string;
  resources: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
  outputs: Record<string, { value: unknown; description?: string }>;
}

/** Synthesizes a sample's stacks, after `change` edits its inputs document when given. */
export function synthSample(
  name: SampleName,
  // biome-ignore lint/suspicious/noExplicitAny: tests edit the sample document freely, as a user would.
  change?: (inputs: Record<string, any>) => void,
): { config: DeployConfig; rds?: SynthesizedStack; trial?: SynthesizedStack } {
  const file = samplePath(name);
  const inputs = change ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  change?.(inputs);
  const config = inputs ? parseDeployConfig(inputs, { file, env: {} }) : loadDeployConfig(file, { env: {} });
  const app = Testing.app();
  const rds = config.recommendedProxy ? new RecommendedProxyStack(app, { ...config, recommendedProxy: config.recommendedProxy }) : undefined;
  const trial = config.trialProxy ? new TrialProxyStack(app, { ...config, trialProxy: config.trialProxy }) : undefined;
  return {
    config,
    ...(rds ? { rds: parse(Testing.synth(rds, true)) } : {}),
    ...(trial ? { trial: parse(Testing.synth(trial, true)) } : {}),
  };
}

function parse(json: string): SynthesizedStack {
  const document = JSON.parse(json);
  return { json, resources: document.resource ?? {}, data: document.data ?? {}, outputs: document.output ?? {} };
}

/** The only resource of a type, failing clearly when there are none or several. */
export function single(stack: SynthesizedStack, type: string): Record<string, unknown> {
  const all = Object.values(stack.resources[type] ?? {});
  expect(all, `${type} resources`).toHaveLength(1);
  return all[0]!;
}

/** Testing.toHaveResourceWithProperties, printing the resources of that type when none matches. */
export function expectResource(stack: SynthesizedStack, type: string, properties: Record<string, unknown>): void {
  const found = Testing.toHaveResourceWithProperties(stack.json, type, properties);
  expect(found, `no ${type} with ${JSON.stringify(properties)} among ${JSON.stringify(stack.resources[type] ?? {}, null, 2)}`).toBe(true);
}

/** Counts of resources per type: nothing missing, nothing unexpected. */
export function resourceCounts(stack: SynthesizedStack): Record<string, number> {
  return Object.fromEntries(Object.entries(stack.resources).map(([type, byId]) => [type, Object.keys(byId).length]));
}

/** An IAM policy document attribute, parsed (tokens stay as ${...} strings). */
export function policy(resource: Record<string, unknown>, attribute = "policy"): { Statement: Array<Record<string, unknown>> } {
  return JSON.parse(resource[attribute] as string);
}
