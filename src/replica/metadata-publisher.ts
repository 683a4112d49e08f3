/**
 * Applies committed metadata records to this broker's partitions, in the role of Kafka's
 * BrokerMetadataPublisher and ReplicaManager.applyDelta: a new partition gets its log and its
 * Partition, a leader or ISR change (PartitionChange) reaches the Partition (and the replica
 * fetchers), a removed topic loses them, a changed topic or broker config reaches the logs. A
 * partition whose replicas no longer name this broker (a completed or cancelled reassignment)
 * stops being served here and its log is deleted.
 *
 * New partitions' logs are opened before the controller commits them (`prepare`, called by the
 * controller): a partition whose log cannot be opened (disk full, no file descriptor) is refused
 * with its topic rather than recorded and left unservable.
 *
 * A broker-only node starts from its own copy of the metadata, which may be stale (it was down
 * while leaders moved): until it has caught up with the controller (`goLive`), its partitions get
 * no leader, so it neither serves nor writes as a leader it no longer is — a coordinator on it
 * loads nothing, and no zombie transaction marker reaches its logs (Kafka's broker publishes
 * metadata only after its first catch-up).
 */
import type { LogManager } from '../log/log-manager.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import { METADATA_TOPIC } from '../metadata/metadata-log.js';
import type { MetadataRecord } from '../metadata/records.js';
import type { PartitionState } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

export class MetadataPublisher {
  constructor(
    private readonly image: MetadataImage,
    private readonly logs: LogManager,
    private readonly replicas: ReplicaManager,
    /** False while the image may be stale (a broker-only node before its first catch-up). */
    private live = true,
  ) {}

  /** The partition states to apply: the image's, or with no leader while it may be stale. */
  private statesOf(partitions: readonly PartitionState[]): readonly PartitionState[] {
    return this.live ? partitions : partitions.map((p) => ({ ...p, leader: -1 }));
  }

  /** Opens the logs of every partition the image names (at start) and wraps them. */
  openAll(): void {
    const topics = [...this.image.topicsByName.values()];
    this.logs.openAll(topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, configs: t.configs, hosts: this.hosts(t) })));
    for (const t of topics) this.replicas.syncTopic(t.name, this.statesOf(t.partitions));
  }

  /** The image has caught up with the controller: partitions get their committed leaders. */
  goLive(): void {
    this.live = true;
    this.resync();
  }

  /** Whether this broker holds a replica of a partition of `t` (its log and Partition live here). */
  private hosts(t: { partitions: ReadonlyArray<{ replicas: readonly number[] }> }): (partition: number) => boolean {
    return (p) => t.partitions[p]?.replicas.includes(this.replicas.nodeId) ?? false;
  }

  /** Gives every partition its committed state again (after the replica fetchers were set up). */
  resync(): void {
    for (const t of this.image.topicsByName.values()) this.replicas.syncTopic(t.name, this.statesOf(t.partitions));
  }

  /** Hooks this publisher into the controller: prepare before a commit, apply after it. */
  attach(controller: Controller): void {
    controller.onPrepare((records) => this.prepare(records));
    controller.onCommit((records) => this.apply(records));
  }

  /** Applies records the controller committed (the image already holds them). */
  apply(records: readonly MetadataRecord[]): void {
    // Brokers long-polling the metadata log from this controller see the change.
    this.replicas.partitionChanged(METADATA_TOPIC, 0);
    // The partitions a batch adds or changes, by topic id: each topic's logs and Partitions are
    // brought up to date once per batch (a topic of N partitions comes as N records).
    const changed = new Map<string, number[]>();
    for (const r of records) {
      if (r.type === 'Partition' || r.type === 'PartitionChange') {
        const list = changed.get(r.topicId);
        if (list) list.push(r.partition);
        else changed.set(r.topicId, [r.partition]);
      } else if (r.type === 'RemoveTopic') {
        const name = this.logs.topicNameOf(r.topicId);
        if (name !== undefined) this.replicas.removeTopic(name);
        this.logs.deleteTopicById(r.topicId);
      } else if (r.type === 'Config' && r.resourceType === 'topic') {
        const t = this.image.topicsByName.get(r.resourceName);
        if (t) this.logs.reconfigure(t.name, t.configs);
      } else if (r.type === 'Config' && r.resourceType === 'broker') {
        for (const t of this.image.topicsByName.values()) this.logs.reconfigure(t.name, t.configs);
      }
    }
    for (const [topicId, partitions] of changed) {
      const t = this.image.topicsById.get(topicId);
      if (!t) continue;
      const hosts = this.hosts(t);
      this.logs.ensurePartitions(t.name, t.topicId, t.partitions.length, t.configs, hosts);
      this.replicas.syncTopic(t.name, this.statesOf(t.partitions), partitions);
      for (const p of partitions) {
        if (hosts(p)) continue;
        this.replicas.removePartition(t.name, p);
        this.logs.deletePartitionLog(t.name, t.topicId, p);
      }
    }
  }

  /** Opens the logs of the partitions `records` add, before the controller commits them. */
  prepare(records: readonly MetadataRecord[]): () => void {
    const undos: Array<() => void> = [];
    const undoAll = (): void => {
      for (const undo of undos.reverse()) undo();
    };
    try {
      for (const p of addedPartitions(records, this.image, this.replicas.nodeId)) undos.push(this.logs.prepare(p.topic, p.partitions, p.configs));
    } catch (e) {
      undoAll();
      throw e;
    }
    return undoAll;
  }
}

/**
 * The partitions a batch of metadata records adds that this node hosts (one of their replicas: a
 * new partition, or a reassignment's new replica), per topic, with the topic's configs (those of the batch for a new topic, the image's for an
 * existing one).
 */
function addedPartitions(records: readonly MetadataRecord[], image: MetadataImage, nodeId: number): Array<{ topic: string; partitions: number[]; configs: Map<string, string> }> {
  const names = new Map<string, string>();
  const configs = new Map<string, Map<string, string>>();
  for (const r of records) {
    if (r.type === 'Topic') names.set(r.topicId, r.name);
    if (r.type === 'Config' && r.resourceType === 'topic' && r.value !== null) {
      configs.set(r.resourceName, (configs.get(r.resourceName) ?? new Map<string, string>()).set(r.name, r.value));
    }
  }
  const added = new Map<string, { topic: string; partitions: number[]; configs: Map<string, string> }>();
  for (const r of records) {
    if ((r.type !== 'Partition' && r.type !== 'PartitionChange') || !r.replicas.includes(nodeId)) continue;
    const existing = image.topicsById.get(r.topicId);
    // A change adds a replica here only when the partition had none on this broker (a reassignment).
    if (r.type === 'PartitionChange' && existing?.partitions[r.partition]?.replicas.includes(nodeId) !== false) continue;
    const topic = existing?.name ?? names.get(r.topicId);
    if (topic === undefined) continue;
    const a = added.get(topic) ?? { topic, partitions: [], configs: new Map(existing?.configs ?? configs.get(topic) ?? []) };
    if (!a.partitions.includes(r.partition)) a.partitions.push(r.partition);
    added.set(topic, a);
  }
  return [...added.values()];
}
