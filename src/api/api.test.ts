/**
 * The APIs of the core broker, over the real wire against an embedded broker (startBroker), one
 * named test per behaviour clients rely on.
 */
import t from 'tap';
import { limits } from '../config/limits.js';
import { startBroker, type RunningBroker } from '../index.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../log/record-batch.js';
import { gzip } from '../log/compression.js';
import { crc32c } from '../native/crc32c.js';
import {
  ApiVersions,
  CreatePartitions,
  CreateTopics,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  Produce,
  SaslAuthenticate,
  SaslHandshake,
  type MetadataRequest,
  type ProduceRequest,
} from '../protocol/generated/index.js';
import { RawClient, decodeResponse, fetchRequest as fetchReq, requestFrame } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

let broker: RunningBroker;
let c: RawClient;
const data = tmpDataDir('sluice-api-');

t.before(async () => {
  broker = await startBroker({ port: 0, dataDir: data.dir, overrides: ['num.partitions=2', 'log.segment.bytes=4096'] });
  c = await RawClient.connect(broker.port);
});
t.teardown(async () => {
  c?.close();
  await broker?.stop();
  data.remove();
});

const ZERO = Buffer.alloc(16);

/** allow_auto_topic_creation exists from v4; older versions always allow it (its default). */
function metadataReq(topics: MetadataRequest['topics'], allowAutoTopicCreation = true): MetadataRequest {
  return { topics, allowAutoTopicCreation, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
}

function produceReq(topic: string, partition: number, records: Buffer, acks = -1): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, topicId: ZERO, partitionData: [{ index: partition, records }] }] };
}

async function createTopic(name: string, numPartitions = 1, configs: Array<{ name: string; value: string | null }> = []): Promise<number> {
  const res = await c.request(CreateTopics, 7, {
    topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  return res.topics[0]!.errorCode;
}

const values = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`${tag}-${i}`) }));

t.test('ApiVersions advertises the minimums librdkafka and kafka-python need', async (t) => {
  const res = await c.request(ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' });
  const byKey = new Map(res.apiKeys.map((k) => [k.apiKey, k]));
  t.equal(byKey.get(0)?.minVersion, 0, 'Produce min 0 (KAFKA-18659)');
  t.ok((byKey.get(0)?.maxVersion ?? 0) >= 8, 'Produce max >= 8 so kafka-python infers >= 2.1');
  t.equal(byKey.get(18)?.minVersion, 0);
  t.equal(byKey.get(3)?.minVersion, 0, 'Metadata v0 for kafka-python');
  t.same([byKey.get(1)?.minVersion, byKey.get(1)?.maxVersion], [4, 18], 'Fetch 4-18, as Kafka 4.1');
  t.ok((byKey.get(2)?.minVersion ?? 9) <= 1, 'ListOffsets min <= 1');
  t.same([...byKey.keys()], [...byKey.keys()].sort((a, b) => a - b), 'sorted by key');
  const v0 = await c.request(ApiVersions, 0, { clientSoftwareName: '', clientSoftwareVersion: '' });
  t.same(v0.apiKeys, res.apiKeys, 'v0 lists the same ranges');
});

t.test('pipelined requests are answered in request order, even behind a long poll', async (t) => {
  t.equal(await createTopic('pipeline'), 0);
  const fetchId = c.nextCorrelationId();
  const versionsId = c.nextCorrelationId();
  c.write(Buffer.concat([
    requestFrame(Fetch, 11, fetchId, fetchReq('pipeline', 0, 0n, { maxWaitMs: 300 })),
    requestFrame(ApiVersions, 2, versionsId, { clientSoftwareName: '', clientSoftwareVersion: '' }),
  ]));
  const first = await c.nextFrame();
  const second = await c.nextFrame();
  t.equal(first!.readInt32BE(0), fetchId, 'the long poll answers first');
  t.equal(second!.readInt32BE(0), versionsId);
});

t.test('acks=0 gets no response; the produce still happens', async (t) => {
  t.equal(await createTopic('acks0'), 0);
  const produceId = c.nextCorrelationId();
  const versionsId = c.nextCorrelationId();
  c.write(Buffer.concat([
    requestFrame(Produce, 7, produceId, produceReq('acks0', 0, buildRecordBatch(values(3, 'a0')), 0)),
    requestFrame(ApiVersions, 2, versionsId, { clientSoftwareName: '', clientSoftwareVersion: '' }),
  ]));
  const next = await c.nextFrame();
  t.equal(next!.readInt32BE(0), versionsId, 'the next response is the ApiVersions one');
  const lo = await c.request(ListOffsets, 3, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'acks0', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 });
  t.equal(lo.topics[0]!.partitions[0]!.offset, 3n);
});

