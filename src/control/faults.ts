/**
 * Fault injection (issue 14): requests that match a fault are answered with an error or a
 * response of the test's making, delayed, held until the test releases them, left unanswered, or
 * their connection is closed, before the handler runs, so an injected error has no effect on the
 * broker's state (nothing appended, committed or created).
 *
 * An error for chosen partitions: a Produce, Fetch or ListOffsets fault with a topic or partition
 * matcher fails only the partitions it names, and the rest of the request is served as usual (one
 * partition's leader gone, the others fine). Other APIs get the error for the whole request. A
 * Fetch is not split: with fetch sessions (KIP-227) an incremental request names only what
 * changed, so the fetch handler applies the error to the partitions it reads (`inHandler`), and
 * the topic and partition matchers see the partitions of the request's session and the topic
 * names of its topic ids (the connection gives them as `partitionsOf`).
 *
 * Before or after: by default a fault acts before the handler, so the request has no effect;
 * with `after` the handler runs and the fault acts on its answer (written, but the client hears it
 * failed; committed, but the answer is lost).
 *
 * Held requests (`hold`) wait until `release(id)` (POST /faults/<id>/release); `whenHeld(id)`
 * resolves once one is held, so a test can act at the moment a request is in flight. A fault
 * removed or cleared releases what it holds.
 *
 * Matchers: API key (or every API), version range, client id (exact, or a part of it), topic and
 * partition (for APIs whose requests name them). Triggers: `times` (the next N matching requests; 1 by default), `nth` (only the n-th
 * matching request), `always`, and `probability` with a `seed` (a seeded generator, so a run is
 * reproducible). Faults are tried in the order they were added; the first that fires wins.
 *
 * With no fault armed the connection asks nothing of this module but `armed` (one boolean).
 */
import { ConfigError } from '../config/config-error.js';
import { limits } from '../config/limits.js';
import { errorResponseFor, ERROR_RESPONSE_APIS, HANDLER_PARTITION_ERROR_APIS, overlayProblem, overlayResponse, PARTITION_ERROR_APIS, TOPIC_MATCH_APIS, topicsOf } from './error-responses.js';
import { seededRandom } from './random.js';

export interface FaultSpec {
  /** The API the fault applies to; absent (or -1): every API (not with errorCode or response, whose answers are per API). */
  apiKey?: number;
  minVersion?: number;
  maxVersion?: number;
  clientId?: string;
  /** Client ids that contain this (the Kafka fault proxy's forClient). */
  clientIdContains?: string;
  topic?: string;
  partition?: number;
  /**
   * What happens: an error code (for the whole request, or for the matched partitions of a
   * Produce or ListOffsets), a delay, a closed connection, no answer, held until released, or a
   * response of the test's making (`respond` in process; over HTTP `response`, fields laid over
   * the API's error answer with errorCode 0). `delayMs` with another action waits that long
   * first: an error after a delay, a disconnect after a delay.
   *
   * `after`: the handler runs first, so the request takes effect, and the action then applies to
   * its answer: the error replaces it, the connection closes instead of answering, the answer
   * never comes, is delayed or held, or is replaced: a produce that was written but whose client
   * is told it failed, a commit whose answer is lost (the Kafka fault proxy's kind of fault).
   */
  after?: boolean;
  errorCode?: number;
  delayMs?: number;
  disconnect?: boolean;
  noAnswer?: boolean;
  hold?: boolean;
  respond?: (request: unknown, apiVersion: number) => unknown;
  response?: Record<string, unknown>;
  /** Triggers: the next `times` matches (default 1), only the `nth` match, every match, or with a probability. */
  times?: number;
  nth?: number;
  always?: boolean;
  probability?: number;
  seed?: number;
}

export type FaultAction =
  | { kind: 'error'; errorCode: number }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'disconnect' }
  | { kind: 'no-answer' }
  | { kind: 'hold' }
  | { kind: 'respond'; respond: (request: unknown, apiVersion: number) => unknown };

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
  /** The handler runs first and the action applies to its answer (FaultSpec.after). */
  readonly after: boolean;
  /** Waited before the action (a delay combined with another action); 0 for none. */
  readonly delayMs: number;
  /**
   * For an error on chosen partitions: the partitions that get it (the rest of the request is
   * served); null when the whole request gets the action.
   */
  readonly only: ((tp: { topic: string; partition: number }) => boolean) | null;
  /** An error on chosen partitions that the handler applies itself (Fetch): the request is not split. */
  readonly inHandler: boolean;
}

/** Requests a hold fault holds, and tests waiting for one. */
interface HoldState {
  held: Array<() => void>;
  waiters: Array<() => void>;
}

