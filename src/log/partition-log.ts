/**
 * The log of one partition: a directory of segments (see segment.ts for the three files of a
 * segment), the last of which is active and takes appends.
 *
 * Directory layout:
 *   <20-digit base>.log / .index / .timeindex   the segments (segment.ts)
 *   log-format       "sluice-log-format 1\n": version of this layout and of the index files.
 *                    Written (atomically) when the directory is created; a directory without it
 *                    is taken as version 1 (e.g. copied from Kafka, whose formats are the same);
 *                    a higher version is refused.
 *   <20-digit offset>.snapshot  producer state (idempotence) as of that offset; format in
 *                    log/producer-state.ts. Written at clean close, and for each roll once the
 *                    rolled segment's async fsync has completed (state as of the roll); the two
 *                    newest are kept. open() loads the newest one at or below the log end and
 *                    rebuilds the rest from the batch headers after it. The newest snapshot's
 *                    offset is also the recovery point: every segment below it is durable.
 *   <base>.txnindex  aborted transactions whose abort marker is in that segment (txn-index.ts).
 *                    All entries are kept in memory: READ_COMMITTED fetches list the aborted
 *                    transactions overlapping what they return.
 *   clean-shutdown   "sluice-clean-shutdown 1\n<log end offset>\n", written atomically by
 *                    close() after everything was fsynced, removed by open(). Its presence means
 *                    the files are complete and consistent (Kafka's `.kafka_cleanshutdown`, kept
 *                    per partition here).
 *
 *   cleaner-offset, cleaning/, clean-swap   compaction's checkpoint, work area and commit point
 *                    (cleaner.ts describes them and what open() does with each).
 *   leader-epoch-checkpoint  the leader-epoch cache, Kafka's file (leader-epoch-cache.ts): where each
 *                    leader epoch's batches start. An epoch is recorded before its first batch is
 *                    written (a new empty log's first epoch at the next flush, roll or close,
 *                    since its batches carry it); open() trims the file to the log's start and end and assigns the
 *                    epochs of batches read back past the newest snapshot (a crash can leave it
 *                    ahead of or behind the data). Missing (a log from an older Sluice) or
 *                    corrupt: rebuilt from every batch header.
 *   log-start-offset "sluice-log-start-offset 1\n<offset>\n": the log start offset when DeleteRecords
 *                    moved it inside the first segment (written atomically); without it, or when
 *                    it is below the first segment's base, the start is that base; above the
 *                    log end, the start is the end. A truncation below it rewrites it; it is
 *                    truncateFullyAndStartAt's commit point (below).
 *
 * Offsets: `logStartOffset` is the base offset of the first segment, or further into it after
 * DeleteRecords; `logEndOffset` is the next
 * offset to assign, which on a single node is also the high watermark. Appends assign offsets by
 * overwriting each batch's baseOffset in place (record-batch.ts), then write the whole produce
 * payload with one write.
 *
 * Roll: before an append, a new segment (named by the log end offset) starts when the active one
 * is not empty and (a) the append would take it past `segmentBytes`, (b) it is older than
 * `segmentMs`, (c) either index is full, or (d) the append's last offset does not fit in an int32
 * relative to its base. The old segment is sealed: a final time index entry, then an fsync of its
 * three files off the JavaScript thread (FileIO.fsyncAsync; Kafka too flushes a rolled segment in
 * the background), after which the producer snapshot of the roll is written. Appends go on
 * meanwhile; a failed fsync takes the log offline.
 *
 * Flush: log.flush.interval.messages (`flushMessages`, counted in offsets) is checked after each
 * append; log.flush.interval.ms (`flushMs`) by `maybeFlush(nowMs)`, which the broker calls from a
 * timer. Both default to "never", as in Kafka: data is then durable against a process crash
 * (page cache) but not against power loss.
 *
 * Follower append (`appendAsFollower`, Kafka's UnifiedLog.appendAsFollower): the leader's batches
 * are written as they are, offsets and leader epochs kept; the first must start at or past the
 * log end, and offsets must increase (else UnexpectedAppendOffsetError / OffsetsOutOfOrderError,
 * nothing written). Producer state, markers, the .txnindex and the leader-epoch cache follow the
 * batches as for a leader's append, without the producer checks.
 *
 * Truncation (a follower whose log diverged from the leader's, KIP-101/KIP-279 with the epochs of
 * KIP-320/KIP-595; the metadata log's failed append). `truncateTo(offset)` removes every batch
 * from the one holding `offset` on and leaves the log open, in this order:
 *   1. the segments wholly past the cut are deleted, newest first, the directory fsynced after
 *      each (so the files always hold a prefix of the log, never a hole);
 *   2. the segment holding the offset is cut at the start of that batch (the whole batch goes),
 *      fsynced, its indexes rebuilt, and becomes the active segment;
 *   3. producer snapshots past the new end are deleted;
 *   4. aborted-transaction entries from the new end on are dropped, and that segment's .txnindex
 *      rewritten atomically;
 *   5. the leader-epoch cache loses the entries from the new end on; the log start comes down to
 *      the new end if it was above (Kafka: min(log start, offset)); the cleaner's checkpoint too;
 *   6. producer state is rebuilt in memory: newest snapshot at or below the new end, then the
 *      batch headers after it.
 * A kill -9 or power loss anywhere in it leaves a log that is a prefix of the old one, at least as
 * long as the truncated one, with files that may run past it (snapshots, .txnindex entries, epoch
 * entries, a log start or cleaner checkpoint above the end); open() trims each of those to the
 * log end (see below and leader-epoch-cache.ts; the cleaner ignores a checkpoint outside the
 * log), so the reopened log is the old one cut
 * somewhere between the two ends, and the follower truncates again by its epochs. A roll's
 * background snapshot taken before a truncation is never written after it.
 * `truncateFullyAndStartAt(offset)` (the follower fell below the leader's log start): the epoch
 * cache is cleared and every snapshot deleted; the segments holding offsets at or past `offset`
 * are deleted newest first; then log-start-offset is written with `offset` (the commit point);
 * then the new empty segment at `offset` is created and the older segments deleted. A crash
 * before the commit point leaves a prefix of the old log (open() rebuilds the epochs and producer
 * state from its batches); after it, the log start is `offset` clamped to the log end: an empty
 * log at `offset` once the new segment exists (open() deletes segments wholly below the log
 * start), else an empty log at the end of what is left, at 0 if nothing is (the follower
 * restarts it again).
 *
 * Crash behaviour: without the clean-shutdown file, open() recovers every segment past the
 * recovery point (the newest snapshot's offset; all sealed segments when there is none): a sealed
 * one there may have missed its fsync, so its headers and CRCs are checked; a bad one becomes the
 * end of the log (later segments are removed, their data came after the tear). The active segment
 * is always recovered (scans the .log checking headers and CRCs, truncates a torn or corrupt
 * tail, rewrites its indexes). Segments below the recovery point are trusted, their indexes
 * checked and, if missing or bad, rebuilt when first used. A failed write or fsync takes the log
 * offline: every later call throws LogStorageError (the request handlers answer
 * KAFKA_STORAGE_ERROR) until the log is closed and opened again, which recovers it.
 *
 * Concurrency: one PartitionLog per directory per process, used from the broker's thread only;
 * every method is synchronous, so no call observes another half done. The only work in the
 * background is the fsyncs of rolls and of the flush.ms timer (`whenSynced()` waits for them);
 * what runs when one completes (the roll's snapshot) is again on the broker's thread.
 */
