/**
 * A Kafka-protocol client for talking to another node of the cluster (Kafka's NetworkClient as
 * the replica fetcher and the broker-to-controller channel use it): one connection to one node,
 * opened on first use, requests pipelined and matched to their responses by correlation id.
 *
 * Versions: the first request on a connection is ApiVersions v3 (every node of a Sluice or
 * Kafka 2.4+ cluster serves it); every request then goes at the highest version both sides serve,
 * or the caller's `version` when given (refused locally if the node does not serve it).
 *
 * Failure: a connection that fails or closes rejects every request in flight with
 * NodeUnavailableError; the next request reconnects, no sooner than `reconnectBackoffMs` after
 * the failure (reconnect.backoff.ms). A request unanswered after `requestTimeoutMs` fails with
 * RequestTimeoutError and closes the connection, as Kafka's client does (the answer, if it came,
 * would be out of order with the next ones anyway).
 *
 * Security: on an SSL or SASL_SSL listener the connection is TLS (`tls`, the listener's own trust
 * and key stores, as Kafka's inter-broker client uses them); on a SASL listener the client
 * authenticates after ApiVersions with SaslHandshake v1 and SaslAuthenticate (`sasl`) before any
 * other request. When the server gives the session an end (KIP-368), an idle connection is
 * replaced by a freshly authenticated one before it; a busy one is closed by the server and
 * reopened on the next request.
 *
 * Bounds: at most `inFlightMax` requests in flight (callers beyond wait their turn, in order),
 * responses at most `responseBytesMax` (a larger size prefix closes the connection).
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { SaslClient } from '../auth/sasl.js';
import { requestHeaderVersion, responseHeaderVersion, type ApiCodec } from '../protocol/api-codec.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiVersions, SaslAuthenticate, SaslHandshake } from '../protocol/generated/index.js';
import { encodeRequestHeader } from '../protocol/header.js';
import { Reader, Writer } from '../protocol/wire.js';

export interface NodeClientOptions {
  host: string;
  port: number;
  clientId: string;
  /** request.timeout.ms (replica.socket.timeout.ms for the replica fetcher). */
  requestTimeoutMs: number;
  /** socket.connection.setup.timeout.ms */
  connectTimeoutMs: number;
  /** reconnect.backoff.ms */
  reconnectBackoffMs: number;
  /** Requests in flight at once on the connection. */
  inFlightMax: number;
  /** Largest response frame accepted. */
  responseBytesMax: number;
  /** TLS to the node (its listener is SSL or SASL_SSL). */
  tls?: ConnectionOptions;
  /** SASL to the node (its listener is SASL_PLAINTEXT or SASL_SSL): a new client per connection. */
  sasl?: () => SaslClient;
}

/** The node could not be reached, or the connection was lost before the answer. */
export class NodeUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'NodeUnavailableError';
  }
}

/** No answer within the request timeout. */
export class RequestTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestTimeoutError';
  }
}

/** The node does not serve the API (or the version asked for). */
export class UnsupportedVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedVersionError';
  }
}

interface Pending {
  correlationId: number;
  decode(frame: Buffer): void;
  fail(err: Error): void;
  timer: NodeJS.Timeout;
}

interface Connection {
  socket: Socket;
  /** Bytes received and not yet a whole frame. */
  buffered: Buffer;
  pending: Pending[];
  /** API key -> [min, max] the node serves. */
  versions: Map<number, [number, number]>;
  /** ApiVersions answered (and SASL done): requests may go. */
  ready: boolean;
  /** When the server ends the SASL session (epoch ms); null: never. */
  sessionEndMs: number | null;
}

/** An idle connection is replaced this long before its SASL session ends. */
const REAUTH_MARGIN_MS = 1000;

export class NodeClient {
  private conn: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private nextCorrelationId = 1;
  private lastFailureMs = -Infinity;
  private closed = false;
  /** Callers waiting for a free in-flight slot, in order. */
  private readonly queue: Array<() => void> = [];
  private inFlight = 0;

  constructor(readonly opts: NodeClientOptions) {}

