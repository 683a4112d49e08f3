/**
 * KIP-932 share groups with the Java client (KafkaShareConsumer, kafka-clients 4.4.0) through the
 * driver's `share` modes (compat-tests/java/ClientDriver.java), against a real `sluice start`
 * process — or, with SHARE_TEST_BROKER=kafka, against Apache Kafka 4.1.1 (compat-tests/reference,
 * formatted with share.version=1: 4.1.1 lists the share APIs in ApiVersions either way, but answers
 * ShareGroupHeartbeat with UNSUPPORTED_VERSION until the feature is finalized). The same
 * assertions hold for both; they were written against Kafka.
 *
 * Each case has its own topic and group, and the group's share.auto.offset.reset is set to
 * earliest first (SHARE_EARLIEST=1; Kafka's default is latest):
 *  - three members on a 3-partition topic together see every one of 300 records (a record seen
 *    twice only as a redelivery), and a later member of the group sees nothing: all acknowledged;
 *  - RELEASE on the first delivery: every record comes again, with delivery count 2;
 *  - REJECT of odd offsets: they never come again (nor do the accepted ones);
 *  - a member frozen (SIGSTOP: its connection stays open) while it holds acquired records: they
 *    come to another member once the acquisition lock expires, with delivery count 2;
 *  - a member killed (kill -9: its connection closes) while it holds acquired records: another
 *    member gets them. Kafka 4.1.1 releases a closed share session's records at once and does not
 *    count that delivery (KAFKA-17541), so they come with delivery count 1;
 *  - a broker restart (stop, start on the same data) after half the records were acknowledged:
 *    the other half and only it is delivered afterwards;
 *  - once the member left, Admin.deleteShareGroupOffsets forgets the topic (a topic the group never
 *    read: refused) and the next member starts where share.auto.offset.reset says; (Sluice only,
 *    see offsetsAdmin) Admin.alterShareGroupOffsets sets new start offsets that
 *    listShareGroupOffsets shows and the next member starts from, refused while the group has a
 *    member;
 *  - (Sluice only: a 3-broker cluster) the leader of a partition killed with kill -9 after half the
 *    records were acknowledged: the new leaders read the share state from its share coordinator
 *    (on another broker for most share-partitions: ReadShareGroupState/WriteShareGroupState) and
 *    deliver the other half and only it; after the killed broker is back, nothing more; then the
 *    admin client sets every partition back to offset 0 (the next member gets every record once)
 *    and deletes the group's offsets.
 *
 * Timings: the brokers run with a 2 s record lock (Kafka's minimum is 1 s, allowed once
 * group.share.min.record.lock.duration.ms is lowered from 15 s), a 500 ms heartbeat interval and
 * a 6 s session timeout.
 */
import t, { type Test } from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { javaDriver } from './client-drivers.js';
import { unb64 } from './newest-clients.js';
import { freePort, freePortRun, spawnBroker, spawnWorker, stopBroker, tmpDataDir, until, type BrokerProcess, type Worker } from './harness.js';
import { startCluster } from '../src/index.js';
import { startKafka } from './reference/kafka.js';

/** The broker settings both targets run with (names and meanings of Kafka's GroupCoordinatorConfig / ShareGroupConfig). */
const SHARE_SETTINGS: Readonly<Record<string, string>> = {
  'group.share.min.record.lock.duration.ms': '1000',
  'group.share.record.lock.duration.ms': '2000',
  'group.share.min.heartbeat.interval.ms': '500',
  'group.share.heartbeat.interval.ms': '500',
  'group.share.min.session.timeout.ms': '2000',
  'group.share.session.timeout.ms': '6000',
};
/** How long a driver waits for its first record (the join included) before it gives up. */
const FIRST_MS = 15_000;
/** How long without a record ends a driver's run once records came: more than the record lock. */
const IDLE_MS = 3_000;
/** How long a driver that should see nothing waits for it: several heartbeats and lock durations. */
const NOTHING_MS = 6_000;

interface ShareEvent {
  event: string;
  partition?: number;
  offset?: number;
  value?: string;
  deliveryCount?: number;
  deliveries?: number;
  closeMs?: number;
  error?: string;
}
type Delivery = { partition: number; offset: number; value: string; deliveryCount: number };

/** The broker under test: its address, a restart on the same data, a kafkajs client for setup. */
interface Target {
  readonly name: string;
  readonly bootstrap: string;
  readonly kafka: Kafka;
  restart(): Promise<void>;
}

