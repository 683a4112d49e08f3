/**
 * DescribeProducers (key 61), version 0 (KIP-664): the producers with state in each partition,
 * with their epoch, last sequence, last timestamp and the first offset of an open transaction.
 */
import { DescribeProducers, type DescribeProducersRequest, type DescribeProducersResponse } from '../protocol/generated/61-describe-producers.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const describeProducersHandler: ApiHandler<DescribeProducersRequest, DescribeProducersResponse> = {
  codec: DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(req: DescribeProducersRequest, ctx: RequestContext): DescribeProducersResponse {
    // Issue 13: READ on each topic.
    const readable = authorizedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (!readable.has(t.name)) return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
          const plog = ctx.broker.replicas.getPartition(t.name, partitionIndex);
          if (!plog) return { partitionIndex, errorCode: ctx.broker.replicas.notHostedError(t.name, partitionIndex), errorMessage: null, activeProducers: [] };
          return {
            partitionIndex,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            activeProducers: plog.activeProducers().map((e) => ({
              producerId: e.producerId,
              producerEpoch: e.epoch,
              lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
              lastTimestamp: e.lastTimestamp,
              coordinatorEpoch: e.coordinatorEpoch,
              currentTxnStartOffset: e.currentTxnFirstOffset ?? -1n,
            })),
          };
        }),
      })),
    };
  },
};
