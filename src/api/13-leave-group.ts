/**
 * LeaveGroup (key 13), versions 0-5. v0-2 name one member and answer with one error code; v3+
 * batch members, which may be static members named by instance id alone (KIP-345).
 */
import { LeaveGroup, type LeaveGroupRequest, type LeaveGroupResponse } from '../protocol/generated/13-leave-group.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const leaveGroupHandler: ApiHandler<LeaveGroupRequest, LeaveGroupResponse> = {
  codec: LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(req: LeaveGroupRequest, ctx: RequestContext): LeaveGroupResponse {
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const batched = ctx.apiVersion >= 3;
    const who = batched ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
    const res = ctx.broker.groups.leave(req.groupId, who);
    if (!batched) return { throttleTimeMs: 0, errorCode: res.errorCode || (res.members[0]?.errorCode ?? 0), members: [] };
    return { throttleTimeMs: 0, errorCode: res.errorCode, members: res.members };
  },
};
