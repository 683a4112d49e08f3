/**
 * zstd decompression, both implementations (the addon's libzstd and the TypeScript decoder): frames
 * from the reference encoder (zstd-fixtures.ts), concatenated and skippable frames, the output
 * bound (zstd bombs), truncated and malformed input, mutated frames (only DecodeError, never
 * more than the bound); then a differential run of mutated frames (TS_STRICTER says where the two
 * may differ).
 */
import { DecodeError } from '../protocol/wire.js';
import { nativeTest, rng, twinTest } from './twins.js';
import { zstdDecompressNative, zstdDecompressTs, type ZstdDecompress } from './zstd.js';
import * as fx from './zstd-fixtures.js';

/** The text the fixtures compress (zstd-fixtures.ts). */
function zstdText(): Buffer {
  let s = '';
  for (let i = 0; i < 300; i++) s += `record-${i}-` + 'abcdefgh'.repeat(i % 9) + '\n';
  return Buffer.from(s);
}

function zstdBigText(): Buffer {
  let s = '';
  for (let i = 0; i < 4000; i++) s += `record-${i}-` + 'abcdefgh'.repeat(i % 9) + ` key${i % 37}\n`;
  return Buffer.from(s);
}

const impls = { ts: zstdDecompressTs, native: zstdDecompressNative };
const MIB = 1024 * 1024;
const text = zstdText();

/** A skippable frame (magic 0x184D2A5x) of `n` bytes. */
function skippable(nibble: number, n: number): Buffer {
  const f = Buffer.alloc(8 + n, 0xee);
  f.writeUInt32LE(0x184d2a50 + nibble, 0);
  f.writeUInt32LE(n, 4);
  return f;
}

/** A frame of one raw block holding `content`, without a content size (window 1 KiB). */
function rawFrame(content: Buffer, fhd = 0x00, extra: number[] = [0x00]): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, fhd, ...extra]);
  const block = Buffer.alloc(3);
  block.writeUIntLE(1 | (content.length << 3), 0, 3);
  return Buffer.concat([header, block, content]);
}

twinTest('zstd: frames from the reference encoder decode to their text', impls, (t, zstd) => {
  t.same(zstd(fx.withSize, MIB), text, 'content size and checksum in the frame');
  t.same(zstd(fx.streamed, MIB), text, 'no content size (a streaming encoder)');
  t.same(zstd(fx.withSize, text.length), text, 'exactly at the bound');
  t.same(zstd(fx.bigFast, MIB), zstdBigText(), 'several blocks, fastest level');
  t.same(zstd(fx.bigUltra, MIB), zstdBigText(), 'several blocks, --ultra -22');
  t.same(zstd(fx.bombStreamed, 64 * MIB), Buffer.alloc(64 * MIB), '64 MiB of zeros when the bound allows it');
  t.same(zstd(Buffer.alloc(0), 0), Buffer.alloc(0), 'no frame: nothing');
});

twinTest('zstd: concatenated frames and skippable frames', impls, (t, zstd) => {
  const src = Buffer.concat([skippable(0, 5), fx.withSize, skippable(15, 0), fx.streamed, rawFrame(Buffer.from('tail'))]);
  t.same(zstd(src, MIB), Buffer.concat([text, text, Buffer.from('tail')]));
  t.throws(() => zstd(src, 2 * text.length + 3), DecodeError, 'the bound covers all frames together');
  t.throws(() => zstd(skippable(0, 5).subarray(0, 10), MIB), DecodeError, 'skippable frame cut short');
});

twinTest('zstd: a bomb is refused at the bound', impls, (t, zstd) => {
  t.throws(() => zstd(fx.bombSized, MIB), { name: 'DecodeError', message: /a frame declares 67108864 bytes of content, past the limit \(1048576 bytes left\)/ }, 'declared size: refused before decoding');
  t.throws(() => zstd(fx.bombStreamed, MIB), { name: 'DecodeError', message: /output exceeds the limit of 1048576 bytes/ }, 'no declared size: stopped at the bound');
  t.throws(() => zstd(fx.withSize, text.length - 1), DecodeError, 'one byte over');
  t.throws(() => zstd(fx.streamed, text.length - 1), DecodeError, 'one byte over, no declared size');
  t.throws(() => zstd(Buffer.concat([fx.withSize, fx.bombSized]), text.length + MIB), /\(1048576 bytes left\)/, 'what is left after earlier frames');
});

