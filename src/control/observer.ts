/**
 * What the broker sees of its clients, for the request log, GET /connections and /metrics: the
 * connections (ConnectionStats, one per open client connection), the request log
 * (request-log.ts) and the counters (request-metrics.ts). The connection (net/connection.ts)
 * tells it of every answered request through `answered`, once the answer is handed to the socket.
 *
 * Cost per request, always on: one RequestLogEntry object, a handful of counter updates, a walk of
 * the response object for its error code until the first non-zero one (O(topics + partitions) it
 * names, as the encoding of the same response is), and for Produce and Fetch one pass over their
 * partitions for records and bytes. Nothing is decoded or copied.
 */
import type { Session } from '../auth/session.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/generated/00-produce.js';
import type { FetchRequest, FetchResponse } from '../protocol/generated/01-fetch.js';
import { errorCodeOf, RequestLog, type RequestLogEntry } from './request-log.js';
import { RequestMetrics } from './request-metrics.js';

/** Requests per second are counted over windows of this length (ms). */
const RATE_WINDOW_MS = 5_000;

/** One open client connection, as GET /connections shows it. */
export class ConnectionStats {
  /** The client id of its latest request (null until one named one). */
  clientId: string | null = null;
  requests = 0;
  /** The API versions it last used, by API name. */
  readonly apiVersions = new Map<string, number>();
  private windowStartMs: number;
  private windowRequests = 0;
  private previousRatePerSec = 0;

  constructor(
    readonly id: number,
    readonly listener: string,
    readonly remote: string,
    readonly session: Session,
    readonly openedMs: number,
  ) {
    this.windowStartMs = openedMs;
  }

  counted(apiName: string, apiVersion: number, clientId: string | null, nowMs: number): void {
    this.requests++;
    this.clientId = clientId;
    this.apiVersions.set(apiName, apiVersion);
    this.roll(nowMs);
    this.windowRequests++;
  }

  /** Requests per second over the last complete window (the current one while the first is under way). */
  requestsPerSec(nowMs: number): number {
    this.roll(nowMs);
    if (this.windowStartMs === this.openedMs) return this.windowRequests / Math.max(1, (nowMs - this.openedMs) / 1000);
    return this.previousRatePerSec;
  }

  private roll(nowMs: number): void {
    const elapsed = nowMs - this.windowStartMs;
    if (elapsed < RATE_WINDOW_MS) return;
    // A window with nothing in it after the one counted: the rate fell to zero.
    this.previousRatePerSec = elapsed < 2 * RATE_WINDOW_MS ? (this.windowRequests * 1000) / elapsed : 0;
    this.windowStartMs = nowMs;
    this.windowRequests = 0;
  }

  view(nowMs: number): ConnectionView {
    return {
      id: this.id,
      listener: this.listener,
      remote: this.remote,
      clientId: this.clientId,
      clientSoftware: this.session.clientSoftwareName,
      clientSoftwareVersion: this.session.clientSoftwareVersion,
      principal: this.session.principal,
      openedMs: this.openedMs,
      requests: this.requests,
      requestsPerSec: Math.round(this.requestsPerSec(nowMs) * 1000) / 1000,
      apiVersions: Object.fromEntries(this.apiVersions),
    };
  }
}

/** GET /connections, one element. */
export interface ConnectionView {
  id: number;
  listener: string;
  remote: string;
  clientId: string | null;
  clientSoftware: string | null;
  clientSoftwareVersion: string | null;
  principal: string;
  openedMs: number;
  requests: number;
  requestsPerSec: number;
  apiVersions: Record<string, number>;
}

/** What the connection knows of an answered request (its slot carries these fields). */
export interface AnsweredRequest {
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
  readonly clientId: string | null;
  /** Wall-clock time of receipt (ms) and performance.now() then. */
  readonly receivedMs: number;
  readonly receivedAt: number;
  readonly request: unknown;
  /**
   * The topic-partitions the request read when the request alone does not say (a Fetch by topic
   * id or in a fetch session), for the request log's topic matchers; null: those it names.
   */
  readonly partitionsOf?: (() => Array<{ topic: string; partition: number }>) | null;
  /** The response object the handler (or a fault) answered; null for none (acks=0, no answer). */
  readonly response: unknown;
  /** The error when known without the response (a fault's error on an unanswered request); else null. */
  readonly errorCode: number | null;
  readonly faultId: number | null;
  /** Notes about the request (KIP-896: what Kafka 4 would refuse; control/kafka4-notes.ts). */
  readonly notes: readonly string[];
  /** The handler ran (no fault answered in its place): what it appended and read counts. */
  readonly handled: boolean;
}

export class Observer {
  readonly requests = new RequestLog();
  readonly metrics = new RequestMetrics();
  private readonly open = new Set<ConnectionStats>();
  private nextConnectionId = 1;

  connectionOpened(listener: string, remote: string, session: Session): ConnectionStats {
    const stats = new ConnectionStats(this.nextConnectionId++, listener, remote, session, Date.now());
    this.open.add(stats);
    return stats;
  }

  connectionClosed(stats: ConnectionStats): void {
    this.open.delete(stats);
  }

  /** The open client connections, oldest first. */
  connections(nowMs = Date.now()): ConnectionView[] {
    return [...this.open].map((c) => c.view(nowMs));
  }

  answered(conn: ConnectionStats, r: AnsweredRequest, nowAt: number): void {
    // Microseconds are all a reader needs, and the JSON stays short.
    const latencyMs = Math.round(Math.max(0, nowAt - r.receivedAt) * 1000) / 1000;
    const errorCode = r.errorCode ?? errorCodeOf(r.response);
    const entry: RequestLogEntry = {
      ts: r.receivedMs,
      connectionId: conn.id,
      clientId: r.clientId,
      clientSoftware: conn.session.clientSoftwareName,
      clientSoftwareVersion: conn.session.clientSoftwareVersion,
      apiKey: r.apiKey,
      apiName: r.apiName,
      apiVersion: r.apiVersion,
      latencyMs,
      errorCode,
      fault: r.faultId,
      notes: r.notes,
    };
    conn.counted(r.apiName, r.apiVersion, r.clientId, r.receivedMs + latencyMs);
    this.metrics.request(r.apiKey, r.apiName, r.apiVersion, errorCode, latencyMs);
    // A response that is not an object (a handler's request to close the connection) tells nothing of what was appended.
    const res = r.response;
    if (r.handled && (res === null || typeof res === 'object')) {
      if (r.apiKey === 0) this.metrics.produced(r.request as ProduceRequest, res as ProduceResponse | null);
      else if (r.apiKey === 1 && res !== null) this.metrics.fetched(r.request as FetchRequest, res as FetchResponse);
    }
    this.requests.record(entry, r.request, r.partitionsOf ?? null);
  }
}
