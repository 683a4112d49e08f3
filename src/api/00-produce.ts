/**
 * Produce (key 0), versions 0-11 advertised, 3-11 served.
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
 * handler then answers with a Promise, and appends to a partition still happen in request order
 * (PartitionOrder below). Nothing of a refused batch is stored.
 *
 * A transactional batch must belong to an ongoing transaction that added this partition
 * (AddPartitionsToTxn), as Kafka verifies; otherwise INVALID_TXN_STATE (TRANSACTION_ABORTABLE from
 * v11, KIP-890). A producer with an open transaction on the partition may not write outside it
 * (INVALID_TXN_STATE).
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
import { LogStorageError } from '../log/partition-log.js';
import { FailureKind, LOG_OVERHEAD, validateBatches, type BatchInfo } from '../log/record-batch.js';
import type { RecordCheck, TimestampBounds } from '../log/batch-records.js';
import { decompressedBytesFor } from '../config/limits.js';
import type { ProduceRules } from '../log/log-manager.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import type { Broker } from '../broker.js';
import { CLOSE_CONNECTION, type ApiHandler, type HandlerResult, type RequestContext } from './registry.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

const COMPRESSION_ZSTD = 4;
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function partitionError(index: number, errorCode: number, errorMessage: string | null): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage, currentLeader: NO_LEADER };
}

type Answer = PartitionResponse | Promise<PartitionResponse>;

/**
 * An error found while appending to the log answers with the partition's log start offset, as
 * Kafka's ReplicaManager does for every failure but a few (corrupt or oversized batches, unknown
 * partitions, storage errors) and the checks made before the log (one batch of magic 2, zstd).
 */
function inLogError(index: number, errorCode: number, errorMessage: string | null, logStartOffset: bigint): PartitionResponse {
  return { ...partitionError(index, errorCode, errorMessage), logStartOffset };
}

/** validateBatches failures Kafka finds in the log (LogValidator), not before it. */
const IN_LOG_FAILURES: ReadonlySet<number> = new Set([
  FailureKind.baseOffset,
  FailureKind.badDelta,
  FailureKind.badCount,
  FailureKind.inconsistent,
  FailureKind.control,
  FailureKind.noSequence,
  FailureKind.logAppendTime,
]);
const RECORD_FAULT_MIN = FailureKind.recordTruncated;

/** Kafka's smallest batch size field (LegacyRecord.RECORD_OVERHEAD_V0); below it a batch is corrupt. */
const MIN_RECORD_OVERHEAD = 14;

/**
 * True when the payload holds no whole batch: Kafka counts the whole batches first
 * (ProduceRequest.validateRecords) and answers INVALID_RECORD for none, before any CRC check.
 */
function noWholeBatch(records: Buffer): boolean {
  if (records.length < LOG_OVERHEAD) return true;
  const batchLength = records.readInt32BE(8);
  return batchLength >= MIN_RECORD_OVERHEAD && LOG_OVERHEAD + batchLength > records.length;
}

/**
 * Appends to each partition in the order the requests arrived, even when one of them waits for a
 * decompression worker: an idempotent producer pipelines up to five requests, and a later small
 * batch must not overtake an earlier large one (its sequence would be out of order). A partition
 * with nothing pending runs its work at once; otherwise the work waits for the previous one.
 * Bounded by the requests in flight (limits.inFlightRequestsPerConnection per connection).
 */
class PartitionOrder {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, work: () => Answer): Answer {
    const tail = this.tails.get(key);
    const answer = tail === undefined ? work() : tail.then(work);
    if (answer instanceof Promise) this.track(key, answer);
    return answer;
  }

  private track(key: string, answer: Promise<unknown>): void {
    const settled = answer.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
  }
}

const orders = new WeakMap<Broker, PartitionOrder>();

function orderOf(b: Broker): PartitionOrder {
  let order = orders.get(b);
  if (order === undefined) orders.set(b, (order = new PartitionOrder()));
  return order;
}

/**
 * Kafka's timestamp bounds for CreateTime topics (message.timestamp.before.max.ms and
 * after.max.ms, KIP-937), checked on every record by the record check (batch-records.ts); null
 * for LogAppendTime topics, whose producers' times are replaced.
 */
function timestampBounds(rules: ProduceRules, nowMs: number): TimestampBounds | null {
  if (rules.logAppendTime) return null;
  return { nowMs: BigInt(nowMs), beforeMaxMs: rules.timestampBeforeMaxMs, afterMaxMs: rules.timestampAfterMaxMs };
}

function appendPartition(b: Broker, topic: string, index: number, records: Buffer | null, version: number): Answer {
  return orderOf(b).run(`${topic}\u0000${index}`, () => validateAndAppend(b, topic, index, records, version));
}

