export {
  PacketEngine,
  validateEngineOptions,
  type PacketEngineOptions,
  type PacketEngineEvents,
  type EngineCounters,
  type InterfaceInfo,
  type OutgoingSegment,
  type SynCookieMode,
  type RxMode,
  type DataPath,
  type HandoffRecord,
  type AddressMode,
} from './engine/packet-engine.js';
export type { SegmentRecord, PeerSegmentRecord, EstablishedRecord } from './engine/records.js';
export { ipv4ToNumber, numberToIpv4 } from './engine/ipv4.js';
export { TcpFlags } from './tcp/segment.js';
export { FirewallError } from './engine/firewall.js';
export {
  TcpStack,
  StackListener,
  StackConnection,
  type TcpStackOptions,
  type ConnectOptions,
  type StackStats,
  type ListenOptions,
  type ListenerCounters,
  type StackConnectionEvents,
  type StackConnectionInfo,
} from './stack/index.js';
export { type TcpOptions, type CloseReason, type TcpState } from './tcp/index.js';
export {
  createServer,
  connect,
  createConnection,
  Server,
  Socket,
  formatListing,
  type ServerOptions,
  type ServerEvents,
  type SocketFor,
  type DropInfo,
  type SocketOptions,
  type NetListenOptions,
  type NetConnectOptions,
  type EngineSelection,
  type ServerStats,
  type ConnectionListing,
  type SystemError,
} from './net/index.js';
