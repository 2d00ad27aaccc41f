import { describe, expect, it } from 'vitest';
import { segmentAcceptable, trimToWindow } from '../../../src/tcp/acceptability.js';
import { pattern } from './helpers.js';

describe('RFC 9293 acceptability test', () => {
  it('follows the four cases of the table', () => {
    // len 0, wnd 0: only SEQ = RCV.NXT
    expect(segmentAcceptable(100, 0, 100, 0)).toBe(true);
    expect(segmentAcceptable(101, 0, 100, 0)).toBe(false);
    // len 0, wnd > 0: RCV.NXT <= SEQ < RCV.NXT + RCV.WND
    expect(segmentAcceptable(109, 0, 100, 10)).toBe(true);
    expect(segmentAcceptable(110, 0, 100, 10)).toBe(false);
    expect(segmentAcceptable(99, 0, 100, 10)).toBe(false);
    // len > 0, wnd 0: not acceptable, except at exactly RCV.NXT (to take its ACK)
    expect(segmentAcceptable(100, 5, 100, 0)).toBe(true);
    expect(segmentAcceptable(101, 5, 100, 0)).toBe(false);
    // len > 0, wnd > 0: first or last byte inside the window
    expect(segmentAcceptable(95, 10, 100, 10)).toBe(true);
    expect(segmentAcceptable(105, 10, 100, 10)).toBe(true);
    expect(segmentAcceptable(90, 10, 100, 10)).toBe(false);
    expect(segmentAcceptable(110, 10, 100, 10)).toBe(false);
  });

  it('works across the wrap', () => {
    expect(segmentAcceptable(2, 10, 0xffff_fffa, 100)).toBe(true);
    expect(segmentAcceptable(0xffff_fff0, 4, 0xffff_fffa, 100)).toBe(false);
  });

  it('trims old bytes, bytes past the window, and a FIN that does not fit', () => {
    expect(trimToWindow(95, pattern(10), true, 100, 100)).toEqual({
      seq: 100,
      payload: pattern(5, 5),
      fin: true,
      beyondWindow: false,
    });
    expect(trimToWindow(100, pattern(10), true, 100, 4)).toEqual({
      seq: 100,
      payload: pattern(4),
      fin: false,
      beyondWindow: true,
    });
    expect(trimToWindow(98, new Uint8Array(0), true, 100, 10).fin).toBe(false); // an old FIN
    expect(trimToWindow(100, new Uint8Array(0), true, 100, 0).fin).toBe(true); // a bare FIN at a zero window
  });
});
