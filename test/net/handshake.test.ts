// The stateless handshake over the real path: AF_PACKET on a veth, the Linux
// kernel's TCP (and scapy-crafted segments) as the peer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestingPacketEngine, TestNetwork } from '../../src/testing/index.js';
import type { EstablishedRecord, PeerSegmentRecord } from '../../src/engine/records.js';
import { describe, expect, it as netIt } from './harness.js';
import { numberToIpv4 } from '../../src/engine/ipv4.js';
import { capture, openEngine, runPy, waitFor } from './helpers.js';

interface Reply {
  flags: string;
  seq: number;
  ack: number;
  window: number;
  options: Array<[string, unknown]>;
}

/** One engine listening on 8080 in 'always' mode for every test of the first describe, with what reached JS. */
interface Listener {
  net: TestNetwork;
  engine: TestingPacketEngine;
  established: EstablishedRecord[];
  segments: PeerSegmentRecord[];
  /** For captures; removed after the file. */
  dir: string;
  /** Runs craft.py against port 8080. */
  craft(scenario: string, ...args: string[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the peer
}

const it = netIt.extend<{ listener: Listener }>({
  listener: [
    async ({ sharedNet: net }, use) => {
      const engine = openEngine(net);
      const established: EstablishedRecord[] = [];
      const segments: PeerSegmentRecord[] = [];
      engine.on('established', (r) => established.push(r));
      engine.on('segment', (r) => segments.push(r));
      engine.listen(8080, 'always');
      const dir = mkdtempSync(path.join(tmpdir(), 'synwall-hs-'));
      const craft = async (scenario: string, ...args: string[]) =>
        JSON.parse(await runPy(net.peer, 'craft.py', [net.peer.ifname, net.server.address, '8080', scenario, ...args]));
      await use({ net, engine, established, segments, dir, craft });
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
    { scope: 'file' },
  ],
});

describe('stateless SYN-cookie handshake over a veth', () => {

  it('a kernel client completes connect() and JS sees exactly one established record with its MSS and window scale', async ({ listener: { net, engine, established, segments, dir } }) => {
    established.length = 0;
    const pcap = path.join(dir, 'kernel.pcap');
    const cap = await capture(net.peer, pcap, ['tcp', 'port', '8080']);
    const out = JSON.parse(await runPy(net.peer, 'connect.py', [net.server.address, '8080', 'hello synwall']));
    expect(out.connected).toBe(true);
    await waitFor(engine, (c) => c.segmentsToJs >= 1);
    await cap.stop();

    expect(established).toHaveLength(1);
    const rec = established[0];
    expect(numberToIpv4(rec.remoteAddress)).toBe(net.peer.address);
    expect(numberToIpv4(rec.localAddress)).toBe(net.server.address);
    expect(rec.localPort).toBe(8080);

    // What the client actually offered, read off the wire by tshark.
    const syn = await net.peer.exec([
      'tshark', '-r', pcap, '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==0', '-T', 'fields',
      '-e', 'tcp.options.mss_val', '-e', 'tcp.options.wscale.shift', '-e', 'tcp.srcport',
    ]);
    const [mss, shift, sport] = syn.stdout.trim().split('\n')[0].split('\t').map(Number);
    expect(rec.remotePort).toBe(sport);
    expect(rec.mss).toBe(mss); // 1460 is in the cookie MSS table, so it survives exactly
    expect(rec.wscale).toBe(shift);
    expect(rec.sackPermitted).toBe(true);
    expect(rec.ts).toBeDefined();
    expect(rec.ourWscale).toBe(7);
    // The ACK completes the handshake: SEG.ACK = ISS + 1, SEG.SEQ = IRS + 1.
    expect(rec.flags & 0x10).toBe(0x10);
    expect(rec.iss).toBe((rec.ack - 1) >>> 0);
    expect(rec.irs).toBe((rec.seq - 1) >>> 0);
    // The SYN-ACK on the wire carried exactly that ISS, acking the client's ISN.
    const synack = await net.peer.exec([
      'tshark', '-r', pcap, '-o', 'tcp.relative_sequence_numbers:FALSE', '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==1',
      '-T', 'fields', '-e', 'tcp.seq', '-e', 'tcp.ack',
    ]);
    expect(synack.stdout.trim().split('\n')[0].split('\t').map(Number)).toEqual([rec.iss, (rec.irs + 1) >>> 0]);
    // The peer's veth has transmit checksum offload on: its frames arrive with
    // partial checksums and are trusted through PACKET_AUXDATA, not dropped.
    expect(engine.counters().checksumPartial).toBeGreaterThan(0);
    expect(engine.counters().drops.tcp_checksum).toBe(0);

    const data = segments.find((s) => s.payload.length > 0);
    expect(data?.payload.toString()).toBe('hello synwall');
    expect(data?.connId).toBe(rec.connId);

    // Acceptance 4: tshark checks the IPv4 and TCP checksums of our SYN-ACKs.
    const sums = await net.peer.exec([
      'tshark', '-r', pcap, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
      '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==1', '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status',
    ]);
    const lines = sums.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const l of lines) expect(l.split('\t')).toEqual(['1', '1']); // 1 = Good
  });

  it('a client without timestamps keeps its window scale and MSS; SACK stays off when not offered', async ({ listener: { engine, established, craft } }) => {
    established.length = 0;
    const r = await craft('syn', 'nots');
    const sa = r.synack as Reply;
    expect(sa.flags).toBe('SA');
    expect(sa.ack).toBe((r.seq + 1) % 2 ** 32);
    const kinds = sa.options.map((o) => o[0]);
    expect(kinds).toContain('MSS');
    expect(kinds).toContain('WScale');
    expect(kinds).not.toContain('Timestamp');
    expect(kinds).not.toContain('SAckOK');
    const ack = await craft('ack', String(r.sport), String((r.seq + 1) % 2 ** 32), String((sa.seq + 1) % 2 ** 32));
    expect(ack.replies).toEqual([]);
    await waitFor(engine, () => established.length === 1);
    expect(established[0].mss).toBe(1400);
    expect(established[0].wscale).toBe(9);
    expect(established[0].sackPermitted).toBe(false);
    expect(established[0].ts).toBeUndefined();
  });

  it('only ack = cookie + 1 validates: off by one either way gets <SEQ=SEG.ACK><CTL=RST>', async ({ listener: { engine, established, craft } }) => {
    for (const delta of [1, -1]) {
      const before = engine.counters().syncookiesFailed;
      const r = await craft('handshake', String(delta));
      const sentAck = (r.synack.seq + 1 + delta + 2 ** 32) % 2 ** 32;
      expect(r.replies).toHaveLength(1);
      expect(r.replies[0].flags).toBe('R');
      expect(r.replies[0].seq).toBe(sentAck);
      expect(engine.counters().syncookiesFailed).toBe(before + 1);
    }
    established.length = 0;
    const ok = await craft('handshake', '0');
    expect(ok.replies).toEqual([]);
    await waitFor(engine, () => established.length === 1);
    expect(established[0].remotePort).toBe(ok.sport);
  });

  it('answers strays as RFC 9293 says: SYN-ACK to a listener and a forged ACK get RST, a RST is ignored', async ({ listener: { engine, craft } }) => {
    const synack = await craft('synack');
    expect(synack.replies).toEqual([{ flags: 'R', seq: 12345, ack: 0, window: 0, options: [] }]);

    const forged = await craft('forged-ack');
    expect(forged.replies).toHaveLength(1);
    expect(forged.replies[0].flags).toBe('R');

    const ignoredBefore = engine.counters().rstsIgnored;
    const rst = await craft('rst');
    expect(rst.replies).toEqual([]);
    expect(engine.counters().rstsIgnored).toBe(ignoredBefore + 1);
  });

  it('a SYN to a port with no listener gets RST-ACK, and a kernel client sees ECONNREFUSED', async ({ listener: { net } }) => {
    const r = JSON.parse(await runPy(net.peer, 'craft.py', [net.peer.ifname, net.server.address, '8081', 'syn-closed']));
    expect(r.replies).toHaveLength(1);
    expect(r.replies[0].flags).toBe('RA');
    expect(r.replies[0].seq).toBe(0);
    expect(r.replies[0].ack).toBe((r.seq + 1) % 2 ** 32);
    const k = JSON.parse(await runPy(net.peer, 'connect.py', [net.server.address, '8081']));
    expect(k).toMatchObject({ connected: false, errno: 111 });
  });

  // Issue 8, defect 2: a cookie cannot carry an MSS below its table's floor
  // (216); answering would make us send segments bigger than the peer allows.
  it('a SYN announcing MSS 100 gets no cookie SYN-ACK and is counted; MSS 300 gets one that decodes to 216 (never above)', async ({ listener: { engine, established, craft } }) => {
    const c0 = engine.counters();
    const small = await craft('handshake-mss', '100');
    expect(small.synack).toBeNull();
    const c1 = engine.counters();
    expect(c1.syncookiesRefusedSmallMss).toBe(c0.syncookiesRefusedSmallMss + 1);
    expect(c1.syncookiesSent).toBe(c0.syncookiesSent);

    established.length = 0;
    const ok = await craft('handshake-mss', '300');
    expect(ok.synack.flags).toBe('SA');
    await waitFor(engine, (c) => c.establishedToJs > c1.establishedToJs);
    const rec = established.find((r) => r.remotePort === ok.sport);
    expect(rec?.mss).toBe(216);
    expect(engine.counters().syncookiesRefusedSmallMss).toBe(c1.syncookiesRefusedSmallMss);
  });
});

describe('cookie lifetime with the native clock pinned', () => {
  it('a cookie validates in its period and the next, not two periods on; stray ACKs need recent cookies', async ({ net, openEngine }) => {
    const engine = openEngine({ cookiePeriodMs: 10_000 });
    engine.listen(9000, 'always');
    const craft = async (...args: string[]) =>
      JSON.parse(await runPy(net.peer, 'craft.py', [net.peer.ifname, net.server.address, '9000', ...args]));
    const T = 1_000_000_000; // start of a period
    const ackOf = (r: { sport: number; seq: number; synack: Reply }) => {
      const ts = r.synack.options.find((o) => o[0] === 'Timestamp')?.[1] as number[];
      return [String(r.sport), String((r.seq + 1) % 2 ** 32), String((r.synack.seq + 1) % 2 ** 32), String(ts[0])];
    };

    // Made in period P, used in period P+1: valid.
    engine.setClock(T);
    const a = await craft('syn');
    engine.setClock(T + 10_000);
    expect((await craft('ack', ...ackOf(a))).replies).toEqual([]);
    expect(engine.counters().syncookiesRecv).toBe(1);

    // Made in P, used in P+2 after fresh cookies were sent in P+2: rejected by the MAC.
    engine.setClock(T);
    const b = await craft('syn');
    engine.setClock(T + 20_000);
    await craft('syn'); // keeps the listener in "sending cookies" state
    const c0 = engine.counters();
    const late = await craft('ack', ...ackOf(b));
    expect(late.replies).toHaveLength(1);
    expect(late.replies[0].flags).toBe('R');
    const c1 = engine.counters();
    expect(c1.syncookiesFailed).toBe(c0.syncookiesFailed + 1);
    expect(c1.cookieAcksWithoutRecentCookies).toBe(c0.cookieAcksWithoutRecentCookies);

    // No cookies sent for two periods: any ACK is a stray and gets RST without a MAC check.
    engine.setClock(T + 50_000);
    const stray = await craft('forged-ack');
    expect(stray.replies[0].flags).toBe('R');
    expect(engine.counters().cookieAcksWithoutRecentCookies).toBe(c1.cookieAcksWithoutRecentCookies + 1);
  });
});
