// The demo's terminal view. On a TTY it redraws one block in place every
// second (progress bar, live figures); elsewhere (CI logs, pipes) it prints
// one plain line per second instead, so the log stays readable.
import type { DemoSample } from './chart.js';

const BAR = 30;

export function progressBar(done: number, total: number): string {
  const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const n = Math.round(f * BAR);
  return `[${'#'.repeat(n)}${'.'.repeat(BAR - n)}] ${Math.round(f * 100)}%`;
}

export function plainLine(s: DemoSample): string {
  const ok = s.clientTried ? `${s.clientOk}/${s.clientTried}` : '-';
  return (
    `${String(s.t).padStart(3)}s ${s.flooding ? 'FLOOD' : '     '}  SYN/s in ${String(s.synIn).padStart(7)}  SYN-ACK/s out ${String(s.synAckOut).padStart(7)}  ` +
    `cookies ok/failed ${s.cookiesOk}/${s.cookiesFailed}  accepted ${s.accepted ?? 0}  clients ${ok.padStart(9)}  client p99 ${s.clientP99Ms.toFixed(2)} ms  loop p99 ${s.loopP99Ms.toFixed(2)} ms`
  );
}

export function dashboardBlock(s: DemoSample, total: number, extra: string[]): string[] {
  const pct = s.clientTried ? ((100 * s.clientOk) / s.clientTried).toFixed(1) : '100.0';
  return [
    `synwall demo  ${progressBar(s.t, total)}  ${s.t}/${total} s  ${s.flooding ? '\x1b[31mSYN FLOOD\x1b[0m' : 'no flood '}`,
    '',
    `  SYN/s in            ${String(s.synIn).padStart(9)}     SYN-ACK/s out       ${String(s.synAckOut).padStart(9)}`,
    `  cookies validated   ${String(s.cookiesOk).padStart(9)}     cookies failed      ${String(s.cookiesFailed).padStart(9)}`,
    `  clients ok/tried    ${`${s.clientOk}/${s.clientTried}`.padStart(9)}     success             ${pct.padStart(8)}%`,
    `  client p99          ${s.clientP99Ms.toFixed(2).padStart(6)} ms     event loop p99      ${s.loopP99Ms.toFixed(2).padStart(6)} ms`,
    `  accepted/s          ${String(s.accepted ?? 0).padStart(9)}`,
    ...extra,
  ];
}

/** Draws blocks in place on a TTY, lines elsewhere. */
export class Dashboard {
  private drawn = 0;
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number,
  ) {}

  get live(): boolean {
    return Boolean(this.out.isTTY);
  }

  update(s: DemoSample, extra: string[] = []): void {
    if (!this.live) {
      this.out.write(`${plainLine(s)}\n`);
      return;
    }
    const lines = dashboardBlock(s, this.total, extra);
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
    for (const l of lines) this.out.write(`\x1b[2K${l}\n`);
    this.drawn = lines.length;
  }
}
