/**
 * The share-partitions this broker leads (Kafka's SharePartitionManager): one SharePartition per
 * (share group, topic partition), made on the first ShareFetch of the group for a partition this
 * broker leads, from the state the share coordinator kept (share-state-store.ts) or, for a group
 * new to the partition, starting where the group's `share.auto.offset.reset` says (`latest`, the
 * default: the high watermark; `earliest`: the log start; `by_duration:<ISO-8601 duration>`: the
 * first record at most that old, by timestamp).
 *
 * A fetch reads the log from the share-partition's next fetch offset (whole batches, up to the
 * high watermark; with share.isolation.level=read_committed up to the last stable offset, the
 * records of aborted transactions archived as they are acquired), and
 * acquires for the member the available offsets of the batches read, up to MaxRecords; the answer
 * carries the batches that hold acquired offsets and the acquired ranges. Control batches are
 * acquired like data: the client acknowledges their offsets as gaps.
 *
 * Changes to what is persisted (acknowledgements, releases, lock expiries) are written as a
 * snapshot to the share coordinator (share-persister.ts: here, or another broker), once per turn
 * of the event loop per share-partition; an acknowledgement is answered when its snapshot is
 * durable. A share-partition's state is read from the coordinator when it is made (the handlers
 * call prepare() first, so a read from another broker is waited for outside the synchronous part).
 * A partition whose leadership moves away drops its share-partitions (their state is with the
 * coordinator; the new leader reads it there).
 */
import type { Clock } from '../control/clock.js';
import { splitBatches } from '../log/record-batch.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../native/batch.js';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { EMPTY } from '../protocol/wire.js';
import type { ShareAutoOffsetReset } from '../config/definitions.js';
import { LogStorageError, type Partition, type PartitionRead } from '../replica/partition.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import { AcknowledgeType, SharePartition, type AcknowledgementBatch, type AcquiredRecords, type InFlightRange, type OffsetRange } from './share-partition.js';
import type { SharePersister } from './share-persister.js';
import { ShareSessionCache, type ShareSession } from './share-sessions.js';
import { coordinatorKey, type SharePartitionId, type StateRead } from './share-state-store.js';
import type { ShareStateSnapshot } from './share-partition.js';

export interface ShareSettings {
  /** share.record.lock.duration.ms of the group, else group.share.record.lock.duration.ms. */
  lockDurationMs(groupId: string): number;
  /** group.share.delivery.count.limit. */
  deliveryCountLimit: number;
  /** group.share.partition.max.record.locks. */
  maxInFlightRecords: number;
  /** group.share.max.share.sessions. */
  maxSessions: number;
  /** share.auto.offset.reset of the group (latest by default). */
  autoOffsetReset(groupId: string): ShareAutoOffsetReset;
  /** share.isolation.level of the group: read_committed reads to the last stable offset and archives aborted records. */
  readCommitted(groupId: string): boolean;
  /** How long an acknowledgement waits for its snapshot to be replicated. */
  writeTimeoutMs: number;
}

export interface ShareFetchRead {
  errorCode: number;
  records: Buffer;
  acquired: AcquiredRecords[];
  /** How many offsets were acquired. */
  count: number;
}

interface Entry {
  readonly id: SharePartitionId;
  readonly topic: string;
  readonly sp: SharePartition;
  /** The state epoch the state was read at; writes carry it (a deleted state fences them). */
  readonly stateEpoch: number;
}

/** State read ahead for a share-partition about to be made. */
interface Prefetched {
  snapshot: ShareStateSnapshot | null;
  stateEpoch: number;
}

export class SharePartitionManager {
  readonly sessions: ShareSessionCache;
  /** coordinatorKey -> share-partition. */
  private readonly partitions = new Map<string, Entry>();
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  /** Writes started by the last flush and not settled yet, per coordinator key, for an acknowledgement to wait on. */
  private readonly pending = new Map<string, Promise<number>>();
  /** State read from a share coordinator on another broker, for a share-partition about to be made. */
  private readonly prefetched = new Map<string, Prefetched>();
  private readonly loading = new Map<string, Promise<void>>();
  /** Why the last read of a key's state failed (the next request reads again). */
  private readonly readErrors = new Map<string, number>();

  constructor(
    private readonly deps: { replicas: ReplicaManager; persister: SharePersister; clock: Clock; log: Logger; settings: ShareSettings },
  ) {
    this.sessions = new ShareSessionCache(() => deps.settings.maxSessions);
  }

  lockDurationMs(groupId: string): number {
    return this.deps.settings.lockDurationMs(groupId);
  }

