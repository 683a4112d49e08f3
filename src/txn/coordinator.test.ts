/** Transaction coordinator rules that need a controlled clock: id expiry and replay. */
import t from 'tap';
import { silentLogger } from '../logger.js';
import { MemoryStore } from '../metadata/memory-store.js';
import { TransactionCoordinator, type TxnSettings } from './coordinator.js';
import { ProducerIdManager } from './producer-ids.js';
import { decodeTxnKey } from './records.js';

const settings: TxnSettings = { maxTimeoutMs: 900000, abortCheckIntervalMs: 1_000_000, idExpirationMs: 60_000, idExpirationCheckIntervalMs: 1_000_000 };

function make(store: MemoryStore, now: () => number, markers: string[] = []): TransactionCoordinator {
  let next = 0n;
  const ids = new ProducerIdManager((size) => {
    const start = next;
    next += BigInt(size);
    return { start, end: next };
  });
  return new TransactionCoordinator(store, ids, (tp, pid, epoch, commit) => markers.push(`${tp.topic}-${tp.partition}:${pid}:${epoch}:${commit ? 'C' : 'A'}`), settings, silentLogger, now);
}

t.test('transactional ids idle longer than transactional.id.expiration.ms are removed; open ones stay', async (t) => {
  let now = 1_000_000;
  const store = new MemoryStore();
  const c = make(store, () => now);
  const idle = c.initProducerId('idle', 10000, null);
  const busy = c.initProducerId('busy', 600000, null);
  t.equal(c.addPartitions('busy', busy.producerId, busy.producerEpoch, [{ topic: 't', partition: 0 }]), 0);
  now += 61_000;
  c.expireIds();
  t.equal(c.describe('idle').errorCode, 105, 'the idle id is gone');
  t.equal(c.describe('busy').state, 'Ongoing', 'an open transaction keeps its id');
  const tombstones = store.records.filter((r) => r.value === null).map((r) => decodeTxnKey(r.key));
  t.same(tombstones, ['idle']);
  const again = c.initProducerId('idle', 10000, null);
  t.same([again.errorCode, again.producerEpoch], [0, 0], 'the id starts afresh');
  t.not(again.producerId, idle.producerId, 'with a new producer id');
  c.close();
});

t.test('replay restores transactions and completes one caught between prepare and markers', async (t) => {
  const store = new MemoryStore();
  const markers: string[] = [];
  const c = make(store, Date.now, markers);
  const p = c.initProducerId('tx', 10000, null);
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
