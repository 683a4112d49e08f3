/** Idempotence rules of one partition's producer state, and its snapshots and rebuild. */
import t from 'tap';
import { MemoryFileIO } from './file-io.js';
import { defaultLogConfig, PartitionLog } from './partition-log.js';
import { buildRecordBatch, validateBatches, type BatchInfo } from './record-batch.js';
import { lastSequence, ProducerStateManager } from './producer-state.js';

function info(producerId: bigint, producerEpoch: number, baseSequence: number, records: number): BatchInfo {
  const batch = buildRecordBatch(
    Array.from({ length: records }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })),
    { producerId, producerEpoch, baseSequence },
  );
  const checked = validateBatches(batch, { maxBatchBytes: 1 << 20 });
  if (!checked.ok) throw new Error(checked.message);
  return checked.batches[0]!;
}

t.test('sequence arithmetic wraps past int32 max to 0', async (t) => {
  t.equal(lastSequence(10, 4), 14);
  t.equal(lastSequence(0x7fffffff, 0), 0x7fffffff);
  t.equal(lastSequence(0x7ffffffe, 2), 0);
  t.equal(lastSequence(0x7fffffff, 3), 2);
});

t.test('in-order batches append; a retry of one of the last five is a duplicate with its offsets', async (t) => {
  const s = new ProducerStateManager();
  let offset = 100n;
  for (let i = 0; i < 7; i++) {
    const b = info(1n, 0, i * 3, 3);
    t.same(s.check(b), { kind: 'append' }, `batch ${i}`);
    s.update(b, offset);
    offset += 3n;
  }
  t.same(s.check(info(1n, 0, 18, 3)), { kind: 'duplicate', firstOffset: 118n, lastOffset: 120n }, 'last batch retried');
  t.same(s.check(info(1n, 0, 6, 3)), { kind: 'duplicate', firstOffset: 106n, lastOffset: 108n }, 'fifth-newest still remembered');
  t.match(s.check(info(1n, 0, 3, 3)), { kind: 'error', errorCode: 45 }, 'older than five batches: out of order');
  t.match(s.check(info(1n, 0, 22, 1)), { kind: 'error', errorCode: 45 }, 'a gap');
  t.same(s.check(info(1n, 0, 21, 1)), { kind: 'append' }, 'the next sequence');
  t.same(s.check(info(2n, 0, 500, 1)), { kind: 'append' }, 'an unknown producer may start anywhere');
});

t.test('epochs: an older one is fenced, a newer one must start at 0', async (t) => {
  const s = new ProducerStateManager();
  s.update(info(7n, 3, 0, 2), 0n);
  t.match(s.check(info(7n, 2, 2, 1)), { kind: 'error', errorCode: 47 }, 'INVALID_PRODUCER_EPOCH');
  t.match(s.check(info(7n, 4, 5, 1)), { kind: 'error', errorCode: 45 }, 'new epoch not at 0');
  const bumped = info(7n, 4, 0, 1);
  t.same(s.check(bumped), { kind: 'append' });
  s.update(bumped, 2n);
  t.equal(s.producers.get(7n)!.epoch, 4);
  t.same(s.producers.get(7n)!.batches.map((b) => b.firstOffset), [2n], 'a new epoch starts a fresh batch history');
});

t.test('snapshots round-trip; a damaged one is refused and leaves the state alone', async (t) => {
  const s = new ProducerStateManager();
  for (let p = 0n; p < 3n; p++) s.update(info(p, 1, 0, 2), p * 10n);
  const snap = s.encodeSnapshot();
  const r = new ProducerStateManager();
  t.ok(r.loadSnapshot(snap));
  t.same([...r.producers.values()], [...s.producers.values()]);
  const bad = Buffer.from(snap);
  bad[bad.length - 1]! ^= 1;
  const keep = new ProducerStateManager();
  keep.update(info(9n, 0, 0, 1), 0n);
  t.notOk(keep.loadSnapshot(bad), 'CRC mismatch');
  t.notOk(keep.loadSnapshot(snap.subarray(0, 20)), 'truncated');
  t.equal(keep.producers.size, 1);
});

t.test('expiry drops producers idle longer than producer.id.expiration.ms', async (t) => {
  const s = new ProducerStateManager();
  s.update(info(1n, 0, 0, 1), 0n);
  const ts = s.producers.get(1n)!.lastTimestamp;
  t.equal(s.expire(Number(ts) + 1000, 5000), 0);
  t.equal(s.expire(Number(ts) + 6000, 5000), 1);
  t.equal(s.producers.size, 0);
});

function appendTo(log: PartitionLog, b: Buffer): bigint {
  const checked = validateBatches(b, { maxBatchBytes: 1 << 20 });
  if (!checked.ok) throw new Error(checked.message);
  return log.append(b, checked.batches).baseOffset;
}

const idem = (seq: number) => buildRecordBatch([{ key: null, value: Buffer.from(`s${seq}`) }, { key: null, value: Buffer.from('x') }], { producerId: 42n, producerEpoch: 0, baseSequence: seq });

