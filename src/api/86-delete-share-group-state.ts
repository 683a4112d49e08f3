/**
 * DeleteShareGroupState (key 86), version 0: a deleted share group's share-partition state is
 * deleted at this broker, their share coordinator (KIP-932; share/share-state-store.ts), as are a
 * share group's offsets for a topic (DeleteShareGroupOffsets): gone,
 * with the state epoch bumped so that a partition leader still holding the old state is fenced
 * (FENCED_STATE_EPOCH) when it writes. Per partition: NOT_COORDINATOR when another broker leads
 * the key's `__share_group_state` partition, else NONE once durable. An inter-broker API:
 * CLUSTER_ACTION on the cluster.
 */
import { DeleteShareGroupState, type DeleteShareGroupStateRequest, type DeleteShareGroupStateResponse } from '../protocol/generated/86-delete-share-group-state.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { stateResults } from './share-state-common.js';

export const deleteShareGroupStateHandler: ApiHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse> = {
  codec: DeleteShareGroupState,
  minVersion: 0,
  maxVersion: 0,
  handle(req: DeleteShareGroupStateRequest, ctx: RequestContext): Promise<DeleteShareGroupStateResponse> {
    return stateResults(req, ctx, (id, _p, timeoutMs) => ctx.broker.shareStates.delete(id, timeoutMs));
  },
};
