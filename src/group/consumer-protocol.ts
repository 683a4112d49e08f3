/**
 * The KIP-848 consumer group protocol of the group coordinator: ConsumerGroupHeartbeat (join,
 * heartbeat, reconcile, leave) and ConsumerGroupDescribe, as Kafka 4's GroupMetadataManager does
 * them, over the state of consumer-group.ts and the records of records.ts.
 *
 * One heartbeat:
 *  1. validates the request and finds (or creates, at epoch 0) the group and the member: dynamic
 *     members by member id, static ones by instance id (a static member that left with epoch -2
 *     is replaced by the next member with its instance id, keeping its partitions);
 *  2. fences a member whose epoch is ahead of the coordinator's or behind it (except the previous
 *     epoch with a subset of its partitions: the answer with the new epoch may have been lost);
 *  3. applies the subscription fields that were sent; a changed subscription, a new or departed
 *     member, or a change of the subscribed topics (created, deleted, more partitions) bumps the
 *     group epoch;
 *  4. a group epoch ahead of the assignment epoch gets a new target assignment from the group's
 *     server assignor (`uniform` or `range`, the members' choice by majority, else the first of
 *     `group.consumer.assignors`);
 *  5. reconciles the member towards its target (revoke first, then assign what is free);
 *  6. writes the changed records to `__consumer_offsets` before anything takes effect, re-arms
 *     the member's session timeout, and answers the member's epoch and, when it changed (or the
 *     request was a full one), its assignment.
 * A member that does not heartbeat within the session timeout, or does not revoke within its
 * rebalance timeout, is fenced: removed, the group epoch bumped.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../control/clock.js';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/errors.js';
import type { KeyValue } from '../metadata/internal-topic.js';
import { ASSIGNORS, ASSIGNOR_NAMES, type Assignment, type AssignorName } from './assignors.js';
import {
  ConsumerGroup,
  copyAssignment,
  isSubset,
  JOIN_EPOCH,
  LEAVE_EPOCH,
  MEMBER_STATE_CODES,
  memberStateOf,
  sameAssignment,
  sameStringList,
  STATIC_LEAVE_EPOCH,
  type ConsumerMember,
  type Owned,
} from './consumer-group.js';
import type { JoinResult, SyncResult } from './group.js';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  decodeConsumerMemberValue,
  decodeCurrentAssignmentValue,
  decodeEpochValue,
  decodeTargetMemberValue,
  encodeConsumerKey,
  encodeConsumerMemberValue,
  encodeCurrentAssignmentValue,
  encodeEpochValue,
  encodeTargetMemberValue,
  decodeKey as decodeKeyOf,
  type ClassicMemberMetadata,
  type ConsumerGroupKey,
} from './records.js';

/** Looks topics up in the metadata image: by name for subscriptions, by id for answers. */
export interface TopicLookup {
  byName(name: string): { id: string; partitions: number } | undefined;
  nameOf(id: string): string | undefined;
  /** Every topic name (regex subscriptions are matched against them). */
  names(): Iterable<string>;
  /** Changes whenever topics do (the metadata image's last offset): cached resolutions go stale. */
  version(): number;
}

export const NO_TOPICS: TopicLookup = { byName: () => undefined, nameOf: () => undefined, names: () => [], version: () => 0 };

/** Distinct regexes whose matches are cached (across groups); past it the cache starts again. */
const REGEX_CACHE_MAX = 1024;

export interface ConsumerGroupSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: AssignorName[];
  maxSize: number;
  /** group.consumer.migration.policy: which conversions between classic and consumer groups happen. */
  migrationPolicy: 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional';
  /** Group-level overrides (the GROUP config resource): consumer.session.timeout.ms, consumer.heartbeat.interval.ms. */
  groupConfig(groupId: string, name: 'consumer.session.timeout.ms' | 'consumer.heartbeat.interval.ms'): number | undefined;
}

export interface HeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** Owned partitions by topic id (base64url), or null when not sent. */
  owned: Owned;
  apiVersion: number;
  clientId: string;
  clientHost: string;
}

export interface HeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The member's partitions, when they are to be sent. */
  assignment: Assignment | null;
}

export interface DescribedConsumerGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: Array<{
    member: ConsumerMember;
    assignment: Assignment;
    target: Assignment;
  }>;
}

/** What the consumer protocol needs of the coordinator it is part of (coordinator.ts). */
export interface ConsumerGroupHost {
  readonly clock: Clock;
  readonly log: Logger;
  /** The consumer state of a group, if it is a consumer group here. */
  consumerGroup(groupId: string): ConsumerGroup | undefined;
  /** Whether a group of another type (classic, with members) holds this id. */
  classicGroupBlocks(groupId: string): boolean;
  /** Makes a consumer group of this id (turning an empty classic group into one); an error code when it cannot. */
  createConsumerGroup(groupId: string): ConsumerGroup | number;
  leads(groupId: string): boolean;
  persist(groupId: string, records: KeyValue[]): boolean;
  /**
   * Turns a classic group with members into a consumer group (a KIP-848 member joins it and
   * group.consumer.migration.policy allows the upgrade); undefined when it may not.
   */
  upgrade(groupId: string): ConsumerGroup | undefined;
  /**
   * Turns a consumer group whose members all use the classic protocol back into a classic group
   * (the last KIP-848 member left, and the policy allows the downgrade). The records removing
   * `leaving` are the caller's; true when it was done.
   */
  downgrade(cg: ConsumerGroup, leaving: string): boolean;
}

