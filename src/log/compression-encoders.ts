/**
 * Compression of the record sections of batches the broker writes itself: a batch recompressed to
 * the topic's compression.type on append (recompress.ts, Kafka's LogValidator) and a batch the
 * log cleaner rewrote (cleaner.ts). The decoders are in compression.ts; every encoder here is
 * checked against them and against the real clients' decoders (compression-encoders.test.ts,
 * compat-tests/recompression.test.ts).
 *
 * Codecs, by the attribute id of a v2 batch, in the framing Kafka's Java producer writes, which
 * every client reads:
 *  - 1 gzip: node:zlib's gzip at compression.gzip.level (1..9, or -1 for zlib's default, 6).
 *  - 2 snappy: the xerial "snappy-java" stream (Kafka's SnappyOutputStream): the 16-byte header
 *    (magic 0x82 "SNAPPY" 0x00, version 1, compatible version 1, int32 big-endian), then for each
 *    32 KiB of input (one empty block for no input) an int32 big-endian length and one raw snappy
 *    block. Our own block encoder
 *    (no npm snappy encoder is pure JavaScript and kept): greedy matching of 4-byte sequences
 *    through a hash table, per 64 KiB fragment as the reference encoder does, literals and copies
 *    with 1- and 2-byte offsets. Snappy has no levels (Kafka has no compression.snappy.level).
 *  - 3 lz4: one LZ4 frame as Kafka's Lz4BlockOutputStream writes it: magic, FLG 0x60 (version 1,
 *    independent blocks, no checksums, no content size), BD 0x40 (64 KiB blocks), the header
 *    checksum (the second byte of xxhash32 of FLG and BD), blocks each prefixed by its int32
 *    little-endian size (the high bit set for a block stored uncompressed because compressing did
 *    not make it smaller), and the end mark 0. Our own block encoder: greedy; levels 1-2 as LZ4's
 *    fast mode (one candidate, skipping ahead through incompressible data), higher levels search
 *    hash chains deeper as compression.lz4.level (1..17, Kafka's default 9) rises (up to 256
 *    candidates), so a higher level is slower and compresses as well or better; the levels do not
 *    reproduce lz4-java's bytes.
 *  - 4 zstd: one frame from libzstd at compression.zstd.level (src/native/zstd-compress.ts: the
 *    addon, or libzstd compiled to WebAssembly without it).
 *
 * Inputs are the broker's own bytes, bounded by the batch limits (limits.ts); nothing here reads
 * from the wire.
 */
import { gzipSync } from 'node:zlib';
import { zstdCompress, ZSTD_LEVEL_DEFAULT, ZSTD_LEVEL_MAX, ZSTD_LEVEL_MIN } from '../native/zstd-compress.js';
import { Compression } from './record-batch.js';

/** KIP-390's levels, Kafka's defaults and ranges (CompressionType's GZIP, LZ4 and ZSTD). */
export const GZIP_LEVEL = { min: 1, max: 9, default: -1 } as const;
export const LZ4_LEVEL = { min: 1, max: 17, default: 9 } as const;
export const ZSTD_LEVEL = { min: ZSTD_LEVEL_MIN, max: ZSTD_LEVEL_MAX, default: ZSTD_LEVEL_DEFAULT } as const;

/** The levels of a topic (compression.gzip.level, compression.lz4.level, compression.zstd.level). */
export interface CompressionLevels {
  gzip: number;
  lz4: number;
  zstd: number;
}

export const DEFAULT_LEVELS: CompressionLevels = { gzip: GZIP_LEVEL.default, lz4: LZ4_LEVEL.default, zstd: ZSTD_LEVEL.default };

