/**
 * KIP-932 share groups in the group coordinator: ShareGroupHeartbeat (join, heartbeat, leave) and
 * ShareGroupDescribe, as Kafka 4.1's GroupMetadataManager does them for share groups.
 *
 * A share group's members consume its subscribed topics together; the records themselves are
 * handed out by the partition leaders (src/share/), not by the assignment. The assignment only
 * says which members fetch which partitions, and unlike a consumer group's it may give one
 * partition to several members (when there are more members than partitions), so there is no
 * revocation phase: a member moves to the group's current target at its next heartbeat.
 *
 * Epochs: the group epoch is bumped when a member joins, leaves or changes its subscription, or
 * when a subscribed topic changes (created, deleted, more partitions); the next heartbeat then
 * computes a new target with the simple assignor (below) at that epoch, and each member's epoch
 * becomes the target's epoch when it is given its new partitions. A member id is the client's own
 * (v1, KIP-1082); a heartbeat with an epoch other than the member's is FENCED_MEMBER_EPOCH, an
 * unknown member UNKNOWN_MEMBER_ID: the client rejoins with epoch 0 under the same member id, so
 * its acquired records stay its own.
 *
 * Records in `__consumer_offsets`, Kafka 4.1's formats: ShareGroupMetadata (key type 11, value:
 * epoch, metadata hash), ShareGroupMemberMetadata (key type 10, value: rack, client id and host,
 * subscribed topics; a leaving member's record is a tombstone) and ShareGroupStatePartitionMetadata
 * (key type 15: the topics and partitions the group was ever assigned, Kafka's initialized topics,
 * which DescribeShareGroupOffsets lists). Target and current
 * assignments (Kafka's types 12-14) are not written: they follow from the members and the topics,
 * and are computed again when the group is loaded.
 *
 * The simple assignor (group.share.assignors=simple, Kafka's SimpleAssignor for members with the
 * same subscriptions): per topic, with M subscribed members (sorted by id) and P partitions,
 * partition p goes to member p mod M when M <= P; otherwise member i gets partition i mod P, so
 * every member has a partition and partitions are shared.
 */
import type { Clock, TimerHandle } from '../control/clock.js';
import type { Logger } from '../logger.js';
import type { KeyValue } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import { DecodeError, Reader, Writer } from '../protocol/wire.js';
import type { Assignment } from './assignors.js';
import { sameAssignment } from './consumer-group.js';
import { error, HeartbeatError, type HeartbeatResult, type TopicLookup } from './consumer-protocol.js';

export const SHARE_KEY = { member: 10, groupEpoch: 11, statePartitions: 15 } as const;
export const SHARE_JOIN_EPOCH = 0;
export const SHARE_LEAVE_EPOCH = -1;

export type ShareGroupState = 'Empty' | 'Stable' | 'Dead';

export interface ShareMember {
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** Topic id (base64url) -> partitions, as last given to the member. */
  assignment: Assignment;
}

export class ShareGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ShareMember>();
  /** The target of the assignment epoch, per member. */
  target = new Map<string, Assignment>();
  /** The subscribed topics' partition counts the group epoch was computed for, and the metadata version they were read at. */
  topicsSeen = '';
  topicsVersion = -1;
  readonly sessionTimers = new Map<string, TimerHandle>();
  /**
   * The partitions the group has been assigned, by topic id (Kafka's initialized topics of
   * ShareGroupStatePartitionMetadata): what DescribeShareGroupOffsets lists when asked for all.
   */
  readonly initialized = new Map<string, { name: string; partitions: Set<number> }>();

  constructor(readonly groupId: string) {}

  get state(): ShareGroupState {
    return this.members.size === 0 ? 'Empty' : 'Stable';
  }
}

export interface ShareGroupSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  /** Group-level overrides (the GROUP config resource): share.session.timeout.ms, share.heartbeat.interval.ms. */
  groupConfig(groupId: string, name: 'share.session.timeout.ms' | 'share.heartbeat.interval.ms'): number | undefined;
}

