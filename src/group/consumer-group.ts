/**
 * A KIP-848 consumer group (Kafka's ConsumerGroup / ConsumerGroupMember / CurrentAssignmentBuilder):
 * the members with their subscriptions, the group epoch (bumped whenever a subscription, a member
 * or a subscribed topic changes), the target assignment an assignor computed for an assignment
 * epoch, and each member's current assignment on its way to that target.
 *
 * Reconciliation (per member, on each of its heartbeats), as Kafka does it:
 *  - partitions the target no longer gives the member are revoked first: the member keeps its
 *    epoch, in UNREVOKED_PARTITIONS, until a heartbeat shows it no longer owns them;
 *  - then it moves to the target epoch and gets the target's partitions, except those another
 *    member still owns (UNRELEASED_PARTITIONS, retried on later heartbeats);
 *  - STABLE once it holds exactly its target at the target epoch.
 * Pure data and rules; the coordinator (coordinator.ts) drives timers, records and requests.
 */
import type { TimerHandle } from '../control/clock.js';
import type { Assignment } from './assignors.js';
import type { ConsumerMemberValue } from './records.js';

export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS' | 'UNKNOWN';
/** Kafka's MemberState codes, as stored in ConsumerGroupCurrentMemberAssignmentValue. */
export const MEMBER_STATE_CODES: Readonly<Record<MemberState, number>> = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2, UNKNOWN: 127 };
export function memberStateOf(code: number): MemberState {
  for (const [name, c] of Object.entries(MEMBER_STATE_CODES)) if (c === code) return name as MemberState;
  return 'UNKNOWN';
}

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** MemberEpoch values with a meaning of their own in ConsumerGroupHeartbeat. */
export const JOIN_EPOCH = 0;
export const LEAVE_EPOCH = -1;
export const STATIC_LEAVE_EPOCH = -2;

/** A member: what its member record holds (records.ts), and its epochs and partitions. */
export interface ConsumerMember extends ConsumerMemberValue {
  memberId: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: Assignment;
  pendingRevocation: Assignment;
}

/** Timers of a member, kept beside the member (members are replaced, never mutated). */
export interface MemberTimers {
  session: TimerHandle | null;
  rebalance: TimerHandle | null;
}

export function emptyAssignment(): Assignment {
  return new Map();
}

