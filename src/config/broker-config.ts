/**
 * Broker configuration: server.properties parsing, --override, validation and the typed view the
 * broker uses. Property names are Kafka's. A bad file, key or value is a `ConfigError` whose
 * message says what to fix; the CLI prints it and exits non-zero.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { brokerConfigByName, checkConfigValue, type ConfigDef, parseConnectionOverrides, QUEUED_REQUEST_BYTES_DEFAULT, topicConfigByName, topicConfigDefs } from './definitions.js';
import { limits } from './limits.js';
import { ConfigError } from './config-error.js';
import { kraftConfig, type Endpoint, type KraftConfig, type ProcessRole, type QuorumConfig, type SecurityProtocol } from './kraft.js';

export { ConfigError };
export type { Endpoint, KraftConfig, ProcessRole, QuorumConfig, SecurityProtocol };

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
 * Kafka broker properties that a stock server.properties carries but that have no effect on
 * Sluice (no thread pools or socket buffers to size). Accepted so such a file works unchanged.
 */
const ACCEPTED_WITHOUT_EFFECT: ReadonlySet<string> = new Set([
  'num.network.threads',
  'num.io.threads',
  'socket.send.buffer.bytes',
  'socket.receive.buffer.bytes',
  'num.recovery.threads.per.data.dir',
  'transaction.partition.verification.enable',
  'share.coordinator.state.topic.replication.factor',
  'share.coordinator.state.topic.min.isr',
  // Checked against node.id (they must be equal, as in Kafka), otherwise node.id's alias.
  'broker.id',
  // Gone from Kafka 4 (ZooKeeper-era controller settings), which ignores them; a 3.x KRaft file
  // may still carry them.
  'leader.imbalance.per.broker.percentage',
  'controlled.shutdown.max.retries',
  'controlled.shutdown.retry.backoff.ms',
]);

/** One listener: its name (upper-cased, as Kafka normalises it), host ('' for all interfaces) and port. */
export interface Listener {
  name: string;
  host: string;
  port: number;
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
  /**
   * The primary client listener: the first listener that is not a controller listener (every one
   * is served; this is the one --host/--port move). On a controller-only node, its first
   * controller listener.
   */
  readonly listener: Listener;
  /** Where clients reach `listener` (its advertised.listeners entry, else the listener itself). */
  readonly advertised: Listener;
  /** process.roles */
  readonly roles: ReadonlySet<ProcessRole>;
  /** Every listener, in the order of `listeners`, controller listeners included, with its protocol. */
  readonly listeners: readonly Endpoint[];
  /** The effective listener.security.protocol.map (KRaft adds CONTROLLER:PLAINTEXT by default). */
  readonly securityProtocolMap: ReadonlyMap<string, SecurityProtocol>;
  /** controller.listener.names, in order. */
  readonly controllerListenerNames: readonly string[];
  /** inter.broker.listener.name, else the listener named after security.inter.broker.protocol. */
  readonly interBrokerListenerName: string;
  /** Advertised broker endpoints by listener name; a controller listener is never among them. */
  readonly advertisedListeners: ReadonlyMap<string, Endpoint>;
  /** Where other nodes reach this node's controller listeners (what a controller registers). */
  readonly advertisedControllerListeners: readonly Endpoint[];
  /** How this node finds the controller quorum, and the quorum's timings. */
  readonly quorum: QuorumConfig;
  /** The timings and switches of brokers in a cluster. */
  readonly replication: ReplicationConfig;
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
  /**
   * A security config as one listener sees it: listener.name.<listener>.<mechanism>.<name> (when a
   * SASL mechanism is given), else listener.name.<listener>.<name>, else `get(name)`.
   */
  listenerGet(listenerName: string, name: string, mechanism?: string): string | null;
  /** Where `get` found the value. */
  sourceOf(name: string): BrokerConfigSource;
  /** Default of a topic config as this broker sets it (a broker synonym, else Kafka's default). */
  topicDefault(name: string): { value: string | null; source: BrokerConfigSource; synonym?: string };
  /** Installs the dynamic broker configs (live maps from the metadata image). */
  setDynamic(dynamic: DynamicConfigs): void;
}

