/**
 * The classic group protocol over the wire against an embedded broker: one named test per rule
 * clients depend on. Each member uses its own connection, since a connection answers in order
 * and JoinGroup/SyncGroup answers wait.
 */
import t from 'tap';
import { startBroker, type RunningBroker } from '../index.js';
import {
  CreateTopics,
  DeleteGroups,
  DescribeGroups,
  FindCoordinator,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  Metadata,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  Produce,
  SyncGroup,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../protocol/generated/index.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { RawClient } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

const data = tmpDataDir('sluice-groups-');
let broker: RunningBroker;
const clients: RawClient[] = [];

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(broker.port);
  clients.push(c);
  return c;
}

async function start(): Promise<void> {
  broker = await startBroker({
    port: 0,
    dataDir: data.dir,
    overrides: ['group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=200', 'offsets.topic.num.partitions=3'],
  });
}

t.before(start);
t.teardown(async () => {
  for (const c of clients) c.close();
  await broker?.stop();
  data.remove();
});

function joinReq(groupId: string, memberId: string, opts: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 3000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('meta-' + memberId) }],
    reason: null,
    ...opts,
  };
}

/** JoinGroup v5 the way kafkajs and librdkafka do it: first for a member id, then for real. */
async function join(c: RawClient, groupId: string, opts: Partial<JoinGroupRequest> = {}): Promise<JoinGroupResponse> {
  const first = await c.request(JoinGroup, 5, joinReq(groupId, '', opts));
  if (first.errorCode !== 79) return first;
  return c.request(JoinGroup, 5, joinReq(groupId, first.memberId, opts));
}

const syncReq = (groupId: string, generationId: number, memberId: string, assignments: Array<{ memberId: string; assignment: Buffer }> = [], groupInstanceId: string | null = null) => ({
  groupId,
  generationId,
  memberId,
  groupInstanceId,
  protocolType: 'consumer',
  protocolName: 'range',
  assignments,
});

const hb = (c: RawClient, groupId: string, generationId: number, memberId: string, groupInstanceId: string | null = null) =>
  c.request(Heartbeat, 3, { groupId, generationId, memberId, groupInstanceId }).then((r) => r.errorCode);

t.test('FindCoordinator names this broker and creates __consumer_offsets (internal)', async (t) => {
  const c = await client();
  const v2 = await c.request(FindCoordinator, 2, { key: 'g-find', keyType: 0, coordinatorKeys: [] });
  t.same([v2.errorCode, v2.nodeId, v2.port], [0, broker.nodeId, broker.port]);
  const v4 = await c.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['a', 'b'] });
  t.same(v4.coordinators.map((x) => [x.key, x.nodeId, x.errorCode]), [['a', broker.nodeId, 0], ['b', broker.nodeId, 0]]);
  const md = await c.request(Metadata, 1, { topics: [{ topicId: Buffer.alloc(16), name: '__consumer_offsets' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.same([md.topics[0]!.errorCode, md.topics[0]!.isInternal, md.topics[0]!.partitions.length], [0, true, 3]);
  const produced = await c.request(Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: '__consumer_offsets', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from('x') }]) }] }] });
  t.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 17, 'clients may not write to it (INVALID_TOPIC_EXCEPTION)');
});

t.test('JoinGroup v4+ asks for a member id first; v2 (kafka-python) is admitted at once', async (t) => {
  const c = await client();
  const v5 = await c.request(JoinGroup, 5, joinReq('g-mid', ''));
  t.equal(v5.errorCode, 79, 'MEMBER_ID_REQUIRED');
  t.match(v5.memberId, /^raw-[0-9a-f-]{36}$/, 'member id is clientId-uuid');
  const v2 = await (await client()).request(JoinGroup, 2, joinReq('g-v2', ''));
  t.equal(v2.errorCode, 0, 'no MEMBER_ID_REQUIRED below v4');
  t.equal(v2.generationId, 1);
  t.equal(v2.leader, v2.memberId, 'the only member leads');
  t.equal(v2.members.length, 1);
});

