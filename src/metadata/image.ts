/**
 * The in-memory metadata image: what the metadata log says, after replaying every record in
 * order. Only `apply` changes it; the controller appends records to the log first.
 */
import { AclIndex } from './acl-index.js';
import type { BrokerEndpoint, BrokerFeatureRange, MetadataRecord, PartitionFields, ScramMechanismName } from './records.js';

export type PartitionState = PartitionFields;

/** A registered broker incarnation (Kafka's BrokerRegistration). */
export interface BrokerRegistration {
  brokerId: number;
  incarnationId: string;
  /** The broker epoch: the offset of the first record of the batch that registered it. */
  brokerEpoch: bigint;
  /** Offset of its RegisterBroker record: it may be unfenced once its metadata reaches this. */
  registrationOffset: bigint;
  endpoints: BrokerEndpoint[];
  rack: string | null;
  fenced: boolean;
  inControlledShutdown: boolean;
  features: BrokerFeatureRange[];
  logDirs: string[];
}

export interface TopicState {
  name: string;
  /** Base64url form, as Kafka prints topic ids. */
  topicId: string;
  /** The same id as 16 bytes, for the wire. */
  topicIdBytes: Buffer;
  partitions: PartitionState[];
  /** Topic-level config overrides. */
  configs: Map<string, string>;
}

/** A user's SCRAM credential for one mechanism (what a SCRAM server needs; never the password). */
export interface ScramCredentialState {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export class MetadataImage {
  readonly topicsByName = new Map<string, TopicState>();
  readonly topicsById = new Map<string, TopicState>();
  /** Dynamic broker configs by resource name: '' for cluster-wide defaults, else a node id. */
  readonly brokerConfigs = new Map<string, Map<string, string>>();
  /** Dynamic configs of groups (the GROUP resource, KIP-848) by group id. */
  readonly groupConfigs = new Map<string, Map<string, string>>();
  /** Client metrics subscriptions (KIP-714, config resource type 16) by name: their set configs. */
  readonly clientMetricsConfigs = new Map<string, Map<string, string>>();
  readonly features = new Map<string, number>();
  /** The first producer id not yet handed out. */
  nextProducerId = 0n;
  /** Registered brokers by id (a combined node before any registration has none: controller.ts). */
  readonly brokers = new Map<number, BrokerRegistration>();
  /** The cluster's ACLs by id (AccessControlEntry records), indexed for the authorizer. */
  readonly acls = new AclIndex();
  /** SCRAM credentials by user name, then mechanism (Kafka's ScramImage). */
  readonly scramCredentials = new Map<string, Map<ScramMechanismName, ScramCredentialState>>();
  /** Offset of the last record applied; -1 before any. */
  lastOffset = -1n;

  /** Applies the record found at `offset` of the metadata log. */
  apply(rec: MetadataRecord, offset: bigint = this.lastOffset + 1n): void {
    this.applyRecord(rec, offset);
    this.lastOffset = offset;
  }

