/**
 * The fetch session cache (KIP-227) without a broker: session ids and epochs, incremental
 * answers, forgetting, the session errors, and Kafka's eviction rules (FetchSessionTest.scala is
 * the checklist of cases).
 */
import t from 'tap';
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import type { FetchRequestFetchPartition, FetchResponsePartitionData } from '../protocol/generated/01-fetch.js';
import { EMPTY, ZERO_UUID } from '../protocol/wire.js';
import {
  FETCH_SESSION_CACHE_SHARDS,
  FETCH_SESSION_EVICTION_MS,
  FetchSessionCache,
  FINAL_EPOCH,
  INITIAL_EPOCH,
  INVALID_SESSION_ID,
  nextEpoch,
  type FetchAnswer,
  type FetchPartition,
  type FetchSessionRequest,
} from './fetch-session.js';

function req(fetchOffset = 0n): FetchRequestFetchPartition {
  return { partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID, highWatermark: 0n };
}

/** A partition by name (v12 and below). */
function named(topic: string, partition: number, fetchOffset = 0n): FetchPartition {
  return { topicId: ZERO_UUID, topicIdKey: '', topic, partition, req: { ...req(fetchOffset), partition } };
}

/** A partition by topic id (v13+). */
function byId(id: number, partition: number, topic: string | null = `t${id}`): FetchPartition {
  const topicId = Buffer.alloc(16, id);
  return { topicId, topicIdKey: topicId.toString('base64url'), topic, partition, req: { ...req(), partition } };
}

function data(partitionIndex: number, o: Partial<FetchResponsePartitionData> = {}): FetchResponsePartitionData {
  return {
    partitionIndex,
    errorCode: 0,
    highWatermark: 10n,
    lastStableOffset: 10n,
    logStartOffset: 0n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
    ...o,
  };
}

function request(o: Partial<FetchSessionRequest>): FetchSessionRequest {
  return { version: 12, sessionId: 0, epoch: INITIAL_EPOCH, fromFollower: false, partitions: [], forgotten: [], topicName: () => null, ...o };
}

/** Reads nothing new: every partition answers high watermark 10, log start 0, no records. */
function quiet(partitions: readonly FetchPartition[]): FetchAnswer[] {
  return partitions.map((p) => ({ partition: p, data: data(p.partition) }));
}

/** A full fetch of `partitions`; the session id it got. */
function open(cache: FetchSessionCache, partitions: FetchPartition[], nowMs = 0, o: Partial<FetchSessionRequest> = {}): number {
  const ctx = cache.newContext(request({ partitions, ...o }), nowMs);
  return ctx.complete(quiet(ctx.partitions), nowMs).sessionId;
}

t.test('epochs: 0 and -1 are full fetches, the next after int32 max is 1, FINAL stays FINAL', async (t) => {
  t.equal(nextEpoch(INITIAL_EPOCH), 1);
  t.equal(nextEpoch(2 ** 31 - 1), 1);
  t.equal(nextEpoch(FINAL_EPOCH), FINAL_EPOCH);
  t.equal(nextEpoch(-7), FINAL_EPOCH);
});

t.test('a full fetch creates a session; incremental fetches then carry epochs 1, 2, ...', async (t) => {
  const cache = new FetchSessionCache(1000);
  const parts = [named('a', 0), named('a', 1), named('b', 0)];
  const id = open(cache, parts);
  t.not(id, INVALID_SESSION_ID);
  t.equal(cache.size, 1);
  t.equal(cache.get(id)!.epoch, 1, 'the first incremental fetch carries epoch 1');
  t.equal(cache.totalPartitions, 3);

  const inc = cache.newContext(request({ sessionId: id, epoch: 1 }), 10);
  t.equal(inc.errorCode, ErrorCode.NONE);
  t.same(inc.partitions.map((p) => `${p.topic}-${p.partition}`), ['a-0', 'a-1', 'b-0'], 'an incremental fetch reads every partition of the session');
  const out = inc.complete(quiet(inc.partitions), 10);
  t.equal(out.sessionId, id);
  t.same(out.answers, [], 'nothing changed: no partition in the answer');

  const again = cache.newContext(request({ sessionId: id, epoch: 1 }), 20);
  t.equal(again.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH, 'epoch 1 a second time');
  t.equal(again.complete([], 20).sessionId, INVALID_SESSION_ID);
  t.equal(cache.newContext(request({ sessionId: id, epoch: 2 }), 20).errorCode, ErrorCode.NONE, 'epoch 2 next');
});