t.test('a long-poll fetch wakes when data arrives, before max_wait_ms', async (t) => {
  t.equal(await createTopic('longpoll'), 0);
  const other = await RawClient.connect(broker.port);
  t.teardown(() => other.close());
  const started = Date.now();
  const pending = c.request(Fetch, 11, fetchReq('longpoll', 0, 0n, { maxWaitMs: 20000 }));
  await new Promise((r) => setTimeout(r, 100));
  const prod = await other.request(Produce, 7, produceReq('longpoll', 0, buildRecordBatch(values(2, 'lp'))));
  t.equal(prod.responses[0]!.partitionResponses[0]!.errorCode, 0);
  const res = await pending;
  t.ok(Date.now() - started < 20000, 'answered before max_wait_ms');
  const recs = decodeRecords(res.responses[0]!.partitions[0]!.records!);
  t.same(recs.map((r) => r.value!.toString()), ['lp-0', 'lp-1']);
});

t.test('a long poll waits until min_bytes have accumulated across appends', async (t) => {
  t.equal(await createTopic('minbytes'), 0);
  const other = await RawClient.connect(broker.port);
  t.teardown(() => other.close());
  let answered = false;
  const pending = c.request(Fetch, 11, fetchReq('minbytes', 0, 0n, { maxWaitMs: 20000, minBytes: 1000 })).then((r) => {
    answered = true;
    return r;
  });
  const small = async (tag: string) => other.request(Produce, 7, produceReq('minbytes', 0, buildRecordBatch(values(2, tag))));
  await small('s1');
  await small('s2');
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(answered, 'two small batches are below min_bytes: still waiting');
  await other.request(Produce, 7, produceReq('minbytes', 0, buildRecordBatch([{ key: null, value: Buffer.alloc(1200, 1) }])));
  const res = await pending;
  const batches = splitBatches(res.responses[0]!.partitions[0]!.records!);
  t.equal(batches.length, 3, 'all three batches in one answer');
});

t.test('fetch returns whole batches: the first may start before the fetch offset', async (t) => {
  t.equal(await createTopic('whole'), 0);
  await c.request(Produce, 7, produceReq('whole', 0, buildRecordBatch(values(10, 'w'))));
  const res = await c.request(Fetch, 11, fetchReq('whole', 0, 5n));
  const p = res.responses[0]!.partitions[0]!;
  t.equal(p.highWatermark, 10n);
  const batches = splitBatches(p.records!);
  t.equal(batches.length, 1);
  t.equal(batches[0]!.readBigInt64BE(0), 0n, 'the batch starts at offset 0');
  t.equal(decodeRecords(batches[0]!).length, 10);
});

t.test('a batch larger than max_bytes still comes back whole (KIP-74); empty partitions get empty records', async (t) => {
  t.equal(await createTopic('kip74', 2), 0);
  await c.request(Produce, 7, produceReq('kip74', 0, buildRecordBatch(values(50, 'big'))));
  const res = await c.request(Fetch, 11, {
    ...fetchReq('kip74', 0, 0n, { maxBytes: 10, partitionMaxBytes: 10 }),
  });
  t.equal(decodeRecords(res.responses[0]!.partitions[0]!.records!).length, 50);
  const empty = await c.request(Fetch, 4, fetchReq('kip74', 1, 0n));
  const rec = empty.responses[0]!.partitions[0]!.records;
  t.ok(rec !== null && rec.length === 0, 'empty bytes, not null (librdkafka needs that)');
});

