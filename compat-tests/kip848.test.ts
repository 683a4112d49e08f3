/**
 * KIP-848 consumer groups (group.protocol=consumer) with the newest clients against a real
 * `sluice start` process: the Java client 4.x and librdkafka (confluent-kafka from PyPI), each in a
 * group of three members with joins and leaves while records flow, every record consumed exactly
 * once; the group seen through ConsumerGroupDescribe and ListGroups; the requests the clients sent
 * (ConsumerGroupHeartbeat, never JoinGroup) recorded by the proxy in front of the broker. Then a
 * mixed group: a classic Java consumer, joined by a KIP-848 Java consumer and a KIP-848 librdkafka
 * consumer (the group is upgraded), who then leave (the group is downgraded, the classic member
 * takes everything back), every record once.
 */
import t, { type Test } from 'tap';
import { javaDriver, confluentNewestDriver } from './client-drivers.js';
import { createTopic, produceWithKafkajs, startEnv, unb64, type ClientDriver, type Env, type GroupEvent } from './newest-clients.js';
import { spawnWorker, until, type Worker } from './harness.js';
import { RawClient } from './raw-client.js';
import { ConsumerGroupDescribe, IncrementalAlterConfigs, ListGroups } from '../src/protocol/generated/index.js';

const PARTITIONS = 6;
/**
 * How long a member may take to commit, leave and close after SIGTERM (the Java driver gives up
 * at 40 s): Java members took more than the harness's default 15 s on a heavily loaded machine
 * (seen here and in CI's cluster test), for a reason not found yet.
 */
const CLOSE_MS = 45_000;

/** SIGTERM a member (it commits, leaves and closes) and check it closed cleanly; a failure's message ends with its stderr. */
async function closesCleanly(t: Test, w: Worker<GroupEvent>, what: string): Promise<void> {
  const { code, signal } = await w.stop(CLOSE_MS);
  t.equal(code, 0, code === 0 ? what : `${what}: exited code=${code} signal=${signal}; stderr ends: ${w.stderr().slice(-500)}`);
}

type Member = { driver: ClientDriver; protocol: 'classic' | 'consumer'; name: string };

/** The group's type and state as ListGroups v5 gives them. */
async function groupType(env: Env, group: string): Promise<string | undefined> {
  const raw = await RawClient.connect(env.broker.port);
  try {
    const listed = await raw.request(ListGroups, 5, { statesFilter: [], typesFilter: [] });
    return listed.groups.find((g) => g.groupId === group)?.groupType;
  } finally {
    raw.close();
  }
}

/** One group's members (driver processes) and what the tests ask of them; members are killed at teardown. */
function groupHarness(t: Test, env: Env, topic: string, group: string, partitions = PARTITIONS) {
  const workers: Array<Worker<GroupEvent>> = [];
  t.teardown(async () => {
    for (const w of workers) await w.kill9();
  });
  const assignment = (w: Worker<GroupEvent>): number[] => [...(w.events.filter((e) => e.event === 'assigned').at(-1)?.partitions ?? [])].sort((a, b) => a - b);
  const records = (w: Worker<GroupEvent>): GroupEvent[] => w.events.filter((e) => e.event === 'record');
  let produced: string[] = [];
  return {
    start(m: Member, extraEnv: NodeJS.ProcessEnv = {}): Worker<GroupEvent> {
      const c = m.driver.command(['group', env.bootstrap, topic, group, m.protocol]);
      const w = spawnWorker<GroupEvent>(`${m.name} (${m.protocol})`, c.cmd, c.args, { env: { ...c.env, ...extraEnv } });
      workers.push(w);
      return w;
    },
    assignment,
    records,
    diag: (): string => workers.map((m) => `${m.describe()}\nlast events: ${JSON.stringify(m.events.slice(-5))}\nstderr: ${m.stderr().slice(-1500)}`).join('\n'),
    /** The live members split every partition between them, each one some. */
    split: (ws: Array<Worker<GroupEvent>>) => () => {
      for (const w of ws) w.assertAlive();
      const all = ws.flatMap(assignment).sort((a, b) => a - b);
      return ws.every((w) => assignment(w).length > 0) && all.join() === Array.from({ length: partitions }, (_, i) => i).join();
    },
    async produce(label: string, n: number): Promise<void> {
      const values = Array.from({ length: n }, (_, i) => ({ partition: i % partitions, value: `${label}-${i}` }));
      await produceWithKafkajs(env, topic, values);
      produced = [...produced, ...values.map((v) => v.value)];
    },
    produced: (): string[] => produced,
    consumed: (): string[] => workers.flatMap(records).map((e) => unb64(e.value)!),
  };
}

