/**
 * BrokerHeartbeat (key 63), versions 0-1, on the CONTROLLER listener only: a registered broker
 * reports its metadata offset every broker.heartbeat.interval.ms and learns whether it is
 * caught up, fenced, and (after asking) allowed to shut down (metadata/controller.ts `heartbeat`:
 * Kafka's state rules; a broker silent past broker.session.timeout.ms is fenced by the
 * controller's own timer).
 */
import { BrokerHeartbeat, type BrokerHeartbeatRequest, type BrokerHeartbeatResponse } from '../protocol/generated/63-broker-heartbeat.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const brokerHeartbeatHandler: ApiHandler<BrokerHeartbeatRequest, BrokerHeartbeatResponse> = {
  codec: BrokerHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  handle(req: BrokerHeartbeatRequest, ctx: RequestContext): BrokerHeartbeatResponse {
    // Issue 13: an inter-broker API, CLUSTER_ACTION on the cluster.
    if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, isCaughtUp: false, isFenced: true, shouldShutDown: false };
    const out = ctx.broker.controller.heartbeat(req, Date.now());
    return { throttleTimeMs: 0, errorCode: out.errorCode, isCaughtUp: out.isCaughtUp, isFenced: out.isFenced, shouldShutDown: out.shouldShutDown };
  },
};
