/**
 * Two nodes in one test process, each a real Broker with its own data directory and listeners:
 * node 1 combined (broker and controller), node 2 broker-only, formatted with node 1's cluster id.
 * Node 2 registers, copies the metadata, forwards a CreateTopics to the controller, and follows
 * the partitions node 1 leads; node 1 follows those node 2 leads; acks=all waits for both.
 */
import t from 'tap';
import { Broker, formatDataDir } from './broker.js';
import { buildRecordBatch, decodeRecords, splitBatches } from './log/record-batch.js';
import { silentLogger } from './logger.js';
import { ErrorCode } from './protocol/errors.js';
import { AlterUserScramCredentials, CreateTopics, DescribeCluster, DescribeUserScramCredentials, Fetch, FindCoordinator, Heartbeat, Metadata, OffsetFetch, Produce } from './protocol/generated/index.js';
import { RawClient, fetchRequest } from '../compat-tests/raw-client.js';
import { scramSaltedPassword } from './auth/scram.js';
import { tmpDataDir, until } from '../compat-tests/harness.js';

const d1 = tmpDataDir('sluice-two-1-');
const d2 = tmpDataDir('sluice-two-2-');
let n1: Broker;
let n2: Broker;
const clients: RawClient[] = [];

const FAST = ['broker.heartbeat.interval.ms=200', 'broker.session.timeout.ms=3000', 'replica.fetch.wait.max.ms=100'];

t.before(async () => {
  n1 = await Broker.start({ dataDir: d1.dir, logger: silentLogger, overrides: ['node.id=1', 'listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0', 'controller.listener.names=CONTROLLER', ...FAST] });
  formatDataDir({ dataDir: d2.dir, clusterId: n1.clusterId, nodeId: 2, controller: false });
  n2 = await Broker.start({
    dataDir: d2.dir,
    logger: silentLogger,
    overrides: ['node.id=2', 'process.roles=broker', 'listeners=PLAINTEXT://127.0.0.1:0', 'controller.listener.names=CONTROLLER', `controller.quorum.voters=1@127.0.0.1:${n1.controllerPort}`, ...FAST],
  });
});
t.teardown(async () => {
  for (const c of clients) c.close();
  await n2?.stop();
  await n1?.stop();
  d1.remove();
  d2.remove();
});

async function connect(b: Broker): Promise<RawClient> {
  const c = await RawClient.connect(b.listenPort);
  clients.push(c);
  return c;
}

t.test('the broker-only node joins: registered, unfenced, both listed', async (t) => {
  const c = await connect(n2);
  const res = await c.request(DescribeCluster, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true });
  t.same(
    res.brokers.map((b) => [b.brokerId, b.port, b.isFenced]),
    [
      [1, n1.listenPort, false],
      [2, n2.listenPort, false],
    ],
  );
});

