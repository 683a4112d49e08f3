/**
 * The replica layer's named edge cases: the high watermark over the ISR, the fetch cut at it,
 * acks=all answered by the delayed produce (or timed out), a retried batch answered with its
 * original offsets. A follower is simulated by reporting its log end offset, as its fetches will.
 */
import t, { type Test } from 'tap';
import { loadBrokerConfig } from '../config/broker-config.js';
import { RecordCheckPool } from '../log/decompress-pool.js';
import { MemoryFileIO } from '../log/file-io.js';
import { LogManager } from '../log/log-manager.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../log/record-batch.js';
import { silentLogger } from '../logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { ReplicaManager, type AppendRecordsParams, type ProduceOutcome } from './replica-manager.js';

const DATA = '/data';
const LEADER = 1;
const FOLLOWER = 2;

function setup(t: Test): { replicas: ReplicaManager; logs: LogManager } {
  const io = new MemoryFileIO();
  io.mkdir(DATA);
  const logs = new LogManager(DATA, io, loadBrokerConfig({ properties: { 'log.dirs': DATA } }), silentLogger);
  logs.openAll([{ name: 't', topicId: 'T', partitions: 1, configs: new Map() }]);
  const checks = new RecordCheckPool(silentLogger, 0);
  const replicas = new ReplicaManager(LEADER, logs, checks, silentLogger);
  replicas.syncTopic('t', [{ leaderEpoch: 0, replicas: [LEADER], isr: [LEADER] }]);
  t.teardown(async () => {
    await checks.close();
    logs.closeAll();
  });
  return { replicas, logs };
}

function produce(replicas: ReplicaManager, acks: number, value: string, opts: Partial<AppendRecordsParams> & { batch?: Buffer } = {}): Promise<ProduceOutcome> {
  const records = opts.batch ?? buildRecordBatch([{ key: null, value: Buffer.from(value), timestamp: BigInt(Date.now()) }]);
  const out = replicas.appendRecords({ acks, timeoutMs: 5_000, apiVersion: 9, entries: [{ topic: 't', partition: 0, records }], verifyTransaction: () => ErrorCode.NONE, ...opts });
  return Promise.resolve(out).then((o) => o[0]!);
}

function values(replicas: ReplicaManager, isolation: 'high-watermark' | 'log-end'): string[] {
  const read = replicas.getPartition('t', 0)!.read(0n, 1 << 20, { minOneBatch: true, isolation });
  return splitBatches(read.records).flatMap((b) => decodeRecords(b).map((r) => r.value!.toString()));
}

function withFollower(replicas: ReplicaManager): void {
  replicas.syncTopic('t', [{ leaderEpoch: 1, replicas: [LEADER, FOLLOWER], isr: [LEADER, FOLLOWER] }]);
}

t.test('alone in the ISR, the high watermark follows the log end', async (t) => {
  const { replicas } = setup(t);
  const o = await produce(replicas, -1, 'a');
  t.equal(o.errorCode, ErrorCode.NONE);
  t.equal(o.baseOffset, 0n);
  const p = replicas.getPartition('t', 0)!;
  t.equal(p.highWatermark, 1n);
  t.same(values(replicas, 'high-watermark'), ['a']);
});

t.test('with a follower in the ISR, consumers read only what the follower has', async (t) => {
  const { replicas } = setup(t);
  withFollower(replicas);
  await produce(replicas, 1, 'a');
  await produce(replicas, 1, 'b');
  const p = replicas.getPartition('t', 0)!;
  t.equal(p.logEndOffset, 2n);
  t.equal(p.highWatermark, 0n, 'acks=1 appends, the high watermark waits');
  t.same(values(replicas, 'high-watermark'), [], 'nothing below the high watermark yet');
  t.same(values(replicas, 'log-end'), ['a', 'b'], 'a coordinator loading reads to the log end');
  replicas.updateFollowerEnd('t', 0, FOLLOWER, 1n);
  t.equal(p.highWatermark, 1n);
  t.same(values(replicas, 'high-watermark'), ['a'], 'the read is cut at the high watermark');
  replicas.updateFollowerEnd('t', 0, FOLLOWER, 0n);
  t.equal(p.highWatermark, 1n, 'never moves backwards');
  replicas.updateFollowerEnd('t', 0, 99, 2n);
  t.equal(p.highWatermark, 1n, 'a node that is no replica does not count');
});

