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

function setup(t: Test, configs: Record<string, string> = {}): { replicas: ReplicaManager; logs: LogManager } {
  const io = new MemoryFileIO();
  io.mkdir(DATA);
  const logs = new LogManager(DATA, io, loadBrokerConfig({ properties: { 'log.dirs': DATA } }), silentLogger);
  logs.openAll([{ name: 't', topicId: 'T', partitions: 1, configs: new Map(Object.entries(configs)) }]);
  const checks = new RecordCheckPool(silentLogger, 0);
  const replicas = new ReplicaManager(LEADER, logs, checks, silentLogger);
  replicas.syncTopic('t', [{ leader: LEADER, leaderEpoch: 0, partitionEpoch: 0, replicas: [LEADER], isr: [LEADER] }]);
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
  replicas.syncTopic('t', [{ leader: LEADER, leaderEpoch: 1, partitionEpoch: 1, replicas: [LEADER, FOLLOWER], isr: [LEADER, FOLLOWER] }]);
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
  replicas.followerFetched('t', 0, FOLLOWER, 1n, 0n);
  t.equal(p.highWatermark, 1n);
  t.same(values(replicas, 'high-watermark'), ['a'], 'the read is cut at the high watermark');
  replicas.followerFetched('t', 0, FOLLOWER, 0n, 0n);
  t.equal(p.highWatermark, 1n, 'never moves backwards');
  replicas.followerFetched('t', 0, 99, 2n, 0n);
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
  replicas.followerFetched('t', 0, FOLLOWER, 1n, 0n);
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
  replicas.syncTopic('t', [{ leader: LEADER, leaderEpoch: 3, partitionEpoch: 3, replicas: [LEADER], isr: [LEADER] }]);
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

/** Two replicas, this broker leading; `isr` as committed. */
function twoReplicas(replicas: ReplicaManager, isr: number[], partitionEpoch = 1): void {
  replicas.syncTopic('t', [{ leader: LEADER, leaderEpoch: 1, partitionEpoch, replicas: [LEADER, FOLLOWER], isr }]);
}

t.test('a follower that catches up is proposed for the ISR, once, and counts as soon as it is proposed', async (t) => {
  const { replicas } = setup(t);
  twoReplicas(replicas, [LEADER]);
  const changes: Array<{ isr: number[]; partitionEpoch: number }> = [];
  replicas.onIsrChange = (c) => changes.push({ isr: c.isr, partitionEpoch: c.partitionEpoch });
  await produce(replicas, 1, 'a');
  await produce(replicas, 1, 'b');
  const p = replicas.getPartition('t', 0)!;
  t.equal(p.highWatermark, 2n, 'alone in the ISR: committed at once');
  replicas.followerFetched('t', 0, FOLLOWER, 1n, 0n);
  t.same(changes, [], 'behind the high watermark: not in sync');
  replicas.followerFetched('t', 0, FOLLOWER, 2n, 0n);
  t.same(changes, [{ isr: [LEADER, FOLLOWER], partitionEpoch: 1 }], 'caught up: AlterPartition asked');
  replicas.followerFetched('t', 0, FOLLOWER, 2n, 0n);
  t.equal(changes.length, 1, 'no second request while one is in flight');
  await produce(replicas, 1, 'c');
  t.equal(p.highWatermark, 2n, 'the pending ISR already holds the high watermark back');
  twoReplicas(replicas, [LEADER, FOLLOWER], 2);
  t.same(p.isr, [LEADER, FOLLOWER], 'committed');
});

t.test('a follower that stops fetching leaves the ISR after replica.lag.time.max.ms', async (t) => {
  const { replicas } = setup(t);
  const t0 = Date.now();
  replicas.getPartition('t', 0)!.applyState({ leader: LEADER, leaderEpoch: 1, partitionEpoch: 1, replicas: [LEADER, FOLLOWER], isr: [LEADER, FOLLOWER] }, t0);
  const changes: number[][] = [];
  replicas.onIsrChange = (c) => changes.push(c.isr);
  await produce(replicas, 1, 'a');
  replicas.maybeShrinkIsrs(t0 + 10_000, 30_000);
  t.same(changes, [], 'within the lag: stays');
  replicas.maybeShrinkIsrs(t0 + 31_000, 30_000);
  t.same(changes, [[LEADER]], 'past the lag: removal asked');
  replicas.isrChangeFailed('t', 0);
  replicas.followerFetched('t', 0, FOLLOWER, 1n, 0n, t0 + 32_000);
  replicas.maybeShrinkIsrs(t0 + 33_000, 30_000);
  t.same(changes, [[LEADER]], 'caught up again: not removed');
});

t.test('acks=all with the ISR below min.insync.replicas: NOT_ENOUGH_REPLICAS, nothing written', async (t) => {
  const { replicas } = setup(t, { 'min.insync.replicas': '2' });
  twoReplicas(replicas, [LEADER]);
  const o = await produce(replicas, -1, 'a');
  t.equal(o.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  t.equal(replicas.getPartition('t', 0)!.logEndOffset, 0n, 'not written');
  t.equal((await produce(replicas, 1, 'b')).errorCode, ErrorCode.NONE, 'acks=1 is not held to it');
});

t.test('min.insync.replicas above the replication factor counts as the replication factor (effective min ISR)', async (t) => {
  const { replicas } = setup(t, { 'min.insync.replicas': '3' });
  const o = await produce(replicas, -1, 'a');
  t.equal(o.errorCode, ErrorCode.NONE);
});

t.test('the ISR shrinks below min.insync.replicas while acks=all waits: NOT_ENOUGH_REPLICAS_AFTER_APPEND', async (t) => {
  const { replicas } = setup(t, { 'min.insync.replicas': '2' });
  twoReplicas(replicas, [LEADER, FOLLOWER]);
  const pending = produce(replicas, -1, 'a');
  await new Promise((r) => setTimeout(r, 20));
  twoReplicas(replicas, [LEADER], 2);
  const o = await pending;
  t.equal(o.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  t.equal(replicas.getPartition('t', 0)!.logEndOffset, 1n, 'the batch is in the leader log');
});

t.test('a transaction marker carries the leader epoch and waits for the follower like acks=all', async (t) => {
  const { replicas } = setup(t);
  withFollower(replicas);
  replicas.syncTopic('t', [{ leader: LEADER, leaderEpoch: 3, partitionEpoch: 2, replicas: [LEADER, FOLLOWER], isr: [LEADER, FOLLOWER] }]);
  const p = replicas.getPartition('t', 0)!;
  const out = replicas.appendMarker('t', 0, 7n, 0, true, 5);
  if (!('offset' in out)) throw new Error(`marker refused: ${out.errorCode}`);
  const batch = splitBatches(p.read(0n, 1 << 20, { minOneBatch: true, isolation: 'log-end' }).records)[0]!;
  t.equal(batch.readInt32BE(12), 3, "the marker batch has the leader's epoch (a follower finds it in the epoch cache)");
  t.equal(p.latestEpoch, 3);
  const wait = replicas.whenReplicated('t', 0, out.offset, 5_000);
  t.ok(wait instanceof Promise, 'not durable before the follower has it');
  replicas.followerFetched('t', 0, FOLLOWER, out.offset + 1n, 0n);
  t.equal(await wait, ErrorCode.NONE);
  t.equal(replicas.whenReplicated('t', 0, out.offset, 5_000), null, 'durable now');
  t.same(replicas.appendMarker('t', 0, 7n, 0, true, 4), { errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED }, 'an older coordinator is refused');
});

t.test('a coordinator write waiting for the followers hears NOT_LEADER_OR_FOLLOWER when leadership moves', async (t) => {
  const { replicas } = setup(t);
  withFollower(replicas);
  const out = replicas.appendMarker('t', 0, 7n, 0, false, 0);
  if (!('offset' in out)) throw new Error(`marker refused: ${out.errorCode}`);
  const wait = replicas.whenReplicated('t', 0, out.offset, 5_000)!;
  replicas.syncTopic('t', [{ leader: FOLLOWER, leaderEpoch: 2, partitionEpoch: 2, replicas: [LEADER, FOLLOWER], isr: [FOLLOWER] }]);
  t.equal(await wait, ErrorCode.NOT_LEADER_OR_FOLLOWER);
});
