/**
 * AWS regions as the Price List API names them. Products carry a `location` ("US East (N. Virginia)") and usage
 * types carry a region prefix ("USE1-RDS:ProxyUsage"); both are fixed vocabularies of the price list, not derivable
 * from the region code.
 */
export interface PricingRegion {
  location: string;
  usagePrefix: string;
}

export const PRICING_REGIONS: Readonly<Record<string, PricingRegion>> = {
  "us-east-1": { location: "US East (N. Virginia)", usagePrefix: "USE1" },
  "us-east-2": { location: "US East (Ohio)", usagePrefix: "USE2" },
  "us-west-1": { location: "US West (N. California)", usagePrefix: "USW1" },
  "us-west-2": { location: "US West (Oregon)", usagePrefix: "USW2" },
  "ca-central-1": { location: "Canada (Central)", usagePrefix: "CAN1" },
  "eu-west-1": { location: "EU (Ireland)", usagePrefix: "EU" },
  "eu-west-2": { location: "EU (London)", usagePrefix: "EUW2" },
  "eu-west-3": { location: "EU (Paris)", usagePrefix: "EUW3" },
  "eu-central-1": { location: "EU (Frankfurt)", usagePrefix: "EUC1" },
  "eu-north-1": { location: "EU (Stockholm)", usagePrefix: "EUN1" },
  "eu-south-1": { location: "EU (Milan)", usagePrefix: "EUS1" },
  "ap-northeast-1": { location: "Asia Pacific (Tokyo)", usagePrefix: "APN1" },
  "ap-northeast-2": { location: "Asia Pacific (Seoul)", usagePrefix: "APN2" },
  "ap-northeast-3": { location: "Asia Pacific (Osaka)", usagePrefix: "APN3" },
  "ap-southeast-1": { location: "Asia Pacific (Singapore)", usagePrefix: "APS1" },
  "ap-southeast-2": { location: "Asia Pacific (Sydney)", usagePrefix: "APS2" },
  "ap-south-1": { location: "Asia Pacific (Mumbai)", usagePrefix: "APS3" },
  "sa-east-1": { location: "South America (Sao Paulo)", usagePrefix: "SAE1" },
};

export class UnknownRegionError extends Error {
  constructor(readonly region: string) {
    super(`unknown AWS region "${region}" for pricing; known: ${Object.keys(PRICING_REGIONS).join(", ")}`);
    this.name = "UnknownRegionError";
  }
}

export function pricingRegion(region: string): PricingRegion {
  const found = PRICING_REGIONS[region];
  if (!found) throw new UnknownRegionError(region);
  return found;
}
