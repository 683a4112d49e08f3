/**
 * Helpers the data-path and admin scenarios share: create a topic and wait until its leader
 * answers, produce a batch, read back offsets and keys, run a transaction by hand. Everything goes
 * through the Target with raw requests, so both brokers see exactly the same bytes.
 */
import type { Target } from '../framework.js';
import {
  AddPartitionsToTxn,
  CreateTopics,
  EndTxn,
  FindCoordinator,
  InitProducerId,
  ListOffsets,
  Metadata,
  Produce,
  type FetchResponsePartitionData,
  type ProduceResponsePartitionProduceResponse,
} from '../../../src/protocol/generated/index.js';
import { buildRecordBatch, decodeRecords, splitBatches, type BuildOptions } from '../../../src/log/record-batch.js';

/** One base time for every batch of a run, shared by both brokers (set when the module loads). */
export const BASE_TS = BigInt(Date.now() - 60_000);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads until `done` holds or `ms` pass, then returns the last read: for what a broker applies a
 * moment after it answered (Kafka's brokers apply the controller's records asynchronously). When
 * it never holds, the comparison shows what was read.
 */
export async function settled<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The node id of the (only) broker, for manual replica assignments. */
export async function nodeId(t: Target): Promise<number> {
  const md = await t.request(Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.brokers[0]!.nodeId;
}

/** Waits until every partition of `topic` has a leader that answers ListOffsets. */
export async function waitReady(t: Target, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const md = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const tp = md.topics[0];
    if (tp && tp.errorCode === 0 && tp.partitions.length === partitions && tp.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0)) {
      const lo = await t.request(ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 1000,
        topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
      });
      if (lo.topics[0]!.partitions.every((p) => p.errorCode === 0)) return;
    }
    await sleep(50);
  }
  throw new Error(`topic ${topic} not ready`);
}

/** Creates a topic (CreateTopics v7) and waits for it; returns the error name's code. */
export async function createTopic(t: Target, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<number> {
  const res = await t.request(CreateTopics, 7, {
    timeoutMs: 10_000,
    validateOnly: false,
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
  });
  const code = res.topics[0]!.errorCode;
  if (code === 0) await waitReady(t, name, partitions);
  return code;
}

/** `n` records keyed `<prefix>0..n-1`, timestamps (opts.timestampMs ?? BASE_TS) + i, as one uncompressed batch. */
export function batch(n: number, prefix = 'k', opts: BuildOptions = {}, valueBytes = 8): Buffer {
  const base = opts.timestampMs ?? BASE_TS;
  const records = Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`${prefix}${i}`), value: Buffer.alloc(valueBytes, 0x61 + (i % 26)), timestamp: base + BigInt(i) }));
  return buildRecordBatch(records, { ...opts, timestampMs: base });
}

