// IPv4 dotted-quad <-> host-order number, as the native engine speaks numbers.
import net from 'node:net';

export function ipv4ToNumber(address: string, option = 'address'): number {
  if (!net.isIPv4(address)) {
    throw new TypeError(`${option} must be an IPv4 address in dotted-quad form, got ${JSON.stringify(address)}`);
  }
  const p = address.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function numberToIpv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
