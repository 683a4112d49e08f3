/**
 * PartitionLog edge cases (Kafka's LogSegmentTest / LogLoaderTest as the checklist). The shared
 * body runs against every FileIO implementation: NodeFileIO and NativeFileIO in a temp directory,
 * and MemoryFileIO.
 * A crash is simulated the same way for both: the log is abandoned (handles closed, no flush, no
 * clean-shutdown file) and the files are damaged through the FileIO. Power loss, torn writes and
 * failing fsyncs need MemoryFileIO and are tested at the end.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../protocol/errors.js';
import { nativeFile } from '../native/file.js';
import { nativeTest } from '../native/twins.js';
import { BoundedFileIO } from './bounded-file-io.js';
import { MemoryFileIO, NativeFileIO, NodeFileIO, readSmallFile, writeSmallFileAtomic, type FileIO } from './file-io.js';
import {
  CLEAN_SHUTDOWN_FILE,
  defaultLogConfig,
  LOG_FORMAT_FILE,
  LogStorageError,
  OffsetsOutOfOrderError,
  PartitionLog,
  UnexpectedAppendOffsetError,
  type LogConfig,
} from './partition-log.js';
import { buildMarkerBatch } from './markers.js';
import { readTxnIndex } from './txn-index.js';
import { CLEANER_OFFSET_FILE } from './cleaner.js';
import {
  BatchField,
  buildRecordBatch,
  decodeRecords,
  splitBatches,
  validateBatches,
  type BatchInfo,
  type RecordInput,
} from './record-batch.js';
import { segmentFileName } from './segment.js';

interface Env {
  io: FileIO;
  mem: MemoryFileIO | null;
  dir(): string;
  cleanup(): void;
}

function nodeEnv(io: FileIO = new NodeFileIO()): Env {
  const root = mkdtempSync(join(tmpdir(), 'sluice-log-test-'));
  let n = 0;
  return {
    io,
    mem: null,
    dir: () => join(root, `p${n++}`),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

function memoryEnv(): Env {
  const mem = new MemoryFileIO();
  let n = 0;
  return { io: mem, mem, dir: () => `/data/p${n++}`, cleanup: () => {} };
}

const MAX = 64 * 1024 * 1024;

function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, ...over };
}

/** A produce-like batch of `n` records: values `${tag}-${i}`, timestamps ts0 + i * step. */
function makeBatch(n: number, opts: { tag?: string; ts0?: bigint; step?: bigint; valueBytes?: number } = {}): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) {
    const label = `${opts.tag ?? 'v'}-${i}`;
    const value = opts.valueBytes ? Buffer.alloc(opts.valueBytes, label) : Buffer.from(label);
    records.push({ key: null, value, timestamp: (opts.ts0 ?? 1000n) + BigInt(i) * (opts.step ?? 1n) });
  }
  return buildRecordBatch(records);
}

function withInfos(batch: Buffer): [Buffer, BatchInfo[]] {
  const r = validateBatches(batch, { maxBatchBytes: MAX });
  if (!r.ok) throw new Error(r.message);
  return [batch, r.batches];
}

function appendBatch(log: PartitionLog, batch: Buffer, opts: { logAppendTimeMs?: number } = {}): ReturnType<PartitionLog['append']> {
  const r = validateBatches(batch, { maxBatchBytes: MAX });
  if (!r.ok) throw new Error(r.message);
  return log.append(batch, r.batches, opts);
}

/** Every record from logStartOffset to the end, by fetching as a consumer would. */
function readAll(log: PartitionLog, maxBytes = 1000): Array<{ offset: bigint; value: string }> {
  const out: Array<{ offset: bigint; value: string }> = [];
  let next = log.logStartOffset;
  for (let guard = 0; guard < 100_000 && next < log.logEndOffset; guard++) {
    const r = log.read(next, maxBytes, { minOneBatch: true });
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`read error ${r.errorCode} at ${next}`);
    if (r.records.length === 0) throw new Error(`empty read at ${next}`);
    for (const b of splitBatches(r.records)) {
      for (const rec of decodeRecords(b)) {
        if (rec.offset < next) continue;
        out.push({ offset: rec.offset, value: rec.value!.toString() });
        next = rec.offset + 1n;
      }
    }
  }
  return out;
}

function segmentPath(dir: string, base: bigint, suffix: string): string {
  return join(dir, segmentFileName(base, suffix));
}

function fileSize(io: FileIO, path: string): number {
  const fd = io.open(path);
  try {
    return io.size(fd);
  } finally {
    io.close(fd);
  }
}

function truncateFile(io: FileIO, path: string, size: number): void {
  const fd = io.open(path);
  try {
    io.truncate(fd, size);
  } finally {
    io.close(fd);
  }
}

function writeAt(io: FileIO, path: string, data: Buffer, position: number, opts: { create?: boolean } = {}): void {
  const fd = io.open(path, opts);
  try {
    io.pwrite(fd, data, position);
  } finally {
    io.close(fd);
  }
}

function readFileAll(io: FileIO, path: string): Buffer {
  const fd = io.open(path);
  try {
    const b = Buffer.alloc(io.size(fd));
    io.pread(fd, b, 0, b.length, 0);
    return b;
  } finally {
    io.close(fd);
  }
}

// -- helpers of the follower and truncation tests ---------------------------------------------------

/** An idempotent (or transactional) batch of `n` records of producer `pid` from sequence `seq`. */
function producerBatch(pid: bigint, seq: number, n: number, opts: { epoch?: number; txn?: boolean; tag?: string; valueBytes?: number } = {}): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) {
    const label = `${opts.tag ?? `p${pid}`}-${seq + i}`;
    records.push({ key: null, value: opts.valueBytes ? Buffer.alloc(opts.valueBytes, label) : Buffer.from(label), timestamp: 1000n + BigInt(seq + i) });
  }
  return buildRecordBatch(records, { producerId: pid, producerEpoch: opts.epoch ?? 0, baseSequence: seq, isTransactional: opts.txn ?? false });
}

