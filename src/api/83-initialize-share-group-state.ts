/**
 * InitializeShareGroupState (key 83), version 0: the group coordinator sets a share-partition's
 * state at this broker, its share coordinator (KIP-932; share/share-state-store.ts), when
 * AlterShareGroupOffsets gives an empty share group new start offsets: the state starts at the
 * given offset with nothing in flight (-1: no state; the partition leader then starts where
 * share.auto.offset.reset says), at a state epoch above the stored one, so a partition leader still
 * holding the old state is fenced (FENCED_STATE_EPOCH) when it writes and reads the new one. Per
 * partition: NOT_COORDINATOR when another broker leads the key's `__share_group_state` partition,
 * else NONE once durable. An inter-broker API: CLUSTER_ACTION on the cluster.
 */
import {
  InitializeShareGroupState,
  type InitializeShareGroupStateRequest,
  type InitializeShareGroupStateResponse,
} from '../protocol/generated/83-initialize-share-group-state.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { stateResults } from './share-state-common.js';

export const initializeShareGroupStateHandler: ApiHandler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponse> = {
  codec: InitializeShareGroupState,
  minVersion: 0,
  maxVersion: 0,
  handle(req: InitializeShareGroupStateRequest, ctx: RequestContext): Promise<InitializeShareGroupStateResponse> {
    return stateResults(req, ctx, (id, p, timeoutMs) => ctx.broker.shareStates.initialize(id, p.startOffset, p.stateEpoch, timeoutMs));
  },
};
