/**
 * startCluster(): the layout it plans, and real node processes started, stopped, killed and
 * restarted, with kafkajs producing and consuming through `bootstrap`.
 *
 */
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readAll } from '../compat-tests/kafkajs-read.js';
import { Kafka, logLevel } from 'kafkajs';
import { CLI, freePortRun, tmpDataDir, until } from '../compat-tests/harness.js';
import { planCluster, startCluster, type Cluster, type ClusterOptions } from './index.js';

function listen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}
const close = (srv: Server): Promise<void> => new Promise((r) => srv.close(() => r()));

/** True while a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const kafkaFor = (c: Cluster) => new Kafka({ clientId: 'cluster-test', brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8 } });

/** Every record of `topic`, as "partition:value", sorted. */
async function consumeAll(c: Cluster, topic: string, group: string, want: number): Promise<string[]> {
  return (await readAll(kafkaFor(c), topic, { groupId: group, want, format: (partition, value) => `${partition}:${value}` })).sort();
}

t.test('the plan: ports, ids, roles, quorum and files as documented', async (t) => {
  const plans = planCluster({ brokers: 3, port: 20000, firstNodeId: 5, dataDir: '/d', brokerSessionTimeoutMs: 3000, brokerHeartbeatIntervalMs: 500, overrides: ['num.partitions=4', 'offsets.topic.replication.factor=2'] });
  t.same(
    plans.map((p) => [p.nodeId, p.port, p.controllerPort, p.roles.join(','), p.dataDir, p.configFile, p.logFile]),
    [
      [5, 20000, 20003, 'broker,controller', '/d/node-5', '/d/node-5.properties', '/d/node-5.log'],
      [6, 20001, null, 'broker', '/d/node-6', '/d/node-6.properties', '/d/node-6.log'],
      [7, 20002, null, 'broker', '/d/node-7', '/d/node-7.properties', '/d/node-7.log'],
    ],
  );
  const [a, b] = plans.map((p) => Object.fromEntries(p.properties));
  t.same(a, {
    'process.roles': 'broker,controller',
    'node.id': '5',
    listeners: 'PLAINTEXT://127.0.0.1:20000,CONTROLLER://127.0.0.1:20003',
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.voters': '5@127.0.0.1:20003',
    'log.dirs': '/d/node-5',
    'offsets.topic.replication.factor': '2',
    'transaction.state.log.replication.factor': '3',
    'broker.session.timeout.ms': '3000',
    'broker.heartbeat.interval.ms': '500',
    'num.partitions': '4',
  });
  t.equal(b!['process.roles'], 'broker');
  t.equal(b!['listeners'], 'PLAINTEXT://127.0.0.1:20001');
  t.equal(b!['controller.quorum.voters'], '5@127.0.0.1:20003');
  t.notOk('default.replication.factor' in b!, "default.replication.factor stays Kafka's 1 unless given");
  t.equal(Object.fromEntries(planCluster({ brokers: 1, dataDir: '/d' })[0]!.properties)['transaction.state.log.replication.factor'], '1', 'min(3, N)');
  const defaults = planCluster({ brokers: 2, dataDir: '/d' });
  t.same(
    defaults.map((p) => [p.nodeId, p.port]),
    [
      [0, 9092],
      [1, 9093],
    ],
    'default port 9092, first node id 0',
  );
  t.equal(defaults[0]!.controllerPort, 9094);
  t.throws(() => planCluster({ brokers: 0, dataDir: '/d' }), /--brokers must be an integer 1-/);
  t.throws(() => planCluster({ brokers: 2, port: 65534, dataDir: '/d' }), /--port must be an integer 1-65533/);
  t.throws(() => planCluster({ brokers: 1, port: 0, dataDir: '/d' }), /--port/);
  t.throws(() => planCluster({ brokers: 1, dataDir: '/d', overrides: ['novalue'] }), /key=value/);
});

