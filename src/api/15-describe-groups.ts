/**
 * DescribeGroups (key 15), versions 0-6. A group that does not exist (or is a KIP-848 consumer
 * group, which this API does not describe) is Dead with no error below v6, and from v6 (KIP-1043)
 * GROUP_ID_NOT_FOUND with Kafka's message. Member metadata is shown only for a Stable group (assignments in
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
  maxVersion: 6,
  handle(req: DescribeGroupsRequest, ctx: RequestContext): DescribeGroupsResponse {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        // Issue 13: DESCRIBE on the group (Kafka's handleDescribeGroupsRequest).
        if (!authorize(ctx, Op.DESCRIBE, Res.GROUP, id)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
        }
        const s = ctx.broker.groups.describe(id);
        const missing = ctx.apiVersion >= 6 && s.state === 'Dead' ? ctx.broker.groups.describeMissing(id) : null;
        return {
          errorCode: missing === null ? 0 : ErrorCode.GROUP_ID_NOT_FOUND,
          errorMessage: missing,
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
