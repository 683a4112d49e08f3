/**
 * The classic group protocol with raw requests, at every version both brokers serve: coordinator
 * lookup, join (MEMBER_ID_REQUIRED from v4, protocol and session-timeout errors), sync, heartbeat,
 * leave, a second member forcing a rebalance, committed offsets (simple and member commits),
 * describe, list (state and type filters), delete and offset delete. Group names start with `dg-`
 * and are the same on both brokers; member ids are random and compared only as "present".
 */
import type { Scenario, Target } from '../framework.js';
import type { RawClient } from '../../raw-client.js';
import {
  DeleteGroups,
  DescribeGroups,
  FindCoordinator,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  SyncGroup,
  type DescribeGroupsResponseDescribedGroup,
  type OffsetCommitRequest,
  type OffsetFetchResponse,
} from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { assignment, awaitCoordinator, createTopic, joinBody, joinFollowing, joinView, sleep, subscription } from './group-util.js';

const ZERO_UUID = Buffer.alloc(16);

function describeView(g: DescribeGroupsResponseDescribedGroup): Record<string, unknown> {
  return {
    error: errorName(g.errorCode),
    groupId: g.groupId,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members
      .map((m) => ({ clientId: m.clientId, clientHost: m.clientHost, instance: m.groupInstanceId, metadata: m.memberMetadata.toString('hex'), assignment: m.memberAssignment.toString('hex') }))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
    authorizedOperations: g.authorizedOperations,
  };
}

async function describe(t: Target, v: number, groups: string[]): Promise<Array<Record<string, unknown>>> {
  const res = await t.request(DescribeGroups, v, { groups, includeAuthorizedOperations: false });
  // Kafka answers group by group in the order of its coordinator shards, not the request's; a
  // client matches results by group id, so the scenario compares them sorted.
  return res.groups.map(describeView).sort((a, b) => (String(a['groupId']) < String(b['groupId']) ? -1 : 1));
}

/** DeleteGroups results sorted by group id (Kafka answers in coordinator-shard order). */
function byGroup(results: Array<{ groupId: string; errorCode: number }>): Array<{ groupId: string; error: string }> {
  return results.map((r) => ({ groupId: r.groupId, error: errorName(r.errorCode) })).sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
}

/** LeaveGroup: one member id below v3, the members array from v3. */
function leaveBody(v: number, group: string, memberIds: string[]): { groupId: string; memberId: string; members: Array<{ memberId: string; groupInstanceId: null; reason: null }> } {
  if (v < 3) return { groupId: group, memberId: memberIds[0] ?? '', members: [] };
  return { groupId: group, memberId: '', members: memberIds.map((memberId) => ({ memberId, groupInstanceId: null, reason: null })) };
}

function commitBody(group: string, generation: number, memberId: string, topic: string, offsets: Array<[number, bigint]>, metadata: string | null = null): OffsetCommitRequest {
  return {
    groupId: group,
    generationIdOrMemberEpoch: generation,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: topic, topicId: ZERO_UUID, partitions: offsets.map(([p, o]) => ({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: metadata })) }],
  };
}

function commitErrors(res: { topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tp of res.topics) for (const p of tp.partitions) out[`${tp.name}-${p.partitionIndex}`] = errorName(p.errorCode);
  return out;
}

/** OffsetFetch for one group, in the v0-7 shape or the v8+ groups shape; topics null means all. */
async function fetchOffsets(t: Target, v: number, group: string, topics: Array<{ name: string; partitions: number[] }> | null, requireStable = false): Promise<OffsetFetchResponse> {
  if (v >= 8) {
    return t.request(OffsetFetch, v, {
      groupId: '',
      topics: [],
      groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: topics === null ? null : topics.map((x) => ({ name: x.name, topicId: ZERO_UUID, partitionIndexes: x.partitions })) }],
      requireStable,
    });
  }
  return t.request(OffsetFetch, v, { groupId: group, topics: topics === null ? null : topics.map((x) => ({ name: x.name, partitionIndexes: x.partitions })), groups: [], requireStable });
}

function offsetsView(res: OffsetFetchResponse, v: number): Record<string, unknown> {
  const view = (topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string | null; errorCode: number }> }>): unknown =>
    topics
      .map((tp) => ({ topic: tp.name, partitions: tp.partitions.map((p) => ({ p: p.partitionIndex, offset: p.committedOffset, epoch: p.committedLeaderEpoch, metadata: p.metadata, error: errorName(p.errorCode) })) }))
      .sort((a, b) => (a.topic < b.topic ? -1 : 1));
  if (v >= 8) return { groups: res.groups.map((g) => ({ groupId: g.groupId, error: errorName(g.errorCode), topics: view(g.topics) })) };
  return { error: errorName(res.errorCode), topics: view(res.topics) };
}

