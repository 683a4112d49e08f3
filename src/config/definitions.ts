/**
 * The configs Sluice understands, by Kafka's own property names, with Kafka's defaults unless a
 * note says why ours differ. Broker configs come from server.properties and --override; topic
 * configs from CreateTopics and (later) AlterConfigs. A topic config left unset takes the value
 * of its broker synonym, then its default: DescribeConfigs reports which (the config source).
 */

import { SECURITY_PROTOCOL_MAP_DEFAULT } from './kraft.js';
import { limits } from './limits.js';

/** queued.max.request.bytes when unset or set to Kafka's -1 (unbounded): 256 MiB. */
export const QUEUED_REQUEST_BYTES_DEFAULT = '268435456';

export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'password' | 'class';

/** DescribeConfigs ConfigType codes (v3+). */
export const CONFIG_TYPE_CODE: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** DescribeConfigs ConfigSource codes (v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

/**
 * Configs of the GROUP resource (type 32, KIP-848, KIP-932): a group's own session timeout,
 * heartbeat interval and (share groups) record lock duration, defaulting to the broker's
 * group.consumer.* / group.share.* values and bounded by their min/max; and a share group's
 * share.auto.offset.reset and share.isolation.level, with Kafka's defaults.
 */
export type GroupConfigName =
  | 'consumer.session.timeout.ms'
  | 'consumer.heartbeat.interval.ms'
  | 'share.session.timeout.ms'
  | 'share.heartbeat.interval.ms'
  | 'share.record.lock.duration.ms'
  | 'share.auto.offset.reset'
  | 'share.isolation.level';

export type GroupConfigDef =
  | { name: GroupConfigName; type: 'int'; broker: string; min: string; max: string; doc: string }
  | { name: GroupConfigName; type: 'string'; default: string; values: readonly string[]; check?: (value: string) => string | null; doc: string };

/**
 * A java.time.Duration string as Duration.parse reads it (PnDTnHnMn.nS, each part optional and
 * signed, at least one given), in milliseconds; null when it is not one.
 */
export function parseIsoDurationMs(text: string): number | null {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i.exec(text);
  if (!m || (m[2] ?? m[3] ?? m[4] ?? m[5]) === undefined || /T$/i.test(text)) return null;
  const n = (v: string | undefined): number => (v === undefined ? 0 : Number(v));
  const fraction = m[6] ? Number(`0.${m[6]}`) * (m[5]?.startsWith('-') ? -1 : 1) : 0;
  const ms = ((n(m[2]) * 24 + n(m[3])) * 60 + n(m[4])) * 60_000 + (n(m[5]) + fraction) * 1000;
  return m[1] === '-' ? -ms : ms;
}

/** share.auto.offset.reset: latest, earliest, or by_duration:<a non-negative java.time.Duration> (Kafka's ShareGroupAutoOffsetResetStrategy). */
export type ShareAutoOffsetReset = { kind: 'latest' } | { kind: 'earliest' } | { kind: 'by_duration'; durationMs: number };

export function parseShareAutoOffsetReset(value: string): ShareAutoOffsetReset | null {
  const v = value.trim().toLowerCase();
  if (v === 'latest' || v === 'earliest') return { kind: v };
  if (!v.startsWith('by_duration:')) return null;
  const durationMs = parseIsoDurationMs(value.trim().slice('by_duration:'.length));
  return durationMs === null || durationMs < 0 ? null : { kind: 'by_duration', durationMs };
}

export const GROUP_CONFIGS: readonly GroupConfigDef[] = [
  { name: 'consumer.session.timeout.ms', type: 'int', broker: 'group.consumer.session.timeout.ms', min: 'group.consumer.min.session.timeout.ms', max: 'group.consumer.max.session.timeout.ms', doc: 'How long a member of this consumer group may go without a heartbeat before it is fenced.' },
  { name: 'consumer.heartbeat.interval.ms', type: 'int', broker: 'group.consumer.heartbeat.interval.ms', min: 'group.consumer.min.heartbeat.interval.ms', max: 'group.consumer.max.heartbeat.interval.ms', doc: 'How often the members of this consumer group are told to heartbeat.' },
  { name: 'share.session.timeout.ms', type: 'int', broker: 'group.share.session.timeout.ms', min: 'group.share.min.session.timeout.ms', max: 'group.share.max.session.timeout.ms', doc: 'How long a member of this share group may go without a heartbeat before it is removed.' },
  { name: 'share.heartbeat.interval.ms', type: 'int', broker: 'group.share.heartbeat.interval.ms', min: 'group.share.min.heartbeat.interval.ms', max: 'group.share.max.heartbeat.interval.ms', doc: 'How often the members of this share group are told to heartbeat.' },
  { name: 'share.record.lock.duration.ms', type: 'int', broker: 'group.share.record.lock.duration.ms', min: 'group.share.min.record.lock.duration.ms', max: 'group.share.max.record.lock.duration.ms', doc: 'How long a member of this share group holds records it acquired.' },
  {
    name: 'share.auto.offset.reset',
    type: 'string',
    default: 'latest',
    values: ['latest', 'earliest', 'by_duration:<duration>'],
    check: (v) => (parseShareAutoOffsetReset(v) === null ? 'must be latest, earliest or by_duration:<a non-negative ISO-8601 duration such as PT1H>' : null),
    doc: 'Where a share group starts reading a partition it has no state for: latest, earliest, or by_duration:<ISO-8601 duration> (the first record at most that old).',
  },
  { name: 'share.isolation.level', type: 'string', default: 'read_uncommitted', values: ['read_uncommitted', 'read_committed'], doc: 'Which records a share group reads: read_uncommitted, or read_committed (to the last stable offset, aborted transactions left out).' },
];

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Default as Kafka prints it; null means "no value". */
  readonly default: string | null;
  /** Extra check beyond the type; returns an error message, or null when fine. */
  readonly check?: (value: string) => string | null;
  /**
   * The check for server.properties and --override when it differs from `check` (which then only
   * applies to dynamic changes): lets a dev broker start with values Kafka would refuse.
   */
  readonly staticCheck?: (value: string) => string | null;
  readonly sensitive?: boolean;
}

