/**
 * Retransmission timeout per RFC 6298: SRTT/RTTVAR smoothing (section 2),
 * clamped to [rtoMin, rtoMax] (Linux's 200 ms floor instead of the RFC's 1 s,
 * which the RFC allows in 2.4 as a SHOULD), exponential backoff (5.5) that
 * stays until a fresh sample arrives (Karn, section 5 note).
 */
export class RttEstimator {
  private srttMs: number | undefined;
  private rttvarMs = 0;
  private baseRto: number;
  private backoffShift = 0;

  constructor(
    initialRto: number,
    private readonly rtoMin: number,
    private readonly rtoMax: number,
  ) {
    this.baseRto = Math.min(Math.max(initialRto, rtoMin), rtoMax);
  }

  /** Current RTO in ms, backoff included. */
  get rto(): number {
    return Math.min(this.baseRto * 2 ** this.backoffShift, this.rtoMax);
  }

  get srtt(): number | undefined {
    return this.srttMs;
  }

  get rttvar(): number {
    return this.rttvarMs;
  }

  /** Feed one RTT measurement in ms (RFC 6298 2.2 / 2.3). */
  sample(r: number): void {
    if (!(r >= 0)) return;
    if (this.srttMs === undefined) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    const g = 1; // clock granularity: the engine's clock is in ms
    this.baseRto = Math.min(Math.max(this.srttMs + Math.max(g, 4 * this.rttvarMs), this.rtoMin), this.rtoMax);
    this.backoffShift = 0;
  }

  /** Double the RTO after a timeout (RFC 6298 5.5). */
  backoff(): void {
    if (this.rto < this.rtoMax) this.backoffShift++;
  }
}
