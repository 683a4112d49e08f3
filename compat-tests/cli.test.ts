/**
 * The daily-work tools (`sluice topic|produce|consume|group|features|cluster info|fault|clock`, issue 14
 * item 3), run as a user runs them (the built bundle, dist/sluice.mjs), against a real `sluice
 * start` process AND against Apache Kafka 4.1.1 (reference/kafka.ts): the same checks pass on both.
 * kafkajs reads what `sluice produce` wrote and commits the offsets `sluice group describe` shows;
 * kafkajs writes the gzip and transactional batches `sluice consume` reads. `fault` runs against
 * Sluice's admin endpoint; `clock` against a stub HTTP server (request shape, and the one-line
 * error when the route is absent).
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import t, { type Test } from 'tap';
import { CompressionTypes, Kafka, logLevel, type Consumer } from 'kafkajs';
import { CLI, freePortRun, run, spawnBroker, tmpDataDir, until, type RunResult } from './harness.js';
import { startKafka } from './reference/kafka.js';
import { RawClient } from './raw-client.js';
import { randomBytes } from 'node:crypto';
import { ConsumerGroupHeartbeat, ShareGroupHeartbeat, type ShareGroupHeartbeatResponse } from '../src/protocol/generated/index.js';

const sluice = (args: string[], input?: string): Promise<RunResult> => run(process.execPath, [CLI, ...args], { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });

/** Runs the CLI and wants exit 0 (the stderr in the message otherwise). */
async function ok(t: Test, args: string[], input?: string): Promise<string> {
  const res = await sluice(args, input);
  t.equal(res.code, 0, `sluice ${args.join(' ')} exits 0${res.code !== 0 ? `: ${res.stderr}` : ''}`);
  return res.stdout;
}

async function json<T>(t: Test, args: string[]): Promise<T> {
  const out = await ok(t, [...args, '--json']);
  return JSON.parse(out) as T;
}

interface Target {
  name: string;
  bootstrap: string;
}

const N = 1000;
const lines = Array.from({ length: N }, (_, i) => `key-${i}:value-${i}`);