export interface TopicConfigDef extends ConfigDef {
  /** Broker properties that set this topic config's default, in precedence order. */
  readonly synonyms: ReadonlyArray<{ name: string; toTopicValue?: (v: string) => string }>;
  /** Kafka's internal configs: listed by DescribeConfigs and CreateTopics only when set. */
  readonly internal?: boolean;
}

const LONG_MAX = '9223372036854775807';
/** Values of group.consumer.assignors: the short names and Kafka's class names. */
export const CONSUMER_ASSIGNORS = [
  'uniform',
  'range',
  'org.apache.kafka.coordinator.group.assignor.UniformAssignor',
  'org.apache.kafka.coordinator.group.assignor.RangeAssignor',
];
const hoursToMs = (v: string): string => String(BigInt(v) * 3_600_000n);
const minutesToMs = (v: string): string => String(BigInt(v) * 60_000n);

const atLeast =
  (min: number) =>
  (v: string): string | null =>
    Number(v) >= min ? null : `Value must be at least ${min}`;
const oneOf =
  (...allowed: string[]) =>
  (v: string): string | null =>
    allowed.includes(v) ? null : `String must be one of: ${allowed.join(', ')}`;
const listOf =
  (...allowed: string[]) =>
  (v: string): string | null => {
    const bad = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && !allowed.includes(s));
    return bad.length === 0 ? null : `unknown value ${bad.join(', ')}; allowed: ${allowed.join(', ')}`;
  };

/**
 * max.connections.per.ip.overrides: "host:count,host:count", split at the last colon as Kafka's
 * Csv.parseCsvMap does (so IPv6 addresses work), hosts of Kafka's valid host characters.
 */
export function parseConnectionOverrides(value: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const at = entry.lastIndexOf(':');
    const host = entry.slice(0, Math.max(at, 0)).trim();
    const count = entry.slice(at + 1).trim();
    if (at <= 0 || !/^[0-9a-zA-Z\-%._:]+$/.test(host) || !/^\d+$/.test(count) || Number(count) > 2 ** 31 - 1) {
      throw new Error(`"${entry}" is not host:count, e.g. 127.0.0.1:100,client-host:50`);
    }
    out.set(host, Number(count));
  }
  return out;
}

function checkConnectionOverrides(value: string): string | null {
  try {
    parseConnectionOverrides(value);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * leader/follower.replication.throttled.replicas: '*' alone, or partition:broker pairs (Kafka's
 * ThrottledReplicaListValidator). The value is a list: entries are trimmed, an empty one is none.
 */
function throttledReplicas(name: string) {
  return (v: string): string | null => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 1 && items[0] === '*') return null;
    if (items.every((i) => /^\d+:\d+$/.test(i))) return null;
    return `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`;
  };
}

/** KIP-1030: Kafka 4 refuses segments under 1 MiB (internal.segment.bytes is its way around). */
export const SEGMENT_BYTES_MIN = 1048576;

const COMPRESSION = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

/** Kafka's ConfigDef.Range messages. */
const between =
  (min: number, max: number) =>
  (v: string): string | null =>
    Number(v) < min ? `Value must be at least ${min}` : Number(v) > max ? `Value must be no more than ${max}` : null;
