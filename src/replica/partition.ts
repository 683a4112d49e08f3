/**
 * One partition as this broker holds it, in the role of Kafka's `Partition`: its replica state
 * (leader epoch, replicas, in-sync replicas, the high watermark) above the partition's log, which
 * it alone touches. Everything a request does to a partition's data goes through here: the append
 * as leader, the read cut at the high watermark or the last stable offset, offsets by time,
 * DeleteRecords, transaction markers, the producers' state for DescribeProducers.
 *
 * High watermark: the offset every in-sync replica has reached (KIP-101's definition): the least
 * log end offset over the ISR, the leader's own included. With no follower in the ISR that is the
 * leader's log end offset, so on a single node an append is committed as soon as it is written.
 * It never moves backwards while this broker leads. Consumers read below it (and, with
 * READ_COMMITTED, below the last stable offset, which is never above it).
 *
 * Storage errors: a failed write or read takes the log offline (partition-log.ts) and surfaces
 * here as LogStorageError, which handlers answer with KAFKA_STORAGE_ERROR.
 */
import { ErrorCode } from '../protocol/errors.js';
import { EMPTY } from '../protocol/wire.js';
import { LogStorageError, type AppendOptions, type AppendResult, type LeaderAppend, type PartitionLog } from '../log/partition-log.js';
import type { BatchInfo } from '../log/record-batch.js';
import type { AbortedTxn, ProducerEntry } from '../log/producer-state.js';
import type { TimestampOffset } from '../log/segment.js';
import { cutBefore } from '../log/record-batch.js';

export { LogStorageError };
export type { LeaderAppend, TimestampOffset };

/** Which records a read may return (Kafka's FetchIsolation). */
export type FetchIsolation = 'high-watermark' | 'committed' | 'log-end';

export interface PartitionRead {
  /** NONE, or OFFSET_OUT_OF_RANGE when the offset lies below the log start or past the log end. */
  errorCode: number;
  /** Whole batches as stored, the first perhaps starting before the fetch offset. */
  records: Buffer;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** For 'committed' reads: the aborted transactions overlapping `records`; otherwise null. */
  abortedTransactions: AbortedTxn[] | null;
  /**
   * Where the fetcher's log diverges from this one (Fetch v12+, KIP-595 / KIP-320): the end of
   * its last fetched epoch here, when that lies before its fetch offset; null otherwise.
   */
  divergingEpoch: { epoch: number; endOffset: bigint } | null;
}

export interface ReadOptions {
  minOneBatch: boolean;
  isolation: FetchIsolation;
  /** The epoch of the last batch the fetcher has (Fetch v12+); negative when not given. */
  lastFetchedEpoch?: number;
}

/** What the controller committed for a partition (the image's PartitionFields). */
export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

/** An ISR change this leader asks the controller for (AlterPartition). */
export interface IsrChange {
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  isr: number[];
}

/**
 * What the leader knows of a follower from its fetches (Kafka's ReplicaState): its log end
 * offset (the fetch offset), and when it was last caught up: the latest fetch time at which
 * its fetch offset reached the leader's log end as of that fetch or of the one before.
 */
interface FollowerState {
  logEndOffset: bigint;
  logStartOffset: bigint;
  lastFetchTimeMs: number;
  lastFetchLeaderLogEndOffset: bigint;
  lastCaughtUpTimeMs: number;
}

export class Partition {
  /** The leader as the controller committed it (-1: none). */
  leaderId: number;
  /** The leader epoch of that leadership (0 until the controller elects another leader). */
  leaderEpoch = 0;
  /** Bumped by the controller on every change of replicas or ISR; AlterPartition names it. */
  partitionEpoch = 0;
  /** Node ids of the replicas, the preferred leader first. */
  replicas: number[];
  /** Node ids of the in-sync replicas, as committed. */
  isr: number[];
  /**
   * An ISR change asked of the controller and not yet committed (Kafka's pending state): while
   * it is in flight no other is asked, and the high watermark counts the larger of the two ISRs
   * (an added follower at once, a removed one until the removal is committed).
   */
  private pendingIsr: number[] | null = null;
  private readonly followers = new Map<number, FollowerState>();
  private hw: bigint;
  /** Where the current leader epoch started in the log: a follower joins the ISR only past it. */
  private leaderEpochStartOffset: bigint;

