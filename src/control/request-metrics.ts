/**
 * The counters behind /metrics (admin/metrics.ts renders them), kept as Kafka keeps its JMX
 * meters: per API, requests by version, errors by code and the total time of each request
 * (RequestMetrics); per topic and in all, records and bytes produced and bytes fetched by
 * consumers (BrokerTopicMetrics).
 *
 * Per request: a few array and map lookups and integer additions, no allocation once an API,
 * version, error code or topic has been seen (each gets its counter the first time). Times go
 * into a fixed log-spaced histogram (TIME_BOUNDS_MS), from which the percentiles are estimated by
 * interpolating within the bucket (Kafka samples them with a reservoir instead; a bucket's bounds
 * are at most 2.5x apart).
 *
 * Records are counted from the record count in each produced batch's header (a Produce carries one
 * batch per partition), only for partitions answered without error; bytes are the batch bytes.
 * An idempotent retry answered with its original offsets counts again (Kafka counts it once).
 * Bytes out are the record bytes of Fetch answers to consumers; followers' fetches are not counted
 * (Kafka counts those as ReplicationBytesOutPerSec).
 */
import { limits } from '../config/limits.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/generated/00-produce.js';
import type { FetchRequest, FetchResponse } from '../protocol/generated/01-fetch.js';

/** Upper bounds of the request time buckets (ms); the last bucket is everything above. */
export const TIME_BOUNDS_MS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/** Where a record batch keeps its record count (magic 2: baseOffset 8, length 4, epoch 4, magic 1, crc 4, attributes 2, lastOffsetDelta 4, timestamps 16, producer id 8, epoch 2, sequence 4). */
const RECORDS_COUNT_OFFSET = 57;

export class TimeHistogram {
  readonly buckets = new Float64Array(TIME_BOUNDS_MS.length + 1);
  count = 0;
  sumMs = 0;
  minMs = Infinity;
  maxMs = 0;

  add(ms: number): void {
    if (ms < this.minMs) this.minMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
    let i = 0;
    while (i < TIME_BOUNDS_MS.length && ms > TIME_BOUNDS_MS[i]!) i++;
    this.buckets[i]!++;
    this.count++;
    this.sumMs += ms;
  }

  /** The q-quantile (0..1), interpolated within its bucket and kept within the least and greatest sample; 0 with no samples. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let below = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const n = this.buckets[i]!;
      if (n > 0 && below + n >= rank) {
        const lo = i === 0 ? 0 : TIME_BOUNDS_MS[i - 1]!;
        const hi = i < TIME_BOUNDS_MS.length ? TIME_BOUNDS_MS[i]! : lo * 2;
        const estimate = lo + ((hi - lo) * Math.max(0, rank - below)) / n;
        return Math.min(this.maxMs, Math.max(this.minMs, estimate));
      }
      below += n;
    }
    return this.maxMs;
  }
}

export class ApiMetrics {
  /** Requests by version (index: version). */
  readonly byVersion: number[] = [];
  /** Answers by error code (0: NONE), as Kafka's ErrorsPerSec counts every answered request. */
  readonly errors = new Map<number, number>();
  readonly time = new TimeHistogram();
  constructor(readonly name: string) {}

  get requests(): number {
    let n = 0;
    for (const v of this.byVersion) n += v ?? 0;
    return n;
  }
}

export class TopicTraffic {
  messagesIn = 0;
  bytesIn = 0;
  bytesOut = 0;
}

export class RequestMetrics {
  /** By API key. */
  readonly apis = new Map<number, ApiMetrics>();
  readonly topics = new Map<string, TopicTraffic>();
  readonly all = new TopicTraffic();
  /** The name of a topic a Fetch v13+ names by id only (the broker sets it from its image). */
  topicNameOf: (topicId: Buffer) => string | undefined = () => undefined;
  /** Whether a topic still exists (the broker sets it from its image): deleted topics' counters are dropped. */
  topicExists: (name: string) => boolean = () => true;

  request(apiKey: number, apiName: string, apiVersion: number, errorCode: number, latencyMs: number): void {
    let m = this.apis.get(apiKey);
    if (m === undefined) this.apis.set(apiKey, (m = new ApiMetrics(apiName)));
    m.byVersion[apiVersion] = (m.byVersion[apiVersion] ?? 0) + 1;
    m.errors.set(errorCode, (m.errors.get(errorCode) ?? 0) + 1);
    m.time.add(latencyMs);
  }

  /** Records and bytes of an answered Produce (response null: acks=0, every partition appended). */
  produced(req: ProduceRequest, res: ProduceResponse | null): void {
    for (let t = 0; t < req.topicData.length; t++) {
      const td = req.topicData[t]!;
      const answers = res?.responses[t];
      if (res !== null && answers?.name !== td.name) continue;
      for (let p = 0; p < td.partitionData.length; p++) {
        const records = td.partitionData[p]!.records;
        if (records === null || records.length < RECORDS_COUNT_OFFSET + 4) continue;
        if (answers !== undefined && answers.partitionResponses[p]?.errorCode !== 0) continue;
        const traffic = this.topic(td.name);
        const count = records.readInt32BE(RECORDS_COUNT_OFFSET);
        traffic.messagesIn += count;
        traffic.bytesIn += records.length;
        this.all.messagesIn += count;
        this.all.bytesIn += records.length;
      }
    }
  }

  /** Record bytes of a Fetch answered to a consumer. */
  fetched(req: FetchRequest, res: FetchResponse): void {
    const replicaId = req.replicaState.replicaId >= 0 ? req.replicaState.replicaId : req.replicaId;
    if (replicaId >= 0) return;
    for (const tr of res.responses) {
      let bytes = 0;
      for (const pr of tr.partitions) bytes += pr.records?.length ?? 0;
      if (bytes === 0) continue;
      const name = tr.topic !== '' ? tr.topic : this.topicNameOf(tr.topicId);
      if (name !== undefined) this.topic(name).bytesOut += bytes;
      this.all.bytesOut += bytes;
    }
  }

  private topic(name: string): TopicTraffic {
    let t = this.topics.get(name);
    if (t === undefined) {
      // Bounded by the topics that exist: past limits.topicsMax counters, deleted topics' go.
      if (this.topics.size >= limits.topicsMax) for (const known of this.topics.keys()) if (!this.topicExists(known)) this.topics.delete(known);
      this.topics.set(name, (t = new TopicTraffic()));
    }
    return t;
  }
}
