/**
 * RFC 7323 timestamps of one connection: our TSval clock (milliseconds plus
 * a per-connection offset, section 5.4), TS.Recent for echoing, PAWS
 * (section 5) and RTT samples from TSecr (section 4).
 */
import { seqGe, seqLe, seqLt, seqSub } from './seq.js';

/** RFC 7323 5.5: TS.Recent older than 24 days is no longer used for PAWS. */
export const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;

export class TimestampState {
  /** Both SYNs carried the option. */
  enabled = false;
  /** TS.Recent: the peer's TSval to echo. */
  recent = 0;
  private recentTime = 0;

  constructor(private readonly offset: number) {}

  /** TSval for a segment sent at `now` (a 1 ms clock). */
  val(now: number): number {
    return (Math.floor(now) + this.offset) >>> 0;
  }

  /** Negotiated on the SYNs: start echoing the peer's clock. */
  enable(peerVal: number, now: number): void {
    this.enabled = true;
    this.recent = peerVal;
    this.recentTime = now;
  }

  /** PAWS (RFC 7323 5.3): is this TSval older than TS.Recent, while TS.Recent is still valid? */
  isOld(tsVal: number, now: number): boolean {
    return seqLt(tsVal, this.recent) && now - this.recentTime <= PAWS_IDLE_MS;
  }

  /** RFC 7323 4.3: remember the TSval of a segment that covers Last.ACK.sent. */
  update(tsVal: number, segSeq: number, lastAckSent: number, now: number): void {
    if (seqGe(tsVal, this.recent) && seqLe(segSeq, lastAckSent)) {
      this.recent = tsVal;
      this.recentTime = now;
    }
  }

  /** An RTT sample from an echoed TSval, if it makes sense. */
  rtt(ecr: number, now: number): number | undefined {
    if (ecr === 0) return undefined; // RFC 7323 3.2: TSecr is 0 when not yet valid
    const r = seqSub(this.val(now), ecr);
    return r >= 0 ? r : undefined;
  }
}