async function mixedGroup(t: Test, env: Env): Promise<void> {
  const topic = 'kip848-mixed';
  const group = `${topic}-g`;
  await createTopic(env, topic, PARTITIONS);
  const { start, assignment, diag, split, produce, produced, consumed } = groupHarness(t, env, topic, group);

  const a = start({ driver: javaDriver, protocol: 'classic', name: 'java A' });
  await until('A owns all six partitions', () => (a.assertAlive(), assignment(a).length === PARTITIONS), 60_000, diag);
  t.equal(await groupType(env, group), 'classic', 'a classic group');
  await produce('one', 30);
  const b = start({ driver: javaDriver, protocol: 'consumer', name: 'java B' });
  const c = start({ driver: confluentNewestDriver, protocol: 'consumer', name: 'librdkafka C' });
  await until('A, B and C split the six partitions', split([a, b, c]), 90_000, diag);
  t.equal(await groupType(env, group), 'consumer', 'upgraded to a consumer group when the KIP-848 members joined');
  await produce('two', 60);
  await until('all 90 records consumed', () => consumed().length >= 90, 60_000, diag);
  await closesCleanly(t, b, 'B left cleanly');
  await closesCleanly(t, c, 'C left cleanly');
  await until('A owns all six partitions again', () => (a.assertAlive(), assignment(a).length === PARTITIONS), 90_000, diag);
  t.equal(await groupType(env, group), 'classic', 'downgraded to a classic group when the last KIP-848 member left');
  await produce('three', 30);
  await until('all 120 records consumed', () => consumed().length >= 120, 60_000, diag);
  await new Promise((r) => setTimeout(r, 1000));
  t.same(consumed().sort(), [...produced()].sort(), 'every record consumed exactly once through the upgrade and the downgrade');
  await closesCleanly(t, a, 'A closed cleanly');
}

