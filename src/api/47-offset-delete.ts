/**
 * OffsetDelete (key 47), version 0 (KIP-496). Deletes committed offsets of a group: allowed for an
 * empty group, and for a consumer group only on topics it is not subscribed to
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise). Partitions that do not exist get
 * UNKNOWN_TOPIC_OR_PARTITION before the group is consulted, as in Kafka's KafkaApis; a group-level
 * error then replaces the whole answer.
 */
import { ErrorCode } from '../protocol/errors.js';
import { OffsetDelete, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../protocol/generated/47-offset-delete.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  codec: OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle(req: OffsetDeleteRequest, ctx: RequestContext): OffsetDeleteResponse {
    const replicas = ctx.broker.replicas;
    // Issue 13: DELETE on the group, READ on each topic (Kafka's handleOffsetDeleteRequest).
    if (!authorize(ctx, Op.DELETE, Res.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const readable = authorizedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
    const known = req.topics.map((t) => ({ name: t.name, partitions: !readable.has(t.name) ? [] : t.partitions.map((p) => p.partitionIndex).filter((p) => replicas.getPartition(t.name, p) !== undefined) }));
    const res = ctx.broker.groups.deleteOffsets(req.groupId, known);
    if (res.errorCode !== 0) return { errorCode: res.errorCode, throttleTimeMs: 0, topics: [] };
    return {
      errorCode: 0,
      throttleTimeMs: 0,
      topics: req.topics.map((t, i) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const j = known[i]!.partitions.indexOf(p.partitionIndex);
          if (!readable.has(t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          return { partitionIndex: p.partitionIndex, errorCode: j < 0 ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : res.codes[i]![j]! };
        }),
      })),
    };
  },
};
