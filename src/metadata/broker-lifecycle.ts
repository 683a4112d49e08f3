/**
 * The broker's side of cluster membership, in the role of Kafka's BrokerLifecycleManager: it
 * registers this broker with the active controller, then heartbeats, and moves the broker
 * through Kafka's states:
 *
 *   NOT_RUNNING -start()-> STARTING -(heartbeat answered isCaughtUp)-> RECOVERY
 *   -(answered not fenced)-> RUNNING -beginControlledShutdown()-> PENDING_CONTROLLED_SHUTDOWN
 *   -(answered shouldShutDown, or the owner's timeout)-> SHUTTING_DOWN
 *
 * (Kafka's BrokerState has no OFFLINE: a broker not started is NOT_RUNNING; every way out,
 * close() included, ends in SHUTTING_DOWN.)
 *
 * Registration: a random incarnation id per process start, the advertised listeners, the
 * supported feature ranges, the log directory ids (sorted as Kafka sorts Uuids), the rack and the
 * previous broker epoch. Every failure of a registration or a heartbeat, whether the controller
 * could not be reached or answered with any error code, is retried after Kafka's backoff
 * (ExponentialBackoff(100 ms, x2, broker.session.timeout.ms, 2% jitter)); Kafka retries every error
 * code alike (DUPLICATE_BROKER_REGISTRATION, INCONSISTENT_CLUSTER_ID, UNSUPPORTED_VERSION
 * included), bounded only by initial.broker.registration.timeout.ms: a broker not registered by
 * then shuts down (the `registered`, `caughtUp` and `unfenced` promises reject with
 * RegistrationTimeoutError).
 *
 * Heartbeats: right after registering, then every broker.heartbeat.interval.ms (10 ms while
 * STARTING, 50 ms after the first answer to a controlled shutdown, as Kafka does), each with the
 * owner's current metadata offset and wantFence until the owner says `setReadyToUnfence()`.
 * STALE_BROKER_EPOCH is retried like any error, as Kafka does: it does not re-register by itself
 * (its BrokerRegistrationTracker re-registers only when its registration in the metadata lost its
 * directories); `resendRegistration()` is that call for the owner. One request at a time: a
 * heartbeat due while one is in flight goes right after its answer.
 *
 * Fencing after start: Kafka's manager ignores isFenced once RUNNING; this one tells the owner
 * ('fenced' when an answer says fenced after it was unfenced, 'unfenced' each time it is again).
 *
 * It never imports the network layer: the owner passes a ControllerChannel (net/NodeClient
 * satisfies it) and keeps it (close() does not close the channel).
 */
import { EventEmitter } from 'node:events';
import type { BrokerConfig } from '../config/broker-config.js';
import { SECURITY_PROTOCOLS, type Endpoint } from '../config/kraft.js';
import type { Logger } from '../logger.js';
import type { ApiCodec } from '../protocol/api-codec.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  BrokerHeartbeat,
  BrokerRegistration,
  type BrokerHeartbeatResponse,
  type BrokerRegistrationRequest,
  type BrokerRegistrationRequestFeature,
  type BrokerRegistrationRequestListener,
  type BrokerRegistrationResponse,
} from '../protocol/generated/index.js';
import { randomUuidString, type MetaProperties } from './meta-properties.js';
import { registeredFeatureRanges } from './features.js';

/** How the lifecycle reaches the active controller; net/NodeClient is one. Rejects when it cannot. */
export interface ControllerChannel {
  request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req): Promise<Res>;
}

/** Kafka's BrokerState names (its numeric values in comments). */
export type BrokerLifecycleState =
  | 'NOT_RUNNING' // 0
  | 'STARTING' // 1
  | 'RECOVERY' // 2
  | 'RUNNING' // 3
  | 'PENDING_CONTROLLED_SHUTDOWN' // 6
  | 'SHUTTING_DOWN'; // 7

