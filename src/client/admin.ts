/**
 * The administrative operations of the tools: topics (CreateTopics, DeleteTopics, DescribeConfigs,
 * IncrementalAlterConfigs), offsets (ListOffsets), groups (ListGroups on every broker,
 * DescribeGroups, ConsumerGroupDescribe and ShareGroupDescribe, OffsetFetch and OffsetCommit at the
 * coordinator, DeleteGroups), features (ApiVersions, UpdateFeatures) and the cluster
 * (Metadata). Each returns plain values for the CLI to print; failures are ToolErrors.
 */
import { ErrorCode } from '../protocol/errors.js';
import {
  ApiVersions,
  ConsumerGroupDescribe,
  CreateTopics,
  DeleteGroups,
  DeleteTopics,
  DescribeConfigs,
  DescribeGroups,
  IncrementalAlterConfigs,
  ListGroups,
  ListOffsets,
  OffsetCommit,
  OffsetFetch,
  ShareGroupDescribe,
  UpdateFeatures,
} from '../protocol/generated/index.js';
import { check, checkRetriable, retrying, RetriableError, ToolError, type KafkaClient, type TopicInfo } from './kafka-client.js';
import { decodeAssignment } from './records.js';

/** ListOffsets timestamps with a meaning (Kafka's ListOffsetsRequest constants). */
export const LATEST = -1n;
export const EARLIEST = -2n;

const RESOURCE_TOPIC = 2;

/** Partitions grouped by leader; a partition without a leader is retriable. */
export function byLeader(topic: TopicInfo, partitions: number[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const p of partitions) {
    const info = topic.partitions.find((x) => x.partition === p);
    if (!info) throw new ToolError(`topic ${topic.name} has no partition ${p} (it has ${topic.partitions.length})`);
    if (info.leader < 0) throw new RetriableError(ErrorCode.LEADER_NOT_AVAILABLE);
    const list = out.get(info.leader) ?? [];
    list.push(p);
    out.set(info.leader, list);
  }
  return out;
}