t.test('two members: the leader gets everyone\'s metadata, followers none; sync hands out assignments', async (t) => {
  const [a, b] = [await client(), await client()];
  const ja = await join(a, 'g-two');
  t.equal(ja.generationId, 1);
  // b joins: a must rejoin (it learns through its heartbeat) for the next generation.
  const jbPending = join(b, 'g-two');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(await hb(a, 'g-two', ja.generationId, ja.memberId), 27, 'REBALANCE_IN_PROGRESS while preparing');
  const ja2 = await a.request(JoinGroup, 5, joinReq('g-two', ja.memberId));
  const jb = await jbPending;
  t.equal(ja2.generationId, 2);
  t.equal(jb.generationId, 2);
  t.equal(ja2.leader, ja.memberId, 'the leader stays leader');
  t.same(ja2.members.map((m) => m.metadata.toString()).sort(), [`meta-${ja.memberId}`, `meta-${jb.memberId}`].sort());
  t.same(jb.members, [], 'followers get no member list');
  const followerSync = b.request(SyncGroup, 3, syncReq('g-two', 2, jb.memberId));
  const leaderSync = await a.request(SyncGroup, 3, syncReq('g-two', 2, ja.memberId, [
    { memberId: ja.memberId, assignment: Buffer.from('A') },
    { memberId: jb.memberId, assignment: Buffer.from('B') },
  ]));
  t.equal(leaderSync.assignment.toString(), 'A');
  t.equal((await followerSync).assignment.toString(), 'B', 'the follower waited for the leader');
  t.equal(await hb(b, 'g-two', 2, jb.memberId), 0);
  t.equal(await hb(b, 'g-two', 1, jb.memberId), 22, 'ILLEGAL_GENERATION');
  t.equal(await hb(b, 'g-two', 2, 'nobody'), 25, 'UNKNOWN_MEMBER_ID');
  const d = await a.request(DescribeGroups, 4, { groups: ['g-two', 'g-none'], includeAuthorizedOperations: false });
  t.same([d.groups[0]!.groupState, d.groups[0]!.protocolData, d.groups[0]!.members.length], ['Stable', 'range', 2]);
  t.equal(d.groups[0]!.members.find((m) => m.memberId === jb.memberId)!.memberAssignment.toString(), 'B');
  t.same([d.groups[1]!.groupState, d.groups[1]!.errorCode], ['Dead', 0], 'an unknown group is Dead');
});

t.test('a member with no protocol in common, or another protocol type, is refused', async (t) => {
  const a = await client();
  const ja = await join(a, 'g-proto');
  t.equal(ja.errorCode, 0);
  const other = await join(await client(), 'g-proto', { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] });
  t.equal(other.errorCode, 23, 'INCONSISTENT_GROUP_PROTOCOL');
  const type = await join(await client(), 'g-proto', { protocolType: 'connect' });
  t.equal(type.errorCode, 23);
  const badSession = await join(await client(), 'g-proto', { sessionTimeoutMs: 50 });
  t.equal(badSession.errorCode, 26, 'INVALID_SESSION_TIMEOUT below group.min.session.timeout.ms');
});

t.test('a member whose session times out is removed and the group rebalances without it', async (t) => {
  const [a, b] = [await client(), await client()];
  const ja = await join(a, 'g-expire', { sessionTimeoutMs: 400 });
  await a.request(SyncGroup, 3, syncReq('g-expire', ja.generationId, ja.memberId));
  const jbPending = join(b, 'g-expire', { sessionTimeoutMs: 5000 });
  // a never heartbeats or rejoins: after its session timeout the join completes with b alone.
  const jb = await jbPending;
  t.equal(jb.errorCode, 0);
  t.equal(jb.leader, jb.memberId, 'b leads the new generation');
  t.same(jb.members.map((m) => m.memberId), [jb.memberId]);
  t.equal(await hb(a, 'g-expire', ja.generationId, ja.memberId), 25, 'the expired member is unknown');
});

