/**
 * The cluster operations of the test-control plane (control/cluster-ops.ts) on a real 3-process
 * cluster (startCluster with adminPort: every node serves its admin endpoint, and the Cluster
 * handle sends each operation over HTTP to the node it concerns), through real clients: kafkajs,
 * librdkafka (kcat) and the Java client (compat-tests/java/ClientDriver.java).
 *
 * - a leader moved three times while all three produce (idempotent, acks=all): they follow, every
 *   acknowledged record is there once;
 * - a group's coordinator pinned to broker 2, broker 2 killed: the Java client's group goes on;
 * - broker 3 taken down (process alive): refused, fenced, left out of Metadata; up: back; the
 *   same for the combined node's broker, whose controller goes on serving the others;
 * - broker 2 hidden: Metadata, raw and through kcat, lists two brokers and no leader for what 2 leads;
 * - every node advertising Kafka 2.8's ranges: the Java client and librdkafka use Metadata <= v11
 *   and Produce <= v9 (counted by delay-0 faults with version matchers), kafkajs works as before;
 * - kcat with api.version.request=false and broker.version.fallback=0.9.0 sends Produce v1: the
 *   KIP-896 note is logged and listed for its client.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { CLI, freePortRun, requireTool, run, spawnWorker, tmpDataDir, until } from './harness.js';
import { readAll } from './kafkajs-read.js';
import { javaDriver } from './client-drivers.js';
import { RawClient, fetchRequest } from './raw-client.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { ApiVersions, Fetch, FindCoordinator, Metadata, Produce } from '../src/protocol/generated/index.js';
import { startCluster, type Cluster } from '../src/index.js';

requireTool('kcat');
javaDriver.check();

const kafkaFor = (c: Cluster, clientId = 'cluster-ops') => new Kafka({ clientId, brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100 } });

async function metadataAt(port: number, topics: string[] | null = null) {
  const c = await RawClient.connect(port);
  try {
    return await c.request(Metadata, 12, { topics: topics === null ? null : topics.map((name) => ({ topicId: Buffer.alloc(16), name })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  } finally {
    c.close();
  }
}

async function leaderOf(port: number, topic: string, partition = 0): Promise<{ leader: number; epoch: number; isr: number[] }> {
  const md = await metadataAt(port, [topic]);
  const p = md.topics[0]!.partitions.find((x) => x.partitionIndex === partition)!;
  return { leader: p.leaderId, epoch: p.leaderEpoch, isr: [...p.isrNodes].sort() };
}

async function http(port: number, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

/** kcat as a producer fed one line every `everyMs` ms: resolves with its exit code and stderr once it has delivered and exited. */
function kcatProducer(bootstrap: string, topic: string, values: string[], everyMs: number, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn('kcat', ['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'message.timeout.ms=60000', ...extra], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let i = 0;
  const timer = setInterval(() => {
    if (i < values.length) proc.stdin!.write(`${values[i++]}\n`);
    else {
      clearInterval(timer);
      proc.stdin!.end();
    }
  }, everyMs);
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stderr })));
}

const values = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

