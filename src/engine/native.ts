// Loads the C++ addons. synwall.node is the product: it exports the Engine
// class and nothing else. synwall_testing.node is built from the same sources
// plus native/addon_testing.cc (binding.gyp); its Engine also has the test
// hooks (setClock, setFaults) and it exports the wire/checksum/cookie entry
// points. Only tests, fuzzers and benchmarks load it, through
// loadTestingAddon() (synwall/testing wraps it).
//
// SYNWALL_ADDON may point at another build of the product addon (the ASan/UBSan
// one from `npm run build:sanitize`); the testing addon is then taken from the
// same directory unless SYNWALL_TESTING_ADDON names it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function productPath(): string {
  const override = process.env.SYNWALL_ADDON;
  return override ? path.resolve(override) : path.join(root, 'build', 'Release', 'synwall.node');
}

function testingPath(): string {
  const override = process.env.SYNWALL_TESTING_ADDON;
  if (override) return path.resolve(override);
  return path.join(path.dirname(productPath()), 'synwall_testing.node');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by the wrappers that use it
export type NativeModule = Record<string, any>;

export const addon = require(productPath()) as NativeModule;

let testing: NativeModule | undefined;

/** The testing addon (loaded on first use): for tests, fuzzers and benchmarks only. */
export function loadTestingAddon(): NativeModule {
  testing ??= require(testingPath()) as NativeModule;
  return testing;
}
