/**
 * FindCoordinator (key 10), versions 0-6; v4+ batches keys (KIP-699). The coordinator of a group
 * (key type 0) or transactional id (key type 1) is the leader of its partition of
 * `__consumer_offsets` or `__transaction_state` (on one node, this node); none while that
 * partition has no live leader (COORDINATOR_NOT_AVAILABLE, retriable). The first lookup of each kind
 * creates `__consumer_offsets` or `__transaction_state`, as Kafka does. Share groups (type 2) are
 * not served: INVALID_REQUEST.
 */
import { ErrorCode } from '../protocol/errors.js';
import { FindCoordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../protocol/generated/10-find-coordinator.js';
import { OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../metadata/internal-topic.js';
import { clusterBrokers } from './cluster-brokers.js';
import type { BrokerServices } from './context.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

function lookup(b: BrokerServices, listenerName: string, key: string, keyType: number): { errorCode: number; errorMessage: string | null; nodeId: number; host: string; port: number } {
  const none = { nodeId: -1, host: '', port: -1 };
  if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) {
    return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Coordinator key type ${keyType} is not supported; groups (0) and transactions (1) are.` };
  }
  const store = keyType === KEY_TYPE_GROUP ? b.offsetsTopic : b.transactionsTopic;
  const problem = store.ensure();
  if (problem) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: problem };
  // The coordinator is the leader of the key's partition of the internal topic (any key, the
  // empty group id of old clients included, maps to one), at its endpoint of this listener.
  const topic = b.image.topicsByName.get(keyType === KEY_TYPE_GROUP ? OFFSETS_TOPIC : TRANSACTION_STATE_TOPIC);
  const leader = topic?.partitions[store.partitionFor(key)]?.leader ?? -1;
  const at = clusterBrokers(b, listenerName).find((x) => x.nodeId === leader && !x.fenced);
  if (!at) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
  // Kafka answers success with the error's own text ("NONE").
  return { errorCode: ErrorCode.NONE, errorMessage: 'NONE', nodeId: at.nodeId, host: at.host, port: at.port };
}

/** Issue 13: DESCRIBE on the group, or on the transactional id (Kafka's getCoordinator). */
function authorizedLookup(ctx: RequestContext, key: string, keyType: number): ReturnType<typeof lookup> {
  const none = { nodeId: -1, host: '', port: -1 };
  if (keyType === KEY_TYPE_GROUP && !authorize(ctx, Op.DESCRIBE, Res.GROUP, key)) {
    return { ...none, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'Group authorization failed.' };
  }
  if (keyType === KEY_TYPE_TRANSACTION && !authorize(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, key)) {
    return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: 'Transactional Id authorization failed.' };
  }
  return lookup(ctx.broker, ctx.session.listenerName, key, keyType);
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
        coordinators: req.coordinatorKeys.map((key) => ({ key, ...authorizedLookup(ctx, key, req.keyType) })),
      };
    }
    return { throttleTimeMs: 0, ...authorizedLookup(ctx, req.key, req.keyType), coordinators: [] };
  },
};