async function threeMembersWithChurn(t: Test, env: Env, d: ClientDriver): Promise<void> {
  const topic = `kip848-${d.name.replace(/[^a-z0-9]/g, '')}`;
  const group = `${topic}-g`;
  await createTopic(env, topic, PARTITIONS);
  const h = groupHarness(t, env, topic, group);
  const { assignment, records, diag, split, produce, consumed } = h;
  const start = (name: string) => h.start({ driver: d, protocol: 'consumer', name: `${d.name} ${name}` });

  // The group's own session timeout (the GROUP config resource): 4 s instead of the broker's 45 s.
  const admin = await RawClient.connect(env.broker.port);
  const altered = await admin.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: 32, resourceName: group, configs: [{ name: 'consumer.session.timeout.ms', configOperation: 0, value: '4000' }] }], validateOnly: false });
  admin.close();
  t.equal(altered.responses[0]!.errorCode, 0, 'consumer.session.timeout.ms set for the group');

  const a = start('A');
  await until('A owns all six partitions', () => (a.assertAlive(), assignment(a).length === PARTITIONS), 60_000, diag);
  await produce('one', 30);
  const b = start('B');
  const c = start('C');
  // Reconciliation passes through uneven splits (a member still revoking, another waiting for
  // them); the uniform assignor's target is two each.
  const even = await until('A, B and C own two of the six partitions each', () => split([a, b, c])() && [a, b, c].every((w) => assignment(w).length === 2), 60_000, diag);
  t.ok(even, 'two partitions each (uniform assignor)');
  await produce('two', 60);
  await until('all 90 records consumed', () => consumed().length >= 90, 60_000, diag);

  // B leaves cleanly: A and C take its partitions.
  await closesCleanly(t, b, 'B left cleanly');
  await until('A and C split the six partitions', split([a, c]), 60_000, diag);
  await produce('three', 30);
  // D joins.
  const dd = start('D');
  await until('A, C and D split the six partitions', split([a, c, dd]), 60_000, diag);
  await produce('four', 30);
  await until('all 150 records consumed', () => consumed().length >= 150, 60_000, diag);
  await new Promise((r) => setTimeout(r, 1000));
  t.same(consumed().sort(), [...h.produced()].sort(), 'every record consumed exactly once across joins and leaves');
  for (const w of [a, c, dd]) {
    const owned = new Set(assignment(w));
    // Records consumed before a rebalance may be of partitions the member no longer owns; the
    // last ones must be of partitions it owns now.
    t.ok(records(w).slice(-3).every((e) => owned.has(e.partition!) || records(w).length === 0), `${w.name}: its latest records are of its partitions`);
  }

  // The broker's view: a consumer group with three members at the assignment epoch.
  const raw = await RawClient.connect(env.broker.port);
  try {
    const described = await until(
      'the group described as Stable',
      async () => {
        const res = await raw.request(ConsumerGroupDescribe, 1, { groupIds: [group], includeAuthorizedOperations: false });
        const g = res.groups[0]!;
        return g.errorCode === 0 && g.groupState === 'Stable' ? g : null;
      },
      30_000,
    );
    t.equal(described.members.length, 3, 'three members');
    t.equal(described.assignorName, 'uniform');
    t.ok(described.members.every((m) => m.memberEpoch === described.assignmentEpoch), 'every member at the assignment epoch');
    t.same(described.members.flatMap((m) => m.assignment.topicPartitions.flatMap((tp) => tp.partitions)).sort(), [0, 1, 2, 3, 4, 5], 'their assignments cover the topic once');
    t.ok(described.members.every((m) => m.assignment.topicPartitions.every((tp) => tp.topicName === topic)), 'topics named');
    const listed = await raw.request(ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] });
    t.ok(listed.groups.some((g) => g.groupId === group && g.groupType === 'consumer' && g.protocolType === 'consumer'), 'ListGroups v5 lists it as a consumer group');
  } finally {
    raw.close();
  }
  // kill -9 of D: the group's 4 s session timeout fences it and A and C take its partitions.
  const killedAt = Date.now();
  await dd.kill9();
  await until('A and C split the six partitions after D was killed', split([a, c]), 30_000, diag);
  t.ok(Date.now() - killedAt < 20_000, `reassigned ${Date.now() - killedAt} ms after the kill (session timeout 4 s; the broker default is 45 s)`);
  for (const w of [a, c]) await closesCleanly(t, w, `${w.name} closed cleanly`);
}

/** A regex subscription resolved by the broker: matching topics, also one created later; never others. */
async function regexSubscription(t: Test, env: Env, d: ClientDriver): Promise<void> {
  const base = `kip848re${d.name.replace(/[^a-z0-9]/g, '')}`;
  await createTopic(env, `${base}-a`, 2);
  await createTopic(env, `${base}-b`, 2);
  await createTopic(env, `${base}x-other`, 2);
  const c = d.command(['group', env.bootstrap, `re:${base}-.*`, `${base}-g`, 'consumer']);
  const w = spawnWorker<GroupEvent>(`${d.name} regex`, c.cmd, c.args, { env: c.env });
  t.teardown(() => w.kill9());
  const diag = (): string => `${w.describe()}\nlast events: ${JSON.stringify(w.events.slice(-5))}\nstderr: ${w.stderr().slice(-1500)}`;
  const values = () => w.events.filter((e) => e.event === 'record').map((e) => unb64(e.value)!).sort();
  await until('the member has an assignment', () => (w.assertAlive(), (w.events.filter((e) => e.event === 'assigned').at(-1)?.partitions?.length ?? 0) > 0), 60_000, diag);
  for (const topic of [`${base}-a`, `${base}-b`, `${base}x-other`]) await produceWithKafkajs(env, topic, [0, 1].map((p) => ({ partition: p, value: `${topic}:${p}` })));
  await until('the records of the two matching topics', () => values().length >= 4, 60_000, diag);
  await createTopic(env, `${base}-c`, 2);
  await produceWithKafkajs(env, `${base}-c`, [0, 1].map((p) => ({ partition: p, value: `${base}-c:${p}` })));
  await until('the records of the topic created later', () => values().length >= 6, 60_000, diag);
  await new Promise((r) => setTimeout(r, 1000));
  t.same(values(), [`${base}-a:0`, `${base}-a:1`, `${base}-b:0`, `${base}-b:1`, `${base}-c:0`, `${base}-c:1`], 'exactly the matching topics, the new one included; not the other');
  await closesCleanly(t, w, 'closed cleanly');
}

