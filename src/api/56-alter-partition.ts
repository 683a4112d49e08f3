/**
 * AlterPartition (key 56), versions 2-3 (Kafka 4's controller serves these; 0-1 named topics),
 * on the CONTROLLER listener only: a leader asks for an ISR change (a follower caught up, or fell
 * behind replica.lag.time.max.ms). metadata/controller.ts `alterPartition` validates it in Kafka's
 * order (broker epoch, leader epoch, partition epoch, eligible replicas) and commits a
 * PartitionChange; the leader learns the outcome from the answer and from the metadata.
 */
import { AlterPartition, type AlterPartitionRequest, type AlterPartitionResponse } from '../protocol/generated/56-alter-partition.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const alterPartitionHandler: ApiHandler<AlterPartitionRequest, AlterPartitionResponse> = {
  codec: AlterPartition,
  minVersion: 2,
  maxVersion: 3,
  handle(req: AlterPartitionRequest, ctx: RequestContext): AlterPartitionResponse {
    return ctx.broker.controller.alterPartition(req, ctx.apiVersion);
  },
};
