/**
 * One client connection: size-prefixed framing, request dispatch, responses in request order,
 * and backpressure.
 *
 * - A frame's int32 size is checked before anything else: negative, too small for a header, or
 *   over socket.request.max.bytes closes the connection. Nothing is allocated from that size; we
 *   only ever hold the bytes that really arrived.
 * - Requests may be pipelined. Each gets a slot in arrival order; a response is written only when
 *   every earlier slot is done, so answers go out in order even when a long poll resolves late.
 *   Produce with acks=0 fills its slot with nothing.
 * - At `inFlightRequestsPerConnection` unanswered requests, or when the socket's unsent bytes pass
 *   `pendingResponseBytesPerConnection`, we stop reading (socket.pause) until both drop.
 * - An unknown API key or unsupported version closes the connection, except ApiVersions, which is
 *   answered with UNSUPPORTED_VERSION and its own version range in a v0 body (KIP-511).
 * - A malformed request body or a handler bug closes this connection only; the broker goes on.
 */
import type { Socket } from 'node:net';
import { limits } from '../config/limits.js';
import type { Logger } from '../logger.js';
import { responseHeaderVersion } from '../protocol/api-codec.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiVersions } from '../protocol/generated/18-api-versions.js';
import { decodeRequestHeader, encodeResponseFrame } from '../protocol/header.js';
import { Reader } from '../protocol/wire.js';
import type { Broker } from '../broker.js';
import type { ApiHandler, RequestContext } from '../api/registry.js';

/** api_key + api_version + correlation_id + client_id length. */
const REQUEST_HEADER_MIN_BYTES = 10;

interface Slot {
  done: boolean;
  /** The response frame as buffers to write in order (encodeResponseFrame), or null for none. */
  frame: Buffer[] | null;
}

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly slots: Slot[] = [];
  private paused = false;
  private isClosed = false;
  private readonly closeListeners = new Set<() => void>();
  private resolveClosed!: () => void;
  readonly closed: Promise<void> = new Promise((r) => (this.resolveClosed = r));
  readonly id: string;
  private readonly clientHost: string;

  constructor(
    private readonly socket: Socket,
    private readonly broker: Broker,
    private readonly log: Logger,
    private readonly requestMaxBytes: number,
  ) {
    this.id = `${socket.remoteAddress}:${socket.remotePort}`;
    this.clientHost = `/${socket.remoteAddress ?? ''}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
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

  close(reason?: string): void {
    if (this.isClosed) return;
    if (reason) this.broker.refusedConnections.log(`closing connection ${this.id}: ${reason}`);
    this.socket.destroy();
    this.onClose();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
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
    this.processFrames();
  }

  private processFrames(): void {
    while (!this.isClosed && !this.mustPause() && this.buffered >= 4) {
      const size = this.peekInt32();
      if (size < REQUEST_HEADER_MIN_BYTES || size > this.requestMaxBytes) {
        this.close(`frame size ${size} outside ${REQUEST_HEADER_MIN_BYTES}..${this.requestMaxBytes} (socket.request.max.bytes)`);
        return;
      }
      if (this.buffered < 4 + size) break;
      this.take(4);
      this.dispatch(this.take(size));
    }
    if (!this.isClosed && this.mustPause() && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private mustPause(): boolean {
    return this.slots.length >= limits.inFlightRequestsPerConnection || this.socket.writableLength > limits.pendingResponseBytesPerConnection;
  }

  private maybeResume(): void {
    if (this.paused && !this.isClosed && !this.mustPause()) {
      this.paused = false;
      this.socket.resume();
      this.processFrames();
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

  private dispatch(frame: Buffer): void {
    const r = new Reader(frame);
    const header = decodeRequestHeader(r);
    if (r.error !== null) {
      this.close(`malformed request header: ${r.error}`);
      return;
    }
    const { apiKey, apiVersion, correlationId } = header;
    const handler = this.broker.handlers.get(apiKey);
    if (!handler || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiVersions.apiKey) {
        this.answerUnsupportedApiVersions(correlationId);
      } else {
        this.close(`unsupported API key ${apiKey} version ${apiVersion}${handler ? ` (serving ${handler.minVersion}-${handler.maxVersion})` : ''}`);
      }
      return;
    }
    const { codec } = handler;
    if (apiVersion >= codec.flexibleMin) r.taggedFields();
    const request = codec.decodeRequest(r, apiVersion);
    if (r.error !== null) {
      this.close(`malformed ${codec.name} v${apiVersion} request: ${r.error}`);
      return;
    }
    const slot: Slot = { done: false, frame: null };
    this.slots.push(slot);
    const ctx: RequestContext = { broker: this.broker, apiVersion, correlationId, clientId: header.clientId, clientHost: this.clientHost, onClose: this.onCloseListener };
    let result: unknown;
    try {
      result = handler.handle(request, ctx);
    } catch (err) {
      this.onHandlerBug(handler, apiVersion, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.complete(slot, handler, apiVersion, correlationId, res),
        (err) => this.onHandlerBug(handler, apiVersion, err),
      );
    } else {
      this.complete(slot, handler, apiVersion, correlationId, result);
    }
  }

  private complete(slot: Slot, handler: ApiHandler, apiVersion: number, correlationId: number, response: unknown): void {
    if (this.isClosed) return;
    if (response !== null) {
      try {
        slot.frame = encodeResponseFrame(correlationId, responseHeaderVersion(handler.codec, apiVersion), (w) =>
          handler.codec.encodeResponse(w, apiVersion, response),
        );
      } catch (err) {
        this.onHandlerBug(handler, apiVersion, err);
        return;
      }
    }
    slot.done = true;
    this.flush();
  }

  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      if (slot.frame === null) continue;
      if (slot.frame.length === 1) {
        this.socket.write(slot.frame[0]!);
      } else {
        // One writev for the pieces of a frame (own bytes and referenced records).
        this.socket.cork();
        for (const piece of slot.frame) this.socket.write(piece);
        this.socket.uncork();
      }
    }
    this.maybeResume();
  }

  private answerUnsupportedApiVersions(correlationId: number): void {
    const own = this.broker.handlers.get(ApiVersions.apiKey)!;
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
    this.slots.push({ done: true, frame });
    this.flush();
  }

  private onHandlerBug(handler: ApiHandler, apiVersion: number, err: unknown): void {
    const e = err as Error;
    this.log.error(`BUG in ${handler.codec.name} v${apiVersion} handler: ${e?.stack ?? String(err)}`);
    this.close();
  }
}
