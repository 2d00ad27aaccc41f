/**
 * What the engine tells its owner. 'closed' is emitted exactly once, when the
 * connection reaches CLOSED, and carries why:
 *  - normal: orderly close completed (or an orphan timed out in FIN_WAIT_2);
 *  - aborted: we reset it (abort(), close() with unread data, data after close);
 *  - ECONNRESET: the peer reset it;
 *  - ECONNREFUSED: the peer answered our SYN with RST;
 *  - ETIMEDOUT: retransmissions, SYN retries, persist or keepalive gave up.
 */
export type CloseReason = 'normal' | 'aborted' | 'ECONNRESET' | 'ECONNREFUSED' | 'ETIMEDOUT';

export type ConnectionEvent =
  | { type: 'established' }
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'peer-fin' }
  | { type: 'writable' }
  /** Our FIN was acknowledged: everything we wrote has been received. */
  | { type: 'fin-acked' }
  | { type: 'closed'; reason: CloseReason };
