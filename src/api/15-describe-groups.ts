/**
 * DescribeGroups (key 15), versions 0-5. A group that does not exist is described as Dead with no
 * error, as Kafka does below v6. Member metadata is shown only for a Stable group (assignments in
 * every state, as Kafka does); the protocol data is the chosen protocol's name.
 */
import { DescribeGroups, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../protocol/generated/15-describe-groups.js';
import { OPERATIONS_NOT_REQUESTED } from './acl-operations.js';
import type { ApiHandler, RequestContext } from './registry.js';

// AclOperation codes for a group: READ 3, DELETE 6, DESCRIBE 8, DESCRIBE_CONFIGS 10 and
// ALTER_CONFIGS 11 (groups have configs since KIP-848; Kafka 4.x's AclEntry lists all five).
const GROUP_ALL_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

export const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  codec: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req: DescribeGroupsRequest, ctx: RequestContext): DescribeGroupsResponse {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
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
          authorizedOperations: req.includeAuthorizedOperations ? GROUP_ALL_OPERATIONS : OPERATIONS_NOT_REQUESTED,
        };
      }),
    };
  },
};
