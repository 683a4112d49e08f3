/** The tools' record reading: fetched batches of every codec, markers, aborted transactions, partial batches; the partitioner; assignments. */
import { Readable } from 'node:stream';
import t from 'tap';
import { Partitioners } from 'kafkajs';
import { kcatGzip, kcatLz4, kcatSnappy, kcatZstd, kafkaPythonSnappy } from '../log/compression-fixtures.js';
import { buildMarkerBatch } from '../log/markers.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { Writer } from '../protocol/wire.js';
import { parseBrokers, ToolError } from './kafka-client.js';
import { lines, splitLine } from './producer.js';
import { decodeAssignment, murmur2, partitionForKey, readFetched } from './records.js';

const plain: { readCommitted: boolean; aborted: Array<{ producerId: bigint; firstOffset: bigint }> } = { readCommitted: false, aborted: [] };
const values = (buf: Buffer, from = 0n, opts = plain) => readFetched(buf, 0, from, opts).records.map((r) => (r.value === null ? null : r.value.toString()));

t.test('every codec a real client writes: kcat (librdkafka) gzip, snappy, lz4, zstd; kafka-python snappy', async (t) => {
  for (const [name, batch] of Object.entries({ kcatGzip, kcatSnappy, kcatLz4, kcatZstd })) {
    const read = readFetched(batch, 3, 0n, plain);
    const n = name === 'kcatZstd' ? 40 : 41;
    t.equal(read.records.length, n, name);
    t.equal(read.records[1]!.key!.toString(), 'key1', `${name} key`);
    t.equal(read.records[1]!.value!.toString(), 'value-1-abcabcabc', `${name} value`);
    t.equal(read.records[1]!.offset, 1n);
    t.equal(read.records[1]!.partition, 3);
    t.equal(read.nextOffset, BigInt(n));
    if (n === 41) t.equal(read.records[40]!.key, null, `${name}: the line without a key`);
  }
  const kp = readFetched(kafkaPythonSnappy, 0, 0n, plain).records;
  t.equal(kp.at(-1)!.value, null, 'a null value stays null');
});

t.test('records before the fetch offset, markers, a partial batch at the end', async (t) => {
  const a = buildRecordBatch([{ key: null, value: Buffer.from('a0') }, { key: null, value: Buffer.from('a1') }], { baseOffset: 10n });
  const marker = buildMarkerBatch(7n, 0, true, 0, 1n);
  marker.writeBigInt64BE(12n, 0);
  const b = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('b0'), headers: [{ key: 'h', value: Buffer.from('v') }, { key: 'n', value: null }] }], { baseOffset: 13n });
  const all = Buffer.concat([a, marker, b]);
  t.same(values(all, 10n), ['a0', 'a1', 'b0']);
  t.same(values(all, 11n), ['a1', 'b0'], 'from inside a batch');
  const read = readFetched(all, 0, 11n, plain);
  t.same(read.records[1]!.headers.map((h) => [h.key, h.value === null ? null : h.value.toString()]), [
    ['h', 'v'],
    ['n', null],
  ]);
  t.equal(read.nextOffset, 14n);
  const cut = readFetched(all.subarray(0, all.length - 5), 0, 10n, plain);
  t.same(cut.records.map((r) => r.value!.toString()), ['a0', 'a1'], 'a batch cut short by the fetch size is left for the next fetch');
  t.equal(cut.nextOffset, 13n, 'past the marker');
  t.same(values(Buffer.alloc(0)), []);
});

t.test('read_committed drops the batches of aborted transactions up to their marker', async (t) => {
  const txn = (pid: bigint, offset: bigint, v: string) => buildRecordBatch([{ key: null, value: Buffer.from(v) }], { baseOffset: offset, producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true });
  const abort = buildMarkerBatch(5n, 0, false, 0, 1n);
  abort.writeBigInt64BE(2n, 0);
  const commit = buildMarkerBatch(6n, 0, true, 0, 1n);
  commit.writeBigInt64BE(4n, 0);
  const data = Buffer.concat([txn(5n, 0n, 'aborted-1'), txn(6n, 1n, 'committed'), abort, txn(5n, 3n, 'after-abort'), commit]);
  t.same(values(data, 0n), ['aborted-1', 'committed', 'after-abort'], 'read_uncommitted shows them all, markers never');
  t.same(values(data, 0n, { readCommitted: true, aborted: [{ producerId: 5n, firstOffset: 0n }] }), ['committed', 'after-abort']);
});

t.test('murmur2 and the partitioner agree with the Java client (Kafka UtilsTest vectors) and kafkajs', async (t) => {
  const vectors: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [s, h] of vectors) t.equal(murmur2(Buffer.from(s)), h, s);
  const kafkajs = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
  for (let i = 0; i < 200; i++) {
    const key = `key-${i}-${'x'.repeat(i % 5)}`;
    t.equal(partitionForKey(Buffer.from(key), 7), kafkajs({ topic: 't', partitionMetadata, message: { key, value: 'v' } }), key);
  }
});

t.test('the consumer protocol assignment', async (t) => {
  const w = new Writer(64);
  w.int16(1);
  w.int32(2);
  w.string('a');
  w.int32(2);
  w.int32(0);
  w.int32(3);
  w.string('b');
  w.int32(0);
  w.int32(-1); // no user data
  t.same(decodeAssignment(w.finish()), [
    { topic: 'a', partitions: [0, 3] },
    { topic: 'b', partitions: [] },
  ]);
  t.same(decodeAssignment(Buffer.alloc(0)), [], 'a member not yet assigned');
  t.same(decodeAssignment(Buffer.from([0, 1, 0, 0, 0, 9])), [], 'garbage is no assignment, not a crash');
});

t.test('stdin lines: \\n splits, a trailing \\r goes, a last line without \\n counts, chunks may split anywhere', async (t) => {
  const read = async (chunks: string[]) => {
    const out: string[] = [];
    for await (const l of lines(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(l.toString());
    return out;
  };
  t.same(await read(['a\nb\r\n', '\nc']), ['a', 'b', '', 'c']);
  t.same(await read(['ab', 'c\nd', 'e\n']), ['abc', 'de']);
  t.same(await read([]), []);
  t.same(splitLine(Buffer.from('k:v:w'), Buffer.from(':')), { key: Buffer.from('k'), value: Buffer.from('v:w') });
  t.same(splitLine(Buffer.from('novalue'), Buffer.from(':')), { key: null, value: Buffer.from('novalue') }, 'no separator: a null key (as kcat -K)');
  t.same(splitLine(Buffer.from('k::v'), Buffer.from('::')), { key: Buffer.from('k'), value: Buffer.from('v') });
});

t.test('--brokers lists', async (t) => {
  t.same(parseBrokers('127.0.0.1:9092, localhost:9093,[::1]:9094'), [
    { host: '127.0.0.1', port: 9092 },
    { host: 'localhost', port: 9093 },
    { host: '::1', port: 9094 },
  ]);
  t.throws(() => parseBrokers('localhost'), ToolError);
  t.throws(() => parseBrokers('h:99999'), /not host:port/);
  t.throws(() => parseBrokers(' , '), /at least one/);
});
