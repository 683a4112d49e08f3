/**
 * One client connection: size-prefixed framing, request dispatch, responses in request order,
 * and backpressure.
 *
 * - A frame's int32 size is checked before anything else: negative, too small for a header, or
 *   over socket.request.max.bytes closes the connection. Nothing is allocated from that size.
 * - Memory for requests (queued.max.request.bytes, Kafka's MemoryPool): bytes read are taken
 *   from the listener's request pool as they arrive; when a frame is incomplete, the rest of it
 *   is taken too before we read on. If the pool has nothing left, this connection stops reading
 *   until bytes come back, as Kafka mutes a channel it cannot allocate for. A connection that
 *   holds its frame's bytes is never stopped for memory, so it can finish the frame and give them
 *   back: no deadlock. A request's bytes go back when its handler has answered.
 * - Requests may be pipelined. Each gets a slot in arrival order; a response is written only when
 *   every earlier slot is done, so answers go out in order even when a long poll resolves late.
 *   Produce with acks=0 fills its slot with nothing.
 * - Responses not yet taken by the client (bytes the socket still holds, plus what a Fetch has been
 *   granted while it builds its answer) count against this connection's bound and the listener's
 *   response pool. We dispatch no further request (and stop reading) at
 *   `inFlightRequestsPerConnection` unanswered requests, past
 *   `pendingResponseBytesPerConnection` outstanding bytes, or when the response pool is spent
 *   and this connection is one of those not reading its answers. A Fetch builds at most what
 *   `takeResponseBytes` grants (one batch when nothing is left, KIP-74). Kafka needs no such
 *   bound: it mutes a channel from a request until its response is sent, so each connection has
 *   at most one answer queued; we keep pipelining and bound the bytes instead.
 * - Memory held for clients is so bounded by configuration: queued.max.request.bytes, plus one
 *   frame over it (lenient pool), plus one socket read (64 KiB) per connection read before it
 *   stopped; and pendingResponseBytesTotal, plus one batch per connection once it is spent.
 * - Stalls (checked by the listener's sweep): a frame not complete within the transfer timeout
 *   of its first bytes, or response bytes the client has not taken for that long, close the
 *   connection, so neither holds pool memory for longer.
 * - An unknown API key or unsupported version closes the connection, except ApiVersions, which is
 *   answered with UNSUPPORTED_VERSION and its own version range in a v0 body (KIP-511).
 * - A malformed request body or a handler bug closes this connection only; the broker goes on.
 * - Every request answered (or closed on, or left unanswered by a fault) is told to the observer
 *   (control/observer.ts: request log, connection stats, metrics) when its answer is handed to
 *   the socket; the slot carries what it needs, so that costs one log entry per request.
 */
import { isIP, type Socket } from 'node:net';
import type { NetConfig } from '../config/broker-config.js';
import { limits } from '../config/limits.js';
import type { Logger } from '../logger.js';
import { responseHeaderVersion } from '../protocol/api-codec.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiVersions } from '../protocol/generated/18-api-versions.js';
import { Fetch, type FetchRequest } from '../protocol/generated/01-fetch.js';
import { apiCodecs } from '../protocol/generated/index.js';
import { decodeRequestHeader, encodeResponseFrame } from '../protocol/header.js';
import { Reader } from '../protocol/wire.js';
import type { BrokerServices } from '../api/context.js';
import type { RateLimitedLog } from '../logger.js';
import { CLOSE_CONNECTION, type ApiHandler, type HandlerRegistry, type PartitionFault, type RequestContext } from '../api/registry.js';
import { fetchFaultPartitions } from '../api/01-fetch.js';
import type { MemoryPool } from './memory-pool.js';
import { newSession, type MutableSession } from '../auth/session.js';
import { SaslAuthenticator, type SaslListenerConfig, type SaslVerdict } from './sasl-authenticator.js';
import { type FaultInjector, type FiredFault } from '../control/faults.js';
import { errorResponseFor, mergeResponses, requestPart, responsePart, withProduceTopicNames } from '../control/error-responses.js';
import type { SecurityProtocol } from '../config/kraft.js';
import type { AnsweredRequest, ConnectionStats, Observer } from '../control/observer.js';