t.test('the log keeps producer state across clean restarts, rolls and crashes', async (t) => {
  const io = new MemoryFileIO();
  const config = { ...defaultLogConfig, segmentBytes: 400 };
  let log = PartitionLog.open('/p', config, io);
  for (let seq = 0; seq < 20; seq += 2) appendTo(log, idem(seq));
  t.ok(log.segmentBaseOffsets().length >= 2, 'more than one segment, so a snapshot was taken at a roll');
  log.close();
  t.ok(io.readdir('/p').some((n) => n.endsWith('.snapshot')), 'a snapshot file exists');

  log = PartitionLog.open('/p', config, io);
  const last = log.producers.producers.get(42n)!.batches.at(-1)!;
  t.same([last.firstSeq, last.lastSeq, last.firstOffset], [18, 19, 18n], 'clean reopen: state from the snapshot');
  appendTo(log, idem(20));
  io.crash({ keepUnsynced: true }); // kill -9: no clean close, no new snapshot
  log.abandon();

  log = PartitionLog.open('/p', config, io);
  t.notOk(log.openReport.cleanShutdown);
  const retry = validateBatches(idem(20), { maxBatchBytes: 1 << 20 });
  t.ok(retry.ok);
  if (retry.ok) {
    t.same(log.producers.check(retry.batches[0]!), { kind: 'duplicate', firstOffset: 20n, lastOffset: 21n }, 'after a crash the batch written after the last snapshot is rebuilt from the log');
  }
  log.close();
});

const txnBatch = (producerId: bigint, seq: number, values: string[]) =>
  buildRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId, producerEpoch: 0, baseSequence: seq, isTransactional: true });

t.test('transactions in the log: last stable offset, aborted ranges, and both across restarts', async (t) => {
  const io = new MemoryFileIO();
  let log = PartitionLog.open('/t', defaultLogConfig, io);
  appendTo(log, txnBatch(1n, 0, ['a', 'b'])); // 0-1, producer 1 opens at 0
  appendTo(log, buildRecordBatch([{ key: null, value: Buffer.from('plain') }])); // 2
  appendTo(log, txnBatch(2n, 0, ['c'])); // 3, producer 2 opens at 3
  t.equal(log.lastStableOffset, 0n, 'stops at the oldest open transaction');
  t.equal(log.logEndOffset, 4n);
  log.appendMarker(1n, 0, false, 0); // 4: abort producer 1
  t.equal(log.lastStableOffset, 3n, 'producer 2 still open');
  t.same(log.abortedTransactions(0n, 10n).map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[1n, 0n, 4n]]);
  t.same(log.abortedTransactions(5n, 10n), [], 'nothing aborted at or after offset 5');
  log.appendMarker(2n, 0, true, 0); // 5: commit producer 2
  t.equal(log.lastStableOffset, 6n, 'all closed: the log end');
  appendTo(log, txnBatch(1n, 2, ['d'])); // 6: producer 1 opens a new transaction
  t.equal(log.lastStableOffset, 6n);
  log.close();

  log = PartitionLog.open('/t', defaultLogConfig, io);
  t.equal(log.lastStableOffset, 6n, 'an open transaction survives a clean restart (snapshot)');
  t.same(log.abortedTransactions(0n, 10n).map((a) => a.lastOffset), [4n], 'aborted range reloaded from the .txnindex');
  log.appendMarker(1n, 0, false, 0); // 7
  io.crash({ keepUnsynced: true });
  log.abandon();

  log = PartitionLog.open('/t', defaultLogConfig, io);
  t.equal(log.lastStableOffset, 8n);
  t.same(log.abortedTransactions(0n, 10n).map((a) => [a.firstOffset, a.lastOffset]), [[0n, 4n], [6n, 7n]], 'no duplicate entry after the rescan');
  log.close();
  io.unlink('/t/00000000000000000000.txnindex');
  for (const n of io.readdir('/t').filter((name) => name.endsWith('.snapshot'))) io.unlink(`/t/${n}`);
  log = PartitionLog.open('/t', defaultLogConfig, io);
  t.same(log.abortedTransactions(0n, 10n).map((a) => [a.firstOffset, a.lastOffset]), [[0n, 4n], [6n, 7n]], 'without snapshot and index, rebuilt from the markers');
  log.close();
});

t.test('an abort entry survives power loss once a snapshot covers it (.txnindex is fsynced first)', async (t) => {
  const io = new MemoryFileIO();
  const small = { ...defaultLogConfig, segmentBytes: 300 };
  let log = PartitionLog.open('/p2', small, io);
  appendTo(log, txnBatch(5n, 0, ['x'])); // 0
  log.appendMarker(5n, 0, false, 0); // 1: abort
  for (let i = 0; i < 6; i++) appendTo(log, buildRecordBatch([{ key: null, value: Buffer.from(`pad-${i}`) }])); // rolls: snapshot past the abort
  t.ok(log.segmentBaseOffsets().length > 1, 'rolled');
  await log.whenSynced(); // the rolls' background fsyncs, then their snapshots
  io.crash({ keepUnsynced: false }); // power loss: only what was fsynced remains
  log.abandon();
  log = PartitionLog.open('/p2', small, io);
  t.same(log.abortedTransactions(0n, 10n).map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[5n, 0n, 1n]]);
  log.close();
});
