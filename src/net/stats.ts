/**
 * stats() and connections(): counters named like Linux's nstat where they
 * mean the same thing, and a netstat-like listing. Pure functions over the
 * engine's counters, the listener's counters and the stack's connections, so
 * they are unit-tested on their own.
 */
import type { EngineCounters } from '../engine/packet-engine.js';
import type { KernelTcpInfo, KernelTcpState } from '../engine/kernel-socket.js';
import type { ListenerCounters } from '../stack/listener.js';
import type { StackConnectionInfo } from '../stack/stack-connection.js';
import type { TcpState } from '../tcp/state.js';
import type { SharedStackCounters } from './shared-stack.js';

export interface ServerStats {
  /** Cookie SYN-ACKs sent (native). */
  SyncookiesSent: number;
  /** Cookie ACKs that validated. */
  SyncookiesRecv: number;
  /** Cookie ACKs that failed validation. */
  SyncookiesFailed: number;
  /** Handshakes dropped because the accept queue was full (SYNs and final ACKs). */
  ListenOverflows: number;
  /** Every SYN or final ACK dropped at the listener (overflows included, as Linux). */
  ListenDrops: number;
  /** Active opens (connect()) of this engine. */
  ActiveOpens: number;
  /** Passive opens: stateful SYN_RCVD made plus connections born from a cookie. */
  PassiveOpens: number;
  /** Connections now ESTABLISHED or CLOSE_WAIT. */
  CurrEstab: number;
  /** Established connections that ended by RST (either side) or timeout. */
  EstabResets: number;
  /** TCP frames to our address the engine received (frames in minus ARP). */
  InSegs: number;
  /** TCP frames sent (frames out minus ARP replies). */
  OutSegs: number;
  /** Data or FIN segments sent again. */
  RetransSegs: number;
  /** RSTs sent by native code (to strays, failed cookies, closed ports). */
  OutRsts: number;
  /** Accepted connections handed to the application by this server. */
  Accepted: number;
  /** Kernel data path: connections handed to the kernel's TCP, and handoffs that failed (reset). */
  Handoffs: number;
  HandoffFailures: number;
  /** Half-open connections waiting in this server's SYN queue now. */
  SynQueue: number;
  /** Established connections waiting in the accept queue now. */
  AcceptQueue: number;
  /** The engine's own counters, all of them. */
  engine: EngineCounters;
}

export interface StatsInput {
  engine: EngineCounters;
  /** Live listeners' counters (this server's). */
  listeners: ListenerCounters[];
  /** The shared stack's own counters. */
  shared: SharedStackCounters;
  /** info() of every live connection of the engine. */
  connections: Array<Pick<StackConnectionInfo, 'state' | 'retransmits'>>;
  synQueue: number;
  acceptQueue: number;
  /** Kernel data path: handed-off sockets now ESTABLISHED or CLOSE_WAIT. */
  kernelEstablished?: number;
}

export function computeStats(i: StatsInput): ServerStats {
  const sum = (f: (l: ListenerCounters) => number): number => i.listeners.reduce((a, l) => a + f(l), 0);
  const overflows = sum((l) => l.acceptQueueOverflows) + i.shared.listenOverflowsClosed;
  const drops = overflows + sum((l) => l.synsDropped) + i.shared.listenDropsClosed + i.engine.listenDrops;
  let estab = i.kernelEstablished ?? 0;
  let retrans = i.shared.retransClosed;
  for (const c of i.connections) {
    if (c.state === 'ESTABLISHED' || c.state === 'CLOSE_WAIT') estab++;
    retrans += c.retransmits;
  }
  return {
    SyncookiesSent: i.engine.syncookiesSent,
    SyncookiesRecv: i.engine.syncookiesRecv,
    SyncookiesFailed: i.engine.syncookiesFailed,
    ListenOverflows: overflows,
    ListenDrops: drops,
    ActiveOpens: i.shared.activeOpens,
    PassiveOpens: sum((l) => l.synsQueued + l.cookieConnections) + i.shared.passiveOpensClosed,
    CurrEstab: estab,
    EstabResets: i.shared.estabResets,
    InSegs: Math.max(0, i.engine.framesIn - i.engine.arpRequests),
    OutSegs: Math.max(0, i.engine.framesOut - i.engine.arpReplies),
    RetransSegs: retrans,
    OutRsts: i.engine.rstsSent,
    Accepted: sum((l) => l.accepted),
    Handoffs: sum((l) => l.handoffs),
    HandoffFailures: sum((l) => l.handoffFailures),
    SynQueue: i.synQueue,
    AcceptQueue: i.acceptQueue,
    engine: i.engine,
  };
}

/** One line of connections(), like `netstat -tno`. */
export interface ConnectionListing {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: TcpState;
  /** Bytes written and not yet acknowledged by the peer (netstat Send-Q). */
  sendQueue: number;
  /** Bytes received and not yet read by the application (netstat Recv-Q). */
  recvQueue: number;
  /** netstat -o: 'on' (retransmit/persist/delayed ACK), 'keepalive', 'timewait' (TIME_WAIT, FIN_WAIT_2) or 'off'. */
  timer: 'on' | 'keepalive' | 'timewait' | 'off';
  /** ms until that timer fires (0 when off). */
  timerMs: number;
  /** Retransmissions so far (data/FIN) and keepalive probes unanswered: netstat's (x/y/z) counts. */
  retransmits: number;
  probes: number;
  /** How the connection began; 'kernel': handed to the kernel's TCP (kernel data path). */
  origin: StackConnectionInfo['origin'] | 'kernel';
  /** Kernel data path: the kernel's TCP_INFO. */
  kernel?: KernelTcpInfo;
}

export function listing(info: StackConnectionInfo, now: number): ConnectionListing {
  let timer: ConnectionListing['timer'] = 'off';
  let timerMs = 0;
  if (info.timer) {
    timerMs = Math.max(0, Math.round(info.timer.deadline - now));
    switch (info.timer.kind) {
      case 'keepAlive':
        timer = 'keepalive';
        break;
      case 'timeWait':
      case 'finWait2':
        timer = 'timewait';
        break;
      default:
        timer = 'on';
    }
  }
  return {
    localAddress: info.localAddress,
    localPort: info.localPort,
    remoteAddress: info.remoteAddress,
    remotePort: info.remotePort,
    state: info.state,
    sendQueue: info.sendQueued,
    recvQueue: info.unread,
    timer,
    timerMs,
    retransmits: info.retransmits,
    probes: info.keepAliveProbesSent,
    origin: info.origin,
  };
}

/** The listing as netstat prints it (one header line, one line per connection). */
export function formatListing(rows: ConnectionListing[]): string {
  const head = 'Recv-Q Send-Q Local Address           Foreign Address         State        Timer';
  const lines = rows.map((r) => {
    const t = r.timer === 'off' ? 'off (0.00/0/0)' : `${r.timer} (${(r.timerMs / 1000).toFixed(2)}/${r.retransmits}/${r.probes})`;
    return `${String(r.recvQueue).padStart(6)} ${String(r.sendQueue).padStart(6)} ${`${r.localAddress}:${r.localPort}`.padEnd(23)} ${`${r.remoteAddress}:${r.remotePort}`.padEnd(23)} ${r.state.padEnd(12)} ${t}`;
  });
  return [head, ...lines].join('\n');
}
