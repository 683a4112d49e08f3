/**
 * A controller-only node (process.roles=controller) with two broker-only nodes, each a real Broker
 * in this test process with its own data directory: the controller serves only its CONTROLLER
 * listener and is no broker of the cluster; the brokers register with it, copy its metadata log,
 * forward CreateTopics to it, and replicate between themselves.
 */
import t from 'tap';
import { Broker, formatDataDir } from './broker.js';
import { buildRecordBatch, decodeRecords, splitBatches } from './log/record-batch.js';
import { silentLogger } from './logger.js';
import { ErrorCode } from './protocol/errors.js';
import { CreateTopics, DescribeCluster, Fetch, Produce } from './protocol/generated/index.js';
import { RawClient, fetchRequest } from '../compat-tests/raw-client.js';
import { freePortRun, tmpDataDir, until } from '../compat-tests/harness.js';

const dirs = [tmpDataDir('sluice-conly-c-'), tmpDataDir('sluice-conly-1-'), tmpDataDir('sluice-conly-2-')];
let controller: Broker;
const brokers: Broker[] = [];
const clients: RawClient[] = [];
const FAST = ['broker.heartbeat.interval.ms=200', 'broker.session.timeout.ms=3000', 'replica.fetch.wait.max.ms=100'];

t.before(async () => {
  // Kafka's controller-only node names itself among the voters, so its port is known up front.
  const port = await freePortRun(1);
  controller = await Broker.start({
    dataDir: dirs[0]!.dir,
    logger: silentLogger,
    overrides: ['node.id=100', 'process.roles=controller', `listeners=CONTROLLER://127.0.0.1:${port}`, 'controller.listener.names=CONTROLLER', `controller.quorum.voters=100@127.0.0.1:${port}`, ...FAST],
  });
  for (const id of [1, 2]) {
    formatDataDir({ dataDir: dirs[id]!.dir, clusterId: controller.clusterId, nodeId: id, controller: false });
    brokers.push(
      await Broker.start({
        dataDir: dirs[id]!.dir,
        logger: silentLogger,
        overrides: [`node.id=${id}`, 'process.roles=broker', 'listeners=PLAINTEXT://127.0.0.1:0', 'controller.listener.names=CONTROLLER', `controller.quorum.voters=100@127.0.0.1:${controller.controllerPort}`, ...FAST],
      }),
    );
  }
});
t.teardown(async () => {
  for (const c of clients) c.close();
  for (const b of brokers.reverse()) await b.stop();
  await controller?.stop();
  for (const d of dirs) d.remove();
});

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

t.test('the controller-only node listens on its CONTROLLER listener alone and is no broker', async (t) => {
  t.ok(controller.controllerPort > 0, 'a CONTROLLER listener');
  t.equal(controller.listenPort, controller.controllerPort, 'no client listener beside it');
  const c = await connect(brokers[0]!.listenPort);
  const res = await c.request(DescribeCluster, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true });
  t.same(
    res.brokers.map((b) => [b.brokerId, b.isFenced]),
    [
      [1, false],
      [2, false],
    ],
    'the brokers are the two broker-only nodes, unfenced',
  );
  // As Kafka's KRaft brokers answer: a live broker, which forwards admin requests to the controller
  // (clients cannot reach a controller-only node through the brokers' listeners).
  t.equal(res.controllerId, 1, 'the "controller" clients see is the answering broker, not the controller-only node');
});

t.test('topics created through a broker live on the brokers; acks=all waits for the follower', async (t) => {
  const c1 = await connect(brokers[0]!.listenPort);
  const created = await c1.request(CreateTopics, 7, { topics: [{ name: 'conly', numPartitions: 2, replicationFactor: 2, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE, 'forwarded and created');
  await until('the topic reached both brokers', () => brokers.every((b) => b.image.topicsByName.has('conly')));
  const topic = controller.image.topicsByName.get('conly')!;
  t.same(
    topic.partitions.map((p) => [...p.replicas].sort()),
    [
      [1, 2],
      [1, 2],
    ],
    'every replica on a broker, none on the controller',
  );
  for (const [i, p] of topic.partitions.entries()) {
    const leader = brokers.find((b) => b.nodeId === p.leader)!;
    const c = await connect(leader.listenPort);
    const records = buildRecordBatch([{ key: null, value: Buffer.from(`v${i}`), timestamp: BigInt(Date.now()) }]);
    const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'conly', topicId: Buffer.alloc(16), partitionData: [{ index: i, records }] }] });
    t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE, `acks=all to partition ${i} on node ${p.leader}`);
    const fetched = await c.request(Fetch, 12, fetchRequest('conly', i, 0n));
    const values = splitBatches(fetched.responses[0]!.partitions[0]!.records!).flatMap((b) => decodeRecords(b).map((r) => r.value!.toString()));
    t.same(values, [`v${i}`], 'read back from the leader');
  }
});

t.test('a controller-only node refuses client requests it does not serve (no Produce on its listener)', async (t) => {
  const c = await connect(controller.controllerPort);
  const records = buildRecordBatch([{ key: null, value: Buffer.from('x'), timestamp: BigInt(Date.now()) }]);
  const answer = await c.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'conly', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] }).then(
    () => 'answered',
    () => 'refused',
  );
  t.equal(answer, 'refused', 'the connection is closed: Produce is not a controller API');
});
