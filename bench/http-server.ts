// The server side of bench/data-path.ts: one http.Server, run inside the
// server's namespace (`ip netns exec`), on the data path named in argv[2]:
//   node               Node's own net on the kernel (the baseline)
//   synwall-kernel     synwall answers handshakes, the kernel moves the bytes
//   synwall-userspace  synwall's own TCP engine moves the bytes
// usage: tsx bench/http-server.ts <path> <interface> <address> <port>
// Prints "ready" once listening. GET /bytes/N answers N bytes; PUT/POST
// answers with the number of bytes received; anything else gets "hello".
import http from 'node:http';
import { createServer } from '../src/index.js';

const [path, ifname, address, portArg] = process.argv.slice(2);
const port = Number(portArg);
const block = Buffer.alloc(256 * 1024, 0x61);

const web = http.createServer((req, res) => {
  if (req.method === 'PUT' || req.method === 'POST') {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => res.end(`${n}\n`));
    return;
  }
  if (req.url?.startsWith('/bytes/')) {
    let left = Number(req.url.slice(7));
    res.writeHead(200, { 'content-length': String(left) });
    const pump = (): void => {
      while (left > 0) {
        const piece = left >= block.length ? block : block.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return;
  }
  res.end('hello\n');
});
web.keepAliveTimeout = 60_000;

function ready(): void {
  console.log('ready');
}

if (path === 'node') {
  web.listen({ host: address, port, backlog: 511 }, ready);
} else if (path === 'synwall-kernel' || path === 'synwall-userspace') {
  const kernel = path === 'synwall-kernel';
  const front = createServer({ dataPath: kernel ? 'kernel' : 'userspace' }, (socket) => web.emit('connection', socket));
  front.on('error', (e) => {
    console.error(e.message);
    process.exit(1);
  });
  const synCookies = (process.env.SYNWALL_BENCH_SYN_COOKIES ?? 'auto') as 'auto' | 'always' | 'never';
  const rxMode = process.env.SYNWALL_BENCH_RX_MODE as 'ring' | 'recvmmsg' | undefined;
  front.listen({ interface: ifname, address, port, backlog: 511, synCookies, rxMode, addressMode: kernel ? 'shared' : 'owned' }, ready);
} else {
  console.error(`unknown data path ${path}`);
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
