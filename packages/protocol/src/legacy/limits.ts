/**
 * Size limit of one request or one reply datagram: the original's
 * `DATAGRAM_SOCK_BUF_SIZE` (PROTOCOL.md 1). Requests above it are refused
 * (`400 request too large`), replies above it become `500 reply too large`.
 */
export const MAX_DATAGRAM_SIZE = 65457;

/**
 * Most arguments one request can carry: every argument takes at least two
 * bytes (`x\n`, the last one may omit its newline) after a first line of at
 * least four (`:c:\n`). Not a separate check, a consequence of
 * {@link MAX_DATAGRAM_SIZE}; exported so callers can size things.
 */
export const MAX_ARGUMENTS = Math.ceil((MAX_DATAGRAM_SIZE - 4) / 2);
