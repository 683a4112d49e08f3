/**
 * GET /inspector/state (issue 14, item 4): one JSON snapshot of what the broker holds, for the
 * inspector page (inspector-page.ts) and for anyone who wants it without a browser. Read from the
 * broker's services as they are at the call, nothing kept between calls:
 *
 *   topics        every topic in the metadata image; for each partition this node hosts, its log
 *                 start, high watermark, last stable offset, log end, bytes and segments
 *   groups        the groups this node coordinates (classic, KIP-848 consumer and KIP-932 share
 *                 groups): state, protocol, members (client id, host, assignment), committed
 *                 offsets with lag (a share group commits none: its partitions, with the members
 *                 that fetch them)
 *   transactions  the transactional ids this node coordinates: producer id and epoch, state,
 *                 partitions, timeout
 *   producers     the producers the local partition logs know (idempotent and transactional)
 *   faults        the armed faults (control/faults.ts)
 *
 * Every list is bounded (a page that polls every second must stay small however big the broker
 * is): `{ total, rows }` where rows holds at most the bound and total says how many there were.
 * Offsets are numbers, as in the admin endpoint's other routes (2^53 is far past any test's log).
 */
import type { ClientInstanceView } from '../telemetry/client-metrics.js';
import type { FaultInjector } from '../control/faults.js';
import { decodeAssignment } from '../group/records.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { MetadataImage } from '../metadata/image.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';

/**
 * Display bounds, not resource limits (nothing is held): how many rows one snapshot carries.
 * Chosen so a snapshot stays well under 1 MB with long names.
 */
export const INSPECTOR_ROWS = {
  topics: 200,
  partitionsPerTopic: 64,
  groups: 100,
  membersPerGroup: 50,
  offsetsPerGroup: 200,
  transactions: 200,
  producers: 200,
  faults: 200,
  telemetryClients: 100,
} as const;

/** The services the snapshot reads (the Broker is one). */
export interface InspectorSources {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly image: MetadataImage;
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;
  readonly faults: FaultInjector;
  /** Client telemetry (KIP-714): the client instances and what they pushed. */
  readonly clientTelemetry?: { views(): ClientInstanceView[] };
}

export interface Bounded<T> {
  total: number;
  rows: T[];
}

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** False when this node hosts no replica: the offsets below are then null. */
  local: boolean;
  logStartOffset: number | null;
  highWatermark: number | null;
  lastStableOffset: number | null;
  logEndOffset: number | null;
  sizeBytes: number | null;
  segments: number | null;
  offline: boolean;
}

export interface TopicView {
  name: string;
  topicId: string;
  internal: boolean;
  partitionCount: number;
  partitions: Bounded<PartitionView>;
}

export interface GroupMemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded when the group's protocol type is "consumer"; else null (assignmentBytes tells the size). */
  assignment: Array<{ topic: string; partitions: number[] }> | null;
  assignmentBytes: number;
}

export interface GroupOffsetView {
  topic: string;
  partition: number;
  /** Null for an assigned partition with no committed offset. */
  committedOffset: number | null;
  highWatermark: number | null;
  /** High watermark minus committed offset; null when either is unknown here. */
  lag: number | null;
  memberId: string | null;
}

export interface GroupView {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  generationId: number;
  leaderId: string | null;
  members: Bounded<GroupMemberView>;
  offsets: Bounded<GroupOffsetView>;
  /** Sum of the known lags. */
  totalLag: number;
}

export interface TransactionView {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: string;
  timeoutMs: number;
  startMs: number;
  partitions: Array<{ topic: string; partition: number }>;
}

export interface ProducerView {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  lastTimestampMs: number;
  lastSequence: number | null;
  /** Offset of the first batch of the producer's open transaction in this partition, or null. */
  openTxnFirstOffset: number | null;
}

export interface InspectorState {
  nodeId: number;
  clusterId: string;
  generatedMs: number;
  topics: Bounded<TopicView>;
  groups: Bounded<GroupView>;
  transactions: Bounded<TransactionView>;
  producers: Bounded<ProducerView>;
  faults: Bounded<Record<string, unknown>>;
  telemetry: Bounded<ClientInstanceView>;
}

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