/** appendAsLeader of one client batch; throws when the producer checks refuse it. */
function leaderAppend(log: PartitionLog, batch: Buffer, leaderEpoch?: number): bigint {
  const out = log.appendAsLeader(...withInfos(batch), leaderEpoch === undefined ? {} : { leaderEpoch });
  if (out.kind !== 'appended') throw new Error(`append as leader: ${JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return out.baseOffset;
}

/** A transaction marker as a leader would have stored it: at `offset`, under `leaderEpoch`. */
function storedMarker(pid: bigint, commit: boolean, offset: bigint, leaderEpoch: number, producerEpoch = 0): Buffer {
  const b = buildMarkerBatch(pid, producerEpoch, commit, 3, 5000n);
  b.writeBigInt64BE(offset, BatchField.baseOffset);
  b.writeInt32BE(leaderEpoch, BatchField.partitionLeaderEpoch);
  return b;
}

/** A data batch as a leader would have stored it: `n` records from `offset`, under `leaderEpoch`. */
function storedBatch(offset: bigint, n: number, leaderEpoch: number, opts: { tag?: string; pid?: bigint; seq?: number; txn?: boolean; valueBytes?: number } = {}): Buffer {
  const b = opts.pid === undefined ? makeBatch(n, { tag: opts.tag ?? `o${offset}`, valueBytes: opts.valueBytes }) : producerBatch(opts.pid, opts.seq ?? 0, n, { txn: opts.txn, tag: opts.tag, valueBytes: opts.valueBytes });
  b.writeBigInt64BE(offset, BatchField.baseOffset);
  b.writeInt32BE(leaderEpoch, BatchField.partitionLeaderEpoch);
  return b;
}

/** validateBatches as the replica fetcher calls it (origin 'replication', no size limit). */
function replicationInfos(batches: Buffer): [Buffer, BatchInfo[]] {
  const r = validateBatches(batches, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'replication' });
  if (!r.ok) throw new Error(r.message);
  return [batches, r.batches];
}

/** Copies everything `leader` has past `follower`'s log end, fetch by fetch, with appendAsFollower. */
function replicate(leader: PartitionLog, follower: PartitionLog, maxBytes = 1000): void {
  while (follower.logEndOffset < leader.logEndOffset) {
    const r = leader.read(follower.logEndOffset, maxBytes, { minOneBatch: true });
    if (r.errorCode !== ErrorCode.NONE || r.records.length === 0) throw new Error(`leader read at ${follower.logEndOffset}: ${r.errorCode}`);
    follower.appendAsFollower(...replicationInfos(Buffer.from(r.records)));
  }
}

/** Every stored batch from the log start, as bytes (for byte-for-byte comparisons). */
function storedBytes(log: PartitionLog): Buffer {
  const out: Buffer[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const r = log.read(next, 1 << 20, { minOneBatch: true });
    if (r.records.length === 0) break;
    for (const b of splitBatches(r.records)) {
      out.push(Buffer.from(b));
      next = b.readBigInt64BE(BatchField.baseOffset) + BigInt(b.readInt32BE(BatchField.lastOffsetDelta)) + 1n;
    }
  }
  return Buffer.concat(out);
}

/** Producer state as comparable text: every producer's epoch, open transaction and retained batches. */
function producerView(log: PartitionLog): string {
  const entries = [...log.producers.producers.values()].sort((a, b) => (a.producerId < b.producerId ? -1 : 1));
  return JSON.stringify(entries, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** What a follower or reader can observe of a log, as comparable text. */
function logView(log: PartitionLog): string {
  const epochs = [0, 1, 2, 3, 4, 5, 6].map((e) => log.endOffsetForEpoch(e));
  return JSON.stringify(
    {
      start: log.logStartOffset,
      end: log.logEndOffset,
      lso: log.lastStableOffset,
      latestEpoch: log.latestEpoch,
      epochs,
      aborted: log.abortedTransactions(0n, log.logEndOffset + 1n),
      records: readAll(log),
      producers: producerView(log),
    },
    (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
  );
}

/**
 * MemoryFileIO that dies (crash, then the failing call throws EIO) at the file operation that
 * changes something, after `crashAfter(steps)`: file creation, write, truncate, fsync, rename,
 * unlink, directory fsync.
 */
class CrashingFileIO extends MemoryFileIO {
  private left: number | null = null;
  private keepUnsynced = true;
  crashed = false;

  crashAfter(steps: number, keepUnsynced: boolean): void {
    this.left = steps;
    this.keepUnsynced = keepUnsynced;
  }

  private step(): void {
    if (this.left === null) return;
    if (this.left-- > 0) return;
    this.left = null;
    this.crashed = true;
    this.crash({ keepUnsynced: this.keepUnsynced });
    throw Object.assign(new Error('EIO: the process died here'), { code: 'EIO' });
  }

  override open(path: string, opts: { create?: boolean } = {}): number {
    if (opts.create === true) this.step();
    return super.open(path, opts);
  }
  override pwrite(fd: number, data: Buffer, position: number): void {
    this.step();
    super.pwrite(fd, data, position);
  }
  override truncate(fd: number, size: number): void {
    this.step();
    super.truncate(fd, size);
  }
  override fsync(fd: number): void {
    this.step();
    super.fsync(fd);
  }
  override rename(from: string, to: string): void {
    this.step();
    super.rename(from, to);
  }
  override unlink(path: string): void {
    this.step();
    super.unlink(path);
  }
  override fsyncDir(dir: string): void {
    this.step();
    super.fsyncDir(dir);
  }
}

function sharedSuite(t: Test, makeEnv: () => Env): void {
  const env = makeEnv();
  t.teardown(() => env.cleanup());
  const { io } = env;

  t.test('a new log is empty', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    t.equal(log.logStartOffset, 0n);
    t.equal(log.logEndOffset, 0n);
    const r = log.read(0n, 1000, { minOneBatch: true });
    t.equal(r.errorCode, ErrorCode.NONE);
    t.equal(r.records.length, 0);
    t.equal(log.offsetForTimestamp(0n), null);
    t.equal(log.maxTimestampAndOffset(), null);
    t.ok(io.exists(join(log.dir, LOG_FORMAT_FILE)), 'the log-format file is written');
    log.close();
  });

  t.test('append and read back', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    const a = appendBatch(log, makeBatch(2, { tag: 'a' }));
    const b = appendBatch(log, makeBatch(3, { tag: 'b' }));
    const c = appendBatch(log, makeBatch(1, { tag: 'c' }));
    t.same([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset, c.baseOffset, c.lastOffset], [0n, 1n, 2n, 4n, 5n, 5n]);
    t.equal(a.logAppendTimeMs, -1, 'CreateTime topics report -1');
    t.equal(log.logEndOffset, 6n);
    t.equal(log.highWatermark, 6n);
    const r = log.read(0n, 1 << 20, { minOneBatch: true });
    t.equal(r.errorCode, ErrorCode.NONE);
    t.equal(r.highWatermark, 6n);
    const batches = splitBatches(r.records);
    t.equal(batches.length, 3, 'three whole batches');
    t.same(
      readAll(log).map((x) => `${x.offset}:${x.value}`),
      ['0:a-0', '1:a-1', '2:b-0', '3:b-1', '4:b-2', '5:c-0'],
    );
    log.close();
  });

  t.test('appended batches are stored byte for byte after offset assignment', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    appendBatch(log, makeBatch(2));
    const batch = makeBatch(3, { tag: 'x' });
    const original = Buffer.from(batch);
    appendBatch(log, batch);
    const stored = splitBatches(log.read(2n, 1 << 20, { minOneBatch: true }).records)[0]!;
    t.equal(stored.readBigInt64BE(0), 2n, 'baseOffset assigned');
    t.equal(stored.readInt32BE(BatchField.partitionLeaderEpoch), 0, 'leader epoch assigned');
    t.same(stored.subarray(16), original.subarray(16), 'everything from magic on is untouched');
    log.close();
  });

  t.test('read before the first offset is out of range', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    appendBatch(log, makeBatch(2));
    const r = log.read(-1n, 1000, { minOneBatch: true });
    t.equal(r.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    t.equal(r.logStartOffset, 0n);
    log.close();
  });

  t.test('read before the first offset of a log that starts later', async (t) => {
    // A directory whose only segment starts at 100 (as after retention), without indexes.
    const dir = env.dir();
    io.mkdir(dir);
    const b = buildRecordBatch([{ key: null, value: Buffer.from('x') }, { key: null, value: Buffer.from('y') }], { baseOffset: 100n });
    writeAt(io, segmentPath(dir, 100n, '.log'), b, 0, { create: true });
    const log = PartitionLog.open(dir, cfg(), io);
    t.equal(log.logStartOffset, 100n);
    t.equal(log.logEndOffset, 102n);
    t.equal(log.read(99n, 1000, { minOneBatch: true }).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    t.equal(log.read(0n, 1000, { minOneBatch: true }).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    t.same(readAll(log).map((x) => x.offset), [100n, 101n]);
    t.same(appendBatch(log, makeBatch(1)).baseOffset, 102n);
    log.close();
  });

  t.test('read in the middle of a batch returns the whole batch', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    appendBatch(log, makeBatch(5, { tag: 'a' }));
    appendBatch(log, makeBatch(5, { tag: 'b' }));
    const r = log.read(7n, 1 << 20, { minOneBatch: true });
    const batches = splitBatches(r.records);
    t.equal(batches.length, 1);
    t.equal(batches[0]!.readBigInt64BE(0), 5n, 'starts at the batch base, before the fetch offset');
    t.same(decodeRecords(batches[0]!).map((x) => x.offset), [5n, 6n, 7n, 8n, 9n]);
    log.close();
  });

  t.test('read at the log end returns empty', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    appendBatch(log, makeBatch(3));
    const r = log.read(3n, 1000, { minOneBatch: true });
    t.equal(r.errorCode, ErrorCode.NONE);
    t.equal(r.records.length, 0);
    t.equal(r.highWatermark, 3n);
    log.close();
  });

  t.test('read past the log end is out of range', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    appendBatch(log, makeBatch(3));
    t.equal(log.read(4n, 1000, { minOneBatch: true }).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    t.equal(log.read(1_000_000n, 1000, { minOneBatch: false }).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    log.close();
  });

  t.test('maxBytes smaller than the first batch, with and without minOneBatch', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    appendBatch(log, makeBatch(4, { valueBytes: 100 }));
    appendBatch(log, makeBatch(4, { valueBytes: 100 }));
    const size = splitBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records)[0]!.length;
    for (const maxBytes of [0, 5, 12, 61, size - 1]) {
      const one = log.read(0n, maxBytes, { minOneBatch: true });
      t.equal(one.records.length, size, `minOneBatch, maxBytes ${maxBytes}: one whole batch`);
      const none = log.read(0n, maxBytes, { minOneBatch: false });
      t.equal(none.records.length, 0, `no minOneBatch, maxBytes ${maxBytes}: nothing`);
      t.equal(none.errorCode, ErrorCode.NONE);
    }
  });

  t.test('maxBytes between one and two batches returns only whole batches', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    appendBatch(log, makeBatch(4, { valueBytes: 100 }));
    appendBatch(log, makeBatch(4, { valueBytes: 100 }));
    appendBatch(log, makeBatch(4, { valueBytes: 100 }));
    const all = log.read(0n, 1 << 20, { minOneBatch: true }).records;
    const size = splitBatches(all)[0]!.length;
    t.equal(log.read(0n, size + size / 2, { minOneBatch: false }).records.length, size);
    t.equal(log.read(0n, 2 * size, { minOneBatch: false }).records.length, 2 * size);
    t.equal(log.read(4n, 2 * size - 1, { minOneBatch: false }).records.length, size);
    log.close();
  });

  t.test('roll by size', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 1000 }), io);
    const size = makeBatch(2, { valueBytes: 100 }).length; // ~ 300 bytes
    for (let i = 0; i < 10; i++) appendBatch(log, makeBatch(2, { valueBytes: 100 }));
    const perSegment = Math.floor(1000 / size);
    const bases = log.segmentBaseOffsets();
    t.equal(bases.length, Math.ceil(10 / perSegment));
    t.same(bases, bases.map((_, i) => BigInt(i * perSegment * 2)), 'each segment starts at the log end offset of the roll');
    for (const base of bases) t.ok(fileSize(io, segmentPath(log.dir, base, '.log')) <= 1000, 'no segment exceeds segmentBytes');
    t.equal(readAll(log).length, 20);
    log.close();
  });

  t.test('a batch larger than the remaining space of an empty segment does not roll', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 400 }), io);
    appendBatch(log, makeBatch(1, { valueBytes: 300 }));
    appendBatch(log, makeBatch(1, { valueBytes: 300 }));
    t.same(log.segmentBaseOffsets(), [0n, 1n]);
    log.close();
  });

  t.test('roll by time', async (t) => {
    let now = 1_000_000;
    const log = PartitionLog.open(env.dir(), cfg({ segmentMs: 1000 }), io, { now: () => now });
    appendBatch(log, makeBatch(1, { ts0: BigInt(now) }));
    now += 1000;
    appendBatch(log, makeBatch(1, { ts0: BigInt(now) }));
    t.same(log.segmentBaseOffsets(), [0n], 'not older than segmentMs yet');
    now += 1;
    appendBatch(log, makeBatch(1, { ts0: BigInt(now) }));
    t.same(log.segmentBaseOffsets(), [0n, 2n], 'rolled once older than segmentMs');
    now += 10_000;
    log.forceRoll();
    t.same(log.segmentBaseOffsets(), [0n, 2n, 3n]);
    now += 10_000;
    appendBatch(log, makeBatch(1, { ts0: BigInt(now) }));
    t.same(log.segmentBaseOffsets(), [0n, 2n, 3n], 'an empty active segment never rolls');
    log.close();
  });

  t.test('roll when the index is full', async (t) => {
    // 16 index bytes: two offset entries, one time entry. Every batch after the first earns an entry.
    const log = PartitionLog.open(env.dir(), cfg({ segmentIndexBytes: 16, indexIntervalBytes: 0 }), io);
    for (let i = 0; i < 6; i++) appendBatch(log, makeBatch(1, { ts0: BigInt(1000 + i) }));
    t.ok(log.segmentBaseOffsets().length >= 2, `rolled: ${log.segmentBaseOffsets().join(',')}`);
    t.same(readAll(log).map((x) => x.offset), [0n, 1n, 2n, 3n, 4n, 5n]);
    log.close();
  });

  t.test('index lookups across many segments find every offset', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 4000, indexIntervalBytes: 100 }), io);
    let total = 0;
    for (let i = 0; i < 120; i++) {
      const n = 1 + (i % 4);
      appendBatch(log, makeBatch(n, { tag: `b${i}`, valueBytes: 10 + ((i * 37) % 90) }));
      total += n;
    }
    t.ok(log.segmentBaseOffsets().length > 5, `${log.segmentBaseOffsets().length} segments`);
    let bad = 0;
    for (let o = 0n; o < BigInt(total); o++) {
      const r = log.read(o, 1, { minOneBatch: true });
      const [b] = splitBatches(r.records);
      const offs = decodeRecords(b!).map((x) => x.offset);
      if (!offs.includes(o)) bad++;
    }
    t.equal(bad, 0, 'the first batch returned holds the fetch offset');
    t.equal(readAll(log).length, total);
    log.close();
  });

  t.test('offsetForTimestamp within a batch and across segments', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 700, indexIntervalBytes: 50 }), io);
    // 20 batches of 5 records, record i has timestamp 10_000 + 10 * i
    for (let b = 0; b < 20; b++) appendBatch(log, makeBatch(5, { ts0: 10_000n + BigInt(b * 50), step: 10n }));
    t.ok(log.segmentBaseOffsets().length > 3);
    t.same(log.offsetForTimestamp(0n), { offset: 0n, timestamp: 10_000n, leaderEpoch: 0 }, 'before everything: the first record');
    t.same(log.offsetForTimestamp(10_075n), { offset: 8n, timestamp: 10_080n, leaderEpoch: 0 }, 'between records inside a batch');
    t.same(log.offsetForTimestamp(10_080n), { offset: 8n, timestamp: 10_080n, leaderEpoch: 0 }, 'exact match');
    for (let i = 0; i < 100; i += 7) {
      const r = log.offsetForTimestamp(10_000n + BigInt(i * 10) - 3n);
      t.equal(r?.offset, BigInt(i), `record ${i}`);
    }
    t.same(log.offsetForTimestamp(10_990n), { offset: 99n, timestamp: 10_990n, leaderEpoch: 0 }, 'last record');
    t.equal(log.offsetForTimestamp(10_991n), null, 'after everything');
    log.close();
  });

  t.test('offsetForTimestamp with timestamps out of order', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ indexIntervalBytes: 0 }), io);
    appendBatch(log, buildRecordBatch([
      { key: null, value: Buffer.from('a'), timestamp: 100n },
      { key: null, value: Buffer.from('b'), timestamp: 300n },
      { key: null, value: Buffer.from('c'), timestamp: 200n },
    ]));
    appendBatch(log, buildRecordBatch([{ key: null, value: Buffer.from('d'), timestamp: 150n }]));
    appendBatch(log, buildRecordBatch([{ key: null, value: Buffer.from('e'), timestamp: 400n }]));
    t.equal(log.offsetForTimestamp(150n)?.offset, 1n, 'first record at or after, not the smallest timestamp above');
    t.equal(log.offsetForTimestamp(301n)?.offset, 4n);
    t.equal(log.offsetForTimestamp(300n)?.offset, 1n);
    log.close();
  });

  t.test('maxTimestampAndOffset names the record with the largest timestamp', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 160 }), io);
    appendBatch(log, buildRecordBatch([{ key: null, value: Buffer.from('a'), timestamp: 100n }]));
    appendBatch(log, buildRecordBatch([
      { key: null, value: Buffer.from('b'), timestamp: 500n },
      { key: null, value: Buffer.from('c'), timestamp: 900n },
      { key: null, value: Buffer.from('d'), timestamp: 200n },
    ]));
    appendBatch(log, buildRecordBatch([{ key: null, value: Buffer.from('e'), timestamp: 900n }]));
    appendBatch(log, buildRecordBatch([{ key: null, value: Buffer.from('f'), timestamp: 300n }]));
    t.same(log.segmentBaseOffsets(), [0n, 4n]);
    t.same(log.maxTimestampAndOffset(), { offset: 2n, timestamp: 900n, leaderEpoch: 0 }, 'the earliest record with the max');
    log.close();
  });

  t.test('LogAppendTime topics stamp the append time', async (t) => {
    const now = 5_000_000;
    const log = PartitionLog.open(env.dir(), cfg({ messageTimestampType: 'LogAppendTime' }), io, { now: () => now });
    const r = appendBatch(log, makeBatch(3, { ts0: 1n }));
    t.equal(r.logAppendTimeMs, now);
    const r2 = appendBatch(log, makeBatch(2, { ts0: 1n }), { logAppendTimeMs: now + 10 });
    t.equal(r2.logAppendTimeMs, now + 10);
    const stored = log.read(0n, 1 << 20, { minOneBatch: true }).records;
    const v = validateBatches(stored, { maxBatchBytes: MAX, origin: 'internal' });
    t.ok(v.ok, 'the CRC was recomputed');
    if (v.ok) t.same(v.batches.map((b) => [b.timestampType, b.maxTimestamp]), [[1, BigInt(now)], [1, BigInt(now + 10)]]);
    t.same(decodeRecords(splitBatches(stored)[0]!).map((x) => x.timestamp), [BigInt(now), BigInt(now), BigInt(now)]);
    t.same(log.offsetForTimestamp(BigInt(now + 1)), { offset: 3n, timestamp: BigInt(now + 10), leaderEpoch: 0 });
    log.close();
  });

  t.test('several internal batches in one append get consecutive offsets', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io, { leaderEpoch: 4 });
    appendBatch(log, makeBatch(1));
    const payload = Buffer.concat([makeBatch(2, { tag: 'x' }), makeBatch(3, { tag: 'y' })]);
    const v = validateBatches(payload, { maxBatchBytes: MAX, origin: 'internal' });
    if (!v.ok) throw new Error(v.message);
    const r = log.append(payload, v.batches);
    t.same([r.baseOffset, r.lastOffset], [1n, 5n]);
    const stored = splitBatches(log.read(1n, 1 << 20, { minOneBatch: true }).records);
    t.same(stored.map((b) => b.readBigInt64BE(0)), [1n, 3n]);
    t.same(stored.map((b) => b.readInt32BE(BatchField.partitionLeaderEpoch)), [4, 4]);
    log.close();
  });

  t.test('reopen after a clean close keeps offsets and needs no recovery', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 2000, indexIntervalBytes: 100 }), io);
    for (let i = 0; i < 30; i++) appendBatch(log, makeBatch(3, { tag: `r${i}`, valueBytes: 40, ts0: BigInt(1000 + i * 10) }));
    const before = readAll(log);
    const maxTs = log.maxTimestampAndOffset();
    const segments = log.segmentBaseOffsets();
    log.close();
    t.ok(io.exists(join(dir, CLEAN_SHUTDOWN_FILE)), 'close writes the clean-shutdown file');
    const again = PartitionLog.open(dir, cfg({ segmentBytes: 2000, indexIntervalBytes: 100 }), io);
    t.equal(again.openReport.cleanShutdown, true);
    t.equal(again.openReport.truncatedBytes, 0);
    t.notOk(io.exists(join(dir, CLEAN_SHUTDOWN_FILE)), 'open removes the clean-shutdown file');
    t.equal(again.logEndOffset, 90n);
    t.same(again.segmentBaseOffsets(), segments);
    t.same(readAll(again), before);
    t.same(again.maxTimestampAndOffset(), maxTs);
    t.equal(appendBatch(again, makeBatch(1)).baseOffset, 90n, 'appends continue where they stopped');
    again.close();
  });

  t.test('reopen after a crash with intact files recovers nothing and loses nothing', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 100 }), io);
    for (let i = 0; i < 10; i++) appendBatch(log, makeBatch(2, { valueBytes: 50 }));
    log.abandon();
    const again = PartitionLog.open(dir, cfg({ indexIntervalBytes: 100 }), io);
    t.equal(again.openReport.cleanShutdown, false);
    t.equal(again.openReport.truncatedBytes, 0);
    t.equal(again.logEndOffset, 20n);
    t.equal(readAll(again).length, 20);
    again.close();
  });

  t.test('recovery truncates a torn tail (partial last batch)', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg(), io);
    appendBatch(log, makeBatch(2, { tag: 'a' }));
    appendBatch(log, makeBatch(2, { tag: 'b' }));
    const last = makeBatch(3, { tag: 'c', valueBytes: 50 });
    appendBatch(log, last);
    log.abandon();
    const path = segmentPath(dir, 0n, '.log');
    const full = fileSize(io, path);
    truncateFile(io, path, full - 20);
    const again = PartitionLog.open(dir, cfg(), io);
    t.equal(again.openReport.cleanShutdown, false);
    t.equal(again.openReport.truncatedBytes, last.length - 20);
    t.equal(again.logEndOffset, 4n);
    t.equal(fileSize(io, path), full - last.length);
    t.same(readAll(again).map((x) => x.value), ['a-0', 'a-1', 'b-0', 'b-1']);
    t.equal(appendBatch(again, makeBatch(1)).baseOffset, 4n, 'the lost offsets are reassigned');
    again.close();
  });

  t.test('recovery truncates a torn batch header', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg(), io);
    appendBatch(log, makeBatch(2));
    const size = fileSize(io, segmentPath(dir, 0n, '.log'));
    appendBatch(log, makeBatch(2));
    log.abandon();
    truncateFile(io, segmentPath(dir, 0n, '.log'), size + 30);
    const again = PartitionLog.open(dir, cfg(), io);
    t.equal(again.openReport.truncatedBytes, 30);
    t.equal(again.logEndOffset, 2n);
    again.close();
  });

  t.test('recovery truncates a tail whose CRC does not match', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg(), io);
    appendBatch(log, makeBatch(2, { tag: 'a' }));
    appendBatch(log, makeBatch(2, { tag: 'b' }));
    const path = segmentPath(dir, 0n, '.log');
    const size = fileSize(io, path);
    log.abandon();
    writeAt(io, path, Buffer.from([0xee]), size - 3); // inside the last record's value
    const again = PartitionLog.open(dir, cfg(), io);
    t.ok(again.openReport.truncatedBytes > 0);
    t.equal(again.logEndOffset, 2n);
    t.same(readAll(again).map((x) => x.value), ['a-0', 'a-1']);
    again.close();
  });

  t.test('recovery truncates at a corrupt batch in the middle, dropping what follows', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg(), io);
    appendBatch(log, makeBatch(2, { tag: 'a' }));
    const firstSize = fileSize(io, segmentPath(dir, 0n, '.log'));
    appendBatch(log, makeBatch(2, { tag: 'b' }));
    appendBatch(log, makeBatch(2, { tag: 'c' }));
    log.abandon();
    writeAt(io, segmentPath(dir, 0n, '.log'), Buffer.from([0xee]), firstSize + 70);
    const again = PartitionLog.open(dir, cfg(), io);
    t.equal(again.logEndOffset, 2n, 'everything after the first bad batch is gone, as in Kafka');
    again.close();
  });

  t.test('a clean-shutdown file that disagrees with the log leads to recovery', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg(), io);
    appendBatch(log, makeBatch(2));
    appendBatch(log, makeBatch(2));
    log.close();
    writeAt(io, join(dir, CLEAN_SHUTDOWN_FILE), Buffer.from('sluice-clean-shutdown 1\n3\n'), 0);
    const again = PartitionLog.open(dir, cfg(), io);
    t.equal(again.openReport.cleanShutdown, false);
    t.equal(again.logEndOffset, 4n);
    again.close();
  });

  t.test('recovery rebuilds missing index files of every segment', async (t) => {
    const dir = env.dir();
    const config = cfg({ segmentBytes: 1500, indexIntervalBytes: 100 });
    const log = PartitionLog.open(dir, config, io);
    for (let i = 0; i < 40; i++) appendBatch(log, makeBatch(2, { tag: `m${i}`, valueBytes: 30, ts0: BigInt(5000 + i * 2) }));
    const before = readAll(log);
    const bases = log.segmentBaseOffsets();
    const indexBytes = bases.map((b) => readFileAll(io, segmentPath(dir, b, '.index')));
    const timeBytes = bases.map((b) => readFileAll(io, segmentPath(dir, b, '.timeindex')));
    t.ok(indexBytes.some((b) => b.length > 0), 'offset index entries exist');
    log.close();
    for (const b of bases) {
      io.unlink(segmentPath(dir, b, '.index'));
      io.unlink(segmentPath(dir, b, '.timeindex'));
    }
    const again = PartitionLog.open(dir, config, io);
    t.same(readAll(again), before);
    t.equal(again.offsetForTimestamp(5041n)?.offset, 41n);
    t.same(
      bases.map((b) => readFileAll(io, segmentPath(dir, b, '.index'))),
      indexBytes,
      'rebuilt offset indexes are identical',
    );
    t.same(
      bases.map((b) => readFileAll(io, segmentPath(dir, b, '.timeindex'))),
      timeBytes,
      'rebuilt time indexes are identical',
    );
    again.close();
  });

  t.test('recovery rebuilds garbage index files', async (t) => {
    const dir = env.dir();
    const config = cfg({ segmentBytes: 1500, indexIntervalBytes: 100 });
    const log = PartitionLog.open(dir, config, io);
    for (let i = 0; i < 40; i++) appendBatch(log, makeBatch(2, { tag: `g${i}`, valueBytes: 30, ts0: BigInt(7000 + i * 2) }));
    const before = readAll(log);
    const bases = log.segmentBaseOffsets();
    log.close();
    let seed = 99;
    const junk = (n: number): Buffer => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        b[i] = seed >>> 24;
      }
      return b;
    };
    for (const [i, b] of bases.entries()) {
      const len = [5, 16, 24, 37][i % 4]!;
      const idx = segmentPath(dir, b, '.index');
      truncateFile(io, idx, 0);
      writeAt(io, idx, junk(len), 0);
      const tix = segmentPath(dir, b, '.timeindex');
      truncateFile(io, tix, 0);
      writeAt(io, tix, junk(len + 7), 0);
    }
    const again = PartitionLog.open(dir, config, io);
    t.same(readAll(again), before);
    t.equal(again.offsetForTimestamp(7021n)?.offset, 21n);
    again.close();
  });

  t.test('an index entry pointing past the log end is rebuilt', async (t) => {
    const dir = env.dir();
    const config = cfg({ indexIntervalBytes: 50 });
    const log = PartitionLog.open(dir, config, io);
    for (let i = 0; i < 10; i++) appendBatch(log, makeBatch(2, { valueBytes: 40 }));
    log.abandon();
    const entry = Buffer.alloc(8);
    entry.writeInt32BE(1000, 0);
    entry.writeInt32BE(1 << 20, 4);
    const idx = segmentPath(dir, 0n, '.index');
    writeAt(io, idx, entry, fileSize(io, idx));
    const again = PartitionLog.open(dir, config, io);
    t.equal(again.logEndOffset, 20n);
    t.equal(readAll(again).length, 20);
    again.close();
  });

  t.test('orphan index files without a .log are removed', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg(), io);
    appendBatch(log, makeBatch(1));
    log.close();
    writeAt(io, segmentPath(dir, 500n, '.index'), Buffer.alloc(8), 0, { create: true });
    const again = PartitionLog.open(dir, cfg(), io);
    t.notOk(io.exists(segmentPath(dir, 500n, '.index')));
    t.same(again.segmentBaseOffsets(), [0n]);
    again.close();
  });

  t.test('an unknown log-format version is refused', async (t) => {
    const dir = env.dir();
    PartitionLog.open(dir, cfg(), io).close();
    const path = join(dir, LOG_FORMAT_FILE);
    truncateFile(io, path, 0);
    writeAt(io, path, Buffer.from('sluice-log-format 9\n'), 0);
    t.throws(() => PartitionLog.open(dir, cfg(), io), /log format 9/);
  });

  t.test('flush by message count', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ flushMessages: 5 }), io);
    appendBatch(log, makeBatch(3));
    t.equal(log.unflushed, 3);
    appendBatch(log, makeBatch(3));
    t.equal(log.unflushed, 0, 'flushed once 5 messages were waiting');
    log.close();
  });

  t.test('flush by time through maybeFlush', async (t) => {
    let now = 0;
    const log = PartitionLog.open(env.dir(), cfg({ flushMs: 1000 }), io, { now: () => now });
    appendBatch(log, makeBatch(2));
    log.maybeFlush(999);
    t.equal(log.unflushed, 2);
    log.maybeFlush(1000);
    t.equal(log.unflushed, 0);
    now = 1500;
    appendBatch(log, makeBatch(1));
    log.maybeFlush(1999);
    t.equal(log.unflushed, 1, 'measured from the last flush');
    log.maybeFlush(2000);
    t.equal(log.unflushed, 0);
    log.close();
  });

  t.test('delete removes the directory', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 300 }), io);
    for (let i = 0; i < 5; i++) appendBatch(log, makeBatch(2, { valueBytes: 50 }));
    log.delete();
    t.notOk(io.exists(dir));
  });

  t.test('a closed log refuses further use', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    log.close();
    t.throws(() => appendBatch(log, makeBatch(1)));
    t.throws(() => log.read(0n, 100, { minOneBatch: true }));
  });

  t.test('truncateTo removes the batches from an offset on, across rolls, and the log reopens without them', async (t) => {
    const dir = env.dir();
    const config = cfg({ segmentBytes: 300, indexIntervalBytes: 10 });
    let log = PartitionLog.open(dir, config, io);
    for (let i = 0; i < 10; i++) appendBatch(log, makeBatch(2, { tag: `b${i}`, valueBytes: 30 }));
    const bases = log.segmentBaseOffsets();
    t.ok(bases.length >= 3, `${bases.length} segments`);
    const cut = bases[1]! + 2n; // inside the second segment, at a batch boundary
    t.equal(log.truncateTo(cut), true);
    t.equal(log.logEndOffset, cut, 'the log stays open and ends at the cut');
    log.abandon();
    log = PartitionLog.open(dir, config, io);
    t.equal(log.logEndOffset, cut);
    t.same(log.segmentBaseOffsets(), bases.slice(0, 2), 'the later segments are gone');
    t.equal(readAll(log).length, Number(cut), 'every record below the cut is still there');
    appendBatch(log, makeBatch(1, { tag: 'after' }));
    t.same(readAll(log).at(-1), { offset: cut, value: 'after-0' }, 'appends go on at the cut');
    log.truncateTo(bases[1]!);
    log.close();
    log = PartitionLog.open(dir, config, io);
    t.equal(log.logEndOffset, bases[1]!, 'a cut at a segment base empties that segment');
    log.close();
  });

  // -- truncation (Kafka's UnifiedLogTest truncation cases as the checklist) ----------------------

  t.test('truncateTo in the middle of a segment keeps the log open, and appends go on at the cut', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ indexIntervalBytes: 10 }), io);
    for (let i = 0; i < 6; i++) appendBatch(log, makeBatch(2, { tag: `m${i}` }));
    t.equal(log.truncateTo(6n), true);
    t.equal(log.logEndOffset, 6n);
    t.same(readAll(log).map((r) => r.offset), [0n, 1n, 2n, 3n, 4n, 5n]);
    t.same(log.read(6n, 1000, { minOneBatch: true }).records.length, 0, 'nothing is left past the cut');
    t.equal(appendBatch(log, makeBatch(3, { tag: 'new' })).baseOffset, 6n);
    t.same(readAll(log).slice(6).map((r) => r.value), ['new-0', 'new-1', 'new-2']);
    t.equal(log.offsetForTimestamp(0n)?.offset, 0n, 'the rebuilt time index still answers');
    log.close();
  });

  t.test('truncateTo an offset inside a batch removes that whole batch', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    for (let i = 0; i < 3; i++) appendBatch(log, makeBatch(3, { tag: `w${i}` }));
    t.equal(log.truncateTo(4n), true);
    t.equal(log.logEndOffset, 3n, 'the log ends where the batch holding offset 4 started');
    t.same(readAll(log).map((r) => r.value), ['w0-0', 'w0-1', 'w0-2']);
    t.equal(appendBatch(log, makeBatch(1)).baseOffset, 3n);
    log.close();
  });

  t.test('truncateTo a segment base empties that segment, which stays the active one', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 300 }), io);
    for (let i = 0; i < 6; i++) appendBatch(log, makeBatch(2, { tag: `s${i}`, valueBytes: 40 }));
    const bases = log.segmentBaseOffsets();
    t.ok(bases.length >= 3, `${bases.length} segments`);
    log.truncateTo(bases[1]!);
    t.same(log.segmentBaseOffsets(), bases.slice(0, 2), 'the segment at the cut is kept, empty');
    t.equal(log.logEndOffset, bases[1]!);
    t.equal(appendBatch(log, makeBatch(1, { tag: 'again' })).baseOffset, bases[1]!);
    t.same(log.segmentBaseOffsets(), bases.slice(0, 2), 'the append went into it, no roll');
    log.close();
  });

  t.test('truncateTo the log start empties the log and keeps its start', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 300 }), io);
    for (let i = 0; i < 4; i++) appendBatch(log, makeBatch(2, { valueBytes: 40 }));
    t.equal(log.truncateTo(0n), true);
    t.equal(log.logStartOffset, 0n);
    t.equal(log.logEndOffset, 0n);
    t.same(log.segmentBaseOffsets(), [0n]);
    t.same(readAll(log), []);
    t.equal(appendBatch(log, makeBatch(2)).baseOffset, 0n);
    log.close();
  });

  t.test('truncateTo below a DeleteRecords log start brings the start down to the cut (Kafka: min(start, offset))', async (t) => {
    const dir = env.dir();
    let log = PartitionLog.open(dir, cfg(), io);
    for (let i = 0; i < 4; i++) appendBatch(log, makeBatch(2));
    t.equal(log.deleteRecordsBefore(5n), 5n);
    log.truncateTo(2n);
    t.equal(log.logStartOffset, 2n);
    t.equal(log.logEndOffset, 2n);
    t.equal(appendBatch(log, makeBatch(1)).baseOffset, 2n);
    t.equal(appendBatch(log, makeBatch(5)).baseOffset, 3n);
    log.close();
    log = PartitionLog.open(dir, cfg(), io);
    t.equal(log.logStartOffset, 2n, 'the log-start-offset file was rewritten: offsets past the old start are not hidden');
    t.equal(readAll(log).length, 6);
    log.close();
  });

  t.test('truncateTo at or past the log end removes nothing but epoch entries starting at the end', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    log.append(...withInfos(makeBatch(3)), { leaderEpoch: 1 });
    log.assignEpochStartOffset(2); // became leader in epoch 2, wrote nothing under it
    t.equal(log.latestEpoch, 2);
    t.equal(log.truncateTo(3n), false);
    t.equal(log.latestEpoch, 1, 'the epoch that never wrote is gone, as in Kafka');
    t.equal(log.truncateTo(100n), false);
    t.equal(log.logEndOffset, 3n);
    t.equal(readAll(log).length, 3);
    t.throws(() => log.truncateTo(-1n), RangeError);
    log.close();
  });

  t.test('truncateTo below the first segment restarts the log there', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    log.truncateFullyAndStartAt(100n);
    appendBatch(log, makeBatch(4));
    t.equal(log.truncateTo(50n), true);
    t.equal(log.logStartOffset, 50n);
    t.equal(log.logEndOffset, 50n);
    t.same(log.segmentBaseOffsets(), [50n]);
    t.equal(appendBatch(log, makeBatch(1)).baseOffset, 50n);
    log.close();
  });

  t.test('truncateTo puts a producer back to its sequence at the cut, from the newest snapshot below it', async (t) => {
    const dir = env.dir();
    let log = PartitionLog.open(dir, cfg(), io);
    leaderAppend(log, producerBatch(7n, 0, 2)); // 0-1
    log.forceRoll();
    await log.whenSynced(); // a snapshot at 2
    leaderAppend(log, producerBatch(7n, 2, 2)); // 2-3
    leaderAppend(log, producerBatch(8n, 0, 2)); // 4-5
    leaderAppend(log, producerBatch(7n, 4, 2)); // 6-7
    log.truncateTo(4n);
    t.notOk(log.producers.producers.has(8n), 'a producer whose every batch was cut is unknown again');
    const gap = log.appendAsLeader(...withInfos(producerBatch(7n, 6, 1)));
    t.equal(gap.kind === 'error' && gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'the sequence after the cut batch is out of order');
    const retry = log.appendAsLeader(...withInfos(producerBatch(7n, 2, 2)));
    t.same(retry.kind === 'duplicate' && [retry.firstOffset, retry.lastOffset], [2n, 3n], 'a kept batch is still a duplicate');
    t.equal(leaderAppend(log, producerBatch(7n, 4, 2)), 4n, 'the cut batch is new again, at the cut');
    const view = producerView(log);
    log.close();
    log = PartitionLog.open(dir, cfg(), io);
    t.equal(producerView(log), view, 'the same producer state after a restart');
    log.close();
  });

  t.test('truncateTo drops the aborted transactions whose marker was cut, and reopens their transaction', async (t) => {
    const dir = env.dir();
    let log = PartitionLog.open(dir, cfg(), io);
    leaderAppend(log, producerBatch(9n, 0, 2, { txn: true })); // 0-1
    log.appendMarker(9n, 0, false, 3); // 2
    leaderAppend(log, producerBatch(10n, 0, 2, { txn: true })); // 3-4
    log.appendMarker(10n, 0, false, 3); // 5
    t.equal(log.abortedTransactions(0n, 10n).length, 2);
    log.truncateTo(5n);
    t.same(log.abortedTransactions(0n, 10n).map((e) => [e.producerId, e.firstOffset, e.lastOffset]), [[9n, 0n, 2n]]);
    t.equal(log.lastStableOffset, 3n, "producer 10's transaction is open again");
    // Every append here rolls by time (record timestamps of 1970), so the markers lie in several segments.
    const txnIndexEntries = (): number => log.segmentBaseOffsets().reduce((n, b) => n + readTxnIndex(io, join(dir, segmentFileName(b, '.txnindex'))).length, 0);
    t.equal(txnIndexEntries(), 1, 'the .txnindex was rewritten');
    log.abandon();
    log = PartitionLog.open(dir, cfg(), io);
    t.equal(log.abortedTransactions(0n, 10n).length, 1, 'still one after a crash restart');
    t.equal(log.lastStableOffset, 3n);
    log.appendMarker(10n, 0, false, 3);
    t.same(log.abortedTransactions(0n, 10n).map((e) => e.lastOffset), [2n, 5n], 'the abort comes again at the new end');
    t.equal(txnIndexEntries(), 2);
    t.equal(log.lastStableOffset, 6n);
    log.close();
  });

  t.test('truncation below the first unstable offset closes that transaction (truncateTo and truncateFullyAndStartAt)', async (t) => {
    for (const how of ['truncateTo', 'truncateFullyAndStartAt'] as const) {
      const dir = env.dir();
      let log = PartitionLog.open(dir, cfg(), io);
      appendBatch(log, makeBatch(3)); // 0-2
      leaderAppend(log, producerBatch(17n, 0, 2, { txn: true })); // 3-4
      t.equal(log.lastStableOffset, 3n);
      log.close(); // reopened: the transaction comes from the snapshot, as in Kafka's test
      log = PartitionLog.open(dir, cfg(), io);
      t.equal(log.lastStableOffset, 3n);
      if (how === 'truncateTo') log.truncateTo(3n);
      else log.truncateFullyAndStartAt(2n);
      t.equal(log.lastStableOffset, log.logEndOffset, `${how}: no open transaction is left`);
      t.notOk(log.producers.producers.has(17n), `${how}: the producer is gone`);
      log.close();
    }
  });

  t.test('truncateTo without any producer snapshot rebuilds producer state from the batches', async (t) => {
    const dir = env.dir();
    const log = PartitionLog.open(dir, cfg(), io);
    leaderAppend(log, producerBatch(1n, 0, 1)); // 0
    leaderAppend(log, producerBatch(1n, 1, 1)); // 1
    t.same(io.readdir(dir).filter((n) => n.endsWith('.snapshot')), []);
    log.truncateTo(1n);
    t.same(log.producers.producers.get(1n)?.batches.map((b) => b.lastSeq), [0], 'producer 1 ends at sequence 0');
    log.close();
  });

  t.test('truncateTo trims the leader-epoch cache, in memory and in its file', async (t) => {
    const dir = env.dir();
    let log = PartitionLog.open(dir, cfg(), io);
    log.append(...withInfos(makeBatch(2)), { leaderEpoch: 1 }); // 0-1
    log.append(...withInfos(makeBatch(2)), { leaderEpoch: 2 }); // 2-3
    log.append(...withInfos(makeBatch(2)), { leaderEpoch: 2 }); // 4-5
    log.append(...withInfos(makeBatch(2)), { leaderEpoch: 3 }); // 6-7
    log.truncateTo(4n);
    t.equal(log.latestEpoch, 2);
    t.same(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 2n });
    t.same(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 4n }, 'the latest epoch ends at the new log end');
    t.same(log.endOffsetForEpoch(3), { epoch: -1, endOffset: -1n });
    t.equal(readFileAll(io, join(dir, 'leader-epoch-checkpoint')).toString(), '0\n2\n1 0\n2 2\n');
    log.close();
    log = PartitionLog.open(dir, cfg(), io);
    t.equal(log.latestEpoch, 2, 'the same after a restart');
    t.same(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 4n });
    log.close();
  });

  t.test('truncateTo brings the cleaner checkpoint down to the new end', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    for (let i = 0; i < 4; i++) appendBatch(log, makeBatch(2));
    log.setCleanerCheckpoint({ cleanedUpTo: 6n, deleteHorizonMs: 77n });
    log.truncateTo(6n);
    t.same(log.cleanerCheckpoint(), { cleanedUpTo: 6n, deleteHorizonMs: 77n }, 'not beyond the end: unchanged');
    log.truncateTo(2n);
    t.same(log.cleanerCheckpoint(), { cleanedUpTo: 2n, deleteHorizonMs: 77n });
    log.close();
  });

  t.test('a truncated log reads the same after a clean restart and after a crash restart', async (t) => {
    const dir = env.dir();
    const config = cfg({ segmentBytes: 300, indexIntervalBytes: 10 });
    let log = PartitionLog.open(dir, config, io);
    await populateForTruncation(log);
    log.truncateTo(CUT);
    const view = logView(log);
    t.equal(log.logEndOffset, CUT_END);
    log.close();
    log = PartitionLog.open(dir, config, io);
    t.equal(log.openReport.cleanShutdown, true);
    t.equal(logView(log), view, 'clean restart');
    log.abandon();
    log = PartitionLog.open(dir, config, io);
    t.equal(log.openReport.cleanShutdown, false);
    t.equal(logView(log), view, 'crash restart');
    log.close();
  });

  t.test('truncateFullyAndStartAt empties the log and restarts it at the offset', async (t) => {
    const dir = env.dir();
    const config = cfg({ segmentBytes: 300, indexIntervalBytes: 10 });
    let log = PartitionLog.open(dir, config, io, { leaderEpoch: -1 });
    await populateForTruncation(log);
    log.setCleanerCheckpoint({ cleanedUpTo: 4n, deleteHorizonMs: -1n });
    log.truncateFullyAndStartAt(1000n);
    t.equal(log.logStartOffset, 1000n);
    t.equal(log.logEndOffset, 1000n);
    t.equal(log.lastStableOffset, 1000n);
    t.same(log.segmentBaseOffsets(), [1000n]);
    t.equal(log.producers.producers.size, 0, 'no producer state');
    t.same(log.abortedTransactions(0n, 2000n), []);
    t.equal(log.latestEpoch, null, 'no epoch');
    t.equal(log.cleanerCheckpoint(), null);
    t.same(io.readdir(dir).filter((n) => n.endsWith('.snapshot') || n.endsWith('.txnindex') || n === CLEANER_OFFSET_FILE), []);
    t.equal(log.read(999n, 1000, { minOneBatch: true }).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    log.appendAsFollower(...replicationInfos(storedBatch(1000n, 2, 7, { tag: 'f' })));
    t.same(readAll(log), [{ offset: 1000n, value: 'f-0' }, { offset: 1001n, value: 'f-1' }]);
    t.same(log.endOffsetForEpoch(7), { epoch: 7, endOffset: 1002n });
    const view = logView(log);
    log.close();
    log = PartitionLog.open(dir, config, io, { leaderEpoch: -1 });
    t.equal(logView(log), view, 'the same after a restart');
    log.truncateFullyAndStartAt(3n);
    t.equal(log.logStartOffset, 3n, 'below the log end too');
    t.equal(log.logEndOffset, 3n);
    t.same(readAll(log), []);
    log.close();
  });

  // -- the follower's append -------------------------------------------------------------------

  t.test("appendAsFollower stores the leader's batches byte for byte, offsets and epochs kept", async (t) => {
    const config = cfg({ segmentBytes: 400, indexIntervalBytes: 10 });
    const leader = PartitionLog.open(env.dir(), config, io);
    const follower = PartitionLog.open(env.dir(), config, io, { leaderEpoch: -1 });
    leader.leaderEpoch = 1;
    leaderAppend(leader, producerBatch(7n, 0, 3));
    appendBatch(leader, makeBatch(2, { tag: 'plain' }));
    leader.leaderEpoch = 2;
    leaderAppend(leader, producerBatch(7n, 3, 1));
    leader.leaderEpoch = 4;
    for (let i = 0; i < 5; i++) appendBatch(leader, makeBatch(2, { tag: `e4-${i}`, valueBytes: 30 }));
    replicate(leader, follower, 150);
    t.same(storedBytes(follower), storedBytes(leader), 'the same bytes at the same offsets');
    t.equal(follower.logEndOffset, leader.logEndOffset);
    t.ok(follower.segmentBaseOffsets().length > 1, 'the follower rolled');
    for (const e of [0, 1, 2, 3, 4, 5]) t.same(follower.endOffsetForEpoch(e), leader.endOffsetForEpoch(e), `epoch ${e}`);
    t.equal(follower.latestEpoch, 4);
    t.equal(producerView(follower), producerView(leader), 'the same producer state');
    const r = follower.appendAsLeader(...withInfos(producerBatch(7n, 3, 1)));
    t.equal(r.kind, 'duplicate', 'and so a retry to a new leader is found');
    leader.close();
    follower.close();
  });

  t.test('appendAsFollower of transactions and their markers records aborts and the last stable offset', async (t) => {
    const dir = env.dir();
    let log = PartitionLog.open(dir, cfg(), io);
    const fetched = Buffer.concat([
      storedBatch(0n, 2, 1, { pid: 9n, txn: true }), // 0-1
      storedBatch(2n, 1, 1, { pid: 10n, txn: true }), // 2
      storedMarker(9n, false, 3n, 1), // 3: abort 9
      storedBatch(4n, 2, 1, { pid: 11n, txn: true }), // 4-5
      storedMarker(10n, true, 6n, 1), // 6: commit 10
    ]);
    const out = log.appendAsFollower(...replicationInfos(fetched));
    t.same(out, { firstOffset: 0n, lastOffset: 6n, logEndOffset: 7n });
    t.same(log.abortedTransactions(0n, 7n).map((e) => [e.producerId, e.firstOffset, e.lastOffset]), [[9n, 0n, 3n]]);
    t.equal(log.lastStableOffset, 4n, "producer 11's transaction is open");
    t.equal(readTxnIndex(io, join(dir, segmentFileName(0n, '.txnindex'))).length, 1);
    log.appendAsFollower(...replicationInfos(storedMarker(11n, false, 7n, 1)));
    t.equal(log.lastStableOffset, 8n);
    t.equal(log.abortedTransactions(0n, 8n).length, 2);
    const view = logView(log);
    log.abandon();
    log = PartitionLog.open(dir, cfg(), io);
    t.equal(logView(log), view, 'the same after a crash restart');
    log.close();
  });

  t.test('appendAsFollower refuses a batch below the log end, and offsets that go back, writing nothing', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    log.appendAsFollower(...replicationInfos(storedBatch(0n, 3, 1)));
    const before = storedBytes(log);
    const below = storedBatch(2n, 2, 1);
    const e = t.throws(() => log.appendAsFollower(...replicationInfos(below))) as unknown;
    t.ok(e instanceof UnexpectedAppendOffsetError, 'UnexpectedAppendOffsetError');
    if (e instanceof UnexpectedAppendOffsetError) t.same([e.firstOffset, e.lastOffset, e.logEndOffset], [2n, 3n, 3n], 'names the batch and the log end');
    const back = Buffer.concat([storedBatch(3n, 2, 1), storedBatch(4n, 1, 1)]);
    t.throws(() => log.appendAsFollower(...replicationInfos(back)), OffsetsOutOfOrderError);
    t.same(storedBytes(log), before, 'nothing was written');
    t.notOk(log.isOffline, 'the log is not offline');
    t.equal(log.appendAsFollower(...replicationInfos(storedBatch(3n, 1, 1))).logEndOffset, 4n, 'the next batch at the end goes in');
    log.close();
  });

  t.test('appendAsFollower takes a batch past the log end (a compacted leader has gaps)', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    log.appendAsFollower(...replicationInfos(Buffer.concat([storedBatch(5n, 2, 1, { tag: 'a' }), storedBatch(10n, 1, 1, { tag: 'b' })])));
    t.equal(log.logEndOffset, 11n);
    t.same(readAll(log).map((r) => r.offset), [5n, 6n, 10n]);
    t.equal(splitBatches(log.read(7n, 1000, { minOneBatch: true }).records)[0]!.readBigInt64BE(0), 10n, 'a read in the gap returns the next batch');
    log.close();
  });

  t.test('appendAsFollower rolls as an append does, writing a fetch larger than a segment in several runs', async (t) => {
    const log = PartitionLog.open(env.dir(), cfg({ segmentBytes: 300 }), io);
    const batches: Buffer[] = [];
    for (let i = 0; i < 6; i++) batches.push(storedBatch(BigInt(2 * i), 2, 1, { valueBytes: 40 }));
    const fetched = Buffer.concat(batches);
    t.ok(fetched.length > 300, `${fetched.length} bytes in one fetch`);
    log.appendAsFollower(...replicationInfos(fetched));
    const bases = log.segmentBaseOffsets();
    t.ok(bases.length >= 3, `${bases.length} segments`);
    t.ok(bases.every((b) => b % 2n === 0n), 'every segment starts at a batch');
    t.equal(readAll(log).length, 12);
    t.equal(log.sizeBytes(), fetched.length);
    t.throws(() => log.appendAsFollower(...replicationInfos(storedBatch(12n, 1, 1, { valueBytes: 400 }))), /exceeds segment.bytes/);
    // Offsets more than int32 apart cannot share a segment: the new one starts at the later batch.
    const far = 12n + 2n ** 31n;
    log.appendAsFollower(...replicationInfos(Buffer.concat([storedBatch(12n, 1, 1), storedBatch(far, 1, 1)])));
    t.equal(log.segmentBaseOffsets().at(-1), far);
    t.same(readAll(log).slice(-2).map((r) => r.offset), [12n, far]);
    log.close();
  });

  t.test("appendAsFollower applies no producer check: the leader's order is the producer state", async (t) => {
    const log = PartitionLog.open(env.dir(), cfg(), io);
    const fetched = Buffer.concat([
      storedBatch(0n, 2, 1, { pid: 5n, seq: 0 }),
      storedBatch(2n, 2, 1, { pid: 5n, seq: 0 }), // a duplicate for a leader
      storedBatch(4n, 1, 1, { pid: 5n, seq: 9 }), // a sequence gap for a leader
    ]);
    log.appendAsFollower(...replicationInfos(fetched));
    t.equal(log.logEndOffset, 5n);
    t.equal(leaderAppend(log, producerBatch(5n, 10, 1)), 5n, 'as a new leader it continues from the last sequence stored');
    log.close();
  });
}

/** The cut of populateForTruncation's log used by the truncation tests, and where the log then ends. */
const CUT = 8n;
const CUT_END = 7n;

/**
 * A log with every kind of state a truncation must undo: segments of about two batches (segmentBytes
 * 300), producer 7's idempotent batches across them, aborted transactions of producers 9 and 10, an
 * open one of producer 11, leader epochs 1 to 3, and the producer snapshots of the rolls.
 *   epoch 1:  0-1 p7 seq 0 | 2-3 p9 txn | 4 abort p9
 *   epoch 2:  5-6 p7 seq 2 | 7-8 p10 txn | 9-10 plain | 11 abort p10
 *   epoch 3:  12-13 p7 seq 4 | 14-15 p11 txn (open)
 * Cutting at CUT (8, inside p10's batch) leaves 0..6: p7 at seq 3, p9's abort only, epochs 1 and 2.
 */
async function populateForTruncation(log: PartitionLog): Promise<void> {
  log.leaderEpoch = 1;
  leaderAppend(log, producerBatch(7n, 0, 2, { valueBytes: 30 }));
  leaderAppend(log, producerBatch(9n, 0, 2, { txn: true, valueBytes: 30 }));
  log.appendMarker(9n, 0, false, 3);
  log.leaderEpoch = 2;
  leaderAppend(log, producerBatch(7n, 2, 2, { valueBytes: 30 }));
  leaderAppend(log, producerBatch(10n, 0, 2, { txn: true, valueBytes: 30 }));
  appendBatch(log, makeBatch(2, { tag: 'plain', valueBytes: 30 }));
  log.appendMarker(10n, 0, false, 3);
  log.leaderEpoch = 3;
  leaderAppend(log, producerBatch(7n, 4, 2, { valueBytes: 30 }));
  leaderAppend(log, producerBatch(11n, 0, 2, { txn: true, valueBytes: 30 }));
  await log.whenSynced();
}

t.test('the leader-epoch cache survives a restart and is rebuilt from the batches when its file is missing or corrupt', async (t) => {
  const io = new MemoryFileIO();
  const dir = '/d/epochs';
  const log = PartitionLog.open(dir, cfg(), io);
  appendBatch(log, makeBatch(3));
  log.append(...withInfos(makeBatch(2)), { leaderEpoch: 4 });
  log.append(...withInfos(makeBatch(1)), { leaderEpoch: 5 });
  t.same(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 3n });
  log.close();
  const again = PartitionLog.open(dir, cfg(), io);
  t.same(again.endOffsetForEpoch(0), { epoch: 0, endOffset: 3n }, 'read back from leader-epoch-checkpoint');
  t.equal(again.latestEpoch, 5);
  t.same(again.endOffsetForEpoch(5), { epoch: 5, endOffset: 6n }, 'the latest epoch ends at the log end');
  again.close();
  for (const damage of ['missing', 'corrupt'] as const) {
    const path = `${dir}/leader-epoch-checkpoint`;
    if (damage === 'missing') io.unlink(path);
    else writeSmallFileAtomic(io, path, Buffer.from('0\n7\nnot an entry\n'));
    const rebuilt = PartitionLog.open(dir, cfg(), io);
    t.same(rebuilt.endOffsetForEpoch(0), { epoch: 0, endOffset: 3n }, `${damage}: rebuilt from the batch headers`);
    t.same(rebuilt.endOffsetForEpoch(4), { epoch: 4, endOffset: 5n }, `${damage}: epoch 4 ends where the next batch started`);
    rebuilt.close();
  }
});

t.test('NodeFileIO', async (t) => sharedSuite(t, nodeEnv));
t.test('MemoryFileIO', async (t) => sharedSuite(t, memoryEnv));
// Four descriptors for every file of every log in the suite: handles are closed and reopened all the time.
t.test('BoundedFileIO over NodeFileIO with 4 descriptors', async (t) => sharedSuite(t, () => nodeEnv(new BoundedFileIO(new NodeFileIO(), 4))));
nativeTest('NativeFileIO', nativeFile, async (t, ops) => sharedSuite(t, () => nodeEnv(new NativeFileIO(ops))));

// -------------------------------------------------------------------------------------------------
// Faults only MemoryFileIO can inject.

t.test('MemoryFileIO faults', async (t) => {
  t.test('power loss without fsync loses unflushed appends', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg(), io);
    appendBatch(log, makeBatch(2));
    io.crash({ keepUnsynced: false });
    const again = PartitionLog.open('/d/p', cfg(), io);
    t.equal(again.logEndOffset, 0n);
    again.close();
  });

  t.test('power loss keeps what was flushed', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg({ indexIntervalBytes: 10 }), io);
    for (let i = 0; i < 5; i++) appendBatch(log, makeBatch(2, { tag: `f${i}` }));
    log.flush();
    for (let i = 0; i < 5; i++) appendBatch(log, makeBatch(2, { tag: `u${i}` }));
    io.crash({ keepUnsynced: false });
    const again = PartitionLog.open('/d/p', cfg({ indexIntervalBytes: 10 }), io);
    t.equal(again.logEndOffset, 10n);
    t.same(readAll(again).map((x) => x.value).slice(-2), ['f4-0', 'f4-1']);
    again.close();
  });

  t.test('a roll fsyncs the sealed segment off the JavaScript thread, then writes its snapshot', async (t) => {
    const io = new MemoryFileIO();
    const config = cfg({ segmentBytes: 300 });
    const log = PartitionLog.open('/d/p', config, io);
    io.holdAsyncFsyncs();
    const fsyncsBefore = io.fsyncCount;
    for (let i = 0; i < 6; i++) appendBatch(log, makeBatch(2, { tag: `r${i}`, valueBytes: 40 }));
    const bases = log.segmentBaseOffsets();
    t.ok(bases.length >= 3, `${bases.length} segments`);
    t.equal(io.fsyncCount, fsyncsBefore, 'appends and rolls did not fsync on the calling thread');
    t.equal(io.heldAsyncFsyncs, 3 * (bases.length - 1), 'three files per rolled segment, in the background');
    const snapshots = () => io.readdir('/d/p').filter((n) => n.endsWith('.snapshot'));
    t.same(snapshots(), [], 'no snapshot claims a recovery point before its fsync');
    io.releaseAsyncFsyncs();
    await log.whenSynced();
    t.same(snapshots(), bases.slice(-2).map((b) => segmentFileName(b, '.snapshot')), 'a snapshot per roll (the two newest kept)');
    io.crash({ keepUnsynced: false });
    const again = PartitionLog.open('/d/p', config, io);
    t.equal(again.logEndOffset, bases[bases.length - 1]!, 'everything up to the last roll survives a power loss');
    t.same(readAll(again).map((x) => x.value.slice(0, 4)), bases.slice(0, -1).flatMap((_, i) => [`r${i}-0`, `r${i}-1`]).map((v) => v.slice(0, 4)));
    again.close();
  });

  t.test('power loss while a roll fsync is in flight: the unsynced segment is checked, a torn one ends the log', async (t) => {
    const io = new MemoryFileIO();
    const config = cfg({ segmentBytes: 300, indexIntervalBytes: 10 });
    const log = PartitionLog.open('/d/p', config, io);
    for (let i = 0; i < 2; i++) appendBatch(log, makeBatch(2, { tag: `s${i}`, valueBytes: 40 }));
    log.forceRoll();
    await log.whenSynced(); // one batch a segment: segments 0 and 2 durable, recovery point 4
    io.holdAsyncFsyncs();
    for (let i = 0; i < 6; i++) appendBatch(log, makeBatch(2, { tag: `u${i}`, valueBytes: 40 }));
    const bases = log.segmentBaseOffsets();
    t.same(bases, [0n, 2n, 4n, 6n, 8n, 10n, 12n, 14n], 'one batch a segment');
    io.crash({ keepUnsynced: true }); // the page cache had everything ...
    // ... but the disk had only part of segment 6, past the recovery point: its batch is damaged.
    // Segment 2, below the recovery point, is damaged too: it is trusted, not scanned at open.
    for (const base of [6n, 2n]) {
      const fd = io.open(join('/d/p', segmentFileName(base, '.log')));
      io.pwrite(fd, Buffer.alloc(8, 0xee), io.size(fd) - 10);
      io.close(fd);
    }
    const again = PartitionLog.open('/d/p', config, io);
    t.equal(again.openReport.cleanShutdown, false);
    t.equal(again.openReport.droppedSegments, 4, 'the segments after the torn one are dropped');
    t.ok(again.openReport.truncatedBytes > 0, 'the torn batch is cut');
    t.same(again.segmentBaseOffsets(), [0n, 2n, 4n, 6n], 'the unsynced segment 4 was whole and is kept');
    t.equal(again.logEndOffset, 6n, 'the log ends after the last good batch');
    const got = readAll(again);
    t.same(got.map((x) => x.offset), [0n, 1n, 2n, 3n, 4n, 5n]);
    t.same(got.slice(4).map((x) => x.value.slice(0, 4)), ['u0-0', 'u0-1']);
    const r = appendBatch(again, makeBatch(1, { tag: 'next' }));
    t.equal(r.baseOffset, 6n, 'appends go on at the new end');
    again.close();
    const third = PartitionLog.open('/d/p', config, io);
    t.equal(third.openReport.cleanShutdown, true);
    t.equal(third.logEndOffset, 7n);
    third.close();
  });

  t.test('power loss while a roll fsync is in flight: a whole unsynced segment is kept', async (t) => {
    const io = new MemoryFileIO();
    const config = cfg({ segmentBytes: 300 });
    const log = PartitionLog.open('/d/p', config, io);
    io.holdAsyncFsyncs();
    for (let i = 0; i < 6; i++) appendBatch(log, makeBatch(2, { tag: `k${i}`, valueBytes: 40 }));
    const bases = log.segmentBaseOffsets();
    io.crash({ keepUnsynced: true }); // kill -9: the data is in the page cache, no fsync completed
    const again = PartitionLog.open('/d/p', config, io);
    t.equal(again.openReport.droppedSegments, 0);
    t.equal(again.openReport.truncatedBytes, 0);
    t.same(again.segmentBaseOffsets(), bases);
    t.equal(again.logEndOffset, 12n);
    t.equal(readAll(again).length, 12);
    again.close();
  });

  t.test('close while a roll fsync is in flight makes everything durable first', async (t) => {
    const io = new MemoryFileIO();
    const config = cfg({ segmentBytes: 300 });
    const log = PartitionLog.open('/d/p', config, io);
    io.holdAsyncFsyncs();
    for (let i = 0; i < 6; i++) appendBatch(log, makeBatch(2, { valueBytes: 40 }));
    log.close();
    io.crash({ keepUnsynced: false });
    const again = PartitionLog.open('/d/p', config, io);
    t.equal(again.openReport.cleanShutdown, true);
    t.equal(again.logEndOffset, 12n);
    t.equal(readAll(again).length, 12);
    again.close();
  });

  t.test('a clean close writes only what changed since the last: an idle log fsyncs its marker alone', async (t) => {
    const io = new MemoryFileIO();
    const snapshots = () => io.readdir('/d/p').filter((n) => n.endsWith('.snapshot'));
    const log = PartitionLog.open('/d/p', cfg(), io);
    leaderAppend(log, producerBatch(7n, 0, 3));
    const view = producerView(log);
    log.close();
    t.same(snapshots(), [segmentFileName(3n, '.snapshot')], 'a close after appends writes the snapshot');
    const idle = PartitionLog.open('/d/p', cfg(), io);
    t.equal(idle.openReport.cleanShutdown, true);
    const before = io.fsyncCount;
    idle.close();
    t.equal(io.fsyncCount, before + 1, 'no segment or snapshot fsync: only the clean-shutdown marker');
    io.crash({ keepUnsynced: false });
    const again = PartitionLog.open('/d/p', cfg(), io);
    t.equal(again.openReport.cleanShutdown, true, 'a power loss after it still finds a clean shutdown');
    t.equal(again.logEndOffset, 3n);
    t.equal(producerView(again), view, 'with the producer state of the last change');
    // A change with no new offset (the producer expires) is a change: the snapshot is rewritten.
    t.equal(again.producers.expire(Number.MAX_SAFE_INTEGER, 1), 1);
    again.close();
    io.crash({ keepUnsynced: false });
    const expired = PartitionLog.open('/d/p', cfg(), io);
    t.equal(producerView(expired), '[]', 'the expiry was kept');
    t.equal(expired.openReport.cleanShutdown, true);
    expired.close();
  });

  t.test('closing an empty log with no producers writes no snapshot or epochs; it opens clean and empty', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg(), io);
    const first = io.fsyncCount;
    log.close();
    t.equal(io.fsyncCount, first + 1, 'the first close fsyncs only the clean-shutdown marker');
    t.same(io.readdir('/d/p').filter((n) => n.endsWith('.snapshot')), []);
    io.crash({ keepUnsynced: false });
    const before = io.fsyncCount;
    const again = PartitionLog.open('/d/p', cfg(), io);
    t.equal(again.openReport.cleanShutdown, true);
    t.equal(again.logEndOffset, 0n);
    t.equal(producerView(again), '[]');
    t.same(again.endOffsetForEpoch(0), { epoch: 0, endOffset: 0n }, 'its epoch is known, starting at its end');
    again.close();
    t.equal(io.fsyncCount, before + 1, 'that open and close rewrote nothing but the clean-shutdown marker');
    const used = PartitionLog.open('/d/p', cfg(), io);
    t.equal(leaderAppend(used, producerBatch(9n, 0, 2)), 0n, 'a new producer starts at sequence 0');
    used.close();
  });

  t.test('the flush.ms flush runs off the JavaScript thread', async (t) => {
    let now = 1_000_000;
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg({ flushMs: 100 }), io, { now: () => now });
    appendBatch(log, makeBatch(3));
    io.holdAsyncFsyncs();
    const before = io.fsyncCount;
    log.maybeFlush(now + 50);
    t.equal(io.heldAsyncFsyncs, 0, 'not due yet');
    now += 100;
    log.maybeFlush(now);
    t.equal(log.unflushed, 0);
    t.equal(io.fsyncCount, before, 'nothing fsynced on the calling thread');
    t.equal(io.heldAsyncFsyncs, 3, 'the .log and both indexes, in the background');
    io.releaseAsyncFsyncs();
    await log.whenSynced();
    t.equal(io.fsyncCount, before + 3);
    io.crash({ keepUnsynced: false });
    const again = PartitionLog.open('/d/p', cfg(), io);
    t.equal(again.logEndOffset, 3n, 'the flushed records survive a power loss');
    again.close();
  });

  t.test('a background fsync that fails while an earlier one is in flight takes the log offline, and only then', async (t) => {
    /** The first roll's three fsyncs wait for release(); every later async fsync fails at once. */
    class LaterFsyncsFail extends MemoryFileIO {
      calls = 0;
      readonly waiting: Array<() => void> = [];
      override fsyncAsync(fd: number): Promise<void> {
        if (++this.calls <= 3) return new Promise((resolve) => this.waiting.push(() => (this.fsync(fd), resolve())));
        return Promise.reject(Object.assign(new Error('EIO: injected'), { code: 'EIO' }));
      }
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    t.teardown(() => void process.off('unhandledRejection', onUnhandled));
    const io = new LaterFsyncsFail();
    const log = PartitionLog.open('/d/p', cfg({ segmentBytes: 300 }), io);
    for (let i = 0; i < 3; i++) appendBatch(log, makeBatch(2, { valueBytes: 40 })); // two rolls
    t.ok(io.calls >= 6, 'both rolls asked for their fsyncs');
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    t.same(unhandled, [], 'the second roll failing first is not an unhandled rejection');
    t.notOk(log.isOffline, 'not offline before the chain reaches the failure');
    for (const release of io.waiting.splice(0)) release();
    await log.whenSynced();
    t.ok(log.isOffline, 'offline once the failed fsync is reached');
    t.same(unhandled, []);
    log.close();
  });

  t.test('a failed background fsync takes the log offline', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg({ segmentBytes: 300 }), io);
    io.failNextFsync();
    for (let i = 0; i < 4; i++) appendBatch(log, makeBatch(2, { valueBytes: 40 }));
    await log.whenSynced();
    t.ok(log.isOffline);
    t.throws(() => appendBatch(log, makeBatch(1)), LogStorageError);
    log.close();
    const again = PartitionLog.open('/d/p', cfg({ segmentBytes: 300 }), io);
    t.equal(again.openReport.cleanShutdown, false);
    t.equal(again.logEndOffset, 8n, 'kill -9 semantics: recovery keeps what the page cache had');
    again.close();
  });

  t.test('a torn last write is cut by recovery', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg(), io);
    appendBatch(log, makeBatch(2, { tag: 'a' }));
    appendBatch(log, makeBatch(2, { tag: 'b', valueBytes: 100 }));
    io.tearLastWrite(40);
    io.crash({ keepUnsynced: true });
    const again = PartitionLog.open('/d/p', cfg(), io);
    t.equal(again.openReport.truncatedBytes, 40);
    t.same(readAll(again).map((x) => x.value), ['a-0', 'a-1']);
    again.close();
  });

  t.test('a failed write takes the log offline and reopening recovers', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg(), io);
    appendBatch(log, makeBatch(2, { tag: 'a' }));
    io.failNextWrite(25);
    t.throws(() => appendBatch(log, makeBatch(2, { tag: 'b' })), LogStorageError);
    t.ok(log.isOffline);
    t.throws(() => log.read(0n, 1000, { minOneBatch: true }), LogStorageError);
    t.throws(() => appendBatch(log, makeBatch(1)), LogStorageError);
    log.close();
    t.notOk(io.exists(join('/d/p', CLEAN_SHUTDOWN_FILE)), 'an offline log is not marked clean');
    const again = PartitionLog.open('/d/p', cfg(), io);
    t.equal(again.openReport.truncatedBytes, 25);
    t.equal(again.logEndOffset, 2n);
    again.close();
  });

  t.test('a failed fsync takes the log offline', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg(), io);
    appendBatch(log, makeBatch(2));
    io.failNextFsync();
    t.throws(() => log.flush(), LogStorageError);
    t.ok(log.isOffline);
    t.throws(() => appendBatch(log, makeBatch(1)), LogStorageError);
    log.close();
    const again = PartitionLog.open('/d/p', cfg(), io);
    t.equal(again.openReport.cleanShutdown, false);
    t.equal(again.logEndOffset, 2n, 'kill -9 semantics: the page cache still had the data');
    again.close();
  });

  t.test('a failed fsync during a flush.messages flush fails the append', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg({ flushMessages: 1 }), io);
    io.failNextFsync();
    t.throws(() => appendBatch(log, makeBatch(1)), LogStorageError);
    t.ok(log.isOffline);
  });

  t.test('flush fsyncs the log and both indexes', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg(), io);
    appendBatch(log, makeBatch(1));
    log.flush(); // the first flush also writes the new log's leader-epoch-checkpoint (file and directory)
    appendBatch(log, makeBatch(1));
    const before = io.fsyncCount;
    log.flush();
    t.equal(io.fsyncCount - before, 3);
    log.close();
  });

  t.test('a new log writes its leader-epoch-checkpoint at its first flush, not at open or append', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/p', cfg(), io);
    appendBatch(log, makeBatch(2));
    t.notOk(io.exists('/d/p/leader-epoch-checkpoint'), 'not at open, not at the append');
    t.same(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 2n }, 'known in memory all the same');
    log.flush();
    t.equal(readSmallFile(io, '/d/p/leader-epoch-checkpoint', 64)?.toString(), '0\n1\n0 0\n', 'written by the flush');
    log.close();
  });

  t.test('a crash before the first flush: the new log rebuilds its leader-epoch cache from its batches', async (t) => {
    const io = new MemoryFileIO();
    const log = PartitionLog.open('/d/q', cfg(), io, { leaderEpoch: 3 });
    appendBatch(log, makeBatch(2));
    t.notOk(io.exists('/d/q/leader-epoch-checkpoint'), 'no file yet');
    log.abandon();
    const again = PartitionLog.open('/d/q', cfg(), io, { leaderEpoch: 5 });
    t.same(again.endOffsetForEpoch(3), { epoch: 3, endOffset: 2n }, 'epoch 3 (not the new default 5) from the batch headers');
    again.close();
  });

  t.test('a clean reopen reads the tail only, not the whole segment', async (t) => {
    const io = new MemoryFileIO();
    const config = cfg({ indexIntervalBytes: 1000 });
    const log = PartitionLog.open('/d/p', config, io);
    for (let i = 0; i < 1000; i++) appendBatch(log, makeBatch(2, { valueBytes: 200 }));
    log.close();
    const logBytes = io.contents(join('/d/p', segmentFileName(0n, '.log'))).length;
    let read = 0;
    const pread = io.pread.bind(io);
    io.pread = (fd, into, off, len, pos) => {
      const n = pread(fd, into, off, len, pos);
      read += n;
      return n;
    };
    const again = PartitionLog.open('/d/p', config, io);
    t.equal(again.openReport.cleanShutdown, true);
    t.ok(read < 64 * 1024 && read < logBytes / 5, `read ${read} of ${logBytes} bytes`);
    again.abandon();
    read = 0;
    const recovered = PartitionLog.open('/d/p', config, io);
    t.equal(recovered.openReport.cleanShutdown, false);
    t.ok(read >= logBytes, 'recovery after a crash reads everything');
    recovered.close();
  });

  // A kill -9 (keepUnsynced) or a power loss after the k-th file operation of a truncation, for
  // every k until the truncation completes: the log must reopen as a prefix of the old one no
  // shorter than the truncated one, read like a log cut at its new end, and truncate again to
  // exactly what an uninterrupted truncation gives.
  for (const keepUnsynced of [true, false]) {
    const what = keepUnsynced ? 'a kill -9' : 'a power loss';
    t.test(`${what} at any step of truncateTo leaves a prefix of the log that reopens and truncates again`, async (t) => {
      const config = cfg({ segmentBytes: 300, indexIntervalBytes: 10 });
      const now = (): number => 10_000; // markers carry it: every run writes the same bytes
      const reference = async (cut: bigint | null): Promise<string> => {
        const log = PartitionLog.open('/r/p', config, new MemoryFileIO(), { now });
        await populateForTruncation(log);
        if (cut !== null) log.truncateTo(cut);
        return logView(log);
      };
      const truncated = await reference(CUT);
      let steps = 0;
      for (; steps < 1000; steps++) {
        const io = new CrashingFileIO();
        const log = PartitionLog.open('/d/p', config, io, { now });
        await populateForTruncation(log);
        log.flush();
        const before = readAll(log);
        const oldEnd = log.logEndOffset;
        io.crashAfter(steps, keepUnsynced);
        try {
          log.truncateTo(CUT);
        } catch (e) {
          if (!(e instanceof LogStorageError)) throw e;
        }
        if (!io.crashed) {
          t.equal(logView(log), truncated, 'the uninterrupted truncation');
          break;
        }
        const again = PartitionLog.open('/d/p', config, io, { now });
        const end = again.logEndOffset;
        const records = readAll(again);
        if (!(end >= CUT_END && end <= oldEnd) || !records.every((r, i) => r.offset === before[i]!.offset && r.value === before[i]!.value)) {
          t.fail(`after step ${steps}: log end ${end}, ${records.length} records: not a prefix between ${CUT_END} and ${oldEnd}`);
          break;
        }
        const expected = await reference(end < oldEnd ? end : null);
        if (logView(again) !== expected) {
          t.equal(logView(again), expected, `after step ${steps} the reopened log reads as the old one cut at ${end}`);
          break;
        }
        again.truncateTo(CUT);
        if (logView(again) !== truncated) {
          t.equal(logView(again), truncated, `after step ${steps} truncating again gives the truncated log`);
          break;
        }
        again.close();
      }
      t.ok(steps > 10, `${steps} crash points tried`);
    });

    t.test(`${what} at any step of truncateFullyAndStartAt leaves the old log or an empty one`, async (t) => {
      const config = cfg({ segmentBytes: 300, indexIntervalBytes: 10 });
      const opts = { leaderEpoch: -1, now: (): number => 10_000 };
      const restarted = (() => {
        const log = PartitionLog.open('/r/p', config, new MemoryFileIO(), opts);
        log.truncateFullyAndStartAt(100n);
        return logView(log);
      })();
      let steps = 0;
      for (; steps < 1000; steps++) {
        const io = new CrashingFileIO();
        const log = PartitionLog.open('/d/p', config, io, opts);
        await populateForTruncation(log);
        log.flush();
        const before = readAll(log);
        io.crashAfter(steps, keepUnsynced);
        try {
          log.truncateFullyAndStartAt(100n);
        } catch (e) {
          if (!(e instanceof LogStorageError)) throw e;
        }
        if (!io.crashed) {
          t.equal(logView(log), restarted, 'the uninterrupted restart');
          break;
        }
        const again = PartitionLog.open('/d/p', config, io, opts);
        const records = readAll(again);
        const empty = records.length === 0 && again.logStartOffset === again.logEndOffset;
        const prefix = again.logStartOffset === 0n && records.every((r, i) => r.offset === before[i]!.offset && r.value === before[i]!.value);
        if (!empty && !prefix) {
          t.fail(`after step ${steps}: log ${again.logStartOffset}..${again.logEndOffset} with ${records.length} records`);
          break;
        }
        again.truncateFullyAndStartAt(100n);
        if (logView(again) !== restarted) {
          t.equal(logView(again), restarted, `after step ${steps} restarting again gives the restarted log`);
          break;
        }
        again.close();
      }
      t.ok(steps > 10, `${steps} crash points tried`);
    });
  }

  t.test('truncateTo reads from the newest snapshot below the cut on, not the whole log', async (t) => {
    const io = new MemoryFileIO();
    const config = cfg({ indexIntervalBytes: 1000 });
    const log = PartitionLog.open('/d/p', config, io);
    for (let i = 0; i < 500; i++) appendBatch(log, makeBatch(2, { tag: `r${i}`, valueBytes: 200 }));
    log.forceRoll();
    await log.whenSynced(); // a producer snapshot at 1000, the base of the segment to cut
    for (let i = 500; i < 1000; i++) appendBatch(log, makeBatch(2, { tag: `r${i}`, valueBytes: 200 }));
    const logBytes = log.sizeBytes();
    let read = 0;
    const pread = io.pread.bind(io);
    io.pread = (fd, into, off, len, pos) => {
      const n = pread(fd, into, off, len, pos);
      read += n;
      return n;
    };
    // Inside batch 505 (offsets 1010-1011): producer state is rebuilt from the snapshot at 1000,
    // reading five batches, and the cut segment is reopened from its kept index entries; the
    // 240 KB below the snapshot and the 240 KB cut away are not read.
    log.truncateTo(1011n);
    t.ok(read < 32 * 1024, `read ${read} of ${logBytes} bytes`);
    io.pread = pread;
    t.equal(log.logEndOffset, 1010n);
    t.equal(log.offsetForTimestamp(0n)?.offset, 0n);
    t.equal(readAll(log, 1 << 20).length, 1010);
    t.equal(appendBatch(log, makeBatch(1, { tag: 'next' })).baseOffset, 1010n);
    log.close();
    const again = PartitionLog.open('/d/p', config, io);
    t.equal(again.openReport.cleanShutdown, true);
    t.equal(again.logEndOffset, 1011n);
    again.abandon();
    const recovered = PartitionLog.open('/d/p', config, io);
    t.equal(recovered.openReport.truncatedBytes, 0, 'a full recovery finds the kept indexes and data consistent');
    t.same(readAll(recovered, 1 << 20).at(-1), { offset: 1010n, value: 'next-0' });
    recovered.close();
  });

  t.test("truncateTo while a roll's fsync is in flight: that roll's snapshot is never written", async (t) => {
    const io = new MemoryFileIO();
    const config = cfg({ segmentBytes: 300 });
    const log = PartitionLog.open('/d/p', config, io);
    io.holdAsyncFsyncs();
    for (let i = 0; i < 3; i++) leaderAppend(log, producerBatch(7n, 2 * i, 2, { valueBytes: 40 }));
    const bases = log.segmentBaseOffsets();
    t.ok(bases.length >= 2, `${bases.length} segments`);
    log.truncateTo(2n);
    io.releaseAsyncFsyncs();
    await log.whenSynced();
    t.notOk(log.isOffline);
    t.same(io.readdir('/d/p').filter((n) => n.endsWith('.snapshot')), [], 'no snapshot of a state that is gone');
    t.equal(leaderAppend(log, producerBatch(7n, 2, 2)), 2n, 'producer 7 continues from its sequence at the cut');
    log.close();
  });
});
