import type { ProfileId } from "./rulebook.js";
import { PROFILES } from "./rulebook.js";

/** What a profile changes in the rules. Everything not listed here is the same in every profile. */
export interface ProfileBehaviour {
  id: ProfileId;
  description: string;
  /**
   * A PostgreSQL extended-protocol Parse message pins by itself ("A parse message was detected"). RDS Proxy did so
   * until it started multiplexing the extended query protocol on 10 November 2023.
   */
  postgresParsePins: boolean;
}

const BEHAVIOURS: Record<ProfileId, ProfileBehaviour> = {
  "rds-proxy": {
    id: "rds-proxy",
    description: "RDS Proxy as documented today: protocol-level Parse/Bind/Execute never pin by themselves.",
    postgresParsePins: false,
  },
  "rds-proxy-pre-2023": {
    id: "rds-proxy-pre-2023",
    description:
      "RDS Proxy before the 10 November 2023 extended-query-protocol launch: every PostgreSQL Parse message pins.",
    postgresParsePins: true,
  },
};

export function profileBehaviour(profile: ProfileId): ProfileBehaviour {
  const behaviour = Object.hasOwn(BEHAVIOURS, profile) ? BEHAVIOURS[profile] : undefined;
  if (!behaviour) throw new Error(`Unknown profile "${String(profile)}": expected one of ${PROFILES.join(", ")}`);
  return behaviour;
}
