/**
 * The connection table: every connection from SYN_RCVD/SYN_SENT to CLOSED,
 * keyed by its 4-tuple. The local address is the engine's one address, so the
 * key is the remote address and port and the local port (the same three
 * numbers the native demux set is keyed by).
 */
import type { StackConnection } from './stack-connection.js';

export function flowKey(remoteAddress: number, remotePort: number, localPort: number): string {
  return `${remoteAddress >>> 0}:${remotePort}:${localPort}`;
}

export class ConnectionTable {
  private readonly byKey = new Map<string, StackConnection>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): StackConnection | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  add(sc: StackConnection): void {
    if (this.byKey.has(sc.key)) throw new Error(`connection ${sc.key} is already in the table`);
    this.byKey.set(sc.key, sc);
  }

  delete(sc: StackConnection): boolean {
    if (this.byKey.get(sc.key) !== sc) return false;
    return this.byKey.delete(sc.key);
  }

  values(): IterableIterator<StackConnection> {
    return this.byKey.values();
  }
}
