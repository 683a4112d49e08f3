/**
 * What every torture phase shares: a seeded PRNG, a probe that a healthy client is still served
 * (produce, then fetch what it produced), the broker's RSS, and the end-of-run check that every
 * stored record decodes: a malformed record that got in would wedge consumers.
 */
import { readFileSync } from 'node:fs';
import { decompress } from '../../src/log/compression.js';
import { ATTR_COMPRESSION_MASK } from '../../src/native/batch.js';
import { BatchField, buildRecordBatch, Compression, decodeRecords, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, splitBatches } from '../../src/log/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CreateTopics, Fetch, ListOffsets, Metadata, Produce } from '../../src/protocol/generated/index.js';
import { fetchRequest, RawClient } from '../raw-client.js';
import { seededRandom } from '../../src/control/random.js';

/** A seeded generator (mulberry32): a failure replays from its seed. */
export const prng = seededRandom;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set size of a process in MiB, from /proc; 0 when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ZERO_UUID = Buffer.alloc(16);

/**
 * A client that is not part of the attack: every call produces one record to its own topic on a
 * fresh connection and reads it back. Returns null when served correctly, else what went wrong.
 */
export async function probe(port: number, topic: string, n: number, timeoutMs = 10_000): Promise<string | null> {
  let c: RawClient | null = null;
  const timer = sleep(timeoutMs).then(() => 'timed out');
  const work = (async (): Promise<string | null> => {
    c = await RawClient.connect(port);
    const created = await c.request(CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const code = created.topics[0]!.errorCode;
    if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) return `CreateTopics ${code}`;
    const value = Buffer.from(`probe-${n}`);
    const res = await c.request(Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value, timestamp: BigInt(Date.now()) }]) }] }],
    });
    const p = res.responses[0]!.partitionResponses[0]!;
    if (p.errorCode !== ErrorCode.NONE) return `Produce ${p.errorCode} ${p.errorMessage ?? ''}`;
    const f = await c.request(Fetch, 12, fetchRequest(topic, 0, p.baseOffset));
    const part = f.responses[0]?.partitions[0];
    if (!part || part.errorCode !== ErrorCode.NONE || !part.records) return `Fetch ${part?.errorCode}`;
    const got = splitBatches(part.records).flatMap((b) => decodeRecords(b)).find((r) => r.offset === p.baseOffset);
    return got?.value?.equals(value) ? null : 'the record read back differs';
  })().catch((e: Error) => e.message);
  try {
    return await Promise.race([work, timer]);
  } finally {
    (c as RawClient | null)?.close();
  }
}

export interface DecodeCheck {
  partitions: number;
  batches: number;
  records: number;
  /** Batches in a codec this process cannot decompress (their records are not checked). */
  undecodable: number;
  /** Partitions with a batch that does not decode, or that a fetch could not read. */
  problems: string[];
}

/**
 * Reads every partition of every topic from its log start to its high watermark and decodes every
 * record of every batch, as a consumer would. Compressed batches whose codec this process cannot
 * decode are counted as batches only.
 */
export async function decodeEverything(port: number, recordsMax = 5_000_000): Promise<DecodeCheck> {
  const c = await RawClient.connect(port);
  const out: DecodeCheck = { partitions: 0, batches: 0, records: 0, undecodable: 0, problems: [] };
  try {
    const md = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    for (const t of md.topics) {
      for (const p of t.partitions) {
        out.partitions++;
        const problem = await decodePartition(c, t.name!, p.partitionIndex, out, recordsMax);
        if (problem) out.problems.push(`${t.name}-${p.partitionIndex}: ${problem}`);
      }
    }
  } finally {
    c.close();
  }
  return out;
}

const ATTR_CONTROL = 0x20;

/**
 * The records of a batch as a consumer decodes them: every record, its headers, nothing left over,
 * as many as the header says. A compressed batch is decompressed and its records checked the same
 * way; null for a codec this process cannot decompress.
 */
export function decodeAnyBatch(batch: Buffer): number | null {
  const codec = batch.readInt16BE(BatchField.attributes) & ATTR_COMPRESSION_MASK;
  const count = batch.readInt32BE(BatchField.recordsCount);
  let plain = batch;
  if (codec !== Compression.none) {
    const size = LOG_OVERHEAD + batch.readInt32BE(BatchField.batchLength);
    const section = decompress(codec, batch.subarray(RECORD_BATCH_OVERHEAD, size), 256 << 20);
    if (section === null) return null;
    plain = Buffer.concat([batch.subarray(0, RECORD_BATCH_OVERHEAD), section]);
    plain.writeInt32BE(plain.length - LOG_OVERHEAD, BatchField.batchLength);
    plain.writeInt16BE(batch.readInt16BE(BatchField.attributes) & ~ATTR_COMPRESSION_MASK, BatchField.attributes);
  }
  const records = decodeRecords(plain);
  if (records.length !== count) throw new Error(`${records.length} records where the header says ${count}`);
  return records.length;
}

async function decodePartition(c: RawClient, topic: string, partition: number, out: DecodeCheck, recordsMax: number): Promise<string | null> {
  let offset = 0n;
  for (let reads = 0; reads < 100_000 && out.records < recordsMax; reads++) {
    const f = await c.request(Fetch, 12, fetchRequest(topic, partition, offset, { maxBytes: 4 << 20, partitionMaxBytes: 4 << 20 }));
    const part = f.responses[0]?.partitions[0];
    if (!part) return 'no partition in the fetch response';
    if (part.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      // As Kafka, the answer carries no watermarks: ask for the log start, as a client's reset does.
      const earliest = await c.request(ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 1000,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }],
      });
      const start = earliest.topics[0]?.partitions[0]?.offset ?? -1n;
      if (start > offset) {
        offset = start;
        continue;
      }
    }
    if (part.errorCode !== ErrorCode.NONE) return `fetch error ${part.errorCode} at ${offset}`;
    if (offset >= part.highWatermark) return null;
    if (!part.records || part.records.length === 0) return `nothing returned at ${offset} below the high watermark ${part.highWatermark}`;
    let next = offset;
    for (const batch of splitBatches(part.records)) {
      out.batches++;
      const attributes = batch.readInt16BE(21);
      const last = batch.readBigInt64BE(0) + BigInt(batch.readInt32BE(23));
      if ((attributes & ATTR_CONTROL) === 0) {
        try {
          const records = decodeAnyBatch(batch);
          if (records === null) out.undecodable++;
          else out.records += records;
        } catch (e) {
          return `batch at ${batch.readBigInt64BE(0)} does not decode: ${(e as Error).message}`;
        }
      }
      if (last + 1n > next) next = last + 1n;
    }
    if (next === offset) return `no progress at ${offset}`;
    offset = next;
  }
  return null;
}
