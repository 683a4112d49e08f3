/**
 * ListGroups (key 16), versions 0-5. v4 filters by state (KIP-518, case-insensitive), v5 by
 * group type (KIP-848); every group here is a classic group.
 */
import { ListGroups, type ListGroupsRequest, type ListGroupsResponse } from '../protocol/generated/16-list-groups.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponse> = {
  codec: ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req: ListGroupsRequest, ctx: RequestContext): ListGroupsResponse {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: ctx.broker.groups.list(req.statesFilter, req.typesFilter).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' })),
    };
  },
};