async function suite(t: Test, target: Target): Promise<void> {
  const b = ['--brokers', target.bootstrap];
  const kafka = new Kafka({ clientId: 'cli-test', brokers: [target.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });

  await t.test('topic create, list, describe, alter-config', async (t) => {
    const out = await ok(t, ['topic', 'create', 'cli-lines', 'cli-spare', '--partitions', '1', '--config', 'retention.ms=86400000', ...b]);
    t.match(out, /Created topic cli-lines \(1 partitions, replication factor 1\)/);
    await ok(t, ['topic', 'create', 'cli-three', '-p', '3', ...b]);
    const again = await sluice(['topic', 'create', 'cli-lines', ...b]);
    t.equal(again.code, 1);
    t.match(again.stderr, /^sluice: cannot create topic cli-lines: TOPIC_ALREADY_EXISTS \(36\)/);
    t.equal(again.stderr.trim().split('\n').length, 1, 'one line');
    const list = await json<Array<{ name: string; partitions: number; internal: boolean }>>(t, ['topic', 'list', ...b]);
    t.same(
      list.filter((x) => x.name.startsWith('cli-')).map((x) => [x.name, x.partitions]),
      [
        ['cli-lines', 1],
        ['cli-spare', 1],
        ['cli-three', 3],
      ],
    );
    t.notOk(list.some((x) => x.internal), 'internal topics only with --internal');
    t.match(await ok(t, ['topic', 'list', ...b]), /^TOPIC\s+PARTITIONS\s+REPLICAS\s+ID\n/);
    let d = await json<{ partitions: Array<{ partition: number; leader: number; logEndOffset: number }>; configs: Record<string, string> }>(t, ['topic', 'describe', 'cli-three', ...b]);
    t.same(d.partitions.map((p) => [p.partition, p.logEndOffset]), [
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    d = await json(t, ['topic', 'describe', 'cli-lines', ...b]);
    t.equal(d.configs['retention.ms'], '86400000');
    t.match(await ok(t, ['topic', 'alter-config', 'cli-lines', '--set', 'retention.ms=3600000', '--set', 'cleanup.policy=compact', ...b]), /Altered topic cli-lines/);
    d = await json(t, ['topic', 'describe', 'cli-lines', ...b]);
    t.equal(d.configs['retention.ms'], '3600000');
    t.equal(d.configs['cleanup.policy'], 'compact');
    await ok(t, ['topic', 'alter-config', 'cli-lines', '--delete', 'cleanup.policy', ...b]);
    d = await json(t, ['topic', 'describe', 'cli-lines', ...b]);
    t.notOk('cleanup.policy' in d.configs, 'back to its default');
    const text = await ok(t, ['topic', 'describe', 'cli-lines', ...b]);
    t.match(text, /PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+LOG-START\s+LOG-END\n0\s+\d+/);
  });

  const startMs = Date.now();
  await t.test('produce 1000 lines with keys and headers; consume --from-beginning --count gets them back in order; kafkajs reads the same', async (t) => {
    const produced = await sluice(['produce', '--topic', 'cli-lines', '--key-separator', ':', '--header', 'source=cli', '--header', 'n=1', ...b], lines.join('\n') + '\n');
    t.equal(produced.code, 0, produced.stderr);
    t.equal(produced.stdout, '', 'nothing on success');
    const values = (await ok(t, ['consume', '--topic', 'cli-lines', '--from-beginning', '--count', String(N), ...b])).split('\n');
    t.equal(values.pop(), '', 'ends with a newline');
    t.same(values, lines.map((_, i) => `value-${i}`));
    const records = (await ok(t, ['consume', '--topic', 'cli-lines', '--from-beginning', '--count', String(N), '--json', ...b]))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { offset: number; key: string; value: string; partition: number; timestamp: number; headers: Array<{ key: string; value: string }> });
    t.equal(records.length, N);
    t.same(records[7], { topic: 'cli-lines', partition: 0, offset: 7, timestamp: records[7]!.timestamp, key: 'key-7', value: 'value-7', headers: [{ key: 'source', value: 'cli' }, { key: 'n', value: '1' }] });
    t.ok(records[7]!.timestamp >= startMs - 1000 && records[7]!.timestamp <= Date.now(), 'create time of now');
    const formatted = await ok(t, ['consume', '--topic', 'cli-lines', '--from-beginning', '--count', '2', '--format', '%t/%p@%o %k=%s [%h]\\n', ...b]);
    t.equal(formatted, 'cli-lines/0@0 key-0=value-0 [source=cli,n=1]\ncli-lines/0@1 key-1=value-1 [source=cli,n=1]\n');

    // kafkajs, as a group member: the records as the CLI wrote them; it commits offset 600.
    const consumer = kafka.consumer({ groupId: 'cli-g', sessionTimeout: 10_000, heartbeatInterval: 500 });
    const seen: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'cli-lines', fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        seen.push({
          key: String(message.key),
          value: String(message.value),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    await until('kafkajs read every record', () => seen.length >= N, 60_000);
    t.same(seen, lines.map((_, i) => ({ key: `key-${i}`, value: `value-${i}`, headers: { source: 'cli', n: '1' } })), 'kafkajs reads what sluice produce wrote');
    await consumer.commitOffsets([{ topic: 'cli-lines', partition: 0, offset: '600' }]);

    await t.test('group describe: the member, its assignment, committed offset, log end and lag', async (t) => {
      const g = await json<{ state: string; members: Array<{ clientId: string; assignment: Array<{ topic: string; partitions: number[] }> }>; offsets: Array<{ topic: string; partition: number; committed: number; logEnd: number; lag: number; memberId: string | null }> }>(t, [
        'group',
        'describe',
        'cli-g',
        ...b,
      ]);
      t.equal(g.state, 'Stable');
      t.equal(g.members.length, 1);
      t.equal(g.members[0]!.clientId, 'cli-test');
      t.same(g.members[0]!.assignment, [{ topic: 'cli-lines', partitions: [0] }]);
      t.match(g.offsets, [{ topic: 'cli-lines', partition: 0, committed: 600, logEnd: N, lag: N - 600, memberId: String }]);
      const text = await ok(t, ['group', 'describe', 'cli-g', ...b]);
      t.match(text, /TOPIC\s+PARTITION\s+COMMITTED\s+LOG-END\s+LAG\s+MEMBER\ncli-lines\s+0\s+600\s+1000\s+400\s+\S+/);
      const list = await json<Array<{ group: string; state: string }>>(t, ['group', 'list', ...b]);
      t.match(list, [{ group: 'cli-g', state: 'Stable' }]);
      const busy = await sluice(['group', 'seek', 'cli-g', '--topic', 'cli-lines', '--to-earliest', ...b]);
      t.equal(busy.code, 1);
      t.match(busy.stderr, /^sluice: group cli-g is Stable with 1 member\(s\): stop its consumers first/);
    });
    await stopConsumer(consumer);
  });

  await t.test('group describe and list: a KIP-848 consumer group', async (t) => {
    const port = Number(target.bootstrap.split(':').at(-1));
    const raw = await RawClient.connect(port);
    t.teardown(() => raw.close());
    const joined = await until('a KIP-848 member joined', async () => {
      const r = await raw.request(ConsumerGroupHeartbeat, 1, {
        groupId: 'cli-848',
        memberId: 'cli-848-member',
        memberEpoch: 0,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 30000,
        subscribedTopicNames: ['cli-three'],
        subscribedTopicRegex: null,
        serverAssignor: 'range',
        topicPartitions: [],
      });
      return r.errorCode === 0 ? r : null;
    }, 30_000);
    t.ok(joined.memberEpoch > 0);
    const g = await json<{ state: string; protocolType: string; protocol: string; members: Array<{ memberId: string; assignment: Array<{ topic: string; partitions: number[] }> }> }>(t, ['group', 'describe', 'cli-848', ...b]);
    t.same([g.state, g.protocolType, g.protocol], ['Stable', 'consumer', 'range']);
    t.same(g.members.map((m) => [m.memberId, m.assignment]), [['cli-848-member', [{ topic: 'cli-three', partitions: [0, 1, 2] }]]]);
    const listed = await json<Array<{ group: string; type: string }>>(t, ['group', 'list', ...b]);
    t.equal(listed.find((x) => x.group === 'cli-848')?.type, 'consumer', 'listed as a consumer group');
    await raw.request(ConsumerGroupHeartbeat, 1, { groupId: 'cli-848', memberId: 'cli-848-member', memberEpoch: -1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null });
  });

  await t.test('group describe and list: a KIP-932 share group', async (t) => {
    const port = Number(target.bootstrap.split(':').at(-1));
    const raw = await RawClient.connect(port);
    t.teardown(() => raw.close());
    const memberId = randomBytes(16).toString('base64url'); // a member id as the Java client makes them
    const hb = (memberEpoch: number, topics: string[] | null): Promise<ShareGroupHeartbeatResponse> =>
      raw.request(ShareGroupHeartbeat, 1, { groupId: 'cli-share', memberId, memberEpoch, rackId: null, subscribedTopicNames: topics });
    // Kafka hands the partitions out once it has initialized their share state, a heartbeat or
    // two after the join; Sluice at the join. Heartbeat until the member holds all three.
    let epoch = 0;
    await until('the share member holds the three partitions', async () => {
      const r = await hb(epoch, epoch === 0 ? ['cli-three'] : null);
      if (r.errorCode !== 0) return false;
      epoch = r.memberEpoch;
      return r.assignment?.topicPartitions.flatMap((tp) => tp.partitions).length === 3;
    }, 30_000);
    const g = await json<{ state: string; protocolType: string; protocol: string; members: Array<{ memberId: string; assignment: Array<{ topic: string; partitions: number[] }> }>; offsets: Array<{ topic: string; partition: number; committed: number; memberId: string | null }> }>(t, ['group', 'describe', 'cli-share', ...b]);
    t.same([g.state, g.protocolType, g.protocol], ['Stable', 'share', 'simple']);
    t.same(g.members.map((m) => [m.memberId, m.assignment]), [[memberId, [{ topic: 'cli-three', partitions: [0, 1, 2] }]]]);
    t.same(g.offsets.map((o) => [o.topic, o.partition, o.committed, o.memberId]), [0, 1, 2].map((p) => ['cli-three', p, -1, memberId]), 'its partitions, nothing committed (share groups commit no offsets)');
    const text = await ok(t, ['group', 'describe', 'cli-share', ...b]);
    t.match(text, /^Group cli-share  state Stable  protocol share\/simple  coordinator \d+  1 member\(s\)\n/);
    const listed = await json<Array<{ group: string; type: string; state: string }>>(t, ['group', 'list', ...b]);
    t.match(listed.find((x) => x.group === 'cli-share'), { type: 'share', state: 'Stable' }, 'listed as a share group');
    t.equal((await hb(-1, [])).errorCode, 0, 'the member leaves');
  });

  await t.test('group seek and delete on the empty group; consume --group resumes from the commit', async (t) => {
    await until('cli-g empty', async () => (await json<{ state: string }>(t, ['group', 'describe', 'cli-g', ...b])).state === 'Empty', 30_000);
    t.same(await json(t, ['group', 'seek', 'cli-g', '--topic', 'cli-lines', '--to-offset', '990', ...b]), [{ topic: 'cli-lines', partition: 0, offset: 990 }]);
    t.same(await json(t, ['group', 'seek', 'cli-g', '--topic', 'cli-lines', '--to-offset', '5000', ...b]), [{ topic: 'cli-lines', partition: 0, offset: N }], 'clamped to the log end');
    t.same(await json(t, ['group', 'seek', 'cli-g', '--topic', 'cli-lines', '--to-earliest', ...b]), [{ topic: 'cli-lines', partition: 0, offset: 0 }]);
    t.same(await json(t, ['group', 'seek', 'cli-g', '--topic', 'cli-lines', '--to-latest', ...b]), [{ topic: 'cli-lines', partition: 0, offset: N }]);
    await ok(t, ['group', 'seek', 'cli-g', '--topic', 'cli-lines', '--to-offset', '995', ...b]);
    const g = await json<{ offsets: Array<{ committed: number; lag: number }> }>(t, ['group', 'describe', 'cli-g', ...b]);
    t.match(g.offsets, [{ committed: 995, lag: 5 }]);
    t.equal(await ok(t, ['consume', '--topic', 'cli-lines', '--group', 'cli-g', '--count', '3', ...b]), 'value-995\nvalue-996\nvalue-997\n');
    t.equal(await ok(t, ['consume', '--topic', 'cli-lines', '--group', 'cli-g', '--end', ...b]), 'value-998\nvalue-999\n', 'resumes after what it printed, and commits');
    t.match(await json(t, ['group', 'describe', 'cli-g', ...b]), { offsets: [{ committed: N, lag: 0 }] });
    t.match(await ok(t, ['group', 'delete', 'cli-g', ...b]), /Deleted group cli-g/);
    const list = await json<Array<{ group: string }>>(t, ['group', 'list', ...b]);
    t.notOk(list.some((x) => x.group === 'cli-g'));
  });

  await t.test('consume --offset and --timestamp', async (t) => {
    t.equal(await ok(t, ['consume', '--topic', 'cli-lines', '--offset', '997', '--count', '3', ...b]), 'value-997\nvalue-998\nvalue-999\n');
    t.equal(await ok(t, ['consume', '--topic', 'cli-lines', '--offset', '998', '--end', ...b]), 'value-998\nvalue-999\n', '--end exits at the end');
    await new Promise((r) => setTimeout(r, 30));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    await ok(t, ['produce', '--topic', 'cli-lines', ...b], 'late-1\nlate-2\n');
    t.equal(await ok(t, ['consume', '--topic', 'cli-lines', '--timestamp', String(cut), '--count', '2', ...b]), 'late-1\nlate-2\n');
    t.equal(await ok(t, ['consume', '--topic', 'cli-lines', '--timestamp', String(Date.now() + 3_600_000), '--end', ...b]), '', 'a time past every record: the log end');
  });

  await t.test('keyed records land where the Java client would put them; consume reads every partition', async (t) => {
    const keyed = Array.from({ length: 30 }, (_, i) => `k${i}\tv${i}`);
    await ok(t, ['produce', '--topic', 'cli-three', '--key-separator', '\t', ...b], keyed.join('\n'));
    const read = (await ok(t, ['consume', '--topic', 'cli-three', '--from-beginning', '--count', '30', '--format', '%k %p\\n', ...b])).trim().split('\n');
    t.equal(read.length, 30);
    // kafkajs's default partitioner is the Java client's murmur2: its choice, for each key.
    const producer = kafka.producer();
    await producer.connect();
    const meta = await producer.send({ topic: 'cli-three', messages: keyed.map((l) => ({ key: l.split('\t')[0]!, value: 'again' })) });
    await producer.disconnect();
    t.ok(meta.length > 1, 'spread over partitions');
    const again = (await ok(t, ['consume', '--topic', 'cli-three', '--from-beginning', '--count', '60', '--format', '%k %p %s\\n', ...b])).trim().split('\n');
    const byKey = new Map<string, Set<string>>();
    for (const l of again) {
      const [k, p] = l.split(' ');
      byKey.set(k!, (byKey.get(k!) ?? new Set()).add(p!));
    }
    t.equal(byKey.size, 30);
    t.ok([...byKey.values()].every((s) => s.size === 1), 'each key in one partition, whoever produced it');
  });

  await t.test('consume reads kafkajs gzip batches and skips transaction markers; read_committed drops aborted records', async (t) => {
    await ok(t, ['topic', 'create', 'cli-txn', '-p', '1', ...b]);
    const gz = kafka.producer();
    await gz.connect();
    await gz.send({ topic: 'cli-txn', compression: CompressionTypes.GZIP, messages: [{ value: 'gz-1' }, { value: 'gz-2' }, { key: 'k', value: 'gz-3', headers: { h: 'x' } }] });
    await gz.disconnect();
    const tx = kafka.producer({ transactionalId: 'cli-tx', idempotent: true, maxInFlightRequests: 1 });
    await tx.connect();
    const committed = await tx.transaction();
    await committed.send({ topic: 'cli-txn', messages: [{ value: 'tx-committed' }] });
    await committed.commit();
    const aborted = await tx.transaction();
    await aborted.send({ topic: 'cli-txn', messages: [{ value: 'tx-aborted' }] });
    await aborted.abort();
    await tx.disconnect();
    t.equal(await ok(t, ['consume', '--topic', 'cli-txn', '--from-beginning', '--end', ...b]), 'gz-1\ngz-2\ngz-3\ntx-committed\ntx-aborted\n', 'read_uncommitted (the console consumer default): no markers');
    t.equal(await ok(t, ['consume', '--topic', 'cli-txn', '--from-beginning', '--end', '--isolation', 'read_committed', ...b]), 'gz-1\ngz-2\ngz-3\ntx-committed\n');
    const rec = JSON.parse((await ok(t, ['consume', '--topic', 'cli-txn', '--offset', '2', '--count', '1', '--json', ...b])).trim()) as Record<string, unknown>;
    t.match(rec, { offset: 2, key: 'k', value: 'gz-3', headers: [{ key: 'h', value: 'x' }] });
  });

  await t.test('cluster info', async (t) => {
    const info = await json<{ clusterId: string; controllerId: number; brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>; topics: number }>(t, ['cluster', 'info', ...b]);
    t.match(info.clusterId, /^[A-Za-z0-9_-]{22}$/);
    t.equal(info.brokers.length, 1);
    t.equal(`${info.brokers[0]!.host}:${info.brokers[0]!.port}`, target.bootstrap);
    t.equal(info.controllerId, info.brokers[0]!.nodeId);
    t.ok(info.topics >= 4, `${info.topics} topics`);
    t.match(await ok(t, ['cluster', 'info', ...b]), new RegExp(`^Cluster ${info.clusterId}  controller ${info.controllerId}  1 broker\\(s\\)`));
  });

  await t.test('features describe, downgrade --dry-run, downgrade, a refused upgrade, upgrade', async (t) => {
    type Described = { epoch: number; features: Array<{ feature: string; minSupported: number; maxSupported: number; finalized: number }> };
    const tv = async () => (await json<Described>(t, ['features', 'describe', ...b])).features.find((f) => f.feature === 'transaction.version');
    t.match(await tv(), { minSupported: 0, maxSupported: 2, finalized: 2 }, 'transaction.version 2 from the format');
    t.match(await ok(t, ['features', 'describe', ...b]), /^FEATURE +SUPPORTED +FINALIZED\n(.*\n)*transaction\.version +0-2 +2\n/);
    t.equal(await ok(t, ['features', 'downgrade', '--feature', 'transaction.version=1', '--dry-run', ...b]), 'transaction.version can be downgraded to 1.\n');
    t.equal((await tv())?.finalized, 2, 'a dry run changes nothing');
    t.equal(await ok(t, ['features', 'downgrade', '--feature', 'transaction.version=1', ...b]), 'transaction.version was downgraded to 1.\n');
    // A broker applies the controller's record a moment after the answer (Kafka's do).
    await until('transaction.version described at 1', async () => (await tv())?.finalized === 1, 10_000);
    const refused = await sluice(['features', 'upgrade', '--feature', 'transaction.version=0', ...b]);
    t.equal(refused.code, 1);
    t.match(refused.stderr, /^sluice: cannot update features: INVALID_UPDATE_VERSION \(95\): .*Can't downgrade the version of this feature without setting the upgrade type/);
    t.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(await ok(t, ['features', 'upgrade', '--feature', 'transaction.version=2', ...b]), 'transaction.version was upgraded to 2.\n');
    await until('transaction.version described at 2', async () => (await tv())?.finalized === 2, 10_000);
  });

  await t.test('topic delete; one-line errors', async (t) => {
    t.match(await ok(t, ['topic', 'delete', 'cli-spare', ...b]), /Deleted topic cli-spare/);
    await until('cli-spare gone', async () => !(await json<Array<{ name: string }>>(t, ['topic', 'list', ...b])).some((x) => x.name === 'cli-spare'), 10_000);
    const unknown = await sluice(['consume', '--topic', 'cli-nope', '--from-beginning', ...b]);
    t.equal(unknown.code, 1);
    t.equal(unknown.stderr, 'sluice: topic cli-nope: UNKNOWN_TOPIC_OR_PARTITION (3); check the name with "sluice topic list"\n');
  });
}

async function stopConsumer(c: Consumer): Promise<void> {
  await c.disconnect();
}

t.test('against a sluice start process', async (t) => {
  const data = tmpDataDir('sluice-cli-');
  const adminPort = await freePortRun(1);
  const broker = await spawnBroker({ dataDir: data.dir, args: ['--admin-port', String(adminPort), '--override', 'group.initial.rebalance.delay.ms=0'] });
  t.teardown(async () => {
    await broker.stop();
    data.remove();
  });
  await suite(t, { name: 'sluice', bootstrap: broker.bootstrap });

  await t.test('fault add, list, remove, clear over the admin endpoint; the injected error reaches sluice produce as one line', async (t) => {
    const admin = ['--admin', `127.0.0.1:${adminPort}`];
    const b = ['--brokers', broker.bootstrap];
    const added = await json<{ id: number; apiKey: number; errorCode: number; times: number }>(t, ['fault', 'add', '--api', 'Produce', '--error', 'INVALID_RECORD', '--times', '2', ...admin]);
    t.match(added, { apiKey: 0, errorCode: 87, times: 2 });
    const second = await json<{ id: number }>(t, ['fault', 'add', '--api', 'fetch', '--delay-ms', '10', '--always', '--topic', 'cli-lines', ...admin]);
    t.match(await ok(t, ['fault', 'list', ...admin]), new RegExp(`${added.id}\\s+api=Produce\\s+error INVALID_RECORD \\(87\\)\\s+times 2\\s+0\\s+0\\n${second.id}\\s+api=Fetch topic=cli-lines\\s+delay 10ms\\s+always`));
    const refused = await sluice(['produce', '--topic', 'cli-lines', ...b], 'refused\n');
    t.equal(refused.code, 1);
    t.match(refused.stderr, /^sluice: produce to cli-lines partition 0: INVALID_RECORD \(87\)/);
    t.match(await json(t, ['fault', 'list', ...admin]), [{ id: added.id, matched: 1, fired: 1 }, { id: second.id }]);
    t.match(await ok(t, ['fault', 'remove', String(second.id), ...admin]), /Removed fault/);
    const gone = await sluice(['fault', 'remove', String(second.id), ...admin]);
    t.equal(gone.code, 1);
    t.match(gone.stderr, /no fault \d+ is armed/);
    await ok(t, ['fault', 'clear', ...admin]);
    t.same(await json(t, ['fault', 'list', ...admin]), []);
    const bad = await sluice(['fault', 'add', '--api', 'Produce', '--error', 'NO_SUCH_ERROR', ...admin]);
    t.equal(bad.code, 1);
    t.match(bad.stderr, /^sluice: --error: no error named "NO_SUCH_ERROR"/);
    const nothing = await sluice(['fault', 'list', '--admin', '127.0.0.1:1']);
    t.equal(nothing.code, 1);
    t.match(nothing.stderr, /^sluice: cannot reach the admin endpoint at 127.0.0.1:1 \(ECONNREFUSED\): start the broker with --admin-port 1/);
  });

  await t.test('consume without --count or --end runs until SIGINT, then commits what it printed and exits 0', async (t) => {
    const child = spawn(process.execPath, [CLI, 'consume', '--topic', 'cli-lines', '--offset', '995', '--group', 'cli-sigint', '--brokers', broker.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await until('records printed', () => stdout.split('\n').length > 5, 20_000);
    child.kill('SIGINT');
    t.equal(await exited, 0);
    const lines = stdout.trim().split('\n');
    t.equal(lines[0], 'value-995');
    const g = await json<{ offsets: Array<{ committed: number }> }>(t, ['group', 'describe', 'cli-sigint', '--brokers', broker.bootstrap]);
    t.equal(g.offsets[0]!.committed, 995 + lines.length, 'committed after the last record printed');
  });
});

t.test('against Apache Kafka 4.1.1', async (t) => {
  // share.version=1: Kafka 4.1 serves share groups only once it is finalized (Sluice's format finalizes it).
  const kafka = await startKafka({ overrides: { 'group.initial.rebalance.delay.ms': '0' }, formatArgs: ['--feature', 'share.version=1'] });
  t.teardown(() => kafka.stop());
  await suite(t, { name: 'kafka', bootstrap: kafka.bootstrap });
});

t.test('an unreachable broker: one line naming the address and what to do', async (t) => {
  const res = await sluice(['topic', 'list', '--brokers', '127.0.0.1:1']);
  t.equal(res.code, 1);
  t.equal(res.stderr, 'sluice: cannot reach any broker of 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); is the broker running? point at it with --brokers host:port\n');
  const bad = await sluice(['produce', '--topic', 'x', '--brokers', 'nonsense']);
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'sluice: --brokers: "nonsense" is not host:port (e.g. 127.0.0.1:9092)\n');
});

/** A stub admin endpoint that records requests and answers /clock as the contract says (or 404 without `clock`). */
async function stubAdmin(clock: boolean): Promise<{ address: string; requests: Array<{ method: string; url: string; body: string }>; server: Server }> {
  const requests: Array<{ method: string; url: string; body: string }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      const reply = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      if (!clock) return reply(404, { error: `no ${req.method} ${req.url}` });
      if (req.method === 'GET' && req.url === '/clock') return reply(200, { mode: 'virtual', nowMs: 1_000_000 });
      if (req.method === 'POST' && req.url === '/clock/advance') {
        const ms = (JSON.parse(body) as { ms: number }).ms;
        // As a broker on wall time answers (src/admin/clock-routes.ts on main).
        if (ms === 1) return reply(409, { error: 'this broker runs on wall time; start it with --virtual-clock' });
        return reply(200, { nowMs: 1_000_000 + ms, fired: 3 });
      }
      if (req.method === 'POST' && (req.url === '/clock/pause' || req.url === '/clock/resume')) return reply(200, { mode: 'virtual', nowMs: 1_000_000, paused: req.url === '/clock/pause' });
      if (req.method === 'POST' && req.url === '/faults/7/release') return reply(200, { released: 2 });
      if (req.method === 'POST' && req.url === '/faults/7/wait') return reply(200, { held: 1 });
      if (req.method === 'POST' && req.url === '/faults/8/wait') return reply(408, { error: 'nothing held' });
      reply(404, { error: 'no such route' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { address: `127.0.0.1:${port}`, requests, server };
}

t.test('clock show and advance: the request shape of the contract, and a clear error where the route is absent', async (t) => {
  const stub = await stubAdmin(true);
  t.teardown(() => new Promise<void>((r) => stub.server.close(() => r())));
  t.match(await ok(t, ['clock', 'show', '--admin', stub.address]), /^virtual clock at 1000000 \(1970-01-01T00:16:40.000Z\)\n$/);
  t.same(await json(t, ['clock', 'advance', '8d', '--admin', stub.address]), { nowMs: 1_000_000 + 691_200_000, fired: 3 });
  t.match(await ok(t, ['clock', 'advance', '45000', '--admin', stub.address]), /^Advanced the clock 45000 ms to 1045000 .*; 3 timer\(s\) fired\n$/);
  t.same(
    stub.requests.map((r) => [r.method, r.url, r.body === '' ? null : JSON.parse(r.body)]),
    [
      ['GET', '/clock', null],
      ['POST', '/clock/advance', { ms: 691_200_000 }],
      ['POST', '/clock/advance', { ms: 45_000 }],
    ],
  );
  t.match(await ok(t, ['clock', 'pause', '--admin', stub.address]), /^Paused the clock at 1000000\n$/);
  t.match(await ok(t, ['clock', 'resume', '--admin', stub.address]), /^Resumed the clock at 1000000\n$/);
  t.match(await ok(t, ['fault', 'release', '7', '--admin', stub.address]), /^Released 2 request\(s\) held by fault 7\n$/);
  t.match(await ok(t, ['fault', 'wait', '7', '--timeout-ms', '500', '--admin', stub.address]), /^Fault 7 holds 1 request\(s\)\n$/);
  const none = await sluice(['fault', 'wait', '8', '--timeout-ms', '50', '--admin', stub.address]);
  t.equal(none.stderr, 'sluice: fault 8 held no request within 50 ms\n');
  t.same(
    stub.requests.slice(3).map((r) => [r.method, r.url, r.body === '' ? null : JSON.parse(r.body)]),
    [
      ['POST', '/clock/pause', {}],
      ['POST', '/clock/resume', {}],
      ['POST', '/faults/7/release', {}],
      ['POST', '/faults/7/wait', { timeoutMs: 500 }],
      ['POST', '/faults/8/wait', { timeoutMs: 50 }],
    ],
  );
  const wall = await sluice(['clock', 'advance', '1', '--admin', stub.address]);
  t.equal(wall.code, 1);
  t.equal(wall.stderr, 'sluice: clock advance: the admin endpoint answered 409: this broker runs on wall time; start it with --virtual-clock\n');
  const bad = await sluice(['clock', 'advance', 'soon', '--admin', stub.address]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^sluice: "soon" is not a duration/);

  const old = await stubAdmin(false);
  t.teardown(() => new Promise<void>((r) => old.server.close(() => r())));
  const absent = await sluice(['clock', 'advance', '1s', '--admin', old.address]);
  t.equal(absent.code, 1);
  t.equal(absent.stderr, `sluice: the admin endpoint at ${old.address} has no POST /clock/advance: this broker does not serve clock advance (an older sluice?)\n`);
});
