/**
 * WriteShareGroupState (key 85), version 0: a partition leader on another broker writes the state
 * of a share-partition (its start offset and state batches) to this broker, its share coordinator
 * (KIP-932; share/share-state-store.ts). Per partition: NOT_COORDINATOR when another broker leads
 * the key's `__share_group_state` partition, FENCED_STATE_EPOCH for a state deleted since the
 * writer read it, FENCED_LEADER_EPOCH for a leader older than the last writer, else NONE once the
 * snapshot is on every in-sync replica. An inter-broker API:
 * CLUSTER_ACTION on the cluster.
 */
import { WriteShareGroupState, type WriteShareGroupStateRequest, type WriteShareGroupStateResponse } from '../protocol/generated/85-write-share-group-state.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { stateResults } from './share-state-common.js';

export const writeShareGroupStateHandler: ApiHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponse> = {
  codec: WriteShareGroupState,
  minVersion: 0,
  maxVersion: 0,
  handle(req: WriteShareGroupStateRequest, ctx: RequestContext): Promise<WriteShareGroupStateResponse> {
    return stateResults(req, ctx, (id, p, timeoutMs) =>
      ctx.broker.shareStates.write(id, { startOffset: p.startOffset, batches: p.stateBatches.map((b) => ({ ...b })) }, p.leaderEpoch, p.stateEpoch, timeoutMs),
    );
  },
};
