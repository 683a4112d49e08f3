/**
 * Fault injection (issue 14, first part): requests that match a fault are answered with an error,
 * delayed, left unanswered, or their connection is closed, before the handler runs, so an
 * injected error has no effect on the broker's state (nothing appended, committed or created).
 *
 * Matchers: API key, version range, client id, topic and partition (for APIs whose requests name
 * them). Triggers: `times` (the next N matching requests; 1 by default), `nth` (only the n-th
 * matching request), `always`, and `probability` with a `seed` (a seeded generator, so a run is
 * reproducible). Faults are tried in the order they were added; the first that fires wins.
 *
 * With no fault armed the connection asks nothing of this module but `armed` (one boolean).
 */
import { ConfigError } from '../config/config-error.js';
import { errorResponseFor, ERROR_RESPONSE_APIS, TOPIC_MATCH_APIS, topicsOf } from './error-responses.js';
import { seededRandom } from './random.js';

export interface FaultSpec {
  apiKey: number;
  minVersion?: number;
  maxVersion?: number;
  clientId?: string;
  topic?: string;
  partition?: number;
  /** What happens: an error code for the request (every partition it names), a delay, a closed connection, no answer. */
  errorCode?: number;
  delayMs?: number;
  disconnect?: boolean;
  noAnswer?: boolean;
  /** Triggers: the next `times` matches (default 1), only the `nth` match, every match, or with a probability. */
  times?: number;
  nth?: number;
  always?: boolean;
  probability?: number;
  seed?: number;
}

export type FaultAction = { kind: 'error'; errorCode: number } | { kind: 'delay'; delayMs: number } | { kind: 'disconnect' } | { kind: 'no-answer' };

export interface Fault {
  readonly id: number;
  readonly spec: Readonly<FaultSpec>;
  readonly action: FaultAction;
  /** Matching requests seen, and how many of them the fault fired on. */
  matched: number;
  fired: number;
}

/** What the connection does with a request a fault fired on. */
export interface FiredFault {
  readonly fault: Fault;
  readonly action: FaultAction;
}

/** Faults armed at most at once (each is checked against every request while armed). */
const FAULTS_MAX = 1000;

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;
  private readonly randoms = new Map<number, () => number>();

  /** Some fault is armed: the connection asks `match` for each request. */
  get armed(): boolean {
    return this.faults.length > 0;
  }

  /** Arms a fault; throws ConfigError (the admin endpoint's 400) when the spec makes no sense. */
  add(spec: FaultSpec): Fault {
    const action = actionOf(spec);
    if (!Number.isInteger(spec.apiKey) || spec.apiKey < 0) throw new ConfigError('a fault needs apiKey, the API key of the requests it applies to (0 Produce, 1 Fetch, 3 Metadata, ...)');
    if (action.kind === 'error' && !ERROR_RESPONSE_APIS.has(spec.apiKey)) {
      throw new ConfigError(`errorCode faults are not available for API key ${spec.apiKey} yet (available: ${[...ERROR_RESPONSE_APIS].sort((a, b) => a - b).join(', ')}); use delayMs, disconnect or noAnswer`);
    }
    if ((spec.topic !== undefined || spec.partition !== undefined) && !TOPIC_MATCH_APIS.has(spec.apiKey)) {
      throw new ConfigError(`topic and partition matchers are not available for API key ${spec.apiKey} yet (available: ${[...TOPIC_MATCH_APIS].join(', ')})`);
    }
    if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) throw new ConfigError('probability must be between 0 and 1');
    if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times >= 1)) throw new ConfigError('times must be a positive integer');
    if (spec.nth !== undefined && !(Number.isInteger(spec.nth) && spec.nth >= 1)) throw new ConfigError('nth must be a positive integer');
    if (this.faults.length >= FAULTS_MAX) throw new ConfigError(`at most ${FAULTS_MAX} faults may be armed at once; clear some first`);
    const fault: Fault = { id: this.nextId++, spec: { ...spec }, action, matched: 0, fired: 0 };
    if (spec.probability !== undefined) this.randoms.set(fault.id, seededRandom(spec.seed ?? fault.id));
    this.faults.push(fault);
    return fault;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    this.randoms.delete(id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
    this.randoms.clear();
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /** The fault that fires on this request, if any (its trigger counts it); spent faults are dropped. */
  match(apiKey: number, apiVersion: number, clientId: string | null, request: unknown): FiredFault | null {
    for (const f of this.faults) {
      const s = f.spec;
      if (s.apiKey !== apiKey) continue;
      if (s.minVersion !== undefined && apiVersion < s.minVersion) continue;
      if (s.maxVersion !== undefined && apiVersion > s.maxVersion) continue;
      if (s.clientId !== undefined && s.clientId !== clientId) continue;
      if ((s.topic !== undefined || s.partition !== undefined) && !topicsOf(apiKey, request).some((tp) => (s.topic === undefined || tp.topic === s.topic) && (s.partition === undefined || tp.partition === s.partition))) continue;
      f.matched++;
      if (!this.fires(f)) continue;
      f.fired++;
      if (this.spent(f)) this.remove(f.id);
      return { fault: f, action: f.action };
    }
    return null;
  }

  private fires(f: Fault): boolean {
    const s = f.spec;
    if (s.nth !== undefined) return f.matched === s.nth;
    if (s.probability !== undefined) return this.randoms.get(f.id)!() < s.probability;
    return true;
  }

  private spent(f: Fault): boolean {
    const s = f.spec;
    if (s.always || s.probability !== undefined) return false;
    if (s.nth !== undefined) return true;
    return f.fired >= (s.times ?? 1);
  }
}

function actionOf(spec: FaultSpec): FaultAction {
  const given = [spec.errorCode !== undefined, spec.delayMs !== undefined, spec.disconnect === true, spec.noAnswer === true].filter(Boolean).length;
  if (given !== 1) throw new ConfigError('a fault needs exactly one action: errorCode, delayMs, disconnect or noAnswer');
  if (spec.errorCode !== undefined) {
    if (!Number.isInteger(spec.errorCode) || spec.errorCode < -1 || spec.errorCode > 32767) throw new ConfigError('errorCode must be a Kafka error code');
    return { kind: 'error', errorCode: spec.errorCode };
  }
  if (spec.delayMs !== undefined) {
    if (!(Number.isInteger(spec.delayMs) && spec.delayMs >= 0 && spec.delayMs <= 3_600_000)) throw new ConfigError('delayMs must be 0..3600000');
    return { kind: 'delay', delayMs: spec.delayMs };
  }
  return spec.disconnect ? { kind: 'disconnect' } : { kind: 'no-answer' };
}

export { errorResponseFor };
