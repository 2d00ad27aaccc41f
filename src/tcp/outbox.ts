/**
 * The ConnectionSink of one connection: segments and events wait here until
 * the owner polls, and the deadlines are kept here for the owner's timing
 * wheel. Every segment of the connection is built in emit(), so the ACK
 * field, the window and the timestamps are filled in one place.
 */
import { ConnectionTimers } from './connection-timers.js';
import type { ConnectionEvent } from './events.js';
import type { Receiver } from './receiver.js';
import { ACK, EMPTY_PAYLOAD, RST, type SackBlock, type Segment, type SegmentOptions } from './segment.js';
import type { Sender } from './sender.js';
import type { ConnectionSink, Negotiated } from './sink.js';

export class Outbox implements ConnectionSink {
  readonly timers = new ConnectionTimers();
  private segments: Segment[] = [];
  private events: ConnectionEvent[] = [];
  private snd!: Sender;
  private rcv!: Receiver;

  constructor(private readonly neg: Negotiated) {}

  /** Sender and receiver are built with this outbox as their sink, then joined to it. */
  bind(snd: Sender, rcv: Receiver): void {
    this.snd = snd;
    this.rcv = rcv;
  }

  emit(flags: number, seq: number, payload: Uint8Array, now: number, sack?: SackBlock[]): void {
    const ts = this.neg.ts;
    const options: SegmentOptions = {};
    if (ts.enabled && !(flags & RST)) options.ts = { val: ts.val(now), ecr: ts.recent };
    if (sack && flags & ACK && !(flags & RST)) options.sack = sack;
    const hasAck = (flags & ACK) !== 0;
    this.segments.push({
      seq,
      ack: hasAck ? this.rcv.nxt : 0,
      flags,
      window: flags & RST ? 0 : this.rcv.advertise(),
      options,
      payload,
    });
    if (hasAck) this.rcv.ackSent();
  }

  emitRaw(seg: Segment): void {
    this.segments.push(seg);
  }

  sendAck(now: number): void {
    this.emit(ACK, this.snd.nxt, EMPTY_PAYLOAD, now, this.rcv.sackBlocks());
  }

  sackBlocks(): SackBlock[] | undefined {
    return this.rcv.sackBlocks();
  }

  event(e: ConnectionEvent): void {
    this.events.push(e);
  }

  /** Drain what was produced since the last poll. */
  poll(): { segments: Segment[]; events: ConnectionEvent[] } {
    const r = { segments: this.segments, events: this.events };
    this.segments = [];
    this.events = [];
    return r;
  }
}
