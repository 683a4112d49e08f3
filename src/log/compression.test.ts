/**
 * The snappy, lz4, gzip and zstd decoders against batches written by the real clients (kcat/librdkafka
 * and kafka-python, captured in compression-fixtures.ts), batch rebuilding, the null-key check,
 * and mutated inputs that must only ever fail with DecodeError.
 */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { DecodeError } from '../protocol/wire.js';
import { checkRecords, deleteHorizonOf, readRawRecords, type RecordCheck } from './batch-records.js';
import { rebuildBatch } from './batch-rebuild.js';
import { lz4FrameDecompress, snappyDecompress, snappyDecompressBlock } from './compression.js';
import * as fx from './compression-fixtures.js';
import { crc32c } from '../native/crc32c.js';
import { batchCrcMatches, BatchField, buildRecordBatch, Compression, decodeRecords, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, validateBatches } from './record-batch.js';

interface KV {
  offset: number;
  key: string | null;
  value: string | null;
}

function kcatExpected(withNullKey: boolean): KV[] {
  const out: KV[] = [];
  for (let i = 0; i < 40; i++) out.push({ offset: i, key: `key${i % 7}`, value: `value-${i}-` + 'abcabcabc'.repeat(i % 5) });
  if (withNullKey) out.push({ offset: 40, key: null, value: 'nullkeyval' });
  return out;
}

function kafkaPythonExpected(): KV[] {
  const out: KV[] = [];
  for (let i = 0; i < 40; i++) out.push({ offset: i, key: `key${i % 7}`, value: `value-${i}-` + 'xyzxyz'.repeat(i % 6) });
  out.push({ offset: 40, key: null, value: 'tomb?' });
  out.push({ offset: 41, key: 'key1', value: null });
  return out;
}

function kvs(batch: Buffer): KV[] | null {
  const recs = readRawRecords(batch);
  return recs === null ? null : recs.map((r) => ({ offset: r.offsetDelta, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null }));
}

const codecOf = (b: Buffer): number => b.readInt16BE(BatchField.attributes) & 7;

/** `batch` with its records section replaced by `section` under `codec`, length and CRC fixed. */
function withSection(batch: Buffer, codec: number, section: Buffer): Buffer {
  const out = Buffer.concat([batch.subarray(0, RECORD_BATCH_OVERHEAD), section]);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchField.batchLength);
  out.writeInt16BE((out.readInt16BE(BatchField.attributes) & ~7) | codec, BatchField.attributes);
  out.writeUInt32BE(crc32c(out, BatchField.attributes), BatchField.crc);
  return out;
}

const COMPACTED = { compacted: true, decompressedBytesMax: 1 << 20, topicPartition: 't-0' };

function infoOf(batch: Buffer) {
  const v = validateBatches(batch, { maxBatchBytes: 1 << 20 });
  if (!v.ok) throw new Error(v.message);
  return v.batches[0]!;
}

function compactedCheck(batch: Buffer): RecordCheck & { recordErrors?: unknown } {
  return checkRecords(batch, infoOf(batch), COMPACTED);
}

const cases: Array<[string, Buffer, number, KV[]]> = [
  ['kcat gzip', fx.kcatGzip, Compression.gzip, kcatExpected(true)],
  ['kcat snappy (raw block)', fx.kcatSnappy, Compression.snappy, kcatExpected(true)],
  ['kcat lz4', fx.kcatLz4, Compression.lz4, kcatExpected(true)],
  ['kafka-python gzip', fx.kafkaPythonGzip, Compression.gzip, kafkaPythonExpected()],
  ['kafka-python snappy (xerial)', fx.kafkaPythonSnappy, Compression.snappy, kafkaPythonExpected()],
  ['kafka-python lz4', fx.kafkaPythonLz4, Compression.lz4, kafkaPythonExpected()],
];

