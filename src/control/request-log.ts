/**
 * The request log (issue 14, observation): the last `limits.requestLogEntriesMax` requests this
 * broker answered, newest last, and `nextRequest(matcher)`, a promise of the next request that
 * matches (the fault matchers: API key, version range, client id, topic, partition).
 *
 * It is always on (the inspector and GET /requests read it), so what a request costs here is
 * bounded and small: one entry object of fixed shape written into a preallocated ring slot
 * (O(1), the oldest entry is overwritten), plus the matchers of waiting `nextRequest` calls when
 * there are any (at most `limits.requestWaitersMax`). Nothing is copied out of the request.
 *
 * An entry's error code is the response's top-level error, else the first non-zero error of its
 * topics or partitions (`errorCodeOf`, a walk of the response object the handler returned, no
 * decoding of bytes). `notes` are what control/kafka4-notes.ts says of the request (KIP-896:
 * versions and configs Kafka 4 removed); one shared empty array for almost every request.
 */
import { limits } from '../config/limits.js';
import { ConfigError } from '../config/config-error.js';
import { TOPIC_MATCH_APIS, topicsOf } from './error-responses.js';

export interface RequestLogEntry {
  /** Wall-clock time the request was received (ms since the epoch). */
  readonly ts: number;
  readonly connectionId: number;
  readonly clientId: string | null;
  readonly clientSoftware: string | null;
  readonly clientSoftwareVersion: string | null;
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
  /** From receipt to the response handed to the socket (ms, fractional). */
  readonly latencyMs: number;
  /** 0 when none: the top-level error, else the first non-zero topic or partition error. */
  readonly errorCode: number;
  /** The id of the injected fault that fired on the request, if one did. */
  readonly fault: number | null;
  readonly notes: readonly string[];
}

/** Which requests `nextRequest` waits for; every field given must match. */
export interface RequestMatcher {
  apiKey?: number;
  minVersion?: number;
  maxVersion?: number;
  clientId?: string;
  topic?: string;
  partition?: number;
}

interface Waiter {
  readonly matcher: RequestMatcher;
  resolve(entry: RequestLogEntry): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | null;
}

