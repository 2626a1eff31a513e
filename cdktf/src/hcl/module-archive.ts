import { gzipSync } from "node:zlib";
import type { TerraformModule } from "./terraform-module.js";

/**
 * The modules as a gzip-compressed tar (POSIX ustar), one folder per module, as `tar xzf` unpacks and as Terraform
 * reads an archived module source. Entries are dated 0 and owned by nobody, so the same modules make the same bytes.
 */
export function moduleArchive(modules: TerraformModule[]): Buffer {
  const blocks: Buffer[] = [];
  for (const module of modules) {
    blocks.push(header(`${module.name}/`, 0, "5"));
    for (const [file, text] of Object.entries(module.files)) {
      const body = Buffer.from(text, "utf8");
      blocks.push(header(`${module.name}/${file}`, body.length, "0"), body, Buffer.alloc(padding(body.length)));
    }
  }
  // The end of the archive: two zero blocks.
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const BLOCK = 512;

function padding(length: number): number {
  return (BLOCK - (length % BLOCK)) % BLOCK;
}

/** One ustar header block: name, mode, size, type ("0" file, "5" folder), checksum. */
function header(name: string, size: number, type: "0" | "5"): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`archive entry name over 100 bytes: ${name}`);
  const block = Buffer.alloc(BLOCK);
  const field = (offset: number, length: number, value: string) => block.write(value, offset, length, "utf8");
  const octal = (offset: number, length: number, value: number) => field(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
  field(0, 100, name);
  octal(100, 8, type === "5" ? 0o755 : 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(156, 1, type);
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  // The checksum is computed with its own field as spaces.
  field(148, 8, " ".repeat(8));
  const sum = block.reduce((total, byte) => total + byte, 0);
  field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}
