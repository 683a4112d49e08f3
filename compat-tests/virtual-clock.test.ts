/**
 * The virtual clock (issue 14) through real clients, with no sleeps standing in for the time:
 * a `sluice start --virtual-clock --admin-port` process moved by POST /clock/advance, and an
 * embedded broker (`startBroker({ clock: 'virtual' })`) moved by `broker.clock.advance`.
 *
 * - a kafkajs consumer that dies without leaving keeps its place for 45 s of its session timeout
 *   and loses it after, with no wall-clock wait;
 * - records under retention.ms of seven days are deleted by an eight-day advance;
 * - a kafkajs transaction left open is aborted once its transaction.timeout.ms has passed, and the
 *   producer is fenced.
 * Each check reads the state right after the advance returns: the advance waits for what it fired.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, startCluster, type RunningBroker } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { DescribeGroups, ListOffsets } from '../src/protocol/generated/index.js';
import { CLI, freePortRun, spawnBroker, spawnWorker, tmpDataDir, until, type BrokerProcess } from './harness.js';
import { RawClient } from './raw-client.js';
import type { WorkerConfig } from './kafkajs-group-worker.js';

const WORKER = fileURLToPath(new URL('./kafkajs-group-worker.js', import.meta.url));
const DAY_MS = 24 * 3600 * 1000;

/** On a connection of its own: an advance past connections.max.idle.ms closes idle ones, as Kafka would. */
async function offsetAt(port: number, topic: string, timestamp: bigint, isolationLevel = 0): Promise<bigint> {
  const c = await RawClient.connect(port);
  const res = await c.request(ListOffsets, 5, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 5000 });
  c.close();
  const p = res.topics[0]!.partitions[0]!;
  if (p.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${topic}: error ${p.errorCode}`);
  return p.offset;
}
const EARLIEST = -2n;
const LATEST = -1n;

async function group(c: RawClient, groupId: string): Promise<{ state: string; members: number }> {
  const res = await c.request(DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false });
  const g = res.groups[0]!;
  return { state: g.groupState, members: g.members.length };
}

function kafkaFor(port: number, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } });
}

async function produceValues(kafka: Kafka, topic: string, n: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
  await producer.disconnect();
}

t.test('over HTTP: sluice start --virtual-clock', async (t) => {
  const data = tmpDataDir('sluice-vclock-');
  const broker: BrokerProcess = await spawnBroker({ dataDir: data.dir, admin: true, args: ['--virtual-clock'] });
  t.teardown(async () => {
    await broker.stop();
    data.remove();
  });
  const admin = broker.adminUrl!;
  const advance = async (ms: number): Promise<{ nowMs: number; fired: number }> => {
    const res = await fetch(`${admin}/clock/advance`, { method: 'POST', body: JSON.stringify({ ms }) });
    if (res.status !== 200) throw new Error(`advance: ${res.status} ${await res.text()}`);
    return (await res.json()) as { nowMs: number; fired: number };
  };
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  t.match(broker.output(), /virtual clock/, 'the ready line says so');

  t.test('GET /clock and a refused advance', async (t) => {
    const before = (await (await fetch(`${admin}/clock`)).json()) as { virtual: boolean; nowMs: number };
    t.equal(before.virtual, true);
    t.ok(Math.abs(before.nowMs - Date.now()) < 60_000, 'starts at wall time');
    const bad = await fetch(`${admin}/clock/advance`, { method: 'POST', body: '{"ms": -5}' });
    t.equal(bad.status, 400);
    t.match(await bad.json(), { error: /whole number of milliseconds/ });
  });

  await t.test('a 45 s session timeout expires with no wall-clock wait', async (t) => {
    const kafka = kafkaFor(broker.port, 'vclock-admin');
    const adm = kafka.admin();
    await adm.connect();
    await adm.createTopics({ topics: [{ topic: 'vc-group', numPartitions: 2 }] });
    await adm.disconnect();
    const cfg: WorkerConfig = { bootstrap: broker.bootstrap, groupId: 'vc-g', topic: 'vc-group', sessionTimeout: 45_000, heartbeatInterval: 300, maxWaitTimeInMs: 100, fromBeginning: true };
    const w = spawnWorker<{ ev: string }>('kafkajs consumer', process.execPath, [WORKER, JSON.stringify(cfg)]);
    t.teardown(() => w.kill9());
    await until('the consumer joined', () => w.events.some((e) => e.ev === 'join'), 30_000, () => w.describe());
    t.same(await group(c, 'vc-g'), { state: 'Stable', members: 1 });
    // Let it heartbeat a few times, then kill it: no LeaveGroup, only the session timeout can remove it.
    await until('a heartbeat or two', async () => (await group(c, 'vc-g')).state === 'Stable' && w.events.length > 0, 2000);
    await w.kill9();
    const wall0 = Date.now();
    await advance(40_000);
    t.same(await group(c, 'vc-g'), { state: 'Stable', members: 1 }, '40 s later it is still a member');
    await advance(6_000);
    t.same(await group(c, 'vc-g'), { state: 'Empty', members: 0 }, 'past 45 s the coordinator removed it');
    t.ok(Date.now() - wall0 < 40_000, `took ${Date.now() - wall0} ms of wall time for 46 s of the broker's`);
  });

  await t.test('seven-day retention deletes in a test that takes milliseconds', async (t) => {
    const kafka = kafkaFor(broker.port, 'vclock-retention');
    const adm = kafka.admin();
    await adm.connect();
    await adm.createTopics({ topics: [{ topic: 'vc-retention', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(7 * DAY_MS) }] }] });
    await adm.disconnect();
    await produceValues(kafka, 'vc-retention', 50);
    t.same([await offsetAt(broker.port, 'vc-retention', EARLIEST), await offsetAt(broker.port, 'vc-retention', LATEST)], [0n, 50n]);
    await advance(6 * DAY_MS);
    t.equal(await offsetAt(broker.port, 'vc-retention', EARLIEST), 0n, 'six days: kept');
    const r = await advance(2 * DAY_MS);
    t.equal(await offsetAt(broker.port, 'vc-retention', EARLIEST), 50n, 'eight days: deleted, the log starts at its end');
    t.equal(await offsetAt(broker.port, 'vc-retention', LATEST), 50n);
    t.ok(r.fired < 1000, `two days of periodic checks took ${r.fired} firings`);
  });
});

