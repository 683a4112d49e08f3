/**
 * DescribeTopicPartitions (key 75), version 0 (KIP-966): Metadata's partitions, paged. The Java
 * admin client's describeTopics uses it when the broker serves it.
 *
 * Paging as Kafka's DescribeTopicPartitionsRequestHandler and KRaftMetadataCache do it: the topics
 * (all, when the request names none) are taken in name order from the cursor's topic on, each from
 * partition 0 except the cursor's topic, which starts at the cursor's partition; at most
 * min(ResponsePartitionLimit, `max.request.partition.size.limit`) partitions (at least 1) are
 * answered. A topic cut short ends the answer with NextCursor at its first partition left out; a
 * topic reached with nothing left of the budget ends it with NextCursor at that topic's partition 0.
 * A named topic that does not exist is answered UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION
 * for an illegal name) and uses none of the budget; in an all-topics request it cannot occur.
 * A cursor naming a topic the list does not contain, or a negative partition, is INVALID_REQUEST
 * for every topic named. Names named twice are answered once.
 *
 * Partitions carry no error code here (a partition without a leader shows leader -1), and the
 * eligible leader replicas (KIP-966's ELR) are empty: Sluice does not keep them, as Kafka without
 * `eligible.leader.replicas.version` does not.
 *
 * Authorization: a named topic without DESCRIBE is answered TOPIC_AUTHORIZATION_FAILED with the
 * zero id (without looking at whether it exists); in an all-topics request it is left out. Every
 * other topic answered, unknown ones too, carries the session's authorized operations (Kafka
 * fills them always here).
 */
import { ErrorCode } from '../protocol/errors.js';
import {
  DescribeTopicPartitions,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
} from '../protocol/generated/75-describe-topic-partitions.js';
import { ZERO_UUID } from '../protocol/wire.js';
import { checkTopicName } from '../metadata/controller.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import { authorize, authorizedOperations, Op, Res } from './authorize.js';
import { topicMetadata } from './03-metadata.js';
import type { ApiHandler, RequestContext } from './registry.js';

type TopicResponse = DescribeTopicPartitionsResponse['topics'][number];

function errorTopic(name: string, errorCode: number, internal = false): TopicResponse {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: internal, partitions: [], topicAuthorizedOperations: -2147483648 };
}

/** Kafka's answer to a request it refuses whole: each topic named, with the error. */
function refuse(req: DescribeTopicPartitionsRequest, errorCode: number): DescribeTopicPartitionsResponse {
  return { throttleTimeMs: 0, topics: req.topics.map((t) => errorTopic(t.name, errorCode)), nextCursor: null };
}

export const describeTopicPartitionsHandler: ApiHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse> = {
  codec: DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(req: DescribeTopicPartitionsRequest, ctx: RequestContext): DescribeTopicPartitionsResponse {
    const b = ctx.broker;
    const all = req.topics.length === 0;
    const cursor = req.cursor;
    const from = cursor?.topicName ?? '';
    const names = new Set<string>();
    for (const name of all ? b.image.topicsByName.keys() : req.topics.map((t) => t.name)) if (name >= from) names.add(name);
    if (cursor !== null && !all && !names.has(cursor.topicName)) return refuse(req, ErrorCode.INVALID_REQUEST);
    if (cursor !== null && cursor.partitionIndex < 0) return refuse(req, ErrorCode.INVALID_REQUEST);

    const configured = Number(b.config.get('max.request.partition.size.limit') ?? 2000);
    let remaining = Math.max(Math.min(configured, req.responsePartitionLimit), 1);
    const topics: TopicResponse[] = [];
    const denied: TopicResponse[] = [];
    let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null;
    // Kafka sorts with String.compareTo (UTF-16 code units), as JavaScript's default sort does.
    for (const name of [...names].sort()) {
      if (!authorize(ctx, Op.DESCRIBE, Res.TOPIC, name)) {
        if (!all) denied.push(errorTopic(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        continue;
      }
      if (remaining === 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const t = b.image.topicsByName.get(name);
      if (!t) {
        const code = checkTopicName(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
        topics.push({ ...errorTopic(name, code, INTERNAL_TOPICS.has(name)), topicAuthorizedOperations: authorizedOperations(ctx, Res.TOPIC, name) });
        continue;
      }
      const start = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
      const count = t.partitions.length;
      const upper = Math.min(count, start + remaining);
      const shown = topicMetadata(b, t, authorizedOperations(ctx, Res.TOPIC, name));
      topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: shown.topicId,
        isInternal: shown.isInternal,
        partitions: shown.partitions
          .filter((p) => p.partitionIndex >= start && p.partitionIndex < upper)
          .sort((x, y) => x.partitionIndex - y.partitionIndex)
          .map((p) => ({
            errorCode: ErrorCode.NONE,
            partitionIndex: p.partitionIndex,
            leaderId: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: p.replicaNodes,
            isrNodes: p.isrNodes,
            eligibleLeaderReplicas: [],
            lastKnownElr: [],
            offlineReplicas: p.offlineReplicas,
          })),
        topicAuthorizedOperations: shown.topicAuthorizedOperations,
      });
      if (upper < count) {
        nextCursor = { topicName: name, partitionIndex: upper };
        break;
      }
      remaining -= Math.max(upper - start, 0);
    }
    return { throttleTimeMs: 0, topics: [...topics, ...denied], nextCursor };
  },
};
