import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPgliteDatabase } from "../../../src/server/storage/pglite-database.js";
import { describeStoreConformance } from "./store-conformance.js";

describeStoreConformance(
  "embedded PGlite",
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "proxyfit-store-"));
    return {
      open: () => openPgliteDatabase(dataDir),
      remove: () => rm(dataDir, { recursive: true, force: true }),
    };
  },
  false,
);
