/** The one error this module throws: a peer broke the protocol. Anything else thrown from here is a bug. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    /** MySQL error number to report to the peer (ER_MALFORMED_PACKET unless said otherwise). */
    readonly errno: number = ErrorNumber.MALFORMED_PACKET,
    /** SQLSTATE to report to the peer. */
    readonly sqlState = "HY000",
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Server error numbers the proxy reports itself (MySQL's include/mysqld_error.h). */
export const ErrorNumber = {
  /** ER_NET_PACKET_TOO_LARGE, SQLSTATE 08S01. */
  NET_PACKET_TOO_LARGE: 1153,
  /** ER_NET_PACKETS_OUT_OF_ORDER, SQLSTATE 08S01. */
  NET_PACKETS_OUT_OF_ORDER: 1156,
  /** ER_UNKNOWN_COM_ERROR, SQLSTATE 08S01. */
  UNKNOWN_COM_ERROR: 1047,
  /** ER_MALFORMED_PACKET, SQLSTATE HY000. */
  MALFORMED_PACKET: 1835,
  /** ER_ACCESS_DENIED_ERROR, SQLSTATE 28000. */
  ACCESS_DENIED: 1045,
  /** ER_HANDSHAKE_ERROR, SQLSTATE 08S01. */
  HANDSHAKE_ERROR: 1043,
} as const;
