/**
 * The KIP-848 consumer group protocol in process: joins, epochs, revoke-before-assign, fencing,
 * static members, leave, session and rebalance timeouts, regex subscriptions, offsets, replay
 * from the stored records. The wire and real clients are exercised in compat-tests/kip848.test.ts.
 */
import t from 'tap';
import { VirtualClock } from '../control/clock.js';
import { silentLogger } from '../logger.js';
import { MemoryStore } from '../metadata/memory-store.js';
import { ErrorCode } from '../protocol/errors.js';
import { GroupCoordinator, type GroupSettings } from './coordinator.js';
import type { Assignment } from './assignors.js';
import type { HeartbeatRequest, HeartbeatResult, TopicLookup } from './consumer-protocol.js';
import { decodeAssignment, decodeKey, encodeAssignment } from './records.js';
import { Writer } from '../protocol/wire.js';
import { startBroker } from '../index.js';
import { ApiVersions } from '../protocol/generated/index.js';
import { RawClient } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

/** A ConsumerProtocolSubscription v1 (topics, no user data, owned partitions). */
function encodeSubscriptionV1(topics: string[], owned: Array<{ topic: string; partitions: number[] }>): Buffer {
  const w = new Writer(64);
  w.int16(1);
  w.arrayCount(topics.length);
  for (const t of topics) w.string(t);
  w.nullableBytes(null);
  w.arrayCount(owned.length);
  for (const o of owned) {
    w.string(o.topic);
    w.arrayCount(o.partitions.length);
    for (const p of o.partitions) w.int32(p);
  }
  return Buffer.from(w.finish());
}

const topicTable = new Map<string, { id: string; partitions: number }>([
  ['orders', { id: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: 6 }],
  ['payments', { id: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: 2 }],
  ['__internal', { id: 'AAAAAAAAAAAAAAAAAAAAAw', partitions: 1 }],
]);
let metadataVersion = 0;
const topics: TopicLookup = {
  byName: (n) => topicTable.get(n),
  nameOf: (id) => [...topicTable].find(([, t]) => t.id === id)?.[0],
  names: () => topicTable.keys(),
  version: () => metadataVersion,
};
const ORDERS = topicTable.get('orders')!.id;

function settings(sessionTimeoutMs = 10_000): GroupSettings {
  return {
    initialRebalanceDelayMs: 0,
    minSessionTimeoutMs: 1,
    maxSessionTimeoutMs: 100000,
    maxSize: 10,
    newMemberJoinTimeoutMs: 300000,
    offsetMetadataMaxBytes: 100,
    offsetsRetentionMs: 60_000,
    offsetsRetentionCheckIntervalMs: 1_000_000,
    consumer: { sessionTimeoutMs, heartbeatIntervalMs: 500, assignors: ['uniform', 'range'], maxSize: 4, migrationPolicy: 'bidirectional', groupConfig: () => undefined },
  };
}

function setup(sessionTimeoutMs?: number) {
  const clock = new VirtualClock(1_000_000, { paused: true });
  const store = new MemoryStore();
  const c = new GroupCoordinator(store, settings(sessionTimeoutMs), silentLogger, clock, topics);
  return { clock, store, c };
}

function hb(c: GroupCoordinator, r: Partial<HeartbeatRequest> & { memberId: string; memberEpoch: number }): HeartbeatResult {
  return c.consumer.heartbeat({
    groupId: 'g',
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    owned: null,
    apiVersion: 1,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    ...r,
  });
}

const join = (c: GroupCoordinator, memberId: string, extra: Partial<HeartbeatRequest> = {}) =>
  hb(c, { memberId, memberEpoch: 0, rebalanceTimeoutMs: 5000, subscribedTopicNames: ['orders'], owned: new Map(), ...extra });

const parts = (a: Assignment | null, topicId = ORDERS): number[] => [...(a?.get(topicId) ?? [])].sort((x, y) => x - y);
const owning = (ps: number[]): Assignment => new Map([[ORDERS, new Set(ps)]]);

