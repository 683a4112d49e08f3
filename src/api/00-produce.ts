/**
 * Produce (key 0), versions 0-13 advertised, 3-13 served.
 *
 * Versions 0-2 are advertised because librdkafka turns compression off unless Produce's range
 * starts at 0 (KAFKA-18659), and answered with UNSUPPORTED_VERSION per partition (Kafka 4 closes
 * the connection instead; the differential suite allowlists this).
 * acks must be 0, 1 or -1 (INVALID_REQUIRED_ACKS otherwise); on a single node 1 and -1 mean the
 * same. acks=0 gets no response at all; if any partition failed, the connection is closed instead
 * (Kafka's way of telling such a producer).
 *
 * A payload without one whole batch is INVALID_RECORD (Kafka counts whole batches before anything
 * else). Errors found in the log (record and timestamp checks, producer state) carry the log
 * start offset, as Kafka's do; the others carry -1.
 *
 * Per partition, as Kafka checks it (validateBatches): exactly one record batch of magic 2, not a
 * control batch (INVALID_RECORD), a sane header and CRC-32C (CORRUPT_MESSAGE), at most
 * max.message.bytes (MESSAGE_TOO_LARGE) and at most one segment (RECORD_LIST_TOO_LARGE); and no
 * zstd below v7 (UNSUPPORTED_COMPRESSION_TYPE).
 *
 * Then every record, as Kafka's LogValidator reads them (src/log/batch-records.ts `checkRecords`,
 * the walker of src/native/records.ts): a malformed record or compressed payload gets
 * INVALID_RECORD; records expanding past max.message.bytes x limits.decompressedPerMessageByteMax
 * get MESSAGE_TOO_LARGE; on a compacted topic each keyless record is named in `record_errors`
 * (INVALID_RECORD). Compressed batches over limits.decompressInlineBytesMax are checked in a
 * worker thread (log/decompress-pool.ts; a full queue answers REQUEST_TIMED_OUT, retriable); the
 * handler then answers with a Promise, and appends to a partition still happen in request order.
 * Nothing of a refused batch is stored. The checks and the append are the replica layer's
 * (replica/replica-manager.ts `appendRecords`); this handler checks the request and routes it.
 *
 * A transactional batch must belong to an ongoing transaction that added this partition
 * (AddPartitionsToTxn), as Kafka verifies (KIP-890 part 1); otherwise INVALID_TXN_STATE
 * (TRANSACTION_ABORTABLE from v11). When this broker is the transaction's coordinator it checks
 * every transactional batch itself; otherwise the first batch of a transaction on a partition is
 * verified by the coordinator's broker (AddPartitionsToTxn v5 VerifyOnly, src/txn-partition-checks.ts;
 * later batches find the transaction open here, Kafka's verification guard).
 * From v12 (transactions v2, KIP-890 part 2: a client that sees transaction.version=2 sends no
 * AddPartitionsToTxn) the partition is added to the transaction instead, by the coordinator here
 * or on its broker (AddPartitionsToTxn v5 without VerifyOnly); a producer fenced meanwhile gets
 * INVALID_PRODUCER_EPOCH, an unknown producer INVALID_PRODUCER_ID_MAPPING, a transaction being
 * ended CONCURRENT_TRANSACTIONS. The coordinator's retriable answers (CONCURRENT_TRANSACTIONS,
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NETWORK_EXCEPTION) reach
 * the producer as NOT_ENOUGH_REPLICAS, which every client retries, as Kafka maps them. A producer
 * with an open transaction on the partition may not write outside it (INVALID_TXN_STATE).
 *
 * v13 names topics by id (KIP-516): ids are resolved through the metadata image; an unknown id
 * gets UNKNOWN_TOPIC_ID for each of its partitions (before authorization, as Kafka checks it), and
 * the answer carries the ids with empty names.
 *
 * Idempotent batches (a producer id from InitProducerId) are checked against the partition's
 * producer state last: a retry of one of the producer's last five batches is answered with its
 * original offsets and not written again; a stale epoch gets INVALID_PRODUCER_EPOCH, a sequence
 * gap OUT_OF_ORDER_SEQUENCE_NUMBER (log/producer-state.ts).
 *
 * The batch is then appended exactly as received, with only baseOffset and partitionLeaderEpoch
 * overwritten. Waiting fetches are woken. A failed write takes the partition offline
 * (KAFKA_STORAGE_ERROR) without touching other partitions.
 *
 * acks=-1 is answered when the high watermark has passed the batches (at once while the ISR is
 * this broker alone), REQUEST_TIMED_OUT at timeout_ms otherwise.
 * Authorization (issue 13, Kafka's handleProduceRequest): a request carrying a transactional batch
 * needs WRITE on its transactional id (else every partition gets
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED), and each topic needs WRITE (TOPIC_AUTHORIZATION_FAILED,
 * checked before the topic's existence so an unauthorized client learns nothing of it).
 * min.insync.replicas never refuses acks=-1 here: Kafka checks the ISR against the effective
 * minimum, min(min.insync.replicas, replication factor) (Partition.effectiveMinIsr), and the
 * replication factor on one node is 1.
 * On CreateTime topics every record's timestamp must lie within message.timestamp.before.max.ms
 * before and after.max.ms after now (Kafka 4's default: at most one hour ahead), else
 * INVALID_TIMESTAMP with one record error per such record, as Kafka's LogValidator checks each
 * record (batch-records.ts; the record walk gives the least and greatest timestamp delta).
 */
