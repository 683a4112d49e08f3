import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import { ErrorCode } from '../protocol/errors.js';
import { DecodeError } from '../protocol/wire.js';
import { crc32c } from '../native/crc32c.js';
import { twinTest } from '../native/twins.js';
import {
  assignOffsetsNative,
  assignOffsetsTs,
  BatchField,
  batchCrcMatches,
  buildRecordBatch,
  decodeRecords,
  firstRecordAtOrAfter,
  setLogAppendTime,
  splitBatches,
  TimestampType,
  validateBatchesNative,
  validateBatchesTs,
  type BatchInfo,
  type ValidateOptions,
  type ValidateResult,
} from './record-batch.js';

const require = createRequire(import.meta.url);
const MAX = 1024 * 1024;

function recrc(buf: Buffer, pos = 0): Buffer {
  const size = 12 + buf.readInt32BE(pos + BatchField.batchLength);
  buf.writeUInt32BE(crc32c(buf, pos + BatchField.attributes, pos + size), pos + BatchField.crc);
  return buf;
}

function sample(n = 3, ts = 1_700_000_000_000n): Buffer {
  const records = [];
  for (let i = 0; i < n; i++)
    records.push({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp: ts + BigInt(i) });
  return buildRecordBatch(records);
}

/** One implementation of the batch functions: the TypeScript twins or the addon. */
interface Impl {
  validateBatches: (buf: Buffer, opts: ValidateOptions) => ValidateResult;
  assignOffsets: typeof assignOffsetsTs;
  expectError: (t: Test, buf: Buffer, code: number, opts?: Partial<ValidateOptions>) => void;
}

function impl(validateBatches: Impl['validateBatches'], assignOffsets: Impl['assignOffsets']): Impl {
  return {
    validateBatches,
    assignOffsets,
    expectError(t, buf, code, opts = {}) {
      const r = validateBatches(buf, { maxBatchBytes: MAX, ...opts });
      t.equal(r.ok, false, 'rejected');
      if (!r.ok) t.equal(r.errorCode, code, `error ${code}: ${r.message}`);
    },
  };
}

// Tests of validation and offset assignment run against the TypeScript twins and the addon.
const impls = {
  ts: impl(validateBatchesTs, assignOffsetsTs),
  native: validateBatchesNative && assignOffsetsNative ? impl(validateBatchesNative, assignOffsetsNative) : null,
};


twinTest('a built batch validates and its header is reported', impls, async (t, { validateBatches }) => {
  const buf = buildRecordBatch(
    [
      { key: null, value: Buffer.from('a'), timestamp: 100n },
      { key: Buffer.from('k'), value: null, timestamp: 90n },
      { key: null, value: Buffer.from('c'), timestamp: 150n },
    ],
    { producerId: 7n, producerEpoch: 2, baseSequence: 10 },
  );
  const r = validateBatches(buf, { maxBatchBytes: MAX });
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.batches.length, 1);
  const b = r.batches[0]!;
  t.same(
    { ...b },
    {
      position: 0,
      size: buf.length,
      lastOffsetDelta: 2,
      recordCount: 3,
      baseTimestamp: 100n,
      maxTimestamp: 150n,
      timestampType: 0,
      compression: 0,
      producerId: 7n,
      producerEpoch: 2,
      baseSequence: 10,
      isTransactional: false,
      isControl: false,
      nullKeys: 2,
      timestampDeltaMin: -10,
      timestampDeltaMax: 50,
    },
  );
});

t.test('decodeRecords round-trips keys, values, null fields, headers and timestamps', async (t) => {
  const buf = buildRecordBatch(
    [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1000n, headers: [{ key: 'h', value: Buffer.from('x') }] },
      { key: null, value: null, timestamp: 990n, headers: [{ key: 'n', value: null }, { key: 'é', value: Buffer.alloc(0) }] },
    ],
    { baseOffset: 40n },
  );
  const recs = decodeRecords(buf);
  t.equal(recs.length, 2);
  t.equal(recs[0]!.offset, 40n);
  t.equal(recs[1]!.offset, 41n);
  t.equal(recs[0]!.timestamp, 1000n);
  t.equal(recs[1]!.timestamp, 990n, 'negative timestamp delta');
  t.same(recs[0]!.key, Buffer.from('k1'));
  t.same(recs[0]!.value, Buffer.from('v1'));
  t.equal(recs[1]!.key, null);
  t.equal(recs[1]!.value, null);
  t.same(recs[0]!.headers, [{ key: 'h', value: Buffer.from('x') }]);
  t.same(recs[1]!.headers, [{ key: 'n', value: null }, { key: 'é', value: Buffer.alloc(0) }]);
});

