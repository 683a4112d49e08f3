/**
 * The leader-epoch cache of one partition log (Kafka's LeaderEpochFileCache) and its file,
 * `leader-epoch-checkpoint` (Kafka's LeaderEpochCheckpointFile). Issue 12: followers truncate by
 * it (Fetch's DivergingEpoch, OffsetForLeaderEpoch) and consumers validate their position with it.
 *
 * What it holds: for each leader epoch that wrote data into this log, the offset of the first
 * batch written under it, `(epoch, startOffset)`. Epochs strictly increase down the list and so
 * do start offsets; `assign` keeps it so (below). The latest entry is the epoch being written.
 *
 * File format, Kafka's byte for byte, so a partition directory copied from Kafka reads the same
 * and ours reads in Kafka (checked against Kafka 4.1.1's own writer and reader, see the tests):
 *
 *     0\n                       the format version, the only one there is
 *     <count>\n                 number of entry lines
 *     <epoch> <startOffset>\n   `count` lines in list order, decimal, one space
 *
 * An empty cache writes "0\n0\n". Reading accepts exactly what Kafka's reader accepts: an empty
 * file or one with only the version line is an empty cache (Kafka creates the file empty);
 * lines may end in \n, \r\n or \r, the last one may lack its end; the numbers may carry a sign
 * and leading zeros; an entry line splits on runs of spaces, tabs, \v or \f, and may end with
 * them but not start with them. The entries then go through `assign` one by one, as Kafka loads
 * them, so a list that is not increasing comes back repaired, not refused. Refused, with a
 * LeaderEpochCheckpointError: another version, a line that is not a number or not two numbers,
 * a count that is not the number of lines, a negative epoch or offset, an epoch beyond int32 or
 * an offset beyond int64, a file larger than `entriesMax` lines could be. (Kafka refuses the same
 * files, and fails the log's load with them; its reader also takes non-ASCII decimal digits,
 * which no writer produces and we refuse.)
 *
 * Writes: every change rewrites the whole file atomically (writeSmallFileAtomic: `<file>.tmp`,
 * fsync, rename, fsync of the directory) and only then shows in memory, so a failed write
 * throws the FileIO error and leaves the cache as it was (the log then goes offline, as a failed
 * write takes it offline anywhere). Kafka writes `assign` the same way but flushes truncations
 * in the background to keep fsyncs off its fetcher threads; here they are synchronous too: they
 * happen once per follower divergence or log start move, not per append, and a truncation that
 * reaches the file at once cannot come back after a crash.
 *
 * Crash behaviour: the file holds the list as of the last change that returned, or of the change
 * before it when the process died inside a write; a stray `.tmp` is never read and the next write
 * replaces it. The file can still run ahead of or behind the log's data after a crash (an epoch
 * assigned before its batch reached the disk; a batch recovered whose epoch was never assigned),
 * so after loading its segments the log must, as Kafka's LogLoader does: assign the epochs of the
 * batches it recovered (`assignFromBatches`, the same rule as Kafka's LogSegment.recover), then
 * `truncateFromEnd(logEndOffset)` and `truncateFromStart(logStartOffset)`.
 *
 * A corrupt file: Kafka fails the log's load (KafkaStorageException, the log directory goes
 * offline). `open` throws LeaderEpochCheckpointError, which the log may catch and answer with
 * `rebuild` from the headers of all its batches (partitionLeaderEpoch, baseOffset) followed by
 * `truncateFromStart(logStartOffset)`: that gives the list Kafka would have had for every epoch
 * whose batches are still in the log. I/O errors while reading are thrown as they are (a storage
 * failure, not a corrupt file).
 *
 * Bound: at most `entriesMax` entries (limits.leaderEpochEntriesMax, which says why); past it
 * the oldest is dropped and counted in `entriesDropped`. Kafka has no bound.
 *
 * Concurrency: one cache per partition log, used from the broker's thread only; every method is
 * synchronous, so no call observes another half done.
 */
