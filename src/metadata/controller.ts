/**
 * The single-node KRaft controller: validates topic, partition and config changes, turns each into
 * metadata records, appends them to the metadata log (durably) and only then applies them to the
 * image and tells listeners (the log manager creates or deletes partition directories).
 *
 * Every operation runs to completion synchronously: nothing changes the image across an await
 * (STYLE.md principle 10).
 *
 * Storage failures: when the partitions a change creates cannot be opened (`onPrepare`) or the
 * metadata log cannot be written, the change is refused with KAFKA_STORAGE_ERROR and nothing is
 * applied, so the image stays equal to what a restart replays; the next request tries again.
 */
import { limits } from '../config/limits.js';
import { brokerConfigByName, checkConfigValue, DYNAMIC_BROKER_CONFIGS, shownValue, topicConfigByName } from '../config/definitions.js';
import { LogStorageError } from '../log/partition-log.js';
import { ErrorCode } from '../protocol/errors.js';
import type { MetadataImage, TopicState } from './image.js';
import { randomUuidString } from './meta-properties.js';
import { METADATA_TOPIC } from './metadata-log.js';
import type { MetadataRecord } from './records.js';

export interface MetadataLogWriter {
  /**
   * Appends the records as one atomic batch and makes them durable before returning; throws
   * LogStorageError, having appended nothing, when the storage fails.
   */
  append(records: readonly MetadataRecord[]): void;
}

export interface Outcome {
  errorCode: number;
  errorMessage: string | null;
}

const OK: Outcome = { errorCode: ErrorCode.NONE, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): Outcome => ({ errorCode, errorMessage });

/** Kafka's topic name rules: 1-249 chars of [a-zA-Z0-9._-], not "." or "..". */
export function checkTopicName(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > limits.topicNameLengthMax) {
    return `Topic name is illegal, it can't be longer than ${limits.topicNameLengthMax} characters, topic name: ${name}`;
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  /** Manual assignment: replicas per partition, if given. */
  assignments: number[][] | null;
  configs: ReadonlyMap<string, string | null>;
}

/**
 * How a coordinator's internal topic (`__consumer_offsets`, `__transaction_state`) is created,
 * whoever asks: the coordinator itself, a Metadata request that auto-creates it, or a client's
 * CreateTopics. Kafka creates it with these settings on first use; a client that pre-creates it
 * gets them as defaults under its own configs.
 */
export interface InternalTopicPolicy {
  numPartitions: number;
  configs: ReadonlyMap<string, string>;
}

export class Controller {
  private readonly listeners: Array<(records: readonly MetadataRecord[]) => void> = [];
  private readonly internalTopics = new Map<string, InternalTopicPolicy>();
  private readonly preparers: Array<(records: readonly MetadataRecord[]) => () => void> = [];

  constructor(
    readonly image: MetadataImage,
    private readonly metadataLog: MetadataLogWriter,
    readonly nodeId: number,
    private readonly defaults: { numPartitions: number; replicationFactor: number },
  ) {}

  /** Declares a coordinator's internal topic (see InternalTopicPolicy). */
  reserveInternalTopic(name: string, policy: InternalTopicPolicy): void {
    this.internalTopics.set(name, policy);
  }

