/**
 * What AlterConfigs and IncrementalAlterConfigs share: resolving a resource (topic 2, broker 4,
 * where a broker is named by this node's id or by '' for cluster-wide defaults) to its current
 * dynamic configs, and turning a controller outcome into a response entry.
 *
 * Which broker ids a broker resource may name: a client listener takes this node's id only (Kafka's
 * ConfigAdminManager.preprocess; admin clients send a broker's configs to that broker), and a
 * broker-only node checks so before it forwards (forwarding.ts). The controller listener takes any
 * broker id: what reaches it was checked by the broker that forwarded it.
 */
import { ErrorCode } from '../protocol/errors.js';
import { authorize, authorizeCluster, Op, Res } from './authorize.js';
import type { RequestContext } from './registry.js';
import type { BrokerServices } from './context.js';
import type { ConfigResourceKind } from '../metadata/records.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
/** A client metrics subscription (KIP-714): config/client-metrics.ts. */
export const RESOURCE_CLIENT_METRICS = 16;
const RESOURCE_BROKER_LOGGER = 8;
export const RESOURCE_GROUP = 32;

export interface ResolvedResource {
  resource: { type: ConfigResourceKind; name: string };
  current: ReadonlyMap<string, string>;
}

/** Which broker resources a listener's handlers accept (see the top of this file). */
export type BrokerIdCheck = 'this-node' | 'any';

/** The refusal of a broker resource that names another broker; null when it names this one or ''. */
export function otherBrokerRefusal(nodeId: number, resourceType: number, resourceName: string): { errorCode: number; errorMessage: string } | null {
  if (resourceType !== RESOURCE_BROKER || resourceName === '' || resourceName === String(nodeId)) return null;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${nodeId} or empty string, but received ${resourceName}` };
}

/**
 * Issue 13: a config resource needs `operation` (DESCRIBE_CONFIGS or ALTER_CONFIGS) on itself: on
 * the cluster for a broker resource (CLUSTER_AUTHORIZATION_FAILED), on the topic
 * (TOPIC_AUTHORIZATION_FAILED) or the group (GROUP_AUTHORIZATION_FAILED). Null when allowed.
 */
export function configAuthorizationError(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): { errorCode: number; errorMessage: string } | null {
  if (ctx.broker.authorizer === null) return null;
  if (resourceType === RESOURCE_BROKER || resourceType === RESOURCE_BROKER_LOGGER || resourceType === RESOURCE_CLIENT_METRICS) {
    return authorizeCluster(ctx, operation) ? null : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
  }
  if (resourceType === RESOURCE_TOPIC) {
    return authorize(ctx, operation, Res.TOPIC, resourceName) ? null : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Topic authorization failed.' };
  }
  if (resourceType === RESOURCE_GROUP) {
    return authorize(ctx, operation, Res.GROUP, resourceName) ? null : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'Group authorization failed.' };
  }
  return null;
}

export function resolveResource(b: BrokerServices, resourceType: number, resourceName: string, brokerIds: BrokerIdCheck = 'this-node'): ResolvedResource | { errorCode: number; errorMessage: string } {
  if (resourceType === RESOURCE_TOPIC) {
    const t = b.image.topicsByName.get(resourceName);
    if (!t) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${resourceName}' does not exist.` };
    return { resource: { type: 'topic', name: resourceName }, current: t.configs };
  }
  if (resourceType === RESOURCE_BROKER) {
    const refusal = brokerIds === 'this-node' ? otherBrokerRefusal(b.nodeId, resourceType, resourceName) : null;
    if (refusal) return refusal;
    if (brokerIds === 'any' && resourceName !== '' && !/^\d+$/.test(resourceName)) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker resource name ${resourceName} is not a broker id.` };
    }
    return { resource: { type: 'broker', name: resourceName }, current: b.image.brokerConfigs.get(resourceName) ?? new Map() };
  }
  if (resourceType === RESOURCE_CLIENT_METRICS) {
    return { resource: { type: 'client-metrics', name: resourceName }, current: b.image.clientMetricsConfigs.get(resourceName) ?? new Map() };
  }
  if (resourceType === RESOURCE_GROUP) {
    if (resourceName === '') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name must not be empty.' };
    return { resource: { type: 'group', name: resourceName }, current: b.image.groupConfigs.get(resourceName) ?? new Map() };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${resourceType} cannot be altered; use 2 (topic), 4 (broker), 16 (client metrics) or 32 (group).` };
}

interface AlterResource<C extends { name: string }> {
  resourceType: number;
  resourceName: string;
  configs: C[];
}

/**
 * The loop both handlers run: per resource, refuse duplicate names (INVALID_REQUEST), resolve
 * it, let `target` compute the full new set of dynamic configs (or an INVALID_CONFIG message),
 * and hand that to the controller.
 */
export function alterResources<C extends { name: string }>(
  b: BrokerServices,
  resources: ReadonlyArray<AlterResource<C>>,
  validateOnly: boolean,
  target: (resolved: ResolvedResource, configs: readonly C[]) => Map<string, string> | string,
  brokerIds: BrokerIdCheck = 'this-node',
  ctx: RequestContext | null = null,
): Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }> {
  return resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const dup = duplicateNames(r.configs.map((c) => c.name));
    if (dup.length > 0) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Error due to duplicate config keys: ${dup.join(', ')}` };
    const denied = ctx === null ? null : configAuthorizationError(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
    if (denied) return { ...base, ...denied };
    const resolved = resolveResource(b, r.resourceType, r.resourceName, brokerIds);
    if ('errorCode' in resolved) return { ...base, ...resolved };
    const next = target(resolved, r.configs);
    if (typeof next === 'string') return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: next };
    const out = b.controller.alterConfigs(resolved.resource, next, validateOnly);
    return { ...base, errorCode: out.errorCode, errorMessage: out.errorMessage };
  });
}

/** Names given twice in one resource make the whole resource fail, as in Kafka. */
export function duplicateNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
}