/** KIP-390's gzip range: 1..9, or -1 for zlib's default (Kafka's GzipCompression validator). */
const gzipLevel = (v: string): string | null => (Number(v) === -1 || (Number(v) >= 1 && Number(v) <= 9) ? null : 'Value must be between 1 and 9 or equal to -1');
/** KIP-390 (Kafka 3.8): the level used when compression.type names the codec (log/compression-encoders.ts). */
const COMPRESSION_LEVELS = [
  { name: 'compression.gzip.level', type: 'int', default: '-1', check: gzipLevel },
  { name: 'compression.lz4.level', type: 'int', default: '9', check: between(1, 17) },
  { name: 'compression.zstd.level', type: 'int', default: '3', check: between(-131072, 22) },
] as const;

export const topicConfigDefs: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', type: 'list', default: 'delete', check: listOf('delete', 'compact'), synonyms: [{ name: 'log.cleanup.policy' }] },
  ...COMPRESSION_LEVELS.map((d) => ({ ...d, synonyms: [{ name: d.name }] })),
  { name: 'compression.type', type: 'string', default: 'producer', check: oneOf(...COMPRESSION), synonyms: [{ name: 'compression.type' }] },
  { name: 'delete.retention.ms', type: 'long', default: '86400000', check: atLeast(0), synonyms: [{ name: 'log.cleaner.delete.retention.ms' }] },
  { name: 'file.delete.delay.ms', type: 'long', default: '60000', check: atLeast(0), synonyms: [{ name: 'log.segment.delete.delay.ms' }] },
  { name: 'flush.messages', type: 'long', default: LONG_MAX, check: atLeast(1), synonyms: [{ name: 'log.flush.interval.messages' }] },
  { name: 'flush.ms', type: 'long', default: LONG_MAX, check: atLeast(0), synonyms: [{ name: 'log.flush.interval.ms' }] },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: '', check: throttledReplicas('follower.replication.throttled.replicas'), synonyms: [] },
  { name: 'index.interval.bytes', type: 'int', default: '4096', check: atLeast(0), synonyms: [{ name: 'log.index.interval.bytes' }] },
  // Kafka 4's escape from segment.bytes' minimum (KIP-1030), meant for tests; takes precedence
  // over segment.bytes when set, and is listed only then (an internal config, as in Kafka).
  { name: 'internal.segment.bytes', type: 'int', default: null, check: atLeast(14), synonyms: [], internal: true },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: '', check: throttledReplicas('leader.replication.throttled.replicas'), synonyms: [] },
  { name: 'max.compaction.lag.ms', type: 'long', default: LONG_MAX, check: atLeast(1), synonyms: [{ name: 'log.cleaner.max.compaction.lag.ms' }] },
  { name: 'max.message.bytes', type: 'int', default: '1048588', check: atLeast(0), synonyms: [{ name: 'message.max.bytes' }] },
  { name: 'message.timestamp.after.max.ms', type: 'long', default: '3600000', check: atLeast(0), synonyms: [{ name: 'log.message.timestamp.after.max.ms' }] },
  { name: 'message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, check: atLeast(0), synonyms: [{ name: 'log.message.timestamp.before.max.ms' }] },
  { name: 'message.timestamp.type', type: 'string', default: 'CreateTime', check: oneOf('CreateTime', 'LogAppendTime'), synonyms: [{ name: 'log.message.timestamp.type' }] },
  { name: 'min.cleanable.dirty.ratio', type: 'double', default: '0.5', check: (v) => (Number(v) >= 0 && Number(v) <= 1 ? null : 'must be between 0 and 1'), synonyms: [{ name: 'log.cleaner.min.cleanable.ratio' }] },
  { name: 'min.compaction.lag.ms', type: 'long', default: '0', check: atLeast(0), synonyms: [{ name: 'log.cleaner.min.compaction.lag.ms' }] },
  { name: 'min.insync.replicas', type: 'int', default: '1', check: atLeast(1), synonyms: [{ name: 'min.insync.replicas' }] },
  { name: 'preallocate', type: 'boolean', default: 'false', synonyms: [{ name: 'log.preallocate' }] },
  {
    name: 'retention.bytes',
    type: 'long',
    default: '-1',
    synonyms: [{ name: 'log.retention.bytes' }],
  },
  {
    name: 'retention.ms',
    type: 'long',
    default: '604800000',
    check: atLeast(-1),
    synonyms: [
      { name: 'log.retention.ms' },
      { name: 'log.retention.minutes', toTopicValue: minutesToMs },
      { name: 'log.retention.hours', toTopicValue: hoursToMs },
    ],
  },
  // At least 1 MiB as in Kafka 4 (KIP-1030); tests that roll small segments set internal.segment.bytes.
  { name: 'segment.bytes', type: 'int', default: '1073741824', check: atLeast(SEGMENT_BYTES_MIN), synonyms: [{ name: 'log.segment.bytes' }] },
  { name: 'segment.index.bytes', type: 'int', default: '10485760', check: atLeast(8), synonyms: [{ name: 'log.index.size.max.bytes' }] },
  { name: 'segment.jitter.ms', type: 'long', default: '0', check: atLeast(0), synonyms: [{ name: 'log.roll.jitter.ms' }] },
  {
    name: 'segment.ms',
    type: 'long',
    default: '604800000',
    check: atLeast(1),
    synonyms: [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', toTopicValue: hoursToMs }],
  },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', synonyms: [{ name: 'unclean.leader.election.enable' }] },
];

/**
 * Broker configs. Defaults are Kafka's except where a dev broker needs otherwise: listeners bind
 * 127.0.0.1 (never all interfaces by surprise) and log.dirs is a per-user directory.
 */
export const brokerConfigDefs: readonly ConfigDef[] = [
  { name: 'node.id', type: 'int', default: '1', check: atLeast(0) },
  { name: 'broker.rack', type: 'string', default: null },
  {
    name: 'replica.selector.class',
    type: 'string',
    default: null,
    check: (v) =>
      v === '' || v === 'org.apache.kafka.common.replica.RackAwareReplicaSelector'
        ? null
        : `Sluice has Kafka's org.apache.kafka.common.replica.RackAwareReplicaSelector only (or none: consumers read from leaders); got ${v}`,
  },
  // KIP-227 fetch sessions (replica/fetch-session.ts); capped by limits.fetchSessionCacheSlotsMax.
  { name: 'max.incremental.fetch.session.cache.slots', type: 'int', default: '1000', check: atLeast(0) },
  { name: 'process.roles', type: 'list', default: 'broker,controller', check: listOf('broker', 'controller') },
  { name: 'listeners', type: 'list', default: 'PLAINTEXT://127.0.0.1:9092' },
  { name: 'advertised.listeners', type: 'list', default: null },
  { name: 'log.dirs', type: 'list', default: null },
  { name: 'log.dir', type: 'string', default: null },
  { name: 'num.partitions', type: 'int', default: '1', check: atLeast(1) },
  { name: 'default.replication.factor', type: 'int', default: '1', check: atLeast(1) },
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true' },
  { name: 'delete.topic.enable', type: 'boolean', default: 'true' },
  { name: 'socket.request.max.bytes', type: 'int', default: '104857600', check: atLeast(1024) },
  { name: 'max.request.partition.size.limit', type: 'int', default: '2000', check: atLeast(1) },
  { name: 'telemetry.max.bytes', type: 'int', default: '1048576', check: atLeast(1) },
  // Connections (Kafka's names and defaults). max.connections is also capped by
  // limits.connectionsMax; connections.max.idle.ms below zero never closes an idle connection.
  { name: 'max.connections', type: 'int', default: '2147483647', check: atLeast(0) },
  { name: 'max.connections.per.ip', type: 'int', default: '2147483647', check: atLeast(0) },
  { name: 'max.connections.per.ip.overrides', type: 'string', default: '', check: (v) => checkConnectionOverrides(v) },
  { name: 'connections.max.idle.ms', type: 'long', default: '600000', check: (v) => (v === '0' ? 'must be positive (or negative: never close idle connections)' : null) },
  // Memory for requests being received and handled. Kafka's default is -1 (no bound); ours is
  // 256 MiB because the broker's memory must be bounded by configuration, not by its clients. A
  // value of 0 or below (Kafka's "unbounded", as production files may say) means our default, so
  // such a server.properties still loads (broker-config.ts).
  {
    name: 'queued.max.request.bytes',
    type: 'long',
    default: QUEUED_REQUEST_BYTES_DEFAULT,
    check: (v) => (Number(v) <= limits.queuedRequestBytesMax ? null : `must be at most ${limits.queuedRequestBytesMax}`),
  },
  { name: 'message.max.bytes', type: 'int', default: '1048588', check: atLeast(0) },
  // Dynamic changes need 1 MiB as in Kafka 4 (KIP-1030); server.properties may go down to one
  // empty batch header (14 bytes) so a dev broker can roll segments with little data.
  { name: 'log.segment.bytes', type: 'int', default: '1073741824', check: atLeast(SEGMENT_BYTES_MIN), staticCheck: atLeast(14) },
  { name: 'log.roll.ms', type: 'long', default: null, check: atLeast(1) },
  { name: 'log.roll.hours', type: 'int', default: '168', check: atLeast(1) },
  { name: 'log.roll.jitter.ms', type: 'long', default: null },
  { name: 'log.index.interval.bytes', type: 'int', default: '4096', check: atLeast(0) },
  { name: 'log.index.size.max.bytes', type: 'int', default: '10485760', check: atLeast(8) },
  { name: 'log.flush.interval.messages', type: 'long', default: LONG_MAX, check: atLeast(1) },
  { name: 'log.flush.interval.ms', type: 'long', default: null, check: atLeast(0) },
  { name: 'log.flush.scheduler.interval.ms', type: 'long', default: LONG_MAX, check: atLeast(0) },
  { name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', check: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'log.message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, check: atLeast(0) },
  { name: 'log.message.timestamp.after.max.ms', type: 'long', default: '3600000', check: atLeast(0) },
  { name: 'log.retention.ms', type: 'long', default: null, check: atLeast(-1) },
  { name: 'log.retention.minutes', type: 'int', default: null },
  { name: 'log.retention.hours', type: 'int', default: '168' },
  { name: 'log.retention.bytes', type: 'long', default: '-1' },
  { name: 'log.cleanup.policy', type: 'list', default: 'delete', check: listOf('delete', 'compact') },
  { name: 'log.cleaner.delete.retention.ms', type: 'long', default: '86400000' },
  { name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: '0' },
  { name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: LONG_MAX },
  { name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: '0.5' },
  { name: 'log.cleaner.backoff.ms', type: 'long', default: '15000', check: atLeast(1) },
  { name: 'log.segment.delete.delay.ms', type: 'long', default: '60000' },
  { name: 'log.preallocate', type: 'boolean', default: 'false' },
  { name: 'compression.type', type: 'string', default: 'producer', check: oneOf(...COMPRESSION) },
  ...COMPRESSION_LEVELS,
  { name: 'min.insync.replicas', type: 'int', default: '1', check: atLeast(1) },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false' },
  // Groups. Dev-friendly defaults differ from Kafka's: a first rebalance that waits 100 ms for
  // more members instead of 3 s, session timeouts down to 1 s instead of 6 s, and a bound on
  // group size (Kafka's default is unbounded).
  { name: 'group.initial.rebalance.delay.ms', type: 'int', default: '100', check: atLeast(0) },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '1000', check: atLeast(1) },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000', check: atLeast(1) },
  { name: 'group.max.size', type: 'int', default: '10000', check: atLeast(1) },
  // KIP-848 consumer groups. Dev-friendly differences from Kafka: heartbeats every second
  // instead of every 5 (a rebalance completes in about a second), and session timeouts from 1 s
  // (Kafka's minimum is 45 s) so tests can make members time out quickly.
  { name: 'group.consumer.session.timeout.ms', type: 'int', default: '45000', check: atLeast(1) },
  { name: 'group.consumer.min.session.timeout.ms', type: 'int', default: '1000', check: atLeast(1) },
  { name: 'group.consumer.max.session.timeout.ms', type: 'int', default: '60000', check: atLeast(1) },
  { name: 'group.consumer.heartbeat.interval.ms', type: 'int', default: '1000', check: atLeast(1) },
  { name: 'group.consumer.min.heartbeat.interval.ms', type: 'int', default: '500', check: atLeast(1) },
  { name: 'group.consumer.max.heartbeat.interval.ms', type: 'int', default: '15000', check: atLeast(1) },
  { name: 'group.consumer.max.size', type: 'int', default: '2147483647', check: atLeast(1) },
  { name: 'group.consumer.assignors', type: 'list', default: 'uniform,range', check: listOf(...CONSUMER_ASSIGNORS) },
  { name: 'group.consumer.migration.policy', type: 'string', default: 'bidirectional', check: oneOf('disabled', 'upgrade', 'downgrade', 'bidirectional') },
  { name: 'group.coordinator.rebalance.protocols', type: 'list', default: 'classic,consumer', check: listOf('classic', 'consumer', 'share', 'streams') },
  // KIP-932 share groups: Kafka 4.1's defaults. Dev-friendly difference: the minimums of the
  // session timeout, heartbeat interval and record lock duration are 1 s (Kafka's: 45 s, 5 s and
  // 15 s), so tests can make members time out and locks run out quickly.
  { name: 'group.share.session.timeout.ms', type: 'int', default: '45000', check: atLeast(1) },
  { name: 'group.share.min.session.timeout.ms', type: 'int', default: '1000', check: atLeast(1) },
  { name: 'group.share.max.session.timeout.ms', type: 'int', default: '60000', check: atLeast(1) },
  { name: 'group.share.heartbeat.interval.ms', type: 'int', default: '5000', check: atLeast(1) },
  { name: 'group.share.min.heartbeat.interval.ms', type: 'int', default: '1000', check: atLeast(1) },
  { name: 'group.share.max.heartbeat.interval.ms', type: 'int', default: '15000', check: atLeast(1) },
  { name: 'group.share.record.lock.duration.ms', type: 'int', default: '30000', check: atLeast(1) },
  { name: 'group.share.min.record.lock.duration.ms', type: 'int', default: '1000', check: atLeast(1) },
  { name: 'group.share.max.record.lock.duration.ms', type: 'int', default: '60000', check: atLeast(1) },
  { name: 'group.share.delivery.count.limit', type: 'int', default: '5', check: between(2, 10) },
  { name: 'group.share.partition.max.record.locks', type: 'int', default: '2000', check: between(100, 10000) },
  { name: 'group.share.max.size', type: 'int', default: '200', check: between(1, 1000) },
  { name: 'group.share.max.share.sessions', type: 'int', default: '2000', check: atLeast(1) },
  { name: 'group.share.assignors', type: 'list', default: 'simple', check: listOf('simple', 'org.apache.kafka.coordinator.group.assignor.SimpleAssignor') },
  { name: 'share.coordinator.state.topic.num.partitions', type: 'int', default: '50', check: atLeast(1) },
  { name: 'share.coordinator.state.topic.replication.factor', type: 'short', default: '3', check: atLeast(1) },
  { name: 'share.coordinator.state.topic.min.isr', type: 'short', default: '2', check: atLeast(1) },
  { name: 'share.coordinator.state.topic.segment.bytes', type: 'int', default: '104857600', check: atLeast(14) },
  { name: 'offsets.topic.num.partitions', type: 'int', default: '50', check: atLeast(1) },
  { name: 'offsets.topic.segment.bytes', type: 'int', default: '104857600', check: atLeast(14) },
  { name: 'offsets.retention.minutes', type: 'int', default: '10080', check: atLeast(1) },
  { name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', check: atLeast(1) },
  { name: 'offset.metadata.max.bytes', type: 'int', default: '4096', check: atLeast(0) },
  { name: 'offsets.commit.timeout.ms', type: 'int', default: '5000', check: atLeast(1) },
  { name: 'request.timeout.ms', type: 'int', default: '30000', check: atLeast(0) },
  // Transactions (Kafka's defaults).
  { name: 'transaction.state.log.num.partitions', type: 'int', default: '50', check: atLeast(1) },
  { name: 'transaction.state.log.segment.bytes', type: 'int', default: '104857600', check: atLeast(14) },
  { name: 'transaction.max.timeout.ms', type: 'int', default: '900000', check: atLeast(1) },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'int', default: '10000', check: atLeast(1) },
  { name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', check: atLeast(1) },
  { name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: 'int', default: '3600000', check: atLeast(1) },
  { name: 'log.retention.check.interval.ms', type: 'long', default: '300000', check: atLeast(1) },
  { name: 'producer.id.expiration.ms', type: 'int', default: '86400000', check: atLeast(1) },
  { name: 'producer.id.expiration.check.interval.ms', type: 'int', default: '600000', check: atLeast(1) },
  // Kafka's dynamic broker configs beyond the log defaults (DynamicBrokerConfig.AllDynamicConfigs,
  // without the listener, SSL/SASL and remote-storage ones). AlterConfigs stores them in the
  // metadata log and DescribeConfigs shows them with their DYNAMIC_* sources, but Sluice has no
  // thread pools, cleaner I/O throttle, metric reporters, connection-rate quota or partition
  // verification to apply them to: they are accepted without effect (README).
  { name: 'background.threads', type: 'int', default: '10', check: atLeast(1) },
  { name: 'num.io.threads', type: 'int', default: '8', check: atLeast(1) },
  { name: 'num.network.threads', type: 'int', default: '3', check: atLeast(1) },
  { name: 'num.replica.fetchers', type: 'int', default: '1' },
  { name: 'num.recovery.threads.per.data.dir', type: 'int', default: '2', check: atLeast(1) },
  { name: 'log.cleaner.threads', type: 'int', default: '1', check: atLeast(0) },
  { name: 'log.cleaner.dedupe.buffer.size', type: 'long', default: '134217728' },
  { name: 'log.cleaner.io.buffer.size', type: 'int', default: '524288', check: atLeast(0) },
  { name: 'log.cleaner.io.buffer.load.factor', type: 'double', default: '0.9' },
  { name: 'log.cleaner.io.max.bytes.per.second', type: 'double', default: '1.7976931348623157E308' },
  { name: 'max.connection.creation.rate', type: 'int', default: '2147483647', check: atLeast(0) },
  { name: 'metric.reporters', type: 'list', default: '' },
  { name: 'transaction.partition.verification.enable', type: 'boolean', default: 'true' },
  // KRaft roles, listeners and the controller quorum (kraft.ts reads and checks them together).
  // Types and defaults are Kafka 4.1.1's; process.roles and node.id have none in Kafka (Sluice's
  // are above).
  { name: 'controller.quorum.voters', type: 'list', default: '' },
  { name: 'controller.quorum.bootstrap.servers', type: 'list', default: '' },
  { name: 'controller.listener.names', type: 'string', default: null },
  { name: 'inter.broker.listener.name', type: 'string', default: null },
  { name: 'security.inter.broker.protocol', type: 'string', default: 'PLAINTEXT', check: oneOf('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL') },
  { name: 'listener.security.protocol.map', type: 'string', default: SECURITY_PROTOCOL_MAP_DEFAULT },
  { name: 'controller.quorum.election.timeout.ms', type: 'int', default: '1000', check: atLeast(0) },
  { name: 'controller.quorum.fetch.timeout.ms', type: 'int', default: '2000', check: atLeast(0) },
  { name: 'controller.quorum.election.backoff.max.ms', type: 'int', default: '1000', check: atLeast(0) },
  { name: 'controller.quorum.request.timeout.ms', type: 'int', default: '2000', check: atLeast(0) },
  { name: 'controller.quorum.retry.backoff.ms', type: 'int', default: '20', check: atLeast(0) },
  { name: 'controller.quorum.append.linger.ms', type: 'int', default: '25', check: atLeast(0) },
  // Brokers in a cluster: registration, heartbeats, replication, leadership (Kafka's defaults).
  { name: 'broker.session.timeout.ms', type: 'int', default: '9000' },
  { name: 'broker.heartbeat.interval.ms', type: 'int', default: '2000' },
  { name: 'initial.broker.registration.timeout.ms', type: 'int', default: '60000' },
  { name: 'metadata.max.idle.interval.ms', type: 'int', default: '500', check: atLeast(0) },
  { name: 'replica.lag.time.max.ms', type: 'long', default: '30000' },
  { name: 'replica.fetch.wait.max.ms', type: 'int', default: '500' },
  { name: 'replica.fetch.min.bytes', type: 'int', default: '1' },
  { name: 'replica.fetch.max.bytes', type: 'int', default: '1048576', check: atLeast(0) },
  { name: 'replica.fetch.response.max.bytes', type: 'int', default: '10485760', check: atLeast(0) },
  { name: 'replica.fetch.backoff.ms', type: 'int', default: '1000', check: atLeast(0) },
  { name: 'replica.socket.timeout.ms', type: 'int', default: '30000' },
  { name: 'replica.high.watermark.checkpoint.interval.ms', type: 'long', default: '5000' },
  { name: 'auto.leader.rebalance.enable', type: 'boolean', default: 'true' },
  { name: 'leader.imbalance.check.interval.seconds', type: 'long', default: '300', check: atLeast(1) },
  { name: 'controlled.shutdown.enable', type: 'boolean', default: 'true' },
  // Internal topics' replication; capped at the number of brokers when they are created.
  { name: 'offsets.topic.replication.factor', type: 'short', default: '3', check: atLeast(1) },
  { name: 'transaction.state.log.replication.factor', type: 'short', default: '3', check: atLeast(1) },
  { name: 'transaction.state.log.min.isr', type: 'int', default: '2', check: atLeast(1) },
  // Security (issue 13): TLS, SASL, authorization. Kafka 4.1.1's names, types and defaults. Each
  // may also be given per listener as listener.name.<listener>.<name> (SASL's JAAS and callback
  // configs per mechanism too: listener.name.<listener>.<mechanism>.sasl.jaas.config);
  // BrokerConfig.listenerGet reads them so. JKS stores are refused with a message (net/tls.ts).
  { name: 'ssl.keystore.type', type: 'string', default: 'JKS' },
  { name: 'ssl.keystore.location', type: 'string', default: null },
  { name: 'ssl.keystore.password', type: 'password', default: null, sensitive: true },
  { name: 'ssl.keystore.key', type: 'password', default: null, sensitive: true },
  { name: 'ssl.keystore.certificate.chain', type: 'password', default: null, sensitive: true },
  { name: 'ssl.key.password', type: 'password', default: null, sensitive: true },
  { name: 'ssl.truststore.type', type: 'string', default: 'JKS' },
  { name: 'ssl.truststore.location', type: 'string', default: null },
  { name: 'ssl.truststore.password', type: 'password', default: null, sensitive: true },
  { name: 'ssl.truststore.certificates', type: 'password', default: null, sensitive: true },
  { name: 'ssl.client.auth', type: 'string', default: 'none', check: oneOf('none', 'requested', 'required') },
  { name: 'ssl.protocol', type: 'string', default: 'TLSv1.3' },
  { name: 'ssl.enabled.protocols', type: 'list', default: 'TLSv1.2,TLSv1.3' },
  { name: 'ssl.cipher.suites', type: 'list', default: '' },
  { name: 'ssl.endpoint.identification.algorithm', type: 'string', default: 'https' },
  { name: 'ssl.principal.mapping.rules', type: 'string', default: 'DEFAULT' },
  { name: 'ssl.keymanager.algorithm', type: 'string', default: 'SunX509' },
  { name: 'ssl.trustmanager.algorithm', type: 'string', default: 'PKIX' },
  { name: 'ssl.provider', type: 'string', default: null },
  { name: 'ssl.secure.random.implementation', type: 'string', default: null },
  { name: 'ssl.engine.factory.class', type: 'class', default: null },
  { name: 'ssl.allow.dn.changes', type: 'boolean', default: 'false' },
  { name: 'ssl.allow.san.changes', type: 'boolean', default: 'false' },
  { name: 'sasl.enabled.mechanisms', type: 'list', default: 'GSSAPI' },
  { name: 'sasl.mechanism.inter.broker.protocol', type: 'string', default: 'GSSAPI' },
  { name: 'sasl.mechanism.controller.protocol', type: 'string', default: 'GSSAPI' },
  { name: 'sasl.jaas.config', type: 'password', default: null, sensitive: true },
  { name: 'sasl.server.callback.handler.class', type: 'class', default: null },
  { name: 'sasl.client.callback.handler.class', type: 'class', default: null },
  { name: 'sasl.login.callback.handler.class', type: 'class', default: null },
  { name: 'sasl.login.class', type: 'class', default: null },
  { name: 'sasl.kerberos.service.name', type: 'string', default: null },
  { name: 'sasl.server.max.receive.size', type: 'int', default: '524288', check: atLeast(1) },
  { name: 'sasl.oauthbearer.jwks.endpoint.url', type: 'string', default: null },
  { name: 'sasl.oauthbearer.expected.audience', type: 'list', default: null },
  { name: 'sasl.oauthbearer.expected.issuer', type: 'string', default: null },
  { name: 'sasl.oauthbearer.sub.claim.name', type: 'string', default: 'sub' },
  { name: 'sasl.oauthbearer.scope.claim.name', type: 'string', default: 'scope' },
  { name: 'sasl.oauthbearer.clock.skew.seconds', type: 'int', default: '30' },
  { name: 'connections.max.reauth.ms', type: 'long', default: '0', check: atLeast(0) },
  { name: 'connection.failed.authentication.delay.ms', type: 'int', default: '100', check: atLeast(0) },
  { name: 'principal.builder.class', type: 'class', default: 'org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder' },
  { name: 'authorizer.class.name', type: 'string', default: '' },
  // StandardAuthorizer's own settings (Kafka passes them to the authorizer from server.properties).
  { name: 'super.users', type: 'string', default: null },
  { name: 'allow.everyone.if.no.acl.found', type: 'boolean', default: 'false' },
];

/**
 * Broker configs that AlterConfigs may change at run time, per broker and cluster-wide, as in
 * Kafka: the first broker synonym of each topic config (Kafka's ServerTopicConfigSynonyms, so
 * log.retention.ms but not log.retention.hours or .minutes, log.roll.ms but not log.roll.hours),
 * the log cleaner's, thread pools', connection quotas' and producer-state configs. Others need a
 * restart and are read-only in DescribeConfigs.
 */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  ...topicConfigDefs.flatMap((d) => (d.synonyms[0] ? [d.synonyms[0].name] : [])),
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'log.cleaner.backoff.ms',
  'num.io.threads',
  'num.network.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  'metric.reporters',
  'max.connections',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  'max.connection.creation.rate',
  'producer.id.expiration.ms',
  'transaction.partition.verification.enable',
]);