t.test('fetch out of range and unknown partitions answer with errors at once', async (t) => {
  t.equal(await createTopic('oor'), 0);
  const res = await c.request(Fetch, 11, fetchReq('oor', 0, 99n, { maxWaitMs: 10000 }));
  t.equal(res.responses[0]!.partitions[0]!.errorCode, 1, 'OFFSET_OUT_OF_RANGE');
  const unknown = await c.request(Fetch, 11, fetchReq('no-such-topic', 0, 0n, { maxWaitMs: 10000 }));
  t.equal(unknown.responses[0]!.partitions[0]!.errorCode, 3, 'UNKNOWN_TOPIC_OR_PARTITION');
  const session = await c.request(Fetch, 11, fetchReq('oor', 0, 0n, { sessionId: 12345, sessionEpoch: 1 }));
  t.equal(session.errorCode, 70, 'FETCH_SESSION_ID_NOT_FOUND for a session we never created');
  const closing = await c.request(Fetch, 11, fetchReq('oor', 0, 0n, { sessionId: 12345 }));
  t.same([closing.errorCode, closing.sessionId, closing.responses.length], [0, 0, 1], 'epoch -1 closes the session named, if any, and is answered sessionless');
});

t.test('segments roll by log.segment.bytes and reads cross them', async (t) => {
  t.equal(await createTopic('rolling'), 0);
  for (let i = 0; i < 20; i++) {
    const res = await c.request(Produce, 7, produceReq('rolling', 0, buildRecordBatch(values(10, `roll${i}-${'x'.repeat(40)}`))));
    t.equal(res.responses[0]!.partitionResponses[0]!.baseOffset, BigInt(i * 10));
  }
  let offset = 0n;
  let seen = 0;
  while (offset < 200n) {
    const res = await c.request(Fetch, 11, fetchReq('rolling', 0, offset, { maxBytes: 2000, partitionMaxBytes: 2000 }));
    for (const b of splitBatches(res.responses[0]!.partitions[0]!.records!)) {
      for (const r of decodeRecords(b)) {
        if (r.offset < offset) continue;
        t.equal(r.offset, BigInt(seen), 'offsets are contiguous');
        seen++;
        offset = r.offset + 1n;
      }
    }
  }
  t.equal(seen, 200);
});

t.test('Metadata: v0 empty list means all topics, v1 empty list means none, null means all', async (t) => {
  t.equal(await createTopic('md-a'), 0);
  const v0 = await c.request(Metadata, 0, metadataReq([]));
  t.ok(v0.topics.some((x) => x.name === 'md-a'));
  const v1none = await c.request(Metadata, 1, metadataReq([]));
  t.equal(v1none.topics.length, 0);
  const v1all = await c.request(Metadata, 1, metadataReq(null));
  t.ok(v1all.topics.some((x) => x.name === 'md-a'));
  t.equal(v1all.controllerId, broker.nodeId, 'controller is a listed broker');
  t.same(v1all.brokers.map((b) => [b.nodeId, b.port]), [[broker.nodeId, broker.port]]);
  const v12 = await c.request(Metadata, 12, metadataReq([{ topicId: ZERO, name: 'md-a' }]));
  const id = v12.topics[0]!.topicId;
  t.notSame(id, ZERO, 'topic id assigned');
  const byId = await c.request(Metadata, 12, metadataReq([{ topicId: id, name: null }]));
  t.equal(byId.topics[0]!.name, 'md-a', 'lookup by topic id');
  const unknownId = await c.request(Metadata, 12, metadataReq([{ topicId: Buffer.alloc(16, 7), name: null }]));
  t.equal(unknownId.topics[0]!.errorCode, 100, 'UNKNOWN_TOPIC_ID');
  const unknownIdV10 = await c.request(Metadata, 10, metadataReq([{ topicId: Buffer.alloc(16, 7), name: null }]));
  t.same([unknownIdV10.topics[0]!.errorCode, unknownIdV10.topics[0]!.name], [100, ''], 'v10 cannot say null: empty name');
});

t.test('more pipelined requests than the in-flight bound are all answered, in order', async (t) => {
  t.equal(await createTopic('inflight'), 0);
  const other = await RawClient.connect(broker.port);
  t.teardown(() => other.close());
  const ids: number[] = [];
  const frames: Buffer[] = [];
  for (let i = 0; i < 3 * limits.inFlightRequestsPerConnection; i++) {
    const id = other.nextCorrelationId();
    ids.push(id);
    frames.push(i % 2 === 0
      ? requestFrame(Fetch, 11, id, fetchReq('inflight', 0, 0n, { maxWaitMs: 20 }))
      : requestFrame(ApiVersions, 2, id, { clientSoftwareName: '', clientSoftwareVersion: '' }));
  }
  other.write(Buffer.concat(frames));
  const got: number[] = [];
  for (let i = 0; i < ids.length; i++) got.push((await other.nextFrame())!.readInt32BE(0));
  t.same(got, ids);
});

