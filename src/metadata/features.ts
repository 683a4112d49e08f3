/**
 * Cluster features (KIP-584), as Kafka 4.1 names them: what this Sluice supports, what `sluice
 * format` finalizes by default, and what ApiVersions v3+ reports.
 *
 * Finalized levels are FeatureLevel records in the metadata log (written at format and by
 * UpdateFeatures, replayed into the image); a feature with no record is at level 0. Kafka 4.1's
 * `kafka-storage format` finalizes group.version=1, transaction.version=2 and
 * eligible.leader.replicas.version=1 (checked against
 * the reference broker: its ApiVersions lists exactly those, with metadata.version 27). Sluice
 * finalizes the first two by default: transaction.version=2 makes Java 4.x producers use
 * transactions v2 (KIP-890 part 2: EndTxn v5, Produce v12 adds partitions implicitly) and
 * group.version=1 tells clients the KIP-848 consumer protocol may be used; it also finalizes
 * share.version=1 (KIP-932 share groups), which Kafka 4.1 leaves at 0. Eligible leader replicas
 * (KIP-966) and KIP-853 dynamic quorums are not implemented, so those features are supported at
 * level 0 only.
 *
 * metadata.version is not a record here: Sluice's metadata log has its own format
 * (sluice.metadata.version, internal, not reported to clients); every Sluice answers as Kafka
 * 4.1-IV1 (level 27) does, so ApiVersions reports that level as supported and finalized.
 */

export interface FeatureSpec {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The level `sluice format` records unless told otherwise (0: no record). */
  readonly formatLevel: number;
}

/** Kafka 4.1-IV1: the metadata.version whose request versions and behaviours Sluice follows. */
export const METADATA_VERSION_LEVEL = 27;

/** Our own metadata log format; recorded at format, checked at broker registration, never shown to clients. */
export const SLUICE_METADATA_VERSION = 'sluice.metadata.version';

/** Features kept as FeatureLevel records, in the order they are written at format. */
export const RECORDED_FEATURES: readonly FeatureSpec[] = [
  { name: SLUICE_METADATA_VERSION, minVersion: 1, maxVersion: 1, formatLevel: 1 },
  { name: 'group.version', minVersion: 0, maxVersion: 1, formatLevel: 1 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 2, formatLevel: 2 },
  // KIP-932 share groups. Kafka 4.1 supports 0-1 and finalizes 0 at format (share groups are a
  // preview there: `--feature share.version=1` turns them on); Sluice finalizes 1, so a dev broker
  // serves share consumers from the start (README: differences from Kafka).
  { name: 'share.version', minVersion: 0, maxVersion: 1, formatLevel: 1 },
];

/** What the share APIs answer (with UNSUPPORTED_VERSION, as Kafka 4.1) while share.version is 0. */
export const SHARE_GROUPS_DISABLED = 'Share groups are not enabled: the share.version feature is 0 (format with --feature share.version=1).';

/** Whether share groups are on: share.version finalized at 1 or more (Kafka 4.1's ShareVersion.supportsShareGroups). */
export function shareGroupsEnabled(levels: ReadonlyMap<string, number>): boolean {
  return (levels.get('share.version') ?? 0) >= 1;
}

/** Whether the KIP-848 consumer protocol is on: group.version finalized at 1 or more (Kafka's GroupVersion.isConsumerRebalanceProtocolSupported). */
export function consumerGroupsEnabled(levels: ReadonlyMap<string, number>): boolean {
  return (levels.get('group.version') ?? 0) >= 1;
}

/** Features this Sluice knows at level 0 only (not implemented). */
const LEVEL_ZERO_FEATURES = ['kraft.version', 'eligible.leader.replicas.version'];

/** The levels `sluice format` records: the defaults, with `overrides` (`--feature name=level`) applied. Throws on an unknown name or a level out of range. */
export function formatFeatures(overrides: Readonly<Record<string, number>> = {}): Array<{ name: string; level: number }> {
  for (const [name, level] of Object.entries(overrides)) {
    const spec = RECORDED_FEATURES.find((f) => f.name === name);
    const known = spec ?? (LEVEL_ZERO_FEATURES.includes(name) ? { name, minVersion: 0, maxVersion: 0 } : undefined);
    if (!known || name === SLUICE_METADATA_VERSION) {
      throw new Error(`unknown feature ${name}: the features that can be set are ${RECORDED_FEATURES.filter((f) => f.name !== SLUICE_METADATA_VERSION).map((f) => f.name).join(', ')}`);
    }
    if (!Number.isInteger(level) || level < known.minVersion || level > known.maxVersion) {
      throw new Error(`feature ${name}: level ${level} is not supported (${known.minVersion}-${known.maxVersion})`);
    }
  }
  return RECORDED_FEATURES.map((f) => ({ name: f.name, level: overrides[f.name] ?? f.formatLevel })).filter((f) => f.level > 0);
}

/** The ranges a broker registers with (every feature the controller may have finalized). */
export function registeredFeatureRanges(): Array<{ name: string; minSupportedVersion: number; maxSupportedVersion: number }> {
  return RECORDED_FEATURES.map((f) => ({ name: f.name, minSupportedVersion: f.minVersion, maxSupportedVersion: f.maxVersion }));
}

/** ApiVersions' SupportedFeatures: Kafka's feature names and the ranges this Sluice supports. */
export function apiSupportedFeatures(): Array<{ name: string; minVersion: number; maxVersion: number }> {
  return [
    { name: 'metadata.version', minVersion: METADATA_VERSION_LEVEL, maxVersion: METADATA_VERSION_LEVEL },
    ...RECORDED_FEATURES.filter((f) => f.name !== SLUICE_METADATA_VERSION).map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion })),
    ...LEVEL_ZERO_FEATURES.map((name) => ({ name, minVersion: 0, maxVersion: 0 })),
  ];
}

/** ApiVersions' FinalizedFeatures from the image's levels: those above 0, and metadata.version. */
export function apiFinalizedFeatures(levels: ReadonlyMap<string, number>): Array<{ name: string; maxVersionLevel: number; minVersionLevel: number }> {
  const out = [{ name: 'metadata.version', maxVersionLevel: METADATA_VERSION_LEVEL, minVersionLevel: METADATA_VERSION_LEVEL }];
  for (const [name, level] of levels) {
    if (name === SLUICE_METADATA_VERSION || level <= 0) continue;
    out.push({ name, maxVersionLevel: level, minVersionLevel: level });
  }
  return out;
}

/** The finalized transaction.version (0 when not recorded: a cluster formatted before it existed). */
export function transactionVersion(levels: ReadonlyMap<string, number>): number {
  return levels.get('transaction.version') ?? 0;
}

/**
 * The levels this Sluice supports of a feature Kafka names (Kafka's QuorumFeatures
 * localSupportedFeature): metadata.version 27 only, the recorded features' ranges, the features
 * it does not implement at 0 only; undefined for a name Kafka does not know.
 */
export function supportedLevels(name: string): { min: number; max: number } | undefined {
  const f = apiSupportedFeatures().find((x) => x.name === name);
  return f && { min: f.minVersion, max: f.maxVersion };
}

/** Features UpdateFeatures may set in the metadata log (the rest are answered without a record). */
export function isRecordedFeature(name: string): boolean {
  return name !== SLUICE_METADATA_VERSION && RECORDED_FEATURES.some((f) => f.name === name);
}