export const topicConfigByName: ReadonlyMap<string, TopicConfigDef> = new Map(topicConfigDefs.map((d) => [d.name, d]));
export const brokerConfigByName: ReadonlyMap<string, ConfigDef> = new Map(brokerConfigDefs.map((d) => [d.name, d]));

/** A value as Kafka prints it in an error message: a list as [a, b]. */
export function shownValue(def: ConfigDef, value: string): string {
  return def.type === 'list' ? `[${value.split(',').map((x) => x.trim()).join(', ')}]` : value;
}

/** Checks a value against its type and extra check; returns an error message or null. */
export function checkConfigValue(def: ConfigDef, value: string, origin: 'static' | 'dynamic' = 'dynamic'): string | null {
  const v = value.trim();
  switch (def.type) {
    case 'boolean':
      // Kafka's ConfigDef wording, so that messages read the same from both brokers.
      if (v !== 'true' && v !== 'false') return 'Expected value to be either true or false';
      break;
    case 'int':
    case 'short':
    case 'long': {
      const notA = `Not a number of type ${def.type.toUpperCase()}`;
      if (!/^-?\d+$/.test(v)) return notA;
      const n = BigInt(v);
      const bits = def.type === 'short' ? 15n : def.type === 'int' ? 31n : 63n;
      if (n < -(2n ** bits) || n >= 2n ** bits) return notA;
      break;
    }
    case 'double':
      if (v === '' || !Number.isFinite(Number(v))) return 'Not a number of type DOUBLE';
      break;
    default:
      break;
  }
  const check = origin === 'static' && def.staticCheck ? def.staticCheck : def.check;
  return check ? check(v) : null;
}