t.test('buildRecordBatch matches the bytes kafkajs encodes', async (t) => {
  const Long = require('kafkajs/src/utils/long');
  const KRecordBatch = require('kafkajs/src/protocol/recordBatch/v0').RecordBatch;
  const KRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
  const theirs = await KRecordBatch({
    firstOffset: Long.fromInt(0),
    firstTimestamp: 5000,
    maxTimestamp: 5007,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: 1,
    producerId: Long.fromValue(-1),
    producerEpoch: -1,
    firstSequence: -1,
    records: [
      KRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('hello'), headers: { h1: Buffer.from('v') } }),
      KRecord({ offsetDelta: 1, timestampDelta: 7, key: null, value: Buffer.from('world') }),
    ],
  });
  const ours = buildRecordBatch(
    [
      { key: Buffer.from('a'), value: Buffer.from('hello'), timestamp: 5000n, headers: [{ key: 'h1', value: Buffer.from('v') }] },
      { key: null, value: Buffer.from('world'), timestamp: 5007n },
    ],
    { partitionLeaderEpoch: 0, producerEpoch: -1 },
  );
  t.equal(ours.toString('hex'), theirs.buffer.toString('hex'));
});

t.test('kafkajs decodes a batch we stored', async (t) => {
  const Decoder = require('kafkajs/src/protocol/decoder');
  const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  const buf = buildRecordBatch(
    [
      { key: Buffer.from('k'), value: Buffer.from('v0'), timestamp: 10n },
      { key: null, value: Buffer.from('v1'), timestamp: 12n, headers: [{ key: 'x', value: Buffer.from('y') }] },
    ],
    { baseOffset: 100n },
  );
  const decoded = await decodeBatch(new Decoder(buf));
  t.same(
    decoded.records.map((r: { offset: string; timestamp: string; value: Buffer }) => [r.offset, r.timestamp, r.value.toString()]),
    [
      ['100', '10', 'v0'],
      ['101', '12', 'v1'],
    ],
  );
});

twinTest('corrupt CRC is rejected with CORRUPT_MESSAGE', impls, async (t, { expectError }) => {
  const buf = sample();
  buf[buf.length - 1]! ^= 0xff;
  expectError(t, buf, ErrorCode.CORRUPT_MESSAGE);
});

twinTest('a CRC that covers the wrong range is rejected', impls, async (t, { expectError }) => {
  const buf = sample();
  buf.writeUInt32BE(crc32c(buf, BatchField.attributes, buf.length - 1), BatchField.crc);
  expectError(t, buf, ErrorCode.CORRUPT_MESSAGE);
});

twinTest('fields outside the CRC may change without failing validation', impls, async (t, { validateBatches }) => {
  const buf = sample();
  buf.writeInt32BE(12345, BatchField.partitionLeaderEpoch);
  t.ok(validateBatches(buf, { maxBatchBytes: MAX }).ok);
});

twinTest('truncated header is CORRUPT_MESSAGE', impls, async (t, { expectError }) => {
  expectError(t, sample().subarray(0, 10), ErrorCode.CORRUPT_MESSAGE);
  expectError(t, sample().subarray(0, 40), ErrorCode.CORRUPT_MESSAGE);
});

twinTest('partial trailing batch is CORRUPT_MESSAGE', impls, async (t, { expectError }) => {
  const one = sample();
  expectError(t, one.subarray(0, one.length - 1), ErrorCode.CORRUPT_MESSAGE, { origin: 'internal' });
  const two = Buffer.concat([one, one.subarray(0, 30)]);
  expectError(t, two, ErrorCode.CORRUPT_MESSAGE, { origin: 'internal' });
});

twinTest('batchLength below the header size is CORRUPT_MESSAGE', impls, async (t, { expectError }) => {
  const buf = sample();
  buf.writeInt32BE(48, BatchField.batchLength);
  expectError(t, buf, ErrorCode.CORRUPT_MESSAGE);
  buf.writeInt32BE(-5, BatchField.batchLength);
  expectError(t, buf, ErrorCode.CORRUPT_MESSAGE);
});

twinTest('magic 0 and 1 are INVALID_RECORD, magic outside 0..2 is CORRUPT_MESSAGE', impls, async (t, { expectError }) => {
  const buf = sample();
  buf.writeInt8(1, BatchField.magic);
  expectError(t, buf, ErrorCode.INVALID_RECORD);
  buf.writeInt8(0, BatchField.magic);
  expectError(t, buf, ErrorCode.INVALID_RECORD);
  buf.writeInt8(3, BatchField.magic);
  expectError(t, buf, ErrorCode.CORRUPT_MESSAGE);
  buf.writeInt8(-1, BatchField.magic);
  expectError(t, buf, ErrorCode.CORRUPT_MESSAGE);
});

