/** The MySQL/MariaDB wire protocol: framing, packets, commands and where each response ends. */
export * from "./commands.js";
export * from "./constants.js";
export * from "./handshake.js";
export * from "./packet-framer.js";
export * from "./payload-reader.js";
export * from "./payload-writer.js";
export * from "./protocol-error.js";
export * from "./response-tracker.js";
export * from "./responses.js";
