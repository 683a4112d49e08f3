/** Transactions v2 (KIP-890 part 2) and partition verification (part 1) in the coordinator. */
import { wallClock } from '../control/clock.js';
import t from 'tap';
import { silentLogger } from '../logger.js';
import { MemoryStore } from '../metadata/memory-store.js';
import { EPOCH_EXHAUSTED, TransactionCoordinator, type MarkerJob, type TxnSettings } from './coordinator.js';
import { ErrorCode } from '../protocol/errors.js';
import { ProducerIdManager } from './producer-ids.js';
import { decodeTxnValue, encodeTxnValue } from './records.js';

const settings: TxnSettings = { maxTimeoutMs: 900000, abortCheckIntervalMs: 1_000_000, idExpirationMs: 600_000, idExpirationCheckIntervalMs: 1_000_000, writeTimeoutMs: 1000 };
const TP = { topic: 't', partition: 0 };

/** Producer id blocks, shared by the coordinators of one test as the controller's are across restarts. */
let nextProducerId = 0n;

/** Records each marker as "topic-partition:pid:epoch:C|A"; markers are durable at once. */
function make(store: MemoryStore, markers: string[] = []): TransactionCoordinator {
  const ids = new ProducerIdManager((size) => {
    const start = nextProducerId;
    nextProducerId += BigInt(size);
    return { start, end: nextProducerId };
  });
  const writer = (job: MarkerJob): null => {
    for (const tp of job.partitions) markers.push(`${tp.topic}-${tp.partition}:${job.producerId}:${job.producerEpoch}:${job.commit ? 'C' : 'A'}`);
    return null;
  };
  return new TransactionCoordinator(store, ids, writer, settings, silentLogger, wallClock);
}

function now<T>(answer: T | Promise<T>): T {
  if (answer instanceof Promise) throw new Error('the call waited');
  return answer;
}

