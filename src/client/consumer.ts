/**
 * `sluice consume`: Fetch from the leaders of a topic's partitions and hand each record over.
 *
 * Start: `beginning` (ListOffsets earliest), `end` (latest, the default, as Kafka's console
 * consumer), an offset (one outside the log, which the broker answers OFFSET_OUT_OF_RANGE, moves
 * to the log start when before it, to the log end when past it), or a timestamp (ListOffsets: the first record at or after it; the log end when none).
 *
 * Isolation: read_uncommitted by default, as Kafka's console consumer (records of open and
 * aborted transactions are shown); `readCommitted` stops at the last stable offset and drops
 * aborted transactions. Control batches are never shown.
 *
 * With a group: a simple consumer, not a member. It starts from the group's committed offsets
 * (OffsetFetch) where there are any, else from `start`, and commits (OffsetCommit with no
 * generation or member, as Kafka's `assign()` consumers do) the offset after the last record
 * handed over, after each fetch and at the end. The group must have no live members (a broker
 * refuses commits without a generation for a group with members). It reads every partition (or
 * those asked for), never rebalances.
 */
import { ErrorCode } from '../protocol/errors.js';
import { Fetch } from '../protocol/generated/index.js';
import { byLeader, commitOffsets, committedOffsets, EARLIEST, LATEST, listOffsets } from './admin.js';
import { checkRetriable, retrying, ToolError, type KafkaClient, type TopicInfo } from './kafka-client.js';
import { readFetched, type ConsumedRecord } from './records.js';

export type StartAt = { kind: 'beginning' } | { kind: 'end' } | { kind: 'offset'; offset: bigint } | { kind: 'timestamp'; ms: bigint };

export interface ConsumeOptions {
  topic: string;
  partitions?: number[];
  start: StartAt;
  group?: string;
  /** Stop after this many records. */
  count?: number;
  /** Stop when every partition has been read to its end (high watermark, or LSO under read_committed). */
  exitAtEnd?: boolean;
  readCommitted?: boolean;
  maxWaitMs?: number;
  signal?: AbortSignal;
  onRecord: (r: ConsumedRecord) => void;
  /** After the records of each fetch have been handed over (a place to flush output). */
  onFetched?: () => void;
}

const ZERO_UUID = Buffer.alloc(16);

/** Reads until `count` records, the end (with `exitAtEnd`) or the signal; resolves with the records handed over. */
export async function consume(client: KafkaClient, opts: ConsumeOptions): Promise<number> {
  let topic = await retrying(`topic ${opts.topic}`, () => client.topic(opts.topic));
  const partitions = opts.partitions ?? topic.partitions.map((p) => p.partition);
  for (const p of partitions) if (!topic.partitions.some((x) => x.partition === p)) throw new ToolError(`topic ${opts.topic} has no partition ${p} (it has ${topic.partitions.length})`);
  const positions = await startPositions(client, opts, partitions);
  const ends = new Map<number, bigint>();
  const toCommit = new Map<number, bigint>();
  let handed = 0;
  const done = (): boolean =>
    (opts.count !== undefined && handed >= opts.count) ||
    (opts.signal?.aborted ?? false) ||
    (opts.exitAtEnd === true && partitions.every((p) => ends.has(p) && positions.get(p)! >= ends.get(p)!));

  while (!done()) {
    const fetched = await retrying(`fetch from ${opts.topic}`, async () => {
      try {
        return await fetchOnce(client, topic, partitions, positions, opts);
      } catch (err) {
        topic = await client.topic(opts.topic);
        throw err;
      }
    });
    for (const f of fetched) {
      if (f.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        // A position outside the log: before its start reads from the start, past its end waits at the end.
        const start = (await listOffsets(client, opts.topic, [f.partition], EARLIEST)).get(f.partition)!;
        const end = (await listOffsets(client, opts.topic, [f.partition], LATEST)).get(f.partition)!;
        positions.set(f.partition, positions.get(f.partition)! < start ? start : end);
        continue;
      }
      ends.set(f.partition, f.end);
      for (const r of f.records) {
        if (done()) break;
        opts.onRecord(r);
        handed++;
        positions.set(f.partition, r.offset + 1n);
        toCommit.set(f.partition, r.offset + 1n);
      }
      // Past control batches and filtered records too (but never past a record not handed over).
      if (!done() && f.nextOffset > positions.get(f.partition)!) positions.set(f.partition, f.nextOffset);
    }
    opts.onFetched?.();
    if (opts.group !== undefined && toCommit.size > 0) {
      await commitOffsets(client, opts.group, opts.topic, toCommit);
      toCommit.clear();
    }
  }
  return handed;
}

async function startPositions(client: KafkaClient, opts: ConsumeOptions, partitions: number[]): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  if (opts.group !== undefined) {
    for (const c of await committedOffsets(client, opts.group)) if (c.topic === opts.topic && partitions.includes(c.partition)) out.set(c.partition, c.offset);
  }
  const rest = partitions.filter((p) => !out.has(p));
  if (rest.length === 0) return out;
  const s = opts.start;
  if (s.kind === 'offset') {
    for (const p of rest) out.set(p, s.offset);
    return out;
  }
  const at = await listOffsets(client, opts.topic, rest, s.kind === 'beginning' ? EARLIEST : s.kind === 'end' ? LATEST : s.ms);
  const latest = s.kind === 'timestamp' ? await listOffsets(client, opts.topic, rest, LATEST) : null;
  for (const p of rest) out.set(p, at.get(p)! >= 0n ? at.get(p)! : latest!.get(p)!);
  return out;
}

interface Fetched {
  partition: number;
  errorCode: number;
  end: bigint;
  records: ConsumedRecord[];
  nextOffset: bigint;
}

async function fetchOnce(client: KafkaClient, topic: TopicInfo, partitions: number[], positions: Map<number, bigint>, opts: ConsumeOptions): Promise<Fetched[]> {
  const readCommitted = opts.readCommitted ?? false;
  const perLeader = await Promise.all(
    [...byLeader(topic, partitions)].map(async ([leader, ps]) => {
      const res = await client.to(leader, Fetch, {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: opts.maxWaitMs ?? 500,
        minBytes: 1,
        maxBytes: 16 * 1024 * 1024,
        isolationLevel: readCommitted ? 1 : 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: topic.name,
            topicId: client.topicId(topic.name),
            partitions: ps.map((p) => ({
              partition: p,
              currentLeaderEpoch: -1,
              fetchOffset: positions.get(p)!,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 4 * 1024 * 1024,
              replicaDirectoryId: ZERO_UUID,
              highWatermark: 0x7fffffffffffffffn,
            })),
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      checkRetriable(`fetch from ${topic.name}`, res.errorCode);
      const out: Fetched[] = [];
      for (const t of res.responses)
        for (const p of t.partitions) {
          if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            out.push({ partition: p.partitionIndex, errorCode: p.errorCode, end: -1n, records: [], nextOffset: -1n });
            continue;
          }
          checkRetriable(`fetch from ${topic.name} partition ${p.partitionIndex}`, p.errorCode);
          const from = positions.get(p.partitionIndex)!;
          const read = p.records === null ? { records: [], nextOffset: from } : readFetched(p.records, p.partitionIndex, from, { readCommitted, aborted: p.abortedTransactions ?? [] });
          const end = readCommitted && p.lastStableOffset >= 0n ? p.lastStableOffset : p.highWatermark;
          out.push({ partition: p.partitionIndex, errorCode: 0, end, records: read.records, nextOffset: read.nextOffset });
        }
      return out;
    }),
  );
  return perLeader.flat();
}
