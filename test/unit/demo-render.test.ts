import { describe, expect, it } from 'vitest';
import { renderDemoChart, type DemoSample } from '../../src/demo/chart.js';
import { dashboardBlock, plainLine, progressBar } from '../../src/demo/dashboard.js';

const sample = (t: number, flooding: boolean): DemoSample => ({
  t,
  synIn: flooding ? 90_000 + t : 200,
  synAckOut: flooding ? 90_000 + t : 200,
  cookiesOk: 195,
  cookiesFailed: 0,
  clientOk: 195,
  clientTried: 196,
  clientP99Ms: 2.5,
  loopP99Ms: 1.5,
  flooding,
});

describe('demo chart', () => {
  it('draws one polyline per series with a point per sample and shades the flood', () => {
    const samples = [1, 2, 3, 4, 5].map((t) => sample(t, t >= 3 && t <= 4));
    const svg = renderDemoChart(samples, 'run <1> & more');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('run &lt;1&gt; &amp; more');
    const lines = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)];
    expect(lines).toHaveLength(5); // SYN in, SYN-ACK out, clients ok %, client p99, loop p99
    for (const [, pts] of lines) expect(pts.trim().split(' ')).toHaveLength(5);
    expect(svg.match(/fill="#fde8e8"/g)).toHaveLength(2 * 2); // two flood seconds, two panels
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('copes with an all-zero run', () => {
    const svg = renderDemoChart([{ ...sample(1, false), synIn: 0, synAckOut: 0, clientTried: 0, clientOk: 0 }], 'empty');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});

describe('demo dashboard', () => {
  it('renders a progress bar and the live figures', () => {
    expect(progressBar(0, 10)).toBe(`[${'.'.repeat(30)}] 0%`);
    expect(progressBar(5, 10)).toBe(`[${'#'.repeat(15)}${'.'.repeat(15)}] 50%`);
    expect(progressBar(12, 10)).toContain('100%');
    const block = dashboardBlock(sample(3, true), 10, ['x']).join('\n');
    expect(block).toContain('SYN FLOOD');
    expect(block).toMatch(/SYN\/s in\s+90003/);
    expect(block).toMatch(/success\s+99\.5%/);
    expect(plainLine(sample(3, true))).toMatch(/^ {2}3s FLOOD {2}SYN\/s in {3}90003/);
  });
});
