/**
 * DescribeConfigs (key 32), versions 0-4, for topics (resource type 2) and this broker (4), as
 * Kafka 4.1.1 answers (differential scenario div-describe-synonyms).
 *
 * A topic config's value is its override, else what its broker properties give, else the default.
 * Synonyms (include_synonyms, KIP-226) and the config source follow Kafka's ConfigHelper: the topic
 * override (DYNAMIC_TOPIC_CONFIG), then the levels of the topic config's broker property and that
 * property's own synonyms (log.retention.ms with .minutes and .hours): per-broker dynamic
 * (DYNAMIC_BROKER_CONFIG), cluster-wide dynamic (DYNAMIC_DEFAULT_BROKER_CONFIG), server.properties
 * (STATIC_BROKER_CONFIG), then the defaults (DEFAULT_CONFIG), always named by the broker property,
 * from the first entry that names the property itself. The source is the first synonym's, else
 * DEFAULT_CONFIG. A topic config with no broker property (the replication throttles) lists no
 * default level. A broker resource must be named by this node's id; the empty name describes the
 * cluster-wide dynamic defaults that are set. Broker configs that cannot change at run time are
 * read-only. include_documentation (v3+) returns src/config/documentation.ts's text. A group
 * (resource type 32, KIP-848) lists its consumer.* configs: its own value (GROUP_CONFIG) or the
 * broker's group.consumer.* default (DEFAULT_CONFIG), each its own synonym, as Kafka 4.1.1 does;
 * the group need not exist.
 */
import { brokerConfigByName, brokerConfigDefs, CONFIG_TYPE_CODE, ConfigSource, DYNAMIC_BROKER_CONFIGS, GROUP_CONFIGS, topicConfigDefs } from '../config/definitions.js';
import { brokerConfigDoc, topicConfigDoc } from '../config/documentation.js';
import { CLIENT_METRICS_INTERVAL_MS, CLIENT_METRICS_MATCH, CLIENT_METRICS_METRICS, PUSH_INTERVAL_MS_DEFAULT } from '../config/client-metrics.js';
import { ErrorCode } from '../protocol/errors.js';
import { checkTopicName } from '../metadata/controller.js';
import { DescribeConfigs, type DescribeConfigsRequest, type DescribeConfigsResponse } from '../protocol/generated/32-describe-configs.js';
import type { BrokerServices } from './context.js';
import { configAuthorizationError, RESOURCE_CLIENT_METRICS, RESOURCE_GROUP } from './alter-configs-common.js';
import { Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

type ConfigEntry = DescribeConfigsResponse['results'][number]['configs'][number];
type Synonym = ConfigEntry['synonyms'][number];

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const CLIENT_METRICS_CONFIG_DEFS: ReadonlyArray<{ name: string; type: 'int' | 'list'; default: string }> = [
  { name: CLIENT_METRICS_METRICS, type: 'list', default: '' },
  { name: CLIENT_METRICS_INTERVAL_MS, type: 'int', default: String(PUSH_INTERVAL_MS_DEFAULT) },
  { name: CLIENT_METRICS_MATCH, type: 'list', default: '' },
];

function entry(name: string, value: string | null, source: number, type: keyof typeof CONFIG_TYPE_CODE, readOnly: boolean, synonyms: Synonym[], sensitive: boolean, documentation: string | null): ConfigEntry {
  return {
    name,
    value: sensitive ? null : value,
    readOnly,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: sensitive,
    synonyms,
    configType: CONFIG_TYPE_CODE[type],
    documentation,
  };
}

/**
 * Broker properties that stand for one another (Kafka's DynamicBrokerConfig.brokerConfigSynonyms),
 * most specific first; a property outside these groups is its own only synonym.
 */
const BROKER_SYNONYM_GROUPS: ReadonlyArray<readonly string[]> = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
];

function brokerSynonymNames(name: string): readonly string[] {
  return BROKER_SYNONYM_GROUPS.find((g) => g.includes(name)) ?? [name];
}