/** Brokers in a cluster (Kafka's names; all but the switches are in milliseconds or bytes). */
export interface ReplicationConfig {
  /** broker.session.timeout.ms: a broker without a heartbeat for this long is fenced. */
  readonly brokerSessionTimeoutMs: number;
  /** broker.heartbeat.interval.ms */
  readonly brokerHeartbeatIntervalMs: number;
  /** initial.broker.registration.timeout.ms */
  readonly initialBrokerRegistrationTimeoutMs: number;
  /** metadata.max.idle.interval.ms: the active controller writes a no-op record this often. */
  readonly metadataMaxIdleIntervalMs: number;
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms */
  readonly replicaFetchWaitMaxMs: number;
  /** replica.fetch.min.bytes */
  readonly replicaFetchMinBytes: number;
  /** replica.fetch.max.bytes (per partition) */
  readonly replicaFetchMaxBytes: number;
  /** replica.fetch.response.max.bytes */
  readonly replicaFetchResponseMaxBytes: number;
  /** replica.fetch.backoff.ms */
  readonly replicaFetchBackoffMs: number;
  /** replica.socket.timeout.ms */
  readonly replicaSocketTimeoutMs: number;
  /** replica.high.watermark.checkpoint.interval.ms */
  readonly highWatermarkCheckpointIntervalMs: number;
  /** unclean.leader.election.enable as set for the broker (a topic may override it). */
  readonly uncleanLeaderElectionEnable: boolean;
  /** auto.leader.rebalance.enable */
  readonly autoLeaderRebalanceEnable: boolean;
  /** leader.imbalance.check.interval.seconds, in ms. */
  readonly leaderImbalanceCheckIntervalMs: number;
  /** controlled.shutdown.enable */
  readonly controlledShutdownEnable: boolean;
  /** offsets.topic.replication.factor */
  readonly offsetsTopicReplicationFactor: number;
  /** transaction.state.log.replication.factor */
  readonly transactionStateLogReplicationFactor: number;
  /** transaction.state.log.min.isr */
  readonly transactionStateLogMinIsr: number;
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

/**
 * A security config given for one listener, `listener.name.<listener>.<config>` (Kafka's
 * ListenerName.configPrefix), or for one listener and SASL mechanism,
 * `listener.name.<listener>.<mechanism>.<config>` (the JAAS and callback handler configs): the
 * definition of <config>, or undefined when the key is not of that shape.
 */
function listenerPrefixedDef(key: string): ConfigDef | undefined {
  const m = /^listener\.name\.([^.]+)\.(.+)$/.exec(key);
  if (!m) return undefined;
  const rest = m[2]!;
  const direct = brokerConfigByName.get(rest);
  if (direct && LISTENER_CONFIGURABLE.test(rest)) return direct;
  const perMechanism = /^[a-z0-9-]+\.(sasl\.(?:jaas\.config|server\.callback\.handler\.class|login\.callback\.handler\.class|login\.class))$/.exec(rest);
  return perMechanism ? brokerConfigByName.get(perMechanism[1]!) : undefined;
}

/** Configs a listener may override (Kafka's security configs and the connection limits). */
const LISTENER_CONFIGURABLE = /^(ssl\.|sasl\.|connections\.max\.reauth\.ms$|max\.connections$|max\.connection\.creation\.rate$|principal\.builder\.class$)/;

function buildBrokerConfig(props: Map<string, string>): BrokerConfig {
  for (const [key, value] of props) {
    const def = brokerConfigByName.get(key) ?? listenerPrefixedDef(key);
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

  const nodeId = int('node.id');
  const brokerId = props.get('broker.id');
  if (brokerId !== undefined && brokerId.trim() !== '' && Number(brokerId) !== -1 && Number(brokerId) !== nodeId) {
    throw new ConfigError(`broker.id=${brokerId} differs from node.id=${nodeId}; remove broker.id or give both the same value`);
  }
  const kraft = kraftConfig({ get, isSet: (name) => layered(name) !== null }, nodeId);
  // The primary client listener: the first broker listener (--host/--port move it).
  const isBroker = kraft.roles.has('broker');
  const strip = ({ name, host, port }: Listener): Listener => ({ name, host, port });
  const listener = strip(isBroker ? kraft.brokerListeners[0]! : kraft.controllerListeners[0]!);
  const advertisedEndpoint = isBroker ? kraft.advertisedListeners.get(listener.name) : kraft.advertisedControllerListeners[0];
  const advertised = advertisedEndpoint ? strip(advertisedEndpoint) : listener;
  const replication = replicationConfig(get);
  const logDirs = (get('log.dirs') ?? get('log.dir') ?? defaultDataDir()).split(',').map((s) => s.trim());
  if (logDirs.length !== 1 || logDirs[0] === '') {
    throw new ConfigError(`log.dirs: Sluice uses exactly one data directory for now, got "${logDirs.join(',')}"`);
  }
  const flushScheduler = get('log.flush.scheduler.interval.ms')!;
  const net = netConfig(get);

  return {
    explicit: props,
    nodeId,
    listener,
    advertised,
    roles: kraft.roles,
    listeners: kraft.listeners,
    securityProtocolMap: kraft.securityProtocolMap,
    controllerListenerNames: kraft.controllerListenerNames,
    interBrokerListenerName: kraft.interBrokerListenerName,
    advertisedListeners: kraft.advertisedListeners,
    advertisedControllerListeners: kraft.advertisedControllerListeners,
    quorum: kraft.quorum,
    replication,
    dataDir: resolve(logDirs[0]!),
    numPartitions: int('num.partitions'),
    autoCreateTopics: get('auto.create.topics.enable') === 'true',
    deleteTopicEnable: get('delete.topic.enable') === 'true',
    socketRequestMaxBytes: int('socket.request.max.bytes'),
    net,
    flushSchedulerIntervalMs: flushScheduler.length > 15 ? Number.MAX_SAFE_INTEGER : Number(flushScheduler),
    get,
    listenerGet(listenerName, name, mechanism) {
      const prefix = `listener.name.${listenerName.toLowerCase()}.`;
      if (mechanism !== undefined) {
        const v = layered(`${prefix}${mechanism.toLowerCase()}.${name}`);
        if (v !== null) return v.value;
      }
      return layered(prefix + name)?.value ?? get(name);
    },
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

/** Replication settings, with Kafka's checks across them (KafkaConfig.validateValues). */
function replicationConfig(get: (name: string) => string | null): ReplicationConfig {
  const int = (name: string): number => Number(get(name));
  const bool = (name: string): boolean => get(name) === 'true';
  const wait = int('replica.fetch.wait.max.ms');
  if (wait > int('replica.socket.timeout.ms')) {
    throw new ConfigError(`replica.fetch.wait.max.ms=${wait} is above replica.socket.timeout.ms=${int('replica.socket.timeout.ms')}; a follower's fetch would time out while it waits: lower the first or raise the second`);
  }
  if (wait > int('replica.lag.time.max.ms')) {
    throw new ConfigError(`replica.fetch.wait.max.ms=${wait} is above replica.lag.time.max.ms=${int('replica.lag.time.max.ms')}; followers would drop out of the ISR while they wait: lower the first or raise the second`);
  }
  return {
    brokerSessionTimeoutMs: int('broker.session.timeout.ms'),
    brokerHeartbeatIntervalMs: int('broker.heartbeat.interval.ms'),
    initialBrokerRegistrationTimeoutMs: int('initial.broker.registration.timeout.ms'),
    metadataMaxIdleIntervalMs: int('metadata.max.idle.interval.ms'),
    replicaLagTimeMaxMs: int('replica.lag.time.max.ms'),
    replicaFetchWaitMaxMs: wait,
    replicaFetchMinBytes: int('replica.fetch.min.bytes'),
    replicaFetchMaxBytes: int('replica.fetch.max.bytes'),
    replicaFetchResponseMaxBytes: int('replica.fetch.response.max.bytes'),
    replicaFetchBackoffMs: int('replica.fetch.backoff.ms'),
    replicaSocketTimeoutMs: int('replica.socket.timeout.ms'),
    highWatermarkCheckpointIntervalMs: int('replica.high.watermark.checkpoint.interval.ms'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
    autoLeaderRebalanceEnable: bool('auto.leader.rebalance.enable'),
    leaderImbalanceCheckIntervalMs: int('leader.imbalance.check.interval.seconds') * 1000,
    controlledShutdownEnable: bool('controlled.shutdown.enable'),
    offsetsTopicReplicationFactor: int('offsets.topic.replication.factor'),
    transactionStateLogReplicationFactor: int('transaction.state.log.replication.factor'),
    transactionStateLogMinIsr: int('transaction.state.log.min.isr'),
  };
}

/**
 * The `listeners` value with the client listener moved to host:port (sluice start --host/--port),
 * every other listener (the controller's) as it was.
 */
export function listenersWithClientAddress(config: BrokerConfig, host: string, port: number): string {
  return config.listeners
    .map((l) => {
      const moved = l.name === config.listener.name ? { host, port } : l;
      return `${l.name}://${moved.host.includes(':') ? `[${moved.host}]` : moved.host}:${moved.port}`;
    })
    .join(',');
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
