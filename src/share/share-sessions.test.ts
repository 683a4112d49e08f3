/**
 * Share sessions (KIP-932) and the share state store's records: epochs, added and forgotten
 * partitions, the last request, the cache bound; ShareSnapshot keys and values round trip and
 * replay into the store. The handlers and the Java share consumer are exercised in
 * compat-tests/share-groups.test.ts.
 */
import t from 'tap';
import { silentLogger } from '../logger.js';
import { MemoryStore } from '../metadata/memory-store.js';
import { ErrorCode } from '../protocol/errors.js';
import { ShareSessionCache, type SessionOutcome, type ShareSession } from './share-sessions.js';
import { decodeSnapshotKey, decodeSnapshotValue, encodeSnapshotKey, encodeSnapshotValue, ShareStateStore } from './share-state-store.js';

const T = 'AAAAAAAAAAAAAAAAAAAAAQ';
const session = (o: SessionOutcome): ShareSession => {
  if (!('session' in o)) throw new Error(`expected a session, got ${o.errorCode}`);
  return o.session;
};

t.test('epoch 0 opens a session; each later request must carry the next epoch', async (t) => {
  const cache = new ShareSessionCache(() => 10);
  const released: string[] = [];
  const open = (epoch: number, add = [{ topicId: T, partition: 0 }], forget: Array<{ topicId: string; partition: number }> = []) =>
    cache.open({ groupId: 'g', memberId: 'm', epoch, add, forget }, (s) => released.push(s.memberId));
  const s = session(open(0));
  t.equal(s.epoch, 1);
  t.same([...s.partitions.keys()], [`${T}:0`]);
  t.equal(session(open(1, [{ topicId: T, partition: 1 }])).epoch, 2);
  t.same([...s.partitions.keys()].sort(), [`${T}:0`, `${T}:1`], 'an incremental request adds partitions');
  open(2, [], [{ topicId: T, partition: 0 }]);
  t.same([...s.partitions.keys()], [`${T}:1`], 'ForgottenTopicsData removes them');
  const stale = open(2);
  t.same('errorCode' in stale && stale.errorCode, ErrorCode.INVALID_SHARE_SESSION_EPOCH);
  t.same(session(open(-1)).epoch, 3, 'the last request (-1) finds the session without an epoch check');
  const fresh = session(open(0));
  t.not(fresh, s, 'epoch 0 again replaces the session');
  t.same(released, ['m'], 'the replaced session is handed back for its records to be released');
  t.ok(cache.close(fresh));
  t.notOk(cache.close(fresh), 'closing twice');
  const none = cache.open({ groupId: 'g', memberId: 'm', epoch: 5, add: [], forget: [] }, () => {});
  t.same('errorCode' in none && none.errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND);
});

t.test('group.share.max.share.sessions bounds the cache: SHARE_SESSION_LIMIT_REACHED', async (t) => {
  const cache = new ShareSessionCache(() => 2);
  for (const m of ['a', 'b']) session(cache.open({ groupId: 'g', memberId: m, epoch: 0, add: [], forget: [] }, () => {}));
  const full = cache.open({ groupId: 'g', memberId: 'c', epoch: 0, add: [], forget: [] }, () => {});
  t.same('errorCode' in full && full.errorCode, ErrorCode.SHARE_SESSION_LIMIT_REACHED);
  t.ok('session' in cache.open({ groupId: 'g', memberId: 'a', epoch: 0, add: [], forget: [] }, () => {}), 'a member renewing its own session is not refused');
  t.equal(cache.size, 2);
});

t.test('ShareSnapshot records round trip; the store replays them; an older leader\'s write is fenced', async (t) => {
  const id = { groupId: 'g:with:colons', topicId: T, partition: 7 };
  t.same(decodeSnapshotKey(encodeSnapshotKey(id)), id);
  const snapshot = { startOffset: 42n, batches: [{ firstOffset: 42n, lastOffset: 44n, deliveryState: 2, deliveryCount: 1 }, { firstOffset: 45n, lastOffset: 45n, deliveryState: 0, deliveryCount: 3 }] };
  const value = encodeSnapshotValue(snapshot, { snapshotEpoch: 3, stateEpoch: 0, leaderEpoch: 5, createTimestamp: 1n, writeTimestamp: 2n });
  t.same(decodeSnapshotValue(value).snapshot, snapshot);
  t.throws(() => decodeSnapshotValue(Buffer.concat([value.subarray(0, 1), Buffer.from([9]), value.subarray(2)])), 'an unknown value version');
  const store = new MemoryStore();
  const a = new ShareStateStore(store, silentLogger, () => 1000);
  t.equal(a.write(id, snapshot, 5, 0, 1000), ErrorCode.NONE, 'the memory store has nothing to wait for');
  t.equal(a.write(id, snapshot, 4, 0, 1000), ErrorCode.FENCED_LEADER_EPOCH, 'a write from an older partition leader is fenced');
  a.write({ ...id, partition: 8 }, { startOffset: 0n, batches: [] }, 5, 0, 1000);
  const b = new ShareStateStore(store, silentLogger, () => 2000);
  b.load();
  t.same(b.read(id), { errorCode: ErrorCode.NONE, snapshot, leaderEpoch: 5, stateEpoch: 0 }, 'read back after a restart, with the leader epoch that wrote it');
});