  /** Where the client connects, for log lines. */
  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  /**
   * Sends `body` and resolves with the decoded response. Rejects with NodeUnavailableError,
   * RequestTimeoutError or UnsupportedVersionError; never with a protocol-level error code (those
   * are in the response). `body` may be a function of the version chosen, for a caller that speaks
   * versions whose fields differ (the tools in src/client/).
   */
  async request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req | ((version: number) => Req), opts: { version?: number } = {}): Promise<Res> {
    await this.slot();
    try {
      const conn = await this.connection();
      const version = this.pickVersion(conn, codec, opts.version);
      return await this.send(conn, codec, version, typeof body === 'function' ? (body as (version: number) => Req)(version) : body);
    } finally {
      this.inFlight--;
      this.queue.shift()?.();
    }
  }

  /** The version `request` would use for `codec` on the current connection (null: not connected yet). */
  negotiatedVersion(codec: ApiCodec<unknown, unknown>): number | null {
    const range = this.conn?.versions.get(codec.apiKey);
    if (!range) return null;
    const max = Math.min(range[1], codec.maxVersion);
    return max >= Math.max(range[0], codec.minVersion) ? max : null;
  }

  close(): void {
    this.closed = true;
    this.drop(new NodeUnavailableError(`client for ${this.address} closed`));
  }

  private slot(): Promise<void> {
    if (this.inFlight < this.opts.inFlightMax) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.queue.push(() => {
        this.inFlight++;
        resolve();
      }),
    );
  }

  private pickVersion(conn: Connection, codec: ApiCodec<unknown, unknown>, wanted: number | undefined): number {
    const range = conn.versions.get(codec.apiKey);
    if (!range) throw new UnsupportedVersionError(`${this.address} does not serve ${codec.name}`);
    const lo = Math.max(range[0], codec.minVersion);
    const hi = Math.min(range[1], codec.maxVersion);
    if (wanted !== undefined) {
      if (wanted < lo || wanted > hi) throw new UnsupportedVersionError(`${this.address} serves ${codec.name} ${range[0]}-${range[1]}, not v${wanted}`);
      return wanted;
    }
    if (lo > hi) throw new UnsupportedVersionError(`${this.address} serves ${codec.name} ${range[0]}-${range[1]}, none of which we speak`);
    return hi;
  }

  private connection(): Promise<Connection> {
    if (this.closed) return Promise.reject(new NodeUnavailableError(`client for ${this.address} closed`));
    const conn = this.conn;
    if (conn?.ready && conn.sessionEndMs !== null && Date.now() > conn.sessionEndMs - REAUTH_MARGIN_MS && conn.pending.length === 0) {
      this.drop(new NodeUnavailableError(`SASL session with ${this.address} ending`), conn);
      this.lastFailureMs = -Infinity;
    }
    if (this.conn?.ready) return Promise.resolve(this.conn);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    const wait = this.lastFailureMs + this.opts.reconnectBackoffMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const socket = await new Promise<Socket>((resolve, reject) => {
      const { tls } = this.opts;
      const s = tls ? tlsConnect({ ...tls, host: this.opts.host, port: this.opts.port }) : connect({ host: this.opts.host, port: this.opts.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new NodeUnavailableError(`connecting to ${this.address} timed out after ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new NodeUnavailableError(`cannot connect to ${this.address}: ${e.message}`, e));
      });
    }).catch((e: unknown) => {
      this.lastFailureMs = Date.now();
      throw e;
    });
    socket.setNoDelay(true);
    const conn: Connection = { socket, buffered: Buffer.alloc(0), pending: [], versions: new Map(), ready: false, sessionEndMs: null };
    this.conn = conn;
    socket.on('data', (d: Buffer) => this.receive(conn, d));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.conn === conn) this.drop(new NodeUnavailableError(`connection to ${this.address} closed`));
    });
    const res = await this.send(conn, ApiVersions, 3, { clientSoftwareName: 'sluice', clientSoftwareVersion: '1' });
    if (res.errorCode !== ErrorCode.NONE) {
      const err = new NodeUnavailableError(`${this.address} answered ApiVersions with error ${res.errorCode}`);
      this.drop(err, conn);
      throw err;
    }
    for (const k of res.apiKeys) conn.versions.set(k.apiKey, [k.minVersion, k.maxVersion]);
    if (this.opts.sasl) await this.authenticate(conn, this.opts.sasl());
    conn.ready = true;
    return conn;
  }

  /** SaslHandshake v1, then SaslAuthenticate until the client has nothing more to say. */
  private async authenticate(conn: Connection, client: SaslClient): Promise<void> {
    const fail = (why: string): never => {
      const err = new NodeUnavailableError(`SASL ${client.mechanism} authentication to ${this.address} failed: ${why}`);
      this.drop(err, conn);
      throw err;
    };
    const hs = await this.send(conn, SaslHandshake, 1, { mechanism: client.mechanism });
    if (hs.errorCode !== ErrorCode.NONE) fail(`SaslHandshake error ${hs.errorCode} (the node enables ${hs.mechanisms.join(', ') || 'no mechanism'})`);
    const range = conn.versions.get(SaslAuthenticate.apiKey);
    const version = Math.min(range?.[1] ?? 0, SaslAuthenticate.maxVersion);
    let token: Buffer | null = client.first();
    for (let step = 0; token !== null; step++) {
      if (step >= 8) fail('too many rounds');
      const res = await this.send(conn, SaslAuthenticate, version, { authBytes: token });
      if (res.errorCode !== ErrorCode.NONE) fail(res.errorMessage ?? `error ${res.errorCode}`);
      try {
        token = client.next(res.authBytes);
      } catch (e) {
        fail((e as Error).message);
      }
      if (token === null && res.sessionLifetimeMs > 0n) conn.sessionEndMs = Date.now() + Number(res.sessionLifetimeMs);
    }
  }

  private send<Req, Res>(conn: Connection, codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) | 0 || 1;
    const w = new Writer(256);
    w.int32(0);
    encodeRequestHeader(w, { apiKey: codec.apiKey, apiVersion: version, correlationId, clientId: this.opts.clientId }, requestHeaderVersion(codec, version));
    codec.encodeRequest(w, version, body);
    const frame = w.finish();
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise<Res>((resolve, reject) => {
      const pending: Pending = {
        correlationId,
        decode: (f) => {
          const r = new Reader(f);
          r.int32();
          if (responseHeaderVersion(codec, version) === 1) r.taggedFields();
          const res = codec.decodeResponse(r, version);
          r.check();
          resolve(res);
        },
        fail: reject,
        timer: setTimeout(() => {
          this.drop(new RequestTimeoutError(`${codec.name} v${version} to ${this.address}: no answer within ${this.opts.requestTimeoutMs} ms`), conn);
        }, this.opts.requestTimeoutMs),
      };
      conn.pending.push(pending);
      conn.socket.write(frame);
    });
  }

  private receive(conn: Connection, data: Buffer): void {
    conn.buffered = conn.buffered.length === 0 ? data : Buffer.concat([conn.buffered, data]);
    while (conn.buffered.length >= 4) {
      const size = conn.buffered.readInt32BE(0);
      if (size < 4 || size > this.opts.responseBytesMax) {
        this.drop(new NodeUnavailableError(`${this.address} sent a response of ${size} bytes (at most ${this.opts.responseBytesMax})`), conn);
        return;
      }
      if (conn.buffered.length < 4 + size) return;
      const frame = conn.buffered.subarray(4, 4 + size);
      conn.buffered = conn.buffered.subarray(4 + size);
      const p = conn.pending.shift();
      if (!p || frame.readInt32BE(0) !== p.correlationId) {
        this.drop(new NodeUnavailableError(`${this.address} answered out of order`), conn);
        return;
      }
      clearTimeout(p.timer);
      try {
        p.decode(frame);
      } catch (e) {
        p.fail(new NodeUnavailableError(`${this.address} sent an undecodable response: ${(e as Error).message}`, e));
        this.drop(new NodeUnavailableError(`${this.address} sent an undecodable response`), conn);
        return;
      }
    }
  }

  /** Closes the connection (`only` when it is still the current one) and fails what is in flight. */
  private drop(err: Error, only?: Connection): void {
    const conn = this.conn;
    if (!conn || (only && only !== conn)) return;
    this.conn = null;
    this.lastFailureMs = Date.now();
    conn.socket.destroy();
    for (const p of conn.pending.splice(0)) {
      clearTimeout(p.timer);
      p.fail(err);
    }
  }
}
