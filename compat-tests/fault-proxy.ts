/**
 * A TCP proxy on 127.0.0.1 for fault-injection tests: forwards Kafka frames between a client and
 * the broker, can show every request to a recorder (the torture harness's captures), and can
 * swallow chosen responses and cut the client's connection right after the
 * broker has handled the request, which makes the client retry a request that already took
 * effect. Metadata, FindCoordinator and DescribeCluster answers are rewritten so the client keeps
 * talking through the proxy (the Java admin client learns its brokers from DescribeCluster).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { DescribeCluster, Metadata, FindCoordinator } from '../src/protocol/generated/index.js';
import { responseHeaderVersion, type ApiCodec } from '../src/protocol/api-codec.js';
import { Reader, Writer } from '../src/protocol/wire.js';

export interface FaultProxy {
  readonly port: number;
  /** Responses swallowed so far. */
  readonly dropped: number;
  close(): Promise<void>;
}

/** Splits a byte stream into size-prefixed frames. */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const n = buf.readInt32BE(0);
      onFrame(buf.subarray(0, 4 + n));
      buf = buf.subarray(4 + n);
    }
  };
}

/** Re-encodes a Metadata, FindCoordinator or DescribeCluster response so that brokers point at the proxy. */
function rewrite(codec: ApiCodec<unknown, any>, version: number, frame: Buffer, port: number): Buffer {
  const r = new Reader(frame, 4);
  const correlationId = r.int32();
  const hv = responseHeaderVersion(codec, version);
  if (hv === 1) r.taggedFields();
  const res = codec.decodeResponse(r, version);
  r.check();
  if (codec.apiKey === Metadata.apiKey || codec.apiKey === DescribeCluster.apiKey) for (const b of res.brokers) b.port = port;
  else if (version >= 4) for (const co of res.coordinators) co.port = port;
  else res.port = port;
  const w = new Writer();
  w.int32(0);
  w.int32(correlationId);
  if (hv === 1) w.taggedFields();
  codec.encodeResponse(w, version, res);
  const out = Buffer.from(w.finish());
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/**
 * `dropResponse(apiKey, nth)` decides for the nth request of that key (counted across all
 * connections, from 0) whether its answer is swallowed and the client cut off.
 */
export function startFaultProxy(
  brokerPort: number,
  dropResponse: (apiKey: number, nth: number) => boolean,
  /** Sees every request frame (size prefix included) on its way to the broker. */
  onRequest?: (frame: Buffer) => void,
): Promise<FaultProxy> {
  let dropped = 0;
  const seen = new Map<number, number>();
  const sockets = new Set<Socket>();
  let port = 0;
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: brokerPort });
    sockets.add(client).add(upstream);
    const pending = new Map<number, { apiKey: number; version: number; drop: boolean }>();
    client.on('data', framer((frame) => {
      const apiKey = frame.readInt16BE(4);
      const nth = seen.get(apiKey) ?? 0;
      seen.set(apiKey, nth + 1);
      pending.set(frame.readInt32BE(8), { apiKey, version: frame.readInt16BE(6), drop: dropResponse(apiKey, nth) });
      onRequest?.(frame);
      upstream.write(frame);
    }));
    upstream.on('data', framer((frame) => {
      const req = pending.get(frame.readInt32BE(4));
      if (req?.drop) {
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      const rewritten = req && [Metadata, FindCoordinator, DescribeCluster].find((c) => c.apiKey === req.apiKey);
      if (req && rewritten) {
        client.write(rewrite(rewritten, req.version, frame, port));
      } else client.write(frame);
    }));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      port = (server.address() as { port: number }).port;
      resolve({
        port,
        get dropped() {
          return dropped;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