import { join } from 'node:path';
import { ErrorCode } from '../protocol/errors.js';
import { EMPTY } from '../protocol/wire.js';
import { readSmallFile, writeSmallFileAtomic, type FileIO } from './file-io.js';
import { assignOffsets, BatchField, LOG_OVERHEAD, readBatchInfo, setLogAppendTime, type BatchInfo } from './record-batch.js';
import { ProducerStateManager, type AbortedTxn } from './producer-state.js';
import { LEADER_EPOCH_CHECKPOINT_FILE, LeaderEpochCache, LeaderEpochCheckpointError, type BatchEpoch, type EpochEndOffset } from './leader-epoch-cache.js';
import { buildMarkerBatch, readMarker } from './markers.js';
import { appendTxnEntry, readTxnIndex, syncTxnIndex, TXN_INDEX_SUFFIX, writeTxnIndex } from './txn-index.js';
import { CLEANER_OFFSET_FILE, CleanedSegmentWriter, completeSwap, readCleanerCheckpoint, recoverInterruptedClean, writeCleanSwap, writeCleanerCheckpoint, type CleanerCheckpoint, type SealedSegment } from './cleaner.js';
import {
  INDEX_SUFFIX,
  LOG_SUFFIX,
  LogCorruptionError,
  parseSegmentFileName,
  RELATIVE_OFFSET_MAX,
  Segment,
  TIME_INDEX_SUFFIX,
  floorIndex,
  segmentFileName,
  type TimestampOffset,
} from './segment.js';

export interface LogConfig {
  /** segment.bytes */
  segmentBytes: number;
  /** segment.ms */
  segmentMs: number;
  /** index.interval.bytes */
  indexIntervalBytes: number;
  /** segment.index.bytes */
  segmentIndexBytes: number;
  /** flush.messages (log.flush.interval.messages) */
  flushMessages: number;
  /** flush.ms (log.flush.interval.ms) */
  flushMs: number;
  /** message.timestamp.type */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
}

/** Kafka's defaults. "Never" (Long.MAX_VALUE in Kafka) is Number.MAX_SAFE_INTEGER here. */
export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
});

export const LOG_FORMAT_FILE = 'log-format';
export const LOG_FORMAT_VERSION = 1;
export const CLEAN_SHUTDOWN_FILE = 'clean-shutdown';
const LOG_START_FILE = 'log-start-offset';
const START_LINE = /^sluice-log-start-offset 1\n(\d+)\n$/;
const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;
/** Producer snapshots kept: the newest two, so a bad newest one still leaves a starting point. */
const SNAPSHOTS_KEPT = 2;
/** Refuse to read a snapshot larger than this (a million producers' worth). */
const SNAPSHOT_BYTES_MAX = 256 * 1024 * 1024;
/** Bytes read at a time when rebuilding producer state from batch headers. */
const PRODUCER_SCAN_BYTES = 1024 * 1024;
const FORMAT_LINE = /^sluice-log-format (\d+)\n/;
const CLEAN_LINE = /^sluice-clean-shutdown 1\n(\d+)\n$/;

/** The log's files failed it; it is offline until reopened. Handlers answer KAFKA_STORAGE_ERROR. */
export class LogStorageError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'LogStorageError';
  }
}

/**
 * appendAsFollower: the first batch starts below the log end (Kafka's
 * UnexpectedAppendOffsetException). Nothing was written. The replica fetcher acts on it: when the
 * log is empty and the batch holds the log end (the leader's log start fell inside that batch,
 * after DeleteRecords), Kafka's Partition restarts the log at `firstOffset` with
 * truncateFullyAndStartAt and appends again; otherwise the fetch position was wrong.
 */
export class UnexpectedAppendOffsetError extends Error {
  constructor(
    readonly firstOffset: bigint,
    readonly lastOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(`unexpected offset in a follower append: first offset ${firstOffset} is below the log end offset ${logEndOffset} (last offset ${lastOffset})`);
    this.name = 'UnexpectedAppendOffsetError';
  }
}

/** appendAsFollower: a batch does not start after the previous one ends (Kafka's OffsetsOutOfOrderException). Nothing was written. */
export class OffsetsOutOfOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsOutOfOrderError';
  }
}

export interface OpenOptions {
  /** Wall clock in ms (tests pass a fake). */
  now?: () => number;
  /** partitionLeaderEpoch written into appended batches unless an append says otherwise. */
  leaderEpoch?: number;
}

export interface AppendOptions {
  /** Append time for LogAppendTime topics; defaults to now(). */
  logAppendTimeMs?: number;
  /** Overrides the log's leader epoch for these batches. */
  leaderEpoch?: number;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The time written into the batches for LogAppendTime topics, -1 for CreateTime. */
  logAppendTimeMs: number;
  logStartOffset: bigint;
}

/** What appendAsFollower wrote: the batches' own offsets, and the log end after them. */
export interface FollowerAppendResult {
  firstOffset: bigint;
  lastOffset: bigint;
  logEndOffset: bigint;
}

/** What an append as leader did: appended, found a retry of a recent batch, or refused it. */
export type LeaderAppend =
  | ({ kind: 'appended' } & AppendResult)
  | { kind: 'duplicate'; firstOffset: bigint; lastOffset: bigint }
  | { kind: 'error'; errorCode: number; message: string };

export interface ReadResult {
  /** NONE, or OFFSET_OUT_OF_RANGE when fetchOffset < logStartOffset or > logEndOffset. */
  errorCode: number;
  /** Whole batches as stored; may start before fetchOffset. Empty at the log end. */
  records: Buffer;
  highWatermark: bigint;
  logStartOffset: bigint;
}

export interface OpenReport {
  /** False when the directory was not closed cleanly (or the marker did not match). */
  cleanShutdown: boolean;
  /** Bytes cut from the active segment's tail by recovery. */
  truncatedBytes: number;
  /** Segments removed by recovery because an earlier one was torn (see the module comment). */
  droppedSegments: number;
}

export class PartitionLog {
  private readonly segments: Segment[];
  private nextOffset: bigint;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private offline: LogStorageError | null = null;
  private closed = false;
  leaderEpoch: number;
  /** What open() found: for logging and tests. */
  readonly openReport: OpenReport;
  /** .txnindex files appended to since their last fsync. */
  private readonly unsyncedTxnIndexes = new Set<string>();
  /** Rolled segments whose background fsync has not completed yet. */
  private readonly sealing = new Set<Segment>();
  /** The chain of background file work (inBackground); settles, never rejects. */
  private background: Promise<void> = Promise.resolve();
  /** Offsets below this were deleted by DeleteRecords (0 when never). */
  private deletedBefore = 0n;
  /** Sequence and transaction state of the producers writing here. */
  readonly producers = new ProducerStateManager();
  /** Aborted transactions, in marker order (from the .txnindex files). */
  private aborted: AbortedTxn[] = [];
  /** Where each leader epoch's batches start (set up by open()). */
  private epochs!: LeaderEpochCache;
  /**
   * Bumped by every truncation: a roll's background snapshot taken before one is not written
   * (its state may include batches that are gone).
   */
  private truncations = 0;

  private constructor(
    readonly dir: string,
    public config: Readonly<LogConfig>,
    private readonly io: FileIO,
    private readonly now: () => number,
    segments: Segment[],
    report: OpenReport,
    leaderEpoch: number,
  ) {
    this.segments = segments;
    this.nextOffset = this.active.nextOffset;
    this.lastFlushMs = now();
    this.openReport = report;
    this.leaderEpoch = leaderEpoch;
  }

