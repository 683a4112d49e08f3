/**
 * ListPartitionReassignments (key 46), version 0 (KIP-455): the partitions whose reassignment is
 * going on, with their replicas and the replicas being added and removed; of every topic (null)
 * or of the topics and partitions named (unknown ones are left out, as Kafka does). Answered by
 * the controller (metadata/controller.ts `listPartitionReassignments`); a broker-only node
 * forwards it (forwarding.ts), as Kafka's brokers do.
 */
import { ListPartitionReassignments, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../protocol/generated/46-list-partition-reassignments.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const listPartitionReassignmentsHandler: ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  codec: ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(req: ListPartitionReassignmentsRequest, ctx: RequestContext): ListPartitionReassignmentsResponse {
    // Issue 13: DESCRIBE on the cluster.
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', topics: [] };
    return ctx.broker.controller.listPartitionReassignments(req);
  },
};
