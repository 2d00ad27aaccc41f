// The demo's chart of a run over time, as a standalone SVG (no dependencies):
// top panel the flood (SYN/s in, SYN-ACK/s out), bottom panel the real
// clients (success rate and p99 latency) and the event loop's p99 delay.

export interface DemoSample {
  /** Seconds since the start of the run. */
  t: number;
  synIn: number;
  synAckOut: number;
  cookiesOk: number;
  cookiesFailed: number;
  clientOk: number;
  clientTried: number;
  clientP99Ms: number;
  loopP99Ms: number;
  flooding: boolean;
  /** Connections the application accepted in this second. */
  accepted?: number;
}

interface Series {
  name: string;
  color: string;
  values: number[];
  dashed?: boolean;
}

const W = 900;
const PANEL_H = 220;
const M = { left: 70, right: 70, top: 40, gap: 60, bottom: 40 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(v % 1e6 === 0 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v % 1e3 === 0 ? 0 : 1)}k`;
  return String(Math.round(v * 100) / 100);
}

function panel(y0: number, title: string, ts: number[], left: Series[], right: Series[], rightUnit: string, flood: boolean[]): string {
  const x0 = M.left;
  const w = W - M.left - M.right;
  const tMax = Math.max(1, ...ts);
  const x = (t: number) => x0 + (t / tMax) * w;
  const lMax = niceMax(Math.max(0, ...left.flatMap((s) => s.values)));
  const rMax = niceMax(Math.max(0, ...right.flatMap((s) => s.values)));
  const yl = (v: number) => y0 + PANEL_H - (v / lMax) * PANEL_H;
  const yr = (v: number) => y0 + PANEL_H - (v / rMax) * PANEL_H;
  const out: string[] = [];
  // Shade the seconds the flood ran.
  for (let i = 0; i < ts.length; i++) {
    if (!flood[i]) continue;
    const a = x(i === 0 ? 0 : ts[i - 1]);
    out.push(`<rect x="${a.toFixed(1)}" y="${y0}" width="${(x(ts[i]) - a).toFixed(1)}" height="${PANEL_H}" fill="#fde8e8"/>`);
  }
  out.push(`<text x="${x0}" y="${y0 - 12}" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (lMax * i) / 4;
    const yy = yl(v);
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${yy + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`);
    if (right.length) {
      out.push(`<text x="${x0 + w + 6}" y="${yr((rMax * i) / 4) + 4}" font-size="11">${fmt((rMax * i) / 4)}${i === 4 ? ` ${esc(rightUnit)}` : ''}</text>`);
    }
  }
  for (let t = 0; t <= tMax; t += Math.max(1, Math.ceil(tMax / 10))) {
    out.push(`<text x="${x(t)}" y="${y0 + PANEL_H + 16}" font-size="11" text-anchor="middle">${t}s</text>`);
  }
  const line = (s: Series, y: (v: number) => number) => {
    const pts = s.values.map((v, i) => `${x(ts[i]).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts}"><title>${esc(s.name)}</title></polyline>`;
  };
  for (const s of left) out.push(line(s, yl));
  for (const s of right) out.push(line(s, yr));
  [...left, ...right].forEach((s, i) => {
    const lx = x0 + 10 + i * 190;
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${y0 + 14}" y2="${y0 + 14}" stroke="${s.color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 30}" y="${y0 + 18}" font-size="12">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Renders the run as an SVG document. */
export function renderDemoChart(samples: DemoSample[], title: string): string {
  const ts = samples.map((s) => s.t);
  const flood = samples.map((s) => s.flooding);
  const h = M.top + 2 * PANEL_H + M.gap + M.bottom + 20;
  const top = panel(
    M.top + 20,
    'Flood: answered entirely in native code',
    ts,
    [
      { name: 'SYN/s in', color: '#d62728', values: samples.map((s) => s.synIn) },
      { name: 'SYN-ACK/s out', color: '#1f77b4', values: samples.map((s) => s.synAckOut), dashed: true },
    ],
    [],
    '',
    flood,
  );
  const bottom = panel(
    M.top + 20 + PANEL_H + M.gap,
    'Legitimate clients and the event loop',
    ts,
    [{ name: 'clients ok %', color: '#2ca02c', values: samples.map((s) => (s.clientTried ? (100 * s.clientOk) / s.clientTried : 100)) }],
    [
      { name: 'client p99 ms', color: '#9467bd', values: samples.map((s) => s.clientP99Ms) },
      { name: 'event loop p99 ms', color: '#ff7f0e', values: samples.map((s) => s.loopP99Ms), dashed: true },
    ],
    'ms',
    flood,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${M.left}" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`,
    top,
    bottom,
    '</svg>',
    '',
  ].join('\n');
}