/** Takes a handler's answer and sends (`send`) what goes out instead: a fault's doing. */
type AnswerHook = (response: unknown, send: (response: unknown) => void) => void;
/** Runs the handler for a faulted request (or part of one); `partitionFault` for a handler that applies it. */
type FaultRun = (request: unknown, then?: AnswerHook, partitionFault?: PartitionFault) => void;

/** A request with no notes (almost every one): shared, never changed. */
const NO_NOTES: readonly string[] = Object.freeze([]);

/** api_key + api_version + correlation_id + client_id length. */
const REQUEST_HEADER_MIN_BYTES = 10;

/** What a connection shares with its listener. */
export interface ConnectionEnv {
  readonly broker: BrokerServices;
  /** Connections closed for what their client sent: a few WARN lines per 10 s, all counted. */
  readonly refusedConnections: RateLimitedLog;
  /** The APIs this listener serves (the client APIs, or the controller's on a CONTROLLER listener). */
  readonly handlers: HandlerRegistry;
  /** The listener's name and security protocol (each connection's session starts from them). */
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  /** How clients authenticate on a SASL listener; null on any other. */
  readonly sasl: SaslListenerConfig | null;
  /** Faults injected for tests (control/faults.ts); null where none can be. */
  readonly faults: FaultInjector | null;
  /** The request log, connection stats and metrics (control/observer.ts); null where none are kept. */
  readonly observer: Observer | null;
  readonly log: Logger;
  readonly config: NetConfig;
  /** Bytes of requests being received or handled, all connections (queued.max.request.bytes). */
  readonly requestPool: MemoryPool;
  /** Bytes of responses outstanding, all connections (limits.pendingResponseBytesTotal). */
  readonly responsePool: MemoryPool;
  /** Bytes moved either way: the listener keeps connections in order of activity. */
  onActivity(conn: Connection): void;
}

