/**
 * AllocateProducerIds (key 67), version 0, on the CONTROLLER listener only: a broker's
 * transaction coordinator takes the next block of producer ids, recorded in the metadata log so
 * no id is handed out twice. Kafka's checks: the broker must be registered with this broker epoch
 * (STALE_BROKER_EPOCH otherwise); blocks are PRODUCER_ID_BLOCK_SIZE ids.
 */
import { ErrorCode } from '../protocol/errors.js';
import { AllocateProducerIds, type AllocateProducerIdsRequest, type AllocateProducerIdsResponse } from '../protocol/generated/67-allocate-producer-ids.js';
import { LogStorageError } from '../replica/partition.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export const allocateProducerIdsHandler: ApiHandler<AllocateProducerIdsRequest, AllocateProducerIdsResponse> = {
  codec: AllocateProducerIds,
  minVersion: 0,
  maxVersion: 0,
  handle(req: AllocateProducerIdsRequest, ctx: RequestContext): AllocateProducerIdsResponse {
    const fail = (errorCode: number): AllocateProducerIdsResponse => ({ throttleTimeMs: 0, errorCode, producerIdStart: -1n, producerIdLen: 0 });
    // Issue 13: an inter-broker API, CLUSTER_ACTION on the cluster.
    if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const registration = ctx.broker.image.brokers.get(req.brokerId);
    if (!registration || registration.brokerEpoch !== req.brokerEpoch) return fail(ErrorCode.STALE_BROKER_EPOCH);
    try {
      const block = ctx.broker.controller.allocateProducerIds(PRODUCER_ID_BLOCK_SIZE);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerIdStart: block.start, producerIdLen: Number(block.end - block.start) };
    } catch (err) {
      if (!(err instanceof LogStorageError)) throw err;
      return fail(ErrorCode.KAFKA_STORAGE_ERROR);
    }
  },
};
