/**
 * The log cleaner: compaction of one partition log (cleanup.policy=compact, or compact,delete),
 * Kafka's LogCleaner rebuilt for a single thread. The partition log (partition-log.ts, section
 * "compaction") gives it the sealed segments, their bytes, and an atomic replacement of a run of
 * sealed segments by one cleaned segment; everything else is here.
 *
 * What a pass does (`cleanLog`):
 *  1. The cleanable part is the run of sealed segments that end at or below the first uncleanable
 *     offset: the smallest of the active segment's base (the active segment is never touched), the
 *     last stable offset (no open transaction's data is cleaned), and the base of the first
 *     segment holding a record newer than min.compaction.lag.ms (by its max timestamp). A segment
 *     idle longer than segment.ms is rolled on the next append, and so becomes cleanable.
 *  2. The checkpoint (`cleaner-offset`, below) says where the dirty part starts: segments below it
 *     were cleaned before. dirty bytes / (clean + dirty bytes) of the cleanable part must reach
 *     min.cleanable.dirty.ratio, unless a kept tombstone's delete horizon has passed (then the pass
 *     runs to remove it, as Kafka's does).
 *  3. An offset map, key -> last offset, is built over the dirty segments (whole segments, at most
 *     limits.cleanerOffsetMapKeysMax keys plus one segment; the rest waits for the next pass).
 *     Records of aborted transactions (the partition's aborted ranges) and control batches do not
 *     enter it.
 *  4. Every cleanable segment up to the end of the mapped part is rewritten, consecutive segments
 *     into one cleaned segment as long as it stays within segment.bytes (counting the next
 *     segment at its full size), the index capacity and int32 relative offsets. A record is kept when it has a key, no later
 *     record of that key is in the map, its transaction was not aborted, and (a tombstone) its
 *     batch's delete horizon has not passed. A single
 *     segment in which nothing changes is left alone.
 *  5. The checkpoint moves to the end of the mapped part.
 *
 * Batches. A batch keeps its baseOffset and lastOffsetDelta and its records their offsets (offset
 * deltas), so a cleaned log has gaps but no offset ever moves; producer id, epoch, base sequence,
 * leader epoch and the transactional/control/timestamp-type bits stay. A batch left with no
 * record is dropped. (Kafka keeps an empty batch when it is a producer's last, to keep its
 * sequence state across a rebuild from the log; here producer state comes from the snapshots
 * written at every roll, which the cleaner does not touch, and is rebuilt from the log only when
 * those are missing: a producer whose batches were all cleaned away is then unknown, and may
 * start at any sequence, as after producer expiry.) Control batches (transaction markers) are
 * always kept as they are: simple, and they keep the .txnindex entries and READ_COMMITTED reads
 * exactly as before; only the aborted data is removed. Records without a key are removed, as in
 * Kafka (the produce path refuses them on compacted topics: `checkRecords` in batch-records.ts).
 *
 * Compression. gzip, snappy, lz4 and zstd batches are decoded (compression.ts); a rewritten batch
 * is encoded with its own codec again at that codec's default level, as Kafka's cleaner does
 * (MemoryRecords.filterTo; encoders: compression-encoders.ts, zstd by the addon or its
 * WebAssembly twin). A batch whose records fail to decode (or of an unknown
 * codec) is left exactly as it is: its records are neither removed nor used to remove older ones.
 *
 * Tombstones (a null value): kept for delete.retention.ms after the pass that first kept them.
 * That pass rewrites their batch with the delete horizon (now + delete.retention.ms) in the batch
 * itself, attribute bit 6 and baseTimestamp, as Kafka does since 2.8 (KIP-534; batch-records.ts);
 * a later pass that finds the horizon passed drops them. A tombstone superseded by a later record
 * of its key goes at once, like any record.
 *
 * Files, all in the partition directory:
 *   cleaner-offset   "sluice-cleaner-offset 1\n<offset>\n<delete horizon ms>\n", written atomically
 *                    (writeSmallFileAtomic) after a pass: the offset below which the log was
 *                    cleaned (Kafka's cleaner-offset-checkpoint, per partition here) and the
 *                    earliest delete horizon of the tombstones kept, or -1. Missing, unreadable,
 *                    or outside the log: the whole cleanable part counts as dirty.
 *   cleaning/        a directory holding the segment being written: <base>.log, .index,
 *                    .timeindex, .txnindex, with <base> the first replaced segment's base offset.
 *   clean-swap       "sluice-clean-swap 1\n<base>\n<end>\n", written atomically: the commit point
 *                    of a replacement. It says "the files in cleaning/ replace every segment whose
 *                    base offset is in [base, end)".
 *
 * A replacement (`PartitionLog.replaceSealedSegments`), step by step:
 *   1. write the cleaned batches to cleaning/<base>.log and its indexes; seal it (final time index
 *      entry, fsync of the three files); write and fsync cleaning/<base>.txnindex (the aborted
 *      transactions whose markers lie in the replaced segments); fsync cleaning/;
 *   2. write clean-swap (tmp file, fsync, rename, fsync of the directory);
 *   3. delete the files of the replaced segments other than <base>;
 *   4. rename cleaning/<base>.index, .timeindex, .txnindex and .log over <base>.*, in that order;
 *   5. fsync the directory, remove cleaning/, remove clean-swap, fsync the directory.
 * What open() does first (`recoverInterruptedClean`), whatever moment a kill -9 or power loss hit:
 *   - no clean-swap: a crash in step 1 or 2 (or after 5): cleaning/ is removed, if present (and
 *     a clean-swap.tmp goes with the other .tmp files). The old segments are intact.
 *   - clean-swap present: steps 3 to 5 are done again. Each is idempotent: step 3 deletes what is
 *     left of segments strictly after <base>; step 4 renames only the files still in cleaning/
 *     (a file already renamed is the new one); the old <base> files are replaced by rename, never
 *     deleted first. Every file in cleaning/ was fsynced before clean-swap existed.
 * Either way the log reopens to the old segments or to the cleaned one, which hold the same live
 * records at the same offsets. A crash after a replacement and before the checkpoint is written
 * only makes the next pass clean that part again.
 *
 * Concurrency: a pass runs synchronously on the broker's thread (Kafka runs cleaner threads); its
 * I/O blocks the event loop for as long as it takes (see the test for a measurement).
 */
