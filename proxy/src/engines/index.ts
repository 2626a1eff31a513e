/**
 * The engines the proxy speaks, chosen by the target URL's scheme (`--target postgres://...`). An engine is added
 * with one line here; a scheme no engine claims is a settings error naming the schemes there are.
 */
import type { Engine } from "../core/engine.js";
import { mysqlEngine } from "./mysql/engine.js";
import { postgresEngine } from "./postgres/engine.js";

export const ENGINES: readonly Engine[] = [postgresEngine, mysqlEngine];
