/**
 * connect(): an active open on a synwall engine, returning a Socket at once
 * ('connect' once ESTABLISHED), as net.connect() does. Invalid options throw
 * a TypeError naming the option; an engine that cannot open, a refused or
 * timed-out connection are 'error' events (ECONNREFUSED, ETIMEDOUT).
 */
import { ipv4ToNumber } from '../engine/ipv4.js';
import { acquireStack, type SharedStack } from './shared-stack.js';
import { validateConnectOptions, type NetConnectOptions } from './options.js';
import { Socket, type SocketOwner } from './socket.js';

class ConnectOwner implements SocketOwner {
  shared: SharedStack | undefined;
  socketClosed(socket: Socket): void {
    this.shared?.remove(socket);
    this.shared = undefined;
  }
  setRef(socket: Socket, ref: boolean): void {
    this.shared?.setRef(socket, ref);
  }
}

export function connect(options: NetConnectOptions, connectListener?: () => void): Socket {
  const o = validateConnectOptions(options);
  const socket = new Socket({ allowHalfOpen: options.allowHalfOpen ?? false });
  if (connectListener) socket.once('connect', connectListener);
  if (options.timeout !== undefined) socket.setTimeout(options.timeout);
  if (options.noDelay) socket.setNoDelay(true);
  if (options.keepAlive) socket.setKeepAlive(true, options.keepAliveInitialDelay ?? 0);
  const owner = new ConnectOwner();
  socket.connecting = true;
  try {
    owner.shared = acquireStack(socket, o);
  } catch (err) {
    socket.failBeforeConnect(err as Error, owner);
    return socket;
  }
  const shared = owner.shared;
  const open = (remoteMac: string | Buffer): void => {
    try {
      const sc = shared.stack.connect(o.host, o.port, { remoteMac, localPort: options.localPort });
      shared.counters.activeOpens++;
      socket.attachConnection(sc, owner, true);
      shared.track(sc, () => socket.wasEstablished);
    } catch (err) {
      socket.failBeforeConnect(err as Error, owner);
    }
  };
  if (options.remoteMac !== undefined) {
    open(options.remoteMac);
  } else {
    // The next hop's MAC first (the host itself, or the gateway), by ARP from
    // native code; nobody answering is EHOSTUNREACH, as with the kernel.
    shared.stack.resolveMac(ipv4ToNumber(options.gateway ?? o.host)).then(
      (mac) => {
        if (!socket.destroyed) open(mac);
        else owner.socketClosed(socket);
      },
      (err: Error) => socket.failBeforeConnect(err, owner),
    );
  }
  return socket;
}

/** net.createConnection. */
export const createConnection = connect;
