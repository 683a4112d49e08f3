/**
 * Fetch (key 1), versions 4-18.
 *
 * Returns stored batches untouched, whole: the first batch of a partition may start before the
 * fetch offset (clients skip the earlier records). Byte budgets follow KIP-74: partitions are read
 * in request order, each up to partition_max_bytes and together up to max_bytes, except that the
 * first batch of the first partition with data is returned even when larger, so a consumer can
 * always make progress.
 *
 * Long poll: when fewer than min_bytes are ready and max_wait_ms > 0, the request waits in the
 * replica layer's delayed-fetch purgatory; an append to any requested partition re-reads and
 * answers as soon as min_bytes are there, otherwise the answer goes out at max_wait_ms with what
 * there is. Errors from reading answer at once; partitions refused before reading (unknown topic id
 * or partition, not authorized) do not cut the wait short unless nothing else is fetched, as in
 * Kafka's handleFetchRequest. Waiters are bounded by `limits.fetchWaitersMax`; past that,
 * requests are answered without waiting.
 *
 * Topic ids (KIP-516, v13+): topics are named by id in requests and answers. An id this broker's
 * metadata does not know is UNKNOWN_TOPIC_ID for each of its partitions (Kafka answers at partition
 * level, with the id as given), and so is one whose topic was deleted (a recreated topic has a new
 * id). v14 adds nothing a broker without tiered storage answers; v15 moves the replica id into
 * ReplicaState; v16 adds, for NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH, the partition's
 * current leader and epoch and the leader's endpoint on the request's listener (NodeEndpoints, when
 * the leader is registered and not fenced; KIP-951), so the client moves without a metadata
 * request; v17 adds the follower's directory id and v18 the follower's high watermark (KIP-1166),
 * both read and ignored, as a broker without JBOD or a quorum-fetching follower can.
 *
 * Fetch sessions (KIP-227, replica/fetch-session.ts): a full fetch (epoch 0) gets a session id
 * when the cache has room; incremental fetches read every partition of the session (the request
 * names only changes and ForgottenTopicsData) and answer only the partitions with news. Session
 * errors (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR)
 * are top-level, with no partitions. Session handling comes before authorization and reads, as in
 * Kafka's handleFetchRequest: a partition refused or unknown stays in the session and is answered
 * with its error each time.
 *
 * READ_COMMITTED (KIP-98): data stops at the last stable offset (the first offset of the oldest
 * open transaction), and the answer lists the aborted transactions overlapping what it returns, so
 * the client can drop their records; control batches are returned like data and clients skip
 * them. READ_UNCOMMITTED reads up to the high watermark.
 *
 * Followers: a fetch whose replica id is a broker's reads up to the log end (not the high
 * watermark) and reports the follower's log end offset to the replica layer, which moves the
 * high watermark and the ISR (replica/partition.ts). A replica id that is not one of the
 * partition's replicas gets UNKNOWN_LEADER_EPOCH with a leader epoch, NOT_LEADER_OR_FOLLOWER
 * without (Kafka's followerReplicaOrThrow). A partition this broker holds but does not lead is
 * NOT_LEADER_OR_FOLLOWER for followers and for consumers below v11.
 *
 * Fetching from the closest replica (KIP-392): a consumer at v11+ (which sends its rack) may read
 * from a follower, up to the follower's high watermark (or last stable offset), as Kafka serves
 * it. With replica.selector.class set to Kafka's RackAwareReplicaSelector, the leader answers a
 * consumer in another rack, when an in-sync follower in the consumer's rack holds the offset, with
 * that follower as preferred_read_replica, no records and at once (Partition.preferredReadReplica);
 * the client then fetches there. A test may name the read replica of a partition (setReadReplica,
 * POST /cluster/read-replica) for every consumer at v11+, whatever its rack.
 * Leader epochs (KIP-320, KIP-595): current_leader_epoch newer than the partition's is
 * UNKNOWN_LEADER_EPOCH; from v12 a last_fetched_epoch whose end here lies before the fetch offset
 * is answered with diverging_epoch (that epoch's end) and no records, so the fetcher truncates;
 * one this log cannot place is OFFSET_OUT_OF_RANGE, as Kafka's Partition.readRecords answers.
 *
 * Injected partition errors (control/faults.ts, a Fetch fault naming a topic or partition): the
 * fault's error replaces the matched partitions' answers here, inside the session logic, so an
 * incremental answer carries them (an error is always news) and the session forgets their high
 * watermark, as for any error. Before the handler (the default) those partitions are not read;
 * with `after` they are read first (a follower's position counts) and their answers replaced.
 *
 * zstd at every version: Kafka 2.x-3.x refused Fetch below v10 on a topic whose compression.type
 * is zstd (UNSUPPORTED_COMPRESSION_TYPE), but Kafka 4 serves those versions without converting
 * records and returns zstd batches to them like any other (checked against Kafka 4.1.1 by the
 * differential scenario div-zstd-old-fetch). A client that cannot read zstd fails in its decoder.
 */
