/** Coordinator rules that need a controlled clock or log: retention, replay, storage failure. */
import { VirtualClock } from '../control/clock.js';
import t from 'tap';
import { silentLogger } from '../logger.js';
import { GroupCoordinator, type GroupSettings } from './coordinator.js';
import { MemoryStore } from '../metadata/memory-store.js';
import { decodeKey } from './records.js';

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
  const clock = new VirtualClock(1_000_000, { paused: true });
  const store = new MemoryStore();
  const c = new GroupCoordinator(store, settings, silentLogger, clock);
  t.same(commit(c, 'old', 5n), [[0]]);
  await clock.advance(30_000);
  t.same(commit(c, 'young', 6n), [[0]]);
  await clock.advance(40_000); // 'old' is 70 s old, 'young' 40 s
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
