/**
 * Decompression of the record sections of batches: the record checks of produced compressed
 * batches (batch-records.ts, bounded by limits.decompressedPerMessageByteMax) and the log cleaner
 * (cleaner.ts). Never used on the fetch path, which keeps batches opaque.
 *
 * Codecs, by the attribute id of a v2 batch (Kafka's CompressionType):
 *  - 1 gzip: a gzip stream (RFC 1952), through node:zlib. Also encoded (the cleaner re-compresses
 *    a cleaned gzip batch with gzip).
 *  - 2 snappy: either the xerial "snappy-java" stream the Java client and kafkajs write (a 16-byte
 *    header: magic 0x82 "SNAPPY" 0x00, version int32, compatible version int32; then blocks, each
 *    an int32 big-endian length and one raw snappy block), or a single raw snappy block, which is
 *    what librdkafka writes. Raw snappy (Google's format description): an unsigned varint with the
 *    uncompressed length, then elements whose tag byte's low two bits say literal (0), copy with a
 *    1-byte (1), 2-byte (2) or 4-byte (3) little-endian offset.
 *  - 3 lz4: the LZ4 frame format (magic 0x184D2204, a frame descriptor, blocks each prefixed by a
 *    uint32 little-endian size whose high bit marks a stored block, an end mark of 0, optional
 *    block and content checksums). Frames may follow each other; skippable frames (magic
 *    0x184D2A50-5F) are skipped. The xxhash32 checksums are not verified: the batch CRC-32C already
 *    covers the compressed bytes.
 *  - 4 zstd: Zstandard frames (RFC 8878; concatenated frames and skippable frames allowed),
 *    decoded by the native addon's libzstd or, without the addon, its TypeScript twin
 *    (src/native/zstd.ts; Node 20 has no zstd). Output grown as decoded, never sized from a
 *    frame header; a declared content size past the limit is refused before decoding. Content
 *    checksums are skipped as lz4's are. Never encoded here (the cleaner rewrites a cleaned zstd
 *    batch uncompressed).
 *
 * Every decoder is bounded: output past `maxBytes` throws DecompressedTooLargeError (a
 * DecodeError), a malformed input throws DecodeError (never reads or writes outside its buffers).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { zstdDecompress } from '../native/zstd.js';
import { DecodeError } from '../protocol/wire.js';
import { Compression } from './record-batch.js';

/** Decompressed output would pass the caller's `maxBytes`: the input may be well-formed. */
export class DecompressedTooLargeError extends DecodeError {}

/**
 * The uncompressed bytes of `data` compressed with `codec`; `data` itself for none; null for an
 * unknown codec. Throws DecodeError when the input is malformed or would exceed `maxBytes`.
 */
export function decompress(codec: number, data: Buffer, maxBytes: number): Buffer | null {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gunzip(data, maxBytes);
    case Compression.snappy:
      return snappyDecompress(data, maxBytes);
    case Compression.lz4:
      return lz4FrameDecompress(data, maxBytes);
    case Compression.zstd:
      return zstdDecompress(data, maxBytes);
    default:
      return null;
  }
}

export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

function gunzip(data: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressedTooLargeError(`gzip: output exceeds the limit of ${maxBytes} bytes`);
    throw new DecodeError(`gzip: ${(e as Error).message}`);
  }
}

// -- snappy -------------------------------------------------------------------------------------

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** Snappy as Kafka clients write it: xerial-framed blocks, or one raw block. */
export function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return snappyDecompressBlock(data, maxBytes);
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < data.length) {
    if (data.length - pos < 4) throw new DecodeError(`snappy: truncated block length at ${pos}`);
    const n = data.readInt32BE(pos);
    pos += 4;
    if (n < 0 || n > data.length - pos) throw new DecodeError(`snappy: block of ${n} bytes with ${data.length - pos} left`);
    const block = snappyDecompressBlock(data.subarray(pos, pos + n), maxBytes - total);
    parts.push(block);
    total += block.length;
    pos += n;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

/** One raw snappy block. */
export function snappyDecompressBlock(src: Buffer, maxBytes: number): Buffer {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw new DecodeError('snappy: bad uncompressed length');
    const b = src[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  if (length > maxBytes) throw new DecompressedTooLargeError(`snappy: ${length} bytes exceed the limit of ${maxBytes}`);
  const out = Buffer.allocUnsafe(length);
  let op = 0;
  while (pos < src.length) {
    const tag = src[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > src.length) throw new DecodeError('snappy: truncated literal length');
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[pos + i]! * 2 ** (8 * i);
        pos += bytes;
      }
      n += 1;
      if (n > src.length - pos || n > length - op) throw new DecodeError(`snappy: literal of ${n} bytes does not fit`);
      src.copy(out, op, pos, pos + n);
      pos += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= src.length) throw new DecodeError('snappy: truncated copy');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > src.length) throw new DecodeError('snappy: truncated copy');
      n = (tag >>> 2) + 1;
      offset = src.readUInt16LE(pos);
      pos += 2;
    } else {
      if (pos + 4 > src.length) throw new DecodeError('snappy: truncated copy');
      n = (tag >>> 2) + 1;
      offset = src.readUInt32LE(pos);
      pos += 4;
    }
    if (offset === 0 || offset > op || n > length - op) throw new DecodeError(`snappy: copy of ${n} at distance ${offset} does not fit`);
    copyMatch(out, op, offset, n);
    op += n;
  }
  if (op !== length) throw new DecodeError(`snappy: produced ${op} of ${length} bytes`);
  return out;
}

