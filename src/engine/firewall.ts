// 'shared' address mode: the kernel holds the address too, so it would answer
// every SYN synwall sees with a RST of its own (no socket of its own is
// listening) or, worse, complete handshakes itself. A scoped rule drops
// inbound TCP to synwall's ports at the INPUT hook; AF_PACKET sees frames
// before netfilter, so synwall still gets them. One nftables table per engine,
// named after the process, so rules are removed as a whole and a crashed
// process's table is easy to spot (`nft list tables`). iptables is the
// fallback where nft is missing.
//
// The kernel data path ('handoff' rules) lets the kernel have what it owns:
// every SYN is still dropped (synwall answers it, and a kernel TIME_WAIT
// socket must not turn it into a RST); a segment for a socket carrying the
// handoff mark -- set as the last step of a handoff -- passes, and so do FINs
// and RSTs for a TIME_WAIT / FIN_WAIT_2 remnant of one; everything else
// (handshakes in progress, cookie ACKs, strays) is dropped and left to
// synwall. Frames synwall gives back to the kernel after a handoff come in
// through the loopback and pass.
import { execFileSync } from 'node:child_process';
import { processAlive } from './process-alive.js';

export interface FirewallScope {
  /** Network namespace to apply the rule in (name under /run/netns). */
  netns?: string;
  address: string;
  /** SO_MARK of handed-off sockets (the 'handoff' rules match it). */
  handoffMark?: number;
}

/** 'drop': all inbound TCP to the port; 'handoff': all but handed-off flows. */
export type PortRule = 'drop' | 'handoff';

export class FirewallError extends Error {
  readonly code = 'EPERM';
  constructor(message: string) {
    super(message);
    this.name = 'FirewallError';
  }
}

let tableCounter = 0;

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Owns the INPUT drop rules for one engine's ports. */
export class InputDropRules {
  private readonly table = `synwall_${process.pid}_${tableCounter++}`;
  private readonly ports = new Map<number, PortRule>();
  private readonly tool: 'nft' | 'iptables';
  private created = false;

  constructor(private readonly scope: FirewallScope) {
    this.tool = has('nft') ? 'nft' : 'iptables';
  }

  /** The commands that add the rule for `port`, as a user would type them. */
  commandsFor(port: number, rule: PortRule = 'drop'): string[][] {
    const { address } = this.scope;
    if (this.tool === 'iptables') {
      if (rule === 'handoff') throw new FirewallError("dataPath 'kernel' needs nftables (the nft command; Debian: apt-get install nftables)");
      return [['iptables', '-I', 'INPUT', '-d', address, '-p', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', this.table, '-j', 'DROP']];
    }
    const cmds: string[][] = [];
    if (!this.created) {
      cmds.push(['nft', 'add', 'table', 'ip', this.table]);
      // Priority -10: before the usual filter chains, so a distribution's
      // own INPUT accept rules cannot let the SYN reach the kernel's TCP.
      cmds.push(['nft', 'add', 'chain', 'ip', this.table, 'input', '{ type filter hook input priority -10 ; policy accept ; }']);
    }
    const match = ['nft', 'add', 'rule', 'ip', this.table, 'input', 'ip', 'daddr', address, 'tcp', 'dport', String(port)];
    if (rule === 'handoff') {
      // Frames synwall gives back to the kernel come in through the loopback.
      cmds.push([...match, 'iifname', 'lo', 'counter', 'accept']);
      const mark = `0x${(this.scope.handoffMark ?? 0).toString(16)}`;
      cmds.push([...match, 'tcp', 'flags', '&', '(syn|ack)', '==', 'syn', 'counter', 'drop']);
      cmds.push([...match, 'socket', 'mark', mark, 'counter', 'accept']);
      // 'socket mark' needs a full socket: a TIME_WAIT or FIN_WAIT_2 remnant
      // makes the expression fail, not match, and falls through. Such a
      // remnant needs only FINs (to ACK again) and RSTs; it must not see the
      // handshake of a new connection that reuses its 4-tuple (it would
      // answer with stale ACKs).
      cmds.push([...match, 'socket', 'mark', '!=', mark, 'counter', 'drop']);
      cmds.push([...match, 'tcp', 'flags', '&', '(fin|rst)', '!=', '0', 'socket', 'transparent', '0', 'counter', 'accept']);
      // Counters: `nft list table ip synwall_<pid>_<n>` shows where a flow's segments went.
      cmds.push([...match, 'counter', 'drop']);
      return cmds;
    }
    cmds.push([...match, 'drop']);
    return cmds;
  }

  add(port: number, rule: PortRule = 'drop'): void {
    const had = this.ports.get(port);
    if (had === rule) return;
    if (had !== undefined) throw new FirewallError(`port ${port} already has '${had}' rules in this engine; close it before listening with another data path`);
    if (!this.created) this.removeStale();
    const cmds = this.commandsFor(port, rule);
    for (const c of cmds) this.run(c, port, rule);
    this.created = true;
    this.ports.set(port, rule);
  }

  /**
   * Tables of synwall processes that are gone (killed with SIGKILL, say):
   * their rules would keep dropping traffic, so the next one removes them.
   */
  private removeStale(): void {
    if (this.tool !== 'nft') return;
    let out = '';
    try {
      const w = this.wrap(['nft', 'list', 'tables', 'ip']);
      out = execFileSync(w[0], w.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return;
    }
    for (const m of out.matchAll(/^table ip (synwall_(\d+)_\d+)$/gm)) {
      const pid = Number(m[2]);
      if (pid === process.pid || processAlive(pid)) continue;
      try {
        this.exec(['nft', 'delete', 'table', 'ip', m[1]]);
      } catch {
        /* another process removed it first */
      }
    }
  }

  /** Removes every rule this object added. Never throws. */
  removeAll(): void {
    try {
      if (this.tool === 'nft') {
        if (this.created) this.exec(['nft', 'delete', 'table', 'ip', this.table]);
      } else {
        for (const port of this.ports.keys()) {
          this.exec(['iptables', '-D', 'INPUT', '-d', this.scope.address, '-p', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', this.table, '-j', 'DROP']);
        }
      }
    } catch {
      /* best effort: the namespace may already be gone */
    }
    this.ports.clear();
    this.created = false;
  }

  private wrap(argv: string[]): string[] {
    return this.scope.netns ? ['ip', 'netns', 'exec', this.scope.netns, ...argv] : argv;
  }

  private exec(argv: string[]): void {
    const w = this.wrap(argv);
    execFileSync(w[0], w.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private run(argv: string[], port: number, rule: PortRule): void {
    try {
      this.exec(argv);
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? '');
      const denied = /Operation not permitted|Permission denied|must be root/i.test(stderr);
      const typed = this.commandsFor(port, rule)
        .map((c) => this.wrap(c).map((a) => (/[\s{};]/.test(a) ? `'${a}'` : a)).join(' '))
        .join('\n  ');
      if (denied) {
        throw new FirewallError(
          `synwall needs CAP_NET_ADMIN in 'shared' address mode to keep the kernel from answering port ${port}. ` +
            `Run as root, grant it (sudo setcap cap_net_admin,cap_net_raw+ep "$(readlink -f "$(command -v node)")"), ` +
            `or add the rule yourself and use addressMode 'shared' with manageFirewall: false:\n  ${typed}`,
        );
      }
      throw new FirewallError(`adding the INPUT drop rule for port ${port} failed: ${stderr.trim()}\n  ${typed}`);
    }
  }
}