  /**
   * Opens the log in `dir`, creating the directory and a first segment when absent, and recovers
   * the active segment when the last shutdown was not clean.
   */
  static open(dir: string, config: LogConfig, io: FileIO, opts: OpenOptions = {}): PartitionLog {
    checkConfig(config);
    const now = opts.now ?? Date.now;
    const nowMs = now();
    io.mkdir(dir);
    recoverInterruptedClean(dir, io); // compaction: finish or undo an interrupted segment swap (cleaner.ts)
    const segOpts = { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes };
    const bases = PartitionLog.scanDirectory(dir, io);
    checkFormatFile(dir, io, bases.length === 0);

    const marker = readSmallFile(io, join(dir, CLEAN_SHUTDOWN_FILE), 256);
    const markerMatch = marker === null ? null : CLEAN_LINE.exec(marker.toString('latin1'));
    let clean = markerMatch !== null;
    const segments: Segment[] = [];
    for (const base of bases) segments.push(Segment.existing(io, dir, base, segOpts, nowMs));
    let truncatedBytes = 0;
    let droppedSegments = 0;
    if (!clean) ({ droppedSegments } = PartitionLog.recoverSealedSegments(dir, io, segments));
    if (segments.length === 0) {
      segments.push(Segment.create(io, dir, 0n, segOpts, nowMs));
    } else {
      const active = segments[segments.length - 1]!;
      truncatedBytes = active.openActive(clean, nowMs).truncatedBytes;
      if (clean && active.nextOffset.toString() !== markerMatch![1]) {
        // The marker disagrees with the files: trust neither, recover.
        clean = false;
        active.closeHandles();
        truncatedBytes = active.openActive(false, nowMs).truncatedBytes;
      }
    }
    if (marker !== null) {
      // From here on a crash must lead to recovery.
      io.unlink(join(dir, CLEAN_SHUTDOWN_FILE));
      io.fsyncDir(dir);
    }
    const plog = new PartitionLog(dir, config, io, now, segments, { cleanShutdown: clean, truncatedBytes, droppedSegments }, opts.leaderEpoch ?? 0);
    const start = readSmallFile(io, join(dir, LOG_START_FILE), 256);
    const startMatch = start === null ? null : START_LINE.exec(start.toString('latin1'));
    if (startMatch) plog.deletedBefore = BigInt(startMatch[1]!) > plog.nextOffset ? plog.nextOffset : BigInt(startMatch[1]!);
    plog.loadEpochs();
    // Segments wholly below the log start (left by a truncateFullyAndStartAt that a crash cut
    // short; DeleteRecords removes its own at once) hold nothing readable.
    plog.deleteOldestSegments(plog.segmentsBelow(plog.logStartOffset));
    return plog;
  }

