/** Opening: RFC 9293 3.5 and 3.10.7.2-3.10.7.4, one scenario per transition. */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../../src/tcp/connection.js';
import { resetFor } from '../../../src/tcp/listen.js';
import { ACK, FIN, PSH, RST, SYN } from '../../../src/tcp/segment.js';
import {
  C_ISS,
  CLIENT,
  config,
  expectSegments,
  Harness,
  listenSegment,
  plain,
  S_ISS,
  SERVER,
  seg,
  WINDOW,
} from './helpers.js';

const SYN_FROM_CLIENT = seg({ seq: C_ISS, flags: SYN, window: WINDOW, options: { mss: 1460 } });

describe('active open', () => {
  it('CLOSED -> SYN_SENT sends SYN with our MSS and window', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    expect(h.state).toBe('SYN_SENT');
    h.expectSent([{ flags: SYN, seq: C_ISS, options: { mss: 1460 } }]);
  });

  it('offers every option on the SYN when enabled', () => {
    const h = Harness.connect(config(), { iss: C_ISS, tsOffset: 100 }, 5);
    h.expectSent([
      {
        flags: SYN,
        seq: C_ISS,
        options: { mss: 1460, wscale: 3, sackPermitted: true, ts: { val: 105, ecr: 0 } },
      },
    ]);
  });

  it('SYN_SENT -> ESTABLISHED on SYN-ACK, answering with ACK', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    h.poll();
    h.send({ seq: S_ISS, ack: C_ISS + 1, flags: SYN | ACK, window: 8192, options: { mss: 1400 } });
    expect(h.state).toBe('ESTABLISHED');
    const { segments, events } = h.poll();
    expectSegments(segments, [{ flags: ACK, seq: C_ISS + 1, ack: S_ISS + 1, window: WINDOW }]);
    expect(events).toEqual([{ type: 'established' }]);
    expect(h.conn.info()).toMatchObject({ sndWnd: 8192, sndMss: 1400, irs: S_ISS });
  });

  it('sends data queued before the handshake right after the ACK', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    expect(h.conn.write(new TextEncoder().encode('early'), 0)).toBe(5);
    h.expectSent([{ flags: SYN, seq: C_ISS, options: { mss: 1460 } }]);
    h.send({ seq: S_ISS, ack: C_ISS + 1, flags: SYN | ACK, window: 8192, options: { mss: 1400 } });
    h.expectSent([
      { flags: ACK, seq: C_ISS + 1, ack: S_ISS + 1 },
      { flags: ACK | PSH, seq: C_ISS + 1, ack: S_ISS + 1, payload: 'early' },
    ]);
  });

  it('SYN_SENT answers an unacceptable ACK with RST <SEQ=SEG.ACK>', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    h.poll();
    h.send({ seq: S_ISS, ack: C_ISS + 7, flags: SYN | ACK, window: 8192 });
    h.expectSent([{ flags: RST, seq: C_ISS + 7, window: 0 }]);
    expect(h.state).toBe('SYN_SENT');
  });

  it('SYN_SENT -> CLOSED with ECONNREFUSED on RST|ACK; a RST without ACK is ignored', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    h.poll();
    h.send({ seq: 0, flags: RST, window: 0 });
    expect(h.state).toBe('SYN_SENT');
    h.send({ seq: 0, ack: C_ISS + 1, flags: RST | ACK, window: 0 });
    expect(h.state).toBe('CLOSED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: 'ECONNREFUSED' }] });
    expect(h.conn.nextTimerDeadline()).toBeUndefined();
  });

  it('retransmits the SYN at 1 s doubling and gives up with ETIMEDOUT after synRetries', () => {
    const h = Harness.connect(plain({ synRetries: 2 }), { iss: C_ISS });
    h.poll();
    const syn = { flags: SYN, seq: C_ISS, options: { mss: 1460 } };
    h.advanceTo(999);
    h.expectSent([]);
    h.advanceTo(1000);
    h.expectSent([syn]);
    h.advanceTo(2999);
    h.expectSent([]);
    h.advanceTo(3000);
    h.expectSent([syn]);
    h.advanceTo(6999);
    expect(h.state).toBe('SYN_SENT');
    h.advanceTo(7000);
    expect(h.state).toBe('CLOSED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: 'ETIMEDOUT' }] });
  });
});