/** Timers and clock, injectable for tests. */
export interface LifecycleTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: LifecycleTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface BrokerLifecycleOptions {
  nodeId: number;
  clusterId: string;
  channel: ControllerChannel;
  /** Advertised broker listeners (not the controller's). */
  listeners: readonly Endpoint[];
  /** Supported feature ranges; default `supportedFeatures()`. */
  features?: readonly BrokerRegistrationRequestFeature[];
  /** Directory ids of the log dirs (meta.properties directory.id, base64url). */
  logDirs: readonly string[];
  rack: string | null;
  /** The broker epoch of the previous run after a clean shutdown, else -1. */
  previousBrokerEpoch?: bigint;
  /** The broker's highest metadata offset now (what it has replayed). */
  metadataOffset: () => bigint;
  /** broker.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** broker.session.timeout.ms: the cap of the retry backoff. */
  sessionTimeoutMs: number;
  /** initial.broker.registration.timeout.ms */
  registrationTimeoutMs: number;
  logger?: Logger;
  timers?: LifecycleTimers;
  /** [0, 1) for the backoff jitter; Math.random by default. */
  random?: () => number;
  /** 16 bytes; a fresh random one by default (tests pin it). */
  incarnationId?: Buffer;
}

/** The feature ranges this Sluice supports (features.ts): the controller checks its finalized levels against them. */
export function supportedFeatures(): BrokerRegistrationRequestFeature[] {
  return registeredFeatureRanges();
}

/**
 * The options a node's configuration and meta.properties decide: its id, cluster, log directory,
 * advertised broker listeners (in `listeners` order; one advertised with port 0 is the owner's to
 * replace with the port it bound) and Kafka's timings. The owner adds the channel, the metadata
 * offset and the rack.
 */
export function lifecycleSettings(
  config: BrokerConfig,
  meta: MetaProperties,
): Pick<BrokerLifecycleOptions, 'nodeId' | 'clusterId' | 'listeners' | 'logDirs' | 'heartbeatIntervalMs' | 'sessionTimeoutMs' | 'registrationTimeoutMs'> {
  return {
    nodeId: meta.nodeId,
    clusterId: meta.clusterId,
    listeners: [...config.advertisedListeners.values()],
    logDirs: [meta.directoryId],
    heartbeatIntervalMs: config.replication.brokerHeartbeatIntervalMs,
    sessionTimeoutMs: config.replication.brokerSessionTimeoutMs,
    registrationTimeoutMs: config.replication.initialBrokerRegistrationTimeoutMs,
  };
}

/** Not registered within initial.broker.registration.timeout.ms. */
export class RegistrationTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationTimeoutError';
  }
}

/** The lifecycle shut down before what was awaited happened (Kafka cancels those futures). */
export class LifecycleShutDownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LifecycleShutDownError';
  }
}

/** How `beginControlledShutdown` ended. */
export type ControlledShutdownOutcome = 'granted' | 'timed-out' | 'not-running';

/** Kafka's resend backoff: 100 ms doubling per failure up to the session timeout, 2% jitter. */
export function resendBackoffMs(failedAttempts: number, sessionTimeoutMs: number, random: () => number = Math.random): number {
  const initial = Math.min(100, sessionTimeoutMs);
  if (sessionTimeoutMs <= initial) return initial;
  const expMax = Math.log(sessionTimeoutMs / Math.max(initial, 1)) / Math.log(2);
  const term = initial * 2 ** Math.min(failedAttempts, expMax);
  const jitter = 0.98 + random() * 0.04;
  return Math.min(Math.floor(jitter * term), sessionTimeoutMs);
}

/** Kafka's Uuid order: most then least significant 64 bits, each signed. */
function compareUuids(a: Buffer, b: Buffer): number {
  for (const at of [0, 8]) {
    const x = a.readBigInt64BE(at);
    const y = b.readBigInt64BE(at);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: Error): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => {
    d.resolve = (v) => {
      if (d.settled) return;
      d.settled = true;
      resolve(v);
    };
    d.reject = (e) => {
      if (d.settled) return;
      d.settled = true;
      reject(e);
    };
  });
  // An owner that never awaits one of them must not see an unhandled rejection.
  d.promise.catch(() => {});
  return d;
}

/**
 * Events: 'state' (new state), 'registered' (broker epoch), 'caughtUp', 'unfenced', 'fenced',
 * 'failure' ({ request: 'registration' | 'heartbeat', reason: string }), 'shutdown' (reason).
 */
