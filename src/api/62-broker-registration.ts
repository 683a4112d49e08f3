/**
 * BrokerRegistration (key 62), versions 0-4, on the CONTROLLER listener only: a broker announces
 * itself (node id, incarnation, listeners, features, log directories) and gets its broker epoch,
 * the offset of its registration record (metadata/controller.ts `registerBroker` has Kafka's
 * checks and errors). The broker starts fenced; heartbeats unfence it once it has caught up.
 */
import { BrokerRegistration, type BrokerRegistrationRequest, type BrokerRegistrationResponse } from '../protocol/generated/62-broker-registration.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const brokerRegistrationHandler: ApiHandler<BrokerRegistrationRequest, BrokerRegistrationResponse> = {
  codec: BrokerRegistration,
  minVersion: 0,
  maxVersion: 4,
  handle(req: BrokerRegistrationRequest, ctx: RequestContext): BrokerRegistrationResponse {
    // Issue 13: an inter-broker API, CLUSTER_ACTION on the cluster.
    if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, brokerEpoch: -1n };
    const out = ctx.broker.controller.registerBroker(req, Date.now());
    if (out.errorMessage) ctx.broker.log.info(`broker ${req.brokerId} registration refused: ${out.errorMessage}`);
    return { throttleTimeMs: 0, errorCode: out.errorCode, brokerEpoch: out.brokerEpoch };
  },
};
