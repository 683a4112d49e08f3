/**
 * One log segment: the record batches from `baseOffset` up to the next segment's base offset, in
 * three files named by the base offset, zero-padded to 20 digits (Kafka's naming):
 *
 * `<base>.log` — RecordBatch v2 (magic 2) batches, concatenated, byte for byte as received after
 *   the broker overwrote baseOffset and partitionLeaderEpoch (and, for LogAppendTime topics, the
 *   timestamp type, maxTimestamp and CRC). No file header: this is Kafka's own segment format and
 *   each batch carries its version in its magic byte, so Kafka's tools can read our segments.
 *   Offsets inside a segment increase strictly from batch to batch.
 *
 * `<base>.index` — sparse offset index, Kafka's layout: entries of 8 bytes, big-endian,
 *   `relativeOffset int32 | position int32`, where relativeOffset = (last offset of a batch) -
 *   base and position = byte position of that batch in the .log. Both strictly increase. One entry
 *   is added when more than `indexIntervalBytes` of batches were appended since the previous one
 *   (never for the first batch, whose position is 0 anyway). Lookup of offset T: binary search for
 *   the last entry with relativeOffset <= T - base, then a forward scan of batch headers from its
 *   position (at most about `indexIntervalBytes` plus one batch).
 *
 * `<base>.timeindex` — sparse time index, Kafka's layout: entries of 12 bytes, big-endian,
 *   `timestamp int64 | relativeOffset int32`: the largest batch maxTimestamp seen so far in the
 *   segment and the last offset of the first batch that reached it. Written next to each offset
 *   index entry, and once more when the segment is sealed or closed, only when the timestamp grows,
 *   so timestamps strictly increase and offsets never decrease.
 *
 * Neither index carries a header, so that they stay byte-compatible with Kafka's; the version of
 * both (and of the directory layout) is the number in the partition's `log-format` file, owned by
 * partition-log.ts. Unlike Kafka we do not preallocate or mmap the index files: entries
 * are appended with pwrite and kept in memory in typed arrays, so a plain binary search is as good
 * as Kafka's warm-section search (which exists to keep mmap lookups inside resident pages).
 * `segmentIndexBytes` bounds the entries (8 resp. 12 bytes each); a full index makes the
 * partition roll to a new segment. Memory: about 8 + 12 bytes per `indexIntervalBytes` of log
 * (0.5% at the default 4096) for every segment that has been used since open.
 *
 * Crash behaviour. Every append writes the .log first, then the index entries, so after the death
 * of the process (writes survive in the page cache) an index never points past the log; after a
 * power loss anything after the last fsync may be missing or torn, in any of the three files.
 * Recovery of the active segment (`openActive(clean = false)`) scans the whole .log checking each
 * header and CRC, truncates at the first bad or partial batch and rewrites both indexes. On a
 * clean open the indexes are sanity-checked and rebuilt from the .log when missing or when a
 * check fails: sizes are whole entries; offsets, positions and timestamps increase; positions lie
 * inside the .log; the last offset entry names the batch that starts at its position; the last
 * time entry names a batch ending at its offset with its timestamp; and (active segment) the
 * header walk from the last entry to the end finds no batch that should have earned an entry.
 * Sealed segments get the same checks lazily, on first use. A roll seals a segment with
 * `sealAsync`: its three files are fsynced off the JavaScript thread, so until that completes a
 * power loss can tear a sealed segment too. The partition log knows which sealed segments may be
 * unsynced (its recovery point, partition-log.ts) and runs `recoverSealed` on those after an
 * unclean shutdown; every other sealed segment's .log is trusted, and a broken batch chain found
 * in one later is reported as `LogCorruptionError`.
 *
 * Concurrency: a segment belongs to one PartitionLog and every call is synchronous on the
 * broker's thread, except the fsyncs started by `sealAsync`/`flushAsync`, which run on libuv's
 * thread pool. While one is in flight, the handles it uses are not closed: `closeHandles` defers
 * their close until it settles. No two processes may open the same directory.
 */
import { limits } from '../config/limits.js';
import { DecodeError, EMPTY } from '../protocol/wire.js';
import { crc32c } from '../native/crc32c.js';
import type { FileHandle, FileIO } from './file-io.js';
import {
  BatchField,
  BATCH_LENGTH_MIN,
  Compression,
  firstRecordAtOrAfter,
  LOG_OVERHEAD,
  MAGIC_V2,
  RECORD_BATCH_OVERHEAD,
  type BatchInfo,
} from './record-batch.js';
import { join } from 'node:path';
import { TXN_INDEX_SUFFIX } from './txn-index.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
export const TIME_INDEX_ENTRY_BYTES = 12;
/** Offsets inside a segment are stored relative to its base offset as int32. */
export const RELATIVE_OFFSET_MAX = 0x7fffffff;

const SEGMENT_NAME = /^(\d{20})\.log$/;

/**
 * Binary search over `count` ascending keys: the index of the last key <= target, or -1 when
 * every key is larger. Serves the offset index, the time index and the segment list.
 */
export function floorIndex<K extends number | bigint>(count: number, keyAt: (i: number) => K, target: K): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (keyAt(mid) <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function segmentFileName(baseOffset: bigint, suffix: string): string {
  return baseOffset.toString().padStart(20, '0') + suffix;
}

/** Base offset from a `.log` file name, or null for any other name. */
export function parseSegmentFileName(name: string): bigint | null {
  const m = SEGMENT_NAME.exec(name);
  return m ? BigInt(m[1]!) : null;
}

/** Stored data that cannot be what we wrote: the partition should be taken offline. */
export class LogCorruptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogCorruptionError';
  }
}

