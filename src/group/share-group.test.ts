/**
 * KIP-932 share group membership in process: joins with client-chosen member ids, epochs, the
 * simple assignor (shared partitions when members outnumber them), fencing, leave, session
 * timeout, subscription and topic changes, replay from the stored records, and the group's place
 * among classic and consumer groups. The wire and the Java share consumer are exercised in
 * compat-tests/share-groups.test.ts.
 */
import t from 'tap';
import { VirtualClock } from '../control/clock.js';
import { silentLogger } from '../logger.js';
import { MemoryStore } from '../metadata/memory-store.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Assignment } from './assignors.js';
import type { TopicLookup } from './consumer-protocol.js';
import { GroupCoordinator, type GroupSettings } from './coordinator.js';
import { decodeKey } from './records.js';
import type { ShareHeartbeatRequest, ShareHeartbeatResult } from './share-group.js';

const topicTable = new Map<string, { id: string; partitions: number }>([
  ['orders', { id: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: 3 }],
  ['payments', { id: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: 1 }],
]);
const topics: TopicLookup = {
  byName: (n) => topicTable.get(n),
  nameOf: (id) => [...topicTable].find(([, v]) => v.id === id)?.[0],
  names: () => topicTable.keys(),
  version: () => 0,
};
const ORDERS = topicTable.get('orders')!.id;
const PAYMENTS = topicTable.get('payments')!.id;

function settings(): GroupSettings {
  return {
    initialRebalanceDelayMs: 0,
    minSessionTimeoutMs: 1,
    maxSessionTimeoutMs: 100000,
    maxSize: 10,
    newMemberJoinTimeoutMs: 300000,
    offsetMetadataMaxBytes: 100,
    offsetsRetentionMs: 60_000,
    offsetsRetentionCheckIntervalMs: 1_000_000,
    share: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 700, maxSize: 4, groupConfig: () => undefined },
  };
}

function setup(store = new MemoryStore()) {
  const clock = new VirtualClock(1_000_000, { paused: true });
  const c = new GroupCoordinator(store, settings(), silentLogger, clock, topics);
  return { clock, store, c };
}

function hb(c: GroupCoordinator, r: Partial<ShareHeartbeatRequest> & { memberId: string; memberEpoch: number }): ShareHeartbeatResult {
  return c.share.heartbeat({ groupId: 'sg', rackId: null, subscribedTopicNames: null, clientId: 'c', clientHost: '/127.0.0.1', ...r });
}
const join = (c: GroupCoordinator, memberId: string, subscribed = ['orders']) => hb(c, { memberId, memberEpoch: 0, subscribedTopicNames: subscribed });
const parts = (a: Assignment | null, topicId = ORDERS): number[] => [...(a?.get(topicId) ?? [])].sort((x, y) => x - y);

t.test('a first member gets every partition at epoch 1; the group is a Stable share group', async (t) => {
  const { c } = setup();
  const r = join(c, 'm1');
  t.equal(r.errorCode, ErrorCode.NONE);
  t.equal(r.memberId, 'm1', 'the client chooses its member id');
  t.equal(r.memberEpoch, 1);
  t.equal(r.heartbeatIntervalMs, 700);
  t.same(parts(r.assignment), [0, 1, 2]);
  const d = c.share.describe('sg');
  t.ok('members' in d);
  if ('members' in d) {
    t.equal(d.groupState, 'Stable');
    t.equal(d.groupEpoch, 1);
    t.equal(d.assignorName, 'simple');
  }
  t.same(c.list([], []), [{ groupId: 'sg', protocolType: 'share', state: 'Stable', groupType: 'share' }]);
  t.same(c.list([], ['consumer']), [], 'type filter');
  const again = hb(c, { memberId: 'm1', memberEpoch: 1 });
  t.equal(again.memberEpoch, 1);
  t.equal(again.assignment, null, 'an unchanged assignment is not sent again');
  c.close();
});

