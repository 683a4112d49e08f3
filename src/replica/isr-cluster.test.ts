/**
 * The ISR through the controller, end to end on one combined node (its broker registered with its
 * own controller) and a second broker simulated over the wire: broker 2 registers and heartbeats
 * on the CONTROLLER listener, and fetches as a follower with raw Fetch requests. A partition
 * placed on both shows its ISR shrink when broker 2 stops fetching (replica.lag.time.max.ms) and
 * grow back when it catches up: the leader's AlterPartition, the controller's PartitionChange,
 * the publisher, Metadata, all real.
 */
import t from 'tap';
import { Broker } from '../broker.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { silentLogger } from '../logger.js';
import { NodeClient } from '../net/node-client.js';
import { ErrorCode } from '../protocol/errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerHeartbeat, BrokerRegistration, CreateTopics, Fetch, FindCoordinator, Metadata, Produce, type FetchRequest } from '../protocol/generated/index.js';
import { RawClient, fetchRequest } from '../../compat-tests/raw-client.js';
import { tmpDataDir, until } from '../../compat-tests/harness.js';
import { partitionForKey } from '../metadata/internal-topic.js';
import { supportedFeatures } from '../metadata/broker-lifecycle.js';

const LAG_MS = 600;
const data = tmpDataDir('sluice-isr-cluster-');
let broker: Broker;
let client: RawClient;
let follower: RawClient;
let controller: NodeClient;
let heartbeats: NodeJS.Timeout | null = null;

t.before(async () => {
  broker = await Broker.start({
    dataDir: data.dir,
    logger: silentLogger,
    overrides: ['listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0', 'controller.listener.names=CONTROLLER', `replica.lag.time.max.ms=${LAG_MS}`, 'replica.fetch.wait.max.ms=100'],
  });
  client = await RawClient.connect(broker.listenPort);
  follower = await RawClient.connect(broker.listenPort);
  controller = new NodeClient({ host: '127.0.0.1', port: broker.controllerPort, clientId: 'broker-2', requestTimeoutMs: 5000, connectTimeoutMs: 2000, reconnectBackoffMs: 50, inFlightMax: 1, responseBytesMax: 1 << 20 });
});
t.teardown(async () => {
  if (heartbeats) clearInterval(heartbeats);
  controller?.close();
  client?.close();
  follower?.close();
  await broker?.stop();
  data.remove();
});

