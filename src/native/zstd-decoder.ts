/**
 * A Zstandard decoder in TypeScript: the twin of the addon's libzstd decompression
 * (native/src/zstd.rs), written from RFC 8878 ("Zstandard Compression and the application/zstd
 * Media Type"), section numbers below. Decoding only, no dictionaries.
 *
 * Input: frames one after another; Zstandard frames (magic 0xFD2FB528, 3.1.1) and skippable frames
 * (magic 0x184D2A50-5F, 3.1.2, skipped). A frame is a header (window, optional content size, no
 * dictionary id), blocks (raw, RLE or compressed: a literals section of raw, RLE or
 * Huffman-coded bytes in 1 or 4 streams, then a sequences section of FSE-coded literal lengths,
 * offsets and match lengths), and an optional 4-byte XXH64 checksum, which is not verified (as
 * libzstd is told not to: the batch's CRC-32C covers the compressed bytes; see zstd.rs).
 *
 * The same bounds and refusals as the native decoder, so that both answer alike:
 *  - output at most `maxBytes`, grown as produced, never sized from a header; a frame whose
 *    declared content size passes what is left of the bound is refused before decoding;
 *  - windows above 2^27 bytes refused (libzstd's default windowLogMax); a block may not exceed
 *    min(window, 128 KiB) in or out;
 *  - every length and index is checked against the bytes present; malformed input throws
 *    DecodeError. Time is linear in input plus output (no table is larger than 2^11 entries).
 */
import { DecodeError } from '../protocol/wire.js';

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const WINDOW_LOG_MAX = 27;
const BLOCK_MAX_BYTES = 128 * 1024;
const HUFFMAN_BITS_MAX = 11;

function fail(why: string): never {
  throw new DecodeError(`zstd: ${why}`);
}

// -- output ---------------------------------------------------------------------------------------

/** The decoded bytes of every frame so far, grown on demand up to the bound. */
class Output {
  buf: Buffer;
  length = 0;
  constructor(
    initial: number,
    readonly maxBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(64, Math.min(initial, maxBytes)));
  }
  reserve(n: number): void {
    const need = this.length + n;
    if (need > this.maxBytes) fail(`output exceeds the limit of ${this.maxBytes} bytes`);
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(Math.max(need, this.buf.length * 2), this.maxBytes));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

// -- bit streams (4.1.1: read backward from the end mark) -----------------------------------------

/**
 * n < 32 bits of src starting at bit `at` of the byte range from `start`, least significant first.
 * Bytes past the range (or past src) may be read but only feed bits above the n wanted, which the
 * mask drops (a missing byte reads as undefined, 0 in the bit operations). Bits below the
 * range's first (`at` < 0) read as zeros.
 */
function bitsAt(src: Uint8Array, start: number, at: number, n: number): number {
  if (n === 0) return 0;
  if (at < 0) return n + at <= 0 ? 0 : bitsAt(src, start, 0, n + at) * 2 ** -at;
  if (n > 24) return bitsAt(src, start, at, 16) + bitsAt(src, start, at + 16, n - 16) * 65536;
  const i = start + (at >>> 3);
  const word = (src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24)) >>> 0;
  return (word >>> (at & 7)) & ((1 << n) - 1);
}

/**
 * A backward bit stream: the last byte's highest set bit marks the end; fields are read from
 * there towards the first byte. Reading past the first bit yields zeros and leaves `pos`
 * negative, which the callers check (a stream must be consumed exactly).
 */
class BackwardBits {
  pos: number;
  constructor(
    private readonly src: Uint8Array,
    private readonly start: number,
    end: number,
  ) {
    if (end <= start) fail('empty bit stream');
    const last = src[end - 1]!;
    if (last === 0) fail('bit stream without its end mark');
    this.pos = (end - start - 1) * 8 + (31 - Math.clz32(last));
  }
  read(n: number): number {
    const at = (this.pos -= n);
    if (at < 0 || n > 24) return bitsAt(this.src, this.start, at, n);
    const src = this.src;
    const i = this.start + (at >>> 3);
    return ((src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24)) >>> (at & 7)) & ((1 << n) - 1);
  }
  peek(n: number): number {
    return bitsAt(this.src, this.start, this.pos - n, n);
  }
}

