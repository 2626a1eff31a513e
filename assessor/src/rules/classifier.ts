import type { Engine } from "../events/log-event.js";
import { StatementCache } from "../statements/statement-cache.js";
import { type FastPath, certainlyDoesNotPin } from "./fast-path.js";
import { FindingCollector, pinFinding } from "./findings.js";
import type { ProfileBehaviour } from "./profiles.js";
import type { Classification, PinFinding, Rulebook, StatementToClassify } from "./rulebook.js";

/** What an engine module (postgres.ts, mysql.ts) supplies; the shared pipeline around it lives here. */
export interface EngineRules {
  readonly engine: Engine;
  readonly fastPath: FastPath;
  /** Classifies the whole text (every statement of a multi-statement text) into `findings`. Never throws. */
  analyze(text: string, findings: FindingCollector): "parser" | "lexical";
  /** A finding caused by the protocol message itself rather than its SQL (a Parse), or undefined. */
  protocolFinding(statement: StatementToClassify, profile: ProfileBehaviour): PinFinding | undefined;
}

const STATEMENT_SIZE_LIMIT = 16 * 1024;

const NO_PIN: Classification = freeze({ findings: [], method: "fast-path", notInspected: [] });

/**
 * The classification pipeline every engine shares: size rule, fast path, a bounded cache of full classifications
 * keyed by exact text, then the protocol finding. Returned classifications are frozen (they may be shared through
 * the cache), so callers must copy before changing one.
 */
export function createRulebook(rules: EngineRules, profile: ProfileBehaviour): Rulebook {
  const cache = new StatementCache<Classification>();
  // The text classified last and its answer: consecutive statements often share a text (a driver executing one
  // prepared statement over and over), and a different text costs one failed string comparison.
  let lastText: string | undefined;
  let lastClassification = NO_PIN;

  const classifyText = (text: string): Classification => {
    if (text === lastText) return lastClassification;
    lastClassification = classifyNewText(text);
    // A text over the size limit pins by its size alone and is not kept alive for the next comparison.
    lastText = text.length <= STATEMENT_SIZE_LIMIT ? text : undefined;
    return lastClassification;
  };

  const classifyNewText = (text: string): Classification => {
    const oversize = bytesOverLimit(text);
    if (certainlyDoesNotPin(text, rules.fastPath)) {
      return oversize === undefined ? NO_PIN : freeze({ findings: [oversizeFinding(oversize)], method: "fast-path", notInspected: [] });
    }
    const known = cache.get(text);
    if (known) return known;
    const findings = new FindingCollector();
    if (oversize !== undefined) findings.add("any.statement_over_16kb", `${oversize} bytes`);
    const method = rules.analyze(text, findings);
    const classification = freeze({ findings: findings.findings(), method, notInspected: findings.notInspectedDetails() });
    cache.set(text, classification);
    return classification;
  };

  return {
    engine: rules.engine,
    profile: profile.id,
    classify(statement: StatementToClassify): Classification {
      const text = classifyText(typeof statement.text === "string" ? statement.text : "");
      const protocol = rules.protocolFinding(statement, profile);
      if (!protocol) return text;
      const rest = text.findings.filter((finding) => finding.rule !== protocol.rule);
      return freeze({ findings: [protocol, ...rest], method: text.method, notInspected: text.notInspected });
    },
  };
}

function oversizeFinding(bytes: number): PinFinding {
  return pinFinding("any.statement_over_16kb", [`${bytes} bytes`]);
}

/**
 * The UTF-8 size of a text larger than 16 KB, else undefined. Computed only near the limit: a UTF-16 code unit takes
 * 1 to 3 bytes (a surrogate pair 4 for 2 units), so length is a lower bound and 3 × length an upper bound.
 */
function bytesOverLimit(text: string): number | undefined {
  if (text.length * 3 <= STATEMENT_SIZE_LIMIT) return undefined;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > STATEMENT_SIZE_LIMIT ? bytes : undefined;
}

function freeze(classification: Classification): Classification {
  Object.freeze(classification.findings);
  Object.freeze(classification.notInspected);
  return Object.freeze(classification);
}
