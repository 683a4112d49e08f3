/**
 * DescribeCluster (key 60), versions 0-2. One broker, which is also the controller. Endpoint
 * type 1 (brokers) is the only one served; asking for controllers (2) gets
 * UNSUPPORTED_ENDPOINT_TYPE as in Kafka, since clients cannot reach a separate controller here.
 */
import { DescribeCluster, type DescribeClusterRequest, type DescribeClusterResponse } from '../protocol/generated/60-describe-cluster.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { ErrorCode } from '../protocol/errors.js';
import { CLUSTER_ALL_OPERATIONS, OPERATIONS_NOT_REQUESTED } from './acl-operations.js';

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
      controllerId: b.nodeId,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_ALL_OPERATIONS : OPERATIONS_NOT_REQUESTED,
    };
    if (req.endpointType !== 1) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Endpoint type ${req.endpointType} is not served; ask for brokers (1).`, brokers: [] };
    }
    return {
      ...base,
      errorCode: 0,
      errorMessage: null,
      brokers: [{ brokerId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort, rack: null, isFenced: false }],
    };
  },
};
