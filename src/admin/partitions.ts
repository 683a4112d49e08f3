/**
 * GET /partitions: the state of every partition this broker holds a replica of, as the
 * replica layer knows it (replica/partition.ts), one element per partition, topics by name then
 * partitions by index. Offsets are JSON numbers (exact below 2^53).
 *
 *   [{"topic": "t", "partition": 0, "leader": 1, "leaderEpoch": 0, "isr": [1], "replicas": [1],
 *     "logStartOffset": 0, "highWatermark": 3, "lastStableOffset": 3, "logEndOffset": 3,
 *     "sizeBytes": 210, "segments": 1}]
 *
 * `?topic=T` (and `&partition=N`) narrows it. An offline partition (a failed disk write) shows
 * sizeBytes -1.
 */
import { ConfigError } from '../config/config-error.js';
import type { Partition } from '../replica/partition.js';
import type { ReplicaManager } from '../replica/replica-manager.js';

export interface PartitionStateView {
  topic: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
  logStartOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  logEndOffset: number;
  sizeBytes: number;
  segments: number;
}

export function partitionView(p: Partition): PartitionStateView {
  let sizeBytes = -1;
  try {
    sizeBytes = p.sizeBytes();
  } catch {
    // offline: its files are not read
  }
  return {
    topic: p.topic,
    partition: p.index,
    leader: p.leaderId,
    leaderEpoch: p.leaderEpoch,
    isr: [...p.isr],
    replicas: [...p.replicas],
    logStartOffset: Number(p.logStartOffset),
    highWatermark: Number(p.highWatermark),
    lastStableOffset: Number(p.lastStableOffset),
    logEndOffset: Number(p.logEndOffset),
    sizeBytes,
    segments: p.segmentCount,
  };
}

/** Every partition held here (or those of `topic`, or one), sorted by topic and index. */
export function partitionStates(replicas: ReplicaManager, topic?: string, partition?: number): PartitionStateView[] {
  const out: PartitionStateView[] = [];
  for (const p of replicas.allPartitions()) {
    if (topic !== undefined && p.topic !== topic) continue;
    if (partition !== undefined && p.index !== partition) continue;
    out.push(partitionView(p));
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export function partitionsRoute(replicas: ReplicaManager, query: URLSearchParams): PartitionStateView[] {
  const topic = query.get('topic') ?? undefined;
  const partition = query.get('partition');
  return partitionStates(replicas, topic, partition === null ? undefined : intParam('partition', partition, -1));
}

/** A query parameter that must be an integer of at least `min` (ConfigError: 400). */
export function intParam(name: string, text: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer of at least ${min}, got "${text}"`);
  return n;
}
