/**
 * The group coordinator for Kafka's classic group protocol: JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, offset commits and fetches, group listing and deletion. It follows the transitions
 * of Apache Kafka's classic groups (GroupMetadataManager/ClassicGroup):
 *
 *   Empty --join--> PreparingRebalance --all joined or rebalance timeout--> CompletingRebalance
 *   CompletingRebalance --leader's SyncGroup--> Stable
 *   Stable/CompletingRebalance --join, leave, metadata change or expiry--> PreparingRebalance
 *   PreparingRebalance --everyone gone--> Empty;  deleted --> Dead
 *
 * - The first rebalance of an empty group waits `group.initial.rebalance.delay.ms`, extended
 *   while new members keep arriving, up to the rebalance timeout.
 * - JoinGroup v4+ from a new dynamic member gets MEMBER_ID_REQUIRED and a member id first
 *   (KIP-394); older versions (kafka-python's v2) are added at once.
 * - Static members (`group.instance.id`, KIP-345) keep their partitions across restarts: a
 *   rejoin with the same instance id replaces the old member id without a rebalance when the
 *   group is stable; a request with a stale member id for that instance gets FENCED_INSTANCE_ID.
 * - Members whose session times out are removed and trigger a rebalance; members that do not
 *   send SyncGroup within the rebalance timeout are removed too.
 * - Group metadata (after each completed sync, when the group empties, on static replacement) and
 *   every offset commit are appended to `__consumer_offsets` before they take effect, and
 *   replayed at start: members restored from the log must heartbeat within their session timeout.
 * - Offsets of empty groups expire after `offsets.retention.minutes`; an empty group with no
 *   offsets left is deleted.
 * - TxnOffsetCommit writes offsets into the log as part of the producer's transaction; they stay
 *   pending (invisible to OffsetFetch, UNSTABLE_OFFSET_COMMIT for require_stable) until the
 *   transaction's commit marker makes them current, or its abort marker drops them.
 *
 * Every method runs synchronously to completion; JoinGroup and SyncGroup answers that must wait
 * are promises resolved by a later call or a timer. State never changes across an await.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { wallClock, type Clock, type TimerHandle } from '../control/clock.js';
import { LogStorageError } from '../replica/partition.js';
import { ErrorCode } from '../protocol/errors.js';
import { EMPTY_ASSIGNMENT, Group, type JoinResult, type Member, type Protocol, type SyncResult } from './group.js';
import type { CoordinatorStore, KeyValue, TransactionalWrite } from '../metadata/internal-topic.js';
import { ConsumerGroup } from './consumer-group.js';
import { ConsumerGroupProtocol, NO_TOPICS, type ConsumerGroupSettings, type TopicLookup } from './consumer-protocol.js';
import { DEFAULT_SHARE_GROUP_SETTINGS, ShareGroup, ShareGroupProtocol, type ShareGroupSettings } from './share-group.js';
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  encodeGroupKey,
  encodeGroupValue,
  encodeOffsetKey,
  encodeOffsetValue,
  subscribedTopics,
  type OffsetValue,
} from './records.js';


export interface GroupSettings {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxSize: number;
  /** How long a new member's JoinGroup may wait before the member is dropped (Kafka: 5 min). */
  newMemberJoinTimeoutMs: number;
  offsetMetadataMaxBytes: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** KIP-848 consumer groups (group.consumer.*); defaults as Sluice's when absent. */
  consumer?: ConsumerGroupSettings;
  /** KIP-932 share groups (group.share.*); Kafka's defaults when absent. */
  share?: ShareGroupSettings;
}

export const DEFAULT_CONSUMER_GROUP_SETTINGS: ConsumerGroupSettings = {
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 1_000,
  assignors: ['uniform', 'range'],
  maxSize: 10_000,
  migrationPolicy: 'bidirectional',
  groupConfig: () => undefined,
};

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Protocol[];
  apiVersion: number;
  clientId: string;
  clientHost: string;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface CommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }> }>;
  /** The OffsetCommit version (consumer-group members must use v9+); absent for TxnOffsetCommit. */
  apiVersion?: number;
}

export interface FetchedOffset {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface GroupSummary {
  groupId: string;
  state: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>;
}

const joinError = (memberId: string, errorCode: number): JoinResult => ({
  errorCode,
  generationId: -1,
  protocolType: null,
  protocolName: null,
  leader: '',
  memberId,
  members: [],
  skipAssignment: false,
});

const syncError = (errorCode: number): SyncResult => ({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT });

/** JoinGroup v4+ requires a known member id (KIP-394); v9+ can skip assignment (KIP-814). */
const requiresKnownMemberId = (v: number): boolean => v >= 4;
const supportsSkippingAssignment = (v: number): boolean => v >= 9;

export class GroupCoordinator {
  readonly groups = new Map<string, Group>();
  private retentionTimer: TimerHandle | null = null;
  /** The KIP-848 consumer group protocol (ConsumerGroupHeartbeat, ConsumerGroupDescribe). */
  readonly consumer: ConsumerGroupProtocol;
  /** KIP-932 share groups (ShareGroupHeartbeat, ShareGroupDescribe). */
  readonly share: ShareGroupProtocol;

  constructor(
    private readonly store: CoordinatorStore,
    readonly settings: GroupSettings,
    private readonly log: Logger,
    private readonly clock: Clock = wallClock,
    topics: TopicLookup = NO_TOPICS,
  ) {
    this.consumer = new ConsumerGroupProtocol(
      {
        clock,
        log,
        consumerGroup: (id) => this.groups.get(id)?.consumer ?? undefined,
        classicGroupBlocks: (id) => {
          const g = this.groups.get(id);
          return g !== undefined && g.consumer === null && (g.share !== null || !g.is('Empty', 'Dead'));
        },
        createConsumerGroup: (id) => this.createConsumerGroup(id),
        leads: (id) => this.store.leads(id),
        persist: (id, records) => this.persist(id, records),
        upgrade: (id) => this.upgrade(id),
        downgrade: (cg, leaving) => this.downgrade(cg, leaving),
      },
      settings.consumer ?? DEFAULT_CONSUMER_GROUP_SETTINGS,
      topics,
    );
    this.share = new ShareGroupProtocol(
      {
        clock,
        log,
        shareGroup: (id) => this.groups.get(id)?.share ?? undefined,
        otherGroupHolds: (id) => {
          const g = this.groups.get(id);
          return g !== undefined && g.share === null && (g.consumer !== null || !g.is('Empty', 'Dead') || g.offsets.size > 0);
        },
        createShareGroup: (id) => this.createShareGroup(id),
        leads: (id) => this.store.leads(id),
        persist: (id, records) => this.persist(id, records),
      },
      settings.share ?? DEFAULT_SHARE_GROUP_SETTINGS,
      topics,
    );
  }