t.test('LeaveGroup: v3 batch with an unknown member; the group empties and is deletable', async (t) => {
  const a = await client();
  const ja = await join(a, 'g-leave');
  await a.request(SyncGroup, 3, syncReq('g-leave', ja.generationId, ja.memberId));
  t.equal((await a.request(DeleteGroups, 1, { groupsNames: ['g-leave'] })).results[0]!.errorCode, 68, 'NON_EMPTY_GROUP');
  const res = await a.request(LeaveGroup, 3, { groupId: 'g-leave', memberId: '', members: [{ memberId: ja.memberId, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }] });
  t.same(res.members.map((m) => [m.memberId, m.errorCode]), [[ja.memberId, 0], ['ghost', 25]]);
  const old = await a.request(LeaveGroup, 1, { groupId: 'g-leave', memberId: 'ghost', members: [] });
  t.equal(old.errorCode, 25, 'v1 answers with one error code');
  const d = await a.request(DescribeGroups, 2, { groups: ['g-leave'], includeAuthorizedOperations: false });
  t.equal(d.groups[0]!.groupState, 'Empty');
  const listed = await a.request(ListGroups, 4, { statesFilter: ['empty'], typesFilter: [] });
  t.ok(listed.groups.some((g) => g.groupId === 'g-leave' && g.groupState === 'Empty'), 'ListGroups filters by state, case-insensitively');
  t.notOk(listed.groups.some((g) => g.groupId === 'g-two'), 'a stable group is filtered out');
  t.equal((await a.request(DeleteGroups, 1, { groupsNames: ['g-leave', 'g-never'] })).results.map((r) => r.errorCode).join(','), '0,69');
});

t.test('static membership: a rejoin with the same instance id takes over without a rebalance; the old id is fenced', async (t) => {
  const [a, a2] = [await client(), await client()];
  const ja = await join(a, 'g-static', { groupInstanceId: 'inst-1' });
  t.equal(ja.errorCode, 0, 'static members skip MEMBER_ID_REQUIRED');
  t.match(ja.memberId, /^inst-1-/);
  await a.request(SyncGroup, 3, syncReq('g-static', ja.generationId, ja.memberId, [{ memberId: ja.memberId, assignment: Buffer.from('P0') }], 'inst-1'));
  const j2 = await join(a2, 'g-static', { groupInstanceId: 'inst-1' });
  t.equal(j2.errorCode, 0);
  t.equal(j2.generationId, ja.generationId, 'no new generation');
  t.not(j2.memberId, ja.memberId);
  const s2 = await a2.request(SyncGroup, 3, syncReq('g-static', j2.generationId, j2.memberId, [], 'inst-1'));
  t.equal(s2.assignment.toString(), 'P0', 'the new incarnation keeps the assignment');
  t.equal(await hb(a, 'g-static', ja.generationId, ja.memberId, 'inst-1'), 82, 'FENCED_INSTANCE_ID for the old member id');
  t.equal(await hb(a2, 'g-static', j2.generationId, j2.memberId, 'inst-1'), 0);
});

