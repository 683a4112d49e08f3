/**
 * Fetch (key 1), versions 4-12, on the CONTROLLER listener: brokers replicate the
 * `__cluster_metadata` log from the controller (as KRaft observers do; our records are Sluice's
 * own, in ordinary record batches, so Sluice brokers read them, not Kafka's). Only partition 0
 * of `__cluster_metadata` is served; any other partition is UNKNOWN_TOPIC_OR_PARTITION. With one
 * controller every appended record is committed, so the high watermark is the log end.
 *
 * Long poll: a fetch at the log end waits up to max_wait_ms (capped by limits.fetchMaxWaitMsCap)
 * in the delayed-fetch purgatory and is woken when the controller commits a change; an offset
 * outside the log is OFFSET_OUT_OF_RANGE (the broker then starts over from the controller's
 * log start).
 */
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../protocol/generated/01-fetch.js';
import { EMPTY } from '../protocol/wire.js';
import { METADATA_TOPIC } from '../metadata/metadata-log.js';
import { partitionKey } from '../replica/purgatory.js';
import type { BrokerServices } from './context.js';
import { longPoll, type PollRead } from './long-poll.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

/** Bytes of metadata one answer carries at most (a whole first batch always). */
const METADATA_FETCH_BYTES_MAX = 8 * 1024 * 1024;

function partitionAnswer(b: BrokerServices, topic: string, partition: number, fetchOffset: bigint, maxBytes: number): PartitionData {
  const base: PartitionData = {
    partitionIndex: partition,
    errorCode: ErrorCode.NONE,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
  if (topic !== METADATA_TOPIC || partition !== 0) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  const records = b.metadataLog.read(fetchOffset, maxBytes);
  if (records === null) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  const end = b.metadataLog.logEndOffset;
  return { ...base, highWatermark: end, lastStableOffset: end, logStartOffset: b.metadataLog.logStartOffset, records };
}

function answer(b: BrokerServices, req: FetchRequest): { response: FetchResponse; bytes: number } {
  let bytes = 0;
  const maxBytes = Math.min(Math.max(req.maxBytes, 1), METADATA_FETCH_BYTES_MAX);
  const responses = req.topics.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.partitions.map((p) => {
      const a = partitionAnswer(b, t.topic, p.partition, p.fetchOffset, Math.min(maxBytes, Math.max(p.partitionMaxBytes, 1)));
      bytes += a.errorCode === ErrorCode.NONE ? (a.records?.length ?? 0) : 1;
      return a;
    }),
  }));
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: [] }, bytes };
}

export const fetchMetadataHandler: ApiHandler<FetchRequest, FetchResponse> = {
  codec: Fetch,
  minVersion: 4,
  maxVersion: 12,
  handle(req: FetchRequest, ctx: RequestContext): FetchResponse | Promise<FetchResponse | null> {
    const b = ctx.broker;
    // Issue 13: a broker fetching the metadata log needs CLUSTER_ACTION on the cluster.
    if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, sessionId: 0, responses: [], nodeEndpoints: [] };
    const first = answer(b, req);
    const waitMs = Math.min(req.maxWaitMs, limits.fetchMaxWaitMsCap);
    if (first.bytes >= Math.max(req.minBytes, 1) || waitMs <= 0) return first.response;
    const minBytes = Math.max(req.minBytes, 1);
    const poll = (r: { response: FetchResponse; bytes: number }): PollRead<FetchResponse> => ({ response: r.response, ready: r.bytes >= minBytes, giveBack: () => {} });
    return longPoll(ctx, b.replicas.delayedFetch, [partitionKey(METADATA_TOPIC, 0)], waitMs, poll(first), () => poll(answer(b, req)));
  },
};
