/**
 * Partition reassignment with real data movement (KIP-455) and the auto leader rebalance, on a
 * real 3-process cluster (startCluster): a partition moved off a broker onto two others while it
 * takes writes, replication factors 1 -> 3 -> 1, a cancelled move, and leadership coming back to
 * a killed and restarted preferred leader on its own. Admin calls go through kafkajs where every
 * broker is up (it sends them to the controller id Metadata names) and through raw requests to
 * a chosen broker while one is down (a broker-only node forwards them to the controller). Apache
 * Kafka 4.1.1's own kafka-reassign-partitions tool (its Java admin client; the jars the
 * differential suite resolves) executes, lists and verifies a move too, and the newest
 * kafka-python (compat-tests/python/kp_reassign.py) makes one.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { readAll } from '../compat-tests/kafkajs-read.js';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { CLI, freePortRun, ROOT, tmpDataDir, until } from '../compat-tests/harness.js';
import { RawClient } from '../compat-tests/raw-client.js';
import { javaCommand, resolveKafka } from '../compat-tests/reference/kafka.js';
import { AlterPartitionReassignments, ListPartitionReassignments } from './protocol/generated/index.js';
import { ErrorCode } from './protocol/errors.js';
import type { ApiCodec } from './protocol/api-codec.js';
import { startCluster, type Cluster } from './index.js';

const kafkaFor = (c: Cluster) => new Kafka({ clientId: 'reassign-test', brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });

/** One raw request to the broker listening on `port`. */
async function ask<Req, Res>(port: number, codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
  const c = await RawClient.connect(port);
  try {
    return await c.request(codec, version, body);
  } finally {
    c.close();
  }
}

async function alter(port: number, topic: string, partition: number, replicas: number[] | null): Promise<number> {
  const res = await ask(port, AlterPartitionReassignments, 1, {
    timeoutMs: 10_000,
    allowReplicationFactorChange: true,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }],
  });
  return res.errorCode || res.responses[0]!.partitions[0]!.errorCode;
}

interface Ongoing {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

async function ongoing(port: number): Promise<Ongoing[]> {
  const res = await ask(port, ListPartitionReassignments, 0, { timeoutMs: 10_000, topics: null });
  return res.topics.flatMap((tp) => tp.partitions.map((p) => ({ topic: tp.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })));
}

async function placement(admin: Admin, topic: string): Promise<{ leader: number; replicas: number[]; isr: number[] }> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  const p = md.topics[0]!.partitions[0]!;
  return { leader: p.leader, replicas: p.replicas, isr: [...p.isr].sort() };
}

async function produce(c: Cluster, topic: string, values: string[]): Promise<void> {
  const producer = kafkaFor(c).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 25) await producer.send({ topic, acks: -1, messages: values.slice(i, i + 25).map((value) => ({ partition: 0, value })) });
  } finally {
    await producer.disconnect();
  }
}

async function consumeAll(c: Cluster, topic: string, group: string, want: number): Promise<string[]> {
  // Anything past `want` would be a duplicate: a moment more lets it show up.
  return readAll(kafkaFor(c), topic, { groupId: group, want, settleMs: 300 });
}