export const DEFAULT_SHARE_GROUP_SETTINGS: ShareGroupSettings = {
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 5_000,
  maxSize: 200,
  groupConfig: () => undefined,
};

export interface ShareHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

/** The same answer as a consumer group heartbeat's. */
export type ShareHeartbeatResult = HeartbeatResult;

/** What the share protocol needs of the coordinator it is part of (coordinator.ts). */
export interface ShareGroupHost {
  readonly clock: Clock;
  readonly log: Logger;
  shareGroup(groupId: string): ShareGroup | undefined;
  /** Makes a share group of this id; an error code when another kind of group holds it or the log is not ready. */
  createShareGroup(groupId: string): ShareGroup | number;
  /** Whether a group of another type holds this id. */
  otherGroupHolds(groupId: string): boolean;
  leads(groupId: string): boolean;
  persist(groupId: string, records: KeyValue[]): boolean;
}

// ------------------------------------------------------------------------------------------
// Records (Kafka 4.1's ShareGroupMetadata and ShareGroupMemberMetadata)

export function encodeShareKey(record: keyof typeof SHARE_KEY, group: string, memberId = ''): Buffer {
  const w = new Writer(64);
  w.int16(SHARE_KEY[record]);
  w.string(group);
  if (record === 'member') w.string(memberId);
  return Buffer.from(w.finish());
}

function encodeEpochValue(epoch: number): Buffer {
  const w = new Writer(32);
  w.int16(0);
  w.int32(epoch);
  // MetadataHash: Kafka's hash of the subscribed topics' metadata; 0 means "not computed", which
  // makes Kafka recompute it, and Sluice compares the topics themselves (topicsSeen).
  w.int64(0n);
  w.taggedFields();
  return Buffer.from(w.finish());
}

function decodeEpochValue(buf: Buffer): number {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new DecodeError(`share group metadata value version ${version} is not one this broker reads (0)`);
  const epoch = r.int32();
  r.int64();
  r.taggedFields();
  r.check();
  return epoch;
}

function encodeMemberValue(m: ShareMember): Buffer {
  const w = new Writer(64);
  w.int16(0);
  w.compactNullableString(m.rackId);
  w.compactString(m.clientId);
  w.compactString(m.clientHost);
  w.compactArrayCount(m.subscribedTopicNames.length);
  for (const t of m.subscribedTopicNames) w.compactString(t);
  w.taggedFields();
  return Buffer.from(w.finish());
}

function decodeMemberValue(buf: Buffer): Pick<ShareMember, 'rackId' | 'clientId' | 'clientHost' | 'subscribedTopicNames'> {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new DecodeError(`share group member value version ${version} is not one this broker reads (0)`);
  const rackId = r.compactNullableString();
  const clientId = r.compactString();
  const clientHost = r.compactString();
  const n = r.compactArrayCount(1);
  const subscribedTopicNames: string[] = [];
  for (let i = 0; i < n && r.error === null; i++) subscribedTopicNames.push(r.compactString());
  r.taggedFields();
  r.check();
  return { rackId, clientId, clientHost, subscribedTopicNames };
}

/** ShareGroupStatePartitionMetadataValue v0: initializing (none), initialized topics, deleting (none). */
function encodeStatePartitionsValue(initialized: ShareGroup['initialized']): Buffer {
  const w = new Writer(64);
  w.int16(0);
  w.compactArrayCount(0);
  w.compactArrayCount(initialized.size);
  for (const [topicId, t] of initialized) {
    w.uuid(Buffer.from(topicId, 'base64url'));
    w.compactString(t.name);
    w.compactArrayCount(t.partitions.size);
    for (const p of [...t.partitions].sort((a, b) => a - b)) w.int32(p);
    w.taggedFields();
  }
  w.compactArrayCount(0);
  w.taggedFields();
  return Buffer.from(w.finish());
}

