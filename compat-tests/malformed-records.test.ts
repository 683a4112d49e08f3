/**
 * Malformed records inside a batch whose header and CRC are valid (issue 10, findings 2 and 3),
 * against a spawned broker over the raw wire: each kind is refused with Kafka's code, nothing of
 * it is stored (the next good batch takes the offset the refused one would have taken) and a
 * consumer still reads the partition from offset 0. Also: keyless records on a compacted topic
 * named one by one in `record_errors`, a decompression bomb refused, and appends to a partition
 * kept in request order while a large compressed batch is checked in a worker thread.
 */
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { crc32c } from '../src/native/crc32c.js';
import { readRawRecords } from '../src/log/batch-records.js';
import { buildRecordBatch, splitBatches } from '../src/log/record-batch.js';
import { CreateTopics, Fetch, Produce, type ProduceResponse } from '../src/protocol/generated/index.js';
import { Writer } from '../src/protocol/wire.js';
import { spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient, decodeResponse, fetchRequest, requestFrame } from './raw-client.js';

const INVALID_RECORD = 87;
const MESSAGE_TOO_LARGE = 10;
const PRODUCE_VERSION = 9; // flexible, with record_errors (v8+)

let broker: BrokerProcess;
let c: RawClient;
const data = tmpDataDir();

t.before(async () => {
  broker = await spawnBroker({ dataDir: data.dir });
  c = await RawClient.connect(broker.port);
});
t.teardown(async () => {
  c?.close();
  await broker?.stop();
  data.remove();
});

interface RecordSpec {
  offsetDelta?: number;
  /** Raw varints, so that lengths can lie. */
  keyLength?: number;
  key?: Buffer;
  valueLength?: number;
  value?: Buffer;
  headerCount?: number;
  headers?: Buffer;
  /** Added to the record's true length. */
  lengthDelta?: number;
}

/** One record, length prefix included, with whatever lengths the spec says. */
function record(i: number, s: RecordSpec = {}): Buffer {
  const body = new Writer(64);
  body.int8(0);
  body.varlong(0n);
  body.varint(s.offsetDelta ?? i);
  const key = s.key ?? Buffer.from(`k${i}`);
  body.varint(s.keyLength ?? key.length);
  body.raw(key);
  const value = s.value ?? Buffer.from(`v${i}`);
  body.varint(s.valueLength ?? value.length);
  body.raw(value);
  body.varint(s.headerCount ?? 0);
  if (s.headers) body.raw(s.headers);
  const bytes = body.finish();
  const w = new Writer(bytes.length + 5);
  w.varint(bytes.length + (s.lengthDelta ?? 0));
  w.raw(bytes);
  return Buffer.from(w.finish());
}

/** A produced batch (baseOffset 0, valid header and CRC) around a records section. */
function batchAround(section: Buffer, count: number, codec = 0): Buffer {
  const b = Buffer.alloc(61 + section.length);
  buildRecordBatch([{ key: null, value: null }], { timestampMs: 1_700_000_000_000n }).copy(b, 0, 0, 61);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt16BE(codec, 21);
  b.writeInt32BE(count - 1, 23);
  b.writeInt32BE(count, 57);
  section.copy(b, 61);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

function produceBody(topic: string, records: Buffer) {
  return { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] };
}

async function produce(topic: string, records: Buffer): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> {
  const res = await c.request(Produce, PRODUCE_VERSION, produceBody(topic, records));
  return res.responses[0]!.partitionResponses[0]!;
}