import { limits } from '../config/limits.js';
import { authorizeCluster, authorizedNames, Op, Res } from './authorize.js';
import { ErrorCode } from '../protocol/errors.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../protocol/generated/01-fetch.js';
import { EMPTY, ZERO_UUID } from '../protocol/wire.js';
import { type FetchAnswer, type FetchContext, type FetchPartition, type ForgottenPartition } from '../replica/fetch-session.js';
import { LogStorageError } from '../replica/partition.js';
import { partitionKey } from '../replica/purgatory.js';
import { currentLeader, leaderEndpoints } from './cluster-brokers.js';
import type { BrokerServices } from './context.js';
import { longPoll, type PollRead } from './long-poll.js';
import type { ApiHandler, PartitionFault, RequestContext } from './registry.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];
type NodeEndpoint = FetchResponse['nodeEndpoints'][number];

const READ_COMMITTED = 1;

/** The first version naming topics by id (KIP-516). */
const TOPIC_ID_VERSION = 13;
/** The first version telling the current leader of a partition this broker does not lead (KIP-951). */
const CURRENT_LEADER_VERSION = 16;

const NO_DIVERGING_EPOCH = { epoch: -1, endOffset: -1n };
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };
const NO_SNAPSHOT = { endOffset: -1n, epoch: -1 };

function emptyPartition(partitionIndex: number, errorCode: number, highWatermark = -1n, logStartOffset = -1n): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark,
    lastStableOffset: highWatermark,
    logStartOffset,
    divergingEpoch: NO_DIVERGING_EPOCH,
    currentLeader: NO_LEADER,
    snapshotId: NO_SNAPSHOT,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

/** An injected error's answer: no watermarks, no records (as control/error-responses.ts answers any partition error). */
function faultAnswer(partitionIndex: number, errorCode: number): PartitionData {
  return { ...emptyPartition(partitionIndex, errorCode), lastStableOffset: -1n, records: null };
}

/** Kafka's RackAwareReplicaSelector is configured (replica.selector.class); else consumers read from leaders only. */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

function rackAwareSelector(b: BrokerServices): boolean {
  return b.config.get('replica.selector.class') === RACK_AWARE_REPLICA_SELECTOR;
}

function replicaIdOf(req: FetchRequest, version: number): number {
  return version >= 15 ? req.replicaState.replicaId : req.replicaId;
}

/**
 * The partitions a request names and those it forgets, with topic names: from the request below
 * v13, from this broker's metadata by id from v13 (null for an id it does not know).
 */
export function requestedPartitions(b: BrokerServices, version: number, req: FetchRequest): { partitions: FetchPartition[]; forgotten: ForgottenPartition[] } {
  const byId = version >= TOPIC_ID_VERSION;
  const partitions: FetchPartition[] = [];
  for (const t of req.topics) {
    const topicIdKey = byId ? t.topicId.toString('base64url') : '';
    const topic = byId ? (b.image.topicsById.get(topicIdKey)?.name ?? null) : t.topic;
    const topicId = byId ? t.topicId : ZERO_UUID;
    for (const p of t.partitions) partitions.push({ topicId, topicIdKey, topic, partition: p.partition, req: p });
  }
  const forgotten: ForgottenPartition[] = [];
  for (const t of req.forgottenTopicsData) {
    const topicIdKey = byId ? t.topicId.toString('base64url') : '';
    const topic = byId ? null : t.topic;
    for (const partition of t.partitions) forgotten.push({ topicIdKey, topic, partition });
  }
  return { partitions, forgotten };
}

/**
 * The partitions a Fetch reads, for the fault matchers (control/faults.ts): those the request
 * names, or every partition of its session for an incremental fetch, with their topic names (''
 * for an id this broker does not know). Looks at the session without changing it.
 */