twinTest('batch larger than maxBatchBytes is MESSAGE_TOO_LARGE', impls, async (t, { validateBatches, expectError }) => {
  const buf = sample();
  expectError(t, buf, ErrorCode.MESSAGE_TOO_LARGE, { maxBatchBytes: buf.length - 1 });
  t.ok(validateBatches(buf, { maxBatchBytes: buf.length }).ok, 'exactly the limit is accepted');
});

twinTest('record set larger than segmentBytes is RECORD_LIST_TOO_LARGE', impls, async (t, { expectError }) => {
  const buf = sample();
  expectError(t, buf, ErrorCode.RECORD_LIST_TOO_LARGE, { segmentBytes: buf.length - 1 });
});

twinTest('empty payload is INVALID_RECORD', impls, async (t, { expectError }) => {
  expectError(t, Buffer.alloc(0), ErrorCode.INVALID_RECORD);
});

twinTest('a client may send exactly one batch; internal appends may send several', impls, async (t, { validateBatches, expectError }) => {
  const two = Buffer.concat([sample(2), sample(3)]);
  expectError(t, two, ErrorCode.INVALID_RECORD);
  const r = validateBatches(two, { maxBatchBytes: MAX, origin: 'internal' });
  t.ok(r.ok);
  if (r.ok) t.same(r.batches.map((b) => [b.position, b.recordCount]), [[0, 2], [sample(2).length, 3]]);
});

twinTest('client baseOffset other than 0 is INVALID_RECORD', impls, async (t, { expectError }) => {
  const buf = sample();
  buf.writeBigInt64BE(5n, 0);
  expectError(t, buf, ErrorCode.INVALID_RECORD);
});

twinTest('client lastOffsetDelta inconsistent with the record count is INVALID_RECORD', impls, async (t, { expectError }) => {
  const buf = sample(3);
  buf.writeInt32BE(5, BatchField.lastOffsetDelta);
  expectError(t, recrc(buf), ErrorCode.INVALID_RECORD);
  buf.writeInt32BE(-1, BatchField.lastOffsetDelta);
  expectError(t, recrc(buf), ErrorCode.INVALID_RECORD);
});

twinTest('client record count of 0 or less is INVALID_RECORD', impls, async (t, { expectError }) => {
  const buf = sample(1);
  buf.writeInt32BE(0, BatchField.recordsCount);
  buf.writeInt32BE(-1, BatchField.lastOffsetDelta);
  expectError(t, recrc(buf), ErrorCode.INVALID_RECORD);
  buf.writeInt32BE(-3, BatchField.recordsCount);
  expectError(t, recrc(buf), ErrorCode.INVALID_RECORD);
});

twinTest('control batch from a client is INVALID_RECORD', impls, async (t, { validateBatches, expectError }) => {
  const buf = buildRecordBatch([{ key: Buffer.alloc(4), value: Buffer.alloc(6) }], { isControl: true, isTransactional: true, producerId: 1n, producerEpoch: 0, baseSequence: 0 });
  expectError(t, buf, ErrorCode.INVALID_RECORD);
  t.ok(validateBatches(buf, { maxBatchBytes: MAX, origin: 'internal' }).ok, 'the broker may write one');
});

twinTest('producer id without a sequence is INVALID_RECORD', impls, async (t, { expectError }) => {
  const buf = buildRecordBatch([{ key: null, value: Buffer.from('x') }], { producerId: 3n, producerEpoch: 0, baseSequence: -1 });
  expectError(t, buf, ErrorCode.INVALID_RECORD);
});

twinTest('producer-set LogAppendTime is INVALID_TIMESTAMP', impls, async (t, { expectError }) => {
  const buf = buildRecordBatch([{ key: null, value: Buffer.from('x') }], { timestampType: TimestampType.LogAppendTime });
  expectError(t, buf, ErrorCode.INVALID_TIMESTAMP);
});

