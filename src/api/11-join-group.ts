/**
 * JoinGroup (key 11), versions 0-9 (Kafka 4.1 serves 0-1 again for librdkafka, KAFKA-19444).
 * The coordinator holds the answer until the join phase completes. v0 has no rebalance timeout:
 * the session timeout stands in. MEMBER_ID_REQUIRED goes to v4+ only (never to kafka-python's v2).
 * Before v7 the protocol name cannot be null, so an error answer carries ''.
 */
import { JoinGroup, type JoinGroupRequest, type JoinGroupResponse } from '../protocol/generated/11-join-group.js';
import type { JoinResult } from '../group/group.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

function toResponse(r: JoinResult, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  };
}

export const joinGroupHandler: ApiHandler<JoinGroupRequest, JoinGroupResponse> = {
  codec: JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  handle(req: JoinGroupRequest, ctx: RequestContext): JoinGroupResponse | Promise<JoinGroupResponse> {
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: ctx.apiVersion >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
    }
    const result = ctx.broker.groups.join({
      groupId: req.groupId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: ctx.apiVersion === 0 || req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      apiVersion: ctx.apiVersion,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
    });
    return result instanceof Promise ? result.then((r) => toResponse(r, ctx.apiVersion)) : toResponse(result, ctx.apiVersion);
  },
};
