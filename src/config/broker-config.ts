/**
 * Broker configuration: server.properties parsing, --override, validation and the typed view the
 * broker uses. Property names are Kafka's. A bad file, key or value is a `ConfigError` whose
 * message says what to fix; the CLI prints it and exits non-zero.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { brokerConfigByName, checkConfigValue, parseConnectionOverrides, QUEUED_REQUEST_BYTES_DEFAULT, topicConfigByName, topicConfigDefs } from './definitions.js';
import { limits } from './limits.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where `sluice start` keeps data when neither --data-dir nor log.dirs says otherwise. */
export function defaultDataDir(): string {
  return process.env['SLUICE_DATA_DIR'] ?? join(homedir(), '.sluice', 'data');
}

/**
 * Parses Java-properties text: `key=value` or `key: value` or `key value`, `#`/`!` comments,
 * backslash line continuations and escapes. Enough of the format for server.properties files.
 */
export function parseProperties(text: string, source: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const startLine = i + 1;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    }
    const m = /^((?:\\.|[^\\:=\s])+)\s*[:=\s]\s*(.*)$/.exec(line) ?? /^((?:\\.|[^\\:=\s])+)$/.exec(line);
    if (!m) throw new ConfigError(`${source}:${startLine}: cannot read "${line}"; expected key=value`);
    const unescape = (s: string): string => s.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', f: '\f' })[c] ?? c);
    out.set(unescape(m[1]!), unescape(m[2] ?? '').trimEnd());
  }
  return out;
}

/**
 * Kafka broker properties that a stock server.properties carries but that have no effect on a
 * single-node broker without replication or thread pools. Accepted so such a file works unchanged.
 */
const ACCEPTED_WITHOUT_EFFECT: ReadonlySet<string> = new Set([
  'controller.quorum.bootstrap.servers',
  'num.network.threads',
  'num.io.threads',
  'socket.send.buffer.bytes',
  'socket.receive.buffer.bytes',
  'num.recovery.threads.per.data.dir',
  'offsets.topic.replication.factor',
  'transaction.state.log.replication.factor',
  'transaction.state.log.min.isr',
  'transaction.partition.verification.enable',
  'share.coordinator.state.topic.replication.factor',
  'share.coordinator.state.topic.min.isr',
  'broker.id',
]);

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function parseListeners(value: string, key: string): Listener[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(s);
      if (!m) throw new ConfigError(`${key}: "${s}" is not a listener; expected NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092`);
      const port = Number(m[3]);
      if (port > 65535) throw new ConfigError(`${key}: port ${port} is out of range (0-65535)`);
      return { name: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
    });
}

/** What the client listener and its connections are bounded by (net/). */
export interface NetConfig {
  /** socket.request.max.bytes */
  readonly requestMaxBytes: number;
  /** max.connections, capped by limits.connectionsMax. */
  readonly maxConnections: number;
  /** max.connections.per.ip, and max.connections.per.ip.overrides by host as written. */
  readonly maxConnectionsPerIp: number;
  readonly maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  /** connections.max.idle.ms; null: never close idle connections (a negative value). */
  readonly idleMs: number | null;
  /** queued.max.request.bytes */
  readonly queuedRequestBytesMax: number;
}

export interface BrokerConfig {
  /** Every broker property set explicitly (file, overrides, flags), after validation. */
  readonly explicit: ReadonlyMap<string, string>;
  readonly nodeId: number;
  readonly listener: Listener;
  readonly advertised: Listener;
  readonly dataDir: string;
  readonly numPartitions: number;
  readonly autoCreateTopics: boolean;
  readonly deleteTopicEnable: boolean;
  readonly socketRequestMaxBytes: number;
  readonly net: NetConfig;
  /** log.flush.scheduler.interval.ms: how often time-based flushes are checked. */
  readonly flushSchedulerIntervalMs: number;
  /**
   * Value of a broker property: set dynamically for this broker, else dynamically for the cluster,
   * else explicitly at start, else its default (null when unset with no default).
   */
  get(name: string): string | null;
  /** Where `get` found the value. */
  sourceOf(name: string): BrokerConfigSource;
  /** Default of a topic config as this broker sets it (a broker synonym, else Kafka's default). */
  topicDefault(name: string): { value: string | null; source: BrokerConfigSource; synonym?: string };
  /** Installs the dynamic broker configs (live maps from the metadata image). */
  setDynamic(dynamic: DynamicConfigs): void;
}

/** Precedence of broker config values, highest first (DescribeConfigs sources 2, 3, 4, 5). */
export type BrokerConfigSource = 'dynamic-broker' | 'dynamic-default' | 'static' | 'default';

/** Dynamic broker configs (AlterConfigs on a broker resource): for this node, and cluster-wide. */
export interface DynamicConfigs {
  node: ReadonlyMap<string, string>;
  cluster: ReadonlyMap<string, string>;
}

export interface BrokerConfigInput {
  /** Path of a server.properties file. */
  configFile?: string;
  /** key=value strings, applied after the file. */
  overrides?: readonly string[];
  /** Explicit properties (from CLI flags or embedding options), applied last. */
  properties?: Readonly<Record<string, string>>;
}

export function loadBrokerConfig(input: BrokerConfigInput = {}): BrokerConfig {
  const props = new Map<string, string>();
  if (input.configFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(input.configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${input.configFile}: ${(e as Error).message}`);
    }
    for (const [k, v] of parseProperties(text, input.configFile)) props.set(k, v);
  }
  for (const o of input.overrides ?? []) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--override "${o}": expected key=value, e.g. --override num.partitions=3`);
    props.set(o.slice(0, eq).trim(), o.slice(eq + 1).trim());
  }
  for (const [k, v] of Object.entries(input.properties ?? {})) props.set(k, v);
  return buildBrokerConfig(props);
}