/**
 * The levels at which `name` or its synonyms have a value, as Kafka's ConfigHelper lists them: all
 * per-broker dynamic values (DYNAMIC_BROKER_CONFIG), then the cluster-wide ones
 * (DYNAMIC_DEFAULT_BROKER_CONFIG), then server.properties (STATIC_BROKER_CONFIG), then the
 * defaults (DEFAULT_CONFIG), each level in synonym order; everything before the first entry named
 * `name` itself is dropped. So retention.ms's list starts at log.retention.ms and is empty when
 * only log.retention.hours has a value (its default, 168): Kafka's quirk, kept.
 */
function configSynonyms(b: BrokerServices, name: string, sensitive: boolean): Synonym[] {
  const names = brokerSynonymNames(name);
  const d = b.image.brokerConfigs;
  const levels: Array<[(n: string) => string | null | undefined, number]> = [
    [(n) => d.get(String(b.nodeId))?.get(n), ConfigSource.DYNAMIC_BROKER_CONFIG],
    [(n) => d.get('')?.get(n), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [(n) => b.config.explicit.get(n), ConfigSource.STATIC_BROKER_CONFIG],
    [(n) => brokerConfigByName.get(n)?.default, ConfigSource.DEFAULT_CONFIG],
  ];
  const out: Synonym[] = [];
  for (const [lookup, source] of levels) {
    for (const n of names) {
      const value = lookup(n);
      if (value !== undefined && value !== null) out.push({ name: n, value: sensitive ? null : value, source });
    }
  }
  const first = out.findIndex((s) => s.name === name);
  return first < 0 ? [] : out.slice(first);
}

/**
 * Every topic config (or those in `keys`) for a topic with these overrides. The synonyms are the
 * topic override, then the levels of the topic config's broker property (Kafka's
 * ServerTopicConfigSynonyms: the first synonym); the source is the first synonym's, else
 * DEFAULT_CONFIG. A topic config without a broker property lists no default level.
 */
export function describeTopicConfigs(b: BrokerServices, overrides: ReadonlyMap<string, string>, keys: readonly string[] | null, includeSynonyms = false, includeDocumentation = false): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const def of topicConfigDefs) {
    if (keys !== null && !keys.includes(def.name)) continue;
    const sensitive = def.sensitive ?? false;
    const primary = def.synonyms[0]?.name;
    const synonyms: Synonym[] = primary === undefined ? [] : configSynonyms(b, primary, sensitive);
    const override = overrides.get(def.name);
    if (def.internal && override === undefined) continue;
    if (override !== undefined) synonyms.unshift({ name: def.name, value: sensitive ? null : override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    const value = override ?? b.config.topicDefault(def.name).value;
    const source = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    out.push(entry(def.name, value, source, def.type, false, includeSynonyms ? synonyms : [], sensitive, includeDocumentation ? topicConfigDoc(def.name) : null));
  }
  return out;
}

/**
 * Broker configs of this node (`perBroker`) or, for the empty resource name, the cluster-wide
 * dynamic defaults that are set (only those, with only that level as synonym).
 */
function describeBrokerConfigs(b: BrokerServices, keys: readonly string[] | null, includeSynonyms: boolean, includeDocumentation: boolean, perBroker: boolean): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  const cluster = b.image.brokerConfigs.get('') ?? new Map<string, string>();
  for (const def of brokerConfigDefs) {
    if (keys !== null && !keys.includes(def.name)) continue;
    if (!perBroker && !cluster.has(def.name)) continue;
    const sensitive = def.sensitive ?? false;
    const all = configSynonyms(b, def.name, sensitive).filter((s) => perBroker || s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    const value = perBroker ? b.config.get(def.name) : cluster.get(def.name)!;
    const source = all[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    out.push(entry(def.name, value, source, def.type, !DYNAMIC_BROKER_CONFIGS.has(def.name), includeSynonyms ? all : [], sensitive, includeDocumentation ? brokerConfigDoc(def.name) : null));
  }
  return out;
}

/**
 * A client metrics subscription (resource type 16, KIP-714), as Kafka 4.1.1 lists one: its three
 * configs, those set with source CLIENT_METRICS_CONFIG (and themselves as their one synonym), the
 * others with their defaults (DEFAULT_CONFIG); a name with nothing set (no subscription) lists the
 * defaults; the empty name is INVALID_REQUEST.
 */
function describeClientMetrics(b: BrokerServices, name: string, keys: readonly string[] | null, includeSynonyms: boolean): { errorCode: number; errorMessage: string | null; configs: ConfigEntry[] } {
  if (name === '') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Client metrics subscription name must not be empty', configs: [] };
  const set = b.image.clientMetricsConfigs.get(name) ?? new Map<string, string>();
  const configs = CLIENT_METRICS_CONFIG_DEFS.filter((def) => keys === null || keys.includes(def.name)).map((def): ConfigEntry => {
    const value = set.get(def.name);
    if (value === undefined) return entry(def.name, def.default, ConfigSource.DEFAULT_CONFIG, def.type, false, [], false, null);
    return entry(def.name, value, ConfigSource.CLIENT_METRICS_CONFIG, def.type, false, includeSynonyms ? [{ name: def.name, value, source: ConfigSource.CLIENT_METRICS_CONFIG }] : [], false, null);
  });
  return { errorCode: ErrorCode.NONE, errorMessage: '', configs };
}

function describeGroupConfigs(b: BrokerServices, groupId: string, keys: readonly string[] | null, includeSynonyms: boolean, includeDocumentation: boolean): ConfigEntry[] {
  const set = b.image.groupConfigs.get(groupId);
  return GROUP_CONFIGS.filter((d) => keys === null || keys.includes(d.name)).map((d) => {
    const own = set?.get(d.name);
    const value = own ?? (d.type === 'int' ? String(b.config.get(d.broker)) : d.default);
    const source = own !== undefined ? ConfigSource.GROUP_CONFIG : ConfigSource.DEFAULT_CONFIG;
    return entry(d.name, value, source, d.type, false, includeSynonyms ? [{ name: d.name, value, source }] : [], false, includeDocumentation ? d.doc : null);
  });
}

export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  codec: DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(req: DescribeConfigsRequest, ctx: RequestContext): DescribeConfigsResponse {
    const b = ctx.broker;
    const v = ctx.apiVersion;
    // is_default exists only in v0 (v1+ carries the source instead) and may not be dropped.
    const forVersion = (configs: ConfigEntry[]): ConfigEntry[] => (v === 0 ? configs : configs.map((c) => ({ ...c, isDefault: false })));
    const results = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const failed = (errorCode: number, errorMessage: string) => ({ ...base, errorCode, errorMessage, configs: [] });
      // Issue 13: DESCRIBE_CONFIGS on the topic, or on the cluster for a broker.
      const denied = configAuthorizationError(ctx, Op.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (denied) return failed(denied.errorCode, denied.errorMessage);
      if (r.resourceType === RESOURCE_TOPIC) {
        // Kafka answers a described resource with an empty (not null) error message.
        const illegal = checkTopicName(r.resourceName);
        if (illegal !== null) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, illegal);
        const t = b.image.topicsByName.get(r.resourceName);
        if (!t) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${r.resourceName}' does not exist.`);
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: forVersion(describeTopicConfigs(b, t.configs, r.configurationKeys, req.includeSynonyms, req.includeDocumentation)) };
      }
      if (r.resourceType === RESOURCE_BROKER) {
        if (r.resourceName === '') {
          // The cluster-wide dynamic defaults.
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: forVersion(describeBrokerConfigs(b, r.configurationKeys, req.includeSynonyms, req.includeDocumentation, false)) };
        }
        if (r.resourceName !== String(b.nodeId)) {
          return failed(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${b.nodeId} or empty string, but received ${r.resourceName}`);
        }
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: forVersion(describeBrokerConfigs(b, r.configurationKeys, req.includeSynonyms, req.includeDocumentation, true)) };
      }
      if (r.resourceType === RESOURCE_CLIENT_METRICS) {
        const described = describeClientMetrics(b, r.resourceName, r.configurationKeys, req.includeSynonyms);
        return { ...base, ...described, configs: forVersion(described.configs) };
      }
      if (r.resourceType === RESOURCE_GROUP) {
        if (r.resourceName === '') return failed(ErrorCode.INVALID_REQUEST, 'Group name must not be empty.');
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: forVersion(describeGroupConfigs(b, r.resourceName, r.configurationKeys, req.includeSynonyms, req.includeDocumentation)) };
      }
      return failed(ErrorCode.INVALID_REQUEST, `Resource type ${r.resourceType} is not supported; use 2 (topic), 4 (broker), 16 (client metrics) or 32 (group).`);
    });
    return { throttleTimeMs: 0, results };
  },
};