// -- FSE (4.1) ------------------------------------------------------------------------------------

/** A decoding table: per state, its symbol, the bits to read and the baseline of the next state. */
interface FseTable {
  log: number;
  symbol: Uint8Array;
  bits: Uint8Array;
  base: Uint16Array;
}

/** Builds the decoding table of normalized counts `norm` (-1: "less than 1") at `log` (4.1.1). */
function fseTable(norm: readonly number[], log: number): FseTable {
  const size = 1 << log;
  const symbol = new Uint8Array(size);
  const next = new Uint16Array(norm.length);
  let high = size - 1;
  for (let s = 0; s < norm.length; s++) {
    if (norm[s] === -1) {
      symbol[high--] = s;
      next[s] = 1;
    } else next[s] = norm[s]!;
  }
  const step = (size >>> 1) + (size >>> 3) + 3;
  let pos = 0;
  for (let s = 0; s < norm.length; s++) {
    for (let i = 0; i < norm[s]!; i++) {
      symbol[pos] = s;
      do pos = (pos + step) & (size - 1);
      while (pos > high);
    }
  }
  if (pos !== 0) fail('FSE table does not fill its states');
  const bits = new Uint8Array(size);
  const base = new Uint16Array(size);
  for (let u = 0; u < size; u++) {
    const n = next[symbol[u]!]!++;
    bits[u] = log - (31 - Math.clz32(n));
    base[u] = (n << bits[u]!) - size;
  }
  return { log, symbol, bits, base };
}

/** One-symbol table (RLE mode). */
function rleTable(s: number): FseTable {
  return { log: 0, symbol: Uint8Array.of(s), bits: Uint8Array.of(0), base: Uint16Array.of(0) };
}

/**
 * Reads an FSE table description (4.1.1) at src[pos, end): returns the table and the position
 * after it. `maxSymbol` and `maxLog` are the field's limits.
 */
function readFseTable(src: Uint8Array, pos: number, end: number, maxSymbol: number, maxLog: number): [FseTable, number] {
  let bit = 0;
  const available = (end - pos) * 8;
  const take = (n: number): number => {
    if (bit + n > available) fail('truncated FSE table description');
    const v = bitsAt(src, pos, bit, n);
    bit += n;
    return v;
  };
  const log = take(4) + 5;
  if (log > maxLog) fail(`FSE accuracy ${log} above ${maxLog}`);
  const norm: number[] = [];
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let nbBits = log + 1;
  let previousZero = false;
  while (remaining > 1 && norm.length <= maxSymbol) {
    if (previousZero) {
      let repeat = take(2);
      let zeros = repeat;
      while (repeat === 3) {
        repeat = take(2);
        zeros += repeat;
      }
      for (let i = 0; i < zeros; i++) norm.push(0);
      if (norm.length > maxSymbol) break;
    }
    const max = 2 * threshold - 1 - remaining;
    let count: number;
    const low = bitsAt(src, pos, bit, nbBits - 1);
    if (low < max) {
      count = take(nbBits - 1);
    } else {
      count = take(nbBits);
      if (count >= threshold) count -= max;
    }
    count -= 1;
    remaining -= Math.abs(count);
    norm.push(count);
    previousZero = count === 0;
    if (remaining < 1) fail('FSE counts overflow the table');
    while (remaining < threshold) {
      nbBits--;
      threshold >>>= 1;
    }
  }
  if (remaining !== 1 || norm.length > maxSymbol + 1) fail('FSE counts do not add up');
  return [fseTable(norm, log), pos + ((bit + 7) >>> 3)];
}

// -- Huffman (4.2) --------------------------------------------------------------------------------

interface HuffmanTable {
  log: number;
  symbol: Uint8Array;
  bits: Uint8Array;
}

