/**
 * DescribeCluster (key 60), versions 0-2. This node (also the controller) and the brokers registered
 * with it (cluster-brokers.ts). Endpoint
 * type 1 (brokers) is the only one served. As a Kafka broker listener answers: asking for
 * controllers (2) gets MISMATCHED_ENDPOINT_TYPE, any other type UNSUPPORTED_ENDPOINT_TYPE, and an
 * error answer carries endpoint type 1 and controller id -1.
 */
import { DescribeCluster, type DescribeClusterRequest, type DescribeClusterResponse } from '../protocol/generated/60-describe-cluster.js';
import { clusterBrokers, shownControllerId } from './cluster-brokers.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { ErrorCode } from '../protocol/errors.js';
import { OPERATIONS_NOT_REQUESTED } from './acl-operations.js';
import { authorizeCluster, authorizedOperations, CLUSTER_NAME, Op, Res } from './authorize.js';

export const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  codec: DescribeCluster,
  minVersion: 0,
  maxVersion: 2,
  handle(req: DescribeClusterRequest, ctx: RequestContext): DescribeClusterResponse {
    const b = ctx.broker;
    const base = {
      throttleTimeMs: 0,
      endpointType: req.endpointType,
      clusterId: b.clusterId,
      controllerId: shownControllerId(b, clusterBrokers(b, ctx.session.listenerName).filter((x) => !x.fenced)),
      // Issue 13: Kafka answers anyone (AuthHelper.computeDescribeClusterResponse); the bit set
      // asked for is 0 without DESCRIBE on the cluster.
      clusterAuthorizedOperations: !req.includeClusterAuthorizedOperations ? OPERATIONS_NOT_REQUESTED : authorizeCluster(ctx, Op.DESCRIBE) ? authorizedOperations(ctx, Res.CLUSTER, CLUSTER_NAME) : 0,
    };
    if (req.endpointType !== 1) {
      const failed = { ...base, endpointType: 1, controllerId: -1, brokers: [] };
      if (req.endpointType === 2) {
        return { ...failed, errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE, errorMessage: 'The request was sent to a broker endpoint; controllers are not reachable separately here.' };
      }
      return { ...failed, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Endpoint type ${req.endpointType} is not served; ask for brokers (1).` };
    }
    return {
      ...base,
      errorCode: 0,
      errorMessage: null,
      // Fenced brokers only when asked (v2, KIP-1073).
      brokers: clusterBrokers(b, ctx.session.listenerName)
        .filter((x) => !x.fenced || req.includeFencedBrokers)
        .map((x) => ({ brokerId: x.nodeId, host: x.host, port: x.port, rack: x.rack, isFenced: x.fenced })),
    };
  },
};
