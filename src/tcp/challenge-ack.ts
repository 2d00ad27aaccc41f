/**
 * RFC 5961 section 7: challenge ACKs are rate-limited so a connection cannot
 * be used to amplify. The limit is PER CONNECTION: Linux's old global limit
 * let an off-path attacker count challenge ACKs and infer sequence numbers
 * (CVE-2016-5696).
 */
export class ChallengeAckLimiter {
  private windowStart = -Infinity;
  private count = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** May a challenge ACK go out at `now`? Counts it if so. */
  allow(now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    if (this.count >= this.limit) return false;
    this.count++;
    return true;
  }
}
