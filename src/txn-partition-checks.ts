/**
 * A partition leader's questions to a transaction coordinator on another broker (Kafka's
 * AddPartitionsToTxnManager, KIP-890): before a transactional batch starts a transaction on a
 * partition led here, the coordinator is asked with AddPartitionsToTxn v5, the brokers' batched
 * form. Below Produce v12 the question is VerifyOnly (part 1: did the producer add this partition
 * with its own AddPartitionsToTxn?); from v12 (and TxnOffsetCommit v5) it adds the partition
 * (part 2, transaction version 2: the client sends no AddPartitionsToTxn).
 *
 * Requests are batched per coordinator broker, one in flight per broker; checks that arrive
 * meanwhile wait for it and go together in the next request. What waits is bounded by the produce
 * and TxnOffsetCommit requests in flight (limits.inFlightRequestsPerConnection per connection), and
 * a transactional id holds one place at most. A transactional id holds at most
 * one place in a batch, as in Kafka: a newer check for the same id with the same epoch replaces
 * the older, which gets NETWORK_EXCEPTION (the client is retrying); a higher epoch answers the
 * older INVALID_PRODUCER_EPOCH; a lower one is answered INVALID_PRODUCER_EPOCH at once.
 *
 * Answers are mapped as Kafka maps them for the producer: PRODUCER_FENCED becomes
 * INVALID_PRODUCER_EPOCH; TRANSACTION_ABORTABLE becomes INVALID_TXN_STATE for a Produce below v11
 * (a client that does not know error 120); a top-level CLUSTER_AUTHORIZATION_FAILED becomes
 * INVALID_TXN_STATE for every partition. A coordinator that does not serve v5 is not asked (the
 * batch goes on unverified, Kafka's version-mismatch rule); one that cannot be reached answers
 * NETWORK_EXCEPTION (retriable), and an unknown coordinator COORDINATOR_NOT_AVAILABLE.
 */
import type { Logger } from './logger.js';
import { UnsupportedVersionError, type NodeClient } from './net/node-client.js';
import { ErrorCode } from './protocol/errors.js';
import { AddPartitionsToTxn, type AddPartitionsToTxnRequest } from './protocol/generated/24-add-partitions-to-txn.js';
import type { TopicPartition } from './txn/coordinator.js';
import type { TxnPartitionCheck } from './api/context.js';
import { forProducer } from './api/txn-errors.js';

/** The version of the brokers' form that carries TRANSACTION_ABORTABLE (KIP-890). */
const BROKER_FORM_VERSION = 5;


interface Pending {
  check: TxnPartitionCheck;
  resolve(codes: number[]): void;
}

export interface TxnPartitionChecksOptions {
  /** The broker leading the transactional id's `__transaction_state` partition; null when none is known. */
  coordinatorFor(transactionalId: string): number | null;
  clientFor(brokerId: number): NodeClient | null;
  log: Logger;
}

export class TxnPartitionChecks {
  /** Per coordinator broker: the checks for the next request, by transactional id. */
  private readonly waiting = new Map<number, Map<string, Pending>>();
  private readonly inFlight = new Set<number>();

  constructor(private readonly opts: TxnPartitionChecksOptions) {}

  /** An error code per partition of `check` (NONE where the coordinator agreed). */
  check(check: TxnPartitionCheck): Promise<number[]> {
    const all = (code: number): number[] => check.partitions.map(() => code);
    const broker = this.opts.coordinatorFor(check.transactionalId);
    if (broker === null) return Promise.resolve(all(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return new Promise((resolve) => {
      let batch = this.waiting.get(broker);
      if (!batch) this.waiting.set(broker, (batch = new Map()));
      const older = batch.get(check.transactionalId);
      if (older) {
        if (older.check.producerEpoch > check.producerEpoch) {
          resolve(all(ErrorCode.INVALID_PRODUCER_EPOCH));
          return;
        }
        const code = older.check.producerEpoch < check.producerEpoch ? ErrorCode.INVALID_PRODUCER_EPOCH : ErrorCode.NETWORK_EXCEPTION;
        older.resolve(older.check.partitions.map(() => code));
      }
      batch.set(check.transactionalId, { check, resolve });
      this.flush(broker);
    });
  }

  private flush(broker: number): void {
    if (this.inFlight.has(broker)) return;
    const batch = this.waiting.get(broker);
    if (!batch || batch.size === 0) return;
    this.waiting.delete(broker);
    this.inFlight.add(broker);
    void this.send(broker, [...batch.values()]).finally(() => {
      this.inFlight.delete(broker);
      this.flush(broker);
    });
  }

  private async send(broker: number, pending: Pending[]): Promise<void> {
    const client = this.opts.clientFor(broker);
    if (!client) {
      for (const p of pending) p.resolve(p.check.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    const request: AddPartitionsToTxnRequest = {
      transactions: pending.map(({ check }) => {
        const topics = new Map<string, number[]>();
        for (const tp of check.partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
        return {
          transactionalId: check.transactionalId,
          producerId: check.producerId,
          producerEpoch: check.producerEpoch,
          verifyOnly: check.verifyOnly,
          topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        };
      }),
      v3AndBelowTransactionalId: '',
      v3AndBelowProducerId: 0n,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
    };
    try {
      const res = await client.request(AddPartitionsToTxn, request, { version: BROKER_FORM_VERSION });
      if (res.errorCode !== ErrorCode.NONE) {
        const code = res.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED ? ErrorCode.INVALID_TXN_STATE : res.errorCode;
        this.opts.log.error(`AddPartitionsToTxn to broker ${broker} failed with error ${res.errorCode}`);
        for (const p of pending) p.resolve(p.check.partitions.map(() => code));
        return;
      }
      const byTxn = new Map(res.resultsByTransaction.map((r) => [r.transactionalId, r]));
      for (const p of pending) {
        const codes = new Map<string, number>();
        for (const t of byTxn.get(p.check.transactionalId)?.topicResults ?? []) {
          for (const r of t.resultsByPartition) codes.set(`${t.name}\0${r.partitionIndex}`, r.partitionErrorCode);
        }
        p.resolve(p.check.partitions.map((tp) => forProducer(codes.get(`${tp.topic}\0${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR, p.check.abortableErrorSupported)));
      }
    } catch (err) {
      if (err instanceof UnsupportedVersionError) {
        // A coordinator that cannot verify: the batches go on unverified (Kafka's versionMismatch rule).
        this.opts.log.warn(`broker ${broker} does not serve AddPartitionsToTxn v${BROKER_FORM_VERSION}: transactional produces are not verified there`);
        for (const p of pending) p.resolve(p.check.partitions.map(() => ErrorCode.NONE));
        return;
      }
      this.opts.log.debug(`AddPartitionsToTxn to broker ${broker} failed: ${(err as Error).message}`);
      for (const p of pending) p.resolve(p.check.partitions.map(() => ErrorCode.NETWORK_EXCEPTION));
    }
  }
}
