/**
 * One classic consumer group: its members and the bookkeeping of Kafka's classic group protocol
 * (states Empty, PreparingRebalance, CompletingRebalance, Stable, Dead). Pure data plus the small
 * rules that depend only on the group; the coordinator drives the transitions, timers and
 * persistence.
 */
import type { Clock, TimerHandle } from '../control/clock.js';
import type { OffsetValue } from './records.js';
import type { ConsumerGroup } from './consumer-group.js';
import type { ShareGroup } from './share-group.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** States a group may enter PreparingRebalance from (Kafka's valid previous states). */
const CAN_REBALANCE: ReadonlySet<GroupState> = new Set(['Stable', 'CompletingRebalance', 'Empty']);

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
  skipAssignment: boolean;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  /** Set while a JoinGroup of this member waits for the join phase to complete. */
  awaitingJoin: ((r: JoinResult) => void) | null;
  /** Set while a SyncGroup of this member waits for the leader's assignment. */
  awaitingSync: ((r: SyncResult) => void) | null;
  /** A member that has not yet received its first JoinGroup answer. */
  isNew: boolean;
  heartbeatTimer: TimerHandle | null;
}

export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0);

export class Group {
  state: GroupState = 'Empty';
  previousState: GroupState = 'Empty';
  stateTimestampMs: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** groupInstanceId -> memberId of static members. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined; with their expiry timers. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** How many members support each protocol name. */
  private readonly protocolSupport = new Map<string, number>();
  newMemberAdded = false;
  joinTimer: TimerHandle | null = null;
  syncTimer: TimerHandle | null = null;
  /** Committed offsets: topic -> partition -> value. */
  readonly offsets = new Map<string, Map<number, OffsetValue>>();
  /**
   * Set when the group is a KIP-848 consumer group: its members, epochs and assignments live
   * there (consumer-group.ts), and the classic fields above stay empty. Offsets are shared.
   */
  consumer: ConsumerGroup | null = null;
  /** Set when the group is a KIP-932 share group (share-group.ts); the classic fields stay empty. */
  share: ShareGroup | null = null;
  /** Offsets committed inside open transactions: producer id -> topic\0partition -> offset. */
  readonly pendingTxnOffsets = new Map<bigint, Map<string, { topic: string; partition: number; value: OffsetValue }>>();

  constructor(
    readonly groupId: string,
    /** The broker's clock (control/clock.ts): the group's timers are set and cleared on it. */
    private readonly clock: Clock,
  ) {
    this.stateTimestampMs = clock.nowMs();
  }

  is(...states: GroupState[]): boolean {
    return states.includes(this.state);
  }

  transitionTo(state: GroupState, nowMs: number): void {
    this.previousState = this.state;
    this.state = state;
    this.stateTimestampMs = nowMs;
  }

  canRebalance(): boolean {
    return CAN_REBALANCE.has(this.state);
  }

  get awaitingJoinCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.awaitingJoinCount === this.members.size && this.pendingMembers.size === 0;
  }

  /** Largest rebalance timeout of any member: how long a join phase may wait. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    for (const p of member.protocols) this.protocolSupport.set(p.name, (this.protocolSupport.get(p.name) ?? 0) + 1);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): Member | undefined {
    const m = this.members.get(memberId);
    if (m) {
      this.members.delete(memberId);
      this.dropProtocols(m);
      if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
      this.clock.clearTimeout(m.heartbeatTimer);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    const pending = this.pendingMembers.get(memberId);
    this.clock.clearTimeout(pending);
    this.pendingMembers.delete(memberId);
    this.pendingSync.delete(memberId);
    return m;
  }

  private dropProtocols(m: Member): void {
    for (const p of m.protocols) {
      const n = (this.protocolSupport.get(p.name) ?? 1) - 1;
      if (n === 0) this.protocolSupport.delete(p.name);
      else this.protocolSupport.set(p.name, n);
    }
  }

  /** Replaces a member's protocols and timeouts (a rejoin with new metadata). */
  updateMember(m: Member, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number): void {
    this.dropProtocols(m);
    m.protocols = protocols;
    for (const p of protocols) this.protocolSupport.set(p.name, (this.protocolSupport.get(p.name) ?? 0) + 1);
    m.rebalanceTimeoutMs = rebalanceTimeoutMs;
    m.sessionTimeoutMs = sessionTimeoutMs;
  }

  /** Protocols every member supports. */
  private candidates(): Set<string> {
    const out = new Set<string>();
    for (const [name, n] of this.protocolSupport) if (n === this.members.size) out.add(name);
    return out;
  }

  /** Whether a member with this protocol type and these protocols may join (Kafka's rule). */
  supportsProtocols(protocolType: string, names: string[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && names.length > 0;
    if (protocolType !== this.protocolType) return false;
    const c = this.candidates();
    return names.some((n) => c.has(n));
  }

  /** Each member votes for its first protocol that all support; the most votes wins. */
  selectProtocol(): string {
    const c = this.candidates();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => c.has(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === null) throw new Error(`group ${this.groupId}: no protocol supported by every member`);
    return best;
  }

  /** The member's metadata for the group's protocol. */
  metadataFor(m: Member, protocolName = this.protocolName): Buffer {
    return m.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_ASSIGNMENT;
  }

  /** Keeps the leader if it rejoined, else picks any member that did. False when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Offsets committed for a topic-partition, if any. */
  offset(topic: string, partition: number): OffsetValue | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, v: OffsetValue | null): void {
    let byPartition = this.offsets.get(topic);
    if (v === null) {
      byPartition?.delete(partition);
      if (byPartition?.size === 0) this.offsets.delete(topic);
      return;
    }
    if (!byPartition) this.offsets.set(topic, (byPartition = new Map()));
    byPartition.set(partition, v);
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  hasPendingTxnOffset(topic: string, partition: number): boolean {
    for (const pending of this.pendingTxnOffsets.values()) if (pending.has(`${topic}\0${partition}`)) return true;
    return false;
  }

  /** A transaction marker: commit makes the producer's pending offsets current, abort drops them. */
  completeTxnOffsets(producerId: bigint, commit: boolean): void {
    const pending = this.pendingTxnOffsets.get(producerId);
    if (!pending) return;
    this.pendingTxnOffsets.delete(producerId);
    if (commit) for (const p of pending.values()) this.setOffset(p.topic, p.partition, p.value);
  }
}