t.test('EndTxn v5 bumps the epoch: markers carry the new epoch, the answer names it, the next transaction uses it', async (t) => {
  const markers: string[] = [];
  const c = make(new MemoryStore(), markers);
  const p = now(c.initProducerId('tx', 10000, null));
  t.equal(now(c.addPartitions('tx', p.producerId, p.producerEpoch, [TP], 2)), ErrorCode.NONE, 'Produce v12 adds the partition');
  const end = now(c.endTransaction('tx', p.producerId, p.producerEpoch, true, 2));
  t.same(end, { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
  t.same(markers, [`t-0:${p.producerId}:${p.producerEpoch + 1}:C`], 'the commit marker carries the bumped epoch');
  t.equal(c.describe('tx').state, 'CompleteCommit');
  // A retry of the same EndTxn (the old epoch) gets the same answer; the other outcome does not.
  t.same(now(c.endTransaction('tx', p.producerId, p.producerEpoch, true, 2)), end, 'a retried EndTxn v5 is answered again');
  t.equal(now(c.endTransaction('tx', p.producerId, p.producerEpoch, false, 2)).errorCode, ErrorCode.INVALID_TXN_STATE);
  t.equal(now(c.endTransaction('tx', p.producerId, p.producerEpoch - 1, true, 2)).errorCode, ErrorCode.PRODUCER_FENCED, 'two epochs below is fenced');
  t.equal(now(c.endTransaction('tx', p.producerId, end.producerEpoch, true, 2)).errorCode, ErrorCode.INVALID_TXN_STATE, 'the new epoch with no transaction');
  // Late data of the ended transaction: its epoch is stale now.
  t.equal(now(c.addPartitions('tx', p.producerId, p.producerEpoch, [TP], 2)), ErrorCode.PRODUCER_FENCED);
  // The next transaction at the new epoch, aborted: another bump.
  t.equal(now(c.addPartitions('tx', p.producerId, end.producerEpoch, [TP], 2)), ErrorCode.NONE);
  const abort = now(c.endTransaction('tx', p.producerId, end.producerEpoch, false, 2));
  t.same(abort, { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 2 });
  t.equal(markers.at(-1), `t-0:${p.producerId}:${p.producerEpoch + 2}:A`);
  c.close();
});

t.test('EndTxn v5 abort with no transaction open still bumps the epoch (Kafka 4.1); commit is INVALID_TXN_STATE', async (t) => {
  const markers: string[] = [];
  const c = make(new MemoryStore(), markers);
  const p = now(c.initProducerId('tx', 10000, null));
  t.equal(now(c.endTransaction('tx', p.producerId, p.producerEpoch, true, 2)).errorCode, ErrorCode.INVALID_TXN_STATE, 'commit in Empty');
  t.equal(now(c.endTransaction('tx', p.producerId, p.producerEpoch, false, 0)).errorCode, ErrorCode.INVALID_TXN_STATE, 'abort in Empty below v5');
  const abort = now(c.endTransaction('tx', p.producerId, p.producerEpoch, false, 2));
  t.same([abort.errorCode, abort.producerEpoch], [ErrorCode.NONE, p.producerEpoch + 1]);
  t.same([c.describe('tx').state, c.describe('tx').partitions], ['CompleteAbort', []], 'no partitions, so no markers');
  t.same(markers, []);
  const again = now(c.endTransaction('tx', p.producerId, abort.producerEpoch, false, 2));
  t.same([again.errorCode, again.producerEpoch], [ErrorCode.NONE, p.producerEpoch + 2], 'again at the new epoch: another bump');
  t.equal(now(c.endTransaction('tx', p.producerId, again.producerEpoch, true, 2)).errorCode, ErrorCode.INVALID_TXN_STATE, 'a commit at the current epoch');
  c.close();
});

t.test('EndTxn below v5 keeps the epoch (transactions v1)', async (t) => {
  const markers: string[] = [];
  const c = make(new MemoryStore(), markers);
  const p = now(c.initProducerId('tx', 10000, null));
  t.equal(now(c.addPartitions('tx', p.producerId, p.producerEpoch, [TP])), ErrorCode.NONE);
  t.equal(now(c.endTxn('tx', p.producerId, p.producerEpoch, true)), ErrorCode.NONE);
  t.same(markers, [`t-0:${p.producerId}:${p.producerEpoch}:C`]);
  t.equal(c.describe('tx').producerEpoch, p.producerEpoch);
  t.equal(now(c.endTxn('tx', p.producerId, p.producerEpoch, true)), ErrorCode.NONE, 'a retry with the same epoch succeeds');
  c.close();
});

t.test('an exhausted epoch moves to a new producer id once the markers are written', async (t) => {
  const markers: string[] = [];
  const store = new MemoryStore();
  const c = make(store, markers);
  const first = now(c.initProducerId('tx', 10000, null));
  // Rewrite the stored state to the last usable epoch, as a long-lived producer reaches it, and reload.
  c.close();
  const last = store.records.at(-1)!;
  const v = decodeTxnValue(last.value!);
  store.append('tx', [{ key: last.key, value: encodeTxnValue({ ...v, producerEpoch: EPOCH_EXHAUSTED }) }]);
  const c2 = make(store, markers);
  c2.load();
  t.equal(now(c2.addPartitions('tx', first.producerId, EPOCH_EXHAUSTED, [TP], 2)), ErrorCode.NONE);
  const end = now(c2.endTransaction('tx', first.producerId, EPOCH_EXHAUSTED, true, 2));
  t.equal(end.errorCode, ErrorCode.NONE);
  t.not(end.producerId, first.producerId, 'a new producer id');
  t.equal(end.producerEpoch, 0, 'at epoch 0');
  t.same(markers, [`t-0:${first.producerId}:${EPOCH_EXHAUSTED + 1}:C`], 'the markers still carry the old id, one epoch up');
  t.same([c2.describe('tx').producerId, c2.describe('tx').producerEpoch], [end.producerId, 0]);
  t.same(now(c2.endTransaction('tx', first.producerId, EPOCH_EXHAUSTED, true, 2)), end, 'a retry with the old id and epoch gets the same answer');
  t.equal(now(c2.addPartitions('tx', end.producerId, 0, [TP], 2)), ErrorCode.NONE, 'the new id starts the next transaction');
  c2.close();
});

t.test('a v2 transaction survives a coordinator restart: value v1 replayed, retry still recognised', async (t) => {
  const store = new MemoryStore();
  const c = make(store);
  const p = now(c.initProducerId('tx', 10000, null));
  now(c.addPartitions('tx', p.producerId, p.producerEpoch, [TP], 2));
  const end = now(c.endTransaction('tx', p.producerId, p.producerEpoch, true, 2));
  c.close();
  const value = store.records.at(-1)!.value!;
  t.equal(value.readInt16BE(0), 1, 'a v2 transaction is written as value version 1');
  t.equal(decodeTxnValue(value).clientTransactionVersion, 2);
  const c2 = make(store);
  c2.load();
  t.same(now(c2.endTransaction('tx', p.producerId, p.producerEpoch, true, 2)), end, 'the retry is recognised after the restart');
  t.equal(now(c2.addPartitions('tx', p.producerId, end.producerEpoch, [TP], 2)), ErrorCode.NONE);
  c2.close();
});

t.test('verifyPartitions (AddPartitionsToTxn VerifyOnly): per partition, or one producer-level error', async (t) => {
  const c = make(new MemoryStore());
  const p = now(c.initProducerId('tx', 10000, null));
  const other = { topic: 't', partition: 1 };
  t.same(c.verifyPartitions('tx', p.producerId, p.producerEpoch, [TP, other]), [ErrorCode.TRANSACTION_ABORTABLE, ErrorCode.TRANSACTION_ABORTABLE], 'nothing added yet');
  now(c.addPartitions('tx', p.producerId, p.producerEpoch, [TP]));
  t.same(c.verifyPartitions('tx', p.producerId, p.producerEpoch, [TP, other]), [ErrorCode.NONE, ErrorCode.TRANSACTION_ABORTABLE]);
  t.same(c.verifyPartitions('tx', p.producerId, p.producerEpoch + 1, [TP]), [ErrorCode.PRODUCER_FENCED]);
  t.same(c.verifyPartitions('tx', p.producerId + 1n, p.producerEpoch, [TP]), [ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  t.same(c.verifyPartitions('none', p.producerId, p.producerEpoch, [TP]), [ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  t.same(c.verifyPartitions('', p.producerId, p.producerEpoch, [TP]), [ErrorCode.INVALID_REQUEST]);
  c.close();
});

t.test('__transaction_state value v1 round-trips its tagged fields; v0 stays v0', async (t) => {
  const base = { producerId: 7n, producerEpoch: 3, timeoutMs: 1000, state: 'Ongoing' as const, partitions: [{ topic: 'a', partitions: [0, 2] }], lastUpdateMs: 5n, startMs: 4n };
  const v1 = { ...base, previousProducerId: 6n, nextProducerId: 9n, clientTransactionVersion: 2 };
  t.same(decodeTxnValue(encodeTxnValue(v1)), v1);
  const v0 = encodeTxnValue(base);
  t.equal(v0.readInt16BE(0), 0);
  t.same(decodeTxnValue(v0), base);
});