t.test('batches from real clients decode to the records they were given', async (t) => {
  for (const [name, batch, codec, expected] of cases) {
    t.ok(batchCrcMatches(batch, 0, batch.length), `${name}: stored CRC`);
    t.equal(codecOf(batch), codec, `${name}: codec`);
    t.same(kvs(batch), expected, name);
    const keyless = compactedCheck(batch);
    t.equal(keyless.ok ? 0 : keyless.errorCode, 87, `${name}: INVALID_RECORD on a compacted topic`);
    t.same(keyless.ok ? [] : keyless.recordErrors.map((e) => e.batchIndex), [40], `${name}: the keyless record is named`);
    t.same(checkRecords(batch, infoOf(batch), { ...COMPACTED, compacted: false }), { ok: true }, `${name}: accepted elsewhere`);
  }
});

t.test('zstd batches (kcat/librdkafka) decode; the null-key check answers', async (t) => {
  t.equal(codecOf(fx.kcatZstd), Compression.zstd);
  t.same(kvs(fx.kcatZstd), kcatExpected(false), 'the 40 records kcat was given');
  t.same(compactedCheck(fx.kcatZstd), { ok: true }, 'every record has a key: accepted on a compacted topic');
  const out = rebuildBatch(fx.kcatZstd, readRawRecords(fx.kcatZstd)!.filter((r) => r.offsetDelta % 3 === 0), { deleteHorizonMs: null });
  t.ok(batchCrcMatches(out, 0, out.length), 'rebuilt: CRC');
  t.equal(codecOf(out), Compression.zstd, 'rebuilt as zstd, as Kafka\'s cleaner keeps the codec');
  t.same(kvs(out), kcatExpected(false).filter((r) => r.offset % 3 === 0), 'rebuilt: records');
});

t.test('zstd: a batch with a keyless record, and a garbage zstd payload', async (t) => {
  const keyless = buildRecordBatch([{ key: Buffer.from('a'), value: Buffer.from('x') }, { key: null, value: Buffer.from('y') }]);
  const plain = keyless.subarray(RECORD_BATCH_OVERHEAD);
  // The same records in a zstd frame of one raw block (a real encoder's output is in kcatZstd).
  const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, plain.length, 0, 0, 0]), plain]);
  frame.writeUIntLE(1 | (plain.length << 3), 6, 3); // block header: last, raw, the length
  const zstdBatch = withSection(keyless, Compression.zstd, frame);
  const refused = compactedCheck(zstdBatch);
  t.same(refused.ok ? [] : refused.recordErrors.map((e) => e.batchIndex), [1], 'the keyless record is named');
  t.same(kvs(zstdBatch)?.map((r) => r.key), ['a', null]);
  const garbage = withSection(keyless, Compression.zstd, Buffer.from('definitely not a zstd frame'));
  t.throws(() => readRawRecords(garbage), DecodeError, 'garbage payload: DecodeError');
  const garbageCheck = checkRecords(garbage, infoOf(garbage), { ...COMPACTED, compacted: false });
  t.equal(garbageCheck.ok ? 0 : garbageCheck.errorCode, 87, 'garbage payload: INVALID_RECORD, never accepted');
});

t.test('keyless records on a compacted topic, uncompressed: each one named, Kafka\'s message', async (t) => {
  t.same(compactedCheck(buildRecordBatch([{ key: Buffer.from('a'), value: null }])), { ok: true });
  const two = compactedCheck(buildRecordBatch([{ key: null, value: Buffer.from('x') }, { key: Buffer.from('a'), value: null }, { key: null, value: Buffer.from('y') }]));
  if (two.ok) return t.fail('accepted');
  t.same(two.recordErrors, [0, 2].map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: 'Compacted topic cannot accept message without key in topic partition t-0.' })));
  t.match(two.message, /^One or more records have been rejected due to 2 record errors in total/);
});

t.test('rebuilt batches keep offsets, header fields and their codec', async (t) => {
  for (const [name, batch, codec, expected] of cases) {
    const recs = readRawRecords(batch)!;
    const kept = recs.filter((r) => r.offsetDelta % 3 === 0);
    const out = rebuildBatch(batch, kept, { deleteHorizonMs: null });
    t.ok(batchCrcMatches(out, 0, out.length), `${name}: CRC`);
    t.equal(codecOf(out), codec, `${name}: codec`);
    t.equal(out.readInt32BE(BatchField.lastOffsetDelta), batch.readInt32BE(BatchField.lastOffsetDelta), `${name}: lastOffsetDelta kept`);
    t.equal(out.readInt32BE(BatchField.recordsCount), kept.length);
    for (const f of [BatchField.producerId, BatchField.baseOffset]) t.equal(out.readBigInt64BE(f), batch.readBigInt64BE(f));
    t.equal(out.readInt32BE(BatchField.baseSequence), batch.readInt32BE(BatchField.baseSequence));
    t.same(kvs(out), expected.filter((r) => r.offset % 3 === 0), `${name}: records`);
    const ts = readRawRecords(out)!.map((r) => r.timestamp);
    t.same(ts, kept.map((r) => r.timestamp), `${name}: timestamps`);
  }
});