t.test('a first member gets every partition at epoch 1; the group is Stable', async (t) => {
  const { c } = setup();
  const r = join(c, 'm1');
  t.equal(r.errorCode, ErrorCode.NONE);
  t.equal(r.memberEpoch, 1);
  t.equal(r.heartbeatIntervalMs, 500);
  t.same(parts(r.assignment), [0, 1, 2, 3, 4, 5]);
  const d = c.consumer.describe('g');
  t.equal(d.groupState, 'Stable');
  t.equal(d.groupEpoch, 1);
  t.equal(d.assignmentEpoch, 1);
  t.equal(d.assignorName, 'uniform');
  t.same(c.list([], []), [{ groupId: 'g', protocolType: 'consumer', state: 'Stable', groupType: 'consumer' }]);
  t.same(c.list([], ['classic']), [], 'type filter');
  c.close();
});

t.test('a second member: the first revokes before the second is assigned (incremental reconciliation)', async (t) => {
  const { c } = setup();
  join(c, 'm1');
  const r2 = join(c, 'm2');
  t.equal(r2.memberEpoch, 2, 'new member moves to the new target epoch');
  t.same(parts(r2.assignment), [], 'but its partitions are still owned by m1: nothing yet');
  t.equal(c.consumer.describe('g').groupState, 'Reconciling');
  // m1 still reports all six: it must revoke three and stays at epoch 1.
  const r1 = hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) });
  t.equal(r1.memberEpoch, 1, 'epoch kept while revoking');
  const kept = parts(r1.assignment);
  t.equal(kept.length, 3, 'told to keep three');
  // m2 heartbeats again: still unreleased.
  t.same(parts(hb(c, { memberId: 'm2', memberEpoch: 2, owned: owning([]) }).assignment ?? new Map()), []);
  // m1 acknowledges the revocation.
  const r1b = hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning(kept) });
  t.equal(r1b.memberEpoch, 2, 'revocation done: m1 moves to epoch 2');
  const r2b = hb(c, { memberId: 'm2', memberEpoch: 2, owned: owning([]) });
  const got = parts(r2b.assignment);
  t.equal(got.length, 3, 'm2 now gets the released three');
  t.same([...kept, ...got].sort(), [0, 1, 2, 3, 4, 5], 'every partition exactly once');
  hb(c, { memberId: 'm1', memberEpoch: 2, owned: owning(kept) });
  hb(c, { memberId: 'm2', memberEpoch: 2, owned: owning(got) });
  t.equal(c.consumer.describe('g').groupState, 'Stable');
  c.close();
});

t.test('epoch checks: ahead is fenced, the previous epoch with a subset is accepted, unknown members refused', async (t) => {
  const { c } = setup();
  join(c, 'm1');
  t.equal(hb(c, { memberId: 'm1', memberEpoch: 7, owned: owning([]) }).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  join(c, 'm2');
  const r1 = hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) });
  const kept = parts(r1.assignment);
  hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning(kept) }); // now epoch 2, previous 1
  t.equal(hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning(kept) }).errorCode, ErrorCode.NONE, 'previous epoch, subset: the answer may have been lost');
  t.equal(hb(c, { memberId: 'm1', memberEpoch: 0 + 1, owned: owning([0, 1, 2, 3, 4, 5]) }).errorCode, ErrorCode.FENCED_MEMBER_EPOCH, 'previous epoch but more partitions: fenced');
  t.equal(hb(c, { memberId: 'nobody', memberEpoch: 3, owned: owning([]) }).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(hb(c, { groupId: 'other', memberId: 'x', memberEpoch: 3 }).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  c.close();
});