/** Huffman weights (4.2.1.2/4.2.1.3) at src[pos...]: returns the table and the position after. */
function readHuffmanTable(src: Uint8Array, pos: number, end: number): [HuffmanTable, number] {
  if (pos >= end) fail('truncated Huffman tree description');
  const header = src[pos++]!;
  const weights: number[] = [];
  if (header >= 128) {
    const n = header - 127;
    const bytes = (n + 1) >>> 1;
    if (bytes > end - pos) fail('truncated Huffman weights');
    for (let i = 0; i < n; i++) weights.push(i % 2 === 0 ? src[pos + (i >>> 1)]! >>> 4 : src[pos + (i >>> 1)]! & 15);
    pos += bytes;
  } else {
    if (header > end - pos) fail('truncated Huffman weights');
    fseWeights(src, pos, pos + header, weights);
    pos += header;
  }
  return [huffmanTable(weights), pos];
}

/** FSE-compressed weights: two interleaved states over one backward stream. */
function fseWeights(src: Uint8Array, start: number, end: number, weights: number[]): void {
  if (end === start) fail('empty Huffman weights');
  const [table, streamStart] = readFseTable(src, start, end, 255, 6);
  const bits = new BackwardBits(src, streamStart, end);
  const states = [bits.read(table.log), bits.read(table.log)];
  for (let which = 0; ; which ^= 1) {
    if (weights.length > 253) fail('too many Huffman weights');
    const s = states[which]!;
    weights.push(table.symbol[s]!);
    states[which] = table.base[s]! + bits.read(table.bits[s]!);
    if (bits.pos < 0) {
      weights.push(table.symbol[states[which ^ 1]!]!);
      return;
    }
  }
}

/** The decoding table of `weights` plus the implied last one (4.2.1.3). */
function huffmanTable(weights: number[]): HuffmanTable {
  let sum = 0;
  for (const w of weights) {
    if (w > HUFFMAN_BITS_MAX) fail(`Huffman weight ${w}`);
    if (w > 0) sum += 1 << (w - 1);
  }
  if (sum === 0) fail('Huffman weights all zero');
  const log = 32 - Math.clz32(sum);
  if (log > HUFFMAN_BITS_MAX) fail(`Huffman codes of ${log} bits`);
  const rest = (1 << log) - sum;
  if ((rest & (rest - 1)) !== 0) fail('Huffman weights do not complete a tree');
  weights.push(32 - Math.clz32(rest));
  const rankCount = new Array<number>(log + 2).fill(0);
  for (const w of weights) rankCount[w]!++;
  const rankStart = new Array<number>(log + 2).fill(0);
  for (let w = 1, at = 0; w <= log; w++) {
    rankStart[w] = at;
    at += rankCount[w]! << (w - 1);
  }
  const symbol = new Uint8Array(1 << log);
  const bits = new Uint8Array(1 << log);
  for (let s = 0; s < weights.length; s++) {
    const w = weights[s]!;
    if (w === 0) continue;
    const n = 1 << (w - 1);
    const at = rankStart[w]!;
    symbol.fill(s, at, at + n);
    bits.fill(log + 1 - w, at, at + n);
    rankStart[w] = at + n;
  }
  return { log, symbol, bits };
}

/** Decodes `count` symbols of one Huffman stream src[start, end) into lit[at...]. */
function huffmanStream(table: HuffmanTable, src: Uint8Array, start: number, end: number, lit: Uint8Array, at: number, count: number): void {
  const bits = new BackwardBits(src, start, end);
  for (let i = 0; i < count; i++) {
    const k = bits.peek(table.log);
    lit[at + i] = table.symbol[k]!;
    bits.pos -= table.bits[k]!;
  }
  if (bits.pos !== 0) fail('Huffman stream not consumed exactly');
}

// -- blocks ---------------------------------------------------------------------------------------

