/**
 * ConsumerGroupHeartbeat (key 68), versions 0-1: the KIP-848 consumer group protocol (join,
 * heartbeat with reconciliation, leave), served by the group coordinator's consumer protocol
 * (group/consumer-protocol.ts). v1 (KIP-1082) has the client choose its member id and adds
 * regex subscriptions. The answer waits until the group's records are on every in-sync replica
 * of its __consumer_offsets partition, as Kafka's coordinator writes.
 */
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../protocol/generated/68-consumer-group-heartbeat.js';
import { ErrorCode } from '../protocol/errors.js';
import { coordinatorWriteError } from '../metadata/internal-topic.js';
import type { Assignment } from '../group/assignors.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

function owned(req: ConsumerGroupHeartbeatRequest): Assignment | null {
  if (req.topicPartitions === null) return null;
  const out: Assignment = new Map();
  for (const t of req.topicPartitions) out.set(Buffer.from(t.topicId).toString('base64url'), new Set(t.partitions));
  return out;
}

const answer = (errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatResponse => ({
  throttleTimeMs: 0,
  errorCode,
  errorMessage,
  memberId: null,
  memberEpoch: 0,
  heartbeatIntervalMs: 0,
  assignment: null,
});

export const consumerGroupHeartbeatHandler: ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  codec: ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  handle(req: ConsumerGroupHeartbeatRequest, ctx: RequestContext): ConsumerGroupHeartbeatResponse | Promise<ConsumerGroupHeartbeatResponse> {
    const b = ctx.broker;
    // Kafka's handleConsumerGroupHeartbeat: READ on the group, DESCRIBE on each subscribed topic.
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return answer(ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
    if (req.subscribedTopicNames !== null && req.subscribedTopicNames.length > 0) {
      const ok = authorizedNames(ctx, Op.DESCRIBE, Res.TOPIC, req.subscribedTopicNames);
      if (req.subscribedTopicNames.some((t) => !ok.has(t))) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null);
    }
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
    const response: ConsumerGroupHeartbeatResponse = {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment:
        r.assignment === null
          ? null
          : { topicPartitions: [...r.assignment].map(([id, ps]) => ({ topicId: Buffer.from(id, 'base64url'), partitions: [...ps].sort((x, y) => x - y) })) },
    };
    if (r.errorCode !== ErrorCode.NONE) return response;
    const durable = b.offsetsTopic.durable(req.groupId, Number(b.config.get('offsets.commit.timeout.ms')));
    if (durable === null) return response;
    return durable.then((code) => (code === ErrorCode.NONE ? response : answer(coordinatorWriteError(code), null)));
  },
};
