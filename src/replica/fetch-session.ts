/**
 * Fetch sessions (KIP-227), as Kafka's FetchSession.scala keeps them: a client that fetches many
 * partitions sends them all once (a full fetch, epoch 0) and gets a session id; later requests
 * (incremental fetches, epoch 1, 2, ...) name only the partitions whose fetch position changed,
 * plus those to forget, and the answer leaves out every partition with nothing new (no records,
 * same high watermark and log start offset, no error, no preferred read replica, no diverging
 * epoch). A broker with 1,000 idle partitions in a consumer's session then reads a few bytes per
 * poll instead of 1,000 partition entries.
 *
 * Sessions live per broker, keyed by a random positive id, not per connection (a client keeps
 * its session across reconnects). A request names its session and epoch:
 *   - epoch 0 (INITIAL): a full fetch; a session named is closed, and a new one is created when
 *     the cache has room (else session id 0: the client keeps sending full fetches);
 *   - epoch -1 (FINAL): a full fetch that closes the session named and creates none (Fetch v4-6,
 *     which carry no session fields, read as this);
 *   - any other epoch: an incremental fetch. An unknown id is FETCH_SESSION_ID_NOT_FOUND, an
 *     epoch other than the one expected INVALID_FETCH_SESSION_EPOCH, a session created with topic
 *     ids (v13+) used by a v12- request or the reverse FETCH_SESSION_TOPIC_ID_ERROR; each with no
 *     partitions and session id 0, and the client starts over with a full fetch. An incremental
 *     fetch that leaves its session empty closes it and is answered sessionless.
 *
 * The cache: `max.incremental.fetch.session.cache.slots` (Kafka's name and default, 1000) split
 * over Kafka's 8 shards (KAFKA-9401), new sessions placed in the shards in turn, each shard with
 * an eighth of the slots and its own range of ids, eviction within a shard. A shard at its limit
 * makes room for a new session by evicting (Kafka's tryEvict):
 *   1. the least recently used session when it has been unused for more than 2 minutes (Kafka's
 *      MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS), else
 *   2. the least valuable evictable session, when the new one is worth more: a follower's
 *      (privileged) session is worth more than a consumer's, then more partitions are worth more.
 *      Sessions younger than 2 minutes are not evictable, except that a privileged newcomer may
 *      evict a young consumer session. Which list a session is in is decided when it is last used.
 * Otherwise no session is created.
 *
 * Bounds (config/limits.ts): the slots are capped by `fetchSessionCacheSlotsMax`; a session holds
 * at most `fetchSessionPartitionsMax` partitions and all sessions together at most
 * `fetchSessionPartitionsTotalMax` (Kafka has neither: a client naming unknown topic ids could
 * grow its session without end). A full fetch past them gets no session; an incremental one that
 * would grow its session past them closes it and is answered FETCH_SESSION_ID_NOT_FOUND, so the
 * client falls back to full fetches.
 *
 * Partitions are kept in a Map in the session's order; a partition that returned records moves to
 * the end (Kafka does the same), so under a byte budget the others come first next time.
 *
 * Nothing here is persisted: sessions are lost on restart, and clients start over with a full
 * fetch on FETCH_SESSION_ID_NOT_FOUND.
 */
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import type { FetchRequestFetchPartition, FetchResponsePartitionData } from '../protocol/generated/01-fetch.js';

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** Kafka's NumFetchSessionCacheShards (BrokerServer). */
export const FETCH_SESSION_CACHE_SHARDS = 8;
/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: a session unused this long may be evicted by any newcomer. */
export const FETCH_SESSION_EVICTION_MS = 120_000;
const INT32_MAX = 2 ** 31 - 1;

/** The epoch after `epoch` (Kafka's FetchMetadata.nextEpoch): FINAL stays FINAL, int32 max wraps to 1. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === INT32_MAX ? 1 : epoch + 1;
}

/** One partition a fetch reads: its topic by id (v13+; zero below) and name (null: an id this broker does not know). */
export interface FetchPartition {
  readonly topicId: Buffer;
  /** The topic id as a string (base64url), '' below v13. */
  readonly topicIdKey: string;
  topic: string | null;
  readonly partition: number;
  /** The request's fields for it: offset, epochs, byte limit. */
  req: FetchRequestFetchPartition;
}

/** A partition named in ForgottenTopicsData. */
export interface ForgottenPartition {
  readonly topicIdKey: string;
  readonly topic: string | null;
  readonly partition: number;
}

