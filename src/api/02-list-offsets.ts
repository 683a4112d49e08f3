/**
 * ListOffsets (key 2), versions 0-10.
 *
 * Special timestamps: -1 latest (the high watermark; for READ_COMMITTED the last stable offset,
 * the first offset of the oldest open transaction), -2 earliest (log start offset), -3 the
 * record with the largest timestamp (v7+, KIP-734), -4 earliest local (v8+, KIP-405; all data is
 * local here, so the log start offset). Any other timestamp finds the first record whose timestamp
 * is at or after it, through the time index, and answers that record's own offset and timestamp;
 * none gives offset -1 and timestamp -1. Version 0 answers in old_style_offsets instead.
 * -5 (v9+, KIP-1005) asks for the last offset in tiered storage: there is none here, so it is
 * answered as Kafka answers it without remote storage, offset -1, timestamp -1, leader epoch -1.
 * v10 adds timeout_ms (KIP-1075: how long a lookup in remote storage may take); every lookup here
 * is local and answered at once, so it is read and not needed.
 *
 * As Kafka answers them: a special timestamp the version does not know (or any other negative one)
 * gets UNSUPPORTED_VERSION; a partition named twice in a request gets one INVALID_REQUEST entry; a
 * current_leader_epoch above the leader's (always 0 here) gets UNKNOWN_LEADER_EPOCH and one below
 * -1 FENCED_LEADER_EPOCH; a timestamp no record reaches answers offset -1 with leader epoch -1.
 */
import { authorizedNames, Op, Res } from './authorize.js';
import { ErrorCode } from '../protocol/errors.js';
import { ListOffsets, type ListOffsetsRequest, type ListOffsetsResponse } from '../protocol/generated/02-list-offsets.js';
import { LogStorageError, type Partition } from '../replica/partition.js';
import type { ApiHandler, RequestContext } from './registry.js';

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

function firstIndex(partitions: ReadonlyArray<{ partitionIndex: number }>, index: number): number {
  return partitions.findIndex((p) => p.partitionIndex === index);
}

function lookup(plog: Partition, timestamp: bigint, version: number, readCommitted: boolean): { offset: bigint; timestamp: bigint } | 'invalid' {
  switch (timestamp) {
    case LATEST:
      return { offset: readCommitted ? plog.lastStableOffset : plog.highWatermark, timestamp: -1n };
    case EARLIEST:
      return { offset: plog.logStartOffset, timestamp: -1n };
    case MAX_TIMESTAMP:
      if (version < 7) return 'invalid';
      return plog.maxTimestampAndOffset() ?? { offset: -1n, timestamp: -1n };
    case EARLIEST_LOCAL:
      if (version < 8) return 'invalid';
      return { offset: plog.logStartOffset, timestamp: -1n };
    case LATEST_TIERED:
      if (version < 9) return 'invalid';
      return { offset: -1n, timestamp: -1n };
    default:
      if (timestamp < 0n) return 'invalid';
      return plog.offsetForTimestamp(timestamp) ?? { offset: -1n, timestamp: -1n };
  }
}

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  codec: ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  handle(req: ListOffsetsRequest, ctx: RequestContext): ListOffsetsResponse {
    const b = ctx.broker;
    const v = ctx.apiVersion;
    // Issue 13: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED (Kafka's handleListOffsetRequest).
    const describable = b.authorizer === null ? null : authorizedNames(ctx, Op.DESCRIBE, Res.TOPIC, req.topics.map((t) => t.name));
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const key = `${t.name}\u0000${p.partitionIndex}`;
        if (seen.has(key)) duplicates.add(key);
        seen.add(key);
      }
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.filter((p, i) => !duplicates.has(`${t.name}\u0000${p.partitionIndex}`) || firstIndex(t.partitions, p.partitionIndex) === i).map((p): PartitionResponse => {
          const base = { partitionIndex: p.partitionIndex, oldStyleOffsets: [] as bigint[], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          if (describable !== null && !describable.has(t.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          if (duplicates.has(`${t.name}\u0000${p.partitionIndex}`)) return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
          const plog = b.replicas.getPartition(t.name, p.partitionIndex);
          if (!plog) return { ...base, errorCode: b.replicas.notHostedError(t.name, p.partitionIndex) };
          if (!plog.isLeader) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
          if (p.currentLeaderEpoch > plog.leaderEpoch) return { ...base, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
          if (p.currentLeaderEpoch < -1) return { ...base, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
          let found;
          try {
            found = lookup(plog, p.timestamp, v, req.isolationLevel === 1);
          } catch (err) {
            if (!(err instanceof LogStorageError)) throw err;
            return { ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
          }
          if (found === 'invalid') return { ...base, errorCode: ErrorCode.UNSUPPORTED_VERSION };
          if (v === 0) {
            return { ...base, errorCode: ErrorCode.NONE, oldStyleOffsets: found.offset >= 0n ? [found.offset] : [] };
          }
          return { ...base, errorCode: ErrorCode.NONE, timestamp: found.timestamp, offset: found.offset, leaderEpoch: v >= 4 && found.offset >= 0n ? plog.leaderEpoch : -1 };
        }),
      })),
    };
  },
};
