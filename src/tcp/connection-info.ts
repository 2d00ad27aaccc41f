/**
 * A snapshot of a connection's variables, for stats, netstat-style listings
 * and tests; read from the parts, so Connection.info() stays one line.
 */
import type { ConnectionTimers, TimerKind } from './connection-timers.js';
import type { Receiver } from './receiver.js';
import type { Sender } from './sender.js';
import type { Negotiated } from './sink.js';
import type { TcpState } from './state.js';

/** A snapshot of the connection's variables, for stats and debugging. */
export interface ConnectionInfo {
  state: TcpState;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  rcvWnd: number;
  sndMss: number;
  cwnd: number;
  ssthresh: number;
  srtt: number | undefined;
  rto: number;
  sendQueued: number;
  unread: number;
  outOfOrderSegments: number;
  timestamps: boolean;
  sack: boolean;
  sndShift: number;
  rcvShift: number;
  /** Segments of data or FIN sent again (RTO, fast retransmit, SACK holes). */
  retransmits: number;
  /** The earliest armed timer and its deadline (in the caller's clock), as netstat's timer column. */
  timer: { kind: TimerKind; deadline: number } | undefined;
  /** Unanswered keepalive probes so far. */
  keepAliveProbesSent: number;
}

export function connectionInfo(
  state: TcpState,
  snd: Sender,
  rcv: Receiver,
  neg: Negotiated,
  timers: ConnectionTimers,
  keepAliveProbesSent: number,
): ConnectionInfo {
  return {
    state,
    iss: snd.iss,
    irs: rcv.irs,
    sndUna: snd.una,
    sndNxt: snd.nxt,
    sndWnd: snd.wnd,
    rcvNxt: rcv.nxt,
    rcvWnd: rcv.wnd(),
    sndMss: snd.mss,
    cwnd: snd.cc.cwnd,
    ssthresh: snd.cc.ssthresh,
    srtt: snd.rtt.srtt,
    rto: snd.rtt.rto,
    sendQueued: snd.buf.length,
    unread: rcv.window.unread,
    outOfOrderSegments: rcv.reassembly.segmentCount,
    timestamps: neg.ts.enabled,
    sack: neg.sackOk,
    sndShift: snd.shift,
    rcvShift: rcv.window.shift,
    retransmits: snd.retransmits,
    timer: timers.earliest(),
    keepAliveProbesSent,
  };
}