export function fetchFaultPartitions(b: BrokerServices, version: number, req: FetchRequest): Array<{ topic: string; partition: number }> {
  const { partitions } = requestedPartitions(b, version, req);
  const out = partitions.map((p) => ({ topic: p.topic ?? '', partition: p.partition }));
  const session = req.sessionEpoch > 0 ? b.replicas.fetchSessions.get(req.sessionId) : undefined;
  if (session) {
    for (const p of session.partitions.values()) out.push({ topic: p.topic ?? (p.topicIdKey === '' ? '' : (b.image.topicsById.get(p.topicIdKey)?.name ?? '')), partition: p.partition });
  }
  return out;
}

/**
 * Authorization (issue 13, Kafka's handleFetchRequest): a follower's fetch needs CLUSTER_ACTION on
 * the cluster, a consumer's READ on each topic; a partition refused gets TOPIC_AUTHORIZATION_FAILED
 * (before its existence is looked at). Null when everything is allowed.
 */
function readableTopics(partitions: readonly FetchPartition[], ctx: RequestContext, replicaId: number): ReadonlySet<string> | null {
  if (ctx.broker.authorizer === null) return null;
  if (replicaId >= 0) return authorizeCluster(ctx, Op.CLUSTER_ACTION) ? null : new Set();
  const names = [...new Set(partitions.flatMap((p) => (p.topic === null ? [] : [p.topic])))];
  return authorizedNames(ctx, Op.READ, Res.TOPIC, names);
}

interface ReadResult {
  answers: FetchAnswer[];
  bytes: number;
  /** An error from reading (not a refusal before it): the fetch answers at once. */
  hasError: boolean;
  /** Partitions read (not refused): with none, the fetch answers at once. */
  read: number;
}

/** What one fetch reads, the same for each read of a long poll. */
interface FetchPlan {
  readonly b: BrokerServices;
  readonly ctx: RequestContext;
  readonly req: FetchRequest;
  readonly partitions: readonly FetchPartition[];
  readonly readable: ReadonlySet<string> | null;
  readonly replicaId: number;
  readonly fault: PartitionFault | null;
}