t.test('an incremental answer carries records, a moved watermark or log start, errors, a read replica, a diverging epoch', async (t) => {
  const cache = new FetchSessionCache(1000);
  const parts = ['rec', 'hw', 'lso', 'err', 'replica', 'diverge', 'same'].map((n) => named(n, 0));
  const id = open(cache, parts);
  const inc = cache.newContext(request({ sessionId: id, epoch: 1 }), 1);
  const answers: FetchAnswer[] = inc.partitions.map((p) => {
    const d: Record<string, Partial<FetchResponsePartitionData>> = {
      rec: { records: Buffer.alloc(70) },
      hw: { highWatermark: 11n, lastStableOffset: 11n },
      lso: { logStartOffset: 5n },
      err: { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1n, logStartOffset: -1n },
      replica: { preferredReadReplica: 2 },
      diverge: { divergingEpoch: { epoch: 3, endOffset: 4n } },
      same: {},
    };
    return { partition: p, data: data(0, d[p.topic!]) };
  });
  t.same(
    inc.complete(answers, 1).answers.map((a) => a.partition.topic),
    ['rec', 'hw', 'lso', 'err', 'replica', 'diverge'],
  );
  // Next time: the error gone, the partition comes back even with its old watermark.
  const next = cache.newContext(request({ sessionId: id, epoch: 2 }), 2);
  const shown = next.complete(
    next.partitions.map((p) => ({ partition: p, data: data(0, p.topic === 'hw' ? { highWatermark: 11n } : p.topic === 'lso' ? { logStartOffset: 5n } : {}) })),
    2,
  );
  t.same(shown.answers.map((a) => a.partition.topic), ['err'], 'only the partition whose error went away (its cached watermark was forgotten)');
});

t.test('a partition that returned records moves to the end of the session order', async (t) => {
  const cache = new FetchSessionCache(1000);
  const id = open(cache, [named('t', 0), named('t', 1), named('t', 2)]);
  const inc = cache.newContext(request({ sessionId: id, epoch: 1 }), 1);
  inc.complete(
    inc.partitions.map((p) => ({ partition: p, data: data(p.partition, p.partition === 0 ? { records: Buffer.alloc(70) } : {}) })),
    1,
  );
  const next = cache.newContext(request({ sessionId: id, epoch: 2 }), 2);
  t.same(next.partitions.map((p) => p.partition), [1, 2, 0]);
});

t.test('incremental requests add and update partitions; ForgottenTopicsData removes them; an emptied session closes', async (t) => {
  const cache = new FetchSessionCache(1000);
  const id = open(cache, [named('t', 0), named('t', 1)]);
  const inc = cache.newContext(request({ sessionId: id, epoch: 1, partitions: [named('t', 1, 42n), named('u', 0)], forgotten: [{ topicIdKey: '', topic: 't', partition: 0 }] }), 1);
  t.same(inc.partitions.map((p) => `${p.topic}-${p.partition}@${p.req.fetchOffset}`), ['t-1@42', 'u-0@0']);
  inc.complete(quiet(inc.partitions), 1);
  t.equal(cache.totalPartitions, 2);
  const last = cache.newContext(request({ sessionId: id, epoch: 2, forgotten: [{ topicIdKey: '', topic: 't', partition: 1 }, { topicIdKey: '', topic: 'u', partition: 0 }] }), 2);
  t.equal(last.errorCode, ErrorCode.NONE);
  t.equal(last.complete([], 2).sessionId, INVALID_SESSION_ID, 'answered sessionless');
  t.equal(cache.get(id), undefined, 'the session is gone');
  t.equal(cache.totalPartitions, 0);
});