/** What a frame carries from block to block (3.1.1.3.2 and 4). */
interface FrameState {
  frameStart: number;
  blockMax: number;
  huffman: HuffmanTable | null;
  ll: FseTable | null;
  of: FseTable | null;
  ml: FseTable | null;
  rep: [number, number, number];
  literals: Uint8Array;
}

/** Literals section (3.1.1.3.1) at src[pos, end): the literal count in st.literals, and the position after. */
function readLiterals(src: Uint8Array, pos: number, end: number, st: FrameState): [number, number] {
  const b0 = src[pos]!;
  const type = b0 & 3;
  const format = (b0 >>> 2) & 3;
  if (type < 2) {
    const headerBytes = format === 1 ? 2 : format === 3 ? 3 : 1;
    if (end - pos < headerBytes) fail('truncated literals header');
    let size = b0 >>> 3; // formats 0 and 2: 5 bits
    if (format === 1) size = (b0 >>> 4) + (src[pos + 1]! << 4);
    else if (format === 3) size = (b0 >>> 4) + (src[pos + 1]! << 4) + (src[pos + 2]! << 12);
    if (size > BLOCK_MAX_BYTES) fail(`${size} literals in a block`);
    pos += headerBytes;
    if (type === 0) {
      if (size > end - pos) fail('raw literals overrun the block');
      st.literals.set(src.subarray(pos, pos + size));
      return [size, pos + size];
    }
    if (pos >= end) fail('truncated RLE literals');
    st.literals.fill(src[pos]!, 0, size);
    return [size, pos + 1];
  }
  const headerBytes = format < 2 ? 3 : format === 2 ? 4 : 5;
  if (end - pos < headerBytes) fail('truncated literals header');
  const b1 = src[pos + 1]!;
  const b2 = src[pos + 2]!;
  let size: number;
  let compressed: number;
  if (format < 2) {
    const h = b0 | (b1 << 8) | (b2 << 16);
    size = (h >>> 4) & 0x3ff;
    compressed = (h >>> 14) & 0x3ff;
  } else if (format === 2) {
    const h = (b0 | (b1 << 8) | (b2 << 16) | (src[pos + 3]! << 24)) >>> 0;
    size = (h >>> 4) & 0x3fff;
    compressed = h >>> 18;
  } else {
    size = (b0 >>> 4) | (b1 << 4) | ((b2 & 0x3f) << 12);
    compressed = (b2 >>> 6) | (src[pos + 3]! << 2) | (src[pos + 4]! << 10);
  }
  pos += headerBytes;
  if (size > BLOCK_MAX_BYTES) fail(`${size} literals in a block`);
  if (compressed > end - pos) fail('compressed literals overrun the block');
  const stop = pos + compressed;
  if (type === 2) [st.huffman, pos] = readHuffmanTable(src, pos, stop);
  else if (st.huffman === null) fail('treeless literals before any Huffman table');
  huffmanStreams(st.huffman!, src, pos, stop, st.literals, size, format === 0 ? 1 : 4);
  return [size, stop];
}

function huffmanStreams(table: HuffmanTable, src: Uint8Array, pos: number, end: number, lit: Uint8Array, size: number, streams: number): void {
  if (streams === 1) {
    huffmanStream(table, src, pos, end, lit, 0, size);
    return;
  }
  if (end - pos < 10 || size < 6) fail('4-stream literals too small');
  const s1 = src[pos]! | (src[pos + 1]! << 8);
  const s2 = src[pos + 2]! | (src[pos + 3]! << 8);
  const s3 = src[pos + 4]! | (src[pos + 5]! << 8);
  const a = pos + 6;
  const b = a + s1;
  const c = b + s2;
  const d = c + s3;
  if (d > end) fail('Huffman jump table overruns the literals');
  const segment = (size + 3) >>> 2;
  if (segment * 3 > size) fail('4-stream literals too small');
  huffmanStream(table, src, a, b, lit, 0, segment);
  huffmanStream(table, src, b, c, lit, segment, segment);
  huffmanStream(table, src, c, d, lit, 2 * segment, segment);
  huffmanStream(table, src, d, end, lit, 3 * segment, size - 3 * segment);
}

