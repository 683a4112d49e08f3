/**
 * Parsing and printing for the tools (`sluice topic|produce|consume|group|cluster info|fault|clock`):
 * pure functions, tested beside (format.test.ts).
 *
 * Record format strings (`consume --format`), as kcat's -f: %s or %v value, %k key, %t topic,
 * %p partition, %o offset, %T timestamp (ms), %h headers (k=v, comma-separated), %K key length,
 * %S value length (-1 for null), %% a percent sign; \n \t \r \\ escapes. A null key or value prints
 * as nothing.
 */
import { ToolError } from '../client/kafka-client.js';
import type { ConsumedRecord } from '../client/records.js';
import { ErrorCode } from '../protocol/errors.js';
import { apiCodecs } from '../protocol/generated/index.js';

/** Left-aligned columns, two spaces apart, headers first. */
export function table(headers: string[], rows: Array<Array<string | number | bigint>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** `key=value` (the value may contain '='); throws a ToolError naming the flag. */
export function parseKeyValue(s: string, flag: string): [string, string] {
  const at = s.indexOf('=');
  if (at <= 0) throw new ToolError(`${flag}: "${s}" is not key=value`);
  return [s.slice(0, at), s.slice(at + 1)];
}

export function parseKeyValues(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list ?? []) {
    const [k, v] = parseKeyValue(s, flag);
    out[k] = v;
  }
  return out;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: plain milliseconds, or a number with ms, s, m, h or d (e.g. 45s, 8d, 1.5h). */
export function parseDuration(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(s);
  if (!m) throw new ToolError(`"${s}" is not a duration: milliseconds, or a number with ms, s, m, h or d (e.g. 691200000, 45s, 8d)`);
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
  if (!Number.isSafeInteger(Math.round(ms))) throw new ToolError(`duration ${s} is too large`);
  return Math.round(ms);
}

/** A non-negative integer flag value (offsets, counts, partitions). */
export function parseCount(v: unknown, flag: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new ToolError(`${flag} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/** An API by key or name, case-insensitive (`0`, `Produce`, `produce`). */
export function parseApi(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const codec = [...apiCodecs.values()].find((c) => c.name.toLowerCase() === s.toLowerCase());
  if (!codec) throw new ToolError(`--api: no API named "${s}"; give a name such as Produce, Fetch, Metadata or a key number`);
  return codec.apiKey;
}

/** An API's name by key (the number when unknown). */
export function apiName(key: number): string {
  return apiCodecs.get(key)?.name ?? String(key);
}

/** An error code by number or name (`6`, `NOT_LEADER_OR_FOLLOWER`, `not_leader_or_follower`). */
export function parseErrorCode(s: string): number {
  if (/^-?\d+$/.test(s)) return Number(s);
  const code = (ErrorCode as Record<string, number>)[s.toUpperCase()];
  if (code === undefined) throw new ToolError(`--error: no error named "${s}"; give a Kafka error name such as NOT_LEADER_OR_FOLLOWER or a code`);
  return code;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}

const text = (b: Buffer | null): string => (b === null ? '' : b.toString('utf8'));

export function headersText(r: ConsumedRecord): string {
  return r.headers.map((h) => `${h.key}=${text(h.value)}`).join(',');
}

/** A record through a kcat-style format string (see the header of this file). */
export function formatRecord(format: string, topic: string, r: ConsumedRecord): string {
  return unescape(format).replace(/%(.)/g, (all, c: string) => {
    switch (c) {
      case 's':
      case 'v':
        return text(r.value);
      case 'k':
        return text(r.key);
      case 't':
        return topic;
      case 'p':
        return String(r.partition);
      case 'o':
        return String(r.offset);
      case 'T':
        return String(r.timestamp);
      case 'h':
        return headersText(r);
      case 'K':
        return String(r.key?.length ?? -1);
      case 'S':
        return String(r.value?.length ?? -1);
      case '%':
        return '%';
      default:
        return all;
    }
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes for JSON: the text when valid UTF-8, else {"base64": "..."}; null stays null. */
export function jsonBytes(b: Buffer | null): string | { base64: string } | null {
  if (b === null) return null;
  try {
    return utf8.decode(b);
  } catch {
    return { base64: b.toString('base64') };
  }
}

/** One record as the JSON object `consume --json` prints (offsets and timestamps as numbers). */
export function recordJson(topic: string, r: ConsumedRecord): Record<string, unknown> {
  return {
    topic,
    partition: r.partition,
    offset: Number(r.offset),
    timestamp: Number(r.timestamp),
    key: jsonBytes(r.key),
    value: jsonBytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: jsonBytes(h.value) })),
  };
}

/** JSON with bigints as numbers (offsets fit a double far beyond any log this tool will see). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
}

/** A fault from GET /faults as table cells: id, match, action, trigger, matched, fired. */
export function faultRow(f: Record<string, unknown>): string[] {
  const match = [`api=${apiName(Number(f['apiKey']))}`];
  if (f['minVersion'] !== undefined || f['maxVersion'] !== undefined) match.push(`v${f['minVersion'] ?? 0}-${f['maxVersion'] ?? ''}`);
  for (const k of ['clientId', 'topic', 'partition', 'broker'] as const) if (f[k] !== undefined) match.push(`${k}=${String(f[k])}`);
  const action: string[] = [];
  if (f['errorCode'] !== undefined) action.push(`error ${errorNameOf(Number(f['errorCode']))}`);
  if (f['delayMs'] !== undefined) action.push(`delay ${String(f['delayMs'])}ms`);
  if (f['disconnect']) action.push('disconnect');
  if (f['noAnswer']) action.push('no answer');
  if (f['hold']) action.push(`hold${typeof f['held'] === 'number' ? ` (${f['held']} held)` : ''}`);
  if (f['response'] !== undefined) action.push(`response ${JSON.stringify(f['response'])}`);
  let trigger: string;
  if (f['always']) trigger = 'always';
  else if (f['nth'] !== undefined) trigger = `nth ${String(f['nth'])}`;
  else if (f['probability'] !== undefined) trigger = `p=${String(f['probability'])}${f['seed'] !== undefined ? ` seed ${String(f['seed'])}` : ''}`;
  else trigger = `times ${String(f['times'] ?? 1)}`;
  return [String(f['id']), match.join(' '), action.join(', ') || '-', trigger, String(f['matched'] ?? 0), String(f['fired'] ?? 0)];
}

function errorNameOf(code: number): string {
  const name = Object.entries(ErrorCode as Record<string, number>).find(([, c]) => c === code)?.[0];
  return name ? `${name} (${code})` : String(code);
}

/**
 * A progress line on stderr, redrawn at most every `everyMs` (only when stderr is a terminal:
 * scripts and pipes see nothing); `done()` erases it.
 */
export function progressLine(what: string, everyMs = 200): { update(n: number): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  const started = Date.now();
  return {
    update(n: number): void {
      if (!tty) return;
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      const rate = Math.round((n * 1000) / Math.max(1, now - started));
      process.stderr.write(`\r\x1b[K${what} ${n} records (${rate}/s)`);
      shown = true;
    },
    done(): void {
      if (tty && shown) process.stderr.write('\r\x1b[K');
    },
  };
}