export function copyAssignment(a: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const [t, s] of a) if (s.size > 0) out.set(t, new Set(s));
  return out;
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  let na = 0;
  for (const [t, s] of a) {
    if (s.size === 0) continue;
    na++;
    const o = b.get(t);
    if (!o || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  let nb = 0;
  for (const s of b.values()) if (s.size > 0) nb++;
  return na === nb;
}

export function sameStringList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** What a heartbeat reports as owned, by topic id (null: not sent). */
export type Owned = Assignment | null;

export function ownsAny(owned: Owned, partitions: Assignment): boolean {
  if (owned === null) return true;
  for (const [t, ps] of owned) {
    const pending = partitions.get(t);
    if (!pending) continue;
    for (const p of ps) if (pending.has(p)) return true;
  }
  return false;
}

/** Whether every owned partition is in `target` (an unsent list is not a subset). */
export function isSubset(owned: Owned, target: Assignment): boolean {
  if (owned === null) return false;
  for (const [t, ps] of owned) {
    const s = target.get(t);
    for (const p of ps) if (!s?.has(p)) return false;
  }
  return true;
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  readonly timers = new Map<string, MemberTimers>();
  /** instance id -> member id of static members. */
  readonly staticMembers = new Map<string, string>();
  /** Target assignment by member id, for assignmentEpoch. */
  readonly target = new Map<string, Assignment>();
  /** "topicId:partition" -> the member that owns it (assigned or pending revocation) and its epoch. */
  private readonly owners = new Map<string, { memberId: string; epoch: number }>();
  /** The subscribed topics' ids and partition counts when the epoch was last bumped (change detection). */
  subscriptionSignature = '';
  /**
   * The members' resolved subscriptions (names and regex matched against the topics) as of a
   * metadata version; dropped when a member joins, leaves or changes its subscription, so a
   * heartbeat that changes nothing costs no walk over the members or the topics.
   */
  subscriptionCache: { version: number; subscribed: Map<string, Set<string>>; signature: string } | null = null;

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.state !== 'STABLE' || m.memberEpoch !== this.assignmentEpoch) return 'Reconciling';
    return 'Stable';
  }

  /** The epoch of the member owning a partition, or -1 when it is free (or owned by `except`). */
  currentPartitionEpoch(topicId: string, partition: number, except?: string): number {
    const o = this.owners.get(`${topicId}:${partition}`);
    return o === undefined || o.memberId === except ? -1 : o.epoch;
  }

  /** Installs a member (new or updated), keeping the partition-owner index in step. */
  putMember(m: ConsumerMember): void {
    const old = this.members.get(m.memberId);
    if (old) this.releaseOwned(old);
    if (!old || old.subscribedTopicRegex !== m.subscribedTopicRegex || !sameStringList(old.subscribedTopicNames, m.subscribedTopicNames)) this.subscriptionCache = null;
    this.members.set(m.memberId, m);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
    for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) this.owners.set(`${t}:${p}`, { memberId: m.memberId, epoch: m.memberEpoch });
  }

  removeMember(memberId: string): ConsumerMember | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.releaseOwned(m);
    this.subscriptionCache = null;
    this.members.delete(memberId);
    this.target.delete(memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === memberId) this.staticMembers.delete(m.instanceId);
    return m;
  }

  private releaseOwned(m: ConsumerMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) this.owners.delete(`${t}:${p}`);
  }

  staticMember(instanceId: string): ConsumerMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** Whether the member waits for target partitions another member still owns (Kafka's waitingOnUnreleasedPartition). */
  waitingOnUnreleased(member: ConsumerMember): boolean {
    if (member.state !== 'UNRELEASED_PARTITIONS') return false;
    for (const [t, ps] of this.target.get(member.memberId) ?? new Map<string, Set<number>>()) {
      for (const p of ps) if (!member.assigned.get(t)?.has(p) && this.currentPartitionEpoch(t, p, member.memberId) !== -1) return true;
    }
    return false;
  }

  /** Whether every member but `except` joined with JoinGroup. */
  allClassicExcept(except: string): boolean {
    for (const m of this.members.values()) if (m.memberId !== except && m.classic === null) return false;
    return true;
  }

  /** The member's reconciliation towards the target (Kafka's CurrentAssignmentBuilder.build). */
  reconcile(member: ConsumerMember, targetEpoch: number, target: Assignment, owned: Owned): ConsumerMember {
    switch (member.state) {
      case 'STABLE':
        return member.memberEpoch !== targetEpoch ? this.nextAssignment(member, member.memberEpoch, targetEpoch, target, owned) : member;
      case 'UNREVOKED_PARTITIONS':
        if (ownsAny(owned, member.pendingRevocation)) return member;
        return this.nextAssignment(member, member.memberEpoch + 1, targetEpoch, target, owned);
      case 'UNRELEASED_PARTITIONS':
        return this.nextAssignment(member, member.memberEpoch, targetEpoch, target, owned);
      default:
        return this.nextAssignment(member, targetEpoch, targetEpoch, target, owned);
    }
  }

  private nextAssignment(member: ConsumerMember, memberEpoch: number, targetEpoch: number, target: Assignment, owned: Owned): ConsumerMember {
    let unreleased = false;
    const assigned: Assignment = new Map();
    const revoke: Assignment = new Map();
    const pending: Assignment = new Map();
    const topics = new Set([...target.keys(), ...member.assigned.keys()]);
    for (const t of topics) {
      const want = target.get(t) ?? new Set<number>();
      const have = member.assigned.get(t) ?? new Set<number>();
      const keep = new Set([...have].filter((p) => want.has(p)));
      const drop = new Set([...have].filter((p) => !keep.has(p)));
      const get = new Set<number>();
      for (const p of want) {
        if (keep.has(p)) continue;
        if (this.currentPartitionEpoch(t, p, member.memberId) !== -1) unreleased = true;
        else get.add(p);
      }
      if (keep.size > 0) assigned.set(t, keep);
      if (drop.size > 0) revoke.set(t, drop);
      if (get.size > 0) pending.set(t, get);
    }
    const next = (state: MemberState, epoch: number, assignedNow: Assignment, revoking: Assignment): ConsumerMember => ({
      ...member,
      state,
      // Kafka's updateMemberEpoch: the previous epoch is the one before this update, even when equal.
      previousMemberEpoch: member.memberEpoch,
      memberEpoch: epoch,
      assigned: assignedNow,
      pendingRevocation: revoking,
    });
    if (revoke.size > 0 && ownsAny(owned, revoke)) return next('UNREVOKED_PARTITIONS', memberEpoch, assigned, revoke);
    for (const [t, ps] of pending) {
      let s = assigned.get(t);
      if (!s) assigned.set(t, (s = new Set()));
      for (const p of ps) s.add(p);
    }
    return next(unreleased ? 'UNRELEASED_PARTITIONS' : 'STABLE', targetEpoch, assigned, new Map());
  }
}