/** Header checks, then the record checks (perhaps in a worker), then the append. */
function validateAndAppend(b: Broker, topic: string, index: number, records: Buffer | null, version: number): Answer {
  const plog = b.logs.get(topic, index);
  if (!plog) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
  if (INTERNAL_TOPICS.has(topic)) return partitionError(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  if (records === null || noWholeBatch(records)) {
    return partitionError(index, ErrorCode.INVALID_RECORD, 'Produce requests must carry exactly one record batch per partition.');
  }
  const maxMessageBytes = b.logs.maxMessageBytes(topic);
  const checked = validateBatches(records, { maxBatchBytes: maxMessageBytes, segmentBytes: plog.config.segmentBytes });
  if (!checked.ok) {
    const inLog = checked.kind !== undefined && (IN_LOG_FAILURES.has(checked.kind) || checked.kind >= RECORD_FAULT_MIN);
    return inLog ? inLogError(index, checked.errorCode, checked.message, plog.logStartOffset) : partitionError(index, checked.errorCode, checked.message);
  }
  const info = checked.batches[0]!;
  if (info.compression === COMPRESSION_ZSTD && version < 7) {
    return partitionError(index, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with version below 7 cannot carry zstd-compressed batches.');
  }
  const opts = {
    compacted: b.logs.isCompacted(topic),
    decompressedBytesMax: decompressedBytesFor(maxMessageBytes),
    topicPartition: `${topic}-${index}`,
    timestampBounds: timestampBounds(b.logs.produceRules(topic), Date.now()),
  };
  const check = b.recordChecks.check(records, info, opts);
  const append = (c: RecordCheck): PartitionResponse => (c.ok ? appendChecked(b, topic, index, records, checked.batches, version) : recordsRefused(index, c, plog.logStartOffset));
  return check instanceof Promise ? check.then(append) : append(check);
}

function recordsRefused(index: number, c: RecordCheck & { ok: false }, logStartOffset: bigint): PartitionResponse {
  // MESSAGE_TOO_LARGE (decompressed size) is answered without the log start offset, as in Kafka.
  const answer = c.errorCode === ErrorCode.MESSAGE_TOO_LARGE ? partitionError(index, c.errorCode, c.message) : inLogError(index, c.errorCode, c.message, logStartOffset);
  return { ...answer, recordErrors: c.recordErrors };
}

/** The append of a batch whose every check passed; the partition is looked up again (a worker may have run). */
function appendChecked(b: Broker, topic: string, index: number, records: Buffer, batches: BatchInfo[], version: number): PartitionResponse {
  const plog = b.logs.get(topic, index);
  if (!plog) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
  const info = batches[0]!;
  if (info.isTransactional) {
    const verified = b.transactions.verifyPartition(info.producerId, info.producerEpoch, { topic, partition: index });
    // KIP-890: Produce v11+ clients understand TRANSACTION_ABORTABLE for a partition outside the
    // transaction; older ones get INVALID_TXN_STATE (Kafka's AddPartitionsToTxnManager).
    const code = verified === ErrorCode.INVALID_TXN_STATE && version >= 11 ? ErrorCode.TRANSACTION_ABORTABLE : verified;
    if (code !== ErrorCode.NONE) return partitionError(index, code, 'This partition is not part of an ongoing transaction of this producer.');
  }
  const sequence = plog.producers.check(info);
  if (sequence.kind === 'error') return inLogError(index, sequence.errorCode, sequence.message, plog.logStartOffset);
  if (sequence.kind === 'duplicate') {
    return { ...partitionError(index, ErrorCode.NONE, null), baseOffset: sequence.firstOffset, logStartOffset: plog.logStartOffset };
  }
  try {
    const appended = plog.append(records, batches);
    b.logs.notifyAppend(topic, index);
    return {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: appended.baseOffset,
      logAppendTimeMs: BigInt(appended.logAppendTimeMs),
      logStartOffset: plog.logStartOffset,
      recordErrors: [],
      errorMessage: null,
      currentLeader: NO_LEADER,
    };
  } catch (err) {
    if (!(err instanceof LogStorageError)) throw err;
    b.log.error(`partition ${topic}-${index} is offline: ${err.message}`);
    return partitionError(index, ErrorCode.KAFKA_STORAGE_ERROR, 'The broker could not write this partition; see its log.');
  }
}

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponse> = {
  codec: Produce,
  minVersion: 0,
  maxVersion: 11,
  handle(req: ProduceRequest, ctx: RequestContext): HandlerResult<ProduceResponse> {
    const b = ctx.broker;
    const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
    let waiting = false;
    const topics = req.topicData.map((td) => ({
      name: td.name,
      topicId: td.topicId,
      answers: td.partitionData.map((pd): Answer => {
        if (ctx.apiVersion < 3) {
          return partitionError(pd.index, ErrorCode.UNSUPPORTED_VERSION, 'Produce versions 0-2 are not supported; use version 3 or later.');
        }
        if (!acksValid) return partitionError(pd.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, got ${req.acks}.`);
        const answer = appendPartition(b, td.name, pd.index, pd.records, ctx.apiVersion);
        if (answer instanceof Promise) waiting = true;
        return answer;
      }),
    }));
    const respond = (partitions: PartitionResponse[][]): ProduceResponse | null | typeof CLOSE_CONNECTION => {
      if (req.acks !== 0) return { responses: topics.map((t, i) => ({ name: t.name, topicId: t.topicId, partitionResponses: partitions[i]! })), throttleTimeMs: 0, nodeEndpoints: [] };
      // acks=0: no answer; a failure closes the connection, as Kafka does, so the client notices.
      return partitions.some((ps) => ps.some((p) => p.errorCode !== ErrorCode.NONE)) ? CLOSE_CONNECTION : null;
    };
    if (!waiting) return respond(topics.map((t) => t.answers as PartitionResponse[]));
    return Promise.all(topics.map((t) => Promise.all(t.answers))).then(respond);
  },
};
