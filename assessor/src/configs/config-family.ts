import type { Engine } from "../events/log-event.js";
import type { ConfigFinding } from "../report/report.js";
import type { PinFinding, ProfileId } from "../rules/rulebook.js";
import type { ConfigDocument } from "./config-document.js";

export interface ConfigContext {
  /** The engine of the assessment; a file whose own engine is clear (a jdbc:mysql URL) is read as that engine. */
  engine?: Engine;
  profile: ProfileId;
  /** The proxy's idle_client_timeout in seconds (RDS Proxy default 1800). */
  idleClientTimeoutSeconds: number;
}

export interface ConfigProblem {
  file: string;
  line?: number;
  message: string;
}

export interface FamilyContext extends ConfigContext {
  /** The pinning rulebook, for SQL found in configs (init SQL, session variables). */
  classifySql(engine: Engine, sql: string): PinFinding[];
}

/**
 * One driver or ORM family. Detection is by content: a confidence in 0..1, where 0.5 and above means "this file
 * configures me". Analysis never throws; what it cannot read becomes a problem.
 */
export interface ConfigFamily {
  readonly id: string;
  readonly title: string;
  detect(file: ConfigDocument): number;
  analyze(file: ConfigDocument, context: FamilyContext): { findings: ConfigFinding[]; problems?: ConfigProblem[] };
}

export const DETECTED = 0.5;