// Sequence codes (3.1.1.3.2.1.1): baselines and extra bits of literal and match length codes.
const LL_BASE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const LL_BITS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const ML_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99,
  131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539,
];
const ML_BITS = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];
/** Offset codes: 2^code, plus `code` extra bits. */
const OF_BASE = Array.from({ length: 32 }, (_, code) => 2 ** code);
// Predefined distributions (3.1.1.3.2.2.1).
const LL_DEFAULT = fseTable([4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1], 6);
const ML_DEFAULT = fseTable(
  [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1,
    -1,
  ],
  6,
);
const OF_DEFAULT = fseTable([1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1], 5);

/** One of the three tables by its compression mode (3.1.1.3.2.1.2); returns it and the position after. */
function sequenceTable(mode: number, src: Uint8Array, pos: number, end: number, predefined: FseTable, previous: FseTable | null, maxSymbol: number, maxLog: number): [FseTable, number] {
  if (mode === 0) return [predefined, pos];
  if (mode === 1) {
    if (pos >= end) fail('truncated RLE sequence table');
    if (src[pos]! > maxSymbol) fail(`RLE sequence symbol ${src[pos]}`);
    return [rleTable(src[pos]!), pos + 1];
  }
  if (mode === 2) return readFseTable(src, pos, end, maxSymbol, maxLog);
  if (previous === null) fail('repeated sequence table before any');
  return [previous, pos];
}

/** Sequences section (3.1.1.3.2) at src[pos, end), executed into `out` with `litCount` literals. */
function sequences(src: Uint8Array, pos: number, end: number, st: FrameState, litCount: number, out: Output): void {
  if (pos >= end) fail('truncated sequences header');
  const b0 = src[pos++]!;
  let count = b0;
  if (b0 >= 128) {
    if (pos >= end) fail('truncated sequences header');
    if (b0 < 255) count = ((b0 - 128) << 8) + src[pos++]!;
    else {
      if (end - pos < 2) fail('truncated sequences header');
      count = src[pos]! + (src[pos + 1]! << 8) + 0x7f00;
      pos += 2;
    }
  }
  if (count === 0) {
    if (pos !== end) fail('bytes after an empty sequences section');
    appendBytes(out, st.literals, 0, litCount);
    return;
  }
  if (pos >= end) fail('truncated sequence modes');
  const modes = src[pos++]!;
  if ((modes & 3) !== 0) fail('reserved sequence mode bits set');
  [st.ll, pos] = sequenceTable(modes >>> 6, src, pos, end, LL_DEFAULT, st.ll, 35, 9);
  [st.of, pos] = sequenceTable((modes >>> 4) & 3, src, pos, end, OF_DEFAULT, st.of, 31, 8);
  [st.ml, pos] = sequenceTable((modes >>> 2) & 3, src, pos, end, ML_DEFAULT, st.ml, 52, 9);
  executeSequences(new BackwardBits(src, pos, end), count, st, litCount, out);
}

function executeSequences(bits: BackwardBits, count: number, st: FrameState, litCount: number, out: Output): void {
  const ll = st.ll!;
  const of = st.of!;
  const ml = st.ml!;
  let llState = bits.read(ll.log);
  let ofState = bits.read(of.log);
  let mlState = bits.read(ml.log);
  let lit = 0;
  const blockStart = out.length;
  for (let i = 0; i < count; i++) {
    const ofCode = of.symbol[ofState]!;
    const mlCode = ml.symbol[mlState]!;
    const llCode = ll.symbol[llState]!;
    const offsetValue = OF_BASE[ofCode]! + bits.read(ofCode);
    const matchLength = ML_BASE[mlCode]! + bits.read(ML_BITS[mlCode]!);
    const literalLength = LL_BASE[llCode]! + bits.read(LL_BITS[llCode]!);
    const offset = resolveOffset(st.rep, offsetValue, literalLength === 0);
    if (literalLength > litCount - lit) fail('sequence uses more literals than decoded');
    if (out.length - blockStart + literalLength + matchLength > st.blockMax) fail('block decodes past its maximum size');
    appendBytes(out, st.literals, lit, lit + literalLength);
    lit += literalLength;
    appendMatch(out, offset, matchLength, st);
    if (i + 1 < count) {
      llState = ll.base[llState]! + bits.read(ll.bits[llState]!);
      mlState = ml.base[mlState]! + bits.read(ml.bits[mlState]!);
      ofState = of.base[ofState]! + bits.read(of.bits[ofState]!);
    }
  }
  if (bits.pos !== 0) fail('sequence bit stream not consumed exactly');
  if (out.length - blockStart + litCount - lit > st.blockMax) fail('block decodes past its maximum size');
  appendBytes(out, st.literals, lit, litCount);
}