  private createShareGroup(groupId: string): ShareGroup | number {
    const problem = this.store.ensure();
    if (problem) {
      this.log.error(problem);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const g = this.getOrCreate(groupId);
    if (!g.share) this.makeShareGroup(g);
    return g.share!;
  }

  private makeShareGroup(g: Group): void {
    g.share = new ShareGroup(g.groupId);
    g.protocolType = 'share';
    g.transitionTo('Empty', this.now());
  }

  /** A new consumer group, or an empty classic group (offsets kept) turned into one. */
  private createConsumerGroup(groupId: string): ConsumerGroup | number {
    const problem = this.store.ensure();
    if (problem) {
      this.log.error(problem);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const g = this.getOrCreate(groupId);
    if (g.consumer) return g.consumer;
    this.makeConsumerGroup(g);
    return g.consumer!;
  }

  private makeConsumerGroup(g: Group): void {
    for (const id of [...g.members.keys()]) this.fail(g.remove(id));
    for (const id of [...g.pendingMembers.keys()]) g.remove(id);
    this.clock.clearTimeout(g.joinTimer);
    this.clearSyncExpiry(g);
    g.consumer = new ConsumerGroup(g.groupId);
    g.protocolType = 'consumer';
    g.protocolName = null;
    g.generationId = 0;
    g.transitionTo('Empty', this.now());
  }

  private get migrationPolicy(): ConsumerGroupSettings['migrationPolicy'] {
    return (this.settings.consumer ?? DEFAULT_CONSUMER_GROUP_SETTINGS).migrationPolicy;
  }

  /**
   * A classic group with members becomes a consumer group when a KIP-848 member joins it
   * (Kafka's online upgrade): its members keep their partitions as classic members of the consumer
   * group and rejoin to move on. Only for groups of the consumer protocol type, when
   * group.consumer.migration.policy allows upgrades.
   */
  private upgrade(groupId: string): ConsumerGroup | undefined {
    const g = this.groups.get(groupId);
    const policy = this.migrationPolicy;
    if (!g || g.consumer || g.protocolType !== 'consumer' || (policy !== 'upgrade' && policy !== 'bidirectional')) return undefined;
    if (g.members.size > (this.settings.consumer ?? DEFAULT_CONSUMER_GROUP_SETTINGS).maxSize) return undefined;
    const cg = new ConsumerGroup(groupId);
    const members = [...g.members.values()].map((m) => ({ ...m, subscription: g.metadataFor(m), protocols: m.protocols }));
    const records = this.consumer.fromClassic(cg, g.generationId, members);
    if (records === null) return undefined;
    if (!this.persist(groupId, [{ key: encodeGroupKey(groupId), value: null }, ...records])) return undefined;
    for (const m of g.members.values()) {
      this.fail(m, ErrorCode.REBALANCE_IN_PROGRESS);
      this.clock.clearTimeout(m.heartbeatTimer);
    }
    this.makeConsumerGroup(g);
    g.consumer = cg;
    this.consumer.adoptClassic(cg, records);
    this.log.info(`group ${groupId}: a KIP-848 member joins; upgraded from a classic group with ${members.length} member(s)`);
    return cg;
  }

  /**
   * A consumer group whose remaining members all joined with JoinGroup becomes a classic group
   * when the last KIP-848 member leaves (Kafka's online downgrade): its members keep their
   * assignments, and a rebalance starts that they join as usual.
   */
  private downgrade(cg: ConsumerGroup, leaving: string): boolean {
    const g = this.groups.get(cg.groupId);
    const policy = this.migrationPolicy;
    if (!g || g.consumer !== cg || (policy !== 'downgrade' && policy !== 'bidirectional')) return false;
    const classic = this.consumer.toClassic(cg, leaving);
    if (classic.length === 0 || classic.length > this.settings.maxSize) return false;
    const tombstones = this.consumer.allTombstones(cg);
    const restored = new Group(cg.groupId, this.clock);
    restored.generationId = cg.groupEpoch;
    restored.protocolType = 'consumer';
    for (const { member: m, assignment } of classic) {
      restored.add({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.classic!.sessionTimeoutMs,
        protocolType: 'consumer',
        protocols: m.classic!.protocols,
        assignment,
        awaitingJoin: null,
        awaitingSync: null,
        isNew: false,
        heartbeatTimer: null,
      });
    }
    restored.protocolName = restored.selectProtocol();
    if (!this.persist(cg.groupId, [...tombstones, this.groupRecord(restored)])) return false;
    this.consumer.clearAllTimers(cg);
    g.consumer = null;
    g.protocolType = 'consumer';
    g.generationId = restored.generationId;
    g.protocolName = restored.protocolName;
    for (const m of restored.members.values()) {
      g.add(m);
      this.scheduleHeartbeatExpiry(g, m, m.sessionTimeoutMs);
    }
    g.transitionTo('Stable', this.now());
    this.prepareRebalance(g);
    return true;
  }

  /** An empty consumer group becomes a classic one again (a classic member joins); false when the log refused. */
  private makeClassicGroup(g: Group): boolean {
    if (!g.consumer) return true;
    if (!this.persist(g.groupId, this.consumer.groupTombstones(g.groupId))) return false;
    this.consumer.clearAllTimers(g.consumer);
    g.consumer = null;
    g.protocolType = null;
    return true;
  }

  private now(): number {
    return this.clock.nowMs();
  }

  // ----------------------------------------------------------------------------------------
  // Loading and persistence

  /** Rebuilds groups and offsets from `__consumer_offsets`, then starts the timers. */
  load(): void {
    const n = this.store.replay(
      (key, value, batch) => this.replayRecord(key, value, batch.isTransactional ? batch.producerId : null),
      (producerId, commit) => this.onTxnMarker(producerId, commit),
    );
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) this.scheduleHeartbeatExpiry(g, m, m.sessionTimeoutMs);
      if (g.consumer) this.consumer.afterReplay(g.consumer);
      if (g.share) this.share.afterReplay(g.share);
    }
    if (n > 0) this.log.info(`loaded ${this.groups.size} group(s) from ${n} record(s) of __consumer_offsets`);
    this.retentionTimer = this.clock.setInterval(() => this.expireOffsets(), this.settings.offsetsRetentionCheckIntervalMs);
    this.retentionTimer.unref();
  }

