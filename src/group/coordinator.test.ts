/** Coordinator rules that need a controlled clock or log: retention, replay, storage failure. */
import t from 'tap';
import { silentLogger } from '../logger.js';
import { LogStorageError } from '../log/partition-log.js';
import { GroupCoordinator, type GroupSettings } from './coordinator.js';
import type { BatchContext, CoordinatorStore, KeyValue, TransactionalWrite } from '../metadata/internal-topic.js';
import { decodeKey } from './records.js';

/** An in-memory coordinator log: record batches (maybe transactional) and markers, in order. */
export class MemoryStore implements CoordinatorStore {
  entries: Array<{ records: KeyValue[]; txn?: TransactionalWrite } | { marker: { producerId: bigint; commit: boolean } }> = [];
  failNext = false;
  get records(): KeyValue[] {
    return this.entries.flatMap((e) => ('records' in e ? e.records : []));
  }
  ensure(): string | null {
    return null;
  }
  partitionFor(): number {
    return 0;
  }
  append(_key: string, records: readonly KeyValue[], txn?: TransactionalWrite): void {
    if (this.failNext) {
      this.failNext = false;
      throw new LogStorageError('injected');
    }
    this.entries.push(txn ? { records: [...records], txn } : { records: [...records] });
  }
  writeMarker(producerId: bigint, commit: boolean): void {
    this.entries.push({ marker: { producerId, commit } });
  }
  replay(onRecord: (key: Buffer, value: Buffer | null, batch: BatchContext) => void, onMarker?: (producerId: bigint, commit: boolean) => void): number {
    let n = 0;
    for (const e of this.entries) {
      if ('marker' in e) {
        onMarker?.(e.marker.producerId, e.marker.commit);
        continue;
      }
      for (const r of e.records) {
        onRecord(r.key, r.value, { producerId: e.txn?.producerId ?? -1n, isTransactional: e.txn !== undefined });
        n++;
      }
    }
    return n;
  }
}

const settings: GroupSettings = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 1,
  maxSessionTimeoutMs: 100000,
  maxSize: 10,
  newMemberJoinTimeoutMs: 300000,
  offsetMetadataMaxBytes: 100,
  offsetsRetentionMs: 60_000,
  offsetsRetentionCheckIntervalMs: 1_000_000,
};

const commit = (c: GroupCoordinator, groupId: string, offset: bigint) =>
  c.commitOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }] }, () => true);

t.test('offsets of an empty group expire after offsets.retention.minutes, then the group goes', async (t) => {
  let now = 1_000_000;
  const store = new MemoryStore();
  const c = new GroupCoordinator(store, settings, silentLogger, () => now);
  t.same(commit(c, 'old', 5n), [[0]]);
  now += 30_000;
  t.same(commit(c, 'young', 6n), [[0]]);
  now += 40_000; // 'old' is 70 s old, 'young' 40 s
  c.expireOffsets();
  t.equal(c.fetchOffsets('old', [{ name: 't', partitions: [0] }])[0]!.partitions[0]!.offset, -1n, 'old offset expired');
  t.notOk(c.groups.has('old'), 'an empty group without offsets is deleted');
  t.equal(c.fetchOffsets('young', [{ name: 't', partitions: [0] }])[0]!.partitions[0]!.offset, 6n, 'young offset kept');
  const tombstones = store.records.filter((r) => r.value === null).map((r) => decodeKey(r.key));
  t.same(tombstones.map((k) => [k.type, k.group]), [['offset', 'old'], ['group', 'old']], 'tombstones written for the offset and the group');
  c.close();
});

t.test('replay rebuilds offsets and honours tombstones', async (t) => {
  const store = new MemoryStore();
  const c = new GroupCoordinator(store, settings, silentLogger);
  commit(c, 'g', 1n);
  commit(c, 'g', 2n);
  commit(c, 'gone', 3n);
  c.deleteGroup('gone');
  c.close();
  const c2 = new GroupCoordinator(store, settings, silentLogger);
  c2.load();
  t.equal(c2.fetchOffsets('g', null)[0]!.partitions[0]!.offset, 2n, 'the latest commit wins');
  t.notOk(c2.groups.has('gone'));
  c2.close();
});

t.test('a commit the log refuses is not acknowledged and not applied', async (t) => {
  const store = new MemoryStore();
  const c = new GroupCoordinator(store, settings, silentLogger);
  commit(c, 'g', 1n);
  store.failNext = true;
  t.same(commit(c, 'g', 2n), [[16]], 'NOT_COORDINATOR, so the client retries');
  t.equal(c.fetchOffsets('g', null)[0]!.partitions[0]!.offset, 1n, 'still the last durable offset');
  c.close();
});
