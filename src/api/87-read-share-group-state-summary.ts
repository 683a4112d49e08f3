/**
 * ReadShareGroupStateSummary (key 87), version 0: the start offset of share-partitions and the
 * leader epoch that wrote it, from this broker as their share coordinator (KIP-932;
 * share/share-state-store.ts), for DescribeShareGroupOffsets on the group coordinator. Per
 * partition: NOT_COORDINATOR when another broker leads the key's `__share_group_state` partition,
 * start offset -1 when the group has no state for it. An inter-broker API: CLUSTER_ACTION.
 */
import { ErrorCode } from '../protocol/errors.js';
import {
  ReadShareGroupStateSummary,
  type ReadShareGroupStateSummaryRequest,
  type ReadShareGroupStateSummaryResponse,
} from '../protocol/generated/87-read-share-group-state-summary.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const readShareGroupStateSummaryHandler: ApiHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponse> = {
  codec: ReadShareGroupStateSummary,
  minVersion: 0,
  maxVersion: 0,
  handle(req: ReadShareGroupStateSummaryRequest, ctx: RequestContext): ReadShareGroupStateSummaryResponse {
    const allowed = authorizeCluster(ctx, Op.CLUSTER_ACTION);
    return {
      results: req.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const base = { partition: p.partition, errorMessage: null, stateEpoch: 0, leaderEpoch: -1, startOffset: -1n };
          if (!allowed) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
          const r = ctx.broker.shareStates.read({ groupId: req.groupId, topicId: Buffer.from(t.topicId).toString('base64url'), partition: p.partition });
          if (r.errorCode !== ErrorCode.NONE || r.snapshot === null) return { ...base, errorCode: r.errorCode };
          return { ...base, errorCode: ErrorCode.NONE, stateEpoch: r.stateEpoch, leaderEpoch: r.leaderEpoch, startOffset: r.snapshot.startOffset };
        }),
      })),
    };
  },
};