import { join } from 'node:path';
import { limits } from '../config/limits.js';
import { DecodeError } from '../protocol/wire.js';
import type { AbortedTxn } from './producer-state.js';
import { deleteHorizonOf, readRawRecords, type RawRecord } from './batch-records.js';
import { rebuildBatch } from './batch-rebuild.js';
import { readSmallFile, writeSmallFileAtomic, type FileIO } from './file-io.js';
import type { PartitionLog } from './partition-log.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../native/batch.js';
import { BatchField, readBatchInfo, splitBatches, type BatchInfo } from './record-batch.js';
import { INDEX_SUFFIX, LOG_SUFFIX, RELATIVE_OFFSET_MAX, Segment, TIME_INDEX_ENTRY_BYTES, TIME_INDEX_SUFFIX, segmentFileName, type SegmentOptions } from './segment.js';
import { encodeTxnEntry, TXN_INDEX_SUFFIX } from './txn-index.js';

export const CLEANER_OFFSET_FILE = 'cleaner-offset';
export const CLEANING_DIR = 'cleaning';
export const CLEAN_SWAP_FILE = 'clean-swap';
const CHECKPOINT_LINE = /^sluice-cleaner-offset 1\n(\d+)\n(-?\d+)\n$/;
const SWAP_LINE = /^sluice-clean-swap 1\n(\d+)\n(\d+)\n$/;
/** Order of step 4: the .log last, so a present cleaning/<base>.log means step 4 is unfinished. */
const SWAP_SUFFIXES = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, LOG_SUFFIX];
const SEGMENT_FILE = /^(\d{20})(\.log|\.index|\.timeindex|\.txnindex)$/;
/** Bytes read from a segment at a time, and buffered before a write to the cleaned one. */
const CHUNK_BYTES = 1024 * 1024;

/** The topic configs the cleaner follows. */
export interface CleanerConfig {
  /** min.compaction.lag.ms */
  minCompactionLagMs: number;
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio: number;
  /** delete.retention.ms */
  deleteRetentionMs: number;
}

/** Kafka's defaults. */
export const defaultCleanerConfig: Readonly<CleanerConfig> = Object.freeze({
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  deleteRetentionMs: 86_400_000,
});