t.test('three brokers: move, pin, down/up, hide, older ranges, KIP-896 notes', async (t) => {
  const d = tmpDataDir('sluice-cluster-ops-');
  t.teardown(d.remove);
  const port = await freePortRun(4);
  const adminPort = await freePortRun(3);
  const cluster = await startCluster({
    brokers: 3,
    port,
    adminPort,
    firstNodeId: 1,
    dataDir: d.dir,
    cli: CLI,
    brokerSessionTimeoutMs: 3000,
    brokerHeartbeatIntervalMs: 500,
    racks: ['rack-a', 'rack-b', 'rack-c'],
    overrides: [
      'group.initial.rebalance.delay.ms=0',
      'offsets.topic.num.partitions=6',
      'transaction.state.log.num.partitions=3',
      'replica.lag.time.max.ms=5000',
      'replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector',
    ],
  });
  t.teardown(() => cluster.stop());
  const [n1, n2, n3] = cluster.nodes as [Cluster['nodes'][number], Cluster['nodes'][number], Cluster['nodes'][number]];
  const admin: Admin = kafkaFor(cluster).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());

  await t.test('broker.rack of each node: in Metadata from every node', async (t) => {
    for (const n of cluster.nodes) {
      const md = await metadataAt(n.port, []);
      t.same(md.brokers.map((b) => [b.nodeId, b.rack]), [[1, 'rack-a'], [2, 'rack-b'], [3, 'rack-c']], `node ${n.nodeId}'s answer`);
    }
  });

  await t.test('fetching from the closest replica (KIP-392): kcat in rack-b reads from broker 2, kafkajs in rack-c from broker 3', async (t) => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'near', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] });
    await until('every replica in the ISR', async () => (await leaderOf(n1.port, 'near')).isr.length === 3, 15_000);
    const input = values('near', 50);
    const produced = await run('kcat', ['-P', '-b', cluster.bootstrap, '-t', 'near', '-p', '0', '-X', 'acks=all'], { input: input.join('\n') + '\n', timeoutMs: 30_000 });
    t.equal(produced.code, 0, produced.stderr);
    const read = await run('kcat', ['-C', '-b', `127.0.0.1:${n1.port}`, '-t', 'near', '-p', '0', '-o', 'beginning', '-c', '50', '-e', '-X', 'client.rack=rack-b', '-X', 'client.id=near-kcat'], { timeoutMs: 30_000 });
    t.equal(read.code, 0, read.stderr);
    t.same(read.stdout.trim().split('\n'), input, 'kcat read every record');
    const fetchesOn = async (n: typeof n1, clientId: string) =>
      ((await http(n.adminPort!, 'GET', '/requests?limit=1000')) as Array<{ clientId: string | null; apiName: string; errorCode: number }>).filter((e) => e.clientId === clientId && e.apiName === 'Fetch');
    t.ok((await fetchesOn(n2, 'near-kcat')).length > 0, 'kcat fetched from broker 2, the replica in its rack');
    t.same((await fetchesOn(n3, 'near-kcat')).length, 0, 'and not from broker 3');
    const consumer = kafkaFor(cluster, 'near-kafkajs').consumer({ groupId: 'near-g', rackId: 'rack-c', maxWaitTimeInMs: 100 });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'near', fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
    await until('kafkajs read the 50 records', () => got.length >= 50, 30_000);
    t.same(got, input, 'kafkajs read every record, in order');
    t.ok((await fetchesOn(n3, 'near-kafkajs')).length > 0, 'kafkajs fetched from broker 3, the replica in its rack');
    // A test names the read replica itself, whatever the client's rack (librdkafka mock's partition_set_follower).
    t.same(await http(n1.adminPort!, 'POST', '/cluster/read-replica', { topic: 'near', partition: 0, broker: 3 }), { topic: 'near', partition: 0, readReplica: 3 });
    const named = await run('kcat', ['-C', '-b', `127.0.0.1:${n1.port}`, '-t', 'near', '-p', '0', '-o', 'beginning', '-c', '50', '-e', '-X', 'client.id=named-kcat'], { timeoutMs: 30_000 });
    t.same(named.stdout.trim().split('\n'), input, `kcat with no rack read every record: ${named.stderr.slice(-300)}`);
    t.ok((await fetchesOn(n3, 'named-kcat')).length > 0, 'from broker 3, the replica the test named');
    await http(n1.adminPort!, 'POST', '/cluster/read-replica', { topic: 'near', partition: 0, broker: null });
    await t.rejects(http(n1.adminPort!, 'POST', '/cluster/read-replica', { topic: 'near', partition: 0, broker: 9 }), /holds no replica/);
  });

  await t.test('the leader moved three times mid-produce: kafkajs, kcat and the Java client follow, nothing is lost', async (t) => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'moving', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] });
    await until('every replica in the ISR', async () => (await leaderOf(n1.port, 'moving')).isr.length === 3, 15_000);
    const start = await leaderOf(n1.port, 'moving');
    t.equal(start.leader, 1);
    const java = javaDriver.command(['failover', cluster.bootstrap, 'moving', '300']);
    const javaWorker = spawnWorker<{ acked?: string; failed?: string; step?: string }>('java-failover', java.cmd, java.args);
    t.teardown(() => javaWorker.stop());
    const kcatDone = kcatProducer(cluster.bootstrap, 'moving', values('r', 200), 15);
    const producer = kafkaFor(cluster, 'mover-kafkajs').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const kjs = values('k', 200);
    const kjsDone = (async () => {
      for (let i = 0; i < kjs.length; i += 4) {
        await producer.send({ topic: 'moving', acks: -1, messages: kjs.slice(i, i + 4).map((value) => ({ partition: 0, value })) });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await until('the Java client to have sent a few', () => javaWorker.events.filter((e) => e.acked).length >= 20, 30_000, () => javaWorker.describe());
    const epochs: number[] = [start.epoch];
    for (const to of [2, 3, 1]) {
      const moved = await cluster.moveLeader('moving', 0, to);
      t.equal(moved.leader, to, `moved to ${to}`);
      epochs.push(moved.leaderEpoch);
      const seen = await until(`every broker to show leader ${to}`, async () => {
        const all = await Promise.all(cluster.nodes.map((n) => leaderOf(n.port, 'moving')));
        return all.every((x) => x.leader === to && x.epoch === moved.leaderEpoch) ? all[0] : null;
      }, 10_000);
      t.same(seen.isr, [1, 2, 3], 'ISR kept');
      await new Promise((r) => setTimeout(r, 400));
    }
    t.same(epochs, [start.epoch, start.epoch + 1, start.epoch + 2, start.epoch + 3], 'the leader epoch went up by one per move');
    await kjsDone;
    await producer.disconnect();
    const kc = await kcatDone;
    t.equal(kc.code, 0, `kcat delivered everything${kc.code ? `: ${kc.stderr.slice(-1000)}` : ''}`);
    t.notMatch(kc.stderr, /Delivery failed/);
    await until('the Java client to finish', () => javaWorker.events.some((e) => e.step === 'done'), 120_000, () => javaWorker.describe());
    const javaAcked = javaWorker.events.filter((e) => e.acked).map((e) => e.acked!);
    t.equal(javaWorker.events.filter((e) => e.failed).length, 0, 'no Java send failed');
    const want = [...kjs, ...values('r', 200), ...javaAcked];
    const got = await readAll(kafkaFor(cluster), 'moving', { want: want.length, settleMs: 500, timeoutMs: 60_000 });
    t.equal(got.length, want.length, 'no duplicate');
    t.same([...got].sort(), [...want].sort(), 'every record of the three producers, once');
    // What a client holding the old leadership sees, as Kafka answers it.
    const oldLeader = await RawClient.connect(n3.port);
    const records = buildRecordBatch([{ key: null, value: Buffer.from('stale'), timestamp: BigInt(Date.now()) }]);
    const stale = await oldLeader.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'moving', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] });
    oldLeader.close();
    t.equal(stale.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a Produce to the leader before the last move: NOT_LEADER_OR_FOLLOWER');
    const newLeader = await RawClient.connect(n1.port);
    const req = fetchRequest('moving', 0, 0n);
    req.topics[0]!.partitions[0]!.currentLeaderEpoch = epochs[2]!;
    const fenced = await newLeader.request(Fetch, 12, req);
    newLeader.close();
    t.equal(fenced.responses[0]!.partitions[0]!.errorCode, ErrorCode.FENCED_LEADER_EPOCH, 'a Fetch naming the previous leader epoch: FENCED_LEADER_EPOCH');
    // The Java client's log says it followed (NOT_LEADER_OR_FOLLOWER, then a metadata refresh), or it never met the old leader.
    t.comment(`Java client stderr mentions of leadership: ${(javaWorker.stderr().match(/NOT_LEADER_OR_FOLLOWER|FENCED_LEADER_EPOCH/g) ?? []).length}`);
  });

  await t.test('shuffle leaders: every partition with another live in-sync replica gets a new leader, epoch bumped', async (t) => {
    const before = await leaderOf(n1.port, 'moving');
    const moved = (await http(n1.adminPort!, 'POST', '/cluster/shuffle-leaders', { seed: 3 })) as Array<{ topic: string; partition: number; leader: number; leaderEpoch: number }>;
    const mine = moved.find((m) => m.topic === 'moving' && m.partition === 0)!;
    t.ok(mine && mine.leader !== before.leader && before.isr.includes(mine.leader), `moving-0: ${before.leader} -> ${mine?.leader}`);
    t.equal(mine.leaderEpoch, before.epoch + 1);
    await until('the brokers to show the new leader', async () => (await leaderOf(n2.port, 'moving')).leader === mine.leader, 10_000);
    await t.rejects(http(n2.adminPort!, 'POST', '/cluster/shuffle-leaders', {}), /409 .*broker-only node/, 'a broker-only node refuses, naming the controller node');
  });

  await t.test('a group coordinator pinned to broker 2, broker 2 killed: the group goes on', async (t) => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'grouped', numPartitions: 3, replicationFactor: 3 }] });
    const pinned = await cluster.pinCoordinator({ group: 'pinned' }, 2);
    t.equal(pinned.topic, '__consumer_offsets');
    t.equal(pinned.leader, 2);
    const coordinator = async (viaPort: number, key = 'pinned', keyType = 0): Promise<number> => {
      const c = await RawClient.connect(viaPort);
      try {
        const r = await c.request(FindCoordinator, 4, { key: '', keyType, coordinatorKeys: [key] });
        return r.coordinators[0]!.errorCode === 0 ? r.coordinators[0]!.nodeId : -1;
      } finally {
        c.close();
      }
    };
    const txn = await cluster.pinCoordinator({ transactionalId: 'pinned-txn' }, 3);
    t.same([txn.topic, txn.leader], ['__transaction_state', 3], 'a transactional id pinned to broker 3');
    await until('FindCoordinator (transaction) to answer broker 3', async () => (await coordinator(n1.port, 'pinned-txn', 1)) === 3, 10_000);
    await until('FindCoordinator to answer broker 2 everywhere', async () => (await Promise.all([n1, n3].map((n) => coordinator(n.port)))).every((id) => id === 2), 10_000);
    // The Java client's group consumer (kafkajs keeps retrying a killed broker's partitions with a
    // growing backoff and does not heartbeat meanwhile: it is the producer here).
    const java = javaDriver.command(['group', cluster.bootstrap, 'grouped', 'pinned']);
    const consumer = spawnWorker<{ event: string; partitions?: number[]; value?: string }>('java-group', java.cmd, java.args);
    t.teardown(() => consumer.stop());
    const got = (): string[] => consumer.events.filter((e) => e.event === 'record').map((e) => Buffer.from(e.value!, 'base64').toString());
    await until('the Java consumer to be assigned every partition', () => consumer.events.some((e) => e.event === 'assigned' && e.partitions?.length === 3), 60_000, () => consumer.describe());
    const producer = kafkaFor(cluster, 'pinned-producer').producer();
    await producer.connect();
    t.teardown(() => producer.disconnect());
    await producer.send({ topic: 'grouped', acks: -1, messages: values('before', 30).map((value) => ({ value })) });
    await until('the first 30 to be consumed', () => got().length >= 30, 30_000, () => consumer.describe());
    await n2.kill();
    const after = await until('the coordinator to move off broker 2', async () => {
      const id = await coordinator(n1.port);
      return id !== 2 && id !== -1 ? id : null;
    }, 20_000);
    t.not(after, 2, `coordinator now broker ${after}`);
    await producer.send({ topic: 'grouped', acks: -1, messages: values('after', 30).map((value) => ({ value })) });
    await until('the group to consume what came after the kill', () => values('after', 30).every((v) => got().includes(v)), 60_000, () => consumer.describe());
    t.pass('the group consumed every record written after its coordinator was killed');
    consumer.assertAlive();
    const stopped = await consumer.stop();
    t.equal(stopped.code, 0, 'the Java consumer committed, left and closed cleanly');
    await n2.restart();
    await until('broker 2 back in Metadata', async () => (await metadataAt(n1.port)).brokers.some((b) => b.nodeId === 2), 20_000);
  });

  await t.test('broker 3 down (process alive): refused and fenced; up: registered and unfenced again', async (t) => {
    await cluster.down(3);
    t.ok(n3.running, 'the process still runs');
    await t.rejects(RawClient.connect(n3.port), /ECONNREFUSED/, 'its port refuses connections');
    t.equal((await http(n3.adminPort!, 'GET', '/cluster')).down, true);
    await until('the controller to fence broker 3 (left out of Metadata)', async () => !(await metadataAt(n1.port)).brokers.some((b) => b.nodeId === 3), 15_000);
    const producer = kafkaFor(cluster, 'down-producer').producer();
    await producer.connect();
    await producer.send({ topic: 'grouped', acks: -1, messages: values('while-down', 10).map((value) => ({ value })) });
    await producer.disconnect();
    t.pass('acks=all produce goes on without broker 3');
    await cluster.up(3);
    await until('broker 3 back in Metadata', async () => (await metadataAt(n1.port)).brokers.some((b) => b.nodeId === 3), 15_000);
    const c = await RawClient.connect(n3.port);
    c.close();
    t.pass('its port accepts connections again');
  });

  await t.test('the combined node\'s broker down: fenced by its own controller, which goes on serving the others; up again', async (t) => {
    // Brokers 2 and 3 were down or killed in the subtests before: every partition of the topic
    // written below must have them back in its ISR first, or one led by broker 1 with an ISR of
    // just 1 has no leader to elect while broker 1 is down (no unclean election), and the writes
    // wait for it (seen once in CI).
    await until(
      'broker 1 not the only in-sync replica of any partition of "grouped"',
      async () => (await metadataAt(n1.port, ['grouped'])).topics[0]?.partitions.every((p) => p.isrNodes.some((id) => id !== 1)) ?? false,
      30_000,
    );
    await cluster.down(1);
    await t.rejects(RawClient.connect(n1.port), /ECONNREFUSED/, 'its client port refuses connections');
    await until('broker 1 fenced (left out of Metadata on broker 2)', async () => !(await metadataAt(n2.port)).brokers.some((b) => b.nodeId === 1), 15_000);
    const producer = new Kafka({ clientId: 'ctl-down', brokers: [`127.0.0.1:${n2.port}`, `127.0.0.1:${n3.port}`], logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100 } }).producer();
    await producer.connect();
    await producer.send({ topic: 'grouped', acks: -1, messages: values('ctl-down', 5).map((value) => ({ value })) });
    await producer.disconnect();
    t.pass('brokers 2 and 3 take acks=all writes (the controller still answers them)');
    await cluster.up(1);
    await until('broker 1 back in Metadata', async () => (await metadataAt(n2.port)).brokers.some((b) => b.nodeId === 1), 15_000);
  });

  await t.test('broker 2 hidden: Metadata (raw and through kcat) lists the other two', async (t) => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'hidden', replicaAssignment: [{ partition: 0, replicas: [2, 1, 3] }] }] });
    await until('broker 2 to lead "hidden"', async () => (await leaderOf(n1.port, 'hidden')).leader === 2, 15_000);
    await cluster.hideBroker(2);
    const md = await metadataAt(n1.port, ['hidden']);
    t.same(md.brokers.map((b) => b.nodeId), [1, 3]);
    t.equal(md.topics[0]!.partitions[0]!.leaderId, -1, 'the partition broker 2 leads has no known leader');
    const kc = await run('kcat', ['-L', '-J', '-b', `127.0.0.1:${n1.port}`, '-t', 'hidden']);
    const listed = JSON.parse(kc.stdout) as { brokers: Array<{ id: number }>; topics: Array<{ partitions: Array<{ leader: number }> }> };
    t.same(listed.brokers.map((b) => b.id).sort(), [1, 3], 'kcat -L');
    t.equal(listed.topics[0]!.partitions[0]!.leader, -1, 'kcat sees no leader');
    await cluster.hideBroker(2, false);
    t.same((await metadataAt(n1.port)).brokers.map((b) => b.nodeId), [1, 2, 3], 'shown again');
  });

  await t.test('Kafka 2.8 ranges everywhere: the Java client and librdkafka negotiate lower versions', async (t) => {
    await cluster.setKafkaVersion('2.8');
    const c = await RawClient.connect(n2.port);
    const av = await c.request(ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    c.close();
    const range = (k: number): number[] => {
      const r = av.apiKeys.find((x) => x.apiKey === k)!;
      return [r.minVersion, r.maxVersion];
    };
    t.same(range(0), [0, 9], 'Produce 0-9');
    t.same(range(3), [0, 11], 'Metadata 0-11');
    // Delay-0 faults count requests by version on every node, disturbing nothing.
    const arm = async (spec: Record<string, unknown>): Promise<number[]> => Promise.all(cluster.nodes.map(async (n) => (await http(n.adminPort!, 'POST', '/faults', { ...spec, delayMs: 0, always: true })).id as number));
    const counted = async (ids: number[]): Promise<number> => {
      let sum = 0;
      for (const [i, n] of cluster.nodes.entries()) sum += ((await http(n.adminPort!, 'GET', '/faults')) as Array<{ id: number; matched: number }>).find((f) => f.id === ids[i])!.matched;
      return sum;
    };
    const newMetadata = await arm({ apiKey: 3, minVersion: 12 });
    const oldMetadata = await arm({ apiKey: 3, maxVersion: 11 });
    const newProduce = await arm({ apiKey: 0, minVersion: 10 });
    const oldProduce = await arm({ apiKey: 0, maxVersion: 9 });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'old', numPartitions: 1, replicationFactor: 3 }] });
    const rows = values('j', 5).map((v) => JSON.stringify({ partition: 0, key: null, value: Buffer.from(v).toString('base64'), headers: [] }));
    const { driverRun } = await import('./newest-clients.js');
    const jp = await driverRun(javaDriver, ['produce', cluster.bootstrap, 'old', 'none', '1'], rows.join('\n') + '\n');
    t.same(jp.at(-1), { step: 'produced', count: 5 }, 'the Java client produced');
    const kc = await kcatProducer(cluster.bootstrap, 'old', values('r', 5), 5);
    t.equal(kc.code, 0, 'librdkafka produced');
    const producer = kafkaFor(cluster, 'old-kafkajs').producer();
    await producer.connect();
    await producer.send({ topic: 'old', acks: -1, messages: values('k', 5).map((value) => ({ value })) });
    await producer.disconnect();
    t.same((await readAll(kafkaFor(cluster), 'old', { want: 15, settleMs: 300 })).sort(), [...values('j', 5), ...values('k', 5), ...values('r', 5)].sort(), 'all three wrote and kafkajs read');
    t.equal(await counted(newMetadata), 0, 'nobody used Metadata v12+');
    t.ok((await counted(oldMetadata)) > 0, 'Metadata <= v11 was used');
    t.equal(await counted(newProduce), 0, 'nobody used Produce v10+');
    t.ok((await counted(oldProduce)) > 0, 'Produce <= v9 was used');
    for (const n of cluster.nodes) await http(n.adminPort!, 'DELETE', '/faults');
    await cluster.setKafkaVersion(null);
    const back = await RawClient.connect(n2.port);
    const own = await back.request(ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    back.close();
    t.ok(own.apiKeys.find((x) => x.apiKey === 3)!.maxVersion >= 12, 'Sluice\'s own ranges again');
  });

  await t.test('kcat sending Produce v1 (broker.version.fallback=0.9.0): the KIP-896 note is logged and listed', async (t) => {
    const r = await run('kcat', ['-P', '-b', cluster.bootstrap, '-t', 'old', '-p', '0', '-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0', '-X', 'client.id=old-kcat', '-X', 'message.timeout.ms=5000'], { input: 'v\n', timeoutMs: 30_000 });
    t.match(r.stderr, /Delivery failed|UNSUPPORTED_VERSION|Unsupported/i, 'Kafka 4 (and Sluice) refuse Produce v1');
    const notes = await until('the note', async () => {
      const all = await cluster.kafka4Notes();
      return all.find((c) => c.clientId === 'old-kcat' && c.notes.some((n) => /^Produce v1 was removed in Kafka 4\.0/.test(n.note)));
    }, 10_000);
    t.ok(notes, `noted by node ${notes.nodeId}`);
    const node = cluster.nodes.find((n) => n.nodeId === notes.nodeId)!;
    await until('the WARN line', () => /will not work on Kafka 4: client "old-kcat".*Produce v1 was removed/.test(readFileSync(node.logFile, 'utf8')), 5000);
    t.pass('logged');
    const logged = (await http(node.adminPort!, 'GET', '/requests?limit=1000')) as Array<{ clientId: string | null; apiName: string; apiVersion: number; notes: string[] }>;
    const entry = logged.find((e) => e.clientId === 'old-kcat' && e.apiName === 'Produce' && e.apiVersion === 1);
    t.match(entry?.notes, [/^Produce v1 was removed in Kafka 4\.0 \(KIP-896\)/], 'and the request log carries the note on that request');
  });

  await t.test('a broker added to the running cluster registers, and takes a replica', async (t) => {
    const ports = await freePortRun(2);
    const n4 = await cluster.addNode({ port: ports, adminPort: ports + 1, rack: 'rack-d' });
    t.equal(n4.nodeId, 4);
    const md = await until('broker 4 in Metadata', async () => {
      const m = await metadataAt(n1.port, []);
      return m.brokers.some((b) => b.nodeId === 4) ? m : null;
    }, 15_000);
    t.same(md.brokers.find((b) => b.nodeId === 4), { nodeId: 4, host: '127.0.0.1', port: ports, rack: 'rack-d' });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'on-four', replicaAssignment: [{ partition: 0, replicas: [4, 1] }] }] });
    const r = await run('kcat', ['-P', '-b', `127.0.0.1:${ports}`, '-t', 'on-four', '-p', '0', '-X', 'acks=all'], { input: 'a\nb\n', timeoutMs: 30_000 });
    t.equal(r.code, 0, r.stderr);
    t.equal((await leaderOf(n1.port, 'on-four')).leader, 4, 'led by the new broker');
    t.equal((await http(n4.adminPort!, 'GET', '/partitions?topic=on-four') as Array<{ highWatermark: number }>)[0]!.highWatermark, 2, 'holding both records');
  });
});
