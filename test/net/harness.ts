// The one fixture module of the real-path tests: `it` is vitest's test with
// the fixtures below. A fixture is set up only for a test that names it and
// torn down after that test (the code after use()), the ones that depend on
// `net` before the network itself goes. Helpers are in helpers.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'vitest';
import type { PacketEngineOptions } from '../../src/engine/packet-engine.js';
import type { Server } from '../../src/net/index.js';
import { openEngineCount } from '../../src/net/shared-stack.js';
import type { TcpStackOptions } from '../../src/stack/index.js';
import { createTestNetwork, type TestingPacketEngine, type TestNetwork } from '../../src/testing/index.js';
import { openEngine, openStack, stop, until, type TestingStack } from './helpers.js';

export interface NetFixtures {
  /** A fresh test network (two namespaces and a veth), destroyed after the test. */
  net: TestNetwork;
  /** The same, with the server's address held by the kernel too ('shared' address mode, the kernel data path, kernel baselines). */
  kernelNet: TestNetwork;
  /** A temporary directory (captures), removed after the test. */
  dir: string;
  /** Opens a PacketEngine (testing addon) on net.server; every one is closed after the test. */
  openEngine: (options?: Partial<PacketEngineOptions>) => TestingPacketEngine;
  /** Opens a TcpStack on net.server; every one is closed after the test. */
  openStack: (options?: TcpStackOptions, engine?: Partial<PacketEngineOptions>) => TestingStack;
  /** Returns `server`, stopped after the test (and its engine closed); later ones first. */
  stopAfter: <S extends Server>(server: S) => S;
}

export interface SharedNetFixtures {
  /** One test network for every test of a file that names it, destroyed after the file. */
  sharedNet: TestNetwork;
}

export const it = test.extend<NetFixtures & SharedNetFixtures>({
  // eslint-disable-next-line no-empty-pattern -- vitest reads the fixtures a fixture needs from this pattern
  net: async ({}, use) => {
    const net = await createTestNetwork();
    await use(net);
    // Engines of the net API (connect() sockets, servers) close asynchronously.
    await until(() => openEngineCount() === 0, 10_000, 'engines to close').catch(() => undefined);
    await net.destroy();
  },
  // eslint-disable-next-line no-empty-pattern
  kernelNet: async ({}, use) => {
    const net = await createTestNetwork({ kernelOwnsServerAddress: true });
    await use(net);
    await until(() => openEngineCount() === 0, 10_000, 'engines to close').catch(() => undefined);
    await net.destroy();
  },
  sharedNet: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const net = await createTestNetwork();
      await use(net);
      await net.destroy();
    },
    { scope: 'file' },
  ],
  // eslint-disable-next-line no-empty-pattern
  dir: async ({}, use) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'synwall-test-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  openEngine: async ({ net }, use) => {
    const opened: TestingPacketEngine[] = [];
    await use((options = {}) => {
      const engine = openEngine(net, options);
      opened.push(engine);
      return engine;
    });
    for (const engine of opened) engine.close();
  },
  openStack: async ({ net }, use) => {
    const opened: TestingStack[] = [];
    await use((options = {}, engine = {}) => {
      const stack = openStack(net, options, engine);
      opened.push(stack);
      return stack;
    });
    for (const stack of opened) stack.close();
  },
  stopAfter: async ({}, use) => {
    const servers: Server[] = [];
    await use((server) => {
      servers.push(server);
      return server;
    });
    for (const server of servers.reverse()) await stop(server).catch(() => undefined);
  },
});

export { describe, expect } from 'vitest';
