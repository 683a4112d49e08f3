/**
 * Client telemetry (KIP-714), as Kafka's ClientMetricsManager serves it: GetTelemetrySubscriptions
 * tells a client which metrics to push and how often, PushTelemetry takes them. Sluice is its own
 * receiver plugin: what a client pushes is kept per client instance (size, compression, the metric
 * names decoded from the OTLP payload) for the inspector and `GET /telemetry`, never exported.
 *
 * Subscriptions are the CLIENT_METRICS config resources (config/client-metrics.ts) in the metadata
 * image. A client instance (by its id, chosen by the broker on the first request with the zero id)
 * gets the union of the metrics of the subscriptions whose `match` patterns all match it ('*' when
 * one asks for all), the shortest of their intervals (5 minutes when none matches), and a
 * subscription id derived from both and the instance id (CRC-32C of the metrics and interval, XOR
 * the id's hash, as Kafka computes it, so it is the same after a broker restart). When the
 * subscriptions change, each instance is evaluated again on its next request.
 *
 * As Kafka answers:
 *  - GetTelemetrySubscriptions sooner than the push interval after the instance's last request:
 *    THROTTLING_QUOTA_EXCEEDED (a subscription change re-evaluates first: a new instance record
 *    has no last request);
 *  - PushTelemetry with the zero or a reserved id: INVALID_REQUEST; after a terminating push:
 *    INVALID_REQUEST; sooner than the interval after the last push, unless it follows a
 *    GetTelemetrySubscriptions or is terminating: THROTTLING_QUOTA_EXCEEDED; a subscription id that
 *    is not the instance's: UNKNOWN_SUBSCRIPTION_ID; an unknown compression: UNSUPPORTED_COMPRESSION_TYPE;
 *    metrics longer than `telemetry.max.bytes`: TELEMETRY_TOO_LARGE. Checked in that order.
 *  - Accepted compressions: zstd, lz4, gzip, snappy (Kafka's order; the client picks the first it has).
 *
 * Client instances are forgotten when their connection closes, after max(60 s, 3 push intervals)
 * without a request, and beyond `limits.telemetryClientInstancesMax` (least recently used first).
 * What the inspector shows of the last `limits.telemetryDepartedMax` forgotten ones (a client that
 * closed, with its terminating push) is kept apart from them.
 * Matching on client_source_port is not done: the port is not known here, so a subscription that
 * names it matches no client. Kafka compiles `match` with Java's regex; ours is JavaScript's
 * (the same for what such patterns usually say).
 */
import { limits } from '../config/limits.js';
import { subscriptionOf, PUSH_INTERVAL_MS_DEFAULT, type ClientMetricsSubscription } from '../config/client-metrics.js';
import type { Clock } from '../control/clock.js';
import { decompress } from '../log/compression.js';
import { crc32c } from '../native/crc32c.js';
import { ErrorCode } from '../protocol/errors.js';
import { GetTelemetrySubscriptions, type GetTelemetrySubscriptionsRequest, type GetTelemetrySubscriptionsResponse } from '../protocol/generated/71-get-telemetry-subscriptions.js';
import type { PushTelemetryRequest, PushTelemetryResponse } from '../protocol/generated/72-push-telemetry.js';
import { otlpMetricNames } from './otlp.js';

/** Kafka's SUPPORTED_COMPRESSION_TYPES: zstd, lz4, gzip, snappy. */
const ACCEPTED_COMPRESSION_TYPES = [4, 3, 1, 2];
const KNOWN_COMPRESSION_TYPES = new Set([0, 1, 2, 3, 4]);
const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const CACHE_EXPIRY_MS = 60_000;
const ZERO_ID = Buffer.alloc(16);
/** Kafka's Uuid.METADATA_TOPIC_ID (0...01), reserved with the zero id. */
const METADATA_TOPIC_ID = Buffer.from('00000000000000000000000000000001', 'hex');