t.test('CreateTopics on the broker-only node is forwarded; replicas on both; acks=all waits for the follower', async (t) => {
  const c2 = await connect(n2);
  const created = await c2.request(CreateTopics, 7, { topics: [{ name: 'two', numPartitions: 2, replicationFactor: 2, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE, 'created by the controller');
  t.ok(await until('the topic reached node 2 metadata', () => n2.image.topicsByName.has('two')), 'the topic reached node 2 metadata');
  const md = await c2.request(Metadata, 12, { topics: [{ name: 'two', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const parts = md.topics[0]!.partitions;
  t.equal(parts.length, 2);
  for (const p of parts) t.same([...p.replicaNodes].sort(), [1, 2], `partition ${p.partitionIndex} on both`);
  const leaders = new Set(parts.map((p) => p.leaderId));
  t.same([...leaders].sort(), [1, 2], 'one leader each (striped placement)');

  for (const p of parts) {
    const leader = p.leaderId === 1 ? n1 : n2;
    const c = await connect(leader);
    for (let i = 0; i < 5; i++) {
      const records = buildRecordBatch([{ key: null, value: Buffer.from(`p${p.partitionIndex}-${i}`), timestamp: BigInt(Date.now()) }]);
      const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'two', topicId: Buffer.alloc(16), partitionData: [{ index: p.partitionIndex, records }] }] });
      t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE, `acks=all to ${p.partitionIndex} on node ${p.leaderId}`);
    }
    const follower = p.leaderId === 1 ? n2 : n1;
    const fp = follower.replicas.getPartition('two', p.partitionIndex)!;
    t.ok(await until(`node ${follower.nodeId} has the five batches of partition ${p.partitionIndex}`, () => fp.logEndOffset === 5n), `node ${follower.nodeId} has the five batches of partition ${p.partitionIndex}`);
    const res = await c.request(Fetch, 12, fetchRequest('two', p.partitionIndex, 0n));
    const values = splitBatches(res.responses[0]!.partitions[0]!.records!).flatMap((b) => decodeRecords(b).map((r) => r.value!.toString()));
    t.same(values, [0, 1, 2, 3, 4].map((i) => `p${p.partitionIndex}-${i}`), 'consumers read them from the leader');
  }
});

t.test('a group request to the broker that does not coordinate the group: NOT_COORDINATOR', async (t) => {
  const c2 = await connect(n2);
  let found = await c2.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g-two'] });
  for (let i = 0; i < 100 && found.coordinators[0]!.errorCode !== ErrorCode.NONE; i++) {
    await new Promise((r) => setTimeout(r, 50));
    found = await c2.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g-two'] });
  }
  const coordinatorId = found.coordinators[0]!.nodeId;
  t.ok(coordinatorId === 1 || coordinatorId === 2, `coordinator ${coordinatorId}`);
  const coordinator = await connect(coordinatorId === 1 ? n1 : n2);
  const other = await connect(coordinatorId === 1 ? n2 : n1);
  const hb = { groupId: 'g-two', generationId: 1, memberId: 'm', groupInstanceId: null };
  t.equal((await other.request(Heartbeat, 4, hb)).errorCode, ErrorCode.NOT_COORDINATOR, 'Heartbeat elsewhere');
  t.equal((await coordinator.request(Heartbeat, 4, hb)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'Heartbeat at the coordinator');
  const fetchV8 = { groupId: '', topics: [], groups: [{ groupId: 'g-two', memberId: null, memberEpoch: -1, topics: null }], requireStable: false };
  t.equal((await other.request(OffsetFetch, 8, fetchV8)).groups[0]!.errorCode, ErrorCode.NOT_COORDINATOR, 'OffsetFetch v8 elsewhere');
  t.equal((await coordinator.request(OffsetFetch, 8, fetchV8)).groups[0]!.errorCode, ErrorCode.NONE, 'OffsetFetch v8 at the coordinator');
  const v3 = await other.request(OffsetFetch, 3, { groupId: 'g-two', topics: [{ name: 'two', partitionIndexes: [0] }], groups: [], requireStable: false });
  t.same([v3.errorCode, v3.topics.length], [ErrorCode.NOT_COORDINATOR, 0], 'v3: a top-level error, no partitions');
  const v1 = await other.request(OffsetFetch, 1, { groupId: 'g-two', topics: [{ name: 'two', partitionIndexes: [0, 1] }], groups: [], requireStable: false });
  t.same(v1.topics[0]!.partitions.map((p) => p.errorCode), [ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR], 'v1: the error on every partition asked');
});

t.test('Metadata auto-creates a topic through the controller from the broker-only node', async (t) => {
  const c2 = await connect(n2);
  const ask = () => c2.request(Metadata, 12, { topics: [{ name: 'auto-two', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const first = await ask();
  t.equal(first.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'first: not yet (retriable), as Kafka answers an auto-created topic');
  const ready = await until('the auto-created topic in node 2 metadata', async () => ((await ask()).topics[0]!.errorCode === ErrorCode.NONE ? true : null));
  t.ok(ready);
  t.ok(n1.image.topicsByName.has('auto-two'), 'created by the controller');
});

t.test('AlterUserScramCredentials on the broker-only node is forwarded; both describe the credential', async (t) => {
  const c2 = await connect(n2);
  const salt = Buffer.from('two-salt');
  const upsertion = { name: 'two-user', mechanism: 2, iterations: 4096, salt, saltedPassword: scramSaltedPassword('SCRAM-SHA-512', 'pw', salt, 4096) };
  const altered = await c2.request(AlterUserScramCredentials, 0, { deletions: [{ name: 'nobody', mechanism: 1 }], upsertions: [upsertion] });
  t.same(
    altered.results.map((r) => [r.user, r.errorCode]),
    [
      ['two-user', ErrorCode.NONE],
      ['nobody', ErrorCode.RESOURCE_NOT_FOUND],
    ],
    'answered by the controller',
  );
  t.ok(n1.image.scramCredentials.get('two-user')?.has('SCRAM-SHA-512'), 'written by the controller');
  t.ok(await until('the credential reached node 2 metadata', () => n2.image.scramCredentials.has('two-user')), 'the credential reached node 2 metadata');
  for (const c of [c2, await connect(n1)]) {
    const described = await c.request(DescribeUserScramCredentials, 0, { users: [{ name: 'two-user' }] });
    t.same(described.results[0], { user: 'two-user', errorCode: ErrorCode.NONE, errorMessage: '', credentialInfos: [{ mechanism: 2, iterations: 4096 }] });
  }
});
