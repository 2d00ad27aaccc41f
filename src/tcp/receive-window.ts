/**
 * The receive window (RFC 9293 3.8.6): what we offer the peer is the free
 * space of the receive buffer, where "used" means delivered to the user but
 * not yet consumed(). The right edge never moves left (3.8.6: shrinking the
 * window is strongly discouraged) and moves right only in steps of at least
 * min(buffer/2, MSS), the receiver's silly window avoidance (3.8.6.2.2).
 */
import { seqAdd, seqGt, seqLt, seqSub } from './seq.js';

export class ReceiveWindow {
  /** Right edge of the window we have advertised. */
  private right = 0;
  /** Our window scale shift (RFC 7323 2.3), 0 when not negotiated. */
  shift = 0;
  /** Bytes delivered to the user and not yet consumed. */
  unread = 0;

  constructor(readonly bufferSize: number) {}

  /** Set the right edge outright: the window offered on our SYN or SYN-ACK. */
  offer(rcvNxt: number, bytes: number): void {
    this.right = seqAdd(rcvNxt, bytes);
  }

  /** RCV.WND: what the peer may send beyond rcvNxt, by our last advertisement. */
  wnd(rcvNxt: number): number {
    return Math.max(0, seqSub(this.right, rcvNxt));
  }

  delivered(n: number): void {
    this.unread += n;
  }

  /** The FIN took a sequence number but no buffer space: keep the window as it was. */
  finReceived(): void {
    this.right = seqAdd(this.right, 1);
  }

  /**
   * The user consumed n bytes. Returns true when a window update is worth a
   * segment of its own: the window opens by at least the SWS threshold and
   * at least doubles (the rule of Linux's tcp_cleanup_rbuf).
   */
  consumed(n: number, rcvNxt: number, mss: number): boolean {
    const before = this.wnd(rcvNxt);
    this.unread = Math.max(0, this.unread - n);
    const after = this.bufferSize - this.unread;
    return after - before >= this.threshold(mss) && after >= 2 * before;
  }

  /** The 16-bit window field for a non-SYN segment; may move the right edge. */
  advertise(rcvNxt: number, mss: number): number {
    const edge = seqAdd(rcvNxt, Math.max(0, this.bufferSize - this.unread));
    if (seqGt(edge, this.right) && seqSub(edge, this.right) >= this.threshold(mss)) this.right = edge;
    if (seqLt(this.right, rcvNxt)) this.right = rcvNxt;
    return Math.min(seqSub(this.right, rcvNxt) >>> this.shift, 0xffff);
  }

  private threshold(mss: number): number {
    return Math.max(1, Math.min(Math.floor(this.bufferSize / 2), mss));
  }
}
