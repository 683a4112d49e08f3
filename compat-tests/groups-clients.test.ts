/**
 * Consumer groups with librdkafka (kcat -G, confluent-kafka-python) and kafka-python against a
 * real `sluice start` process: balanced consumers splitting a topic, the range, roundrobin and
 * cooperative-sticky assignors, static membership, and a kafka-python group resuming from its
 * committed offsets after a broker restart. Members run as separate processes that print what
 * they are assigned and read (python/ck_group_consume.py, python/kp_group_consume.py); every
 * message is checked by content, exactly once. Each test has its own broker and data directory.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { b64, PY_DIR, PYTHON, python, requireTool, run, spawnBroker, spawnWorker, stopBroker, tmpDataDir, until, type BrokerProcess, type Worker } from './harness.js';

type PEvent =
  | { ev: 'assign' | 'revoke' | 'lost'; partitions: number[] }
  | { ev: 'm'; partition: number; offset: number; value: string | null }
  | { ev: 'commit'; offsets: Array<[number, number]> }
  | { ev: 'error'; error: string }
  | { ev: 'running' }
  | { ev: 'stopped'; committed?: Array<[number, number]> };
type Msg = { p: number; o: number; v: string | null };

/** A group member as the tests see it, whatever the client. */
interface Member {
  readonly name: string;
  readonly worker: Worker<PEvent>;
  /** The current assignment (sorted), or undefined before the first one. */
  current(): number[] | undefined;
  msgs(): Msg[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (a: Iterable<number>) => [...a].sort((x, y) => x - y);

t.before(() => {
  requireTool('kcat');
  requireTool('confluent_kafka');
  requireTool('kafka');
});

interface Env {
  broker: BrokerProcess;
  dataDir: string;
  workers: Array<Worker<PEvent>>;
}

async function setup(t: Test): Promise<Env> {
  const data = tmpDataDir('sluice-groups-cl-');
  const env: Partial<Env> & { workers: Array<Worker<PEvent>> } = { dataDir: data.dir, workers: [] };
  t.teardown(async () => {
    await Promise.all(env.workers.map((w) => w.kill9()));
    await stopBroker(env.broker);
    data.remove();
  });
  env.broker = await spawnBroker({ dataDir: data.dir });
  return env as Env;
}

async function createTopic(env: Env, topic: string, numPartitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'compat-groups-setup', brokers: [env.broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** `count` values `${tag}-${partition}-${i}`, partition i % partitions. */
function values(tag: string, count: number, partitions: number): Array<{ partition: number; value: string }> {
  return Array.from({ length: count }, (_, i) => ({ partition: i % partitions, value: `${tag}-${i % partitions}-${i}` }));
}
const partitionOf = (v: string): number => Number(/-(\d+)-\d+$/.exec(v)?.[1] ?? -1);

/** Produces with confluent-kafka-python (librdkafka) or kafka-python; returns the values. */
async function produce(client: 'ck' | 'kp', bootstrap: string, topic: string, recs: Array<{ partition: number; value: string }>): Promise<string[]> {
  const input = recs.map((r) => JSON.stringify({ partition: r.partition, key: null, value: b64(r.value), headers: [] })).join('\n');
  const res = await python(client === 'ck' ? 'ck_produce.py' : 'kp_produce.py', [bootstrap, topic, '--acks', 'all'], { input, timeoutMs: 60_000 });
  const acked = res.stdout.trim().split('\n').filter(Boolean).length;
  if (acked !== recs.length) throw new Error(`${client} producer acknowledged ${acked} of ${recs.length}`);
  return recs.map((r) => r.value);
}

/** A Python group consumer script as a member. */
function pyMember(env: Env, name: string, script: 'ck_group_consume.py' | 'kp_group_consume.py', args: string[]): Member {
  const worker = spawnWorker<PEvent>(name, PYTHON, ['-u', join(PY_DIR, script), ...args]);
  env.workers.push(worker);
  return {
    name,
    worker,
    current: () => {
      let cur: Set<number> | undefined;
      for (const e of worker.events) {
        if (e.ev === 'assign') cur = new Set([...(cur ?? []), ...e.partitions]);
        else if (e.ev === 'revoke' || e.ev === 'lost') cur = new Set([...(cur ?? [])].filter((p) => !e.partitions.includes(p)));
      }
      return cur && sorted(cur);
    },
    msgs: () => worker.events.filter((e): e is Extract<PEvent, { ev: 'm' }> => e.ev === 'm').map((e) => ({ p: e.partition, o: e.offset, v: e.value })),
  };
}

/** kcat -G as a member: assignments from its "% Group … rebalanced" lines on stderr, records as "partition offset value" lines. */
function kcatMember(env: Env, name: string, group: string, topic: string, extra: string[] = []): Member {
  const args = ['-b', env.broker.bootstrap, '-u', '-G', group, '-X', `client.id=${name}`, '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=10000', '-X', 'heartbeat.interval.ms=500', '-X', 'auto.commit.interval.ms=200', '-f', '%p %o %s\\n', ...extra, topic];
  const worker = spawnWorker<PEvent>(name, 'kcat', args);
  env.workers.push(worker);
  return {
    name,
    worker,
    current: () => {
      let cur: number[] | undefined;
      for (const m of worker.stderr().matchAll(/rebalanced \(memberid [^)]*\): (assigned|revoked): ([^\n]*)/g)) {
        cur = m[1] === 'assigned' ? sorted([...m[2]!.matchAll(/ \[(\d+)\]/g)].map((x) => Number(x[1]))) : [];
      }
      return cur;
    },
    msgs: () => kcatLines(worker.lines),
  };
}

function kcatLines(lines: string[]): Msg[] {
  return lines
    .map((l) => /^(\d+) (\d+) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ p: Number(m[1]), o: Number(m[2]), v: m[3]! }));
}

const allMsgs = (ms: Member[]) => ms.flatMap((m) => m.msgs());

function describeMembers(ms: Member[]): string {
  return ms.map((m) => `${m.name}: assignment=${JSON.stringify(m.current())} messages=${m.msgs().length}\n  ${m.worker.describe().replace(/\n/g, '\n  ')}`).join('\n');
}

/** Until every member has a non-empty assignment and together they cover 0..partitions-1 with no overlap. */
async function waitBalanced(ms: Member[], partitions: number, timeoutMs: number): Promise<number[][]> {
  return until(
    `${ms.map((m) => m.name).join(', ')} to share ${partitions} partitions`,
    () => {
      for (const m of ms) m.worker.assertAlive();
      const cur = ms.map((m) => m.current());
      if (cur.some((a) => !a || a.length === 0)) return undefined;
      const all = cur.flatMap((a) => a!);
      return all.length === partitions && new Set(all).size === partitions ? (cur as number[][]) : undefined;
    },
    timeoutMs,
    () => describeMembers(ms),
  );
}

async function waitConsumed(ms: Member[], n: number, timeoutMs: number, filter: (m: Msg) => boolean = () => true): Promise<void> {
  await until(
    `${n} messages consumed by ${ms.map((m) => m.name).join(', ')}`,
    () => {
      for (const m of ms) m.worker.assertAlive();
      return allMsgs(ms).filter(filter).length >= n;
    },
    timeoutMs,
    () => `consumed ${allMsgs(ms).filter(filter).length}\n${describeMembers(ms)}`,
  );
}

function assertExactlyOnce(t: Test, got: Msg[], expected: string[], what: string): void {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const m of got) seen.set(m.v ?? '<null>', (seen.get(m.v ?? '<null>') ?? 0) + 1);
  const missing = expected.filter((v) => !seen.has(v));
  const dup = [...seen].filter(([, n]) => n > 1);
  const unexpected = [...seen.keys()].filter((v) => !want.has(v));
  const wrongPartition = got.filter((m) => m.v !== null && want.has(m.v) && partitionOf(m.v) !== m.p);
  t.equal(missing.length, 0, `${what}: nothing missing (of ${expected.length})`, { sample: missing.slice(0, 5) });
  t.equal(dup.length, 0, `${what}: nothing delivered twice`, { sample: dup.slice(0, 5) });
  t.equal(unexpected.length, 0, `${what}: nothing else delivered`, { sample: unexpected.slice(0, 5) });
  t.equal(wrongPartition.length, 0, `${what}: every record came from the partition it was sent to`, { sample: wrongPartition.slice(0, 5) });
}