t.test('Metadata auto-creates only when allowed, and refuses illegal names', async (t) => {
  const no = await c.request(Metadata, 6, metadataReq([{ topicId: ZERO, name: 'auto-no' }], false));
  t.equal(no.topics[0]!.errorCode, 3, 'UNKNOWN_TOPIC_OR_PARTITION without auto-creation');
  const yes = await c.request(Metadata, 6, metadataReq([{ topicId: ZERO, name: 'auto-yes' }], true));
  t.equal(yes.topics[0]!.errorCode, 0);
  t.equal(yes.topics[0]!.partitions.length, 2, 'num.partitions from the override');
  const v0 = await c.request(Metadata, 0, metadataReq([{ topicId: ZERO, name: 'auto-v0' }]));
  t.equal(v0.topics[0]!.errorCode, 0, 'v0 always allows auto-creation');
  const bad = await c.request(Metadata, 6, metadataReq([{ topicId: ZERO, name: 'bad name!' }], true));
  t.equal(bad.topics[0]!.errorCode, 17, 'INVALID_TOPIC_EXCEPTION');
});

t.test('Produce v0-2 are advertised but refused with UNSUPPORTED_VERSION', async (t) => {
  t.equal(await createTopic('oldproduce'), 0);
  const res = await c.request(Produce, 2, produceReq('oldproduce', 0, buildRecordBatch(values(1, 'old'))));
  t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 35);
});

t.test('Produce: unknown partition, bad acks, two batches, too large', async (t) => {
  t.equal(await createTopic('produce-errors', 1, [{ name: 'max.message.bytes', value: '200' }]), 0);
  const unknown = await c.request(Produce, 7, produceReq('produce-errors', 5, buildRecordBatch(values(1, 'u'))));
  t.equal(unknown.responses[0]!.partitionResponses[0]!.errorCode, 3);
  const acks = await c.request(Produce, 7, produceReq('produce-errors', 0, buildRecordBatch(values(1, 'a')), 2));
  t.equal(acks.responses[0]!.partitionResponses[0]!.errorCode, 21, 'INVALID_REQUIRED_ACKS');
  const two = Buffer.concat([buildRecordBatch(values(1, 'x')), buildRecordBatch(values(1, 'y'))]);
  const twoRes = await c.request(Produce, 7, produceReq('produce-errors', 0, two));
  t.equal(twoRes.responses[0]!.partitionResponses[0]!.errorCode, 87, 'INVALID_RECORD for two batches');
  const big = await c.request(Produce, 7, produceReq('produce-errors', 0, buildRecordBatch([{ key: null, value: Buffer.alloc(500) }])));
  t.equal(big.responses[0]!.partitionResponses[0]!.errorCode, 10, 'MESSAGE_TOO_LARGE over max.message.bytes');
});

t.test('Produce: min.insync.replicas above the single replica does not refuse acks=all (Kafka checks min(min.insync.replicas, replication factor))', async (t) => {
  t.equal(await createTopic('min-isr-2', 1, [{ name: 'min.insync.replicas', value: '2' }]), 0);
  const all = await c.request(Produce, 9, produceReq('min-isr-2', 0, buildRecordBatch(values(1, 'm')), -1));
  t.same([all.responses[0]!.partitionResponses[0]!.errorCode, all.responses[0]!.partitionResponses[0]!.baseOffset], [0, 0n], 'acks=all appended');
  const one = await c.request(Produce, 9, produceReq('min-isr-2', 0, buildRecordBatch(values(1, 'm')), 1));
  t.same([one.responses[0]!.partitionResponses[0]!.errorCode, one.responses[0]!.partitionResponses[0]!.baseOffset], [0, 1n], 'acks=1 appended');
});