function readPartitions(plan: FetchPlan): ReadResult {
  const { b, ctx, req, readable, replicaId } = plan;
  // What the connection grants for unread responses; 0 still returns one batch (KIP-74).
  const granted = ctx.takeResponseBytes(Math.min(Math.max(req.maxBytes, 0), limits.fetchResponseBytesMax));
  let budget = granted;
  let bytes = 0;
  let hasError = false;
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  // A follower's fetch (a broker's node id) reads to the log end and reports its position.
  const fromFollower = replicaId >= 0;
  // KIP-392: the client's rack, and the rack of each broker, when the leader picks a read replica.
  const clientRack = !fromFollower && ctx.apiVersion >= 11 && rackAwareSelector(b) ? req.rackId : '';
  const named = !fromFollower && ctx.apiVersion >= 11 && (b.readReplicas?.size ?? 0) > 0 ? b.readReplicas! : null;
  const rackOf = (id: number): string | null => b.image.brokers.get(id)?.rack ?? (id === b.nodeId ? b.config.get('broker.rack') || null : null);

  const readOne = (topic: string, fp: FetchPartition['req']): PartitionData => {
    const partition = b.replicas.getPartition(topic, fp.partition);
    if (!partition) {
      hasError = true;
      // Kafka answers a partition it does not know with an empty (not null) aborted list.
      return { ...emptyPartition(fp.partition, b.replicas.notHostedError(topic, fp.partition)), abortedTransactions: [] };
    }
    if (!partition.isLeader && (fromFollower || ctx.apiVersion < 11)) {
      hasError = true;
      return emptyPartition(fp.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    if (fromFollower && !partition.replicas.includes(replicaId)) {
      // Kafka's followerReplicaOrThrow: with a leader epoch given, the follower may just be
      // ahead of this leader's view of a reassignment, so it retries.
      hasError = true;
      return emptyPartition(fp.partition, fp.currentLeaderEpoch >= 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    // Kafka reads any negative current_leader_epoch as "none given" (FetchRequest.optionalEpoch)
    // and answers an epoch error without watermarks.
    if (fp.currentLeaderEpoch > partition.leaderEpoch) {
      hasError = true;
      return emptyPartition(fp.partition, ErrorCode.UNKNOWN_LEADER_EPOCH);
    }
    if (fp.currentLeaderEpoch >= 0 && fp.currentLeaderEpoch < partition.leaderEpoch) {
      hasError = true;
      return emptyPartition(fp.partition, ErrorCode.FENCED_LEADER_EPOCH);
    }
    const set = partition.isLeader ? named?.get(partitionKey(topic, fp.partition)) : undefined;
    const preferred = set !== undefined && set !== b.nodeId ? set : clientRack === '' ? null : partition.preferredReadReplica(fp.fetchOffset, clientRack, rackOf, Date.now());
    if (preferred !== null) {
      // Answered at once, with no records: the client moves to that replica (Kafka's readFromLog).
      hasError = true;
      const { highWatermark, logStartOffset, lastStableOffset } = partition;
      return { ...emptyPartition(fp.partition, ErrorCode.NONE, highWatermark, logStartOffset), lastStableOffset, preferredReadReplica: preferred };
    }
    const limit = Math.min(Math.max(fp.partitionMaxBytes, 0), budget);
    let read;
    try {
      // The first partition with data may exceed its limits by one batch (KIP-74).
      read = partition.read(fp.fetchOffset, limit, { minOneBatch: bytes === 0, isolation: fromFollower ? 'log-end' : readCommitted ? 'committed' : 'high-watermark', lastFetchedEpoch: fp.lastFetchedEpoch });
    } catch (err) {
      if (!(err instanceof LogStorageError)) throw err;
      hasError = true;
      return emptyPartition(fp.partition, ErrorCode.KAFKA_STORAGE_ERROR);
    }
    const { highWatermark, logStartOffset, lastStableOffset, records } = read;
    const abortedTransactions = read.abortedTransactions?.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) ?? null;
    if (read.errorCode !== ErrorCode.NONE) {
      hasError = true;
      // An offset out of range carries no watermarks (-1), as Kafka answers it; the client asks
      // ListOffsets for the bounds its reset policy needs.
      if (read.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return emptyPartition(fp.partition, read.errorCode);
      return emptyPartition(fp.partition, read.errorCode, highWatermark, logStartOffset);
    }
    bytes += records.length;
    budget = Math.max(0, budget - records.length);
    if (fromFollower && read.divergingEpoch === null) b.replicas.followerFetched(topic, fp.partition, replicaId, fp.fetchOffset, fp.logStartOffset);
    const divergingEpoch = read.divergingEpoch ?? NO_DIVERGING_EPOCH;
    return { ...emptyPartition(fp.partition, ErrorCode.NONE, highWatermark, logStartOffset), lastStableOffset, abortedTransactions, records, divergingEpoch };
  };

  const fault = plan.fault;
  const answers: FetchAnswer[] = [];
  // Kafka's "erroneous" partitions, refused before any read (unknown topic id or partition, not
  // authorized): answered after the others, with an empty aborted list and null records
  // (FetchResponse.partitionResponse). As in Kafka they do not cut a long poll short (a session
  // holding one would otherwise be answered at once, again and again); a fetch of nothing else is
  // answered at once.
  const erroneous: FetchAnswer[] = [];
  const refuse = (p: FetchPartition, errorCode: number): void => {
    erroneous.push({ partition: p, data: { ...emptyPartition(p.partition, errorCode), abortedTransactions: [], records: null } });
  };
  for (const p of plan.partitions) {
    const faulted = fault !== null && fault.only({ topic: p.topic ?? '', partition: p.partition });
    if (faulted && !fault.after) {
      hasError = true;
      answers.push({ partition: p, data: faultAnswer(p.partition, fault.errorCode) });
      continue;
    }
    if (p.topic === null) {
      refuse(p, ErrorCode.UNKNOWN_TOPIC_ID);
      continue;
    }
    if (readable !== null && !readable.has(p.topic)) {
      refuse(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      continue;
    }
    if (!b.replicas.getPartition(p.topic, p.partition) && b.replicas.notHostedError(p.topic, p.partition) === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      refuse(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      continue;
    }
    const before = bytes;
    let data = readOne(p.topic, p.req);
    if (ctx.apiVersion >= CURRENT_LEADER_VERSION && (data.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || data.errorCode === ErrorCode.FENCED_LEADER_EPOCH)) {
      data = { ...data, currentLeader: currentLeader(b, p.topic, p.partition) };
    }
    if (faulted) {
      // The read happened (a follower's position counts); its answer is the fault's.
      bytes = before;
      hasError = true;
      data = faultAnswer(p.partition, fault.errorCode);
    }
    answers.push({ partition: p, data });
  }
  ctx.returnResponseBytes(granted - bytes);
  return { answers: erroneous.length === 0 ? answers : [...answers, ...erroneous], bytes, hasError, read: answers.length };
}

/** The answer: partitions grouped by topic in the order given (consecutive partitions of one topic share an entry). */
function fetchResponse(b: BrokerServices, ctx: RequestContext, fromFollower: boolean, errorCode: number, sessionId: number, answers: readonly FetchAnswer[]): FetchResponse {
  const responses: FetchResponse['responses'] = [];
  let last: FetchResponse['responses'][number] | null = null;
  let lastPartition: FetchPartition | null = null;
  for (const a of answers) {
    const p = a.partition;
    const same = lastPartition !== null && (ctx.apiVersion >= TOPIC_ID_VERSION ? lastPartition.topicIdKey === p.topicIdKey : lastPartition.topic === p.topic);
    if (!same || last === null) {
      last = { topic: p.topic ?? '', topicId: p.topicId, partitions: [] };
      responses.push(last);
    }
    last.partitions.push(a.data);
    lastPartition = p;
  }
  return { throttleTimeMs: 0, errorCode, sessionId, responses, nodeEndpoints: nodeEndpoints(b, ctx, fromFollower, answers) };
}

/**
 * KIP-951 (v16+): the endpoints of the leaders named in currentLeader, on the request's listener,
 * when registered and not fenced. Consumers only: Kafka 4.1 sends followers none.
 */
function nodeEndpoints(b: BrokerServices, ctx: RequestContext, fromFollower: boolean, answers: readonly FetchAnswer[]): NodeEndpoint[] {
  if (ctx.apiVersion < CURRENT_LEADER_VERSION || fromFollower) return [];
  const ids = new Set<number>();
  for (const a of answers) if (a.data.currentLeader.leaderId >= 0) ids.add(a.data.currentLeader.leaderId);
  return leaderEndpoints(b, ctx.session.listenerName, ids);
}

function sessionContext(b: BrokerServices, ctx: RequestContext, req: FetchRequest, replicaId: number): FetchContext {
  const { partitions, forgotten } = requestedPartitions(b, ctx.apiVersion, req);
  return b.replicas.fetchSessions.newContext(
    {
      version: ctx.apiVersion,
      sessionId: req.sessionId,
      epoch: req.sessionEpoch,
      fromFollower: replicaId >= 0,
      partitions,
      forgotten,
      topicName: (id) => b.image.topicsById.get(id)?.name ?? null,
    },
    b.clock.nowMs(),
  );
}

export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  codec: Fetch,
  minVersion: 4,
  maxVersion: 18,
  handle(req: FetchRequest, ctx: RequestContext): FetchResponse | Promise<FetchResponse | null> {
    const b = ctx.broker;
    const replicaId = replicaIdOf(req, ctx.apiVersion);
    const session = sessionContext(b, ctx, req, replicaId);
    if (session.errorCode !== ErrorCode.NONE) return fetchResponse(b, ctx, replicaId >= 0, session.errorCode, 0, []);
    const plan: FetchPlan = { b, ctx, req, partitions: session.partitions, readable: readableTopics(session.partitions, ctx, replicaId), replicaId, fault: ctx.partitionFault ?? null };
    const finish = (r: ReadResult): FetchResponse => {
      const out = session.complete(r.answers, b.clock.nowMs());
      return fetchResponse(b, ctx, replicaId >= 0, out.errorCode, out.sessionId, out.answers);
    };
    const first = readPartitions(plan);
    const waitMs = Math.min(req.maxWaitMs, limits.fetchMaxWaitMsCap);
    const ready = (r: ReadResult): boolean => r.hasError || r.bytes >= req.minBytes || r.read === 0;
    if (waitMs <= 0 || ready(first)) return finish(first);
    const keys = plan.partitions.flatMap((p) => (p.topic === null ? [] : [partitionKey(p.topic, p.partition)]));
    const poll = (r: ReadResult): PollRead<ReadResult> => ({ response: r, ready: ready(r), giveBack: () => ctx.returnResponseBytes(r.bytes) });
    return longPoll(ctx, b.replicas.delayedFetch, keys, waitMs, poll(first), () => poll(readPartitions(plan))).then((r) => (r === null ? null : finish(r)));
  },
};
