import { randomBytes } from "node:crypto";
import pg from "pg";
import { openPostgresDatabase } from "../../../src/server/storage/postgres-database.js";
import { describeStoreConformance } from "./store-conformance.js";

/** The shared local server; each run works in a database of its own, dropped afterwards. */
const SERVER = "postgres://postgres@127.0.0.1:5432";

describeStoreConformance(
  "PostgreSQL server",
  async () => {
    const name = `proxyfit_store_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    // template0 accepts no connections, so a colleague's session on template1 cannot make this fail.
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    await admin.end();
    return {
      open: () =>
        openPostgresDatabase(`${SERVER}/${name}`, (error) => {
          throw error;
        }),
      async remove() {
        const dropper = new pg.Client({ connectionString: `${SERVER}/postgres` });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
  },
  true,
);
