/**
 * The encoders of compression-encoders.ts and zstd-compress.ts, each checked by a round trip
 * through our decoders (compression.ts) over inputs that exercise their edges: empty, one byte,
 * shorter than a match, incompressible, all one byte, text, and several blocks long; the framing
 * Kafka writes (xerial header, LZ4 frame descriptor and its checksum); the KIP-390 level ranges;
 * and zstd compression by both implementations (the addon and the WebAssembly twin). The real
 * clients' decoders read the same outputs in compat-tests/encoders.test.ts.
 */
import t from 'tap';
import { crc32c } from '../native/crc32c.js';
import { twinTest } from '../native/twins.js';
import { zstdDecompressTs } from '../native/zstd.js';
import { loadZstdTwin, zstdCompressNative, zstdCompressTs } from '../native/zstd-compress.js';
import { decompress, lz4FrameDecompress, snappyDecompress, snappyDecompressBlock } from './compression.js';
import { compress, DEFAULT_LEVELS, lz4CompressBlock, lz4FrameCompress, snappyCompressBlock, snappyXerialCompress, xxhash32 } from './compression-encoders.js';
import { Compression } from './record-batch.js';
import { encoderInputs } from './compression-fixtures.js';

await loadZstdTwin();

const CODECS: Array<[string, number]> = [
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
  ['zstd', Compression.zstd],
];

t.test('every codec round-trips through our decoders at the default levels', async (t) => {
  for (const [codecName, codec] of CODECS) {
    for (const [name, plain] of encoderInputs()) {
      const packed = compress(codec, plain);
      t.same(decompress(codec, packed, plain.length), plain, `${codecName}: ${name}`);
    }
  }
  t.equal(compress(Compression.none, Buffer.from('as is')).toString(), 'as is');
  t.throws(() => compress(7, Buffer.from('x')), RangeError);
});

t.test('levels: every end of each KIP-390 range round-trips; higher levels compress text at least as well', async (t) => {
  const text = encoderInputs()[6]![1];
  for (const gzip of [1, 9, -1]) t.same(decompress(Compression.gzip, compress(Compression.gzip, text, { ...DEFAULT_LEVELS, gzip }), text.length), text, `gzip ${gzip}`);
  const lz4Sizes = [1, 3, 9, 17].map((lz4) => {
    const packed = compress(Compression.lz4, text, { ...DEFAULT_LEVELS, lz4 });
    t.same(lz4FrameDecompress(packed, text.length), text, `lz4 ${lz4}`);
    return packed.length;
  });
  t.ok(lz4Sizes.every((n, i) => i === 0 || n <= lz4Sizes[i - 1]!), `lz4 sizes by level ${lz4Sizes.join(' >= ')}`);
  for (const zstd of [-131072, -1, 0, 1, 3, 22]) t.same(decompress(Compression.zstd, compress(Compression.zstd, text, { ...DEFAULT_LEVELS, zstd }), text.length), text, `zstd ${zstd}`);
  t.throws(() => lz4FrameCompress(text, 0), RangeError, 'lz4 level 0');
  t.throws(() => lz4FrameCompress(text, 18), RangeError, 'lz4 level 18');
  t.throws(() => compress(Compression.zstd, text, { ...DEFAULT_LEVELS, zstd: 23 }), RangeError, 'zstd level 23');
});

t.test('snappy: the xerial framing Kafka writes, 32 KiB blocks, each a raw block', async (t) => {
  const text = encoderInputs()[6]![1];
  const stream = snappyXerialCompress(text);
  t.same(stream.subarray(0, 16), Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]), 'header: magic, version 1, compatible 1');
  let pos = 16;
  let blocks = 0;
  while (pos < stream.length) {
    const n = stream.readInt32BE(pos);
    const block = snappyDecompressBlock(stream.subarray(pos + 4, pos + 4 + n), 1 << 20);
    t.ok(block.length <= 32 * 1024, 'at most 32 KiB a block');
    pos += 4 + n;
    blocks++;
  }
  t.equal(blocks, Math.ceil(text.length / 32768));
  t.ok(stream.length < text.length / 2, `text compresses (${stream.length} of ${text.length})`);
  t.same(snappyDecompress(stream, text.length), text);
  // Copies longer than 64 bytes and at distances past 2 KiB; literals longer than 60.
  const long = Buffer.concat([Buffer.alloc(5000, 1), encoderInputs()[4]![1].subarray(0, 3000), Buffer.alloc(5000, 1)]);
  t.same(snappyDecompressBlock(snappyCompressBlock(long), long.length), long);
});

t.test('lz4: Kafka\'s frame descriptor with a correct header checksum; stored blocks for noise', async (t) => {
  t.equal(xxhash32(Buffer.alloc(0), 0), 0x02cc5d05, 'xxhash32 of nothing');
  t.equal(xxhash32(Buffer.from('abc'), 0), 0x32d153ff, 'xxhash32 of abc');
  t.equal(xxhash32(Buffer.from('Nobody inspects the spammish repetition'), 0), 0xe2293b2f, 'xxhash32 over 16 bytes');
  const frame = lz4FrameCompress(encoderInputs()[4]![1]);
  t.equal(frame.readUInt32LE(0), 0x184d2204, 'magic');
  t.equal(frame[4], 0x60, 'FLG: version 1, independent blocks, no checksums');
  t.equal(frame[5], 0x40, 'BD: 64 KiB blocks');
  t.equal(frame[6], (xxhash32(Buffer.from([0x60, 0x40]), 0) >>> 8) & 0xff, 'header checksum');
  t.ok((frame.readUInt32LE(7) & 0x80000000) !== 0, 'incompressible: the first block is stored');
  t.equal(frame.readUInt32LE(frame.length - 4), 0, 'end mark');
  // Blocks are independent: each decodes alone (a match never reaches into the previous one).
  const text = encoderInputs()[6]![1];
  const block = lz4CompressBlock(text.subarray(65536, 131072));
  t.same(lz4FrameDecompress(Buffer.concat([frame.subarray(0, 7), u32(block.length), block, u32(0)]), 65536), text.subarray(65536, 131072));
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

twinTest('zstd compression: frames our decoder reads, at every level class', { ts: zstdCompressTs, native: zstdCompressNative }, (t, zstd) => {
  for (const [name, plain] of encoderInputs()) {
    for (const level of [-131072, -5, 1, 3, 19]) {
      const frame = zstd(plain, level);
      t.ok(zstdDecompressTs(frame, plain.length).equals(plain), `${name} at ${level}`);
    }
  }
  t.throws(() => zstd(Buffer.from('x'), 23), RangeError);
  t.throws(() => zstd(Buffer.from('x'), 1.5), RangeError);
});

t.test('zstd: the addon and the twin write the same frames (both are libzstd 1.5.7)', { skip: zstdCompressNative === null ? 'native addon not loaded' : false }, async (t) => {
  for (const [name, plain] of encoderInputs()) {
    const a = zstdCompressNative!(plain, 3);
    const b = zstdCompressTs(plain, 3);
    t.equal(crc32c(a, 0, a.length), crc32c(b, 0, b.length), name);
  }
});