  /**
   * The leader-epoch cache at open: the checkpoint, completed from the batches read back past the
   * newest snapshot (loadProducerState's scan), trimmed to the log; rebuilt from every batch when
   * the file is missing under existing data or corrupt (Kafka fails the load instead).
   */
  private loadEpochs(): void {
    const path = join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE);
    let cache: LeaderEpochCache | null = null;
    if (this.io.exists(path) || this.nextOffset === this.logStartOffset) {
      try {
        cache = LeaderEpochCache.open(this.io, this.dir);
      } catch (e) {
        if (!(e instanceof LeaderEpochCheckpointError)) throw e;
      }
    }
    const scanned: BatchEpoch[] = [];
    this.loadProducerState((e) => scanned.push(e));
    if (cache === null) {
      const all: BatchEpoch[] = [];
      this.forEachBatchHeader(this.logStartOffset, (records, pos, _size, base) => all.push({ partitionLeaderEpoch: records.readInt32BE(pos + BatchField.partitionLeaderEpoch), baseOffset: base }));
      cache = LeaderEpochCache.rebuild(this.io, this.dir, all);
    } else {
      cache.assignFromBatches(scanned);
    }
    // An empty log whose file holds only the epoch an open assigns at its end (what an earlier
    // close wrote) is already what the steps below end with (entries at the end dropped, the epoch
    // assigned there again): leave it, so that an open of an idle partition writes nothing.
    if (!this.epochsDerivable(cache)) cache.truncateFromEnd(this.nextOffset);
    cache.truncateFromStart(this.logStartOffset);
    // A log with no epoch yet (a new partition) starts its leader epoch at its end now, as Kafka's
    // new leader does, so that appends never wait for the checkpoint's fsync. The file is written
    // at the next flush, roll or close after an append (a close of a log still empty leaves it:
    // the next open assigns the same): creating a topic costs no extra fsync per partition, and
    // a crash before then leaves batches that carry the epoch (the file is rebuilt from them).
    if (cache.latestEpoch === null && this.leaderEpoch >= 0) cache.assignInMemory(this.leaderEpoch, this.nextOffset);
    this.epochs = cache;
  }

  /**
   * Whether `cache` holds just what an open of this log derives without a file: an empty log
   * whose only epoch is the one an open assigns, starting at its end. Its checkpoint need not be
   * written (a close skips it) nor rewritten (an open leaves it).
   */
  private epochsDerivable(cache: LeaderEpochCache): boolean {
    if (this.nextOffset !== this.logStartOffset || cache.size !== 1) return false;
    const only = cache.latestEntry!;
    return only.epoch === this.leaderEpoch && only.startOffset === this.nextOffset;
  }

  /**
   * Unclean open: checks the sealed segments past the recovery point (the newest snapshot's
   * offset, below which every segment was fsynced before the snapshot was written). The first
   * one found torn becomes the last segment; the ones after it are deleted.
   */
  private static recoverSealedSegments(dir: string, io: FileIO, segments: Segment[]): { droppedSegments: number } {
    const snapshots = snapshotOffsetsIn(dir, io);
    const recoveryPoint = snapshots.length === 0 ? -1n : snapshots[snapshots.length - 1]!;
    for (let i = 0; i < segments.length - 1; i++) {
      const nextBase = segments[i + 1]!.baseOffset;
      if (nextBase <= recoveryPoint) continue;
      if (segments[i]!.recoverSealed(nextBase)) continue;
      const dropped = segments.splice(i + 1);
      for (const s of dropped) s.deleteFiles();
      io.fsyncDir(dir);
      return { droppedSegments: dropped.length };
    }
    return { droppedSegments: 0 };
  }

  private snapshotOffsets(): bigint[] {
    return snapshotOffsetsIn(this.dir, this.io);
  }

  private snapshotPath(offset: bigint): string {
    return join(this.dir, segmentFileName(offset, SNAPSHOT_SUFFIX));
  }

  /**
   * Producer state at open: the newest readable snapshot at or below the log end, then every
   * batch header after it (each also given to `onBatch`). Snapshots past the log end (a truncated tail) are removed.
   */
  private loadProducerState(onBatch: (e: BatchEpoch) => void): void {
    this.loadTxnIndexes();
    this.rebuildProducerState(onBatch);
  }

  /**
   * Producer state from the newest readable snapshot at or below the log end and the batch
   * headers after it (at open, and after a truncation). `this.aborted` must already hold the
   * aborted transactions below the log end: a marker met again is not recorded twice.
   */
  private rebuildProducerState(onBatch: (e: BatchEpoch) => void = () => {}): void {
    this.producers.clear();
    let from = this.logStartOffset;
    for (const offset of this.snapshotOffsets().reverse()) {
      if (offset > this.nextOffset) {
        this.io.unlink(this.snapshotPath(offset));
        continue;
      }
      const buf = readSmallFile(this.io, this.snapshotPath(offset), SNAPSHOT_BYTES_MAX);
      if (buf !== null && offset >= this.logStartOffset && this.producers.loadSnapshot(buf)) {
        from = offset;
        break;
      }
    }
    this.forEachBatchHeader(from, (records, pos, size, base) => {
      const info = readBatchInfo(records, pos, size);
      if (info.isControl) this.applyMarker(records.subarray(pos, pos + size), info, base, true);
      else this.producers.update(info, base);
      onBatch({ partitionLeaderEpoch: records.readInt32BE(pos + BatchField.partitionLeaderEpoch), baseOffset: base });
    });
  }

  /**
   * Visits every batch from the one holding `from` to the log end, in order, reading
   * PRODUCER_SCAN_BYTES at a time; a batch starting before `from` is skipped.
   */
  private forEachBatchHeader(from: bigint, visit: (records: Buffer, pos: number, size: number, baseOffset: bigint) => void): void {
    let offset = from;
    while (offset < this.nextOffset) {
      const { records } = this.read(offset, PRODUCER_SCAN_BYTES, { minOneBatch: true });
      if (records.length === 0) break;
      for (let pos = 0; pos < records.length; ) {
        const size = LOG_OVERHEAD + records.readInt32BE(pos + BatchField.batchLength);
        const base = records.readBigInt64BE(pos);
        if (base >= offset) visit(records, pos, size, base);
        offset = base + BigInt(records.readInt32BE(pos + BatchField.lastOffsetDelta)) + 1n;
        pos += size;
      }
    }
  }

  /** Loads every segment's aborted-transaction entries, dropping any past the log end. */
  private loadTxnIndexes(): void {
    for (const s of this.segments) {
      const entries = readTxnIndex(this.io, s.txnIndexPath);
      const kept = entries.filter((e) => e.lastOffset < this.nextOffset);
      if (kept.length !== entries.length) writeTxnIndex(this.io, s.txnIndexPath, kept);
      this.aborted.push(...kept);
    }
  }

  /**
   * Applies a stored control batch: a transaction marker closes its producer's transaction; an
   * abort is recorded in the active segment's txnindex (unless a rescan finds it recorded).
   */
  private applyMarker(batch: Buffer, info: BatchInfo, offset: bigint, rescan: boolean): void {
    const marker = readMarker(batch);
    if (marker === null) return;
    const aborted = this.producers.completeTxn(info.producerId, info.producerEpoch, offset, marker.commit, marker.coordinatorEpoch, info.maxTimestamp, this.lastStableOffset);
    if (aborted === null) return;
    if (rescan && this.aborted.some((e) => e.lastOffset === offset)) return;
    this.aborted.push(aborted);
    const segment = this.segments[this.segmentIndexFor(offset)]!;
    appendTxnEntry(this.io, segment.txnIndexPath, aborted);
    this.unsyncedTxnIndexes.add(segment.txnIndexPath);
  }

  /** The last stable offset: the first offset of the oldest open transaction, else the log end. */
  get lastStableOffset(): bigint {
    return this.producers.firstUnstableOffset() ?? this.nextOffset;
  }

  /** Aborted transactions that overlap [fetchOffset, upperBoundOffset), for READ_COMMITTED reads. */
  abortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    return this.aborted.filter((e) => e.lastOffset >= fetchOffset && e.firstOffset < upperBoundOffset);
  }

  /**
   * Writes a commit or abort marker for a producer's transaction (the transaction coordinator
   * calls this for every partition of a transaction it ends).
   */
  appendMarker(producerId: bigint, producerEpoch: number, commit: boolean, coordinatorEpoch: number, opts: AppendOptions = {}): AppendResult {
    const batch = buildMarkerBatch(producerId, producerEpoch, commit, coordinatorEpoch, BigInt(this.now()));
    return this.append(batch, [readBatchInfo(batch, 0, batch.length)], opts);
  }

  /**
   * fsyncs the aborted-transaction entries written since the last sync. Runs before a producer
   * snapshot is written (a snapshot must never be more durable than the abort entries below its
   * offset, which a rescan from it would not restore) and with every flush.
   */
  private syncTxnIndexes(): void {
    for (const path of this.unsyncedTxnIndexes) syncTxnIndex(this.io, path);
    this.unsyncedTxnIndexes.clear();
  }

  /**
   * The snapshot at the log end, unless one with the same bytes is already there (a partition
   * idle since it was opened or last closed) or none is needed (an empty log with no producers:
   * the next open has nothing to scan): its file creation and fsyncs are most of a clean close's
   * cost.
   */
  private writeProducerSnapshotIfChanged(): void {
    const snapshot = this.producers.encodeSnapshot();
    const onDisk = readSmallFile(this.io, this.snapshotPath(this.nextOffset), SNAPSHOT_BYTES_MAX);
    const needless = onDisk === null ? this.producers.producers.size === 0 && this.nextOffset === this.logStartOffset : onDisk.equals(snapshot);
    if (needless) this.syncTxnIndexes();
    else this.writeSnapshotBytes(this.nextOffset, snapshot);
  }

  private writeSnapshotBytes(offset: bigint, snapshot: Buffer): void {
    this.syncTxnIndexes();
    writeSmallFileAtomic(this.io, this.snapshotPath(offset), snapshot);
    const all = this.snapshotOffsets();
    for (const old of all.slice(0, Math.max(0, all.length - SNAPSHOTS_KEPT))) this.io.unlink(this.snapshotPath(old));
  }

  /** Base offsets of the segments in `dir`, ascending; removes index files without a .log. */
  private static scanDirectory(dir: string, io: FileIO): bigint[] {
    const names = io.readdir(dir);
    const bases: bigint[] = [];
    const logs = new Set<string>();
    for (const name of names) {
      const base = parseSegmentFileName(name);
      if (base !== null) {
        bases.push(base);
        logs.add(name.slice(0, -LOG_SUFFIX.length));
      }
    }
    for (const name of names) {
      const suffix = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX].find((s) => name.endsWith(s));
      const stem = suffix === undefined ? null : name.slice(0, -suffix.length);
      if ((stem !== null && /^\d{20}$/.test(stem) && !logs.has(stem)) || name.endsWith('.tmp')) io.unlink(join(dir, name));
    }
    return bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  get logStartOffset(): bigint {
    const base = this.segments[0]!.baseOffset;
    return this.deletedBefore > base ? this.deletedBefore : base;
  }

  /** Next offset to assign; on a single node also the high watermark. */
  get logEndOffset(): bigint {
    return this.nextOffset;
  }

  get highWatermark(): bigint {
    return this.nextOffset;
  }

  get isOffline(): boolean {
    return this.offline !== null;
  }

  /** The newest leader epoch that wrote into this log, or null when none has. */
  get latestEpoch(): number | null {
    return this.epochs.latestEpoch;
  }

  /**
   * Where `leaderEpoch` ends in this log (OffsetForLeaderEpoch, a follower's truncation): the
   * leader-epoch cache's answer against the log end; epoch -1 and offset -1 when it cannot tell.
   */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(leaderEpoch, this.nextOffset);
  }

  /** The epoch of the batch holding `offset`, from the cache; null when unknown. */
  epochForOffset(offset: bigint): number | null {
    return this.epochs.epochForOffset(offset);
  }

  /**
   * Records that `leaderEpoch` starts at the log end (a new leader, Kafka's makeLeader), so that
   * OffsetForLeaderEpoch knows the epoch before anything is written under it.
   */
  assignEpochStartOffset(leaderEpoch: number): void {
    this.guard(() => this.epochs.assign(leaderEpoch, this.nextOffset));
  }

  /** Segments of the log, the active one included. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Total bytes of the segments' .log files. */
  sizeBytes(): number {
    return this.guard(() => {
      let total = 0;
      for (let i = 0; i < this.segments.length; i++) total += this.loaded(i).size;
      return total;
    });
  }

  private usable(): void {
    if (this.offline) throw this.offline;
    if (this.closed) throw new Error(`log ${this.dir} is closed`);
  }

  /** Runs an operation that touches files; an I/O failure takes the log offline. */
  private guard<T>(op: () => T): T {
    this.usable();
    try {
      return op();
    } catch (e) {
      if (e instanceof LogStorageError) throw e;
      if (!isStorageFailure(e)) throw e;
      this.offline = new LogStorageError(`log ${this.dir} is offline: ${e instanceof Error ? e.message : String(e)}`, e);
      throw this.offline;
    }
  }

  /**
   * Queues background file work (the fsync of a roll or of the flush timer) behind what is
   * already queued, so snapshots are written in roll order. A failure takes the log offline.
   */
  private inBackground(work: () => Promise<void>): void {
    this.background = this.background
      .then(async () => {
        if (this.offline !== null) return;
        await work();
      })
      .catch((e: unknown) => {
        if (this.offline !== null || this.closed) return;
        if (!isStorageFailure(e)) {
          // A bug: say so loudly, and keep the log offline rather than guess at its state.
          console.error(`sluice: background file work of ${this.dir} failed:`, e);
        }
        this.offline = new LogStorageError(`log ${this.dir} is offline: ${e instanceof Error ? e.message : String(e)}`, e);
      });
  }

  /** Resolves when the background fsyncs queued so far (and their snapshots) are done. */
  whenSynced(): Promise<void> {
    return this.background;
  }

  private loaded(i: number): Segment {
    const s = this.segments[i]!;
    if (!s.isLoaded) s.ensureLoaded(this.segments[i + 1]?.baseOffset ?? this.nextOffset);
    return s;
  }

  // -- append -----------------------------------------------------------------------------------

  /**
   * The append of a client's batch as leader: the producer-state check and the append in one
   * step, so no other append can come between them. A retry of one of the producer's last five
   * batches is answered with its original offsets and not written again; a stale epoch or a
   * sequence gap is refused (producer-state.ts). Everything else as `append`.
   */
  appendAsLeader(batches: Buffer, infos: readonly BatchInfo[], opts: AppendOptions = {}): LeaderAppend {
    const sequence = this.producers.check(infos[0]!);
    if (sequence.kind === 'error') return { kind: 'error', errorCode: sequence.errorCode, message: sequence.message };
    if (sequence.kind === 'duplicate') return { kind: 'duplicate', firstOffset: sequence.firstOffset, lastOffset: sequence.lastOffset };
    return { kind: 'appended', ...this.append(batches, infos, opts) };
  }

  /**
   * Kafka's UnifiedLog.appendAsFollower: batches fetched from the leader (`infos` from
   * validateBatches with origin 'replication' over exactly `batches`), written as they are:
   * baseOffset, partitionLeaderEpoch, timestamps and CRC untouched. The first batch must start at
   * or past the log end (past it: a gap, as a compacted leader's log has), else
   * UnexpectedAppendOffsetError; each later batch must start after the previous one ends, else
   * OffsetsOutOfOrderError; both are thrown before anything is written. Producer state follows
   * the batches without any check (the leader decided: no duplicate, epoch or sequence refusal),
   * transaction markers close transactions and record aborts in the .txnindex, and each batch's
   * epoch is assigned in the leader-epoch cache at its base offset before it is written (Kafka's
   * maybeAssignEpochStartOffset per batch). Roll rules as for any append; a set larger than a
   * segment (a fetch may return more than segment.bytes) is written as several runs of whole
   * batches, each after its own roll check, and a new segment starts at the first batch of its
   * run. A single batch larger than segment.bytes is refused, as Kafka refuses it.
   */
  appendAsFollower(batches: Buffer, infos: readonly BatchInfo[]): FollowerAppendResult {
    this.usable();
    if (infos.length === 0) throw new Error('append of no batches');
    const bases: bigint[] = [];
    let bytes = 0;
    let previousLast = -1n;
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      if (info.size > this.config.segmentBytes)
        throw new Error(`follower append of a ${info.size}-byte batch exceeds segment.bytes ${this.config.segmentBytes}`);
      const base = batches.readBigInt64BE(info.position + BatchField.baseOffset);
      const last = base + BigInt(info.lastOffsetDelta);
      if (i === 0 && base < this.nextOffset) throw new UnexpectedAppendOffsetError(base, last, this.nextOffset);
      if (i > 0 && base <= previousLast)
        throw new OffsetsOutOfOrderError(`follower append to ${this.dir}: batch ${i} starts at ${base}, not after the previous batch's last offset ${previousLast}`);
      bases.push(base);
      previousLast = last;
      bytes += info.size;
    }
    if (bytes !== batches.length) throw new Error(`batch infos cover ${bytes} of ${batches.length} bytes`);
    const nowMs = this.now();
    return this.guard(() => {
      for (let from = 0; from < infos.length; ) {
        const to = this.followerRunEnd(infos, bases, from);
        this.appendFollowerRun(batches, infos, bases, from, to, nowMs);
        from = to;
      }
      if (this.unflushedMessages >= this.config.flushMessages) this.flushNow(nowMs);
      return { firstOffset: bases[0]!, lastOffset: previousLast, logEndOffset: this.nextOffset };
    });
  }

  /** End (exclusive) of the run of batches from `from` that fits one segment: its bytes and int32 relative offsets. */
  private followerRunEnd(infos: readonly BatchInfo[], bases: readonly bigint[], from: number): number {
    let bytes = 0;
    let to = from;
    while (to < infos.length) {
      const info = infos[to]!;
      const last = bases[to]! + BigInt(info.lastOffsetDelta);
      if (to > from && (bytes + info.size > this.config.segmentBytes || last - bases[from]! > BigInt(RELATIVE_OFFSET_MAX))) break;
      bytes += info.size;
      to++;
    }
    return to;
  }

  /** Writes infos[from, to) (one run, see followerRunEnd) as appendAsFollower describes. */
  private appendFollowerRun(batches: Buffer, infos: readonly BatchInfo[], bases: readonly bigint[], from: number, to: number, nowMs: number): void {
    const start = infos[from]!.position;
    const lastInfo = infos[to - 1]!;
    const run = batches.subarray(start, lastInfo.position + lastInfo.size);
    const runInfos = infos.slice(from, to).map((info) => ({ ...info, position: info.position - start }));
    const first = bases[from]!;
    const last = bases[to - 1]! + BigInt(lastInfo.lastOffsetDelta);
    // An empty active segment is kept unless the run's offsets do not fit it (a gap of more than
    // int32 offsets); then it is sealed empty, as compaction can leave one.
    const a = this.active;
    if (a.size > 0 ? this.rollNeeded(run.length, last, nowMs) : !a.canHoldOffset(last)) this.roll(nowMs, first);
    for (let i = from; i < to; i++) {
      const epoch = batches.readInt32BE(infos[i]!.position + BatchField.partitionLeaderEpoch);
      if (epoch >= 0) this.epochs.assign(epoch, bases[i]!);
    }
    this.active.append(run, runInfos);
    let count = 0;
    for (let i = 0; i < runInfos.length; i++) {
      const info = runInfos[i]!;
      const base = bases[from + i]!;
      if (info.isControl) this.applyMarker(run.subarray(info.position, info.position + info.size), info, base, false);
      else this.producers.update(info, base);
      count += info.lastOffsetDelta + 1;
    }
    this.nextOffset = last + 1n;
    this.unflushedMessages += count;
  }

  /**
   * Appends validated batches (`infos` from validateBatches over exactly `batches`): assigns their
   * offsets in place, rolls first when needed, writes them with one write. The caller must have
   * rejected a payload larger than segmentBytes (validateBatches with `segmentBytes` does).
   */
  append(batches: Buffer, infos: readonly BatchInfo[], opts: AppendOptions = {}): AppendResult {
    this.usable();
    if (infos.length === 0) throw new Error('append of no batches');
    if (batches.length > this.config.segmentBytes)
      throw new Error(`append of ${batches.length} bytes exceeds segment.bytes ${this.config.segmentBytes}`);
    const nowMs = this.now();
    let count = 0;
    let bytes = 0;
    for (let i = 0; i < infos.length; i++) {
      count += infos[i]!.lastOffsetDelta + 1;
      bytes += infos[i]!.size;
    }
    if (bytes !== batches.length) throw new Error(`batch infos cover ${bytes} of ${batches.length} bytes`);
    const baseOffset = this.nextOffset;
    const lastOffset = baseOffset + BigInt(count) - 1n;
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    const appendTimeMs = opts.logAppendTimeMs ?? nowMs;
    const epoch = opts.leaderEpoch ?? this.leaderEpoch;
    return this.guard(() => {
      this.maybeRoll(batches.length, lastOffset, nowMs);
      // The epoch's start is recorded before its first batch is written (Kafka's order); open()
      // trims an entry whose batch never reached the log.
      if (epoch >= 0) this.epochs.assign(epoch, baseOffset);
      let next = baseOffset;
      for (let i = 0; i < infos.length; i++) {
        const info = infos[i]!;
        assignOffsets(batches, info, next, epoch);
        if (logAppendTime) setLogAppendTime(batches, info, BigInt(appendTimeMs));
        next += BigInt(info.lastOffsetDelta + 1);
      }
      this.active.append(batches, infos);
      let first = baseOffset;
      for (const info of infos) {
        if (info.isControl) this.applyMarker(batches.subarray(info.position, info.position + info.size), info, first, false);
        else this.producers.update(info, first);
        first += BigInt(info.lastOffsetDelta + 1);
      }
      this.nextOffset = next;
      this.unflushedMessages += count;
      if (this.unflushedMessages >= this.config.flushMessages) this.flushNow(nowMs);
      return { baseOffset, lastOffset, logAppendTimeMs: logAppendTime ? appendTimeMs : -1, logStartOffset: this.logStartOffset };
    });
  }

  private maybeRoll(bytes: number, lastOffset: bigint, nowMs: number): void {
    if (this.active.size > 0 && this.rollNeeded(bytes, lastOffset, nowMs)) this.roll(nowMs);
  }

  /** Roll rules (a) to (d) of the module comment, for a non-empty active segment. */
  private rollNeeded(bytes: number, lastOffset: bigint, nowMs: number): boolean {
    const a = this.active;
    const full = a.size + bytes > this.config.segmentBytes;
    const old = nowMs - a.rollBaseMs > this.config.segmentMs;
    return full || old || a.indexIsFull || !a.canHoldOffset(lastOffset);
  }

  /**
   * Seals the active segment and starts a new one at `baseOffset` (the log end offset; a
   * follower's first batch may start past it). The sealed segment's fsync runs in the
   * background; the producer snapshot as of now is written once it is done, so a snapshot's
   * offset is always a recovery point (open()).
   */
  private roll(nowMs: number, baseOffset: bigint = this.nextOffset): void {
    const sealed = this.active;
    this.sealing.add(sealed);
    const synced = handledLater(sealed.sealAsync().finally(() => this.sealing.delete(sealed)));
    // Everything appended so far is in the sealed segment, its fsync under way.
    this.unflushedMessages = 0;
    this.lastFlushMs = nowMs;
    const segOpts = { indexIntervalBytes: this.config.indexIntervalBytes, segmentIndexBytes: this.config.segmentIndexBytes };
    this.segments.push(Segment.create(this.io, this.dir, baseOffset, segOpts, nowMs));
    const offset = baseOffset;
    const snapshot = this.producers.encodeSnapshot();
    const truncations = this.truncations;
    this.inBackground(async () => {
      await synced;
      if (!this.closed && this.offline === null && truncations === this.truncations) {
        this.guard(() => {
          this.writeSnapshotBytes(offset, snapshot);
          this.epochs.save();
        });
      }
    });
  }

  /** Rolls now, even by no condition (tests; a future admin operation). No-op when empty. */
  forceRoll(): void {
    this.guard(() => {
      if (this.active.size > 0) this.roll(this.now());
    });
  }

  // -- read -------------------------------------------------------------------------------------

  /**
   * Whole batches starting with the one that holds `fetchOffset` (or the first after it), up to
   * `maxBytes`; when not even that batch fits, it alone if `minOneBatch`, else nothing. Reads stay
   * within one segment, as in Kafka. An offset below logStartOffset or above logEndOffset answers
   * OFFSET_OUT_OF_RANGE; the log end itself answers an empty buffer.
   */
  read(fetchOffset: bigint, maxBytes: number, opts: { minOneBatch: boolean }): ReadResult {
    return this.guard(() => {
      const base = { highWatermark: this.nextOffset, logStartOffset: this.logStartOffset };
      if (fetchOffset < this.logStartOffset || fetchOffset > this.nextOffset)
        return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: EMPTY, ...base };
      if (fetchOffset === this.nextOffset) return { errorCode: ErrorCode.NONE, records: EMPTY, ...base };
      for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
        const s = this.loaded(i);
        const found = s.findBatch(fetchOffset);
        if (found === null) continue;
        return { errorCode: ErrorCode.NONE, records: s.readFrom(found.position, maxBytes, opts.minOneBatch), ...base };
      }
      return { errorCode: ErrorCode.NONE, records: EMPTY, ...base };
    });
  }

  /** Index of the last segment whose base offset is <= offset (0 when below all). */
  private segmentIndexFor(offset: bigint): number {
    return Math.max(0, floorIndex(this.segments.length, (i) => this.segments[i]!.baseOffset, offset));
  }

  // -- deletion: DeleteRecords and retention ------------------------------------------------------

  /** Applies changed topic configs (AlterConfigs); they take effect from the next operation. */
  updateConfig(config: LogConfig): void {
    checkConfig(config);
    this.config = { ...config };
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (at most the high watermark) and
   * deletes the segments that lie entirely below it. Returns the new log start offset, or null
   * when `offset` is past the high watermark (OFFSET_OUT_OF_RANGE).
   */
  deleteRecordsBefore(offset: bigint): bigint | null {
    return this.guard(() => {
      if (offset > this.nextOffset) return null;
      if (offset <= this.logStartOffset) return this.logStartOffset;
      this.writeLogStart(offset);
      this.epochs.truncateFromStart(offset);
      this.deleteOldestSegments(this.segmentsBelow(offset));
      return this.logStartOffset;
    });
  }

  /**
   * retention.ms and retention.bytes (-1: unlimited): deletes the oldest segments whose newest
   * record is older than retention.ms, then the oldest while the log stays over retention.bytes
   * without them. The active segment goes only by time, after a roll (as in Kafka). Returns how
   * many segments were deleted.
   */
  applyRetention(nowMs: number, retentionMs: number, retentionBytes: number): number {
    return this.guard(() => {
      let count = 0;
      if (retentionMs >= 0) {
        const cutoff = BigInt(nowMs - retentionMs);
        while (count < this.segments.length) {
          const s = this.loaded(count);
          // An empty segment before the active one (left by compaction) holds nothing to keep.
          if (s.size === 0 && count < this.segments.length - 1) {
            count++;
            continue;
          }
          if (s.size === 0 || s.maxTimestamp < 0n || s.maxTimestamp >= cutoff) break;
          if (count === this.segments.length - 1) this.roll(nowMs);
          count++;
        }
      }
      if (retentionBytes >= 0) {
        let size = this.sizeBytes();
        for (let i = 0; i < count; i++) size -= this.segments[i]!.size;
        while (count < this.segments.length - 1 && size - this.segments[count]!.size >= retentionBytes) {
          size -= this.segments[count]!.size;
          count++;
        }
      }
      this.deleteOldestSegments(count);
      return count;
    });
  }

  /** How many of the oldest segments lie wholly below `offset` (never the last one). */
  private segmentsBelow(offset: bigint): number {
    let whole = 0;
    while (whole < this.segments.length - 1 && this.segments[whole + 1]!.baseOffset <= offset) whole++;
    return whole;
  }

  /** Removes the first `count` segments (never the last) and what refers to them. */
  private deleteOldestSegments(count: number): void {
    if (count <= 0) return;
    if (count >= this.segments.length) throw new Error('cannot delete the active segment');
    for (const s of this.segments.splice(0, count)) s.deleteFiles();
    this.io.fsyncDir(this.dir);
    const start = this.logStartOffset;
    this.aborted = this.aborted.filter((e) => e.lastOffset >= start);
    this.epochs.truncateFromStart(start);
  }

  // -- timestamps -------------------------------------------------------------------------------

  /**
   * ListOffsets by timestamp: the offset and timestamp of the first record (from logStartOffset)
   * whose timestamp is >= `targetMs`, with its batch's leader epoch; null when there is none.
   * For a compressed batch, the batch's first offset and maxTimestamp (see Segment.findTimestamp).
   */
  offsetForTimestamp(targetMs: bigint): TimestampOffset | null {
    return this.guard(() => {
      for (let i = 0; i < this.segments.length; i++) {
        const s = this.loaded(i);
        if (s.maxTimestamp < targetMs) continue;
        const r = s.findTimestamp(targetMs, this.logStartOffset);
        if (r !== null) return r;
      }
      return null;
    });
  }

  /**
   * ListOffsets MAX_TIMESTAMP (KIP-734): the record with the largest timestamp (the earliest such
   * record on ties), or null when no batch carries a timestamp (empty log).
   */
  maxTimestampAndOffset(): TimestampOffset | null {
    return this.guard(() => {
      let best = -1;
      let bestTs = -1n;
      for (let i = 0; i < this.segments.length; i++) {
        const s = this.loaded(i);
        if (s.maxTimestamp > bestTs) {
          bestTs = s.maxTimestamp;
          best = i;
        }
      }
      return best < 0 ? null : this.segments[best]!.maxTimestampRecord();
    });
  }

  // -- compaction ---------------------------------------------------------------------------------
  // The narrow interface of the log cleaner (cleaner.ts, which also describes the files and crash
  // states): list the sealed segments, read their batches, keep the cleaner's checkpoint, and
  // replace a run of sealed segments by one cleaned segment. The active segment is never offered.

  /** The sealed segments (every one but the active), oldest first. */
  sealedSegments(): SealedSegment[] {
    return this.guard(() => {
      const out: SealedSegment[] = [];
      for (let i = 0; i < this.segments.length - 1; i++) {
        const s = this.loaded(i);
        out.push({
          baseOffset: s.baseOffset,
          endOffset: this.segments[i + 1]!.baseOffset,
          sizeBytes: s.size,
          maxTimestamp: s.maxTimestamp,
          offsetIndexEntries: s.offsetIndexEntries,
          timeIndexEntries: s.timeIndexEntries,
        });
      }
      return out;
    });
  }

  /**
   * Whole batches of the sealed segment with this base offset, from byte `position` (a batch
   * start), up to `maxBytes` but at least one batch; empty at the segment's end.
   */
  readSealed(baseOffset: bigint, position: number, maxBytes: number): Buffer {
    return this.guard(() => this.loaded(this.sealedIndexOf(baseOffset)).readFrom(position, maxBytes, true));
  }

  private sealedIndexOf(baseOffset: bigint): number {
    const i = this.segmentIndexFor(baseOffset);
    if (i >= this.segments.length - 1 || this.segments[i]!.baseOffset !== baseOffset) throw new Error(`no sealed segment at ${baseOffset}`);
    return i;
  }

  cleanerCheckpoint(): CleanerCheckpoint | null {
    return this.guard(() => readCleanerCheckpoint(this.io, this.dir));
  }

  setCleanerCheckpoint(c: CleanerCheckpoint): void {
    this.guard(() => writeCleanerCheckpoint(this.io, this.dir, c));
  }

  /** Starts the cleaned segment that will replace sealed segments from `baseOffset` on. */
  beginCleanedSegment(baseOffset: bigint): CleanedSegmentWriter {
    return this.guard(() => {
      this.sealedIndexOf(baseOffset);
      const segOpts = { indexIntervalBytes: this.config.indexIntervalBytes, segmentIndexBytes: this.config.segmentIndexBytes };
      return new CleanedSegmentWriter(this.io, this.dir, baseOffset, segOpts, this.now());
    });
  }

  /**
   * Replaces the sealed segments whose base offsets lie in [writer.baseOffset, endOffset) by the
   * cleaned segment, atomically across crashes (steps in cleaner.ts). `endOffset` must be the base
   * of a later segment. The aborted-transaction entries of the replaced segments move to the new
   * one; producer state and the aborted list in memory do not change (markers are never cleaned).
   */
  replaceSealedSegments(writer: CleanedSegmentWriter, endOffset: bigint): void {
    this.guard(() => {
      const first = this.sealedIndexOf(writer.baseOffset);
      const end = this.segments.findIndex((s) => s.baseOffset === endOffset);
      if (end <= first) throw new Error(`cannot replace segments ${writer.baseOffset}..${endOffset}`);
      writer.finish(this.aborted.filter((e) => e.lastOffset >= writer.baseOffset && e.lastOffset < endOffset));
      writeCleanSwap(this.io, this.dir, writer.baseOffset, endOffset);
      for (let i = first; i < end; i++) this.segments[i]!.closeHandles();
      completeSwap(this.io, this.dir, writer.baseOffset, endOffset);
      const segOpts = { indexIntervalBytes: this.config.indexIntervalBytes, segmentIndexBytes: this.config.segmentIndexBytes };
      this.segments.splice(first, end - first, Segment.existing(this.io, this.dir, writer.baseOffset, segOpts, this.now()));
    });
  }

  // -- flush, close, delete ---------------------------------------------------------------------

  /** fsync, on this thread, of the active segment and of rolled ones whose fsync is under way. */
  flush(): void {
    this.guard(() => this.flushNow(this.now()));
  }

  private flushNow(nowMs: number): void {
    for (const s of this.sealing) s.syncNow();
    this.active.flush();
    this.epochs.save();
    this.syncTxnIndexes();
    this.unflushedMessages = 0;
    this.lastFlushMs = nowMs;
  }

  /**
   * The flush.ms policy; called by the broker's timer. The fsync runs off the JavaScript thread
   * (`whenSynced()` resolves after it).
   */
  maybeFlush(nowMs: number): void {
    if (this.offline || this.closed || this.unflushedMessages === 0) return;
    if (nowMs - this.lastFlushMs < this.config.flushMs) return;
    this.unflushedMessages = 0;
    this.lastFlushMs = nowMs;
    const active = this.active;
    const synced = handledLater(this.guard(() => active.flushAsync()));
    this.inBackground(async () => {
      await synced;
      if (!this.closed && this.offline === null) this.guard(() => this.syncTxnIndexes());
    });
  }

  /** Messages appended since the last fsync (tests, metrics). */
  get unflushed(): number {
    return this.unflushedMessages;
  }

  /**
   * Clean shutdown: final time index entry, fsync, close, then the clean-shutdown file. An
   * offline log only closes its handles (the next open recovers it).
   */
  close(): void {
    if (this.closed) return;
    if (this.offline) {
      this.abandon();
      return;
    }
    this.guard(() => {
      // Rolled segments whose background fsync is still running: make them durable now.
      for (const s of this.sealing) s.syncNow();
      this.active.close();
      for (const s of this.segments) s.closeHandles();
      this.writeProducerSnapshotIfChanged();
      // Whatever the file holds then (nothing, or this same entry), the next open derives it again.
      if (!this.epochsDerivable(this.epochs)) this.epochs.save();
      const marker = Buffer.from(`sluice-clean-shutdown 1\n${this.nextOffset}\n`, 'latin1');
      writeSmallFileAtomic(this.io, join(this.dir, CLEAN_SHUTDOWN_FILE), marker);
    });
    this.closed = true;
  }

  // -- truncation: a follower's divergence (KIP-101, KIP-279, KIP-595), a failed metadata append --

  /**
   * Kafka's UnifiedLog.truncateTo: removes every batch from the one holding `offset` on, durably,
   * and leaves the log open for appends. An offset inside a batch removes that whole batch (Kafka
   * cuts the segment there too, but then reports `offset` as its log end; here the log end is
   * where the data ends, the removed batch's base offset, or after a compacted gap the end of
   * the batch before it). An offset at or past the log end changes no data; the leader-epoch
   * cache still loses entries starting at or past the log end (an epoch this replica began as
   * leader without writing under it), as in Kafka. An offset below the first segment empties the
   * log and restarts it there (truncateFullyAndStartAt, as Kafka does). Returns whether batches
   * were removed. Steps and crash behaviour in the module comment.
   */
  truncateTo(offset: bigint): boolean {
    if (offset < 0n) throw new RangeError(`cannot truncate ${this.dir} to a negative offset ${offset}`);
    return this.guard(() => {
      if (offset >= this.nextOffset) {
        this.epochs.truncateFromEnd(this.nextOffset);
        return false;
      }
      if (offset < this.segments[0]!.baseOffset) this.restartAt(offset);
      else this.cutAt(offset);
      return true;
    });
  }

  /**
   * Kafka's UnifiedLog.truncateFullyAndStartAt (the follower's fetch offset fell below the
   * leader's log start): every segment goes, and the log restarts empty at `offset`, which
   * becomes its log start and log end; producer state, aborted transactions, the leader-epoch
   * cache and the cleaner's checkpoint are cleared. Steps and crash behaviour in the module
   * comment.
   */
  truncateFullyAndStartAt(offset: bigint): void {
    if (offset < 0n) throw new RangeError(`cannot restart ${this.dir} at a negative offset ${offset}`);
    this.guard(() => this.restartAt(offset));
  }

  /** truncateTo with `offset` inside the log, at or past the first segment's base. */
  private cutAt(offset: bigint): void {
    this.truncations++;
    // Rolled segments still syncing in the background: durable first, so that no later fsync or
    // snapshot of theirs races with the cut.
    for (const s of this.sealing) s.syncNow();
    const keep = this.segmentIndexFor(offset);
    const segment = this.loaded(keep);
    const found = segment.findBatch(offset);
    // 1. Whole segments past the cut, newest first, each unlink made durable before the next:
    //    at every moment the files hold a prefix of the log, never a hole.
    while (this.segments.length - 1 > keep) this.dropNewestSegment();
    // 2. The segment holding `offset` is cut before the batch holding it (after a compacted
    //    gap: before the first batch past it), fsynced, and becomes the active one.
    segment.truncateTo(found === null ? segment.size : found.position, this.now());
    const end = segment.nextOffset;
    this.nextOffset = end;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.now();
    // 3. Producer snapshots past the new end describe batches that are gone.
    for (const snapshot of this.snapshotOffsets()) if (snapshot > end) this.io.unlink(this.snapshotPath(snapshot));
    this.io.fsyncDir(this.dir);
    // 4. Aborted transactions whose marker was cut: out of memory and of the segment's .txnindex
    //    (rewritten atomically: a crash leaves the old or the new list).
    const inSegment = this.aborted.filter((e) => e.lastOffset >= segment.baseOffset);
    const keptInSegment = inSegment.filter((e) => e.lastOffset < end);
    if (keptInSegment.length !== inSegment.length) writeTxnIndex(this.io, segment.txnIndexPath, keptInSegment);
    this.aborted = this.aborted.filter((e) => e.lastOffset < end);
    // 5. The leader-epoch cache, the log start (Kafka: min(log start, truncation offset)) and the
    //    cleaner's checkpoint no further than the new end.
    this.epochs.truncateFromEnd(end);
    if (this.deletedBefore > end) this.writeLogStart(end);
    const cleaned = readCleanerCheckpoint(this.io, this.dir);
    if (cleaned !== null && cleaned.cleanedUpTo > end) writeCleanerCheckpoint(this.io, this.dir, { cleanedUpTo: end, deleteHorizonMs: cleaned.deleteHorizonMs });
    // 6. Producer state as of the new end: the newest snapshot at or below it, then the batches after.
    this.rebuildProducerState();
  }

  /** Removes the newest segment (never the only one) and makes the unlink durable. */
  private dropNewestSegment(): void {
    const s = this.segments.pop()!;
    s.deleteFiles();
    this.unsyncedTxnIndexes.delete(s.txnIndexPath);
    this.io.fsyncDir(this.dir);
  }

  /** truncateFullyAndStartAt, and truncateTo below the first segment. */
  private restartAt(offset: bigint): void {
    this.truncations++;
    for (const s of this.sealing) s.syncNow();
    // 1. What open() could rebuild from the batches goes first: the epoch cache and the snapshots.
    this.epochs.clear();
    for (const snapshot of this.snapshotOffsets()) this.io.unlink(this.snapshotPath(snapshot));
    this.io.fsyncDir(this.dir);
    // 2. Every batch at or past `offset`, newest segment first (a prefix of the log stays).
    let following: bigint | null = null; // base offset of the segment after the newest one left
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      following = this.active.baseOffset;
      this.dropNewestSegment();
    }
    const newestEnd = following ?? this.nextOffset;
    if (newestEnd > offset || this.active.baseOffset >= offset) {
      this.active.deleteFiles();
      this.segments.pop();
      this.io.fsyncDir(this.dir);
    }
    // 3. The commit point: from here open() takes `offset` as the log start (clamped to the end).
    this.writeLogStart(offset);
    // 4. The new, empty segment; then the old ones, all below the log start now.
    const segOpts = { indexIntervalBytes: this.config.indexIntervalBytes, segmentIndexBytes: this.config.segmentIndexBytes };
    const created = Segment.create(this.io, this.dir, offset, segOpts, this.now());
    this.io.fsyncDir(this.dir);
    for (const s of this.segments.splice(0, this.segments.length, created)) s.deleteFiles();
    this.io.fsyncDir(this.dir);
    if (this.io.exists(join(this.dir, CLEANER_OFFSET_FILE))) this.io.unlink(join(this.dir, CLEANER_OFFSET_FILE));
    this.nextOffset = offset;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.now();
    this.aborted = [];
    this.unsyncedTxnIndexes.clear();
    this.producers.clear();
  }

  /** Moves the log start to `offset` in memory and in the log-start-offset file (atomically). */
  private writeLogStart(offset: bigint): void {
    writeSmallFileAtomic(this.io, join(this.dir, LOG_START_FILE), Buffer.from(`sluice-log-start-offset 1\n${offset}\n`, 'latin1'));
    this.deletedBefore = offset;
  }

  /**
   * Closes every handle without flushing or writing the clean-shutdown file: what a crash leaves,
   * for tests, and for a failed directory.
   */
  abandon(): void {
    if (this.closed) return;
    for (const s of this.segments) {
      try {
        s.closeHandles();
      } catch {
        // handles of a crashed MemoryFileIO or a dead disk: nothing more to do
      }
    }
    this.closed = true;
  }

  /** Closes the handles and removes the directory with everything in it. */
  delete(): void {
    this.abandon();
    this.io.removeDir(this.dir);
  }
}

