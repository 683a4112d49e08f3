/**
 * EndTxn (key 26), versions 0-5: commits or aborts the transaction, answered once the coordinator's
 * Prepare record is durable; the markers follow (at once for partitions led here: on one broker
 * they are written before the answer). A retry after the transaction completed the same way
 * succeeds; the other way gets INVALID_TXN_STATE.
 *
 * v4 only adds TRANSACTION_ABORTABLE to what the client understands (KIP-890). v5 is transactions
 * v2 (KIP-890 part 2): the coordinator bumps the producer epoch with every EndTxn, the markers
 * carry the new epoch, and the answer names the producer id and epoch to go on with (a new
 * producer id with epoch 0 when the epoch ran out). Below v5 ProducerId/ProducerEpoch are not in
 * the answer.
 */
import { EndTxn, type EndTxnRequest, type EndTxnResponse } from '../protocol/generated/26-end-txn.js';
import { ErrorCode } from '../protocol/errors.js';
import type { EndResult } from '../txn/coordinator.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { fencedFor } from './txn-errors.js';

/** EndTxn v5 is the first version of transactions v2 (Kafka's TransactionVersion.TV_2 from EndTxn v5). */
const FIRST_V2_VERSION = 5;

export const endTxnHandler: ApiHandler<EndTxnRequest, EndTxnResponse> = {
  codec: EndTxn,
  minVersion: 0,
  maxVersion: 5,
  handle(req: EndTxnRequest, ctx: RequestContext): EndTxnResponse | Promise<EndTxnResponse> {
    const answer = (r: EndResult): EndTxnResponse => ({ throttleTimeMs: 0, errorCode: fencedFor(r.errorCode, ctx.apiVersion, 2), producerId: r.producerId, producerEpoch: r.producerEpoch });
    // Issue 13: WRITE on the transactional id.
    if (!authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return answer({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 });
    const transactionVersion = ctx.apiVersion >= FIRST_V2_VERSION ? 2 : 0;
    const r = ctx.broker.transactions.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed, transactionVersion);
    return r instanceof Promise ? r.then(answer) : answer(r);
  },
};
