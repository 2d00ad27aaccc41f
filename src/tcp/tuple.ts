/** The four numbers (and two addresses) that name a TCP connection. */
export interface FourTuple {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/** A stable string key, e.g. for a Map of connections. */
export function tupleKey(t: FourTuple): string {
  return `${t.localAddress}:${t.localPort}>${t.remoteAddress}:${t.remotePort}`;
}
