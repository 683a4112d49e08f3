/**
 * WriteShareGroupState (key 85), version 0: a partition leader on another broker writes the state
 * of a share-partition (its start offset and state batches) to this broker, its share coordinator
 * (KIP-932; share/share-state-store.ts). Per partition: NOT_COORDINATOR when another broker leads
 * the key's `__share_group_state` partition, FENCED_STATE_EPOCH for a state deleted since the
 * writer read it, FENCED_LEADER_EPOCH for a leader older than the last writer, else NONE once the
 * snapshot is on every in-sync replica. An inter-broker API:
 * CLUSTER_ACTION on the cluster.
 */
import { ErrorCode } from '../protocol/errors.js';
import { WriteShareGroupState, type WriteShareGroupStateRequest, type WriteShareGroupStateResponse } from '../protocol/generated/85-write-share-group-state.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const writeShareGroupStateHandler: ApiHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponse> = {
  codec: WriteShareGroupState,
  minVersion: 0,
  maxVersion: 0,
  handle(req: WriteShareGroupStateRequest, ctx: RequestContext): WriteShareGroupStateResponse | Promise<WriteShareGroupStateResponse> {
    const allowed = authorizeCluster(ctx, Op.CLUSTER_ACTION);
    const timeoutMs = Number(ctx.broker.config.get('offsets.commit.timeout.ms'));
    const topics = req.topics.map((t) => ({
      topicId: t.topicId,
      partitions: t.partitions.map((p) => {
        if (!allowed) return Promise.resolve({ partition: p.partition, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });
        const id = { groupId: req.groupId, topicId: Buffer.from(t.topicId).toString('base64url'), partition: p.partition };
        const snapshot = { startOffset: p.startOffset, batches: p.stateBatches.map((b) => ({ ...b })) };
        return Promise.resolve(ctx.broker.shareStates.write(id, snapshot, p.leaderEpoch, p.stateEpoch, timeoutMs)).then((errorCode) => ({ partition: p.partition, errorCode, errorMessage: null }));
      }),
    }));
    return Promise.all(topics.map(async (t) => ({ topicId: t.topicId, partitions: await Promise.all(t.partitions) }))).then((results) => ({ results }));
  },
};
