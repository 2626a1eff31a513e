// The CDK Terrain flavour is the cdktf flavour with its module specifiers renamed: CDK Terrain (cdktn) is a fork of
// CDK for Terraform that renamed its packages and kept their APIs, paths and synthesized output. This writes src/ and
// samples/ from ../cdktf (only files whose text changes are written), so the constructs and stacks are written once. Run by `npm run build` and `npm run typecheck`.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cdktf = join(here, "..", "cdktf");

/** cdktf's packages and their CDK Terrain names; a package path below them (lib/db-proxy/index.js) stays as it is. */
export const RENAMES = { cdktf: "cdktn", "@cdktf/provider-aws": "@cdktn/provider-aws" };
/** Specifiers that are the same in both flavours. */
const SHARED = [/^node:/, /^constructs$/, /^@proxyfit\/assessor(\/|$)/];
/**
 * Folders of cdktf/src that stay in the cdktf flavour only: `proxyfit terraform` (cli/) and the HCL writer it uses
 * (hcl/), which are one tool whichever CDK a team runs.
 */
const CDKTF_ONLY = ["cli", "hcl"];

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"([^"]+)"/g;

/** One file's text in the Terrain flavour; throws naming the file and specifier when it imports a package neither maps nor shares. */
export function deriveSource(text, file) {
  const body = text.replace(SPECIFIER, (whole, keyword, specifier) => {
    if (specifier.startsWith(".") || SHARED.some((pattern) => pattern.test(specifier))) return whole;
    const renamed = Object.keys(RENAMES).find((name) => specifier === name || specifier.startsWith(`${name}/`));
    if (!renamed) throw new Error(`${file}: imports "${specifier}", which has no CDK Terrain name in cdktn/derive-from-cdktf.mjs`);
    return `${keyword}"${RENAMES[renamed]}${specifier.slice(renamed.length)}"`;
  });
  return `// Derived from cdktf/${file} by cdktn/derive-from-cdktf.mjs: edit that file, not this one.\n${body}`;
}

/** Every derived file as { path under cdktn/: text }. */
export function derivedFiles() {
  const files = {};
  const walk = (dir) => {
    for (const entry of readdirSync(join(cdktf, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(dir === "src" && CDKTF_ONLY.includes(entry.name))) walk(path);
      } else if (entry.name.endsWith(".ts")) {
        files[path] = deriveSource(readFileSync(join(cdktf, path), "utf8"), path);
      }
    }
  };
  walk("src");
  return files;
}

/** Writes `files` under `dir`, touching only files whose text changes and removing those no longer derived. */
function writeTree(dir, files) {
  const existing = existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }) : [];
  for (const entry of existing) {
    const path = relative(here, join(entry.parentPath, entry.name));
    if (entry.isFile() && !(path in files)) rmSync(join(here, path));
  }
  for (const [path, text] of Object.entries(files)) {
    const target = join(here, path);
    if (existsSync(target) && readFileSync(target, "utf8") === text) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    writeTree(join(here, "src"), derivedFiles());
    // The bundled sample inputs, for a first synth without inputs (src/main.ts).
    const samples = Object.fromEntries(readdirSync(join(cdktf, "samples")).map((name) => [join("samples", name), readFileSync(join(cdktf, "samples", name), "utf8")]));
    writeTree(join(here, "samples"), samples);
  } catch (error) {
    process.stderr.write(`derive-from-cdktf: ${error.message}\n`);
    process.exitCode = 2;
  }
}
