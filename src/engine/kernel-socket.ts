// Kernel sockets the native engine made by TCP_REPAIR handoff (kernel data
// path): turning an fd into a net.Socket with a real libuv handle, resetting
// one nobody will use, and reading the kernel's TCP_INFO for listings.
import net from 'node:net';
import { addon } from './native.js';

/** TCP_INFO of a handed-off socket (the fields listings use). */
export interface KernelTcpInfo {
  /** Linux TCP state number (1 ESTABLISHED ... 11 CLOSING). */
  state: number;
  sndMss: number;
  rcvMss: number;
  /** Window shifts, -1 when window scaling is off. */
  sndWscale: number;
  rcvWscale: number;
  sack: boolean;
  timestamps: boolean;
  rttUs: number;
  rttVarUs: number;
  cwnd: number;
  unacked: number;
  retransmits: number;
}

export interface AdoptOptions {
  allowHalfOpen?: boolean;
  /** Start without reading (net.Server's pauseOnConnect). */
  pauseOnConnect?: boolean;
}

/** A net.Socket on the handed-off fd, as net.Server would give for an accepted connection. */
export function adoptKernelSocket(fd: number, options: AdoptOptions = {}): net.Socket {
  // pauseOnCreate is what net.Server itself passes for pauseOnConnect.
  const o = { fd, readable: true, writable: true, allowHalfOpen: options.allowHalfOpen ?? false, pauseOnCreate: options.pauseOnConnect ?? false };
  return new net.Socket(o as net.SocketConstructorOpts);
}

/** Closes a handed-off socket with a RST (nobody will serve it). */
export function resetKernelSocket(fd: number): void {
  try {
    adoptKernelSocket(fd, { pauseOnConnect: true }).resetAndDestroy();
  } catch {
    /* the fd was not a TCP socket any more: nothing to reset */
  }
}

const TCP_STATES = [
  'CLOSED', 'ESTABLISHED', 'SYN_SENT', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2',
  'TIME_WAIT', 'CLOSED', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING',
] as const;

export type KernelTcpState = (typeof TCP_STATES)[number];

export function kernelTcpStateName(state: number): KernelTcpState {
  return TCP_STATES[state] ?? 'CLOSED';
}

/** The kernel's TCP_INFO for fd, or undefined if it is not a TCP socket any more. */
export function kernelTcpInfo(fd: number): KernelTcpInfo | undefined {
  return ((addon.tcpInfo as (fd: number) => KernelTcpInfo | null)(fd)) ?? undefined;
}