async function startTarget(t: Test): Promise<Target> {
  let bootstrap: string;
  let restart: () => Promise<void>;
  let name: string;
  if (process.env.SHARE_TEST_BROKER === 'kafka') {
    const k = await startKafka({
      formatArgs: ['--feature', 'share.version=1'],
      // Fewer partitions of the internal topics than Kafka's 50: a faster start.
      overrides: { ...SHARE_SETTINGS, 'offsets.topic.num.partitions': '3', 'share.coordinator.state.topic.num.partitions': '3' },
    });
    t.teardown(() => k.stop());
    bootstrap = k.bootstrap;
    restart = () => k.restart();
    name = `Apache Kafka ${k.version}`;
  } else {
    const data = tmpDataDir('sluice-share-');
    const port = await freePort();
    const args = Object.entries(SHARE_SETTINGS).flatMap(([k, v]) => ['--override', `${k}=${v}`]);
    let b: BrokerProcess = await spawnBroker({ dataDir: data.dir, port, args });
    t.teardown(async () => {
      await stopBroker(b);
      data.remove();
    });
    bootstrap = b.bootstrap;
    restart = async () => {
      await stopBroker(b);
      b = await spawnBroker({ dataDir: data.dir, port, args });
    };
    name = 'Sluice';
  }
  return { name, bootstrap, restart: () => restart(), kafka: new Kafka({ clientId: 'share-setup', brokers: [bootstrap], logLevel: logLevel.NOTHING }) };
}

/** Creates `topic` and produces `n` records "<label>-<i>", record i to partition i % partitions. */
async function produce(target: Target, topic: string, partitions: number, label: string, n: number, create = true): Promise<string[]> {
  if (create) {
    const admin = target.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }
  const values = Array.from({ length: n }, (_, i) => `${label}-${i}`);
  const p = target.kafka.producer();
  await p.connect();
  try {
    await p.send({ topic, messages: values.map((value, i) => ({ partition: i % partitions, value })) });
  } finally {
    await p.disconnect();
  }
  return values;
}

/** One share member (the driver's `share` mode) as a worker; killed at teardown if still running. */
function member(t: Test, target: Target, name: string, topic: string, group: string, expected: number, idleMs: number, env: NodeJS.ProcessEnv = {}): Worker<ShareEvent> {
  const c = javaDriver.command(['share', target.bootstrap, topic, group, String(expected), String(idleMs)]);
  const w = spawnWorker<ShareEvent>(name, c.cmd, c.args, { env: { ...c.env, SHARE_EARLIEST: '1', SHARE_FIRST_MS: String(FIRST_MS), ...env } });
  t.teardown(() => w.kill9());
  return w;
}

const deliveries = (w: Worker<ShareEvent>): Delivery[] =>
  w.events.filter((e) => e.event === 'record').map((e) => ({ partition: e.partition!, offset: e.offset!, value: unb64(e.value)!, deliveryCount: e.deliveryCount! }));

const diag = (ws: Array<Worker<ShareEvent>>) => (): string => ws.map((w) => `${w.describe()}\nlast events: ${JSON.stringify(w.events.slice(-4))}`).join('\n');

/** Waits for the member to end its run by itself; asserts it exited 0 without acknowledgement errors. */
async function finished(t: Test, w: Worker<ShareEvent>, timeoutMs = 90_000): Promise<Delivery[]> {
  const exit = await until(`${w.name} to finish`, () => w.exitInfo(), timeoutMs, diag([w]));
  t.equal(exit.code, 0, `${w.name} exited 0`);
  t.same(
    w.events.filter((e) => e.event === 'ackError'),
    [],
    `${w.name}: every acknowledgement succeeded`,
  );
  t.ok(
    w.events.some((e) => e.event === 'closed'),
    `${w.name} closed`,
  );
  return deliveries(w);
}

/** A member of `group` that should get nothing: all records are acknowledged or archived. */
async function seesNothing(t: Test, target: Target, topic: string, group: string): Promise<void> {
  const w = member(t, target, `${group} latecomer`, topic, group, 1, NOTHING_MS, { SHARE_FIRST_MS: String(NOTHING_MS) });
  t.same(await finished(t, w), [], 'a later member of the group gets nothing');
}

const key = (d: Delivery): string => `${d.partition}:${d.offset}`;

