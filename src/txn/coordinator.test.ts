/** Transaction coordinator rules that need a controlled clock: id expiry and replay. */
import { wallClock } from '../control/clock.js';
import t from 'tap';
import { silentLogger } from '../logger.js';
import { MemoryStore } from '../metadata/memory-store.js';
import { TransactionCoordinator, type MarkerJob, type TxnSettings } from './coordinator.js';
import { ErrorCode } from '../protocol/errors.js';
import { ProducerIdManager } from './producer-ids.js';
import { decodeTxnKey } from './records.js';

const settings: TxnSettings = { maxTimeoutMs: 900000, abortCheckIntervalMs: 1_000_000, idExpirationMs: 60_000, idExpirationCheckIntervalMs: 1_000_000, writeTimeoutMs: 1000 };

/** Records each marker as "topic-partition:pid:epoch:C|A"; `written` decides when a job's markers are durable (null: at once). */
function make(store: MemoryStore, now: () => number, markers: string[] = [], written: (job: MarkerJob) => Promise<void> | null = () => null): TransactionCoordinator {
  let next = 0n;
  const ids = new ProducerIdManager((size) => {
    const start = next;
    next += BigInt(size);
    return { start, end: next };
  });
  const writer = (job: MarkerJob): Promise<void> | null => {
    for (const tp of job.partitions) markers.push(`${tp.topic}-${tp.partition}:${job.producerId}:${job.producerEpoch}:${job.commit ? 'C' : 'A'}`);
    return written(job);
  };
  return new TransactionCoordinator(store, ids, writer, settings, silentLogger, { ...wallClock, nowMs: now });
}

/** The answer of a call that must not wait (the store's writes are durable at once). */
function now<T>(answer: T | Promise<T>): T {
  if (answer instanceof Promise) throw new Error('the call waited');
  return answer;
}

t.test('transactional ids idle longer than transactional.id.expiration.ms are removed; open ones stay', async (t) => {
  let clock = 1_000_000;
  const store = new MemoryStore();
  const c = make(store, () => clock);
  const idle = now(c.initProducerId('idle', 10000, null));
  const busy = now(c.initProducerId('busy', 600000, null));
  t.equal(c.addPartitions('busy', busy.producerId, busy.producerEpoch, [{ topic: 't', partition: 0 }]), 0);
  clock += 61_000;
  c.expireIds();
  t.equal(c.describe('idle').errorCode, 105, 'the idle id is gone');
  t.equal(c.describe('busy').state, 'Ongoing', 'an open transaction keeps its id');
  const tombstones = store.records.filter((r) => r.value === null).map((r) => decodeTxnKey(r.key));
  t.same(tombstones, ['idle']);
  const again = now(c.initProducerId('idle', 10000, null));
  t.same([again.errorCode, again.producerEpoch], [0, 0], 'the id starts afresh');
  t.not(again.producerId, idle.producerId, 'with a new producer id');
  c.close();
});

t.test('replay restores transactions and completes one caught between prepare and markers', async (t) => {
  const store = new MemoryStore();
  const markers: string[] = [];
  const c = make(store, Date.now, markers);
  const p = now(c.initProducerId('tx', 10000, null));
  t.equal(c.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 't', partition: 1 }]), 0);
  c.close();
  // Simulate a crash after the PrepareCommit record: append it by hand, as endTxn would have.
  const ongoing = store.records.at(-1)!;
  const prepare = Buffer.from(ongoing.value!);
  prepare.writeInt8(2 /* PrepareCommit */, 2 + 8 + 2 + 4);
  store.append('tx', [{ key: ongoing.key, value: prepare }]);
  const restarted: string[] = [];
  const c2 = make(store, Date.now, restarted);
  c2.load();
  t.same(restarted, [`t-1:${p.producerId}:${p.producerEpoch}:C`], 'the commit markers are written at load');
  t.equal(c2.describe('tx').state, 'CompleteCommit');
  c2.close();
});