t.test('one broker: produce and consume, stop, restart keeps the data, kill and recover', async (t) => {
  const d = tmpDataDir('sluice-cluster-');
  t.teardown(d.remove);
  const port = await freePortRun(2);
  const ready: number[] = [];
  // A short session: a restarted node re-registers once its previous incarnation's session ends.
  const opts: ClusterOptions = {
    brokers: 1,
    port,
    dataDir: d.dir,
    cli: CLI,
    brokerSessionTimeoutMs: 3000,
    brokerHeartbeatIntervalMs: 500,
    onReady: (n) => ready.push(n.nodeId),
    overrides: ['group.initial.rebalance.delay.ms=0'],
  };
  let cluster = await startCluster(opts);
  t.teardown(() => cluster.stop());
  t.same(ready, [0], 'onReady for the one node');
  t.equal(cluster.bootstrap, `127.0.0.1:${port}`);
  t.equal(cluster.controllerPort, port + 1);
  const [node] = cluster.nodes;
  t.equal(node!.nodeId, 0);
  t.equal(node!.port, port);
  t.ok(node!.pid > 0 && alive(node!.pid), `node 0 runs as pid ${node!.pid}`);
  // The launcher copies the node's output to its log as it comes: the ready line may land just after the event.
  const logged = (): string => readFileSync(join(d.dir, 'node-0.log'), 'utf8');
  for (let i = 0; i < 100 && !/sluice ready on/.test(logged()); i++) await new Promise((r) => setTimeout(r, 20));
  t.match(logged(), /sluice ready on 127\.0\.0\.1:\d+/, "the node's output is in D/node-0.log");
  t.match(readFileSync(join(d.dir, 'node-0.properties'), 'utf8'), /^process\.roles=broker,controller$/m);
  t.equal(readFileSync(join(d.dir, 'cluster.id'), 'utf8').trim(), cluster.clusterId);
  t.match(readFileSync(join(d.dir, 'node-0', 'meta.properties'), 'utf8'), new RegExp(`cluster.id=${cluster.clusterId}`));

  const admin = kafkaFor(cluster).admin();
  await admin.connect();
  t.ok(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), 'created');
  await admin.disconnect();
  const producer = kafkaFor(cluster).producer();
  await producer.connect();
  const sent = Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `v${i}` }));
  await producer.send({ topic: 'orders', acks: -1, messages: sent });
  await producer.disconnect();
  const expected = sent.map((m) => `${m.partition}:${m.value}`).sort();
  t.same(await consumeAll(cluster, 'orders', 'g1', 30), expected, 'every record read back through bootstrap');

  const pid = node!.pid;
  await cluster.stop();
  t.notOk(alive(pid), `stop(): pid ${pid} is gone`);
  t.notOk(node!.running);

  // The same data directory brings the same cluster back, topic and records included.
  cluster = await startCluster(opts);
  t.equal(readFileSync(join(d.dir, 'cluster.id'), 'utf8').trim(), cluster.clusterId, 'same cluster id');
  t.not(cluster.nodes[0]!.pid, pid, 'a new process');
  t.same(await consumeAll(cluster, 'orders', 'g2', 30), expected, 'records kept across a cluster restart');

  // restart(): same config and data.
  const before = cluster.nodes[0]!.pid;
  await cluster.nodes[0]!.restart();
  t.notOk(alive(before), 'restart() stopped the old process');
  t.ok(alive(cluster.nodes[0]!.pid), 'and runs a new one');
  t.same(await consumeAll(cluster, 'orders', 'g3', 30), expected, 'records kept across restart()');

  // kill(): SIGKILL, no clean shutdown; restart() recovers the logs.
  const victim = cluster.nodes[0]!.pid;
  await cluster.nodes[0]!.kill();
  t.notOk(alive(victim), 'kill(): the process is gone');
  const log = readFileSync(join(d.dir, 'node-0.log'), 'utf8');
  t.notMatch(log.slice(log.lastIndexOf('sluice ready on')), /SIGTERM: shutting down/, 'no orderly shutdown after kill()');
  await cluster.nodes[0]!.restart();
  t.same(await consumeAll(cluster, 'orders', 'g4', 30), expected, 'records recovered after a SIGKILL');
  const producer2 = kafkaFor(cluster).producer();
  await producer2.connect();
  await producer2.send({ topic: 'orders', acks: -1, messages: [{ partition: 1, value: 'after' }] });
  await producer2.disconnect();
  t.same(await consumeAll(cluster, 'orders', 'g5', 31), [...expected, '1:after'].sort(), 'and it takes new records');
});

t.test('a node that fails to start: the start fails with one line naming the node and its log', async (t) => {
  const d = tmpDataDir('sluice-cluster-');
  t.teardown(d.remove);
  const port = await freePortRun(2);
  const squatter = await listen(port + 1); // the controller's port
  t.ok(squatter, 'holding the controller port');
  t.teardown(() => close(squatter!));
  const err = await startCluster({ brokers: 1, port, dataDir: d.dir, cli: CLI }).then(
    () => null,
    (e: Error) => e,
  );
  t.ok(err, 'startCluster rejects');
  t.match(err!.message, new RegExp(`^node 0 exited with code 1 before it was ready \\(.*port ${port + 1} .*in use.*\\); its log: ${join(d.dir, 'node-0.log')}$`));
  t.notMatch(err!.message, /\n/, 'one line');
  t.ok(existsSync(join(d.dir, 'node-0.log')));
});