  onCommit(listener: (records: readonly MetadataRecord[]) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Runs before records are appended: gets ready what they need (the log manager opens the new
   * partitions' logs) and returns how to undo that if the append fails. Throws LogStorageError
   * when it cannot; the change is then refused.
   */
  onPrepare(preparer: (records: readonly MetadataRecord[]) => () => void): void {
    this.preparers.push(preparer);
  }

  private commit(records: MetadataRecord[]): Outcome {
    if (records.length === 0) return OK;
    const undos: Array<() => void> = [];
    try {
      for (const p of this.preparers) undos.push(p(records));
      this.metadataLog.append(records);
    } catch (e) {
      for (const undo of undos.reverse()) undo();
      if (!(e instanceof LogStorageError)) throw e;
      return fail(ErrorCode.KAFKA_STORAGE_ERROR, `Nothing was changed: the broker could not write to its data directory (${e.message}). Free disk space or file descriptors and retry.`);
    }
    for (const r of records) this.image.apply(r);
    for (const l of this.listeners) l(records);
    return OK;
  }

  /** `commit` for callers without an Outcome to answer: a storage failure throws LogStorageError. */
  private commitOrThrow(records: MetadataRecord[]): void {
    const outcome = this.commit(records);
    if (outcome.errorCode !== ErrorCode.NONE) throw new LogStorageError(outcome.errorMessage ?? 'metadata storage failed');
  }

  private partitionCount(): number {
    let n = 0;
    for (const t of this.image.topicsByName.values()) n += t.partitions.length;
    return n;
  }

  /** Validates a topic creation; when `validateOnly` is false and it is valid, creates it. */
  createTopic(request: CreateTopicSpec, validateOnly: boolean): Outcome & { topic?: TopicState; numPartitions: number; replicationFactor: number } {
    const spec = this.withInternalDefaults(request);
    const numPartitions = spec.assignments ? spec.assignments.length : spec.numPartitions === -1 ? this.defaults.numPartitions : spec.numPartitions;
    const replicationFactor = spec.assignments ? (spec.assignments[0]?.length ?? 0) : spec.replicationFactor === -1 ? this.defaults.replicationFactor : spec.replicationFactor;
    const result = (o: Outcome) => ({ ...o, numPartitions, replicationFactor });

    const nameProblem = checkTopicName(spec.name);
    if (nameProblem) return result(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem));
    // The metadata log is not a topic: Kafka refuses the name outright (ControllerApis).
    if (spec.name === METADATA_TOPIC) return result(fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${METADATA_TOPIC} is prohibited.`));
    if (this.image.topicsByName.has(spec.name)) {
      return result(fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`));
    }
    const collision = this.collidingTopic(spec.name);
    if (collision) {
      return result(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${collision}`));
    }
    if (spec.assignments) {
      for (const [i, replicas] of spec.assignments.entries()) {
        if (replicas.length !== 1 || replicas[0] !== this.nodeId) {
          return result(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${i} is assigned to brokers [${replicas.join(', ')}], but the only broker is ${this.nodeId}.`));
        }
      }
    }
    if (numPartitions < 1) return result(fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.'));
    if (numPartitions > limits.partitionsPerTopicMax) {
      // Kafka's controller refuses an operation of more than 10000 records with POLICY_VIOLATION.
      return result(fail(ErrorCode.POLICY_VIOLATION, `Number of partitions ${numPartitions} is over this broker's limit of ${limits.partitionsPerTopicMax} per topic.`));
    }
    if (replicationFactor < 1) return result(fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.'));
    if (replicationFactor > 1) {
      return result(
        fail(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`,
        ),
      );
    }
    if (this.image.topicsByName.size >= limits.topicsMax) {
      return result(fail(ErrorCode.POLICY_VIOLATION, `This broker holds its limit of ${limits.topicsMax} topics.`));
    }
    if (this.partitionCount() + numPartitions > limits.partitionsMax) {
      return result(fail(ErrorCode.POLICY_VIOLATION, `Creating ${numPartitions} partitions would pass this broker's limit of ${limits.partitionsMax}.`));
    }
    const configProblem = this.checkTopicConfigs(spec.configs) ?? this.checkInternalTopicConfigs(spec.name, spec.configs);
    if (configProblem) return result(configProblem);
    if (validateOnly) return result(OK);

    const topicId = randomUuidString();
    const records: MetadataRecord[] = [{ type: 'Topic', name: spec.name, topicId }];
    for (let p = 0; p < numPartitions; p++) records.push(this.partitionRecord(topicId, p));
    for (const [name, value] of spec.configs) {
      if (value !== null) records.push({ type: 'Config', resourceType: 'topic', resourceName: spec.name, name, value });
    }
    const committed = this.commit(records);
    if (committed.errorCode !== ErrorCode.NONE) return result(committed);
    return { ...result(OK), topic: this.image.topicsByName.get(spec.name)! };
  }

  private partitionRecord(topicId: string, partition: number): MetadataRecord {
    return { type: 'Partition', topicId, partition, replicas: [this.nodeId], isr: [this.nodeId], leader: this.nodeId, leaderEpoch: 0, partitionEpoch: 0 };
  }

  /** An internal topic's spec with its policy's partitions and configs where the request gave none. */
  private withInternalDefaults(spec: CreateTopicSpec): CreateTopicSpec {
    const policy = this.internalTopics.get(spec.name);
    if (!policy) return spec;
    const numPartitions = spec.numPartitions === -1 && !spec.assignments ? policy.numPartitions : spec.numPartitions;
    return { ...spec, numPartitions, configs: this.withInternalConfigs(spec.name, spec.configs) };
  }

  /** `configs` over the internal topic's own (itself when `topic` is not internal). */
  private withInternalConfigs<V extends string | null>(topic: string, configs: ReadonlyMap<string, V>): ReadonlyMap<string, V> {
    const policy = this.internalTopics.get(topic);
    if (!policy) return configs;
    const merged = new Map<string, V>(policy.configs as ReadonlyMap<string, V>);
    for (const [name, value] of configs) merged.set(name, value);
    return merged;
  }

  /**
   * A coordinator keeps its state in its internal topic by key, so the topic must stay compacted:
   * with cleanup.policy=delete, retention would remove committed offsets or transaction states
   * and a restart would lose them. Kafka lets a client do this; Sluice refuses it (README).
   */
  private checkInternalTopicConfigs(topic: string, configs: ReadonlyMap<string, string | null>): Outcome | null {
    if (!this.internalTopics.has(topic)) return null;
    const policy = configs.get('cleanup.policy') ?? 'compact';
    if (policy.trim() === 'compact') return null;
    return fail(
      ErrorCode.INVALID_CONFIG,
      `Internal topic ${topic} must keep cleanup.policy=compact (got ${policy}): its coordinator's state would be deleted by retention.`,
    );
  }

  /** Kafka refuses names that differ only by '.' versus '_' (they collide in metric names). */
  private collidingTopic(name: string): string | null {
    if (!name.includes('.') && !name.includes('_')) return null;
    const norm = name.replace(/\./g, '_');
    for (const other of this.image.topicsByName.keys()) {
      if (other !== name && other.replace(/\./g, '_') === norm) return other;
    }
    return null;
  }

  checkTopicConfigs(configs: ReadonlyMap<string, string | null>): Outcome | null {
    if (configs.size > limits.configEntriesMax) return fail(ErrorCode.INVALID_CONFIG, `More than ${limits.configEntriesMax} configs.`);
    for (const [name, value] of configs) {
      const def = topicConfigByName.get(name);
      if (!def) return fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
      if (value === null) return fail(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${name}`);
      const problem = checkConfigValue(def, value);
      if (problem) return fail(ErrorCode.INVALID_CONFIG, `Invalid value ${shownValue(def, value)} for configuration ${name}: ${problem}`);
    }
    return null;
  }

  /**
   * Sets a resource's dynamic configs to exactly `target` (AlterConfigs replaces them all;
   * IncrementalAlterConfigs computes `target` from the current ones). Topic configs must be known
   * with valid values; broker configs must be ones that may change at run time.
   */
  alterConfigs(resource: { type: 'topic' | 'broker'; name: string }, requested: ReadonlyMap<string, string>, validateOnly: boolean): Outcome {
    let current: ReadonlyMap<string, string>;
    let target = requested;
    if (resource.type === 'topic') {
      // An internal topic falls back to its own configs, not the broker's, for what is removed.
      target = this.withInternalConfigs(resource.name, requested);
      const t = this.image.topicsByName.get(resource.name);
      if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${resource.name}' does not exist.`);
      const problem = this.checkTopicConfigs(target) ?? this.checkInternalTopicConfigs(resource.name, target);
      if (problem) return problem;
      current = t.configs;
    } else {
      // Kafka answers a broker resource's refusals with INVALID_REQUEST, not INVALID_CONFIG.
      const fixed = [...target.keys()].filter((k) => !DYNAMIC_BROKER_CONFIGS.has(k));
      if (fixed.length > 0) return fail(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${fixed.join(', ')})`);
      for (const [name, value] of target) {
        const def = brokerConfigByName.get(name)!;
        const problem = checkConfigValue(def, value);
        if (problem) return fail(ErrorCode.INVALID_REQUEST, `Invalid value ${shownValue(def, value)} for configuration ${name}: ${problem}`);
      }
      current = this.image.brokerConfigs.get(resource.name) ?? new Map();
      // Recorded at first start (broker.ts); Kafka 4 keeps it while ELR is on (KIP-966).
      if (resource.name === '' && current.has('min.insync.replicas') && !target.has('min.insync.replicas')) {
        return fail(ErrorCode.INVALID_CONFIG, 'Cluster-level min.insync.replicas cannot be removed while ELR is enabled.');
      }
    }
    if (validateOnly) return OK;
    const records: MetadataRecord[] = [];
    const base = { type: 'Config' as const, resourceType: resource.type, resourceName: resource.name };
    for (const name of current.keys()) if (!target.has(name)) records.push({ ...base, name, value: null });
    for (const [name, value] of target) if (current.get(name) !== value) records.push({ ...base, name, value });
    return this.commit(records);
  }

  deleteTopic(topic: TopicState): Outcome {
    return this.commit([{ type: 'RemoveTopic', topicId: topic.topicId }]);
  }

  createPartitions(topic: TopicState, count: number, assignments: number[][] | null, validateOnly: boolean): Outcome {
    const current = topic.partitions.length;
    if (count < current) {
      return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    }
    if (count === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (count > limits.partitionsPerTopicMax) {
      return fail(ErrorCode.POLICY_VIOLATION, `Number of partitions ${count} is over this broker's limit of ${limits.partitionsPerTopicMax} per topic.`);
    }
    if (this.partitionCount() + count - current > limits.partitionsMax) {
      return fail(ErrorCode.POLICY_VIOLATION, `Adding partitions would pass this broker's limit of ${limits.partitionsMax}.`);
    }
    if (assignments) {
      if (assignments.length !== count - current) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${count - current} but ${assignments.length} assignments provided.`);
      }
      for (const replicas of assignments) {
        if (replicas.length !== 1 || replicas[0] !== this.nodeId) {
          return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Assignment [${replicas.join(', ')}] names brokers other than the only broker ${this.nodeId}.`);
        }
      }
    }
    if (validateOnly) return OK;
    const records: MetadataRecord[] = [];
    for (let p = current; p < count; p++) records.push(this.partitionRecord(topic.topicId, p));
    return this.commit(records);
  }

  /**
   * Hands out the next block of producer ids. The block is recorded before it is used, so after
   * any restart allocation resumes past it: producer ids never repeat. Throws LogStorageError
   * when the block cannot be recorded.
   */
  allocateProducerIds(blockSize: number): { start: bigint; end: bigint } {
    const start = this.image.nextProducerId;
    const end = start + BigInt(blockSize);
    this.commitOrThrow([{ type: 'ProducerIds', nextProducerId: end.toString() }]);
    return { start, end };
  }

  /** Records the metadata.version feature; done once, when a data directory is formatted. */
  bootstrap(features: ReadonlyArray<{ name: string; level: number }>): void {
    this.commitOrThrow(features.map((f) => ({ type: 'FeatureLevel', name: f.name, level: f.level })));
  }
}
