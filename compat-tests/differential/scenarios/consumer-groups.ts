/**
 * KIP-848 consumer groups with raw requests: ConsumerGroupHeartbeat's validation errors, a first
 * member's join, a second member's join with the revocation it causes (epochs and partition
 * counts at each step; which partition moves is the assignor's choice, so only counts are
 * compared), epoch fencing, ConsumerGroupDescribe, OffsetCommit/OffsetFetch epoch checks,
 * ListGroups types, DescribeGroups and DeleteGroups on a consumer group, a classic JoinGroup into
 * it, static members leaving for a while and coming back, and leaving. Member ids are chosen by
 * the scenario (v1, KIP-1082), the same on both brokers.
 */
import { randomUUID } from 'node:crypto';
import type { Scenario, Target, Recorder } from '../framework.js';
import type { RawClient } from '../../raw-client.js';
import {
  ConsumerGroupDescribe,
  ConsumerGroupHeartbeat,
  DeleteGroups,
  DescribeConfigs,
  DescribeGroups,
  IncrementalAlterConfigs,
  ListGroups,
  OffsetCommit,
  OffsetFetch,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { awaitCoordinator, createTopic, joinFollowing, subscription } from './group-util.js';
import { settled } from './util.js';

type Owned = Array<{ topicId: Buffer; partitions: number[] }>;

function hbBody(group: string, memberId: string, memberEpoch: number, o: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatRequest {
  return {
    groupId: group,
    memberId,
    memberEpoch,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
    ...o,
  };
}

const parts = (r: ConsumerGroupHeartbeatResponse): number[] | null => (r.assignment === null ? null : r.assignment.topicPartitions.flatMap((tp) => tp.partitions).sort((a, b) => a - b));

function view(r: ConsumerGroupHeartbeatResponse): Record<string, unknown> {
  const p = parts(r);
  return { error: errorName(r.errorCode), memberEpoch: r.memberEpoch, partitionCount: p === null ? null : p.length, message: r.errorMessage !== null };
}

async function hb(c: RawClient, body: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResponse> {
  return c.request(ConsumerGroupHeartbeat, 1, body);
}

async function describe(t: Target, group: string): Promise<Record<string, unknown>> {
  const res = await t.request(ConsumerGroupDescribe, 1, { groupIds: [group], includeAuthorizedOperations: false });
  const g = res.groups[0]!;
  return {
    error: errorName(g.errorCode),
    state: g.groupState,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignor: g.assignorName,
    members: g.members
      .map((m) => ({
        epoch: m.memberEpoch,
        instance: m.instanceId,
        topics: m.subscribedTopicNames,
        assigned: m.assignment.topicPartitions.reduce((n, tp) => n + tp.partitions.length, 0),
        target: m.targetAssignment.topicPartitions.reduce((n, tp) => n + tp.partitions.length, 0),
        memberType: m.memberType,
      }))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
  };
}

async function heartbeatErrors(t: Target, see: Recorder): Promise<void> {
  const c = await t.connect();
  const group = 'dcg-errors';
  await awaitCoordinator(t, group, 0);
  const full = { rebalanceTimeoutMs: 30000, subscribedTopicNames: ['dcg-topic'], topicPartitions: [] };
  const cases: Array<[string, ConsumerGroupHeartbeatRequest]> = [
    ['empty-group', hbBody('', randomUUID(), 0, full)],
    ['no-rebalance-timeout', hbBody(group, randomUUID(), 0, { ...full, rebalanceTimeoutMs: -1 })],
    ['owned-on-join', hbBody(group, randomUUID(), 0, { ...full, topicPartitions: null })],
    ['empty-subscription', hbBody(group, randomUUID(), 0, { ...full, subscribedTopicNames: [] })],
    ['no-subscription', hbBody(group, randomUUID(), 0, { ...full, subscribedTopicNames: null })],
    ['bad-epoch', hbBody(group, randomUUID(), -3)],
    ['empty-member-id', hbBody(group, '', 0, full)],
    ['empty-instance-id', hbBody(group, randomUUID(), 0, { ...full, instanceId: '' })],
    ['unsupported-assignor', hbBody(group, randomUUID(), 0, { ...full, serverAssignor: 'sticky' })],
    ['unknown-group', hbBody('dcg-nowhere', randomUUID(), 3)],
    ['leave-unknown-group', hbBody('dcg-nowhere', randomUUID(), -1)],
  ];
  for (const [name, body] of cases) {
    const r = await hb(c, body);
    see.see(name, { error: errorName(r.errorCode), message: r.errorMessage !== null });
  }
  const d = await t.request(ConsumerGroupDescribe, 1, { groupIds: ['dcg-nowhere'], includeAuthorizedOperations: false });
  see.see('describe-unknown', { error: errorName(d.groups[0]!.errorCode), state: d.groups[0]!.groupState });
}

async function lifecycle(t: Target, see: Recorder): Promise<void> {
  const c = await t.connect();
  const topic = 'dcg-topic';
  const group = 'dcg-life';
  see.see('create', await createTopic(t, topic, 3));
  await awaitCoordinator(t, group, 0);
  const a = randomUUID();
  const b = randomUUID();
  const full = { rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], topicPartitions: [] };

  const a1 = await hb(c, hbBody(group, a, 0, full));
  see.see('a-join', { ...view(a1), interval: a1.heartbeatIntervalMs > 0 });
  const topicId = a1.assignment?.topicPartitions[0]?.topicId ?? Buffer.alloc(16);
  const owned = (ps: number[]): Owned => [{ topicId, partitions: ps }];
  see.see('a-steady', view(await hb(c, hbBody(group, a, a1.memberEpoch, { topicPartitions: owned(parts(a1) ?? []) }))));
  see.see('describe-one', await describe(t, group));

  const b1 = await hb(c, hbBody(group, b, 0, full));
  see.see('b-join', view(b1));
  see.see('describe-reconciling', await describe(t, group));
  const a2 = await hb(c, hbBody(group, a, a1.memberEpoch, { topicPartitions: owned([0, 1, 2]) }));
  see.see('a-must-revoke', view(a2));
  const kept = parts(a2) ?? [];
  const a3 = await hb(c, hbBody(group, a, a2.memberEpoch, { topicPartitions: owned(kept) }));
  see.see('a-revoked', view(a3));
  const b2 = await hb(c, hbBody(group, b, b1.memberEpoch, { topicPartitions: owned([]) }));
  see.see('b-gets-released', view(b2));
  await hb(c, hbBody(group, a, a3.memberEpoch, { topicPartitions: owned(kept) }));
  await hb(c, hbBody(group, b, b2.memberEpoch, { topicPartitions: owned(parts(b2) ?? []) }));
  see.see('describe-stable', await describe(t, group));

  see.see('fenced-ahead', view(await hb(c, hbBody(group, a, a3.memberEpoch + 5, { topicPartitions: owned(kept) }))));
  see.see('unknown-member', view(await hb(c, hbBody(group, randomUUID(), 2))));

  // Offsets: members commit with their epoch at v9+.
  const commit = async (memberId: string, epoch: number, v = 9) => {
    const r = await c.request(OffsetCommit, v, {
      groupId: group,
      generationIdOrMemberEpoch: epoch,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topic, topicId: Buffer.alloc(16), partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    return errorName(r.topics[0]!.partitions[0]!.errorCode);
  };
  see.see('commit-current', await commit(a, a3.memberEpoch));
  see.see('commit-stale', await commit(a, a3.memberEpoch - 1));
  see.see('commit-unknown', await commit(randomUUID(), a3.memberEpoch));
  see.see('commit-v8', await commit(a, a3.memberEpoch, 8));
  see.see('commit-admin', await commit('', -1));
  const fetch = async (memberId: string | null, memberEpoch: number) => {
    const r = await c.request(OffsetFetch, 9, { groupId: '', topics: [], groups: [{ groupId: group, memberId, memberEpoch, topics: [{ name: topic, topicId: Buffer.alloc(16), partitionIndexes: [0] }] }], requireStable: false });
    return errorName(r.groups[0]!.errorCode);
  };
  see.see('fetch-current', await fetch(a, a3.memberEpoch));
  see.see('fetch-stale', await fetch(a, a3.memberEpoch - 1));
  see.see('fetch-admin', await fetch(null, -1));

  const listed = await t.request(ListGroups, 5, { statesFilter: [], typesFilter: [] });
  see.see('list', listed.groups.filter((g) => g.groupId === group).map((g) => ({ type: g.groupType, protocolType: g.protocolType, state: g.groupState })));
  const listedClassic = await t.request(ListGroups, 5, { statesFilter: [], typesFilter: ['classic'] });
  see.see('list-classic', listedClassic.groups.filter((g) => g.groupId === group).length);
  for (const v of [5, 6]) {
    const dg = await t.request(DescribeGroups, v, { groups: [group], includeAuthorizedOperations: false });
    see.see(`describe-groups-v${v}`, { error: errorName(dg.groups[0]!.errorCode), state: dg.groups[0]!.groupState, members: dg.groups[0]!.members.length, message: dg.groups[0]!.errorMessage });
  }
  const del = await t.request(DeleteGroups, 2, { groupsNames: [group] });
  see.see('delete-non-empty', errorName(del.results[0]!.errorCode));

  see.see('b-leaves', view(await hb(c, hbBody(group, b, -1))));
  see.see('describe-after-leave', await describe(t, group));
  const a4 = await hb(c, hbBody(group, a, a3.memberEpoch, { topicPartitions: owned(kept) }));
  see.see('a-after-leave', view(a4));
  see.see('a-leaves', view(await hb(c, hbBody(group, a, -1))));
  see.see('describe-empty', await describe(t, group));
  see.see('delete-empty', errorName((await t.request(DeleteGroups, 2, { groupsNames: [group] })).results[0]!.errorCode));
}

async function staticMembers(t: Target, see: Recorder): Promise<void> {
  const c = await t.connect();
  const topic = 'dcg-static-topic';
  const group = 'dcg-static';
  await createTopic(t, topic, 2);
  await awaitCoordinator(t, group, 0);
  const a = randomUUID();
  const full = { rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], topicPartitions: [], instanceId: 'i-a' };
  const a1 = await hb(c, hbBody(group, a, 0, full));
  see.see('join', view(a1));
  const a2 = randomUUID();
  see.see('second-incarnation-refused', view(await hb(c, hbBody(group, a2, 0, full))));
  see.see('temporary-leave', view(await hb(c, hbBody(group, a, -2, { instanceId: 'i-a' }))));
  see.see('describe-away', await describe(t, group));
  const back = await hb(c, hbBody(group, a2, 0, full));
  see.see('rejoin', view(back));
  see.see('describe-back', await describe(t, group));
  see.see('old-id-fenced', view(await hb(c, hbBody(group, a, back.memberEpoch, { instanceId: 'i-a' }))));
  // A classic member asking to join a consumer group with members.
  const j = await joinFollowing(c, 9, group, { protocols: [{ name: 'range', metadata: subscription([topic]) }] });
  see.see('classic-join', errorName(j.res.errorCode));
}


/** The GROUP config resource (type 32): describe, alter, validation, and a heartbeat that uses it. */
async function groupConfigs(t: Target, see: Recorder): Promise<void> {
  const group = 'dcg-cfg';
  const describeGroup = async (keys: string[] | null = null) => {
    const r = await t.request(DescribeConfigs, 4, { resources: [{ resourceType: 32, resourceName: group, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false });
    const res = r.results[0]!;
    return { error: errorName(res.errorCode), configs: res.configs.map((c) => ({ name: c.name, value: c.value, source: c.configSource, readOnly: c.readOnly, type: c.configType, synonyms: c.synonyms.map((s) => [s.name, s.value, s.source]) })).sort((a, b) => (a.name < b.name ? -1 : 1)) };
  };
  const alter = async (configs: Array<{ name: string; op: number; value: string | null }>) => {
    const r = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: 32, resourceName: group, configs: configs.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })) }], validateOnly: false });
    return { error: errorName(r.responses[0]!.errorCode), message: r.responses[0]!.errorMessage !== null };
  };
  see.see('describe-unset', await describeGroup(['consumer.session.timeout.ms', 'consumer.heartbeat.interval.ms']));
  see.see('set', await alter([{ name: 'consumer.session.timeout.ms', op: 0, value: '50000' }]));
  // Kafka's brokers apply a config change a moment after the controller answered it.
  const sessionTimeout = (d: Awaited<ReturnType<typeof describeGroup>>) => d.configs[0]?.value;
  see.see('describe-set', await settled(() => describeGroup(['consumer.session.timeout.ms']), (d) => sessionTimeout(d) === '50000'));
  see.see('set-too-large', await alter([{ name: 'consumer.session.timeout.ms', op: 0, value: '70000' }]));
  see.see('set-unknown', await alter([{ name: 'consumer.nothing', op: 0, value: '1' }]));
  see.see('set-not-a-number', await alter([{ name: 'consumer.heartbeat.interval.ms', op: 0, value: 'soon' }]));
  see.see('delete', await alter([{ name: 'consumer.session.timeout.ms', op: 1, value: null }]));
  see.see('describe-deleted', await settled(() => describeGroup(['consumer.session.timeout.ms']), (d) => sessionTimeout(d) !== '50000'));
  see.see('empty-name', (await t.request(DescribeConfigs, 4, { resources: [{ resourceType: 32, resourceName: '', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0]!.errorCode);
}

export const consumerGroups: readonly Scenario[] = [
  { name: 'consumer-group-heartbeat-errors', run: heartbeatErrors },
  { name: 'consumer-group-lifecycle', run: lifecycle },
  { name: 'consumer-group-static', run: staticMembers },
  { name: 'consumer-group-configs', run: groupConfigs },
];
