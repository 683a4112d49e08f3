/**
 * Segment-level edge cases and the on-disk index layouts, one shared body for NodeFileIO and
 * NativeFileIO (temp directory) and MemoryFileIO.
 */
import type { Test } from 'tap';
import { onEveryFileIO } from './every-file-io.js';
import { crc32c } from '../native/crc32c.js';
import type { FileIO } from './file-io.js';
import { defaultLogConfig, PartitionLog } from './partition-log.js';
import { BatchField, buildRecordBatch, decodeRecords, splitBatches, validateBatches } from './record-batch.js';
import {
  LogCorruptionError,
  OFFSET_INDEX_ENTRY_BYTES,
  parseSegmentFileName,
  Segment,
  segmentFileName,
  TIME_INDEX_ENTRY_BYTES,
} from './segment.js';

const OPTS = { indexIntervalBytes: 100, segmentIndexBytes: 1024 * 1024 };

/** A batch with explicit offsets, as the log stores it. */
function stored(baseOffset: bigint, n: number, ts0 = 1000n, valueBytes = 40): Buffer {
  const records = [];
  for (let i = 0; i < n; i++) records.push({ key: null, value: Buffer.alloc(valueBytes, 0x61 + i), timestamp: ts0 + BigInt(i) });
  return buildRecordBatch(records, { baseOffset, partitionLeaderEpoch: 0 });
}

function put(seg: Segment, buf: Buffer): void {
  const v = validateBatches(buf, { maxBatchBytes: 1 << 30, origin: 'internal' });
  if (!v.ok) throw new Error(v.message);
  seg.append(buf, v.batches);
}

function readFile(io: FileIO, path: string): Buffer {
  const fd = io.open(path);
  try {
    const b = Buffer.alloc(io.size(fd));
    io.pread(fd, b, 0, b.length, 0);
    return b;
  } finally {
    io.close(fd);
  }
}

