/**
 * ShareGroupHeartbeat (key 76), version 1 (Kafka 4.1; v0 was 4.0's early access): a KIP-932 share
 * group member joins (epoch 0, with its own member id), heartbeats, changes its subscription or
 * leaves (epoch -1); served by the group coordinator's share protocol (group/share-group.ts). The
 * answer waits until the group's records are on every in-sync replica of its __consumer_offsets
 * partition, as Kafka's coordinator writes.
 * While the share.version feature is 0 (Kafka 4.1's format default; Sluice formats with 1) it
 * answers UNSUPPORTED_VERSION, as Kafka 4.1 does.
 */
import {
  ShareGroupHeartbeat,
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponse,
} from '../protocol/generated/76-share-group-heartbeat.js';
import { ErrorCode } from '../protocol/errors.js';
import { shareGroupsEnabled, SHARE_GROUPS_DISABLED } from '../metadata/features.js';
import { coordinatorWriteError } from '../metadata/internal-topic.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

const answer = (errorCode: number, errorMessage: string | null): ShareGroupHeartbeatResponse => ({
  throttleTimeMs: 0,
  errorCode,
  errorMessage,
  memberId: null,
  memberEpoch: 0,
  heartbeatIntervalMs: 0,
  assignment: null,
});

export const shareGroupHeartbeatHandler: ApiHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse> = {
  codec: ShareGroupHeartbeat,
  minVersion: 1,
  maxVersion: 1,
  handle(req: ShareGroupHeartbeatRequest, ctx: RequestContext): ShareGroupHeartbeatResponse | Promise<ShareGroupHeartbeatResponse> {
    const b = ctx.broker;
    if (!shareGroupsEnabled(b.image.features)) return answer(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
    // Kafka's handleShareGroupHeartbeat: READ on the group, DESCRIBE on each subscribed topic.
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return answer(ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
    if (req.subscribedTopicNames !== null && req.subscribedTopicNames.length > 0) {
      const ok = authorizedNames(ctx, Op.DESCRIBE, Res.TOPIC, req.subscribedTopicNames);
      if (req.subscribedTopicNames.some((t) => !ok.has(t))) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null);
    }
    const r = b.groups.share.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      rackId: req.rackId,
      subscribedTopicNames: req.subscribedTopicNames,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
    });
    const response: ShareGroupHeartbeatResponse = {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment:
        r.assignment === null
          ? null
          : { topicPartitions: [...r.assignment].filter(([, ps]) => ps.size > 0).map(([id, ps]) => ({ topicId: Buffer.from(id, 'base64url'), partitions: [...ps].sort((x, y) => x - y) })) },
    };
    if (r.errorCode !== ErrorCode.NONE) return response;
    const durable = b.offsetsTopic.durable(req.groupId, Number(b.config.get('offsets.commit.timeout.ms')));
    if (durable === null) return response;
    return durable.then((code) => (code === ErrorCode.NONE ? response : answer(coordinatorWriteError(code), null)));
  },
};