t.test('invalid requests get INVALID_REQUEST or UNSUPPORTED_ASSIGNOR with Kafka messages', async (t) => {
  const { c } = setup();
  const r = hb(c, { memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: -1, subscribedTopicNames: ['orders'], owned: new Map() });
  t.equal(r.errorCode, ErrorCode.INVALID_REQUEST);
  t.equal(r.errorMessage, 'RebalanceTimeoutMs must be provided in first request.');
  t.equal(join(c, 'm', { owned: owning([1]) }).errorCode, ErrorCode.INVALID_REQUEST, 'owned partitions on join');
  t.equal(join(c, 'm', { subscribedTopicNames: null }).errorCode, ErrorCode.INVALID_REQUEST, 'no subscription');
  t.equal(join(c, 'm0', { subscribedTopicNames: [] }).errorCode, ErrorCode.NONE, 'an empty subscription is one');
  t.equal(hb(c, { memberId: 'm', memberEpoch: -3 }).errorMessage, 'MemberEpoch is invalid.');
  t.equal(join(c, '', {}).errorCode, ErrorCode.INVALID_REQUEST, 'v1 needs a member id');
  t.not(join(c, '', { apiVersion: 0 }).memberId, '', 'v0: the coordinator makes one');
  const bad = join(c, 'm', { serverAssignor: 'sticky' });
  t.equal(bad.errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
  t.match(bad.errorMessage, /Supported assignors: uniform, range/);
  t.equal(join(c, 'm', { subscribedTopicNames: null, subscribedTopicRegex: '(' }).errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  c.close();
});

t.test('leave (-1) bumps the group epoch and hands the partitions to the others', async (t) => {
  const { c, store } = setup();
  join(c, 'm1');
  join(c, 'm2');
  const kept = parts(hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) }).assignment);
  hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning(kept) });
  const leave = hb(c, { memberId: 'm2', memberEpoch: -1 });
  t.same([leave.errorCode, leave.memberEpoch], [ErrorCode.NONE, -1]);
  const r1 = hb(c, { memberId: 'm1', memberEpoch: 2, owned: owning(kept) });
  t.equal(r1.memberEpoch, 3);
  t.same(parts(r1.assignment), [0, 1, 2, 3, 4, 5]);
  const tombstones = store.records.filter((r) => r.value === null).map((r) => decodeKey(r.key));
  t.same(tombstones.map((k) => (k.type === 'consumer' ? `${k.record}:${k.memberId}` : k.type)), ['currentAssignment:m2', 'targetMember:m2', 'member:m2']);
  c.close();
});

t.test('a member that stops heartbeating is fenced after the session timeout', async (t) => {
  const { c, clock } = setup(3_000);
  join(c, 'm1');
  join(c, 'm2');
  await clock.advance(2_000);
  hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) });
  await clock.advance(1_500); // m2 silent for 3.5 s
  t.notOk(c.consumer.describe('g').members.some((m) => m.member.memberId === 'm2'), 'm2 fenced');
  t.ok(c.consumer.describe('g').members.some((m) => m.member.memberId === 'm1'), 'm1 kept');
  c.close();
});

t.test('a member that does not revoke within its rebalance timeout is fenced', async (t) => {
  const { c, clock } = setup(60_000);
  join(c, 'm1', { rebalanceTimeoutMs: 2_000 });
  join(c, 'm2');
  hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) }); // must revoke: timer starts
  await clock.advance(2_500);
  t.notOk(c.consumer.describe('g').members.some((m) => m.member.memberId === 'm1'), 'm1 fenced for not revoking');
  const r2 = hb(c, { memberId: 'm2', memberEpoch: 2, owned: owning([]) });
  t.same(parts(r2.assignment), [0, 1, 2, 3, 4, 5], 'm2 takes everything');
  c.close();
});