/** What a subscription may match a client on (KIP-714's client selectors). */
export interface TelemetryClient {
  readonly clientId: string | null;
  readonly clientSoftwareName: string | null;
  readonly clientSoftwareVersion: string | null;
  /** The client's address, e.g. "127.0.0.1". */
  readonly clientAddress: string;
}

/** What the inspector and GET /telemetry show of a client instance. */
export interface ClientInstanceView {
  clientInstanceId: string;
  clientId: string | null;
  clientSoftwareName: string | null;
  clientSoftwareVersion: string | null;
  clientAddress: string;
  subscriptionId: number;
  requestedMetrics: string[];
  pushIntervalMs: number;
  pushes: number;
  lastPushMs: number | null;
  lastPushBytes: number;
  lastCompression: string | null;
  /** Metric names of the last push with metrics (at most limits.telemetryMetricNamesMax). */
  lastMetricNames: string[];
  lastError: number;
  terminating: boolean;
  /** False once the instance is forgotten (its connection closed, it expired or was evicted): kept for the inspector. */
  active: boolean;
}

interface Instance {
  readonly id: Buffer;
  readonly client: TelemetryClient;
  readonly subscriptionId: number;
  /** The subscriptions' fingerprint this instance was evaluated against. */
  readonly subscriptionsKey: string;
  readonly metrics: readonly string[];
  readonly pushIntervalMs: number;
  lastGetMs: number;
  lastPushMs: number;
  lastRequestMs: number;
  terminating: boolean;
  lastError: number;
  pushes: number;
  /** When the last accepted push came (lastPushMs is the throttling clock, which a terminating push leaves alone). */
  lastAcceptedMs: number;
  lastPushBytes: number;
  lastCompression: string | null;
  lastMetricNames: string[];
  /** Removes the connection-close listener. */
  forget: (() => void) | null;
}

export interface ClientTelemetryOptions {
  readonly clock: Clock;
  /** The CLIENT_METRICS resources (name -> set configs), read at each request. */
  readonly subscriptions: () => ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** telemetry.max.bytes. */
  readonly maxBytes: () => number;
  /** A fresh random 16-byte id (tests pass their own). */
  readonly randomId?: () => Buffer;
}

function isReserved(id: Buffer): boolean {
  return id.equals(ZERO_ID) || id.equals(METADATA_TOPIC_ID);
}

/** Java's Uuid.hashCode: the two longs XORed, then the halves of that XORed. */
function uuidHash(id: Buffer): number {
  const h = id.readBigInt64BE(0) ^ id.readBigInt64BE(8);
  return Number(BigInt.asIntN(32, h >> 32n) ^ BigInt.asIntN(32, h));
}

function attribute(client: TelemetryClient, id: Buffer, selector: string): string | null {
  switch (selector) {
    case 'client_instance_id':
      return uuidString(id);
    case 'client_id':
      return client.clientId;
    case 'client_software_name':
      return client.clientSoftwareName;
    case 'client_software_version':
      return client.clientSoftwareVersion;
    case 'client_source_address':
      return client.clientAddress;
    default:
      return null;
  }
}