/** A classic member's JoinGroup into a consumer group (the coordinator's JoinRequest, in part). */
export interface ClassicJoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  apiVersion: number;
  clientId: string;
  clientHost: string;
}

/** An error answer: no member id, epoch 0 (what Kafka's error responses carry). */
export const error = (errorCode: number, errorMessage: string | null, memberId: string | null = null, memberEpoch = 0): HeartbeatResult => ({
  errorCode,
  errorMessage,
  memberId,
  memberEpoch,
  heartbeatIntervalMs: 0,
  assignment: null,
});

/** A heartbeat refused: its error code and Kafka's message (consumer and share groups). */
export class HeartbeatError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function sameProtocols(a: ReadonlyArray<{ name: string; metadata: Buffer }>, b: ReadonlyArray<{ name: string; metadata: Buffer }>): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}

/** Kafka's member ids: a random uuid in base64url (Uuid.randomUuid().toString()). */
function newMemberId(): string {
  return randomBytes(16).toString('base64url');
}

/** A JavaScript RegExp for a subscription's regex, matched against whole topic names; null when it does not compile. */
function compileRegex(source: string): RegExp | null {
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch {
    return null;
  }
}

export class ConsumerGroupProtocol {
  /** Topics each regex matched, as of a metadata version (regex subscriptions re-resolve when topics change). */
  private readonly regexCache = new Map<string, { version: number; names: string[] }>();

  constructor(
    private readonly host: ConsumerGroupHost,
    private readonly settings: ConsumerGroupSettings,
    private readonly topics: TopicLookup,
  ) {}

  private sessionTimeoutMs(groupId: string): number {
    return this.settings.groupConfig(groupId, 'consumer.session.timeout.ms') ?? this.settings.sessionTimeoutMs;
  }

  heartbeatIntervalMs(groupId: string): number {
    return this.settings.groupConfig(groupId, 'consumer.heartbeat.interval.ms') ?? this.settings.heartbeatIntervalMs;
  }

  // ----------------------------------------------------------------------------------------
  // ConsumerGroupHeartbeat

