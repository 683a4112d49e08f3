/**
 * OffsetDelete (key 47), version 0 (KIP-496). Deletes committed offsets of a group: allowed for an
 * empty group, and for a consumer group only on topics it is not subscribed to
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise).
 */
import { OffsetDelete, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../protocol/generated/47-offset-delete.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  codec: OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle(req: OffsetDeleteRequest, ctx: RequestContext): OffsetDeleteResponse {
    const res = ctx.broker.groups.deleteOffsets(req.groupId, req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })));
    if (res.errorCode !== 0) return { errorCode: res.errorCode, throttleTimeMs: 0, topics: [] };
    return {
      errorCode: 0,
      throttleTimeMs: 0,
      topics: req.topics.map((t, i) => ({ name: t.name, partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: res.codes[i]![j]! })) })),
    };
  },
};
