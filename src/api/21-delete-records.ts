/**
 * DeleteRecords (key 21), versions 0-2: moves a partition's log start offset to the given offset
 * (-1: the high watermark); records below it are no longer readable (OFFSET_OUT_OF_RANGE) and
 * whole segments below it are deleted. Past the high watermark: OFFSET_OUT_OF_RANGE. Internal
 * topics are refused (INVALID_TOPIC_EXCEPTION), as in Kafka.
 */
import { ErrorCode } from '../protocol/errors.js';
import { DeleteRecords, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../protocol/generated/21-delete-records.js';
import { LogStorageError } from '../replica/partition.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import { authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  codec: DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(req: DeleteRecordsRequest, ctx: RequestContext): DeleteRecordsResponse {
    const b = ctx.broker;
    // Issue 13: DELETE on each topic.
    const deletable = authorizedNames(ctx, Op.DELETE, Res.TOPIC, req.topics.map((t) => t.name));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const fail = (errorCode: number) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode });
          if (!deletable.has(t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          if (INTERNAL_TOPICS.has(t.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION);
          if (p.offset < -1n) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
          const plog = b.replicas.getPartition(t.name, p.partitionIndex);
          if (!plog) return fail(b.replicas.notHostedError(t.name, p.partitionIndex));
          if (!plog.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          try {
            const start = plog.deleteRecordsBefore(p.offset);
            if (start === null) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
            return { partitionIndex: p.partitionIndex, lowWatermark: start, errorCode: ErrorCode.NONE };
          } catch (err) {
            if (!(err instanceof LogStorageError)) throw err;
            return fail(ErrorCode.KAFKA_STORAGE_ERROR);
          }
        }),
      })),
    };
  },
};
