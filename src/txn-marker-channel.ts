/**
 * How a transaction coordinator's markers reach the partitions of a transaction (Kafka's
 * TransactionMarkerChannelManager): a partition this broker leads gets its marker directly; the
 * others go to their leaders as WriteTxnMarkers requests, one per leader for each round. A marker
 * counts as written when it is on every in-sync replica of its partition (the leader answers
 * WriteTxnMarkers only then). Partitions that failed (a leader that moved or is down, a timeout)
 * are tried again after a backoff, with the leader the metadata names then, for as long as the
 * coordinator still owns the transaction; a partition gone from this broker's metadata (its topic
 * was deleted) is dropped, and a
 * TRANSACTION_COORDINATOR_FENCED answer (a newer coordinator ended this transaction there) ends
 * the job.
 */
import type { Logger } from './logger.js';
import type { MetadataImage } from './metadata/image.js';
import type { NodeClient } from './net/node-client.js';
import { ErrorCode } from './protocol/errors.js';
import { WriteTxnMarkers } from './protocol/generated/27-write-txn-markers.js';
import type { MarkerJob, TopicPartition } from './txn/coordinator.js';

/** Writes one marker to a partition this broker leads and waits for its in-sync replicas (the broker's writeTxnMarker). */
export type LocalMarkerWrite = (tp: TopicPartition, job: MarkerJob) => number | Promise<number>;

export interface MarkerChannelOptions {
  nodeId: number;
  image: MetadataImage;
  writeLocal: LocalMarkerWrite;
  /** A connection to another broker's inter-broker listener; null while its address is unknown. */
  clientFor(brokerId: number): NodeClient | null;
  /** Between two rounds for the partitions not yet written. */
  retryBackoffMs: number;
  log: Logger;
}

const tpName = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

export class TxnMarkerChannel {
  constructor(private readonly opts: MarkerChannelOptions) {}

  /** Writes the job's markers (the coordinator's MarkerWriter): null when all were written at once. */
  write(job: MarkerJob): Promise<void> | null {
    if (!job.current()) return null;
    const first = this.round(job, job.partitions);
    if (!(first instanceof Promise) && first.length === 0) return null;
    return (async () => {
      let left = await first;
      while (left.length > 0 && job.current()) {
        await new Promise((r) => setTimeout(r, this.opts.retryBackoffMs).unref());
        if (!job.current()) return;
        left = await this.round(job, left);
      }
    })();
  }

  /**
   * One attempt at every partition in `partitions`, grouped by leader; what is left to retry.
   * Synchronous when every partition is led here and its marker is durable at once (one broker).
   */
  private round(job: MarkerJob, partitions: readonly TopicPartition[]): TopicPartition[] | Promise<TopicPartition[]> {
    const byLeader = new Map<number, TopicPartition[]>();
    const left: TopicPartition[] = [];
    for (const tp of partitions) {
      const p = this.opts.image.topicsByName.get(tp.topic)?.partitions[tp.partition];
      if (!p) continue; // deleted with its topic: nothing to end there
      if (p.leader < 0) {
        left.push(tp);
        continue;
      }
      byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), tp]);
    }
    const waits: Array<Promise<void>> = [];
    let fenced = false;
    // Every error but a fence is tried again, UNKNOWN_TOPIC_OR_PARTITION too (a leader whose
    // metadata lags): only this broker's own metadata losing the partition drops it (above), as
    // in Kafka's TransactionMarkerChannelManager.
    const settle = (tp: TopicPartition, code: number): void => {
      if (code === ErrorCode.NONE) return;
      if (code === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
        if (!fenced) this.opts.log.warn(`transaction markers of producer ${job.producerId} refused by ${tpName(tp)}: a newer coordinator ended its transaction there`);
        fenced = true;
        return;
      }
      left.push(tp);
    };
    for (const [leader, tps] of byLeader) {
      if (leader === this.opts.nodeId) {
        for (const tp of tps) {
          const code = this.opts.writeLocal(tp, job);
          if (code instanceof Promise) waits.push(code.then((c) => settle(tp, c)));
          else settle(tp, code);
        }
      } else {
        waits.push(this.sendTo(leader, tps, job).then((codes) => tps.forEach((tp, i) => settle(tp, codes[i]!))));
      }
    }
    const done = (): TopicPartition[] => {
      if (left.length > 0) this.opts.log.debug(`transaction markers of producer ${job.producerId} not yet written to ${left.map(tpName).join(', ')}; retrying`);
      return fenced ? [] : left;
    };
    return waits.length === 0 ? done() : Promise.all(waits).then(done);
  }

  /** WriteTxnMarkers to another broker: an error code per partition (a failed request: all retriable). */
  private async sendTo(brokerId: number, tps: readonly TopicPartition[], job: MarkerJob): Promise<number[]> {
    const client = this.opts.clientFor(brokerId);
    if (!client) return tps.map(() => ErrorCode.BROKER_NOT_AVAILABLE);
    const topics = new Map<string, number[]>();
    for (const tp of tps) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
    try {
      const res = await client.request(WriteTxnMarkers, {
        markers: [
          {
            producerId: job.producerId,
            producerEpoch: job.producerEpoch,
            transactionResult: job.commit,
            topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
            coordinatorEpoch: job.coordinatorEpoch,
          },
        ],
      });
      const codes = new Map<string, number>();
      for (const m of res.markers) for (const t of m.topics) for (const p of t.partitions) codes.set(tpName({ topic: t.name, partition: p.partitionIndex }), p.errorCode);
      const out = tps.map((tp) => codes.get(tpName(tp)) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
      this.opts.log.debug(`WriteTxnMarkers to broker ${brokerId} for producer ${job.producerId}: ${tps.map((tp, i) => `${tpName(tp)}=${out[i]}`).join(' ')}`);
      return out;
    } catch (e) {
      this.opts.log.debug(`WriteTxnMarkers to broker ${brokerId} failed: ${(e as Error).message}`);
      return tps.map(() => ErrorCode.BROKER_NOT_AVAILABLE);
    }
  }
}
