/**
 * Client metrics subscriptions (KIP-714): the configs of a CLIENT_METRICS config resource (type
 * 16), one resource per subscription, named by the operator. Kafka's ClientMetricsConfigs:
 *
 *  - `metrics`: a list of metric name prefixes the matching clients should push ('*' is all of
 *    them; empty, none), default empty;
 *  - `interval.ms`: how often they push, 100 to 3600000, default 300000 (5 minutes);
 *  - `match`: a list of `<selector>=<regex>`, each regex matched against the whole of that
 *    attribute of a client (all must match; empty matches every client). Selectors:
 *    client_instance_id, client_id, client_software_name, client_software_version,
 *    client_source_address, client_source_port.
 *
 * Validation answers as Kafka's (differential scenario client-metrics-configs): an empty
 * subscription name, an unknown config or an interval out of range is INVALID_REQUEST; a value
 * that does not parse or a malformed match pattern is INVALID_CONFIG.
 */
import { ErrorCode } from '../protocol/errors.js';

export const CLIENT_METRICS_METRICS = 'metrics';
export const CLIENT_METRICS_INTERVAL_MS = 'interval.ms';
export const CLIENT_METRICS_MATCH = 'match';

export const CLIENT_METRICS_CONFIG_NAMES: ReadonlySet<string> = new Set([CLIENT_METRICS_METRICS, CLIENT_METRICS_INTERVAL_MS, CLIENT_METRICS_MATCH]);
/** The list-typed ones (IncrementalAlterConfigs APPEND and SUBTRACT take them). */
export const CLIENT_METRICS_LIST_CONFIGS: ReadonlySet<string> = new Set([CLIENT_METRICS_METRICS, CLIENT_METRICS_MATCH]);

export const PUSH_INTERVAL_MS_DEFAULT = 300_000;
const PUSH_INTERVAL_MS_MIN = 100;
const PUSH_INTERVAL_MS_MAX = 3_600_000;

export const MATCH_SELECTORS: ReadonlySet<string> = new Set([
  'client_instance_id',
  'client_id',
  'client_software_name',
  'client_software_version',
  'client_source_address',
  'client_source_port',
]);

/** A subscription as the broker applies it. */
export interface ClientMetricsSubscription {
  readonly name: string;
  readonly metrics: readonly string[];
  readonly intervalMs: number;
  /** Selector -> a regex that must match the whole attribute. */
  readonly match: ReadonlyMap<string, RegExp>;
}

/** A Kafka LIST value: comma-separated, each item trimmed, empty items dropped. */
export function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Java's Pattern and JavaScript's RegExp differ at the edges (possessive quantifiers, \\A, ...);
 * what operators write in a match (`client_software_name=apache-kafka-java`, `client_id=app-.*`)
 * means the same in both. Anchored so that it matches the whole attribute, as Matcher.matches does.
 */
function compilePattern(source: string): RegExp | null {
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch {
    return null;
  }
}

export function parseMatch(items: readonly string[]): Map<string, RegExp> | string {
  const out = new Map<string, RegExp>();
  for (const item of items) {
    const pair = item.split('=');
    // Java's String.split drops trailing empty strings: "client_id=" is one part.
    while (pair.length > 1 && pair[pair.length - 1] === '') pair.pop();
    const selector = pair[0]?.trim() ?? '';
    const re = pair.length === 2 ? compilePattern(pair[1]!.trim()) : null;
    if (pair.length !== 2 || !MATCH_SELECTORS.has(selector) || re === null) return `Illegal client matching pattern: ${item}`;
    out.set(selector, re);
  }
  return out;
}

/** Why `configs` cannot be the subscription `name`'s, with Kafka's error code; null when they can. */
export function checkClientMetricsConfigs(name: string, configs: ReadonlyMap<string, string>): { errorCode: number; errorMessage: string } | null {
  if (name === '') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Subscription name can't be empty" };
  for (const key of configs.keys()) {
    if (!CLIENT_METRICS_CONFIG_NAMES.has(key)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown client metrics configuration: ${key}` };
  }
  const interval = configs.get(CLIENT_METRICS_INTERVAL_MS);
  if (interval !== undefined) {
    const trimmed = interval.trim();
    if (!/^[+-]?\d+$/.test(trimmed) || Number(trimmed) > 2147483647 || Number(trimmed) < -2147483648) {
      return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Invalid value ${interval} for configuration ${CLIENT_METRICS_INTERVAL_MS}: Not a number of type INT` };
    }
    const ms = Number(trimmed);
    if (ms < PUSH_INTERVAL_MS_MIN || ms > PUSH_INTERVAL_MS_MAX) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Invalid value ${ms} for ${CLIENT_METRICS_INTERVAL_MS}, interval must be between 100 and 3600000 (1 hour)` };
    }
  }
  const match = parseMatch(parseList(configs.get(CLIENT_METRICS_MATCH)));
  if (typeof match === 'string') return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: match };
  return null;
}

/** The subscription a resource's (valid) configs make. */
export function subscriptionOf(name: string, configs: ReadonlyMap<string, string>): ClientMetricsSubscription {
  const match = parseMatch(parseList(configs.get(CLIENT_METRICS_MATCH)));
  const interval = configs.get(CLIENT_METRICS_INTERVAL_MS);
  return {
    name,
    metrics: parseList(configs.get(CLIENT_METRICS_METRICS)),
    intervalMs: interval === undefined ? PUSH_INTERVAL_MS_DEFAULT : Number(interval.trim()),
    match: typeof match === 'string' ? new Map() : match,
  };
}
