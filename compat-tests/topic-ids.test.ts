/**
 * Topic ids across restarts and recreation, against a real `sluice start` process (issue 15): a
 * topic keeps its id through a clean restart and a kill -9; deleted and recreated under the same
 * name it gets a new id, and the old id answers UNKNOWN_TOPIC_ID everywhere ids are accepted
 * (Metadata v10-13, DeleteTopics v6) before and after the next restart, while the recreated topic
 * holds none of the old one's records. DescribeTopicPartitions shows the same ids. On a 3-broker
 * cluster, a replica down through the deletion and recreation serves only the new topic once back.
 */
import t from 'tap';
import { freePortRun, spawnBroker, stopBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';
import { fetchRequest, RawClient } from './raw-client.js';
import { startCluster } from '../src/index.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../src/log/record-batch.js';
import type { Target } from './differential/framework.js';
import { batch, createTopic, listOffset, produce } from './differential/scenarios/util.js';
import { CreateTopics, DeleteTopics, DescribeTopicPartitions, Fetch, Metadata, Produce } from '../src/protocol/generated/index.js';
import { ErrorCode } from '../src/protocol/errors.js';

const data = tmpDataDir('sluice-topic-ids-');
let broker: BrokerProcess = await spawnBroker({ dataDir: data.dir });
let client = await RawClient.connect(broker.port);
t.teardown(async () => {
  client.close();
  await stopBroker(broker);
  data.remove();
});

/** The differential helpers take a Target; here it is one connection to the one broker. */
const target = { request: (codec, version, body) => client.request(codec, version, body) } as Target;

async function restart(how: 'clean' | 'kill -9'): Promise<void> {
  client.close();
  if (how === 'clean') await broker.stop();
  else await broker.kill9();
  broker = await spawnBroker({ dataDir: data.dir, port: broker.port });
  client = await RawClient.connect(broker.port);
}

async function idOf(name: string): Promise<Buffer> {
  const md = await client.request(Metadata, 13, { topics: [{ topicId: Buffer.alloc(16), name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.topicId;
}

async function byId(id: Buffer, version: number): Promise<{ errorCode: number; name: string | null }> {
  const md = await client.request(Metadata, version, { topics: [{ topicId: id, name: null }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return { errorCode: md.topics[0]!.errorCode, name: md.topics[0]!.name };
}

async function describedId(name: string): Promise<Buffer> {
  const res = await client.request(DescribeTopicPartitions, 0, { topics: [{ name }], responsePartitionLimit: 100, cursor: null });
  return res.topics[0]!.topicId;
}

t.test('a topic keeps its id across a clean restart and a kill -9', async (t) => {
  t.equal(await createTopic(target, 'tid', 2), ErrorCode.NONE);
  const id = await idOf('tid');
  t.notOk(id.equals(Buffer.alloc(16)), 'a topic id is assigned');
  t.equal((await produce(target, 'tid', 0, batch(3, 'old'))).errorCode, ErrorCode.NONE);
  await restart('clean');
  t.same(await idOf('tid'), id, 'the same id after a clean restart');
  await restart('kill -9');
  t.same(await idOf('tid'), id, 'the same id after kill -9');
  t.same(await describedId('tid'), id, 'DescribeTopicPartitions shows it');
  for (const v of [10, 12, 13]) t.same(await byId(id, v), { errorCode: ErrorCode.NONE, name: 'tid' }, `Metadata v${v} finds the topic by id`);
});

t.test('a recreated topic gets a new id; the old one is unknown everywhere, across restarts', async (t) => {
  const oldId = await idOf('tid');
  const del = await client.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: oldId }] });
  t.equal(del.responses[0]!.errorCode, ErrorCode.NONE, 'deleted by id');
  t.equal(await createTopic(target, 'tid', 2), ErrorCode.NONE, 'recreated under the same name');
  const newId = await idOf('tid');
  t.notOk(newId.equals(oldId), 'a new id');
  for (const when of ['before a restart', 'after a clean restart', 'after kill -9']) {
    if (when === 'after a clean restart') await restart('clean');
    if (when === 'after kill -9') await restart('kill -9');
    t.same(await idOf('tid'), newId, `the new id stays (${when})`);
    for (const v of [10, 12, 13]) {
      const r = await byId(oldId, v);
      t.equal(r.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, `Metadata v${v}: the old id is unknown (${when})`);
    }
    const again = await client.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: oldId }] });
    t.equal(again.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, `DeleteTopics v6: the old id is unknown (${when})`);
    t.same(await describedId('tid'), newId, `DescribeTopicPartitions shows the new id (${when})`);
    t.equal((await listOffset(target, 'tid', 0, -1n)).offset, 0n, `none of the old topic's records (${when})`);
  }
});

