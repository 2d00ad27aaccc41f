// Loads the C++ addon. SYNWALL_ADDON may point at another build of it (the
// ASan/UBSan one from `npm run build:sanitize`).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function load(): unknown {
  const override = process.env.SYNWALL_ADDON;
  if (override) return require(path.resolve(override));
  return require(path.join(root, 'build', 'Release', 'synwall.node'));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by the wrappers that use it
export const addon = load() as Record<string, any>;
