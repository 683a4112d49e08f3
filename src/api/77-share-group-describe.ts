/**
 * ShareGroupDescribe (key 77), version 1 (Kafka 4.1; v0 was 4.0's early access): a KIP-932 share
 * group's epochs, assignor (`simple`) and members with their assignments (topic ids with names).
 * A group of another type, or none, is GROUP_ID_NOT_FOUND, as Kafka answers.
 * While the share.version feature is 0 (Kafka 4.1's format default; Sluice formats with 1) it
 * answers UNSUPPORTED_VERSION, as Kafka 4.1 does.
 */
import {
  ShareGroupDescribe,
  type ShareGroupDescribeRequest,
  type ShareGroupDescribeResponse,
} from '../protocol/generated/77-share-group-describe.js';
import { ErrorCode } from '../protocol/errors.js';
import { shareGroupsEnabled, SHARE_GROUPS_DISABLED } from '../metadata/features.js';
import type { Assignment } from '../group/assignors.js';
import { OPERATIONS_NOT_REQUESTED } from './acl-operations.js';
import { authorize, authorizedOperations, Op, Res } from './authorize.js';
import { describedAssignment } from './group-heartbeat-common.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const shareGroupDescribeHandler: ApiHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponse> = {
  codec: ShareGroupDescribe,
  minVersion: 1,
  maxVersion: 1,
  handle(req: ShareGroupDescribeRequest, ctx: RequestContext): ShareGroupDescribeResponse {
    const protocol = ctx.broker.groups.share;
    const assignment = (a: Assignment) => describedAssignment(a, (id) => protocol.topicName(id));
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        const empty = { groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
        if (!shareGroupsEnabled(ctx.broker.image.features)) return { ...empty, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: SHARE_GROUPS_DISABLED, groupId };
        if (!authorize(ctx, Op.DESCRIBE, Res.GROUP, groupId)) return { ...empty, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId };
        const d = protocol.describe(groupId);
        if (!('members' in d)) return { ...empty, errorCode: d.errorCode, errorMessage: d.errorMessage, groupId };
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupId,
          groupState: d.groupState,
          groupEpoch: d.groupEpoch,
          assignmentEpoch: d.assignmentEpoch,
          assignorName: d.assignorName,
          members: d.members.map((m) => ({
            memberId: m.memberId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            assignment: assignment(m.assignment),
          })),
          authorizedOperations: authorizedOperations(ctx, Res.GROUP, groupId, req.includeAuthorizedOperations),
        };
      }),
    };
  },
};
