/** The net-shaped API: createServer/Server, connect/Socket. */
export { Server, createServer } from './server.js';
export type { ServerOptions, ServerEvents, DropInfo, SocketFor } from './server.js';
export { Socket } from './socket.js';
export type { SocketOptions } from './socket.js';
export { connect, createConnection } from './connect.js';
export type { NetListenOptions, NetConnectOptions, EngineSelection } from './options.js';
export type { ServerStats, ConnectionListing } from './stats.js';
export { formatListing } from './stats.js';
export type { SystemError } from './errors.js';