/** Offsets of `partitions` of `topic` at `timestamp` (LATEST, EARLIEST or ms): -1 where no record is that late. */
export async function listOffsets(client: KafkaClient, topicName: string, partitions: number[], timestamp: bigint): Promise<Map<number, bigint>> {
  return retrying(`offsets of ${topicName}`, async () => {
    const topic = await client.topic(topicName);
    const out = new Map<number, bigint>();
    for (const [leader, ps] of byLeader(topic, partitions)) {
      const res = await client.to(leader, ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 30_000,
        topics: [{ name: topicName, partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
      });
      for (const t of res.topics)
        for (const p of t.partitions) {
          checkRetriable(`offsets of ${topicName} partition ${p.partitionIndex}`, p.errorCode);
          out.set(p.partitionIndex, p.offset);
        }
    }
    return out;
  });
}

/**
 * Runs `fn` at the coordinator of `group`, again (after finding the coordinator anew) while it
 * throws RetriableError: a new cluster's offsets topic is still loading (COORDINATOR_LOAD_IN_PROGRESS),
 * or the coordinator moved (NOT_COORDINATOR).
 */
export async function atCoordinator<T>(client: KafkaClient, group: string, what: string, fn: (coordinator: number) => Promise<T>): Promise<T> {
  return retrying(what, async () => {
    const coordinator = await client.coordinator(group);
    try {
      return await fn(coordinator);
    } catch (err) {
      if (err instanceof RetriableError) client.forgetCoordinator(group);
      throw err;
    }
  });
}

// -- topics ------------------------------------------------------------------------------------------

export interface CreateTopicOptions {
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

/** Creates each topic; a failure names the topic and the broker's reason. */
export async function createTopics(client: KafkaClient, names: string[], opts: CreateTopicOptions): Promise<Array<{ name: string; partitions: number; replicationFactor: number }>> {
  const view = await client.cluster([]);
  const target = view.controllerId >= 0 && view.brokers.some((b) => b.nodeId === view.controllerId) ? view.controllerId : (view.brokers[0]?.nodeId ?? -1);
  const body = {
    topics: names.map((name) => ({
      name,
      numPartitions: opts.partitions,
      replicationFactor: opts.replicationFactor,
      assignments: [],
      configs: Object.entries(opts.configs).map(([n, value]) => ({ name: n, value })),
    })),
    timeoutMs: 30_000,
    validateOnly: false,
  };
  const res = target >= 0 ? await client.to(target, CreateTopics, body) : await client.any(CreateTopics, body);
  for (const t of res.topics) check(`cannot create topic ${t.name}`, t.errorCode, t.errorMessage);
  // Wait until every broker's metadata shows a leader for each partition, so the next command can use it.
  for (const name of names) {
    await retrying(`topic ${name}`, async () => {
      const t = await client.topic(name, { justCreated: true });
      if (t.partitions.length === 0) throw new RetriableError(ErrorCode.LEADER_NOT_AVAILABLE);
      byLeader(t, t.partitions.map((p) => p.partition));
    });
  }
  return res.topics.map((t) => ({ name: t.name, partitions: t.numPartitions, replicationFactor: t.replicationFactor }));
}

export async function deleteTopics(client: KafkaClient, names: string[]): Promise<void> {
  const view = await client.cluster(names);
  for (const t of view.topics) check(`cannot delete topic ${t.name}`, t.errorCode);
  const body = (v: number) => ({
    // By name: Kafka refuses a topic given by both name and id.
    topics: v >= 6 ? names.map((name) => ({ name, topicId: Buffer.alloc(16) })) : [],
    topicNames: names,
    timeoutMs: 30_000,
  });
  const target = view.controllerId >= 0 && view.brokers.some((b) => b.nodeId === view.controllerId) ? view.controllerId : -1;
  const res = target >= 0 ? await client.to(target, DeleteTopics, body) : await client.any(DeleteTopics, body);
  for (const r of res.responses) check(`cannot delete topic ${r.name ?? '?'}`, r.errorCode, r.errorMessage);
}

export interface TopicConfig {
  name: string;
  value: string | null;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
  /** Where the value comes from (DescribeConfigs v1+ ConfigSource): topic, broker, static-broker, default, ... */
  source: string;
}

const CONFIG_SOURCE_DEFAULT = 5;
const CONFIG_SOURCES: Record<number, string> = {
  1: 'topic',
  2: 'dynamic-broker',
  3: 'dynamic-default-broker',
  4: 'static-broker',
  5: 'default',
  6: 'dynamic-broker-logger',
};

export async function describeTopicConfigs(client: KafkaClient, topic: string): Promise<TopicConfig[]> {
  const res = await client.any(DescribeConfigs, {
    resources: [{ resourceType: RESOURCE_TOPIC, resourceName: topic, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const r = res.results[0];
  if (!r) throw new ToolError(`configs of topic ${topic}: the broker answered nothing`);
  check(`configs of topic ${topic}`, r.errorCode, r.errorMessage);
  // Sources (DescribeConfigs v1+): 1 topic, 5 default; v0 says only isDefault.
  return r.configs
    .map((c) => ({
      name: c.name,
      value: c.value,
      isDefault: c.isDefault || c.configSource === CONFIG_SOURCE_DEFAULT,
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
      source: CONFIG_SOURCES[c.configSource] ?? (c.isDefault ? 'default' : 'unknown'),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** IncrementalAlterConfigs: SET each of `set`, DELETE (back to the default) each of `remove`. */
export async function alterTopicConfig(client: KafkaClient, topic: string, set: Record<string, string>, remove: string[]): Promise<void> {
  const res = await client.any(IncrementalAlterConfigs, {
    resources: [
      {
        resourceType: RESOURCE_TOPIC,
        resourceName: topic,
        configs: [...Object.entries(set).map(([name, value]) => ({ name, configOperation: 0, value })), ...remove.map((name) => ({ name, configOperation: 1, value: null }))],
      },
    ],
    validateOnly: false,
  });
  for (const r of res.responses) check(`cannot alter the configs of topic ${topic}`, r.errorCode, r.errorMessage);
}

export interface PartitionOffsets {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  logStartOffset: bigint;
  logEndOffset: bigint;
}

export async function describePartitions(client: KafkaClient, topicName: string): Promise<{ topic: TopicInfo; partitions: PartitionOffsets[] }> {
  const topic = await client.topic(topicName);
  const all = topic.partitions.map((p) => p.partition);
  const start = await listOffsets(client, topicName, all, EARLIEST);
  const end = await listOffsets(client, topicName, all, LATEST);
  return {
    topic,
    partitions: topic.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      logStartOffset: start.get(p.partition) ?? -1n,
      logEndOffset: end.get(p.partition) ?? -1n,
    })),
  };
}

// -- groups ------------------------------------------------------------------------------------------

export interface GroupListing {
  group: string;
  state: string;
  type: string;
  protocolType: string;
}

/** ListGroups at every broker (each lists the groups it coordinates). */
export async function listGroups(client: KafkaClient): Promise<GroupListing[]> {
  const view = await client.cluster([]);
  const out = new Map<string, GroupListing>();
  for (const b of view.brokers) {
    const res = await client.to(b.nodeId, ListGroups, { statesFilter: [], typesFilter: [] });
    check(`groups of broker ${b.nodeId}`, res.errorCode);
    for (const g of res.groups) out.set(g.groupId, { group: g.groupId, state: g.groupState, type: g.groupType, protocolType: g.protocolType });
  }
  return [...out.values()].sort((a, b) => a.group.localeCompare(b.group));
}

export interface GroupMember {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  host: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  committed: bigint;
  logEnd: bigint;
  lag: bigint;
  memberId: string | null;
}

export interface GroupDescription {
  group: string;
  state: string;
  protocolType: string;
  protocol: string;
  coordinator: number;
  members: GroupMember[];
  offsets: GroupOffset[];
}

/** DescribeGroups of one group; with `missingOk`, a group the coordinator does not know (Kafka 4's GROUP_ID_NOT_FOUND) is Dead with no members. */
async function describeGroupState(client: KafkaClient, group: string, missingOk = false) {
  return atCoordinator(client, group, `group ${group}`, async (coordinator) => {
    const res = await client.to(coordinator, DescribeGroups, { groups: [group], includeAuthorizedOperations: false });
    const g = res.groups[0];
    if (!g) throw new ToolError(`group ${group}: the coordinator answered nothing`);
    if (missingOk && g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return { ...g, errorCode: 0, groupState: 'Dead', members: [], coordinator };
    checkRetriable(`group ${group}`, g.errorCode, g.errorMessage);
    return { ...g, coordinator };
  });
}

/** Committed offsets of `group` (every topic it has committed for). */
export async function committedOffsets(client: KafkaClient, group: string): Promise<Array<{ topic: string; partition: number; offset: bigint }>> {
  await client.cluster(null); // topic ids, for brokers that answer OffsetFetch v10 by id
  return atCoordinator(client, group, `offsets of group ${group}`, (coordinator) => fetchCommitted(client, coordinator, group));
}

async function fetchCommitted(client: KafkaClient, coordinator: number, group: string): Promise<Array<{ topic: string; partition: number; offset: bigint }>> {
  const res = await client.to(coordinator, OffsetFetch, (v) =>
    // v8+ asks per group; v2-7 with the group at the top level (topics null: all of them).
    v >= 8
      ? { groupId: '', topics: [], groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false }
      : { groupId: group, topics: null, groups: [], requireStable: false },
  );
  const out: Array<{ topic: string; partition: number; offset: bigint }> = [];
  if (res.groups.length > 0) {
    const g = res.groups[0]!;
    checkRetriable(`offsets of group ${group}`, g.errorCode);
    for (const t of g.topics) {
      const name = t.name !== '' ? t.name : (client.topicName(t.topicId) ?? t.topicId.toString('hex'));
      for (const p of t.partitions) {
        check(`offset of group ${group} for ${name}/${p.partitionIndex}`, p.errorCode);
        if (p.committedOffset >= 0n) out.push({ topic: name, partition: p.partitionIndex, offset: p.committedOffset });
      }
    }
  } else {
    checkRetriable(`offsets of group ${group}`, res.errorCode);
    for (const t of res.topics)
      for (const p of t.partitions) {
        check(`offset of group ${group} for ${t.name}/${p.partitionIndex}`, p.errorCode);
        if (p.committedOffset >= 0n) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset });
      }
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

interface DescribedMember {
  memberId: string;
  instanceId?: string | null;
  clientId: string;
  clientHost: string;
  assignment: { topicPartitions: Array<{ topicName: string; partitions: number[] }> };
}

/** A group as ConsumerGroupDescribe or ShareGroupDescribe describes it: members with their partitions by topic name. */
function modernGroupView(g: { groupState: string; assignorName: string; members: DescribedMember[] }, protocolType: 'consumer' | 'share', coordinator: number) {
  return {
    groupState: g.groupState,
    protocolType,
    protocolData: g.assignorName,
    coordinator,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId ?? null,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: m.assignment.topicPartitions.map((tp) => ({ topic: tp.topicName, partitions: [...tp.partitions].sort((x, y) => x - y) })),
    })),
  };
}

/**
 * The one group a ConsumerGroupDescribe or ShareGroupDescribe answered; null when the coordinator
 * does not serve the API or answered one of the `absent` codes (no such group of that type).
 */
async function describedGroup<G extends { errorCode: number; errorMessage: string | null }>(group: string, absent: readonly number[], call: () => Promise<{ groups: G[] }>): Promise<G | null> {
  let res;
  try {
    res = await call();
  } catch (err) {
    if (err instanceof ToolError && /too old/.test(err.message)) return null;
    throw err;
  }
  const g = res.groups[0];
  if (!g || absent.includes(g.errorCode)) return null;
  checkRetriable(`group ${group}`, g.errorCode, g.errorMessage);
  return g;
}

/**
 * A KIP-848 consumer group through ConsumerGroupDescribe (DescribeGroups calls it Dead): its state,
 * assignor and members with their partitions; null when the coordinator knows no such group or
 * does not serve the API.
 */
async function describeConsumerGroup(client: KafkaClient, group: string, coordinator: number) {
  const g = await describedGroup(group, [ErrorCode.GROUP_ID_NOT_FOUND], () => client.to(coordinator, ConsumerGroupDescribe, { groupIds: [group], includeAuthorizedOperations: false }));
  return g && modernGroupView(g, 'consumer', coordinator);
}

/**
 * A KIP-932 share group through ShareGroupDescribe (DescribeGroups and ConsumerGroupDescribe do
 * not know it): its state, assignor (`simple`) and members with the partitions they fetch, which
 * several members may share; null when the coordinator knows no such group, does not serve the
 * API, or has share groups turned off (share.version 0: UNSUPPORTED_VERSION, as Kafka 4.1 answers).
 */
async function describeShareGroup(client: KafkaClient, group: string, coordinator: number) {
  const absent = [ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.UNSUPPORTED_VERSION];
  const g = await describedGroup(group, absent, () => client.to(coordinator, ShareGroupDescribe, { groupIds: [group], includeAuthorizedOperations: false }));
  return g && modernGroupView(g, 'share', coordinator);
}

export async function describeGroup(client: KafkaClient, group: string): Promise<GroupDescription> {
  // Kafka 4 answers DescribeGroups v6 for a consumer group with GROUP_ID_NOT_FOUND; Sluice (v5) with Dead.
  const classic = await describeGroupState(client, group, true);
  const unknown = classic.groupState === 'Dead' && classic.members.length === 0;
  const modern = unknown ? ((await describeConsumerGroup(client, group, classic.coordinator)) ?? (await describeShareGroup(client, group, classic.coordinator))) : null;
  const g = modern ?? { ...classic, members: null };
  const members: GroupMember[] =
    modern?.members ??
    classic.members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: classic.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : [],
    }));
  const owner = new Map<string, string>();
  // A share group's members may share a partition: all of them are named.
  for (const m of members)
    for (const a of m.assignment)
      for (const p of a.partitions) {
        const k = `${a.topic}\0${p}`;
        owner.set(k, owner.has(k) ? `${owner.get(k)},${m.memberId}` : m.memberId);
      }
  // A share group commits no offsets (its progress is the share-partitions' state; OffsetFetch
  // answers GROUP_ID_NOT_FOUND on Kafka): its assigned partitions are listed with their log end.
  const committed = modern?.protocolType === 'share' ? [] : await committedOffsets(client, group);
  const keys = new Map<string, { topic: string; partition: number; committed: bigint }>();
  for (const c of committed) keys.set(`${c.topic}\0${c.partition}`, { topic: c.topic, partition: c.partition, committed: c.offset });
  for (const m of members) for (const a of m.assignment) for (const p of a.partitions) if (!keys.has(`${a.topic}\0${p}`)) keys.set(`${a.topic}\0${p}`, { topic: a.topic, partition: p, committed: -1n });
  const byTopic = new Map<string, number[]>();
  for (const k of keys.values()) byTopic.set(k.topic, [...(byTopic.get(k.topic) ?? []), k.partition]);
  const ends = new Map<string, bigint>();
  for (const [topic, ps] of byTopic) for (const [p, o] of await listOffsets(client, topic, ps, LATEST)) ends.set(`${topic}\0${p}`, o);
  const offsets: GroupOffset[] = [...keys.entries()]
    .map(([k, v]) => {
      const logEnd = ends.get(k) ?? -1n;
      return { ...v, logEnd, lag: v.committed >= 0n && logEnd >= 0n ? logEnd - v.committed : -1n, memberId: owner.get(k) ?? null };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { group, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, coordinator: g.coordinator, members, offsets };
}

export type SeekTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'timestamp'; ms: bigint };

/**
 * Commits new offsets for `group` on `topic` (`partitions`, default all), as
 * kafka-consumer-groups --reset-offsets --execute does: only while the group has no members.
 * An offset past the log end is clamped to it, one before the log start to the log start.
 */
export async function seekGroup(client: KafkaClient, group: string, topicName: string, partitions: number[] | null, target: SeekTarget): Promise<Array<{ topic: string; partition: number; offset: bigint }>> {
  const g = await describeGroupState(client, group, true);
  if (g.groupState !== 'Empty' && g.groupState !== 'Dead' && g.members.length > 0) {
    throw new ToolError(`group ${group} is ${g.groupState} with ${g.members.length} member(s): stop its consumers first (offsets can be reset only for an empty group)`);
  }
  const topic = await client.topic(topicName);
  const ps = partitions ?? topic.partitions.map((p) => p.partition);
  const start = await listOffsets(client, topicName, ps, EARLIEST);
  const end = await listOffsets(client, topicName, ps, LATEST);
  const at = target.kind === 'timestamp' ? await listOffsets(client, topicName, ps, target.ms) : null;
  const chosen = ps.map((p) => {
    const lo = start.get(p)!;
    const hi = end.get(p)!;
    let offset: bigint;
    if (target.kind === 'earliest') offset = lo;
    else if (target.kind === 'latest') offset = hi;
    else if (target.kind === 'timestamp') offset = at!.get(p)! < 0n ? hi : at!.get(p)!;
    else offset = target.offset < lo ? lo : target.offset > hi ? hi : target.offset;
    return { topic: topicName, partition: p, offset };
  });
  await commitOffsets(client, group, topicName, new Map(chosen.map((c) => [c.partition, c.offset])));
  return chosen;
}

/** Commits offsets as a simple consumer (no generation, no member): what `consume --group` does. */
export async function commitOffsets(client: KafkaClient, group: string, topicName: string, offsets: Map<number, bigint>): Promise<void> {
  if (offsets.size === 0) return;
  await atCoordinator(client, group, `commit for group ${group}`, (coordinator) => commitAt(client, coordinator, group, topicName, offsets));
}

/** Partition errors of a commit: the coordinator's (retriable) are retried, the others fail. */
const COORDINATOR_ERRORS = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

async function commitAt(client: KafkaClient, coordinator: number, group: string, topicName: string, offsets: Map<number, bigint>): Promise<void> {
  const res = await client.to(coordinator, OffsetCommit, {
    groupId: group,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: topicName,
        topicId: client.topicId(topicName),
        partitions: [...offsets].map(([p, o]) => ({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
      },
    ],
  });
  for (const t of res.topics)
    for (const p of t.partitions) {
      if (COORDINATOR_ERRORS.has(p.errorCode)) throw new RetriableError(p.errorCode);
      check(`cannot commit the offset of group ${group} for ${topicName}/${p.partitionIndex}`, p.errorCode);
    }
}

export async function deleteGroups(client: KafkaClient, groups: string[]): Promise<void> {
  for (const group of groups) {
    await atCoordinator(client, group, `delete group ${group}`, async (coordinator) => {
      const res = await client.to(coordinator, DeleteGroups, { groupsNames: [group] });
      for (const r of res.results) checkRetriable(`cannot delete group ${r.groupId}`, r.errorCode);
    });
  }
}

// -- features (KIP-584) -------------------------------------------------------------------------

export interface FeatureLevel {
  feature: string;
  /** The levels the broker asked supports. */
  minSupported: number;
  maxSupported: number;
  /** The cluster's finalized level; 0 when not finalized. */
  finalized: number;
}

/** A feature's supported range and finalized level, as ApiVersions v3+ gives them (kafka-features.sh describe). */
export async function describeFeatures(client: KafkaClient): Promise<{ epoch: bigint; features: FeatureLevel[] }> {
  const res = await client.any(ApiVersions, { clientSoftwareName: 'sluice-cli', clientSoftwareVersion: '1' });
  check('cannot describe features', res.errorCode);
  const finalized = new Map(res.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));
  const features = res.supportedFeatures
    .map((f) => ({ feature: f.name, minSupported: f.minVersion, maxSupported: f.maxVersion, finalized: finalized.get(f.name) ?? 0 }))
    .sort((a, b) => (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
  return { epoch: res.finalizedFeaturesEpoch, features };
}

/** UpdateFeatures' upgrade types (v1+). */
export const UpgradeType = { UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

/**
 * Sets finalized feature levels (kafka-features.sh upgrade|downgrade|disable): one UpdateFeatures
 * request, all or nothing; `validateOnly` checks without changing anything. A refusal is a
 * ToolError with the broker's message.
 */
export async function updateFeatures(client: KafkaClient, updates: ReadonlyArray<{ feature: string; level: number; upgradeType: number }>, validateOnly: boolean): Promise<void> {
  const res = await client.any(UpdateFeatures, (v) => {
    if (v === 0 && (validateOnly || updates.some((u) => u.upgradeType !== UpgradeType.UPGRADE))) {
      throw new ToolError('this broker only takes UpdateFeatures v0: upgrades, not downgrades or --dry-run');
    }
    return {
      timeoutMs: 30_000,
      featureUpdates: updates.map((u) => ({ feature: u.feature, maxVersionLevel: u.level, allowDowngrade: false, upgradeType: u.upgradeType })),
      validateOnly,
    };
  });
  check('cannot update features', res.errorCode, res.errorMessage);
  for (const r of res.results) check(`cannot update feature ${r.feature}`, r.errorCode, r.errorMessage);
}
