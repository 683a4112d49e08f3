/**
 * What the heartbeat and describe handlers of KIP-848 consumer groups (68, 69) and KIP-932 share
 * groups (76, 77) share: the heartbeat's authorization, its answer (an error answer, the
 * assignment on the wire), the wait for the coordinator's write, and the described assignment.
 */
import type { Assignment } from '../group/assignors.js';
import { coordinatorWriteError } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { BrokerServices } from './context.js';
import type { RequestContext } from './registry.js';

/** A heartbeat's answer fields (the same in ConsumerGroupHeartbeat and ShareGroupHeartbeat). */
export interface HeartbeatAnswer {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: Array<{ topicId: Buffer; partitions: number[] }> } | null;
}

/** An error answer: no member id, epoch 0, no assignment. */
export const heartbeatError = (errorCode: number, errorMessage: string | null): HeartbeatAnswer => ({
  throttleTimeMs: 0,
  errorCode,
  errorMessage,
  memberId: null,
  memberEpoch: 0,
  heartbeatIntervalMs: 0,
  assignment: null,
});

/** Kafka's heartbeat authorization: READ on the group, DESCRIBE on each subscribed topic; the error, or null. */
export function heartbeatAuthorizationError(ctx: RequestContext, groupId: string, subscribedTopicNames: readonly string[] | null): number | null {
  if (!authorize(ctx, Op.READ, Res.GROUP, groupId)) return ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (subscribedTopicNames !== null && subscribedTopicNames.length > 0) {
    const ok = authorizedNames(ctx, Op.DESCRIBE, Res.TOPIC, subscribedTopicNames);
    if (subscribedTopicNames.some((t) => !ok.has(t))) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
  return null;
}

/** The coordinator's result as the answer: the assignment by topic id, partitions sorted. */
export function heartbeatAnswer(r: { errorCode: number; errorMessage: string | null; memberId: string | null; memberEpoch: number; heartbeatIntervalMs: number; assignment: Assignment | null }): HeartbeatAnswer {
  return {
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
}

/**
 * The answer once the group's records are on every in-sync replica of its __consumer_offsets
 * partition, as Kafka's coordinator writes; a failed write answers with its coordinator error.
 */
export function afterGroupWrite(b: BrokerServices, groupId: string, response: HeartbeatAnswer): HeartbeatAnswer | Promise<HeartbeatAnswer> {
  if (response.errorCode !== ErrorCode.NONE) return response;
  const durable = b.offsetsTopic.durable(groupId, Number(b.config.get('offsets.commit.timeout.ms')));
  if (durable === null) return response;
  return durable.then((code) => (code === ErrorCode.NONE ? response : heartbeatError(coordinatorWriteError(code), null)));
}

/** A described member's assignment: topic ids with their names, partitions sorted. */
export function describedAssignment(a: Assignment, topicName: (id: string) => string | undefined): { topicPartitions: Array<{ topicId: Buffer; topicName: string; partitions: number[] }> } {
  return {
    topicPartitions: [...a]
      .filter(([, ps]) => ps.size > 0)
      .map(([id, ps]) => ({ topicId: Buffer.from(id, 'base64url'), topicName: topicName(id) ?? '', partitions: [...ps].sort((x, y) => x - y) })),
  };
}