async function threeMembers(t: Test, target: Target): Promise<void> {
  const topic = 'share-three';
  const group = `${topic}-g`;
  const values = await produce(target, topic, 3, 'three', 300);
  const ws = ['A', 'B', 'C'].map((n) => member(t, target, `member ${n}`, topic, group, 300, IDLE_MS));
  const got = (await Promise.all(ws.map((w) => finished(t, w)))).flat();
  t.same([...new Set(got.map((d) => d.value))].sort(), [...values].sort(), 'together the three members saw every record');
  const firsts = new Map<string, number>();
  for (const d of got) if (d.deliveryCount === 1) firsts.set(key(d), (firsts.get(key(d)) ?? 0) + 1);
  t.ok(
    [...firsts.values()].every((n) => n === 1),
    `a record delivered more than once only as a redelivery (delivery count > 1): ${got.length} deliveries of ${values.length} records`,
  );
  t.ok(
    got.every((d) => d.deliveryCount >= 1),
    'delivery counts from 1',
  );
  await seesNothing(t, target, topic, group);

  // The group as the admin client sees it once its members left.
  const c = javaDriver.command(['share-describe', target.bootstrap, group]);
  const w = spawnWorker<Record<string, unknown>>('share-describe', c.cmd, c.args, { env: c.env });
  t.teardown(() => w.kill9());
  const exit = await until('share-describe to finish', () => w.exitInfo(), 60_000, () => w.describe());
  t.equal(exit.code, 0, 'share-describe exited 0');
  const described = w.events.find((e) => e.event === 'described');
  t.match(described, { groupId: group, state: 'Empty', members: [] }, 'DescribeShareGroups: Empty, no members');
  const listed = (w.events.find((e) => e.event === 'listed')?.groups ?? []) as Array<Record<string, unknown>>;
  t.match(
    listed.find((g) => g.groupId === group),
    { type: 'Share', protocol: 'share', state: 'Empty' },
    'ListGroups: a share group',
  );

  // Sluice: DeleteGroups takes the share-partitions' state with the group, so a new group of the
  // same id starts afresh (earliest here: every record again, each a first delivery). Kafka 4.1.1
  // delivered nothing to such a member within the wait (README, "Apache Kafka beside Sluice").
  if (target.name !== 'Sluice') return;
  const admin = target.kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([group]);
  } finally {
    await admin.disconnect();
  }
  const again = member(t, target, 'after the group was deleted', topic, group, 300, IDLE_MS);
  const redone = await finished(t, again);
  t.same(redone.map((d) => d.value).sort(), [...values].sort(), 'a deleted group\'s id starts afresh: every record again');
  t.ok(
    redone.every((d) => d.deliveryCount === 1),
    'first deliveries',
  );
}

async function releaseFirst(t: Test, target: Target): Promise<void> {
  const topic = 'share-release';
  const group = `${topic}-g`;
  const values = await produce(target, topic, 3, 'release', 60);
  const w = member(t, target, 'release-first member', topic, group, 120, IDLE_MS, { SHARE_ACK_MODE: 'explicit', SHARE_ACTION: 'release-first' });
  const got = await finished(t, w);
  const counts = new Map<string, number[]>();
  for (const d of got) counts.set(d.value, [...(counts.get(d.value) ?? []), d.deliveryCount]);
  t.same([...counts.keys()].sort(), [...values].sort(), 'every record delivered');
  t.ok(
    [...counts.values()].every((c) => c.join() === '1,2'),
    `every record delivered twice, with delivery counts 1 then 2: ${JSON.stringify([...counts.entries()].filter(([, c]) => c.join() !== '1,2').slice(0, 5))}`,
  );
  await seesNothing(t, target, topic, group);
}

async function rejectOdd(t: Test, target: Target): Promise<void> {
  const topic = 'share-reject';
  const group = `${topic}-g`;
  const values = await produce(target, topic, 3, 'reject', 60);
  // More than it can get: the member runs on until IDLE_MS (beyond the lock) passes without a record.
  const w = member(t, target, 'reject-odd member', topic, group, 61, IDLE_MS, { SHARE_ACK_MODE: 'explicit', SHARE_ACTION: 'reject-odd' });
  const got = await finished(t, w);
  t.same(got.map((d) => d.value).sort(), [...values].sort(), 'every record delivered once, rejected ones included');
  t.ok(
    got.every((d) => d.deliveryCount === 1),
    'none redelivered',
  );
  t.ok(
    got.some((d) => d.offset % 2 === 1),
    'odd offsets were delivered (and rejected)',
  );
  await seesNothing(t, target, topic, group);
}

