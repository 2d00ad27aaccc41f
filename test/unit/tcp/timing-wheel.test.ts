import { describe, expect, it } from 'vitest';
import { TimingWheel } from '../../../src/tcp/timing-wheel.js';

describe('TimingWheel', () => {
  it('fires due entries in deadline order, ties in scheduling order', () => {
    const w = new TimingWheel({ tickMs: 10, slots: 8 });
    const fired: string[] = [];
    w.schedule(35, () => fired.push('c'));
    w.schedule(12, () => fired.push('a'));
    w.schedule(35, () => fired.push('d'));
    w.schedule(19, () => fired.push('b'));
    w.schedule(36, () => fired.push('late'));
    expect(w.nextDeadline()).toBe(12);
    expect(w.advance(35)).toBe(4);
    expect(fired).toEqual(['a', 'b', 'c', 'd']);
    expect(w.size).toBe(1);
    expect(w.nextDeadline()).toBe(36);
  });

  it('keeps entries for later rotations until their deadline', () => {
    const w = new TimingWheel({ tickMs: 10, slots: 4 }); // one rotation = 40 ms
    const fired: number[] = [];
    w.schedule(15, (now) => fired.push(now));
    w.schedule(55, (now) => fired.push(now)); // same slot as 15, next rotation
    w.schedule(1000, (now) => fired.push(now));
    w.advance(20);
    expect(fired).toEqual([20]);
    expect(w.nextDeadline()).toBe(55);
    w.advance(54);
    expect(fired).toEqual([20]);
    w.advance(55);
    expect(fired).toEqual([20, 55]);
    w.advance(999);
    expect(fired).toEqual([20, 55]);
    w.advance(5000); // a long sleep visits each slot once
    expect(fired).toEqual([20, 55, 5000]);
    expect(w.size).toBe(0);
    expect(w.nextDeadline()).toBeUndefined();
  });

  it('cancels in O(1) and reports whether anything was cancelled', () => {
    const w = new TimingWheel();
    let n = 0;
    const a = w.schedule(100, () => n++);
    const b = w.schedule(50, () => n++);
    expect(w.nextDeadline()).toBe(50);
    expect(w.cancel(b)).toBe(true);
    expect(w.cancel(b)).toBe(false);
    expect(w.nextDeadline()).toBe(100);
    w.advance(200);
    expect(n).toBe(1);
    expect(w.cancel(a)).toBe(false);
  });

  it('fires entries that callbacks schedule at or before now in the same advance', () => {
    const w = new TimingWheel({ tickMs: 10, slots: 8 });
    const fired: string[] = [];
    w.schedule(30, (now) => {
      fired.push('first');
      w.schedule(now - 5, () => fired.push('past'));
      w.schedule(now + 1, () => fired.push('future'));
    });
    w.advance(30);
    expect(fired).toEqual(['first', 'past']);
    w.advance(31);
    expect(fired).toEqual(['first', 'past', 'future']);
  });

  it('files a deadline already in the past so the next advance fires it', () => {
    const w = new TimingWheel({ tickMs: 10, slots: 8, now: 1000 });
    let fired = 0;
    w.schedule(10, () => fired++);
    expect(w.nextDeadline()).toBe(10);
    w.advance(1000);
    expect(fired).toBe(1);
  });

  it('serves 100k timers from one wheel', () => {
    const w = new TimingWheel({ tickMs: 10, slots: 1024 });
    let fired = 0;
    let last = -1;
    let ordered = true;
    for (let i = 0; i < 100_000; i++) {
      const d = (i * 7919) % 120_000;
      w.schedule(d, (now) => {
        fired++;
        if (d < last) ordered = false;
        last = d;
        if (now < d) ordered = false;
      });
    }
    expect(w.nextDeadline()).toBe(0);
    for (let t = 0; t <= 120_000; t += 250) w.advance(t);
    expect(fired).toBe(100_000);
    expect(ordered).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new TimingWheel({ tickMs: 0 })).toThrow(TypeError);
    expect(() => new TimingWheel({ slots: 0 })).toThrow(/slots/);
  });
});