/** The match offset of an offset value, updating the repeat offsets (3.1.1.5). */
function resolveOffset(rep: [number, number, number], value: number, noLiterals: boolean): number {
  if (value > 3) {
    rep[2] = rep[1];
    rep[1] = rep[0];
    rep[0] = value - 3;
    return rep[0];
  }
  const index = value - 1 + (noLiterals ? 1 : 0);
  if (index === 0) return rep[0];
  const offset = index === 3 ? rep[0] - 1 : rep[index]!;
  if (offset === 0) fail('repeat offset of 0');
  if (index !== 1) rep[2] = rep[1];
  rep[1] = rep[0];
  rep[0] = offset;
  return offset;
}

/** Below this many bytes a copy is a loop: cheaper than a subarray view or a native copy. */
const SHORT_COPY_BYTES = 32;

function appendBytes(out: Output, from: Uint8Array, start: number, end: number): void {
  const n = end - start;
  out.reserve(n);
  const buf = out.buf;
  const op = out.length;
  if (n < SHORT_COPY_BYTES) for (let i = 0; i < n; i++) buf[op + i] = from[start + i]!;
  else buf.set(from.subarray(start, end), op);
  out.length += n;
}

function appendMatch(out: Output, offset: number, length: number, st: FrameState): void {
  if (offset > out.length - st.frameStart) fail(`match offset ${offset} before the frame's start`);
  out.reserve(length);
  const buf = out.buf;
  const op = out.length;
  const from = op - offset;
  if (length < SHORT_COPY_BYTES) for (let i = 0; i < length; i++) buf[op + i] = buf[from + i]!;
  else {
    // The match repeats the `offset` bytes before it: copy them, then what is done so far, each
    // chunk from bytes already written (an overlapping match, offset < length, included).
    for (let done = 0; done < length; ) {
      const n = Math.min(done + offset, length - done);
      buf.copyWithin(op + done, from, from + n);
      done += n;
    }
  }
  out.length += length;
}

// -- frames (3.1.1) -------------------------------------------------------------------------------

interface FrameHeader {
  window: number;
  contentSize: number | null;
  checksum: boolean;
  end: number;
}

function frameHeader(src: Buffer, pos: number): FrameHeader {
  if (src.length - pos < 2) fail('truncated frame header');
  const fhd = src[pos++]!;
  if ((fhd & 8) !== 0) fail('reserved frame header bit set');
  const singleSegment = (fhd & 0x20) !== 0;
  const fcsFlag = fhd >>> 6;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
  const descriptor = singleSegment ? 0 : 1;
  if (src.length - pos < descriptor + dictBytes + fcsBytes) fail('truncated frame header');
  let window = 0;
  if (!singleSegment) {
    const wd = src[pos++]!;
    const log = 10 + (wd >>> 3);
    if (log > WINDOW_LOG_MAX) fail(`window of 2^${log} bytes above the limit of 2^${WINDOW_LOG_MAX}`);
    window = 2 ** log + (2 ** log / 8) * (wd & 7);
  }
  for (let i = 0; i < dictBytes; i++) if (src[pos + i] !== 0) fail('frames with a dictionary are not supported');
  pos += dictBytes;
  let contentSize: number | null = null;
  if (fcsBytes > 0) {
    contentSize = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) contentSize = contentSize * 256 + src[pos + i]!;
    if (fcsBytes === 2) contentSize += 256;
    pos += fcsBytes;
  }
  if (singleSegment) window = contentSize!;
  if (window > 2 ** WINDOW_LOG_MAX + 1) fail(`window of ${window} bytes above the limit of 2^${WINDOW_LOG_MAX}`);
  return { window, contentSize, checksum: (fhd & 4) !== 0, end: pos };
}

