/**
 * zstd compression (Kafka's compression type 4) for the broker's encoders
 * (src/log/compression-encoders.ts): one frame holding `src` at a compression level, Kafka's
 * compression.zstd.level (-131072..22; 0 is libzstd's default, 3).
 *
 *   zstdCompress         what the broker calls: the addon's libzstd when loaded, else the twin
 *   zstdCompressNative   the addon's (native/src/zstd.rs), or null when it is not loaded
 *   zstdCompressTs       the twin: libzstd 1.5.7 compiled to WebAssembly, from the npm package
 *                        @hpcc-js/wasm-zstd (below)
 *
 * Why that package for the twin: Node 20's node:zlib has no zstd (it came in Node 22.15), and an
 * encoder of our own would be a second zstd implementation to keep right. @hpcc-js/wasm-zstd is
 * the reference C library itself built to WebAssembly (so both implementations write frames of
 * the same library), Apache-2.0, without dependencies, published from the maintained
 * hpcc-js-wasm repository, and runs on Node 20. The other candidates: zstd-codec (Emscripten,
 * unmaintained since 2019), @bokuweb/zstd-wasm (0.x, a compile of an older libzstd),
 * @mongodb-js/zstd and zstd-napi (native addons: no twin). The package is only a twin for
 * compression; decompression of produced batches stays with our bounded decoder (zstd.ts says why
 * an npm decoder does not do).
 *
 * The WebAssembly module is instantiated asynchronously (WebAssembly.instantiate), so this module
 * loads it with a top-level await when the addon is not loaded: importing it then costs the
 * compile (0.2-0.3 s measured on the 2-core development machine, against 0.1 s for loading the addon). With the addon loaded nothing
 * is instantiated until `loadZstdTwin()` is awaited (tests and the benchmark do). Only the
 * broker's writers import this module, never the decompression workers.
 */
import { Zstd } from '@hpcc-js/wasm-zstd';
import { addon } from './addon.js';

export type ZstdCompress = (src: Buffer, level: number) => Buffer;

/** Kafka's ZStdCompression MIN_LEVEL, MAX_LEVEL and DEFAULT_LEVEL (libzstd's). */
export const ZSTD_LEVEL_MIN = -131072;
export const ZSTD_LEVEL_MAX = 22;
export const ZSTD_LEVEL_DEFAULT = 3;

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < ZSTD_LEVEL_MIN || level > ZSTD_LEVEL_MAX)
    throw new RangeError(`zstd: the compression level must be an integer in [${ZSTD_LEVEL_MIN}, ${ZSTD_LEVEL_MAX}], got ${level}`);
}

let wasm: Zstd | null = null;

/** Instantiates the twin's WebAssembly module (once); zstdCompressTs needs it. */
export async function loadZstdTwin(): Promise<void> {
  wasm ??= await Zstd.load();
}

export const zstdCompressTs: ZstdCompress = (src, level) => {
  checkLevel(level);
  if (wasm === null) throw new Error('zstd: the WebAssembly twin is not loaded (await loadZstdTwin() first)');
  const out = wasm.compress(src, level);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
};

function native(src: Buffer, level: number): Buffer {
  checkLevel(level);
  return addon!.zstdCompress(src, level);
}

/** The addon's encoder, or null when the addon is not loaded. */
export const zstdCompressNative: ZstdCompress | null = addon === null ? null : native;

if (zstdCompressNative === null) await loadZstdTwin();

/** What the broker calls. */
export const zstdCompress: ZstdCompress = zstdCompressNative ?? zstdCompressTs;