import { join } from 'node:path';
import { limits } from '../config/limits.js';
import { readSmallFile, writeSmallFileAtomic, type FileIO } from './file-io.js';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
/** The only version of the file (Kafka's LeaderEpochCheckpointFile.CURRENT_VERSION). */
const CHECKPOINT_VERSION = 0;
/** "No epoch" on the wire and in answers (Kafka's OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH). */
export const UNDEFINED_EPOCH = -1;
/** "No offset" in answers (Kafka's OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH_OFFSET). */
export const UNDEFINED_EPOCH_OFFSET = -1n;

const INT32_MAX = 2 ** 31 - 1;
const INT64_MAX = 2n ** 63n - 1n;
/**
 * Bytes allowed per entry line when bounding the file size: the longest line we write is 31
 * bytes ("2147483647 9223372036854775807\n"); the rest leaves room for the signs, zeros and
 * blanks Kafka's reader allows.
 */
const LINE_BYTES_MAX = 64;
/** Java's BufferedReader.readLine ends a line at \n, \r or \r\n. */
const LINE_END = /\r\n|\r|\n/;
/** Java's Integer.parseInt / Long.parseLong syntax (ASCII digits). */
const JAVA_INTEGER = /^[+-]?[0-9]+$/;
/** Java's \s inside a line (no \n, \r there). */
const BLANKS = /[ \t\v\f]+/;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: bigint;
}

/** Answer of `endOffsetFor`, as OffsetForLeaderEpoch returns it. */
export interface EpochEndOffset {
  epoch: number;
  endOffset: bigint;
}

/** A batch header's two fields that the cache reads (record-batch.ts BatchInfo has both). */
export interface BatchEpoch {
  partitionLeaderEpoch: number;
  baseOffset: bigint;
}

export interface LeaderEpochCacheOptions {
  /** Entries kept; default limits.leaderEpochEntriesMax. */
  entriesMax?: number;
}

/** The checkpoint file is not one Kafka's reader would load; the log may rebuild it. */
export class LeaderEpochCheckpointError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`leader-epoch checkpoint ${path}: ${detail}`);
    this.name = 'LeaderEpochCheckpointError';
  }
}

// -- the file -------------------------------------------------------------------------------------

/** The file's bytes for `entries`, exactly as Kafka writes them. */
export function formatCheckpoint(entries: readonly EpochEntry[]): Buffer {
  let text = `${CHECKPOINT_VERSION}\n${entries.length}\n`;
  for (const e of entries) text += `${e.epoch} ${e.startOffset}\n`;
  return Buffer.from(text, 'latin1');
}

/**
 * The entry lines of a checkpoint file, in file order, before `assign`'s rules (which `open`
 * applies). Throws LeaderEpochCheckpointError for what Kafka's reader refuses (module comment).
 */
export function parseCheckpoint(content: Buffer, path: string): EpochEntry[] {
  const fail = (detail: string): never => {
    throw new LeaderEpochCheckpointError(path, detail);
  };
  const text = content.toString('utf8');
  if (text.length === 0) return [];
  const lines = text.split(LINE_END);
  if (lines[lines.length - 1] === '') lines.pop(); // the end of the last line, not a line
  const intLine = (line: string): number => {
    const n = JAVA_INTEGER.test(line) ? Number(line) : NaN;
    return Number.isSafeInteger(n) && Math.abs(n) <= INT32_MAX ? n : fail(`malformed line ${JSON.stringify(line)}`);
  };
  const version = intLine(lines[0]!);
  if (version !== CHECKPOINT_VERSION) fail(`version ${version}, expected ${CHECKPOINT_VERSION}`);
  if (lines.length < 2) return [];
  const count = intLine(lines[1]!);
  if (count < 0) fail(`negative entry count ${count}`);
  const entries: EpochEntry[] = [];
  for (let i = 2; i < lines.length; i++) entries.push(parseEntryLine(lines[i]!, fail));
  if (entries.length !== count) fail(`${count} entries announced, ${entries.length} found`);
  return entries;
}