/** A member holds acquired records (acknowledges nothing) and is then frozen or killed; another member takes them. */
async function heldRecords(t: Test, target: Target, how: 'SIGSTOP' | 'SIGKILL'): Promise<void> {
  const topic = `share-held-${how.toLowerCase()}`;
  const group = `${topic}-g`;
  // One partition: the simple assignor gives it to both members.
  const values = await produce(target, topic, 1, 'held', 50);
  const holder = member(t, target, 'holder', topic, group, 50, IDLE_MS, { SHARE_ACK_MODE: 'explicit', SHARE_ACTION: 'hold' });
  await until('the holder holds records', () => (holder.assertAlive(), holder.events.some((e) => e.event === 'holding')), 60_000, diag([holder]));
  const held = deliveries(holder);
  t.ok(held.length > 0, `the holder acquired ${held.length} records`);
  t.ok(
    held.every((d) => d.deliveryCount === 1),
    'first deliveries',
  );
  if (how === 'SIGSTOP') holder.proc.kill('SIGSTOP');
  else await holder.kill9();
  const taker = member(t, target, 'taker', topic, group, 50, IDLE_MS);
  const got = await finished(t, taker);
  if (how === 'SIGSTOP') await holder.kill9();
  t.same(got.map((d) => d.value).sort(), [...values].sort(), 'the other member got every record');
  const heldKeys = new Set(held.map(key));
  const again = got.filter((d) => heldKeys.has(key(d)));
  t.equal(again.length, held.length, "the holder's records among them");
  // Frozen: the acquisition lock expired (a delivery counted). Killed: Kafka 4.1.1 released the
  // records when the connection closed and did not count the delivery (KAFKA-17541; later
  // releases count it again, KAFKA-19972).
  const expected = how === 'SIGSTOP' ? 2 : 1;
  t.ok(
    again.every((d) => d.deliveryCount === expected),
    `the held records came with delivery count ${expected}: ${JSON.stringify([...new Set(again.map((d) => d.deliveryCount))])}`,
  );
  t.ok(
    got.filter((d) => !heldKeys.has(key(d))).every((d) => d.deliveryCount === 1),
    'the others with delivery count 1',
  );
}

async function restart(t: Test, target: Target): Promise<void> {
  const topic = 'share-restart';
  const group = `${topic}-g`;
  const first = await produce(target, topic, 3, 'first', 90);
  const a = member(t, target, 'before the restart', topic, group, 90, IDLE_MS);
  t.same((await finished(t, a)).map((d) => d.value).sort(), [...first].sort(), 'the first half delivered and acknowledged');
  const second = await produce(target, topic, 3, 'second', 90, false);
  await target.restart();
  const b = member(t, target, 'after the restart', topic, group, 91, IDLE_MS, { SHARE_FIRST_MS: '30000' });
  const got = await finished(t, b);
  t.same(got.map((d) => d.value).sort(), [...second].sort(), 'after the restart: the second half and only it');
  t.ok(
    got.every((d) => d.deliveryCount === 1),
    'first deliveries',
  );
}

/** Runs a Java admin mode of the driver to its end; its events. */
async function adminRun(t: Test, target: Target, args: string[]): Promise<Array<Record<string, unknown>>> {
  const c = javaDriver.command([args[0]!, target.bootstrap, ...args.slice(1)]);
  const w = spawnWorker<Record<string, unknown>>(args[0]!, c.cmd, c.args, { env: c.env });
  t.teardown(() => w.kill9());
  const exit = await until(`${args[0]} to finish`, () => w.exitInfo(), 60_000, () => w.describe());
  t.equal(exit.code, 0, `${args[0]} exited 0`);
  return w.events;
}

/**
 * Admin.deleteShareGroupOffsets and Admin.alterShareGroupOffsets on a group whose member left:
 * records i of 60 go to partition i % 3, so each partition holds offsets 0-19. The alter part is
 * Sluice's alone: Kafka 4.1.1 answers AlterShareGroupOffsets without applying it (the group
 * coordinator's part came in Kafka 4.2, KAFKA-16717) and drops its group-level errors
 * (KAFKA-19440), so its admin client reports success for all of it.
 */
