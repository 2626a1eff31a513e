export { ConfigError, loadSettings, type SettingSources } from "./load.js";
export { type ClientAuthType, SETTINGS, type HostPort, type ProxySettings, type SettingDefinition, type SettingKind, type TargetSettings } from "./settings.js";
export { fetchSecrets, parseUsersFile, readUsersFile } from "./users.js";
