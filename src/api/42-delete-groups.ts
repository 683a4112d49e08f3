/**
 * DeleteGroups (key 42), versions 0-2. Only an empty group can go (NON_EMPTY_GROUP otherwise);
 * an unknown one gets GROUP_ID_NOT_FOUND. Its offsets and metadata are tombstoned.
 */
import { DeleteGroups, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../protocol/generated/42-delete-groups.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  codec: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(req: DeleteGroupsRequest, ctx: RequestContext): DeleteGroupsResponse {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({
      groupId,
      // Issue 13: DELETE on the group.
      errorCode: authorize(ctx, Op.DELETE, Res.GROUP, groupId) ? ctx.broker.groups.deleteGroup(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    })) };
  },
};
