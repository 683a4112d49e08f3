/**
 * The log cleaner (cleaner.ts), one named test per behaviour; Kafka's LogCleanerTest is the
 * checklist. The shared bodies run against NodeFileIO in a temp directory and MemoryFileIO; the
 * crash tests need MemoryFileIO's crash and tear injection and stop the cleaner before each file
 * operation in turn.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRawRecords, deleteHorizonOf } from './batch-records.js';
import { CLEAN_SWAP_FILE, CLEANER_OFFSET_FILE, CLEANING_DIR, cleanLog, defaultCleanerConfig, type CleanerConfig } from './cleaner.js';
import * as fx from './compression-fixtures.js';
import { BoundedFileIO } from './bounded-file-io.js';
import { MemoryFileIO, NodeFileIO, readSmallFile, type FileHandle, type FileIO } from './file-io.js';
import { defaultLogConfig, PartitionLog, type LogConfig } from './partition-log.js';
import { crc32c } from '../native/crc32c.js';
import { BatchField, buildRecordBatch, Compression, RECORD_BATCH_OVERHEAD, splitBatches, validateBatches, type BuildOptions, type RecordInput } from './record-batch.js';

interface Env {
  name: string;
  io: FileIO;
  mem: MemoryFileIO | null;
  dir(): string;
  cleanup(): void;
}

function nodeEnv(): Env {
  const root = mkdtempSync(join(tmpdir(), 'sluice-cleaner-test-'));
  let n = 0;
  return { name: 'NodeFileIO', io: new NodeFileIO(), mem: null, dir: () => join(root, `p${n++}`), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** NodeFileIO through BoundedFileIO with 4 descriptors: every swap and rename with handles closed and reopened. */
function boundedEnv(): Env {
  const env = nodeEnv();
  return { ...env, name: 'BoundedFileIO', io: new BoundedFileIO(env.io, 4) };
}

function memoryEnv(): Env {
  const mem = new MemoryFileIO();
  let n = 0;
  return { name: 'MemoryFileIO', io: mem, mem, dir: () => `/data/p${n++}`, cleanup: () => {} };
}

const MAX = 64 * 1024 * 1024;
const T0 = 1_700_000_000_000;

function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, ...over };
}

function ccfg(over: Partial<CleanerConfig> = {}): CleanerConfig {
  return { ...defaultCleanerConfig, minCleanableDirtyRatio: 0, ...over };
}

const kv = (key: string | null, value: string | null, timestamp?: number): RecordInput => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  ...(timestamp === undefined ? {} : { timestamp: BigInt(timestamp) }),
});

function appendRaw(plog: PartitionLog, batch: Buffer): void {
  const v = validateBatches(batch, { maxBatchBytes: MAX, origin: 'internal' });
  if (!v.ok) throw new Error(v.message);
  plog.append(batch, v.batches);
}

function append(plog: PartitionLog, records: RecordInput[], opts: BuildOptions = {}): void {
  appendRaw(plog, buildRecordBatch(records, { timestampMs: BigInt(T0), ...opts }));
}

interface Rec {
  offset: bigint;
  key: string | null;
  value: string | null;
}