twinTest('zstd: truncated input, garbage and unsupported frames throw DecodeError', impls, (t, zstd) => {
  for (const [name, frame] of [['withSize', fx.withSize], ['streamed', fx.streamed]] as const) {
    let refused = 0;
    for (let cut = 1; cut < frame.length; cut++) {
      try {
        zstd(frame.subarray(0, cut), MIB);
      } catch (e) {
        if (e instanceof DecodeError) refused++;
        else throw e;
      }
    }
    t.equal(refused, frame.length - 1, `${name}: every cut refused`);
  }
  t.throws(() => zstd(Buffer.from('not zstd at all'), MIB), DecodeError, 'bad magic');
  t.throws(() => zstd(Buffer.from([0x28, 0xb5, 0x2f]), MIB), DecodeError, 'magic cut short');
  // Window descriptor: exponent (2^(10 + e)) in the high 5 bits, eighths to add in the low 3.
  t.same(zstd(rawFrame(Buffer.from('x'), 0x00, [17 << 3]), MIB), Buffer.from('x'), 'window of 2^27: accepted');
  t.throws(() => zstd(rawFrame(Buffer.from('x'), 0x00, [(17 << 3) | 1]), MIB), DecodeError, 'window of 2^27 x 1.125');
  t.throws(() => zstd(rawFrame(Buffer.from('x'), 0x00, [18 << 3]), MIB), DecodeError, 'window of 2^28');
  t.throws(() => zstd(rawFrame(Buffer.from('x'), 0x01, [0x00, 0x07]), MIB), DecodeError, 'dictionary id');
  t.throws(() => zstd(rawFrame(Buffer.from('x'), 0x08), MIB), DecodeError, 'reserved header bit');
  const wrongSize = rawFrame(Buffer.from('abc'), 0x20, [4]);
  t.throws(() => zstd(wrongSize, MIB), DecodeError, 'content size that does not match');
  t.throws(() => zstd(Buffer.concat([fx.withSize, Buffer.from([1, 2])]), MIB), DecodeError, 'trailing bytes');
});

twinTest('zstd: maxBytes must be a non-negative integer', impls, (t, zstd) => {
  t.throws(() => zstd(fx.withSize, -1), RangeError);
  t.throws(() => zstd(fx.withSize, 1.5), RangeError);
});

twinTest('zstd: mutated frames only ever fail with DecodeError, within the bound', impls, (t, zstd) => {
  const rand = rng(7);
  const sources = [fx.withSize, fx.streamed, fx.bigFast, fx.bigUltra];
  let decoded = 0;
  let refused = 0;
  for (let round = 0; round < 3000; round++) {
    const src = Buffer.from(sources[rand(sources.length)]!);
    for (let i = 1 + rand(4); i > 0; i--) src[rand(src.length)] = rand(256);
    const maxBytes = rand(2) === 0 ? 64 * 1024 : MIB;
    const out = answer(zstd, src, maxBytes);
    if (typeof out === 'string') refused++;
    else {
      decoded++;
      if (out.length > maxBytes) t.fail(`round ${round}: ${out.length} bytes over the bound of ${maxBytes}`);
    }
  }
  t.equal(decoded + refused, 3000, `${decoded} decoded, ${refused} refused`);
});

/** A decoder's answer: the bytes, or the DecodeError's message. */
function answer(zstd: ZstdDecompress, src: Buffer, maxBytes: number): Buffer | string {
  try {
    return zstd(src, maxBytes);
  } catch (e) {
    if (e instanceof DecodeError) return e.message;
    throw e;
  }
}

/**
 * Where the two may differ, by design: libzstd's fast Huffman decoder (4-stream literals) does
 * not check that each stream is consumed exactly, and reads past a stream's first byte
 * differently, so a corrupted literals stream can decode there to some bytes; the TypeScript
 * decoder refuses it, as RFC 8878 streams written by an encoder always end exactly. Any other
 * difference, and any answer from the TypeScript decoder that libzstd would not give, fails.
 */
const TS_STRICTER = 'zstd: Huffman stream not consumed exactly';

nativeTest('zstd: differential, mutated frames: libzstd and the TypeScript decoder agree', zstdDecompressNative, (t, native) => {
  const rand = rng(20261201);
  const sources = [fx.withSize, fx.streamed, fx.bombStreamed, fx.bigFast, fx.bigUltra, Buffer.concat([fx.withSize, skippable(3, 4), fx.streamed])];
  const rounds = 6000;
  const tally = { sameBytes: 0, bothRefused: 0, tsStricter: 0 };
  const differ: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const src = Buffer.from(sources[rand(sources.length)]!);
    const flips = 1 + rand(3);
    for (let i = 0; i < flips; i++) src[rand(src.length)] = rand(4) === 0 ? src[rand(src.length)]! ^ (1 << rand(8)) : rand(256);
    const cut = rand(5) === 0 ? src.subarray(0, rand(src.length)) : src;
    const a = answer(native, cut, 256 * 1024);
    const b = answer(zstdDecompressTs, cut, 256 * 1024);
    if (typeof a === 'string' && typeof b === 'string') tally.bothRefused++;
    else if (typeof a !== 'string' && typeof b !== 'string' && a.equals(b)) tally.sameBytes++;
    else if (typeof a !== 'string' && b === TS_STRICTER) tally.tsStricter++;
    else if (differ.length < 3) differ.push(`round ${round}: libzstd ${typeof a === 'string' ? a : `${a.length} bytes`}; ts ${typeof b === 'string' ? b : `${b.length} bytes`}`);
  }
  const { sameBytes, bothRefused, tsStricter } = tally;
  t.equal(sameBytes + bothRefused + tsStricter, rounds, `${sameBytes} same bytes, ${bothRefused} both refused, ${tsStricter} corrupt literals only libzstd decoded${differ.length > 0 ? `\n${differ.join('\n')}` : ''}`);
  t.ok(sameBytes > 0 && bothRefused > 0, 'the mutations reach both outcomes');
});