function decodeStatePartitionsValue(buf: Buffer): ShareGroup['initialized'] {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new DecodeError(`share group state partition metadata value version ${version} is not one this broker reads (0)`);
  const out: ShareGroup['initialized'] = new Map();
  const readTopics = (into: ShareGroup['initialized'] | null): void => {
    const n = r.compactArrayCount(18);
    for (let i = 0; i < n && r.error === null; i++) {
      const topicId = Buffer.from(r.uuid()).toString('base64url');
      const name = r.compactString();
      const m = r.compactArrayCount(4);
      const partitions = new Set<number>();
      for (let j = 0; j < m && r.error === null; j++) partitions.add(r.int32());
      r.taggedFields();
      into?.set(topicId, { name, partitions });
    }
  };
  readTopics(null);
  readTopics(out);
  const deleting = r.compactArrayCount(17);
  for (let i = 0; i < deleting && r.error === null; i++) {
    r.uuid();
    r.compactString();
    r.taggedFields();
  }
  r.taggedFields();
  r.check();
  return out;
}

// ------------------------------------------------------------------------------------------
// The simple assignor

/** Kafka's SimpleAssignor for homogeneous subscriptions, per topic (see the top of this file). */
export function assignShare(members: ReadonlyMap<string, ShareMember>, topics: TopicLookup): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  for (const id of members.keys()) out.set(id, new Map());
  const byTopic = new Map<string, string[]>();
  for (const m of members.values()) {
    for (const name of m.subscribedTopicNames) {
      const list = byTopic.get(name) ?? [];
      list.push(m.memberId);
      byTopic.set(name, list);
    }
  }
  for (const [name, ids] of byTopic) {
    const t = topics.byName(name);
    if (!t || t.partitions === 0) continue;
    ids.sort();
    const give = (memberId: string, p: number): void => {
      const a = out.get(memberId)!;
      const set = a.get(t.id) ?? new Set<number>();
      set.add(p);
      a.set(t.id, set);
    };
    if (ids.length <= t.partitions) {
      for (let p = 0; p < t.partitions; p++) give(ids[p % ids.length]!, p);
    } else {
      ids.forEach((id, i) => give(id, i % t.partitions));
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------

export class ShareGroupProtocol {
  constructor(
    private readonly host: ShareGroupHost,
    private readonly settings: ShareGroupSettings,
    private readonly topics: TopicLookup,
  ) {}

  private sessionTimeoutMs(groupId: string): number {
    return this.settings.groupConfig(groupId, 'share.session.timeout.ms') ?? this.settings.sessionTimeoutMs;
  }

  heartbeatIntervalMs(groupId: string): number {
    return this.settings.groupConfig(groupId, 'share.heartbeat.interval.ms') ?? this.settings.heartbeatIntervalMs;
  }

  heartbeat(req: ShareHeartbeatRequest): ShareHeartbeatResult {
    try {
      this.validate(req);
      if (!this.host.leads(req.groupId)) return error(ErrorCode.NOT_COORDINATOR, null);
      if (req.memberEpoch === SHARE_LEAVE_EPOCH) return this.leave(req);
      return this.joinOrHeartbeat(req);
    } catch (err) {
      if (err instanceof HeartbeatError) return error(err.code, err.message);
      throw err;
    }
  }

  /** Kafka's throwIfShareGroupHeartbeatRequestIsInvalid. */
  private validate(req: ShareHeartbeatRequest): void {
    const invalid = (message: string): never => {
      throw new HeartbeatError(ErrorCode.INVALID_REQUEST, message);
    };
    if (req.groupId === '') invalid("GroupId can't be empty.");
    if (req.memberId === '') invalid("MemberId can't be empty.");
    if (req.rackId === '') invalid("RackId can't be empty.");
    if (req.memberEpoch === SHARE_JOIN_EPOCH) {
      if (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0) invalid('SubscribedTopicNames must be set in first request.');
    } else if (req.memberEpoch < SHARE_LEAVE_EPOCH) {
      invalid('MemberEpoch is invalid.');
    }
  }

  private group(groupId: string, create: boolean): ShareGroup {
    const existing = this.host.shareGroup(groupId);
    if (existing) return existing;
    if (this.host.otherGroupHolds(groupId)) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a share group.`);
    if (!create) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Share group ${groupId} not found.`);
    const made = this.host.createShareGroup(groupId);
    if (typeof made === 'number') throw new HeartbeatError(made, `The coordinator cannot create group ${groupId} now.`);
    return made;
  }

  /** The subscribed topics as they are now: name:id:partitions, sorted (a change bumps the group epoch). */
  private topicsSignature(g: ShareGroup): string {
    const names = new Set<string>();
    for (const m of g.members.values()) for (const n of m.subscribedTopicNames) names.add(n);
    return [...names]
      .sort()
      .map((n) => {
        const t = this.topics.byName(n);
        return t ? `${n}:${t.id}:${t.partitions}` : `${n}:-`;
      })
      .join(',');
  }

  private joinOrHeartbeat(req: ShareHeartbeatRequest): ShareHeartbeatResult {
    const joining = req.memberEpoch === SHARE_JOIN_EPOCH;
    const g = this.group(req.groupId, joining);
    const records: KeyValue[] = [];
    let member = g.members.get(req.memberId);
    let bump = false;
    if (!member) {
      if (!joining) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      if (g.members.size >= this.settings.maxSize) {
        throw new HeartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum capacity of ${this.settings.maxSize} members.`);
      }
      member = {
        memberId: req.memberId,
        memberEpoch: 0,
        rackId: req.rackId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        subscribedTopicNames: [...new Set(req.subscribedTopicNames ?? [])].sort(),
        assignment: new Map(),
      };
      bump = true;
    } else if (!joining && req.memberEpoch !== member.memberEpoch) {
      const rel = req.memberEpoch > member.memberEpoch ? 'greater' : 'smaller';
      throw new HeartbeatError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The share group member has a ${rel} member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    } else {
      const subscribed = req.subscribedTopicNames === null ? member.subscribedTopicNames : [...new Set(req.subscribedTopicNames)].sort();
      const changed = subscribed.join('\0') !== member.subscribedTopicNames.join('\0') || req.rackId !== member.rackId;
      if (changed || joining) {
        member = { ...member, subscribedTopicNames: subscribed, rackId: req.rackId, clientId: req.clientId, clientHost: req.clientHost, memberEpoch: joining ? 0 : member.memberEpoch };
        if (changed) bump = true;
      }
    }
    const previous = g.members.get(req.memberId);
    g.members.set(member.memberId, member);
    if (member !== previous) records.push({ key: encodeShareKey('member', g.groupId, member.memberId), value: encodeMemberValue(member) });
    const signature = this.topicsSignature(g);
    const topicsSeenBefore = g.topicsSeen;
    if (signature !== g.topicsSeen) bump = true;
    if (bump) {
      g.groupEpoch += 1;
      g.topicsSeen = signature;
      records.push({ key: encodeShareKey('groupEpoch', g.groupId), value: encodeEpochValue(g.groupEpoch) });
    }
    if (records.length > 0 && !this.host.persist(g.groupId, records)) {
      // The write failed: nothing of this heartbeat takes effect.
      if (previous) g.members.set(previous.memberId, previous);
      else g.members.delete(member.memberId);
      if (bump) g.groupEpoch -= 1;
      g.topicsSeen = topicsSeenBefore;
      return error(ErrorCode.NOT_COORDINATOR, null);
    }
    if (g.assignmentEpoch < g.groupEpoch) {
      g.target = assignShare(g.members, this.topics);
      g.assignmentEpoch = g.groupEpoch;
      this.recordInitialized(g);
    }
    const target = g.target.get(member.memberId) ?? new Map();
    let sendAssignment = joining;
    if (member.memberEpoch !== g.assignmentEpoch || !sameAssignment(member.assignment, target)) {
      member = { ...member, memberEpoch: g.assignmentEpoch, assignment: target };
      g.members.set(member.memberId, member);
      sendAssignment = true;
    }
    this.armSession(g, member.memberId);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.heartbeatIntervalMs(g.groupId),
      assignment: sendAssignment ? member.assignment : null,
    };
  }

  /** Adds the target's partitions to the group's initialized topics; writes the record when that changed. */
  private recordInitialized(g: ShareGroup): void {
    let changed = false;
    for (const a of g.target.values()) {
      for (const [topicId, ps] of a) {
        const name = this.topics.nameOf(topicId);
        if (name === undefined) continue;
        let t = g.initialized.get(topicId);
        if (!t) g.initialized.set(topicId, (t = { name, partitions: new Set() }));
        for (const p of ps) {
          if (t.partitions.has(p)) continue;
          t.partitions.add(p);
          changed = true;
        }
      }
    }
    if (changed) this.host.persist(g.groupId, [{ key: encodeShareKey('statePartitions', g.groupId), value: encodeStatePartitionsValue(g.initialized) }]);
  }

  private leave(req: ShareHeartbeatRequest): ShareHeartbeatResult {
    const g = this.group(req.groupId, false);
    if (!g.members.has(req.memberId)) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    if (!this.removeMember(g, req.memberId)) return error(ErrorCode.NOT_COORDINATOR, null);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: SHARE_LEAVE_EPOCH, heartbeatIntervalMs: 0, assignment: null };
  }

  /** Removes a member (left, or its session expired) and bumps the group epoch; false when the records could not be written. */
  private removeMember(g: ShareGroup, memberId: string): boolean {
    const records: KeyValue[] = [
      { key: encodeShareKey('member', g.groupId, memberId), value: null },
      { key: encodeShareKey('groupEpoch', g.groupId), value: encodeEpochValue(g.groupEpoch + 1) },
    ];
    if (!this.host.persist(g.groupId, records)) return false;
    this.host.clock.clearTimeout(g.sessionTimers.get(memberId));
    g.sessionTimers.delete(memberId);
    g.members.delete(memberId);
    g.groupEpoch += 1;
    g.topicsSeen = this.topicsSignature(g);
    return true;
  }

  private armSession(g: ShareGroup, memberId: string): void {
    this.host.clock.clearTimeout(g.sessionTimers.get(memberId));
    const timer = this.host.clock.setTimeout(() => {
      g.sessionTimers.delete(memberId);
      if (this.host.shareGroup(g.groupId) !== g || !g.members.has(memberId)) return;
      this.host.log.info(`share group ${g.groupId}: member ${memberId} did not heartbeat within its session timeout; removed`);
      this.removeMember(g, memberId);
    }, this.sessionTimeoutMs(g.groupId));
    timer.unref();
    g.sessionTimers.set(memberId, timer);
  }

  // ----------------------------------------------------------------------------------------
  // Describe, delete, replay

  /** ShareGroupDescribe of one group: NOT_COORDINATOR here when another broker leads it, GROUP_ID_NOT_FOUND when it is no share group. */
  describe(groupId: string):
    | { errorCode: number; errorMessage: string | null }
    | { groupState: string; groupEpoch: number; assignmentEpoch: number; assignorName: string; members: ShareMember[]; initialized: ShareGroup['initialized'] } {
    if (!this.host.leads(groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, errorMessage: null };
    const g = this.host.shareGroup(groupId);
    if (!g) {
      const message = this.host.otherGroupHolds(groupId) ? `Group ${groupId} is not a share group.` : `Group ${groupId} not found.`;
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: message };
    }
    return { groupState: g.state, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, assignorName: 'simple', members: [...g.members.values()], initialized: g.initialized };
  }

  topicName(topicId: string): string | undefined {
    return this.topics.nameOf(topicId);
  }

  /**
   * The group whose start offsets AlterShareGroupOffsets or DeleteShareGroupOffsets may change, or
   * the group-level error, as Kafka's group coordinator answers them: NOT_COORDINATOR here when
   * another broker leads it, GROUP_ID_NOT_FOUND when there is no share group of that id,
   * NON_EMPTY_GROUP while it has members.
   */
  offsetsChangeable(groupId: string): ShareGroup | { errorCode: number; errorMessage: string | null } {
    const d = this.describe(groupId);
    if (!('members' in d)) return d;
    const g = this.host.shareGroup(groupId)!;
    if (g.members.size > 0) return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: 'The group is not empty.' };
    return g;
  }

  /**
   * Records that the group has (AlterShareGroupOffsets) or no longer has (DeleteShareGroupOffsets)
   * state for these partitions: its initialized topics, which DescribeShareGroupOffsets lists and
   * DeleteGroups deletes. False when the record could not be written.
   */
  changeInitialized(g: ShareGroup, change: { add?: ReadonlyArray<{ topicId: string; name: string; partitions: readonly number[] }>; removeTopicIds?: readonly string[] }): boolean {
    const next: ShareGroup['initialized'] = new Map([...g.initialized].map(([id, t]) => [id, { name: t.name, partitions: new Set(t.partitions) }]));
    for (const a of change.add ?? []) {
      const t = next.get(a.topicId) ?? { name: a.name, partitions: new Set<number>() };
      for (const p of a.partitions) t.partitions.add(p);
      next.set(a.topicId, t);
    }
    for (const id of change.removeTopicIds ?? []) next.delete(id);
    if (!this.host.persist(g.groupId, [{ key: encodeShareKey('statePartitions', g.groupId), value: encodeStatePartitionsValue(next) }])) return false;
    g.initialized.clear();
    for (const [id, t] of next) g.initialized.set(id, t);
    return true;
  }

  /** The records that delete the group (members and group epoch). */
  groupTombstones(g: ShareGroup): KeyValue[] {
    return [
      ...[...g.members.keys()].map((id) => ({ key: encodeShareKey('member', g.groupId, id), value: null })),
      { key: encodeShareKey('statePartitions', g.groupId), value: null },
      { key: encodeShareKey('groupEpoch', g.groupId), value: null },
    ];
  }

  /** Applies one stored record (load, coordinator failover). */
  replay(g: ShareGroup, key: { record: keyof typeof SHARE_KEY; memberId: string }, value: Buffer): void {
    if (key.record === 'groupEpoch') {
      g.groupEpoch = decodeEpochValue(value);
      return;
    }
    if (key.record === 'statePartitions') {
      g.initialized.clear();
      for (const [id, t] of decodeStatePartitionsValue(value)) g.initialized.set(id, t);
      return;
    }
    const v = decodeMemberValue(value);
    const old = g.members.get(key.memberId);
    g.members.set(key.memberId, { memberId: key.memberId, memberEpoch: old?.memberEpoch ?? 0, assignment: old?.assignment ?? new Map(), ...v });
  }

  replayMemberTombstone(g: ShareGroup, memberId: string): void {
    g.members.delete(memberId);
  }

  /**
   * After loading: the target is computed again at the stored epoch, members are at that epoch
   * with their target, and each gets a session to heartbeat in.
   */
  afterReplay(g: ShareGroup): void {
    g.target = assignShare(g.members, this.topics);
    g.assignmentEpoch = g.groupEpoch;
    g.topicsSeen = this.topicsSignature(g);
    for (const m of [...g.members.values()]) {
      g.members.set(m.memberId, { ...m, memberEpoch: g.groupEpoch, assignment: g.target.get(m.memberId) ?? new Map() });
      this.armSession(g, m.memberId);
    }
  }

  clearAllTimers(g: ShareGroup): void {
    for (const t of g.sessionTimers.values()) this.host.clock.clearTimeout(t);
    g.sessionTimers.clear();
  }

  /** Members of the group, for the partition leaders' share sessions (a member that left loses its session). */
  isMember(g: ShareGroup, memberId: string): boolean {
    return g.members.has(memberId);
  }
}