  private applyRecord(rec: MetadataRecord, offset: bigint): void {
    switch (rec.type) {
      case 'FeatureLevel':
        this.features.set(rec.name, rec.level);
        return;
      case 'Topic': {
        if (this.topicsByName.has(rec.name)) throw new Error(`metadata log: topic ${rec.name} created twice`);
        const t: TopicState = {
          name: rec.name,
          topicId: rec.topicId,
          topicIdBytes: Buffer.from(rec.topicId, 'base64url'),
          partitions: [],
          configs: new Map(),
        };
        this.topicsByName.set(t.name, t);
        this.topicsById.set(t.topicId, t);
        return;
      }
      case 'Partition': {
        const t = this.topicsById.get(rec.topicId);
        if (!t) throw new Error(`metadata log: partition for unknown topic id ${rec.topicId}`);
        const { type: _type, topicId: _topicId, ...p } = rec;
        if (rec.partition === t.partitions.length) t.partitions.push(p);
        else if (rec.partition < t.partitions.length) t.partitions[rec.partition] = p;
        else throw new Error(`metadata log: partition ${rec.partition} of ${t.name} out of order`);
        return;
      }
      case 'Config': {
        if (rec.resourceType === 'client-metrics' || rec.resourceType === 'group') {
          setNamedConfig(rec.resourceType === 'group' ? this.groupConfigs : this.clientMetricsConfigs, rec.resourceName, rec.name, rec.value);
          return;
        }
        let target = rec.resourceType === 'broker' ? this.brokerConfigs.get(rec.resourceName) : this.topicsByName.get(rec.resourceName)?.configs;
        if (!target && rec.resourceType === 'broker') this.brokerConfigs.set(rec.resourceName, (target = new Map()));
        if (!target) throw new Error(`metadata log: config for unknown topic ${rec.resourceName}`);
        if (rec.value === null) target.delete(rec.name);
        else target.set(rec.name, rec.value);
        return;
      }
      case 'ProducerIds':
        this.nextProducerId = BigInt(rec.nextProducerId);
        return;
      case 'RemoveTopic': {
        const t = this.topicsById.get(rec.topicId);
        if (!t) throw new Error(`metadata log: removal of unknown topic id ${rec.topicId}`);
        this.topicsById.delete(t.topicId);
        this.topicsByName.delete(t.name);
        return;
      }
      case 'RegisterBroker': {
        const { type: _type, brokerEpoch, ...r } = rec;
        // A new incarnation replaces the old one; the same incarnation amends its registration.
        this.brokers.set(rec.brokerId, { ...r, brokerEpoch: BigInt(brokerEpoch), registrationOffset: offset });
        return;
      }
      case 'BrokerRegistrationChange': {
        const b = this.registrationOf(rec.brokerId, rec.brokerEpoch, rec.type);
        if (rec.fenced !== undefined) b.fenced = rec.fenced;
        if (rec.inControlledShutdown !== undefined) b.inControlledShutdown = rec.inControlledShutdown;
        return;
      }
      case 'UnregisterBroker':
        this.registrationOf(rec.brokerId, rec.brokerEpoch, rec.type);
        this.brokers.delete(rec.brokerId);
        return;
      case 'AccessControlEntry': {
        const { type: _type, id, ...acl } = rec;
        this.acls.add(id, acl);
        return;
      }
      case 'RemoveAccessControlEntry':
        if (!this.acls.remove(rec.id)) throw new Error(`metadata log: removal of unknown ACL ${rec.id}`);
        return;
      case 'PartitionChange': {
        const t = this.topicsById.get(rec.topicId);
        const old = t?.partitions[rec.partition];
        if (!t || !old) throw new Error(`metadata log: change of unknown partition ${rec.topicId}-${rec.partition}`);
        if (rec.partitionEpoch !== old.partitionEpoch + 1) {
          throw new Error(`metadata log: partition ${t.name}-${rec.partition} changes from epoch ${old.partitionEpoch} to ${rec.partitionEpoch}`);
        }
        const { type: _type, topicId: _topicId, ...p } = rec;
        t.partitions[rec.partition] = p;
        return;
      }
      case 'UserScramCredential': {
        let byMechanism = this.scramCredentials.get(rec.name);
        if (!byMechanism) this.scramCredentials.set(rec.name, (byMechanism = new Map()));
        byMechanism.set(rec.mechanism, {
          salt: Buffer.from(rec.salt, 'base64'),
          storedKey: Buffer.from(rec.storedKey, 'base64'),
          serverKey: Buffer.from(rec.serverKey, 'base64'),
          iterations: rec.iterations,
        });
        return;
      }
      case 'RemoveUserScramCredential': {
        const byMechanism = this.scramCredentials.get(rec.name);
        if (!byMechanism?.delete(rec.mechanism)) throw new Error(`metadata log: removal of unknown ${rec.mechanism} credential of user ${rec.name}`);
        if (byMechanism.size === 0) this.scramCredentials.delete(rec.name);
        return;
      }
    }
  }

  private registrationOf(brokerId: number, brokerEpoch: string, what: string): BrokerRegistration {
    const b = this.brokers.get(brokerId);
    if (!b || b.brokerEpoch !== BigInt(brokerEpoch)) {
      throw new Error(`metadata log: ${what} for broker ${brokerId} epoch ${brokerEpoch}, which is not registered`);
    }
    return b;
  }
}

/**
 * Sets or removes one config of a named resource whose configs live only while any is set: a
 * group's (KIP-848) or a client metrics subscription's (KIP-714; Kafka's ClientMetricsManager drops
 * a subscription whose last config is removed).
 */
function setNamedConfig(byName: Map<string, Map<string, string>>, name: string, key: string, value: string | null): void {
  let configs = byName.get(name);
  if (!configs) byName.set(name, (configs = new Map()));
  if (value === null) configs.delete(key);
  else configs.set(key, value);
  if (configs.size === 0) byName.delete(name);
}