t.test('session errors: unknown id, topic ids switched on or off, FINAL epoch closes without a new session', async (t) => {
  const cache = new FetchSessionCache(1000);
  t.equal(cache.newContext(request({ sessionId: 12345, epoch: 1 }), 0).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  t.equal(cache.newContext(request({ sessionId: 0, epoch: 3 }), 0).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'an incremental epoch without a session');
  const v12 = open(cache, [named('t', 0)]);
  t.equal(cache.newContext(request({ version: 13, sessionId: v12, epoch: 1 }), 0).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  const v13 = open(cache, [byId(1, 0)], 0, { version: 13 });
  t.equal(cache.newContext(request({ version: 12, sessionId: v13, epoch: 1 }), 0).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  const closing = cache.newContext(request({ sessionId: v12, epoch: FINAL_EPOCH, partitions: [named('t', 0)] }), 0);
  t.equal(closing.complete(quiet(closing.partitions), 0).sessionId, INVALID_SESSION_ID);
  t.equal(cache.get(v12), undefined, 'FINAL closed the session it named');
  const reopen = open(cache, [byId(1, 0)], 0, { version: 13, sessionId: v13 });
  t.not(reopen, v13, 'a full fetch naming a session closes it and opens another');
  t.equal(cache.get(v13), undefined);
});

t.test('a topic id unknown when cached is resolved once the topic exists', async (t) => {
  const cache = new FetchSessionCache(1000);
  const id = open(cache, [byId(7, 0, null)], 0, { version: 13 });
  const inc = cache.newContext(request({ version: 13, sessionId: id, epoch: 1, topicName: (k) => (k === Buffer.alloc(16, 7).toString('base64url') ? 'late' : null) }), 1);
  t.equal(inc.partitions[0]!.topic, 'late');
});

t.test('two requests on one session: the one answering after the other bumped the epoch gets INVALID_FETCH_SESSION_EPOCH', async (t) => {
  const cache = new FetchSessionCache(1000);
  const id = open(cache, [named('t', 0)]);
  const first = cache.newContext(request({ sessionId: id, epoch: 1 }), 1);
  const second = cache.newContext(request({ sessionId: id, epoch: 2 }), 2);
  t.equal(second.complete(quiet(second.partitions), 2).errorCode, ErrorCode.NONE);
  const late = first.complete(quiet(first.partitions), 3);
  t.equal(late.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  t.equal(late.sessionId, id, 'Kafka names the session in this error');
});

t.test('slots are split over 8 shards in turn: fewer than 8 slots give no sessions (as in Kafka)', async (t) => {
  t.equal(open(new FetchSessionCache(7), [named('t', 0)]), INVALID_SESSION_ID);
  t.equal(open(new FetchSessionCache(0), [named('t', 0)]), INVALID_SESSION_ID);
  const cache = new FetchSessionCache(FETCH_SESSION_CACHE_SHARDS);
  const ids = Array.from({ length: FETCH_SESSION_CACHE_SHARDS }, () => open(cache, [named('t', 0)]));
  t.notOk(ids.includes(INVALID_SESSION_ID), 'one session per shard');
  const range = Math.floor((2 ** 31 - 1) / FETCH_SESSION_CACHE_SHARDS);
  t.same(ids.map((id) => Math.floor(id / range)), [0, 1, 2, 3, 4, 5, 6, 7], 'each in its shard\'s id range');
});

t.test('eviction: a young session stays for a consumer newcomer; a follower evicts a young consumer session; the same size does not evict; a stale session goes first', async (t) => {
  const cache = new FetchSessionCache(FETCH_SESSION_CACHE_SHARDS); // one slot per shard
  const fill = (nowMs: number, size: number): number[] =>
    Array.from({ length: FETCH_SESSION_CACHE_SHARDS }, (_, i) => open(cache, Array.from({ length: size }, (_, p) => named(`s${i}`, p)), nowMs));
  const first = fill(0, 2);
  // Shard 0 again: its session is young, so a consumer cannot evict it, whatever its size.
  t.equal(open(cache, [named('x', 0), named('x', 1), named('x', 2)], 1000), INVALID_SESSION_ID, 'young sessions are not evicted by consumers');
  // Shard 1: a follower's session evicts a young consumer session.
  const follower = open(cache, [named('f', 0)], 1000, { fromFollower: true });
  t.not(follower, INVALID_SESSION_ID);
  t.equal(cache.get(first[1]!), undefined, 'the consumer session of shard 1 went');
  t.equal(cache.evictions, 1);
  // Touch shard 2's session after 2 minutes: now old, evictable by a bigger consumer session.
  const later = FETCH_SESSION_EVICTION_MS + 1000;
  cache.newContext(request({ sessionId: first[2]!, epoch: 1 }), later).complete([], later);
  t.equal(open(cache, [named('y', 0), named('y', 1)], later), INVALID_SESSION_ID, 'shard 2: a newcomer of the same size is not worth more');
  // Shard 3: its session has not been used for more than 2 minutes: stale, it goes first.
  t.not(open(cache, [named('z', 0)], later), INVALID_SESSION_ID, 'a stale session is evicted even for a smaller newcomer');
  t.equal(cache.get(first[3]!), undefined);
  t.equal(cache.evictions, 2);
});

t.test('a bigger newcomer evicts the smallest old session of its shard', async (t) => {
  const cache = new FetchSessionCache(2 * FETCH_SESSION_CACHE_SHARDS); // two slots per shard
  const shard0 = [open(cache, [named('a', 0), named('a', 1)], 0)];
  for (let i = 1; i < FETCH_SESSION_CACHE_SHARDS; i++) open(cache, [named('pad', i)], 0);
  shard0.push(open(cache, [named('b', 0)], 0));
  for (let i = 1; i < FETCH_SESSION_CACHE_SHARDS; i++) open(cache, [named('pad2', i)], 0);
  const t1 = FETCH_SESSION_EVICTION_MS + 1;
  // Both touched when old: evictable by anyone now, but not stale (used just now).
  for (const id of shard0) cache.newContext(request({ sessionId: id, epoch: 1 }), t1).complete([], t1);
  const newcomer = open(cache, [named('c', 0), named('c', 1)], t1 + 1);
  t.not(newcomer, INVALID_SESSION_ID);
  t.equal(cache.get(shard0[1]!), undefined, 'the one-partition session went');
  t.ok(cache.get(shard0[0]!), 'the two-partition one stayed');
});

t.test('bounds: a full fetch of more partitions than a session may hold gets no session', async (t) => {
  const cache = new FetchSessionCache(1000);
  const many = Array.from({ length: limits.fetchSessionPartitionsMax + 1 }, (_, i) => named('big', i));
  t.equal(open(cache, many), INVALID_SESSION_ID);
  const id = open(cache, [named('small', 0)]);
  const grow = cache.newContext(request({ sessionId: id, epoch: 1, partitions: many }), 1);
  t.equal(grow.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'growing past the bound closes the session');
  t.equal(cache.get(id), undefined);
  t.equal(cache.totalPartitions, 0);
});