function checkConfig(c: LogConfig): void {
  const bad = (m: string): never => {
    throw new Error(`invalid log config: ${m}`);
  };
  // A segment position is an int32 in the offset index.
  if (!(c.segmentBytes >= 14 && c.segmentBytes <= 0x7fffffff)) bad(`segmentBytes ${c.segmentBytes}`);
  if (!(c.segmentMs >= 1)) bad(`segmentMs ${c.segmentMs}`);
  if (!(c.indexIntervalBytes >= 0)) bad(`indexIntervalBytes ${c.indexIntervalBytes}`);
  if (!(c.segmentIndexBytes >= 8)) bad(`segmentIndexBytes ${c.segmentIndexBytes}`);
  if (!(c.flushMessages >= 1)) bad(`flushMessages ${c.flushMessages}`);
  if (!(c.flushMs >= 0)) bad(`flushMs ${c.flushMs}`);
}

/** Reads the log-format file, or writes it into a new directory. Refuses unknown versions. */
function checkFormatFile(dir: string, io: FileIO, isNew: boolean): void {
  const path = join(dir, LOG_FORMAT_FILE);
  const content = readSmallFile(io, path, 256);
  if (content === null) {
    if (isNew || !io.exists(path))
      writeSmallFileAtomic(io, path, Buffer.from(`sluice-log-format ${LOG_FORMAT_VERSION}\n`, 'latin1'));
    return;
  }
  const m = FORMAT_LINE.exec(content.toString('latin1'));
  if (!m) throw new Error(`${path}: not a log-format file`);
  const version = Number(m[1]);
  if (version !== LOG_FORMAT_VERSION) throw new Error(`${path}: log format ${version} is not supported (this build reads ${LOG_FORMAT_VERSION})`);
}

/**
 * Marks a promise as handled now: its outcome is dealt with later, when the background chain
 * reaches it. Without this, an fsync that fails while an earlier one is still in flight would be
 * an unhandled rejection, which ends a Node process.
 */
function handledLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** Offsets of the producer snapshots in `dir`, ascending. */
function snapshotOffsetsIn(dir: string, io: FileIO): bigint[] {
  const out: bigint[] = [];
  for (const name of io.readdir(dir)) {
    const m = SNAPSHOT_NAME.exec(name);
    if (m) out.push(BigInt(m[1]!));
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Whether an error means the storage failed: system errors (EIO, ENOSPC, ...) and corrupt data.
 * Anything else, Node's own ERR_* argument errors and the addon's SLUICE_NATIVE* ones included,
 * is a bug and propagates unchanged.
 */
export function isStorageFailure(e: unknown): boolean {
  if (e instanceof LogCorruptionError) return true;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && !code.startsWith('ERR_') && !code.startsWith('SLUICE_NATIVE');
}