t.test('EndTxn answers once its Prepare record is durable; the Complete record waits for the markers', async (t) => {
  const store = new MemoryStore();
  const markers: string[] = [];
  let markersDurable!: () => void;
  const c = make(store, Date.now, markers, () => new Promise<void>((r) => (markersDurable = r)));
  const p = now(c.initProducerId('tx', 10000, null));
  t.equal(now(c.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 't', partition: 0 }, { topic: 'u', partition: 2 }])), 0);
  let prepareDurable!: (code: number) => void;
  store.durability = new Promise<number>((r) => (prepareDurable = r));
  const end = c.endTxn('tx', p.producerId, p.producerEpoch, true);
  t.ok(end instanceof Promise, 'EndTxn waits for its Prepare record');
  t.equal(c.describe('tx').state, 'PrepareCommit');
  t.same(markers, [], 'no marker before the Prepare record is durable');
  store.durability = null;
  prepareDurable(ErrorCode.NONE);
  t.equal(await end, ErrorCode.NONE);
  t.same(markers, [`t-0:${p.producerId}:0:C`, `u-2:${p.producerId}:0:C`], 'the markers go out once it is');
  t.equal(c.describe('tx').state, 'PrepareCommit', 'still preparing while the markers are not durable');
  t.equal(now(c.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 't', partition: 0 }])), ErrorCode.CONCURRENT_TRANSACTIONS, 'the next transaction waits');
  markersDurable();
  await new Promise((r) => setImmediate(r));
  t.equal(c.describe('tx').state, 'CompleteCommit');
  t.equal(now(c.endTxn('tx', p.producerId, p.producerEpoch, true)), ErrorCode.NONE, 'a retried EndTxn succeeds');
  c.close();
});

t.test('a Prepare record not durable in time: COORDINATOR_NOT_AVAILABLE, and the markers still follow once it is', async (t) => {
  const store = new MemoryStore();
  const markers: string[] = [];
  const c = make(store, Date.now, markers);
  const p = now(c.initProducerId('tx', 10000, null));
  t.equal(now(c.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 't', partition: 0 }])), 0);
  let later!: (code: number) => void;
  store.durability = Promise.resolve(ErrorCode.REQUEST_TIMED_OUT);
  const pending = new Promise<number>((r) => (later = r));
  const end = c.endTxn('tx', p.producerId, p.producerEpoch, false);
  store.durability = pending;
  t.equal(await end, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  t.equal(now(c.endTxn('tx', p.producerId, p.producerEpoch, false)), ErrorCode.CONCURRENT_TRANSACTIONS, 'a retry waits for the prepare');
  t.same(markers, []);
  later(ErrorCode.NONE);
  await new Promise((r) => setImmediate(r));
  t.same(markers, [`t-0:${p.producerId}:0:A`]);
  t.equal(c.describe('tx').state, 'CompleteAbort');
  c.close();
});

t.test('calls answer the coordinator error when their write is not durable', async (t) => {
  const store = new MemoryStore();
  const c = make(store, Date.now);
  store.durability = Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const init = await c.initProducerId('tx', 10000, null);
  t.equal(init.errorCode, ErrorCode.NOT_COORDINATOR, 'leadership moved: NOT_COORDINATOR');
  store.durability = Promise.resolve(ErrorCode.REQUEST_TIMED_OUT);
  const again = await c.initProducerId('tx2', 10000, null);
  t.equal(again.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'a timeout: COORDINATOR_NOT_AVAILABLE');
  c.close();
});

t.test('markers still being written stop when the coordinator closes (the broker stopping)', async (t) => {
  const store = new MemoryStore();
  let job: MarkerJob | null = null;
  const c = make(store, Date.now, [], (j) => ((job = j), new Promise<void>(() => {})));
  const p = now(c.initProducerId('tx', 10000, null));
  t.equal(now(c.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 't', partition: 0 }])), 0);
  t.equal(now(c.endTxn('tx', p.producerId, p.producerEpoch, true)), ErrorCode.NONE);
  t.ok(job!.current(), 'the job is current while the coordinator runs');
  c.close();
  t.notOk(job!.current(), 'and no longer once it is closed');
});
