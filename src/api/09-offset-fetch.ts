/**
 * OffsetFetch (key 9), versions 0-9; v8+ asks for several groups at once (KIP-709). Topic ids (v10)
 * are not served. A partition with no committed offset answers offset -1 and empty metadata; a
 * null topic list (v2+) returns every committed offset of the group. With require_stable (v7+,
 * KIP-447) a partition whose offset is pending in an open transaction answers
 * UNSTABLE_OFFSET_COMMIT, and the client asks again.
 */
import { OffsetFetch, type OffsetFetchRequest, type OffsetFetchResponse } from '../protocol/generated/09-offset-fetch.js';
import type { FetchedOffset } from '../group/coordinator.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

const toPartition = (version: number) => (o: FetchedOffset) => ({
  partitionIndex: o.partition,
  committedOffset: o.offset,
  committedLeaderEpoch: version >= 5 ? o.leaderEpoch : -1,
  metadata: o.metadata,
  errorCode: o.errorCode,
});

/** v2+ answers a top-level error and no partitions; v0-1, which have no top-level error, one per partition asked (Kafka's OffsetFetchRequest.getErrorResponse). */
function refuseAll(req: OffsetFetchRequest, v: number, errorCode: number): OffsetFetchResponse {
  if (v >= 2) return { throttleTimeMs: 0, topics: [], errorCode, groups: [] };
  const err = { offset: -1n, leaderEpoch: -1, metadata: '', errorCode };
  return {
    throttleTimeMs: 0,
    topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partition) => toPartition(v)({ partition, ...err })) })),
    errorCode: 0,
    groups: [],
  };
}

type GroupOffsets = ReturnType<RequestContext['broker']['groups']['fetchOffsets']>;

/**
 * Issue 13 (Kafka's handleOffsetFetchRequest): topics without DESCRIBE are left out of an
 * all-topics answer, and their partitions answered TOPIC_AUTHORIZATION_FAILED when asked for.
 */
function describableOffsets(ctx: RequestContext, topics: GroupOffsets, allTopics: boolean): GroupOffsets {
  if (ctx.broker.authorizer === null) return topics;
  const ok = authorizedNames(ctx, Op.DESCRIBE, Res.TOPIC, topics.map((t) => t.name));
  if (allTopics) return topics.filter((t) => ok.has(t.name));
  return topics.map((t) => (ok.has(t.name) ? t : { ...t, partitions: t.partitions.map((p) => ({ ...p, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
}

export const offsetFetchHandler: ApiHandler<OffsetFetchRequest, OffsetFetchResponse> = {
  codec: OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  handle(req: OffsetFetchRequest, ctx: RequestContext): OffsetFetchResponse {
    const g = ctx.broker.groups;
    const v = ctx.apiVersion;
    if (v >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((group) => {
          if (!authorize(ctx, Op.DESCRIBE, Res.GROUP, group.groupId)) return { groupId: group.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          if (!g.coordinates(group.groupId)) return { groupId: group.groupId, topics: [], errorCode: ErrorCode.NOT_COORDINATOR };
          // v9: a KIP-848 member names itself and its epoch (Kafka's validateOffsetFetch).
          const invalid = g.validateOffsetFetch(group.groupId, group.memberId, group.memberEpoch);
          if (invalid !== ErrorCode.NONE) return { groupId: group.groupId, topics: [], errorCode: invalid };
          const topics = describableOffsets(ctx, g.fetchOffsets(group.groupId, group.topics?.map((t) => ({ name: t.name, partitions: t.partitionIndexes })) ?? null, req.requireStable), group.topics === null);
          return { groupId: group.groupId, topics: topics.map((t) => ({ name: t.name, topicId: Buffer.alloc(16), partitions: t.partitions.map(toPartition(v)) })), errorCode: 0 };
        }),
      };
    }
    // Not the coordinator: v2+ answers a top-level error and no partitions; v0-1, which have no
    // top-level error, one per partition asked (Kafka's OffsetFetchRequest.getErrorResponse).
    if (!authorize(ctx, Op.DESCRIBE, Res.GROUP, req.groupId)) return refuseAll(req, v, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (!g.coordinates(req.groupId)) {
      return refuseAll(req, v, ErrorCode.NOT_COORDINATOR);
    }
    const topics = describableOffsets(ctx, g.fetchOffsets(req.groupId, req.topics?.map((t) => ({ name: t.name, partitions: t.partitionIndexes })) ?? null, req.requireStable), req.topics === null);
    return { throttleTimeMs: 0, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map(toPartition(v)) })), errorCode: 0, groups: [] };
  },
};
