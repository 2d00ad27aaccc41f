/**
 * NewReno congestion control: slow start and congestion avoidance (RFC 5681
 * section 3.1) and fast retransmit / fast recovery with NewReno's partial-ACK
 * handling (RFC 6582 section 3.2). All sizes in bytes.
 *
 * With SACK, recovery is driven by the scoreboard's pipe estimate (RFC 6675)
 * and cwnd is not inflated by duplicate ACKs; without SACK, cwnd is inflated
 * by one SMSS per duplicate ACK as RFC 5681 3.2 step 4 says.
 */
export class NewReno {
  cwnd: number;
  ssthresh = 0x7fffffff;
  /** RFC 6582 "recover": highest sequence sent when recovery began. */
  recover: number;
  inRecovery = false;
  dupAcks = 0;
  /** Bytes acked since cwnd last grew in congestion avoidance (RFC 5681 3.1, byte counting). */
  private acked = 0;

  constructor(
    public smss: number,
    iss: number,
  ) {
    this.cwnd = NewReno.initialWindow(smss);
    this.recover = iss;
  }

  /** RFC 6928 initial window: min(10*MSS, max(2*MSS, 14600)). */
  static initialWindow(smss: number): number {
    return Math.min(10 * smss, Math.max(2 * smss, 14_600));
  }

  /**
   * The connection is established: the SMSS is known now, and a SYN or
   * SYN-ACK that had to be sent again leaves one segment (RFC 5681 3.1).
   */
  start(smss: number, handshakeLoss: boolean, iss: number): void {
    this.smss = smss;
    this.cwnd = handshakeLoss ? smss : NewReno.initialWindow(smss);
    this.recover = iss;
  }

  /**
   * RFC 5681 4.1: after an idle period longer than the RTO the ACK clock is
   * gone; restart from at most the initial window (Linux does too).
   */
  restartAfterIdle(): void {
    this.cwnd = Math.min(this.cwnd, NewReno.initialWindow(this.smss));
  }

  /** A duplicate ACK (RFC 5681 3.2): returns how many in a row. */
  duplicateAck(): number {
    return ++this.dupAcks;
  }

  /** New data acknowledged outside recovery: the duplicate count restarts, cwnd grows. */
  onAck(ackedBytes: number): void {
    this.dupAcks = 0;
    if (this.cwnd < this.ssthresh) {
      // Slow start, RFC 5681 (3.2): at most SMSS per ACK (RFC 3465 L=1).
      this.cwnd += Math.min(ackedBytes, this.smss);
    } else {
      this.acked += ackedBytes;
      if (this.acked >= this.cwnd) {
        this.acked -= this.cwnd;
        this.cwnd += this.smss;
      }
    }
  }

  /** Enter fast recovery (RFC 5681 3.2 steps 2-3, RFC 6582 3.2 step 2). */
  enterRecovery(flightSize: number, highestSent: number, sack: boolean): void {
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.smss);
    this.recover = highestSent;
    this.inRecovery = true;
    this.cwnd = sack ? this.ssthresh : this.ssthresh + 3 * this.smss;
  }

  /** A further duplicate ACK in recovery (RFC 5681 3.2 step 4). */
  inflate(): void {
    this.cwnd += this.smss;
  }

  /** RFC 6582 3.2 step 3, partial ACK: deflate by the newly acked amount. */
  partialAck(ackedBytes: number, sack: boolean): void {
    if (sack) return;
    this.cwnd = Math.max(this.cwnd - ackedBytes, this.smss);
    if (ackedBytes >= this.smss) this.cwnd += this.smss;
  }

  /** RFC 6582 3.2 step 3, full ACK: leave recovery ("option 1" of the RFC). */
  exitRecovery(flightSize: number): void {
    this.cwnd = Math.min(this.ssthresh, Math.max(flightSize, this.smss) + this.smss);
    this.inRecovery = false;
    this.dupAcks = 0;
    this.acked = 0;
  }

  /** Retransmission timeout (RFC 5681 3.1 eq. 4 and the loss window). */
  onTimeout(flightSize: number, highestSent: number): void {
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.smss);
    this.cwnd = this.smss;
    this.inRecovery = false;
    this.dupAcks = 0;
    this.acked = 0;
    // RFC 6582 section 4: no fast retransmit for duplicate ACKs of data sent before the timeout.
    this.recover = highestSent;
  }
}