function suite(t: Test, io: FileIO, newDir: () => string): void {
  t.test('file names are 20-digit base offsets', async (t) => {
    t.equal(segmentFileName(0n, '.log'), '00000000000000000000.log');
    t.equal(segmentFileName(1234n, '.timeindex'), '00000000000000001234.timeindex');
    t.equal(parseSegmentFileName('00000000000000001234.log'), 1234n);
    t.equal(parseSegmentFileName('00000000000000001234.index'), null);
    t.equal(parseSegmentFileName('1234.log'), null);
    t.equal(parseSegmentFileName('00000000000000001234.log.tmp'), null);
  });

  t.test('offset index on disk: 8-byte entries naming batch last offsets and positions', async (t) => {
    const dir = newDir();
    const seg = Segment.create(io, dir, 50n, OPTS, 0);
    let next = 50n;
    const positions: number[] = [];
    for (let i = 0; i < 30; i++) {
      positions.push(seg.size);
      const n = 1 + (i % 3);
      put(seg, stored(next, n, BigInt(1000 + i)));
      next += BigInt(n);
    }
    const index = readFile(io, seg.indexPath);
    t.equal(index.length, seg.offsetIndexEntries * OFFSET_INDEX_ENTRY_BYTES);
    t.ok(seg.offsetIndexEntries > 5, `${seg.offsetIndexEntries} entries`);
    const log = readFile(io, seg.logPath);
    let prevPos = -1;
    for (let p = 0; p < index.length; p += OFFSET_INDEX_ENTRY_BYTES) {
      const rel = index.readInt32BE(p);
      const pos = index.readInt32BE(p + 4);
      t.ok(pos > prevPos && positions.includes(pos), 'positions are batch starts, increasing');
      const last = log.readBigInt64BE(pos) + BigInt(log.readInt32BE(pos + BatchField.lastOffsetDelta));
      t.equal(last, 50n + BigInt(rel), 'relative offset is the batch last offset');
      prevPos = pos;
    }
    t.equal(seg.nextOffset, next);
    seg.close();
  });

  t.test('time index on disk: 12-byte entries, increasing, final entry on seal', async (t) => {
    const dir = newDir();
    const seg = Segment.create(io, dir, 0n, OPTS, 0);
    let next = 0n;
    const stamps = [500n, 400n, 900n, 700n, 1000n, 1000n, 300n, 1200n, 1100n];
    for (const ts of stamps) {
      put(seg, stored(next, 2, ts));
      next += 2n;
    }
    const before = seg.timeIndexEntries;
    seg.seal();
    const ti = readFile(io, seg.timeIndexPath);
    t.equal(ti.length, seg.timeIndexEntries * TIME_INDEX_ENTRY_BYTES);
    t.ok(seg.timeIndexEntries >= before);
    let prev = -1n;
    for (let p = 0; p < ti.length; p += TIME_INDEX_ENTRY_BYTES) {
      const ts = ti.readBigInt64BE(p);
      t.ok(ts > prev, 'strictly increasing timestamps');
      prev = ts;
    }
    t.equal(prev, 1201n, 'the last entry holds the segment max (1200 + 1)');
    t.equal(ti.readInt32BE(ti.length - 4), 15, 'at the last offset of the batch that reached it');
    t.equal(seg.maxTimestamp, 1201n);
    seg.close();
  });

  t.test('findBatch in a gap returns the next batch; past the end returns null', async (t) => {
    const dir = newDir();
    const seg = Segment.create(io, dir, 0n, OPTS, 0);
    put(seg, stored(0n, 2));
    put(seg, stored(10n, 2));
    const found = seg.findBatch(5n);
    t.equal(found?.baseOffset, 10n);
    t.equal(found?.lastOffset, 11n);
    t.equal(seg.findBatch(12n), null);
    t.equal(seg.findBatch(0n)?.position, 0);
    seg.close();
  });

  t.test('readFrom at the end of the segment is empty', async (t) => {
    const dir = newDir();
    const seg = Segment.create(io, dir, 0n, OPTS, 0);
    put(seg, stored(0n, 2));
    t.equal(seg.readFrom(seg.size, 1000, true).length, 0);
    t.equal(seg.readFrom(0, 1000, true).length, seg.size);
    seg.close();
  });

  t.test('a sealed segment with a broken batch chain reports LogCorruptionError', async (t) => {
    const dir = newDir();
    const seg = Segment.create(io, dir, 0n, OPTS, 0);
    put(seg, stored(0n, 2));
    const second = seg.size;
    put(seg, stored(2n, 2));
    put(seg, stored(4n, 2));
    seg.seal();
    seg.closeHandles();
    // Wreck the second batch's length and drop the indexes so that a load must walk the chain.
    const fd = io.open(seg.logPath);
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(7, 0);
    io.pwrite(fd, bad, second + BatchField.batchLength);
    io.close(fd);
    io.unlink(seg.indexPath);
    io.unlink(seg.timeIndexPath);
    const again = Segment.existing(io, dir, 0n, OPTS, 0);
    t.throws(() => again.ensureLoaded(6n), LogCorruptionError);
    again.closeHandles();
  });

  t.test('Segment.create replaces leftover files of the same name', async (t) => {
    const dir = newDir();
    const old = Segment.create(io, dir, 7n, OPTS, 0);
    put(old, stored(7n, 2));
    old.close();
    const seg = Segment.create(io, dir, 7n, OPTS, 0);
    t.equal(seg.size, 0);
    t.equal(readFile(io, seg.logPath).length, 0);
    seg.close();
  });

  t.test('a log rolls before relative offsets would overflow int32', async (t) => {
    const dir = newDir();
    const log = PartitionLog.open(dir, { ...defaultLogConfig }, io);
    // An internal batch whose lastOffsetDelta spans 2^31 - 1 offsets (as compaction can leave).
    const wide = buildRecordBatch([{ key: null, value: Buffer.from('w') }]);
    wide.writeInt32BE(0x7fffffff, BatchField.lastOffsetDelta);
    wide.writeUInt32BE(crc32c(wide, BatchField.attributes), BatchField.crc);
    const v = validateBatches(wide, { maxBatchBytes: 1 << 20, origin: 'internal' });
    if (!v.ok) throw new Error(v.message);
    log.append(wide, v.batches);
    t.equal(log.logEndOffset, 0x80000000n);
    const small = buildRecordBatch([{ key: null, value: Buffer.from('s') }]);
    const v2 = validateBatches(small, { maxBatchBytes: 1 << 20 });
    if (!v2.ok) throw new Error(v2.message);
    log.append(small, v2.batches);
    t.same(log.segmentBaseOffsets(), [0n, 0x80000000n]);
    const r = log.read(0x80000000n, 1000, { minOneBatch: true });
    t.same(decodeRecords(splitBatches(r.records)[0]!).map((x) => x.offset), [0x80000000n]);
    log.close();
  });
}

onEveryFileIO('segment', suite);
