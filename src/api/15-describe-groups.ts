/**
 * DescribeGroups (key 15), versions 0-5. A group that does not exist is described as Dead with no
 * error, as Kafka does below v6. Member metadata is shown only for a Stable group (assignments in
 * every state, as Kafka does); the protocol data is the chosen protocol's name.
 */
import { DescribeGroups, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../protocol/generated/15-describe-groups.js';
import { OPERATIONS_NOT_REQUESTED } from './acl-operations.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, authorizedOperations, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';


export const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  codec: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req: DescribeGroupsRequest, ctx: RequestContext): DescribeGroupsResponse {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        // Issue 13: DESCRIBE on the group (Kafka's handleDescribeGroupsRequest).
        if (!authorize(ctx, Op.DESCRIBE, Res.GROUP, id)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
        }
        const s = ctx.broker.groups.describe(id);
        return {
          errorCode: 0,
          errorMessage: null,
          groupId: s.groupId,
          groupState: s.state,
          protocolType: s.protocolType,
          protocolData: s.protocolData,
          members: s.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: authorizedOperations(ctx, Res.GROUP, id, req.includeAuthorizedOperations),
        };
      }),
    };
  },
};
