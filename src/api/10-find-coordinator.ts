/**
 * FindCoordinator (key 10), versions 0-6; v4+ batches keys (KIP-699). This node coordinates every
 * group. The first lookup creates `__consumer_offsets`, as Kafka does. Transaction coordinators
 * (key type 1) do not exist yet: INVALID_REQUEST says so, so clients fail fast instead of retrying.
 */
import { ErrorCode } from '../protocol/errors.js';
import { FindCoordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../protocol/generated/index.js';
import type { Broker } from '../broker.js';
import type { ApiHandler, RequestContext } from './registry.js';

const KEY_TYPE_GROUP = 0;

function lookup(b: Broker, key: string, keyType: number): { errorCode: number; errorMessage: string | null; nodeId: number; host: string; port: number } {
  const none = { nodeId: -1, host: '', port: -1 };
  if (keyType !== KEY_TYPE_GROUP) {
    return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Coordinator key type ${keyType} is not supported; only consumer groups (0) have a coordinator here.` };
  }
  if (key === '') return { ...none, errorCode: 24 /* INVALID_GROUP_ID */, errorMessage: 'The group id must not be empty.' };
  const problem = b.offsetsTopic.ensure();
  if (problem) return { ...none, errorCode: 15 /* COORDINATOR_NOT_AVAILABLE */, errorMessage: problem };
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort };
}

export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  codec: FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(req: FindCoordinatorRequest, ctx: RequestContext): FindCoordinatorResponse {
    const b = ctx.broker;
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: 0,
        host: '',
        port: 0,
        coordinators: req.coordinatorKeys.map((key) => ({ key, ...lookup(b, key, req.keyType) })),
      };
    }
    return { throttleTimeMs: 0, ...lookup(b, req.key, req.keyType), coordinators: [] };
  },
};