/** Every record in the log in offset order; a control batch as key '<control>', one of an unknown codec as '<unknown>'. */
function readAll(plog: PartitionLog): Rec[] {
  const out: Rec[] = [];
  let offset = plog.logStartOffset;
  while (offset < plog.logEndOffset) {
    const { records } = plog.read(offset, 64 * 1024, { minOneBatch: true });
    if (records.length === 0) break;
    for (const batch of splitBatches(records)) {
      const base = batch.readBigInt64BE(BatchField.baseOffset);
      const last = base + BigInt(batch.readInt32BE(BatchField.lastOffsetDelta));
      if (last < offset) continue;
      if ((batch.readInt16BE(BatchField.attributes) & 0x20) !== 0) out.push({ offset: base, key: '<control>', value: null });
      else {
        const recs = readRawRecords(batch);
        if (recs === null) out.push({ offset: base, key: '<unknown>', value: null });
        else for (const r of recs) out.push({ offset: base + BigInt(r.offsetDelta), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
      }
      offset = last + 1n;
    }
  }
  return out;
}

/** What compaction of `recs` must leave: the last record of every key, controls and unknown batches as they are. */
function latestPerKey(recs: Rec[]): Rec[] {
  const last = new Map<string, bigint>();
  for (const r of recs) if (r.key !== null && !r.key.startsWith('<')) last.set(r.key, r.offset);
  return recs.filter((r) => r.key !== null && (r.key.startsWith('<') || last.get(r.key) === r.offset));
}

const bothEnvs = (name: string, body: (t: Test, env: Env) => Promise<void> | void): void => {
  for (const [label, make] of [['NodeFileIO', nodeEnv], ['MemoryFileIO', memoryEnv], ['BoundedFileIO', boundedEnv]] as const) {
    t.test(`${name} (${label})`, async (t) => {
      const env = make();
      try {
        await body(t, env);
      } finally {
        env.cleanup();
      }
    });
  }
};

bothEnvs('latest value per key is kept, offsets preserved, segments merged', (t, env) => {
  const dir = env.dir();
  const plog = PartitionLog.open(dir, cfg({ segmentBytes: 1000 }), env.io);
  for (let i = 0; i < 60; i++) append(plog, [kv(`k${i % 3}`, `v${i}`)]);
  plog.forceRoll();
  const before = readAll(plog);
  const segmentsBefore = plog.segmentBaseOffsets().length;
  const res = cleanLog(plog, ccfg(), T0);
  t.equal(res.cleaned, true, res.reason);
  const after = readAll(plog);
  t.same(after, latestPerKey(before));
  t.same(after.map((r) => r.value), ['v57', 'v58', 'v59']);
  t.equal(plog.logEndOffset, 60n, 'log end unchanged');
  t.equal(plog.logStartOffset, 0n, 'log start unchanged');
  t.ok(plog.segmentBaseOffsets().length < segmentsBefore, `${segmentsBefore} segments became ${plog.segmentBaseOffsets().length}`);
  t.equal(res.cleanedUpTo, plog.segmentBaseOffsets().at(-1));
  t.equal(res.recordsRead, 60);
  t.equal(res.recordsKept, 3);
  plog.close();
  const again = PartitionLog.open(dir, cfg({ segmentBytes: 1000 }), env.io);
  t.same(readAll(again), after, 'same after reopening');
  t.match(readSmallFile(env.io, join(dir, CLEANER_OFFSET_FILE), 100)?.toString(), /^sluice-cleaner-offset 1\n\d+\n-1\n$/);
  t.notOk(env.io.exists(join(dir, CLEANING_DIR)) || env.io.exists(join(dir, CLEAN_SWAP_FILE)), 'no leftovers');
  again.close();
});

bothEnvs('tombstones are kept for delete.retention.ms after their first cleaning, then removed', (t, env) => {
  const plog = PartitionLog.open(env.dir(), cfg(), env.io);
  append(plog, [kv('a', '1'), kv('b', '2')]);
  append(plog, [kv('a', null), kv('c', '3')]);
  plog.forceRoll();
  const first = cleanLog(plog, ccfg({ deleteRetentionMs: 1000 }), T0);
  t.equal(first.cleaned, true);
  t.same(readAll(plog).map((r) => [r.key, r.value]), [['b', '2'], ['a', null], ['c', '3']], 'superseded value gone, tombstone kept');
  const tombBatch = splitBatches(plog.read(2n, MAX, { minOneBatch: true }).records)[0]!;
  t.equal(deleteHorizonOf(tombBatch), BigInt(T0 + 1000), 'delete horizon in the batch (attribute bit 6)');
  t.equal(plog.cleanerCheckpoint()?.deleteHorizonMs, BigInt(T0 + 1000));
  const early = cleanLog(plog, ccfg({ deleteRetentionMs: 1000, minCleanableDirtyRatio: 0.99 }), T0 + 999);
  t.equal(early.cleaned, false, early.reason);
  t.equal(readAll(plog).length, 3, 'tombstone still there just before the horizon');
  const due = cleanLog(plog, ccfg({ deleteRetentionMs: 1000, minCleanableDirtyRatio: 0.99 }), T0 + 1000);
  t.equal(due.cleaned, true, 'the horizon alone triggers a pass');
  t.same(readAll(plog).map((r) => [r.key, r.value]), [['b', '2'], ['c', '3']]);
  t.equal(plog.cleanerCheckpoint()?.deleteHorizonMs, -1n);
  plog.close();
});

bothEnvs('min.compaction.lag.ms keeps young segments out of cleaning', (t, env) => {
  const plog = PartitionLog.open(env.dir(), cfg(), env.io);
  append(plog, [kv('a', '1', T0), kv('a', '2', T0)]);
  plog.forceRoll();
  const young = cleanLog(plog, ccfg({ minCompactionLagMs: 1000 }), T0 + 500);
  t.equal(young.cleaned, false);
  t.match(young.reason, /uncleanable/);
  t.equal(readAll(plog).length, 2);
  const old = cleanLog(plog, ccfg({ minCompactionLagMs: 1000 }), T0 + 1001);
  t.equal(old.cleaned, true);
  t.same(readAll(plog).map((r) => r.value), ['2']);
  plog.close();
});

bothEnvs('min.cleanable.dirty.ratio: a small dirty part waits', (t, env) => {
  const plog = PartitionLog.open(env.dir(), cfg({ segmentBytes: 2000 }), env.io);
  for (let i = 0; i < 40; i++) append(plog, [kv(`k${i}`, `value-${i}`)]);
  plog.forceRoll();
  t.equal(cleanLog(plog, ccfg({ minCleanableDirtyRatio: 0.5 }), T0).cleaned, true, 'all dirty at first');
  append(plog, [kv('k1', 'new')]);
  plog.forceRoll();
  const low = cleanLog(plog, ccfg({ minCleanableDirtyRatio: 0.5 }), T0);
  t.equal(low.cleaned, false);
  t.match(low.reason, /dirty ratio 0\.0\d+ below 0\.5/);
  t.equal(readAll(plog).length, 41);
  const ok = cleanLog(plog, ccfg({ minCleanableDirtyRatio: 0.01 }), T0);
  t.equal(ok.cleaned, true, ok.reason);
  t.equal(readAll(plog).length, 40);
  t.equal(cleanLog(plog, ccfg(), T0).reason, 'nothing dirty');
  plog.close();
});

bothEnvs('the active segment is never touched', (t, env) => {
  const dir = env.dir();
  const plog = PartitionLog.open(dir, cfg(), env.io);
  for (let i = 0; i < 10; i++) append(plog, [kv('a', `old${i}`)]);
  plog.forceRoll();
  for (let i = 0; i < 10; i++) append(plog, [kv('a', `new${i}`)]);
  const activePath = join(dir, '00000000000000000010.log');
  const activeBefore = readSmallFile(env.io, activePath, MAX);
  const res = cleanLog(plog, ccfg(), T0);
  t.equal(res.cleaned, true);
  t.same(readSmallFile(env.io, activePath, MAX), activeBefore, 'active .log byte for byte');
  const values = readAll(plog).map((r) => r.value);
  t.same(values, ['old9', 'new0', 'new1', 'new2', 'new3', 'new4', 'new5', 'new6', 'new7', 'new8', 'new9'], 'the sealed part cleaned on its own (the active segment is not in the map), the active segment whole');
  t.equal(cleanLog(plog, ccfg(), T0).cleaned, false, 'nothing more without a roll');
  plog.close();
});

bothEnvs('aborted transactions are removed, committed kept, nothing past the last stable offset', (t, env) => {
  const plog = PartitionLog.open(env.dir(), cfg(), env.io);
  const txn = (pid: bigint): BuildOptions => ({ producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true });
  append(plog, [kv('a', 'aborted')], txn(7n));
  plog.appendMarker(7n, 0, false, 0);
  append(plog, [kv('b', 'committed')], txn(8n));
  plog.appendMarker(8n, 0, true, 0);
  append(plog, [kv('c', 'plain')]);
  plog.forceRoll();
  append(plog, [kv('c', 'open-txn')], txn(9n));
  plog.forceRoll();
  append(plog, [kv('c', 'later')]);
  plog.forceRoll();
  t.equal(plog.lastStableOffset, 5n, 'the open transaction holds the last stable offset');
  t.equal(cleanLog(plog, ccfg(), T0).cleaned, true);
  t.same(
    readAll(plog).map((r) => [r.key, r.value]),
    [['<control>', null], ['b', 'committed'], ['<control>', null], ['c', 'plain'], ['c', 'open-txn'], ['c', 'later']],
    'aborted data gone, markers kept, segments at and after the LSO untouched',
  );
  t.equal(plog.abortedTransactions(0n, 100n).length, 1, 'aborted list unchanged');
  plog.appendMarker(9n, 0, true, 0);
  plog.forceRoll();
  t.equal(cleanLog(plog, ccfg(), T0).cleaned, true);
  t.same(
    readAll(plog).map((r) => [r.key, r.value]),
    [['<control>', null], ['b', 'committed'], ['<control>', null], ['c', 'later'], ['<control>', null]],
  );
  plog.close();
});

const compressedCases: Array<[string, Buffer, number]> = [
  ['kcat gzip', fx.kcatGzip, Compression.gzip],
  ['kcat snappy', fx.kcatSnappy, Compression.snappy],
  ['kcat lz4', fx.kcatLz4, Compression.lz4],
  ['kafka-python gzip', fx.kafkaPythonGzip, Compression.gzip],
  ['kafka-python snappy', fx.kafkaPythonSnappy, Compression.snappy],
  ['kafka-python lz4', fx.kafkaPythonLz4, Compression.lz4],
  ['kcat zstd', fx.kcatZstd, Compression.zstd],
];

bothEnvs('compressed batches (gzip, snappy, lz4, zstd) are cleaned and rewritten with their own codec; one that does not decode is left as it is', (t, env) => {
  for (const [name, fixture, codecAfter] of compressedCases) {
    const plog = PartitionLog.open(env.dir(), cfg(), env.io);
    appendRaw(plog, Buffer.from(fixture));
    for (const k of ['key0', 'key1', 'key2', 'key3']) append(plog, [kv(k, 'update')]);
    plog.forceRoll();
    const before = readAll(plog);
    t.equal(cleanLog(plog, ccfg(), T0).cleaned, true);
    const after = readAll(plog);
    t.same(after, latestPerKey(before), `${name}: latest per key`);
    t.same(after.slice(0, 3).map((r) => r.key).sort(), ['key4', 'key5', 'key6'], `${name}: survivors of the compressed batch`);
    const batch = splitBatches(plog.read(0n, MAX, { minOneBatch: true }).records)[0]!;
    t.equal(batch.readInt16BE(BatchField.attributes) & 7, codecAfter, `${name}: written as codec ${codecAfter}`);
    t.equal(batch.readBigInt64BE(BatchField.baseOffset), 0n, `${name}: base offset kept`);
    plog.close();
  }
  // A zstd batch whose frame is garbage (a valid CRC): its records can be neither read nor cleaned.
  const garbage = Buffer.from(fx.kcatZstd).fill(0xff, RECORD_BATCH_OVERHEAD + 4);
  garbage.writeUInt32BE(crc32c(garbage, BatchField.attributes), BatchField.crc);
  const plog = PartitionLog.open(env.dir(), cfg(), env.io);
  appendRaw(plog, garbage);
  for (const k of ['key0', 'key1']) append(plog, [kv(k, 'update')]);
  plog.forceRoll();
  const res = cleanLog(plog, ccfg(), T0);
  t.equal(res.batchesLeftAsIs, 1, 'undecodable: left as it is');
  t.same(plog.read(0n, MAX, { minOneBatch: true }).records.subarray(0, garbage.length), garbage, 'byte for byte');
  plog.close();
});

bothEnvs('reading a cleaned log from any offset returns whole batches from the one holding it or the next', (t, env) => {
  const plog = PartitionLog.open(env.dir(), cfg({ segmentBytes: 1500, indexIntervalBytes: 100 }), env.io);
  let n = 0;
  for (let b = 0; b < 40; b++) {
    const recs: RecordInput[] = [];
    for (let i = 0; i < 1 + (b % 4); i++) recs.push(kv(`k${(n++ * 7) % 11}`, `v${n}`));
    append(plog, recs);
  }
  plog.forceRoll();
  t.equal(cleanLog(plog, ccfg(), T0).cleaned, true);
  const all = readAll(plog);
  t.equal(all.length, 11);
  for (let o = 0n; o < plog.logEndOffset; o++) {
    const { records } = plog.read(o, 100, { minOneBatch: true });
    const batches = splitBatches(records);
    const first = batches[0]!;
    const base = first.readBigInt64BE(BatchField.baseOffset);
    const last = base + BigInt(first.readInt32BE(BatchField.lastOffsetDelta));
    t.ok(last >= o, `offset ${o}: first batch ${base}..${last} holds it or follows it`);
    const firstRecord = readRawRecords(first)!.map((r) => base + BigInt(r.offsetDelta)).find((x) => x >= o);
    const expected = all.find((r) => r.offset >= o)!.offset;
    if (firstRecord !== undefined) t.equal(firstRecord, expected, `offset ${o}: no record skipped`);
    else t.fail(`offset ${o}: the batch returned has no record at or after it`);
  }
  plog.close();
});

bothEnvs('indexes of cleaned segments equal the ones a rebuild produces', (t, env) => {
  const dir = env.dir();
  const config = cfg({ segmentBytes: 3000, indexIntervalBytes: 64 });
  const plog = PartitionLog.open(dir, config, env.io);
  for (let i = 0; i < 300; i++) append(plog, [kv(`k${i % 40}`, `value-${i}`, T0 + i)]);
  plog.forceRoll();
  t.equal(cleanLog(plog, ccfg(), T0 + 1000).cleaned, true);
  const expected = readAll(plog);
  const sealed = plog.segmentBaseOffsets().slice(0, -1);
  plog.close();
  const names = sealed.flatMap((b) => ['.index', '.timeindex'].map((s) => b.toString().padStart(20, '0') + s));
  const written = names.map((n) => readSmallFile(env.io, join(dir, n), MAX));
  t.ok(written.some((b) => b !== null && b.length > 0), 'the cleaner wrote index entries');
  for (const n of names) env.io.unlink(join(dir, n));
  const again = PartitionLog.open(dir, config, env.io);
  t.same(readAll(again), expected);
  for (let i = 0; i < sealed.length; i++) again.read(sealed[i]!, 1, { minOneBatch: true });
  t.equal(again.offsetForTimestamp(BigInt(T0 + 290))?.offset, expected.find((r) => r.value === 'value-290')?.offset, 'time lookup');
  again.close();
  t.same(names.map((n) => readSmallFile(env.io, join(dir, n), MAX)), written, 'rebuilt indexes match');
});

bothEnvs('100,000 updates over 1,000 keys are cleaned down to 1,000 live records', (t, env) => {
  const plog = PartitionLog.open(env.dir(), cfg({ segmentBytes: 256 * 1024 }), env.io);
  for (let b = 0; b < 1000; b++) {
    const recs: RecordInput[] = [];
    for (let i = 0; i < 100; i++) {
      const n = b * 100 + i;
      recs.push(kv(`key-${(n * 7919) % 1000}`, `value-${n}-of-the-update-stream`));
    }
    append(plog, recs);
  }
  plog.forceRoll();
  const bytesBefore = plog.sizeBytes();
  const segmentsBefore = plog.segmentBaseOffsets().length;
  const res = cleanLog(plog, ccfg(), T0);
  const after = readAll(plog);
  t.equal(after.length, 1000, 'one record per key');
  t.equal(new Set(after.map((r) => r.key)).size, 1000);
  t.equal(plog.logEndOffset, 100_000n);
  t.comment(
    `${env.name}: ${res.recordsRead} records in ${segmentsBefore - 1} segments (${bytesBefore} bytes) cleaned to ${after.length} records in ` +
      `${plog.segmentBaseOffsets().length - 1} segment(s) (${plog.sizeBytes()} bytes) in ${res.durationMs.toFixed(0)} ms`,
  );
  plog.close();
});

// -- crashes ------------------------------------------------------------------------------------

class CrashPoint extends Error {}

/**
 * A FileIO over a MemoryFileIO that stops before its `failAt`-th state-changing operation (or,
 * with `tear`, performs that write halfway first), as a kill -9 or a power loss at that moment.
 */
class FaultIO implements FileIO {
  ops = 0;
  failAt = Infinity;
  tear = false;
  lastOp = '';
  constructor(readonly mem: MemoryFileIO) {}
  private step(name: string, write?: () => void): void {
    this.lastOp = name;
    if (this.ops++ !== this.failAt) return;
    if (this.tear && write) {
      write();
      this.mem.tearLastWrite(0);
    }
    throw new CrashPoint(`crash before ${name}`);
  }
  open(path: string, opts?: { create?: boolean }): FileHandle {
    if (opts?.create && !this.mem.exists(path)) this.step(`create ${path}`);
    return this.mem.open(path, opts);
  }
  size(fd: FileHandle): number {
    return this.mem.size(fd);
  }
  pwrite(fd: FileHandle, data: Buffer, position: number): void {
    this.step('pwrite', () => this.mem.pwrite(fd, data, position));
    this.mem.pwrite(fd, data, position);
  }
  append(fd: FileHandle, data: Buffer): number {
    this.step('append', () => this.mem.append(fd, data));
    return this.mem.append(fd, data);
  }
  pread(fd: FileHandle, into: Buffer, intoOffset: number, length: number, position: number): number {
    return this.mem.pread(fd, into, intoOffset, length, position);
  }
  truncate(fd: FileHandle, size: number): void {
    this.step('truncate');
    this.mem.truncate(fd, size);
  }
  fsync(fd: FileHandle): void {
    this.step('fsync');
    this.mem.fsync(fd);
  }
  fsyncAsync(fd: FileHandle): Promise<void> {
    this.step('fsync');
    return this.mem.fsyncAsync(fd);
  }
  close(fd: FileHandle): void {
    this.mem.close(fd);
  }
  rename(from: string, to: string): void {
    this.step(`rename ${from} ${to}`);
    this.mem.rename(from, to);
  }
  unlink(path: string): void {
    this.step(`unlink ${path}`);
    this.mem.unlink(path);
  }
  readdir(dir: string): string[] {
    return this.mem.readdir(dir);
  }
  mkdir(dir: string): void {
    this.step(`mkdir ${dir}`);
    this.mem.mkdir(dir);
  }
  exists(path: string): boolean {
    return this.mem.exists(path);
  }
  removeDir(dir: string): void {
    this.step(`removeDir ${dir}`);
    this.mem.removeDir(dir);
  }
  fsyncDir(dir: string): void {
    this.step('fsyncDir');
    this.mem.fsyncDir(dir);
  }
}

const crashConfig = cfg({ segmentBytes: 700, indexIntervalBytes: 128 });

/** A log with updates, a tombstone, an aborted transaction and a gzip batch over several segments, all fsynced. */
function buildCrashScenario(io: FileIO, dir: string): PartitionLog {
  const plog = PartitionLog.open(dir, crashConfig, io);
  for (let i = 0; i < 30; i++) append(plog, [kv(`k${i % 5}`, `v${i}`)]);
  append(plog, [kv('k1', null)]);
  append(plog, [kv('k9', 'aborted')], { producerId: 3n, producerEpoch: 0, baseSequence: 0, isTransactional: true });
  plog.appendMarker(3n, 0, false, 0);
  appendRaw(plog, Buffer.from(fx.kcatGzip));
  for (let i = 0; i < 10; i++) append(plog, [kv(`key${i % 4}`, `w${i}`)]);
  plog.forceRoll();
  append(plog, [kv('k0', 'in the active segment')]);
  plog.flush();
  // The partition log does not fsync .txnindex files (a gap reported separately: after a power
  // loss an abort entry written before the newest producer snapshot is lost). Sync them here so
  // that the power-loss runs test the cleaner, not that gap.
  for (const name of io.readdir(dir).filter((n) => n.endsWith('.txnindex'))) {
    const fd = io.open(join(dir, name));
    io.fsync(fd);
    io.close(fd);
  }
  return plog;
}

const lastOf = (recs: Rec[], key: string): bigint | undefined => recs.filter((r) => r.key === key).at(-1)?.offset;

const sig = (recs: Rec[]): string => recs.map((r) => `${r.offset}|${r.key}|${r.value}`).join('\n');

const subset = (small: Rec[], big: Rec[]): boolean => {
  const keys = new Set(big.map((r) => `${r.offset}|${r.key}|${r.value}`));
  return small.every((r) => keys.has(`${r.offset}|${r.key}|${r.value}`));
};

t.test('a crash at every step of a clean leaves a log that reopens to the same records', async (t) => {
  const reference = new MemoryFileIO();
  const refLog = buildCrashScenario(reference, '/data/p');
  const before = readAll(refLog);
  const refResult = cleanLog(refLog, ccfg(), T0);
  t.ok(refResult.segmentsBefore > refResult.segmentsAfter && refResult.segmentsAfter >= 2, `${refResult.segmentsBefore} segments into ${refResult.segmentsAfter}: several swaps`);
  const cleaned = readAll(refLog);
  refLog.close();
  t.ok(cleaned.length < before.length);

  const steps: string[] = [];
  let checked = 0;
  for (const mode of ['kill -9', 'kill -9 mid-write', 'power loss'] as const) {
    for (let n = 0; ; n++) {
      const mem = new MemoryFileIO();
      const io = new FaultIO(mem);
      const plog = buildCrashScenario(io, '/data/p');
      io.failAt = io.ops + n;
      io.tear = mode === 'kill -9 mid-write';
      let crashed = false;
      try {
        cleanLog(plog, ccfg(), T0);
      } catch (e) {
        if (!(e instanceof CrashPoint) && !(e instanceof Error && e.cause instanceof CrashPoint)) throw e;
        crashed = true;
      }
      if (!crashed) {
        io.failAt = Infinity;
        plog.close();
        break;
      }
      if (mode === 'kill -9') steps.push(io.lastOp);
      mem.crash({ keepUnsynced: mode !== 'power loss' });
      const reopened = PartitionLog.open('/data/p', crashConfig, mem);
      const got = readAll(reopened);
      const where = `${mode} at step ${n} (${io.lastOp})`;
      const offsets = got.map((r) => r.offset);
      if (!subset(got, before)) t.fail(`${where}: a record that was not in the log`);
      else if (!subset(cleaned, got)) t.fail(`${where}: a live record was lost`);
      else if (!offsets.every((o, i) => i === 0 || o > offsets[i - 1]!)) t.fail(`${where}: offsets not increasing`);
      else if (cleaned.some((r) => r.key !== null && !r.key.startsWith('<') && lastOf(got, r.key) !== lastOf(cleaned, r.key))) t.fail(`${where}: latest values differ: ${cleaned.filter((r) => r.key !== null && !r.key.startsWith("<") && lastOf(got, r.key) !== lastOf(cleaned, r.key)).map((r) => `${r.key}@${r.offset}`).join(",")}`);
      else if (mem.exists('/data/p/cleaning') || mem.exists('/data/p/clean-swap')) t.fail(`${where}: leftovers after open`);
      else checked++;
      cleanLog(reopened, ccfg(), T0);
      if (sig(readAll(reopened)) !== sig(cleaned)) t.fail(`${where}: cleaning again did not reach the clean state`);
      reopened.close();
    }
  }
  t.ok(checked > 50, `${checked} crash points checked`);
  t.comment(`steps of one pass: ${steps.length}: ${[...new Set(steps.map((s) => s.replace(/\/data\/p\/?/g, '').replace(/\d{20}/g, 'N')))].join('; ')}`);
});