twinTest('unknown compression id is UNSUPPORTED_COMPRESSION_TYPE', impls, async (t, { expectError }) => {
  const buf = sample();
  buf.writeInt16BE(buf.readInt16BE(BatchField.attributes) | 0x07, BatchField.attributes);
  expectError(t, recrc(buf), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

twinTest('assignOffsets rewrites baseOffset and leader epoch and keeps the CRC valid', impls, async (t, { validateBatches, assignOffsets }) => {
  const buf = Buffer.concat([sample(2), sample(3)]);
  const r = validateBatches(buf, { maxBatchBytes: MAX, origin: 'internal' });
  if (!r.ok) throw new Error(r.message);
  assignOffsets(buf, r.batches[0]!, 1000n, 7);
  assignOffsets(buf, r.batches[1]!, 1002n, 7);
  const parts = splitBatches(buf);
  t.equal(parts[0]!.readBigInt64BE(0), 1000n);
  t.equal(parts[1]!.readBigInt64BE(0), 1002n);
  t.equal(parts[1]!.readInt32BE(BatchField.partitionLeaderEpoch), 7);
  t.ok(batchCrcMatches(parts[0]!, 0, parts[0]!.length));
  t.ok(batchCrcMatches(parts[1]!, 0, parts[1]!.length));
  t.same(decodeRecords(parts[1]!).map((x) => x.offset), [1002n, 1003n, 1004n]);
});

twinTest('setLogAppendTime marks the batch, sets maxTimestamp and recomputes the CRC', impls, async (t, { validateBatches }) => {
  const buf = sample(3, 10n);
  const r = validateBatches(buf, { maxBatchBytes: MAX });
  if (!r.ok) throw new Error(r.message);
  const info: BatchInfo = r.batches[0]!;
  setLogAppendTime(buf, info, 999_000n);
  t.equal(info.timestampType, TimestampType.LogAppendTime);
  t.equal(info.maxTimestamp, 999_000n);
  t.equal(buf.readBigInt64BE(BatchField.maxTimestamp), 999_000n);
  t.ok(batchCrcMatches(buf, 0, buf.length));
  t.same(decodeRecords(buf).map((x) => x.timestamp), [999_000n, 999_000n, 999_000n], 'every record reads the append time');
  const again = validateBatches(buf, { maxBatchBytes: MAX, origin: 'internal' });
  t.ok(again.ok);
});

t.test('decodeRecords refuses a record count beyond the bytes present', async (t) => {
  const buf = sample(2);
  buf.writeInt32BE(1_000_000, BatchField.recordsCount);
  t.throws(() => decodeRecords(buf), DecodeError);
});

t.test('decodeRecords refuses a record count beyond the internal limit', async (t) => {
  const buf = sample(2);
  buf.writeInt32BE(2_000_000_000, BatchField.recordsCount);
  t.throws(() => decodeRecords(buf), DecodeError);
});

t.test('decodeRecords refuses a record length past the batch end', async (t) => {
  const buf = sample(1);
  buf.writeUInt8(0x7e, BatchField.records); // zigzag 63: longer than what is left
  t.throws(() => decodeRecords(buf), DecodeError);
});

t.test('decodeRecords refuses a record whose fields overrun its length', async (t) => {
  const buf = buildRecordBatch([{ key: Buffer.from('abc'), value: Buffer.from('def') }, { key: null, value: Buffer.from('g') }]);
  // key length 3 -> 60 (zigzag 120): runs past the record's own length
  const keyLenAt = BatchField.records + 1 + 1 + 1 + 1;
  t.equal(buf[keyLenAt], 6);
  buf[keyLenAt] = 120;
  t.throws(() => decodeRecords(buf), DecodeError);
});

t.test('decodeRecords refuses compressed batches and truncated input', async (t) => {
  const buf = sample(2);
  buf.writeInt16BE(1, BatchField.attributes);
  t.throws(() => decodeRecords(buf), DecodeError);
  t.throws(() => decodeRecords(sample(2).subarray(0, 70)), DecodeError);
  t.throws(() => decodeRecords(Buffer.alloc(10)), DecodeError);
});

t.test('firstRecordAtOrAfter finds the record inside a batch', async (t) => {
  const buf = buildRecordBatch(
    [
      { key: null, value: Buffer.from('a'), timestamp: 100n },
      { key: null, value: Buffer.from('b'), timestamp: 300n },
      { key: null, value: Buffer.from('c'), timestamp: 200n },
    ],
    { baseOffset: 10n },
  );
  t.same(firstRecordAtOrAfter(buf, 150n), { offset: 11n, timestamp: 300n });
  t.same(firstRecordAtOrAfter(buf, 100n), { offset: 10n, timestamp: 100n });
  t.same(firstRecordAtOrAfter(buf, 200n, 12n), { offset: 12n, timestamp: 200n }, 'respects the minimum offset');
  t.equal(firstRecordAtOrAfter(buf, 301n), null);
});

t.test('splitBatches splits whole batches and refuses a partial one', async (t) => {
  const a = sample(1);
  const b = sample(2);
  const parts = splitBatches(Buffer.concat([a, b]));
  t.equal(parts.length, 2);
  t.same(parts[1], b);
  t.throws(() => splitBatches(Buffer.concat([a, b.subarray(0, 20)])), DecodeError);
  t.same(splitBatches(Buffer.alloc(0)), []);
});

t.test('buildRecordBatch refuses an empty record list', async (t) => {
  t.throws(() => buildRecordBatch([]));
});