t.test('a deleted share-partition state: gone, its state epoch bumped, writers of the old epoch fenced, and so after a restart', async (t) => {
  const id = { groupId: 'g', topicId: T, partition: 0 };
  const store = new MemoryStore();
  const a = new ShareStateStore(store, silentLogger, () => 1000);
  a.write(id, { startOffset: 10n, batches: [] }, 3, 0, 1000);
  t.equal(a.delete(id, 1000), ErrorCode.NONE);
  t.same(a.read(id), { errorCode: ErrorCode.NONE, snapshot: null, leaderEpoch: 3, stateEpoch: 1 });
  t.equal(a.write(id, { startOffset: 12n, batches: [] }, 3, 0, 1000), ErrorCode.FENCED_STATE_EPOCH, 'a leader still holding the deleted state');
  const b = new ShareStateStore(store, silentLogger, () => 2000);
  b.load();
  t.same(b.read(id), { errorCode: ErrorCode.NONE, snapshot: null, leaderEpoch: 3, stateEpoch: 1 }, 'the deletion is replayed');
  t.equal(b.write(id, { startOffset: 0n, batches: [] }, 3, 1, 1000), ErrorCode.NONE, 'a leader that read it again writes a new state');
  t.same(b.read(id).snapshot, { startOffset: 0n, batches: [] });
  t.equal(b.delete({ ...id, partition: 9 }, 1000), ErrorCode.NONE, 'deleting what does not exist');
});


t.test('an initialized share-partition state (AlterShareGroupOffsets): the new start, nothing in flight, its state epoch above the old, and so after a restart', async (t) => {
  const id = { groupId: 'g', topicId: T, partition: 0 };
  const store = new MemoryStore();
  const a = new ShareStateStore(store, silentLogger, () => 1000);
  t.equal(a.initialize(id, 5n, 0, 1000), ErrorCode.NONE, 'a key with no state yet');
  t.same(a.read(id), { errorCode: ErrorCode.NONE, snapshot: { startOffset: 5n, batches: [] }, leaderEpoch: 0, stateEpoch: 0 });
  a.write(id, { startOffset: 8n, batches: [{ firstOffset: 8n, lastOffset: 9n, deliveryState: 0, deliveryCount: 1 }] }, 4, 0, 1000);
  t.equal(a.initialize(id, 2n, 0, 1000), ErrorCode.NONE, 'a key with state, at a lower requested epoch');
  t.same(a.read(id), { errorCode: ErrorCode.NONE, snapshot: { startOffset: 2n, batches: [] }, leaderEpoch: 0, stateEpoch: 1 }, 'the in-flight batches are gone, the epoch moved past the stored one');
  t.equal(a.write(id, { startOffset: 9n, batches: [] }, 4, 0, 1000), ErrorCode.FENCED_STATE_EPOCH, 'a leader still holding the old state is fenced');
  t.equal(a.initialize(id, 3n, 7, 1000), ErrorCode.NONE);
  t.equal(a.read(id).stateEpoch, 7, 'a higher requested epoch is taken');
  t.equal(a.initialize({ ...id, partition: 1 }, -1n, 2, 1000), ErrorCode.NONE, 'start offset -1');
  const b = new ShareStateStore(store, silentLogger, () => 2000);
  b.load();
  t.same(b.read(id), { errorCode: ErrorCode.NONE, snapshot: { startOffset: 3n, batches: [] }, leaderEpoch: 0, stateEpoch: 7 }, 'replayed after a restart');
  t.same(b.read({ ...id, partition: 1 }), { errorCode: ErrorCode.NONE, snapshot: null, leaderEpoch: 0, stateEpoch: 2 }, '-1 reads as no state');
  t.equal(b.write(id, { startOffset: 4n, batches: [] }, 1, 7, 1000), ErrorCode.NONE, 'a leader that read the new state writes on from it');
});
