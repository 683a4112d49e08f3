/**
 * The clock every time-driven part of the broker reads (issue 14): session and rebalance
 * timeouts, transaction timeouts and expiry, retention, compaction lag, producer id expiry, fetch
 * max wait and delayed produce (the purgatory), segment roll, flush, connection idle, ISR lag.
 *
 * Two implementations behind one interface:
 * - `wallClock`: Date.now and Node's own timers, exactly as if there were no clock (the default).
 * - `VirtualClock`: starts at wall time and runs with it, and a test can move it forward with
 *   `advance(ms)`: every timer due by the new time fires in order of its due time (ties in the
 *   order they were set), each seeing `nowMs()` equal to its due time, and after each firing the
 *   event loop turns so the promise chains it started (log appends, coordinator writes) run before
 *   the next; `advance` resolves once the last has run. `pause()` stops it flowing with wall time,
 *   so a test sees exactly the time it sets.
 *
 * Periodic checks (`setInterval`: retention, flush, producer expiry, the log cleaner...) are
 * checks of state, not events: when one would tick many times in a row with no one-shot timer due
 * between its ticks, only its last tick in that run fires (as a machine waking from sleep runs a
 * missed periodic job once), so `advance` by eight days costs a few firings, not 700,000.
 *
 * What stays on wall time, on purpose: the cluster's liveness (broker heartbeats, session fencing,
 * the replica fetcher's backoff, the metadata fetcher), SASL re-authentication and token expiry,
 * the stall guard against clients that stop reading mid-frame, and log line timestamps. Moving a
 * test's clock must not fence the brokers that serve it or drop its connections.
 *
 * Not concurrency-safe across advances by design: a second `advance` waits for the first.
 */

import { limits } from '../config/limits.js';

export interface TimerHandle {
  /** As Node's: the timer does not keep the process alive. */
  unref(): TimerHandle;
}

export interface Clock {
  readonly virtual: boolean;
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Every `ms` (a function is read again at each tick: a dynamic config). */
  setInterval(fn: () => void, ms: number | (() => number)): TimerHandle;
  /** Cancels a timer or an interval; a null or already fired handle is ignored. */
  clearTimeout(t: TimerHandle | null | undefined): void;
}

/** Date.now and Node's timers. */
export const wallClock: Clock = {
  virtual: false,
  nowMs: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => {
    if (typeof ms === 'number') return setInterval(fn, ms);
    // A dynamic period: a chain of timeouts, one handle that clears whichever is pending.
    const handle = new WallChain(fn, ms);
    return handle;
  },
  clearTimeout: (t) => {
    if (t instanceof WallChain) t.cancel();
    else if (t) clearTimeout(t as NodeJS.Timeout);
  },
};

class WallChain implements TimerHandle {
  private timer: NodeJS.Timeout;
  private unrefd = false;
  constructor(private readonly fn: () => void, private readonly periodMs: () => number) {
    this.timer = this.arm();
  }
  private arm(): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timer = this.arm();
      this.fn();
    }, this.periodMs());
    if (this.unrefd) t.unref();
    return t;
  }
  unref(): TimerHandle {
    this.unrefd = true;
    this.timer.unref();
    return this;
  }
  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** One timer of a virtual clock. */
class VirtualTimer implements TimerHandle {
  cancelled = false;
  /** Keeps the process alive while pending, as a Node timer does until unref(). */
  refd = true;
  constructor(
    readonly fn: () => void,
    public dueMs: number,
    /** Set order: ties on dueMs fire in it. */
    public seq: number,
    readonly periodMs: (() => number) | null,
    private readonly onUnref: () => void,
  ) {}
  unref(): TimerHandle {
    if (this.refd) {
      this.refd = false;
      this.onUnref();
    }
    return this;
  }
}

export interface AdvanceResult {
  nowMs: number;
  /** Timer firings the advance ran. */
  fired: number;
}

/** Turns of the event loop after each firing during an advance, for the work it started. */
const SETTLE_TURNS = 2;
/** Firings one advance may run; beyond, it stops with the time reached (a runaway timer loop). */
const ADVANCE_FIRINGS_MAX = limits.virtualClockFiringsPerAdvanceMax;
/** Longest single advance: a hundred years, far beyond any Kafka timeout. */
export const ADVANCE_MS_MAX = 100 * 365 * 24 * 3600 * 1000;

export class VirtualClock implements Clock {
  readonly virtual = true;
  /** Virtual time minus wall time while flowing. */
  private offsetMs: number;
  /** The time while paused or while an advance fires a timer; null when flowing. */
  private heldMs: number | null = null;
  private paused = false;
  private readonly timers: VirtualTimer[] = [];
  private seq = 0;
  /** The Node timer that fires due timers as wall time passes (not while paused). */
  private wake: NodeJS.Timeout | null = null;
  private advancing: Promise<unknown> = Promise.resolve();
  private inAdvance = false;
  /** Called with a timer's error (a throwing timer must not stop the others). */
  onError: (err: unknown) => void = () => {};

  /** `paused`: held at exactly `startMs` from the start (pause() after construction may find a millisecond gone). */
  constructor(startMs: number = Date.now(), opts: { paused?: boolean } = {}) {
    this.offsetMs = startMs - Date.now();
    if (opts.paused) {
      this.heldMs = startMs;
      this.paused = true;
    }
  }