t.test('Produce: timestamps outside message.timestamp.before/after.max.ms get INVALID_TIMESTAMP with a record error', async (t) => {
  const at = (offsetMs: number) => [{ key: null, value: Buffer.from('ts'), timestamp: BigInt(Date.now() + offsetMs) }];
  const HOUR = 3_600_000;
  t.equal(await createTopic('ts-bounds', 1, [{ name: 'message.timestamp.before.max.ms', value: String(HOUR) }]), 0);
  const future = await c.request(Produce, 9, produceReq('ts-bounds', 0, buildRecordBatch(at(2 * HOUR))));
  const p = future.responses[0]!.partitionResponses[0]!;
  t.equal(p.errorCode, 32, 'two hours ahead: INVALID_TIMESTAMP (Kafka 4 default after.max.ms is one hour)');
  t.equal(p.recordErrors.length, 1);
  t.equal(p.recordErrors[0]!.batchIndex, 0);
  t.match(p.recordErrors[0]!.batchIndexErrorMessage, /of message with offset 0 is out of range/);
  const past = await c.request(Produce, 9, produceReq('ts-bounds', 0, buildRecordBatch(at(-2 * HOUR))));
  t.equal(past.responses[0]!.partitionResponses[0]!.errorCode, 32, 'two hours old with before.max.ms of one hour');
  const now = await c.request(Produce, 9, produceReq('ts-bounds', 0, buildRecordBatch(at(-60_000))));
  t.equal(now.responses[0]!.partitionResponses[0]!.errorCode, 0, 'a minute old is fine');
  t.equal(now.responses[0]!.partitionResponses[0]!.baseOffset, 0n, 'nothing refused was stored');
  t.equal(await createTopic('ts-append-time', 1, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]), 0);
  const stamped = await c.request(Produce, 9, produceReq('ts-append-time', 0, buildRecordBatch(at(2 * HOUR))));
  t.equal(stamped.responses[0]!.partitionResponses[0]!.errorCode, 0, 'LogAppendTime topics stamp the batch and do not check');
});

t.test('Produce: every record\'s timestamp is checked, not the batch header, and each one out of range is named (Kafka LogValidator)', async (t) => {
  const HOUR = 3_600_000n;
  const now = BigInt(Date.now());
  const recs = (times: bigint[], keyed = true) => times.map((timestamp, i) => ({ key: keyed ? Buffer.from(`k${i}`) : null, value: Buffer.from('v'), timestamp }));
  const send = async (topic: string, batch: Buffer) => (await c.request(Produce, 9, produceReq(topic, 0, batch))).responses[0]!.partitionResponses[0]!;
  t.equal(await createTopic('ts-records', 1), 0);
  const middle = await send('ts-records', buildRecordBatch(recs([now, now + 2n * HOUR, now, now + 3n * HOUR])));
  t.same([middle.errorCode, middle.recordErrors.map((e) => e.batchIndex)], [32, [1, 3]], 'records 1 and 3');
  t.match(middle.recordErrors[1]!.batchIndexErrorMessage, new RegExp(`Timestamp ${now + 3n * HOUR} of message with offset 3 is out of range`));
  // The header says `now` for the largest time; record 1 is two hours ahead all the same.
  const lying = buildRecordBatch(recs([now, now + 2n * HOUR]));
  lying.writeBigInt64BE(now, 35);
  lying.writeUInt32BE(crc32c(lying.subarray(21)) >>> 0, 17);
  const l = await send('ts-records', lying);
  t.same([l.errorCode, l.recordErrors.map((e) => e.batchIndex)], [32, [1]], 'a batch header that understates its times');
  // gzip: the records are checked after decompression.
  const plain = buildRecordBatch(recs([now - 5n, now + 5n * HOUR]));
  const zipped = gzip(plain.subarray(61));
  const gz = Buffer.concat([plain.subarray(0, 61), zipped]);
  gz.writeInt32BE(gz.length - 12, 8);
  gz.writeInt16BE(1, 21);
  gz.writeUInt32BE(crc32c(gz.subarray(21)) >>> 0, 17);
  const g = await send('ts-records', gz);
  t.same([g.errorCode, g.recordErrors.map((e) => e.batchIndex)], [32, [1]], 'a gzip batch');
  // Compacted: a keyless record is named for its key, the late one for its time; the code is
  // INVALID_TIMESTAMP as soon as one record is out of time.
  t.equal(await createTopic('ts-compacted', 1, [{ name: 'cleanup.policy', value: 'compact' }]), 0);
  const mixed = buildRecordBatch([
    { key: null, value: Buffer.from('v'), timestamp: now },
    { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: now + 2n * HOUR },
  ]);
  const m = await send('ts-compacted', mixed);
  t.same([m.errorCode, m.recordErrors.map((e) => [e.batchIndex, /without key/.test(e.batchIndexErrorMessage ?? '')])], [32, [[0, true], [1, false]]]);
  const ok = await send('ts-records', buildRecordBatch(recs([now - 1000n, now + HOUR / 2n])));
  t.same([ok.errorCode, ok.baseOffset], [0, 0n], 'within bounds, and nothing refused was stored');
});

