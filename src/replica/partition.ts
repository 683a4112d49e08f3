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

export class Partition {
  /** The leader epoch this broker leads with (0 until the controller elects another leader). */
  leaderEpoch = 0;
  /** Node ids of the replicas, the preferred leader first. */
  replicas: number[];
  /** Node ids of the in-sync replicas. */
  isr: number[];
  /** Log end offsets of the followers, as their fetches report them. */
  private readonly followerEnds = new Map<number, bigint>();
  private hw: bigint;

  constructor(
    readonly topic: string,
    readonly index: number,
    private readonly log: PartitionLog,
    readonly localNodeId: number,
  ) {
    this.replicas = [localNodeId];
    this.isr = [localNodeId];
    this.hw = log.logEndOffset;
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

  /**
   * Takes the controller's committed state of this partition: leader epoch, replicas, ISR
   * (Kafka's makeLeader; the follower side comes with replication).
   */
  applyState(state: { leaderEpoch: number; replicas: readonly number[]; isr: readonly number[] }): void {
    this.leaderEpoch = state.leaderEpoch;
    this.replicas = [...state.replicas];
    this.isr = [...state.isr];
    for (const id of this.followerEnds.keys()) if (!this.replicas.includes(id)) this.followerEnds.delete(id);
    // A new leader epoch starts at the log end, known before anything is written under it.
    const latest = this.log.latestEpoch;
    if (!this.log.isOffline && (latest === null || state.leaderEpoch > latest)) {
      try {
        this.log.assignEpochStartOffset(state.leaderEpoch);
      } catch (e) {
        // The write failed and took the log offline; requests answer KAFKA_STORAGE_ERROR.
        if (!(e instanceof LogStorageError)) throw e;
      }
    }
    this.maybeIncrementHighWatermark();
  }

  /**
   * OffsetForLeaderEpoch: where `leaderEpoch` ends in this partition's log, with the epoch found
   * (Kafka's lastOffsetForLeaderEpoch); (-1, -1) when the log cannot tell.
   */
  endOffsetForEpoch(leaderEpoch: number): { epoch: number; endOffset: bigint } {
    return this.log.endOffsetForEpoch(leaderEpoch);
  }

  /**
   * Moves the high watermark to the least log end offset over the ISR. Returns true when it
   * moved, so that the replica manager wakes what waits for it.
   */
  maybeIncrementHighWatermark(): boolean {
    let hw = this.log.logEndOffset;
    for (const id of this.isr) {
      if (id === this.localNodeId) continue;
      const end = this.followerEnds.get(id) ?? 0n;
      if (end < hw) hw = end;
    }
    if (hw <= this.hw) return false;
    this.hw = hw;
    return true;
  }

  /**
   * A follower's fetch reported its log end offset (Kafka's updateFollowerFetchState). Returns
   * true when the high watermark moved.
   */
  updateFollowerEnd(replicaId: number, logEndOffset: bigint): boolean {
    if (replicaId === this.localNodeId || !this.replicas.includes(replicaId)) return false;
    this.followerEnds.set(replicaId, logEndOffset);
    return this.maybeIncrementHighWatermark();
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
    const out = this.log.appendMarker(producerId, producerEpoch, commit, coordinatorEpoch);
    this.maybeIncrementHighWatermark();
    return out;
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
    const base = { highWatermark: this.hw, lastStableOffset: this.lastStableOffset, logStartOffset: this.log.logStartOffset, abortedTransactions: null, divergingEpoch: null };
    const outOfRange = { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: EMPTY };
    if (opts.lastFetchedEpoch !== undefined && opts.lastFetchedEpoch >= 0) {
      // Kafka's readRecords: the end of the fetcher's last epoch here decides whether its log
      // diverged; an epoch this log cannot place, or an offset below its start, is out of range.
      const end = this.log.endOffsetForEpoch(opts.lastFetchedEpoch);
      if (end.epoch < 0 || end.endOffset < 0n || fetchOffset < base.logStartOffset) return outOfRange;
      if (end.epoch < opts.lastFetchedEpoch || end.endOffset < fetchOffset) {
        return { ...base, errorCode: ErrorCode.NONE, records: EMPTY, divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset } };
      }
    }
    const read = this.log.read(fetchOffset, maxBytes, { minOneBatch: opts.minOneBatch });
    if (read.errorCode !== ErrorCode.NONE) return { ...base, errorCode: read.errorCode, records: EMPTY };
    if (opts.isolation === 'log-end') return { ...base, errorCode: ErrorCode.NONE, records: read.records };
    if (opts.isolation === 'high-watermark') {
      // Nothing to cut when everything up to the log end is committed (the usual case).
      const records = this.hw >= this.log.logEndOffset ? read.records : cutBefore(read.records, this.hw).records;
      return { ...base, errorCode: ErrorCode.NONE, records };
    }
    const cut = cutBefore(read.records, base.lastStableOffset);
    const abortedTransactions = cut.nextOffset === null ? [] : this.log.abortedTransactions(fetchOffset, cut.nextOffset);
    return { ...base, errorCode: ErrorCode.NONE, records: cut.records, abortedTransactions };
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

  /** The producers with state here (DescribeProducers). */
  activeProducers(): ProducerEntry[] {
    return [...this.log.producers.producers.values()];
  }
}