/** Copies `n` bytes from `distance` back, byte by byte where source and target overlap. */
function copyMatch(out: Buffer, op: number, distance: number, n: number): void {
  if (distance >= n) {
    out.copy(out, op, op - distance, op - distance + n);
    return;
  }
  for (let i = 0; i < n; i++) out[op + i] = out[op - distance + i]!;
}

// -- lz4 ----------------------------------------------------------------------------------------

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
/** Block maximum sizes by the BD byte's field (4..7): 64 KiB, 256 KiB, 1 MiB, 4 MiB. */
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/** Growable output with a hard bound. */
class Output {
  buf: Buffer;
  length = 0;
  constructor(
    initial: number,
    private readonly maxBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(64, Math.min(initial, maxBytes)));
  }
  reserve(n: number): void {
    const need = this.length + n;
    if (need > this.maxBytes) throw new DecompressedTooLargeError(`lz4: output exceeds the limit of ${this.maxBytes} bytes`);
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(Math.min(size, Math.max(need, this.maxBytes)));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

/** One or more LZ4 frames. */
export function lz4FrameDecompress(src: Buffer, maxBytes: number): Buffer {
  const out = new Output(src.length * 4, maxBytes);
  let pos = 0;
  while (pos < src.length) {
    if (src.length - pos < 4) throw new DecodeError(`lz4: truncated frame magic at ${pos}`);
    const magic = src.readUInt32LE(pos);
    if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      if (src.length - pos < 8) throw new DecodeError('lz4: truncated skippable frame');
      const n = src.readUInt32LE(pos + 4);
      if (n > src.length - pos - 8) throw new DecodeError('lz4: skippable frame overruns the input');
      pos += 8 + n;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) throw new DecodeError(`lz4: bad frame magic 0x${magic.toString(16)}`);
    pos = lz4Frame(src, pos + 4, out);
  }
  return out.buf.subarray(0, out.length);
}

/** Decodes one frame whose descriptor starts at `pos`; returns the position after it. */
function lz4Frame(src: Buffer, pos: number, out: Output): number {
  if (src.length - pos < 3) throw new DecodeError('lz4: truncated frame descriptor');
  const flg = src[pos]!;
  const bd = src[pos + 1]!;
  if (flg >>> 6 !== 1) throw new DecodeError(`lz4: frame version ${flg >>> 6}`);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  const blockMax = LZ4_BLOCK_MAX[(bd >>> 4) & 7]!;
  if (blockMax === 0) throw new DecodeError(`lz4: block size id ${(bd >>> 4) & 7}`);
  pos += 2 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // FLG, BD, fields, header checksum
  if (pos > src.length) throw new DecodeError('lz4: truncated frame descriptor');
  for (;;) {
    if (src.length - pos < 4) throw new DecodeError('lz4: truncated block size');
    const word = src.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const stored = (word & 0x80000000) !== 0;
    const n = word & 0x7fffffff;
    if (n > blockMax || n > src.length - pos) throw new DecodeError(`lz4: block of ${n} bytes does not fit`);
    if (stored) {
      out.reserve(n);
      src.copy(out.buf, out.length, pos, pos + n);
      out.length += n;
    } else {
      lz4Block(src, pos, pos + n, out);
    }
    pos += n + (blockChecksum ? 4 : 0);
  }
  pos += contentChecksum ? 4 : 0;
  if (pos > src.length) throw new DecodeError('lz4: truncated content checksum');
  return pos;
}

/** One LZ4 block, src[pos, end), appended to `out` (matches may reach into earlier blocks). */
function lz4Block(src: Buffer, pos: number, end: number, out: Output): void {
  while (pos < end) {
    const token = src[pos++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      for (;;) {
        if (pos >= end) throw new DecodeError('lz4: truncated literal length');
        const b = src[pos++]!;
        literals += b;
        if (b !== 255) break;
      }
    }
    if (literals > end - pos) throw new DecodeError('lz4: literals overrun the block');
    out.reserve(literals);
    src.copy(out.buf, out.length, pos, pos + literals);
    out.length += literals;
    pos += literals;
    if (pos === end) return; // the last sequence has literals only
    if (end - pos < 2) throw new DecodeError('lz4: truncated match offset');
    const distance = src.readUInt16LE(pos);
    pos += 2;
    let n = (token & 15) + 4;
    if ((token & 15) === 15) {
      for (;;) {
        if (pos >= end) throw new DecodeError('lz4: truncated match length');
        const b = src[pos++]!;
        n += b;
        if (b !== 255) break;
      }
    }
    if (distance === 0 || distance > out.length) throw new DecodeError(`lz4: match distance ${distance} with ${out.length} bytes out`);
    out.reserve(n);
    copyMatch(out.buf, out.length, distance, n);
    out.length += n;
  }
}

