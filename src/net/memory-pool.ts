/**
 * A byte budget shared by every connection of a listener, after Kafka's SimpleMemoryPool
 * (queued.max.request.bytes). Nothing is allocated here: a connection takes bytes before it holds
 * them in memory and gives them back when it lets go, so what the pool says is in use bounds what
 * is really held.
 *
 * - `lenient` is Kafka's non-strict mode (the broker's): a take succeeds while any byte is left,
 *   so one frame of socket.request.max.bytes always fits and the pool may go over by at most one
 *   take. `strict` grants only what fits.
 * - A connection refused a take waits: `wait(retry)` queues it, and every release calls waiting
 *   connections back in arrival order while bytes are left. A waiter that still does not fit
 *   waits again.
 */
export class MemoryPool {
  private usedBytes = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly capacityBytes: number,
    private readonly mode: 'lenient' | 'strict',
    /** Told of an accounting bug (more released than taken); the pool goes on from zero. */
    private readonly onBug: (message: string) => void = (m) => {
      throw new Error(m);
    },
  ) {}

  get used(): number {
    return this.usedBytes;
  }

  get available(): number {
    return this.capacityBytes - this.usedBytes;
  }

  /** Takes n bytes if the pool allows; false means wait() and try again later. */
  tryTake(n: number): boolean {
    const fits = this.mode === 'strict' ? n <= this.available : this.available > 0;
    if (fits || n === 0) this.usedBytes += n;
    return fits || n === 0;
  }

  /** Counts bytes that are already held (they arrived before we could refuse them). */
  take(n: number): void {
    this.usedBytes += n;
  }

  release(n: number): void {
    if (n === 0) return;
    this.usedBytes -= n;
    if (this.usedBytes < 0) {
      const over = -this.usedBytes;
      this.usedBytes = 0;
      this.onBug(`memory pool released ${over} bytes more than it handed out`);
    }
    this.wakeWaiters();
  }

  wait(retry: () => void): void {
    this.waiters.add(retry);
  }

  cancelWait(retry: () => void): void {
    this.waiters.delete(retry);
  }

  private wakeWaiters(): void {
    // A snapshot: a waiter that still does not fit queues itself again, for the next release.
    for (const retry of [...this.waiters]) {
      if (this.available <= 0) return;
      if (!this.waiters.has(retry)) continue;
      this.waiters.delete(retry);
      retry();
    }
  }
}
