/**
 * The one place that loads the Rust addon. Everything else reaches the addon through
 * src/native/index.ts and its twins; nothing outside src/native requires a `.node`. It is looked
 * for, first found wins:
 *   1. native/sluice.node: built here by `npm run build:native` (which `npm install` in a checkout
 *      runs when cargo is present);
 *   2. native/sluice.<triple>.node: the prebuilt addon an `npm pack`ed package ships for the
 *      platform it was packed on (napi-rs's naming; native/prebuilt.mjs makes it);
 *   3. the package sluice-<triple> (napi-rs's platform packages, for a registry release that
 *      publishes one package per platform as optional dependencies).
 *
 * SLUICE_NATIVE picks the policy, read once when this module loads:
 *   auto (default)  use the addon if it loads, else the TypeScript twins;
 *   require         throw here (so `sluice start` fails) when it does not load;
 *   off             never load it.
 * Any other value throws, naming the accepted ones.
 *
 * The addon reports an `abiVersion`; one that differs from ADDON_ABI_VERSION (a stale build from
 * older Rust sources) is treated as not loadable, with a reason that says to rebuild.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { platformTriple } from './platform.js';

/** The JavaScript surface of native/src/lib.rs (documented there). */
export interface Addon {
  abiVersion: number;
  crc32cHardware: boolean;
  crc32c(buf: Buffer, start: number, end: number): number;
  validateBatches(buf: Buffer, start: number, client: number, maxBatchBytes: number, segmentBytes: number, out: Buffer): number;
  assignOffsets(buf: Buffer, position: number, baseOffset: bigint, leaderEpoch: number): void;
  zstdDecompress(src: Buffer, maxBytes: number): Buffer;
  zstdCompress(src: Buffer, level: number): Buffer;
  fileWrite(fd: number, buf: Buffer, position: number): void;
  fileRead(fd: number, into: Buffer, intoOffset: number, length: number, position: number): number;
  fileSize(fd: number): number;
  fileSync(fd: number): void;
  fileSyncAsync(fd: number): Promise<void>;
}

/** Must equal ABI_VERSION in native/src/lib.rs. */
export const ADDON_ABI_VERSION = 6;

export type NativeMode = 'off' | 'auto' | 'require';

export interface NativeStatus {
  loaded: boolean;
  /** Why the addon is not in use (absent when loaded). */
  reason?: string;
  /** The file loaded (absent when not loaded). */
  path?: string;
}

/**
 * <package root>/native/sluice.node. The root is the nearest ancestor of this module's file that
 * holds package.json and native/: this module runs as dist/src/native/addon.js (tests, embedding)
 * and inside the bundle dist/sluice.mjs (the `sluice` command), at different depths.
 */
const ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
export const ADDON_PATH = join(ROOT, 'native', 'sluice.node');
/** The prebuilt addon a packed package carries for this platform. */
export const PREBUILT_ADDON_PATH = join(ROOT, 'native', `sluice.${platformTriple()}.node`);
/** napi-rs's platform package for this platform. */
export const PLATFORM_PACKAGE = `sluice-${platformTriple()}`;

function packageRoot(from: string): string {
  for (let dir = from, up = 0; up < 8; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    if (dirname(dir) === dir) break;
  }
  // Not found: a path that does not exist, so the reason given is "not built" at the usual place.
  return join(from, '..', '..', '..');
}

function readMode(): NativeMode {
  const v = process.env.SLUICE_NATIVE ?? '';
  if (v === '') return 'auto';
  if (v === 'off' || v === 'auto' || v === 'require') return v;
  throw new Error(`SLUICE_NATIVE must be off, auto or require, got "${v}"`);
}

function load(mode: NativeMode): { addon: Addon | null; status: NativeStatus } {
  if (mode === 'off') return { addon: null, status: { loaded: false, reason: 'SLUICE_NATIVE=off' } };
  const require = createRequire(import.meta.url);
  let path = [ADDON_PATH, PREBUILT_ADDON_PATH].find((p) => existsSync(p));
  if (path === undefined) {
    try {
      path = require.resolve(PLATFORM_PACKAGE);
    } catch {
      // not installed: the reason below names all three places
    }
  }
  let reason: string;
  if (path === undefined) {
    reason = `${ADDON_PATH} is not built (cargo was not found at install; build it with npm run build:native), and neither ${PREBUILT_ADDON_PATH} nor the package ${PLATFORM_PACKAGE} is there`;
  } else {
    try {
      const addon = require(path) as Addon;
      if (addon.abiVersion === ADDON_ABI_VERSION) return { addon, status: { loaded: true, path } };
      reason = `${path} is stale (abi ${addon.abiVersion}, expected ${ADDON_ABI_VERSION}): run npm run build:native`;
    } catch (e) {
      reason = `${path} did not load: ${(e as Error).message}`;
    }
  }
  if (mode === 'require') throw new Error(`SLUICE_NATIVE=require but the native addon is not available: ${reason}`);
  return { addon: null, status: { loaded: false, reason } };
}

export const nativeMode: NativeMode = readMode();
const loaded = load(nativeMode);

/** The loaded addon, or null (then every caller uses the TypeScript twin). */
export const addon: Addon | null = loaded.addon;

export function nativeStatus(): NativeStatus {
  return { ...loaded.status };
}

/** One line for the broker's start-up log: which implementation runs and why. */
export function describeNative(): string {
  if (addon !== null)
    return `native addon loaded (CRC-32C ${addon.crc32cHardware ? 'in hardware, SSE4.2' : 'in software'}; segment I/O, async fsync and zstd decompression and compression native)`;
  return `native addon not used (${loaded.status.reason}): running on the TypeScript implementations`;
}
