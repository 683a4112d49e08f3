/**
 * The few admin requests bench/cluster.ts sends to a cluster (Sluice's or Apache Kafka's), with the
 * project's own codecs over raw connections: topics created with explicit replica assignments, so
 * both clusters get the same layout; the partition state as each broker sees it (leader, ISR); end
 * offsets asked of each partition's leader; a preferred-leader election. A connection per call,
 * to whichever node is asked: a few per case, so their cost does not matter.
 */
import { ApiVersions, ElectLeaders, ListOffsets, Metadata, type MetadataResponse } from '../src/protocol/generated/index.js';
import { ZERO_UUID } from '../src/protocol/wire.js';
import { createTopicAs, withClient } from './common.js';

/** A broker of a cluster, as the bench sees it. */
export interface NodeRef {
  readonly nodeId: number;
  readonly port: number;
  readonly running: boolean;
}

/** Metadata versions above 12 are not in our codec's range for every broker; both clusters answer 12. */
const METADATA_VERSION_MAX = 12;

/** The Metadata version to use with a broker: the highest both it and our codec have, capped at 12. */
export async function metadataVersionFor(port: number): Promise<number> {
  return withClient(port, async (c) => {
    const av = await c.request(ApiVersions, 0, { clientSoftwareName: 'sluice-bench', clientSoftwareVersion: '0' });
    const range = av.apiKeys.find((k) => k.apiKey === Metadata.apiKey);
    if (!range) throw new Error(`the broker on ${port} does not offer Metadata`);
    return Math.min(range.maxVersion, Metadata.maxVersion, METADATA_VERSION_MAX);
  });
}

export function metadata(port: number, version: number, topics: readonly string[]): Promise<MetadataResponse> {
  return withClient(port, (c) =>
    c.request(Metadata, version, {
      topics: topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }),
  );
}

/**
 * Creates `name` with the replica lists of `assignment` (partition i on assignment[i], the first
 * broker of each list its preferred leader) and the topic configs given.
 */
export async function createAssignedTopic(port: number, name: string, assignment: readonly (readonly number[])[], configs: Readonly<Record<string, string>> = {}): Promise<void> {
  await createTopicAs(port, {
    name,
    numPartitions: -1,
    replicationFactor: -1,
    assignments: assignment.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds: [...brokerIds] })),
    configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })),
  });
}

/** One partition as one broker sees it. */
export interface PartitionView {
  leader: number;
  replicas: number[];
  isr: number[];
}

/** The partitions of `topic` as the broker on `port` sees them (null if it does not know the topic yet). */
export async function partitionsSeenBy(port: number, version: number, topic: string): Promise<PartitionView[] | null> {
  const md = await metadata(port, version, [topic]);
  const t = md.topics.find((x) => x.name === topic);
  if (!t || t.errorCode !== 0) return null;
  const out: PartitionView[] = [];
  for (const p of t.partitions) out[p.partitionIndex] = { leader: p.errorCode === 0 ? p.leaderId : -1, replicas: p.replicaNodes, isr: p.isrNodes };
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every running node reports each of the topic's `partitions` partitions with a leader
 * and its whole replica list in the ISR, and all agree on the leaders; returns them (partition
 * order). The clock of a measured run starts only after this, so no client meets a partition
 * without a leader or a follower still catching up.
 */
export async function waitForFullIsr(nodes: readonly NodeRef[], version: number, topic: string, partitions: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      let leaders: number[] | null = null;
      let ok = true;
      for (const n of nodes.filter((x) => x.running)) {
        const ps = await partitionsSeenBy(n.port, version, topic);
        const full = ps !== null && ps.length === partitions && ps.every((p) => p && p.leader >= 0 && p.isr.length === p.replicas.length);
        const these = full ? ps.map((p) => p.leader) : null;
        if (!these || (leaders !== null && these.join() !== leaders.join())) {
          ok = false;
          last = `node ${n.nodeId} sees ${JSON.stringify(ps)}`;
          break;
        }
        leaders = these;
      }
      if (ok && leaders) return leaders;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`${topic}: no full ISR on every node within ${timeoutMs} ms (${last})`);
}

/** The end offset of each partition, asked of its leader (ListOffsets v5), in partition order. */
export async function clusterEndOffsets(nodes: readonly NodeRef[], leaders: readonly number[], topic: string): Promise<bigint[]> {
  const out: bigint[] = new Array<bigint>(leaders.length).fill(-1n);
  const byLeader = new Map<number, number[]>();
  leaders.forEach((l, p) => byLeader.set(l, [...(byLeader.get(l) ?? []), p]));
  for (const [leader, parts] of byLeader) {
    const node = nodes.find((n) => n.nodeId === leader);
    if (!node) throw new Error(`${topic}: leader ${leader} is not a node of the cluster`);
    const res = await withClient(node.port, (c) =>
      c.request(ListOffsets, 5, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: parts.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
        timeoutMs: 0,
      }),
    );
    for (const p of res.topics[0]?.partitions ?? []) {
      if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${p.partitionIndex} on node ${leader}: error ${p.errorCode}`);
      out[p.partitionIndex] = p.offset;
    }
  }
  if (out.includes(-1n)) throw new Error(`ListOffsets ${topic}: not every partition answered`);
  return out;
}

/** Asks for a preferred-leader election of the topic's partition 0 (ElectLeaders v2, type preferred). */
export async function electPreferred(port: number, topic: string): Promise<void> {
  await withClient(port, (c) => c.request(ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 5000 }));
}