async function createTopic(name: string, configs: Array<{ name: string; value: string }> = []): Promise<void> {
  const res = await c.request(CreateTopics, 4, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs }], timeoutMs: 5000, validateOnly: false });
  if (res.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: ${res.topics[0]!.errorCode}`);
}

/** Every value stored in the partition from offset 0, as a consumer reads them. */
async function consume(topic: string): Promise<{ highWatermark: bigint; values: string[] }> {
  const res = await c.request(Fetch, 11, fetchRequest(topic, 0, 0n, { maxBytes: 64 << 20, partitionMaxBytes: 64 << 20 }));
  const p = res.responses[0]!.partitions[0]!;
  if (p.errorCode !== 0) throw new Error(`fetch ${topic}: ${p.errorCode}`);
  const values: string[] = [];
  for (const batch of splitBatches(p.records ?? Buffer.alloc(0))) {
    for (const r of readRawRecords(batch) ?? []) values.push(r.value?.toString() ?? 'null');
  }
  return { highWatermark: p.highWatermark, values };
}

/** The refused batch is answered `code`, nothing of it is stored, and the partition reads back. */
async function refusedAndNothingStored(t: Test, topic: string, bad: Buffer, code: number, message: RegExp): Promise<void> {
  await createTopic(topic);
  t.equal((await produce(topic, buildRecordBatch([{ key: null, value: Buffer.from('before') }]))).errorCode, 0);
  const res = await produce(topic, bad);
  t.equal(res.errorCode, code, `error code ${code}`);
  t.match(res.errorMessage ?? '', message, 'the message says what is wrong');
  t.same(res.recordErrors, [], 'a malformed record fails the batch, not one record (as Kafka)');
  const after = await produce(topic, buildRecordBatch([{ key: null, value: Buffer.from('after') }]));
  t.equal(after.errorCode, 0);
  t.equal(after.baseOffset, 1n, 'the refused batch took no offset');
  const read = await consume(topic);
  t.equal(read.highWatermark, 2n);
  t.same(read.values, ['before', 'after'], 'a consumer reads the partition from offset 0');
}

const two = (a: RecordSpec, b: RecordSpec = {}): Buffer => Buffer.concat([record(0, a), record(1, b)]);

t.test('bad varint lengths: a value length below -1 is INVALID_RECORD', async (t) => {
  await refusedAndNothingStored(t, 'bad-varint', batchAround(two({}, { valueLength: -7, value: Buffer.alloc(0) }), 2), INVALID_RECORD, /record 1 has invalid value length -7/i);
});

t.test('bad varint lengths: a varint longer than 5 bytes is INVALID_RECORD', async (t) => {
  const long = Buffer.from([0x1c, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0, 0]);
  await refusedAndNothingStored(t, 'long-varint', batchAround(long, 1), INVALID_RECORD, /varint that is too long/);
});

t.test('record count mismatch: fewer records than the header counts is INVALID_RECORD', async (t) => {
  await refusedAndNothingStored(t, 'count-short', batchAround(two({}), 3), INVALID_RECORD, /premature EOF reached: 2 of 3 records/);
});

t.test('record count mismatch: more records than the header counts is INVALID_RECORD', async (t) => {
  await refusedAndNothingStored(t, 'count-long', batchAround(two({}), 1), INVALID_RECORD, /records still remaining/);
});

t.test('lengths past the batch: a record longer than the batch is INVALID_RECORD', async (t) => {
  await refusedAndNothingStored(t, 'length-past', batchAround(two({}, { lengthDelta: 50 }), 2), INVALID_RECORD, /record 1 declares \d+ bytes, but the batch has only \d+ remaining/);
});

t.test('lengths past the record: a key running into the next record is INVALID_RECORD', async (t) => {
  await refusedAndNothingStored(t, 'key-past', batchAround(two({ keyLength: 40 }), 2), INVALID_RECORD, /record 0 has invalid key length 40/i);
});

t.test('bad header counts: negative, too many, and a null header key are INVALID_RECORD', async (t) => {
  await refusedAndNothingStored(t, 'headers-negative', batchAround(two({ headerCount: -1 }), 2), INVALID_RECORD, /invalid number of record headers -1/);
  await refusedAndNothingStored(t, 'headers-many', batchAround(two({ headerCount: 1000 }), 2), INVALID_RECORD, /invalid number of record headers 1000/);
  const nullKey = Buffer.from([0x01, 0x00]); // key length -1, value length 0
  await refusedAndNothingStored(t, 'header-null-key', batchAround(two({ headerCount: 1, headers: nullKey }), 2), INVALID_RECORD, /header key size -1/);
});

t.test('inner offsets: an offset delta that is not the record index is INVALID_RECORD', async (t) => {
  await refusedAndNothingStored(t, 'offset-delta', batchAround(two({}, { offsetDelta: 0 }), 2), INVALID_RECORD, /record 1 has offset delta 0/i);
});

t.test('garbage compressed payload: gzip that does not inflate, and gzip of malformed records', async (t) => {
  await refusedAndNothingStored(t, 'gzip-garbage', batchAround(Buffer.from('not a gzip stream at all'), 1, 1), INVALID_RECORD, /compressed records cannot be read/);
  await refusedAndNothingStored(t, 'gzip-bad-records', batchAround(gzipSync(two({ headerCount: -3 })), 2, 1), INVALID_RECORD, /invalid number of record headers -3/);
});

t.test('keyless records on a compacted topic: each named in record_errors, nothing stored', async (t) => {
  const topic = 'compacted-keyless';
  await createTopic(topic, [{ name: 'cleanup.policy', value: 'compact' }]);
  const records = [0, 1, 2, 3].map((i) => ({ key: i % 2 === 1 ? null : Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }));
  for (const [codec, batch] of [
    ['none', buildRecordBatch(records)],
    ['gzip', batchAround(gzipSync(buildRecordBatch(records).subarray(61)), 4, 1)],
  ] as const) {
    const res = await produce(topic, batch);
    t.equal(res.errorCode, INVALID_RECORD, `${codec}: INVALID_RECORD`);
    const message = `Compacted topic cannot accept message without key in topic partition ${topic}-0.`;
    t.same(res.recordErrors, [1, 3].map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: message })), `${codec}: records 1 and 3 named`);
    t.match(res.errorMessage ?? '', /One or more records have been rejected due to 2 record errors/);
  }
  const ok = await produce(topic, buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('keyed') }]));
  t.equal(ok.errorCode, 0);
  t.equal(ok.baseOffset, 0n, 'nothing was stored before');
  t.same((await consume(topic)).values, ['keyed']);
});

t.test('a decompression bomb is refused with MESSAGE_TOO_LARGE and not stored', async (t) => {
  const bomb = batchAround(gzipSync(record(0, { value: Buffer.alloc(40 << 20) }), { level: 9 }), 1, 1);
  t.ok(bomb.length < 100_000, `the bomb is small on the wire (${bomb.length} bytes)`);
  await refusedAndNothingStored(t, 'bomb', bomb, MESSAGE_TOO_LARGE, /expand to more than \d+ bytes/);
});

t.test('appends to a partition keep request order while a large batch is checked in a worker', async (t) => {
  const topic = 'order';
  await createTopic(topic);
  // 8 MiB of zeros: about 8 KiB of gzip, over limits.decompressInlineBytesMax (so: a worker).
  const value = Buffer.alloc(8 << 20);
  const large = batchAround(gzipSync(record(0, { value })), 1, 1);
  t.ok(large.length > 8 * 1024, `the large batch is ${large.length} bytes compressed`);
  const small = buildRecordBatch([{ key: null, value: Buffer.from('small') }]);
  const ids = [c.nextCorrelationId(), c.nextCorrelationId()];
  c.write(Buffer.concat([requestFrame(Produce, PRODUCE_VERSION, ids[0]!, produceBody(topic, large)), requestFrame(Produce, PRODUCE_VERSION, ids[1]!, produceBody(topic, small))]));
  const first = decodeResponse(Produce, PRODUCE_VERSION, (await c.nextFrame())!, ids[0]).responses[0]!.partitionResponses[0]!;
  const second = decodeResponse(Produce, PRODUCE_VERSION, (await c.nextFrame())!, ids[1]).responses[0]!.partitionResponses[0]!;
  t.same([first.errorCode, second.errorCode], [0, 0]);
  t.same([first.baseOffset, second.baseOffset], [0n, 1n], 'the small batch did not overtake the large one');
  t.same((await consume(topic)).values.map((v) => v.length), [value.length, 'small'.length]);
});
