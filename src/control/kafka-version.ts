/**
 * Advertising an older Kafka release's API ranges (`--kafka-version 2.8`, `startBroker({kafkaVersion})`,
 * `PUT /kafka-version`): ApiVersions then lists, for every API that release's broker advertised
 * (kafka-releases.ts, recorded by running it), the intersection of its range with what Sluice
 * serves, and a request outside those ranges is refused as Kafka refuses a version it does not know
 * (the connection is closed; ApiVersions itself is answered UNSUPPORTED_VERSION with its range).
 * APIs newer than the release are not advertised and not served.
 *
 * Where Sluice cannot serve what the release had (an API Sluice has not got, such as a ZooKeeper
 * broker's inter-broker APIs, or versions below Sluice's lowest, which Kafka 4 removed with
 * KIP-896) the gap is listed in `gaps`, so a test knows what the emulation leaves out.
 */
import { ConfigError } from '../config/config-error.js';
import { apiCodecs } from '../protocol/generated/index.js';
import { KAFKA_RELEASES } from './kafka-releases.js';

export interface ApiRangeGap {
  apiKey: number;
  apiName: string;
  /** The release's range. */
  release: [number, number];
  /** Sluice's range, or null when Sluice does not serve the API at all. */
  sluice: [number, number] | null;
  /** What else to know, e.g. versions advertised but refused. */
  note?: string;
}

export interface KafkaVersionView {
  /** The release line emulated ("2.8", ...), or null: Sluice's own ranges. */
  version: string | null;
  /** The patch release its ranges were recorded from, and how it ran. */
  source: string | null;
  mode: 'zk' | 'kraft' | null;
  /** What ApiVersions advertises now. */
  apis: Array<{ apiKey: number; apiName: string; minVersion: number; maxVersion: number }>;
  /** Where the release had versions Sluice cannot serve. */
  gaps: ApiRangeGap[];
}

/** Inter-broker APIs of older releases that Sluice has no codec for. */
const OTHER_NAMES: Readonly<Record<number, string>> = { 4: 'LeaderAndIsr', 5: 'StopReplica', 6: 'UpdateMetadata', 7: 'ControlledShutdown', 58: 'Envelope', 70: 'ControllerRegistration', 73: 'AssignReplicasToDirs' };

export function apiName(apiKey: number): string {
  return apiCodecs.get(apiKey)?.name ?? OTHER_NAMES[apiKey] ?? `api-${apiKey}`;
}

/** The release lines that can be advertised, oldest first. */
export function kafkaVersions(): string[] {
  return Object.keys(KAFKA_RELEASES);
}

/** "3.9", "3.9.1" or "3.9.0" -> "3.9"; a ConfigError naming the lines for anything else. */
export function releaseLine(version: string): string {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(version.trim());
  const line = m ? `${m[1]}.${m[2]}` : '';
  if (!KAFKA_RELEASES[line]) throw new ConfigError(`--kafka-version ${version}: not a recorded Kafka release; one of ${kafkaVersions().join(', ')}`);
  return line;
}

export interface ServedRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/**
 * The ranges to advertise for `version` given what Sluice serves (`own`, from the handler
 * registrations), and the gaps.
 */
export function rangesFor(version: string, own: readonly ServedRange[]): { ranges: Map<number, { minVersion: number; maxVersion: number }>; gaps: ApiRangeGap[] } {
  const release = KAFKA_RELEASES[releaseLine(version)]!;
  const ours = new Map(own.map((r) => [r.apiKey, r]));
  const ranges = new Map<number, { minVersion: number; maxVersion: number }>();
  const gaps: ApiRangeGap[] = [];
  for (const [apiKey, lo, hi] of release.apis) {
    const o = ours.get(apiKey);
    const name = apiName(apiKey);
    if (!o) {
      gaps.push({ apiKey, apiName: name, release: [lo, hi], sluice: null });
      continue;
    }
    const min = Math.max(lo, o.minVersion);
    const max = Math.min(hi, o.maxVersion);
    if (min > max) {
      gaps.push({ apiKey, apiName: name, release: [lo, hi], sluice: [o.minVersion, o.maxVersion] });
      continue;
    }
    if (min !== lo || max !== hi) gaps.push({ apiKey, apiName: name, release: [lo, hi], sluice: [o.minVersion, o.maxVersion] });
    else if (apiKey === 0 && lo < 3) {
      // Produce v0-2 are advertised (librdkafka needs the range to start at 0) but answered
      // UNSUPPORTED_VERSION per partition, as Kafka 4 does (api/00-produce.ts).
      gaps.push({ apiKey, apiName: name, release: [lo, hi], sluice: [o.minVersion, o.maxVersion], note: 'v0-2 are advertised but answered UNSUPPORTED_VERSION per partition, as Kafka 4 answers them' });
    }
    ranges.set(apiKey, { minVersion: min, maxVersion: max });
  }
  return { ranges, gaps };
}