t.test('acks=all is answered when the follower catches up', async (t) => {
  const { replicas } = setup(t);
  withFollower(replicas);
  let answered = false;
  const pending = produce(replicas, -1, 'a').then((o) => ((answered = true), o));
  await new Promise((r) => setTimeout(r, 30));
  t.equal(answered, false, 'waits for the high watermark');
  t.equal(replicas.delayedProduce.size, 1);
  replicas.updateFollowerEnd('t', 0, FOLLOWER, 1n);
  const o = await pending;
  t.equal(o.errorCode, ErrorCode.NONE);
  t.equal(o.baseOffset, 0n);
  t.equal(replicas.delayedProduce.size, 0);
});

t.test('acks=all times out with REQUEST_TIMED_OUT when the follower does not catch up', async (t) => {
  const { replicas } = setup(t);
  withFollower(replicas);
  const o = await produce(replicas, -1, 'a', { timeoutMs: 40 });
  t.equal(o.errorCode, ErrorCode.REQUEST_TIMED_OUT);
  t.equal(replicas.getPartition('t', 0)!.logEndOffset, 1n, 'the batch is in the leader log (a retry finds it)');
});

t.test('a retried idempotent batch gets its original offsets, not a second copy', async (t) => {
  const { replicas } = setup(t);
  const batch = (): Buffer => buildRecordBatch([{ key: null, value: Buffer.from('x'), timestamp: BigInt(Date.now()) }], { producerId: 7n, producerEpoch: 0, baseSequence: 0 });
  const first = await produce(replicas, -1, '', { batch: batch() });
  await produce(replicas, -1, 'other');
  const retry = await produce(replicas, -1, '', { batch: batch() });
  t.equal(first.errorCode, ErrorCode.NONE);
  t.equal(retry.errorCode, ErrorCode.NONE);
  t.equal(retry.baseOffset, first.baseOffset);
  t.equal(replicas.getPartition('t', 0)!.logEndOffset, 2n);
});

t.test('a fetch waiting in the purgatory is woken by the append', async (t) => {
  const { replicas } = setup(t);
  let woke = 0;
  replicas.delayedFetch.watch(['t\u00000'], 10_000, { tryComplete: () => ++woke > 0, onExpiration: () => {} });
  await produce(replicas, 1, 'a');
  await new Promise((r) => setImmediate(r));
  t.equal(woke, 1);
});

t.test('a new leader epoch starts at the log end; OffsetForLeaderEpoch and a diverged fetcher see it', async (t) => {
  const { replicas } = setup(t);
  await produce(replicas, 1, 'a');
  await produce(replicas, 1, 'b');
  replicas.syncTopic('t', [{ leaderEpoch: 3, replicas: [LEADER], isr: [LEADER] }]);
  await produce(replicas, 1, 'c');
  const p = replicas.getPartition('t', 0)!;
  t.same(p.endOffsetForEpoch(0), { epoch: 0, endOffset: 2n }, 'epoch 0 ends where epoch 3 starts');
  t.same(p.endOffsetForEpoch(2), { epoch: 0, endOffset: 2n }, 'an epoch never led: the newest below it');
  t.same(p.endOffsetForEpoch(3), { epoch: 3, endOffset: 3n }, 'the latest epoch ends at the log end');
  const stored = p.read(2n, 1 << 20, { minOneBatch: true, isolation: 'high-watermark' });
  t.equal(stored.records.readInt32BE(12), 3, 'the batch carries the epoch it was written under');
  // A fetcher that has epoch 0 up to offset 3 (one record the leader never had under epoch 0).
  const diverged = p.read(3n, 1 << 20, { minOneBatch: true, isolation: 'high-watermark', lastFetchedEpoch: 0 });
  t.same(diverged.divergingEpoch, { epoch: 0, endOffset: 2n });
  t.equal(diverged.records.length, 0);
  const consistent = p.read(2n, 1 << 20, { minOneBatch: true, isolation: 'high-watermark', lastFetchedEpoch: 0 });
  t.equal(consistent.divergingEpoch, null);
  t.ok(consistent.records.length > 0);
  const unknown = p.read(2n, 1 << 20, { minOneBatch: true, isolation: 'high-watermark', lastFetchedEpoch: 9 });
  t.equal(unknown.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'an epoch newer than any here cannot be placed');
});
