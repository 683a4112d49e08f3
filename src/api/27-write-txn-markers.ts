/**
 * WriteTxnMarkers (key 27), version 1 (Kafka 4's only one): a transaction coordinator on another
 * broker ends a transaction on partitions this broker leads. Each partition gets its commit or
 * abort marker and is answered once the marker is on every in-sync replica (request.timeout.ms,
 * then REQUEST_TIMED_OUT); NOT_LEADER_OR_FOLLOWER when this broker does not lead it,
 * UNKNOWN_TOPIC_OR_PARTITION when the cluster has no such partition (the coordinator drops it),
 * TRANSACTION_COORDINATOR_FENCED when a newer coordinator already ended the producer's
 * transaction here. Offsets sent with a transaction become visible (or are dropped) with the
 * marker on their __consumer_offsets partition. Served on the broker listeners, as in Kafka.
 */
import { WriteTxnMarkers, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '../protocol/generated/27-write-txn-markers.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const writeTxnMarkersHandler: ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = {
  codec: WriteTxnMarkers,
  minVersion: 1,
  maxVersion: 1,
  async handle(req: WriteTxnMarkersRequest, ctx: RequestContext): Promise<WriteTxnMarkersResponse> {
    const b = ctx.broker;
    // Issue 13: an inter-broker API, ALTER or CLUSTER_ACTION on the cluster (Kafka's handleWriteTxnMarkersRequest).
    const denied = !authorizeCluster(ctx, Op.ALTER) && !authorizeCluster(ctx, Op.CLUSTER_ACTION);
    const timeoutMs = Number(b.config.get('request.timeout.ms'));
    return {
      markers: await Promise.all(
        req.markers.map(async (m) => ({
          producerId: m.producerId,
          topics: await Promise.all(
            m.topics.map(async (t) => ({
              name: t.name,
              partitions: await Promise.all(
                t.partitionIndexes.map(async (partitionIndex) => ({
                  partitionIndex,
                  errorCode: denied ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : await b.writeTxnMarker({ topic: t.name, partition: partitionIndex }, m.producerId, m.producerEpoch, m.transactionResult, m.coordinatorEpoch, timeoutMs),
                })),
              ),
            })),
          ),
        })),
      ),
    };
  },
};
