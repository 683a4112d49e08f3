/**
 * SyncGroup (key 14), versions 0-5. Followers wait for the leader's assignment; the leader's
 * request stores the group (with every member's assignment) in __consumer_offsets and then
 * answers everyone. v5 carries the protocol type and name, checked against the group's.
 */
import { SyncGroup, type SyncGroupRequest, type SyncGroupResponse } from '../protocol/generated/14-sync-group.js';
import type { SyncResult } from '../group/group.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

const toResponse = (r: SyncResult): SyncGroupResponse => ({ throttleTimeMs: 0, ...r });

export const syncGroupHandler: ApiHandler<SyncGroupRequest, SyncGroupResponse> = {
  codec: SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(req: SyncGroupRequest, ctx: RequestContext): SyncGroupResponse | Promise<SyncGroupResponse> {
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const result = ctx.broker.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    return result instanceof Promise ? result.then(toResponse) : toResponse(result);
  },
};
