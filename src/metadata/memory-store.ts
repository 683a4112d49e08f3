/**
 * An in-memory CoordinatorStore for coordinator tests: record batches (maybe transactional) and
 * markers kept in order, replayed like InternalTopic replays a log, with an injectable failure.
 */
import { LogStorageError } from '../log/partition-log.js';
import type { BatchContext, CoordinatorStore, KeyValue, TransactionalWrite } from './internal-topic.js';

export class MemoryStore implements CoordinatorStore {
  entries: Array<{ records: KeyValue[]; txn?: TransactionalWrite } | { marker: { producerId: bigint; commit: boolean } }> = [];
  failNext = false;
  get records(): KeyValue[] {
    return this.entries.flatMap((e) => ('records' in e ? e.records : []));
  }
  ensure(): string | null {
    return null;
  }
  leads(): boolean {
    return true;
  }

  partitionFor(): number {
    return 0;
  }
  append(_key: string, records: readonly KeyValue[], txn?: TransactionalWrite): void {
    if (this.failNext) {
      this.failNext = false;
      throw new LogStorageError('injected');
    }
    this.entries.push(txn ? { records: [...records], txn } : { records: [...records] });
  }
  /** What durable() answers: null (already durable) unless a test sets a pending outcome. */
  durability: Promise<number> | null = null;
  durable(): Promise<number> | null {
    return this.durability;
  }
  epochFor(): number {
    return 0;
  }
  writeMarker(producerId: bigint, commit: boolean): void {
    this.entries.push({ marker: { producerId, commit } });
  }
  replay(onRecord: (key: Buffer, value: Buffer | null, batch: BatchContext) => void, onMarker?: (producerId: bigint, commit: boolean) => void): number {
    let n = 0;
    for (const e of this.entries) {
      if ('marker' in e) {
        onMarker?.(e.marker.producerId, e.marker.commit);
        continue;
      }
      for (const r of e.records) {
        onRecord(r.key, r.value, { producerId: e.txn?.producerId ?? -1n, isTransactional: e.txn !== undefined });
        n++;
      }
    }
    return n;
  }
}