/** Faults armed at most at once (each is checked against every request while armed). */
const FAULTS_MAX = limits.faultsMax;
/** Tests waiting on one hold fault at most. */
const HOLD_WAITERS_MAX = 100;

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;
  private readonly randoms = new Map<number, () => number>();
  /** By fault id; kept after a hold fault is spent until what it holds is released. */
  private readonly holds = new Map<number, HoldState>();

  /** Some fault is armed: the connection asks `match` for each request. */
  get armed(): boolean {
    return this.faults.length > 0;
  }

  /** Arms a fault; throws ConfigError (the admin endpoint's 400) when the spec makes no sense. */
  add(spec: FaultSpec): Fault {
    if (spec.apiKey !== undefined && (!Number.isInteger(spec.apiKey) || spec.apiKey < -1)) throw new ConfigError('apiKey is the API key of the requests a fault applies to (0 Produce, 1 Fetch, 3 Metadata, ...), or -1 for every API');
    const apiKey = spec.apiKey ?? -1;
    const action = actionOf(spec);
    if (apiKey === -1 && (spec.errorCode !== undefined || spec.response !== undefined)) throw new ConfigError('errorCode and response faults need an apiKey: their answers are per API');
    if (apiKey === -1 && (spec.topic !== undefined || spec.partition !== undefined)) throw new ConfigError('topic and partition matchers need an apiKey (0, 1, 2 or 3)');
    if (spec.clientIdContains !== undefined && typeof spec.clientIdContains !== 'string') throw new ConfigError('clientIdContains must be a string');
    if ((action.kind === 'error' || (action.kind === 'respond' && spec.response !== undefined)) && !ERROR_RESPONSE_APIS.has(apiKey)) {
      throw new ConfigError(`${action.kind === 'error' ? 'errorCode' : 'response'} faults are not available for API key ${spec.apiKey} yet (available: ${[...ERROR_RESPONSE_APIS].sort((a, b) => a - b).join(', ')}); use delayMs, disconnect, noAnswer or hold`);
    }
    if ((spec.topic !== undefined || spec.partition !== undefined) && !TOPIC_MATCH_APIS.has(apiKey)) {
      throw new ConfigError(`topic and partition matchers are not available for API key ${spec.apiKey} yet (available: ${[...TOPIC_MATCH_APIS].join(', ')})`);
    }
    if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) throw new ConfigError('probability must be between 0 and 1');
    if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times >= 1)) throw new ConfigError('times must be a positive integer');
    if (spec.nth !== undefined && !(Number.isInteger(spec.nth) && spec.nth >= 1)) throw new ConfigError('nth must be a positive integer');
    if (this.faults.length >= FAULTS_MAX) throw new ConfigError(`at most ${FAULTS_MAX} faults may be armed at once; clear some first`);
    const fault: Fault = { id: this.nextId++, spec: { ...spec }, action, matched: 0, fired: 0 };
    if (spec.probability !== undefined) this.randoms.set(fault.id, seededRandom(spec.seed ?? fault.id));
    if (action.kind === 'hold') this.holds.set(fault.id, { held: [], waiters: [] });
    this.faults.push(fault);
    return fault;
  }

  /** Disarms a fault and releases what it holds. */
  remove(id: number): boolean {
    const before = this.faults.length;
    this.disarm(id);
    const held = this.holds.has(id);
    this.release(id);
    this.holds.delete(id);
    return this.faults.length < before || held;
  }

  clear(): void {
    for (const id of [...this.holds.keys()]) this.release(id);
    this.holds.clear();
    this.faults = [];
    this.randoms.clear();
  }

  /** Lets every request held by fault `id` go on to its handler; how many there were. */
  release(id: number): number {
    const h = this.holds.get(id);
    if (!h) return 0;
    const held = h.held.splice(0);
    if (!this.faults.some((f) => f.id === id)) this.holds.delete(id);
    for (const run of held) run();
    return held.length;
  }

  /** Requests fault `id` holds now. */
  heldCount(id: number): number {
    return this.holds.get(id)?.held.length ?? 0;
  }

  /**
   * Resolves when fault `id` holds a request (at once if it does); rejects after `timeoutMs`, or
   * at once for a fault that cannot hold.
   */
  whenHeld(id: number, timeoutMs = 30_000): Promise<void> {
    const h = this.holds.get(id);
    if (!h) return Promise.reject(new ConfigError(`fault ${id} is not a hold fault that is armed or holding`));
    if (h.held.length > 0) return Promise.resolve();
    if (h.waiters.length >= HOLD_WAITERS_MAX) return Promise.reject(new ConfigError(`at most ${HOLD_WAITERS_MAX} waiters per fault`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        h.waiters.splice(h.waiters.indexOf(done), 1);
        reject(new Error(`no request was held by fault ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      h.waiters.push(done);
    });
  }

  /** Called by the connection for a request a hold fault fired on: `run` is its handler. */
  hold(id: number, run: () => void): void {
    const h = this.holds.get(id);
    if (!h) {
      run();
      return;
    }
    h.held.push(run);
    for (const w of h.waiters.splice(0)) w();
  }

  private disarm(id: number): void {
    this.faults = this.faults.filter((f) => f.id !== id);
    this.randoms.delete(id);
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /**
   * The fault that fires on this request, if any (its trigger counts it); spent faults are dropped.
   * `partitionsOf`: the topic-partitions the request reads when the request alone does not say
   * (a Fetch by topic id or in a fetch session); by default those it names.
   */
  match(apiKey: number, apiVersion: number, clientId: string | null, request: unknown, partitionsOf?: () => Array<{ topic: string; partition: number }>): FiredFault | null {
    let named: Array<{ topic: string; partition: number }> | null = null;
    const partitions = (): Array<{ topic: string; partition: number }> => (named ??= partitionsOf ? partitionsOf() : topicsOf(apiKey, request));
    for (const f of this.faults) {
      const s = f.spec;
      if (s.apiKey !== undefined && s.apiKey !== -1 && s.apiKey !== apiKey) continue;
      if (s.minVersion !== undefined && apiVersion < s.minVersion) continue;
      if (s.maxVersion !== undefined && apiVersion > s.maxVersion) continue;
      if (s.clientId !== undefined && s.clientId !== clientId) continue;
      if (s.clientIdContains !== undefined && !(clientId ?? '').includes(s.clientIdContains)) continue;
      if ((s.topic !== undefined || s.partition !== undefined) && !partitions().some((tp) => (s.topic === undefined || tp.topic === s.topic) && (s.partition === undefined || tp.partition === s.partition))) continue;
      f.matched++;
      if (!this.fires(f)) continue;
      f.fired++;
      if (this.spent(f)) this.disarm(f.id);
      const only = this.chosenPartitions(f);
      return { fault: f, action: f.action, after: s.after === true, delayMs: f.action.kind === 'delay' ? 0 : (s.delayMs ?? 0), only, inHandler: only !== null && HANDLER_PARTITION_ERROR_APIS.has(apiKey) };
    }
    return null;
  }

  /** The partitions an error fault on chosen partitions applies to (Produce, Fetch and ListOffsets). */
  private chosenPartitions(f: Fault): FiredFault['only'] {
    const s = f.spec;
    if (f.action.kind !== 'error' || !PARTITION_ERROR_APIS.has(s.apiKey ?? -1) || (s.topic === undefined && s.partition === undefined)) return null;
    return (tp) => (s.topic === undefined || tp.topic === s.topic) && (s.partition === undefined || tp.partition === s.partition);
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
  const given = [spec.errorCode !== undefined, spec.disconnect === true, spec.noAnswer === true, spec.hold === true, spec.respond !== undefined, spec.response !== undefined].filter(Boolean).length;
  if (given > 1 || (given === 0 && spec.delayMs === undefined)) {
    throw new ConfigError('a fault needs one action: errorCode, disconnect, noAnswer, hold or response (each may follow a delayMs), or delayMs alone');
  }
  if (spec.delayMs !== undefined && !(Number.isInteger(spec.delayMs) && spec.delayMs >= 0 && spec.delayMs <= 3_600_000)) throw new ConfigError('delayMs must be 0..3600000');
  const apiKey = spec.apiKey ?? -1;
  if (spec.hold) return { kind: 'hold' };
  if (spec.respond !== undefined) {
    if (typeof spec.respond !== 'function') throw new ConfigError('respond must be a function (request, apiVersion) => response');
    const respond = spec.respond;
    // What it returns is laid over the API's answer where there is one, so a few fields will do.
    if (!ERROR_RESPONSE_APIS.has(apiKey)) return { kind: 'respond', respond };
    return { kind: 'respond', respond: (request, v) => overlayResponse(apiKey, request, respond(request, v) as Record<string, unknown>) };
  }
  if (spec.response !== undefined) {
    const overlay = spec.response;
    if (typeof overlay !== 'object' || overlay === null || Array.isArray(overlay)) throw new ConfigError('response must be a JSON object of response fields, e.g. {"errorCode": 0, "nodeId": 2}');
    const problem = ERROR_RESPONSE_APIS.has(apiKey) ? overlayProblem(apiKey, overlay) : null;
    if (problem !== null) throw new ConfigError(problem);
    return { kind: 'respond', respond: (request) => overlayResponse(apiKey, request, overlay) };
  }
  if (spec.errorCode !== undefined) {
    if (!Number.isInteger(spec.errorCode) || spec.errorCode < -1 || spec.errorCode > 32767) throw new ConfigError('errorCode must be a Kafka error code');
    return { kind: 'error', errorCode: spec.errorCode };
  }
  if (spec.disconnect) return { kind: 'disconnect' };
  if (spec.noAnswer) return { kind: 'no-answer' };
  return { kind: 'delay', delayMs: spec.delayMs! };
}

export { errorResponseFor };