function parseEntryLine(line: string, fail: (detail: string) => never): EpochEntry {
  const fields = line.split(BLANKS);
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop(); // Java's split drops trailing empties
  const [epochText, offsetText] = fields;
  if (fields.length !== 2 || !JAVA_INTEGER.test(epochText!) || !JAVA_INTEGER.test(offsetText!))
    fail(`malformed line ${JSON.stringify(line)}`);
  const epoch = BigInt(epochText!);
  const startOffset = BigInt(offsetText!);
  if (epoch < -(2n ** 31n) || epoch > BigInt(INT32_MAX) || startOffset < -(2n ** 63n) || startOffset > INT64_MAX)
    fail(`number out of range in ${JSON.stringify(line)}`);
  // Kafka's assign refuses these while loading, which fails the load too.
  if (epoch < 0n || startOffset < 0n) fail(`negative epoch or offset in ${JSON.stringify(line)}`);
  return { epoch: Number(epoch), startOffset };
}

// -- list rules (pure; each works on an array the caller owns) ------------------------------------

/**
 * Kafka's assign: nothing to do when `entry` has the latest epoch at the same or a later offset
 * (the epoch already started there). Otherwise every entry from the end whose epoch is not below
 * `entry.epoch` or whose start is not below `entry.startOffset` goes (it conflicts: a log cannot
 * go back in epoch, or start two epochs at one offset), and `entry` becomes the latest.
 */
function assignInto(list: EpochEntry[], entry: EpochEntry): boolean {
  if (!isUpdateNeeded(list, entry)) return false;
  while (list.length > 0) {
    const last = list[list.length - 1]!;
    if (last.epoch < entry.epoch && last.startOffset < entry.startOffset) break;
    list.pop();
  }
  list.push(entry);
  return true;
}

function isUpdateNeeded(list: readonly EpochEntry[], entry: EpochEntry): boolean {
  const latest = list[list.length - 1];
  return latest === undefined || latest.epoch !== entry.epoch || entry.startOffset < latest.startOffset;
}

/** Drops the oldest entries past `entriesMax`; returns how many. */
function capInto(list: EpochEntry[], entriesMax: number): number {
  const excess = list.length - entriesMax;
  if (excess <= 0) return 0;
  list.splice(0, excess);
  return excess;
}

/** Index of the last entry whose `key` is at most `bound`, or -1; the list is sorted by both keys. */
function floorIndex<K extends number | bigint>(list: readonly EpochEntry[], key: (e: EpochEntry) => K, bound: K): number {
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) <= bound) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

const byEpoch = (e: EpochEntry): number => e.epoch;
const byStart = (e: EpochEntry): bigint => e.startOffset;

function checkEntry(epoch: number, startOffset: bigint): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > INT32_MAX)
    throw new RangeError(`leader epoch ${epoch} is not an int32 at least 0`);
  if (startOffset < 0n || startOffset > INT64_MAX) throw new RangeError(`start offset ${startOffset} is not an int64 at least 0`);
}

// -- the cache ------------------------------------------------------------------------------------

export class LeaderEpochCache {
  /** Entries dropped by the bound since this cache was created (load included). */
  private dropped = 0;

  private constructor(
    private readonly io: FileIO,
    private readonly path: string,
    private list: readonly EpochEntry[],
    private readonly entriesMax: number,
  ) {}