  constructor(
    readonly topic: string,
    readonly index: number,
    private readonly log: PartitionLog,
    readonly localNodeId: number,
  ) {
    this.leaderId = localNodeId;
    this.replicas = [localNodeId];
    this.isr = [localNodeId];
    this.hw = log.logEndOffset;
    this.leaderEpochStartOffset = log.logEndOffset;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  get isLeader(): boolean {
    return this.leaderId === this.localNodeId;
  }

  /** The first offset of the oldest open transaction, never above the high watermark. */
  get lastStableOffset(): bigint {
    const lso = this.log.lastStableOffset;
    return lso < this.hw ? lso : this.hw;
  }

  get isOffline(): boolean {
    return this.log.isOffline;
  }

  /** The partition's directory (for log lines). */
  get dir(): string {
    return this.log.dir;
  }

  /** The ISR the high watermark and acks=all count: the committed one with a pending change merged in. */
  get maximalIsr(): readonly number[] {
    if (this.pendingIsr === null) return this.isr;
    return [...new Set([...this.isr, ...this.pendingIsr])];
  }

  /**
   * Takes the controller's committed state of this partition: leader, epochs, replicas, ISR
   * (Kafka's makeLeader). A new leadership resets what it knew of the followers: those in the
   * ISR count as caught up now, so they get replica.lag.time.max.ms to fetch. Returns true when
   * the high watermark moved (a smaller ISR).
   */
  applyState(state: PartitionState, nowMs = Date.now()): boolean {
    const newLeadership = state.leader !== this.leaderId || state.leaderEpoch !== this.leaderEpoch;
    this.leaderId = state.leader;
    this.leaderEpoch = state.leaderEpoch;
    this.partitionEpoch = state.partitionEpoch;
    this.replicas = [...state.replicas];
    this.isr = [...state.isr];
    this.pendingIsr = null;
    for (const id of this.followers.keys()) if (!this.replicas.includes(id)) this.followers.delete(id);
    if (newLeadership && this.isLeader) {
      this.followers.clear();
      this.leaderEpochStartOffset = this.log.logEndOffset;
      this.startEpoch(state.leaderEpoch);
    }
    if (this.isLeader) {
      // Every follower this leader has not heard from yet (a new leadership, a replica added):
      // one in the ISR counts as caught up now, so it gets replica.lag.time.max.ms to fetch.
      for (const id of this.replicas) {
        if (id === this.localNodeId || this.followers.has(id)) continue;
        const caughtUp = this.isr.includes(id) ? nowMs : 0;
        this.followers.set(id, { logEndOffset: -1n, logStartOffset: -1n, lastFetchTimeMs: 0, lastFetchLeaderLogEndOffset: 0n, lastCaughtUpTimeMs: caughtUp });
      }
    }
    return this.isLeader && this.maybeIncrementHighWatermark();
  }

  /**
   * KIP-392: the replica a consumer in `clientRack` should fetch from instead of this leader, or
   * null for the leader itself. Kafka's RackAwareReplicaSelector over what
   * ReplicaManager.findPreferredReadReplica offers it: the leader and the in-sync followers that
   * hold `fetchOffset`; among those in the client's rack, the leader when it is one (or when none
   * is), else the most caught up (highest log end, then most recently caught up, then highest id).
   */
  preferredReadReplica(fetchOffset: bigint, clientRack: string, rackOf: (brokerId: number) => string | null, nowMs: number): number | null {
    if (!this.isLeader || clientRack === '' || rackOf(this.localNodeId) === clientRack) return null;
    let best: { id: number; logEndOffset: bigint; sinceCaughtUpMs: number } | null = null;
    for (const [id, f] of this.followers) {
      if (!this.isr.includes(id) || f.logEndOffset < fetchOffset || f.logStartOffset > fetchOffset || rackOf(id) !== clientRack) continue;
      const c = { id, logEndOffset: f.logEndOffset, sinceCaughtUpMs: nowMs - f.lastCaughtUpTimeMs };
      const better =
        best === null ||
        c.logEndOffset > best.logEndOffset ||
        (c.logEndOffset === best.logEndOffset && (c.sinceCaughtUpMs < best.sinceCaughtUpMs || (c.sinceCaughtUpMs === best.sinceCaughtUpMs && c.id > best.id)));
      if (better) best = c;
    }
    return best?.id ?? null;
  }

  /** The leader's view of its followers, for a log line: "hw H, leo L, isr [..], follower 2 at X (fetched N ms ago)". */
  describeReplication(nowMs = Date.now()): string {
    const followers = [...this.followers].map(([id, f]) => `follower ${id} at ${f.logEndOffset} (fetched ${f.lastFetchTimeMs === 0 ? 'never' : `${nowMs - f.lastFetchTimeMs} ms ago`})`);
    return `leader ${this.leaderId} epoch ${this.leaderEpoch}, hw ${this.hw}, log end ${this.log.logEndOffset}, isr ${JSON.stringify(this.isr)}${this.pendingIsr ? ` pending ${JSON.stringify(this.pendingIsr)}` : ''}, ${followers.join(', ')}`;
  }

  /** A new leader epoch starts at the log end, known before anything is written under it. */
  private startEpoch(leaderEpoch: number): void {
    const latest = this.log.latestEpoch;
    if (this.log.isOffline || (latest !== null && leaderEpoch <= latest)) return;
    try {
      this.log.assignEpochStartOffset(leaderEpoch);
    } catch (e) {
      // The write failed and took the log offline; requests answer KAFKA_STORAGE_ERROR.
      if (!(e instanceof LogStorageError)) throw e;
    }
  }

  /**
   * OffsetForLeaderEpoch: where `leaderEpoch` ends in this partition's log, with the epoch found
   * (Kafka's lastOffsetForLeaderEpoch); (-1, -1) when the log cannot tell.
   */
  endOffsetForEpoch(leaderEpoch: number): { epoch: number; endOffset: bigint } {
    return this.log.endOffsetForEpoch(leaderEpoch);
  }

  /**
   * Moves the high watermark to the least log end offset over the (maximal) ISR. Returns true
   * when it moved, so that the replica manager wakes what waits for it. A follower that has not
   * fetched since this leadership began holds it back (as in Kafka).
   */
  maybeIncrementHighWatermark(): boolean {
    let hw = this.log.logEndOffset;
    for (const id of this.maximalIsr) {
      if (id === this.localNodeId) continue;
      const end = this.followers.get(id)?.logEndOffset ?? -1n;
      if (end < hw) hw = end;
    }
    if (hw <= this.hw) return false;
    this.hw = hw;
    return true;
  }

  /**
   * A follower fetched from `fetchOffset` (its log end offset) at `nowMs` (Kafka's
   * updateFollowerFetchState): its catch-up time moves, the high watermark may move, and a
   * follower out of the ISR that reached the high watermark and the start of this leader epoch
   * is proposed for the ISR. Returns whether the high watermark moved and the ISR change to ask
   * the controller for, if any. False/null for a node that is not a replica.
   */
  updateFollowerFetchState(replicaId: number, fetchOffset: bigint, followerLogStartOffset: bigint, nowMs: number): { hwMoved: boolean; isrChange: IsrChange | null } {
    const f = this.followers.get(replicaId);
    if (!this.isLeader || f === undefined) return { hwMoved: false, isrChange: null };
    const leaderEnd = this.log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    f.logEndOffset = fetchOffset;
    f.logStartOffset = followerLogStartOffset;
    f.lastFetchLeaderLogEndOffset = leaderEnd;
    f.lastFetchTimeMs = nowMs;
    let isrChange: IsrChange | null = null;
    const inSync = fetchOffset >= this.hw && fetchOffset >= this.leaderEpochStartOffset;
    if (this.pendingIsr === null && !this.isr.includes(replicaId) && inSync) isrChange = this.proposeIsr([...this.isr, replicaId]);
    return { hwMoved: this.maybeIncrementHighWatermark(), isrChange };
  }

  /**
   * The followers in the ISR that have not caught up within `lagMaxMs` (Kafka's
   * getOutOfSyncReplicas: stuck or slow; one with the leader's log end is never out of sync),
   * proposed for removal. Null when there is nothing to change or a change is in flight.
   */
  maybeShrinkIsr(nowMs: number, lagMaxMs: number): IsrChange | null {
    if (!this.isLeader || this.pendingIsr !== null) return null;
    const leaderEnd = this.log.logEndOffset;
    const out = this.isr.filter((id) => {
      if (id === this.localNodeId) return false;
      const f = this.followers.get(id);
      return f === undefined || (f.logEndOffset !== leaderEnd && nowMs - f.lastCaughtUpTimeMs > lagMaxMs);
    });
    if (out.length === 0) return null;
    return this.proposeIsr(this.isr.filter((id) => !out.includes(id)));
  }

  private proposeIsr(isr: number[]): IsrChange {
    this.pendingIsr = isr;
    return { topic: this.topic, partition: this.index, leaderEpoch: this.leaderEpoch, partitionEpoch: this.partitionEpoch, isr };
  }

  /** The controller refused or lost the change asked for: the committed state stands, another may be asked. */
  isrChangeFailed(): void {
    this.pendingIsr = null;
  }

  /**
   * min.insync.replicas as Kafka applies it (Partition.effectiveMinIsr): at most the replication
   * factor, so a topic whose minimum exceeds its replicas still takes acks=all writes.
   */
  effectiveMinIsr(minInsyncReplicas: number): number {
    return Math.min(minInsyncReplicas, this.replicas.length);
  }

  // -- the follower's side (the replica fetcher calls these) ------------------------------------

  /** The epoch of this replica's last batch, for Fetch's last_fetched_epoch (-1: none). */
  get latestEpoch(): number {
    return this.log.latestEpoch ?? -1;
  }

  /**
   * The leader's batches appended as they are (offsets and epochs kept) at this replica's log
   * end; the high watermark follows the leader's, never past this log's end (Kafka's
   * appendRecordsToFollowerOrFutureReplica and updateHighWatermark).
   */
  appendAsFollower(batches: Buffer, infos: readonly BatchInfo[], leaderHighWatermark: bigint): void {
    if (infos.length > 0) this.log.appendAsFollower(batches, infos);
    this.followHighWatermark(leaderHighWatermark);
  }

  /** The follower's high watermark: the leader's, cut at this log's end. */
  followHighWatermark(leaderHighWatermark: bigint): void {
    const end = this.log.logEndOffset;
    this.hw = leaderHighWatermark < end ? leaderHighWatermark : end;
  }

  /**
   * Where this replica must cut its log after the leader reported a diverging epoch (Kafka's
   * getOffsetTruncationState): the end of that epoch here if this log has it, else of the newest
   * epoch below it; never beyond the leader's end of the epoch nor this log's end.
   */
  truncationOffsetFor(diverging: { epoch: number; endOffset: bigint }): bigint {
    const end = this.log.logEndOffset;
    const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
    if (diverging.endOffset < 0n) return this.hw;
    if (diverging.epoch < 0) return min(diverging.endOffset, end);
    const mine = this.log.endOffsetForEpoch(diverging.epoch);
    if (mine.epoch < 0 || mine.endOffset < 0n) return min(diverging.endOffset, end);
    if (mine.epoch !== diverging.epoch) return min(mine.endOffset, end);
    return min(min(mine.endOffset, diverging.endOffset), end);
  }

  /** Cuts this replica's log back to `offset` (a diverged tail); the high watermark stays at or below it. */
  truncateTo(offset: bigint): void {
    this.log.truncateTo(offset);
    if (this.hw > offset) this.hw = offset;
  }

  /** Empties the log and restarts it at `offset` (the leader's log start passed this replica's end). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.log.truncateFullyAndStartAt(offset);
    this.hw = offset;
  }

  /** A client's batch appended as leader: producer-state check and append in one step (the log's). */
  appendRecordsAsLeader(batches: Buffer, infos: readonly BatchInfo[]): LeaderAppend {
    const out = this.log.appendAsLeader(batches, infos, { leaderEpoch: this.leaderEpoch });
    if (out.kind === 'appended') this.maybeIncrementHighWatermark();
    return out;
  }

  /** A coordinator's own batch (internal topics): no producer-state check beyond the log's. */
  appendAsCoordinator(batches: Buffer, infos: readonly BatchInfo[]): AppendResult {
    const out = this.log.append(batches, infos, this.epochOption());
    this.maybeIncrementHighWatermark();
    return out;
  }

  /** A commit or abort marker of a producer's transaction (written by the transaction coordinator). */
  appendMarker(producerId: bigint, producerEpoch: number, commit: boolean, coordinatorEpoch: number): AppendResult {
    // Stamped with this leader's epoch like every batch it writes: a follower that fetched it
    // must find its epoch in the leader's epoch cache, or it would truncate it again and again.
    const out = this.log.appendMarker(producerId, producerEpoch, commit, coordinatorEpoch, this.epochOption());
    this.maybeIncrementHighWatermark();
    return out;
  }

  /**
   * Whether this producer, at this epoch, has a transaction open here (a transactional batch
   * appended and no marker yet): Kafka's verification guard asks the coordinator only before the
   * first batch of a transaction on a partition.
   */
  hasOpenTransaction(producerId: bigint, producerEpoch: number): boolean {
    const entry = this.log.producers.producers.get(producerId);
    return entry !== undefined && entry.epoch === producerEpoch && entry.currentTxnFirstOffset !== null;
  }

  /** The coordinator epoch of the last marker of this producer's transactions here (-1: none). */
  producerCoordinatorEpoch(producerId: bigint): number {
    return this.log.producers.coordinatorEpoch(producerId);
  }

  private epochOption(): AppendOptions {
    return { leaderEpoch: this.leaderEpoch };
  }

  /**
   * Whole batches from `fetchOffset`, up to `maxBytes` (one batch beyond when `minOneBatch`),
   * ending before the isolation's bound: the high watermark, the last stable offset (with the
   * aborted transactions the records overlap), or the log end (a coordinator loading its state).
   */
  read(fetchOffset: bigint, maxBytes: number, opts: ReadOptions): PartitionRead {
    // Every answer is one object literal of the same shape (no spreads): a fetch of many idle
    // partitions calls this once per partition, so its cost is the fetch's cost.
    const highWatermark = this.hw;
    const lastStableOffset = this.lastStableOffset;
    const logStartOffset = this.log.logStartOffset;
    const answer = (errorCode: number, records: Buffer, abortedTransactions: AbortedTxn[] | null = null, divergingEpoch: PartitionRead['divergingEpoch'] = null): PartitionRead => ({
      errorCode,
      records,
      highWatermark,
      lastStableOffset,
      logStartOffset,
      abortedTransactions,
      divergingEpoch,
    });
    if (opts.lastFetchedEpoch !== undefined && opts.lastFetchedEpoch >= 0) {
      // Kafka's readRecords: the end of the fetcher's last epoch here decides whether its log
      // diverged; an epoch this log cannot place, or an offset below its start, is out of range.
      const end = this.log.endOffsetForEpoch(opts.lastFetchedEpoch);
      if (end.epoch < 0 || end.endOffset < 0n || fetchOffset < logStartOffset) return answer(ErrorCode.OFFSET_OUT_OF_RANGE, EMPTY);
      if (end.epoch < opts.lastFetchedEpoch || end.endOffset < fetchOffset) {
        return answer(ErrorCode.NONE, EMPTY, null, { epoch: end.epoch, endOffset: end.endOffset });
      }
    }
    const read = this.log.read(fetchOffset, maxBytes, { minOneBatch: opts.minOneBatch });
    if (read.errorCode !== ErrorCode.NONE) return answer(read.errorCode, EMPTY);
    if (opts.isolation === 'log-end') return answer(ErrorCode.NONE, read.records);
    if (opts.isolation === 'high-watermark') {
      // Nothing to cut when everything up to the log end is committed (the usual case).
      return answer(ErrorCode.NONE, highWatermark >= this.log.logEndOffset ? read.records : cutBefore(read.records, highWatermark).records);
    }
    const cut = cutBefore(read.records, lastStableOffset);
    return answer(ErrorCode.NONE, cut.records, cut.nextOffset === null ? [] : this.log.abortedTransactions(fetchOffset, cut.nextOffset));
  }

  /** ListOffsets by time: the first record at or after `targetMs` from the log start, or null. */
  offsetForTimestamp(targetMs: bigint): TimestampOffset | null {
    return this.log.offsetForTimestamp(targetMs);
  }

  /** ListOffsets MAX_TIMESTAMP (KIP-734). */
  maxTimestampAndOffset(): TimestampOffset | null {
    return this.log.maxTimestampAndOffset();
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (-1n: the high watermark). Returns the
   * new log start offset, or null when `offset` lies past the high watermark.
   */
  deleteRecordsBefore(offset: bigint): bigint | null {
    const target = offset === -1n ? this.hw : offset;
    if (target > this.hw) return null;
    return this.log.deleteRecordsBefore(target);
  }

  /** Bytes of the partition's segments. */
  sizeBytes(): number {
    return this.log.sizeBytes();
  }

  /** Segments of the partition's log (the inspector, GET /partitions). */
  get segmentCount(): number {
    return this.log.segmentCount;
  }

  /** The producers with state here (DescribeProducers). */
  activeProducers(): ProducerEntry[] {
    return [...this.log.producers.producers.values()];
  }
}