export interface SegmentOptions {
  /** index.interval.bytes */
  indexIntervalBytes: number;
  /** segment.index.bytes: bounds the entries of each index. */
  segmentIndexBytes: number;
}

// ---------------------------------------------------------------------------------------------
// In-memory indexes (mirrors of the files).

class OffsetIndex {
  rel: Int32Array;
  pos: Int32Array;
  count = 0;

  constructor(readonly maxEntries: number) {
    const cap = Math.max(1, Math.min(maxEntries, 64));
    this.rel = new Int32Array(cap);
    this.pos = new Int32Array(cap);
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  push(rel: number, pos: number): void {
    if (this.count === this.rel.length) {
      const cap = this.rel.length * 2;
      const r = new Int32Array(cap);
      r.set(this.rel);
      const p = new Int32Array(cap);
      p.set(this.pos);
      this.rel = r;
      this.pos = p;
    }
    this.rel[this.count] = rel;
    this.pos[this.count] = pos;
    this.count++;
  }

  /** Index of the last entry with relative offset <= rel, or -1. */
  floor(rel: number): number {
    return floorIndex(this.count, (i) => this.rel[i]!, rel);
  }

  clear(): void {
    this.count = 0;
  }

  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.count * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      out.writeInt32BE(this.rel[i]!, i * OFFSET_INDEX_ENTRY_BYTES);
      out.writeInt32BE(this.pos[i]!, i * OFFSET_INDEX_ENTRY_BYTES + 4);
    }
    return out;
  }
}

class TimeIndex {
  ts: BigInt64Array;
  rel: Int32Array;
  count = 0;

  constructor(readonly maxEntries: number) {
    const cap = Math.max(1, Math.min(maxEntries, 64));
    this.ts = new BigInt64Array(cap);
    this.rel = new Int32Array(cap);
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get lastTimestamp(): bigint {
    return this.count === 0 ? -1n : this.ts[this.count - 1]!;
  }

  push(ts: bigint, rel: number): void {
    if (this.count === this.ts.length) {
      const cap = this.ts.length * 2;
      const t = new BigInt64Array(cap);
      t.set(this.ts);
      const r = new Int32Array(cap);
      r.set(this.rel);
      this.ts = t;
      this.rel = r;
    }
    this.ts[this.count] = ts;
    this.rel[this.count] = rel;
    this.count++;
  }

  /** Index of the last entry with timestamp <= ts, or -1. */
  floor(ts: bigint): number {
    return floorIndex(this.count, (i) => this.ts[i]!, ts);
  }

  clear(): void {
    this.count = 0;
  }

  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.count * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      out.writeBigInt64BE(this.ts[i]!, i * TIME_INDEX_ENTRY_BYTES);
      out.writeInt32BE(this.rel[i]!, i * TIME_INDEX_ENTRY_BYTES + 8);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Batch header scanning over a file.

export interface ScannedBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  partitionLeaderEpoch: number;
  compression: number;
}

/**
 * Walks batch headers from `start` to `end` through a chunk buffer (few, large reads). Stops at
 * the first batch that is partial or fails a check, or when `visit` returns false. Returns the
 * position where the well-formed chain ends and why it ended (null: reached `end` or stopped).
 */
class BatchScanner {
  private chunk: Buffer;
  private chunkStart = 0;
  private chunkLen = 0;

  constructor(
    private readonly io: FileIO,
    private readonly fd: FileHandle,
    chunkBytes: number,
  ) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Makes `buf[pos, pos + n)` available; returns the offset of `pos` in the chunk, or -1 at EOF. */
  private ensure(pos: number, n: number, end: number): number {
    if (pos >= this.chunkStart && pos + n <= this.chunkStart + this.chunkLen) return pos - this.chunkStart;
    if (pos + n > end) return -1;
    if (n > this.chunk.length) this.chunk = Buffer.allocUnsafe(n);
    const want = Math.min(this.chunk.length, end - pos);
    this.chunkStart = pos;
    this.chunkLen = this.io.pread(this.fd, this.chunk, 0, want, pos);
    return this.chunkLen >= n ? 0 : -1;
  }

