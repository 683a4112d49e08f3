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
import { SHARE_GROUPS_DISABLED, shareGroupsEnabled } from '../metadata/features.js';
import { afterGroupWrite, heartbeatAnswer, heartbeatAuthorizationError, heartbeatError } from './group-heartbeat-common.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const shareGroupHeartbeatHandler: ApiHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse> = {
  codec: ShareGroupHeartbeat,
  minVersion: 1,
  maxVersion: 1,
  handle(req: ShareGroupHeartbeatRequest, ctx: RequestContext): ShareGroupHeartbeatResponse | Promise<ShareGroupHeartbeatResponse> {
    const b = ctx.broker;
    if (!shareGroupsEnabled(b.image.features)) return heartbeatError(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
    const denied = heartbeatAuthorizationError(ctx, req.groupId, req.subscribedTopicNames);
    if (denied !== null) return heartbeatError(denied, null);
    const r = b.groups.share.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      rackId: req.rackId,
      subscribedTopicNames: req.subscribedTopicNames,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
    });
    return afterGroupWrite(b, req.groupId, heartbeatAnswer(r));
  },
};