  /**
   * This broker now leads `partition` of `__consumer_offsets` (Kafka's onElection): the groups it
   * holds are loaded from the replicated log, their members given a session to heartbeat in.
   */
  onElection(partition: number): void {
    this.onResignation(partition);
    this.store.replay(
      (key, value, batch) => this.replayRecord(key, value, batch.isTransactional ? batch.producerId : null),
      (producerId, commit) => this.onTxnMarker(producerId, commit),
      partition,
    );
    for (const g of this.groups.values()) {
      if (this.store.partitionFor(g.groupId) !== partition) continue;
      for (const m of g.members.values()) this.scheduleHeartbeatExpiry(g, m, m.sessionTimeoutMs);
      if (g.consumer) this.consumer.afterReplay(g.consumer);
      if (g.share) this.share.afterReplay(g.share);
    }
  }

  /**
   * Another broker leads `partition` now (Kafka's onResignation): its groups are unloaded here;
   * members waiting in a join or sync hear NOT_COORDINATOR and find the new coordinator.
   */
  onResignation(partition: number): void {
    for (const g of [...this.groups.values()]) {
      if (this.store.partitionFor(g.groupId) === partition) this.dropGroup(g, ErrorCode.NOT_COORDINATOR);
    }
  }

  private replayRecord(keyBytes: Buffer, value: Buffer | null, txnProducerId: bigint | null): void {
    const key = decodeKey(keyBytes);
    if (key.type === 'share') {
      const g = value === null ? this.groups.get(key.group) : this.getOrCreate(key.group);
      if (!g) return;
      if (value === null) {
        if (key.record === 'member') {
          if (g.share) this.share.replayMemberTombstone(g.share, key.memberId);
        } else if (key.record === 'statePartitions') {
          g.share?.initialized.clear();
        } else {
          if (g.share) this.share.clearAllTimers(g.share);
          this.dropGroup(g);
        }
        return;
      }
      if (!g.share) this.makeShareGroup(g);
      this.share.replay(g.share!, key, value);
      return;
    }
    if (key.type === 'consumer') {
      const g = this.getOrCreate(key.group);
      if (key.record === 'groupEpoch' && value === null) {
        // The consumer group was deleted or turned back into a classic group; offsets stay.
        if (g.consumer) this.consumer.clearAllTimers(g.consumer);
        g.consumer = null;
        g.protocolType = null;
        return;
      }
      if (!g.consumer) this.makeConsumerGroup(g);
      this.consumer.replay(g.consumer!, key, value);
      return;
    }
    if (key.type === 'offset' && txnProducerId !== null) {
      if (value !== null) this.addPending(this.getOrCreate(key.group), txnProducerId, key.topic, key.partition, decodeOffsetValue(value));
      return;
    }
    if (key.type === 'offset') {
      const g = value === null ? this.groups.get(key.group) : this.getOrCreate(key.group);
      g?.setOffset(key.topic, key.partition, value === null ? null : decodeOffsetValue(value));
      return;
    }
    if (value === null) {
      const g = this.groups.get(key.group);
      if (g) this.dropGroup(g);
      return;
    }
    const v = decodeGroupValue(value);
    const g = this.getOrCreate(key.group);
    if (g.consumer) {
      this.consumer.clearAllTimers(g.consumer);
      g.consumer = null;
    }
    for (const id of [...g.members.keys()]) g.remove(id);
    g.generationId = v.generation;
    g.protocolType = v.protocolType;
    g.protocolName = v.protocol;
    g.stateTimestampMs = v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : this.now();
    for (const sm of v.members) {
      g.add({
        memberId: sm.memberId,
        groupInstanceId: sm.groupInstanceId,
        clientId: sm.clientId,
        clientHost: sm.clientHost,
        rebalanceTimeoutMs: sm.rebalanceTimeoutMs < 0 ? sm.sessionTimeoutMs : sm.rebalanceTimeoutMs,
        sessionTimeoutMs: sm.sessionTimeoutMs,
        protocolType: v.protocolType,
        protocols: [{ name: v.protocol ?? '', metadata: sm.subscription }],
        assignment: sm.assignment,
        awaitingJoin: null,
        awaitingSync: null,
        isNew: false,
        heartbeatTimer: null,
      });
    }
    g.leaderId = v.leader;
    g.state = v.members.length > 0 ? 'Stable' : 'Empty';
  }

