/** The sans-I/O TCP engine: segments and time in, segments and events out. */
export * from './seq.js';
export * from './segment.js';
export * from './state.js';
export * from './events.js';
export * from './tuple.js';
export * from './options.js';
export * from './isn.js';
export * from './timing-wheel.js';
export { Connection, DEFAULT_PEER_MSS } from './connection.js';
export type { OpenParams, CookieParams, ConnectionInfo } from './connection.js';
export { resetFor } from './listen.js';
