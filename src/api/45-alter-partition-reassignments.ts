/**
 * AlterPartitionReassignments (key 45), versions 0-1 (KIP-455; v1 adds
 * allowReplicationFactorChange, KIP-860): moves partitions' replicas to the brokers named, or
 * cancels a move (null replicas). The broker hands it to the controller (metadata/controller.ts
 * `alterPartitionReassignments`, Kafka's checks and errors: UNKNOWN_TOPIC_OR_PARTITION,
 * INVALID_REPLICA_ASSIGNMENT, INVALID_REPLICATION_FACTOR, NO_REASSIGNMENT_IN_PROGRESS); a
 * broker-only node forwards it (forwarding.ts). The answer comes once the move has started: the
 * new replicas catch up and the controller completes it when the last one joins the ISR
 * (ListPartitionReassignments shows it until then), as in Kafka.
 */
import { AlterPartitionReassignments, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse } from '../protocol/generated/45-alter-partition-reassignments.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const alterPartitionReassignmentsHandler: ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  codec: AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 1,
  handle(req: AlterPartitionReassignmentsRequest, ctx: RequestContext): AlterPartitionReassignmentsResponse {
    // Issue 13: ALTER on the cluster.
    if (!authorizeCluster(ctx, Op.ALTER)) {
      const errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
      const errorMessage = 'Cluster authorization failed.';
      return {
        throttleTimeMs: 0,
        allowReplicationFactorChange: req.allowReplicationFactorChange,
        errorCode,
        errorMessage,
        responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })) })),
      };
    }
    return ctx.broker.controller.alterPartitionReassignments(req, ctx.apiVersion);
  },
};