interface CachedPartition extends FetchPartition {
  /** Its key in the session's map (keyOf). */
  readonly key: string;
  /** What the last answer carrying this partition said (-1: never answered, or an error). */
  highWatermark: bigint;
  logStartOffset: bigint;
}

export class FetchSession {
  /** The epoch the next request must carry. */
  epoch = nextEpoch(INITIAL_EPOCH);
  lastUsedMs: number;
  /** The size when last touched (what the evictable order and the partition total count). */
  cachedSize = -1;
  /** In which evictable lists the last touch put it (Kafka's evictableByAll / evictableByPrivileged). */
  evictableByAll = false;
  evictableByPrivileged = false;

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    readonly partitions: Map<string, CachedPartition>,
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
  ) {
    this.lastUsedMs = creationMs;
  }

  get size(): number {
    return this.partitions.size;
  }
}

/** A session's partitions are keyed by topic id when it uses ids, else by name. */
function keyOf(usesTopicIds: boolean, p: { topicIdKey: string; topic: string | null; partition: number }): string {
  return `${usesTopicIds ? p.topicIdKey : p.topic}\0${p.partition}`;
}

function cachedPartition(key: string, p: FetchPartition, highWatermark: bigint, logStartOffset: bigint): CachedPartition {
  return { key, topicId: p.topicId, topicIdKey: p.topicIdKey, topic: p.topic, partition: p.partition, req: p.req, highWatermark, logStartOffset };
}

/** Kafka's EvictableKey order: (privileged, size, id), false before true. */
function compareEvictable(a: { privileged: boolean; size: number; id: number }, b: { privileged: boolean; size: number; id: number }): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1;
  if (a.size !== b.size) return a.size - b.size;
  return a.id - b.id;
}

class CacheShard {
  readonly sessions = new Map<number, FetchSession>();
  constructor(
    readonly maxEntries: number,
    readonly shardNum: number,
    readonly idRange: number,
    private readonly cache: FetchSessionCache,
  ) {}

  newSessionId(): number {
    const low = Math.max(1, this.shardNum * this.idRange);
    const high = (this.shardNum + 1) * this.idRange;
    for (;;) {
      const id = low + Math.floor(Math.random() * (high - low));
      if (!this.sessions.has(id) && id !== INVALID_SESSION_ID) return id;
    }
  }

  /** A new session's id, or INVALID_SESSION_ID when there is no room (Kafka's maybeCreateSession). */
  maybeCreate(nowMs: number, privileged: boolean, usesTopicIds: boolean, partitions: Map<string, CachedPartition>): number {
    const size = partitions.size;
    if (size > limits.fetchSessionPartitionsMax || this.cache.totalPartitions + size > limits.fetchSessionPartitionsTotalMax) return INVALID_SESSION_ID;
    if (this.sessions.size >= this.maxEntries && !this.tryEvict(privileged, size, nowMs)) return INVALID_SESSION_ID;
    const session = new FetchSession(this.newSessionId(), privileged, partitions, usesTopicIds, nowMs);
    this.sessions.set(session.id, session);
    this.touch(session, nowMs);
    return session.id;
  }

  /** Kafka's tryEvict: a stale session first, else the least valuable evictable one if the newcomer is worth more. */
  private tryEvict(privileged: boolean, size: number, nowMs: number): boolean {
    let lru: FetchSession | null = null;
    let cheapest: FetchSession | null = null;
    for (const s of this.sessions.values()) {
      if (lru === null || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs === lru.lastUsedMs && s.id < lru.id)) lru = s;
      const evictable = privileged ? s.evictableByPrivileged : s.evictableByAll;
      if (evictable && (cheapest === null || compareEvictable(evictableKey(s), evictableKey(cheapest)) < 0)) cheapest = s;
    }
    if (lru === null) return false;
    if (nowMs - lru.lastUsedMs > FETCH_SESSION_EVICTION_MS) {
      this.remove(lru);
      this.cache.evictions++;
      return true;
    }
    if (cheapest === null || compareEvictable({ privileged, size, id: 0 }, evictableKey(cheapest)) < 0) return false;
    this.remove(cheapest);
    this.cache.evictions++;
    return true;
  }

  remove(session: FetchSession): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    if (session.cachedSize >= 0) this.cache.totalPartitions -= session.cachedSize;
    session.cachedSize = -1;
  }

  /** Kafka's touch: last used now, size recounted, evictable lists decided. */
  touch(session: FetchSession, nowMs: number): void {
    session.lastUsedMs = nowMs;
    if (session.cachedSize >= 0) this.cache.totalPartitions -= session.cachedSize;
    session.cachedSize = session.size;
    this.cache.totalPartitions += session.cachedSize;
    const old = nowMs - session.creationMs > FETCH_SESSION_EVICTION_MS;
    session.evictableByPrivileged = !session.privileged || old;
    session.evictableByAll = old;
  }
}

