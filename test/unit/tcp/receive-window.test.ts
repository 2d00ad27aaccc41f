import { describe, expect, it } from 'vitest';
import { ReceiveWindow } from '../../../src/tcp/receive-window.js';

describe('ReceiveWindow', () => {
  it('offers free space, never shrinks, and moves right only by the SWS threshold', () => {
    const w = new ReceiveWindow(4000);
    w.offer(100, 0);
    expect(w.advertise(100, 1000)).toBe(4000);
    w.delivered(3500);
    expect(w.advertise(3600, 1000)).toBe(500); // the right edge stays at 4100
    expect(w.consumed(500, 3600, 1000)).toBe(false); // 1000 free: opens by 500 < 1000
    expect(w.advertise(3600, 1000)).toBe(500);
    expect(w.consumed(500, 3600, 1000)).toBe(true); // 1500 free: opens by 1000 and triples
    expect(w.advertise(3600, 1000)).toBe(1500);
    expect(w.wnd(3600)).toBe(1500);
  });

  it('scales the field and caps it at 16 bits', () => {
    const w = new ReceiveWindow(1 << 20);
    w.offer(0, 0);
    expect(w.advertise(0, 1460)).toBe(0xffff);
    w.shift = 5;
    expect(w.advertise(0, 1460)).toBe(32_768);
  });

  it('keeps the window when a FIN takes a sequence number', () => {
    const w = new ReceiveWindow(1000);
    w.offer(0, 1000);
    w.finReceived();
    expect(w.wnd(1)).toBe(1000);
  });
});