t.test('three brokers: DescribeCluster, RF 3, acks=all, consume everything', async (t) => {
  const d = tmpDataDir('sluice-cluster-');
  t.teardown(d.remove);
  const port = await freePortRun(4);
  const ready: number[] = [];
  const cluster = await startCluster({
    brokers: 3,
    port,
    firstNodeId: 1,
    dataDir: d.dir,
    cli: CLI,
    brokerSessionTimeoutMs: 3000,
    brokerHeartbeatIntervalMs: 500,
    overrides: ['group.initial.rebalance.delay.ms=0'],
    onReady: (n) => ready.push(n.nodeId),
  });
  t.teardown(() => cluster.stop());
  t.equal(ready[0], 1, 'the combined node is ready first');
  t.same([...ready].sort(), [1, 2, 3]);
  t.equal(cluster.bootstrap, `127.0.0.1:${port},127.0.0.1:${port + 1},127.0.0.1:${port + 2}`);
  t.equal(new Set(cluster.nodes.map((n) => n.pid)).size, 3, 'three processes');

  const admin = kafkaFor(cluster).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const described = await admin.describeCluster();
  t.same(
    described.brokers.map((b) => [b.nodeId, b.port]).sort((x, y) => x[0]! - y[0]!),
    [
      [1, port],
      [2, port + 1],
      [3, port + 2],
    ],
    'DescribeCluster shows the three brokers',
  );
  // KRaft brokers name some live broker as the controller (clients cannot reach the quorum), as Kafka does.
  t.ok([1, 2, 3].includes(described.controller!), `controller id ${described.controller} is one of the brokers`);
  t.ok(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'rf3', numPartitions: 6, replicationFactor: 3 }] }), 'RF 3 topic created');
  const meta = await admin.fetchTopicMetadata({ topics: ['rf3'] });
  t.same(
    meta.topics[0]!.partitions.map((p) => [...p.replicas].sort()),
    Array.from({ length: 6 }, () => [1, 2, 3]),
    'every partition on all three',
  );
  const producer = kafkaFor(cluster).producer();
  await producer.connect();
  const sent = Array.from({ length: 60 }, (_, i) => ({ partition: i % 6, value: `r${i}` }));
  await producer.send({ topic: 'rf3', acks: -1, messages: sent });
  await producer.disconnect();
  t.same(await consumeAll(cluster, 'rf3', 'g3', 60), sent.map((m) => `${m.partition}:${m.value}`).sort(), 'every record consumed');
});

t.test('a controller process that was not scheduled for longer than the session fences only the broker that fell silent', async (t) => {
  const d = tmpDataDir('sluice-cluster-');
  t.teardown(d.remove);
  const port = await freePortRun(4);
  const cluster = await startCluster({ brokers: 3, port, dataDir: d.dir, cli: CLI, brokerSessionTimeoutMs: 1000, brokerHeartbeatIntervalMs: 100 });
  t.teardown(() => cluster.stop());
  const [controller, , silent] = cluster.nodes;
  const resume = (pid: number): void => {
    if (alive(pid)) process.kill(pid, 'SIGCONT');
  };
  t.teardown(() => [controller!.pid, silent!.pid].forEach(resume));
  const fences = (): string[] => readFileSync(controller!.logFile, 'utf8').split('\n').filter((l) => l.includes('fenced broker(s)'));
  t.same(fences(), [], 'nobody fenced after the start');
  // A stall as a loaded machine (a slow fsync, a starved CPU) gives it: the brokers' heartbeats
  // wait in the controller's sockets; when it runs again its fence check must count them. One
  // broker stays stopped (silent) past the stall: it alone is fenced.
  process.kill(silent!.pid, 'SIGSTOP');
  process.kill(controller!.pid, 'SIGSTOP');
  await new Promise((r) => setTimeout(r, 2500));
  process.kill(controller!.pid, 'SIGCONT');
  await new Promise((r) => setTimeout(r, 1500));
  const after = fences();
  t.equal(after.length, 1, 'one fence after the stall');
  t.match(after[0] ?? '', new RegExp(`fenced broker\\(s\\) ${silent!.nodeId}:`), 'of the broker that was silent only');
  process.kill(silent!.pid, 'SIGCONT');
  const admin = kafkaFor(cluster).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  // Once it runs again its next heartbeat unfences it: a moment on an idle machine, longer on a
  // loaded one. Wait for it, at most 15 s.
  let brokers = 0;
  await until('three brokers', async () => (brokers = (await admin.describeCluster()).brokers.length) === 3, 15_000).catch(() => undefined);
  t.equal(brokers, 3, 'the three brokers are in the cluster again');
});