async function offsetsAdmin(t: Test, target: Target): Promise<void> {
  const topic = 'share-offsets-admin';
  const group = `${topic}-g`;
  const values = await produce(target, topic, 3, 'reset', 60);
  await produce(target, `${topic}-unread`, 1, 'unread', 1);
  const a = member(t, target, 'first member', topic, group, 60, IDLE_MS);
  t.same([...new Set((await finished(t, a)).map((d) => d.value))].sort(), [...values].sort(), 'a first member saw every record');
  const offsets = async () =>
    (await adminRun(t, target, ['share-offsets', group])).filter((e) => e.event === 'offset').map((e) => [e.topic, e.partition, e.startOffset]);
  // Which partitions only: Kafka 4.1.1 may still show an older start offset than the last one.
  t.same(
    (await offsets()).map(([name, p, start]) => [name, p, typeof start === 'number' && start >= 0]),
    [0, 1, 2].map((p) => [topic, p, true]),
    'listShareGroupOffsets: a start offset for every partition',
  );

  const deleted = await adminRun(t, target, ['share-delete-offsets', group, `${topic},${topic}-unread`]);
  t.same(
    deleted.map((e) => [e.topic, e.result]),
    [
      [topic, 'ok'],
      [`${topic}-unread`, 'UnknownTopicOrPartitionException'],
    ],
    'deleteShareGroupOffsets: the topic forgotten; a topic the group never read has no offsets to delete',
  );
  t.same(await offsets(), [], 'listShareGroupOffsets shows none');
  const b = member(t, target, 'after the offsets were deleted', topic, group, 60, IDLE_MS);
  const again = await finished(t, b);
  t.same(again.map((d) => d.value).sort(), [...values].sort(), 'the next member starts where share.auto.offset.reset says (earliest): every record again');
  if (target.name !== 'Sluice') return;

  const altered = await adminRun(t, target, ['share-alter-offsets', group, topic, '0:5,1:15,2:20,7:0']);
  t.same(
    altered.map((e) => [e.partition, e.result]),
    [
      [0, 'ok'],
      [1, 'ok'],
      [2, 'ok'],
      [7, 'UnknownTopicOrPartitionException'],
    ],
    'alterShareGroupOffsets: the three partitions set, a partition the topic does not have refused',
  );
  t.same(
    await offsets(),
    [
      [topic, 0, 5],
      [topic, 1, 15],
      [topic, 2, 20],
    ],
    'listShareGroupOffsets shows the new start offsets',
  );
  const c = member(t, target, 'after the offsets were altered', topic, group, 31, IDLE_MS);
  const got = await finished(t, c);
  const expected = values.filter((_, i) => (i % 3 === 0 && Math.floor(i / 3) >= 5) || (i % 3 === 1 && Math.floor(i / 3) >= 15));
  t.same(got.map((d) => d.value).sort(), [...expected].sort(), 'the next member gets partition 0 from offset 5, partition 1 from 15, nothing of partition 2');
  t.ok(
    got.every((d) => d.deliveryCount === 1),
    'first deliveries',
  );

  // Refused for a group with a member, and for a group that does not exist.
  await produce(target, topic, 3, 'held', 1, false);
  const holder = member(t, target, 'a member holding a record', topic, group, 1, IDLE_MS, { SHARE_ACK_MODE: 'explicit', SHARE_ACTION: 'hold' });
  await until('the member holds a record', () => (holder.assertAlive(), holder.events.some((e) => e.event === 'holding')), 60_000, diag([holder]));
  t.same(
    (await adminRun(t, target, ['share-alter-offsets', group, topic, '0:0'])).map((e) => e.result),
    ['GroupNotEmptyException'],
    'alterShareGroupOffsets while the group has a member: GroupNotEmptyException',
  );
  t.same(
    (await adminRun(t, target, ['share-delete-offsets', group, topic])).map((e) => e.result),
    ['GroupNotEmptyException'],
    'deleteShareGroupOffsets while the group has a member: GroupNotEmptyException',
  );
  t.same(
    (await adminRun(t, target, ['share-alter-offsets', `${group}-nosuch`, topic, '0:0'])).map((e) => e.result),
    ['GroupIdNotFoundException'],
    'alterShareGroupOffsets of a group that does not exist: GroupIdNotFoundException',
  );
}