export class BrokerLifecycle extends EventEmitter {
  readonly incarnationId: Buffer;
  private _state: BrokerLifecycleState = 'NOT_RUNNING';
  private _brokerEpoch = -1n;
  private isRegistered = false;
  private registeredOnce = false;
  private readyToUnfence = false;
  private inFlight = false;
  private nextImmediate = false;
  private failedAttempts = 0;
  private gotControlledShutdownResponse = false;
  /** Whether the last heartbeat answer said fenced (null before any). */
  private lastFenced: boolean | null = null;
  /** pause(): no registration or heartbeat is sent until resume(). */
  private paused = false;
  private communicationTimer: unknown = null;
  private registrationTimer: unknown = null;
  private shutdownTimer: unknown = null;
  private readonly timers: LifecycleTimers;
  private readonly random: () => number;
  private readonly request: BrokerRegistrationRequest;
  private readonly registeredD = deferred<bigint>();
  private readonly caughtUpD = deferred<void>();
  private readonly unfencedD = deferred<void>();
  /** Settles when the lifecycle shuts down (Kafka's controlledShutdownFuture). */
  private readonly shutDownD = deferred<ControlledShutdownOutcome>();

  constructor(private readonly opts: BrokerLifecycleOptions) {
    super();
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.incarnationId = opts.incarnationId ?? Buffer.from(randomUuidString(), 'base64url');
    const listeners: BrokerRegistrationRequestListener[] = opts.listeners.map((l) => ({
      name: l.name,
      host: l.host,
      port: l.port,
      securityProtocol: SECURITY_PROTOCOLS.indexOf(l.securityProtocol),
    }));
    this.request = {
      brokerId: opts.nodeId,
      clusterId: opts.clusterId,
      incarnationId: this.incarnationId,
      listeners,
      features: [...(opts.features ?? supportedFeatures())],
      rack: opts.rack,
      isMigratingZkBroker: false,
      logDirs: opts.logDirs.map((d) => Buffer.from(d, 'base64url')).sort(compareUuids),
      previousBrokerEpoch: opts.previousBrokerEpoch ?? -1n,
    };
  }

  get state(): BrokerLifecycleState {
    return this._state;
  }

  /** The broker epoch of the current registration; -1 before the first. */
  get brokerEpoch(): bigint {
    return this._brokerEpoch;
  }

  /** Resolves with the broker epoch of the first registration. */
  get registered(): Promise<bigint> {
    return this.registeredD.promise;
  }

  /** Resolves when the controller first says the broker's metadata has caught up (STARTING -> RECOVERY). */
  get caughtUp(): Promise<void> {
    return this.caughtUpD.promise;
  }

  /** Resolves when the controller first unfences the broker (RECOVERY -> RUNNING). */
  get unfenced(): Promise<void> {
    return this.unfencedD.promise;
  }

  /** Resolves when the lifecycle has shut down, with how a controlled shutdown (if any) ended. */
  get shutDown(): Promise<ControlledShutdownOutcome> {
    return this.shutDownD.promise;
  }

  private log(level: keyof Logger, msg: string): void {
    this.opts.logger?.[level](`[BrokerLifecycle id=${this.opts.nodeId}] ${msg}`);
  }

  private setState(state: BrokerLifecycleState): void {
    if (state === this._state) return;
    this.log('info', `${this._state} -> ${state}`);
    this._state = state;
    this.emit('state', state);
  }

  /** Starts registering (Kafka's StartupEvent); the registration timeout runs from now. */
  start(): void {
    if (this._state !== 'NOT_RUNNING') throw new Error(`the lifecycle was already started (state ${this._state})`);
    this.setState('STARTING');
    this.registrationTimer = this.timers.setTimeout(() => this.onRegistrationTimeout(), this.opts.registrationTimeoutMs);
    this.log('info', `incarnation ${this.incarnationId.toString('base64url')} of broker ${this.opts.nodeId} in cluster ${this.opts.clusterId} is STARTING`);
    this.communicate();
  }

  /** The owner's metadata is published: heartbeats stop asking to stay fenced. Returns `unfenced`. */
  setReadyToUnfence(): Promise<void> {
    if (this._state !== 'SHUTTING_DOWN' && !this.readyToUnfence) {
      this.readyToUnfence = true;
      if (this._state !== 'NOT_RUNNING') this.scheduleNext(0);
    }
    return this.unfencedD.promise;
  }

  /** Registers again with the same incarnation (Kafka's resendBrokerRegistrationUnlessZkMode). */
  resendRegistration(): void {
    if (this._state === 'NOT_RUNNING' || this._state === 'SHUTTING_DOWN') return;
    this.isRegistered = false;
    this.scheduleNext(0);
  }

