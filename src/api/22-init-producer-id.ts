/**
 * InitProducerId (key 22), versions 0-5, for idempotent producers (KIP-98). Without a
 * transactional id every request gets a new producer id with epoch 0 — also when it names its
 * current id and epoch (KIP-360, v3+), which is what Kafka does for non-transactional producers.
 * Transactional ids need the transaction coordinator, which does not exist yet: those requests
 * get INVALID_REQUEST, which is not retriable, so a client fails at once instead of retrying.
 */
import { ErrorCode } from '../protocol/errors.js';
import { InitProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from '../protocol/generated/index.js';
import type { ApiHandler, RequestContext } from './registry.js';

const NO_TXN = { throttleTimeMs: 0, ongoingTxnProducerId: -1n, ongoingTxnProducerEpoch: -1 };

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  codec: InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle(req: InitProducerIdRequest, ctx: RequestContext): InitProducerIdResponse {
    if (req.transactionalId !== null) {
      return { ...NO_TXN, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    }
    return { ...NO_TXN, errorCode: ErrorCode.NONE, producerId: ctx.broker.producerIds.generate(), producerEpoch: 0 };
  },
};
