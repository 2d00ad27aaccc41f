/**
 * Errors shaped like Node's own: system errors carry `code`, a negative
 * `errno`, `syscall` and the message net would print ("read ECONNRESET",
 * "connect ECONNREFUSED 198.18.0.2:9000").
 */
import { constants } from 'node:os';

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  address?: string;
  port?: number;
}

const ERRNO = constants.errno as Record<string, number | undefined>;

export function systemError(code: string, syscall: string, address?: string, port?: number): SystemError {
  const where = address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ''}` : '';
  const err = new Error(`${syscall} ${code}${where}`) as SystemError;
  err.code = code;
  err.errno = -(ERRNO[code] ?? 0);
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined) err.port = port;
  return err;
}

/** An Error with a Node-style `code` (ERR_SERVER_NOT_RUNNING, EPIPE after the peer's FIN, ...). */
export function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}
