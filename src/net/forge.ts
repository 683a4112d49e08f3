/**
 * node-forge, loaded on first use. It is CommonJS that requires node's builtins at run time, so
 * it is not bundled into dist/sluice.mjs (esbuild's ESM output cannot do that) but required from
 * node_modules, and only by what needs it (PKCS12 trust stores, client certificate subjects,
 * `sluice certs`): about 30 ms of module loading stays off the path of a plain broker start.
 */
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

let loaded: typeof Forge | undefined;

export function nodeForge(): typeof Forge {
  loaded ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return loaded;
}
