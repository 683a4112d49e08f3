/**
 * The admin endpoint (issue 14): HTTP with JSON on 127.0.0.1 (`sluice start --admin-port P`), for
 * test suites in any language to drive the broker: faults (control/faults.ts) and the clock
 * (clock-routes.ts, control/clock.ts):
 *
 *   GET    /faults        the armed faults, with how often each matched and fired
 *   POST   /faults        arms one: {"apiKey": 0, "errorCode": 6, "times": 2} -> 201 {"id": 1, ...}
 *   DELETE /faults        clears them all -> 204
 *   DELETE /faults/<id>   clears one (releasing what it holds) -> 204, or 404
 *   POST   /faults/<id>/release           lets what a hold fault holds go on -> {"released": n}
 *   POST   /faults/<id>/wait {"timeoutMs"} answers once it holds a request -> {"held": n}, or 408
 *
 * Observation (observation.ts): GET /requests?limit=N, /connections, /partitions, /metrics;
 * POST /requests/next {"apiKey": 1, "timeoutMs": 5000} waits for the next matching request (requests.ts).
 *   GET    /              the inspector page (inspector-page.ts)
 *   GET    /inspector/state  its JSON snapshot (inspector-state.ts)
 *
 * Cluster operations, older Kafka API ranges and KIP-896 notes (/cluster/*, /kafka-version,
 * /kafka4-notes): cluster-routes.ts.
 *
 * Bodies are at most 64 KiB; a bad one is answered 400 with {"error": "..."}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { inspectorPage } from './inspector-page.js';
import { inspectorState, type InspectorSources } from './inspector-state.js';
import { ConfigError } from '../config/config-error.js';
import type { Fault, FaultInjector, FaultSpec } from '../control/faults.js';
import type { Clock } from '../control/clock.js';
import { clockRoute } from './clock-routes.js';
import { observationRoute, type ObservedBroker } from './observation.js';
import { nextRequestRoute } from './requests.js';
import type { ClusterOps } from '../control/cluster-ops.js';
import { clusterRoute } from './cluster-routes.js';

const BODY_BYTES_MAX = 64 * 1024;

export class AdminServer {
  private readonly server: Server;

  constructor(
    private readonly faults: FaultInjector,
    private readonly clock: Clock,
    /** The broker's observation, inspector sources, cluster operations, version ranges and KIP-896 notes; absent in tests of faults alone. */
    private readonly broker: (ObservedBroker & InspectorSources & ClusterOps) | null = null,
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

  /**
   * POST /faults/<id>/release: the requests a hold fault holds go on (200 {"released": n});
   * POST /faults/<id>/wait {"timeoutMs": N}: answers once the fault holds a request (200
   * {"held": n}), or 408 after N ms (at most 300 s).
   */
  private async holdRoute(res: ServerResponse, id: number, op: string, req: IncomingMessage): Promise<void> {
    if (op === 'release') return send(res, 200, { released: this.faults.release(id) });
    const text = await body(req);
    const v: unknown = JSON.parse(text === '' ? '{}' : text);
    const timeoutMs = typeof v === 'object' && v !== null ? (v as { timeoutMs?: unknown }).timeoutMs : undefined;
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > HOLD_WAIT_MS_MAX) {
      throw new ConfigError(`wait takes {"timeoutMs": N}, N from 0 to ${HOLD_WAIT_MS_MAX}`);
    }
    try {
      await this.faults.whenHeld(id, timeoutMs);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      return send(res, 408, { error: (err as Error).message });
    }
    send(res, 200, { held: this.faults.heldCount(id) });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (path === '/' && req.method === 'GET' && this.broker) return sendPage(res);
      if (path === '/inspector/state' && req.method === 'GET' && this.broker) return send(res, 200, inspectorState(this.broker, this.clock.nowMs()));
      if (path === '/faults' && req.method === 'GET') return send(res, 200, this.faults.list().map((f) => ({ ...view(f), held: this.faults.heldCount(f.id) })));
      if (path === '/faults' && req.method === 'POST') return send(res, 201, view(this.faults.add(parseSpec(await body(req)))));
      if (path === '/faults' && req.method === 'DELETE') {
        this.faults.clear();
        return send(res, 204);
      }
      const clock = await clockRoute(this.clock, req.method ?? '', path, () => body(req));
      if (clock) return send(res, clock.status, clock.payload);
      if (path === '/requests/next' && req.method === 'POST' && this.broker) {
        const { status, json } = await nextRequestRoute(this.broker.observer.requests, await body(req));
        return send(res, status, json);
      }
      const seen = this.broker !== null && req.method === 'GET' ? observationRoute(this.broker, path, new URL(req.url ?? '/', 'http://admin').searchParams) : null;
      if (seen !== null) return 'json' in seen ? send(res, 200, seen.json) : sendText(res, seen.text, seen.contentType);
      const one = /^\/faults\/(\d+)$/.exec(path);
      if (one && req.method === 'DELETE') return send(res, this.faults.remove(Number(one[1])) ? 204 : 404);
      const held = /^\/faults\/(\d+)\/(release|wait)$/.exec(path);
      if (held && req.method === 'POST') return await this.holdRoute(res, Number(held[1]), held[2]!, req);
      if (this.broker && (await clusterRoute(this.broker, req.method ?? 'GET', path, () => body(req), res, send))) return;
      send(res, 404, { error: `no ${req.method} ${path}; see src/admin/server.ts for the routes` });
    } catch (err) {
      if (err instanceof ConfigError || err instanceof SyntaxError || err instanceof BodyTooLarge) send(res, 400, { error: err.message });
      else send(res, 500, { error: String((err as Error).message) });
    }
  }
}

class BodyTooLarge extends Error {}

/** Longest POST /faults/<id>/wait (ms). */
const HOLD_WAIT_MS_MAX = 300_000;

function sendPage(res: ServerResponse): void {
  const { html, csp } = inspectorPage();
  res
    .writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    })
    .end(html);
}

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

const SPEC_KEYS = new Set(['apiKey', 'minVersion', 'maxVersion', 'clientId', 'clientIdContains', 'after', 'topic', 'partition', 'errorCode', 'delayMs', 'disconnect', 'noAnswer', 'hold', 'response', 'times', 'nth', 'always', 'probability', 'seed']);

function parseSpec(text: string): FaultSpec {
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('a fault is a JSON object, e.g. {"apiKey": 0, "errorCode": 6, "times": 2}');
  for (const k of Object.keys(v)) if (!SPEC_KEYS.has(k)) throw new ConfigError(`unknown fault field "${k}"; fields: ${[...SPEC_KEYS].join(', ')}`);
  return v as FaultSpec;
}

function view(f: Fault): Record<string, unknown> {
  return { id: f.id, ...f.spec, matched: f.matched, fired: f.fired };
}

function sendText(res: ServerResponse, text: string, contentType: string): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) }).end(text);
}

function send(res: ServerResponse, status: number, payload?: unknown): void {
  if (payload === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
