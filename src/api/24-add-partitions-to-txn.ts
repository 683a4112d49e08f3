/**
 * AddPartitionsToTxn (key 24), versions 0-3: the client form (v4+ is the brokers' batched form).
 * Partitions of topics that do not exist get UNKNOWN_TOPIC_OR_PARTITION and the others
 * OPERATION_NOT_ATTEMPTED, as Kafka answers; otherwise one code for all, from the coordinator.
 */
import { AddPartitionsToTxn, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../protocol/generated/24-add-partitions-to-txn.js';
import { ErrorCode } from '../protocol/errors.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { fencedFor } from './txn-errors.js';

export const addPartitionsToTxnHandler: ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  codec: AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 3,
  handle(req: AddPartitionsToTxnRequest, ctx: RequestContext): AddPartitionsToTxnResponse | Promise<AddPartitionsToTxnResponse> {
    const b = ctx.broker;
    // The partitions of the cluster, wherever they are led: the coordinator need not hold them.
    const exists = (topic: string, partition: number): boolean => b.replicas.metadataHas(topic, partition);
    const tps = req.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const answer = (common: number | null): AddPartitionsToTxnResponse => ({
      throttleTimeMs: 0,
      errorCode: 0,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({
          partitionIndex,
          partitionErrorCode: common ?? (exists(t.name, partitionIndex) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        })),
      })),
    });
    // Issue 13 (Kafka's handleAddPartitionsToTxnRequest): WRITE on the transactional id, then on
    // each topic; refused topics get TOPIC_AUTHORIZATION_FAILED, the rest OPERATION_NOT_ATTEMPTED.
    if (!authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const writable = authorizedNames(ctx, Op.WRITE, Res.TOPIC, req.v3AndBelowTopics.filter((t) => !INTERNAL_TOPICS.has(t.name)).map((t) => t.name));
    if (req.v3AndBelowTopics.some((t) => !INTERNAL_TOPICS.has(t.name) && !writable.has(t.name))) {
      const refused = answer(null);
      for (const t of refused.resultsByTopicV3AndBelow) {
        if (INTERNAL_TOPICS.has(t.name) || writable.has(t.name)) continue;
        for (const p of t.resultsByPartition) p.partitionErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      }
      return refused;
    }
    if (tps.some((tp) => !exists(tp.topic, tp.partition))) return answer(null);
    const code = b.transactions.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, tps);
    return code instanceof Promise ? code.then((c) => answer(fencedFor(c, ctx.apiVersion, 2))) : answer(fencedFor(code, ctx.apiVersion, 2));
  },
};
