/**
 * DeleteShareGroupState (key 86), version 0: a deleted share group's share-partition state is
 * deleted at this broker, their share coordinator (KIP-932; share/share-state-store.ts): gone,
 * with the state epoch bumped so that a partition leader still holding the old state is fenced
 * (FENCED_STATE_EPOCH) when it writes. Per partition: NOT_COORDINATOR when another broker leads
 * the key's `__share_group_state` partition, else NONE once durable. An inter-broker API:
 * CLUSTER_ACTION on the cluster.
 */
import { ErrorCode } from '../protocol/errors.js';
import { DeleteShareGroupState, type DeleteShareGroupStateRequest, type DeleteShareGroupStateResponse } from '../protocol/generated/86-delete-share-group-state.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const deleteShareGroupStateHandler: ApiHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse> = {
  codec: DeleteShareGroupState,
  minVersion: 0,
  maxVersion: 0,
  async handle(req: DeleteShareGroupStateRequest, ctx: RequestContext): Promise<DeleteShareGroupStateResponse> {
    const allowed = authorizeCluster(ctx, Op.CLUSTER_ACTION);
    const timeoutMs = Number(ctx.broker.config.get('offsets.commit.timeout.ms'));
    const results = await Promise.all(
      req.topics.map(async (t) => ({
        topicId: t.topicId,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            if (!allowed) return { partition: p.partition, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
            const id = { groupId: req.groupId, topicId: Buffer.from(t.topicId).toString('base64url'), partition: p.partition };
            return { partition: p.partition, errorCode: await ctx.broker.shareStates.delete(id, timeoutMs), errorMessage: null };
          }),
        ),
      })),
    );
    return { results };
  },
};