/** Apache Kafka's ReassignPartitionsCommand (kafka-reassign-partitions.sh) with `args`; its output. */
async function reassignTool(args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(javaCommand(), ['-Xmx256m', '-cp', resolveKafka(), 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand', ...args], { timeout: 60_000 }).catch(
    (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
  return stdout + stderr;
}

/** compat-tests/python/kp_reassign.py with the newest kafka-python (the venv .ci/run installs); its JSON lines. */
async function kafkaPythonMove(bootstrap: string, topic: string, replicas: number[]): Promise<Array<Record<string, unknown>>> {
  const python = join(ROOT, '.cache', 'pyvenv', 'bin', 'python');
  const script = join(ROOT, 'compat-tests', 'python', 'kp_reassign.py');
  const { stdout } = await promisify(execFile)(python, [script, bootstrap, topic, '0', replicas.join(',')], { timeout: 60_000 });
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const values = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

t.test('three brokers: reassignments move the data, cancel reverts, the preferred leader comes back on its own', async (t) => {
  const d = tmpDataDir('sluice-reassign-');
  t.teardown(d.remove);
  const port = await freePortRun(4);
  const cluster = await startCluster({
    brokers: 3,
    port,
    firstNodeId: 1,
    dataDir: d.dir,
    cli: CLI,
    brokerSessionTimeoutMs: 3000,
    brokerHeartbeatIntervalMs: 500,
    overrides: ['group.initial.rebalance.delay.ms=0', 'leader.imbalance.check.interval.seconds=1'],
  });
  t.teardown(() => cluster.stop());
  const [n1, n2, n3] = cluster.nodes as [Cluster['nodes'][number], Cluster['nodes'][number], Cluster['nodes'][number]];
  const admin = kafkaFor(cluster).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const hasLog = (node: typeof n1, topic: string): boolean => existsSync(join(node.dataDir, `${topic}-0`));

  await t.test('RF 1 on broker 2 moved to [3, 1] while it takes writes', async (t) => {
    t.ok(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'moving', replicaAssignment: [{ partition: 0, replicas: [2] }] }] }));
    const before = values('a', 100);
    await produce(cluster, 'moving', before);
    t.ok(hasLog(n2, 'moving') && !hasLog(n3, 'moving') && !hasLog(n1, 'moving'), 'the log is on broker 2 only');
    // Broker 3 down: the move cannot finish until it is back, so it can be seen going on.
    await n3.kill();
    t.equal(await alter(n2.port, 'moving', 0, [3, 1]), ErrorCode.NONE, 'accepted through broker 2 (forwarded to the controller)');
    t.same(await ongoing(n1.port), [{ topic: 'moving', partition: 0, replicas: [3, 1, 2], adding: [1, 3], removing: [2] }], 'listed while it goes on');
    const shown = await until('Metadata to show the move', async () => {
      const now = await placement(admin, 'moving');
      return now.replicas.length === 3 ? now : null;
    });
    t.same(shown.replicas, [3, 1, 2], 'Metadata shows every replica during the move');
    t.equal(shown.leader, 2, 'still led by broker 2');
    t.notOk(shown.isr.includes(3), 'broker 3, down, is not in the ISR');
    const during = values('b', 100);
    await produce(cluster, 'moving', during);
    t.ok(hasLog(n1, 'moving'), 'broker 1 holds a new replica');
    await n3.restart();
    const after = values('c', 100);
    const writing = produce(cluster, 'moving', after);
    await until('the move to complete', async () => (await ongoing(n1.port)).length === 0, 30_000);
    await writing;
    t.same(await placement(admin, 'moving'), { leader: 3, replicas: [3, 1], isr: [1, 3] }, 'target replicas, led by the first of them');
    await until("broker 2's log of the partition to be deleted", () => !hasLog(n2, 'moving'), 10_000);
    t.ok(hasLog(n3, 'moving') && hasLog(n1, 'moving'));
    const got = await consumeAll(cluster, 'moving', 'g-moving', 300);
    t.same(got, [...before, ...during, ...after], 'every record, once, in order, from the new leader');
  });

  await t.test('RF 1 -> 3 -> 1 with kafkajs admin', async (t) => {
    t.ok(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'grow', replicaAssignment: [{ partition: 0, replicas: [1] }] }] }));
    const sent = values('g', 60);
    await produce(cluster, 'grow', sent);
    await admin.alterPartitionReassignments({ topics: [{ topic: 'grow', partitionAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] });
    await until('RF 3', async () => (await admin.listPartitionReassignments({})).topics.length === 0 && (await placement(admin, 'grow')).isr.length === 3, 30_000);
    t.same(await placement(admin, 'grow'), { leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] }, 'three in-sync replicas, same leader');
    await admin.alterPartitionReassignments({ topics: [{ topic: 'grow', partitionAssignment: [{ partition: 0, replicas: [2] }] }] });
    await until('RF 1 on broker 2', async () => (await placement(admin, 'grow')).replicas.length === 1, 30_000);
    t.same(await admin.listPartitionReassignments({}), { topics: [] }, 'nothing going on');
    t.same(await placement(admin, 'grow'), { leader: 2, replicas: [2], isr: [2] });
    await until('the logs on brokers 1 and 3 to be deleted', () => !hasLog(n1, 'grow') && !hasLog(n3, 'grow'), 10_000);
    t.same(await consumeAll(cluster, 'grow', 'g-grow', 60), sent, 'every record read back from broker 2');
  });

  await t.test('a move that cannot finish is cancelled', async (t) => {
    t.ok(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'undo', replicaAssignment: [{ partition: 0, replicas: [1] }] }] }));
    await produce(cluster, 'undo', values('u', 10));
    await n3.kill();
    t.equal(await alter(n1.port, 'undo', 0, [1, 3]), ErrorCode.NONE);
    t.same(await ongoing(n2.port), [{ topic: 'undo', partition: 0, replicas: [1, 3], adding: [3], removing: [] }], 'listed through a broker-only node');
    t.equal(await alter(n2.port, 'undo', 0, null), ErrorCode.NONE, 'cancelled');
    t.equal(await alter(n2.port, 'undo', 0, null), ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'nothing left to cancel');
    t.same(await ongoing(n1.port), []);
    t.same(await placement(admin, 'undo'), { leader: 1, replicas: [1], isr: [1] });
    await n3.restart();
    t.notOk(hasLog(n3, 'undo'), 'broker 3 holds no replica of it after catching up the metadata');
    t.same(await consumeAll(cluster, 'undo', 'g-undo', 10), values('u', 10));
  });

  await t.test("Apache Kafka 4.1.1's kafka-reassign-partitions tool: execute, list, verify, a refused factor change", async (t) => {
    t.ok(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'tool', replicaAssignment: [{ partition: 0, replicas: [2] }] }] }));
    await produce(cluster, 'tool', values('k', 20));
    const plan = (replicas: number[]): string => {
      const file = join(d.dir, `plan-${replicas.join('-')}.json`);
      writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'tool', partition: 0, replicas }] }));
      return file;
    };
    const move = plan([3, 1]);
    const bootstrap = `127.0.0.1:${n2.port}`;
    t.match(await reassignTool(['--bootstrap-server', bootstrap, '--reassignment-json-file', move, '--execute']), /Successfully started partition reassignment for tool-0/);
    let verified = '';
    await until(
      'the tool to verify the move',
      async () => /Reassignment of partition tool-0 is completed/.test((verified = await reassignTool(['--bootstrap-server', bootstrap, '--reassignment-json-file', move, '--verify']))),
      45_000,
      () => verified,
    );
    t.match(verified, /Clearing broker-level throttles on brokers 1,2,3/, 'and it cleared the throttles on every broker (broker configs sent to each broker, forwarded)');
    t.match(await reassignTool(['--bootstrap-server', bootstrap, '--list']), /No partition reassignments found/);
    t.same(await placement(admin, 'tool'), { leader: 3, replicas: [3, 1], isr: [1, 3] });
    const refused = await reassignTool(['--bootstrap-server', bootstrap, '--reassignment-json-file', plan([1, 2, 3]), '--execute', '--disallow-replication-factor-change']);
    t.match(refused, /tool-0: The replication factor is changed from 2 to 3/, 'AlterPartitionReassignments v1 without factor changes');
    t.same(await consumeAll(cluster, 'tool', 'g-tool', 20), values('k', 20));
  });

  await t.test('kafka-python (newest) moves a partition, lists it, and hears NO_REASSIGNMENT_IN_PROGRESS for a cancel of nothing', async (t) => {
    t.ok(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'py', replicaAssignment: [{ partition: 0, replicas: [1] }] }] }));
    await produce(cluster, 'py', values('y', 10));
    const out = await kafkaPythonMove(`127.0.0.1:${n3.port}`, 'py', [2, 3]);
    const step = (s: string) => out.find((o) => o['step'] === s);
    t.same(step('altered'), { step: 'altered', error: null });
    const listed = step('listed')?.['ongoing'] as Record<string, unknown> | undefined;
    // The move may already be over when the list is asked for: both are right.
    t.ok(listed && (Object.keys(listed).length === 0 || JSON.stringify(listed['py-0']) === JSON.stringify({ replicas: [2, 3, 1], adding_replicas: [2, 3], removing_replicas: [1] })), `listed: ${JSON.stringify(listed)}`);
    t.same(step('done'), { step: 'done', ongoing: 0 });
    t.same(step('cancel-nothing'), { step: 'cancel-nothing', error: 'NoReassignmentInProgressError' });
    t.same(await placement(admin, 'py'), { leader: 2, replicas: [2, 3], isr: [2, 3] });
    await until("broker 1's log of the partition to be deleted", () => !hasLog(n1, 'py'), 10_000);
    t.same(await consumeAll(cluster, 'py', 'g-py', 10), values('y', 10));
  });

  await t.test('auto.leader.rebalance.enable: a killed preferred leader gets its leadership back once it has caught up', async (t) => {
    // The earlier topics go first: a partition of theirs left with its only replica on the killed
    // broker has no leader, and Metadata says LEADER_NOT_AVAILABLE for it, as Kafka does, which
    // fails kafkajs's metadata refreshes of every topic (its idempotent producer makes those).
    const earlier = (await admin.listTopics()).filter((name) => !name.startsWith('__'));
    if (earlier.length > 0) await admin.deleteTopics({ topics: earlier });
    t.ok(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'pref', replicaAssignment: [{ partition: 0, replicas: [2, 1, 3] }] }] }));
    await until('all three in the ISR', async () => (await placement(admin, 'pref')).isr.length === 3, 15_000);
    await produce(cluster, 'pref', values('p', 20));
    await n2.kill();
    await until('leadership to move off broker 2', async () => [1, 3].includes((await placement(admin, 'pref')).leader), 15_000);
    await produce(cluster, 'pref', values('q', 20));
    await n2.restart();
    const p = await until('broker 2 to lead again', async () => {
      const now = await placement(admin, 'pref');
      return now.leader === 2 ? now : null;
    }, 20_000);
    t.same(p, { leader: 2, replicas: [2, 1, 3], isr: [1, 2, 3] }, 'no ElectLeaders asked: the controller moved it back');
    t.same(await consumeAll(cluster, 'pref', 'g-pref', 40), [...values('p', 20), ...values('q', 20)]);
  });
});