  private getOrCreate(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new Group(groupId, this.clock)));
    return g;
  }

  private groupRecord(g: Group, assignment?: ReadonlyMap<string, Buffer>): KeyValue {
    return {
      key: encodeGroupKey(g.groupId),
      value: encodeGroupValue({
        protocolType: g.protocolType ?? '',
        generation: g.generationId,
        protocol: g.protocolName,
        leader: g.leaderId,
        currentStateTimestamp: BigInt(g.stateTimestampMs),
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          sessionTimeoutMs: m.sessionTimeoutMs,
          subscription: g.metadataFor(m),
          assignment: assignment?.get(m.memberId) ?? m.assignment,
        })),
      }),
    };
  }

  /** Appends records; false (after logging) when the log cannot take them. */
  private persist(groupId: string, records: KeyValue[], txn?: TransactionalWrite): boolean {
    try {
      this.store.append(groupId, records, txn);
      return true;
    } catch (err) {
      if (!(err instanceof LogStorageError)) throw err;
      this.log.error(`cannot write group ${groupId} to __consumer_offsets: ${err.message}`);
      return false;
    }
  }

  // ----------------------------------------------------------------------------------------
  // Timers

  private scheduleHeartbeatExpiry(g: Group, m: Member, timeoutMs: number): void {
    this.clock.clearTimeout(m.heartbeatTimer);
    m.heartbeatTimer = this.clock.setTimeout(() => this.expireHeartbeat(g.groupId, m.memberId), timeoutMs);
    m.heartbeatTimer.unref();
  }

  private setJoinTimer(g: Group, delayMs: number, fire: () => void): void {
    this.clock.clearTimeout(g.joinTimer);
    g.joinTimer = this.clock.setTimeout(() => {
      g.joinTimer = null;
      fire();
    }, delayMs);
    g.joinTimer.unref();
  }

  private clearSyncExpiry(g: Group): void {
    g.pendingSync.clear();
    this.clock.clearTimeout(g.syncTimer);
    g.syncTimer = null;
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return;
    if (g.pendingMembers.has(memberId)) {
      g.remove(memberId);
      if (g.is('PreparingRebalance') && g.hasAllMembersJoined()) this.completeJoin(g);
      return;
    }
    const m = g.members.get(memberId);
    if (!m) return;
    const satisfied = !m.isNew && (m.awaitingJoin !== null || m.awaitingSync !== null);
    if (satisfied) return;
    this.log.info(`group ${groupId}: member ${memberId} session expired`);
    this.removeMemberAndUpdate(g, m);
  }

  private expirePendingSync(groupId: string, generationId: number): void {
    const g = this.groups.get(groupId);
    if (!g || g.generationId !== generationId || !g.is('CompletingRebalance', 'Stable') || g.pendingSync.size === 0) return;
    const late = [...g.pendingSync];
    this.log.info(`group ${groupId}: removing ${late.join(', ')}, no SyncGroup within the rebalance timeout`);
    for (const id of late) this.fail(g.remove(id));
    this.prepareRebalance(g);
  }

  /** Answers anything a removed member still waits for. */
  private fail(m: Member | undefined, errorCode: number = ErrorCode.UNKNOWN_MEMBER_ID): void {
    if (!m) return;
    if (m.awaitingJoin) m.awaitingJoin(joinError('', errorCode));
    if (m.awaitingSync) m.awaitingSync(syncError(errorCode));
    m.awaitingJoin = null;
    m.awaitingSync = null;
  }

  // ----------------------------------------------------------------------------------------
  // Rebalance machinery

  private maybePrepareRebalanceOrCompleteJoin(g: Group): void {
    if (g.canRebalance()) this.prepareRebalance(g);
    else this.maybeCompleteJoinPhase(g);
  }

  private maybeCompleteJoinPhase(g: Group): void {
    if (g.is('PreparingRebalance') && g.previousState !== 'Empty' && g.hasAllMembersJoined()) this.completeJoin(g);
  }

  private prepareRebalance(g: Group): void {
    if (g.is('CompletingRebalance')) {
      for (const m of g.members.values()) {
        m.assignment = EMPTY_ASSIGNMENT;
        const waiting = m.awaitingSync;
        m.awaitingSync = null;
        waiting?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    this.clearSyncExpiry(g);
    const initial = g.is('Empty');
    g.transitionTo('PreparingRebalance', this.now());
    if (initial) {
      const delay = this.settings.initialRebalanceDelayMs;
      const remaining = Math.max(g.rebalanceTimeoutMs - delay, 0);
      this.setJoinTimer(g, delay, () => this.tryCompleteInitialRebalance(g, delay, remaining));
      return;
    }
    if (g.hasAllMembersJoined()) this.completeJoin(g);
    else this.setJoinTimer(g, g.rebalanceTimeoutMs, () => this.completeJoin(g));
  }

  private tryCompleteInitialRebalance(g: Group, delayMs: number, remainingMs: number): void {
    if (g.newMemberAdded && remainingMs !== 0) {
      g.newMemberAdded = false;
      const nextDelay = Math.min(this.settings.initialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      this.setJoinTimer(g, nextDelay, () => this.tryCompleteInitialRebalance(g, nextDelay, nextRemaining));
    } else {
      this.completeJoin(g);
    }
  }

  private completeJoin(g: Group): void {
    this.clock.clearTimeout(g.joinTimer);
    g.joinTimer = null;
    if (g.is('Dead') || this.groups.get(g.groupId) !== g) return;
    for (const m of [...g.members.values()]) {
      if (!m.awaitingJoin && m.groupInstanceId === null) g.remove(m.memberId);
    }
    if (!g.maybeElectNewJoinedLeader() && g.members.size > 0) {
      // Nobody rejoined yet: wait again until session expiry clears the silent members.
      this.setJoinTimer(g, g.rebalanceTimeoutMs, () => this.completeJoin(g));
      return;
    }
    g.generationId++;
    g.pendingSync.clear();
    if (g.members.size === 0) {
      g.protocolName = null;
      g.transitionTo('Empty', this.now());
      this.persist(g.groupId, [this.groupRecord(g)]);
      return;
    }
    g.protocolName = g.selectProtocol();
    g.transitionTo('CompletingRebalance', this.now());
    this.log.debug(`group ${g.groupId}: generation ${g.generationId} with ${g.members.size} member(s)`);
    const leaderMembers = [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: g.metadataFor(m) }));
    for (const m of g.members.values()) {
      const answer = m.awaitingJoin;
      m.awaitingJoin = null;
      answer?.({
        errorCode: ErrorCode.NONE,
        generationId: g.generationId,
        protocolType: g.protocolType,
        protocolName: g.protocolName,
        leader: g.leaderId ?? '',
        memberId: m.memberId,
        members: m.memberId === g.leaderId ? leaderMembers : [],
        skipAssignment: false,
      });
      this.scheduleHeartbeatExpiry(g, m, m.sessionTimeoutMs);
      m.isNew = false;
      g.pendingSync.add(m.memberId);
    }
    const generation = g.generationId;
    g.syncTimer = this.clock.setTimeout(() => this.expirePendingSync(g.groupId, generation), g.rebalanceTimeoutMs);
    g.syncTimer.unref();
  }

  private removeMemberAndUpdate(g: Group, m: Member): void {
    this.fail(g.remove(m.memberId));
    if (g.is('Stable', 'CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(g);
    else if (g.is('PreparingRebalance') && g.hasAllMembersJoined()) this.completeJoin(g);
  }

  private newMember(req: JoinRequest, memberId: string, answer: (r: JoinResult) => void): Member {
    return {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY_ASSIGNMENT,
      awaitingJoin: answer,
      awaitingSync: null,
      isNew: true,
      heartbeatTimer: null,
    };
  }

  private addMemberAndRebalance(g: Group, req: JoinRequest, memberId: string, answer: (r: JoinResult) => void): void {
    const m = this.newMember(req, memberId, answer);
    if (g.is('PreparingRebalance') && g.previousState === 'Empty') g.newMemberAdded = true;
    g.add(m);
    this.scheduleHeartbeatExpiry(g, m, this.settings.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(g);
  }

  private updateMemberAndRebalance(g: Group, m: Member, req: JoinRequest, answer: (r: JoinResult) => void): void {
    g.updateMember(m, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs);
    this.awaitJoin(m, answer);
    this.maybePrepareRebalanceOrCompleteJoin(g);
  }

  /** A member sending JoinGroup again before the last one was answered: answer the older one. */
  private awaitJoin(m: Member, answer: (r: JoinResult) => void): void {
    m.awaitingJoin?.(joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    m.awaitingJoin = answer;
  }

  private currentGeneration(g: Group, memberId: string, members: JoinResult['members'], skipAssignment = false): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      memberId,
      members,
      skipAssignment,
    };
  }

  private leaderMembers(g: Group): JoinResult['members'] {
    return [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: g.metadataFor(m) }));
  }

  private static sameProtocols(a: Protocol[], b: Protocol[]): boolean {
    return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
  }

  // ----------------------------------------------------------------------------------------
  // JoinGroup

  join(req: JoinRequest): JoinResult | Promise<JoinResult> {
    if (req.groupId === '') return joinError(req.memberId, ErrorCode.INVALID_GROUP_ID);
    if (!this.store.leads(req.groupId)) return joinError(req.memberId, ErrorCode.NOT_COORDINATOR);
    if (req.sessionTimeoutMs < this.settings.minSessionTimeoutMs || req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) {
      return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const isNewMember = req.memberId === '';
    let g = this.groups.get(req.groupId);
    if (!g) {
      if (!isNewMember) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      const problem = this.store.ensure();
      if (problem) {
        this.log.error(problem);
        return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      g = this.getOrCreate(req.groupId);
      this.persist(g.groupId, [this.groupRecord(g)]);
    }
    if (g.share) return joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (g.consumer) {
      // A classic member joins a consumer group with members as a classic member of it (a mixed
      // group, Kafka's classicGroupJoinToConsumerGroup); an empty one becomes a classic group again.
      if (g.consumer.members.size > 0) {
        if (req.sessionTimeoutMs < this.settings.minSessionTimeoutMs || req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
        return this.consumer.classicJoin(g.consumer, req);
      }
      if (!this.makeClassicGroup(g)) return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    if (!this.acceptJoiningMember(g, req.memberId)) {
      this.fail(g.remove(req.memberId));
      return joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED);
    }
    if (g.is('Dead')) return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!g.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) {
      return joinError(isNewMember ? '' : req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const group = g;
    return new Promise<JoinResult>((resolve) => {
      if (isNewMember) this.joinNewMember(group, req, resolve);
      else this.joinExistingMember(group, req, resolve);
    });
  }

  private acceptJoiningMember(g: Group, memberId: string): boolean {
    switch (g.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (g.members.get(memberId)?.awaitingJoin ?? null) !== null || g.awaitingJoinCount < this.settings.maxSize;
      default:
        return g.members.has(memberId) || g.members.size < this.settings.maxSize;
    }
  }

  private joinNewMember(g: Group, req: JoinRequest, answer: (r: JoinResult) => void): void {
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const existing = g.staticMembers.get(req.groupInstanceId);
      if (existing !== undefined) {
        this.replaceStaticMember(g, req, existing, newMemberId, answer);
        return;
      }
      this.addMemberAndRebalance(g, req, newMemberId, answer);
      return;
    }
    if (requiresKnownMemberId(req.apiVersion)) {
      const timer = this.clock.setTimeout(() => this.expireHeartbeat(g.groupId, newMemberId), req.sessionTimeoutMs);
      timer.unref();
      g.pendingMembers.set(newMemberId, timer);
      answer(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
      return;
    }
    this.addMemberAndRebalance(g, req, newMemberId, answer);
  }

  private replaceStaticMember(g: Group, req: JoinRequest, oldMemberId: string, newMemberId: string, answer: (r: JoinResult) => void): void {
    const old = g.members.get(oldMemberId)!;
    const wasLeader = g.leaderId === oldMemberId;
    const leaderBefore = g.leaderId ?? '';
    // Fence whatever the old incarnation still waits for.
    this.fail(old, ErrorCode.FENCED_INSTANCE_ID);
    this.clock.clearTimeout(old.heartbeatTimer);
    g.members.delete(oldMemberId);
    g.pendingSync.delete(oldMemberId);
    old.memberId = newMemberId;
    g.members.set(newMemberId, old);
    g.staticMembers.set(req.groupInstanceId!, newMemberId);
    if (wasLeader) g.leaderId = newMemberId;
    this.scheduleHeartbeatExpiry(g, old, old.sessionTimeoutMs);
    g.updateMember(old, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs);
    old.awaitingJoin = answer;

    if (g.is('Stable')) {
      if (g.protocolName === g.selectProtocol()) {
        // Same protocol: persist the new member id and hand back the current generation.
        old.awaitingJoin = null;
        if (!this.persist(g.groupId, [this.groupRecord(g)])) {
          answer(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
          return;
        }
        const isLeader = g.leaderId === newMemberId;
        if (supportsSkippingAssignment(req.apiVersion)) {
          answer(this.currentGeneration(g, newMemberId, isLeader ? this.leaderMembers(g) : [], isLeader));
        } else {
          // Below v9 Kafka names the leader as it was before the replacement: a static leader
          // coming back under a new member id is told it is not the leader, so it does not
          // compute an assignment it could not skip.
          answer({ ...this.currentGeneration(g, newMemberId, []), leader: leaderBefore });
        }
        return;
      }
      this.maybePrepareRebalanceOrCompleteJoin(g);
    } else if (g.is('CompletingRebalance')) {
      this.prepareRebalance(g);
    } else {
      this.maybeCompleteJoinPhase(g);
    }
  }

  private joinExistingMember(g: Group, req: JoinRequest, answer: (r: JoinResult) => void): void {
    const memberId = req.memberId;
    if (g.pendingMembers.has(memberId)) {
      const timer = g.pendingMembers.get(memberId);
      this.clock.clearTimeout(timer);
      g.pendingMembers.delete(memberId);
      this.addMemberAndRebalance(g, req, memberId, answer);
      return;
    }
    const invalid = this.validateMember(g, memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) {
      answer(joinError(memberId, invalid));
      return;
    }
    const m = g.members.get(memberId)!;
    switch (g.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(g, m, req, answer);
        return;
      case 'CompletingRebalance':
        if (GroupCoordinator.sameProtocols(m.protocols, req.protocols)) {
          // A retry of a join whose answer was lost: repeat the current generation.
          answer(this.currentGeneration(g, memberId, g.leaderId === memberId ? this.leaderMembers(g) : []));
        } else {
          this.updateMemberAndRebalance(g, m, req, answer);
        }
        return;
      case 'Stable':
        if (g.leaderId === memberId || !GroupCoordinator.sameProtocols(m.protocols, req.protocols)) {
          // The leader rejoining (or changed metadata) forces a rebalance.
          this.updateMemberAndRebalance(g, m, req, answer);
        } else {
          answer(this.currentGeneration(g, memberId, []));
        }
        return;
      default:
        answer(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** Kafka's member validation: static instance mapping first, then membership. */
  private validateMember(g: Group, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = g.staticMembers.get(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return g.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ----------------------------------------------------------------------------------------
  // SyncGroup, Heartbeat, LeaveGroup

  sync(req: SyncRequest): SyncResult | Promise<SyncResult> {
    if (req.groupId === '') return syncError(ErrorCode.INVALID_GROUP_ID);
    if (!this.store.leads(req.groupId)) return syncError(ErrorCode.NOT_COORDINATOR);
    const g = this.groups.get(req.groupId);
    if (g?.consumer) return this.consumer.classicSync(g.consumer, req.memberId, req.groupInstanceId, req.generationId, req.protocolType, req.protocolName);
    if (!g || g.members.size === 0) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (g.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const invalid = this.validateMember(g, req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return syncError(invalid);
    if (req.generationId !== g.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocolName)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (g.is('PreparingRebalance')) return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    const m = g.members.get(req.memberId)!;
    if (g.is('Stable')) {
      this.receivedSync(g, req.memberId);
      return { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment };
    }
    // CompletingRebalance
    return new Promise<SyncResult>((resolve) => {
      m.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      m.awaitingSync = resolve;
      this.receivedSync(g, req.memberId);
      if (g.leaderId !== req.memberId) return;
      const assignment = new Map<string, Buffer>();
      for (const a of req.assignments) assignment.set(a.memberId, a.assignment);
      for (const id of g.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_ASSIGNMENT);
      if (!this.persist(g.groupId, [this.groupRecord(g, assignment)])) {
        for (const member of g.members.values()) member.assignment = EMPTY_ASSIGNMENT;
        this.propagate(g, ErrorCode.NOT_COORDINATOR);
        this.maybePrepareRebalanceOrCompleteJoin(g);
        return;
      }
      for (const member of g.members.values()) member.assignment = assignment.get(member.memberId) ?? EMPTY_ASSIGNMENT;
      this.propagate(g, ErrorCode.NONE);
      g.transitionTo('Stable', this.now());
    });
  }

  private receivedSync(g: Group, memberId: string): void {
    g.pendingSync.delete(memberId);
    if (g.pendingSync.size === 0 && g.syncTimer) {
      this.clock.clearTimeout(g.syncTimer);
      g.syncTimer = null;
    }
  }

  private propagate(g: Group, errorCode: number): void {
    for (const m of g.members.values()) {
      const answer = m.awaitingSync;
      if (!answer) continue;
      m.awaitingSync = null;
      answer({
        errorCode,
        protocolType: errorCode === ErrorCode.NONE ? g.protocolType : null,
        protocolName: errorCode === ErrorCode.NONE ? g.protocolName : null,
        assignment: m.assignment,
      });
      this.scheduleHeartbeatExpiry(g, m, m.sessionTimeoutMs);
    }
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (!this.store.leads(groupId)) return ErrorCode.NOT_COORDINATOR;
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.consumer) return this.consumer.classicHeartbeat(g.consumer, memberId, groupInstanceId, generationId);
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = this.validateMember(g, memberId, groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const m = g.members.get(memberId)!;
    switch (g.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.scheduleHeartbeatExpiry(g, m, m.sessionTimeoutMs);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        // CompletingRebalance too: clients may heartbeat between their join and sync answers.
        this.scheduleHeartbeatExpiry(g, m, m.sessionTimeoutMs);
        return ErrorCode.NONE;
    }
  }

  /** Removes members (v3+ batches them; static members may be named by instance id alone). */
  leave(groupId: string, members: MemberIdentity[]): { errorCode: number; members: Array<MemberIdentity & { errorCode: number }> } {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    if (!this.store.leads(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    const g = this.groups.get(groupId);
    // An unknown group: every member named is unknown (Kafka answers per member from v3).
    if (!g) return { errorCode: ErrorCode.NONE, members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    if (g.consumer) return { errorCode: ErrorCode.NONE, members: this.consumer.classicLeave(g.consumer, members) };
    if (g.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: Array<MemberIdentity & { errorCode: number }> = [];
    let removed = 0;
    for (const who of members) {
      let errorCode: number = ErrorCode.NONE;
      if (who.memberId === '') {
        const id = who.groupInstanceId !== null ? g.staticMembers.get(who.groupInstanceId) : undefined;
        if (id === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else this.fail(g.remove(id));
      } else if (g.pendingMembers.has(who.memberId)) {
        g.remove(who.memberId);
      } else {
        errorCode = this.validateMember(g, who.memberId, who.groupInstanceId);
        if (errorCode === ErrorCode.NONE) this.fail(g.remove(who.memberId));
      }
      if (errorCode === ErrorCode.NONE) removed++;
      results.push({ ...who, errorCode });
    }
    if (removed > 0) {
      if (g.is('Stable', 'CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(g);
      else if (g.is('PreparingRebalance')) this.maybeCompleteJoinPhase(g);
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // ----------------------------------------------------------------------------------------
  // Offsets

  /**
   * Commits offsets after Kafka's classic-group checks. `partitionExists` answers whether a
   * topic-partition exists (unknown ones get UNKNOWN_TOPIC_OR_PARTITION). Returns an error code
   * per requested partition, in request order.
   */
  commitOffsets(req: CommitRequest, partitionExists: (topic: string, partition: number) => boolean): number[][] {
    const all = (code: number) => req.topics.map((t) => t.partitions.map(() => code));
    // No check of an empty group id: Kafka accepts OffsetCommit for "" (for old clients' sake),
    // unlike TxnOffsetCommit and the membership APIs.
    if (!this.store.leads(req.groupId)) return all(ErrorCode.NOT_COORDINATOR);
    let g = this.groups.get(req.groupId);
    if (!g) {
      // A consumer without group management (or the admin client) commits for a new group.
      if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      const problem = this.store.ensure();
      if (problem) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      g = this.getOrCreate(req.groupId);
    }
    const invalid = this.validateCommit(g, req);
    if (invalid !== ErrorCode.NONE) return all(invalid);
    const { codes, records, accepted } = this.offsetRecords(req, partitionExists);
    if (records.length === 0) return codes;
    if (!this.persist(req.groupId, records)) return all(ErrorCode.NOT_COORDINATOR);
    for (const a of accepted) g.setOffset(a.topic, a.partition, a.value);
    return codes;
  }

  /** Per-partition checks of a commit and the records for the accepted partitions. */
  private offsetRecords(req: CommitRequest, partitionExists: (topic: string, partition: number) => boolean) {
    const now = BigInt(this.now());
    const records: KeyValue[] = [];
    const accepted: Array<{ topic: string; partition: number; value: OffsetValue }> = [];
    const codes = req.topics.map((t) =>
      t.partitions.map((p) => {
        if (!partitionExists(t.name, p.partitionIndex)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata) > this.settings.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
        const value: OffsetValue = { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, commitTimestamp: now };
        records.push({ key: encodeOffsetKey(req.groupId, t.name, p.partitionIndex), value: encodeOffsetValue(value) });
        accepted.push({ topic: t.name, partition: p.partitionIndex, value });
        return ErrorCode.NONE;
      }),
    );
    return { codes, records, accepted };
  }

  /**
   * TxnOffsetCommit: the offsets go to the log inside the producer's transaction and stay pending
   * until its marker. Checks as for OffsetCommit, without the group-state rules (Kafka's
   * transactional variant).
   */
  txnCommitOffsets(req: CommitRequest & { producerId: bigint; producerEpoch: number }, partitionExists: (topic: string, partition: number) => boolean): number[][] {
    const all = (code: number) => req.topics.map((t) => t.partitions.map(() => code));
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const problem = this.store.ensure();
    if (problem) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!this.store.leads(req.groupId)) return all(ErrorCode.NOT_COORDINATOR);
    // A group that does not exist is created (a "simple" group) only for generation -1; a
    // generation names a group that should exist: ILLEGAL_GENERATION, as Kafka 4's coordinator.
    if (req.generationId >= 0 && !this.groups.has(req.groupId)) return all(ErrorCode.ILLEGAL_GENERATION);
    const g = this.getOrCreate(req.groupId);
    const invalid = this.validateCommit(g, req, true);
    if (invalid !== ErrorCode.NONE) return all(invalid);
    const { codes, records, accepted } = this.offsetRecords(req, partitionExists);
    if (records.length === 0) return codes;
    if (!this.persist(req.groupId, records, { producerId: req.producerId, producerEpoch: req.producerEpoch })) return all(ErrorCode.NOT_COORDINATOR);
    for (const a of accepted) this.addPending(g, req.producerId, a.topic, a.partition, a.value);
    return codes;
  }

  private addPending(g: Group, producerId: bigint, topic: string, partition: number, value: OffsetValue): void {
    let pending = g.pendingTxnOffsets.get(producerId);
    if (!pending) g.pendingTxnOffsets.set(producerId, (pending = new Map()));
    pending.set(`${topic}\0${partition}`, { topic, partition, value });
  }

  /** A commit or abort marker for `producerId` reached __consumer_offsets. */
  onTxnMarker(producerId: bigint, commit: boolean): void {
    for (const g of this.groups.values()) g.completeTxnOffsets(producerId, commit);
  }

  private validateCommit(g: Group, req: CommitRequest, transactional = false): number {
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.consumer) {
      // Kafka's ConsumerGroup.validateOffsetCommit: the admin client or a consumer without group
      // management may commit to an empty group; members with their current epoch, at v9+.
      if (req.generationId < 0 && g.consumer.members.size === 0) return ErrorCode.NONE;
      const member = g.consumer.members.get(req.memberId);
      if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (!transactional && (req.apiVersion ?? 9) < 9) return ErrorCode.UNSUPPORTED_VERSION;
      return req.generationId === member.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
    }
    if (req.generationId < 0 && g.is('Empty')) return ErrorCode.NONE;
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const invalid = this.validateMember(g, req.memberId, req.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!transactional && !g.is('Empty')) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (!transactional && g.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** Committed offsets of a group: the partitions asked for, or every one when `topics` is null. */
  /** Whether this broker coordinates the group (leads its partition of __consumer_offsets). */
  coordinates(groupId: string): boolean {
    return this.store.leads(groupId);
  }

  /**
   * OffsetFetch v9+ from a consumer-group member names it and its epoch (Kafka's
   * validateOffsetFetch): UNKNOWN_MEMBER_ID or STALE_MEMBER_EPOCH, else NONE.
   */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    const cg = this.groups.get(groupId)?.consumer;
    if (!cg || (memberId === null && memberEpoch < 0)) return ErrorCode.NONE;
    const member = memberId === null ? undefined : cg.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    return member.memberEpoch === memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
  }

  fetchOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }> | null, requireStable = false): Array<{ name: string; partitions: FetchedOffset[] }> {
    const g = this.groups.get(groupId);
    const found = (topic: string, partition: number): FetchedOffset => {
      if (requireStable && g?.hasPendingTxnOffset(topic, partition)) {
        return { partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const v = g?.offset(topic, partition);
      return v
        ? { partition, offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, errorCode: ErrorCode.NONE }
        : { partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics !== null) return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => found(t.name, p)) }));
    if (!g) return [];
    return [...g.offsets.entries()].map(([name, byPartition]) => ({ name, partitions: [...byPartition.keys()].sort((a, b) => a - b).map((p) => found(name, p)) }));
  }

  /** OffsetDelete: returns a top-level error, or one code per partition. */
  deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }>): { errorCode: number; codes: number[][] } {
    // Kafka refuses the empty group id for every group API but the offset commit/fetch pair.
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, codes: [] };
    if (!this.store.leads(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, codes: [] };
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, codes: [] };
    const consumerProtocol = g.protocolType === 'consumer';
    if (!g.is('Empty') && !consumerProtocol) return { errorCode: ErrorCode.NON_EMPTY_GROUP, codes: [] };
    // A consumer group's offsets may go in any state, except for topics its members subscribe to.
    const subscribed = this.subscribedTopicsOf(g);
    const records: KeyValue[] = [];
    const gone: Array<[string, number]> = [];
    const codes = topics.map((t) =>
      t.partitions.map((p) => {
        if (subscribed.has(t.name)) return ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        if (g.offset(t.name, p)) {
          records.push({ key: encodeOffsetKey(groupId, t.name, p), value: null });
          gone.push([t.name, p]);
        }
        return ErrorCode.NONE;
      }),
    );
    if (!this.persist(groupId, records)) return { errorCode: ErrorCode.NOT_COORDINATOR, codes: [] };
    for (const [topic, p] of gone) g.setOffset(topic, p, null);
    return { errorCode: ErrorCode.NONE, codes };
  }

  private subscribedTopicsOf(g: Group): Set<string> {
    if (g.consumer) return this.consumer.subscribedTopicNames(g.consumer);
    const out = new Set<string>();
    if (g.is('Empty') || g.protocolType !== 'consumer') return out;
    for (const m of g.members.values()) {
      const topics = subscribedTopics(g.metadataFor(m));
      // Unreadable metadata: treat the member as subscribed to everything it might use.
      if (topics === null) return new Set([...g.offsets.keys()]);
      for (const t of topics) out.add(t);
    }
    return out;
  }

  // ----------------------------------------------------------------------------------------
  // Describe, list, delete

  describe(groupId: string): GroupSummary {
    const g = this.groups.get(groupId);
    // A consumer or share group is no classic group: Kafka describes it as Dead (GROUP_ID_NOT_FOUND from v6).
    if (!g || g.consumer || g.share) return { groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = g.is('Stable');
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? g.metadataFor(m) : EMPTY_ASSIGNMENT,
        // Kafka shows each member's last assignment in every state (it keeps it through
        // PreparingRebalance until the next sync); only the metadata needs a chosen protocol.
        assignment: m.assignment,
      })),
    };
  }

  /** Why DescribeGroups v6 finds no classic group of this id (Kafka's GROUP_ID_NOT_FOUND message). */
  describeMissing(groupId: string): string {
    const g = this.groups.get(groupId);
    return g?.consumer || g?.share ? `Group ${groupId} is not a classic group.` : `Group ${groupId} not found.`;
  }

  list(statesFilter: string[], typesFilter: string[]): Array<{ groupId: string; protocolType: string; state: string; groupType: 'classic' | 'consumer' | 'share' }> {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    return [...this.groups.values()]
      .filter((g) => !g.is('Dead'))
      .map((g) => (g.share
        ? { groupId: g.groupId, protocolType: 'share', state: g.share.state, groupType: 'share' as const }
        : g.consumer
        ? { groupId: g.groupId, protocolType: 'consumer', state: g.consumer.state, groupType: 'consumer' as const }
        : { groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, groupType: 'classic' as const }))
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has(g.groupType)));
  }

  deleteGroup(groupId: string): number {
    if (!this.store.leads(groupId)) return ErrorCode.NOT_COORDINATOR;
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!g.is('Empty') || (g.consumer && g.consumer.members.size > 0) || (g.share && g.share.members.size > 0)) return ErrorCode.NON_EMPTY_GROUP;
    const records: KeyValue[] = [];
    if (g.consumer) records.push(...this.consumer.groupTombstones(groupId));
    if (g.share) records.push(...this.share.groupTombstones(g.share));
    for (const [topic, byPartition] of g.offsets) {
      for (const p of byPartition.keys()) records.push({ key: encodeOffsetKey(groupId, topic, p), value: null });
    }
    records.push({ key: encodeGroupKey(groupId), value: null });
    if (!this.persist(groupId, records)) return ErrorCode.NOT_COORDINATOR;
    this.dropGroup(g);
    return ErrorCode.NONE;
  }

  private dropGroup(g: Group, errorCode: number = ErrorCode.UNKNOWN_MEMBER_ID): void {
    g.transitionTo('Dead', this.now());
    if (g.consumer) this.consumer.clearAllTimers(g.consumer);
    if (g.share) this.share.clearAllTimers(g.share);
    for (const id of [...g.members.keys()]) {
      const m = g.remove(id);
      this.clock.clearTimeout(m?.heartbeatTimer);
      this.fail(m, errorCode);
    }
    this.clock.clearTimeout(g.joinTimer);
    this.clearSyncExpiry(g);
    this.groups.delete(g.groupId);
  }

  /**
   * offsets.retention.minutes: the offsets of an empty group expire that long after it became
   * empty (of a group that never had members: after their commit); an empty group without
   * offsets is then deleted.
   */
  expireOffsets(): void {
    const now = this.now();
    const retention = this.settings.offsetsRetentionMs;
    for (const g of [...this.groups.values()]) {
      // A member between MEMBER_ID_REQUIRED and its second JoinGroup keeps the group.
      // Share groups commit no offsets here (their progress is the share-partition state).
      if (!g.is('Empty') || g.pendingMembers.size > 0 || (g.consumer && g.consumer.members.size > 0) || g.share) continue;
      const records: KeyValue[] = [];
      const expired: Array<[string, number]> = [];
      for (const [topic, byPartition] of g.offsets) {
        for (const [p, v] of byPartition) {
          const base = g.protocolType === null || g.consumer ? Number(v.commitTimestamp) : g.stateTimestampMs;
          if (now - base >= retention) {
            records.push({ key: encodeOffsetKey(g.groupId, topic, p), value: null });
            expired.push([topic, p]);
          }
        }
      }
      const dropGroup = expired.length === [...g.offsets.values()].reduce((n, m) => n + m.size, 0);
      if (dropGroup) records.push(...(g.consumer ? this.consumer.groupTombstones(g.groupId) : []), { key: encodeGroupKey(g.groupId), value: null });
      if (records.length === 0 || !this.persist(g.groupId, records)) continue;
      for (const [topic, p] of expired) g.setOffset(topic, p, null);
      if (dropGroup) {
        this.log.info(`group ${g.groupId}: empty with no offsets left, deleted`);
        this.dropGroup(g);
      }
    }
  }

  close(): void {
    if (this.retentionTimer) this.clock.clearTimeout(this.retentionTimer);
    for (const g of this.groups.values()) {
      this.clock.clearTimeout(g.joinTimer);
      this.clock.clearTimeout(g.syncTimer);
      for (const m of g.members.values()) this.clock.clearTimeout(m.heartbeatTimer);
      for (const t of g.pendingMembers.values()) this.clock.clearTimeout(t);
      if (g.consumer) this.consumer.clearAllTimers(g.consumer);
      if (g.share) this.share.clearAllTimers(g.share);
    }
  }
}
