/**
 * DeleteGroups (key 42), versions 0-2. Only an empty group can go (NON_EMPTY_GROUP otherwise);
 * an unknown one gets GROUP_ID_NOT_FOUND. Its offsets and metadata are tombstoned.
 */
import { DeleteGroups, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../protocol/generated/42-delete-groups.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  codec: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(req: DeleteGroupsRequest, ctx: RequestContext): DeleteGroupsResponse {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: ctx.broker.groups.deleteGroup(groupId) })) };
  },
};
