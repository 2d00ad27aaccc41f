/**
 * One TcpStack (one PacketEngine, one I/O thread) per (netns, interface,
 * address), shared by every Server and connect() socket that names it: two
 * engines answering for the same address on one link would both reply.
 *
 * Users acquire and release it. When the last user is gone, the engine stays
 * open only while connections are still delivering data (FIN_WAIT_1,
 * LAST_ACK, CLOSING, ESTABLISHED or CLOSE_WAIT of a socket being destroyed),
 * at most `drainTimeout` ms; TIME_WAIT and FIN_WAIT_2 (our data all
 * acknowledged) do not hold it. Then the stack and the engine are closed: the
 * I/O thread stops, the fd is closed, and nothing keeps the process alive.
 */
import type { PacketEngine } from '../engine/packet-engine.js';
import { TcpStack } from '../stack/stack.js';
import type { StackConnection } from '../stack/stack-connection.js';
import type { TcpState } from '../tcp/state.js';
import type { CloseReason } from '../tcp/events.js';
import { engineKey, type SplitEngine } from './options.js';
import { isDeepStrictEqual } from 'node:util';

/** Counters kept here because no lower layer keeps them past a connection's life. */
export interface SharedStackCounters {
  activeOpens: number;
  /** Established connections that ended by RST or timeout (Linux EstabResets). */
  estabResets: number;
  /** Retransmitted segments of connections already closed. */
  retransClosed: number;
  /** Passive opens of listeners already closed. */
  passiveOpensClosed: number;
  /** Listen drops and overflows of listeners already closed. */
  listenOverflowsClosed: number;
  listenDropsClosed: number;
}

const SETTLED: ReadonlySet<TcpState> = new Set<TcpState>(['TIME_WAIT', 'FIN_WAIT_2', 'CLOSED']);

export class SharedStack {
  readonly key: string;
  readonly stack: TcpStack;
  /** The engine TcpStack.open() made (a real PacketEngine). */
  readonly engine: PacketEngine;
  readonly tcpOptions: SplitEngine['tcp'];
  readonly counters: SharedStackCounters = {
    activeOpens: 0,
    estabResets: 0,
    retransClosed: 0,
    passiveOpensClosed: 0,
    listenOverflowsClosed: 0,
    listenDropsClosed: 0,
  };
  private readonly users = new Set<object>();
  private readonly unrefd = new Set<object>();
  private readonly tracked = new WeakSet<StackConnection>();
  private drainTimeout: number;
  private drainTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private engineRefd = true;
  closed = false;

  constructor(key: string, stack: TcpStack, tcp: SplitEngine['tcp'], drainTimeout: number) {
    this.key = key;
    this.stack = stack;
    this.engine = stack.engine as unknown as PacketEngine;
    this.tcpOptions = tcp;
    this.drainTimeout = drainTimeout;
  }

  add(user: object, drainTimeout: number): void {
    this.users.add(user);
    this.drainTimeout = drainTimeout;
    if (this.draining) this.stopDraining();
    this.syncRef();
  }

  remove(user: object): void {
    if (!this.users.delete(user)) return;
    this.unrefd.delete(user);
    if (this.users.size === 0) this.startDraining();
    else this.syncRef();
  }

  setRef(user: object, ref: boolean): void {
    if (!this.users.has(user)) return;
    if (ref) this.unrefd.delete(user);
    else this.unrefd.add(user);
    this.syncRef();
  }

  /** Count a connection's fate (EstabResets, RetransSegs) once it closes, whoever holds it. */
  track(sc: StackConnection, established: () => boolean): void {
    if (this.tracked.has(sc)) return;
    this.tracked.add(sc);
    sc.once('close', (reason: CloseReason) => {
      this.counters.retransClosed += sc.conn.info().retransmits;
      if (established() && (reason === 'ECONNRESET' || reason === 'ETIMEDOUT' || reason === 'aborted')) this.counters.estabResets++;
      if (this.draining) this.checkDrained();
    });
    sc.on('finAcked', () => {
      if (this.draining) this.checkDrained();
    });
  }

  private syncRef(): void {
    if (this.closed) return;
    const want = this.users.size > 0 ? this.unrefd.size < this.users.size : true;
    if (want === this.engineRefd) return;
    this.engineRefd = want;
    if (want) this.engine.ref();
    else this.engine.unref();
  }

  private startDraining(): void {
    this.draining = true;
    this.syncRef();
    if (this.checkDrained()) return;
    this.drainTimer = setTimeout(() => this.shutdown(), this.drainTimeout);
    this.drainTimer.unref();
    // Connections not yet tracked (never handed to a socket) still end by
    // themselves; watch them too.
    for (const sc of this.stack.connections()) {
      sc.once('close', () => this.draining && this.checkDrained());
      sc.on('finAcked', () => this.draining && this.checkDrained());
    }
  }

  private stopDraining(): void {
    this.draining = false;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  private checkDrained(): boolean {
    if (this.closed) return true;
    for (const sc of this.stack.connections()) if (!SETTLED.has(sc.state)) return false;
    // Close on a fresh turn: we may be inside the stack's own event dispatch.
    setImmediate(() => {
      if (this.draining && this.users.size === 0) this.shutdown();
    });
    return true;
  }

  private shutdown(): void {
    if (this.closed) return;
    this.stopDraining();
    this.closed = true;
    sharedStacks.delete(this.key);
    this.stack.close();
  }
}

const sharedStacks = new Map<string, SharedStack>();

/**
 * The shared stack for these engine options, opened if needed (engine errors
 * -- unknown interface, missing capability -- are thrown from here).
 */
export function acquireStack(user: object, o: SplitEngine): SharedStack {
  const key = engineKey(o.engine);
  let shared = sharedStacks.get(key);
  if (shared && !shared.closed) {
    if (o.tcp !== undefined && shared.tcpOptions !== undefined && !isDeepStrictEqual(o.tcp, shared.tcpOptions)) {
      throw Object.assign(
        new Error(`the engine for ${o.engine.interface} ${o.engine.address} is already open with other tcp options; one engine serves one address`),
        { code: 'EINVAL' },
      );
    }
  } else {
    const stack = TcpStack.open(o.engine, o.tcp ? { tcp: o.tcp } : {});
    shared = new SharedStack(key, stack, o.tcp, o.drainTimeout);
    sharedStacks.set(key, shared);
  }
  shared.add(user, o.drainTimeout);
  return shared;
}

/** @internal for tests: how many shared stacks (engines) are open. */
export function openEngineCount(): number {
  return sharedStacks.size;
}
