#!/usr/bin/env node
// `synwall serve ...` and `synwall demo ...`.
import http from 'node:http';
import path from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFlags, usage, UsageError, type FlagSpec } from './args.js';
import { createServer, formatListing, type Server } from '../net/index.js';
import type { Duplex } from 'node:stream';
import type { SynCookieMode, AddressMode, DataPath } from '../engine/packet-engine.js';

const SERVE_FLAGS: Record<string, FlagSpec> = {
  interface: { kind: 'string', description: 'network interface to listen on (required)' },
  address: { kind: 'string', description: 'IPv4 address synwall answers for (required)' },
  port: { kind: 'number', description: 'TCP port (required)' },
  netns: { kind: 'string', description: 'open the socket in this network namespace' },
  'address-mode': { kind: 'string', choices: ['owned', 'shared'], description: "'owned' (default): synwall answers ARP; 'shared': the kernel holds the address" },
  'syn-cookies': { kind: 'string', choices: ['auto', 'always', 'never'], description: 'SYN handling (default auto)' },
  'data-path': {
    kind: 'string',
    choices: ['userspace', 'kernel'],
    description: "'userspace' (default): synwall's TCP moves the bytes; 'kernel': accepted connections are handed to the kernel's TCP (the kernel must hold the address)",
  },
  backlog: { kind: 'number', description: 'SYN and accept queue bound (default 511)' },
  echo: { kind: 'boolean', description: "echo every byte back; a line 'CLOSE' makes the server close first" },
  http: { kind: 'boolean', description: 'an http.Server answering every request with a short text' },
  discard: { kind: 'boolean', description: 'read and drop everything' },
  'stats-interval': { kind: 'number', description: 'print counters every N seconds (default 0: never)' },
  help: { kind: 'boolean', description: 'this text' },
};

const DEMO_FLAGS: Record<string, FlagSpec> = {
  seconds: { kind: 'number', description: 'length of the run (default 12)' },
  chart: { kind: 'string', description: 'where to write the SVG chart (default ./synwall-demo.svg)' },
  help: { kind: 'boolean', description: 'this text' },
};

const TOP = `synwall: a TCP listener that keeps accepting real clients during a SYN flood

  synwall serve --interface IF --address A --port P [--echo | --http | --discard] [--syn-cookies auto|always|never]
                [--data-path userspace|kernel]
  synwall demo [--seconds N] [--chart FILE]

  synwall <command> --help for the flags of a command
`;

/** Echo handler: a line 'CLOSE' makes the server close first (active close from outside). */
function echo(socket: Duplex): void {
  let line = '';
  socket.on('data', (b: Buffer) => {
    line = (line + b.toString('latin1')).slice(-64);
    if (/(^|\n)CLOSE\r?\n$/.test(line)) {
      socket.end();
      return;
    }
    socket.write(b);
  });
  socket.on('error', () => {});
}

function discard(socket: Duplex): void {
  socket.on('data', () => {});
  socket.on('error', () => {});
}

export interface ServeOptions {
  interface: string;
  address: string;
  port: number;
  netns?: string;
  addressMode?: AddressMode;
  synCookies?: SynCookieMode;
  backlog?: number;
  dataPath?: DataPath;
  mode: 'echo' | 'http' | 'discard';
}

/** Starts the server of `synwall serve`; resolves once it is listening. */
export function serve(o: ServeOptions): Promise<Server<DataPath>> {
  let handler: (s: Duplex) => void;
  if (o.mode === 'http') {
    const hs = http.createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from synwall: ${req.method} ${req.url}\n`);
    });
    handler = (s) => hs.emit('connection', s);
  } else {
    handler = o.mode === 'echo' ? echo : discard;
  }
  const server: Server<DataPath> = createServer<DataPath>({ dataPath: o.dataPath ?? 'userspace' }, handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      {
        interface: o.interface,
        address: o.address,
        port: o.port,
        netns: o.netns,
        addressMode: o.addressMode,
        synCookies: o.synCookies,
        backlog: o.backlog,
      },
      () => {
        server.off('error', reject);
        resolve(server);
      },
    );
  });
}

async function serveCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, SERVE_FLAGS);
  if (f.help) {
    process.stdout.write(usage('synwall serve', 'run a synwall server until SIGINT/SIGTERM', SERVE_FLAGS));
    return;
  }
  for (const req of ['interface', 'address', 'port']) {
    if (f[req] === undefined) throw new UsageError(`--${req} is required`);
  }
  const modes = (['echo', 'http', 'discard'] as const).filter((m) => f[m]);
  if (modes.length > 1) throw new UsageError('--echo, --http and --discard exclude each other');
  const server = await serve({
    interface: String(f.interface),
    address: String(f.address),
    port: Number(f.port),
    netns: f.netns as string | undefined,
    addressMode: f['address-mode'] as AddressMode | undefined,
    synCookies: f['syn-cookies'] as SynCookieMode | undefined,
    backlog: f.backlog as number | undefined,
    dataPath: f['data-path'] as DataPath | undefined,
    mode: modes[0] ?? 'echo',
  });
  const a = server.address();
  console.log(`synwall: ${modes[0] ?? 'echo'} server on ${a?.address}:${a?.port} (${String(f.interface)}${f.netns ? ` in netns ${String(f.netns)}` : ''})`);
  const every = Number(f['stats-interval'] ?? 0);
  const timer = every > 0 ? setInterval(() => {
    const { engine: _engine, ...nstat } = server.stats();
    console.log(JSON.stringify(nstat));
  }, every * 1000) : undefined;
  const stop = (): void => {
    if (timer) clearInterval(timer);
    console.log(formatListing(server.connections()));
    server.close(() => process.exit(0));
    // Connections that do not finish in time are reset by the engine's drain timeout.
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function demoCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, DEMO_FLAGS);
  if (f.help) {
    process.stdout.write(usage('synwall demo', 'the main job on a built-in test network (root)', DEMO_FLAGS));
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new UsageError('synwall demo makes network namespaces: run it as root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW)');
  }
  const { runDemo } = await import('../demo/index.js');
  const seconds = Number(f.seconds ?? 12);
  if (!(seconds >= 5)) throw new UsageError('--seconds must be at least 5');
  await runDemo({ seconds, chartPath: path.resolve(String(f.chart ?? 'synwall-demo.svg')) });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'serve') await serveCommand(rest);
    else if (cmd === 'demo') await demoCommand(rest);
    else if (cmd === undefined || cmd === '--help' || cmd === 'help') process.stdout.write(TOP);
    else throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`synwall: ${e.message}\n\n${TOP}`);
      return 2;
    }
    process.stderr.write(`synwall: ${(e as Error).message}\n`);
    return 1;
  }
}

// Through an npm bin link argv[1] is the link, so compare real paths.
const isMain = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (isMain) {
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