/** The cleaner's settings from effective topic configs, or null when cleanup.policy has no compact. */
export function cleanerConfigFrom(configs: ReadonlyMap<string, string | null>): CleanerConfig | null {
  const policies = (configs.get('cleanup.policy') ?? 'delete').split(',').map((s) => s.trim());
  if (!policies.includes('compact')) return null;
  const num = (name: string, fallback: number): number => {
    const v = configs.get(name);
    const n = v === null || v === undefined ? NaN : Number(v);
    return Number.isFinite(n) ? Math.min(n, Number.MAX_SAFE_INTEGER) : fallback;
  };
  return {
    minCompactionLagMs: num('min.compaction.lag.ms', defaultCleanerConfig.minCompactionLagMs),
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio', defaultCleanerConfig.minCleanableDirtyRatio),
    deleteRetentionMs: num('delete.retention.ms', defaultCleanerConfig.deleteRetentionMs),
  };
}

/** A sealed segment as the partition log describes it to the cleaner. */
export interface SealedSegment {
  baseOffset: bigint;
  /** The next segment's base offset. */
  endOffset: bigint;
  sizeBytes: number;
  /** Largest batch maxTimestamp, -1 when none. */
  maxTimestamp: bigint;
  offsetIndexEntries: number;
  timeIndexEntries: number;
}

export interface CleanerCheckpoint {
  /** Offsets below this were cleaned. */
  cleanedUpTo: bigint;
  /** Earliest delete horizon of the kept tombstones, -1 when none. */
  deleteHorizonMs: bigint;
}

// -- files ----------------------------------------------------------------------------------------

export function readCleanerCheckpoint(io: FileIO, dir: string): CleanerCheckpoint | null {
  const buf = readSmallFile(io, join(dir, CLEANER_OFFSET_FILE), 256);
  const m = buf === null ? null : CHECKPOINT_LINE.exec(buf.toString('latin1'));
  return m ? { cleanedUpTo: BigInt(m[1]!), deleteHorizonMs: BigInt(m[2]!) } : null;
}

export function writeCleanerCheckpoint(io: FileIO, dir: string, c: CleanerCheckpoint): void {
  writeSmallFileAtomic(io, join(dir, CLEANER_OFFSET_FILE), Buffer.from(`sluice-cleaner-offset 1\n${c.cleanedUpTo}\n${c.deleteHorizonMs}\n`, 'latin1'));
}

/**
 * The cleaned segment being written, in cleaning/. Batches are buffered and appended through a
 * Segment, which builds the offset and time indexes exactly as for any segment.
 */
export class CleanedSegmentWriter {
  private readonly segment: Segment;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;
  readonly cleaningDir: string;

  constructor(
    private readonly io: FileIO,
    readonly dir: string,
    readonly baseOffset: bigint,
    opts: SegmentOptions,
    nowMs: number,
  ) {
    this.cleaningDir = join(dir, CLEANING_DIR);
    if (io.exists(this.cleaningDir)) io.removeDir(this.cleaningDir);
    io.mkdir(this.cleaningDir);
    io.fsyncDir(dir);
    this.segment = Segment.create(io, this.cleaningDir, baseOffset, opts, nowMs);
  }

  /** Appends one whole batch (offsets as stored, increasing). */
  append(batch: Buffer): void {
    if (this.done) throw new Error('append to a finished cleaned segment');
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    if (this.pendingBytes >= CHUNK_BYTES) this.writePending();
  }

  get sizeBytes(): number {
    return this.segment.size + this.pendingBytes;
  }

  /** Entries of the fuller index so far (writes the buffered batches first). */
  get indexEntries(): number {
    this.writePending();
    return Math.max(this.segment.offsetIndexEntries, this.segment.timeIndexEntries);
  }