t.test('static members: -2 leaves temporarily, the next incarnation takes its partitions without a rebalance', async (t) => {
  const { c } = setup();
  join(c, 'a', { instanceId: 'i-a' });
  join(c, 'b', { instanceId: 'i-b' });
  const ka = parts(hb(c, { memberId: 'a', instanceId: 'i-a', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) }).assignment);
  hb(c, { memberId: 'a', instanceId: 'i-a', memberEpoch: 1, owned: owning(ka) });
  const epochBefore = c.consumer.describe('g').groupEpoch;
  t.equal(join(c, 'a2', { instanceId: 'i-a' }).errorCode, ErrorCode.UNRELEASED_INSTANCE_ID, 'the instance id is still in use');
  const away = hb(c, { memberId: 'a', instanceId: 'i-a', memberEpoch: -2 });
  t.same([away.errorCode, away.memberEpoch], [ErrorCode.NONE, -2]);
  const back = join(c, 'a2', { instanceId: 'i-a' });
  t.equal(back.errorCode, ErrorCode.NONE);
  t.same(parts(back.assignment), ka, 'same partitions');
  t.equal(c.consumer.describe('g').groupEpoch, epochBefore, 'no new group epoch');
  t.equal(hb(c, { memberId: 'a', instanceId: 'i-a', memberEpoch: 2 }).errorCode, ErrorCode.FENCED_INSTANCE_ID, 'the old member id is fenced');
  c.close();
});

t.test('regex subscriptions match whole names and skip internal topics', async (t) => {
  const { c } = setup();
  const r = join(c, 'm', { subscribedTopicNames: null, subscribedTopicRegex: 'pay.*|.*internal' });
  t.equal(r.errorCode, ErrorCode.NONE);
  t.same(parts(r.assignment, topicTable.get('payments')!.id), [0, 1]);
  t.same(parts(r.assignment), [], 'orders not matched');
  t.same(parts(r.assignment, topicTable.get('__internal')!.id), [], 'internal topic not matched');
  c.close();
});

t.test('range assignor gives contiguous ranges', async (t) => {
  const { c } = setup();
  join(c, 'a', { serverAssignor: 'range' });
  join(c, 'b', { serverAssignor: 'range' });
  const d = c.consumer.describe('g');
  t.equal(d.assignorName, 'range');
  const target = new Map(d.members.map((m) => [m.member.memberId, parts(m.target)]));
  t.same(target.get('a'), [0, 1, 2]);
  t.same(target.get('b'), [3, 4, 5]);
  c.close();
});

t.test('offset commits and fetches check the member epoch (STALE_MEMBER_EPOCH)', async (t) => {
  const { c } = setup();
  join(c, 'm1');
  const commit = (memberId: string, generationId: number, apiVersion = 9) =>
    c.commitOffsets({ groupId: 'g', generationId, memberId, groupInstanceId: null, apiVersion, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] }, () => true);
  t.same(commit('m1', 1), [[ErrorCode.NONE]]);
  t.same(commit('m1', 0), [[ErrorCode.STALE_MEMBER_EPOCH]]);
  t.same(commit('zz', 1), [[ErrorCode.UNKNOWN_MEMBER_ID]]);
  t.same(commit('m1', 1, 8), [[ErrorCode.UNSUPPORTED_VERSION]], 'members must use OffsetCommit v9+');
  t.same(commit('', -1), [[ErrorCode.UNKNOWN_MEMBER_ID]], 'an admin commit to a group with members');
  t.equal(c.validateOffsetFetch('g', 'm1', 1), ErrorCode.NONE);
  t.equal(c.validateOffsetFetch('g', 'm1', 0), ErrorCode.STALE_MEMBER_EPOCH);
  t.equal(c.validateOffsetFetch('g', null, -1), ErrorCode.NONE, 'the admin client');
  t.equal(c.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP);
  hb(c, { memberId: 'm1', memberEpoch: -1 });
  t.equal(c.deleteGroup('g'), ErrorCode.NONE, 'an empty consumer group can be deleted');
  c.close();
});