/** A request's slot; the AnsweredRequest fields are what the observer records (apiKey -1: nothing, a bare SASL token). */
interface Slot extends AnsweredRequest {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  clientId: string | null;
  request: unknown;
  partitionsOf: (() => Array<{ topic: string; partition: number }>) | null;
  response: unknown;
  errorCode: number | null;
  faultId: number | null;
  notes: readonly string[];
  handled: boolean;
  done: boolean;
  /** The response frame as buffers to write in order (encodeResponseFrame), or null for none. */
  frame: Buffer[] | null;
  /** Request pool bytes of this request's frame, held until it is answered. */
  requestBytes: number;
  /** Response pool bytes held for its answer: granted while built, then the frame's size. */
  responseBytes: number;
  /** Close the connection when this slot's turn comes (a handler returned CLOSE_CONNECTION). */
  closeWhenReached?: string;
  /** Close the connection once this slot's answer is sent (a refused SASL handshake or authentication). */
  closeWhenSent?: string;
}

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Request pool bytes held for the buffered bytes and the rest of an incomplete frame. */
  private requestBytesHeld = 0;
  /** When the incomplete frame at the head of the buffer began to arrive (null: none). */
  private frameStartMs: number | null = null;
  private readonly slots: Slot[] = [];
  /** Response pool bytes of slots not yet written, and of frames written but not yet sent. */
  private grantedBytes = 0;
  private unsentBytes = 0;
  /** When the client last took response bytes, or first owed us some. */
  private sendProgressMs = 0;
  /** The socket's bytes not yet taken by the kernel when stalled() last looked. */
  private kernelBacklogBytes = 0;
  private paused = false;
  private waitingForMemory = false;
  /** processFrames is running: a response completed inside it must not start it again. */
  private processing = false;
  private isClosed = false;
  private readonly closeListeners = new Set<() => void>();
  private resolveClosed!: () => void;
  readonly closed: Promise<void> = new Promise((r) => (this.resolveClosed = r));
  readonly id: string;
  private readonly clientHost: string;
  /** Who is on the other end (auth/session.ts). */
  readonly session: MutableSession;
  /** Its entry in GET /connections (null without an observer). */
  private readonly stats: ConnectionStats | null;
  private readonly broker: BrokerServices;
  /** A topic's name from its id (Produce v13+ names topics by id; fault matchers go by name). */
  private readonly topicNameOf = (topicId: Buffer): string | undefined => this.broker.image.topicsById.get(topicId.toString('base64url'))?.name;
  private readonly log: Logger;
  /** The SASL exchange on a SASL listener (null on others). */
  private readonly sasl: SaslAuthenticator | null;
  /** An answer is on its way after which the connection closes: nothing more is read. */
  private closing: string | null = null;
  /** That answer has been written: close once the socket has taken every byte. */
  private closeWhenSent: string | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly env: ConnectionEnv,
  ) {
    this.broker = env.broker;
    this.log = env.log;
    this.id = `${socket.remoteAddress}:${socket.remotePort}`;
    this.clientHost = `/${socket.remoteAddress ?? ''}`;
    this.session = newSession(env.listenerName, env.securityProtocol, normalizeAddress(socket.remoteAddress ?? ''));
    this.sasl = env.sasl ? new SaslAuthenticator(env.sasl, this.session) : null;
    this.stats = env.observer?.connectionOpened(env.listenerName, remoteOf(this.session.clientAddress, socket.remotePort), this.session) ?? null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug(`connection ${this.id}: ${err.message}`));
    socket.on('close', () => this.onClose());
  }

  private readonly onCloseListener = (listener: () => void): (() => void) => {
    if (this.isClosed) {
      listener();
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  };

  /** The reason is logged at `level`: routine closes (idle, making room) at debug, as Kafka does. */
  close(reason?: string, level: 'warn' | 'debug' = 'warn'): void {
    if (this.isClosed) return;
    // What a client causes at will (refused frames) is rate-limited and counted; routine closes
    // (idle, making room) go to debug.
    if (reason && level === 'warn') this.env.refusedConnections.log(`closing connection ${this.id}: ${reason}`);
    else if (reason) this.log.debug(`closing connection ${this.id}: ${reason}`);
    // onClose first: write callbacks that destroy() may run then see the bytes already returned.
    this.onClose();
    this.socket.destroy();
  }

  /** Nothing received, being handled or waiting to be sent: closing it loses no work. */
  get quiet(): boolean {
    return this.buffered === 0 && this.slots.length === 0 && this.unsentBytes === 0;
  }

  /** Why this connection has stalled for longer than stallMs, or null. */
  stalled(nowMs: number, stallMs: number): string | null {
    if (this.frameStartMs !== null && !this.paused && nowMs - this.frameStartMs > stallMs) {
      return `request incomplete ${stallMs} ms after its first bytes (${this.buffered} bytes in)`;
    }
    if (this.unsentBytes === 0) return null;
    this.noteSendProgress(nowMs);
    return nowMs - this.sendProgressMs > stallMs ? `client took none of ${this.unsentBytes} response bytes in ${stallMs} ms` : null;
  }

  /**
   * A large frame leaves in many pieces before its write callback: libuv's writeQueueSize (internal
   * to Node's socket handle, read only here) falls with each, where writableLength does not. A slow
   * reader that keeps taking bytes is therefore never taken for a stalled one.
   */
  private noteSendProgress(nowMs: number): void {
    const handle = (this.socket as unknown as { _handle?: { writeQueueSize?: number } })._handle;
    const backlog = handle?.writeQueueSize ?? 0;
    if (backlog < this.kernelBacklogBytes) this.sendProgressMs = nowMs;
    this.kernelBacklogBytes = backlog;
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.stats) this.env.observer!.connectionClosed(this.stats);
    const { requestPool, responsePool } = this.env;
    requestPool.cancelWait(this.retry);
    responsePool.cancelWait(this.retry);
    requestPool.release(this.requestBytesHeld);
    responsePool.release(this.unsentBytes);
    for (const slot of this.slots) this.settle(slot);
    this.requestBytesHeld = 0;
    this.unsentBytes = 0;
    this.chunks = [];
    this.buffered = 0;
    this.slots.length = 0;
    for (const l of this.closeListeners) l();
    this.closeListeners.clear();
    this.resolveClosed();
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.env.onActivity(this);
    // Bytes already read count against the pool, whether or not it had room for them.
    if (this.buffered > this.requestBytesHeld) {
      this.env.requestPool.take(this.buffered - this.requestBytesHeld);
      this.requestBytesHeld = this.buffered;
    }
    this.processFrames();
  }

  private readonly retry = (): void => {
    this.waitingForMemory = false;
    this.processFrames();
  };

  private processFrames(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      this.readFrames();
    } finally {
      this.processing = false;
    }
    if (this.isClosed) return;
    if (this.buffered > 0 && this.frameStartMs === null) this.frameStartMs = Date.now();
    this.updatePause();
  }

  private readFrames(): void {
    while (!this.isClosed && !this.mustWait() && this.buffered >= 4) {
      const size = this.peekInt32();
      const sizeMax = this.sasl?.frameBytesMax(this.env.config.requestMaxBytes) ?? this.env.config.requestMaxBytes;
      // A bare SASL token (after a v0 handshake) has no request header and may be a single byte.
      const sizeMin = this.sasl?.rawMode ? 0 : REQUEST_HEADER_MIN_BYTES;
      if (size < sizeMin || size > sizeMax) {
        const bound = sizeMax < this.env.config.requestMaxBytes ? 'sasl.server.max.receive.size, before authentication' : 'socket.request.max.bytes';
        this.close(`frame size ${size} outside ${sizeMin}..${sizeMax} (${bound})`);
        return;
      }
      if (this.buffered < 4 + size) {
        this.holdFrame(4 + size);
        break;
      }
      this.take(4);
      this.requestBytesHeld -= 4 + size;
      this.frameStartMs = null;
      this.dispatch(this.take(size), 4 + size);
    }
  }

  /** Takes pool bytes for the rest of an incomplete frame, or waits for the pool. */
  private holdFrame(frameBytes: number): void {
    const need = frameBytes - this.requestBytesHeld;
    if (need <= 0) return;
    if (this.env.requestPool.tryTake(need)) {
      this.requestBytesHeld += need;
      return;
    }
    this.waitingForMemory = true;
    this.env.requestPool.wait(this.retry);
  }

  private get outstandingResponseBytes(): number {
    return this.grantedBytes + this.unsentBytes;
  }

  /** True when no further request of this connection may be dispatched now. */
  private mustWait(): boolean {
    return (
      this.closing !== null ||
      this.waitingForMemory ||
      this.slots.length >= limits.inFlightRequestsPerConnection ||
      this.outstandingResponseBytes > limits.pendingResponseBytesPerConnection ||
      this.blockedByResponsePool()
    );
  }

  /** The response pool is spent and this connection is one of those not reading its answers. */
  private blockedByResponsePool(): boolean {
    return this.env.responsePool.available <= 0 && this.outstandingResponseBytes > 0;
  }

  private updatePause(): void {
    const stop = this.mustWait();
    if (stop && this.blockedByResponsePool()) this.env.responsePool.wait(this.retry);
    if (stop && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!stop && this.paused) {
      this.paused = false;
      // The client was not to blame while we were not reading.
      if (this.frameStartMs !== null) this.frameStartMs = Date.now();
      this.socket.resume();
    }
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /** Removes n buffered bytes (n <= buffered); a view when they lie in one chunk. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const want = n - at;
      if (c.length <= want) {
        c.copy(out, at);
        at += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, at, 0, want);
        this.chunks[0] = c.subarray(want);
        at = n;
      }
    }
    return out;
  }

  private dispatch(frame: Buffer, frameBytes: number): void {
    // The slot comes first: it holds the frame's pool bytes on every path from here.
    const slot: Slot = {
      apiKey: -1,
      apiName: '',
      apiVersion: -1,
      clientId: null,
      receivedMs: Date.now(),
      receivedAt: performance.now(),
      request: null,
      partitionsOf: null,
      response: null,
      errorCode: null,
      faultId: null,
      notes: NO_NOTES,
      handled: false,
      done: false,
      frame: null,
      requestBytes: frameBytes,
      responseBytes: 0,
    };
    this.slots.push(slot);
    if (this.sasl?.rawMode) {
      this.answerRawToken(slot, frame);
      return;
    }
    const r = new Reader(frame);
    const header = decodeRequestHeader(r);
    if (r.error !== null) {
      this.close(`malformed request header: ${r.error}`);
      return;
    }
    const { apiKey, apiVersion, correlationId } = header;
    // KIP-896 notes (control/kafka4-notes.ts) see every version asked for, served or not.
    slot.notes = this.broker.kafka4Notes?.observe(this.session, header.clientId, apiKey, apiVersion, null) ?? NO_NOTES;
    const handler = this.env.handlers.get(apiKey);
    slot.apiKey = apiKey;
    slot.apiVersion = apiVersion;
    slot.clientId = header.clientId;
    slot.apiName = handler?.codec.name ?? apiCodecs.get(apiKey)?.name ?? `ApiKey${apiKey}`;
    // The range served now: the handler's, or an older release's (control/kafka-version.ts).
    const served = this.env.handlers.range(apiKey);
    if (!handler || !served || apiVersion < served.minVersion || apiVersion > served.maxVersion) {
      if (apiKey === ApiVersions.apiKey) {
        slot.errorCode = ErrorCode.UNSUPPORTED_VERSION;
        this.answerUnsupportedApiVersions(slot, correlationId);
      } else {
        // Logged (the request log shows which client asked for what) before the close.
        slot.errorCode = ErrorCode.UNSUPPORTED_VERSION;
        this.observe(slot);
        this.close(`unsupported API key ${apiKey} version ${apiVersion}${served ? ` (serving ${served.minVersion}-${served.maxVersion})` : ''}`);
      }
      return;
    }
    const { codec } = handler;
    if (apiVersion >= codec.flexibleMin) r.taggedFields();
    let request = codec.decodeRequest(r, apiVersion);
    if (r.error !== null) {
      this.close(`malformed ${codec.name} v${apiVersion} request: ${r.error}`);
      return;
    }
    // A Produce v13+ names its topics by id: the request log, the fault matchers and fault splits
    // see their names (the handler goes by id; names are not on the wire from v13).
    if (apiKey === 0 && apiVersion >= 13) request = withProduceTopicNames(apiKey, request, this.topicNameOf);
    slot.request = request;
    if (this.sasl) {
      const verdict = this.sasl.onRequest(apiKey, apiVersion, request);
      if (verdict.kind !== 'pass') {
        this.answerSasl(slot, handler, apiVersion, correlationId, verdict);
        return;
      }
    }
    if (apiKey === 19 || apiKey === 33 || apiKey === 44) {
      const configNotes = this.broker.kafka4Notes?.observe(this.session, header.clientId, apiKey, apiVersion, request) ?? NO_NOTES;
      if (configNotes.length > 0) slot.notes = [...slot.notes, ...configNotes];
    }
    if (apiKey === ApiVersions.apiKey && apiVersion >= 3) {
      const { clientSoftwareName, clientSoftwareVersion } = request as { clientSoftwareName: string; clientSoftwareVersion: string };
      this.session.clientSoftwareName = clientSoftwareName;
      this.session.clientSoftwareVersion = clientSoftwareVersion;
    }
    const ctx: RequestContext = {
      broker: this.broker,
      handlers: this.env.handlers,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      clientHost: this.clientHost,
      session: this.session,
      onClose: this.onCloseListener,
      takeResponseBytes: (bytesMax) => this.takeResponseBytes(slot, bytesMax),
      returnResponseBytes: (bytes) => this.returnResponseBytes(slot, bytes),
    };
    const faults = this.env.faults;
    // A Fetch by topic id or in a fetch session reads partitions it does not name (api/01-fetch.ts):
    // what the fault matchers and the request log's topic matchers look at.
    const partitionsOf = apiKey === Fetch.apiKey ? () => fetchFaultPartitions(this.broker, apiVersion, request as FetchRequest) : undefined;
    slot.partitionsOf = partitionsOf ?? null;
    const fired = faults !== null && faults.armed ? faults.match(apiKey, apiVersion, header.clientId, request, partitionsOf) : null;
    if (fired !== null) {
      slot.faultId = fired.fault.id;
      this.applyFault(slot, handler, apiVersion, correlationId, fired, request, (part, then, partitionFault) => this.handle(slot, handler, partitionFault ? { ...ctx, partitionFault } : ctx, part, then));
      return;
    }
    this.handle(slot, handler, ctx, request);
  }

  /** Runs the handler; `then` takes its answer and gives the one to send (a fault's doing). */
  private handle(slot: Slot, handler: ApiHandler, ctx: RequestContext, request: unknown, then?: AnswerHook): void {
    const { apiVersion, correlationId } = ctx;
    if (this.isClosed) return;
    slot.handled = true;
    let result: unknown;
    try {
      result = handler.handle(request, ctx);
    } catch (err) {
      this.onHandlerBug(slot, handler, apiVersion, err);
      return;
    }
    const send = (res: unknown): void => this.complete(slot, handler, apiVersion, correlationId, res);
    const answer = (res: unknown): void => (then && res !== CLOSE_CONNECTION ? then(res, send) : send(res));
    if (result instanceof Promise) {
      result.then(answer, (err) => this.onHandlerBug(slot, handler, apiVersion, err));
    } else {
      answer(result);
    }
  }

  /**
   * An injected fault (control/faults.ts). Before the handler (the default): an error answer built
   * from the request (the handler does not run, so nothing changes; for chosen partitions the
   * handler serves the others), a response of the test's making, the handler after a delay or once
   * released, a closed connection, or no answer ever (later answers on the connection wait behind
   * it, as they would behind a stuck request on Kafka). After the handler (`after`): the request
   * takes effect and the action applies to its answer. A delay given with another action comes first.
   */
  private applyFault(slot: Slot, handler: ApiHandler, apiVersion: number, correlationId: number, fired: FiredFault, request: unknown, run: FaultRun): void {
    const { action, only } = fired;
    // An error on chosen partitions of a Fetch: its handler applies it, before or after reading.
    const inHandler = fired.inHandler && action.kind === 'error' && only !== null ? { errorCode: action.errorCode, after: fired.after, only } : null;
    const act = inHandler
      ? () => run(request, undefined, inHandler)
      : fired.after
      ? () => run(request, (served, send) => this.faultAnswer(slot, handler, apiVersion, fired, request, served, send))
      : () => this.faultBefore(slot, handler, apiVersion, correlationId, fired, request, run);
    if (fired.delayMs > 0) setTimeout(act, fired.delayMs).unref();
    else act();
  }

  private faultBefore(slot: Slot, handler: ApiHandler, apiVersion: number, correlationId: number, fired: FiredFault, request: unknown, run: FaultRun): void {
    const action = fired.action;
    const apiKey = handler.codec.apiKey;
    const send = (res: unknown): void => this.complete(slot, handler, apiVersion, correlationId, res);
    switch (action.kind) {
      case 'error': {
        // A Produce with acks=0 gets no answer: Kafka closes the connection on its error instead.
        if (apiKey === 0 && (request as { acks: number }).acks === 0) {
          slot.errorCode = action.errorCode;
          send(CLOSE_CONNECTION);
          return;
        }
        const only = fired.only;
        const failed = only === null ? request : requestPart(apiKey, request, only);
        const rest = only === null ? null : requestPart(apiKey, request, (tp) => !only(tp));
        const error = errorResponseFor(apiKey, failed, action.errorCode);
        // Chosen partitions fail; the handler serves the others and the answers are joined.
        if (rest !== null) run(rest, (served, answer) => answer(mergeResponses(apiKey, error, withProduceTopicNames(apiKey, served, this.topicNameOf))));
        else send(error);
        return;
      }
      case 'respond':
        send(this.faultResponse(handler, apiVersion, fired, request));
        return;
      case 'hold':
        this.env.faults!.hold(fired.fault.id, () => run(request));
        return;
      case 'delay':
        setTimeout(() => run(request), action.delayMs).unref();
        return;
      case 'disconnect':
        this.observe(slot);
        this.close(`a fault closed it at ${handler.codec.name} v${apiVersion}`, 'debug');
        return;
      case 'no-answer':
        this.observe(slot);
        this.settle(slot);
        return;
    }
  }

  /** A fault with `after`: the handler ran (the request took effect); this is what its answer becomes. */
  private faultAnswer(slot: Slot, handler: ApiHandler, apiVersion: number, fired: FiredFault, request: unknown, served: unknown, send: (res: unknown) => void): void {
    const action = fired.action;
    const apiKey = handler.codec.apiKey;
    // Nothing to answer (a Produce with acks=0): an error or made-up answer closes the connection, as Kafka answers a failure there.
    if (served === null && (action.kind === 'error' || action.kind === 'respond')) {
      if (action.kind === 'error') slot.errorCode = action.errorCode;
      send(CLOSE_CONNECTION);
      return;
    }
    switch (action.kind) {
      case 'error': {
        const only = fired.only;
        if (only === null) {
          send(errorResponseFor(apiKey, request, action.errorCode));
          return;
        }
        const failed = requestPart(apiKey, request, only);
        const named = withProduceTopicNames(apiKey, served, this.topicNameOf);
        send(failed === null ? served : mergeResponses(apiKey, errorResponseFor(apiKey, failed, action.errorCode), responsePart(apiKey, named, (tp) => !only(tp))));
        return;
      }
      case 'respond':
        send(this.faultResponse(handler, apiVersion, fired, request));
        return;
      case 'hold':
        this.env.faults!.hold(fired.fault.id, () => send(served));
        return;
      case 'delay':
        setTimeout(() => send(served), action.delayMs).unref();
        return;
      case 'disconnect':
        // Answers before it still go out, in order; then the connection closes instead of this one.
        send(CLOSE_CONNECTION);
        return;
      case 'no-answer':
        slot.response = served;
        this.observe(slot);
        this.settle(slot);
        return;
    }
  }

  private faultResponse(handler: ApiHandler, apiVersion: number, fired: FiredFault, request: unknown): unknown {
    try {
      return (fired.action as { respond: (request: unknown, apiVersion: number) => unknown }).respond(request, apiVersion);
    } catch (err) {
      this.env.log.warn(`fault ${fired.fault.id}: its response for ${handler.codec.name} v${apiVersion} failed (${(err as Error).message}); closing the connection`);
      return CLOSE_CONNECTION;
    }
  }

  private takeResponseBytes(slot: Slot, bytesMax: number): number {
    if (this.isClosed) return 0;
    const room = Math.min(bytesMax, limits.pendingResponseBytesPerConnection - this.outstandingResponseBytes, this.env.responsePool.available);
    const granted = Math.max(0, Math.floor(room));
    this.holdResponseBytes(slot, granted);
    return granted;
  }

  private returnResponseBytes(slot: Slot, bytes: number): void {
    if (this.isClosed) return;
    this.holdResponseBytes(slot, -Math.min(Math.max(bytes, 0), slot.responseBytes));
  }

  /** Changes what a slot holds of the response pool by delta bytes (either sign). */
  private holdResponseBytes(slot: Slot, delta: number): void {
    slot.responseBytes += delta;
    this.grantedBytes += delta;
    if (delta > 0) this.env.responsePool.take(delta);
    else this.env.responsePool.release(-delta);
  }

  /** Gives back what a request holds of both pools (it is answered, or the connection closed). */
  private settle(slot: Slot): void {
    this.env.requestPool.release(slot.requestBytes);
    slot.requestBytes = 0;
    if (this.isClosed) {
      this.env.responsePool.release(slot.responseBytes);
      this.grantedBytes -= slot.responseBytes;
      slot.responseBytes = 0;
    }
  }

  private complete(slot: Slot, handler: ApiHandler, apiVersion: number, correlationId: number, response: unknown): void {
    this.settle(slot);
    if (this.isClosed) return;
    slot.response = response;
    if (response === CLOSE_CONNECTION) {
      slot.closeWhenReached = `${handler.codec.name} v${apiVersion} failed and asked for no answer`;
    } else if (response !== null) {
      try {
        slot.frame = encodeResponseFrame(correlationId, responseHeaderVersion(handler.codec, apiVersion), (w) =>
          handler.codec.encodeResponse(w, apiVersion, response),
        );
      } catch (err) {
        this.onHandlerBug(slot, handler, apiVersion, err);
        return;
      }
    }
    this.holdResponseBytes(slot, frameBytes(slot.frame) - slot.responseBytes);
    slot.done = true;
    this.flush();
  }

  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      if (slot.closeWhenReached !== undefined) {
        this.observe(slot);
        this.close(slot.closeWhenReached, 'debug');
        return;
      }
      if (slot.frame === null) {
        this.observe(slot);
        continue;
      }
      if (slot.closeWhenSent !== undefined) this.closeWhenSent = slot.closeWhenSent;
      this.send(slot.frame, slot.responseBytes);
      this.observe(slot);
      this.grantedBytes -= slot.responseBytes;
      slot.responseBytes = 0;
    }
    this.processFrames();
  }

  /** Writes one response frame; its pool bytes come back once the kernel has taken them. */
  private send(frame: Buffer[], bytes: number): void {
    if (this.unsentBytes === 0) this.sendProgressMs = Date.now();
    this.unsentBytes += bytes;
    const onSent = (): void => this.onSent(bytes);
    if (frame.length === 1) {
      this.socket.write(frame[0]!, onSent);
      return;
    }
    // One writev for the pieces of a frame (own bytes and referenced records).
    this.socket.cork();
    frame.forEach((piece, i) => this.socket.write(piece, i === frame.length - 1 ? onSent : undefined));
    this.socket.uncork();
  }

  private onSent(bytes: number): void {
    if (this.isClosed) return;
    this.unsentBytes -= bytes;
    if (this.closeWhenSent !== null && this.unsentBytes === 0) {
      this.close(this.closeWhenSent);
      return;
    }
    this.sendProgressMs = Date.now();
    this.env.onActivity(this);
    this.env.responsePool.release(bytes);
    this.processFrames();
  }

  /** Answers a SASL request in the authenticator's place, or closes the connection as it says. */
  private answerSasl(slot: Slot, handler: ApiHandler, apiVersion: number, correlationId: number, verdict: Exclude<SaslVerdict, { kind: 'pass' }>): void {
    if (verdict.kind === 'close') {
      this.close(verdict.reason);
      return;
    }
    const { close } = verdict;
    if (close === undefined) {
      this.complete(slot, handler, apiVersion, correlationId, verdict.response);
      return;
    }
    // Kafka delays a failed authentication's answer (connection.failed.authentication.delay.ms)
    // so a client cannot try passwords at full speed; nothing more is read meanwhile.
    this.closing = close.reason;
    slot.closeWhenSent = close.reason;
    const answer = (): void => this.complete(slot, handler, apiVersion, correlationId, verdict.response);
    if (close.delayMs > 0) setTimeout(answer, close.delayMs).unref();
    else answer();
  }

  /** A bare SASL token after a v0 handshake: the answer is a bare size-prefixed token too. */
  private answerRawToken(slot: Slot, token: Buffer): void {
    const verdict = this.sasl!.onRawToken(token);
    this.settle(slot);
    if (verdict.kind === 'close') {
      // The v0 framing has no place for an error: the connection closes, after the delay.
      this.closing = verdict.reason;
      slot.closeWhenReached = `SASL authentication failed: ${verdict.reason}`;
      const done = (): void => {
        slot.done = true;
        this.flush();
      };
      if (verdict.delayMs > 0) setTimeout(done, verdict.delayMs).unref();
      else done();
      return;
    }
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(verdict.token.length);
    slot.frame = [size, verdict.token];
    this.holdResponseBytes(slot, frameBytes(slot.frame));
    slot.done = true;
    this.flush();
  }

  private answerUnsupportedApiVersions(slot: Slot, correlationId: number): void {
    const own = this.env.handlers.range(ApiVersions.apiKey)!;
    const frame = encodeResponseFrame(correlationId, 0, (w) =>
      ApiVersions.encodeResponse(w, 0, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [{ apiKey: ApiVersions.apiKey, minVersion: own.minVersion, maxVersion: own.maxVersion }],
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      }),
    );
    this.settle(slot);
    slot.frame = frame;
    this.holdResponseBytes(slot, frameBytes(frame));
    slot.done = true;
    this.flush();
  }

  /** Tells the observer of a request whose answer was handed to the socket (or that gets none). */
  private observe(slot: Slot): void {
    if (slot.apiKey < 0 || this.stats === null) return;
    try {
      this.env.observer!.answered(this.stats, slot, performance.now());
    } catch (err) {
      // Observation must never cost a client its connection: the answer has gone out already.
      this.log.error(`BUG in the request observer (${slot.apiName} v${slot.apiVersion}): ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private onHandlerBug(slot: Slot, handler: ApiHandler, apiVersion: number, err: unknown): void {
    this.settle(slot);
    const e = err as Error;
    this.log.error(`BUG in ${handler.codec.name} v${apiVersion} handler: ${e?.stack ?? String(err)}`);
    this.close();
  }
}

function frameBytes(frame: Buffer[] | null): number {
  let n = 0;
  for (const piece of frame ?? []) n += piece.length;
  return n;
}

/** "host:port", an IPv6 host in brackets ("[::1]:5000"). */
function remoteOf(address: string, port: number | undefined): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port ?? 0}`;
}

/** "::ffff:127.0.0.1" (an IPv4 client of a dual-stack socket) counts as 127.0.0.1. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
