/**
 * A minimal Kafka wire client for tests that need exact bytes: build request frames with our
 * codecs (or by hand), send them, and read response frames or see the connection close.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { requestHeaderVersion, responseHeaderVersion, type ApiCodec } from '../src/protocol/api-codec.js';
import { encodeRequestHeader } from '../src/protocol/header.js';
import type { FetchRequest } from '../src/protocol/generated/index.js';
import { Reader, Writer } from '../src/protocol/wire.js';

export function requestFrame<Req>(codec: ApiCodec<Req, unknown>, version: number, correlationId: number, body: Req, clientId: string | null = 'raw'): Buffer {
  const w = new Writer();
  w.int32(0);
  encodeRequestHeader(w, { apiKey: codec.apiKey, apiVersion: version, correlationId, clientId }, requestHeaderVersion(codec, version));
  codec.encodeRequest(w, version, body);
  const frame = w.finish();
  frame.writeInt32BE(frame.length - 4, 0);
  return Buffer.from(frame);
}

export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: Array<(frame: Buffer | null) => void> = [];
  private frames: Buffer[] = [];
  private correlation = 1;
  closed = false;
  /** The client id of the requests `request` sends. */
  clientId: string | null = 'raw';
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const n = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + n);
        this.buffered = this.buffered.subarray(4 + n);
        const w = this.waiting.shift();
        if (w) w(frame);
        else this.frames.push(frame);
      }
    });
    socket.on('error', () => {});
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiting.splice(0)) w(null);
        resolve();
      }),
    );
  }

  /** `localAddress` picks the client's own loopback address (127.0.0.2 is another client's IP). */
  static connect(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** A TLS connection (a TLSSocket is a Socket): resolves once the handshake is done. */
  static connectTls(port: number, opts: ConnectionOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame (without its size), or null if the connection closed first. */
  nextFrame(timeoutMs = 10000): Promise<Buffer | null> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter = (f: Buffer | null): void => {
        clearTimeout(timer);
        resolve(f);
      };
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push(waiter);
    });
  }

  /** Sends a request and decodes its response (checking the correlation id). */
  async request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    const correlationId = this.correlation++;
    this.write(requestFrame(codec, version, correlationId, body, this.clientId));
    const frame = await this.nextFrame();
    if (frame === null) throw new Error(`connection closed before the ${codec.name} v${version} response`);
    return decodeResponse(codec, version, frame, correlationId);
  }

  nextCorrelationId(): number {
    return this.correlation++;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function decodeResponse<Res>(codec: ApiCodec<unknown, Res>, version: number, frame: Buffer, correlationId?: number): Res {
  const r = new Reader(frame);
  const got = r.int32();
  if (correlationId !== undefined && got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`);
  if (responseHeaderVersion(codec, version) === 1) r.taggedFields();
  const res = codec.decodeResponse(r, version);
  r.check();
  return res;
}

const ZERO_UUID = Buffer.alloc(16);

/**
 * A consumer's Fetch request (no session, read uncommitted, no wait) for one topic: the same
 * `fetchOffset` for each partition named. The topic by name (v0-12), or by id (v13+; `name`, when
 * given, is sent too and ignored from v13). `opts` overrides any field; `partitionMaxBytes` is the
 * per-partition bound (1 MiB by default, like `maxBytes`).
 */
export function fetchRequest(
  topicOrId: string | { id: Buffer; name?: string },
  partitions: number | readonly number[],
  fetchOffset: bigint,
  opts: Partial<FetchRequest> & { partitionMaxBytes?: number } = {},
): FetchRequest {
  const { partitionMaxBytes = 1 << 20, ...fields } = opts;
  const topic = typeof topicOrId === 'string' ? topicOrId : (topicOrId.name ?? '');
  const topicId = typeof topicOrId === 'string' ? ZERO_UUID : topicOrId.id;
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId,
        partitions: (typeof partitions === 'number' ? [partitions] : partitions).map((partition) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes,
          replicaDirectoryId: ZERO_UUID,
          highWatermark: 9223372036854775807n,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
    ...fields,
  };
}