describe('passive open', () => {
  it('LISTEN -> SYN_RCVD sends SYN-ACK; the ACK makes it ESTABLISHED silently', () => {
    const h = Harness.accept(plain(), SYN_FROM_CLIENT, { iss: S_ISS });
    expect(h.state).toBe('SYN_RCVD');
    h.expectSent([{ flags: SYN | ACK, seq: S_ISS, ack: C_ISS + 1, options: { mss: 1460 } }]);
    h.send({ seq: C_ISS + 1, ack: S_ISS + 1, flags: ACK });
    expect(h.state).toBe('ESTABLISHED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'established' }] });
  });

  it('answers only the options the client offered', () => {
    const syn = seg({
      seq: C_ISS,
      flags: SYN,
      window: WINDOW,
      options: { mss: 1000, wscale: 7, sackPermitted: true, ts: { val: 777, ecr: 0 } },
    });
    const h = Harness.accept(config(), syn, { iss: S_ISS, tsOffset: 1000 }, 20);
    h.expectSent([
      {
        flags: SYN | ACK,
        seq: S_ISS,
        ack: C_ISS + 1,
        options: { mss: 1460, wscale: 3, sackPermitted: true, ts: { val: 1020, ecr: 777 } },
      },
    ]);
    const bare = Harness.accept(config(), SYN_FROM_CLIENT, { iss: S_ISS });
    bare.expectSent([{ flags: SYN | ACK, seq: S_ISS, ack: C_ISS + 1, options: { mss: 1460 } }]);
  });

  it('delivers data carried by the third ACK', () => {
    const h = Harness.accept(plain(), SYN_FROM_CLIENT, { iss: S_ISS });
    h.poll();
    h.send({ seq: C_ISS + 1, ack: S_ISS + 1, flags: ACK | PSH, payload: 'hello' });
    expect(h.state).toBe('ESTABLISHED');
    const { segments, events } = h.poll();
    expect(segments).toEqual([]);
    expect(events).toEqual([{ type: 'established' }, { type: 'data', bytes: new TextEncoder().encode('hello') }]);
    h.advance(40); // delayed ACK
    h.expectSent([{ flags: ACK, seq: S_ISS + 1, ack: C_ISS + 6, window: 65_530 }]);
  });

  it('retransmits the SYN-ACK at 1 s doubling, 5 tries, then gives up', () => {
    const h = Harness.accept(plain(), SYN_FROM_CLIENT, { iss: S_ISS });
    const synAck = { flags: SYN | ACK, seq: S_ISS, ack: C_ISS + 1, options: { mss: 1460 } };
    h.expectSent([synAck]);
    const times: number[] = [];
    for (let t = 0; t <= 70_000; t += 500) {
      h.advanceTo(t);
      if (h.segments().length) times.push(t);
    }
    expect(times).toEqual([1000, 3000, 7000, 15_000, 31_000]);
    expect(h.state).toBe('CLOSED');
    expect(h.conn.isClosed()).toBe(true);
  });

  it('repeats the SYN-ACK when the client repeats its SYN', () => {
    const h = Harness.accept(plain(), SYN_FROM_CLIENT, { iss: S_ISS });
    h.poll();
    h.conn.onSegment(SYN_FROM_CLIENT, 300);
    h.expectSent([{ flags: SYN | ACK, seq: S_ISS, ack: C_ISS + 1, options: { mss: 1460 } }]);
    expect(h.state).toBe('SYN_RCVD');
  });

  it('SYN_RCVD: an unacceptable ACK gets RST <SEQ=SEG.ACK>', () => {
    const h = Harness.accept(plain(), SYN_FROM_CLIENT, { iss: S_ISS });
    h.poll();
    h.send({ seq: C_ISS + 1, ack: S_ISS + 99, flags: ACK });
    h.expectSent([{ flags: RST, seq: S_ISS + 99, window: 0 }]);
    expect(h.state).toBe('SYN_RCVD');
  });

  it('SYN_RCVD -> CLOSED on RST at RCV.NXT; an in-window RST gets a challenge ACK', () => {
    const h = Harness.accept(plain(), SYN_FROM_CLIENT, { iss: S_ISS });
    h.poll();
    h.send({ seq: C_ISS + 2, flags: RST, window: 0 });
    h.expectSent([{ flags: ACK, seq: S_ISS + 1, ack: C_ISS + 1 }]);
    h.send({ seq: C_ISS + 1, flags: RST, window: 0 });
    expect(h.state).toBe('CLOSED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: 'ECONNRESET' }] });
  });

  it('does not accept data on the SYN (no TCP Fast Open)', () => {
    const h = Harness.accept(plain(), seg({ seq: C_ISS, flags: SYN, window: 100, payload: 'early' }), { iss: S_ISS });
    h.expectSent([{ flags: SYN | ACK, seq: S_ISS, ack: C_ISS + 1, options: { mss: 1460 } }]);
    expect(h.conn.info().sndMss).toBe(536); // RFC 9293 3.7.1 default without an MSS option
  });
});

describe('simultaneous open (RFC 9293 figure 8)', () => {
  it('SYN_SENT -> SYN_RCVD on a bare SYN, -> ESTABLISHED on the SYN-ACK', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    h.poll();
    h.send({ seq: S_ISS, flags: SYN, window: 4096, options: { mss: 1460 } });
    expect(h.state).toBe('SYN_RCVD');
    h.expectSent([{ flags: SYN | ACK, seq: C_ISS, ack: S_ISS + 1, options: { mss: 1460 } }]);
    h.send({ seq: S_ISS, ack: C_ISS + 1, flags: SYN | ACK, window: 4096, options: { mss: 1460 } });
    expect(h.state).toBe('ESTABLISHED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'established' }] });
    expect(h.conn.info().sndWnd).toBe(4096);
  });

  it('two engines opening at once both reach ESTABLISHED', () => {
    const cfg = config();
    const a = Connection.connect(cfg, CLIENT, 0, { iss: C_ISS });
    const b = Connection.connect(cfg, SERVER, 0, { iss: S_ISS });
    const synA = a.poll().segments;
    const synB = b.poll().segments;
    synB.forEach((s) => a.onSegment(s, 1));
    synA.forEach((s) => b.onSegment(s, 1));
    expect([a.state, b.state]).toEqual(['SYN_RCVD', 'SYN_RCVD']);
    const saA = a.poll().segments;
    const saB = b.poll().segments;
    saB.forEach((s) => a.onSegment(s, 2));
    saA.forEach((s) => b.onSegment(s, 2));
    expect([a.state, b.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(a.info()).toMatchObject({ timestamps: true, sack: true, sndShift: 3, rcvShift: 3 });
  });
});

describe('LISTEN and CLOSED without a connection', () => {
  const cfg = plain();
  it('LISTEN: SYN opens, ACK gets RST <SEQ=SEG.ACK>, RST and others are dropped', () => {
    const open = listenSegment(cfg, SERVER, SYN_FROM_CLIENT, 0, { iss: S_ISS });
    expect(open.kind).toBe('open');
    if (open.kind === 'open') expect(open.connection.state).toBe('SYN_RCVD');
    expect(listenSegment(cfg, SERVER, seg({ seq: 1, ack: 42, flags: ACK }), 0)).toEqual({
      kind: 'reset',
      segment: seg({ seq: 42, flags: RST }),
    });
    expect(listenSegment(cfg, SERVER, seg({ seq: 1, flags: RST }), 0)).toEqual({ kind: 'drop' });
    expect(listenSegment(cfg, SERVER, seg({ seq: 1, flags: FIN }), 0)).toEqual({ kind: 'drop' });
  });

  it('CLOSED: RST|ACK <SEQ=0><ACK=SEG.SEQ+SEG.LEN> for segments without ACK, nothing for RST', () => {
    expect(resetFor(seg({ seq: 100, flags: SYN | FIN, payload: 'abc' }))).toEqual(
      seg({ seq: 0, ack: 105, flags: RST | ACK }),
    );
    expect(resetFor(seg({ seq: 100, ack: 7, flags: ACK }))).toEqual(seg({ seq: 7, flags: RST }));
    expect(resetFor(seg({ seq: 100, flags: RST }))).toBeUndefined();
  });

  it('acceptSyn refuses anything but a bare SYN', () => {
    expect(() => Connection.acceptSyn(cfg, SERVER, seg({ seq: 1, ack: 1, flags: SYN | ACK }), 0)).toThrow(TypeError);
  });
});

describe('SYN cookie ACK', () => {
  it('goes straight to ESTABLISHED with the negotiated options and delivers the payload', () => {
    const cfg = config();
    const ack = seg({
      seq: C_ISS + 1,
      ack: S_ISS + 1,
      flags: ACK | PSH,
      window: 100,
      options: { ts: { val: 777, ecr: 50 } },
      payload: 'GET /',
    });
    const c = Connection.fromCookie(
      cfg,
      SERVER,
      { iss: S_ISS, irs: C_ISS, mss: 1400, wscale: 7, sackPermitted: true, tsOffset: 0 },
      ack,
      60,
    );
    expect(c.state).toBe('ESTABLISHED');
    const { segments, events } = c.poll();
    expect(segments).toEqual([]);
    expect(events).toEqual([{ type: 'established' }, { type: 'data', bytes: new TextEncoder().encode('GET /') }]);
    expect(c.info()).toMatchObject({ sndWnd: 12_800, sndMss: 1388, sack: true, timestamps: true, srtt: 10 });
    c.onTimer(100);
    expectSegments(c.poll().segments, [
      { flags: ACK, seq: S_ISS + 1, ack: C_ISS + 6, window: 32_767, options: { ts: { val: 100, ecr: 777 } } },
    ]);
  });

  it('keeps window scale and SACK for a client without timestamps', () => {
    const c = Connection.fromCookie(
      config(),
      SERVER,
      { iss: S_ISS, irs: C_ISS, mss: 1460, wscale: 2, sackPermitted: true },
      seg({ seq: C_ISS + 1, ack: S_ISS + 1, flags: ACK, window: 1000 }),
      0,
    );
    expect(c.info()).toMatchObject({ sndWnd: 4000, sndShift: 2, rcvShift: 3, sack: true, timestamps: false, sndMss: 1460 });
  });
});