/** One Produce to one partition; the partition's response. */
export async function produce(t: Target, topic: string, partition: number, records: Buffer | null, opts: { version?: number; acks?: number; transactionalId?: string | null } = {}): Promise<ProduceResponsePartitionProduceResponse> {
  const res = await t.request(Produce, opts.version ?? 9, {
    transactionalId: opts.transactionalId ?? null,
    acks: opts.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: partition, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

/**
 * The offsets and keys of the records in a fetched partition (control records marked), as a
 * client reads them. A truncated last batch (Kafka cuts at max_bytes, not at a batch boundary) is
 * dropped, as clients drop it, and noted as `partial`.
 */
export function fetched(p: FetchResponsePartitionData): string[] {
  if (!p.records || p.records.length === 0) return [];
  const out: string[] = [];
  let whole = p.records.length;
  for (let pos = 0; pos < p.records.length; ) {
    const size = p.records.length - pos >= 12 ? 12 + p.records.readInt32BE(pos + 8) : Infinity;
    if (pos + size > p.records.length) {
      whole = pos;
      break;
    }
    pos += size;
  }
  for (const b of splitBatches(p.records.subarray(0, whole))) {
    const control = (b.readInt16BE(21) & 0x20) !== 0;
    for (const r of decodeRecords(b)) out.push(`${r.offset}:${control ? 'control' : (r.key?.toString() ?? 'null')}`);
  }
  if (whole < p.records.length) out.push('partial');
  return out;
}

/** ListOffsets for one partition at `timestamp`; [error, offset]. */
export async function listOffset(t: Target, topic: string, partition: number, timestamp: bigint, opts: { version?: number; isolationLevel?: number } = {}): Promise<{ errorCode: number; offset: bigint }> {
  const res = await t.request(ListOffsets, opts.version ?? 7, {
    replicaId: -1,
    isolationLevel: opts.isolationLevel ?? 0,
    timeoutMs: 1000,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
  });
  const p = res.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: p.offset };
}

export interface Txn {
  id: string;
  producerId: bigint;
  producerEpoch: number;
}

/** InitProducerId for a transactional id, retried while the coordinator loads. */
export async function beginTxn(t: Target, id: string): Promise<Txn> {
  const deadline = Date.now() + 30_000;
  // Kafka creates __transaction_state on the first FindCoordinator and loads it; wait for that.
  for (;;) {
    const fc = await t.request(FindCoordinator, 3, { key: id, keyType: 1, coordinatorKeys: [] });
    if (fc.errorCode === 0) break;
    if (Date.now() > deadline) throw new Error(`FindCoordinator error ${fc.errorCode}`);
    await sleep(200);
  }
  for (;;) {
    const r = await t.request(InitProducerId, 1, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
    if (r.errorCode === 0) return { id, producerId: r.producerId, producerEpoch: r.producerEpoch };
    if (Date.now() > deadline) throw new Error(`InitProducerId error ${r.errorCode}`);
    await sleep(200);
  }
}

/** Adds a partition to the transaction (AddPartitionsToTxn v1), retried while CONCURRENT_TRANSACTIONS. */
export async function addPartition(t: Target, txn: Txn, topic: string, partition: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await t.request(AddPartitionsToTxn, 1, {
      transactions: [],
      v3AndBelowTransactionalId: txn.id,
      v3AndBelowProducerId: txn.producerId,
      v3AndBelowProducerEpoch: txn.producerEpoch,
      v3AndBelowTopics: [{ name: topic, partitions: [partition] }],
    });
    const code = r.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode;
    if (code === 0) return;
    if (Date.now() > deadline) throw new Error(`AddPartitionsToTxn error ${code}`);
    await sleep(100);
  }
}

/** Produces `n` transactional records at sequence `seq`. */
export async function produceTxn(t: Target, txn: Txn, topic: string, partition: number, n: number, seq: number, prefix: string): Promise<ProduceResponsePartitionProduceResponse> {
  return produce(t, topic, partition, batch(n, prefix, { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: seq, isTransactional: true }), { transactionalId: txn.id });
}

/** EndTxn v1, retried while CONCURRENT_TRANSACTIONS. */
export async function endTxn(t: Target, txn: Txn, commit: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await t.request(EndTxn, 1, { transactionalId: txn.id, producerId: txn.producerId, producerEpoch: txn.producerEpoch, committed: commit });
    if (r.errorCode === 0) return;
    if (Date.now() > deadline) throw new Error(`EndTxn error ${r.errorCode}`);
    await sleep(100);
  }
}

/** A copy of `v` without its `errorMessage` fields (compared apart: Sluice explains errors Kafka leaves null). */
export function withoutMessages(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutMessages);
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (k !== 'errorMessage') out[k] = withoutMessages(x);
    return out;
  }
  return v;
}

/**
 * Waits until no transaction is open on the partition (last stable offset = high watermark):
 * Kafka answers EndTxn before it writes the markers.
 */
export async function waitStable(t: Target, topic: string, partition: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const committed = await listOffset(t, topic, partition, -1n, { version: 2, isolationLevel: 1 });
    const uncommitted = await listOffset(t, topic, partition, -1n, { version: 2, isolationLevel: 0 });
    if (committed.offset === uncommitted.offset) return;
    await sleep(50);
  }
  throw new Error(`${topic}-${partition} still has an open transaction`);
}
