/**
 * Metadata records: every change to topics, partitions, configs and features is one of these,
 * appended to the `__cluster_metadata` log before it takes effect, and replayed into the image on
 * start (KRaft's model).
 *
 * On disk each record is a Kafka record inside an ordinary RecordBatch v2 of the metadata
 * partition log: key = the record type as UTF-8, value = UTF-8 JSON of the record, with a
 * `v` field giving the record's format version (1 for all types today). One controller operation
 * (creating a topic with its partitions and configs, say) is one batch, so a crash leaves all of
 * it or none of it. Unknown types or versions stop the broker at start: a newer data directory
 * must not be half understood.
 *
 * Cluster membership (issue 12) added RegisterBroker, BrokerRegistrationChange, UnregisterBroker
 * and PartitionChange, Kafka's records of the same names. They are new types at version 1: a data
 * directory written before them still reads, one written after them stops an older broker (the
 * rule above). Broker epochs are metadata log offsets, written as decimal strings (JSON numbers
 * lose precision past 2^53).
 *
 * Security (issue 13) added AccessControlEntry and RemoveAccessControlEntry, Kafka's records of
 * the same names: one ACL with its id (a uuid, base64url), and the removal of the ACL with an id.
 * The codes are Kafka's (auth/acl.ts). New types at version 1, by the rule above.
 *
 * Security (issue 13) added UserScramCredential and RemoveUserScramCredential, Kafka's
 * UserScramCredentialRecord and RemoveUserScramCredentialRecord: new types at version 1 under the
 * same rule. The mechanism is written by name ("SCRAM-SHA-256", "SCRAM-SHA-512"; Kafka writes its
 * type byte 1 or 2); salt, StoredKey and ServerKey as standard base64. No password is ever written.
 */

import type { AclBinding } from './acl-index.js';

export const METADATA_RECORD_VERSION = 1;

/** A partition's placement; the image keeps exactly these fields. */
export interface PartitionFields {
  partition: number;
  replicas: number[];
  isr: number[];
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  /** Replicas joining and leaving in a reassignment; absent when none (every record before issue 12). */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

/** One listener a broker registered (BrokerRegistration's Listeners). */
export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

/** A feature's supported range as a broker registered it. */
export interface BrokerFeatureRange {
  name: string;
  minSupportedVersion: number;
  maxSupportedVersion: number;
}

/** Kafka's RegisterBrokerRecord: a broker incarnation joins, fenced until it has caught up. */
export interface RegisterBrokerRecord {
  type: 'RegisterBroker';
  brokerId: number;
  /** Base64url of the 16-byte incarnation id the broker generated at start. */
  incarnationId: string;
  /** Decimal: the offset of the first record of the batch that registered this incarnation. */
  brokerEpoch: string;
  endpoints: BrokerEndpoint[];
  rack: string | null;
  fenced: boolean;
  inControlledShutdown: boolean;
  features: BrokerFeatureRange[];
  /** Base64url directory ids. */
  logDirs: string[];
}

/**
 * The new state of one partition after a leader or ISR change (Kafka's PartitionChangeRecord, but
 * whole rather than a delta: replay checks that `partitionEpoch` is the previous one plus one).
 */
export type PartitionChangeRecord = { type: 'PartitionChange'; topicId: string } & Required<PartitionFields>;

/** The SCRAM mechanisms a credential record may name. */
export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** A user's SCRAM credential for one mechanism, created or replaced (Kafka's UserScramCredentialRecord). */
export interface UserScramCredentialRecord {
  type: 'UserScramCredential';
  name: string;
  mechanism: ScramMechanismName;
  /** Base64. */
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

/** Which config resource a Config record sets: a topic, a broker (or '' for all), a group (KIP-848), a client metrics subscription (KIP-714). */
export type ConfigResourceKind = 'topic' | 'broker' | 'group' | 'client-metrics';

export type MetadataRecord =
  | { type: 'FeatureLevel'; name: string; level: number }
  | { type: 'Topic'; name: string; topicId: string }
  | ({ type: 'Partition'; topicId: string } & PartitionFields)
  | { type: 'Config'; resourceType: ConfigResourceKind; resourceName: string; name: string; value: string | null }
  | { type: 'RemoveTopic'; topicId: string }
  /** Producer ids below `nextProducerId` have been handed out (Kafka's ProducerIdsRecord). */
  | { type: 'ProducerIds'; nextProducerId: string }
  | RegisterBrokerRecord
  /** Kafka's BrokerRegistrationChangeRecord: only the fields present change. */
  | { type: 'BrokerRegistrationChange'; brokerId: number; brokerEpoch: string; fenced?: boolean; inControlledShutdown?: boolean }
  | { type: 'UnregisterBroker'; brokerId: number; brokerEpoch: string }
  | PartitionChangeRecord
  /** Kafka's AccessControlEntryRecord: one ACL (auth/acl.ts codes), `id` a base64url uuid. */
  | ({ type: 'AccessControlEntry'; id: string } & AclBinding)
  | { type: 'RemoveAccessControlEntry'; id: string }
  | UserScramCredentialRecord
  /** Kafka's RemoveUserScramCredentialRecord: the credential must exist. */
  | { type: 'RemoveUserScramCredential'; name: string; mechanism: ScramMechanismName };

export function encodeMetadataRecord(rec: MetadataRecord): { key: Buffer; value: Buffer } {
  return { key: Buffer.from(rec.type), value: Buffer.from(JSON.stringify({ v: METADATA_RECORD_VERSION, ...rec })) };
}

export function decodeMetadataRecord(key: Buffer | null, value: Buffer | null): MetadataRecord {
  if (key === null || value === null) throw new Error('metadata record without key or value');
  const type = key.toString();
  const obj = JSON.parse(value.toString()) as Record<string, unknown>;
  if (obj['v'] !== METADATA_RECORD_VERSION || obj['type'] !== type) {
    throw new Error(`metadata record ${type} has version ${String(obj['v'])}; this broker reads version ${METADATA_RECORD_VERSION}`);
  }
  delete obj['v'];
  switch (type) {
    case 'FeatureLevel':
    case 'Topic':
    case 'Partition':
    case 'Config':
    case 'RemoveTopic':
    case 'ProducerIds':
    case 'RegisterBroker':
    case 'BrokerRegistrationChange':
    case 'UnregisterBroker':
    case 'PartitionChange':
    case 'AccessControlEntry':
    case 'RemoveAccessControlEntry':
    case 'UserScramCredential':
    case 'RemoveUserScramCredential':
      return obj as unknown as MetadataRecord;
    default:
      throw new Error(`unknown metadata record type ${type}`);
  }
}