t.test('replay from __consumer_offsets restores epochs, members and assignments', async (t) => {
  const { c, store, clock } = setup();
  join(c, 'm1');
  join(c, 'm2', { instanceId: 'i2' });
  const kept = parts(hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) }).assignment);
  hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning(kept) });
  c.commitOffsets({ groupId: 'g', generationId: 2, memberId: 'm1', groupInstanceId: null, apiVersion: 9, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, committedMetadata: null }] }] }, () => true);
  const before = c.consumer.describe('g');
  c.close();
  const c2 = new GroupCoordinator(store, settings(), silentLogger, clock, topics);
  c2.load();
  const after = c2.consumer.describe('g');
  t.same([after.groupEpoch, after.assignmentEpoch, after.groupState], [before.groupEpoch, before.assignmentEpoch, before.groupState]);
  const view = (d: typeof before) => d.members.map((m) => [m.member.memberId, m.member.instanceId, m.member.memberEpoch, m.member.state, parts(m.assignment), parts(m.target)]).sort();
  t.same(view(after), view(before));
  t.equal(c2.fetchOffsets('g', null)[0]!.partitions[0]!.offset, 9n, 'offsets kept');
  t.equal(hb(c2, { memberId: 'm1', memberEpoch: 2, owned: owning(kept) }).errorCode, ErrorCode.NONE, 'members carry on after the restart');
  c2.close();
});

t.test('mixed groups: a classic member joins a consumer group, syncs its partitions, rejoins on a new epoch, leaves', async (t) => {
  const { c } = setup();
  join(c, 'm1');
  const sub = encodeSubscriptionV1(['orders'], []);
  const req = { groupId: 'g', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 1000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: sub }], apiVersion: 9, clientId: 'c', clientHost: 'h' };
  const first = (await c.join(req));
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const r = await c.join({ ...req, memberId: first.memberId });
  t.equal(r.errorCode, ErrorCode.NONE);
  t.equal(r.generationId, 2, 'generation = the member epoch');
  t.same([r.protocolType, r.protocolName, r.leader], ['consumer', 'range', '']);
  const s1 = await c.sync({ groupId: 'g', generationId: 2, memberId: r.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  t.same(decodeAssignment(s1.assignment), [], 'nothing yet: m1 still owns them');
  // m1 revokes half; the classic member hears REBALANCE_IN_PROGRESS, rejoins and gets them.
  const kept = parts(hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning([0, 1, 2, 3, 4, 5]) }).assignment);
  hb(c, { memberId: 'm1', memberEpoch: 1, owned: owning(kept) });
  t.equal(c.heartbeat('g', r.memberId, null, 2), ErrorCode.REBALANCE_IN_PROGRESS, 'the released partitions wait: rejoin');
  const r2 = await c.join({ ...req, memberId: r.memberId });
  const s2 = await c.sync({ groupId: 'g', generationId: r2.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  const got = decodeAssignment(s2.assignment)!.flatMap((p) => p.partitions).sort();
  t.same([...kept, ...got].sort(), [0, 1, 2, 3, 4, 5], 'each partition once across both protocols');
  t.equal(c.heartbeat('g', r.memberId, null, r2.generationId), ErrorCode.NONE);
  const d = c.consumer.describe('g');
  t.equal(d.members.length, 2);
  const left = c.leave('g', [{ memberId: r.memberId, groupInstanceId: null }]);
  t.same(left.members.map((m) => m.errorCode), [ErrorCode.NONE]);
  t.equal(c.consumer.describe('g').members.length, 1);
  c.close();
});

t.test('upgrade and downgrade: a KIP-848 member joins a classic group; when it leaves, the group is classic again', async (t) => {
  const { c, clock } = setup();
  const sub = encodeSubscriptionV1(['orders'], []);
  const req = { groupId: 'g', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 1000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: sub }], apiVersion: 3, clientId: 'c', clientHost: 'h' };
  const joining = c.join(req);
  await clock.advance(10);
  const j = await joining;
  t.equal(j.errorCode, ErrorCode.NONE);
  const all = encodeAssignment(0, [{ topic: 'orders', partitions: [0, 1, 2, 3, 4, 5] }]);
  await c.sync({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: all }] });
  t.equal(c.list([], [])[0]!.groupType, 'classic');
  const k = join(c, 'k1');
  t.equal(k.errorCode, ErrorCode.NONE, 'the KIP-848 member joins the classic group');
  t.equal(c.list([], [])[0]!.groupType, 'consumer', 'upgraded');
  const d = c.consumer.describe('g');
  const classicMember = d.members.find((m) => m.member.memberId === j.memberId)!;
  t.same(parts(classicMember.assignment), [0, 1, 2, 3, 4, 5], 'the classic member kept its partitions through the upgrade');
  t.equal(c.heartbeat('g', j.memberId, null, j.generationId), ErrorCode.REBALANCE_IN_PROGRESS, 'and is asked to rejoin');
  t.equal(hb(c, { memberId: 'k1', memberEpoch: -1 }).errorCode, ErrorCode.NONE);
  t.equal(c.list([], [])[0]!.groupType, 'classic', 'downgraded when the last KIP-848 member left');
  t.equal(c.heartbeat('g', j.memberId, null, j.generationId), ErrorCode.ILLEGAL_GENERATION, 'the classic group has the last group epoch as generation: the member rejoins');
  t.equal(c.describe('g').state, 'PreparingRebalance', 'a rebalance the classic members join');
  c.close();
});