t.test('members share out partitions; past the partition count, partitions are shared', async (t) => {
  const { c } = setup();
  join(c, 'a');
  const b = join(c, 'b');
  t.equal(b.memberEpoch, 2);
  const a2 = hb(c, { memberId: 'a', memberEpoch: 1 });
  t.equal(a2.memberEpoch, 2, 'the next heartbeat moves the member to the new epoch at once (no revocation)');
  t.same([...parts(a2.assignment), ...parts(b.assignment)].sort(), [0, 1, 2], 'each partition to one member');
  join(c, 'c');
  const d = join(c, 'd');
  t.equal(parts(d.assignment).length, 1, 'four members, three partitions: everyone gets one');
  const all = ['a', 'b', 'c'].map((m) => parts(hb(c, { memberId: m, memberEpoch: m === 'a' ? 2 : m === 'b' ? 2 : 3 }).assignment));
  t.same(new Set([...all.flat(), ...parts(d.assignment)]), new Set([0, 1, 2]), 'every partition is someone\'s');
  const e = join(c, 'e');
  t.equal(e.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED, 'group.share.max.size');
  c.close();
});

t.test('fencing: a wrong epoch is FENCED_MEMBER_EPOCH, an unknown member UNKNOWN_MEMBER_ID; rejoining under the same id works', async (t) => {
  const { c } = setup();
  join(c, 'm1');
  t.equal(hb(c, { memberId: 'm1', memberEpoch: 5 }).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  join(c, 'm2');
  t.equal(hb(c, { memberId: 'm2', memberEpoch: 1 }).errorCode, ErrorCode.FENCED_MEMBER_EPOCH, 'behind');
  t.equal(hb(c, { memberId: 'ghost', memberEpoch: 3 }).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const re = join(c, 'm1');
  t.equal(re.errorCode, ErrorCode.NONE);
  t.ok(re.memberEpoch >= 2);
  t.not(re.assignment, null, 'a rejoin gets its assignment');
  c.close();
});

t.test('invalid requests answer INVALID_REQUEST with Kafka\'s messages', async (t) => {
  const { c } = setup();
  t.same([hb(c, { groupId: '', memberId: 'm', memberEpoch: 0, subscribedTopicNames: ['orders'] }).errorMessage], ["GroupId can't be empty."]);
  t.same([hb(c, { memberId: '', memberEpoch: 0, subscribedTopicNames: ['orders'] }).errorMessage], ["MemberId can't be empty."]);
  const noTopics = hb(c, { memberId: 'm', memberEpoch: 0 });
  t.equal(noTopics.errorCode, ErrorCode.INVALID_REQUEST);
  t.equal(noTopics.errorMessage, 'SubscribedTopicNames must be set in first request.');
  t.equal(hb(c, { memberId: 'm', memberEpoch: -2 }).errorCode, ErrorCode.INVALID_REQUEST);
  t.equal(hb(c, { memberId: 'm', memberEpoch: 3 }).errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'no such group');
  c.close();
});

t.test('leave (epoch -1) removes the member and bumps the epoch; the partitions go to the others', async (t) => {
  const { c } = setup();
  join(c, 'a');
  join(c, 'b');
  const left = hb(c, { memberId: 'b', memberEpoch: 2 });
  t.equal(left.errorCode, ErrorCode.NONE);
  const bye = hb(c, { memberId: 'b', memberEpoch: -1 });
  t.equal(bye.memberEpoch, -1);
  const a = hb(c, { memberId: 'a', memberEpoch: 1 });
  t.equal(a.memberEpoch, 3, 'a member still at an older epoch moves straight to the newest');
  t.same(parts(a.assignment), [0, 1, 2]);
  t.equal(hb(c, { memberId: 'b', memberEpoch: -1 }).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'leaving twice');
  t.equal(hb(c, { memberId: 'a', memberEpoch: -1 }).errorCode, ErrorCode.NONE);
  t.same(c.list([], ['share']), [{ groupId: 'sg', protocolType: 'share', state: 'Empty', groupType: 'share' }], 'an empty share group stays');
  t.equal(c.deleteGroup('sg'), ErrorCode.NONE, 'DeleteGroups deletes an empty share group');
  t.same(c.list([], []), []);
  c.close();
});

t.test('a member that stops heartbeating is removed after the session timeout', async (t) => {
  const { c, clock } = setup();
  join(c, 'a');
  join(c, 'b');
  await clock.advance(5_000);
  t.equal(hb(c, { memberId: 'a', memberEpoch: 1 }).errorCode, ErrorCode.NONE);
  await clock.advance(6_000);
  const d = c.share.describe('sg');
  t.ok('members' in d && d.members.map((m) => m.memberId).join() === 'a', 'b timed out, a heartbeated');
  t.equal(hb(c, { memberId: 'b', memberEpoch: 2 }).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  c.close();
});

t.test('subscription changes and new partitions bump the group epoch', async (t) => {
  const { c } = setup();
  join(c, 'a');
  const more = hb(c, { memberId: 'a', memberEpoch: 1, subscribedTopicNames: ['orders', 'payments'] });
  t.equal(more.memberEpoch, 2);
  t.same(parts(more.assignment, PAYMENTS), [0]);
  topicTable.set('payments', { id: PAYMENTS, partitions: 2 });
  t.teardown(() => topicTable.set('payments', { id: PAYMENTS, partitions: 1 }));
  const grown = hb(c, { memberId: 'a', memberEpoch: 2 });
  t.equal(grown.memberEpoch, 3);
  t.same(parts(grown.assignment, PAYMENTS), [0, 1]);
  c.close();
});

t.test('group ids are shared between types: no share group over a consumer group, no classic join into a share group', async (t) => {
  const { c } = setup();
  const cg = c.consumer.heartbeat({
    groupId: 'cg', memberId: 'x', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000, subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null, serverAssignor: null, owned: new Map(), apiVersion: 1, clientId: 'c', clientHost: '/h',
  });
  t.equal(cg.errorCode, ErrorCode.NONE);
  const r = hb(c, { groupId: 'cg', memberId: 'm', memberEpoch: 0, subscribedTopicNames: ['orders'] });
  t.equal(r.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  t.equal(r.errorMessage, 'Group cg is not a share group.');
  join(c, 'm');
  const cj = c.consumer.heartbeat({
    groupId: 'sg', memberId: 'x', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000, subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null, serverAssignor: null, owned: new Map(), apiVersion: 1, clientId: 'c', clientHost: '/h',
  });
  t.equal(cj.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'a KIP-848 member cannot join a share group');
  const classic = await c.join({ groupId: 'sg', memberId: '', groupInstanceId: null, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], apiVersion: 9, clientId: 'c', clientHost: '/h' });
  t.equal(classic.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  t.equal(c.describe('sg').state, 'Dead', 'DescribeGroups sees no classic group');
  c.close();
});

t.test('records: Kafka 4.1 types 11 (epoch) and 10 (member); a restart replays them with members at the stored epoch', async (t) => {
  const { c, store } = setup();
  join(c, 'a');
  join(c, 'b');
  hb(c, { memberId: 'b', memberEpoch: -1 });
  const types = store.records.map((r) => r.key.readInt16BE(0));
  t.ok(types.includes(10) && types.includes(11) && types.includes(15), 'member, epoch and state-partition records');
  const tombstone = store.records.find((r) => r.value === null);
  t.same(tombstone && decodeKey(tombstone.key), { type: 'share', record: 'member', group: 'sg', memberId: 'b' });
  c.close();
  const again = setup(store);
  again.c.load();
  const d = again.c.share.describe('sg');
  t.ok('members' in d);
  if ('members' in d) {
    t.equal(d.groupEpoch, 3);
    t.same(d.members.map((m) => [m.memberId, m.memberEpoch, parts(m.assignment)]), [['a', 3, [0, 1, 2]]]);
    t.same([...d.initialized].map(([id, v]) => [id, v.name, [...v.partitions].sort()]), [[ORDERS, 'orders', [0, 1, 2]]], 'the initialized partitions come back (DescribeShareGroupOffsets lists them)');
  }
  const hbAfter = hb(again.c, { memberId: 'a', memberEpoch: 3 });
  t.equal(hbAfter.errorCode, ErrorCode.NONE, 'the member goes on without rejoining');
  await again.clock.advance(11_000);
  t.same(again.c.list([], ['share'])[0]?.state, 'Empty', 'replayed members get a session timeout too');
  again.c.close();
});