function bounded<T>(all: Iterable<T>, max: number): Bounded<T> {
  const rows: T[] = [];
  let total = 0;
  for (const x of all) {
    if (rows.length < max) rows.push(x);
    total++;
  }
  return { total, rows };
}

export function inspectorState(src: InspectorSources, nowMs = Date.now()): InspectorState {
  // User topics first (what a test looks for), internal ones after, each by name.
  const topics = [...src.image.topicsByName.values()].sort((a, b) => {
    const ia = INTERNAL_TOPICS.has(a.name) || a.name.startsWith('__');
    const ib = INTERNAL_TOPICS.has(b.name) || b.name.startsWith('__');
    return ia === ib ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : ia ? 1 : -1;
  });
  const topicRows = bounded(topics, INSPECTOR_ROWS.topics);
  const topicViews: TopicView[] = topicRows.rows.map((t) => ({
    name: t.name,
    topicId: t.topicId,
    internal: t.name.startsWith('__'),
    partitionCount: t.partitions.length,
    partitions: bounded(
      (function* () {
        for (let i = 0; i < t.partitions.length; i++) yield partitionView(src, t.name, i, t.partitions[i]!);
      })(),
      INSPECTOR_ROWS.partitionsPerTopic,
    ),
  }));

  return {
    nodeId: src.nodeId,
    clusterId: src.clusterId,
    generatedMs: nowMs,
    topics: { total: topicRows.total, rows: topicViews },
    groups: bounded(groupViews(src), INSPECTOR_ROWS.groups),
    transactions: bounded(transactionViews(src), INSPECTOR_ROWS.transactions),
    producers: bounded(producerViews(src, topics.map((t) => ({ name: t.name, count: t.partitions.length }))), INSPECTOR_ROWS.producers),
    faults: bounded(
      src.faults.list().map((f) => ({ id: f.id, ...f.spec, matched: f.matched, fired: f.fired })),
      INSPECTOR_ROWS.faults,
    ),
    // Most recently active first.
    telemetry: bounded((src.clientTelemetry?.views() ?? []).reverse(), INSPECTOR_ROWS.telemetryClients),
  };
}

function partitionView(src: InspectorSources, topic: string, index: number, state: { leader: number; leaderEpoch: number; replicas: readonly number[]; isr: readonly number[] }): PartitionView {
  const p = src.replicas.getPartition(topic, index);
  const base = { partition: index, leader: state.leader, leaderEpoch: state.leaderEpoch, replicas: [...state.replicas], isr: [...state.isr] };
  if (!p) return { ...base, local: false, logStartOffset: null, highWatermark: null, lastStableOffset: null, logEndOffset: null, sizeBytes: null, segments: null, offline: false };
  if (p.isOffline) return { ...base, local: true, logStartOffset: null, highWatermark: null, lastStableOffset: null, logEndOffset: null, sizeBytes: null, segments: null, offline: true };
  return {
    ...base,
    local: true,
    logStartOffset: Number(p.logStartOffset),
    highWatermark: Number(p.highWatermark),
    lastStableOffset: Number(p.lastStableOffset),
    logEndOffset: Number(p.logEndOffset),
    sizeBytes: p.sizeBytes(),
    segments: p.segmentCount,
    offline: false,
  };
}

