/**
 * EndTxn (key 26), versions 0-3: commits or aborts the transaction, answered once the coordinator's
 * Prepare record is durable; the markers follow (at once for partitions led here: on one broker
 * they are written before the answer). A retry after the transaction completed the same way
 * succeeds; the other way gets INVALID_TXN_STATE.
 */
import { EndTxn, type EndTxnRequest, type EndTxnResponse } from '../protocol/generated/26-end-txn.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { fencedFor } from './txn-errors.js';

export const endTxnHandler: ApiHandler<EndTxnRequest, EndTxnResponse> = {
  codec: EndTxn,
  minVersion: 0,
  maxVersion: 3,
  handle(req: EndTxnRequest, ctx: RequestContext): EndTxnResponse | Promise<EndTxnResponse> {
    const answer = (code: number): EndTxnResponse => ({ throttleTimeMs: 0, errorCode: fencedFor(code, ctx.apiVersion, 2), producerId: -1n, producerEpoch: -1 });
    // Issue 13: WRITE on the transactional id.
    if (!authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const code = ctx.broker.transactions.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return code instanceof Promise ? code.then(answer) : answer(code);
  },
};