t.test('SaslHandshake and SaslAuthenticate are answered ILLEGAL_SASL_STATE, as Kafka does without SASL; the connection stays', async (t) => {
  const hs = await c.request(SaslHandshake, 1, { mechanism: 'PLAIN' });
  t.equal(hs.errorCode, 34);
  t.same(hs.mechanisms, []);
  const hs0 = await c.request(SaslHandshake, 0, { mechanism: 'SCRAM-SHA-256' });
  t.equal(hs0.errorCode, 34);
  const auth = await c.request(SaslAuthenticate, 2, { authBytes: Buffer.from('\0user\0pw') });
  t.equal(auth.errorCode, 34);
  t.match(auth.errorMessage, /SaslAuthenticate request received after successful authentication/);
  const res = await c.request(ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' });
  t.equal(res.errorCode, 0, 'the same connection is still served');
});

t.test('ListOffsets: earliest, latest, by timestamp, max timestamp, and v0', async (t) => {
  t.equal(await createTopic('lo'), 0);
  const base = 1_700_000_000_000n;
  const recs = Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`t${i}`), timestamp: base + BigInt(i * 10) }));
  recs[2]!.timestamp = base + 1000n; // the max, in the middle
  await c.request(Produce, 7, produceReq('lo', 0, buildRecordBatch(recs)));
  const ask = async (version: number, timestamp: bigint) =>
    (await c.request(ListOffsets, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 0 })).topics[0]!.partitions[0]!;
  t.equal((await ask(5, -2n)).offset, 0n);
  t.equal((await ask(5, -1n)).offset, 5n);
  const byTs = await ask(5, base + 15n);
  t.same([byTs.offset, byTs.timestamp], [2n, base + 1000n], 'first record at or after the target, with its own timestamp');
  const after = await ask(5, base + 25n);
  t.same([after.offset, after.timestamp], [2n, base + 1000n]);
  const none = await ask(5, base + 5000n);
  t.same([none.offset, none.timestamp], [-1n, -1n], 'no record that late');
  const max = await ask(7, -3n);
  t.same([max.offset, max.timestamp], [2n, base + 1000n], 'max timestamp (KIP-734)');
  t.same((await ask(0, -1n)).oldStyleOffsets, [5n], 'v0 answers in old_style_offsets');
});