/** `plain` compressed with `codec` (none returns it as is) at the topic's level for that codec. */
export function compress(codec: number, plain: Buffer, levels: CompressionLevels = DEFAULT_LEVELS): Buffer {
  switch (codec) {
    case Compression.none:
      return plain;
    case Compression.gzip:
      return gzipSync(plain, { level: levels.gzip });
    case Compression.snappy:
      return snappyXerialCompress(plain);
    case Compression.lz4:
      return lz4FrameCompress(plain, levels.lz4);
    case Compression.zstd:
      return zstdCompress(plain, levels.zstd);
    default:
      throw new RangeError(`no encoder for compression id ${codec}`);
  }
}

// -- snappy -------------------------------------------------------------------------------------

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
/** snappy-java's default block size, which Kafka's SnappyOutputStream keeps. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

/** The xerial stream Kafka's Java producer writes. */
export function snappyXerialCompress(plain: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  // Empty input: one empty block, so that readers that take a bare header for raw snappy
  // (python-snappy's stream detection wants more than 16 bytes) still see the framing.
  for (let pos = 0; pos < plain.length || pos === 0; pos += XERIAL_BLOCK_BYTES) {
    const block = snappyCompressBlock(plain.subarray(pos, Math.min(plain.length, pos + XERIAL_BLOCK_BYTES)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** The reference encoder compresses its input in fragments of this size (offsets stay below it). */
const SNAPPY_FRAGMENT_BYTES = 65536;
const SNAPPY_HASH_BITS = 14;

/** One raw snappy block (what librdkafka writes, and each block of the xerial stream). */
export function snappyCompressBlock(src: Buffer): Buffer {
  const out = Buffer.allocUnsafe(32 + src.length + Math.ceil(src.length / 6));
  let op = 0;
  let n = src.length;
  do {
    out[op++] = (n & 0x7f) | (n > 0x7f ? 0x80 : 0);
    n = Math.floor(n / 128);
  } while (n > 0);
  const table = new Int32Array(1 << SNAPPY_HASH_BITS);
  for (let start = 0; start < src.length; start += SNAPPY_FRAGMENT_BYTES) {
    const end = Math.min(src.length, start + SNAPPY_FRAGMENT_BYTES);
    op = snappyFragment(src, start, end, out, op, table);
  }
  return out.subarray(0, op);
}

/**
 * How far src[from..] repeats src[at..] (from < at), starting from `len` bytes known equal and
 * stopping at `limit` (exclusive) for the later one; four bytes a step while they can.
 */
function matchLength(src: Buffer, from: number, at: number, len: number, limit: number): number {
  while (at + len + 4 <= limit && src.readUInt32LE(from + len) === src.readUInt32LE(at + len)) len += 4;
  while (at + len < limit && src[from + len] === src[at + len]) len++;
  return len;
}

function hash4(src: Buffer, i: number, bits: number): number {
  return Math.imul(src.readUInt32LE(i), 0x1e35a7bd) >>> (32 - bits);
}

function snappyFragment(src: Buffer, start: number, end: number, out: Buffer, op: number, table: Int32Array): number {
  table.fill(-1);
  let literalStart = start;
  let i = start;
  // A match needs 4 bytes to compare; the last bytes are literals.
  const limit = end - 4;
  while (i <= limit) {
    const h = hash4(src, i, SNAPPY_HASH_BITS);
    const candidate = table[h]!;
    table[h] = i;
    if (candidate < start || src.readUInt32LE(candidate) !== src.readUInt32LE(i)) {
      i++;
      continue;
    }
    const len = matchLength(src, candidate, i, 4, end);
    op = snappyLiteral(src, literalStart, i, out, op);
    op = snappyCopy(out, op, i - candidate, len);
    i += len;
    literalStart = i;
  }
  return snappyLiteral(src, literalStart, end, out, op);
}

function snappyLiteral(src: Buffer, from: number, to: number, out: Buffer, op: number): number {
  const n = to - from;
  if (n === 0) return op;
  const m = n - 1;
  if (m < 60) out[op++] = m << 2;
  else {
    const bytes = m < 0x100 ? 1 : m < 0x10000 ? 2 : m < 0x1000000 ? 3 : 4;
    out[op++] = (59 + bytes) << 2;
    for (let b = 0; b < bytes; b++) out[op++] = (m >>> (8 * b)) & 0xff;
  }
  src.copy(out, op, from, to);
  return op + n;
}

/** Copies of at most 64 bytes each: a 1-byte offset form for 4..11 bytes within 2 KiB, else 2 bytes. */
function snappyCopy(out: Buffer, op: number, offset: number, len: number): number {
  while (len >= 68) {
    op = snappyCopy2(out, op, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    op = snappyCopy2(out, op, offset, 60);
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
    return op;
  }
  return snappyCopy2(out, op, offset, len);
}

function snappyCopy2(out: Buffer, op: number, offset: number, len: number): number {
  out[op++] = 2 | ((len - 1) << 2);
  out.writeUInt16LE(offset, op);
  return op + 2;
}

// -- lz4 ----------------------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;
/** FLG: version 01, block independence; BD: 64 KiB blocks (Kafka's defaults). */
const LZ4_FLG = 0x60;
const LZ4_BD = 0x40;
const LZ4_BLOCK_BYTES = 64 * 1024;
/** LZ4's end-of-block rules: the last 5 bytes are literals, no match starts in the last 12. */
const LZ4_LAST_LITERALS = 5;
const LZ4_MF_LIMIT = 12;
const LZ4_MAX_DISTANCE = 65535;
const LZ4_HASH_BITS = 15;
/** A match this long ends the chain search (as LZ4HC's and zstd's target lengths do). */
const LZ4_GOOD_MATCH = 256;

/** One LZ4 frame holding `plain`, as Kafka writes it. */
export function lz4FrameCompress(plain: Buffer, level: number = LZ4_LEVEL.default): Buffer {
  if (!Number.isInteger(level) || level < LZ4_LEVEL.min || level > LZ4_LEVEL.max) throw new RangeError(`lz4: level must be in [1, 17], got ${level}`);
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, LZ4_FLG, LZ4_BD, (xxhash32(Buffer.from([LZ4_FLG, LZ4_BD]), 0) >>> 8) & 0xff]);
  const parts: Buffer[] = [header];
  // Kafka's blocks are independent: each is compressed on its own.
  for (let pos = 0; pos < plain.length; pos += LZ4_BLOCK_BYTES) {
    const block = plain.subarray(pos, Math.min(plain.length, pos + LZ4_BLOCK_BYTES));
    const packed = lz4CompressBlock(block, level);
    const size = Buffer.allocUnsafe(4);
    if (packed.length < block.length) {
      size.writeUInt32LE(packed.length);
      parts.push(size, packed);
    } else {
      size.writeUInt32LE((block.length | 0x80000000) >>> 0);
      parts.push(size, block);
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

/** Candidates searched along a hash chain at `level`: 1 at levels 1-2, then doubling every two levels up to 256 at 17. */
function lz4Attempts(level: number): number {
  return level <= 2 ? 1 : 1 << Math.min(8, (level - 1) >> 1);
}

/** One LZ4 block (the sequence format) holding `src`, at most 64 KiB (one frame block). */
export function lz4CompressBlock(src: Buffer, level: number = LZ4_LEVEL.default): Buffer {
  if (src.length > LZ4_BLOCK_BYTES) throw new RangeError(`lz4: a block holds at most ${LZ4_BLOCK_BYTES} bytes, got ${src.length}`);
  const out = Buffer.allocUnsafe(16 + src.length + Math.ceil(src.length / 255));
  let op = 0;
  let anchor = 0;
  const end = src.length;
  const matchLimit = end - LZ4_LAST_LITERALS;
  const attempts = lz4Attempts(level);
  // Levels 1-2 as LZ4's fast mode: positions inside a match are not indexed, and a run of
  // misses steps further ahead (LZ4's acceleration), so incompressible data passes quickly.
  const fast = attempts === 1;
  if (end >= LZ4_MF_LIMIT + 1) {
    const head = new Int32Array(1 << LZ4_HASH_BITS).fill(-1);
    // Positions of a block are below 64 KiB, so every earlier position is within LZ4's distance.
    const prev = new Int32Array(end);
    let i = 0;
    let misses = 0;
    const lastStart = end - LZ4_MF_LIMIT;
    while (i <= lastStart) {
      let bestLen = 0;
      let bestAt = -1;
      const word = src.readUInt32LE(i);
      const h = Math.imul(word, 0x9e3779b1) >>> (32 - LZ4_HASH_BITS);
      let c = head[h]!;
      for (let tries = 0; c >= 0 && tries < attempts; tries++) {
        // A longer match must also differ nowhere before bestLen: check its last byte first.
        if (src[c + bestLen] === src[i + bestLen] && src.readUInt32LE(c) === word) {
          const len = matchLength(src, c, i, 4, matchLimit);
          if (len > bestLen) {
            bestLen = len;
            bestAt = c;
            // Long enough: searching on costs more than it can gain (long runs, zeros).
            if (len >= LZ4_GOOD_MATCH || i + len >= matchLimit) break;
          }
        }
        c = prev[c]!;
      }
      prev[i] = head[h]!;
      head[h] = i;
      if (bestAt < 0) {
        i += fast ? 1 + (misses++ >> 6) : 1;
        continue;
      }
      misses = 0;
      op = lz4Sequence(src, anchor, i, i - bestAt, bestLen, out, op);
      if (!fast) {
        // Index the positions inside the match (LZ4HC does), only the last few of a long one:
        // a run of zeros would otherwise cost a hash per byte for nothing.
        const from = bestLen < LZ4_GOOD_MATCH ? i + 1 : i + bestLen - 16;
        for (let p = from; p < i + bestLen && p <= lastStart; p++) {
          const hp = Math.imul(src.readUInt32LE(p), 0x9e3779b1) >>> (32 - LZ4_HASH_BITS);
          prev[p] = head[hp]!;
          head[hp] = p;
        }
      }
      i += bestLen;
      anchor = i;
    }
  }
  return out.subarray(0, lz4Sequence(src, anchor, end, 0, 0, out, op));
}

/** Literals src[from, to), then (unless matchLen is 0: the last sequence) a match. */
function lz4Sequence(src: Buffer, from: number, to: number, distance: number, matchLen: number, out: Buffer, op: number): number {
  const literals = to - from;
  const m = matchLen === 0 ? 0 : matchLen - 4;
  const token = op++;
  out[token] = (Math.min(literals, 15) << 4) | Math.min(m, 15);
  if (literals >= 15) op = lz4Length(out, op, literals - 15);
  src.copy(out, op, from, to);
  op += literals;
  if (matchLen === 0) return op;
  out.writeUInt16LE(distance, op);
  op += 2;
  if (m >= 15) op = lz4Length(out, op, m - 15);
  return op;
}

function lz4Length(out: Buffer, op: number, n: number): number {
  while (n >= 255) {
    out[op++] = 255;
    n -= 255;
  }
  out[op++] = n;
  return op;
}

// -- xxhash32 (the LZ4 frame's header checksum) ----------------------------------------------

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/** XXH32 of `buf` with `seed`, unsigned. */
export function xxhash32(buf: Buffer, seed: number): number {
  let i = 0;
  let h: number;
  if (buf.length >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (; i + 16 <= buf.length; i += 16) {
      v1 = round(v1, buf.readInt32LE(i));
      v2 = round(v2, buf.readInt32LE(i + 4));
      v3 = round(v3, buf.readInt32LE(i + 8));
      v4 = round(v4, buf.readInt32LE(i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + buf.length) | 0;
  for (; i + 4 <= buf.length; i += 4) h = Math.imul(rotl((h + Math.imul(buf.readInt32LE(i), P3)) | 0, 17), P4);
  for (; i < buf.length; i++) h = Math.imul(rotl((h + Math.imul(buf[i]!, P5)) | 0, 11), P1);
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}
