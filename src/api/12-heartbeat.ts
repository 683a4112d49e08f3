/**
 * Heartbeat (key 12), versions 0-4. REBALANCE_IN_PROGRESS while the group prepares a rebalance
 * (the member must rejoin); UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and FENCED_INSTANCE_ID as Kafka.
 */
import { Heartbeat, type HeartbeatRequest, type HeartbeatResponse } from '../protocol/generated/12-heartbeat.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const heartbeatHandler: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
  codec: Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(req: HeartbeatRequest, ctx: RequestContext): HeartbeatResponse {
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    return { throttleTimeMs: 0, errorCode: ctx.broker.groups.heartbeat(req.groupId, req.memberId, req.groupInstanceId, req.generationId) };
  },
};
