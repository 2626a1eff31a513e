/** MySQL authentication plugins, both sides, and the connection phase built on them. */
export * from "./auth-plugin.js";
export * from "./caching-sha2-password.js";
export * from "./login.js";
export * from "./native-password.js";
