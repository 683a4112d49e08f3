/**
 * OffsetForLeaderEpoch (key 23), versions 2-4 (Kafka 4 serves these; 0-1 went with KIP-896).
 *
 * For each partition: where the asked leader epoch ends in this leader's log, from the
 * leader-epoch cache (log/leader-epoch-cache.ts), with the epoch found: the latest epoch ends at
 * the log end; an older one at the start of the next newer epoch, paired with the newest epoch
 * at or below the one asked. Consumers use it to detect a log truncated under them (KIP-320: the
 * Java consumer validates its position with it after a leader change, and skips that validation
 * when the broker does not advertise this API); followers to find where their log diverged.
 * An epoch the cache cannot place answers NONE with epoch -1 and offset -1, as Kafka does.
 *
 * current_leader_epoch (-1: not given) is checked against the partition's leader epoch:
 * newer is UNKNOWN_LEADER_EPOCH (this broker has not seen it yet), older FENCED_LEADER_EPOCH
 * (the client's metadata is stale). A partition this broker does not hold is
 * UNKNOWN_TOPIC_OR_PARTITION, one it holds but does not lead NOT_LEADER_OR_FOLLOWER. replica_id (v3+) is not checked yet: a follower's request is
 * answered like a consumer's (cluster authorization comes with issue 13).
 */
import { ErrorCode } from '../protocol/errors.js';
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '../protocol/generated/23-offset-for-leader-epoch.js';
import { LogStorageError } from '../replica/partition.js';
import { authorizeCluster, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

type EpochEndOffset = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

/** Kafka's RecordBatch.NO_PARTITION_LEADER_EPOCH: no current leader epoch given. */
const NO_EPOCH = -1;

export const offsetForLeaderEpochHandler: ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  codec: OffsetForLeaderEpoch,
  minVersion: 2,
  maxVersion: 4,
  handle(req: OffsetForLeaderEpochRequest, ctx: RequestContext): OffsetForLeaderEpochResponse {
    const replicas = ctx.broker.replicas;
    // Issue 13: a follower's request needs CLUSTER_ACTION on the cluster, a client's DESCRIBE on each topic.
    const describable = ctx.broker.authorizer === null || authorizeCluster(ctx, Op.CLUSTER_ACTION) ? null : authorizedNames(ctx, Op.DESCRIBE, Res.TOPIC, req.topics.map((t) => t.topic));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): EpochEndOffset => {
          const fail = (errorCode: number): EpochEndOffset => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n });
          if (describable !== null && !describable.has(t.topic)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const partition = replicas.getPartition(t.topic, p.partition);
          if (!partition) return fail(replicas.notHostedError(t.topic, p.partition));
          if (!partition.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          if (p.currentLeaderEpoch !== NO_EPOCH) {
            if (p.currentLeaderEpoch > partition.leaderEpoch) return fail(ErrorCode.UNKNOWN_LEADER_EPOCH);
            if (p.currentLeaderEpoch < partition.leaderEpoch) return fail(ErrorCode.FENCED_LEADER_EPOCH);
          }
          try {
            const found = partition.endOffsetForEpoch(p.leaderEpoch);
            return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: found.epoch, endOffset: found.endOffset };
          } catch (err) {
            if (!(err instanceof LogStorageError)) throw err;
            return fail(ErrorCode.KAFKA_STORAGE_ERROR);
          }
        }),
      })),
    };
  },
};