/** One Zstandard frame whose header starts at `pos` (after the magic); returns the position after it. */
function frame(src: Buffer, pos: number, out: Output, literals: Uint8Array): number {
  const h = frameHeader(src, pos);
  const left = out.maxBytes - out.length;
  if (h.contentSize !== null && h.contentSize > left) fail(`a frame declares ${h.contentSize} bytes of content, past the limit (${left} bytes left)`);
  const st: FrameState = {
    frameStart: out.length,
    blockMax: Math.min(h.window, BLOCK_MAX_BYTES),
    huffman: null,
    ll: null,
    of: null,
    ml: null,
    rep: [1, 4, 8],
    literals,
  };
  pos = h.end;
  for (let last = false; !last; ) {
    if (src.length - pos < 3) fail('truncated block header');
    const bh = src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16);
    pos += 3;
    last = (bh & 1) === 1;
    const type = (bh >>> 1) & 3;
    const size = bh >>> 3;
    if (size > st.blockMax) fail(`block of ${size} bytes above the maximum of ${st.blockMax}`);
    if (type === 3) fail('reserved block type');
    const inBytes = type === 1 ? 1 : size;
    if (inBytes > src.length - pos) fail('block overruns the input');
    if (type === 0) appendBytes(out, src, pos, pos + size);
    else if (type === 1) {
      out.reserve(size);
      out.buf.fill(src[pos]!, out.length, out.length + size);
      out.length += size;
    } else compressedBlock(src, pos, pos + size, st, out);
    pos += inBytes;
  }
  if (h.checksum) {
    if (src.length - pos < 4) fail('truncated content checksum');
    pos += 4;
  }
  if (h.contentSize !== null && out.length - st.frameStart !== h.contentSize) fail(`frame decoded to ${out.length - st.frameStart} bytes, declared ${h.contentSize}`);
  return pos;
}

function compressedBlock(src: Buffer, pos: number, end: number, st: FrameState, out: Output): void {
  if (pos >= end) fail('empty compressed block');
  const [litCount, after] = readLiterals(src, pos, end, st);
  sequences(src, after, end, st, litCount, out);
}

/**
 * The decoded literals of the block at hand, allocated once: decoding is synchronous and calls
 * nothing outside this module, so one buffer serves every call.
 */
let literalsScratch: Uint8Array | null = null;

/** The contents of the frames in `src`, at most `maxBytes` of them; DecodeError when malformed or past it. */
export function zstdDecompressTs(src: Buffer, maxBytes: number): Buffer {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`zstd: maxBytes must be a non-negative integer, got ${maxBytes}`);
  const out = new Output(src.length * 4, maxBytes);
  literalsScratch ??= new Uint8Array(BLOCK_MAX_BYTES);
  const literals = literalsScratch;
  let pos = 0;
  while (pos < src.length) {
    if (src.length - pos < 4) fail(`truncated frame magic at ${pos}`);
    const magic = src.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (src.length - pos < 8) fail('truncated skippable frame');
      const n = src.readUInt32LE(pos + 4);
      if (n > src.length - pos - 8) fail('skippable frame overruns the input');
      pos += 8 + n;
      continue;
    }
    if (magic !== ZSTD_MAGIC) fail(`bad frame magic 0x${magic.toString(16)}`);
    pos = frame(src, pos + 4, out, literals);
  }
  return out.buf.subarray(0, out.length);
}