  scan(
    start: number,
    end: number,
    opts: { verifyCrc: boolean; segmentBase: bigint; nextOffsetMin: bigint },
    visit: (b: ScannedBatch) => boolean,
  ): { validEnd: number; problem: string | null } {
    let pos = start;
    let nextMin = opts.nextOffsetMin;
    let batches = 0;
    while (pos < end) {
      if (++batches > limits.recoveryBatchesPerSegmentMax)
        throw new LogCorruptionError(`more than ${limits.recoveryBatchesPerSegmentMax} batches in one segment`);
      const h = this.ensure(pos, RECORD_BATCH_OVERHEAD, end);
      if (h < 0) return { validEnd: pos, problem: `truncated batch header at ${pos}` };
      const c = this.chunk;
      const batchLength = c.readInt32BE(h + BatchField.batchLength);
      if (batchLength < BATCH_LENGTH_MIN) return { validEnd: pos, problem: `batchLength ${batchLength} at ${pos}` };
      const size = LOG_OVERHEAD + batchLength;
      if (size > end - pos) return { validEnd: pos, problem: `partial batch at ${pos}` };
      if (c.readInt8(h + BatchField.magic) !== MAGIC_V2) return { validEnd: pos, problem: `bad magic at ${pos}` };
      const baseOffset = c.readBigInt64BE(h + BatchField.baseOffset);
      const lastOffsetDelta = c.readInt32BE(h + BatchField.lastOffsetDelta);
      const lastOffset = baseOffset + BigInt(lastOffsetDelta);
      if (lastOffsetDelta < 0 || baseOffset < nextMin || lastOffset - opts.segmentBase > BigInt(RELATIVE_OFFSET_MAX))
        return { validEnd: pos, problem: `offsets ${baseOffset}..${lastOffset} out of order at ${pos}` };
      const b: ScannedBatch = {
        position: pos,
        size,
        baseOffset,
        lastOffset,
        maxTimestamp: c.readBigInt64BE(h + BatchField.maxTimestamp),
        partitionLeaderEpoch: c.readInt32BE(h + BatchField.partitionLeaderEpoch),
        compression: c.readInt16BE(h + BatchField.attributes) & 0x07,
      };
      if (opts.verifyCrc) {
        const w = this.ensure(pos, size, end);
        if (w < 0) return { validEnd: pos, problem: `partial batch at ${pos}` };
        const stored = this.chunk.readUInt32BE(w + BatchField.crc);
        if (stored !== crc32c(this.chunk, w + BatchField.attributes, w + size))
          return { validEnd: pos, problem: `crc mismatch at ${pos}` };
      }
      if (!visit(b)) return { validEnd: pos, problem: null };
      nextMin = lastOffset + 1n;
      pos += size;
    }
    return { validEnd: pos, problem: null };
  }
}

/** Chunk for lookups: an index interval plus a few headers is usually one read. */
const LOOKUP_CHUNK_BYTES = 16 * 1024;
/** Chunk for recovery and index rebuilds. */
const RECOVERY_CHUNK_BYTES = 1024 * 1024;

const offsetEntryScratch = Buffer.alloc(OFFSET_INDEX_ENTRY_BYTES);
const timeEntryScratch = Buffer.alloc(TIME_INDEX_ENTRY_BYTES);

export interface FoundBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

export interface TimestampOffset {
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

// ---------------------------------------------------------------------------------------------

export class Segment {
  /** Bytes in the .log. Valid once loaded. */
  size = 0;
  /** Offset after the last batch (base offset when empty). Maintained for the active segment. */
  nextOffset: bigint;
  /** Largest batch maxTimestamp in the segment, -1 when none. */
  maxTimestamp = -1n;
  /** Last offset of the first batch that reached maxTimestamp (Kafka's "shallow" offset). */
  offsetOfMaxTimestamp = -1n;
  /** Wall-clock ms the segment's age is measured from (segment.ms). */
  rollBaseMs: number;

  private logFd: FileHandle | null = null;
  private indexFd: FileHandle | null = null;
  private timeIndexFd: FileHandle | null = null;
  /** Async fsyncs of this segment in flight. */
  private syncsInFlight = 0;
  /** Handles given up while an async fsync used them; closed when the last one settles. */
  private closeAfterSync: FileHandle[] = [];
  /**
   * Something was written to the files since the last fsync began: a clean close of a segment
   * with nothing new (an idle partition) skips its three fsyncs.
   */
  private unsynced = false;
  private loaded = false;
  private bytesSinceLastIndexEntry = 0;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  /** Aborted transactions whose marker is in this segment (txn-index.ts); owned by the partition log. */
  readonly txnIndexPath: string;

  private constructor(
    private readonly io: FileIO,
    dir: string,
    readonly baseOffset: bigint,
    private readonly opts: SegmentOptions,
    nowMs: number,
  ) {
    this.nextOffset = baseOffset;
    this.rollBaseMs = nowMs;
    this.logPath = join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.txnIndexPath = join(dir, segmentFileName(baseOffset, TXN_INDEX_SUFFIX));
    this.indexPath = join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.offsetIndex = new OffsetIndex(Math.max(1, Math.floor(opts.segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES)));
    this.timeIndex = new TimeIndex(Math.max(1, Math.floor(opts.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES)));
  }

  /** Creates an empty active segment (replacing any leftover files of the same name). */
  static create(io: FileIO, dir: string, baseOffset: bigint, opts: SegmentOptions, nowMs: number): Segment {
    const s = new Segment(io, dir, baseOffset, opts, nowMs);
    s.logFd = io.open(s.logPath, { create: true });
    io.truncate(s.logFd, 0);
    s.indexFd = io.open(s.indexPath, { create: true });
    io.truncate(s.indexFd, 0);
    s.timeIndexFd = io.open(s.timeIndexPath, { create: true });
    io.truncate(s.timeIndexFd, 0);
    s.loaded = true;
    return s;
  }

