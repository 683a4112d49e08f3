/**
 * The tools' side of the admin endpoint (src/admin/server.ts): JSON over HTTP to `--admin
 * host:port` for `sluice fault` and `sluice clock`. Every failure is a ToolError of one line: the
 * endpoint unreachable (with the flag that starts it), a route this broker does not serve, or the
 * endpoint's own {"error": "..."}.
 */
import { request } from 'node:http';
import { ToolError } from './kafka-client.js';

/** The default admin endpoint of the tools (`sluice start --admin-port 9644` serves it). */
export const DEFAULT_ADMIN = '127.0.0.1:9644';

export interface AdminAnswer {
  status: number;
  body: unknown;
}

export function parseAdmin(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new ToolError(`--admin: "${address}" is not host:port (e.g. ${DEFAULT_ADMIN})`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** One request; resolves with the status and the parsed JSON body (null when empty). */
export function adminRequest(address: string, method: string, path: string, payload?: unknown, timeoutMs = 60_000): Promise<AdminAnswer> {
  const { host, port } = parseAdmin(address);
  const text = payload === undefined ? undefined : JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        method,
        path,
        timeout: timeoutMs,
        headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          if (raw.trim() !== '') {
            try {
              body = JSON.parse(raw);
            } catch {
              body = raw;
            }
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new ToolError(`the admin endpoint at ${address} did not answer ${method} ${path} within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof ToolError) return reject(err);
      reject(new ToolError(`cannot reach the admin endpoint at ${address} (${err.code ?? err.message}): start the broker with --admin-port ${port}, or point at its endpoint with --admin host:port`));
    });
    req.end(text);
  });
}

/** `adminRequest` that wants a 2xx: a 404 names the route the broker lacks, others carry its error. */
export async function adminCall(address: string, method: string, path: string, payload?: unknown, what = `${method} ${path}`): Promise<unknown> {
  const res = await adminRequest(address, method, path, payload);
  if (res.status >= 200 && res.status < 300) return res.body;
  throw adminFailure(address, method, path, res, what);
}

/** The one line for a non-2xx answer. */
export function adminFailure(address: string, method: string, path: string, res: AdminAnswer, what: string): ToolError {
  const error = typeof res.body === 'object' && res.body !== null && 'error' in res.body ? String((res.body as { error: unknown }).error) : typeof res.body === 'string' ? res.body.trim() : '';
  // A route the endpoint lacks answers 404 "no METHOD /path; ..." (or nothing); other 404s carry their own error.
  if (res.status === 404 && (error === '' || /^no (GET|POST|DELETE|PUT) /.test(error))) {
    return new ToolError(`the admin endpoint at ${address} has no ${method} ${path.split('?')[0]}: this broker does not serve ${what} (an older sluice?)`);
  }
  return new ToolError(`${what}: the admin endpoint answered ${res.status}${error ? `: ${error}` : ''}`);
}