import { ErrorCode } from '../protocol/errors.js';
import { Produce, type ProduceRequest, type ProduceResponse } from '../protocol/generated/00-produce.js';
import type { ProduceEntry, ProduceOutcome } from '../replica/replica-manager.js';
import { forProducer } from './txn-errors.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import { CLOSE_CONNECTION, type ApiHandler, type HandlerResult, type RequestContext } from './registry.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function partitionResponse(index: number, o: Omit<ProduceOutcome, 'lastOffset'>): PartitionResponse {
  return {
    index,
    errorCode: o.errorCode,
    baseOffset: o.baseOffset,
    logAppendTimeMs: o.logAppendTimeMs,
    logStartOffset: o.logStartOffset,
    recordErrors: o.recordErrors,
    errorMessage: o.errorMessage,
    currentLeader: NO_LEADER,
  };
}

function refused(index: number, errorCode: number, errorMessage: string): PartitionResponse {
  return partitionResponse(index, { errorCode, errorMessage, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [] });
}

/** Whether any batch of the request is transactional (attributes bit 4; Kafka's RequestUtils.hasTransactionalRecords). */
function hasTransactionalBatch(req: ProduceRequest): boolean {
  return req.topicData.some((td) => td.partitionData.some((pd) => pd.records !== null && pd.records.length >= 23 && (pd.records.readInt16BE(21) & 0x10) !== 0));
}

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponse> = {
  codec: Produce,
  minVersion: 0,
  maxVersion: 13,
  handle(req: ProduceRequest, ctx: RequestContext): HandlerResult<ProduceResponse> {
    const b = ctx.broker;
    const version = ctx.apiVersion;
    // v13: topics by id; null for an id this broker's metadata does not know.
    const names = req.topicData.map((td) => (version >= 13 ? (b.image.topicsById.get(td.topicId.toString('base64url'))?.name ?? null) : td.name));
    const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const txnDenied = b.authorizer !== null && hasTransactionalBatch(req)
      && (req.transactionalId === null || !authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId));
    const writable = b.authorizer === null ? null : authorizedNames(ctx, Op.WRITE, Res.TOPIC, names.filter((n): n is string => n !== null));
    // Partitions refused by the request's own checks, and those handed to the replica layer.
    const answers = req.topicData.map((td, t) =>
      td.partitionData.map((pd): PartitionResponse | number => {
        const name = names[t]!;
        if (name === null) return refused(pd.index, ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.');
        if (txnDenied) return refused(pd.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional Id authorization failed.');
        if (writable !== null && !writable.has(name)) return refused(pd.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.');
        if (version < 3) return refused(pd.index, ErrorCode.UNSUPPORTED_VERSION, 'Produce versions 0-2 are not supported; use version 3 or later.');
        if (!acksValid) return refused(pd.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, got ${req.acks}.`);
        return -1;
      }),
    );
    const entries: ProduceEntry[] = [];
    req.topicData.forEach((td, t) =>
      td.partitionData.forEach((pd, i) => {
        if (answers[t]![i] !== -1) return;
        answers[t]![i] = entries.length;
        entries.push({ topic: names[t]!, partition: pd.index, records: pd.records });
      }),
    );
    const respond = (outcomes: ProduceOutcome[]): ProduceResponse | null | typeof CLOSE_CONNECTION => {
      const partitions = answers.map((ps, t) => ps.map((a, i) => (typeof a === 'number' ? partitionResponse(req.topicData[t]!.partitionData[i]!.index, outcomes[a]!) : a)));
      if (req.acks !== 0) {
        return { responses: req.topicData.map((td, t) => ({ name: version >= 13 ? '' : td.name, topicId: td.topicId, partitionResponses: partitions[t]! })), throttleTimeMs: 0, nodeEndpoints: [] };
      }
      // acks=0: no answer; a failure closes the connection, as Kafka does, so the client notices.
      return partitions.some((ps) => ps.some((p) => p.errorCode !== ErrorCode.NONE)) ? CLOSE_CONNECTION : null;
    };
    if (entries.length === 0) return respond([]);
    const outcomes = b.replicas.appendRecords({
      acks: req.acks,
      timeoutMs: req.timeoutMs,
      apiVersion: version,
      entries,
      verifyTransaction: (info, topic, partition, openHere) => {
        const code = verifyTransaction(ctx, req.transactionalId, info, { topic, partition }, openHere);
        return code instanceof Promise ? code.then(retriableForProducer) : retriableForProducer(code);
      },
    });
    return outcomes instanceof Promise ? outcomes.then(respond) : respond(outcomes);
  },
};

/**
 * The coordinator's retriable answers, as a producer is told them: NOT_ENOUGH_REPLICAS, which
 * every client retries without refreshing its metadata (Kafka's ReplicaManager: older clients do
 * not retry CONCURRENT_TRANSACTIONS and the coordinator errors on a produce).
 */
const RETRIED_AS_NOT_ENOUGH_REPLICAS: ReadonlySet<number> = new Set([
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

function retriableForProducer(code: number): number {
  return RETRIED_AS_NOT_ENOUGH_REPLICAS.has(code) ? ErrorCode.NOT_ENOUGH_REPLICAS : code;
}

/** Produce v12 is the first of transactions v2: the partition is added, not only verified (Kafka's ADD_PARTITION operation). */
const FIRST_ADD_PARTITION_VERSION = 12;
/** Produce v11 is the first whose clients understand TRANSACTION_ABORTABLE (KIP-890). */
const FIRST_ABORTABLE_VERSION = 11;

/** The transaction check of one transactional batch (see the header): NONE, an error, or a Promise of either. */
function verifyTransaction(
  ctx: RequestContext,
  transactionalId: string | null,
  info: { producerId: bigint; producerEpoch: number },
  tp: { topic: string; partition: number },
  openHere: boolean,
): number | Promise<number> {
  const b = ctx.broker;
  const version = ctx.apiVersion;
  const add = version >= FIRST_ADD_PARTITION_VERSION;
  const abortable = version >= FIRST_ABORTABLE_VERSION;
  // The batch's own producer state is what Kafka checks when there is no transactional id to ask about.
  if (transactionalId === null) {
    const verified = b.transactions.verifyPartition(info.producerId, info.producerEpoch, tp);
    return verified === ErrorCode.INVALID_TXN_STATE && abortable ? ErrorCode.TRANSACTION_ABORTABLE : verified;
  }
  if (b.transactionsTopic.leads(transactionalId)) {
    if (!add) {
      const verified = b.transactions.verifyPartition(info.producerId, info.producerEpoch, tp);
      // KIP-890: Produce v11+ clients understand TRANSACTION_ABORTABLE for a partition outside the
      // transaction; older ones get INVALID_TXN_STATE (Kafka's AddPartitionsToTxnManager).
      return verified === ErrorCode.INVALID_TXN_STATE && abortable ? ErrorCode.TRANSACTION_ABORTABLE : verified;
    }
    const code = b.transactions.addPartitions(transactionalId, info.producerId, info.producerEpoch, [tp], 2);
    return code instanceof Promise ? code.then((c) => forProducer(c, abortable)) : forProducer(code, abortable);
  }
  // The coordinator is on another broker: asked only before the transaction's first batch here.
  if (openHere) return ErrorCode.NONE;
  return b
    .checkTxnPartitions({ transactionalId, producerId: info.producerId, producerEpoch: info.producerEpoch, partitions: [tp], verifyOnly: !add, abortableErrorSupported: abortable })
    .then((codes) => codes[0]!);
}
