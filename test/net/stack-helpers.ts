// Pieces shared by the TcpStack real-path tests: a stack on a fresh test
// network, an echo server on it, and polling helpers.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestingPacketEngine, type TestNetwork } from '../../src/testing/index.js';
import { TcpStack, type StackConnection, type StackListener, type TcpStackOptions } from '../../src/stack/index.js';
import type { CloseReason } from '../../src/tcp/events.js';
import type { PacketEngineOptions } from '../../src/engine/packet-engine.js';

/** A TcpStack owning a TestingPacketEngine (the testing addon's: setFaults, setClock), as TcpStack.open() owns a PacketEngine. */
export function openStack(net: TestNetwork, options: TcpStackOptions = {}, engine: Partial<PacketEngineOptions> = {}): TcpStack & { readonly engine: TestingPacketEngine } {
  const e = new TestingPacketEngine({ interface: net.server.ifname, netns: net.server.ns, address: net.server.address, ...engine });
  try {
    return new TcpStack(e, { ownsEngine: true, ...options }) as TcpStack & { readonly engine: TestingPacketEngine };
  } catch (err) {
    e.close();
    throw err;
  }
}

export interface EchoRecord {
  conn: StackConnection;
  received: number;
  /** SHA-256 of every byte the server received (filled at 'end'). */
  receivedSha256?: string;
  closeReason?: CloseReason;
}

/**
 * Echo server: every byte is written back; input is consumed only once its
 * echo fits in the send buffer (so a slow reader slows the writer, through
 * the receive window). On the peer's FIN it finishes echoing and half-closes.
 */
export function echoServer(listener: StackListener): EchoRecord[] {
  const records: EchoRecord[] = [];
  listener.on('connection', (conn) => {
    const rec: EchoRecord = { conn, received: 0 };
    records.push(rec);
    const hash = createHash('sha256');
    const queue: Buffer[] = [];
    let peerEnded = false;
    let shut = false;
    const pump = (): void => {
      while (queue.length > 0) {
        const b = queue[0];
        const n = conn.write(b);
        if (n > 0) conn.consumed(n);
        if (n < b.length) {
          queue[0] = b.subarray(n);
          return;
        }
        queue.shift();
      }
      if (peerEnded && !shut) {
        shut = true;
        conn.shutdown();
      }
    };
    conn.on('data', (b) => {
      rec.received += b.length;
      hash.update(b);
      queue.push(b);
      if (queue.length === 1) pump();
    });
    conn.on('writable', pump);
    conn.on('end', () => {
      rec.receivedSha256 = hash.digest('hex');
      peerEnded = true;
      pump();
    });
    conn.on('close', (reason) => {
      rec.closeReason = reason;
    });
  });
  return records;
}

export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface EchoResult {
  sent: number;
  received: number;
  sentSha256: string;
  receivedSha256: string;
  seconds: number;
  localPort: number;
  errors: string[];
}
