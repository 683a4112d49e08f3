/**
 * AlterPartition (key 56), versions 2-3 (Kafka 4's controller serves these; 0-1 named topics),
 * on the CONTROLLER listener only: a leader asks for an ISR change (a follower caught up, or fell
 * behind replica.lag.time.max.ms). metadata/controller.ts `alterPartition` validates it in Kafka's
 * order (broker epoch, leader epoch, partition epoch, eligible replicas) and commits a
 * PartitionChange; the leader learns the outcome from the answer and from the metadata.
 */
import { AlterPartition, type AlterPartitionRequest, type AlterPartitionResponse } from '../protocol/generated/56-alter-partition.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const alterPartitionHandler: ApiHandler<AlterPartitionRequest, AlterPartitionResponse> = {
  codec: AlterPartition,
  minVersion: 2,
  maxVersion: 3,
  handle(req: AlterPartitionRequest, ctx: RequestContext): AlterPartitionResponse {
    // Issue 13: an inter-broker API, CLUSTER_ACTION on the cluster.
    if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, topics: [] };
    return ctx.broker.controller.alterPartition(req, ctx.apiVersion);
  },
};
