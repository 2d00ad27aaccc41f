/** The eleven connection states of RFC 9293 section 3.3.2. */
export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN_SENT'
  | 'SYN_RCVD'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSING'
  | 'TIME_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK';

/** States in which we may still send new data (RFC 9293 3.10.2, SEND call). */
export function canSendData(s: TcpState): boolean {
  return s === 'ESTABLISHED' || s === 'CLOSE_WAIT';
}

/** States in which the peer may still send us data (before its FIN). */
export function canReceiveData(s: TcpState): boolean {
  return s === 'ESTABLISHED' || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2';
}

/** States with our FIN queued or sent. */
export function isSendShutdown(s: TcpState): boolean {
  return s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2' || s === 'CLOSING' || s === 'TIME_WAIT' || s === 'LAST_ACK';
}
