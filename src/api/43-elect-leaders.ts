/**
 * ElectLeaders (key 43), versions 0-2 (KIP-460; v0 always PREFERRED): a preferred or unclean
 * leader election for the partitions named (null: every partition that needs one). The broker
 * hands it to the controller (metadata/controller.ts `electLeaders`, Kafka's rules and errors:
 * ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
 * UNKNOWN_TOPIC_OR_PARTITION). On one node the preferred leader always leads already.
 */
import { ElectLeaders, type ElectLeadersRequest, type ElectLeadersResponse } from '../protocol/generated/43-elect-leaders.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

/** Kafka's ElectionType.PREFERRED: what v0 (without election_type) asks for. */
const PREFERRED = 0;

export const electLeadersHandler: ApiHandler<ElectLeadersRequest, ElectLeadersResponse> = {
  codec: ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  handle(req: ElectLeadersRequest, ctx: RequestContext): ElectLeadersResponse {
    // Issue 13: ALTER on the cluster; refused, every partition asked gets the error too.
    if (!authorizeCluster(ctx, Op.ALTER)) {
      const errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
      return {
        throttleTimeMs: 0,
        errorCode,
        replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: 'Cluster authorization failed.' })) })),
      };
    }
    return ctx.broker.controller.electLeaders(ctx.apiVersion === 0 ? { ...req, electionType: PREFERRED } : req);
  },
};