  /** The share-partition of a group for a partition this broker leads, made on first use; an error code otherwise. */
  private entry(id: SharePartitionId, topic: string): Entry | number {
    const partition = this.deps.replicas.getPartition(topic, id.partition);
    if (!partition) return this.deps.replicas.notHostedError(topic, id.partition);
    if (!partition.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const key = coordinatorKey(id);
    const existing = this.partitions.get(key);
    if (existing) return existing;
    let state: ShareStateSnapshot | null;
    let stateEpoch: number;
    const ahead = this.prefetched.get(key);
    if (ahead) {
      ({ snapshot: state, stateEpoch } = ahead);
      this.prefetched.delete(key);
    } else {
      const failed = this.readErrors.get(key);
      if (failed !== undefined) {
        this.readErrors.delete(key);
        return failed;
      }
      const read = this.deps.persister.read(id, partition.leaderEpoch);
      // The handlers prepare() first; a read that must wait is started for the next request.
      if (read instanceof Promise) {
        this.track(key, read);
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      }
      if (read.errorCode !== ErrorCode.NONE) return read.errorCode;
      state = read.snapshot;
      stateEpoch = read.stateEpoch;
    }
    const reset = this.deps.settings.autoOffsetReset(id.groupId);
    const make = (from: ShareStateSnapshot | null): SharePartition =>
      new SharePartition({
        startOffset: this.resetOffset(partition, reset),
        clock: this.deps.clock,
        settings: { lockDurationMs: this.deps.settings.lockDurationMs(id.groupId), deliveryCountLimit: this.deps.settings.deliveryCountLimit, maxInFlightRecords: this.deps.settings.maxInFlightRecords },
        ...(from ? { state: from } : {}),
        onChange: () => this.markDirty(key),
      });
    let sp: SharePartition;
    try {
      sp = make(state);
    } catch (err) {
      // A stored state this version cannot take (batches below its start, overlapping): the
      // start offset is kept, the per-record states are not; said loudly.
      this.deps.log.error(`share group ${id.groupId}: the stored state of ${topic}-${id.partition} is not usable (${(err as Error).message}); resuming at its start offset ${state?.startOffset}`);
      sp = make(state ? { startOffset: state.startOffset, batches: [] } : null);
    }
    if (state) sp.advanceTo(partition.logStartOffset);
    const e: Entry = { id, topic, sp, stateEpoch };
    this.partitions.set(key, e);
    // A new share-partition's start is written at once (Kafka's InitializeShareGroupState), so the
    // group keeps its place even if nothing is acknowledged before a restart or a failover.
    if (!state) this.markDirty(key);
    return e;
  }

  private track(key: string, read: Promise<StateRead>): Promise<void> {
    const known = this.loading.get(key);
    if (known) return known;
    const done = read.then((r) => {
      this.loading.delete(key);
      if (r.errorCode === ErrorCode.NONE) this.prefetched.set(key, { snapshot: r.snapshot, stateEpoch: r.stateEpoch });
      else this.readErrors.set(key, r.errorCode);
    });
    this.loading.set(key, done);
    return done;
  }

  /**
   * Before a request works on these partitions: the state of those this broker leads and has no
   * share-partition for yet is read from their share coordinator when another broker is it. A
   * promise to wait for, or null when everything is here.
   */
  prepare(groupId: string, partitions: Iterable<{ topicId: string; partition: number; topic: string | null }>): Promise<void> | null {
    const waits: Array<Promise<void>> = [];
    for (const p of partitions) {
      if (p.topic === null) continue;
      const id = { groupId, topicId: p.topicId, partition: p.partition };
      const key = coordinatorKey(id);
      if (this.partitions.has(key) || this.prefetched.has(key)) continue;
      const known = this.loading.get(key);
      if (known) {
        waits.push(known);
        continue;
      }
      const local = this.deps.replicas.getPartition(p.topic, p.partition);
      if (!local?.isLeader) continue;
      const read = this.deps.persister.read(id, local.leaderEpoch);
      if (read instanceof Promise) waits.push(this.track(key, read));
      else if (read.errorCode === ErrorCode.NONE) this.prefetched.set(key, { snapshot: read.snapshot, stateEpoch: read.stateEpoch });
    }
    return waits.length === 0 ? null : Promise.all(waits).then(() => undefined);
  }

  /** Where a group new to a partition starts: share.auto.offset.reset (by_duration: the first record at most that old, else the high watermark). */
  private resetOffset(partition: Partition, reset: ShareAutoOffsetReset): bigint {
    if (reset.kind === 'earliest') return partition.logStartOffset;
    if (reset.kind === 'latest') return partition.highWatermark;
    const found = partition.offsetForTimestamp(BigInt(this.deps.clock.nowMs() - reset.durationMs));
    return found === null || found.offset > partition.highWatermark ? partition.highWatermark : found.offset;
  }

  private markDirty(key: string): void {
    this.dirty.add(key);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Writes the snapshots of the share-partitions that changed. */
  private flush(): void {
    this.flushScheduled = false;
    for (const key of this.dirty) {
      const e = this.partitions.get(key);
      if (!e) continue;
      const leaderEpoch = this.deps.replicas.getPartition(e.topic, e.id.partition)?.leaderEpoch ?? 0;
      let w: number | Promise<number>;
      try {
        w = this.deps.persister.write(e.id, e.sp.snapshot(), leaderEpoch, e.stateEpoch, this.deps.settings.writeTimeoutMs);
      } catch (err) {
        this.deps.log.error(`share group ${e.id.groupId}: writing the state of ${e.topic}-${e.id.partition} failed: ${(err as Error).message}`);
        w = ErrorCode.KAFKA_STORAGE_ERROR;
      }
      // Kept until it settles, for an acknowledgement of this turn to wait on; then forgotten.
      const p = typeof w === 'number' ? Promise.resolve(w) : w;
      this.pending.set(key, p);
      void p.then((code) => {
        if (this.pending.get(key) === p) this.pending.delete(key);
        // The state was deleted (its group was) since it was read: this copy goes; the next
        // fetch reads it again, empty, and starts where share.auto.offset.reset says.
        if (code === ErrorCode.FENCED_STATE_EPOCH && this.partitions.get(key) === e) this.drop(key);
      });
    }
    this.dirty.clear();
  }

  /**
   * Applies a member's acknowledgements to one partition: the error code (INVALID_RECORD_STATE
   * when it does not hold those records, INVALID_REQUEST when malformed), and when they changed
   * anything, a promise of the write that keeps them.
   */
  acknowledge(id: SharePartitionId, topic: string, memberId: string, batches: readonly AcknowledgementBatch[]): { errorCode: number; durable: Promise<number> | null } {
    const e = this.entry(id, topic);
    if (typeof e === 'number') return { errorCode: e, durable: null };
    const errorCode = e.sp.acknowledge(memberId, batches);
    if (errorCode !== ErrorCode.NONE) return { errorCode, durable: null };
    const key = coordinatorKey(id);
    if (this.dirty.has(key)) this.flush();
    const durable = this.pending.get(key) ?? null;
    return { errorCode, durable };
  }

  /** Reads and acquires records of one partition for a member (see the top of this file). */
  fetch(id: SharePartitionId, topic: string, memberId: string, maxRecords: number, maxBytes: number): ShareFetchRead {
    const none = (errorCode: number): ShareFetchRead => ({ errorCode, records: EMPTY, acquired: [], count: 0 });
    const e = this.entry(id, topic);
    // A share-partition whose state could not be read yet answers empty; the next fetch reads again.
    if (e === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || e === ErrorCode.COORDINATOR_NOT_AVAILABLE || e === ErrorCode.NOT_COORDINATOR) return none(ErrorCode.NONE);
    if (typeof e === 'number') return none(e);
    const partition = this.deps.replicas.getPartition(topic, id.partition)!;
    e.sp.advanceTo(partition.logStartOffset);
    if (maxRecords <= 0 || !e.sp.canAcquireRecords()) return none(ErrorCode.NONE);
    const from = e.sp.nextFetchOffset();
    const readCommitted = this.deps.settings.readCommitted(id.groupId);
    if (from >= (readCommitted ? partition.lastStableOffset : partition.highWatermark)) return none(ErrorCode.NONE);
    let read: PartitionRead;
    try {
      read = partition.read(from, Math.max(1, maxBytes), { minOneBatch: true, isolation: readCommitted ? 'committed' : 'high-watermark' });
    } catch (err) {
      // A failed disk answers this partition as Fetch does; anything else is a bug.
      if (err instanceof LogStorageError) return none(ErrorCode.KAFKA_STORAGE_ERROR);
      throw err;
    }
    if (read.errorCode !== ErrorCode.NONE) return none(read.errorCode);
    if (read.records.length === 0) return none(ErrorCode.NONE);
    const batches = splitBatches(read.records);
    const ranges = batches.map((b) => ({ firstOffset: b.readBigInt64BE(0), lastOffset: b.readBigInt64BE(0) + BigInt(b.readInt32BE(23)) }));
    let acquired = e.sp.acquire(memberId, ranges, maxRecords, from);
    if (readCommitted && read.abortedTransactions && read.abortedTransactions.length > 0) acquired = this.archiveAborted(e.sp, memberId, acquired, batches, ranges, read.abortedTransactions);
    if (acquired.length === 0) return none(ErrorCode.NONE);
    // The batches that hold acquired offsets: from the first such batch to the last.
    const lo = acquired[0]!.firstOffset;
    const hi = acquired[acquired.length - 1]!.lastOffset;
    let start = -1;
    let end = -1;
    let pos = 0;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const r = ranges[i]!;
      if (start < 0 && r.lastOffset >= lo) start = pos;
      pos += b.length;
      if (r.firstOffset <= hi) end = pos;
    }
    let count = 0;
    for (const a of acquired) count += Number(a.lastOffset - a.firstOffset + 1n);
    return { errorCode: ErrorCode.NONE, records: read.records.subarray(Math.max(0, start), end), acquired, count };
  }

  /**
   * read_committed (KIP-932, as Kafka's SharePartition filters aborted transactions): the acquired
   * offsets of data batches that belong to aborted transactions are archived at once (acknowledged
   * as gaps: never delivered) and left out of what the member is given.
   */
  private archiveAborted(sp: SharePartition, memberId: string, acquired: AcquiredRecords[], batches: readonly Buffer[], ranges: readonly OffsetRange[], aborted: ReadonlyArray<{ producerId: bigint; firstOffset: bigint; lastOffset: bigint }>): AcquiredRecords[] {
    const abortedRanges: OffsetRange[] = [];
    batches.forEach((b, i) => {
      const attributes = b.readInt16BE(21);
      if ((attributes & ATTR_TRANSACTIONAL) === 0 || (attributes & ATTR_CONTROL) !== 0) return;
      const producerId = b.readBigInt64BE(43);
      const r = ranges[i]!;
      if (aborted.some((a) => a.producerId === producerId && a.firstOffset <= r.firstOffset && r.firstOffset <= a.lastOffset)) abortedRanges.push(r);
    });
    const archive: OffsetRange[] = [];
    for (const a of acquired) {
      for (const r of abortedRanges) {
        const first = a.firstOffset > r.firstOffset ? a.firstOffset : r.firstOffset;
        const last = a.lastOffset < r.lastOffset ? a.lastOffset : r.lastOffset;
        if (first <= last) archive.push({ firstOffset: first, lastOffset: last });
      }
    }
    if (archive.length === 0) return acquired;
    archive.sort((x, y) => (x.firstOffset < y.firstOffset ? -1 : 1));
    sp.acknowledge(memberId, archive.map((r) => ({ ...r, acknowledgeTypes: [AcknowledgeType.GAP] })));
    const out: AcquiredRecords[] = [];
    for (const a of acquired) {
      let cursor = a.firstOffset;
      for (const r of archive) {
        if (r.lastOffset < cursor || r.firstOffset > a.lastOffset) continue;
        if (r.firstOffset > cursor) out.push({ firstOffset: cursor, lastOffset: r.firstOffset - 1n, deliveryCount: a.deliveryCount });
        cursor = r.lastOffset + 1n;
      }
      if (cursor <= a.lastOffset) out.push({ firstOffset: cursor, lastOffset: a.lastOffset, deliveryCount: a.deliveryCount });
    }
    return out;
  }

  /** The start offset of each share-partition of a group (DescribeShareGroupOffsets), from its share coordinator. */
  startOffsets(groupId: string, partitions: ReadonlyArray<{ topicId: string; partition: number }>): Promise<Array<{ errorCode: number; startOffset: bigint; leaderEpoch: number }>> {
    return Promise.all(
      partitions.map(async (p) => {
        const r = await this.deps.persister.readSummary({ groupId, ...p });
        return { errorCode: r.errorCode, startOffset: r.snapshot?.startOffset ?? -1n, leaderEpoch: r.leaderEpoch };
      }),
    );
  }

  /**
   * The records a member holds on the partitions of a session go back (it closed, was replaced,
   * or its connection dropped), the unfinished delivery not counted, as Kafka 4.1 does.
   */
  releaseSession(s: ShareSession): void {
    for (const p of s.partitions.values()) {
      this.partitions.get(coordinatorKey({ groupId: s.groupId, topicId: p.topicId, partition: p.partition }))?.sp.releaseMember(s.memberId, { uncount: true });
    }
  }

  private drop(key: string): void {
    const e = this.partitions.get(key);
    if (!e) return;
    e.sp.close();
    this.partitions.delete(key);
    this.dirty.delete(key);
  }

  /**
   * A share-partition state is deleted at its share coordinator (DeleteShareGroupState): the
   * partitions a deleted group (DeleteGroups) was assigned, or a group's partitions of a topic
   * (DeleteShareGroupOffsets). The share-partitions this broker holds for them go. Each
   * partition's error code, in order.
   */
  deleteState(groupId: string, partitions: ReadonlyArray<{ topicId: string; partition: number }>): Promise<number[]> {
    this.forget(groupId, partitions);
    return Promise.all(
      partitions.map(async (p) => {
        const code = await this.deps.persister.delete({ groupId, ...p }, this.deps.settings.writeTimeoutMs);
        if (code !== ErrorCode.NONE) this.deps.log.warn(`share group ${groupId}: deleting the state of partition ${p.partition} of topic id ${p.topicId} failed (error ${code})`);
        return code;
      }),
    );
  }

  /**
   * An empty group's start offsets are set (AlterShareGroupOffsets): each partition's state starts
   * there with nothing in flight (-1: none, share.auto.offset.reset decides), at its share
   * coordinator (InitializeShareGroupState); the share-partitions this broker holds for them go.
   * Each partition's error code, in order.
   */
  initializeState(groupId: string, stateEpoch: number, partitions: ReadonlyArray<{ topicId: string; partition: number; startOffset: bigint }>): Promise<number[]> {
    this.forget(groupId, partitions);
    return Promise.all(partitions.map(async (p) => this.deps.persister.initialize({ groupId, topicId: p.topicId, partition: p.partition }, p.startOffset, stateEpoch, this.deps.settings.writeTimeoutMs)));
  }

  /** Drops this broker's share-partitions of these keys (their state is changed at the coordinator); state read ahead is read again when needed. */
  private forget(groupId: string, partitions: ReadonlyArray<{ topicId: string; partition: number }>): void {
    for (const p of partitions) this.drop(coordinatorKey({ groupId, topicId: p.topicId, partition: p.partition }));
    this.prefetched.clear();
  }

  /**
   * A member's share session ended (its last request, its connection closed): its records go
   * back. When it was the group's last session on this broker, the group's share-partitions here
   * are written and dropped (Kafka's share-partition manager does the same when a group has no
   * share session left): nothing is acquired any more, and the next fetch reads the state again,
   * which AlterShareGroupOffsets or DeleteShareGroupOffsets may have changed meanwhile.
   */
  endSession(s: ShareSession): void {
    this.releaseSession(s);
    for (const other of this.sessions.all()) if (other.groupId === s.groupId) return;
    const keys = [...this.partitions].filter(([, e]) => e.id.groupId === s.groupId).map(([key]) => key);
    if (keys.some((key) => this.dirty.has(key))) this.flush();
    for (const key of keys) this.drop(key);
  }

  /** Another broker leads this partition now: its share-partitions go (their state is with the share coordinator). */
  onLeadershipChange(topic: string, partition: number, leader: boolean): void {
    if (leader) return;
    for (const [key, e] of [...this.partitions]) {
      if (e.topic !== topic || e.id.partition !== partition) continue;
      e.sp.close();
      this.partitions.delete(key);
      this.dirty.delete(key);
    }
    // State read ahead for a leadership that ended is stale: the next leader reads it again.
    this.prefetched.clear();
    this.readErrors.clear();
  }

  /** A topic was deleted: its share-partitions go. */
  onTopicDeleted(topic: string): void {
    for (const [key, e] of [...this.partitions]) {
      if (e.topic !== topic) continue;
      e.sp.close();
      this.partitions.delete(key);
    }
  }

  /** The share-partitions of a group (ShareGroupDescribe offsets, the inspector, tests). */
  describe(groupId: string): Array<{ topic: string; partition: number; startOffset: bigint; endOffset: bigint; inFlight: InFlightRange[] }> {
    return [...this.partitions.values()]
      .filter((e) => e.id.groupId === groupId)
      .map((e) => ({ topic: e.topic, partition: e.id.partition, startOffset: e.sp.startOffset, endOffset: e.sp.endOffset, inFlight: e.sp.inFlight() }));
  }

  close(): void {
    for (const e of this.partitions.values()) e.sp.close();
    this.partitions.clear();
  }
}
