/**
 * Requests waiting for something to happen to a partition, in the role of Kafka's
 * DelayedOperationPurgatory: a fetch waiting for min_bytes (delayed fetch), a produce with
 * acks=all waiting for the high watermark to pass its batches (delayed produce).
 *
 * An operation watches the keys of its partitions ("topic\0partition"). The replica manager is
 * the one place that wakes them (`checkAndComplete` after an append, a high-watermark move or a
 * leadership change); each woken operation re-checks once per turn of the event loop however many
 * appends woke it, completes if it can, and otherwise keeps waiting until its deadline, when
 * `onExpiration` runs. `cancel` removes an operation without running either (its connection
 * closed). Bounded: `watch` refuses past `operationsMax` and the caller answers at once instead.
 */
import { wallClock, type Clock, type TimerHandle } from '../control/clock.js';

export interface DelayedOperation {
  /** Completes the operation if it can now; true when it did (it is then removed). */
  tryComplete(): boolean;
  /** Runs once at the deadline when the operation has not completed. */
  onExpiration(): void;
}

export interface Watch {
  /** Removes the operation without completing or expiring it. */
  cancel(): void;
}

interface Entry {
  readonly op: DelayedOperation;
  readonly keys: readonly string[];
  timer: TimerHandle | null;
  scheduled: boolean;
  done: boolean;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class Purgatory {
  private readonly byKey = new Map<string, Set<Entry>>();
  private count = 0;

  constructor(
    readonly name: string,
    private readonly operationsMax: number,
    private readonly clock: Clock = wallClock,
  ) {}

  /** Operations waiting now. */
  get size(): number {
    return this.count;
  }

  /**
   * Watches `op` on `keys` until it completes or `timeoutMs` passes. Null when the purgatory is
   * full: the caller answers without waiting.
   */
  watch(keys: readonly string[], timeoutMs: number, op: DelayedOperation): Watch | null {
    if (this.count >= this.operationsMax) return null;
    const entry: Entry = { op, keys, timer: null, scheduled: false, done: false };
    this.count++;
    for (const k of keys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(entry);
    }
    entry.timer = this.clock.setTimeout(() => {
      if (entry.done) return;
      this.remove(entry);
      op.onExpiration();
    }, timeoutMs);
    return { cancel: () => this.remove(entry) };
  }

  /** Lets every operation watching `key` re-check, once per turn of the event loop. */
  checkAndComplete(key: string): void {
    const set = this.byKey.get(key);
    if (!set) return;
    for (const entry of set) {
      if (entry.scheduled) continue;
      entry.scheduled = true;
      setImmediate(() => {
        entry.scheduled = false;
        if (entry.done) return;
        if (entry.op.tryComplete()) this.remove(entry);
      });
    }
  }

  private remove(entry: Entry): void {
    if (entry.done) return;
    entry.done = true;
    this.count--;
    this.clock.clearTimeout(entry.timer);
    for (const k of entry.keys) {
      const set = this.byKey.get(k);
      set?.delete(entry);
      if (set?.size === 0) this.byKey.delete(k);
    }
  }
}