  heartbeat(req: HeartbeatRequest): HeartbeatResult {
    try {
      this.validate(req);
      if (!this.host.leads(req.groupId)) return error(ErrorCode.NOT_COORDINATOR, null);
      if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) return this.leave(req);
      return this.joinOrHeartbeat(req);
    } catch (err) {
      if (err instanceof HeartbeatError) return error(err.code, err.message);
      throw err;
    }
  }

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid. */
  private validate(req: HeartbeatRequest): void {
    const invalid = (message: string): never => {
      throw new HeartbeatError(ErrorCode.INVALID_REQUEST, message);
    };
    if (req.groupId === '') invalid("GroupId can't be empty.");
    if (req.instanceId === '') invalid("InstanceId can't be empty.");
    if (req.rackId === '') invalid("RackId can't be empty.");
    if (req.apiVersion >= 1 && req.memberId === '') invalid("MemberId can't be empty.");
    if (req.memberEpoch > 0 || req.memberEpoch === LEAVE_EPOCH) {
      if (req.memberId === '') invalid("MemberId can't be empty.");
    } else if (req.memberEpoch === JOIN_EPOCH) {
      if (req.rebalanceTimeoutMs === -1) invalid('RebalanceTimeoutMs must be provided in first request.');
      if (req.owned === null || req.owned.size > 0) invalid('TopicPartitions must be empty when (re-)joining.');
      // An empty list is a subscription (to nothing), as Kafka 4.1 takes it.
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    } else if (req.memberEpoch === STATIC_LEAVE_EPOCH) {
      if (req.memberId === '') invalid("MemberId can't be empty.");
      if (req.instanceId === null) invalid("InstanceId can't be null.");
    } else {
      invalid('MemberEpoch is invalid.');
    }
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '' && compileRegex(req.subscribedTopicRegex) === null) {
      throw new HeartbeatError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${req.subscribedTopicRegex}\` is not a valid regular expression.`);
    }
    if (req.serverAssignor !== null && !this.settings.assignors.includes(req.serverAssignor as AssignorName)) {
      throw new HeartbeatError(
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.settings.assignors.join(', ')}.`,
      );
    }
  }

  private group(groupId: string, create: boolean): ConsumerGroup {
    const existing = this.host.consumerGroup(groupId);
    if (existing) return existing;
    if (this.host.classicGroupBlocks(groupId)) {
      const upgraded = create ? this.host.upgrade(groupId) : undefined;
      if (upgraded) return upgraded;
      throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    }
    if (!create) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    const made = this.host.createConsumerGroup(groupId);
    if (typeof made === 'number') throw new HeartbeatError(made, `The coordinator cannot create group ${groupId} now.`);
    return made;
  }

  /** Kafka's throwIfConsumerGroupMemberEpochIsInvalid. */
  private checkEpoch(member: ConsumerMember, received: number, owned: Owned): void {
    if (received > member.memberEpoch) {
      throw new HeartbeatError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    if (received < member.memberEpoch && (received !== member.previousMemberEpoch || !isSubset(owned, member.assigned))) {
      throw new HeartbeatError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
  }

  private freshMember(memberId: string, req: HeartbeatRequest, from?: ConsumerMember): ConsumerMember {
    return {
      memberId,
      instanceId: req.instanceId,
      rackId: from?.rackId ?? null,
      clientId: req.clientId,
      clientHost: req.clientHost,
      subscribedTopicNames: from?.subscribedTopicNames ?? [],
      subscribedTopicRegex: from?.subscribedTopicRegex ?? null,
      rebalanceTimeoutMs: from?.rebalanceTimeoutMs ?? -1,
      serverAssignor: from?.serverAssignor ?? null,
      memberEpoch: 0,
      previousMemberEpoch: 0,
      state: 'STABLE',
      // A replaced static member hands its partitions to its successor.
      assigned: from ? copyAssignment(from.assigned) : new Map(),
      pendingRevocation: new Map(),
      classic: null,
    };
  }

  private joinOrHeartbeat(req: HeartbeatRequest): HeartbeatResult {
    const joining = req.memberEpoch === JOIN_EPOCH;
    const cg = this.group(req.groupId, joining);
    const memberId = req.memberId === '' ? newMemberId() : req.memberId;
    const records: KeyValue[] = [];
    const gid = cg.groupId;
    /** The member this one replaces (a static member's previous incarnation). */
    let replaced: ConsumerMember | undefined;
    let member: ConsumerMember;
    if (cg.members.size >= this.settings.maxSize && !cg.members.has(memberId) && (req.instanceId === null || cg.staticMember(req.instanceId) === undefined)) {
      throw new HeartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.settings.maxSize} members.`);
    }
    if (req.instanceId === null) {
      const existing = cg.members.get(memberId);
      if (!existing) {
        if (!joining) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${gid}.`);
        member = this.freshMember(memberId, req);
        this.host.log.info(`group ${gid}: member ${memberId} joins the consumer group`);
      } else if (joining) {
        // A member rejoining under its id (after being fenced) starts again from nothing.
        member = this.freshMember(memberId, req, { ...existing, assigned: new Map() });
      } else {
        this.checkEpoch(existing, req.memberEpoch, req.owned);
        member = existing;
      }
    } else {
      const existing = cg.staticMember(req.instanceId);
      if (joining) {
        if (!existing) {
          member = this.freshMember(memberId, req);
          this.host.log.info(`group ${gid}: static member ${memberId} (instance ${req.instanceId}) joins the consumer group`);
        } else {
          if (existing.memberEpoch !== STATIC_LEAVE_EPOCH) {
            throw new HeartbeatError(
              ErrorCode.UNRELEASED_INSTANCE_ID,
              `Static member ${memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by ${existing.memberId} member.`,
            );
          }
          member = this.freshMember(memberId, req, existing);
          if (existing.memberId !== memberId) replaced = existing;
          this.host.log.info(`group ${gid}: static member ${memberId} (instance ${req.instanceId}) replaces ${existing.memberId}`);
        }
      } else {
        if (!existing) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
        if (existing.memberId !== memberId) {
          throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${req.instanceId} was fenced by member ${existing.memberId}.`);
        }
        this.checkEpoch(existing, req.memberEpoch, req.owned);
        member = existing;
      }
    }
    if (replaced) records.push(...this.removalRecords(gid, replaced.memberId));

    const previous = cg.members.get(memberId);
    let updated: ConsumerMember = {
      ...member,
      instanceId: req.instanceId ?? member.instanceId,
      rackId: req.rackId ?? member.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs !== -1 ? req.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: req.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: req.subscribedTopicNames ?? member.subscribedTopicNames,
      subscribedTopicRegex: req.subscribedTopicRegex !== null ? (req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex) : member.subscribedTopicRegex,
      clientId: req.clientId,
      clientHost: req.clientHost,
      classic: null,
    };
    const applied = this.apply(cg, updated, replaced, req.owned, records);
    if (applied === null) return error(ErrorCode.NOT_COORDINATOR, 'The coordinator could not write the group to __consumer_offsets.');
    updated = applied;
    this.armSession(cg, memberId);
    if (updated.state === 'UNREVOKED_PARTITIONS') this.armRebalance(cg, updated);
    else this.clearRebalance(cg, memberId);

    const full = joining || (req.rebalanceTimeoutMs !== -1 && req.subscribedTopicNames !== null && req.owned !== null);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: updated.memberEpoch,
      heartbeatIntervalMs: this.heartbeatIntervalMs(gid),
      assignment: full || !sameAssignment(updated.assigned, previous?.assigned ?? new Map()) ? updated.assigned : null,
    };
  }

  /**
   * Steps 3-6 of a heartbeat (and of a classic member's JoinGroup): the member's new metadata, a
   * group epoch bump when subscriptions or their topics changed, a new target assignment when the
   * group epoch is ahead, the member's reconciliation, the records written. The member as it is
   * now, or null when the log refused the records (nothing changed then).
   */
  private apply(cg: ConsumerGroup, updated: ConsumerMember, replaced: ConsumerMember | undefined, owned: Owned, records: KeyValue[]): ConsumerMember | null {
    const gid = cg.groupId;
    const memberId = updated.memberId;
    const previous = cg.members.get(memberId);
    let bump = false;
    if (!previous || replaced || this.metadataChanged(previous, updated)) {
      records.push(this.memberRecord(gid, updated));
      if (!previous || !sameStringList(previous.subscribedTopicNames, updated.subscribedTopicNames) || previous.subscribedTopicRegex !== updated.subscribedTopicRegex) bump = true;
    }
    if (replaced) bump = false; // the successor takes the same place: no new assignment needed

    // The subscribed topics as they are now: a change bumps the epoch too. Resolved again only when
    // a subscription or the topics changed (the cache), else a heartbeat walks no member list.
    const membersNow = (): Map<string, ConsumerMember> => {
      const m = new Map(cg.members);
      if (replaced) m.delete(replaced.memberId);
      m.set(memberId, updated);
      return m;
    };
    const version = this.topics.version();
    const sameSubscription = previous !== undefined && !replaced && sameStringList(previous.subscribedTopicNames, updated.subscribedTopicNames) && previous.subscribedTopicRegex === updated.subscribedTopicRegex;
    const cached = sameSubscription && cg.subscriptionCache?.version === version ? cg.subscriptionCache : null;
    const subscribed = cached?.subscribed ?? this.subscribedTopics(membersNow().values());
    const signature = cached?.signature ?? this.signature(subscribed);
    if (signature !== cg.subscriptionSignature) bump = true;

    let groupEpoch = cg.groupEpoch;
    if (bump) {
      groupEpoch++;
      records.push({ key: encodeConsumerKey('groupEpoch', gid), value: encodeEpochValue(groupEpoch) });
    }
    let assignmentEpoch = cg.assignmentEpoch;
    let target: Map<string, Assignment> = cg.target;
    if (replaced) {
      target = new Map(cg.target);
      target.set(memberId, target.get(replaced.memberId) ?? new Map());
      target.delete(replaced.memberId);
      records.push({ key: encodeConsumerKey('targetMember', gid, memberId), value: encodeTargetMemberValue(target.get(memberId)!) });
    }
    if (groupEpoch > cg.assignmentEpoch) {
      const members = membersNow();
      target = this.assign(members, subscribed, target);
      for (const [id, a] of target) {
        const before = cg.target.get(id);
        if (!before || !sameAssignment(before, a)) records.push({ key: encodeConsumerKey('targetMember', gid, id), value: encodeTargetMemberValue(a) });
      }
      assignmentEpoch = groupEpoch;
      records.push({ key: encodeConsumerKey('targetEpoch', gid), value: encodeEpochValue(assignmentEpoch) });
      this.host.log.info(`group ${gid}: new target assignment for epoch ${assignmentEpoch} with the ${this.assignorFor(members.values())} assignor`);
    }

    // Reconcile against the group as it will be (the replaced member's partitions are the successor's).
    if (replaced) cg.removeMember(replaced.memberId);
    const reconciled = cg.reconcile(updated, assignmentEpoch, target.get(memberId) ?? new Map(), owned);
    if (reconciled !== updated || !previous || replaced) records.push(this.currentRecord(gid, reconciled));

    if (!this.host.persist(gid, records)) {
      if (replaced) cg.putMember(replaced);
      return null;
    }
    cg.groupEpoch = groupEpoch;
    cg.assignmentEpoch = assignmentEpoch;
    cg.subscriptionSignature = signature;
    if (target !== cg.target) {
      cg.target.clear();
      for (const [id, a] of target) cg.target.set(id, a);
    }
    if (replaced) this.clearTimers(cg, replaced.memberId);
    cg.putMember(reconciled);
    cg.subscriptionCache = { version, subscribed, signature };
    return reconciled;
  }

  private metadataChanged(a: ConsumerMember, b: ConsumerMember): boolean {
    return (
      a.classic?.sessionTimeoutMs !== b.classic?.sessionTimeoutMs ||
      !sameProtocols(a.classic?.protocols ?? [], b.classic?.protocols ?? []) ||
      a.instanceId !== b.instanceId ||
      a.rackId !== b.rackId ||
      a.clientId !== b.clientId ||
      a.clientHost !== b.clientHost ||
      a.rebalanceTimeoutMs !== b.rebalanceTimeoutMs ||
      a.serverAssignor !== b.serverAssignor ||
      a.subscribedTopicRegex !== b.subscribedTopicRegex ||
      !sameStringList(a.subscribedTopicNames, b.subscribedTopicNames)
    );
  }

  /** Existing topics each member subscribes to (by names and regex), by member id. */
  private subscribedTopics(members: Iterable<ConsumerMember>): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const m of members) {
      const names = new Set<string>();
      for (const n of m.subscribedTopicNames) if (this.topics.byName(n)) names.add(n);
      if (m.subscribedTopicRegex !== null) for (const n of this.regexMatches(m.subscribedTopicRegex)) names.add(n);
      out.set(m.memberId, names);
    }
    return out;
  }

  /** The topics a regex matches now (cached per metadata version). */
  private regexMatches(source: string): string[] {
    const version = this.topics.version();
    const hit = this.regexCache.get(source);
    if (hit && hit.version === version) return hit.names;
    const re = compileRegex(source);
    // Internal topics are never matched by a pattern (Kafka's regex subscriptions skip them).
    const names = re === null ? [] : [...this.topics.names()].filter((n) => !n.startsWith('__') && re.test(n));
    if (this.regexCache.size >= REGEX_CACHE_MAX) this.regexCache.clear();
    this.regexCache.set(source, { version, names });
    return names;
  }

  private signature(subscribed: Map<string, Set<string>>): string {
    const all = new Set<string>();
    for (const s of subscribed.values()) for (const n of s) all.add(n);
    return [...all]
      .sort()
      .map((n) => {
        const t = this.topics.byName(n)!;
        return `${n}:${t.id}:${t.partitions}`;
      })
      .join(',');
  }

  /** The members' preferred assignor: the most chosen, else the first configured (Kafka's computePreferredServerAssignor). */
  private assignorFor(members: Iterable<ConsumerMember>): AssignorName {
    const votes = new Map<string, number>();
    for (const m of members) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    for (const [name, n] of votes) if (best === null || n > votes.get(best)!) best = name;
    const name = best ?? this.settings.assignors[0] ?? 'uniform';
    return (ASSIGNOR_NAMES as readonly string[]).includes(name) ? (name as AssignorName) : 'uniform';
  }

  private assign(members: Map<string, ConsumerMember>, subscribed: Map<string, Set<string>>, previous: ReadonlyMap<string, Assignment>): Map<string, Assignment> {
    const partitions = new Map<string, number>();
    const input = [...members.values()].map((m) => {
      const ids = new Set<string>();
      for (const name of subscribed.get(m.memberId) ?? []) {
        const t = this.topics.byName(name)!;
        ids.add(t.id);
        partitions.set(t.id, t.partitions);
      }
      return { memberId: m.memberId, topics: ids };
    });
    return ASSIGNORS[this.assignorFor(members.values())]({ members: input, partitions, previous });
  }

  // ----------------------------------------------------------------------------------------
  // Leaving and fencing

  private leave(req: HeartbeatRequest): HeartbeatResult {
    const cg = this.group(req.groupId, false);
    let member: ConsumerMember | undefined;
    if (req.instanceId === null) {
      member = cg.members.get(req.memberId);
      if (!member) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${cg.groupId}.`);
    } else {
      member = cg.staticMember(req.instanceId);
      if (!member) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (member.memberId !== req.memberId) {
        throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${member.memberId}.`);
      }
    }
    if (req.memberEpoch === STATIC_LEAVE_EPOCH) {
      // A static member leaving for a while: it keeps its place (and partitions) until its
      // session times out or a new incarnation of its instance id joins.
      const away: ConsumerMember = { ...member, memberEpoch: STATIC_LEAVE_EPOCH, pendingRevocation: new Map() };
      if (!this.host.persist(cg.groupId, [this.currentRecord(cg.groupId, away)])) return error(ErrorCode.NOT_COORDINATOR, null);
      cg.putMember(away);
      this.clearRebalance(cg, away.memberId);
      this.host.log.info(`group ${cg.groupId}: static member ${away.memberId} (instance ${away.instanceId}) left for now`);
      return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: STATIC_LEAVE_EPOCH, heartbeatIntervalMs: 0, assignment: null };
    }
    if (!this.fence(cg, member.memberId, 'left the group')) return error(ErrorCode.NOT_COORDINATOR, null);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  private removalRecords(groupId: string, memberId: string): KeyValue[] {
    return [
      { key: encodeConsumerKey('currentAssignment', groupId, memberId), value: null },
      { key: encodeConsumerKey('targetMember', groupId, memberId), value: null },
      { key: encodeConsumerKey('member', groupId, memberId), value: null },
    ];
  }

  /** Removes a member and bumps the group epoch (Kafka's consumerGroupFenceMember); false when the log refused. */
  fence(cg: ConsumerGroup, memberId: string, why: string): boolean {
    const leaving = cg.members.get(memberId);
    if (leaving && leaving.classic === null && cg.members.size > 1 && cg.allClassicExcept(memberId) && this.host.downgrade(cg, memberId)) {
      this.host.log.info(`group ${cg.groupId}: member ${memberId} ${why}; the others use the classic protocol: a classic group again`);
      return true;
    }
    const epoch = cg.groupEpoch + 1;
    const records = [...this.removalRecords(cg.groupId, memberId), { key: encodeConsumerKey('groupEpoch', cg.groupId), value: encodeEpochValue(epoch) }];
    if (!this.host.persist(cg.groupId, records)) return false;
    this.clearTimers(cg, memberId);
    cg.removeMember(memberId);
    cg.groupEpoch = epoch;
    this.host.log.info(`group ${cg.groupId}: member ${memberId} ${why}; group epoch ${epoch}`);
    return true;
  }

  private memberRecord(groupId: string, m: ConsumerMember): KeyValue {
    return {
      key: encodeConsumerKey('member', groupId, m.memberId),
      value: encodeConsumerMemberValue(m),
    };
  }

  private currentRecord(groupId: string, m: ConsumerMember): KeyValue {
    return {
      key: encodeConsumerKey('currentAssignment', groupId, m.memberId),
      value: encodeCurrentAssignmentValue({
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: MEMBER_STATE_CODES[m.state],
        assigned: m.assigned,
        pendingRevocation: m.pendingRevocation,
      }),
    };
  }

  /** Records that delete a consumer group's own records (its members must be gone). */
  groupTombstones(groupId: string): KeyValue[] {
    return [
      { key: encodeConsumerKey('targetEpoch', groupId), value: null },
      { key: encodeConsumerKey('groupEpoch', groupId), value: null },
    ];
  }


  // ----------------------------------------------------------------------------------------
  // Classic members in a consumer group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup)

  /** A classic consumer's JoinGroup into a consumer group (Kafka's classicGroupJoinToConsumerGroup). */
  classicJoin(cg: ConsumerGroup, req: ClassicJoinRequest): JoinResult {
    const fail = (errorCode: number, memberId = req.memberId): JoinResult => ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false });
    const first = req.protocols[0];
    const sub = first ? decodeSubscription(first.metadata) : null;
    if (req.protocolType !== 'consumer' || !first || sub === null) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const unknown = req.memberId === '';
    const memberId = unknown ? newMemberId() : req.memberId;
    if (cg.members.size >= this.settings.maxSize && !cg.members.has(memberId) && (req.groupInstanceId === null || !cg.staticMember(req.groupInstanceId))) {
      return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, '');
    }
    if (unknown && req.groupInstanceId === null && req.apiVersion >= 4) return fail(ErrorCode.MEMBER_ID_REQUIRED, memberId);
    let member: ConsumerMember;
    let replaced: ConsumerMember | undefined;
    const records: KeyValue[] = [];
    const blank = (from?: ConsumerMember): ConsumerMember => this.freshMember(memberId, { instanceId: req.groupInstanceId, clientId: req.clientId, clientHost: req.clientHost } as HeartbeatRequest, from);
    if (req.groupInstanceId === null) {
      member = cg.members.get(memberId) ?? blank();
    } else {
      const existing = cg.staticMember(req.groupInstanceId);
      if (!existing) member = blank();
      else if (existing.memberId === memberId) member = existing;
      else {
        if (!unknown) return fail(ErrorCode.FENCED_INSTANCE_ID);
        member = blank(existing);
        replaced = existing;
        records.push(...this.removalRecords(cg.groupId, existing.memberId));
      }
    }
    const owned: Assignment = new Map();
    for (const o of sub.ownedPartitions) {
      const t = this.topics.byName(o.topic);
      if (t) owned.set(t.id, new Set(o.partitions));
    }
    const classic: ClassicMemberMetadata = { sessionTimeoutMs: req.sessionTimeoutMs, protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })) };
    const updated: ConsumerMember = {
      ...member,
      instanceId: req.groupInstanceId ?? member.instanceId,
      rackId: sub.rackId ?? member.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: sub.topics,
      clientId: req.clientId,
      clientHost: req.clientHost,
      classic,
    };
    const applied = this.apply(cg, updated, replaced, owned, records);
    if (applied === null) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    this.armSession(cg, memberId, req.sessionTimeoutMs);
    this.host.log.info(`group ${cg.groupId}: classic member ${memberId} joined at epoch ${applied.memberEpoch}`);
    return { errorCode: ErrorCode.NONE, generationId: applied.memberEpoch, protocolType: 'consumer', protocolName: first.name, leader: '', memberId, members: [], skipAssignment: false };
  }

  /** The member a classic request names (Kafka's validateConsumerGroupMember), or an error code. */
  private classicMember(cg: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerMember | number {
    let m: ConsumerMember | undefined;
    if (instanceId === null) m = cg.members.get(memberId);
    else {
      m = cg.staticMember(instanceId);
      if (m && m.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!m || m.classic === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    return m;
  }

  /** SyncGroup of a classic member: its assigned partitions as a ConsumerProtocolAssignment. */
  classicSync(cg: ConsumerGroup, memberId: string, instanceId: string | null, generationId: number, protocolType: string | null, protocolName: string | null): SyncResult {
    const fail = (errorCode: number): SyncResult => ({ errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
    const m = this.classicMember(cg, memberId, instanceId);
    if (typeof m === 'number') return fail(m);
    if (generationId !== m.memberEpoch) return fail(ErrorCode.ILLEGAL_GENERATION);
    const name = m.classic!.protocols[0]?.name ?? '';
    if ((protocolType !== null && protocolType !== 'consumer') || (protocolName !== null && protocolName !== name)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (cg.groupEpoch > m.memberEpoch && m.state !== 'UNREVOKED_PARTITIONS') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    this.armSession(cg, m.memberId, m.classic!.sessionTimeoutMs);
    return { errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: name, assignment: this.classicAssignment(m) };
  }

  /** Heartbeat of a classic member: REBALANCE_IN_PROGRESS when it should rejoin to move on. */
  classicHeartbeat(cg: ConsumerGroup, memberId: string, instanceId: string | null, generationId: number): number {
    const m = this.classicMember(cg, memberId, instanceId);
    if (typeof m === 'number') return m;
    if (generationId !== m.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    this.armSession(cg, m.memberId, m.classic!.sessionTimeoutMs);
    const rejoin = m.memberEpoch < cg.groupEpoch || m.state === 'UNREVOKED_PARTITIONS' || (m.state === 'UNRELEASED_PARTITIONS' && !cg.waitingOnUnreleased(m));
    return rejoin ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** LeaveGroup of classic members (by member id, or by instance id alone); one bump for all. */
  classicLeave(cg: ConsumerGroup, who: Array<{ memberId: string; groupInstanceId: string | null }>): Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }> {
    const records: KeyValue[] = [];
    const gone: string[] = [];
    const results = who.map((w) => {
      let m: ConsumerMember | undefined;
      if (w.groupInstanceId === null) m = cg.members.get(w.memberId);
      else {
        m = cg.staticMember(w.groupInstanceId);
        if (m && w.memberId !== '' && m.memberId !== w.memberId) return { ...w, errorCode: ErrorCode.FENCED_INSTANCE_ID };
      }
      if (!m || m.classic === null) return { ...w, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      records.push(...this.removalRecords(cg.groupId, m.memberId));
      gone.push(m.memberId);
      return { memberId: m.memberId, groupInstanceId: w.groupInstanceId, errorCode: ErrorCode.NONE };
    });
    if (gone.length === 0) return results;
    const epoch = cg.groupEpoch + 1;
    records.push({ key: encodeConsumerKey('groupEpoch', cg.groupId), value: encodeEpochValue(epoch) });
    if (!this.host.persist(cg.groupId, records)) return results.map((r) => ({ ...r, errorCode: r.errorCode === ErrorCode.NONE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : r.errorCode }));
    for (const id of gone) {
      this.clearTimers(cg, id);
      cg.removeMember(id);
    }
    cg.groupEpoch = epoch;
    return results;
  }

  /**
   * The records and state of a consumer group made from a classic group's members (the upgrade):
   * each keeps its partitions and its generation as member epoch; the group and assignment
   * epochs are the generation. Null when a member's subscription or assignment cannot be read.
   */
  fromClassic(cg: ConsumerGroup, generation: number, members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; rebalanceTimeoutMs: number; sessionTimeoutMs: number; protocols: Array<{ name: string; metadata: Buffer }>; subscription: Buffer; assignment: Buffer }>): KeyValue[] | null {
    const records: KeyValue[] = [];
    const made: ConsumerMember[] = [];
    for (const c of members) {
      const sub = decodeSubscription(c.subscription);
      const parts = decodeAssignment(c.assignment);
      if (sub === null || parts === null) return null;
      const assigned: Assignment = new Map();
      for (const p of parts) {
        const t = this.topics.byName(p.topic);
        if (t) assigned.set(t.id, new Set(p.partitions));
      }
      made.push({
        memberId: c.memberId,
        instanceId: c.groupInstanceId,
        rackId: sub.rackId,
        clientId: c.clientId,
        clientHost: c.clientHost,
        subscribedTopicNames: sub.topics,
        subscribedTopicRegex: null,
        rebalanceTimeoutMs: c.rebalanceTimeoutMs,
        serverAssignor: null,
        memberEpoch: generation,
        previousMemberEpoch: generation,
        state: 'STABLE',
        assigned,
        pendingRevocation: new Map(),
        classic: { sessionTimeoutMs: c.sessionTimeoutMs, protocols: c.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })) },
      });
    }
    for (const m of made) {
      records.push(this.memberRecord(cg.groupId, m), { key: encodeConsumerKey('targetMember', cg.groupId, m.memberId), value: encodeTargetMemberValue(m.assigned) }, this.currentRecord(cg.groupId, m));
    }
    records.push({ key: encodeConsumerKey('groupEpoch', cg.groupId), value: encodeEpochValue(generation) }, { key: encodeConsumerKey('targetEpoch', cg.groupId), value: encodeEpochValue(generation) });
    return records;
  }

  /** Installs what fromClassic's records describe (after they were written). */
  adoptClassic(cg: ConsumerGroup, records: KeyValue[]): void {
    for (const r of records) {
      const key = decodeKeyOf(r.key);
      if (key.type === 'consumer') this.replay(cg, key, r.value);
    }
    this.afterReplay(cg);
  }

  /** The classic view of a consumer group's members (the downgrade): protocols, assignment bytes. */
  toClassic(cg: ConsumerGroup, leaving: string): Array<{ member: ConsumerMember; assignment: Buffer }> {
    return [...cg.members.values()]
      .filter((m) => m.memberId !== leaving && m.classic !== null)
      .map((m) => ({ member: m, assignment: this.classicAssignment(m) }));
  }

  /** A classic member's partitions as the ConsumerProtocolAssignment its subscription's version reads. */
  private classicAssignment(m: ConsumerMember): Buffer {
    const metadata = m.classic?.protocols[0]?.metadata;
    const version = metadata !== undefined && metadata.length >= 2 ? metadata.readInt16BE(0) : 0;
    const partitions = [...m.assigned].map(([id, ps]) => ({ topic: this.topics.nameOf(id) ?? '', partitions: [...ps].sort((a, b) => a - b) })).filter((p) => p.topic !== '');
    return encodeAssignment(version, partitions);
  }

  /** Records deleting every member of a consumer group and the group's own records. */
  allTombstones(cg: ConsumerGroup): KeyValue[] {
    return [...[...cg.members.keys()].flatMap((id) => this.removalRecords(cg.groupId, id)), ...this.groupTombstones(cg.groupId)];
  }

  // ----------------------------------------------------------------------------------------
  // Timers

  private timersOf(cg: ConsumerGroup, memberId: string) {
    let t = cg.timers.get(memberId);
    if (!t) cg.timers.set(memberId, (t = { session: null, rebalance: null }));
    return t;
  }

  armSession(cg: ConsumerGroup, memberId: string, timeoutMs = cg.members.get(memberId)?.classic?.sessionTimeoutMs ?? this.sessionTimeoutMs(cg.groupId)): void {
    const t = this.timersOf(cg, memberId);
    this.host.clock.clearTimeout(t.session);
    t.session = this.host.clock.setTimeout(() => {
      t.session = null;
      if (this.host.consumerGroup(cg.groupId) !== cg || !cg.members.has(memberId)) return;
      this.fence(cg, memberId, 'session timed out');
    }, timeoutMs);
    t.session.unref();
  }

  private armRebalance(cg: ConsumerGroup, m: ConsumerMember): void {
    const t = this.timersOf(cg, m.memberId);
    if (t.rebalance) return; // already counting for this revocation
    const epoch = m.memberEpoch;
    t.rebalance = this.host.clock.setTimeout(() => {
      t.rebalance = null;
      const now = cg.members.get(m.memberId);
      if (this.host.consumerGroup(cg.groupId) !== cg || !now || now.state !== 'UNREVOKED_PARTITIONS' || now.memberEpoch !== epoch) return;
      this.fence(cg, m.memberId, `did not revoke its partitions within the rebalance timeout (${m.rebalanceTimeoutMs} ms)`);
    }, Math.max(m.rebalanceTimeoutMs, 0));
    t.rebalance.unref();
  }

  private clearRebalance(cg: ConsumerGroup, memberId: string): void {
    const t = cg.timers.get(memberId);
    if (!t) return;
    this.host.clock.clearTimeout(t.rebalance);
    t.rebalance = null;
  }

  clearTimers(cg: ConsumerGroup, memberId: string): void {
    const t = cg.timers.get(memberId);
    if (!t) return;
    this.host.clock.clearTimeout(t.session);
    this.host.clock.clearTimeout(t.rebalance);
    cg.timers.delete(memberId);
  }

  clearAllTimers(cg: ConsumerGroup): void {
    for (const id of [...cg.timers.keys()]) this.clearTimers(cg, id);
  }

  // ----------------------------------------------------------------------------------------
  // Replay from __consumer_offsets

  /** Applies one consumer-group record (load, or a new leader taking over the partition). */
  replay(cg: ConsumerGroup, key: ConsumerGroupKey, value: Buffer | null): void {
    switch (key.record) {
      case 'groupEpoch':
        if (value !== null) cg.groupEpoch = decodeEpochValue(value);
        return;
      case 'targetEpoch':
        if (value !== null) cg.assignmentEpoch = decodeEpochValue(value);
        return;
      case 'targetMember':
        if (value === null) cg.target.delete(key.memberId);
        else cg.target.set(key.memberId, decodeTargetMemberValue(value));
        return;
      case 'member': {
        if (value === null) {
          cg.removeMember(key.memberId);
          return;
        }
        const v = decodeConsumerMemberValue(value);
        const old = cg.members.get(key.memberId);
        const base: ConsumerMember = old ?? {
          memberId: key.memberId,
          instanceId: null,
          rackId: null,
          clientId: '',
          clientHost: '',
          subscribedTopicNames: [],
          subscribedTopicRegex: null,
          rebalanceTimeoutMs: -1,
          serverAssignor: null,
          memberEpoch: 0,
          previousMemberEpoch: 0,
          state: 'STABLE',
          assigned: new Map(),
          pendingRevocation: new Map(),
          classic: null,
        };
        cg.putMember({ ...base, ...v });
        return;
      }
      case 'currentAssignment': {
        const old = cg.members.get(key.memberId);
        if (value === null || !old) return;
        const v = decodeCurrentAssignmentValue(value);
        cg.putMember({ ...old, memberEpoch: v.memberEpoch, previousMemberEpoch: v.previousMemberEpoch, state: memberStateOf(v.state), assigned: v.assigned, pendingRevocation: v.pendingRevocation });
        return;
      }
    }
  }

  /** After a replay: the subscription signature as stored, every member given a session. */
  afterReplay(cg: ConsumerGroup): void {
    cg.subscriptionSignature = this.signature(this.subscribedTopics(cg.members.values()));
    for (const id of cg.members.keys()) this.armSession(cg, id);
  }

  // ----------------------------------------------------------------------------------------
  // ConsumerGroupDescribe

  describe(groupId: string): DescribedConsumerGroup {
    const notFound = (message: string): DescribedConsumerGroup => ({
      errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
      errorMessage: message,
      groupId,
      groupState: 'Dead',
      groupEpoch: -1,
      assignmentEpoch: -1,
      assignorName: '',
      members: [],
    });
    if (!this.host.leads(groupId)) return { ...notFound(''), errorCode: ErrorCode.NOT_COORDINATOR, errorMessage: null };
    const cg = this.host.consumerGroup(groupId);
    if (!cg) return notFound(this.host.classicGroupBlocks(groupId) ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: cg.state,
      groupEpoch: cg.groupEpoch,
      assignmentEpoch: cg.assignmentEpoch,
      assignorName: this.assignorFor(cg.members.values()),
      members: [...cg.members.values()].map((member) => ({ member, assignment: member.assigned, target: cg.target.get(member.memberId) ?? new Map() })),
    };
  }

  /** Topics the group's members subscribe to now (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC). */
  subscribedTopicNames(cg: ConsumerGroup): Set<string> {
    const out = new Set<string>();
    for (const s of this.subscribedTopics(cg.members.values()).values()) for (const n of s) out.add(n);
    return out;
  }

  topicName(id: string): string | undefined {
    return this.topics.nameOf(id);
  }
}
