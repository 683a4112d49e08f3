/** Log start offset, DeleteRecords and retention of one partition log. */
import t from 'tap';
import { MemoryFileIO } from './file-io.js';
import { defaultLogConfig, PartitionLog } from './partition-log.js';
import { buildRecordBatch, validateBatches } from './record-batch.js';

function append(log: PartitionLog, timestamp: bigint, n = 1): bigint {
  const b = buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`r${i}`), timestamp })));
  const c = validateBatches(b, { maxBatchBytes: 1 << 20 });
  if (!c.ok) throw new Error(c.message);
  return log.append(b, c.batches).baseOffset;
}

const config = { ...defaultLogConfig, segmentBytes: 300 };

t.test('DeleteRecords moves the start inside a segment, survives a restart, and deletes whole segments below it', async (t) => {
  const io = new MemoryFileIO();
  let log = PartitionLog.open('/d', config, io);
  for (let i = 0; i < 20; i++) append(log, 1000n + BigInt(i));
  const bases = log.segmentBaseOffsets();
  t.ok(bases.length >= 4, `${bases.length} segments`);
  t.equal(log.deleteRecordsBefore(1n), 1n, 'inside the first segment');
  t.same(log.segmentBaseOffsets(), bases, 'no segment deleted yet');
  t.equal(log.read(0n, 1000, { minOneBatch: true }).errorCode, 1, 'below the start: OFFSET_OUT_OF_RANGE');
  t.equal(log.read(1n, 1000, { minOneBatch: true }).errorCode, 0);
  const mid = bases[2]! + 1n;
  t.equal(log.deleteRecordsBefore(mid), mid);
  t.same(log.segmentBaseOffsets(), bases.slice(2), 'segments wholly below are gone');
  t.equal(log.deleteRecordsBefore(0n), mid, 'the start never moves back');
  t.equal(log.deleteRecordsBefore(99n), null, 'past the high watermark');
  log.close();
  log = PartitionLog.open('/d', config, io);
  t.equal(log.logStartOffset, mid, 'the start survives a restart');
  t.same(log.offsetForTimestamp(0n)?.offset, mid, 'timestamp lookups start at the log start');
  log.close();
});

t.test('retention.ms deletes segments whose newest record is too old, rolling the active one if needed', async (t) => {
  const io = new MemoryFileIO();
  const log = PartitionLog.open('/r', config, io);
  // 70-byte batches, 300-byte segments: four batches a segment, so 8 old records fill two.
  for (let i = 0; i < 8; i++) append(log, 1000n);
  for (let i = 0; i < 10; i++) append(log, 5000n);
  t.same(log.segmentBaseOffsets().slice(0, 3), [0n, 4n, 8n]);
  t.equal(log.applyRetention(6000, 2000, -1), 2, 'the two segments of old records');
  t.equal(log.logStartOffset, 8n);
  t.equal(log.offsetForTimestamp(0n)?.timestamp, 5000n, 'the oldest remaining record is a new one');
  append(log, 1000n); // an old timestamp in a segment with new ones keeps that segment
  t.equal(log.applyRetention(6000, 2000, -1), 0);
  t.equal(log.applyRetention(8000, 2000, -1) > 0, true, 'everything expired: the active segment rolls and goes too');
  t.equal(log.logStartOffset, 19n);
  t.equal(log.logEndOffset, 19n, 'offsets continue');
  t.equal(log.read(19n, 100, { minOneBatch: true }).records.length, 0);
  t.equal(append(log, 9000n), 19n, 'appends go on');
  log.close();
});

t.test('retention.bytes keeps the log under the limit, never deleting the active segment', async (t) => {
  const io = new MemoryFileIO();
  const log = PartitionLog.open('/b', config, io);
  for (let i = 0; i < 30; i++) append(log, BigInt(Date.now()));
  const total = log.sizeBytes();
  t.ok(log.applyRetention(Date.now(), -1, 400) > 0);
  // Kafka's rule: delete the oldest segment while the rest still holds retention.bytes, so the log
  // ends under retention.bytes plus one segment.
  t.ok(log.sizeBytes() >= 400 && log.sizeBytes() < 400 + 300, `size ${log.sizeBytes()} of ${total}`);
  t.ok(log.segmentBaseOffsets().length >= 1);
  log.applyRetention(Date.now(), -1, 0);
  t.equal(log.segmentBaseOffsets().length, 1, 'the active segment stays');
  t.equal(log.applyRetention(Date.now(), -1, -1), 0, '-1: unlimited');
  log.close();
});
