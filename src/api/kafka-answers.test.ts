/**
 * Answers the differential suite (compat-tests/differential) found differing from Apache Kafka
 * 4.1.1 and that Sluice now gives as Kafka does, checked here against an embedded broker so they
 * hold without a Kafka to compare with. Each test names the Kafka behaviour it pins.
 */
import t from 'tap';
import { startBroker, type RunningBroker } from '../index.js';
import { buildRecordBatch } from '../log/record-batch.js';
import {
  CreatePartitions,
  CreateTopics,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  Fetch,
  ListOffsets,
  Metadata,
  Produce,
  type CreateTopicsRequestCreatableTopic,
  type ListOffsetsRequestListOffsetsPartition,
} from '../protocol/generated/index.js';
import { RawClient, fetchRequest, requestFrame } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

let broker: RunningBroker;
let c: RawClient;
const data = tmpDataDir('sluice-kafka-answers-');
const ZERO = Buffer.alloc(16);

t.before(async () => {
  broker = await startBroker({ port: 0, dataDir: data.dir });
  c = await RawClient.connect(broker.port);
  const created = await c.request(CreateTopics, 7, { topics: [topic('ka', 2)], timeoutMs: 1000, validateOnly: false });
  if (created.topics[0]!.errorCode !== 0) throw new Error('could not create the test topic');
  for (let i = 0; i < 3; i++) await produce('ka', 0, batch(2, BigInt(Date.now())));
});
t.teardown(async () => {
  c?.close();
  await broker?.stop();
  data.remove();
});

function topic(name: string, numPartitions = 1, assignments: CreateTopicsRequestCreatableTopic['assignments'] = []): CreateTopicsRequestCreatableTopic {
  return { name, numPartitions, replicationFactor: assignments.length > 0 ? -1 : 1, assignments, configs: [] };
}

function batch(n: number, timestampMs: bigint): Buffer {
  return buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })), { timestampMs });
}

async function produce(name: string, partition: number, records: Buffer | null) {
  const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name, topicId: ZERO, partitionData: [{ index: partition, records }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

async function listOffsets(v: number, partitions: Array<Partial<ListOffsetsRequestListOffsetsPartition>>) {
  const res = await c.request(ListOffsets, v, {
    replicaId: -1,
    isolationLevel: 0,
    timeoutMs: 1000,
    topics: [{ name: 'ka', partitions: partitions.map((p) => ({ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1, ...p })) }],
  });
  return res.topics[0]!.partitions;
}

t.test('Fetch out of range carries no watermarks; an unknown partition an empty aborted list', async (t) => {
  const out = (await c.request(Fetch, 11, fetchRequest('ka', 0, 100n))).responses[0]!.partitions[0]!;
  t.same([out.errorCode, out.highWatermark, out.lastStableOffset, out.logStartOffset], [1, -1n, -1n, -1n], 'OFFSET_OUT_OF_RANGE, all -1');
  const unknown = (await c.request(Fetch, 11, fetchRequest('ka', 9, 0n))).responses[0]!.partitions[0]!;
  t.same([unknown.errorCode, unknown.abortedTransactions], [3, []], 'UNKNOWN_TOPIC_OR_PARTITION with []');
  const withEpoch = (epoch: number) => {
    const req = fetchRequest('ka', 0, 0n);
    req.topics[0]!.partitions[0]!.currentLeaderEpoch = epoch;
    return req;
  };
  const ahead = (await c.request(Fetch, 11, withEpoch(5))).responses[0]!.partitions[0]!;
  t.same([ahead.errorCode, ahead.highWatermark, ahead.logStartOffset], [75, -1n, -1n], 'epoch ahead: UNKNOWN_LEADER_EPOCH, no watermarks');
  const below = (await c.request(Fetch, 11, withEpoch(-2))).responses[0]!.partitions[0]!;
  t.same([below.errorCode, below.highWatermark], [0, 6n], 'a negative epoch is no epoch: read as usual');
});

t.test('ListOffsets: unsupported timestamps, duplicates, leader epochs, nothing found', async (t) => {
  t.equal((await listOffsets(5, [{ timestamp: -3n }]))[0]!.errorCode, 35, 'max timestamp below v7: UNSUPPORTED_VERSION');
  t.equal((await listOffsets(7, [{ timestamp: -4n }]))[0]!.errorCode, 35, 'earliest local below v8: UNSUPPORTED_VERSION');
  t.equal((await listOffsets(8, [{ timestamp: -6n }]))[0]!.errorCode, 35, 'an unknown negative timestamp: UNSUPPORTED_VERSION');
  const dup = await listOffsets(5, [{}, { timestamp: -2n }, { partitionIndex: 1 }]);
  t.same(dup.map((p) => [p.partitionIndex, p.errorCode]), [[0, 42], [1, 0]], 'a partition named twice: one INVALID_REQUEST entry');
  t.equal((await listOffsets(7, [{ currentLeaderEpoch: 5 }]))[0]!.errorCode, 75, 'epoch ahead: UNKNOWN_LEADER_EPOCH');
  t.equal((await listOffsets(7, [{ currentLeaderEpoch: -2 }]))[0]!.errorCode, 74, 'epoch below -1: FENCED_LEADER_EPOCH');
  const late = (await listOffsets(7, [{ timestamp: BigInt(Date.now() + 3_600_000) }]))[0]!;
  t.same([late.errorCode, late.offset, late.leaderEpoch], [0, -1n, -1], 'no record that late: offset and epoch -1');
  const found = (await listOffsets(7, [{ timestamp: 0n }]))[0]!;
  t.same([found.offset, found.leaderEpoch], [0n, 0], 'a record found carries the leader epoch');
});

t.test('Produce: no whole batch is INVALID_RECORD; errors found in the log carry the log start', async (t) => {
  const whole = batch(2, BigInt(Date.now()));
  t.equal((await produce('ka', 1, whole.subarray(0, 40))).errorCode, 87, 'a truncated batch');
  t.equal((await produce('ka', 1, whole.subarray(0, 8))).errorCode, 87, 'fewer bytes than a batch size field');
  const future = await produce('ka', 1, batch(1, BigInt(Date.now() + 172_800_000)));
  t.same([future.errorCode, future.logStartOffset], [32, 0n], 'INVALID_TIMESTAMP with the log start');
  const moved = Buffer.from(whole);
  moved.writeBigInt64BE(1000n, 0);
  const based = await produce('ka', 1, moved);
  t.same([based.errorCode, based.logStartOffset], [87, 0n], 'a non-zero base offset: INVALID_RECORD with the log start');
  const corrupt = Buffer.from(whole);
  corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff;
  const bad = await produce('ka', 1, corrupt);
  t.same([bad.errorCode, bad.logStartOffset], [2, -1n], 'CORRUPT_MESSAGE without it');
});

t.test('CreateTopics: gapped assignments, a duplicate answered once, an id for validate_only', async (t) => {
  const node = (await c.request(Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })).brokers[0]!.nodeId;
  const gap = await c.request(CreateTopics, 7, { topics: [topic('ka-gap', -1, [{ partitionIndex: 0, brokerIds: [node] }, { partitionIndex: 2, brokerIds: [node] }])], timeoutMs: 1000, validateOnly: true });
  t.equal(gap.topics[0]!.errorCode, 39, 'INVALID_REPLICA_ASSIGNMENT');
  const dup = await c.request(CreateTopics, 7, { topics: [topic('ka-dup'), topic('ka-dup')], timeoutMs: 1000, validateOnly: false });
  t.same(dup.topics.map((x) => [x.name, x.errorCode]), [['ka-dup', 42]], 'one INVALID_REQUEST entry');
  const only = await c.request(CreateTopics, 7, { topics: [topic('ka-validate')], timeoutMs: 1000, validateOnly: true });
  t.notOk(only.topics[0]!.topicId.equals(ZERO), 'validate_only answers a topic id');
  const huge = await c.request(CreateTopics, 7, { topics: [topic('ka-huge', 1_000_000)], timeoutMs: 1000, validateOnly: true });
  t.equal(huge.topics[0]!.errorCode, 44, 'over the partition limit: POLICY_VIOLATION');
  const dupGrow = await c.request(CreatePartitions, 3, { topics: [{ name: 'ka', count: 3, assignments: null }, { name: 'ka', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: true });
  t.same(dupGrow.results.map((x) => [x.name, x.errorCode]), [['ka', 42]], 'CreatePartitions: one INVALID_REQUEST entry');
});

t.test('DeleteTopics v6: a name and an id, or neither, is INVALID_REQUEST', async (t) => {
  const both = await c.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 1000, topics: [{ name: 'ka', topicId: Buffer.alloc(16, 7) }] });
  t.equal(both.responses[0]!.errorCode, 42, 'both');
  const neither = await c.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 1000, topics: [{ name: null, topicId: ZERO }] });
  t.same([neither.responses[0]!.errorCode, neither.responses[0]!.name], [42, null], 'neither');
});

