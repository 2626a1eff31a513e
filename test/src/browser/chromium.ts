import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's chromium (apt-get install chromium); the tests install nothing themselves. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless run that reaches nothing on the network by itself. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile, removed on close. Fails with what to install when Chromium is missing,
 * rather than with a launch error.
 */
export async function launchChromium(
  options: { viewport?: { width: number; height: number }; extraHTTPHeaders?: Record<string, string> } = {},
): Promise<Chromium> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it (apt-get install chromium) to run the HTML report tests`);
  }
  const profileDir = await mkdtemp(join(tmpdir(), "proxyfit-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 1200, height: 900 },
    ...(options.extraHTTPHeaders ? { extraHTTPHeaders: options.extraHTTPHeaders } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** A function and its arguments as source text for page.evaluate: the test runner's own transforms stay out. */
export function inPage(fn: (...args: string[]) => unknown, ...args: string[]): string {
  return `(${fn.toString()})(${args.map((arg) => JSON.stringify(arg)).join(", ")})`;
}
