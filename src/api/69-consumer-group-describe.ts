/**
 * ConsumerGroupDescribe (key 69), versions 0-1: a KIP-848 consumer group's epochs, assignor and
 * members with their current and target assignments (topic ids with names). A classic or unknown
 * group is GROUP_ID_NOT_FOUND, as Kafka answers. v1 adds each member's type (1: consumer protocol).
 * While group.version is 0 every group is answered UNSUPPORTED_VERSION, as Kafka does.
 */
import {
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
} from '../protocol/generated/69-consumer-group-describe.js';
import { ErrorCode } from '../protocol/errors.js';
import { consumerGroupsEnabled } from '../metadata/features.js';
import type { Assignment } from '../group/assignors.js';
import { OPERATIONS_NOT_REQUESTED } from './acl-operations.js';
import { authorize, authorizedOperations, Op, Res } from './authorize.js';
import { describedAssignment } from './group-heartbeat-common.js';
import type { ApiHandler, RequestContext } from './registry.js';

/** Kafka's member types in ConsumerGroupDescribe v1: 0 classic, 1 consumer. */
const CONSUMER_MEMBER = 1;

export const consumerGroupDescribeHandler: ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = {
  codec: ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 1,
  handle(req: ConsumerGroupDescribeRequest, ctx: RequestContext): ConsumerGroupDescribeResponse {
    const protocol = ctx.broker.groups.consumer;
    const assignment = (a: Assignment) => describedAssignment(a, (id) => protocol.topicName(id));
    const enabled = consumerGroupsEnabled(ctx.broker.image.features);
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        const empty = { groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
        if (!enabled) return { ...empty, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: null, groupId };
        if (!authorize(ctx, Op.DESCRIBE, Res.GROUP, groupId)) return { ...empty, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId };
        const d = protocol.describe(groupId);
        if (d.errorCode !== ErrorCode.NONE) return { ...empty, errorCode: d.errorCode, errorMessage: d.errorMessage, groupId };
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupId,
          groupState: d.groupState,
          groupEpoch: d.groupEpoch,
          assignmentEpoch: d.assignmentEpoch,
          assignorName: d.assignorName,
          members: d.members.map(({ member: m, assignment: current, target }) => ({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: assignment(current),
            targetAssignment: assignment(target),
            memberType: CONSUMER_MEMBER,
          })),
          authorizedOperations: authorizedOperations(ctx, Res.GROUP, groupId, req.includeAuthorizedOperations),
        };
      }),
    };
  },
};