/** A 3-broker Sluice cluster (replication factor 3): kill -9 of a partition leader after half the records were acknowledged. */
async function clusterFailover(t: Test): Promise<void> {
  const data = tmpDataDir('sluice-share-cluster-');
  const cluster = await startCluster({
    brokers: 3,
    port: await freePortRun(4),
    dataDir: data.dir,
    brokerSessionTimeoutMs: 2000,
    brokerHeartbeatIntervalMs: 250,
    overrides: ['default.replication.factor=3', 'min.insync.replicas=2', ...Object.entries(SHARE_SETTINGS).map(([k, v]) => `${k}=${v}`)],
  });
  t.teardown(async () => {
    await cluster.stop();
    data.remove();
  });
  const target: Target = {
    name: 'a 3-broker Sluice cluster',
    bootstrap: cluster.bootstrap,
    kafka: new Kafka({ clientId: 'share-setup', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING }),
    restart: () => Promise.reject(new Error('not used')),
  };
  const topic = 'share-cluster';
  const group = `${topic}-g`;
  const first = await produce(target, topic, 3, 'first', 90);
  const a = member(t, target, 'before the failover', topic, group, 90, IDLE_MS);
  t.same((await finished(t, a)).map((d) => d.value).sort(), [...first].sort(), 'the first half delivered and acknowledged');
  const second = await produce(target, topic, 3, 'second', 90, false);
  const admin = target.kafka.admin();
  await admin.connect();
  // A broker leading a partition of the topic, not the controller (the cluster has one controller).
  const partitions = await admin.fetchTopicMetadata({ topics: [topic] }).then((m) => m.topics[0]!.partitions);
  await admin.disconnect();
  const led = partitions.find((p) => p.leader !== cluster.controller.nodeId)!;
  const victim = cluster.nodes.find((n) => n.nodeId === led.leader)!;
  await victim.kill();
  t.comment(`killed node ${led.leader}, the leader of partition ${led.partitionId}`);
  const b = member(t, target, 'after the failover', topic, group, 91, IDLE_MS, { SHARE_FIRST_MS: '30000' });
  const got = await finished(t, b, 120_000);
  t.same(got.map((d) => d.value).sort(), [...second].sort(), 'after the failover: the second half and only it');
  t.ok(
    got.every((d) => d.deliveryCount === 1),
    'first deliveries',
  );
  await victim.restart();
  await seesNothing(t, target, topic, group);

  // The admin client on the cluster: the group coordinator sets the state at share coordinators on
  // other brokers (InitializeShareGroupState, DeleteShareGroupState), and partition leaders read
  // it again (they dropped theirs when the group's last share session there ended).
  const altered = await adminRun(t, target, ['share-alter-offsets', group, topic, '0:0,1:0,2:0']);
  t.same(
    altered.map((e) => e.result),
    ['ok', 'ok', 'ok'],
    'alterShareGroupOffsets to offset 0 on every partition',
  );
  const c = member(t, target, 'after the offsets were altered', topic, group, 181, IDLE_MS, { SHARE_FIRST_MS: '30000' });
  const all = await finished(t, c, 120_000);
  t.same(all.map((d) => d.value).sort(), [...first, ...second].sort(), 'every record again, once');
  t.same(
    (await adminRun(t, target, ['share-delete-offsets', group, topic])).map((e) => e.result),
    ['ok'],
    'deleteShareGroupOffsets',
  );
  t.same(
    (await adminRun(t, target, ['share-offsets', group])).filter((e) => e.event === 'offset'),
    [],
    'listShareGroupOffsets shows none',
  );
}

t.test('share groups (KIP-932) with the Java client', async (t) => {
  javaDriver.check();
  const target = await startTarget(t);
  t.comment(`broker: ${target.name}`);
  await t.test('three members see every record; a later member nothing', (t) => threeMembers(t, target));
  await t.test('RELEASE on the first delivery: every record again, delivery count 2', (t) => releaseFirst(t, target));
  await t.test('REJECT odd offsets: never delivered again', (t) => rejectOdd(t, target));
  await t.test('a frozen member: its records come back when the lock expires', (t) => heldRecords(t, target, 'SIGSTOP'));
  await t.test('a killed member: its records come back', (t) => heldRecords(t, target, 'SIGKILL'));
  await t.test('a broker restart after half the records were acknowledged', (t) => restart(t, target));
  await t.test('the admin client alters and deletes the offsets of an empty group', (t) => offsetsAdmin(t, target));
});

t.test('share groups on a cluster: a partition leader killed', async (t) => {
  if (process.env.SHARE_TEST_BROKER === 'kafka') {
    t.comment('a Sluice cluster only: the reference runs a single Kafka node');
    return;
  }
  javaDriver.check();
  await clusterFailover(t);
});