t.test('DescribeCluster: controllers asked of a broker listener; DescribeConfigs: an illegal topic name', async (t) => {
  const controllers = await c.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2, includeFencedBrokers: false });
  t.same([controllers.errorCode, controllers.endpointType, controllers.controllerId], [114, 1, -1], 'MISMATCHED_ENDPOINT_TYPE');
  const other = await c.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 7, includeFencedBrokers: false });
  t.same([other.errorCode, other.endpointType], [115, 1], 'UNSUPPORTED_ENDPOINT_TYPE');
  const illegal = await c.request(DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'bad!name', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  t.equal(illegal.results[0]!.errorCode, 17, 'INVALID_TOPIC_EXCEPTION');
  const fine = await c.request(DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'ka', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false });
  t.same([fine.results[0]!.errorCode, fine.results[0]!.errorMessage], [0, ''], 'success: an empty error message');
});

t.test('Produce acks=0: a failed partition closes the connection; a good one is not answered', async (t) => {
  const own = await RawClient.connect(broker.port);
  const metadata = { topics: [], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
  own.write(requestFrame(Produce, 7, 10, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'ka', topicId: ZERO, partitionData: [{ index: 1, records: batch(1, BigInt(Date.now())) }] }] }));
  own.write(requestFrame(Metadata, 1, 11, metadata));
  const next = await own.nextFrame();
  t.equal(next?.readInt32BE(0), 11, 'a good acks=0 produce: no answer, the connection stays');
  own.write(requestFrame(Produce, 7, 12, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'ka-missing', topicId: ZERO, partitionData: [{ index: 0, records: batch(1, BigInt(Date.now())) }] }] }));
  own.write(requestFrame(Metadata, 1, 13, metadata));
  t.equal(await own.nextFrame(), null, 'a failed acks=0 produce: closed, nothing answered');
  own.close();
});

t.test('Metadata: a topic named twice is answered once; an illegal unknown name is INVALID_TOPIC_EXCEPTION without auto-creation', async (t) => {
  const md = await c.request(Metadata, 12, { topics: ['ka', 'ka', '', 'bad!name', 'ka-none'].map((name) => ({ topicId: ZERO, name })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.same(md.topics.map((x) => [x.name, x.errorCode]), [['ka', 0], ['', 17], ['bad!name', 17], ['ka-none', 3]]);
});
