/**
 * Produce (key 0), versions 0-11 advertised, 3-11 served.
 *
 * Versions 0-2 are advertised because librdkafka turns compression off unless Produce's range
 * starts at 0 (KAFKA-18659), and answered with UNSUPPORTED_VERSION per partition, as Kafka 4 does.
 * acks must be 0, 1 or -1 (INVALID_REQUIRED_ACKS otherwise); on a single node 1 and -1 mean the
 * same. acks=0 gets no response at all.
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
 * gap OUT_OF_ORDER_SEQUENCE_NUMBER (txn/producer-state.ts).
 *
 * The batch is then appended exactly as received, with only baseOffset and partitionLeaderEpoch
 * overwritten. Waiting fetches are woken. A failed write takes the partition offline
 * (KAFKA_STORAGE_ERROR) without touching other partitions.
 *
 * With acks=-1, min.insync.replicas above the single replica gets NOT_ENOUGH_REPLICAS, as in Kafka.
 * CreateTime batches whose first or largest timestamp lies outside
 * message.timestamp.before/after.max.ms get INVALID_TIMESTAMP with a record error (Kafka 4's
 * default: at most one hour ahead). Kafka checks every record's timestamp; the batch header's two
 * bound them all for producers that set them as the format asks.
 */
import { ErrorCode } from '../protocol/errors.js';
import { Produce, type ProduceRequest, type ProduceResponse } from '../protocol/generated/00-produce.js';
import { LogStorageError } from '../log/partition-log.js';
import { validateBatches, type BatchInfo } from '../log/record-batch.js';
import type { RecordCheck } from '../log/batch-records.js';
import { decompressedBytesFor } from '../config/limits.js';
import type { ProduceRules } from '../log/log-manager.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import type { Broker } from '../broker.js';
import type { ApiHandler, HandlerResult, RequestContext } from './registry.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

const COMPRESSION_ZSTD = 4;
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function partitionError(index: number, errorCode: number, errorMessage: string | null): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage, currentLeader: NO_LEADER };
}

type Answer = PartitionResponse | Promise<PartitionResponse>;

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

/** Replicas in sync on a single node. */
const ISR_SIZE = 1;
/** Kafka's RecordBatch.NO_TIMESTAMP: a record without a time is never out of range. */
const NO_TIMESTAMP = -1n;

/**
 * Kafka's timestamp bounds for CreateTime topics (message.timestamp.before.max.ms and
 * after.max.ms, KIP-937): a time outside [now - before, now + after] is INVALID_TIMESTAMP, with
 * Kafka's record error message. Checked on the batch's first and largest timestamps.
 */
function timestampOutOfRange(info: BatchInfo, rules: ProduceRules, nowMs: number): { batchIndex: number; batchIndexErrorMessage: string } | null {
  // Numbers, not bigints, on this per-partition path: bounds and times near them are far below
  // 2^53; a time past that is out of range whatever its rounding.
  const low = nowMs - Math.min(rules.timestampBeforeMaxMs, nowMs);
  const high = nowMs + Math.min(rules.timestampAfterMaxMs, Number.MAX_SAFE_INTEGER - nowMs);
  const outside = (t: bigint): boolean => t !== NO_TIMESTAMP && (Number(t) < low || Number(t) > high);
  const timestamp = outside(info.baseTimestamp) ? info.baseTimestamp : outside(info.maxTimestamp) ? info.maxTimestamp : null;
  if (timestamp === null) return null;
  const message = `Timestamp ${timestamp} of message with offset 0 is out of range. The timestamp should be within [${low}, ${high}]`;
  return { batchIndex: 0, batchIndexErrorMessage: message };
}

/** min.insync.replicas and the timestamp bounds: what Kafka checks besides the bytes. */
function rulesProblem(b: Broker, topic: string, index: number, info: BatchInfo, acks: number): PartitionResponse | null {
  const rules = b.logs.produceRules(topic);
  if (acks === -1 && rules.minInsyncReplicas > ISR_SIZE) {
    // Kafka checks this before appending (Partition.appendRecordsToLeader); one node is the ISR.
    return partitionError(
      index,
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `The size of the current ISR Set(${b.nodeId}) is insufficient to satisfy the min.isr requirement of ${rules.minInsyncReplicas} for partition ${topic}-${index}`,
    );
  }
  const badTimestamp = rules.logAppendTime ? null : timestampOutOfRange(info, rules, Date.now());
  if (!badTimestamp) return null;
  return { ...partitionError(index, ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp'), recordErrors: [badTimestamp] };
}

function appendPartition(b: Broker, topic: string, index: number, records: Buffer | null, version: number, acks: number): Answer {
  return orderOf(b).run(`${topic}\u0000${index}`, () => validateAndAppend(b, topic, index, records, version, acks));
}

/** Header checks, then the record checks (perhaps in a worker), then the append. */
function validateAndAppend(b: Broker, topic: string, index: number, records: Buffer | null, version: number, acks: number): Answer {
  const plog = b.logs.get(topic, index);
  if (!plog) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
  if (INTERNAL_TOPICS.has(topic)) return partitionError(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  if (records === null || records.length === 0) {
    return partitionError(index, ErrorCode.INVALID_RECORD, 'Produce requests must carry exactly one record batch per partition.');
  }
  const maxMessageBytes = b.logs.maxMessageBytes(topic);
  const checked = validateBatches(records, { maxBatchBytes: maxMessageBytes, segmentBytes: plog.config.segmentBytes });
  if (!checked.ok) return partitionError(index, checked.errorCode, checked.message);
  const info = checked.batches[0]!;
  if (info.compression === COMPRESSION_ZSTD && version < 7) {
    return partitionError(index, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with version below 7 cannot carry zstd-compressed batches.');
  }
  const problem = rulesProblem(b, topic, index, info, acks);
  if (problem) return problem;
  const opts = { compacted: b.logs.isCompacted(topic), decompressedBytesMax: decompressedBytesFor(maxMessageBytes), topicPartition: `${topic}-${index}` };
  const check = b.recordChecks.check(records, info, opts);
  const append = (c: RecordCheck): PartitionResponse => (c.ok ? appendChecked(b, topic, index, records, checked.batches, version) : recordsRefused(index, c));
  return check instanceof Promise ? check.then(append) : append(check);
}

function recordsRefused(index: number, c: RecordCheck & { ok: false }): PartitionResponse {
  return { ...partitionError(index, c.errorCode, c.message), recordErrors: c.recordErrors };
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
  if (sequence.kind === 'error') return partitionError(index, sequence.errorCode, sequence.message);
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
        const answer = appendPartition(b, td.name, pd.index, pd.records, ctx.apiVersion, req.acks);
        if (answer instanceof Promise) waiting = true;
        return answer;
      }),
    }));
    const respond = (partitions: PartitionResponse[][]): ProduceResponse | null =>
      req.acks === 0
        ? null
        : { responses: topics.map((t, i) => ({ name: t.name, topicId: t.topicId, partitionResponses: partitions[i]! })), throttleTimeMs: 0, nodeEndpoints: [] };
    if (!waiting) return respond(topics.map((t) => t.answers as PartitionResponse[]));
    return Promise.all(topics.map((t) => Promise.all(t.answers))).then(respond);
  },
};
