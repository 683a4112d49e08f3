/**
 * InitProducerId (key 22), versions 0-5 (KIP-98). Without a transactional id every request gets
 * a new producer id with epoch 0 — also when it names its current id and epoch (KIP-360, v3+),
 * which is what Kafka does for idempotent producers. With one, the transaction coordinator bumps
 * the epoch and fences older producers (txn/coordinator.ts); PRODUCER_FENCED becomes
 * INVALID_PRODUCER_EPOCH below v4 (KIP-588). When a new block of producer ids cannot be recorded
 * in the metadata log (disk full), the answer is COORDINATOR_LOAD_IN_PROGRESS, retriable, as
 * Kafka answers while its controller has no block to hand out.
 */
import { LogStorageError } from '../replica/partition.js';
import { ErrorCode } from '../protocol/errors.js';
import { InitProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from '../protocol/generated/22-init-producer-id.js';
import type { InitResult } from '../txn/coordinator.js';
import { authorize, authorizeByResourceType, authorizeCluster, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { fencedFor } from './txn-errors.js';

const NO_TXN = { throttleTimeMs: 0, ongoingTxnProducerId: -1n, ongoingTxnProducerEpoch: -1 };

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  codec: InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle(req: InitProducerIdRequest, ctx: RequestContext): InitProducerIdResponse | Promise<InitProducerIdResponse> {
    try {
      return initProducerId(req, ctx);
    } catch (err) {
      if (!(err instanceof LogStorageError)) throw err;
      ctx.broker.log.error(`InitProducerId: ${err.message}`);
      return { ...NO_TXN, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1n, producerEpoch: -1 };
    }
  },
};

function initProducerId(req: InitProducerIdRequest, ctx: RequestContext): InitProducerIdResponse | Promise<InitProducerIdResponse> {
  // Issue 13 (Kafka's handleInitProducerIdRequest): WRITE on the transactional id; without one,
  // IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679).
  const refuse = (errorCode: number): InitProducerIdResponse => ({ ...NO_TXN, errorCode, producerId: -1n, producerEpoch: -1 });
  if (req.transactionalId !== null && !authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (req.transactionalId === null && !authorizeCluster(ctx, Op.IDEMPOTENT_WRITE) && !authorizeByResourceType(ctx, Op.WRITE, Res.TOPIC)) return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  if (req.transactionalId !== null) {
    const expected = ctx.apiVersion >= 3 && req.producerId >= 0n ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : null;
    const answer = (r: InitResult): InitProducerIdResponse => ({ ...NO_TXN, errorCode: fencedFor(r.errorCode, ctx.apiVersion, 4), producerId: r.producerId, producerEpoch: r.producerEpoch });
    const r = ctx.broker.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
    return r instanceof Promise ? r.then(answer) : answer(r);
  }
  return { ...NO_TXN, errorCode: ErrorCode.NONE, producerId: ctx.broker.producerIds.generate(), producerEpoch: 0 };
}