function evictableKey(s: FetchSession): { privileged: boolean; size: number; id: number } {
  return { privileged: s.privileged, size: s.cachedSize, id: s.id };
}

/** What a fetch's answer for one partition is, with the partition it is for. */
export interface FetchAnswer {
  readonly partition: FetchPartition;
  data: FetchResponsePartitionData;
}

/** The outcome of a fetch's session handling: the answers to send and the session id to name. */
export interface SessionOutcome {
  errorCode: number;
  sessionId: number;
  answers: FetchAnswer[];
}

/**
 * A fetch's view of its session (Kafka's FetchContext): the partitions to read, and, given what
 * was read for them, the answer.
 */
export interface FetchContext {
  /** A session error: answered with no partitions and session id 0. */
  readonly errorCode: number;
  /** The partitions to read, in the order to read them. */
  readonly partitions: readonly FetchPartition[];
  /** Builds the answer from what was read (called once, when the fetch answers). */
  complete(answers: FetchAnswer[], nowMs: number): SessionOutcome;
}

function sessionError(errorCode: number): FetchContext {
  return { errorCode, partitions: [], complete: () => ({ errorCode, sessionId: INVALID_SESSION_ID, answers: [] }) };
}


/**
 * Kafka's CachedPartition.maybeUpdateResponseData: whether an incremental answer must carry the
 * partition, and (with `update`) remembering what it said.
 */
export function mustRespond(cached: { highWatermark: bigint; logStartOffset: bigint }, data: FetchResponsePartitionData, update: boolean): boolean {
  let must = data.records !== null && data.records.length > 0;
  if (cached.highWatermark !== data.highWatermark) {
    must = true;
    if (update) cached.highWatermark = data.highWatermark;
  }
  if (cached.logStartOffset !== data.logStartOffset) {
    must = true;
    if (update) cached.logStartOffset = data.logStartOffset;
  }
  if (data.preferredReadReplica !== -1) must = true;
  if (data.errorCode !== ErrorCode.NONE) {
    // Forget the high watermark, so the partition is sent again once the error is gone.
    if (update) cached.highWatermark = -1n;
    must = true;
  }
  if (data.divergingEpoch.epoch !== -1) must = true;
  return must;
}

export interface FetchSessionRequest {
  readonly version: number;
  readonly sessionId: number;
  readonly epoch: number;
  /** A follower's fetch: its sessions are privileged. */
  readonly fromFollower: boolean;
  readonly partitions: readonly FetchPartition[];
  readonly forgotten: readonly ForgottenPartition[];
  /** The name of a topic id now (an id unknown when the session cached it may be known since). */
  readonly topicName: (topicIdKey: string) => string | null;
}

export class FetchSessionCache {
  private readonly shards: CacheShard[];
  private nextShard = 0;
  /** Partitions in all sessions (their sizes when last touched). */
  totalPartitions = 0;
  /** Sessions evicted to make room, since start (Kafka's IncrementalFetchSessionEvictionsPerSec count). */
  evictions = 0;
  /** Fetches since start by what their session fields made of them (GET /metrics). */
  readonly requests = { sessionless: 0, full: 0, incremental: 0, error: 0 };
  /** Partitions read for incremental fetches and left out of their answers, nothing having changed. */
  partitionsOmitted = 0;

  /** `slots`: max.incremental.fetch.session.cache.slots, capped by limits.fetchSessionCacheSlotsMax. */
  constructor(slots: number) {
    const perShard = Math.floor(Math.min(Math.max(slots, 0), limits.fetchSessionCacheSlotsMax) / FETCH_SESSION_CACHE_SHARDS);
    const idRange = Math.floor(INT32_MAX / FETCH_SESSION_CACHE_SHARDS);
    this.shards = Array.from({ length: FETCH_SESSION_CACHE_SHARDS }, (_, i) => new CacheShard(perShard, i, idRange, this));
  }

  /** Sessions in the cache. */
  get size(): number {
    let n = 0;
    for (const s of this.shards) n += s.sessions.size;
    return n;
  }

  get(sessionId: number): FetchSession | undefined {
    return this.shardOf(sessionId)?.sessions.get(sessionId);
  }

  private shardOf(sessionId: number): CacheShard | undefined {
    if (sessionId <= 0) return undefined;
    return this.shards[Math.floor(sessionId / this.shards[0]!.idRange)];
  }