async function isr(): Promise<number[]> {
  const md = await client.request(Metadata, 12, { topics: [{ name: 'isr', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.partitions[0]!.isrNodes;
}


async function fetchAsFollower(offset: bigint): Promise<number> {
  const req: FetchRequest = { ...fetchRequest('isr', 0, offset), replicaId: 2 };
  return (await follower.request(Fetch, 12, req)).responses[0]!.partitions[0]!.errorCode;
}

function produce(acks: number, topic = 'isr'): Promise<number> {
  const records = buildRecordBatch([{ key: null, value: Buffer.from('x'), timestamp: BigInt(Date.now()) }]);
  return client
    .request(Produce, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] })
    .then((r) => r.responses[0]!.partitionResponses[0]!.errorCode);
}

t.test('the combined node registers its own broker with its controller', async (t) => {
  const self = broker.image.brokers.get(broker.nodeId);
  t.ok(self, 'registered');
  t.equal(self?.fenced, false, 'and unfenced before clients came in');
  t.equal(self?.endpoints.find((e) => e.name === 'PLAINTEXT')?.port, broker.listenPort, 'at the port it bound');
});

t.test('the ISR shrinks when a follower stops fetching and grows back when it catches up', async (t) => {
  const reg = await controller.request(BrokerRegistration, {
    brokerId: 2,
    clusterId: broker.clusterId,
    incarnationId: Buffer.alloc(16, 2),
    listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 1, securityProtocol: 0 }],
    features: supportedFeatures(),
    rack: null,
    isMigratingZkBroker: false,
    logDirs: [Buffer.alloc(16, 22)],
    previousBrokerEpoch: -1n,
  });
  t.equal(reg.errorCode, ErrorCode.NONE);
  const beat = () => controller.request(BrokerHeartbeat, { brokerId: 2, brokerEpoch: reg.brokerEpoch, currentMetadataOffset: broker.image.lastOffset, wantFence: false, wantShutDown: false, offlineLogDirs: [] });
  t.equal((await beat()).isFenced, false, 'broker 2 unfenced');
  heartbeats = setInterval(() => void beat(), 300);

  const created = await client.request(CreateTopics, 7, {
    topics: [{ name: 'isr', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [broker.nodeId, 2] }], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  t.same(await isr(), [broker.nodeId, 2], 'both in the ISR at creation');

  let acked: number | null = null;
  const pending = produce(-1).then((e) => (acked = e));
  t.equal(await fetchAsFollower(0n), ErrorCode.NONE);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(acked, null, 'acks=all waits while broker 2 has not fetched past the batch');
  t.equal(await fetchAsFollower(1n), ErrorCode.NONE);
  await pending;
  t.equal(acked, ErrorCode.NONE, 'acks=all answered once broker 2 fetched the batch');
  t.same(await isr(), [broker.nodeId, 2], 'broker 2 still in the ISR');

  // Broker 2 stops fetching while the leader log grows.
  t.equal(await produce(1), ErrorCode.NONE);
  const t0 = Date.now();
  t.ok(await until('ISR shrank to the leader', async () => (await isr()).length === 1, 5000), 'ISR shrank to the leader');
  t.ok(Date.now() - t0 >= LAG_MS / 2, `after about replica.lag.time.max.ms (${Date.now() - t0} ms), not at once`);
  t.same(await isr(), [broker.nodeId]);
  t.equal(await produce(-1), ErrorCode.NONE, 'acks=all goes on with the leader alone (min.insync.replicas=1)');

  // Broker 2 fetches up to the leader log end: proposed for the ISR, committed by the controller.
  const end = broker.replicas.getPartition('isr', 0)!.logEndOffset;
  t.equal(await fetchAsFollower(end), ErrorCode.NONE);
  t.ok(await until('ISR grew back', async () => (await isr()).length === 2), 'ISR grew back');
  t.same(await isr(), [broker.nodeId, 2]);
});

t.test('a partition placed on another broker only: no log here, NOT_LEADER_OR_FOLLOWER, Metadata names its leader', async (t) => {
  const created = await client.request(CreateTopics, 7, {
    topics: [{ name: 'elsewhere', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [2] }], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  t.notOk(existsSync(join(data.dir, 'elsewhere-0')), 'no log directory on a broker that holds no replica');
  t.equal(await produce(1, 'elsewhere'), ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the client is told to refresh its metadata');
  t.equal(await produce(1, 'nowhere-at-all'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a topic the cluster does not have');
  const md = await client.request(Metadata, 12, { topics: [{ name: 'elsewhere', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.equal(md.topics[0]!.partitions[0]!.leaderId, 2);
  t.ok(md.brokers.some((b) => b.nodeId === 2 && b.port === 1), 'broker 2 at its registered endpoint');
});

t.test('FindCoordinator names the leader of the key partition of the internal topic', async (t) => {
  let res = await client.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g1', 'g2', 'g3'] });
  for (let i = 0; i < 50 && res.coordinators.some((c) => c.errorCode !== ErrorCode.NONE); i++) {
    await new Promise((r) => setTimeout(r, 50));
    res = await client.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g1', 'g2', 'g3'] });
  }
  const md = await client.request(Metadata, 12, { topics: [{ name: '__consumer_offsets', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const leaders = md.topics[0]!.partitions;
  for (const c of res.coordinators) {
    t.equal(c.errorCode, ErrorCode.NONE, `${c.key}: found`);
    const partition = leaders.find((p) => p.partitionIndex === partitionForKey(c.key, leaders.length))!;
    t.equal(c.nodeId, partition.leaderId, `${c.key}: the leader of __consumer_offsets-${partition.partitionIndex}`);
  }
});
