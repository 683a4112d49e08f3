/**
 * Consumer groups with kafkajs 2.2.4 against a real `sluice start` process: three members
 * splitting a topic, a member killed without leaving, members and broker restarted, eachBatch /
 * seek / pause / resume, and the admin group calls. Members that must be killed run as separate
 * processes (kafkajs-group-worker.ts); every message is checked by content, exactly once.
 * Each test has its own broker and data directory. No broker overrides: the session timeouts
 * used (6-10 s) are inside Kafka's default group.min/max.session.timeout.ms as well.
 */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { AssignerProtocol, Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { spawnBroker, spawnWorker, stopBroker, tmpDataDir, until, type BrokerProcess, type Worker } from './harness.js';
import type { WorkerConfig } from './kafkajs-group-worker.js';

const WORKER = fileURLToPath(new URL('./kafkajs-group-worker.js', import.meta.url));

type KEvent =
  | { ev: 'join'; memberId: string; leaderId: string; isLeader: boolean; assignment: number[] }
  | { ev: 'm'; p: number; o: number; v: string | null }
  | { ev: 'commit'; gen: number; offsets: Array<[number, number]> }
  | { ev: 'crash'; error: string; restart: boolean }
  | { ev: 'running' }
  | { ev: 'stopped' }
  | { ev: 'stop-error'; error: string };
type KWorker = Worker<KEvent>;
type Msg = { p: number; o: number; v: string | null };

/** DescribeGroups' per-group error code: kafkajs returns it, its types leave it out. */
const errorCodeOf = (g: object): number | undefined => (g as { errorCode?: number }).errorCode;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bounded<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface Env {
  broker: BrokerProcess;
  dataDir: string;
  workers: KWorker[];
  /** Run (bounded) at teardown before the broker stops: in-process clients to disconnect. */
  closers: Array<() => Promise<unknown>>;
  kafka(): Kafka;
}

/** A broker on its own data directory; teardown kills every worker by PID, disconnects clients, stops the broker, removes the directory. */
async function setup(t: Test): Promise<Env> {
  const data = tmpDataDir('sluice-groups-kjs-');
  const env: Partial<Env> & { workers: KWorker[]; closers: Array<() => Promise<unknown>> } = { dataDir: data.dir, workers: [], closers: [] };
  t.teardown(async () => {
    await Promise.all(env.workers.map((w) => w.kill9()));
    for (const c of env.closers) await bounded(c().catch(() => undefined), 5000);
    await stopBroker(env.broker);
    data.remove();
  });
  env.broker = await spawnBroker({ dataDir: data.dir });
  env.kafka = () => new Kafka({ clientId: 'compat-groups', brokers: [env.broker!.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  return env as Env;
}

async function connectedAdmin(env: Env): Promise<Admin> {
  const admin = env.kafka().admin();
  await admin.connect();
  env.closers.push(() => admin.disconnect());
  return admin;
}

async function connectedProducer(env: Env): Promise<Producer> {
  const producer = env.kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  env.closers.push(() => producer.disconnect());
  return producer;
}

/** Sends `count` records `${tag}-${i}` to partition i % partitions, 1000 per request, acks=-1; returns the values. */
async function produce(producer: Producer, topic: string, tag: string, count: number, partitions: number, only?: number[]): Promise<string[]> {
  const values: string[] = [];
  const messages: Array<{ partition: number; value: string }> = [];
  for (let i = 0; messages.length < count; i++) {
    const partition = only ? only[i % only.length]! : i % partitions;
    messages.push({ partition, value: `${tag}-${partition}-${i}` });
  }
  for (let i = 0; i < messages.length; i += 1000) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
  }
  values.push(...messages.map((m) => m.value));
  return values;
}

const partitionOf = (v: string): number => Number(/-(\d+)-\d+$/.exec(v)?.[1] ?? -1);

function startWorker(env: Env, name: string, cfg: Omit<WorkerConfig, 'bootstrap' | 'clientId'>): KWorker {
  const full: WorkerConfig = { bootstrap: env.broker.bootstrap, clientId: name, ...cfg };
  const w = spawnWorker<KEvent>(name, process.execPath, [WORKER, JSON.stringify(full)]);
  env.workers.push(w);
  return w;
}

const joins = (w: KWorker) => w.events.filter((e): e is Extract<KEvent, { ev: 'join' }> => e.ev === 'join');
const lastJoin = (w: KWorker) => joins(w).at(-1);
const msgs = (w: KWorker): Msg[] => w.events.filter((e): e is Extract<KEvent, { ev: 'm' }> => e.ev === 'm');
const allMsgs = (ws: KWorker[]): Msg[] => ws.flatMap(msgs);

/** Latest committed offset per partition, from the worker's successful OffsetCommits. */
function committed(ws: KWorker[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const w of ws) for (const e of w.events) if (e.ev === 'commit') for (const [p, o] of e.offsets) out.set(p, Math.max(o, out.get(p) ?? -1));
  return out;
}

function describeWorkers(ws: KWorker[]): string {
  return ws
    .map((w) => `${w.name}: joins=${JSON.stringify(joins(w).map((j) => j.assignment))} messages=${msgs(w).length} crashes=${JSON.stringify(w.events.filter((e) => e.ev === 'crash'))}\n  ${w.describe().replace(/\n/g, '\n  ')}`)
    .join('\n');
}

/**
 * Waits until every worker's latest join carries a non-empty assignment and together they cover
 * 0..partitions-1 with no partition twice (so all of them are in the same, final generation).
 * `after` (per worker) requires a join newer than that many joins.
 */
async function waitBalanced(ws: KWorker[], partitions: number, timeoutMs: number, after?: number[]): Promise<number[][]> {
  return until(
    `${ws.length} members to share ${partitions} partitions`,
    () => {
      for (const w of ws) w.assertAlive();
      const latest = ws.map((w, i) => (joins(w).length > (after?.[i] ?? 0) ? lastJoin(w)?.assignment : undefined));
      if (latest.some((a) => !a || a.length === 0)) return undefined;
      const all = latest.flatMap((a) => a!);
      const unique = new Set(all);
      if (all.length !== partitions || unique.size !== partitions) return undefined;
      return latest as number[][];
    },
    timeoutMs,
    () => describeWorkers(ws),
  );
}

/** Exactly `expected` (as a set of values) was read, each once, each from its own partition. */
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

/**
 * Offsets read from each partition are exactly from..to-1, each member reading its share in
 * ascending order (a partition may move between members in a rebalance, after a commit).
 */
function assertOffsets(t: Test, members: Msg[][], partitions: number, from: number, to: number, what: string): void {
  for (let p = 0; p < partitions; p++) {
    const perMember = members.map((got) => got.filter((m) => m.p === p).map((m) => m.o));
    const unordered = perMember.filter((offs) => offs.some((o, i) => i > 0 && o <= offs[i - 1]!));
    const all = perMember.flat().sort((a, b) => a - b);
    const expected = Array.from({ length: to - from }, (_, i) => from + i);
    t.same(all, expected, `${what}: partition ${p} read at offsets ${from}..${to - 1}`);
    t.same(unordered, [], `${what}: partition ${p} read in order by each member`);
  }
}

async function stopAll(t: Test, ws: KWorker[]): Promise<void> {
  const results = await Promise.all(ws.map((w) => w.stop(15000)));
  results.forEach((r, i) => {
    const w = ws[i]!;
    t.equal(r.code, 0, `${w.name} stops cleanly on SIGTERM (disconnect leaves the group)`, { worker: r.code === 0 ? undefined : w.describe() });
    t.ok(w.events.some((e) => e.ev === 'stopped'), `${w.name} reports stopped`);
  });
}

t.test('three kafkajs consumers in one group read 30,000 messages from 6 partitions exactly once', { timeout: 150_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'g-three';
  const groupId = 'g-three-group';
  const admin = await connectedAdmin(env);
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });

  const ws = [0, 1, 2].map((i) => startWorker(env, `three-c${i}`, { groupId, topic }));
  const assignments = await waitBalanced(ws, 6, 45_000);
  t.same(
    assignments.map((a) => a.length),
    [2, 2, 2],
    'the round-robin assigner gives each member two partitions',
  );
  t.equal(new Set(ws.map((w) => lastJoin(w)!.leaderId)).size, 1, 'all members agree on the leader');
  t.equal(ws.filter((w) => lastJoin(w)!.isLeader).length, 1, 'exactly one member is the leader');

  const described = (await admin.describeGroups([groupId])).groups[0]!;
  t.equal(errorCodeOf(described), 0, 'DescribeGroups: no error');
  t.equal(described.state, 'Stable', 'DescribeGroups: Stable');
  t.equal(described.protocolType, 'consumer', 'DescribeGroups: protocol type consumer');
  t.equal(described.protocol, 'RoundRobinAssigner', 'the protocol every member offered');
  t.equal(described.members.length, 3, 'DescribeGroups lists three members');
  for (const w of ws) {
    const j = lastJoin(w)!;
    const m = described.members.find((x) => x.memberId === j.memberId);
    t.ok(m, `${w.name}'s member id ${j.memberId} is listed`);
    if (!m) continue;
    t.equal(m.clientId, w.name, `${w.name}: client id`);
    const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    t.same([...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b), j.assignment, `${w.name}: DescribeGroups shows the assignment the member got from SyncGroup`);
  }

  const producer = await connectedProducer(env);
  const sent = await produce(producer, topic, 'three', 30_000, 6);
  await until('30,000 messages consumed', () => allMsgs(ws).length >= 30_000 && allMsgs(ws), 60_000, () => `consumed ${allMsgs(ws).length}\n${describeWorkers(ws)}`);
  await sleep(1000); // a late duplicate would show up here
  const got = allMsgs(ws);
  assertExactlyOnce(t, got, sent, 'three members');
  assertOffsets(t, ws.map(msgs), 6, 0, 5000, 'three members');
  ws.forEach((w, i) => {
    const read = new Set(msgs(w).map((m) => m.p));
    t.same([...read].sort((a, b) => a - b), assignments[i], `${w.name} read from exactly its assigned partitions`);
  });
  await stopAll(t, ws);
});

t.test('a kafkajs consumer killed without leaving: its partitions move to the others after the session timeout', { timeout: 150_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'g-kill';
  const groupId = 'g-kill-group';
  const sessionTimeout = 6000;
  const admin = await connectedAdmin(env);
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const ws = [0, 1, 2].map((i) => startWorker(env, `kill-c${i}`, { groupId, topic, sessionTimeout, heartbeatInterval: 500 }));
  const assignments = await waitBalanced(ws, 6, 45_000);

  const producer = await connectedProducer(env);
  const phaseA = await produce(producer, topic, 'before', 3000, 6);
  await until(
    'phase A consumed and committed',
    () => allMsgs(ws).length >= 3000 && [0, 1, 2, 3, 4, 5].every((p) => committed(ws).get(p) === 500),
    45_000,
    () => `consumed ${allMsgs(ws).length}, committed ${JSON.stringify([...committed(ws)])}\n${describeWorkers(ws)}`,
  );

  const victim = ws[2]!;
  const survivors = ws.slice(0, 2);
  const victimParts = assignments[2]!;
  const joinsBefore = survivors.map((w) => joins(w).length);
  const msgsBefore = survivors.map((w) => msgs(w).length);
  await victim.kill9();
  const killedAt = Date.now();
  const phaseB = await produce(producer, topic, 'after', 3000, 6);

  const newAssignments = await waitBalanced(survivors, 6, sessionTimeout + 30_000, joinsBefore);
  const movedAfter = Date.now() - killedAt;
  t.ok(movedAfter >= sessionTimeout - 2000, `partitions moved ${movedAfter} ms after the kill: not before the ${sessionTimeout} ms session timeout (a dropped connection does not remove a member)`);
  t.ok(movedAfter <= sessionTimeout + 20_000, `partitions moved ${movedAfter} ms after the kill: soon after the session timeout`);
  for (const p of victimParts) t.ok(newAssignments.some((a) => a.includes(p)), `the killed member's partition ${p} is now assigned to a survivor`);

  await until(
    'phase B consumed by the survivors',
    () => allMsgs(survivors).filter((m) => m.v?.startsWith('after-')).length >= 3000,
    45_000,
    () => `phase B consumed ${allMsgs(survivors).filter((m) => m.v?.startsWith('after-')).length}\n${describeWorkers(ws)}`,
  );
  await sleep(1000);
  const afterKill = survivors.flatMap((w, i) => msgs(w).slice(msgsBefore[i]));
  assertExactlyOnce(t, afterKill, phaseB, 'messages produced after the kill, read by the survivors');
  assertExactlyOnce(t, allMsgs(ws), [...phaseA, ...phaseB], 'all messages (phase A was committed before the kill, so none again)');
  await stopAll(t, survivors);
});

t.test('kafkajs consumers and then the broker restart: consumption resumes at the committed offsets', { timeout: 150_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'g-restart';
  const groupId = 'g-restart-group';
  let admin = await connectedAdmin(env);
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const first = [0, 1, 2].map((i) => startWorker(env, `restart-a${i}`, { groupId, topic }));
  await waitBalanced(first, 6, 45_000);
  let producer = await connectedProducer(env);
  const phase1 = await produce(producer, topic, 'one', 1800, 6);
  await until(
    'phase 1 consumed and committed',
    () => allMsgs(first).length >= 1800 && [0, 1, 2, 3, 4, 5].every((p) => committed(first).get(p) === 300),
    45_000,
    () => `consumed ${allMsgs(first).length}, committed ${JSON.stringify([...committed(first)])}\n${describeWorkers(first)}`,
  );
  await stopAll(t, first);
  assertExactlyOnce(t, allMsgs(first), phase1, 'phase 1');

  const byPartition = (offs: Awaited<ReturnType<Admin['fetchOffsets']>>) =>
    offs[0]!.partitions.map((p) => [p.partition, p.offset] as const).sort((a, b) => a[0] - b[0]);
  const empty = (await admin.describeGroups([groupId])).groups[0]!;
  t.equal(empty.state, 'Empty', 'after every member left, the group is Empty');
  t.same(empty.members, [], 'and has no members');
  t.same(byPartition(await admin.fetchOffsets({ groupId, topics: [topic] })), [0, 1, 2, 3, 4, 5].map((p) => [p, '300']), 'committed offsets before the restart');

  const phase2 = await produce(producer, topic, 'two', 1200, 6); // produced while no member runs
  await producer.disconnect();
  await admin.disconnect();
  t.equal(await stopBroker(env.broker), 0, 'broker stops cleanly on SIGTERM');
  env.broker = await spawnBroker({ dataDir: env.dataDir });

  admin = await connectedAdmin(env);
  t.same(byPartition(await admin.fetchOffsets({ groupId, topics: [topic] })), [0, 1, 2, 3, 4, 5].map((p) => [p, '300']), 'committed offsets survive the restart (read from __consumer_offsets)');
  const listed = (await admin.listGroups()).groups.find((g) => g.groupId === groupId);
  t.same(listed, { groupId, protocolType: 'consumer' }, 'the group is listed after the restart');
  t.equal((await admin.describeGroups([groupId])).groups[0]!.state, 'Empty', 'and is Empty after the restart');

  producer = await connectedProducer(env);
  const phase3 = await produce(producer, topic, 'three', 1200, 6);
  const second = [0, 1, 2].map((i) => startWorker(env, `restart-b${i}`, { groupId, topic, fromBeginning: true }));
  await waitBalanced(second, 6, 45_000);
  await until(
    'phases 2 and 3 consumed after the restart',
    () => allMsgs(second).length >= 2400,
    45_000,
    () => `consumed ${allMsgs(second).length}\n${describeWorkers(second)}`,
  );
  await sleep(1500);
  const got = allMsgs(second);
  assertExactlyOnce(t, got, [...phase2, ...phase3], 'after the restart: exactly what was produced after the last commit');
  t.equal(got.filter((m) => m.v?.startsWith('one-')).length, 0, 'nothing committed before the restart is delivered again');
  assertOffsets(t, second.map(msgs), 6, 300, 700, 'after the restart');
  await until('final commits', () => [0, 1, 2, 3, 4, 5].every((p) => committed(second).get(p) === 700), 20_000, () => JSON.stringify([...committed(second)]));
  await stopAll(t, second);
  t.same(byPartition(await admin.fetchOffsets({ groupId, topics: [topic] })), [0, 1, 2, 3, 4, 5].map((p) => [p, '700']), 'final committed offsets');
});

t.test('kafkajs eachBatch, seek, pause and resume in a group', { timeout: 120_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'g-batch';
  const groupId = 'g-batch-group';
  const admin = await connectedAdmin(env);
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = await connectedProducer(env);
  const sent = await produce(producer, topic, 'eb', 900, 3);

  const consumer: Consumer = env.kafka().consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  env.closers.push(() => consumer.disconnect());
  const got: Msg[] = [];
  const batches: Array<{ p: number; first: number; last: number; hw: number; offsets: number[] }> = [];
  let crashed = '';
  consumer.on(consumer.events.CRASH, (e) => (crashed += `${String(e.payload.error)}\n`));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const offsets: number[] = [];
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) break;
        got.push({ p: batch.partition, o: Number(m.offset), v: m.value?.toString() ?? null });
        offsets.push(Number(m.offset));
        resolveOffset(m.offset);
      }
      batches.push({ p: batch.partition, first: Number(batch.firstOffset()), last: Number(batch.lastOffset()), hw: Number(batch.highWatermark), offsets });
      await heartbeat();
    },
  });
  const diag = () => `got ${got.length}; batches ${JSON.stringify(batches.map((b) => [b.p, b.first, b.last, b.offsets.length]))}; crashes: ${crashed}`;
  await until('900 messages through eachBatch', () => got.length >= 900, 45_000, diag);
  await sleep(500);
  assertExactlyOnce(t, got, sent, 'eachBatch');
  assertOffsets(t, [got], 3, 0, 300, 'eachBatch');
  t.equal(
    batches.reduce((n, b) => n + b.offsets.length, 0),
    900,
    'batches add up to 900 messages',
  );
  let badBatches = 0;
  for (const b of batches) {
    const contiguous = b.offsets.every((o, i) => i === 0 || o === b.offsets[i - 1]! + 1);
    if (!(b.offsets.length > 0 && contiguous && b.first === b.offsets[0] && b.last === b.offsets.at(-1) && b.hw === 300)) {
      if (badBatches++ < 3) t.fail('batch fields disagree with its messages', { batch: b });
    }
  }
  t.equal(badBatches, 0, 'every batch: contiguous offsets, firstOffset/lastOffset match its messages, highWatermark 300');

  // seek: partition 1 back to offset 250 re-delivers exactly 250..299 of partition 1.
  const beforeSeek = got.length;
  consumer.seek({ topic, partition: 1, offset: '250' });
  await until('re-delivery after seek', () => got.length >= beforeSeek + 50, 20_000, diag);
  await sleep(1000);
  const afterSeek = got.slice(beforeSeek);
  t.same(
    afterSeek.map((m) => [m.p, m.o]),
    Array.from({ length: 50 }, (_, i) => [1, 250 + i]),
    'seek re-delivers partition 1 from offset 250 to the end, and nothing else',
  );

  // pause partition 2: new records on partition 0 arrive, those on partition 2 wait for resume.
  consumer.pause([{ topic, partitions: [2] }]);
  t.same(consumer.paused(), [{ topic, partitions: [2] }], 'paused() lists partition 2');
  const beforePause = got.length;
  const more = await produce(producer, topic, 'pz', 60, 3, [0, 2]);
  await until('partition 0 records while 2 is paused', () => got.slice(beforePause).filter((m) => m.p === 0).length >= 30, 20_000, diag);
  await sleep(1500);
  t.equal(got.slice(beforePause).filter((m) => m.p === 2).length, 0, 'nothing from the paused partition');
  consumer.resume([{ topic, partitions: [2] }]);
  t.same(consumer.paused(), [], 'paused() is empty after resume');
  await until('partition 2 records after resume', () => got.slice(beforePause).filter((m) => m.p === 2).length >= 30, 20_000, diag);
  await sleep(500);
  const afterPause = got.slice(beforePause);
  assertExactlyOnce(t, afterPause, more, 'pause/resume');
  t.same(afterPause.filter((m) => m.p === 2).map((m) => m.o), Array.from({ length: 30 }, (_, i) => 300 + i), 'partition 2 resumes at offset 300');

  await consumer.disconnect();
  const offsets = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, p.offset]).sort((a, b) => Number(a[0]) - Number(b[0]));
  t.same(offsets, [[0, '330'], [1, '300'], [2, '330']], 'committed offsets after disconnect');
  t.equal(crashed, '', 'the consumer never crashed');
});