function* groupViews(src: InspectorSources): Generator<GroupView> {
  const ids = [...src.groups.groups.keys()].sort();
  for (const id of ids) {
    const g = src.groups.groups.get(id)!;
    if (g.is('Dead')) continue;
    const consumer = g.protocolType === 'consumer';
    const assignedTo = new Map<string, string>();
    // KIP-848 consumer and KIP-932 share groups keep their members (and their partitions, by
    // topic id) apart; a share group's members may share a partition.
    const modern = g.consumer ?? g.share;
    const byTopicId = (assigned: Map<string, Set<number>>) =>
      [...assigned].filter(([, ps]) => ps.size > 0).map(([id, ps]) => ({ topic: src.image.topicsById.get(id)?.name ?? id, partitions: [...ps].sort((x, y) => x - y) }));
    const memberViews: GroupMemberView[] = modern
      ? [...modern.members.values()].map((m) => {
          const assignment = byTopicId('assigned' in m ? m.assigned : m.assignment);
          for (const a of assignment) for (const p of a.partitions) assignedTo.set(`${a.topic}\0${p}`, sharedWith(assignedTo.get(`${a.topic}\0${p}`), m.memberId));
          return { memberId: m.memberId, groupInstanceId: 'instanceId' in m ? m.instanceId : null, clientId: m.clientId, clientHost: m.clientHost, assignment, assignmentBytes: 0 };
        })
      : [...g.members.values()].map((m): GroupMemberView => {
          const assignment = consumer ? decodeConsumerAssignment(m.assignment) : null;
          for (const a of assignment ?? []) for (const p of a.partitions) assignedTo.set(`${a.topic}\0${p}`, m.memberId);
          return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment, assignmentBytes: m.assignment.length };
        });
    const members = bounded(memberViews, INSPECTOR_ROWS.membersPerGroup);
    // Committed offsets, and assigned partitions with nothing committed yet (as Kafka's
    // kafka-consumer-groups.sh --describe lists them, with "-" for the offset).
    const rows = new Map<string, GroupOffsetView>();
    const hw = (topic: string, partition: number): number | null => {
      const p = src.replicas.getPartition(topic, partition);
      return p && !p.isOffline ? Number(p.highWatermark) : null;
    };
    for (const [topic, parts] of g.offsets) {
      for (const [partition, v] of parts) {
        const committedOffset = Number(v.offset);
        const h = hw(topic, partition);
        rows.set(`${topic}\0${partition}`, { topic, partition, committedOffset, highWatermark: h, lag: h === null ? null : Math.max(0, h - committedOffset), memberId: null });
      }
    }
    for (const [key, memberId] of assignedTo) {
      const row = rows.get(key);
      if (row) row.memberId = memberId;
      else {
        const [topic, p] = key.split('\0') as [string, string];
        const partition = Number(p);
        rows.set(key, { topic, partition, committedOffset: null, highWatermark: hw(topic, partition), lag: null, memberId });
      }
    }
    const sorted = [...rows.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    yield {
      groupId: g.groupId,
      state: modern ? modern.state : g.state,
      protocolType: g.protocolType ?? '',
      protocol: g.consumer ? 'KIP-848' : g.share ? 'KIP-932' : (g.protocolName ?? ''),
      generationId: modern ? modern.groupEpoch : g.generationId,
      leaderId: g.leaderId,
      members,
      offsets: bounded(sorted, INSPECTOR_ROWS.offsetsPerGroup),
      totalLag: sorted.reduce((n, r) => n + (r.lag ?? 0), 0),
    };
  }
}

function* transactionViews(src: InspectorSources): Generator<TransactionView> {
  const listed = src.transactions.list([], [], -1n).sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : 1));
  for (const l of listed) {
    const d = src.transactions.describe(l.transactionalId);
    if (d.errorCode !== 0) continue;
    yield {
      transactionalId: d.transactionalId,
      producerId: Number(d.producerId),
      producerEpoch: d.producerEpoch,
      state: d.state,
      timeoutMs: d.timeoutMs,
      startMs: d.startMs,
      partitions: d.partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
    };
  }
}

function* producerViews(src: InspectorSources, topics: Array<{ name: string; count: number }>): Generator<ProducerView> {
  for (const t of topics) {
    for (let i = 0; i < t.count; i++) {
      const p = src.replicas.getPartition(t.name, i);
      if (!p || p.isOffline) continue;
      for (const e of p.activeProducers()) {
        const last = e.batches[e.batches.length - 1];
        yield {
          topic: t.name,
          partition: i,
          producerId: Number(e.producerId),
          producerEpoch: e.epoch,
          lastTimestampMs: Number(e.lastTimestamp),
          lastSequence: last ? last.lastSeq : null,
          openTxnFirstOffset: e.currentTxnFirstOffset === null ? null : Number(e.currentTxnFirstOffset),
        };
      }
    }
  }
}

/** The members a partition is assigned to, as shown: one, or several of a share group joined by commas. */
const sharedWith = (before: string | undefined, memberId: string): string => (before === undefined ? memberId : `${before},${memberId}`);

/** A consumer-protocol assignment's partitions (group/records.ts), null when malformed. */
export const decodeConsumerAssignment = decodeAssignment;
