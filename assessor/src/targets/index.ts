export {
  findInstanceClass,
  INSTANCE_CLASSES,
  INSTANCE_FAMILIES,
  type InstanceClass,
  normalizeFamily,
  requireInstanceClass,
  UnknownInstanceClassError,
} from "./instance-classes.js";
export {
  defaultMaxConnections,
  estimateDbInstanceClassMemory,
  type MaxConnectionsEstimate,
  maxConnectionsEstimate,
  serverlessV2MaxConnections,
  smallestClassFor,
  TargetNotSupportedError,
  type TargetOptions,
} from "./max-connections.js";
