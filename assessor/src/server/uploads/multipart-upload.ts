import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { fileInput, type LogInput } from "../../input/log-input.js";
import { parseRequestOptions, type RequestOptions } from "../options.js";
import { HttpProblem } from "../problem.js";
import type { UploadedFile } from "../storage/assessment-store.js";
import { declaredLength, incompleteUpload } from "./raw-upload.js";

/** Form part names: logs go in "log" parts, driver / ORM configuration files in "config" parts. */
export const LOG_PART = "log";
export const CONFIG_PART = "config";

/** Spool directories are named with the server's pid, so a later server can tell which ones a crash left behind. */
const SPOOL_PREFIX = "proxyfit-upload-";

/**
 * Removes the spool directories (raw logs) of servers that are no longer running: uploads a crash interrupted.
 * Returns how many were removed. Directories of live servers on the same machine are left alone.
 */
export async function removeStaleSpools(dir: string = tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir)) {
    const pid = /^proxyfit-upload-(\d+)-/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isRunning(Number(pid))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Driver configs are small text files read into memory: how many an upload may have, and their bytes together. */
export interface ConfigLimits {
  files: number;
  bytes: number;
}

export interface MultipartUpload {
  /** File-backed: assess() reads several logs concurrently to merge their timelines. */
  logs: LogInput[];
  configs: Array<{ name: string; text: string }>;
  files: UploadedFile[];
  options: RequestOptions;
  /** Bytes of the log files. */
  logBytes: number;
  /** Removes the spooled files. */
  cleanup(): Promise<void>;
}

/**
 * Spools every file of a multipart/form-data upload to a temporary directory (never to memory), and validates the
 * option fields. Rejects with a problem naming the part, the limit or the cut-off point; the directory is removed
 * on failure.
 */
export async function spoolMultipart(
  request: IncomingMessage,
  limitBytes: number,
  configLimits: ConfigLimits,
): Promise<MultipartUpload> {
  const dir = await mkdtemp(join(tmpdir(), `${SPOOL_PREFIX}${process.pid}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    return { ...(await receive(request, dir, limitBytes, configLimits)), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function receive(
  request: IncomingMessage,
  dir: string,
  limitBytes: number,
  configLimits: ConfigLimits,
): Promise<Omit<MultipartUpload, "cleanup">> {
  const fields: Array<[string, string]> = [];
  const files: UploadedFile[] = [];
  const logPaths: string[] = [];
  const configs: Array<{ name: string; text: string }> = [];
  const writes: Array<Promise<void>> = [];
  let received = 0;
  let configBytes = 0;

  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: request.headers, limits: { fields: 100, fieldSize: 64 * 1024, files: 100 } });
  } catch (error) {
    throw new HttpProblem("unsupportedMediaType", `multipart/form-data: ${(error as Error).message}`);
  }

  // Counts the bytes of every part against one limit for the whole upload.
  const counted = (name: string) =>
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        received += chunk.byteLength;
        if (received > limitBytes) {
          throw new HttpProblem("tooLarge", `${name}: the upload exceeds the limit of ${limitBytes} bytes`, {
            file: name,
            limitBytes,
          });
        }
        yield chunk;
      }
    };

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      request.unpipe(parser);
      reject(error);
    };

    parser.on("field", (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) {
        fail(new HttpProblem("badOption", `${name}: the field is longer than 64 KiB`, { field: name }));
      }
      fields.push([name, value]);
    });
    parser.on("file", (part, stream: Readable, info) => {
      const name = safeFileName(info.filename, files.length + 1);
      if (part !== LOG_PART && part !== CONFIG_PART) {
        stream.resume();
        fail(
          new HttpProblem(
            "badOption",
            `unknown file part "${part}" (${name}); send logs as "${LOG_PART}" and driver configs as "${CONFIG_PART}"`,
            { field: part },
          ),
        );
        return;
      }
      const file: UploadedFile = { name, kind: part === LOG_PART ? "log" : "config" };
      files.push(file);
      let write: Promise<number>;
      if (part === LOG_PART) {
        const path = join(dir, `${files.length}.log`);
        logPaths.push(path);
        write = spoolTo(stream, path, counted(name));
      } else {
        if (configs.length >= configLimits.files) {
          stream.resume();
          fail(
            new HttpProblem("tooLarge", `${name}: more than ${configLimits.files} config files in one upload`, {
              file: name,
              field: CONFIG_PART,
            }),
          );
          return;
        }
        const config = { name, text: "" };
        configs.push(config);
        const countConfig = (bytes: number) => {
          configBytes += bytes;
          if (configBytes > configLimits.bytes) {
            throw new HttpProblem(
              "tooLarge",
              `${name}: the config files exceed the limit of ${configLimits.bytes} bytes together`,
              { file: name, limitBytes: configLimits.bytes },
            );
          }
        };
        write = readConfig(stream, counted(name), countConfig).then((text) => {
          config.text = text;
          return Buffer.byteLength(text);
        });
      }
      writes.push(
        write.then(
          (bytes) => {
            file.bytes = bytes;
          },
          (error: unknown) => fail(error),
        ),
      );
    });
    parser.on("filesLimit", () => fail(new HttpProblem("badOption", "more than 100 files in one upload")));
    parser.on("fieldsLimit", () => fail(new HttpProblem("badOption", "more than 100 fields in one upload")));
    // A body cut off mid-form is an incomplete upload; anything else busboy refuses (a part header over its limit, a
    // malformed boundary) is the client's mistake, never a server error.
    parser.on("error", (error: Error) =>
      fail(
        !request.complete && /unexpected end/i.test(error.message)
          ? incompleteUpload("multipart upload", received, declaredLength(request))
          : new HttpProblem("badOption", `malformed multipart body: ${error.message}`),
      ),
    );
    parser.on("close", () => {
      Promise.all(writes).then(() => {
        if (!settled) {
          settled = true;
          resolve();
        }
      }, fail);
    });
    request.on("close", () => {
      if (!request.complete) fail(incompleteUpload("multipart upload", received, declaredLength(request)));
    });
    request.pipe(parser);
  });

  const options = parseRequestOptions(fields);
  const logFiles = files.filter((file) => file.kind === "log");
  if (logFiles.length === 0) {
    throw new HttpProblem("badOption", `no log file: send at least one file in a "${LOG_PART}" part`, {
      field: LOG_PART,
    });
  }
  const logs = await Promise.all(logFiles.map((file, index) => fileInput(logPaths[index]!, file.name)));
  return {
    logs,
    configs,
    files,
    options: { ...options, assess: { ...options.assess, ...(configs.length > 0 ? { configs } : {}) } },
    logBytes: logs.reduce((sum, log) => sum + (log.size ?? 0), 0),
  };
}

/** Writes a part to disk; returns its size. */
async function spoolTo(
  stream: Readable,
  path: string,
  count: (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>,
): Promise<number> {
  const file = createWriteStream(path);
  await pipeline(stream, count, file);
  return file.bytesWritten;
}

/** Reads a config part into memory, counting it against the upload's config limit before keeping each chunk. */
async function readConfig(
  stream: Readable,
  count: (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>,
  countConfig: (bytes: number) => void,
): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of count(stream)) {
    countConfig(chunk.byteLength);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The client's file name without directories or control characters: it only labels the input in the report. */
function safeFileName(filename: string | undefined, position: number): string {
  const clean = basename((filename ?? "").replace(/\\/g, "/")).replace(/[\u0000-\u001f\u007f]/g, "");
  return clean === "" ? `upload-${position}` : clean;
}