  /** A segment found on disk; nothing is read until it is used (`ensureLoaded` / `openActive`). */
  static existing(io: FileIO, dir: string, baseOffset: bigint, opts: SegmentOptions, nowMs: number): Segment {
    return new Segment(io, dir, baseOffset, opts, nowMs);
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Either index has no room for another entry: time to roll. */
  get indexIsFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  get offsetIndexEntries(): number {
    return this.offsetIndex.count;
  }

  get timeIndexEntries(): number {
    return this.timeIndex.count;
  }

  /** Whether `offset` can be stored relative to this segment's base (int32). */
  canHoldOffset(offset: bigint): boolean {
    return offset - this.baseOffset <= BigInt(RELATIVE_OFFSET_MAX);
  }

  private logHandle(): FileHandle {
    if (this.logFd === null) this.logFd = this.io.open(this.logPath);
    return this.logFd;
  }

  // -- loading and recovery ---------------------------------------------------------------------

  /**
   * Loads a sealed segment: its size and indexes, rebuilding indexes that are missing or fail the
   * sanity checks. `nextSegmentBase` bounds its offsets.
   */
  ensureLoaded(nextSegmentBase: bigint): void {
    if (this.loaded) return;
    const fd = this.logHandle();
    this.size = this.io.size(fd);
    if (!this.loadIndexes(nextSegmentBase - 1n)) {
      const res = this.rebuild({ verifyCrc: false, end: this.size });
      this.maybeAppendTimeEntry(false); // the entry seal() would have written
      this.writeIndexFiles();
      if (res.problem !== null) {
        this.loaded = true;
        throw new LogCorruptionError(`sealed segment ${this.logPath}: ${res.problem}`);
      }
    }
    this.nextOffset = nextSegmentBase;
    this.loaded = true;
  }

  /**
   * Opens the active (last) segment. Clean: trust the .log, check the indexes, and scan headers
   * from the last index entry to find the end. Unclean (or a clean open that finds something
   * wrong): scan the whole .log with CRC checks, truncate a bad tail and rebuild the indexes.
   * Returns the number of bytes truncated.
   */
  openActive(clean: boolean, nowMs: number): { truncatedBytes: number } {
    const fd = this.logHandle();
    const indexesExist = this.io.exists(this.indexPath) && this.io.exists(this.timeIndexPath);
    this.indexFd = this.io.open(this.indexPath, { create: true });
    this.timeIndexFd = this.io.open(this.timeIndexPath, { create: true });
    this.size = this.io.size(fd);
    let truncatedBytes = 0;
    if (!clean || !indexesExist || !this.loadIndexes(null) || !this.scanTail()) {
      const res = this.rebuild({ verifyCrc: true, end: this.size });
      if (res.validEnd < this.size) {
        truncatedBytes = this.size - res.validEnd;
        this.io.truncate(fd, res.validEnd);
        this.size = res.validEnd;
      }
      this.writeIndexFiles();
    }
    this.loaded = true;
    this.rollBaseMs = this.firstBatchTimeMs(nowMs);
    return { truncatedBytes };
  }

  /**
   * After an unclean shutdown, checks a sealed segment that may not have reached the disk whole
   * (its async fsync had not completed): every header and CRC, as for the active segment. Whole:
   * its indexes are rebuilt, written and fsynced, and it is loaded; returns true. Otherwise
   * returns false: the caller makes it the active segment, dropping every later one (their data
   * came after the tear), and `openActive(false)` truncates it.
   */
  recoverSealed(nextSegmentBase: bigint): boolean {
    const fd = this.logHandle();
    this.size = this.io.size(fd);
    const res = this.rebuild({ verifyCrc: true, end: this.size });
    if (res.problem !== null || res.validEnd !== this.size || this.nextOffset > nextSegmentBase) return false;
    this.maybeAppendTimeEntry(false); // the entry seal() would have written
    this.writeIndexFiles({ sync: true });
    this.nextOffset = nextSegmentBase;
    this.loaded = true;
    return true;
  }

  /** Age reference for segment.ms: the first batch's maxTimestamp when plausible, else now. */
  private firstBatchTimeMs(nowMs: number): number {
    if (this.size < RECORD_BATCH_OVERHEAD) return nowMs;
    const h = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD);
    this.io.pread(this.logHandle(), h, 0, RECORD_BATCH_OVERHEAD, 0);
    const ts = h.readBigInt64BE(BatchField.maxTimestamp);
    return ts >= 0n && ts <= BigInt(nowMs) ? Number(ts) : nowMs;
  }

