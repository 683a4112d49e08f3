/**
 * ConsumerGroupHeartbeat (key 68), versions 0-1: the KIP-848 consumer group protocol (join,
 * heartbeat with reconciliation, leave), served by the group coordinator's consumer protocol
 * (group/consumer-protocol.ts). v1 (KIP-1082) has the client choose its member id and adds
 * regex subscriptions. The answer waits until the group's records are on every in-sync replica
 * of its __consumer_offsets partition, as Kafka's coordinator writes. While group.version is
 * finalized at 0 (`kafka-features.sh disable --feature group.version`) it answers
 * UNSUPPORTED_VERSION, as Kafka does.
 */
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../protocol/generated/68-consumer-group-heartbeat.js';
import type { Assignment } from '../group/assignors.js';
import { consumerGroupsEnabled } from '../metadata/features.js';
import { ErrorCode } from '../protocol/errors.js';
import { afterGroupWrite, heartbeatAnswer, heartbeatAuthorizationError, heartbeatError } from './group-heartbeat-common.js';
import type { ApiHandler, RequestContext } from './registry.js';

function owned(req: ConsumerGroupHeartbeatRequest): Assignment | null {
  if (req.topicPartitions === null) return null;
  const out: Assignment = new Map();
  for (const t of req.topicPartitions) out.set(Buffer.from(t.topicId).toString('base64url'), new Set(t.partitions));
  return out;
}

export const consumerGroupHeartbeatHandler: ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  codec: ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  handle(req: ConsumerGroupHeartbeatRequest, ctx: RequestContext): ConsumerGroupHeartbeatResponse | Promise<ConsumerGroupHeartbeatResponse> {
    const b = ctx.broker;
    // Kafka answers the code alone (ConsumerGroupHeartbeatRequest.getErrorResponse sets no message).
    if (!consumerGroupsEnabled(b.image.features)) return heartbeatError(ErrorCode.UNSUPPORTED_VERSION, null);
    // Kafka's handleConsumerGroupHeartbeat: READ on the group, DESCRIBE on each subscribed topic.
    const denied = heartbeatAuthorizationError(ctx, req.groupId, req.subscribedTopicNames);
    if (denied !== null) return heartbeatError(denied, null);
    const r = b.groups.consumer.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: req.subscribedTopicRegex,
      serverAssignor: req.serverAssignor,
      owned: owned(req),
      apiVersion: ctx.apiVersion,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
    });
    return afterGroupWrite(b, req.groupId, heartbeatAnswer(r));
  },
};
