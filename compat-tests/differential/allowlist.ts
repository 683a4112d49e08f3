/**
 * The differences between Apache Kafka and Sluice that the differential suite accepts, each with
 * its reason. Everything else that differs fails the suite, and an entry that no longer matches a
 * difference fails it too (so this list stays the true list). Each reason is a deliberate choice
 * the README documents under "Where Sluice differs from Kafka".
 *
 * `observation` matches the whole name `<scenario>/<observation>`.
 */
export interface AllowEntry {
  readonly observation: RegExp;
  readonly reason: string;
}

export const ALLOWLIST: readonly AllowEntry[] = [
  // -- Data path (produce, fetch, list-offsets) ------------------------------------------------
  {
    observation: /^produce-removed-version\/v[02]$/,
    reason: 'Kafka 4 advertises Produce min 0 (for librdkafka, KAFKA-18659) but closes the connection on v0-2; Sluice answers each partition with UNSUPPORTED_VERSION instead, which tells a client why.',
  },
  {
    observation: /^(list-offsets-removed-version\/v0|admin-removed-versions\/(create-topics\/v1|delete-topics\/v0|describe-configs\/v0))$/,
    reason: 'Sluice still serves the versions Kafka 4 removed (KIP-896: ListOffsets v0, CreateTopics v0-1, DeleteTopics v0, DescribeConfigs v0) for older clients; Kafka 4 closes the connection.',
  },
  {
    observation: /^produce-errors\/messages$/,
    reason: 'Sluice explains produce errors in error_message (v8+) where Kafka sends null (unknown topic or partition, corrupt, oversized or magic-1 batches); clients only log the text.',
  },
  {
    observation: /^produce-null-records\/v9$/,
    reason: 'Kafka 4.1 sends no answer (within 3 s, connection left open) to a Produce whose partition carries null records; Sluice answers INVALID_RECORD.',
  },
  {
    observation: /^produce-errors\/trailing-partial-batch$/,
    reason: 'A whole batch followed by a partial one: Kafka silently drops the partial bytes and appends the batch; Sluice refuses the payload with CORRUPT_MESSAGE (src/native/batch.ts), since no well-behaved client sends one.',
  },
  {
    observation: /^fetch-max-bytes\/v\d+\/(room-for-one|max-bytes-for-one)$/,
    reason: 'Sluice returns whole batches only; Kafka fills the byte budget with the raw log, ending in a truncated batch that clients drop. The records a client sees are the same.',
  },
  {
    observation: /^list-offsets\/bad-isolation$/,
    reason: 'ListOffsets with isolation_level 3: Kafka fails the partition with UNKNOWN_SERVER_ERROR (IsolationLevel.forId throws); Sluice reads any value but 1 as READ_UNCOMMITTED.',
  },
  {
    observation: /^metadata-topics\/v\d+\/auto\/first$/,
    reason: 'Auto-creation by Metadata: Kafka forwards the creation to its controller and answers UNKNOWN_TOPIC_OR_PARTITION until the next request; Sluice creates the topic synchronously and answers it with its partitions at once (clients retry either way).',
  },
  // -- Topic configs --------------------------------------------------------------------------
  {
    observation: /^(create-topics-(counts|configs)\/real\/[a-z-]+\/config|describe-configs\/v4\/topic-all)\/compression\.(gzip|lz4|zstd)\.level$/,
    reason: 'Not implemented yet: per-codec compression levels (KIP-390, Kafka 3.8); Sluice stores batches as produced and does not list these configs.',
  },
  {
    observation: /^(create-topics-(counts|configs)\/real\/[a-z-]+\/config|describe-configs\/v4\/topic-all)\/(local\.retention\.(bytes|ms)|remote\.storage\.enable|remote\.log\.(copy|delete\.on)\.disable)$/,
    reason: 'Not implemented: Sluice has no tiered storage (KIP-405), so it does not list the local.retention.* and remote.* topic configs.',
  },
  {
    observation: /^(create-topics-(counts|configs)\/real\/[a-z-]+\/config|describe-configs\/v\d\/topic|describe-configs\/v4\/topic-all)\/min\.insync\.replicas$/,
    reason: 'Kafka 4.1 holds a cluster-level dynamic default min.insync.replicas=1 (written for Eligible Leader Replicas, KIP-966; DescribeConfigs of broker "" shows it), so it reports source DYNAMIC_DEFAULT_BROKER_CONFIG (3); Sluice has no such record and reports DEFAULT_CONFIG (5). Same value.',
  },
  {
    observation: /^describe-configs\/v4\/documentation$/,
    reason: 'Not implemented: Sluice carries no config documentation strings (include_documentation answers null).',
  },
  // -- Broker configs -------------------------------------------------------------------------
  {
    observation: /^describe-configs\/v\d\/broker\/(broker\.id|ssl\.key\.password|offsets\.topic\.replication\.factor)$/,
    reason: 'Not implemented yet: Sluice lists only the broker settings it implements (src/config/definitions.ts); broker.id (an alias of node.id), ssl.key.password and offsets.topic.replication.factor are not among them.',
  },
  {
    observation: /^describe-configs\/v\d\/broker\/node\.id$/,
    reason: 'The reference launcher writes node.id into Kafka\'s server.properties (STATIC_BROKER_CONFIG, 4); Sluice runs on its default node id (DEFAULT_CONFIG, 5). Same value.',
  },
  // PENDING-div: differences the helper `div` is fixing in Sluice; remove each when it lands.
  {
    observation: /^(create-topics-(counts|configs)\/real\/[a-z-]+\/config|describe-configs\/v4\/topic-all)\/(leader|follower)\.replication\.throttled\.replicas$/,
    reason: 'PENDING-div: leader/follower.replication.throttled.replicas are not listed by Sluice yet.',
  },
  {
    observation: /^produce-timestamp-bounds\/ts-(future|negative)$/,
    reason: 'PENDING-div: record timestamp bounds (log.message.timestamp.after/before.max.ms): Kafka accepts a negative timestamp and prints its lower bound from Long.MAX_VALUE; Sluice clamps the bound at 0.',
  },
  {
    observation: /^describe-configs\/v\d\/broker\/log\.retention\.hours$/,
    reason: 'PENDING-div: broker dynamic configs: Kafka reports log.retention.hours read-only (only log.retention.ms is dynamic); Sluice reports it dynamic.',
  },
  // end PENDING-div
];

export function allowed(observation: string): AllowEntry | undefined {
  return ALLOWLIST.find((e) => e.observation.test(observation));
}