  nowMs(): number {
    return this.heldMs ?? Date.now() + this.offsetMs;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number | (() => number)): TimerHandle {
    const period = typeof ms === 'number' ? () => ms : ms;
    return this.add(fn, period(), period);
  }

  clearTimeout(t: TimerHandle | null | undefined): void {
    if (!(t instanceof VirtualTimer) || t.cancelled) return;
    t.cancelled = true;
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
    this.rearm();
  }

  /** Stops the clock flowing with wall time: it moves only by advance() until resume(). */
  pause(): void {
    if (this.paused) return;
    this.heldMs = this.nowMs();
    this.paused = true;
    this.rearm();
  }

  resume(): void {
    if (!this.paused) return;
    this.offsetMs = this.heldMs! - Date.now();
    this.heldMs = null;
    this.paused = false;
    this.rearm();
  }

  /**
   * Moves the clock `ms` forward, firing every timer due by then in order, and resolves when the
   * last one's consequences have run. Advances queue behind each other.
   */
  advance(ms: number): Promise<AdvanceResult> {
    if (!Number.isFinite(ms) || ms < 0 || ms > ADVANCE_MS_MAX) {
      return Promise.reject(new RangeError(`advance takes 0 to ${ADVANCE_MS_MAX} ms, got ${ms}`));
    }
    const run = this.advancing.then(() => this.runAdvance(ms));
    this.advancing = run.catch(() => {});
    return run;
  }

  private async runAdvance(ms: number): Promise<AdvanceResult> {
    const targetMs = this.nowMs() + ms;
    this.inAdvance = true;
    this.heldMs = this.nowMs();
    let fired = 0;
    try {
      for (;;) {
        const next = this.nextDue(targetMs);
        if (next === null || fired >= ADVANCE_FIRINGS_MAX) break;
        this.heldMs = Math.max(this.heldMs, next.dueMs);
        this.fire(next);
        fired++;
        for (let i = 0; i < SETTLE_TURNS; i++) await new Promise<void>((r) => setImmediate(r));
      }
      // A runaway chain of timers stops the advance at the time it reached.
      if (fired < ADVANCE_FIRINGS_MAX) this.heldMs = Math.max(this.heldMs, targetMs);
    } finally {
      this.inAdvance = false;
      if (!this.paused) {
        this.offsetMs = this.heldMs! - Date.now();
        this.heldMs = null;
      }
      this.rearm();
    }
    return { nowMs: this.nowMs(), fired };
  }

  /**
   * The next timer due by `limitMs`, removed from the list; a periodic one is moved to its last
   * tick before the next one-shot timer (or the limit), so a run of its ticks fires once.
   */
  private nextDue(limitMs: number): VirtualTimer | null {
    const t = this.timers[0];
    if (t === undefined || t.dueMs > limitMs) return null;
    this.timers.shift();
    if (t.periodMs !== null) {
      const oneShot = this.timers.find((o) => o.periodMs === null);
      const until = Math.min(limitMs, oneShot?.dueMs ?? Infinity);
      const period = Math.max(1, t.periodMs());
      if (until > t.dueMs) t.dueMs += Math.floor((until - t.dueMs) / period) * period;
    }
    return t;
  }

  private fire(t: VirtualTimer): void {
    if (t.periodMs !== null && !t.cancelled) {
      // Rescheduled before it runs, so it may cancel itself.
      const period = Math.max(1, t.periodMs());
      this.insert(t, t.dueMs + period);
    } else {
      t.cancelled = true;
    }
    try {
      t.fn();
    } catch (err) {
      this.onError(err);
    }
  }

  private add(fn: () => void, ms: number, period: (() => number) | null): VirtualTimer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const t = new VirtualTimer(fn, 0, 0, period, () => this.rearm());
    this.insert(t, this.nowMs() + delay);
    this.rearm();
    return t;
  }

  /** Keeps `timers` sorted by due time, then by set order. */
  private insert(t: VirtualTimer, dueMs: number): void {
    t.dueMs = dueMs;
    t.seq = this.seq++;
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timers[mid]!.dueMs <= dueMs) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, t);
  }

  /** Arms the Node timer for the earliest due timer while the clock flows. */
  private rearm(): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    if (this.paused || this.inAdvance) return;
    const first = this.timers[0];
    if (!first) return;
    const delay = Math.max(0, first.dueMs - this.nowMs());
    // Node's timers take at most 2^31-1 ms; a later due time re-arms on the way.
    this.wake = setTimeout(() => this.fireDue(), Math.min(delay, 0x7fffffff));
    if (!this.timers.some((t) => t.refd)) this.wake.unref();
  }

  /** Wall time reached the earliest timer: fires everything due now, in order. */
  private fireDue(): void {
    this.wake = null;
    if (this.paused || this.inAdvance) return;
    const nowMs = this.nowMs();
    let n = 0;
    for (let t = this.nextDue(nowMs); t !== null && n < ADVANCE_FIRINGS_MAX; t = this.nextDue(nowMs)) {
      this.fire(t);
      n++;
    }
    this.rearm();
  }
}

export function isVirtualClock(c: Clock): c is VirtualClock {
  return c instanceof VirtualClock;
}
