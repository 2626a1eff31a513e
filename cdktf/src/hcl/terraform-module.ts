import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../app.js";
import type { DeployConfig } from "../config/deploy-config.js";
import { Expression, JsonDocument, renderBlock, renderValue } from "./hcl-syntax.js";
import { type ModuleVariable, rdsProxyVariables, trialProxyVariables } from "./module-variables.js";

/** One module's files: main.tf, variables.tf, outputs.tf, versions.tf. */
export interface TerraformModule {
  /** Folder name: rds-proxy or trial-proxy. */
  name: string;
  files: Record<string, string>;
}

/** A stack as cdktf synthesizes it (cdk.tf.json), as far as the conversion reads it. */
export type TerraformJson = {
  terraform: { required_providers: Record<string, { source: string; version: string }> };
  data?: Record<string, Record<string, Record<string, unknown>>>;
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  locals?: Record<string, unknown>;
  output?: Record<string, { value: unknown; description?: string }>;
};

/**
 * The stacks of the deployment inputs as plain Terraform modules: synthesized by cdktf exactly as `cdktf synth` does
 * (the same constructs, so the same resources), then written as HCL with what no log can know and the
 * recommendation's values turned into variables. Provider configuration and state are left to the caller, as a
 * module should.
 */
export function terraformModules(config: DeployConfig): TerraformModule[] {
  const outdir = mkdtempSync(join(tmpdir(), "proxyfit-terraform-"));
  try {
    buildApp(config, { outdir }).synth();
    const synthesized = (stack: string) => JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as TerraformJson;
    const modules: TerraformModule[] = [];
    if (config.recommendedProxy) {
      modules.push(toModule("rds-proxy", synthesized(config.recommendedProxy.stackName), rdsProxyVariables(config)));
    }
    if (config.trialProxy) {
      modules.push(toModule("trial-proxy", synthesized(config.trialProxy.stackName), trialProxyVariables(config)));
    }
    return modules;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function toModule(name: string, document: TerraformJson, variables: ModuleVariable[]): TerraformModule {
  const rename = readableNames(document);
  const { substitute, substituteText } = substitution(variables);
  // A container's environment entry { name, value } whose name a variable claims.
  const environmentValue = (entry: Record<string, unknown>, key: string) => {
    const variable = variables.find((v) => v.environmentName !== undefined && v.environmentName === entry.name);
    // Container environment values are strings.
    return key === "value" && variable ? new Expression(`tostring(var.${variable.name})`) : undefined;
  };
  const convert = (value: unknown, path: string[]): unknown => {
    const replaced = substitute(value, path);
    if (replaced !== undefined) return replaced;
    if (typeof value === "string") {
      const document = jsonDocument(value);
      if (document !== undefined) return new JsonDocument(convert(document, [...path, "json"]));
      return rename(substituteText(value));
    }
    if (Array.isArray(value)) return value.map((item, i) => convert(item, [...path, String(i)]));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => key !== "//")
          .map(([key, item]) => [key, key === "depends_on" ? (item as string[]).map((ref) => new Expression(rename(ref))) : convert(item, [...path, key])])
          .map(([key, item]) => [key, environmentValue(value as Record<string, unknown>, key as string) ?? item]),
      );
    }
    return value;
  };

  const main: string[] = [];
  if (document.locals) main.push(renderBlock("locals", [], convert(renameKeys(document.locals, rename, "local"), ["locals"]) as Record<string, unknown>));
  for (const kind of ["data", "resource"] as const) {
    for (const [type, byId] of Object.entries(document[kind] ?? {})) {
      for (const [id, body] of Object.entries(byId)) {
        const label = rename(`${kind === "data" ? "data." : ""}${type}.${id}`).split(".").at(-1)!;
        main.push(renderBlock(kind, [type, label], convert(body, [type, label]) as Record<string, unknown>));
      }
    }
  }

  const outputs = Object.entries(document.output ?? {}).map(([key, output]) =>
    renderBlock("output", [key], {
      ...(output.description ? { description: output.description } : {}),
      value: convert(output.value, ["output", key]),
    }),
  );

  const providers = Object.fromEntries(
    Object.entries(document.terraform.required_providers).map(([key, provider]) => [
      key,
      { source: provider.source.includes("/") ? provider.source : `hashicorp/${provider.source}`, version: provider.version },
    ]),
  );
  const versions =
    "terraform {\n" +
    '  required_version = ">= 1.5"\n\n' +
    `  required_providers ${renderValue(providers, "  ")}\n}\n`;

  return {
    name,
    files: {
      "main.tf": main.join("\n"),
      "variables.tf": variables.map(renderVariable).join("\n"),
      "outputs.tf": outputs.join("\n"),
      "versions.tf": versions,
    },
  };
}

