export { BUILT_IN_PRICES_AS_OF, BuiltInPriceSource } from "./built-in-prices.js";
export {
  type CostComparisonResult,
  type CostInput,
  compareCosts,
  HOURS_PER_MONTH,
  RDS_PROXY_MIN_ACUS,
  RDS_PROXY_MIN_VCPUS,
} from "./compare-costs.js";
export { POOLER_HEADROOM, POOLER_NODES, POOLERS, type PoolerSizing, sizePooler } from "./pooler-sizing.js";
export { PriceListApiError, type PriceListApiOptions, PriceListApiSource } from "./price-list-api.js";
export {
  describeItem,
  type PriceItem,
  PriceNotFoundError,
  type PriceQuote,
  type PriceSource,
  type PriceSourceInfo,
} from "./price-source.js";
export { PRICING_REGIONS, type PricingRegion, pricingRegion, UnknownRegionError } from "./regions.js";
