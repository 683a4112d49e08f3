/**
 * What AlterConfigs and IncrementalAlterConfigs share: resolving a resource (topic 2, broker 4,
 * where a broker is named by this node's id or by '' for cluster-wide defaults) to its current
 * dynamic configs, and turning a controller outcome into a response entry.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { Broker } from '../broker.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

export interface ResolvedResource {
  resource: { type: 'topic' | 'broker'; name: string };
  current: ReadonlyMap<string, string>;
}

export function resolveResource(b: Broker, resourceType: number, resourceName: string): ResolvedResource | { errorCode: number; errorMessage: string } {
  if (resourceType === RESOURCE_TOPIC) {
    const t = b.image.topicsByName.get(resourceName);
    if (!t) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${resourceName}' does not exist.` };
    return { resource: { type: 'topic', name: resourceName }, current: t.configs };
  }
  if (resourceType === RESOURCE_BROKER) {
    if (resourceName !== '' && resourceName !== String(b.nodeId)) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${b.nodeId} or empty string, but received ${resourceName}` };
    }
    return { resource: { type: 'broker', name: resourceName }, current: b.image.brokerConfigs.get(resourceName) ?? new Map() };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${resourceType} cannot be altered; use 2 (topic) or 4 (broker).` };
}

/** Names given twice in one resource make the whole resource fail, as in Kafka. */
export function duplicateNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
}
