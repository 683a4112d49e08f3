/**
 * The brokers a client is told about (Metadata, DescribeCluster, FindCoordinator): this node,
 * and every broker registered with the controller, each at its endpoint on the listener the
 * client uses (Kafka answers with the endpoints of the request's listener), fenced ones marked.
 * A broker without an endpoint of that name is left out, as Kafka leaves it out; so is a broker a
 * test hid (`hiddenBrokers`): clients see the same as for a broker whose listener is unknown.
 */
import type { BrokerServices } from './context.js';

export interface ClusterBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  fenced: boolean;
}

export function clusterBrokers(b: BrokerServices, listenerName: string): ClusterBroker[] {
  const out = new Map<number, ClusterBroker>();
  for (const r of b.image.brokers.values()) {
    const ep = r.endpoints.find((e) => e.name === listenerName);
    if (ep) out.set(r.brokerId, { nodeId: r.brokerId, host: ep.host, port: ep.port, rack: r.rack, fenced: r.fenced });
  }
  // This node answers at the address it actually listens on (a port chosen at start included).
  const self = out.get(b.nodeId);
  const own = b.advertisedEndpoint(listenerName);
  if (own) out.set(b.nodeId, { nodeId: b.nodeId, host: own.host, port: own.port, rack: self?.rack ?? (b.config.get('broker.rack') || null), fenced: self?.fenced ?? false });
  for (const id of b.hiddenBrokers ?? []) out.delete(id);
  return [...out.values()].sort((x, y) => x.nodeId - y.nodeId);
}

/**
 * The controller id a client is told: this node, which answers admin requests itself (Kafka names
 * a live broker too); another listed broker when a test hid this one, -1 when none is left.
 */
export function shownControllerId(b: BrokerServices, listed: readonly { nodeId: number }[]): number {
  if (!(b.hiddenBrokers?.has(b.nodeId) ?? false)) return b.nodeId;
  return listed[0]?.nodeId ?? -1;
}

/** The partition's leader and epoch as this broker knows them (Kafka's getCurrentLeader); -1s when unknown. */
export function currentLeader(b: BrokerServices, topic: string, partition: number): { leaderId: number; leaderEpoch: number } {
  const local = b.replicas.getPartition(topic, partition);
  if (local) return { leaderId: local.leaderId, leaderEpoch: local.leaderEpoch };
  const known = b.image.topicsByName.get(topic)?.partitions.find((p) => p.partition === partition);
  return known ? { leaderId: known.leader, leaderEpoch: known.leaderEpoch } : { leaderId: -1, leaderEpoch: -1 };
}

/** KIP-951: the endpoints of these brokers on the request's listener, when registered and not fenced. */
export function leaderEndpoints(b: BrokerServices, listenerName: string, ids: ReadonlySet<number>): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  if (ids.size === 0) return [];
  return clusterBrokers(b, listenerName)
    .filter((x) => ids.has(x.nodeId) && !x.fenced)
    .map((x) => ({ nodeId: x.nodeId, host: x.host, port: x.port, rack: x.rack }));
}
