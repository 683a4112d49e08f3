/**
 * DescribeConfigs (key 32), versions 0-4, for topics (resource type 2) and this broker (4).
 *
 * A topic config's value is its override (source DYNAMIC_TOPIC_CONFIG), else the broker property
 * that stands for it when that is set (STATIC_BROKER_CONFIG, e.g. log.segment.bytes for
 * segment.bytes), else Kafka's default (DEFAULT_CONFIG). With include_synonyms each entry lists
 * every level that has a value, most specific first (KIP-226): a topic override, then each broker
 * synonym as set dynamically for this broker (DYNAMIC_BROKER_CONFIG), for the cluster
 * (DYNAMIC_DEFAULT_BROKER_CONFIG) or at start (STATIC_BROKER_CONFIG), then the default. A broker
 * resource must be named by this node's id; the empty name describes the cluster-wide dynamic
 * defaults. Broker configs that cannot change at run time are read-only.
 */
import type { BrokerConfigSource } from '../config/broker-config.js';
import { brokerConfigDefs, CONFIG_TYPE_CODE, ConfigSource, DYNAMIC_BROKER_CONFIGS, topicConfigDefs } from '../config/definitions.js';
import { ErrorCode } from '../protocol/errors.js';
import { checkTopicName } from '../metadata/controller.js';
import { DescribeConfigs, type DescribeConfigsRequest, type DescribeConfigsResponse } from '../protocol/generated/32-describe-configs.js';
import type { Broker } from '../broker.js';
import type { ApiHandler, RequestContext } from './registry.js';

type ConfigEntry = DescribeConfigsResponse['results'][number]['configs'][number];
type Synonym = ConfigEntry['synonyms'][number];

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;

function entry(name: string, value: string | null, source: number, type: keyof typeof CONFIG_TYPE_CODE, readOnly: boolean, synonyms: Synonym[], sensitive = false): ConfigEntry {
  return {
    name,
    value: sensitive ? null : value,
    readOnly,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: sensitive,
    synonyms,
    configType: CONFIG_TYPE_CODE[type],
    documentation: null,
  };
}

/** Every topic config (or those in `keys`) for a topic with these overrides. */
export function describeTopicConfigs(b: Broker, overrides: ReadonlyMap<string, string>, keys: readonly string[] | null, includeSynonyms = false): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const def of topicConfigDefs) {
    if (keys !== null && !keys.includes(def.name)) continue;
    const synonyms: Synonym[] = [];
    const override = overrides.get(def.name);
    if (override !== undefined) synonyms.push({ name: def.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    for (const syn of def.synonyms) synonyms.push(...brokerSynonyms(b, syn.name));
    synonyms.push({ name: def.name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
    const fallback = b.config.topicDefault(def.name);
    const value = override ?? fallback.value;
    const source = override !== undefined ? ConfigSource.DYNAMIC_TOPIC_CONFIG : SOURCE_CODE[fallback.source];
    out.push(entry(def.name, value, source, def.type, false, includeSynonyms ? synonyms : []));
  }
  return out;
}

const SOURCE_CODE: Record<BrokerConfigSource, number> = {
  'dynamic-broker': ConfigSource.DYNAMIC_BROKER_CONFIG,
  'dynamic-default': ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
  static: ConfigSource.STATIC_BROKER_CONFIG,
  default: ConfigSource.DEFAULT_CONFIG,
};

/** Every level at which a broker property has a value, most specific first (without the default). */
function brokerSynonyms(b: Broker, name: string): Synonym[] {
  const out: Synonym[] = [];
  const d = b.image.brokerConfigs;
  const node = d.get(String(b.nodeId))?.get(name);
  if (node !== undefined) out.push({ name, value: node, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
  const cluster = d.get('')?.get(name);
  if (cluster !== undefined) out.push({ name, value: cluster, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
  const fixed = b.config.explicit.get(name);
  if (fixed !== undefined) out.push({ name, value: fixed, source: ConfigSource.STATIC_BROKER_CONFIG });
  return out;
}

function describeBrokerConfigs(b: Broker, keys: readonly string[] | null, includeSynonyms: boolean, only?: ReadonlyMap<string, string>): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const def of brokerConfigDefs) {
    if (keys !== null && !keys.includes(def.name)) continue;
    if (only !== undefined && !only.has(def.name)) continue;
    const value = only?.get(def.name) ?? b.config.get(def.name);
    const source = only !== undefined ? ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG : SOURCE_CODE[b.config.sourceOf(def.name)];
    const synonyms: Synonym[] = includeSynonyms ? [...brokerSynonyms(b, def.name), { name: def.name, value: def.default, source: ConfigSource.DEFAULT_CONFIG }] : [];
    out.push(entry(def.name, value, source, def.type, !DYNAMIC_BROKER_CONFIGS.has(def.name), synonyms, def.sensitive ?? false));
  }
  return out;
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
      if (r.resourceType === RESOURCE_TOPIC) {
        const illegal = checkTopicName(r.resourceName);
        if (illegal !== null) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, illegal);
        const t = b.image.topicsByName.get(r.resourceName);
        if (!t) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${r.resourceName}' does not exist.`);
        // Kafka answers a described resource with an empty (not null) error message.
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: forVersion(describeTopicConfigs(b, t.configs, r.configurationKeys, req.includeSynonyms)) };
      }
      if (r.resourceType === RESOURCE_BROKER) {
        if (r.resourceName === '') {
          // The cluster-wide dynamic defaults.
          const cluster = b.image.brokerConfigs.get('') ?? new Map<string, string>();
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: forVersion(describeBrokerConfigs(b, r.configurationKeys, req.includeSynonyms, cluster)) };
        }
        if (r.resourceName !== String(b.nodeId)) {
          return failed(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${b.nodeId} or empty string, but received ${r.resourceName}`);
        }
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: forVersion(describeBrokerConfigs(b, r.configurationKeys, req.includeSynonyms)) };
      }
      return failed(ErrorCode.INVALID_REQUEST, `Resource type ${r.resourceType} is not supported; use 2 (topic) or 4 (broker).`);
    });
    return { throttleTimeMs: 0, results };
  },
};
