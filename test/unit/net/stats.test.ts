import { describe, expect, it } from 'vitest';
import { computeStats, formatListing, listing } from '../../../src/net/stats.js';
import type { EngineCounters } from '../../../src/engine/packet-engine.js';
import type { ListenerCounters } from '../../../src/stack/listener.js';
import type { StackConnectionInfo } from '../../../src/stack/stack-connection.js';

const engine = (o: Partial<EngineCounters>): EngineCounters =>
  ({
    framesIn: 0, framesOut: 0, bytesIn: 0, arpRequests: 0, arpReplies: 0, syns: 0, syncookiesSent: 0, syncookiesRecv: 0,
    syncookiesFailed: 0, cookieAcksWithoutRecentCookies: 0, rstsSent: 0, rstsIgnored: 0, segmentsToJs: 0, establishedToJs: 0,
    synsToJs: 0, listenDrops: 0, recordRingFull: 0, demuxFull: 0, checksumPartial: 0, checksumOffloaded: 0, framesTruncated: 0,
    kernelRingDrops: 0, txErrors: 0, faultDropped: 0, drops: {}, ...o,
  }) as EngineCounters;

const shared = { activeOpens: 2, estabResets: 1, retransClosed: 5, passiveOpensClosed: 1, listenOverflowsClosed: 2, listenDropsClosed: 3 };

describe('computeStats', () => {
  it('maps engine, listener and shared-stack counters to nstat names', () => {
    const s = computeStats({
      engine: engine({ syncookiesSent: 10, syncookiesRecv: 7, syncookiesFailed: 3, framesIn: 100, arpRequests: 4, framesOut: 90, arpReplies: 4, listenDrops: 6, rstsSent: 2 }),
      listeners: [{ synsQueued: 4, synsDropped: 1, acceptQueueOverflows: 2, cookieConnections: 7, accepted: 9 } as ListenerCounters],
      shared,
      connections: [
        { state: 'ESTABLISHED', retransmits: 1 },
        { state: 'CLOSE_WAIT', retransmits: 0 },
        { state: 'TIME_WAIT', retransmits: 2 },
      ],
      synQueue: 1,
      acceptQueue: 0,
    });
    expect(s).toMatchObject({
      SyncookiesSent: 10,
      SyncookiesRecv: 7,
      SyncookiesFailed: 3,
      ListenOverflows: 2 + 2,
      // overflows + SYN drops (live and closed listeners) + native drops
      ListenDrops: 4 + 1 + 3 + 6,
      ActiveOpens: 2,
      PassiveOpens: 4 + 7 + 1,
      CurrEstab: 2,
      EstabResets: 1,
      InSegs: 96,
      OutSegs: 86,
      RetransSegs: 5 + 1 + 2,
      OutRsts: 2,
      Accepted: 9,
      SynQueue: 1,
      AcceptQueue: 0,
    });
  });
});

describe('listing', () => {
  const info = (timer: StackConnectionInfo['timer']): StackConnectionInfo =>
    ({
      state: 'ESTABLISHED', localAddress: '198.18.0.1', localPort: 80, remoteAddress: '198.18.0.2', remotePort: 40000,
      sendQueued: 10, unread: 20, retransmits: 3, keepAliveProbesSent: 1, origin: 'cookie', timer,
    }) as StackConnectionInfo;

  it('names timers as netstat -o does and gives ms left', () => {
    expect(listing(info({ kind: 'retransmit', deadline: 1200 }), 1000)).toMatchObject({ timer: 'on', timerMs: 200, sendQueue: 10, recvQueue: 20 });
    expect(listing(info({ kind: 'keepAlive', deadline: 5000 }), 1000).timer).toBe('keepalive');
    expect(listing(info({ kind: 'timeWait', deadline: 5000 }), 1000).timer).toBe('timewait');
    expect(listing(info({ kind: 'finWait2', deadline: 5000 }), 1000).timer).toBe('timewait');
    expect(listing(info(undefined), 1000)).toMatchObject({ timer: 'off', timerMs: 0 });
    expect(listing(info({ kind: 'persist', deadline: 500 }), 1000).timerMs).toBe(0);
  });

  it('formats like netstat -tno', () => {
    const text = formatListing([listing(info({ kind: 'retransmit', deadline: 1200 }), 1000)]);
    expect(text.split('\n')[1]).toBe('    20     10 198.18.0.1:80           198.18.0.2:40000        ESTABLISHED  on (0.20/3/1)');
  });
});
