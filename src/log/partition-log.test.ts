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
import { MemoryFileIO, NativeFileIO, NodeFileIO, writeSmallFileAtomic, type FileIO } from './file-io.js';
import {
  CLEAN_SHUTDOWN_FILE,
  defaultLogConfig,
  LOG_FORMAT_FILE,
  LogStorageError,
  PartitionLog,
  type LogConfig,
} from './partition-log.js';
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
    t.throws(() => log.truncateTo(cut + 1n), /not the start of a batch/, 'refuses to cut a batch in two');
    log.truncateTo(cut);
    log = PartitionLog.open(dir, config, io);
    t.equal(log.logEndOffset, cut);
    t.same(log.segmentBaseOffsets(), bases.slice(0, 2), 'the later segments are gone');
    t.equal(readAll(log).length, Number(cut), 'every record below the cut is still there');
    appendBatch(log, makeBatch(1, { tag: 'after' }));
    t.same(readAll(log).at(-1), { offset: cut, value: 'after-0' }, 'appends go on at the cut');
    log.truncateTo(bases[1]!);
    log = PartitionLog.open(dir, config, io);
    t.equal(log.logEndOffset, bases[1]!, 'a cut at a segment base empties that segment');
    log.close();
  });
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
    const before = io.fsyncCount;
    log.flush();
    t.equal(io.fsyncCount - before, 3);
    log.close();
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
});