/** Each member read only from the partitions it owns. */
function assertReadOwn(t: Test, ms: Member[], owned: number[][], only: (m: Msg) => boolean, what: string): void {
  ms.forEach((m, i) => {
    const read = sorted(new Set(m.msgs().filter(only).map((x) => x.p)));
    t.same(read, owned[i], `${what}: ${m.name} read from exactly its partitions ${JSON.stringify(owned[i])}`);
  });
}

async function stopAll(t: Test, ms: Member[]): Promise<void> {
  const res = await Promise.all(ms.map((m) => m.worker.stop(20_000)));
  res.forEach((r, i) => t.equal(r.code, 0, `${ms[i]!.name} exits 0 on SIGTERM`, { worker: r.code === 0 ? undefined : ms[i]!.worker.describe() }));
}

t.test('kcat -G: two balanced consumers split the partitions, read everything once, and commit', { timeout: 120_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'kc-group';
  const group = 'kc-group-g';
  await createTopic(env, topic, 4);
  const ms = [kcatMember(env, 'kcat-a', group, topic), kcatMember(env, 'kcat-b', group, topic)];
  const owned = await waitBalanced(ms, 4, 45_000);
  t.same(owned.map((a) => a.length), [2, 2], 'two partitions each');

  const sent: string[] = [];
  for (let p = 0; p < 4; p++) {
    const lines = Array.from({ length: 500 }, (_, i) => `kc-${p}-${i}`);
    const res = await run('kcat', ['-b', env.broker.bootstrap, '-P', '-t', topic, '-p', String(p), '-X', 'linger.ms=5'], { input: lines.join('\n') + '\n' });
    t.equal(res.code, 0, `kcat -P to partition ${p}`, { stderr: res.stderr });
    sent.push(...lines);
  }
  await waitConsumed(ms, 2000, 45_000);
  await sleep(1000); // auto.commit.interval.ms=200; also lets a late duplicate show up
  assertExactlyOnce(t, allMsgs(ms), sent, 'kcat -G');
  assertReadOwn(t, ms, owned, () => true, 'kcat -G');
  for (let p = 0; p < 4; p++) {
    t.same(allMsgs(ms).filter((m) => m.p === p).map((m) => m.o), Array.from({ length: 500 }, (_, i) => i), `partition ${p} read at offsets 0..499 in order`);
  }
  await stopAll(t, ms);

  // The offsets they committed hold: a new member of the group reads only what came after.
  const more = Array.from({ length: 40 }, (_, i) => `kc-${i % 4}-more${i}`);
  for (let p = 0; p < 4; p++) {
    await run('kcat', ['-b', env.broker.bootstrap, '-P', '-t', topic, '-p', String(p)], { input: more.filter((v) => v.startsWith(`kc-${p}-`)).join('\n') + '\n' });
  }
  const again = await run(
    'kcat',
    ['-b', env.broker.bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=10000', '-X', 'heartbeat.interval.ms=500', '-f', '%p %o %s\\n', '-e', topic],
    { timeoutMs: 45_000 },
  );
  t.equal(again.code, 0, 'kcat -G -e exits at the end', { stderr: again.stderr.slice(-2000) });
  const got = kcatLines(again.stdout.split('\n'));
  t.same(got.map((m) => m.v).sort(), [...more].sort(), 'a new member resumes at the committed offsets: only the 40 new records');
  t.same(sorted(new Set(got.map((m) => m.o))), Array.from({ length: 10 }, (_, i) => 500 + i), 'at offsets 500..509');
});

const strategies: Array<{ strategy: string; shape: (a: number[][]) => number[][]; expected: number[][] | null }> = [
  { strategy: 'range', shape: (a) => a.map(sorted).sort((x, y) => x[0]! - y[0]!), expected: [[0, 1, 2], [3, 4, 5]] },
  { strategy: 'roundrobin', shape: (a) => a.map(sorted).sort((x, y) => x[0]! - y[0]!), expected: [[0, 2, 4], [1, 3, 5]] },
  { strategy: 'cooperative-sticky', shape: (a) => a.map((x) => [x.length]), expected: [[3], [3]] },
];

for (const { strategy, shape, expected } of strategies) {
  t.test(`confluent-kafka-python group with partition.assignment.strategy=${strategy}: a second member takes half, everything read once`, { timeout: 120_000 }, async (t) => {
    const env = await setup(t);
    const topic = `ck-${strategy}`;
    const group = `ck-${strategy}-g`;
    await createTopic(env, topic, 6);
    const args = (name: string) => [env.broker.bootstrap, group, topic, '--strategy', strategy, '--client-id', name];
    const a = pyMember(env, `${strategy}-a`, 'ck_group_consume.py', args(`${strategy}-a`));
    await waitBalanced([a], 6, 45_000);
    const phase1 = await produce('ck', env.broker.bootstrap, topic, values('one', 600, 6));
    await waitConsumed([a], 600, 30_000);
    await sleep(1000); // a's auto commit (every 200 ms) covers phase 1

    const b = pyMember(env, `${strategy}-b`, 'ck_group_consume.py', args(`${strategy}-b`));
    const ms = [a, b];
    const owned = await waitBalanced(ms, 6, 45_000);
    t.same(shape(owned), expected, `${strategy}: assignment ${JSON.stringify(owned)}`);

    const revokedByA = a.worker.events.flatMap((e) => (e.ev === 'revoke' ? e.partitions : []));
    if (strategy === 'cooperative-sticky') {
      t.same(sorted(revokedByA), owned[1], 'cooperative: the first member gives up only the partitions that move');
      t.ok(a.worker.events.every((e) => e.ev !== 'lost'), 'no partitions lost');
    } else {
      t.same(sorted(new Set(revokedByA)), [0, 1, 2, 3, 4, 5], 'eager: the first member revokes its whole assignment, then gets its share');
    }

    const phase2 = await produce('ck', env.broker.bootstrap, topic, values('two', 600, 6));
    await waitConsumed(ms, 1200, 45_000);
    await sleep(1000);
    assertExactlyOnce(t, allMsgs(ms), [...phase1, ...phase2], strategy);
    assertReadOwn(t, ms, owned, (m) => m.v?.startsWith('two-') ?? false, `${strategy} after the rebalance`);
    t.equal(b.msgs().filter((m) => m.v?.startsWith('one-')).length, 0, 'the second member starts at the offsets the first committed');

    await stopAll(t, ms);
    const committed = ms.flatMap((m) => m.worker.events.filter((e): e is Extract<PEvent, { ev: 'stopped' }> => e.ev === 'stopped').flatMap((e) => e.committed ?? []));
    t.same(committed.sort((x, y) => x[0] - y[0]), [0, 1, 2, 3, 4, 5].map((p) => [p, 200]), 'committed offsets at close: the end of every partition');
    const errors = ms.flatMap((m) => m.worker.events.filter((e) => e.ev === 'error'));
    t.same(errors, [], 'no consumer errors');
  });
}

t.test('confluent-kafka-python static membership: a member restarted with the same group.instance.id gets its partitions back, the other keeps its own', { timeout: 120_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'ck-static';
  const group = 'ck-static-g';
  await createTopic(env, topic, 4);
  const args = (name: string, instance: string) => [env.broker.bootstrap, group, topic, '--instance-id', instance, '--session-timeout', '30000', '--commit', 'sync', '--client-id', name];
  const a = pyMember(env, 'static-a', 'ck_group_consume.py', args('static-a', 'instance-a'));
  const b = pyMember(env, 'static-b', 'ck_group_consume.py', args('static-b', 'instance-b'));
  const [ownedA, ownedB] = (await waitBalanced([a, b], 4, 45_000)) as [number[], number[]];
  t.same([ownedA.length, ownedB.length], [2, 2], 'range: two partitions each');

  const phase1 = await produce('ck', env.broker.bootstrap, topic, values('one', 400, 4));
  await waitConsumed([a, b], 400, 30_000);
  const commitsOf = (ms: Member[]) => {
    const c = new Map<number, number>();
    for (const m of ms) for (const e of m.worker.events) if (e.ev === 'commit') for (const [p, o] of e.offsets) c.set(p, Math.max(o, c.get(p) ?? -1));
    return c;
  };
  await until('phase 1 committed', () => [0, 1, 2, 3].every((p) => commitsOf([a, b]).get(p) === 100), 20_000, () => JSON.stringify([...commitsOf([a, b])]));
  assertExactlyOnce(t, allMsgs([a, b]), phase1, 'before the restart');

  const bEventsBefore = b.worker.events.filter((e) => e.ev === 'assign' || e.ev === 'revoke' || e.ev === 'lost').length;
  await a.worker.kill9();
  const a2 = pyMember(env, 'static-a2', 'ck_group_consume.py', args('static-a2', 'instance-a'));
  const restartedAt = Date.now();
  const back = await until(
    'the restarted static member to get an assignment (well within the 30 s session timeout)',
    () => {
      a2.worker.assertAlive();
      b.worker.assertAlive();
      const cur = a2.current();
      return cur && cur.length > 0 ? cur : undefined;
    },
    20_000,
    () => describeMembers([a2, b]),
  );
  t.same(back, ownedA, `the restarted member gets its partitions ${JSON.stringify(ownedA)} back (${Date.now() - restartedAt} ms)`);
  await sleep(2500); // several heartbeat intervals: a rebalance would reach the other member now
  t.same(
    b.worker.events.filter((e) => e.ev === 'assign' || e.ev === 'revoke' || e.ev === 'lost').slice(bEventsBefore),
    [],
    'the other member saw no rebalance: nothing revoked, nothing reassigned',
  );
  t.same(b.current(), ownedB, 'the other member still owns its partitions');

  const phase2 = await produce('ck', env.broker.bootstrap, topic, values('two', 400, 4));
  await waitConsumed([a2, b], 400, 30_000, (m) => m.v?.startsWith('two-') ?? false);
  await sleep(1000);
  assertExactlyOnce(t, allMsgs([a2, b]).filter((m) => m.v?.startsWith('two-')), phase2, 'after the restart');
  assertReadOwn(t, [a2, b], [ownedA, ownedB], (m) => m.v?.startsWith('two-') ?? false, 'after the restart');
  t.equal(a2.msgs().filter((m) => m.v?.startsWith('one-')).length, 0, 'the restarted member resumes at its committed offsets');
  await stopAll(t, [a2, b]);
});

t.test('kafka-python: two members split a topic and commit; after a broker restart a new member resumes at the committed offsets', { timeout: 150_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'kp-group';
  const group = 'kp-group-g';
  await createTopic(env, topic, 4);
  const args = (name: string) => [env.broker.bootstrap, group, topic, '--client-id', name];
  const ms = [pyMember(env, 'kp-a', 'kp_group_consume.py', args('kp-a')), pyMember(env, 'kp-b', 'kp_group_consume.py', args('kp-b'))];
  const owned = await waitBalanced(ms, 4, 60_000);
  t.same(owned.map(sorted).sort((x, y) => x[0]! - y[0]!), [[0, 1], [2, 3]], 'the range assignor (first in kafka-python\'s list) splits 4 partitions 2 + 2');

  const phase1 = await produce('kp', env.broker.bootstrap, topic, values('one', 800, 4));
  await waitConsumed(ms, 800, 45_000);
  const commitsOf = (list: Member[]) => {
    const c = new Map<number, number>();
    for (const m of list) for (const e of m.worker.events) if (e.ev === 'commit') for (const [p, o] of e.offsets) c.set(p, Math.max(o, c.get(p) ?? -1));
    return c;
  };
  await until('phase 1 committed', () => [0, 1, 2, 3].every((p) => commitsOf(ms).get(p) === 200), 20_000, () => JSON.stringify([...commitsOf(ms)]));
  await sleep(500);
  assertExactlyOnce(t, allMsgs(ms), phase1, 'kafka-python group');
  assertReadOwn(t, ms, owned, () => true, 'kafka-python group');
  await stopAll(t, ms);

  t.equal(await stopBroker(env.broker), 0, 'broker stops cleanly on SIGTERM');
  env.broker = await spawnBroker({ dataDir: env.dataDir });
  const phase2 = await produce('kp', env.broker.bootstrap, topic, values('two', 400, 4));

  const c = pyMember(env, 'kp-c', 'kp_group_consume.py', [env.broker.bootstrap, group, topic, '--client-id', 'kp-c']);
  await waitBalanced([c], 4, 60_000);
  await waitConsumed([c], 400, 45_000);
  await sleep(1500);
  assertExactlyOnce(t, c.msgs(), phase2, 'after the restart');
  t.equal(c.msgs().filter((m) => m.v?.startsWith('one-')).length, 0, 'nothing committed before the restart is read again');
  for (let p = 0; p < 4; p++) {
    t.same(c.msgs().filter((m) => m.p === p).map((m) => m.o), Array.from({ length: 100 }, (_, i) => 200 + i), `partition ${p} resumes at offset 200`);
  }
  await stopAll(t, [c]);
});