t.test('offset commits: assign-mode, generation checks, unknown partitions, fetch of unknown offsets', async (t) => {
  const c = await client();
  await c.request(CreateTopics, 4, { topics: [{ name: 'offs', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  const commit = (groupId: string, generationIdOrMemberEpoch: number, memberId: string, partitions: Array<[number, bigint]>, metadata: string | null = 'meta', topic = 'offs') =>
    c.request(OffsetCommit, 8, {
      groupId,
      generationIdOrMemberEpoch,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topic, topicId: Buffer.alloc(16), partitions: partitions.map(([p, o]) => ({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: metadata })) }],
    }).then((r) => r.topics[0]!.partitions.map((p) => p.errorCode));
  t.same(await commit('g-simple', -1, '', [[0, 5n], [1, 7n]]), [0, 0], 'no generation, no member: accepted for a new group');
  t.same(await commit('g-missing', 3, 'm', [[0, 1n]]), [22], 'a generation for a group that does not exist: ILLEGAL_GENERATION');
  t.same(await commit('g-simple', -1, '', [[9, 1n]]), [3], 'UNKNOWN_TOPIC_OR_PARTITION');
  t.same(await commit('g-simple', -1, '', [[0, 6n]], 'x'.repeat(5000)), [12], 'OFFSET_METADATA_TOO_LARGE');
  const m = await join(await client(), 'g-two-offs');
  t.same(await commit('g-two-offs', m.generationId + 1, m.memberId, [[0, 1n]]), [22], 'stale or future generation');
  t.same(await commit('g-two-offs', m.generationId, 'intruder', [[0, 1n]]), [25]);
  t.same(await commit('g-two-offs', -1, '', [[0, 1n]]), [25], 'no member id in a non-empty group: UNKNOWN_MEMBER_ID');
  t.same(await commit('g-two-offs', m.generationId, m.memberId, [[0, 1n]]), [27], 'REBALANCE_IN_PROGRESS before the sync');

  const f = await c.request(OffsetFetch, 5, { groupId: 'g-simple', topics: [{ name: 'offs', partitionIndexes: [0, 1] }, { name: 'nothing', partitionIndexes: [0] }], groups: [], requireStable: false });
  t.same(f.topics.map((x) => x.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata])), [
    [[0, 5n, 3, 'meta'], [1, 7n, 3, 'meta']],
    [[0, -1n, -1, '']],
  ]);
  const all = await c.request(OffsetFetch, 8, { groupId: '', topics: [], groups: [{ groupId: 'g-simple', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'g-unknown', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
  t.same(all.groups.map((g) => [g.groupId, g.topics.map((x) => x.name)]), [['g-simple', ['offs']], ['g-unknown', []]], 'v8: all offsets of several groups');
  const del = await c.request(OffsetDelete, 0, { groupId: 'g-simple', topics: [{ name: 'offs', partitions: [{ partitionIndex: 1 }] }] });
  t.same([del.errorCode, del.topics[0]!.partitions[0]!.errorCode], [0, 0]);
  const after = await c.request(OffsetFetch, 1, { groupId: 'g-simple', topics: [{ name: 'offs', partitionIndexes: [1] }], groups: [], requireStable: false });
  t.equal(after.topics[0]!.partitions[0]!.committedOffset, -1n, 'deleted offset is gone');
  t.equal((await c.request(OffsetDelete, 0, { groupId: 'g-unknown', topics: [] })).errorCode, 69, 'GROUP_ID_NOT_FOUND');
});

t.test('committed offsets and stable groups survive a restart', async (t) => {
  const c = await client();
  const before = await c.request(OffsetFetch, 5, { groupId: 'g-simple', topics: null, groups: [], requireStable: false });
  const stable = await c.request(DescribeGroups, 2, { groups: ['g-two'], includeAuthorizedOperations: false });
  for (const x of clients.splice(0)) x.close();
  await broker.stop();
  await start();
  const c2 = await client();
  const after = await c2.request(OffsetFetch, 5, { groupId: 'g-simple', topics: null, groups: [], requireStable: false });
  t.same(after.topics, before.topics, 'offsets and metadata strings round-trip');
  const d = await c2.request(DescribeGroups, 2, { groups: ['g-two', 'g-leave'], includeAuthorizedOperations: false });
  t.same(
    d.groups[0]!.members.map((m) => [m.memberId, m.memberAssignment.toString()]).sort(),
    stable.groups[0]!.members.map((m) => [m.memberId, m.memberAssignment.toString()]).sort(),
    'the stable group comes back with its members and assignments',
  );
  t.equal(d.groups[0]!.groupState, 'Stable');
  t.equal(d.groups[1]!.groupState, 'Dead', 'a deleted group stays deleted');
});
