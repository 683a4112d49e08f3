/**
 * Prints the README's compatibility table from what the client tests recorded: each
 * .cache/api-versions/<client>.json ({client, versions: {api: "v[,v]"}}, written by
 * newest-clients.ts VersionLog.save) becomes a column, each API a row.
 *
 *   node dist/compat-tests/api-versions-table.js [api-versions-kafka]
 *
 * The argument names another folder under .cache/ (api-versions-kafka: the same clients against
 * Apache Kafka, from CLIENTS_TARGET=kafka runs).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';
import { apiCodecs } from '../src/protocol/generated/index.js';

const dir = join(ROOT, '.cache', process.argv[2] ?? 'api-versions');
if (!existsSync(dir)) {
  process.stderr.write(`${dir} does not exist: run the client tests first (newest-python, java-client, franz-go, api-versions)\n`);
  process.exit(1);
}
const columns = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { client: string; versions: Record<string, string> });
const keyOf = new Map([...apiCodecs.values()].map((c) => [c.name, c.apiKey]));
const apis = [...new Set(columns.flatMap((c) => Object.keys(c.versions)))].sort((a, b) => (keyOf.get(a) ?? 999) - (keyOf.get(b) ?? 999));
const lines = [`| API (key) | ${columns.map((c) => c.client).join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`];
for (const api of apis) lines.push(`| ${api} (${keyOf.get(api) ?? '?'}) | ${columns.map((c) => c.versions[api] ?? '–').join(' | ')} |`);
process.stdout.write(lines.join('\n') + '\n');