  private writePending(): void {
    if (this.pending.length === 0) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const infos: BatchInfo[] = [];
    for (let pos = 0; pos < buf.length; ) {
      const size = 12 + buf.readInt32BE(pos + BatchField.batchLength);
      infos.push(readBatchInfo(buf, pos, size));
      pos += size;
    }
    this.segment.append(buf, infos);
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Step 1 of a replacement: seal, write the txnindex, fsync everything. */
  finish(abortedTxns: readonly AbortedTxn[]): void {
    this.writePending();
    this.segment.seal();
    this.segment.closeHandles();
    const fd = this.io.open(join(this.cleaningDir, segmentFileName(this.baseOffset, TXN_INDEX_SUFFIX)), { create: true });
    try {
      this.io.truncate(fd, 0);
      if (abortedTxns.length > 0) this.io.pwrite(fd, Buffer.concat(abortedTxns.map(encodeTxnEntry)), 0);
      this.io.fsync(fd);
    } finally {
      this.io.close(fd);
    }
    this.io.fsyncDir(this.cleaningDir);
    this.done = true;
  }

  /** Drops the files (nothing worth replacing, or a failed pass). */
  abandon(): void {
    try {
      this.segment.closeHandles();
    } finally {
      this.done = true;
      this.io.removeDir(this.cleaningDir);
    }
  }
}

/** Step 2: the commit point. */
export function writeCleanSwap(io: FileIO, dir: string, baseOffset: bigint, endOffset: bigint): void {
  writeSmallFileAtomic(io, join(dir, CLEAN_SWAP_FILE), Buffer.from(`sluice-clean-swap 1\n${baseOffset}\n${endOffset}\n`, 'latin1'));
}

/**
 * What open() runs before it lists the segments: finishes a replacement whose clean-swap exists
 * (steps 3-5), else removes a half-written cleaning/. See the module comment.
 */
export function recoverInterruptedClean(dir: string, io: FileIO): void {
  const swapPath = join(dir, CLEAN_SWAP_FILE);
  const content = readSmallFile(io, swapPath, 256);
  if (content === null) {
    if (io.exists(join(dir, CLEANING_DIR))) {
      io.removeDir(join(dir, CLEANING_DIR));
      io.fsyncDir(dir);
    }
    return;
  }
  const m = SWAP_LINE.exec(content.toString('latin1'));
  // Written atomically, so anything else is not ours to guess about.
  if (!m) throw new Error(`${swapPath}: not a clean-swap file`);
  completeSwap(io, dir, BigInt(m[1]!), BigInt(m[2]!));
}

/** Steps 3-5 of a replacement; safe to repeat after a crash at any point. */
export function completeSwap(io: FileIO, dir: string, baseOffset: bigint, endOffset: bigint): void {
  for (const name of io.readdir(dir)) {
    const m = SEGMENT_FILE.exec(name);
    if (!m) continue;
    const base = BigInt(m[1]!);
    if (base > baseOffset && base < endOffset) io.unlink(join(dir, name));
  }
  const cleaning = join(dir, CLEANING_DIR);
  for (const suffix of SWAP_SUFFIXES) {
    const name = segmentFileName(baseOffset, suffix);
    if (io.exists(join(cleaning, name))) io.rename(join(cleaning, name), join(dir, name));
  }
  io.fsyncDir(dir);
  if (io.exists(cleaning)) io.removeDir(cleaning);
  io.unlink(join(dir, CLEAN_SWAP_FILE));
  io.fsyncDir(dir);
}

// -- one pass ---------------------------------------------------------------------------------------

export interface CleanResult {
  cleaned: boolean;
  /** 'cleaned', or why the pass did nothing. */
  reason: string;
  /** Dirty bytes / cleanable bytes at the start of the pass. */
  dirtyRatio: number;
  /** Where the dirty part started, and where the checkpoint is now. */
  firstDirtyOffset: bigint;
  cleanedUpTo: bigint;
  /** Segments and bytes of the part that was rewritten, before and after. */
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRead: number;
  recordsKept: number;
  /** Batches kept as they were because they cannot be decoded here (malformed, unknown codec). */
  batchesLeftAsIs: number;
  durationMs: number;
}

interface BatchVerdict {
  /** The batch to write (the original or a rebuilt one), or null to drop it. */
  out: Buffer | null;
  changed: boolean;
  read: number;
  kept: number;
  leftAsIs: boolean;
  /** Delete horizon of the written batch when it keeps a tombstone. */
  horizon: bigint | null;
}

interface PassContext {
  map: Map<string, bigint>;
  aborted: Map<bigint, AbortedTxn[]>;
  nowMs: bigint;
  deleteRetentionMs: bigint;
}

const isControlBatch = (batch: Buffer): boolean => (batch.readInt16BE(BatchField.attributes) & ATTR_CONTROL) !== 0;

/** Whether the data batch at `base` of `producerId` belongs to an aborted transaction. */
function inAbortedTxn(ctx: PassContext, batch: Buffer): boolean {
  if ((batch.readInt16BE(BatchField.attributes) & ATTR_TRANSACTIONAL) === 0) return false;
  const list = ctx.aborted.get(batch.readBigInt64BE(BatchField.producerId));
  if (list === undefined) return false;
  const base = batch.readBigInt64BE(BatchField.baseOffset);
  return list.some((e) => e.firstOffset <= base && base < e.lastOffset);
}

/** The records of a data batch, or null when it cannot be decoded here. */
function recordsOf(batch: Buffer): RawRecord[] | null {
  try {
    return readRawRecords(batch);
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}

/** Decides what becomes of one batch of the part being rewritten. */
export function cleanBatch(batch: Buffer, ctx: PassContext): BatchVerdict {
  const asIs = (leftAsIs: boolean): BatchVerdict => ({ out: batch, changed: false, read: 0, kept: 0, leftAsIs, horizon: null });
  if (isControlBatch(batch)) return asIs(false);
  const count = batch.readInt32BE(BatchField.recordsCount);
  if (inAbortedTxn(ctx, batch)) return { out: null, changed: true, read: count, kept: 0, leftAsIs: false, horizon: null };
  const records = recordsOf(batch);
  if (records === null) return asIs(true);
  const base = batch.readBigInt64BE(BatchField.baseOffset);
  const horizon = deleteHorizonOf(batch);
  const tombstonesExpired = horizon !== null && horizon <= ctx.nowMs;
  const kept = records.filter((rec) => {
    if (rec.key === null) return false;
    const latest = ctx.map.get(rec.key.toString('latin1'));
    if (latest !== undefined && latest > base + BigInt(rec.offsetDelta)) return false;
    return !(rec.value === null && tombstonesExpired);
  });
  const keepsTombstone = kept.some((r) => r.value === null);
  const verdict = { read: records.length, kept: kept.length, leftAsIs: false };
  if (kept.length === records.length && (!keepsTombstone || horizon !== null))
    return { out: batch, changed: false, ...verdict, horizon: keepsTombstone ? horizon : null };
  if (kept.length === 0) return { out: null, changed: true, ...verdict, horizon: null };
  const newHorizon = keepsTombstone ? (horizon ?? ctx.nowMs + ctx.deleteRetentionMs) : null;
  return { out: rebuildBatch(batch, kept, { deleteHorizonMs: newHorizon }), changed: true, ...verdict, horizon: newHorizon };
}

/** Every batch of a sealed segment, in order. */
function forEachBatch(plog: PartitionLog, seg: SealedSegment, visit: (batch: Buffer) => void): void {
  let position = 0;
  while (position < seg.sizeBytes) {
    const buf = plog.readSealed(seg.baseOffset, position, CHUNK_BYTES);
    if (buf.length === 0) break;
    for (const batch of splitBatches(buf)) visit(batch);
    position += buf.length;
  }
}

/** Adds the keys of one dirty segment to the offset map. */
function mapSegment(plog: PartitionLog, seg: SealedSegment, ctx: PassContext): void {
  forEachBatch(plog, seg, (batch) => {
    if (isControlBatch(batch) || inAbortedTxn(ctx, batch)) return;
    const records = recordsOf(batch);
    if (records === null) return;
    const base = batch.readBigInt64BE(BatchField.baseOffset);
    for (const rec of records) if (rec.key !== null) ctx.map.set(rec.key.toString('latin1'), base + BigInt(rec.offsetDelta));
  });
}

/**
 * Whether the next segment may go into the cleaned segment being written: even if nothing of it
 * is removed it must fit in segment.bytes and the index capacity, and its offsets in an int32
 * relative to the base. Deciding on the cleaned size so far (Kafka groups by the sizes before
 * cleaning) lets a pass merge the many small segments it produces.
 */
function fitsInto(writer: CleanedSegmentWriter, next: SealedSegment, config: { segmentBytes: number; segmentIndexBytes: number }): boolean {
  if (writer.sizeBytes + next.sizeBytes > config.segmentBytes) return false;
  const entriesMax = Math.floor(config.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES);
  if (writer.indexEntries + Math.max(next.offsetIndexEntries, next.timeIndexEntries) + 1 >= entriesMax) return false;
  return next.endOffset - 1n - writer.baseOffset <= BigInt(RELATIVE_OFFSET_MAX);
}

/**
 * One cleaning pass over a partition log (see the module comment). Throws what the log throws
 * (LogStorageError takes the log offline; reopening it recovers).
 */
export function cleanLog(plog: PartitionLog, config: CleanerConfig, nowMs: number): CleanResult {
  const t0 = performance.now();
  const result: CleanResult = {
    cleaned: false,
    reason: '',
    dirtyRatio: 0,
    firstDirtyOffset: -1n,
    cleanedUpTo: -1n,
    segmentsBefore: 0,
    segmentsAfter: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    recordsRead: 0,
    recordsKept: 0,
    batchesLeftAsIs: 0,
    durationMs: 0,
  };
  const skip = (reason: string): CleanResult => ({ ...result, reason, durationMs: performance.now() - t0 });
  const sealed = plog.sealedSegments();
  if (sealed.length === 0) return skip('no sealed segment');
  const checkpoint = plog.cleanerCheckpoint();

  let uncleanable = sealed[sealed.length - 1]!.endOffset;
  if (plog.lastStableOffset < uncleanable) uncleanable = plog.lastStableOffset;
  if (config.minCompactionLagMs > 0) {
    const cutoff = BigInt(nowMs) - BigInt(config.minCompactionLagMs);
    const young = sealed.find((s) => s.maxTimestamp > cutoff);
    if (young !== undefined && young.baseOffset < uncleanable) uncleanable = young.baseOffset;
  }
  const cleanable = sealed.filter((s) => s.endOffset <= uncleanable);
  if (cleanable.length === 0) return skip('no segment below the first uncleanable offset');
  const start = cleanable[0]!.baseOffset;
  let firstDirty = checkpoint?.cleanedUpTo ?? start;
  if (firstDirty < start || firstDirty > plog.logEndOffset) firstDirty = start;
  result.firstDirtyOffset = firstDirty;
  let d = cleanable.findIndex((s) => s.baseOffset >= firstDirty);
  if (d < 0) d = cleanable.length;

  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (const [i, s] of cleanable.entries()) {
    if (i < d) cleanBytes += s.sizeBytes;
    else dirtyBytes += s.sizeBytes;
  }
  result.dirtyRatio = cleanBytes + dirtyBytes === 0 ? 0 : dirtyBytes / (cleanBytes + dirtyBytes);
  const horizonDue = checkpoint !== null && checkpoint.deleteHorizonMs >= 0n && checkpoint.deleteHorizonMs <= BigInt(nowMs);
  if (!(dirtyBytes > 0 && result.dirtyRatio >= config.minCleanableDirtyRatio) && !horizonDue)
    return skip(dirtyBytes === 0 ? 'nothing dirty' : `dirty ratio ${result.dirtyRatio.toFixed(3)} below ${config.minCleanableDirtyRatio}`);

  const cleanableEnd = cleanable[cleanable.length - 1]!.endOffset;
  const aborted = new Map<bigint, AbortedTxn[]>();
  for (const e of plog.abortedTransactions(start, cleanableEnd)) {
    const list = aborted.get(e.producerId) ?? [];
    list.push(e);
    aborted.set(e.producerId, list);
  }
  const ctx: PassContext = { map: new Map(), aborted, nowMs: BigInt(nowMs), deleteRetentionMs: BigInt(config.deleteRetentionMs) };
  let end = d;
  while (end < cleanable.length && (end === d || ctx.map.size < limits.cleanerOffsetMapKeysMax)) {
    mapSegment(plog, cleanable[end]!, ctx);
    end++;
  }
  const cleanedUpTo = end > d ? cleanable[end - 1]!.endOffset : firstDirty;

  let earliestHorizon = -1n;
  const segs = cleanable.slice(0, end);
  for (let i = 0; i < segs.length; ) {
    const writer = plog.beginCleanedSegment(segs[i]!.baseOffset);
    let count = 0;
    let changed = false;
    let bytesBefore = 0;
    try {
      do {
        const seg = segs[i]!;
        forEachBatch(plog, seg, (batch) => {
          const v = cleanBatch(batch, ctx);
          result.recordsRead += v.read;
          result.recordsKept += v.kept;
          if (v.leftAsIs) result.batchesLeftAsIs++;
          if (v.changed) changed = true;
          if (v.horizon !== null && (earliestHorizon < 0n || v.horizon < earliestHorizon)) earliestHorizon = v.horizon;
          if (v.out !== null) writer.append(v.out);
        });
        bytesBefore += seg.sizeBytes;
        count++;
        i++;
      } while (i < segs.length && fitsInto(writer, segs[i]!, plog.config));
    } catch (e) {
      writer.abandon();
      throw e;
    }
    if (!changed && count === 1) {
      writer.abandon();
      continue;
    }
    const bytesAfter = writer.sizeBytes;
    plog.replaceSealedSegments(writer, segs[i - 1]!.endOffset);
    result.segmentsBefore += count;
    result.segmentsAfter += 1;
    result.bytesBefore += bytesBefore;
    result.bytesAfter += bytesAfter;
  }
  plog.setCleanerCheckpoint({ cleanedUpTo, deleteHorizonMs: earliestHorizon });
  return { ...result, cleaned: true, reason: 'cleaned', cleanedUpTo, durationMs: performance.now() - t0 };
}