  /**
   * The cache of the partition directory `dir`, from its checkpoint file (absent: empty; nothing
   * is written until the first change). Throws LeaderEpochCheckpointError for a corrupt file.
   */
  static open(io: FileIO, dir: string, opts: LeaderEpochCacheOptions = {}): LeaderEpochCache {
    const entriesMax = entriesMaxOf(opts);
    const path = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
    const maxBytes = 64 + entriesMax * LINE_BYTES_MAX;
    let content: Buffer | null;
    try {
      content = readSmallFile(io, path, maxBytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EFBIG') throw new LeaderEpochCheckpointError(path, `larger than ${maxBytes} bytes`);
      throw e;
    }
    const list: EpochEntry[] = [];
    for (const entry of content === null ? [] : parseCheckpoint(content, path)) assignInto(list, entry);
    const dropped = capInto(list, entriesMax);
    const cache = new LeaderEpochCache(io, path, list, entriesMax);
    cache.dropped = dropped;
    return cache;
  }

  /**
   * A cache rebuilt from the headers of every batch of the log, in offset order (after `open`
   * threw LeaderEpochCheckpointError), written to the file at once, replacing what is there.
   * The caller then calls `truncateFromStart(logStartOffset)`.
   */
  static rebuild(io: FileIO, dir: string, batches: Iterable<BatchEpoch>, opts: LeaderEpochCacheOptions = {}): LeaderEpochCache {
    const cache = new LeaderEpochCache(io, join(dir, LEADER_EPOCH_CHECKPOINT_FILE), [], entriesMaxOf(opts));
    const next: EpochEntry[] = [];
    const dropped = recoverInto(next, batches, cache.entriesMax);
    cache.commit(next, dropped);
    return cache;
  }

  /** Copies of the entries, oldest first. */
  entries(): EpochEntry[] {
    return [...this.list];
  }

  get size(): number {
    return this.list.length;
  }

  get entriesDropped(): number {
    return this.dropped;
  }

  get latestEntry(): EpochEntry | null {
    return this.list[this.list.length - 1] ?? null;
  }

  get earliestEntry(): EpochEntry | null {
    return this.list[0] ?? null;
  }

  /** The epoch being written (the latest entry's), or null when the cache is empty. */
  get latestEpoch(): number | null {
    return this.latestEntry?.epoch ?? null;
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's rules, at `assignInto`); returns
   * whether the list changed, in which case the file was rewritten. Called with every append's
   * epoch; the common case (the latest epoch again) returns false without copying anything.
   */
  assign(epoch: number, startOffset: bigint): boolean {
    checkEntry(epoch, startOffset);
    const entry = { epoch, startOffset };
    if (!isUpdateNeeded(this.list, entry)) return false;
    const next = [...this.list];
    assignInto(next, entry);
    this.commit(next, capInto(next, this.entriesMax));
    return true;
  }

  /**
   * Kafka's LogSegment.recover rule for batches read back from the log, in offset order: a batch
   * whose partitionLeaderEpoch is set (at least 0) and newer than the latest epoch starts that
   * epoch at its baseOffset. Writes the file once, when something changed; returns whether it did.
   */
  assignFromBatches(batches: Iterable<BatchEpoch>): boolean {
    const next = [...this.list];
    const dropped = recoverInto(next, batches, this.entriesMax);
    if (sameEntries(next, this.list)) return false;
    this.commit(next, dropped);
    return true;
  }

  /**
   * The end of `requestedEpoch` in this log, as OffsetForLeaderEpoch answers it (Kafka's
   * endOffsetFor):
   *  - UNDEFINED_EPOCH asked, or no epoch newer than the one asked and it is not the latest
   *    (an empty cache included): (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
   *  - the latest epoch: (it, logEndOffset), it is still being written;
   *  - otherwise the end is the start of the first newer epoch, paired with the newest epoch at
   *    or below the one asked, or with the one asked when all are newer (its data is gone from
   *    the log: the follower then starts from the leader's first epoch).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    if (this.latestEpoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const floor = floorIndex(this.list, byEpoch, requestedEpoch);
    const higher = this.list[floor + 1];
    if (higher === undefined) return undefinedAnswer;
    const epoch = floor < 0 ? requestedEpoch : this.list[floor]!.epoch;
    return { epoch, endOffset: higher.startOffset };
  }

  /** The epoch that wrote `offset`: the latest entry starting at or below it; null when none does. */
  epochForOffset(offset: bigint): number | null {
    const i = floorIndex(this.list, byStart, offset);
    return i < 0 ? null : this.list[i]!.epoch;
  }

  /**
   * The log was truncated to end at `endOffset` (a follower's divergence, recovery): entries
   * starting at or after it go. A negative `endOffset` (UNDEFINED_EPOCH_OFFSET) changes nothing.
   * Returns whether the list changed (and the file was rewritten).
   */
  truncateFromEnd(endOffset: bigint): boolean {
    if (endOffset < 0n) return false;
    const keep = floorIndex(this.list, byStart, endOffset - 1n) + 1;
    if (keep === this.list.length) return false;
    this.commit(this.list.slice(0, keep), 0);
    return true;
  }

  /**
   * The log start moved to `startOffset` (retention, DeleteRecords): entries starting at or
   * before it go, except the last of them, which now starts at `startOffset` (its epoch wrote the
   * data there). An entry starting exactly there stays as it is. Returns whether the list changed.
   */
  truncateFromStart(startOffset: bigint): boolean {
    const last = floorIndex(this.list, byStart, startOffset);
    if (last < 0) return false;
    const first = this.list[last]!;
    if (last === 0 && first.startOffset === startOffset) return false;
    this.commit([{ epoch: first.epoch, startOffset }, ...this.list.slice(last + 1)], 0);
    return true;
  }

  /** Removes every entry (the log was emptied and starts again); writes the empty file. */
  clear(): void {
    this.commit([], 0);
  }

  /** Writes `next` to the file, then makes it the list: a failed write changes nothing here. */
  private commit(next: EpochEntry[], dropped: number): void {
    writeSmallFileAtomic(this.io, this.path, formatCheckpoint(next));
    this.list = next;
    this.dropped += dropped;
    this.unsaved = false;
  }

  /** The list differs from the file (assignInMemory); `save` writes it. */
  private unsaved = false;

  /**
   * `assign` without writing the file: for an entry the log can always derive again (the epoch
   * of a new, empty log, which its first batches carry). The owner calls `save` at its next
   * durable point; until then a crash leaves no file, and the log rebuilds it from its batches.
   */
  assignInMemory(epoch: number, startOffset: bigint): boolean {
    checkEntry(epoch, startOffset);
    const entry = { epoch, startOffset };
    if (!isUpdateNeeded(this.list, entry)) return false;
    const next = [...this.list];
    assignInto(next, entry);
    this.dropped += capInto(next, this.entriesMax);
    this.list = next;
    this.unsaved = true;
    return true;
  }

  /** Writes the list when `assignInMemory` changed it since the file was last written. */
  save(): void {
    if (this.unsaved) this.commit([...this.list], 0);
  }
}

function entriesMaxOf(opts: LeaderEpochCacheOptions): number {
  const entriesMax = opts.entriesMax ?? limits.leaderEpochEntriesMax;
  if (!(Number.isInteger(entriesMax) && entriesMax >= 1)) throw new RangeError(`entriesMax must be at least 1, got ${entriesMax}`);
  return entriesMax;
}

/** LogSegment.recover's rule over `batches` into `list`; returns the entries the bound dropped. */
function recoverInto(list: EpochEntry[], batches: Iterable<BatchEpoch>, entriesMax: number): number {
  let dropped = 0;
  for (const b of batches) {
    const latest = list[list.length - 1];
    if (b.partitionLeaderEpoch < 0 || (latest !== undefined && b.partitionLeaderEpoch <= latest.epoch)) continue;
    checkEntry(b.partitionLeaderEpoch, b.baseOffset);
    assignInto(list, { epoch: b.partitionLeaderEpoch, startOffset: b.baseOffset });
    dropped += capInto(list, entriesMax);
  }
  return dropped;
}

function sameEntries(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset);
}