/** A one-member group, joined (v5) and synced with its assignment; returns its member id and generation. */
async function stableMember(c: RawClient, group: string, topics: string[], parts: Record<string, number[]>): Promise<{ memberId: string; generationId: number }> {
  const { res } = await joinFollowing(c, 5, group, { protocols: [{ name: 'range', metadata: subscription(topics) }] });
  if (res.errorCode !== 0) throw new Error(`join ${group}: ${errorName(res.errorCode)}`);
  const sync = await c.request(SyncGroup, 3, { groupId: group, generationId: res.generationId, memberId: res.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: res.memberId, assignment: assignment(parts) }] });
  if (sync.errorCode !== 0) throw new Error(`sync ${group}: ${errorName(sync.errorCode)}`);
  return { memberId: res.memberId, generationId: res.generationId };
}

export const groups: Scenario[] = [
  {
    name: 'group-find-coordinator',
    async run(t, see) {
      see.see('group/await', await awaitCoordinator(t, 'dg-fc', 0));
      see.see('txn/await', await awaitCoordinator(t, 'dg-fc-txn', 1));
      for (let v = 0; v <= 6; v++) {
        for (const [label, key, keyType] of [
          ['group', 'dg-fc', 0],
          ['txn', 'dg-fc-txn', 1],
          ['badtype', 'dg-fc', 9],
          ['emptykey', '', 0],
          ['txn-emptykey', '', 1],
        ] as const) {
          if (v === 0 && keyType !== 0) continue;
          const res = await t.request(FindCoordinator, v, v < 4 ? { key, keyType, coordinatorKeys: [] } : { key: '', keyType, coordinatorKeys: [key] });
          if (v < 4) see.see(`v${v}/${label}`, { error: errorName(res.errorCode), nodeId: res.nodeId, host: res.host, port: res.port, message: res.errorMessage === null ? null : 'set' });
          else see.see(`v${v}/${label}`, res.coordinators.map((x) => ({ key: x.key, error: errorName(x.errorCode), nodeId: x.nodeId, host: x.host, port: x.port, errorMessage: x.errorMessage })));
        }
      }
      // v4+: several keys in one request, one answer each.
      const many = await t.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['dg-fc', 'dg-fc-2', 'dg-fc-3'] });
      see.see('v4/three-keys', many.coordinators.map((x) => ({ key: x.key, error: errorName(x.errorCode) })));
    },
  },
  {
    name: 'group-join-versions',
    async run(t, see) {
      await awaitCoordinator(t, 'dg-join', 0);
      for (let v = 0; v <= 9; v++) {
        const group = `dg-join-v${v}`;
        const c = await t.connect();
        const { first, res } = await joinFollowing(c, v, group);
        see.code(`v${v}/first`, first.errorCode);
        see.see(`v${v}/first-has-member-id`, first.memberId !== '');
        see.see(`v${v}/join`, joinView(res));
        const sv = Math.min(v, 5);
        const sync = await c.request(SyncGroup, sv, {
          groupId: group,
          generationId: res.generationId,
          memberId: res.memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocolName: 'range',
          assignments: [{ memberId: res.memberId, assignment: assignment({ 'dg-topic': [0] }) }],
        });
        see.see(`v${v}/sync-v${sv}`, { error: errorName(sync.errorCode), protocolType: sync.protocolType, protocolName: sync.protocolName, assignment: sync.assignment.toString('hex') });
        const hv = Math.min(v, 4);
        const hb = await c.request(Heartbeat, hv, { groupId: group, generationId: res.generationId, memberId: res.memberId, groupInstanceId: null });
        see.code(`v${v}/heartbeat-v${hv}`, hb.errorCode);
        const dv = Math.min(v, 5);
        see.see(`v${v}/describe-v${dv}`, await describe(t, dv, [group]));
        const lv = Math.min(v, 5);
        const leave = await c.request(LeaveGroup, lv, leaveBody(lv, group, [res.memberId]));
        see.see(`v${v}/leave-v${lv}`, { error: errorName(leave.errorCode), members: leave.members.map((m) => ({ error: errorName(m.errorCode), instance: m.groupInstanceId })) });
        see.see(`v${v}/after-leave`, (await describe(t, 0, [group]))[0]?.['state']);
      }
    },
  },
  {
    name: 'group-join-errors',
    async run(t, see) {
      await createTopic(t, 'dg-topic', 2);
      await awaitCoordinator(t, 'dg-je', 0);
      const c = await t.connect();
      for (const v of [0, 3, 5, 9]) {
        const j = async (group: string, o: Parameters<typeof joinBody>[1]): Promise<string> => errorName((await c.request(JoinGroup, v, joinBody(group, o))).errorCode);
        see.see(`v${v}/empty-group-id`, await j('', {}));
        see.see(`v${v}/session-too-short`, await j(`dg-je-s-v${v}`, { sessionTimeoutMs: 500 }));
        see.see(`v${v}/session-too-long`, await j(`dg-je-s-v${v}`, { sessionTimeoutMs: 2_000_000 }));
        see.see(`v${v}/unknown-member`, await j(`dg-je-u-v${v}`, { memberId: 'nobody-here' }));
        see.see(`v${v}/empty-protocol-type`, await j(`dg-je-p-v${v}`, { protocolType: '' }));
        see.see(`v${v}/no-protocols`, await j(`dg-je-p-v${v}`, { protocols: [] }));
      }
      // The empty group id: refused by the membership APIs, accepted by the offset APIs (Kafka's
      // compatibility rule for old clients).
      see.code('empty-id/sync', (await c.request(SyncGroup, 3, { groupId: '', generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode);
      see.code('empty-id/heartbeat', (await c.request(Heartbeat, 3, { groupId: '', generationId: 1, memberId: 'x', groupInstanceId: null })).errorCode);
      see.code('empty-id/leave-v1', (await c.request(LeaveGroup, 1, leaveBody(1, '', ['x']))).errorCode);
      const leaveEmpty = await c.request(LeaveGroup, 4, leaveBody(4, '', ['x']));
      see.see('empty-id/leave-v4', { error: errorName(leaveEmpty.errorCode), members: leaveEmpty.members.map((m) => errorName(m.errorCode)) });
      const odEmpty = await c.request(OffsetDelete, 0, { groupId: '', topics: [{ name: 'dg-topic', partitions: [{ partitionIndex: 0 }] }] });
      see.see('empty-id/offset-delete', { error: errorName(odEmpty.errorCode), partitions: odEmpty.topics.flatMap((x) => x.partitions.map((p) => errorName(p.errorCode))) });
      see.see('empty-id/offset-fetch-v1', offsetsView(await fetchOffsets(t, 1, '', [{ name: 'dg-topic', partitions: [0] }]), 1));
      see.see('empty-id/offset-fetch-v8', offsetsView(await fetchOffsets(t, 8, '', [{ name: 'dg-topic', partitions: [0] }]), 8));
      // A stable one-member group; then newcomers with another protocol type or no common protocol.
      const a = await t.connect();
      const group = 'dg-je-stable';
      const m = await stableMember(a, group, ['dg-topic'], { 'dg-topic': [0] });
      for (const v of [2, 3, 5, 9]) {
        const other = await t.connect();
        see.see(`v${v}/other-protocol-type`, errorName((await other.request(JoinGroup, v, joinBody(group, { protocolType: 'connect' }))).errorCode));
        see.see(`v${v}/no-common-protocol`, errorName((await other.request(JoinGroup, v, joinBody(group, { protocols: [{ name: 'roundrobin', metadata: subscription(['dg-topic']) }] }))).errorCode));
      }
      see.see('stable/describe', await describe(t, 5, [group]));
      // The only member (the leader) rejoins with the same metadata.
      const again = await a.request(JoinGroup, 5, joinBody(group, { memberId: m.memberId }));
      see.see('rejoin/join', joinView(again));
      see.see('rejoin/generation-delta', again.generationId - m.generationId);
      // Sync errors on this group.
      const sync = (generationId: number, memberId: string, protocolType: string | null = 'consumer', protocolName: string | null = 'range', v = 5): Promise<{ errorCode: number }> =>
        a.request(SyncGroup, v, { groupId: group, generationId, memberId, groupInstanceId: null, protocolType, protocolName, assignments: [] });
      see.code('sync/stale-generation', (await sync(again.generationId - 1, m.memberId)).errorCode);
      see.code('sync/unknown-member', (await sync(again.generationId, 'nobody-here')).errorCode);
      see.code('sync/wrong-protocol-type', (await sync(again.generationId, m.memberId, 'connect')).errorCode);
      see.code('sync/wrong-protocol-name', (await sync(again.generationId, m.memberId, 'consumer', 'roundrobin')).errorCode);
      see.code('sync/unknown-group', (await a.request(SyncGroup, 3, { groupId: 'dg-je-none', generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode);
      const ok = await sync(again.generationId, m.memberId, null, null, 3);
      see.code('sync/leader-no-assignments', ok.errorCode);
      await a.request(LeaveGroup, 1, leaveBody(1, group, [m.memberId]));
    },
  },
  {
    name: 'group-rebalance',
    async run(t, see) {
      await createTopic(t, 'dg-topic', 2);
      await awaitCoordinator(t, 'dg-rb', 0);
      const group = 'dg-rb';
      const a = await t.connect();
      const b = await t.connect();
      const ma = await stableMember(a, group, ['dg-topic'], { 'dg-topic': [0, 1] });
      see.see('a/generation', ma.generationId);
      // A second member joins: the group prepares a rebalance and B waits for A to rejoin.
      const bJoin = joinFollowing(b, 5, group, { protocols: [{ name: 'range', metadata: subscription(['dg-topic']) }] });
      await sleep(500);
      see.see('preparing/describe', await describe(t, 5, [group]));
      for (const v of [0, 1, 2, 3, 4]) see.code(`preparing/heartbeat-v${v}`, (await a.request(Heartbeat, v, { groupId: group, generationId: ma.generationId, memberId: ma.memberId, groupInstanceId: null })).errorCode);
      see.code('preparing/sync', (await a.request(SyncGroup, 3, { groupId: group, generationId: ma.generationId, memberId: ma.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode);
      see.see('preparing/commit', commitErrors(await a.request(OffsetCommit, 5, commitBody(group, ma.generationId, ma.memberId, 'dg-topic', [[0, 1n]]))));
      const aJoin = await a.request(JoinGroup, 5, joinBody(group, { memberId: ma.memberId }));
      const bj = await bJoin;
      see.see('rejoined/a', joinView(aJoin));
      see.see('rejoined/b-first', errorName(bj.first.errorCode));
      see.see('rejoined/b', joinView(bj.res));
      const gen = aJoin.generationId;
      see.see('completing/describe', await describe(t, 5, [group]));
      see.code('completing/heartbeat-b', (await b.request(Heartbeat, 4, { groupId: group, generationId: gen, memberId: bj.res.memberId, groupInstanceId: null })).errorCode);
      // The follower's sync waits for the leader's.
      const leader = aJoin.leader === ma.memberId ? { c: a, id: ma.memberId } : { c: b, id: bj.res.memberId };
      const follower = leader.c === a ? { c: b, id: bj.res.memberId } : { c: a, id: ma.memberId };
      see.see('leader-is-old-member', leader.id === ma.memberId);
      const followerSync = follower.c.request(SyncGroup, 5, { groupId: group, generationId: gen, memberId: follower.id, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
      await sleep(200);
      const leaderSync = await leader.c.request(SyncGroup, 5, {
        groupId: group,
        generationId: gen,
        memberId: leader.id,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [
          { memberId: leader.id, assignment: assignment({ 'dg-topic': [0] }) },
          { memberId: follower.id, assignment: assignment({ 'dg-topic': [1] }) },
        ],
      });
      const fs = await followerSync;
      see.see('synced/leader', { error: errorName(leaderSync.errorCode), assignment: leaderSync.assignment.toString('hex') });
      see.see('synced/follower', { error: errorName(fs.errorCode), assignment: fs.assignment.toString('hex') });
      see.see('stable/describe', await describe(t, 5, [group]));
      for (const v of [0, 2, 4]) {
        see.code(`stable/heartbeat-stale-v${v}`, (await a.request(Heartbeat, v, { groupId: group, generationId: gen - 1, memberId: ma.memberId, groupInstanceId: null })).errorCode);
        see.code(`stable/heartbeat-unknown-member-v${v}`, (await a.request(Heartbeat, v, { groupId: group, generationId: gen, memberId: 'nobody-here', groupInstanceId: null })).errorCode);
        see.code(`stable/heartbeat-unknown-group-v${v}`, (await a.request(Heartbeat, v, { groupId: 'dg-rb-none', generationId: 1, memberId: 'nobody-here', groupInstanceId: null })).errorCode);
        see.code(`stable/heartbeat-future-generation-v${v}`, (await a.request(Heartbeat, v, { groupId: group, generationId: gen + 5, memberId: ma.memberId, groupInstanceId: null })).errorCode);
      }
      see.code('stable/delete-non-empty', (await t.request(DeleteGroups, 1, { groupsNames: [group] })).results[0]!.errorCode);
      // v3+ leave names members; one of them unknown.
      const leave = await a.request(LeaveGroup, 3, { groupId: group, memberId: '', members: [{ memberId: ma.memberId, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }] });
      see.see('leave-batch', { error: errorName(leave.errorCode), members: leave.members.map((m) => errorName(m.errorCode)) });
      const leftId = bj.res.memberId;
      see.code('after-leave/heartbeat-b', (await b.request(Heartbeat, 4, { groupId: group, generationId: gen, memberId: leftId, groupInstanceId: null })).errorCode);
      see.code('after-leave/heartbeat-a', (await b.request(Heartbeat, 4, { groupId: group, generationId: gen, memberId: ma.memberId, groupInstanceId: null })).errorCode);
      const leaveB = await b.request(LeaveGroup, 1, leaveBody(1, group, [leftId]));
      see.code('leave-b-v1', leaveB.errorCode);
      see.code('leave-again-v1', (await b.request(LeaveGroup, 1, leaveBody(1, group, [leftId]))).errorCode);
      see.code('leave-unknown-group-v0', (await b.request(LeaveGroup, 0, leaveBody(0, 'dg-rb-none', ['x']))).errorCode);
      const leaveNone = await b.request(LeaveGroup, 5, { groupId: 'dg-rb-none', memberId: '', members: [{ memberId: 'x', groupInstanceId: null, reason: 'bye' }] });
      see.see('leave-unknown-group-v5', { error: errorName(leaveNone.errorCode), members: leaveNone.members.map((m) => errorName(m.errorCode)) });
      see.see('empty/describe', await describe(t, 5, [group]));
      see.see('delete', byGroup((await t.request(DeleteGroups, 2, { groupsNames: [group, 'dg-rb-none'] })).results));
      see.see('deleted/describe', await describe(t, 5, [group]));
    },
  },
  {
    name: 'group-offsets',
    async run(t, see) {
      see.see('create', await createTopic(t, 'dg-offsets', 2));
      await awaitCoordinator(t, 'dg-oc', 0);
      const topics = [{ name: 'dg-offsets', partitions: [0, 1] }];
      // Simple (admin-style) commits: generation -1, no member.
      for (let v = 2; v <= 9; v++) {
        const res = await t.request(OffsetCommit, v, commitBody('dg-oc', -1, '', 'dg-offsets', [[0, BigInt(v * 10)], [1, BigInt(v)]], `m${v}`));
        see.see(`commit-v${v}`, commitErrors(res));
        see.see(`commit-v${v}/unknown-topic`, commitErrors(await t.request(OffsetCommit, v, commitBody('dg-oc', -1, '', 'dg-no-such-topic', [[0, 1n]]))));
        see.see(`commit-v${v}/unknown-partition`, commitErrors(await t.request(OffsetCommit, v, commitBody('dg-oc', -1, '', 'dg-offsets', [[7, 1n]]))));
      }
      see.see('commit/empty-group-member-and-generation', commitErrors(await t.request(OffsetCommit, 7, commitBody('dg-oc', 3, 'someone', 'dg-offsets', [[0, 5n]]))));
      see.see('commit/empty-group-id', commitErrors(await t.request(OffsetCommit, 7, commitBody('', -1, '', 'dg-offsets', [[0, 5n]]))));
      see.see('commit/negative-offset', commitErrors(await t.request(OffsetCommit, 7, commitBody('dg-oc-neg', -1, '', 'dg-offsets', [[0, -5n]]))));
      for (let v = 1; v <= 9; v++) {
        see.see(`fetch-v${v}`, offsetsView(await fetchOffsets(t, v, 'dg-oc', topics), v));
        if (v >= 2) see.see(`fetch-v${v}/all-topics`, offsetsView(await fetchOffsets(t, v, 'dg-oc', null), v));
        see.see(`fetch-v${v}/unknown-group`, offsetsView(await fetchOffsets(t, v, 'dg-oc-none', topics), v));
        see.see(`fetch-v${v}/unknown-topic`, offsetsView(await fetchOffsets(t, v, 'dg-oc', [{ name: 'dg-no-such-topic', partitions: [0] }]), v));
      }
      see.see('fetch-v7/require-stable', offsetsView(await fetchOffsets(t, 7, 'dg-oc', topics, true), 7));
      see.see('fetch-neg', offsetsView(await fetchOffsets(t, 5, 'dg-oc-neg', topics), 5));
      // v8+: two groups in one request.
      const two = await t.request(OffsetFetch, 8, {
        groupId: '',
        topics: [],
        groups: [
          { groupId: 'dg-oc', memberId: null, memberEpoch: -1, topics: null },
          { groupId: 'dg-oc-none', memberId: null, memberEpoch: -1, topics: null },
        ],
        requireStable: false,
      });
      see.see('fetch-v8/two-groups', offsetsView(two, 8));

      // Commits by a member of an active group.
      const a = await t.connect();
      const group = 'dg-oc-active';
      const m = await stableMember(a, group, ['dg-offsets'], { 'dg-offsets': [0, 1] });
      for (const v of [2, 5, 7, 9]) {
        see.see(`active-v${v}/member`, commitErrors(await a.request(OffsetCommit, v, commitBody(group, m.generationId, m.memberId, 'dg-offsets', [[0, BigInt(100 + v)]]))));
        see.see(`active-v${v}/stale-generation`, commitErrors(await a.request(OffsetCommit, v, commitBody(group, m.generationId - 1, m.memberId, 'dg-offsets', [[0, 1n]]))));
        see.see(`active-v${v}/unknown-member`, commitErrors(await a.request(OffsetCommit, v, commitBody(group, m.generationId, 'nobody-here', 'dg-offsets', [[0, 1n]]))));
        see.see(`active-v${v}/simple`, commitErrors(await a.request(OffsetCommit, v, commitBody(group, -1, '', 'dg-offsets', [[0, 1n]]))));
      }
      see.see('active/fetch', offsetsView(await fetchOffsets(t, 5, group, topics), 5));
      // OffsetDelete: refused for a topic the group subscribes to, accepted once the group is empty.
      const od = async (g: string, topic: string): Promise<unknown> => {
        const res = await t.request(OffsetDelete, 0, { groupId: g, topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] });
        return { error: errorName(res.errorCode), partitions: res.topics.flatMap((x) => x.partitions.map((p) => errorName(p.errorCode))) };
      };
      see.see('offset-delete/subscribed', await od(group, 'dg-offsets'));
      see.see('offset-delete/unknown-group', await od('dg-oc-none', 'dg-offsets'));
      see.see('offset-delete/unknown-topic', await od(group, 'dg-no-such-topic'));
      see.see('delete/non-empty', (await t.request(DeleteGroups, 0, { groupsNames: [group] })).results.map((r) => errorName(r.errorCode)));
      await a.request(LeaveGroup, 0, leaveBody(0, group, [m.memberId]));
      see.see('offset-delete/empty', await od(group, 'dg-offsets'));
      see.see('after-offset-delete/fetch', offsetsView(await fetchOffsets(t, 5, group, topics), 5));
      see.see('offset-delete/simple-group', await od('dg-oc', 'dg-offsets'));
      see.see('after-offset-delete/simple-group', offsetsView(await fetchOffsets(t, 5, 'dg-oc', topics), 5));
      for (const v of [0, 1, 2]) {
        const res = await t.request(DeleteGroups, v, { groupsNames: v === 0 ? [group] : v === 1 ? ['dg-oc', 'dg-oc-none'] : [group, ''] });
        see.see(`delete-v${v}`, byGroup(res.results));
      }
      see.see('deleted/fetch', offsetsView(await fetchOffsets(t, 5, 'dg-oc', topics), 5));
    },
  },
  {
    name: 'group-list-describe',
    async run(t, see) {
      await createTopic(t, 'dg-topic', 2);
      await awaitCoordinator(t, 'dg-ld', 0);
      await t.request(OffsetCommit, 5, commitBody('dg-ld-empty', -1, '', 'dg-topic', [[0, 1n]]));
      const a = await t.connect();
      const m = await stableMember(a, 'dg-ld-stable', ['dg-topic'], { 'dg-topic': [0] });
      const mine = (gs: Array<{ groupId: string; protocolType: string; groupState: string; groupType: string }>, v: number): unknown =>
        gs
          .filter((g) => g.groupId.startsWith('dg-ld-'))
          .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, ...(v >= 4 ? { state: g.groupState } : {}), ...(v >= 5 ? { type: g.groupType } : {}) }))
          .sort((x, y) => (x.groupId < y.groupId ? -1 : 1));
      for (let v = 0; v <= 5; v++) {
        const all = await t.request(ListGroups, v, { statesFilter: [], typesFilter: [] });
        see.see(`list-v${v}`, { error: errorName(all.errorCode), groups: mine(all.groups, v) });
        if (v >= 4) {
          for (const states of [['Stable'], ['Empty'], ['stable'], ['PreparingRebalance', 'Empty'], ['NoSuchState']]) {
            const r = await t.request(ListGroups, v, { statesFilter: states, typesFilter: [] });
            see.see(`list-v${v}/states-${states.join('+')}`, { error: errorName(r.errorCode), groups: mine(r.groups, v) });
          }
        }
        if (v >= 5) {
          for (const types of [['classic'], ['consumer'], ['Classic'], ['share']]) {
            const r = await t.request(ListGroups, v, { statesFilter: [], typesFilter: types });
            see.see(`list-v${v}/types-${types.join('+')}`, { error: errorName(r.errorCode), groups: mine(r.groups, v) });
          }
        }
      }
      for (let v = 0; v <= 6; v++) {
        see.see(`describe-v${v}`, await describe(t, v, ['dg-ld-stable', 'dg-ld-empty', 'dg-ld-none']));
      }
      const withOps = await t.request(DescribeGroups, 3, { groups: ['dg-ld-stable'], includeAuthorizedOperations: true });
      see.see('describe-v3/authorized-operations', withOps.groups.map((g) => g.authorizedOperations));
      see.see('describe/empty-id', await describe(t, 5, ['']));
      await a.request(LeaveGroup, 0, leaveBody(0, 'dg-ld-stable', [m.memberId]));
      see.see('describe/after-leave', await describe(t, 5, ['dg-ld-stable']));
    },
  },
  {
    name: 'group-static-members',
    async run(t, see) {
      await createTopic(t, 'dg-topic', 2);
      await awaitCoordinator(t, 'dg-static', 0);
      const group = 'dg-static';
      const a = await t.connect();
      const inst = 'instance-1';
      const protocols = [{ name: 'range', metadata: subscription(['dg-topic']) }];
      // KIP-345: a static member joins without MEMBER_ID_REQUIRED.
      const first = await a.request(JoinGroup, 5, joinBody(group, { groupInstanceId: inst, protocols }));
      see.see('join', joinView(first));
      const sync = await a.request(SyncGroup, 5, { groupId: group, generationId: first.generationId, memberId: first.memberId, groupInstanceId: inst, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: assignment({ 'dg-topic': [0, 1] }) }] });
      see.code('sync', sync.errorCode);
      see.see('describe', await describe(t, 5, [group]));
      // The same instance comes back without its member id (a restart): it replaces the old member.
      const b = await t.connect();
      const again = await b.request(JoinGroup, 5, joinBody(group, { groupInstanceId: inst, protocols }));
      see.see('rejoin', joinView(again));
      see.see('rejoin/leader-is-old-member-id', again.leader === first.memberId);
      see.see('rejoin/new-member-id', again.memberId !== first.memberId);
      see.see('rejoin/generation-delta', again.generationId - first.generationId);
      const hb = (memberId: string, generationId: number, instance: string | null, v = 4): Promise<{ errorCode: number }> => b.request(Heartbeat, v, { groupId: group, generationId, memberId, groupInstanceId: instance });
      see.code('old/heartbeat', (await hb(first.memberId, again.generationId, inst)).errorCode);
      see.code('old/sync', (await a.request(SyncGroup, 5, { groupId: group, generationId: again.generationId, memberId: first.memberId, groupInstanceId: inst, protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode);
      const commit = await a.request(OffsetCommit, 7, { ...commitBody(group, again.generationId, first.memberId, 'dg-topic', [[0, 1n]]), groupInstanceId: inst });
      see.see('old/commit', commitErrors(commit));
      see.code('old/join', (await a.request(JoinGroup, 5, joinBody(group, { memberId: first.memberId, groupInstanceId: inst, protocols }))).errorCode);
      see.code('new/heartbeat', (await hb(again.memberId, again.generationId, inst)).errorCode);
      see.code('new/heartbeat-without-instance', (await hb(again.memberId, again.generationId, null)).errorCode);
      see.code('new/heartbeat-other-instance', (await hb(again.memberId, again.generationId, 'instance-2')).errorCode);
      see.code('new/heartbeat-v2', (await hb(again.memberId, again.generationId, null, 2)).errorCode);
      const leaveWrong = await b.request(LeaveGroup, 4, { groupId: group, memberId: '', members: [{ memberId: 'not-the-member', groupInstanceId: inst, reason: null }] });
      see.see('leave/wrong-member-id', { error: errorName(leaveWrong.errorCode), members: leaveWrong.members.map((m) => ({ error: errorName(m.errorCode), instance: m.groupInstanceId })) });
      const leaveUnknown = await b.request(LeaveGroup, 4, { groupId: group, memberId: '', members: [{ memberId: '', groupInstanceId: 'instance-9', reason: null }] });
      see.see('leave/unknown-instance', { error: errorName(leaveUnknown.errorCode), members: leaveUnknown.members.map((m) => ({ error: errorName(m.errorCode), instance: m.groupInstanceId })) });
      see.see('describe-before-leave', await describe(t, 5, [group]));
      const leave = await b.request(LeaveGroup, 5, { groupId: group, memberId: '', members: [{ memberId: '', groupInstanceId: inst, reason: 'done' }] });
      see.see('leave/by-instance', { error: errorName(leave.errorCode), members: leave.members.map((m) => ({ error: errorName(m.errorCode), instance: m.groupInstanceId })) });
      see.see('describe-after-leave', await describe(t, 5, [group]));
    },
  },
  {
    name: 'group-timeouts',
    async run(t, see) {
      await createTopic(t, 'dg-topic', 2);
      await awaitCoordinator(t, 'dg-to', 0);
      // A member that stops heartbeating is removed after its session timeout.
      const a = await t.connect();
      const { res } = await joinFollowing(a, 5, 'dg-to-session', { sessionTimeoutMs: 1000, rebalanceTimeoutMs: 1000 });
      await a.request(SyncGroup, 3, { groupId: 'dg-to-session', generationId: res.generationId, memberId: res.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: res.memberId, assignment: assignment({ 'dg-topic': [0] }) }] });
      see.see('session/describe-stable', await describe(t, 5, ['dg-to-session']));
      await sleep(3000);
      see.see('session/describe-expired', await describe(t, 5, ['dg-to-session']));
      see.code('session/heartbeat-after', (await a.request(Heartbeat, 4, { groupId: 'dg-to-session', generationId: res.generationId, memberId: res.memberId, groupInstanceId: null })).errorCode);
      see.see('session/commit-after', commitErrors(await a.request(OffsetCommit, 7, commitBody('dg-to-session', res.generationId, res.memberId, 'dg-topic', [[0, 1n]]))));
      see.code('session/sync-after', (await a.request(SyncGroup, 3, { groupId: 'dg-to-session', generationId: res.generationId, memberId: res.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode);
      const rejoin = await a.request(JoinGroup, 5, joinBody('dg-to-session', { memberId: res.memberId }));
      see.code('session/rejoin-old-id', rejoin.errorCode);

      // A member that does not rejoin within the rebalance timeout is dropped; the newcomer's join
      // completes without it.
      const b = await t.connect();
      const c = await t.connect();
      const m = await joinFollowing(b, 5, 'dg-to-rebalance', { sessionTimeoutMs: 10000, rebalanceTimeoutMs: 1500 });
      await b.request(SyncGroup, 3, { groupId: 'dg-to-rebalance', generationId: m.res.generationId, memberId: m.res.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: m.res.memberId, assignment: assignment({ 'dg-topic': [0, 1] }) }] });
      const started = Date.now();
      const late = await joinFollowing(c, 5, 'dg-to-rebalance', { sessionTimeoutMs: 10000, rebalanceTimeoutMs: 1500 });
      see.see('rebalance/newcomer', joinView(late.res));
      see.see('rebalance/newcomer-waited-at-least-1s', Date.now() - started >= 1000);
      see.see('rebalance/generation-delta', late.res.generationId - m.res.generationId);
      see.code('rebalance/dropped-heartbeat', (await b.request(Heartbeat, 4, { groupId: 'dg-to-rebalance', generationId: m.res.generationId, memberId: m.res.memberId, groupInstanceId: null })).errorCode);
      see.see('rebalance/describe', await describe(t, 5, ['dg-to-rebalance']));
      await c.request(LeaveGroup, 1, leaveBody(1, 'dg-to-rebalance', [late.res.memberId]));

      // JoinGroup v9 (KIP-814): a static leader rejoining under a new member id keeps the group's
      // assignment and is told to skip computing one.
      const d = await t.connect();
      const inst = 'dg-to-instance';
      const j = await d.request(JoinGroup, 9, joinBody('dg-to-static9', { groupInstanceId: inst }));
      await d.request(SyncGroup, 5, { groupId: 'dg-to-static9', generationId: j.generationId, memberId: j.memberId, groupInstanceId: inst, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: assignment({ 'dg-topic': [0] }) }] });
      const e = await t.connect();
      const again = await e.request(JoinGroup, 9, joinBody('dg-to-static9', { groupInstanceId: inst }));
      see.see('static-v9/rejoin', joinView(again));
      see.see('static-v9/leader-is-new-member-id', again.leader === again.memberId);
      const s9 = await e.request(SyncGroup, 5, { groupId: 'dg-to-static9', generationId: again.generationId, memberId: again.memberId, groupInstanceId: inst, protocolType: 'consumer', protocolName: 'range', assignments: [] });
      see.see('static-v9/sync', { error: errorName(s9.errorCode), assignment: s9.assignment.toString('hex') });
      await e.request(LeaveGroup, 5, { groupId: 'dg-to-static9', memberId: '', members: [{ memberId: again.memberId, groupInstanceId: inst, reason: null }] });
    },
  },
];