  /**
   * Asks the controller for a controlled shutdown (a heartbeat with wantShutDown, sent at once)
   * and resolves when it answers shouldShutDown ('granted'), or after `timeoutMs` ('timed-out');
   * either way the lifecycle then shuts down. Not RUNNING: shuts down at once ('not-running').
   */
  beginControlledShutdown(timeoutMs: number): Promise<ControlledShutdownOutcome> {
    if (this._state === 'PENDING_CONTROLLED_SHUTDOWN' || this._state === 'SHUTTING_DOWN') return this.shutDownD.promise;
    if (this._state !== 'RUNNING') {
      this.log('info', `skipping controlled shutdown because the broker is ${this._state}`);
      this.shutdown('not-running', 'controlled shutdown while not running');
      return this.shutDownD.promise;
    }
    this.log('info', 'beginning controlled shutdown');
    this.setState('PENDING_CONTROLLED_SHUTDOWN');
    this.shutdownTimer = this.timers.setTimeout(() => {
      this.log('error', `timed out after ${timeoutMs} ms waiting for the controller to approve controlled shutdown`);
      this.shutdown('timed-out', 'controlled shutdown timed out');
    }, timeoutMs);
    this.scheduleNext(0);
    return this.shutDownD.promise;
  }

  /**
   * Stops heartbeating without leaving (the test-control plane's broker "down"): the controller
   * then fences this broker when its session lapses, as it fences a broker it lost. `resume()`
   * heartbeats again at once; the controller unfences it once its metadata has caught up.
   */
  pause(): void {
    this.paused = true;
    if (this.communicationTimer !== null) this.timers.clearTimeout(this.communicationTimer);
    this.communicationTimer = null;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this._state !== 'NOT_RUNNING') this.scheduleNext(0);
  }

  /** Stops every timer and ignores what is in flight (Kafka's beginShutdown + close). */
  close(): void {
    this.shutdown('not-running', 'closed');
  }

  private shutdown(outcome: ControlledShutdownOutcome, reason: string): void {
    if (this._state === 'SHUTTING_DOWN') return;
    this.setState('SHUTTING_DOWN');
    for (const t of [this.communicationTimer, this.registrationTimer, this.shutdownTimer]) if (t !== null) this.timers.clearTimeout(t);
    this.communicationTimer = this.registrationTimer = this.shutdownTimer = null;
    const cancelled = new LifecycleShutDownError(`broker ${this.opts.nodeId} lifecycle shut down: ${reason}`);
    this.registeredD.reject(cancelled);
    this.caughtUpD.reject(cancelled);
    this.unfencedD.reject(cancelled);
    this.shutDownD.resolve(outcome);
    this.emit('shutdown', reason);
  }

  private onRegistrationTimeout(): void {
    this.registrationTimer = null;
    if (this.registeredOnce) return;
    const msg = `not registered with the controller within initial.broker.registration.timeout.ms (${this.opts.registrationTimeoutMs} ms); shutting down`;
    this.log('error', msg);
    const err = new RegistrationTimeoutError(msg);
    this.registeredD.reject(err);
    this.caughtUpD.reject(err);
    this.unfencedD.reject(err);
    this.shutdown('not-running', 'registration timed out');
  }

  // ---- Scheduling (Kafka's scheduleNextCommunication*) ----

  private scheduleNext(delayMs: number): void {
    if (this._state === 'SHUTTING_DOWN' || this.paused) return;
    const delay = this.nextImmediate ? 0 : delayMs;
    this.nextImmediate = false;
    if (this.communicationTimer !== null) this.timers.clearTimeout(this.communicationTimer);
    this.communicationTimer = this.timers.setTimeout(() => {
      this.communicationTimer = null;
      this.communicate();
    }, delay);
  }

  private afterFailure(request: 'registration' | 'heartbeat', reason: string): void {
    const delay = resendBackoffMs(this.failedAttempts, this.opts.sessionTimeoutMs, this.random);
    this.failedAttempts++;
    this.log(this.failedAttempts === 1 ? 'warn' : 'debug', `${request} failed (${reason}); retrying in ${delay} ms`);
    this.emit('failure', { request, reason });
    // Never at once after a failure, even if something asked for it meanwhile.
    this.nextImmediate = false;
    this.scheduleNext(delay);
  }

  private communicate(): void {
    if (this._state === 'SHUTTING_DOWN' || this.paused) return;
    if (this.inFlight) {
      this.nextImmediate = true;
      return;
    }
    if (this.isRegistered) this.sendHeartbeat();
    else this.sendRegistration();
  }

  // ---- Registration ----

  private sendRegistration(): void {
    this.inFlight = true;
    this.opts.channel.request(BrokerRegistration, this.request).then(
      (res) => this.onRegistrationResponse(res),
      (e: unknown) => this.onRequestFailed('registration', e),
    );
  }

  private onRequestFailed(request: 'registration' | 'heartbeat', e: unknown): void {
    this.inFlight = false;
    if (this._state === 'SHUTTING_DOWN') return;
    this.afterFailure(request, e instanceof Error ? e.message : String(e));
  }

  private onRegistrationResponse(res: BrokerRegistrationResponse): void {
    this.inFlight = false;
    if (this._state === 'SHUTTING_DOWN') return;
    if (res.errorCode !== ErrorCode.NONE) {
      this.afterFailure('registration', `the controller answered error ${res.errorCode}`);
      return;
    }
    this.failedAttempts = 0;
    this._brokerEpoch = res.brokerEpoch;
    this.isRegistered = true;
    this.log('info', `registered broker ${this.opts.nodeId} with broker epoch ${res.brokerEpoch}`);
    if (!this.registeredOnce) {
      this.registeredOnce = true;
      if (this.registrationTimer !== null) this.timers.clearTimeout(this.registrationTimer);
      this.registrationTimer = null;
      this.registeredD.resolve(res.brokerEpoch);
    }
    this.emit('registered', res.brokerEpoch);
    this.scheduleNext(0);
  }

  // ---- Heartbeats ----

  private sendHeartbeat(): void {
    this.inFlight = true;
    const body = {
      brokerId: this.opts.nodeId,
      brokerEpoch: this._brokerEpoch,
      currentMetadataOffset: this.opts.metadataOffset(),
      wantFence: !this.readyToUnfence,
      wantShutDown: this._state === 'PENDING_CONTROLLED_SHUTDOWN',
      offlineLogDirs: [],
    };
    this.opts.channel.request(BrokerHeartbeat, body).then(
      (res) => this.onHeartbeatResponse(res),
      (e: unknown) => this.onRequestFailed('heartbeat', e),
    );
  }

  private onHeartbeatResponse(res: BrokerHeartbeatResponse): void {
    this.inFlight = false;
    if (this._state === 'SHUTTING_DOWN') return;
    if (res.errorCode !== ErrorCode.NONE) {
      this.afterFailure('heartbeat', `the controller answered error ${res.errorCode}`);
      return;
    }
    this.failedAttempts = 0;
    this.trackFencing(res.isFenced);
    switch (this._state) {
      case 'STARTING':
        if (res.isCaughtUp) {
          this.setState('RECOVERY');
          this.caughtUpD.resolve();
          this.emit('caughtUp');
        }
        // Soon again: with no recovery work to do, the broker starts a little quicker.
        this.scheduleNext(10);
        return;
      case 'RECOVERY':
        if (!res.isFenced) {
          this.setState('RUNNING');
          this.unfencedD.resolve();
        }
        this.scheduleNext(this.opts.heartbeatIntervalMs);
        return;
      case 'PENDING_CONTROLLED_SHUTDOWN':
        if (res.shouldShutDown) {
          this.log('info', 'the controller has granted the controlled shutdown');
          this.shutdown('granted', 'controlled shutdown granted');
          return;
        }
        // The first answer: look again sooner, controlled shutdown often completes quickly.
        this.scheduleNext(this.gotControlledShutdownResponse ? this.opts.heartbeatIntervalMs : 50);
        this.gotControlledShutdownResponse = true;
        return;
      default:
        this.scheduleNext(this.opts.heartbeatIntervalMs);
    }
  }

  /** 'unfenced' each time an answer stops saying fenced; 'fenced' when it says so after that. */
  private trackFencing(isFenced: boolean): void {
    const before = this.lastFenced;
    this.lastFenced = isFenced;
    if (isFenced === before) return;
    if (!isFenced) {
      this.log('info', 'the controller has unfenced this broker');
      this.emit('unfenced');
    } else if (before === false) {
      this.log('warn', 'the controller has fenced this broker');
      this.emit('fenced');
    }
  }
}
