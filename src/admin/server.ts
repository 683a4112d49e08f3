/**
 * The admin endpoint (issue 14): HTTP with JSON on 127.0.0.1 (`sluice start --admin-port P`), for
 * test suites in any language to drive the broker. So far, faults (control/faults.ts):
 *
 *   GET    /faults        the armed faults, with how often each matched and fired
 *   POST   /faults        arms one: {"apiKey": 0, "errorCode": 6, "times": 2} -> 201 {"id": 1, ...}
 *   DELETE /faults        clears them all -> 204
 *   DELETE /faults/<id>   clears one -> 204, or 404
 *
 * Cluster operations, older Kafka API ranges and KIP-896 notes (/cluster/*, /kafka-version,
 * /kafka4-notes): cluster-routes.ts.
 *
 * Bodies are at most 64 KiB; a bad one is answered 400 with {"error": "..."}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ConfigError } from '../config/config-error.js';
import type { Fault, FaultInjector, FaultSpec } from '../control/faults.js';
import type { ClusterOps } from '../control/cluster-ops.js';
import { clusterRoute } from './cluster-routes.js';

const BODY_BYTES_MAX = 64 * 1024;

export class AdminServer {
  private readonly server: Server;

  constructor(
    private readonly faults: FaultInjector,
    /** Cluster operations, KAFKA version ranges and KIP-896 notes (cluster-routes.ts); absent in tests of faults alone. */
    private readonly ops: ClusterOps | null = null,
  ) {
    this.server = createServer((req, res) => void this.route(req, res));
  }

  async listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (path === '/faults' && req.method === 'GET') return send(res, 200, this.faults.list().map(view));
      if (path === '/faults' && req.method === 'POST') return send(res, 201, view(this.faults.add(parseSpec(await body(req)))));
      if (path === '/faults' && req.method === 'DELETE') {
        this.faults.clear();
        return send(res, 204);
      }
      const one = /^\/faults\/(\d+)$/.exec(path);
      if (one && req.method === 'DELETE') return send(res, this.faults.remove(Number(one[1])) ? 204 : 404);
      if (this.ops && (await clusterRoute(this.ops, req.method ?? 'GET', path, () => body(req), res, send))) return;
      send(res, 404, { error: `no ${req.method} ${path}; see src/admin/server.ts for the routes` });
    } catch (err) {
      if (err instanceof ConfigError || err instanceof SyntaxError || err instanceof BodyTooLarge) send(res, 400, { error: err.message });
      else send(res, 500, { error: String((err as Error).message) });
    }
  }
}

class BodyTooLarge extends Error {}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > BODY_BYTES_MAX) {
        reject(new BodyTooLarge(`body over ${BODY_BYTES_MAX} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const SPEC_KEYS = new Set(['apiKey', 'minVersion', 'maxVersion', 'clientId', 'topic', 'partition', 'errorCode', 'delayMs', 'disconnect', 'noAnswer', 'times', 'nth', 'always', 'probability', 'seed']);

function parseSpec(text: string): FaultSpec {
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('a fault is a JSON object, e.g. {"apiKey": 0, "errorCode": 6, "times": 2}');
  for (const k of Object.keys(v)) if (!SPEC_KEYS.has(k)) throw new ConfigError(`unknown fault field "${k}"; fields: ${[...SPEC_KEYS].join(', ')}`);
  return v as FaultSpec;
}

function view(f: Fault): Record<string, unknown> {
  return { id: f.id, ...f.spec, matched: f.matched, fired: f.fired };
}

function send(res: ServerResponse, status: number, payload?: unknown): void {
  if (payload === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
