/**
 * DeleteGroups (key 42), versions 0-2. Only an empty group can go (NON_EMPTY_GROUP otherwise);
 * an unknown one gets GROUP_ID_NOT_FOUND. Its offsets and metadata are tombstoned. A share
 * group's share-partition state is deleted at its share coordinators (DeleteShareGroupState)
 * before the answer, so a new group of the same id starts where share.auto.offset.reset says.
 */
import { DeleteGroups, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../protocol/generated/42-delete-groups.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  codec: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(req: DeleteGroupsRequest, ctx: RequestContext): DeleteGroupsResponse | Promise<DeleteGroupsResponse> {
    const b = ctx.broker;
    const stateDeletions: Array<Promise<unknown>> = [];
    const results = req.groupsNames.map((groupId) => {
      // Issue 13: DELETE on the group.
      if (!authorize(ctx, Op.DELETE, Res.GROUP, groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      // A share group's share-partition state goes with it (KIP-932, DeleteShareGroupState).
      const share = b.groups.share.describe(groupId);
      const errorCode = b.groups.deleteGroup(groupId);
      if (errorCode === ErrorCode.NONE && 'initialized' in share) {
        const partitions = [...share.initialized].flatMap(([topicId, t]) => [...t.partitions].map((partition) => ({ topicId, partition })));
        stateDeletions.push(b.shares.deleteState(groupId, partitions));
      }
      return { groupId, errorCode };
    });
    const response = { throttleTimeMs: 0, results };
    return stateDeletions.length === 0 ? response : Promise.all(stateDeletions).then(() => response);
  },
};