t.test('CreateTopics: validate only, duplicates, configs, replication factor', async (t) => {
  const res = await c.request(CreateTopics, 7, {
    topics: [
      { name: 'ct-valid-only', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'ct-dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'ct-dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'ct-badcfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: 'soon' }] },
      { name: 'ct-unknowncfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'no.such.config', value: '1' }] },
      { name: 'ct-rf2', numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] },
    ],
    timeoutMs: 1000,
    validateOnly: true,
  });
  t.same(res.topics.map((x) => [x.name, x.errorCode]), [
    ['ct-valid-only', 0],
    ['ct-dup', 42],
    ['ct-badcfg', 40],
    ['ct-unknowncfg', 40],
    ['ct-rf2', 38],
  ]);
  t.equal(res.topics[0]!.numPartitions, 3);
  t.ok(res.topics[0]!.configs!.some((x) => x.name === 'cleanup.policy' && x.value === 'delete' && x.configSource === 5), 'configs with sources');
  const md = await c.request(Metadata, 4, metadataReq([{ topicId: ZERO, name: 'ct-valid-only' }], false));
  t.equal(md.topics[0]!.errorCode, 3, 'validate_only created nothing');
});

t.test('CreatePartitions grows a topic; DeleteTopics removes it', async (t) => {
  t.equal(await createTopic('grow', 1), 0);
  const grown = await c.request(CreatePartitions, 1, { topics: [{ name: 'grow', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: false });
  t.equal(grown.results[0]!.errorCode, 0);
  const shrink = await c.request(CreatePartitions, 1, { topics: [{ name: 'grow', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
  t.equal(shrink.results[0]!.errorCode, 37, 'INVALID_PARTITIONS');
  const prod = await c.request(Produce, 7, produceReq('grow', 3, buildRecordBatch(values(1, 'g'))));
  t.equal(prod.responses[0]!.partitionResponses[0]!.errorCode, 0, 'the new partition takes writes');
  const del = await c.request(DeleteTopics, 6, { topics: [{ name: 'grow', topicId: ZERO }], topicNames: [], timeoutMs: 1000 });
  t.equal(del.responses[0]!.errorCode, 0);
  const again = await c.request(DeleteTopics, 1, { topics: [], topicNames: ['grow'], timeoutMs: 1000 });
  t.equal(again.responses[0]!.errorCode, 3);
  t.equal(await createTopic('grow', 1), 0, 'the name can be used again');
  const fresh = await c.request(ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'grow', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 });
  t.equal(fresh.topics[0]!.partitions[0]!.offset, 0n, 'a re-created topic starts empty');
});

t.test('DescribeConfigs: topic overrides, broker synonyms and defaults with their sources', async (t) => {
  t.equal(await createTopic('dc', 1, [{ name: 'retention.ms', value: '1234' }]), 0);
  const res = await c.request(DescribeConfigs, 3, {
    resources: [
      { resourceType: 2, resourceName: 'dc', configurationKeys: null },
      { resourceType: 4, resourceName: String(broker.nodeId), configurationKeys: ['num.partitions', 'log.segment.bytes', 'message.max.bytes'] },
      { resourceType: 2, resourceName: 'no-such', configurationKeys: null },
    ],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  const topic = new Map(res.results[0]!.configs.map((x) => [x.name, x]));
  t.same([topic.get('retention.ms')!.value, topic.get('retention.ms')!.configSource], ['1234', 1], 'topic override: DYNAMIC_TOPIC_CONFIG');
  t.same([topic.get('segment.bytes')!.value, topic.get('segment.bytes')!.configSource], ['4096', 4], 'from log.segment.bytes: STATIC_BROKER_CONFIG');
  // Kafka names every level by the broker property, the default level too.
  t.same(topic.get('segment.bytes')!.synonyms.map((s) => [s.name, s.source]), [['log.segment.bytes', 4], ['log.segment.bytes', 5]]);
  t.same(topic.get('cleanup.policy')!.synonyms.map((s) => [s.name, s.value, s.source]), [['log.cleanup.policy', 'delete', 5]]);
  t.same(topic.get('retention.ms')!.synonyms.map((s) => s.name), ['retention.ms'], 'log.retention.hours alone does not stand for retention.ms (Kafka)');
  t.same(topic.get('leader.replication.throttled.replicas')!.synonyms, [], 'no broker property: no default level');
  t.same([topic.get('cleanup.policy')!.value, topic.get('cleanup.policy')!.configSource], ['delete', 5], 'DEFAULT_CONFIG');
  t.equal(topic.get('retention.ms')!.configType, 5, 'LONG');
  const brokerCfg = new Map(res.results[1]!.configs.map((x) => [x.name, x]));
  t.same([...brokerCfg.keys()].sort(), ['log.segment.bytes', 'message.max.bytes', 'num.partitions']);
  t.same([brokerCfg.get('num.partitions')!.value, brokerCfg.get('num.partitions')!.configSource], ['2', 4]);
  t.same([brokerCfg.get('message.max.bytes')!.value, brokerCfg.get('message.max.bytes')!.configSource], ['1048588', 5]);
  t.equal(res.results[2]!.errorCode, 3);
});

t.test('DescribeCluster names this node as the controller', async (t) => {
  const res = await c.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
  t.equal(res.errorCode, 0);
  t.equal(res.clusterId, broker.clusterId);
  t.equal(res.controllerId, broker.nodeId);
  t.same(res.brokers.map((b) => [b.brokerId, b.host, b.port]), [[broker.nodeId, '127.0.0.1', broker.port]]);
});

t.test('an unknown version is refused even for a known key, with nothing else disturbed', async (t) => {
  const other = await RawClient.connect(broker.port);
  // OffsetCommit v10 is defined (Kafka 4.1.1 has it, as unstable) but not served.
  other.write(requestFrame(OffsetCommit, 10, 1, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [] }));
  t.equal(await other.nextFrame(), null, 'OffsetCommit v10 is not served: connection closed');
  const res = decodeResponse(ApiVersions, 2, (await (async () => {
    const id = c.nextCorrelationId();
    c.write(requestFrame(ApiVersions, 2, id, { clientSoftwareName: '', clientSoftwareVersion: '' }));
    return c.nextFrame();
  })())!);
  t.equal(res.errorCode, 0);
});