t.test('embedded: startBroker({ clock: "virtual" })', async (t) => {
  const data = tmpDataDir('sluice-vclock-embedded-');
  const broker: RunningBroker = await startBroker({ port: 0, dataDir: data.dir, clock: 'virtual' });
  t.teardown(async () => {
    await broker.stop();
    data.remove();
  });
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());

  await t.test('an open transaction times out and is aborted on demand; the producer is fenced', async (t) => {
    const kafka = kafkaFor(broker.port, 'vclock-txn');
    const adm = kafka.admin();
    await adm.connect();
    await adm.createTopics({ topics: [{ topic: 'vc-txn', numPartitions: 1 }] });
    await adm.disconnect();
    const producer = kafka.producer({ transactionalId: 'vc-tx', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const txn = await producer.transaction();
    await txn.send({ topic: 'vc-txn', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    t.equal(await offsetAt(broker.port, 'vc-txn', LATEST, 1), 0n, 'read_committed: the open transaction holds the last stable offset at 0');
    await broker.clock.advance(50_000);
    t.equal(await offsetAt(broker.port, 'vc-txn', LATEST, 1), 0n, '50 s: still open');
    // transaction.timeout.ms 60 s, checked every transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s).
    await broker.clock.advance(21_000);
    t.equal(await offsetAt(broker.port, 'vc-txn', LATEST, 1), 4n, 'aborted: three records and the abort marker, all stable');
    t.equal(await offsetAt(broker.port, 'vc-txn', LATEST, 0), 4n);
    await t.rejects(txn.commit(), 'the timed-out producer cannot commit');
    await produceValues(kafka, 'vc-txn', 1); // 'v0', after the aborted ones
    const consumer = kafka.consumer({ groupId: 'vc-txn-reader', readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'vc-txn', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    // The group's join and fetches run on the virtual clock too; it flows with wall time.
    await until('the consumer read the record after the aborted ones', () => seen.includes('v0'), 20_000);
    t.same(seen, ['v0'], 'a read_committed consumer sees none of the aborted records');
  });

  await t.test('retention in process: advance past retention.ms, the log start moves', async (t) => {
    const kafka = kafkaFor(broker.port, 'vclock-retention-embedded');
    const adm = kafka.admin();
    await adm.connect();
    await adm.createTopics({ topics: [{ topic: 'vc-ret2', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(DAY_MS) }] }] });
    await adm.disconnect();
    await produceValues(kafka, 'vc-ret2', 10);
    const before = broker.clock.nowMs();
    const r = await broker.clock.advance(DAY_MS + 10 * 60_000);
    t.ok(r.nowMs >= before + DAY_MS + 10 * 60_000);
    t.equal(await offsetAt(broker.port, 'vc-ret2', EARLIEST), 10n);
  });

  t.test('a wall-clock broker refuses to advance', async (t) => {
    const d = tmpDataDir('sluice-wall-');
    const wall = await startBroker({ port: 0, dataDir: d.dir });
    t.teardown(async () => {
      await wall.stop();
      d.remove();
    });
    t.equal(wall.clock.virtual, false);
    await t.rejects(wall.clock.advance(1000), /wall time/);
  });
});

t.test('a cluster on virtual clocks: advanceClock moves every node; the coordinator, wherever it is, expires a dead member', async (t) => {
  const d = tmpDataDir('sluice-vclock-cluster-');
  t.teardown(d.remove);
  const cluster = await startCluster({
    brokers: 2,
    port: await freePortRun(3),
    adminPort: await freePortRun(2),
    virtualClock: true,
    dataDir: d.dir,
    cli: CLI,
    overrides: ['group.initial.rebalance.delay.ms=0', 'offsets.topic.num.partitions=4'],
  });
  t.teardown(() => cluster.stop());
  const [n1] = cluster.nodes;
  const kafka = new Kafka({ clientId: 'vclock-cluster', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  const adm = kafka.admin();
  await adm.connect();
  t.teardown(() => adm.disconnect());
  await adm.createTopics({ topics: [{ topic: 'vc-cluster', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true });
  const cfg: WorkerConfig = { bootstrap: cluster.bootstrap.split(',')[0]!, groupId: 'vc-cg', topic: 'vc-cluster', sessionTimeout: 45_000, heartbeatInterval: 300, maxWaitTimeInMs: 100, fromBeginning: true };
  const w = spawnWorker<{ ev: string }>('kafkajs consumer', process.execPath, [WORKER, JSON.stringify(cfg)]);
  t.teardown(() => w.kill9());
  await until('the consumer joined', () => w.events.some((e) => e.ev === 'join'), 30_000, () => w.describe());
  const described = async () => (await adm.describeGroups(['vc-cg'])).groups[0]!;
  t.equal((await described()).members.length, 1);
  await w.kill9();
  const a = await cluster.advanceClock(40_000);
  t.equal(a.length, 2, 'both nodes moved');
  t.equal((await described()).members.length, 1, '40 s later: still a member');
  await cluster.advanceClock(6_000);
  const g = await described();
  t.same([g.state, g.members.length], ['Empty', 0], 'past 45 s: removed by its coordinator');
  const clock = await n1!.admin<{ mode: string; nowMs: number }>('GET', '/clock');
  t.equal(clock.mode, 'virtual');
  t.ok(clock.nowMs - Date.now() >= 45_000, 'the node runs 46 s ahead of the wall');
});
