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
    observation: /^api-versions\/key(0|1|2|3|15|24|25|26|28|66)$/,
    reason:
      'Kafka 4.1\'s newest versions of Produce (12-13), Fetch (13-18), ListOffsets (9-10), Metadata (13), DescribeGroups (6), the transaction APIs (KIP-890 v2) and ListTransactions (2) are not served yet (issue 15: topic ids, fetch sessions, transactions v2); clients negotiate down. ListOffsets also keeps v0 (KIP-896, see above)',
  },
  {
    observation: /^api-versions\/key(57|68|69|74|75|76|77|78|79|83|84|85|86|87|90|91|92)$/,
    reason:
      'not served yet, issue 15: KIP-848 consumer groups (68, 69), DescribeTopicPartitions (75), UpdateFeatures (57), ListConfigResources (74) and share groups (76-79, 83-87, 90-92); clients that find them missing use the classic protocol and Metadata',
  },
  {
    observation: /^api-versions\/key(23|27|34|43|45|46|55|64|80|81)$/,
    reason:
      'not served yet, issue 12 (several brokers): OffsetForLeaderEpoch, WriteTxnMarkers, AlterReplicaLogDirs, ElectLeaders, partition reassignments, DescribeQuorum, UnregisterBroker and the raft voter APIs belong to the replica layer and the KRaft quorum',
  },
  {
    observation: /^api-versions\/key(29|30|31|38|39|40|41|50|51)$/,
    reason: 'not served yet, issue 13 (security): ACLs (29-31), delegation tokens (38-41) and SCRAM credentials (50, 51)',
  },
  {
    observation: /^api-versions\/key(48|49)$/,
    reason: 'client quotas (DescribeClientQuotas, AlterClientQuotas) are not implemented; Sluice throttles nobody (README, not yet)',
  },
];

export function allowed(observation: string): AllowEntry | undefined {
  return ALLOWLIST.find((e) => e.observation.test(observation));
}
