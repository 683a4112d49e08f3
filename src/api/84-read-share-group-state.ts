/**
 * ReadShareGroupState (key 84), version 0: a partition leader on another broker reads the state
 * of its share-partitions from this broker, their share coordinator (KIP-932; share/share-state-store.ts).
 * Per partition: NOT_COORDINATOR when another broker leads the key's `__share_group_state`
 * partition, else the start offset and state batches, or start offset -1 when the group has no
 * state for the partition yet. An inter-broker API: CLUSTER_ACTION on the cluster.
 */
import { ErrorCode } from '../protocol/errors.js';
import { ReadShareGroupState, type ReadShareGroupStateRequest, type ReadShareGroupStateResponse } from '../protocol/generated/84-read-share-group-state.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const readShareGroupStateHandler: ApiHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponse> = {
  codec: ReadShareGroupState,
  minVersion: 0,
  maxVersion: 0,
  handle(req: ReadShareGroupStateRequest, ctx: RequestContext): ReadShareGroupStateResponse {
    const allowed = authorizeCluster(ctx, Op.CLUSTER_ACTION);
    return {
      results: req.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const base = { partition: p.partition, errorMessage: null, stateEpoch: 0, startOffset: -1n, stateBatches: [] };
          if (!allowed) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
          const r = ctx.broker.shareStates.read({ groupId: req.groupId, topicId: Buffer.from(t.topicId).toString('base64url'), partition: p.partition });
          if (r.errorCode !== ErrorCode.NONE) return { ...base, errorCode: r.errorCode };
          if (r.snapshot === null) return { ...base, errorCode: ErrorCode.NONE, stateEpoch: r.stateEpoch };
          return { ...base, errorCode: ErrorCode.NONE, stateEpoch: r.stateEpoch, startOffset: r.snapshot.startOffset, stateBatches: r.snapshot.batches };
        }),
      })),
    };
  },
};