/**
 * The hazard topic ids exist for (KIP-516): a replica that was down while its topic was deleted and
 * recreated under the same name must not serve the old topic's records as the new one's. The
 * restarted broker replays the deletion from the metadata log before the new topic's records, so
 * its old partition directory goes before the new replica is opened; it then copies the new
 * topic's records from the leader and, made leader itself, serves exactly those.
 */
t.test('a broker down while its topic is deleted and recreated serves only the new topic once back', async (t) => {
  const d = tmpDataDir('sluice-topic-ids-cluster-');
  const port = await freePortRun(4);
  const adminPort = await freePortRun(3);
  const cluster = await startCluster({ brokers: 3, port, adminPort, dataDir: d.dir, brokerSessionTimeoutMs: 2000, brokerHeartbeatIntervalMs: 250 });
  t.teardown(async () => {
    await cluster.stop();
    d.remove();
  });
  const ids = cluster.nodes.map((n) => n.nodeId);
  const victim = cluster.nodes[2]!;
  const ctl = await RawClient.connect(cluster.nodes[0]!.port);
  t.teardown(() => ctl.close());
  const assignments = [{ partitionIndex: 0, brokerIds: [ids[0]!, ids[1]!, victim.nodeId] }];
  const create = async (): Promise<number> =>
    (await ctl.request(CreateTopics, 7, { timeoutMs: 10_000, validateOnly: false, topics: [{ name: 'tid-c', numPartitions: -1, replicationFactor: -1, assignments, configs: [] }] })).topics[0]!.errorCode;
  /** Produce to the partition's leader, wherever it is; records valued `<prefix>-i`. */
  const produceAt = async (prefix: string, n: number, acks: number): Promise<number> => {
    const md = await ctl.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'tid-c' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const leader = cluster.nodes.find((x) => x.nodeId === md.topics[0]!.partitions[0]!.leaderId)!;
    const c = await RawClient.connect(leader.port);
    try {
      const records = buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`${prefix}-${i}`), timestamp: BigInt(Date.now()) })), {});
      const res = await c.request(Produce, 9, { transactionalId: null, acks, timeoutMs: 10_000, topicData: [{ name: 'tid-c', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] });
      return res.responses[0]!.partitionResponses[0]!.errorCode;
    } finally {
      c.close();
    }
  };
  const isr = async (): Promise<number[]> => {
    const md = await ctl.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'tid-c' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return md.topics[0]?.partitions[0]?.isrNodes ?? [];
  };

  t.equal(await create(), ErrorCode.NONE, 'created on all three brokers');
  await until('all three replicas in the ISR', async () => (await isr()).length === 3, 15_000);
  t.equal(await produceAt('old', 5, -1), ErrorCode.NONE, 'five records on every replica (acks=all)');
  await victim.kill();
  await until('the killed broker out of the ISR', async () => !(await isr()).includes(victim.nodeId), 15_000);
  const del = await ctl.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: 'tid-c', topicId: Buffer.alloc(16) }] });
  t.equal(del.responses[0]!.errorCode, ErrorCode.NONE, 'deleted while the victim is down');
  t.equal(await create(), ErrorCode.NONE, 'recreated with the down broker among its replicas');
  t.equal(await produceAt('new', 2, 1), ErrorCode.NONE, 'two records in the new topic');
  await victim.restart();
  await until('the restarted broker back in the ISR', async () => (await isr()).includes(victim.nodeId), 30_000);
  await cluster.moveLeader('tid-c', 0, victim.nodeId);
  const c = await RawClient.connect(victim.port);
  t.teardown(() => c.close());
  let values: string[] = [];
  await until('a fetch from the new leader', async () => {
    const f = await c.request(Fetch, 12, fetchRequest('tid-c', 0, 0n));
    const p = f.responses[0]!.partitions[0]!;
    if (p.errorCode !== ErrorCode.NONE) return false;
    values = splitBatches(p.records ?? Buffer.alloc(0)).flatMap((b) => decodeRecords(b).map((r) => r.value?.toString() ?? 'null'));
    return true;
  }, 15_000);
  t.same(values, ['new-0', 'new-1'], 'the restarted broker, now leader, serves the new topic only');
});