t.test('kafkajs admin: listGroups, describeGroups, fetchOffsets, setOffsets, resetOffsets, deleteGroups', { timeout: 120_000 }, async (t) => {
  const env = await setup(t);
  const topic = 'g-admin';
  const groupId = 'g-admin-group';
  const admin = await connectedAdmin(env);
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = await connectedProducer(env);
  await produce(producer, topic, 'adm', 100, 2);

  const offsetsOf = async (g = groupId) =>
    (await admin.fetchOffsets({ groupId: g, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, p.offset] as const).sort((a, b) => a[0] - b[0]);

  // A running member that has consumed and committed everything.
  const runConsumer = async (clientId: string, fromBeginning: boolean, expect: number) => {
    const kafka = new Kafka({ clientId, brokers: [env.broker.bootstrap], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    env.closers.push(() => consumer.disconnect());
    const got: Msg[] = [];
    const commits = new Map<number, number>();
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => e.payload.topics.forEach((x) => x.partitions.forEach((p) => commits.set(Number(p.partition), Number(p.offset)))));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({ eachMessage: async ({ partition, message }) => void got.push({ p: partition, o: Number(message.offset), v: message.value?.toString() ?? null }) });
    await until(`${clientId} reads ${expect} messages and commits`, () => got.length >= expect && commits.get(0) === 50 && commits.get(1) === 50, 30_000, () => `got ${got.length}, commits ${JSON.stringify([...commits])}`);
    await sleep(500);
    return { consumer, got };
  };

  const first = await runConsumer('adm-consumer', true, 100);
  t.equal(first.got.length, 100, 'the member read all 100');
  const listed = (await admin.listGroups()).groups.filter((g) => g.groupId === groupId);
  t.same(listed, [{ groupId, protocolType: 'consumer' }], 'listGroups shows the group with protocol type consumer');
  const stable = (await admin.describeGroups([groupId])).groups[0]!;
  t.equal(errorCodeOf(stable), 0, 'describeGroups: no error');
  t.equal(stable.state, 'Stable', 'describeGroups: Stable while the member runs');
  t.equal(stable.protocolType, 'consumer', 'describeGroups: protocol type');
  t.equal(stable.protocol, 'RoundRobinAssigner', 'describeGroups: protocol');
  t.equal(stable.members.length, 1, 'describeGroups: one member');
  const member = stable.members[0]!;
  t.equal(member.clientId, 'adm-consumer', 'member client id');
  t.match(member.clientHost, /127\.0\.0\.1/, 'member client host');
  t.same(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.topics, [topic], 'member metadata: the subscription');
  const assigned = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {};
  t.same({ [topic]: [...(assigned[topic] ?? [])].sort() }, { [topic]: [0, 1] }, 'member assignment: both partitions');
  t.same(await offsetsOf(), [[0, '50'], [1, '50']], 'fetchOffsets while running');
  await t.rejects(admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] }), /must have no running instances, current state: Stable/, 'setOffsets refuses a running group');
  await t.rejects(admin.deleteGroups([groupId]), { name: 'KafkaJSDeleteGroupsError', groups: [{ groupId, errorCode: 68 }] }, 'deleteGroups of a group with members: NON_EMPTY_GROUP');

  await first.consumer.disconnect();
  const empty = (await admin.describeGroups([groupId])).groups[0]!;
  t.equal(empty.state, 'Empty', 'Empty after the member left');
  t.same(empty.members, [], 'no members');
  t.same((await admin.listGroups()).groups.filter((g) => g.groupId === groupId).length, 1, 'an Empty group is still listed');
  t.same(await offsetsOf(), [[0, '50'], [1, '50']], 'offsets kept after the member left');

  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '10' }, { partition: 1, offset: '45' }] });
  t.same(await offsetsOf(), [[0, '10'], [1, '45']], 'setOffsets');
  const second = await runConsumer('adm-consumer-2', false, 45);
  t.same(
    second.got.map((m) => [m.p, m.o]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
    [...Array.from({ length: 40 }, (_, i) => [0, 10 + i]), ...Array.from({ length: 5 }, (_, i) => [1, 45 + i])],
    'a new member starts exactly at the offsets set',
  );
  await second.consumer.disconnect();
  t.same(await offsetsOf(), [[0, '50'], [1, '50']], 'and commits up to the end');

  await admin.resetOffsets({ groupId, topic, earliest: true });
  t.same(await offsetsOf(), [[0, '-2'], [1, '-2']], 'resetOffsets earliest stores -2 (as Kafka does for kafkajs)');
  await admin.resetOffsets({ groupId, topic, earliest: false });
  t.same(await offsetsOf(), [[0, '-1'], [1, '-1']], 'resetOffsets latest stores -1');

  const deleted = await admin.deleteGroups([groupId]);
  t.match(deleted, [{ groupId, errorCode: 0 }], 'deleteGroups of the Empty group');
  t.same((await admin.listGroups()).groups.filter((g) => g.groupId === groupId), [], 'deleted group is not listed');
  const dead = (await admin.describeGroups([groupId])).groups[0]!;
  t.equal(dead.state, 'Dead', 'describeGroups of a deleted group: Dead');
  t.same(dead.members, [], 'no members');
  t.same(await offsetsOf(), [[0, '-1'], [1, '-1']], 'a deleted group has no committed offsets');
  await t.rejects(admin.deleteGroups(['g-admin-never-existed']), { name: 'KafkaJSDeleteGroupsError', groups: [{ groupId: 'g-admin-never-existed', errorCode: 69 }] }, 'deleteGroups of an unknown group: GROUP_ID_NOT_FOUND');
  const unknown = (await admin.describeGroups(['g-admin-never-existed'])).groups[0]!;
  t.same({ state: unknown.state, errorCode: errorCodeOf(unknown), members: unknown.members }, { state: 'Dead', errorCode: 0, members: [] }, 'describeGroups of an unknown group: Dead, no error');
});