  private remove(sessionId: number): void {
    const shard = this.shardOf(sessionId);
    const session = shard?.sessions.get(sessionId);
    if (session) shard!.remove(session);
  }

  /** Kafka's FetchManager.newContext: what a request's session fields make of it. */
  newContext(req: FetchSessionRequest, nowMs: number): FetchContext {
    const ctx = this.contextFor(req, nowMs);
    if (ctx.errorCode !== ErrorCode.NONE) this.requests.error++;
    return ctx;
  }

  private contextFor(req: FetchSessionRequest, nowMs: number): FetchContext {
    if (req.epoch === INITIAL_EPOCH || req.epoch === FINAL_EPOCH) {
      // A full fetch: a session it names is closed.
      if (req.sessionId !== INVALID_SESSION_ID) this.remove(req.sessionId);
      if (req.epoch === FINAL_EPOCH) return this.sessionless(req.partitions);
      this.requests.full++;
      return this.fullContext(req);
    }
    const shard = this.shardOf(req.sessionId);
    const session = shard?.sessions.get(req.sessionId);
    if (!shard || !session) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    if (session.epoch !== req.epoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    if (session.usesTopicIds !== req.version >= 13) return sessionError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    for (const p of req.partitions) {
      const key = keyOf(session.usesTopicIds, p);
      const cached = session.partitions.get(key);
      if (cached) cached.req = p.req;
      else session.partitions.set(key, cachedPartition(key, p, -1n, -1n));
    }
    for (const f of req.forgotten) session.partitions.delete(keyOf(session.usesTopicIds, f));
    if (session.size === 0) {
      shard.remove(session);
      return this.sessionless(req.partitions);
    }
    if (session.size > limits.fetchSessionPartitionsMax || this.totalPartitions - session.cachedSize + session.size > limits.fetchSessionPartitionsTotalMax) {
      shard.remove(session);
      return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    }
    shard.touch(session, nowMs);
    session.epoch = nextEpoch(session.epoch);
    this.requests.incremental++;
    return this.incrementalContext(shard, session, req);
  }

  private sessionless(partitions: readonly FetchPartition[]): FetchContext {
    this.requests.sessionless++;
    return { errorCode: ErrorCode.NONE, partitions, complete: (answers) => ({ errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, answers }) };
  }

  private fullContext(req: FetchSessionRequest): FetchContext {
    const usesTopicIds = req.version >= 13;
    return {
      errorCode: ErrorCode.NONE,
      partitions: req.partitions,
      complete: (answers, nowMs) => {
        const shard = this.shards[this.nextShard]!;
        this.nextShard = (this.nextShard + 1) % this.shards.length;
        const cached = new Map<string, CachedPartition>();
        for (const a of answers) {
          const key = keyOf(usesTopicIds, a.partition);
          cached.set(key, cachedPartition(key, a.partition, a.data.highWatermark, a.data.logStartOffset));
        }
        const sessionId = shard.maybeCreate(nowMs, req.fromFollower, usesTopicIds, cached);
        return { errorCode: ErrorCode.NONE, sessionId, answers };
      },
    };
  }

  private incrementalContext(shard: CacheShard, session: FetchSession, req: FetchSessionRequest): FetchContext {
    const expectedEpoch = session.epoch;
    const partitions: FetchPartition[] = [];
    for (const p of session.partitions.values()) {
      // An id unknown when it was cached may name a topic now.
      if (session.usesTopicIds && p.topic === null) p.topic = req.topicName(p.topicIdKey);
      partitions.push(p);
    }
    return {
      errorCode: ErrorCode.NONE,
      partitions,
      complete: (answers) => {
        // Another request on this session since (a duplicate, or a retry while this one waited).
        if (session.epoch !== expectedEpoch || shard.sessions.get(session.id) !== session) {
          return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, answers: [] };
        }
        const kept: FetchAnswer[] = [];
        for (const a of answers) {
          // The session's own entries (the checks above: nothing changed it since).
          const cached = a.partition as CachedPartition;
          if (!mustRespond(cached, a.data, true)) {
            this.partitionsOmitted++;
            continue;
          }
          kept.push(a);
          if (a.data.records !== null && a.data.records.length > 0) {
            // To the end of the session's order, so the others are read first next time.
            session.partitions.delete(cached.key);
            session.partitions.set(cached.key, cached);
          }
        }
        return { errorCode: ErrorCode.NONE, sessionId: session.id, answers: kept };
      },
    };
  }
}