/** Static members (group.instance.id): one restarts within its session and gets its partitions back, the other never moves. */
async function staticMembership(t: Test, env: Env): Promise<void> {
  const topic = 'kip848-static';
  const group = `${topic}-g`;
  await createTopic(env, topic, 4);
  const h = groupHarness(t, env, topic, group, 4);
  const start = (instance: string) => h.start({ driver: javaDriver, protocol: 'consumer', name: `java ${instance}` }, { GROUP_INSTANCE_ID: instance });
  const assigned = (w: Worker<GroupEvent>) => w.events.filter((e) => e.event === 'assigned').map((e) => [...(e.partitions ?? [])].sort((x, y) => x - y).join(','));
  const diag = h.diag;
  const a = start('static-a');
  const b = start('static-b');
  await until('a and b own two partitions each', () => [a, b].every((w) => (w.assertAlive(), assigned(w).at(-1)?.split(',').length === 2)), 60_000, diag);
  const aParts = assigned(a).at(-1)!;
  const bHistory = assigned(b).length;
  await closesCleanly(t, a, 'a closed (a static member leaves with epoch -2)');
  const a2 = start('static-a');
  await until("a's next incarnation owns partitions", () => (a2.assertAlive(), (assigned(a2).at(-1) ?? '') !== ''), 60_000, diag);
  t.equal(assigned(a2).at(-1), aParts, 'the same partitions as before');
  await new Promise((r) => setTimeout(r, 2000));
  t.equal(assigned(b).length, bHistory, "b's assignment never changed");
  for (const w of [a2, b]) await closesCleanly(t, w, `${w.name} closed cleanly`);
}

for (const d of [javaDriver, confluentNewestDriver]) {
  t.test(`${d.label}: group.protocol=consumer`, async (t) => {
    d.check();
    const env = await startEnv(t, 'sluice');
    await t.test('three members with joins and leaves, every record exactly once', (t) => threeMembersWithChurn(t, env, d));
    await t.test('a regex subscription (SubscribedTopicRegex)', (t) => regexSubscription(t, env, d));
    const seen = env.versions.table();
    t.ok(seen.ConsumerGroupHeartbeat !== undefined, `the client sent ConsumerGroupHeartbeat (v${seen.ConsumerGroupHeartbeat})`);
    t.equal(seen.JoinGroup, undefined, 'and never JoinGroup');
    t.ok(seen.OffsetCommit !== undefined && Number(seen.OffsetCommit.split(',').at(-1)) >= 9, `commits with OffsetCommit v9+ (v${seen.OffsetCommit})`);
  });
}

t.test('a mixed group: classic and KIP-848 members, upgrade and downgrade', async (t) => {
  javaDriver.check();
  confluentNewestDriver.check();
  const env = await startEnv(t, 'sluice');
  await mixedGroup(t, env);
});

t.test('static members with the Java client (group.instance.id)', async (t) => {
  javaDriver.check();
  const env = await startEnv(t, 'sluice');
  await staticMembership(t, env);
});