function renderVariable(variable: ModuleVariable): string {
  const comment = variable.source.map((line) => `# ${line}\n`).join("");
  return (
    comment +
    renderBlock("variable", [variable.name], {
      description: variable.description,
      type: new Expression(variable.type),
      ...(variable.value === undefined ? {} : { default: variable.value }),
    })
  );
}

/**
 * cdktf's logical ids (`rds-proxy_security-group_829B423B`) as names people read, as terraform-aws-modules name them:
 * `this` for the only resource of its type, otherwise the construct's own id (`from_application_0`).
 */
export function readableNames(document: TerraformJson): (text: string) => string {
  const renames: Array<[string, string]> = [];
  for (const kind of ["data", "resource"] as const) {
    for (const [type, byId] of Object.entries(document[kind] ?? {})) {
      const ids = Object.keys(byId);
      for (const id of ids) {
        const path = ((byId[id]!["//"] as { metadata?: { path?: string } })?.metadata?.path ?? id).split("/");
        const name = ids.length === 1 ? "this" : path.at(-1)!.replaceAll("-", "_");
        const prefix = `${kind === "data" ? "data." : ""}${type}.`;
        renames.push([`${prefix}${id}`, `${prefix}${name}`]);
      }
    }
  }
  for (const id of Object.keys(document.locals ?? {})) {
    renames.push([`local.${id}`, `local.${id.replace(/^.*?_/, "").replace(/_[0-9A-F]{8}$/, "").replaceAll("-", "_")}`]);
  }
  // Longest first, so that no id is replaced inside a longer one.
  renames.sort((a, b) => b[0].length - a[0].length);
  return (text) => renames.reduce((result, [from, to]) => result.replaceAll(from, to), text);
}

function renameKeys(object: Record<string, unknown>, rename: (text: string) => string, prefix: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [rename(`${prefix}.${key}`).slice(prefix.length + 1), value]));
}

/**
 * Where a variable replaces a synthesized value: at the attribute paths it names, and wherever else its value (or, for
 * a list, one of its items) appears whole or inside a string (ids, ARNs and names are distinctive enough for that).
 */
function substitution(variables: ModuleVariable[]): {
  substitute: (value: unknown, path: string[]) => unknown;
  substituteText: (text: string) => string;
} {
  const byPath = new Map<string, ModuleVariable>();
  for (const variable of variables) for (const path of variable.paths ?? []) byPath.set(path, variable);
  const texts: Array<[string, string]> = [];
  for (const variable of variables) {
    if (!variable.matchValue) continue;
    if (typeof variable.value === "string") texts.push([variable.value, `var.${variable.name}`]);
    if (Array.isArray(variable.value)) {
      for (const [i, item] of variable.value.entries()) texts.push([String(item), `var.${variable.name}[${i}]`]);
    }
  }
  texts.sort((a, b) => b[0].length - a[0].length);
  const lists = variables.filter((variable) => variable.matchValue && Array.isArray(variable.value));

  const substitute = (value: unknown, path: string[]): unknown => {
    const pathVariable = byPath.get(path.join("."));
    if (pathVariable) return new Expression(`var.${pathVariable.name}`);
    if (Array.isArray(value)) {
      const list = lists.find((variable) => JSON.stringify(variable.value) === JSON.stringify(value));
      if (list) return new Expression(`var.${list.name}`);
      return undefined;
    }
    if (typeof value !== "string") return undefined;
    const whole = texts.find(([text]) => text === value);
    return whole ? new Expression(whole[1]) : undefined;
  };
  // Inside a longer string: an interpolation, which the renderer keeps as a template.
  const substituteText = (text: string) => texts.reduce((result, [from, to]) => result.replaceAll(from, `\${${to}}`), text);
  return { substitute, substituteText };
}

/** A JSON object or array held in a string (IAM policies, container definitions), parsed; undefined otherwise. */
function jsonDocument(text: string): unknown {
  const trimmed = text.trim();
  if (!((trimmed.startsWith("{") && trimmed.endsWith("}")) || (trimmed.startsWith("[") && trimmed.endsWith("]")))) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