/** The canonical 8-4-4-4-12 form (Kafka's Uuid.toString is base64; the inspector shows this). */
function uuidString(id: Buffer): string {
  const h = id.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function matches(sub: ClientMetricsSubscription, client: TelemetryClient, id: Buffer): boolean {
  for (const [selector, re] of sub.match) {
    const value = attribute(client, id, selector);
    if (value === null || !re.test(value)) return false;
  }
  return true;
}

export class ClientTelemetry {
  /** By instance id (hex), least recently used first (a Map keeps insertion order; a use re-inserts). */
  private readonly instances = new Map<string, Instance>();
  /** Views of forgotten instances, oldest first, at most limits.telemetryDepartedMax. */
  private readonly departed: ClientInstanceView[] = [];
  private readonly randomId: () => Buffer;

  constructor(private readonly opts: ClientTelemetryOptions) {
    this.randomId = opts.randomId ?? (() => Buffer.from(crypto.getRandomValues(new Uint8Array(16))));
  }

  /**
   * GetTelemetrySubscriptions for a client; `onClose` registers what to do when its connection
   * closes (RequestContext.onClose).
   */
  getSubscriptions(req: GetTelemetrySubscriptionsRequest, client: TelemetryClient, onClose: (fn: () => void) => () => void): GetTelemetrySubscriptionsResponse {
    const now = this.opts.clock.nowMs();
    this.expire(now);
    let id = req.clientInstanceId;
    if (isReserved(id)) {
      do id = this.randomId();
      while (isReserved(id) || this.instances.has(id.toString('hex')));
    }
    const instance = this.instanceFor(id, client, now, onClose);
    const elapsed = now - Math.max(instance.lastGetMs, instance.lastPushMs);
    if (elapsed < instance.pushIntervalMs) {
      // Kafka's error answer: every other field at its default.
      return { ...GetTelemetrySubscriptions.defaultResponse(), errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED };
    }
    instance.lastGetMs = now;
    instance.lastError = ErrorCode.NONE;
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      clientInstanceId: id,
      subscriptionId: instance.subscriptionId,
      acceptedCompressionTypes: ACCEPTED_COMPRESSION_TYPES,
      pushIntervalMs: instance.pushIntervalMs,
      telemetryMaxBytes: this.opts.maxBytes(),
      deltaTemporality: true,
      requestedMetrics: [...instance.metrics],
    };
  }

  push(req: PushTelemetryRequest, client: TelemetryClient, onClose: (fn: () => void) => () => void): PushTelemetryResponse {
    const answer = (errorCode: number): PushTelemetryResponse => ({ throttleTimeMs: 0, errorCode });
    if (isReserved(req.clientInstanceId)) return answer(ErrorCode.INVALID_REQUEST);
    const now = this.opts.clock.nowMs();
    this.expire(now);
    const instance = this.instanceFor(req.clientInstanceId, client, now, onClose);
    const error = this.checkPush(req, instance, now);
    // Kafka records the request's terminating flag whatever the outcome.
    instance.terminating = req.terminating;
    if (error !== ErrorCode.NONE) {
      instance.lastError = error;
      return answer(error);
    }
    instance.pushes++;
    instance.lastAcceptedMs = now;
    instance.lastPushBytes = req.metrics.length;
    instance.lastCompression = COMPRESSION_NAMES[req.compressionType] ?? String(req.compressionType);
    if (req.metrics.length > 0) instance.lastMetricNames = this.metricNames(req.compressionType, req.metrics);
    instance.lastError = ErrorCode.NONE;
    return answer(ErrorCode.NONE);
  }

  /** The last forgotten client instances, then every remembered one, least recently active first. */
  views(): ClientInstanceView[] {
    return [...this.departed, ...[...this.instances.values()].map((i) => this.view(i, true))];
  }

  private view(i: Instance, active: boolean): ClientInstanceView {
    return {
      clientInstanceId: uuidString(i.id),
      clientId: i.client.clientId,
      clientSoftwareName: i.client.clientSoftwareName,
      clientSoftwareVersion: i.client.clientSoftwareVersion,
      clientAddress: i.client.clientAddress,
      subscriptionId: i.subscriptionId,
      requestedMetrics: [...i.metrics],
      pushIntervalMs: i.pushIntervalMs,
      pushes: i.pushes,
      lastPushMs: i.pushes > 0 ? i.lastAcceptedMs : null,
      lastPushBytes: i.lastPushBytes,
      lastCompression: i.lastCompression,
      lastMetricNames: [...i.lastMetricNames],
      lastError: i.lastError,
      terminating: i.terminating,
      active,
    };
  }

  /** Drops an instance from the protocol state; the inspector keeps its last view. */
  private forget(key: string, i: Instance): void {
    i.forget?.();
    this.instances.delete(key);
    this.departed.push(this.view(i, false));
    if (this.departed.length > limits.telemetryDepartedMax) this.departed.shift();
  }

  private checkPush(req: PushTelemetryRequest, instance: Instance, now: number): number {
    if (instance.terminating) return ErrorCode.INVALID_REQUEST;
    // A push right after GetTelemetrySubscriptions is accepted whenever it comes: clients jitter
    // the interval (0.5 to 1.5 times it).
    const canAccept = instance.lastGetMs > instance.lastPushMs || now - instance.lastPushMs >= instance.pushIntervalMs;
    if (canAccept) instance.lastPushMs = now;
    else if (!req.terminating) return ErrorCode.THROTTLING_QUOTA_EXCEEDED;
    if (req.subscriptionId !== instance.subscriptionId) return ErrorCode.UNKNOWN_SUBSCRIPTION_ID;
    if (!KNOWN_COMPRESSION_TYPES.has(req.compressionType)) return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
    if (req.metrics.length > this.opts.maxBytes()) return ErrorCode.TELEMETRY_TOO_LARGE;
    return ErrorCode.NONE;
  }

  private metricNames(compressionType: number, metrics: Buffer): string[] {
    try {
      const plain = decompress(compressionType, metrics, limits.telemetryDecompressedBytesMax);
      return plain === null ? [] : otlpMetricNames(plain, limits.telemetryMetricNamesMax);
    } catch {
      return [];
    }
  }

  /** The instance of `id`, created or evaluated again against the current subscriptions as needed; marked used now. */
  private instanceFor(id: Buffer, client: TelemetryClient, now: number, onClose: (fn: () => void) => () => void): Instance {
    const key = id.toString('hex');
    const configs = this.opts.subscriptions();
    const subscriptionsKey = JSON.stringify([...configs].map(([name, c]) => [name, [...c]]));
    let instance = this.instances.get(key);
    if (instance === undefined || instance.subscriptionsKey !== subscriptionsKey) {
      instance?.forget?.();
      instance = this.evaluate(id, client, configs, subscriptionsKey);
      const created = instance;
      created.forget = onClose(() => {
        created.forget = null;
        if (this.instances.get(key) === created) this.forget(key, created);
      });
    }
    this.instances.delete(key);
    this.instances.set(key, instance);
    instance.lastRequestMs = now;
    while (this.instances.size > limits.telemetryClientInstancesMax) {
      const oldest = this.instances.values().next().value as Instance;
      this.forget(oldest.id.toString('hex'), oldest);
    }
    return instance;
  }

  private evaluate(id: Buffer, client: TelemetryClient, configs: ReadonlyMap<string, ReadonlyMap<string, string>>, subscriptionsKey: string): Instance {
    let intervalMs = PUSH_INTERVAL_MS_DEFAULT;
    const metrics = new Set<string>();
    let all = false;
    for (const [name, c] of configs) {
      const sub = subscriptionOf(name, c);
      if (!matches(sub, client, id)) continue;
      for (const m of sub.metrics) metrics.add(m);
      all ||= sub.metrics.includes('*');
      intervalMs = Math.min(intervalMs, sub.intervalMs);
    }
    const requested = all ? ['*'] : [...metrics].sort();
    const crc = crc32c(Buffer.from(`[${requested.join(', ')}]${intervalMs}`, 'utf8'));
    return {
      id: Buffer.from(id),
      client,
      subscriptionId: (crc | 0) ^ uuidHash(id),
      subscriptionsKey,
      metrics: requested,
      pushIntervalMs: intervalMs,
      lastGetMs: 0,
      lastPushMs: 0,
      lastRequestMs: 0,
      terminating: false,
      lastError: ErrorCode.NONE,
      pushes: 0,
      lastAcceptedMs: 0,
      lastPushBytes: 0,
      lastCompression: null,
      lastMetricNames: [],
      forget: null,
    };
  }

  /** Forgets instances idle past max(60 s, 3 push intervals), oldest first. */
  private expire(now: number): void {
    for (const [key, i] of this.instances) {
      if (now - i.lastRequestMs < Math.max(CACHE_EXPIRY_MS, 3 * i.pushIntervalMs)) break;
      this.forget(key, i);
    }
  }
}
