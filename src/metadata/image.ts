/**
 * The in-memory metadata image: what the metadata log says, after replaying every record in
 * order. Only `apply` changes it; the controller appends records to the log first.
 */
import type { MetadataRecord, PartitionFields } from './records.js';

export type PartitionState = PartitionFields;

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

export class MetadataImage {
  readonly topicsByName = new Map<string, TopicState>();
  readonly topicsById = new Map<string, TopicState>();
  /** Dynamic broker configs by resource name: '' for cluster-wide defaults, else a node id. */
  readonly brokerConfigs = new Map<string, Map<string, string>>();
  readonly features = new Map<string, number>();
  /** The first producer id not yet handed out. */
  nextProducerId = 0n;
  /** Offset of the last record applied; -1 before any. */
  lastOffset = -1n;

  apply(rec: MetadataRecord): void {
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
    }
  }
}
