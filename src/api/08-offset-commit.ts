/**
 * OffsetCommit (key 8), versions 0-9. Topic ids (v10) are not served. Kafka's classic-group rules:
 * a commit without generation and member id (an assign-mode consumer, the admin client) is
 * accepted for an empty or new group; otherwise the member and generation must match
 * (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID), and a group completing a rebalance
 * answers REBALANCE_IN_PROGRESS. Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION; metadata over
 * offset.metadata.max.bytes gets OFFSET_METADATA_TOO_LARGE. v2-4's retention time is ignored:
 * offsets.retention.minutes applies (KIP-211). Answered once the commit is on every in-sync replica
 * of the group's __consumer_offsets partition (offsets.commit.timeout.ms, then
 * COORDINATOR_NOT_AVAILABLE; NOT_COORDINATOR when the partition's leadership moved meanwhile).
 */
import { OffsetCommit, type OffsetCommitRequest, type OffsetCommitResponse } from '../protocol/generated/08-offset-commit.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { whenOffsetsDurable } from './offsets-durable.js';

function answerAll(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  };
}

export const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponse> = {
  codec: OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  handle(req: OffsetCommitRequest, ctx: RequestContext): OffsetCommitResponse | Promise<OffsetCommitResponse> {
    const b = ctx.broker;
    // Issue 13 (Kafka's handleOffsetCommitRequest): READ on the group, then READ on each topic.
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return answerAll(req, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const readable = authorizedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
    const allowed = req.topics.filter((t) => readable.has(t.name));
    const allowedCodes = allowed.length === 0 ? [] : b.groups.commitOffsets(
      {
        groupId: req.groupId,
        generationId: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        topics: allowed.map((t) => ({ name: t.name, partitions: t.partitions })),
        apiVersion: ctx.apiVersion,
      },
      (topic, partition) => b.replicas.metadataHas(topic, partition),
    );
    let next = 0;
    const codes = req.topics.map((t) => (readable.has(t.name) ? allowedCodes[next++]! : t.partitions.map(() => ErrorCode.TOPIC_AUTHORIZATION_FAILED)));
    const answer = (codes: number[][]): OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t, i) => ({
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i]![j]! })),
      })),
    });
    const durable = whenOffsetsDurable(b, req.groupId, codes);
    return durable instanceof Promise ? durable.then(answer) : answer(durable);
  },
};
