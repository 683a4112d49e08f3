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
  // ApiVersions: what each broker serves (scenario api-versions, one observation per API key).
  {
    observation: /^api-versions\/key(8|9|19|20|32|35)$/,
    reason:
      'Sluice still serves the request versions Kafka 4.0 removed (KIP-896: OffsetCommit, OffsetFetch, CreateTopics, DeleteTopics, DescribeConfigs, DescribeLogDirs v0/v1): Debian\'s kafka-python 2.0.2 and other older clients send them, and a dev broker should take every client people still run',
  },
  {
    observation: /^api-versions\/key2$/,
    reason: 'ListOffsets serves 0-10 where Kafka 4.1 serves 1-10: Sluice keeps v0 (KIP-896, see above)',
  },
  {
    observation: /^api-versions\/key(71|72)$/,
    reason:
      'Client telemetry (KIP-714): Kafka serves GetTelemetrySubscriptions and PushTelemetry only with a telemetry receiver plugin (a ClientTelemetry metrics reporter), which the differential Kafka does not load; Sluice is its own receiver (the inspector and GET /telemetry show what clients push), so it always serves them. Their answers are compared with a Kafka that has a receiver in telemetry-differential.test.ts',
  },
  {
    observation: /^api-versions\/key(34|55|64|80|81)$/,
    reason:
      'not served yet, issue 12 (several brokers): AlterReplicaLogDirs, DescribeQuorum, UnregisterBroker and the raft voter APIs belong to the replica layer and the KRaft quorum',
  },
  {
    observation: /^api-versions\/key(38|39|40|41)$/,
    reason: 'not served yet, issue 13 (security): delegation tokens (38-41)',
  },
  {
    observation: /^api-versions\/key(48|49)$/,
    reason: 'client quotas (DescribeClientQuotas, AlterClientQuotas) are not implemented; Sluice throttles nobody (README, not yet)',
  },
  {
    observation: /^consumer-group-configs\/describe-unset$/,
    reason: 'Dev-friendly default: KIP-848 members are told to heartbeat every second (group.consumer.heartbeat.interval.ms=1000; Kafka 5000), so a rebalance completes in about a second.',
  },
  // Features (scenario features, KIP-584; src/metadata/features.ts).
  {
    observation: /^features\/v[34]\/supported\/metadata\.version$/,
    reason:
      'Sluice answers as Kafka 4.1-IV1 (metadata.version 27) only: its metadata log has its own format, and it cannot be downgraded (UpdateFeatures refuses other levels), so it reports 27-27 where Kafka supports 7-27',
  },
  {
    observation: /^features\/(v4\/supported\/(kraft|eligible\.leader\.replicas)\.version|v[34]\/finalized\/eligible\.leader\.replicas\.version)$/,
    reason:
      'KIP-853 dynamic quorums (kraft.version) and eligible leader replicas (KIP-966) are not implemented: Sluice supports those features at level 0 only, and its format does not finalize eligible.leader.replicas.version=1 as Kafka 4.1 does',
  },
  {
    observation: /^features\/v[34]\/finalized\/share\.version$/,
    reason:
      'Dev-friendly default: Sluice\'s format finalizes share.version=1, so share consumers work on a new broker; Kafka 4.1 leaves it at 0 (share groups are a preview there, turned on with --feature share.version=1). Share groups are compared with such a Kafka in share-differential.test.ts',
  },
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
    observation: /^(create-topics-(counts|configs)\/real\/[a-z-]+\/config|describe-configs\/v4\/topic-all)\/(local\.retention\.(bytes|ms)|remote\.storage\.enable|remote\.log\.(copy|delete\.on)\.disable)$/,
    reason: 'Not implemented: Sluice has no tiered storage (KIP-405), so it does not list the local.retention.* and remote.* topic configs.',
  },
  // -- Broker configs -------------------------------------------------------------------------
  {
    observation: /^describe-configs\/v\d\/broker\/(broker\.id|ssl\.key\.password)$/,
    reason: 'Not implemented yet: Sluice lists only the broker settings it implements (src/config/definitions.ts); broker.id (an alias of node.id, checked to equal it) and ssl.key.password (issue 13) are not among them.',
  },
  // -- Broker dynamic configs ---------------------------------------------------------------
  {
    observation: /^div-dynamic-broker\/broker\/(no\.such\.config|ssl\.cipher\.suites)\/error$/,
    reason:
      'Broker AlterConfigs: Kafka stores any name on a broker resource, unknown ones and the listener TLS/SASL settings included; Sluice accepts only the dynamic configs it knows (log defaults, thread pools, cleaner, connection quotas, producer state) and refuses the rest with INVALID_REQUEST: an unknown name is most often a typo the user should hear about (deliberate, README), and Sluice has no TLS or SASL listeners to reconfigure yet (issue 13 brings them, with their dynamic settings).',
  },
];

export function allowed(observation: string): AllowEntry | undefined {
  return ALLOWLIST.find((e) => e.observation.test(observation));
}