export class RequestLog {
  private readonly ring: Array<RequestLogEntry | undefined>;
  /** Where the next entry goes; entries recorded so far (all time). */
  private next = 0;
  private recorded = 0;
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(readonly capacity: number = limits.requestLogEntriesMax) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`request log capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<RequestLogEntry | undefined>(capacity);
  }

  /** Requests recorded since start (not only those still held). */
  get total(): number {
    return this.recorded;
  }

  /** Some `nextRequest` is waiting: the caller passes the request so topic matchers can look. */
  get awaited(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * Records an answered request; `request` is read only by waiting matchers (topic, partition),
   * through `partitionsOf` when given (a Fetch by topic id or in a fetch session).
   */
  record(entry: RequestLogEntry, request: unknown, partitionsOf: (() => Array<{ topic: string; partition: number }>) | null = null): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    this.recorded++;
    if (this.waiters.length > 0) this.wake(entry, request, partitionsOf);
  }

  /** The newest `limit` entries (all held when omitted), oldest first. */
  recent(limit: number = this.capacity): RequestLogEntry[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.capacity, this.recorded));
    const out: RequestLogEntry[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[(this.next - n + i + this.capacity * 2) % this.capacity]!;
    return out;
  }

  /**
   * The log entry of the next request that matches, once it has been answered. Rejects after
   * `timeoutMs` (none: waits until it comes), and at once when `limits.requestWaitersMax` calls
   * are already waiting or the matcher cannot match (a topic matcher for an API whose requests
   * name no topics).
   */
  nextRequest(matcher: RequestMatcher = {}, opts: { timeoutMs?: number } = {}): Promise<RequestLogEntry> {
    try {
      checkMatcher(matcher);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.waiters.length >= limits.requestWaitersMax) {
      return Promise.reject(new ConfigError(`at most ${limits.requestWaitersMax} nextRequest calls may wait at once`));
    }
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the broker has stopped'));
        return;
      }
      const waiter: Waiter = { matcher: { ...matcher }, resolve, reject, timer: null };
      if (opts.timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.drop(waiter);
          reject(new Error(`no request matching ${JSON.stringify(matcher)} within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
        // Not unref'd: a caller awaiting its timeout must see it, even with nothing else pending.
      }
      this.waiters.push(waiter);
    });
  }

  /** The broker stops: every waiter is rejected (its timer cleared), and later calls at once. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.reject(new Error('the broker has stopped'));
    }
  }

  private wake(entry: RequestLogEntry, request: unknown, partitionsOf: (() => Array<{ topic: string; partition: number }>) | null): void {
    let named: Array<{ topic: string; partition: number }> | null = null;
    const partitions = partitionsOf === null ? null : (): Array<{ topic: string; partition: number }> => (named ??= partitionsOf());
    for (const w of [...this.waiters]) {
      if (!matches(w.matcher, entry, request, partitions)) continue;
      this.drop(w);
      if (w.timer !== null) clearTimeout(w.timer);
      w.resolve(entry);
    }
  }

  private drop(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}

function checkMatcher(m: RequestMatcher): void {
  const int = (v: unknown): boolean => v === undefined || (Number.isInteger(v) && (v as number) >= 0);
  if (!int(m.apiKey) || !int(m.minVersion) || !int(m.maxVersion)) throw new ConfigError('apiKey, minVersion and maxVersion must be non-negative integers');
  if (m.partition !== undefined && !Number.isInteger(m.partition)) throw new ConfigError('partition must be an integer');
  if ((m.topic !== undefined || m.partition !== undefined) && (m.apiKey === undefined || !TOPIC_MATCH_APIS.has(m.apiKey))) {
    throw new ConfigError(`topic and partition matchers need apiKey one of ${[...TOPIC_MATCH_APIS].join(', ')}`);
  }
}

export function matches(m: RequestMatcher, e: RequestLogEntry, request: unknown, partitionsOf: (() => Array<{ topic: string; partition: number }>) | null = null): boolean {
  if (m.apiKey !== undefined && m.apiKey !== e.apiKey) return false;
  if (m.minVersion !== undefined && e.apiVersion < m.minVersion) return false;
  if (m.maxVersion !== undefined && e.apiVersion > m.maxVersion) return false;
  if (m.clientId !== undefined && m.clientId !== e.clientId) return false;
  if (m.topic === undefined && m.partition === undefined) return true;
  if (request === null || request === undefined) return false;
  return (partitionsOf === null ? topicsOf(e.apiKey, request) : partitionsOf()).some((tp) => (m.topic === undefined || tp.topic === m.topic) && (m.partition === undefined || tp.partition === m.partition));
}

/** Fields of a response that hold its topics, partitions or other per-item results. */
const ERROR_DEPTH_MAX = 3;

/**
 * A response's error: its top-level `errorCode` when non-zero, else the first non-zero
 * `errorCode` of the objects in its arrays (topics, partitions, groups, ...), at most three levels
 * down. A walk of what the handler returned, stopping at the first error; record bytes are never
 * looked into (Buffers are not arrays).
 */
export function errorCodeOf(response: unknown): number {
  return typeof response === 'object' && response !== null ? errorIn(response as Record<string, unknown>, 0) : 0;
}

function errorIn(o: Record<string, unknown>, depth: number): number {
  const own = o['errorCode'];
  if (typeof own === 'number' && own !== 0) return own;
  if (depth >= ERROR_DEPTH_MAX) return 0;
  for (const key in o) {
    const v = o[key];
    if (!Array.isArray(v)) continue;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item !== 'object' || item === null) continue;
      const code = errorIn(item as Record<string, unknown>, depth + 1);
      if (code !== 0) return code;
    }
  }
  return 0;
}
