/**
 * Fetch (key 1), versions 4-12. Topic ids (v13+) are not served yet.
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
 * there is. Errors answer at once. Waiters are bounded by `limits.fetchWaitersMax`; past that,
 * requests are answered without waiting.
 *
 * No fetch sessions (KIP-227): session id 0 is answered for every request, which tells clients to
 * send full fetches; a request naming a session gets FETCH_SESSION_ID_NOT_FOUND.
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
 * zstd at every version: Kafka 2.x-3.x refused Fetch below v10 on a topic whose compression.type
 * is zstd (UNSUPPORTED_COMPRESSION_TYPE), but Kafka 4 serves those versions without converting
 * records and returns zstd batches to them like any other (checked against Kafka 4.1.1 by the
 * differential scenario div-zstd-old-fetch). A client that cannot read zstd fails in its decoder.
 */
import { limits } from '../config/limits.js';
import { authorizeCluster, authorizedNames, Op, Res } from './authorize.js';
import { ErrorCode } from '../protocol/errors.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../protocol/generated/01-fetch.js';
import { EMPTY } from '../protocol/wire.js';
import { LogStorageError } from '../replica/partition.js';
import { partitionKey } from '../replica/purgatory.js';
import type { BrokerServices } from './context.js';
import { longPoll, type PollRead } from './long-poll.js';
import type { ApiHandler, RequestContext } from './registry.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

const READ_COMMITTED = 1;

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

/** Kafka's RackAwareReplicaSelector is configured (replica.selector.class); else consumers read from leaders only. */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

function rackAwareSelector(b: BrokerServices): boolean {
  return b.config.get('replica.selector.class') === RACK_AWARE_REPLICA_SELECTOR;
}

interface ReadResult {
  response: FetchResponse;
  bytes: number;
  hasError: boolean;
}

/**
 * Authorization (issue 13, Kafka's handleFetchRequest): a follower's fetch needs CLUSTER_ACTION on
 * the cluster, a consumer's READ on each topic; a partition refused gets TOPIC_AUTHORIZATION_FAILED
 * (before its existence is looked at). Null when everything is allowed.
 */
function readableTopics(req: FetchRequest, ctx: RequestContext): ReadonlySet<string> | null {
  if (ctx.broker.authorizer === null) return null;
  const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  const names = req.topics.map((t) => t.topic);
  if (replicaId >= 0) return authorizeCluster(ctx, Op.CLUSTER_ACTION) ? null : new Set();
  return authorizedNames(ctx, Op.READ, Res.TOPIC, names);
}

function readPartitions(b: BrokerServices, req: FetchRequest, ctx: RequestContext, readable: ReadonlySet<string> | null): ReadResult {
  // What the connection grants for unread responses; 0 still returns one batch (KIP-74).
  const granted = ctx.takeResponseBytes(Math.min(Math.max(req.maxBytes, 0), limits.fetchResponseBytesMax));
  let budget = granted;
  let bytes = 0;
  let hasError = false;
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  // A follower's fetch (a broker's node id) reads to the log end and reports its position.
  const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  const fromFollower = replicaId >= 0;
  // KIP-392: the client's rack, and the rack of each broker, when the leader picks a read replica.
  const clientRack = !fromFollower && ctx.apiVersion >= 11 && rackAwareSelector(b) ? req.rackId : '';
  const named = !fromFollower && ctx.apiVersion >= 11 && (b.readReplicas?.size ?? 0) > 0 ? b.readReplicas! : null;
  const rackOf = (id: number): string | null => b.image.brokers.get(id)?.rack ?? (id === b.nodeId ? b.config.get('broker.rack') || null : null);
  const responses = req.topics.map((ft) => ({
    topic: ft.topic,
    topicId: ft.topicId,
    partitions: ft.partitions.map((fp): PartitionData => {
      if (readable !== null && !readable.has(ft.topic)) {
        hasError = true;
        return emptyPartition(fp.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      }
      const partition = b.replicas.getPartition(ft.topic, fp.partition);
      if (!partition) {
        hasError = true;
        // Kafka answers a partition it does not know with an empty (not null) aborted list.
        return { ...emptyPartition(fp.partition, b.replicas.notHostedError(ft.topic, fp.partition)), abortedTransactions: [] };
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
      const set = partition.isLeader ? named?.get(partitionKey(ft.topic, fp.partition)) : undefined;
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
      if (fromFollower && read.divergingEpoch === null) b.replicas.followerFetched(ft.topic, fp.partition, replicaId, fp.fetchOffset, fp.logStartOffset);
      const divergingEpoch = read.divergingEpoch ?? NO_DIVERGING_EPOCH;
      return { ...emptyPartition(fp.partition, ErrorCode.NONE, highWatermark, logStartOffset), lastStableOffset, abortedTransactions, records, divergingEpoch };
    }),
  }));
  ctx.returnResponseBytes(granted - bytes);
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: [] }, bytes, hasError };
}

export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  codec: Fetch,
  minVersion: 4,
  maxVersion: 12,
  handle(req: FetchRequest, ctx: RequestContext): FetchResponse | Promise<FetchResponse | null> {
    const b = ctx.broker;
    if (req.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
    }
    const readable = readableTopics(req, ctx);
    const first = readPartitions(b, req, ctx, readable);
    const waitMs = Math.min(req.maxWaitMs, limits.fetchMaxWaitMsCap);
    if (first.hasError || first.bytes >= req.minBytes || waitMs <= 0) return first.response;
    const keys = req.topics.flatMap((t) => t.partitions.map((p) => partitionKey(t.topic, p.partition)));
    const poll = (r: ReadResult): PollRead<FetchResponse> => ({ response: r.response, ready: r.hasError || r.bytes >= req.minBytes, giveBack: () => ctx.returnResponseBytes(r.bytes) });
    return longPoll(ctx, b.replicas.delayedFetch, keys, waitMs, poll(first), () => poll(readPartitions(b, req, ctx, readable)));
  },
};