  /**
   * Reads both index files into memory and checks them. `lastOffsetMax` (null: unknown) bounds
   * the time index offsets. Returns false when a file is missing or fails a check.
   */
  private loadIndexes(lastOffsetMax: bigint | null): boolean {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.maxTimestamp = -1n;
    this.offsetOfMaxTimestamp = -1n;
    const offsets = this.readWholeFile(this.indexPath, this.indexFd);
    const times = this.readWholeFile(this.timeIndexPath, this.timeIndexFd);
    if (offsets === null || times === null) return false;
    if (offsets.length % OFFSET_INDEX_ENTRY_BYTES !== 0 || times.length % TIME_INDEX_ENTRY_BYTES !== 0) return false;
    let prevRel = -1;
    let prevPos = -1;
    for (let p = 0; p < offsets.length; p += OFFSET_INDEX_ENTRY_BYTES) {
      const rel = offsets.readInt32BE(p);
      const pos = offsets.readInt32BE(p + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= this.size) return false;
      this.offsetIndex.push(rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    let prevTs: bigint | null = null;
    let prevTsRel = 0;
    for (let p = 0; p < times.length; p += TIME_INDEX_ENTRY_BYTES) {
      const ts = times.readBigInt64BE(p);
      const rel = times.readInt32BE(p + 8);
      if ((prevTs !== null && ts <= prevTs) || rel < prevTsRel) return false;
      if (lastOffsetMax !== null && this.baseOffset + BigInt(rel) > lastOffsetMax) return false;
      this.timeIndex.push(ts, rel);
      prevTs = ts;
      prevTsRel = rel;
    }
    if (this.offsetIndex.count > 0) {
      // The last entry must name the batch that starts at its position.
      const i = this.offsetIndex.count - 1;
      const b = this.headerAt(this.offsetIndex.pos[i]!);
      if (b === null || b.lastOffset !== this.baseOffset + BigInt(this.offsetIndex.rel[i]!)) return false;
    }
    if (this.timeIndex.count > 0) {
      // The last entry must name a batch that ends at its offset and has its timestamp.
      const ts = this.timeIndex.lastTimestamp;
      const offset = this.baseOffset + BigInt(this.timeIndex.rel[this.timeIndex.count - 1]!);
      let b: FoundBatch | null = null;
      try {
        b = this.findBatch(offset);
      } catch (e) {
        if (!(e instanceof LogCorruptionError)) throw e;
      }
      if (b === null || b.lastOffset !== offset || b.maxTimestamp !== ts) return false;
      this.maxTimestamp = ts;
      this.offsetOfMaxTimestamp = offset;
    }
    return true;
  }

  private readWholeFile(path: string, openFd: FileHandle | null): Buffer | null {
    if (openFd === null && !this.io.exists(path)) return null;
    const fd = openFd ?? this.io.open(path);
    try {
      const size = this.io.size(fd);
      const buf = Buffer.allocUnsafe(size);
      const n = this.io.pread(fd, buf, 0, size, 0);
      return n === size ? buf : null;
    } finally {
      if (openFd === null) this.io.close(fd);
    }
  }

  /**
   * Clean open of the active segment: walk headers from the last offset index entry to the end of
   * the .log, to learn the next offset and bring the in-memory state up to date. False when the
   * chain does not reach the end exactly or the time index points past it.
   */
  private scanTail(): boolean {
    const n = this.offsetIndex.count;
    const start = n === 0 ? 0 : this.offsetIndex.pos[n - 1]!;
    const scanner = new BatchScanner(this.io, this.logHandle(), LOOKUP_CHUNK_BYTES);
    let next = this.baseOffset;
    let sinceIndex = 0;
    let missingEntry = false;
    const res = scanner.scan(start, this.size, { verifyCrc: false, segmentBase: this.baseOffset, nextOffsetMin: this.baseOffset }, (b) => {
      this.noteTimestamp(b.maxTimestamp, b.lastOffset);
      // Replays `indexBatch`: a batch that should have earned an entry means the index is short.
      if (sinceIndex > this.opts.indexIntervalBytes) missingEntry = true;
      sinceIndex += b.size;
      next = b.lastOffset + 1n;
      return !missingEntry;
    });
    if (missingEntry || res.problem !== null || res.validEnd !== this.size) return false;
    if (this.timeIndex.count > 0 && this.offsetOfMaxTimestamp >= next) return false;
    this.nextOffset = next;
    this.bytesSinceLastIndexEntry = sinceIndex;
    return true;
  }

  /** Rebuilds the in-memory indexes from the .log up to the first bad batch. */
  private rebuild(opts: { verifyCrc: boolean; end: number }): { validEnd: number; problem: string | null } {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.maxTimestamp = -1n;
    this.offsetOfMaxTimestamp = -1n;
    this.bytesSinceLastIndexEntry = 0;
    let next = this.baseOffset;
    const scanner = new BatchScanner(this.io, this.logHandle(), RECOVERY_CHUNK_BYTES);
    const res = scanner.scan(0, opts.end, { verifyCrc: opts.verifyCrc, segmentBase: this.baseOffset, nextOffsetMin: this.baseOffset }, (b) => {
      this.indexBatch(b.position, b.size, b.lastOffset, b.maxTimestamp, false);
      next = b.lastOffset + 1n;
      return true;
    });
    this.nextOffset = next;
    return res;
  }

  private writeIndexFiles(opts: { sync?: boolean } = {}): void {
    if (opts.sync !== true) this.unsynced = true;
    const write = (path: string, fd: FileHandle | null, data: Buffer): void => {
      const h = fd ?? this.io.open(path, { create: true });
      try {
        this.io.truncate(h, 0);
        if (data.length > 0) this.io.pwrite(h, data, 0);
        if (opts.sync === true) this.io.fsync(h);
      } finally {
        if (fd === null) this.io.close(h);
      }
    };
    write(this.indexPath, this.indexFd, this.offsetIndex.encode());
    write(this.timeIndexPath, this.timeIndexFd, this.timeIndex.encode());
  }

  // -- appending --------------------------------------------------------------------------------

  private noteTimestamp(maxTimestamp: bigint, lastOffset: bigint): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
  }

  /**
   * Updates the in-memory indexes for one batch (Kafka's order: timestamp first, then an index
   * entry when more than indexIntervalBytes went by since the last, then count the bytes), and
   * appends the new entries to the files when `writeFiles`.
   */
  private indexBatch(position: number, size: number, lastOffset: bigint, maxTimestamp: bigint, writeFiles: boolean): void {
    this.noteTimestamp(maxTimestamp, lastOffset);
    if (this.bytesSinceLastIndexEntry > this.opts.indexIntervalBytes) {
      const rel = Number(lastOffset - this.baseOffset);
      this.offsetIndex.push(rel, position);
      if (writeFiles) {
        offsetEntryScratch.writeInt32BE(rel, 0);
        offsetEntryScratch.writeInt32BE(position, 4);
        this.io.pwrite(this.indexFd!, offsetEntryScratch, (this.offsetIndex.count - 1) * OFFSET_INDEX_ENTRY_BYTES);
      }
      this.maybeAppendTimeEntry(writeFiles);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  private maybeAppendTimeEntry(writeFiles: boolean): void {
    if (this.maxTimestamp <= this.timeIndex.lastTimestamp || this.offsetOfMaxTimestamp < 0n) return;
    const rel = Number(this.offsetOfMaxTimestamp - this.baseOffset);
    this.timeIndex.push(this.maxTimestamp, rel);
    if (writeFiles) {
      this.unsynced = true;
      timeEntryScratch.writeBigInt64BE(this.maxTimestamp, 0);
      timeEntryScratch.writeInt32BE(rel, 8);
      this.io.pwrite(this.timeIndexFd!, timeEntryScratch, (this.timeIndex.count - 1) * TIME_INDEX_ENTRY_BYTES);
    }
  }

  /**
   * Appends batches whose offsets were already assigned: one write to the .log, then the index
   * entries they earn. `buf` holds exactly the batches described by `infos`.
   */
  append(buf: Buffer, infos: readonly BatchInfo[]): void {
    if (this.indexFd === null || this.timeIndexFd === null) throw new Error(`append to sealed segment ${this.logPath}`);
    const start = this.size;
    if (start + buf.length > 0x7fffffff) throw new Error('segment position would overflow int32');
    this.unsynced = true;
    this.io.pwrite(this.logHandle(), buf, start);
    this.size = start + buf.length;
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      const lastOffset = buf.readBigInt64BE(info.position) + BigInt(info.lastOffsetDelta);
      this.indexBatch(start + info.position, info.size, lastOffset, info.maxTimestamp, true);
      this.nextOffset = lastOffset + 1n;
    }
  }

  /** fsync of the .log and both indexes, on this thread. */
  flush(): void {
    this.io.fsync(this.logHandle());
    if (this.indexFd !== null) this.io.fsync(this.indexFd);
    if (this.timeIndexFd !== null) this.io.fsync(this.timeIndexFd);
    this.unsynced = false;
  }

  /** `flush` off the JavaScript thread; the promise rejects with the first failure. */
  flushAsync(): Promise<void> {
    this.unsynced = false;
    const fds = [this.logHandle()];
    if (this.indexFd !== null) fds.push(this.indexFd);
    if (this.timeIndexFd !== null) fds.push(this.timeIndexFd);
    return this.syncInBackground(fds);
  }

  private async syncInBackground(fds: FileHandle[]): Promise<void> {
    this.syncsInFlight++;
    let results: PromiseSettledResult<void>[];
    try {
      results = await Promise.allSettled(fds.map((fd) => this.io.fsyncAsync(fd)));
    } finally {
      this.syncsInFlight--;
      if (this.syncsInFlight === 0) this.closeDeferred();
    }
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  private closeDeferred(): void {
    const fds = this.closeAfterSync;
    this.closeAfterSync = [];
    for (const fd of fds) {
      try {
        this.io.close(fd);
      } catch {
        // a handle of a crashed MemoryFileIO or a dead disk: nothing is left to release
      }
    }
  }

  /** Whether an async fsync of this segment is still running. */
  get syncPending(): boolean {
    return this.syncsInFlight > 0;
  }

  /**
   * `seal` with the fsync off the JavaScript thread (what a roll does; Kafka, too, flushes a
   * rolled segment in the background). The segment is sealed at once (no more appends) and
   * durable against power loss when the promise resolves; its index handles close then.
   */
  sealAsync(): Promise<void> {
    this.finishActive();
    const fds = [this.logHandle()];
    for (const fd of [this.indexFd, this.timeIndexFd]) {
      if (fd === null) continue;
      fds.push(fd);
      this.closeAfterSync.push(fd);
    }
    this.indexFd = null;
    this.timeIndexFd = null;
    return this.syncInBackground(fds);
  }

  /**
   * fsyncs on this thread the files of async fsyncs still in flight (a clean close must not end
   * before they are durable); those finish later, harmlessly.
   */
  syncNow(): void {
    if (this.syncsInFlight === 0) return;
    if (this.logFd !== null) this.io.fsync(this.logFd);
    for (const fd of this.closeAfterSync) this.io.fsync(fd);
  }

  /**
   * The segment stops being active: record its final max timestamp in the time index (so a
   * later load knows it without a scan, as Kafka does on roll), fsync everything and close the
   * index handles. The .log handle stays open for reads.
   */
  seal(): void {
    this.finishActive();
    this.flush();
    this.closeIndexHandles();
  }

  private finishActive(): void {
    if (this.timeIndexFd === null) return;
    this.maybeAppendTimeEntry(true);
  }

  private closeIndexHandles(): void {
    for (const fd of [this.indexFd, this.timeIndexFd]) if (fd !== null) this.release(fd);
    this.indexFd = null;
    this.timeIndexFd = null;
  }

  /** Closes a handle now, or when the async fsyncs in flight settle. */
  private release(fd: FileHandle): void {
    if (this.syncsInFlight > 0) this.closeAfterSync.push(fd);
    else this.io.close(fd);
  }

  /**
   * Clean close: final time index entry, fsync (unless nothing was written since the last one
   * and none is still running), close every handle.
   */
  close(): void {
    if (this.timeIndexFd !== null) {
      this.finishActive();
      if (this.unsynced || this.syncsInFlight > 0) this.flush();
    }
    this.closeHandles();
  }

  /** Closes every handle without writing anything (crash simulation, failed directory). */
  closeHandles(): void {
    this.closeIndexHandles();
    if (this.logFd !== null) this.release(this.logFd);
    this.logFd = null;
  }

  // -- reading ----------------------------------------------------------------------------------

  /** Header of the batch at `position`, or null when none well-formed starts there. */
  private headerAt(position: number): ScannedBatch | null {
    let found: ScannedBatch | null = null;
    if (position + RECORD_BATCH_OVERHEAD > this.size) return null;
    const scanner = new BatchScanner(this.io, this.logHandle(), RECORD_BATCH_OVERHEAD);
    scanner.scan(position, this.size, { verifyCrc: false, segmentBase: this.baseOffset, nextOffsetMin: this.baseOffset }, (b) => {
      found = b;
      return false;
    });
    return found;
  }

  /** Position to start scanning from for `offset`: the last index entry at or below it. */
  private lookupPosition(offset: bigint): number {
    const rel = offset - this.baseOffset;
    if (rel < 0n) return 0;
    const i = this.offsetIndex.floor(rel > BigInt(RELATIVE_OFFSET_MAX) ? RELATIVE_OFFSET_MAX : Number(rel));
    return i < 0 ? 0 : this.offsetIndex.pos[i]!;
  }

  /**
   * The first batch whose last offset is >= `offset` (the batch holding it, or the next one after a
   * gap), or null when the segment has none.
   */
  findBatch(offset: bigint): FoundBatch | null {
    const start = this.lookupPosition(offset);
    let found: FoundBatch | null = null;
    const scanner = new BatchScanner(this.io, this.logHandle(), LOOKUP_CHUNK_BYTES);
    const res = scanner.scan(start, this.size, { verifyCrc: false, segmentBase: this.baseOffset, nextOffsetMin: this.baseOffset }, (b) => {
      if (b.lastOffset < offset) return true;
      found = { position: b.position, size: b.size, baseOffset: b.baseOffset, lastOffset: b.lastOffset, maxTimestamp: b.maxTimestamp };
      return false;
    });
    if (res.problem !== null) throw new LogCorruptionError(`${this.logPath}: ${res.problem}`);
    return found;
  }

  /**
   * Whole batches from `position`, as stored, up to `maxBytes` in all. When not even the first
   * batch fits: that batch alone if `minOneBatch`, else an empty buffer.
   */
  readFrom(position: number, maxBytes: number, minOneBatch: boolean): Buffer {
    const available = this.size - position;
    if (available <= 0) return EMPTY;
    const fd = this.logHandle();
    const limit = Number.isNaN(maxBytes) ? 0 : Math.floor(maxBytes);
    const want = Math.max(0, Math.min(limit, available));
    if (want >= LOG_OVERHEAD) {
      const buf = Buffer.allocUnsafe(want);
      const n = this.io.pread(fd, buf, 0, want, position);
      let end = 0;
      while (end + LOG_OVERHEAD <= n) {
        const size = LOG_OVERHEAD + buf.readInt32BE(end + BatchField.batchLength);
        if (size < RECORD_BATCH_OVERHEAD) throw new LogCorruptionError(`${this.logPath}: batch of ${size} bytes at ${position + end}`);
        if (end + size > n) break;
        end += size;
      }
      if (end > 0) return buf.subarray(0, end);
    }
    if (!minOneBatch) return EMPTY;
    return this.readBatchAt(position);
  }

  /** The one whole batch at `position`. */
  readBatchAt(position: number): Buffer {
    const fd = this.logHandle();
    const head = Buffer.allocUnsafe(LOG_OVERHEAD);
    if (this.io.pread(fd, head, 0, LOG_OVERHEAD, position) !== LOG_OVERHEAD)
      throw new LogCorruptionError(`${this.logPath}: no batch header at ${position}`);
    const size = LOG_OVERHEAD + head.readInt32BE(BatchField.batchLength);
    if (size < RECORD_BATCH_OVERHEAD || position + size > this.size)
      throw new LogCorruptionError(`${this.logPath}: batch of ${size} bytes at ${position} does not fit`);
    const out = Buffer.allocUnsafe(size);
    if (this.io.pread(fd, out, 0, size, position) !== size) throw new LogCorruptionError(`${this.logPath}: short read at ${position}`);
    return out;
  }

  /**
   * The first record at or after `startOffset` whose timestamp is >= `targetMs`, or null.
   * Uncompressed batches are searched record by record. For a compressed batch (we do not
   * decompress) the answer is the batch's first offset not below `startOffset`, with the batch's
   * maxTimestamp: never later than the true record, so a consumer that seeks there misses
   * nothing. Kafka decompresses and returns the exact record.
   */
  findTimestamp(targetMs: bigint, startOffset: bigint): TimestampOffset | null {
    if (this.maxTimestamp < targetMs) return null;
    const t = this.timeIndex.floor(targetMs);
    const fromOffset = t < 0 ? this.baseOffset : this.baseOffset + BigInt(this.timeIndex.rel[t]!);
    const start = this.lookupPosition(fromOffset > startOffset ? fromOffset : startOffset);
    let candidate: ScannedBatch | null = null;
    let result: TimestampOffset | null = null;
    const scanner = new BatchScanner(this.io, this.logHandle(), LOOKUP_CHUNK_BYTES);
    const opts = { verifyCrc: false, segmentBase: this.baseOffset, nextOffsetMin: this.baseOffset };
    let pos = start;
    for (;;) {
      candidate = null;
      const res = scanner.scan(pos, this.size, opts, (b) => {
        if (b.lastOffset < startOffset || b.maxTimestamp < targetMs) return true;
        candidate = b;
        return false;
      });
      if (res.problem !== null) throw new LogCorruptionError(`${this.logPath}: ${res.problem}`);
      const b = candidate as ScannedBatch | null;
      if (b === null) return null;
      result = this.timestampInBatch(b, targetMs, startOffset);
      if (result !== null) return result;
      pos = b.position + b.size;
    }
  }

  private timestampInBatch(b: ScannedBatch, targetMs: bigint, startOffset: bigint): TimestampOffset | null {
    if (b.compression !== Compression.none) {
      return { offset: b.baseOffset > startOffset ? b.baseOffset : startOffset, timestamp: b.maxTimestamp, leaderEpoch: b.partitionLeaderEpoch };
    }
    const r = this.decodeStored(() => firstRecordAtOrAfter(this.readBatchAt(b.position), targetMs, startOffset));
    return r === null ? null : { offset: r.offset, timestamp: r.timestamp, leaderEpoch: b.partitionLeaderEpoch };
  }

  /** The record holding this segment's max timestamp, or null when no batch has a timestamp. */
  maxTimestampRecord(): TimestampOffset | null {
    if (this.maxTimestamp < 0n || this.offsetOfMaxTimestamp < 0n) return null;
    const b = this.findBatch(this.offsetOfMaxTimestamp);
    if (b === null) return null;
    const batch = this.readBatchAt(b.position);
    const leaderEpoch = batch.readInt32BE(BatchField.partitionLeaderEpoch);
    const compression = batch.readInt16BE(BatchField.attributes) & 0x07;
    if (compression !== Compression.none) return { offset: b.baseOffset, timestamp: this.maxTimestamp, leaderEpoch };
    const r = this.decodeStored(() => firstRecordAtOrAfter(batch, this.maxTimestamp, b.baseOffset));
    return r === null
      ? { offset: b.baseOffset, timestamp: this.maxTimestamp, leaderEpoch }
      : { offset: r.offset, timestamp: r.timestamp, leaderEpoch };
  }

  /** Runs a record decoder over stored bytes; a decode failure means corrupt storage. */
  private decodeStored<T>(decode: () => T): T {
    try {
      return decode();
    } catch (e) {
      if (e instanceof DecodeError) throw new LogCorruptionError(`${this.logPath}: ${e.message}`);
      throw e;
    }
  }

  /**
   * Cuts the .log at `position` (a batch boundary of a loaded segment), fsyncs the cut and reopens
   * the segment as the active one (what the partition log's truncation needs of its last
   * segment). As Kafka's LogSegment.truncateTo, the index entries of the batches before the cut
   * are kept (written back, fsynced) and nothing before the cut is read again but what a clean
   * open reads: the checks of the last entries and the header walk from the last offset entry.
   * Should a check fail, the clean open falls back to the full rebuild with CRCs, as always.
   */
  truncateTo(position: number, nowMs: number): void {
    if (!this.loaded) throw new Error(`truncate of segment ${this.logPath} before it was loaded`);
    if (position < this.size) {
      const cut = this.headerAt(position);
      if (cut === null) throw new LogCorruptionError(`${this.logPath}: no batch starts at ${position}, the truncation point`);
      let offsets = this.offsetIndex.count;
      while (offsets > 0 && this.offsetIndex.pos[offsets - 1]! >= position) offsets--;
      let times = this.timeIndex.count;
      while (times > 0 && this.baseOffset + BigInt(this.timeIndex.rel[times - 1]!) >= cut.baseOffset) times--;
      this.offsetIndex.count = offsets;
      this.timeIndex.count = times;
    }
    const offsetEntries = this.offsetIndex.encode();
    const timeEntries = this.timeIndex.encode();
    this.closeHandles();
    const fd = this.logHandle();
    this.io.truncate(fd, position);
    this.io.fsync(fd);
    for (const [path, entries] of [[this.indexPath, offsetEntries], [this.timeIndexPath, timeEntries]] as const) {
      const h = this.io.open(path, { create: true });
      try {
        this.io.truncate(h, 0);
        if (entries.length > 0) this.io.pwrite(h, entries, 0);
        this.io.fsync(h);
      } finally {
        this.io.close(h);
      }
    }
    this.size = position;
    this.openActive(true, nowMs);
    this.flush();
  }

  /** Removes the three files (handles must be closed first). */
  deleteFiles(): void {
    this.closeHandles();
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndexPath]) if (this.io.exists(p)) this.io.unlink(p);
  }
}
