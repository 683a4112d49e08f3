/**
 * ListGroups (key 16), versions 0-5. v4 filters by state (KIP-518, case-insensitive), v5 by
 * group type (KIP-848: classic or consumer) and names each group's type.
 */
import { ListGroups, type ListGroupsRequest, type ListGroupsResponse } from '../protocol/generated/16-list-groups.js';
import { authorize, authorizeCluster, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponse> = {
  codec: ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req: ListGroupsRequest, ctx: RequestContext): ListGroupsResponse {
    const all = authorizeCluster(ctx, Op.DESCRIBE);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      // Issue 13: all groups with DESCRIBE on the cluster, else those with DESCRIBE on the group.
      groups: ctx.broker.groups.list(req.statesFilter, req.typesFilter).filter((g) => all || authorize(ctx, Op.DESCRIBE, Res.GROUP, g.groupId)).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
    };
  },
};
