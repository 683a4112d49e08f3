/**
 * zstd decompression (Kafka's compression type 4) for src/log/compression.ts: the contents of the
 * frames in `src` (concatenated frames and skippable frames as RFC 8878 allows), never more than
 * `maxBytes` of them. Malformed input and output past `maxBytes` throw DecodeError, like the
 * other codecs' decoders.
 *
 *   zstdDecompress         what the broker calls: the addon's libzstd when loaded, else the twin
 *   zstdDecompressNative   the addon's (native/src/zstd.rs), or null when it is not loaded
 *   zstdDecompressTs       the TypeScript twin (zstd-decoder.ts), same bounds and answers
 *
 * Node 20 has no zstd in node:zlib, so the twin is our own decoder: the npm decoder that fits
 * (fzstd 0.1.1) cannot be bounded. It allocates the window a frame header declares (up to 2 GB)
 * before decoding, copies that whole window once per block when the frame has no content size
 * (a frame of many empty blocks is a CPU bomb), and neither reports nor bounds its output when
 * given a buffer.
 */
import { DecodeError } from '../protocol/wire.js';
import { addon } from './addon.js';
import { zstdDecompressTs } from './zstd-decoder.js';

export { zstdDecompressTs };

export type ZstdDecompress = (src: Buffer, maxBytes: number) => Buffer;

function native(src: Buffer, maxBytes: number): Buffer {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`zstd: maxBytes must be a non-negative integer, got ${maxBytes}`);
  try {
    return addon!.zstdDecompress(src, maxBytes);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'SLUICE_DECODE') throw new DecodeError((e as Error).message);
    throw e;
  }
}

/** The addon's decoder, or null when the addon is not loaded. */
export const zstdDecompressNative: ZstdDecompress | null = addon === null ? null : native;

/** What the broker calls. */
export const zstdDecompress: ZstdDecompress = zstdDecompressNative ?? zstdDecompressTs;