t.test('a delete horizon rebases timestamps and keeps them', async (t) => {
  const batch = buildRecordBatch([
    { key: Buffer.from('a'), value: null, timestamp: 1000n },
    { key: Buffer.from('b'), value: Buffer.from('x'), timestamp: 1500n },
  ]);
  const out = rebuildBatch(batch, readRawRecords(batch)!, { deleteHorizonMs: 999_999n });
  t.equal(deleteHorizonOf(out), 999_999n);
  t.equal(deleteHorizonOf(batch), null);
  t.same(decodeRecords(out).map((r) => r.timestamp), [1000n, 1500n], 'what any reader computes');
  t.equal(out.readBigInt64BE(BatchField.maxTimestamp), 1500n);
});

t.test('snappy: literals, overlapping copies and long literals', async (t) => {
  // "abcabcabcabcX": literal "abc", copy len 9 at distance 3 (overlapping), literal "X".
  const block = Buffer.from([13, (3 - 1) << 2, 0x61, 0x62, 0x63, ((9 - 4) << 2) | 1, 3, 0 << 2, 0x58]);
  t.equal(snappyDecompressBlock(block, 100).toString(), 'abcabcabcabcX');
  const long = Buffer.alloc(300, 0x41);
  const lit = Buffer.concat([Buffer.from([0xac, 0x02, 61 << 2, 0x2b, 0x01]), long]); // uvarint 300, literal with a 2-byte length
  t.equal(snappyDecompressBlock(lit, 1000).toString(), long.toString());
  t.throws(() => snappyDecompressBlock(lit, 299), DecodeError, 'over the limit');
  t.throws(() => snappyDecompressBlock(Buffer.from([5, 1 | (0 << 2), 9]), 100), DecodeError, 'copy before any output');
  t.throws(() => snappyDecompress(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9]), 100), DecodeError, 'xerial block overruns');
});

t.test('lz4: stored blocks and bad frames', async (t) => {
  const data = Buffer.from('hello, stored block');
  const frame = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]), Buffer.from([data.length, 0, 0, 0x80]), data, Buffer.alloc(4)]);
  t.equal(lz4FrameDecompress(frame, 100).toString(), data.toString());
  t.throws(() => lz4FrameDecompress(frame.subarray(0, frame.length - 2), 100), DecodeError, 'no end mark');
  t.throws(() => lz4FrameDecompress(Buffer.from([1, 2, 3, 4, 5]), 100), DecodeError, 'bad magic');
  t.throws(() => lz4FrameDecompress(frame, 5), DecodeError, 'over the limit');
});

t.test('mutated compressed batches only ever fail with DecodeError', async (t) => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  let decoded = 0;
  let refused = 0;
  const inputs = [...cases.map((c) => c[1]), fx.kcatZstd, buildRecordBatch([{ key: Buffer.from('k'), value: gzipSync(Buffer.from('v')) }])];
  for (let round = 0; round < 3000; round++) {
    const src = inputs[rand(inputs.length)]!;
    const m = Buffer.from(src);
    const flips = 1 + rand(2);
    for (let i = 0; i < flips; i++) m[61 + rand(m.length - 61)] = rand(256);
    const cut = rand(4) === 0 ? m.subarray(0, 61 + rand(m.length - 61)) : m;
    if (cut !== m) cut.writeInt32BE(cut.length - 12, BatchField.batchLength);
    try {
      readRawRecords(cut);
      decoded++;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      refused++;
    }
  }
  t.equal(decoded + refused, 3000, `${decoded} decoded, ${refused} refused`);
});