t.test('the GROUP config resource overrides the session timeout and heartbeat interval of one group', async (t) => {
  const clock = new VirtualClock(1_000_000, { paused: true });
  const own = new Map([['consumer.heartbeat.interval.ms', 250], ['consumer.session.timeout.ms', 2_000]]);
  const s = settings(60_000);
  s.consumer = { ...s.consumer!, groupConfig: (groupId, name) => (groupId === 'g' ? own.get(name) : undefined) };
  const c = new GroupCoordinator(new MemoryStore(), s, silentLogger, clock, topics);
  t.equal(join(c, 'm1').heartbeatIntervalMs, 250, "the group's own interval");
  t.equal(join(c, 'x', { groupId: 'other' }).heartbeatIntervalMs, 500, 'another group: the broker default');
  await clock.advance(2_500);
  t.equal(c.consumer.describe('g').members.length, 0, "fenced after the group's own 2 s session timeout");
  t.equal(c.consumer.describe('other').members.length, 1, 'the other group keeps its member');
  c.close();
});

t.test('group.coordinator.rebalance.protocols=classic: the KIP-848 APIs are not advertised', async (t) => {
  const data = tmpDataDir('sluice-no-848-');
  const broker = await startBroker({ port: 0, dataDir: data.dir, overrides: ['group.coordinator.rebalance.protocols=classic'] });
  const c = await RawClient.connect(broker.port);
  t.teardown(async () => {
    c.close();
    await broker.stop();
    data.remove();
  });
  const keys = (await c.request(ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys.map((k) => k.apiKey);
  t.notOk(keys.includes(68) || keys.includes(69), 'no ConsumerGroupHeartbeat or ConsumerGroupDescribe');
  t.ok(keys.includes(11), 'JoinGroup still');
});

t.test('topics that come and grow: a new matching topic and more partitions reach the members at the next heartbeat', async (t) => {
  const { c } = setup();
  const first = join(c, 'm', { subscribedTopicNames: null, subscribedTopicRegex: 'pay.*' });
  const payments = topicTable.get('payments')!.id;
  t.same(parts(first.assignment, payments), [0, 1]);
  const owned: Assignment = new Map([[payments, new Set([0, 1])]]);
  t.equal(hb(c, { memberId: 'm', memberEpoch: first.memberEpoch, owned }).assignment, null, 'nothing new: no assignment sent');
  topicTable.set('payouts', { id: 'AAAAAAAAAAAAAAAAAAAABA', partitions: 1 });
  topicTable.set('payments', { id: payments, partitions: 3 });
  metadataVersion++;
  t.teardown(() => {
    topicTable.delete('payouts');
    topicTable.set('payments', { id: payments, partitions: 2 });
    metadataVersion++;
  });
  const r = hb(c, { memberId: 'm', memberEpoch: first.memberEpoch, owned });
  t.equal(r.memberEpoch, first.memberEpoch + 1, 'a new group epoch');
  t.same(parts(r.assignment, payments), [0, 1, 2], 'the new partition');
  t.same(parts(r.assignment, 'AAAAAAAAAAAAAAAAAAAABA'), [0], 'the new matching topic');
  c.close();
});