function buildBrokerConfig(props: Map<string, string>): BrokerConfig {
  for (const [key, value] of props) {
    const def = brokerConfigByName.get(key);
    if (!def) {
      if (ACCEPTED_WITHOUT_EFFECT.has(key)) continue;
      throw new ConfigError(`unknown config "${key}"; see the README for the properties Sluice supports`);
    }
    const problem = checkConfigValue(def, value, 'static');
    if (problem) throw new ConfigError(`config ${key}=${value}: ${problem}`);
  }
  let dynamic: DynamicConfigs = { node: new Map(), cluster: new Map() };
  const layered = (name: string): { value: string; source: BrokerConfigSource } | null => {
    const node = dynamic.node.get(name);
    if (node !== undefined) return { value: node, source: 'dynamic-broker' };
    const cluster = dynamic.cluster.get(name);
    if (cluster !== undefined) return { value: cluster, source: 'dynamic-default' };
    const fixed = props.get(name);
    return fixed !== undefined ? { value: fixed, source: 'static' } : null;
  };
  const get = (name: string): string | null => layered(name)?.value ?? brokerConfigByName.get(name)?.default ?? null;
  const int = (name: string): number => Number(get(name));

  // A combined KRaft node lists its controller listener too; clients use the other one.
  const controllerNames = new Set((get('controller.listener.names') ?? '').split(',').map((s) => s.trim()));
  const clientListeners = (value: string, key: string): Listener[] => parseListeners(value, key).filter((l) => !controllerNames.has(l.name));
  const listeners = clientListeners(get('listeners')!, 'listeners');
  if (listeners.length !== 1) {
    throw new ConfigError(`listeners: Sluice serves exactly one client listener for now, got ${listeners.length}`);
  }
  const listener = listeners[0]!;
  const advertisedValue = get('advertised.listeners');
  const advertised = (advertisedValue ? clientListeners(advertisedValue, 'advertised.listeners')[0] : undefined) ?? listener;
  const logDirs = (get('log.dirs') ?? get('log.dir') ?? defaultDataDir()).split(',').map((s) => s.trim());
  if (logDirs.length !== 1 || logDirs[0] === '') {
    throw new ConfigError(`log.dirs: Sluice uses exactly one data directory for now, got "${logDirs.join(',')}"`);
  }
  const flushScheduler = get('log.flush.scheduler.interval.ms')!;
  const net = netConfig(get);

  return {
    explicit: props,
    nodeId: int('node.id'),
    listener,
    advertised,
    dataDir: resolve(logDirs[0]!),
    numPartitions: int('num.partitions'),
    autoCreateTopics: get('auto.create.topics.enable') === 'true',
    deleteTopicEnable: get('delete.topic.enable') === 'true',
    socketRequestMaxBytes: int('socket.request.max.bytes'),
    net,
    flushSchedulerIntervalMs: flushScheduler.length > 15 ? Number.MAX_SAFE_INTEGER : Number(flushScheduler),
    get,
    sourceOf: (name) => layered(name)?.source ?? 'default',
    setDynamic(d) {
      dynamic = d;
    },
    topicDefault(name) {
      const def = topicConfigByName.get(name);
      if (!def) return { value: null, source: 'default' };
      for (const syn of def.synonyms) {
        const v = layered(syn.name);
        if (v !== null) return { value: syn.toTopicValue ? syn.toTopicValue(v.value) : v.value, source: v.source, synonym: syn.name };
      }
      // Broker-level defaults that differ from the topic default (e.g. log.roll.hours=168) are the
      // same value; the topic default stands.
      return { value: def.default, source: 'default' };
    },
  };
}

/** The listener's bounds, with the checks Kafka makes across these properties (KafkaConfig). */
function netConfig(get: (name: string) => string | null): NetConfig {
  const int = (name: string): number => Number(get(name));
  const requestMaxBytes = int('socket.request.max.bytes');
  const queued = int('queued.max.request.bytes');
  const queuedRequestBytesMax = queued > 0 ? queued : Number(QUEUED_REQUEST_BYTES_DEFAULT);
  if (queuedRequestBytesMax < requestMaxBytes) {
    throw new ConfigError(`queued.max.request.bytes=${queuedRequestBytesMax} must be at least socket.request.max.bytes=${requestMaxBytes}, or no request of the largest size could be read`);
  }
  const overrides = parseConnectionOverrides(get('max.connections.per.ip.overrides') ?? '');
  const maxConnectionsPerIp = int('max.connections.per.ip');
  if (maxConnectionsPerIp === 0 && overrides.size === 0) {
    throw new ConfigError('max.connections.per.ip can be 0 only when max.connections.per.ip.overrides lets some hosts in, e.g. 127.0.0.1:100');
  }
  const idleMs = int('connections.max.idle.ms');
  return {
    requestMaxBytes,
    maxConnections: Math.min(int('max.connections'), limits.connectionsMax),
    maxConnectionsPerIp,
    maxConnectionsPerIpOverrides: overrides,
    idleMs: idleMs < 0 ? null : idleMs,
    queuedRequestBytesMax,
  };
}

/** Effective topic config: topic overrides over broker defaults. */
export function effectiveTopicConfig(broker: BrokerConfig, overrides: ReadonlyMap<string, string>): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const def of topicConfigDefs) {
    out.set(def.name, overrides.get(def.name) ?? broker.topicDefault(def.name).value);
  }
  return out;
}
