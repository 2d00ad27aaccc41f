/** TcpStack: the sans-I/O TCP engine on the native packet engine. */
export { TcpStack } from './stack.js';
export type { TcpStackOptions, ConnectOptions, DialOptions, StackEvents, StackStats, StackPacketEngine } from './stack.js';
export { NeighbourCache } from './neighbours.js';
export type { NeighbourOptions, NeighbourEngine } from './neighbours.js';
export { StackListener } from './listener.js';
export type { ListenOptions, ListenerEvents, ListenerCounters } from './listener.js';
export { StackConnection } from './stack-connection.js';
export type { StackConnectionEvents, StackConnectionInfo } from './stack-connection.js';
export { monotonicClock } from './clock.js';
export type { StackClock } from './clock.js';
