/**
 * The KRaft controller: validates topic, partition and config changes, turns each into metadata
 * records, appends them to the metadata log (durably) and only then applies them to the image and
 * tells listeners (the log manager creates or deletes partition directories).
 *
 * Cluster membership (issue 12), in the role of Kafka's ClusterControlManager,
 * BrokerHeartbeatManager and ReplicationControlManager: brokers register (a new incarnation gets a
 * broker epoch, the offset of the batch that registers it, and starts fenced), heartbeat (unfenced
 * once their metadata has reached their registration, fenced on request or when their session of
 * `sessionTimeoutMs` lapses: `fenceStaleBrokers(nowMs)`, called by the owner's timer), shut down in
 * a controlled way (leaderships move away first), and report ISR changes (`alterPartition`).
 * Fencing a broker moves every leadership it had to a live ISR member. Partition reassignments
 * (`alterPartitionReassignments`, KIP-455) and the auto leader rebalance (`balancePartitionLeaders`)
 * are ReplicationControlManager's too. Sessions are in memory only,
 * as in Kafka: after a restart every registered broker gets a fresh session from the first time
 * the controller looks at it.
 *
 * A combined node whose broker has not registered (every single-node data directory, where nothing
 * ever registers) counts as one live broker, `nodeId`, with no session: so single-node Sluice places,
 * elects and answers exactly as before, with nothing written at start. Its own registration, once
 * recorded, takes over.
 *
 * Every operation runs to completion synchronously: nothing changes the image across an await
 * (STYLE.md principle 10).
 *
 * Storage failures: when the partitions a change creates cannot be opened (`onPrepare`) or the
 * metadata log cannot be written, the change is refused with KAFKA_STORAGE_ERROR and nothing is
 * applied, so the image stays equal to what a restart replays; the next request tries again.
 */
import { limits } from '../config/limits.js';
import { brokerConfigByName, checkConfigValue, DYNAMIC_BROKER_CONFIGS, GROUP_CONFIGS, shownValue, topicConfigByName } from '../config/definitions.js';
import { LogStorageError } from '../log/partition-log.js';
import { ErrorCode } from '../protocol/errors.js';
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsRequestReassignablePartition,
  AlterPartitionReassignmentsResponse,
  AlterPartitionRequest,
  AlterPartitionResponse,
  AlterPartitionResponsePartitionData,
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
  AlterUserScramCredentialsResponseAlterUserScramCredentialsResult,
  BrokerHeartbeatRequest,
  BrokerRegistrationRequest,
  ElectLeadersRequest,
  ElectLeadersResponse,
  ElectLeadersResponsePartitionResult,
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
  ListPartitionReassignmentsResponseOngoingPartitionReassignment,
} from '../protocol/generated/index.js';
import type { BrokerRegistration, MetadataImage, PartitionState, TopicState } from './image.js';
import { randomUuidString } from './meta-properties.js';
import { aclKey, type AclBinding } from './acl-index.js';
import { METADATA_TOPIC } from './metadata-log.js';
import { isRecordedFeature, METADATA_VERSION_LEVEL, supportedLevels } from './features.js';
import { buildPartitionChange, NO_LEADER, type Election } from './partition-change.js';
import type { ConfigResourceKind, MetadataRecord, PartitionChangeRecord, ScramMechanismName } from './records.js';
import { checkClientMetricsConfigs, CLIENT_METRICS_LIST_CONFIGS, parseList } from '../config/client-metrics.js';
import { InvalidReplicationFactorError, mathRandomInt, placeReplicas, type RandomInt, type UsableBroker } from './replica-placer.js';

export interface MetadataLogWriter {
  /** The offset the next appended record gets (broker epochs are offsets). */
  readonly logEndOffset: bigint;
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

/** Replicas of new partitions, and the ISR each starts with (its live replicas). */
interface Placement {
  replicas: number[][];
  isrs: number[][];
}

/** The partition as `records`, not yet written, leave it. */
function latest(records: readonly PartitionChangeRecord[], topicId: string, p: PartitionState): PartitionState {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.topicId === topicId && r.partition === p.partition) return r;
  }
  return p;
}

/** A new partition, led by the first replica of its ISR (Kafka's buildPartitionRegistration). */
function partitionRecord(topicId: string, partition: number, replicas: number[], isr: number[]): MetadataRecord {
  return { type: 'Partition', topicId, partition, replicas, isr, leader: isr[0]!, leaderEpoch: 0, partitionEpoch: 0 };
}
const fail = (errorCode: number, errorMessage: string): Outcome => ({ errorCode, errorMessage });

/** Kafka's validateScramUsernameAndMechanism. */
function checkScramUser(name: string, mechanism: ScramMechanismName | undefined): Outcome | null {
  if (name.length === 0) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
  if (mechanism === undefined) return fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
  return null;
}

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
  /**
   * offsets.topic.replication.factor / transaction.state.log.replication.factor: used when the
   * creation names none, capped at the brokers that can take a replica (so one node works with
   * Kafka's default of 3). Default 1.
   */
  replicationFactor?: number;
}

/** SCRAM mechanisms by Kafka's type byte (org.apache.kafka.clients.admin.ScramMechanism); 0 is UNKNOWN. */
const SCRAM_MECHANISM_BY_TYPE: ReadonlyMap<number, ScramMechanismName> = new Map([[1, 'SCRAM-SHA-256'], [2, 'SCRAM-SHA-512']]);
/** Kafka's ScramMechanism.minIterations and ScramControlManager.MAX_ITERATIONS. */
const SCRAM_ITERATIONS_MIN = 4096;
const SCRAM_ITERATIONS_MAX = 16384;

/**
 * StoredKey and ServerKey from a salted password: the SCRAM arithmetic lives in auth/scram.ts,
 * above this layer, so AlterUserScramCredentials' handler hands it in.
 */
export type ScramKeyDerivation = (mechanism: ScramMechanismName, saltedPassword: Buffer) => { storedKey: Buffer; serverKey: Buffer };

/** Kafka's MAX_ELECTIONS_PER_IMBALANCE: preferred elections per auto-rebalance batch. */
export const LEADER_ELECTIONS_PER_BALANCE_MAX = 1000;

/** Whether a reassignment is going on (Kafka's isReassignmentInProgress). */
export function isReassigning(p: PartitionState): boolean {
  return (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0;
}

/** Kafka's broker.session.timeout.ms default. */
export const BROKER_SESSION_TIMEOUT_MS_DEFAULT = 9000;

export interface ControllerOptions {
  /** The cluster id brokers must register with; null refuses every registration. */
  clusterId?: string | null;
  /** A broker not heard from for longer is fenced; else config's broker.session.timeout.ms, else Kafka's 9000. */
  sessionTimeoutMs?: number;
  /** Broker configs (unclean.leader.election.enable); the image's dynamic configs when absent. */
  config?: { get(name: string): string | null };
  /** Whether `nodeId` counts as a live broker until it registers (a combined node); default true. */
  implicitLocalBroker?: boolean;
  /** Random source of replica placement. */
  random?: RandomInt;
}

/** BrokerRegistration's answer. */
export interface BrokerRegistrationOutcome extends Outcome {
  brokerEpoch: bigint;
}

/** BrokerHeartbeat's answer. */
export interface BrokerHeartbeatOutcome extends Outcome {
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

/** What the controller remembers of a broker between heartbeats (never written down). */
interface BrokerSession {
  lastContactMs: number;
  /** The metadata offset its last heartbeat reported; -1 before any. */
  metadataOffset: bigint;
  /** End of the batch that started its controlled shutdown; -1 when not shutting down. */
  controlledShutdownOffset: bigint;
}

type BrokerState = 'fenced' | 'unfenced' | 'controlled-shutdown' | 'shutdown-now';

/** ElectLeaders' election types. */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

/** Kafka's DirectoryId.reserved: the first 100 uuids are reserved directory ids. */
function isReservedDirectoryId(id: Buffer): boolean {
  return id.length === 16 && id.readBigUInt64BE(0) === 0n && id.readBigUInt64BE(8) < 100n;
}

export class Controller {
  private readonly listeners: Array<(records: readonly MetadataRecord[]) => void> = [];
  private readonly internalTopics = new Map<string, InternalTopicPolicy>();
  private readonly preparers: Array<(records: readonly MetadataRecord[]) => () => void> = [];
  private readonly sessions = new Map<number, BrokerSession>();
  private readonly clusterId: string | null;
  readonly sessionTimeoutMs: number;
  private readonly implicitLocalBroker: boolean;
  private readonly random: RandomInt;

  constructor(
    readonly image: MetadataImage,
    private readonly metadataLog: MetadataLogWriter,
    readonly nodeId: number,
    private readonly defaults: { numPartitions: number; replicationFactor: number },
    private readonly options: ControllerOptions = {},
  ) {
    this.clusterId = options.clusterId ?? null;
    const configured = options.config?.get('broker.session.timeout.ms');
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? (configured ? Number(configured) : BROKER_SESSION_TIMEOUT_MS_DEFAULT);
    this.implicitLocalBroker = options.implicitLocalBroker ?? true;
    this.random = options.random ?? mathRandomInt;
  }

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
    const baseOffset = this.metadataLog.logEndOffset;
    try {
      for (const p of this.preparers) undos.push(p(records));
      this.metadataLog.append(records);
    } catch (e) {
      for (const undo of undos.reverse()) undo();
      if (!(e instanceof LogStorageError)) throw e;
      return fail(ErrorCode.KAFKA_STORAGE_ERROR, `Nothing was changed: the broker could not write to its data directory (${e.message}). Free disk space or file descriptors and retry.`);
    }
    records.forEach((r, i) => this.image.apply(r, baseOffset + BigInt(i)));
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
    let placement: Placement | null = null;
    if (spec.assignments) {
      const checked = this.checkManualAssignments(spec.assignments, null, 0);
      if (!('replicas' in checked)) return result(checked);
      placement = checked;
    }
    if (numPartitions < 1) return result(fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.'));
    if (numPartitions > limits.partitionsPerTopicMax) {
      // Kafka's controller refuses an operation of more than 10000 records with POLICY_VIOLATION.
      return result(fail(ErrorCode.POLICY_VIOLATION, `Number of partitions ${numPartitions} is over this broker's limit of ${limits.partitionsPerTopicMax} per topic.`));
    }
    if (replicationFactor < 1) return result(fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.'));
    if (!placement) {
      const placed = this.place(numPartitions, replicationFactor);
      if (!('replicas' in placed)) return result(placed);
      placement = placed;
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
    for (let p = 0; p < numPartitions; p++) records.push(partitionRecord(topicId, p, placement.replicas[p]!, placement.isrs[p]!));
    for (const [name, value] of spec.configs) {
      if (value !== null) records.push({ type: 'Config', resourceType: 'topic', resourceName: spec.name, name, value });
    }
    const committed = this.commit(records);
    if (committed.errorCode !== ErrorCode.NONE) return result(committed);
    return { ...result(OK), topic: this.image.topicsByName.get(spec.name)! };
  }

  /**
   * Kafka's validateManualPartitionAssignment for each partition of an explicit assignment (every
   * broker registered, none twice, as many replicas as `replicationFactor` or as the first
   * partition), and the ISR each starts with: its live brokers, at least one.
   */
  private checkManualAssignments(assignments: readonly number[][], replicationFactor: number | null, firstPartition: number): Placement | Outcome {
    const placement: Placement = { replicas: [], isrs: [] };
    let rf = replicationFactor;
    for (const [i, replicas] of assignments.entries()) {
      const invalid = this.checkReplicaList(replicas);
      if (invalid) return invalid;
      if (rf !== null && replicas.length !== rf) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`,
        );
      }
      rf = replicas.length;
      const isr = replicas.filter((r) => this.isActive(r));
      if (isr.length === 0) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `All brokers specified in the manual partition assignment for partition ${firstPartition + i} are fenced or in controlled shutdown.`,
        );
      }
      placement.replicas.push([...replicas]);
      placement.isrs.push(isr);
    }
    return placement;
  }

  /** Kafka's striped placement over the usable brokers, with the ISR each partition starts with. */
  private place(numPartitions: number, replicationFactor: number): Placement | Outcome {
    let replicas: number[][];
    try {
      replicas = placeReplicas(this.usableBrokers(), numPartitions, replicationFactor, this.random);
    } catch (e) {
      if (!(e instanceof InvalidReplicationFactorError)) throw e;
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): ${e.message}`);
    }
    const isrs = replicas.map((r) => r.filter((b) => this.isActive(b)));
    if (isrs.some((isr) => isr.length === 0)) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): All brokers are currently fenced or in controlled shutdown.`);
    }
    return { replicas, isrs };
  }

  /** An internal topic's spec with its policy's partitions and configs where the request gave none. */
  private withInternalDefaults(spec: CreateTopicSpec): CreateTopicSpec {
    const policy = this.internalTopics.get(spec.name);
    if (!policy) return spec;
    const numPartitions = spec.numPartitions === -1 && !spec.assignments ? policy.numPartitions : spec.numPartitions;
    const usable = this.usableBrokers().filter((b) => !b.fenced).length;
    const replicationFactor = spec.replicationFactor === -1 && !spec.assignments ? Math.max(1, Math.min(policy.replicationFactor ?? 1, usable)) : spec.replicationFactor;
    return { ...spec, numPartitions, replicationFactor, configs: this.withInternalConfigs(spec.name, spec.configs) };
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

  /** Kafka's GroupConfig validation: known names, integers within the broker's group.consumer.* / group.share.* bounds, known string values. */
  private checkGroupConfigs(target: ReadonlyMap<string, string>): Outcome | null {
    const bound = (name: string, fallback: string): number => Number(this.options.config?.get(name) ?? fallback);
    for (const [name, value] of target) {
      const def = GROUP_CONFIGS.find((d) => d.name === name);
      if (!def) return fail(ErrorCode.INVALID_CONFIG, `Unknown group config name: ${name}`);
      if (def.type === 'string') {
        const problem = def.check ? def.check(value) : def.values.includes(value) ? null : `String must be one of: ${def.values.join(', ')}`;
        if (problem) return fail(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${problem}`);
        continue;
      }
      if (!/^-?\d+$/.test(value)) return fail(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: Not a number of type INT`);
      const n = Number(value);
      const min = bound(def.min, '1');
      const max = bound(def.max, '2147483647');
      if (n < min) return fail(ErrorCode.INVALID_CONFIG, `${name} must be greater than or equal to ${def.min} ${min}`);
      if (n > max) return fail(ErrorCode.INVALID_CONFIG, `${name} must be less than or equal to ${def.max} ${max}`);
    }
    return null;
  }

  /**
   * Sets a resource's dynamic configs to exactly `target` (AlterConfigs replaces them all;
   * IncrementalAlterConfigs computes `target` from the current ones). Topic configs must be known
   * with valid values; broker configs must be ones that may change at run time.
   */
  alterConfigs(resource: { type: ConfigResourceKind; name: string }, requested: ReadonlyMap<string, string>, validateOnly: boolean): Outcome {
    if (resource.type === 'client-metrics') return this.alterClientMetricsConfigs(resource.name, requested, validateOnly);
    let current: ReadonlyMap<string, string>;
    let target = requested;
    if (resource.type === 'group') {
      const problem = this.checkGroupConfigs(target);
      if (problem) return problem;
      current = this.image.groupConfigs.get(resource.name) ?? new Map();
    } else if (resource.type === 'topic') {
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

  /**
   * Sets a client metrics subscription's configs (KIP-714) to exactly `target`, checked as Kafka's
   * ClientMetricsConfigs checks them; an empty `target` removes the subscription.
   */
  private alterClientMetricsConfigs(name: string, requested: ReadonlyMap<string, string>, validateOnly: boolean): Outcome {
    // List values are kept as Kafka shows them: items trimmed, joined by ','.
    const target = new Map([...requested].map(([key, value]) => [key, CLIENT_METRICS_LIST_CONFIGS.has(key) ? parseList(value).join(',') : value]));
    const problem = checkClientMetricsConfigs(name, target);
    if (problem) return fail(problem.errorCode, problem.errorMessage);
    if (validateOnly) return OK;
    const current = this.image.clientMetricsConfigs.get(name) ?? new Map<string, string>();
    const records: MetadataRecord[] = [];
    const base = { type: 'Config' as const, resourceType: 'client-metrics' as const, resourceName: name };
    for (const key of current.keys()) if (!target.has(key)) records.push({ ...base, name: key, value: null });
    for (const [key, value] of target) if (current.get(key) !== value) records.push({ ...base, name: key, value });
    return this.commit(records);
  }

  /**
   * Creates the ACLs not already there (Kafka's AclControlManager.createAcls: an ACL equal to an
   * existing one, or to an earlier one of the same call, is success without a record). Each new
   * ACL gets a fresh id. The caller has validated them (auth/acl.ts invalidNewAcl).
   */
  createAcls(acls: readonly AclBinding[]): Outcome {
    const records: MetadataRecord[] = [];
    const seen = new Set<string>();
    for (const acl of acls) {
      const key = aclKey(acl);
      if (seen.has(key) || this.image.acls.idOf(acl) !== undefined) continue;
      seen.add(key);
      let id: string;
      do id = randomUuidString();
      while (this.image.acls.get(id) !== undefined);
      records.push({ type: 'AccessControlEntry', id, ...acl });
    }
    return this.commit(records);
  }

  /** Removes the ACLs with these ids, all or none (one DeleteAcls request is one batch). */
  deleteAcls(ids: readonly string[]): Outcome {
    const unique = [...new Set(ids)].filter((id) => this.image.acls.get(id) !== undefined);
    return this.commit(unique.map((id) => ({ type: 'RemoveAccessControlEntry' as const, id })));
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
    const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
    let placement: Placement;
    if (assignments) {
      if (assignments.length !== count - current) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${count - current} but ${assignments.length} assignments provided.`);
      }
      const checked = this.checkManualAssignments(assignments, replicationFactor, current);
      if (!('replicas' in checked)) return checked;
      placement = checked;
    } else {
      const placed = this.place(count - current, replicationFactor);
      if (!('replicas' in placed)) return placed;
      placement = placed;
    }
    if (validateOnly) return OK;
    const records: MetadataRecord[] = [];
    for (let p = current; p < count; p++) records.push(partitionRecord(topic.topicId, p, placement.replicas[p - current]!, placement.isrs[p - current]!));
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

  /**
   * Records the metadata.version feature, and whatever else the format was given (`sluice format
   * --add-scram` credentials), as one batch; done once, when a data directory is formatted.
   */
  bootstrap(features: ReadonlyArray<{ name: string; level: number }>, records: readonly MetadataRecord[] = []): void {
    this.commitOrThrow([...features.map((f): MetadataRecord => ({ type: 'FeatureLevel', name: f.name, level: f.level })), ...records]);
  }

  // ---- Features (KIP-584), Kafka's FeatureControlManager ----

  /**
   * UpdateFeatures: each update checked as Kafka's FeatureControlManager.updateFeature does, in
   * request order (the first refusal refuses the whole request, nothing written); then, unless
   * `validateOnly`, the new levels written as one batch of FeatureLevel records (level 0 takes a
   * feature back to unset). `upgradeType` is 1 upgrade, 2 safe downgrade, 3 unsafe downgrade.
   * metadata.version (27 only) and the features Sluice supports at 0 only are answered without a
   * record, their level being the one they already have.
   */
  updateFeatures(updates: ReadonlyArray<{ feature: string; maxVersionLevel: number; upgradeType: number }>, validateOnly: boolean): Outcome {
    // A feature named twice: its last update counts (Kafka puts them in a map).
    const byFeature = new Map<string, { level: number; upgradeType: number }>();
    for (const u of updates) byFeature.set(u.feature, { level: u.maxVersionLevel, upgradeType: u.upgradeType });
    const records: MetadataRecord[] = [];
    for (const [feature, { level, upgradeType }] of byFeature) {
      const problem = this.checkFeatureUpdate(feature, level, upgradeType);
      if (problem) {
        return fail(ErrorCode.INVALID_UPDATE_VERSION, `The update failed for all features since the following feature had an error: Invalid update version ${level} for feature ${feature}. ${problem}`);
      }
      if (isRecordedFeature(feature)) records.push({ type: 'FeatureLevel', name: feature, level });
    }
    return validateOnly ? OK : this.commit(records);
  }

  /** Why a feature may not be set to `level` with this upgrade type, or null. */
  private checkFeatureUpdate(feature: string, level: number, upgradeType: number): string | null {
    if (upgradeType < 1 || upgradeType > 3) return 'The controller does not support the given upgrade type.';
    const current = feature === 'metadata.version' ? METADATA_VERSION_LEVEL : (this.image.features.get(feature) ?? 0);
    if (level < 0) return 'A feature version cannot be less than 0.';
    const range = supportedLevels(feature) ?? { min: 0, max: 0 };
    const outside = (what: string, r: { min: number; max: number }) =>
      level < r.min || level > r.max ? (r.max === 0 ? `${what} does not support this feature.` : `${what} only supports versions ${r.min}-${r.max}`) : null;
    const local = outside(`Local controller ${this.nodeId}`, range);
    if (local) return local;
    // Registrations list the recorded features; the others every Sluice supports as this one does.
    for (const b of isRecordedFeature(feature) ? this.image.brokers.values() : []) {
      const f = b.features.find((x) => x.name === feature);
      const refused = outside(`Broker ${b.brokerId}`, f ? { min: f.minSupportedVersion, max: f.maxSupportedVersion } : { min: 0, max: 0 });
      if (refused) return refused;
    }
    if (level < current && upgradeType === 1) return "Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.";
    if (level > current && upgradeType !== 1) return "Can't downgrade to a newer version.";
    if (supportedLevels(feature) === undefined) return `Feature ${feature} not found.`;
    return null;
  }

  // ---- SCRAM credentials (issue 13), Kafka's ScramControlManager ----

  /**
   * AlterUserScramCredentials: deletions and upsertions, each user at most once per request
   * (a second mention fails that user with DUPLICATE_RESOURCE, whatever else it asked). Valid
   * changes are written as one batch; failures are answered per user. Results: the deletions, then
   * the upsertions that succeed, then the failures (Kafka lists them in hash order).
   */
  alterUserScramCredentials(request: AlterUserScramCredentialsRequest, deriveKeys: ScramKeyDerivation): AlterUserScramCredentialsResponse {
    const errors = new Map<string, Outcome>();
    const deletions = new Map<string, ScramMechanismName>();
    const upsertions = new Map<string, AlterUserScramCredentialsRequest['upsertions'][number] & { mechanismName: ScramMechanismName }>();
    const twice = fail(ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    for (const d of request.deletions) {
      if (errors.has(d.name)) continue;
      if (deletions.delete(d.name)) {
        errors.set(d.name, twice);
        continue;
      }
      const mechanism = SCRAM_MECHANISM_BY_TYPE.get(d.mechanism);
      const problem = checkScramUser(d.name, mechanism) ??
        (this.image.scramCredentials.get(d.name)?.has(mechanism!) ? null : fail(ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'));
      if (problem) errors.set(d.name, problem);
      else deletions.set(d.name, mechanism!);
    }
    for (const u of request.upsertions) {
      if (errors.has(u.name)) continue;
      if (deletions.delete(u.name) || upsertions.delete(u.name)) {
        errors.set(u.name, twice);
        continue;
      }
      const mechanism = SCRAM_MECHANISM_BY_TYPE.get(u.mechanism);
      const problem =
        checkScramUser(u.name, mechanism) ??
        (u.iterations < SCRAM_ITERATIONS_MIN ? fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations') : null) ??
        (u.iterations > SCRAM_ITERATIONS_MAX ? fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations') : null);
      if (problem) errors.set(u.name, problem);
      else upsertions.set(u.name, { ...u, mechanismName: mechanism! });
    }
    const records: MetadataRecord[] = [];
    const results: AlterUserScramCredentialsResponseAlterUserScramCredentialsResult[] = [];
    const ok = (user: string): AlterUserScramCredentialsResponseAlterUserScramCredentialsResult => ({ user, errorCode: ErrorCode.NONE, errorMessage: null });
    for (const [name, mechanism] of deletions) {
      records.push({ type: 'RemoveUserScramCredential', name, mechanism });
      results.push(ok(name));
    }
    for (const [name, u] of upsertions) {
      // Java's HMAC refuses an empty key; Kafka answers that upsertion UNKNOWN_SERVER_ERROR.
      if (u.saltedPassword.length === 0) {
        errors.set(name, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null });
        continue;
      }
      const { storedKey, serverKey } = deriveKeys(u.mechanismName, u.saltedPassword);
      records.push({
        type: 'UserScramCredential',
        name,
        mechanism: u.mechanismName,
        salt: u.salt.toString('base64'),
        storedKey: storedKey.toString('base64'),
        serverKey: serverKey.toString('base64'),
        iterations: u.iterations,
      });
      results.push(ok(name));
    }
    const committed = this.commit(records);
    if (committed.errorCode !== ErrorCode.NONE) {
      for (const r of results) Object.assign(r, { errorCode: committed.errorCode, errorMessage: committed.errorMessage });
    }
    for (const [user, e] of errors) results.push({ user, errorCode: e.errorCode, errorMessage: e.errorMessage });
    return { throttleTimeMs: 0, results };
  }

  // ---- Cluster membership (issue 12) ----

  /** The local broker of a combined node that has not registered: live, never fenced, no session. */
  private isImplicitLocal(brokerId: number): boolean {
    return this.implicitLocalBroker && brokerId === this.nodeId && !this.image.brokers.has(brokerId);
  }

  isRegistered(brokerId: number): boolean {
    return this.image.brokers.has(brokerId) || this.isImplicitLocal(brokerId);
  }

  /** Kafka's isActive: registered, not fenced, not in controlled shutdown. */
  isActive(brokerId: number): boolean {
    const b = this.image.brokers.get(brokerId);
    if (b) return !b.fenced && !b.inControlledShutdown;
    return this.isImplicitLocal(brokerId);
  }

  /** Brokers new replicas may go to: every registered one not in controlled shutdown, by id. */
  private usableBrokers(): UsableBroker[] {
    const out: UsableBroker[] = [];
    for (const b of this.image.brokers.values()) if (!b.inControlledShutdown) out.push({ id: b.brokerId, rack: b.rack, fenced: b.fenced });
    if (this.isImplicitLocal(this.nodeId)) out.push({ id: this.nodeId, rack: this.options.config?.get('broker.rack') || null, fenced: false });
    return out.sort((a, b) => a.id - b.id);
  }

  private sessionOf(brokerId: number, nowMs: number): BrokerSession {
    let s = this.sessions.get(brokerId);
    if (!s) this.sessions.set(brokerId, (s = { lastContactMs: nowMs, metadataOffset: -1n, controlledShutdownOffset: -1n }));
    return s;
  }

  /** Kafka's hasValidSession: unfenced and heard from within the session timeout. */
  private hasValidSession(b: BrokerRegistration, nowMs: number): boolean {
    if (b.fenced) return false;
    return this.sessionOf(b.brokerId, nowMs).lastContactMs + this.sessionTimeoutMs >= nowMs;
  }

  private brokerConfig(name: string): string | null {
    if (this.options.config) return this.options.config.get(name);
    return this.image.brokerConfigs.get(String(this.nodeId))?.get(name) ?? this.image.brokerConfigs.get('')?.get(name) ?? null;
  }

  /** unclean.leader.election.enable of the topic, else of the broker (Kafka's default: false). */
  uncleanLeaderElectionEnabled(topic: TopicState): boolean {
    const name = 'unclean.leader.election.enable';
    return (topic.configs.get(name) ?? this.brokerConfig(name) ?? 'false').trim().toLowerCase() === 'true';
  }

  private *allPartitions(): Iterable<{ topic: TopicState; partition: PartitionState }> {
    for (const topic of this.image.topicsById.values()) for (const partition of topic.partitions) yield { topic, partition };
  }

  private hasLeaderships(brokerId: number): boolean {
    for (const { partition } of this.allPartitions()) if (partition.leader === brokerId) return true;
    return false;
  }

  /**
   * Kafka's generateLeaderAndIsrUpdates: for each selected partition, `brokerToRemove` leaves the
   * ISR and may not lead, `brokerToAdd` may lead even though the image still shows it fenced; a
   * new leader is elected where needed (unclean where the topic allows it).
   */
  private leaderAndIsrUpdates(brokerToRemove: number, brokerToAdd: number, select: (p: PartitionState) => boolean): PartitionChangeRecord[] {
    const acceptable = (r: number): boolean => r !== brokerToRemove && (r === brokerToAdd || this.isActive(r));
    const records: PartitionChangeRecord[] = [];
    for (const { topic, partition } of this.allPartitions()) {
      if (!select(partition)) continue;
      const rec = buildPartitionChange(topic.topicId, partition, {
        targetIsr: partition.isr.filter((r) => r !== brokerToRemove),
        election: this.uncleanLeaderElectionEnabled(topic) ? 'unclean' : 'any',
        isAcceptableLeader: acceptable,
      });
      if (rec) records.push(rec);
    }
    return records;
  }

  /** Kafka's handleBrokerFenced: out of every ISR, leaderships moved, then the fence itself. */
  private fenceRecords(b: BrokerRegistration): MetadataRecord[] {
    return [
      ...this.leaderAndIsrUpdates(b.brokerId, NO_LEADER, (p) => p.isr.includes(b.brokerId)),
      { type: 'BrokerRegistrationChange', brokerId: b.brokerId, brokerEpoch: String(b.brokerEpoch), fenced: true, inControlledShutdown: false },
    ];
  }

  /**
   * BrokerRegistration (key 62), Kafka's checks in Kafka's order: the cluster id, a live session
   * of another incarnation (DUPLICATE_BROKER_REGISTRATION), ZooKeeper brokers, log directories,
   * then every feature range against the finalized levels. A new incarnation gets a new broker
   * epoch and starts fenced; the same incarnation registering again keeps its epoch and state. A
   * new incarnation of a broker that still leads or sits in ISRs (it restarted before its session
   * lapsed, or it is a combined node's broker registering for the first time) is first taken out
   * of them, as Kafka 4 does for an unclean shutdown; it leads again once unfenced.
   */
  registerBroker(request: BrokerRegistrationRequest, nowMs: number): BrokerRegistrationOutcome {
    const refuse = (errorCode: number, message: string): BrokerRegistrationOutcome => ({ ...fail(errorCode, message), brokerEpoch: -1n });
    if (request.clusterId !== this.clusterId) {
      return refuse(ErrorCode.INCONSISTENT_CLUSTER_ID, `Expected cluster ID ${this.clusterId ?? '(none)'}, but got cluster ID ${request.clusterId}`);
    }
    const brokerId = request.brokerId;
    const incarnationId = request.incarnationId.toString('base64url');
    const existing = this.image.brokers.get(brokerId);
    if (existing && this.hasValidSession(existing, nowMs) && existing.incarnationId !== incarnationId) {
      return refuse(ErrorCode.DUPLICATE_BROKER_REGISTRATION, 'Another broker is registered with that broker id.');
    }
    if (request.isMigratingZkBroker) return refuse(ErrorCode.BROKER_ID_NOT_REGISTERED, 'Controller does not support registering ZK brokers.');
    if (request.logDirs.length === 0) return refuse(ErrorCode.INVALID_REGISTRATION, 'No directories specified in request');
    if (request.logDirs.some(isReservedDirectoryId)) return refuse(ErrorCode.INVALID_REGISTRATION, 'Reserved directory ID in request');
    const logDirs = request.logDirs.map((d) => d.toString('base64url'));
    if (new Set(logDirs).size !== logDirs.length) return refuse(ErrorCode.INVALID_REGISTRATION, 'Duplicate directory ID in request');
    for (const dir of logDirs) {
      for (const other of this.image.brokers.values()) {
        if (other.brokerId !== brokerId && other.logDirs.includes(dir)) {
          return refuse(ErrorCode.INVALID_REGISTRATION, `Broker ${other.brokerId} is already registered with directory ${dir}`);
        }
      }
    }
    // Every finalized feature must be in the broker's range; one it does not name has range [0, 0].
    const ranges = new Map(request.features.map((f) => [f.name, f]));
    for (const [name, level] of this.image.features) if (level !== 0 && !ranges.has(name)) ranges.set(name, { name, minSupportedVersion: 0, maxSupportedVersion: 0 });
    for (const f of ranges.values()) {
      const finalized = this.image.features.get(f.name) ?? 0;
      if (finalized < f.minSupportedVersion || finalized > f.maxSupportedVersion) {
        return refuse(
          ErrorCode.UNSUPPORTED_VERSION,
          `Unable to register because the broker does not support finalized version ${finalized} of ${f.name}. The broker wants a version between ${f.minSupportedVersion} and ${f.maxSupportedVersion}, inclusive.`,
        );
      }
    }

    const newIncarnation = existing?.incarnationId !== incarnationId;
    const records: MetadataRecord[] = [];
    // A combined node's broker registering for the first time was, until now, the implicit live
    // broker: like any restarted broker it gives up what it led until it is unfenced again.
    if (newIncarnation && (existing || this.isImplicitLocal(brokerId))) records.push(...this.uncleanShutdownRecords(brokerId));
    const brokerEpoch = newIncarnation || !existing ? this.metadataLog.logEndOffset : existing.brokerEpoch;
    records.push({
      type: 'RegisterBroker',
      brokerId,
      incarnationId,
      brokerEpoch: String(brokerEpoch),
      endpoints: request.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
      rack: request.rack,
      fenced: newIncarnation || !existing ? true : existing.fenced,
      inControlledShutdown: newIncarnation || !existing ? false : existing.inControlledShutdown,
      features: request.features.map((f) => ({ name: f.name, minSupportedVersion: f.minSupportedVersion, maxSupportedVersion: f.maxSupportedVersion })),
      logDirs,
    });
    const committed = this.commit(records);
    if (committed.errorCode !== ErrorCode.NONE) return { ...committed, brokerEpoch: -1n };
    if (newIncarnation) this.sessions.delete(brokerId);
    const session = this.sessionOf(brokerId, nowMs);
    session.lastContactMs = nowMs;
    return { ...OK, brokerEpoch };
  }

  /** A restarted broker's old incarnation leaves every ISR and leadership it still held. */
  private uncleanShutdownRecords(brokerId: number): PartitionChangeRecord[] {
    return this.leaderAndIsrUpdates(brokerId, NO_LEADER, (p) => p.isr.includes(brokerId) || p.leader === brokerId);
  }

  /** Kafka's checkBrokerEpoch; null when it matches. */
  private staleBrokerEpoch(brokerId: number, brokerEpoch: bigint): Outcome | null {
    const b = this.image.brokers.get(brokerId);
    if (!b) return fail(ErrorCode.STALE_BROKER_EPOCH, `No broker registration found for broker id ${brokerId}`);
    if (b.brokerEpoch !== brokerEpoch) return fail(ErrorCode.STALE_BROKER_EPOCH, `Expected broker epoch ${b.brokerEpoch}, but got broker epoch ${brokerEpoch}`);
    return null;
  }

  private stateOf(b: BrokerRegistration): BrokerState {
    if (b.fenced) return 'fenced';
    return b.inControlledShutdown ? 'controlled-shutdown' : 'unfenced';
  }

  /** The lowest metadata offset an active broker reported; a broker in controlled shutdown waits for it. */
  private lowestActiveOffset(nowMs: number): bigint {
    let lowest: bigint | null = null;
    for (const b of this.image.brokers.values()) {
      if (b.fenced || b.inControlledShutdown) continue;
      const offset = this.sessionOf(b.brokerId, nowMs).metadataOffset;
      if (lowest === null || offset < lowest) lowest = offset;
    }
    return lowest ?? BigInt(Number.MAX_SAFE_INTEGER);
  }

  /** Kafka's BrokerHeartbeatManager.calculateNextBrokerState. */
  private nextState(b: BrokerRegistration, request: BrokerHeartbeatRequest, nowMs: number): BrokerState {
    const current = this.stateOf(b);
    switch (current) {
      case 'fenced':
        if (request.wantShutDown) return 'shutdown-now';
        if (!request.wantFence && request.currentMetadataOffset >= b.registrationOffset) return 'unfenced';
        return 'fenced';
      case 'unfenced':
        if (request.wantFence) return request.wantShutDown ? 'shutdown-now' : 'fenced';
        if (request.wantShutDown) return this.hasLeaderships(b.brokerId) ? 'controlled-shutdown' : 'shutdown-now';
        return 'unfenced';
      case 'controlled-shutdown': {
        if (this.hasLeaderships(b.brokerId)) return 'controlled-shutdown';
        // Shut down only once every active broker has seen the leaderships move.
        const offset = this.sessionOf(b.brokerId, nowMs).controlledShutdownOffset;
        return offset <= this.lowestActiveOffset(nowMs) ? 'shutdown-now' : 'controlled-shutdown';
      }
      default:
        return 'shutdown-now';
    }
  }

  /**
   * BrokerHeartbeat (key 63): checks the broker epoch (STALE_BROKER_EPOCH), moves the broker
   * between fenced, unfenced, controlled shutdown and shut down as Kafka's heartbeat manager does,
   * writes what that changes, and renews its session.
   */
  heartbeat(request: BrokerHeartbeatRequest, nowMs: number): BrokerHeartbeatOutcome {
    const stale = this.staleBrokerEpoch(request.brokerId, request.brokerEpoch);
    if (stale) return { ...stale, isCaughtUp: false, isFenced: true, shouldShutDown: false };
    const b = this.image.brokers.get(request.brokerId)!;
    const current = this.stateOf(b);
    const next = this.nextState(b, request, nowMs);
    const epoch = String(b.brokerEpoch);
    let records: MetadataRecord[] = [];
    if (next !== current) {
      if (next === 'fenced' || next === 'shutdown-now') records = this.fenceRecords(b);
      else if (next === 'unfenced') {
        records = [
          { type: 'BrokerRegistrationChange', brokerId: b.brokerId, brokerEpoch: epoch, fenced: false },
          // Leaderless partitions it can lead now (it was their last ISR member).
          ...this.leaderAndIsrUpdates(NO_LEADER, b.brokerId, (p) => p.leader === NO_LEADER),
        ];
      } else if (next === 'controlled-shutdown') {
        records = [
          { type: 'BrokerRegistrationChange', brokerId: b.brokerId, brokerEpoch: epoch, inControlledShutdown: true },
          ...this.leaderAndIsrUpdates(b.brokerId, NO_LEADER, (p) => p.isr.includes(b.brokerId)),
        ];
      }
    }
    const committed = this.commit(records);
    const isCaughtUp = request.currentMetadataOffset >= b.registrationOffset;
    if (committed.errorCode !== ErrorCode.NONE) return { ...committed, isCaughtUp, isFenced: current === 'fenced', shouldShutDown: false };
    const session = this.sessionOf(b.brokerId, nowMs);
    session.lastContactMs = nowMs;
    session.metadataOffset = request.currentMetadataOffset;
    const fenced = next === 'fenced' || next === 'shutdown-now';
    if (fenced) session.controlledShutdownOffset = -1n;
    else if (next === 'controlled-shutdown' && session.controlledShutdownOffset < 0n) session.controlledShutdownOffset = this.image.lastOffset;
    return { ...OK, isCaughtUp, isFenced: fenced, shouldShutDown: next === 'shutdown-now' };
  }

  /**
   * Fences every broker whose session has lapsed (not heard from for more than sessionTimeoutMs),
   * one metadata batch each so each fence is seen before the next; returns their ids. The owner
   * calls it from a timer. Throws LogStorageError when a fence cannot be written.
   */
  fenceStaleBrokers(nowMs: number): number[] {
    const fenced: number[] = [];
    for (const b of [...this.image.brokers.values()]) {
      if (b.fenced || this.hasValidSession(b, nowMs)) continue;
      this.commitOrThrow(this.fenceRecords(b));
      this.sessionOf(b.brokerId, nowMs).controlledShutdownOffset = -1n;
      fenced.push(b.brokerId);
    }
    return fenced;
  }

  /** UnregisterBroker (key 64): out of every ISR, leaderships moved, then forgotten. */
  unregisterBroker(brokerId: number): Outcome {
    const b = this.image.brokers.get(brokerId);
    if (!b) return fail(ErrorCode.BROKER_ID_NOT_REGISTERED, `Broker ID ${brokerId} is not currently registered`);
    const committed = this.commit([
      ...this.leaderAndIsrUpdates(brokerId, NO_LEADER, (p) => p.isr.includes(brokerId)),
      { type: 'UnregisterBroker', brokerId, brokerEpoch: String(b.brokerEpoch) },
    ]);
    if (committed.errorCode === ErrorCode.NONE) this.sessions.delete(brokerId);
    return committed;
  }

  /**
   * AlterPartition (key 56) from a partition leader, validated in Kafka's order: broker epoch
   * (STALE_BROKER_EPOCH for the whole request), topic (UNKNOWN_TOPIC_ID from v2, by name before),
   * partition, a newer epoch than ours (NOT_CONTROLLER), an older leader epoch
   * (FENCED_LEADER_EPOCH), not the leader (INVALID_REQUEST, as Kafka answers), an older partition
   * epoch (INVALID_UPDATE_VERSION), an ISR outside the replicas or without the leader
   * (INVALID_REQUEST), a fenced, shutting-down or re-registered replica added
   * (INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED before v2). Each accepted change bumps the
   * partition epoch; all are written as one batch.
   */
  alterPartition(request: AlterPartitionRequest, version: number): AlterPartitionResponse {
    const response: AlterPartitionResponse = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: [] };
    const stale = this.staleBrokerEpoch(request.brokerId, request.brokerEpoch);
    if (stale) return { ...response, errorCode: stale.errorCode };
    const records: PartitionChangeRecord[] = [];
    const pending: Array<{ out: AlterPartitionResponsePartitionData; change: PartitionChangeRecord | null; partition: PartitionState }> = [];
    for (const topicData of request.topics) {
      const partitions: AlterPartitionResponsePartitionData[] = [];
      response.topics.push({ topicName: topicData.topicName, topicId: topicData.topicId, partitions });
      const topic = version > 1 ? this.image.topicsById.get(topicData.topicId.toString('base64url')) : this.image.topicsByName.get(topicData.topicName);
      for (const data of topicData.partitions) {
        const out: AlterPartitionResponsePartitionData = { partitionIndex: data.partitionIndex, errorCode: ErrorCode.NONE, leaderId: 0, leaderEpoch: 0, isr: [], leaderRecoveryState: 0, partitionEpoch: 0 };
        partitions.push(out);
        if (!topic) {
          out.errorCode = version > 1 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        const newIsr = version < 3 ? data.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })) : data.newIsrWithEpochs;
        const stored = topic.partitions[data.partitionIndex];
        // The same partition twice in one request: the second sees what the first changed.
        const partition = stored && latest(records, topic.topicId, stored);
        const error = this.checkAlterPartition(request.brokerId, partition, data.leaderEpoch, data.partitionEpoch, newIsr, version);
        if (error !== ErrorCode.NONE || !partition) {
          out.errorCode = error;
          continue;
        }
        const change = buildPartitionChange(topic.topicId, partition, {
          targetIsr: newIsr.map((s) => s.brokerId),
          election: this.uncleanLeaderElectionEnabled(topic) ? 'unclean' : 'any',
          isAcceptableLeader: (r) => this.isActive(r),
        });
        if (change) records.push(change);
        pending.push({ out, change, partition });
      }
    }
    const committed = this.commit(records);
    if (committed.errorCode !== ErrorCode.NONE) return { ...response, errorCode: committed.errorCode, topics: [] };
    for (const { out, change, partition } of pending) {
      const now = change ?? partition;
      if (change && change.leader !== request.brokerId && change.leader !== partition.leader) {
        // Only a completed reassignment moves the leader here; the leader must look again.
        out.errorCode = version > 1 ? ErrorCode.NEW_LEADER_ELECTED : ErrorCode.FENCED_LEADER_EPOCH;
        continue;
      }
      Object.assign(out, { leaderId: now.leader, leaderEpoch: now.leaderEpoch, isr: [...now.isr], partitionEpoch: now.partitionEpoch });
    }
    return response;
  }

  private checkAlterPartition(
    brokerId: number,
    partition: PartitionState | undefined,
    leaderEpoch: number,
    partitionEpoch: number,
    newIsr: ReadonlyArray<{ brokerId: number; brokerEpoch: bigint }>,
    version: number,
  ): number {
    if (!partition) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    // Epochs newer than ours: this controller is likely no longer the active one.
    if (leaderEpoch > partition.leaderEpoch || partitionEpoch > partition.partitionEpoch) return ErrorCode.NOT_CONTROLLER;
    if (leaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (brokerId !== partition.leader) return ErrorCode.INVALID_REQUEST;
    if (partitionEpoch < partition.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
    const ids = newIsr.map((s) => s.brokerId);
    if (new Set(ids).size !== ids.length || ids.some((r) => !partition.replicas.includes(r))) return ErrorCode.INVALID_REQUEST;
    if (!ids.includes(partition.leader)) return ErrorCode.INVALID_REQUEST;
    for (const s of newIsr) {
      const b = this.image.brokers.get(s.brokerId);
      const eligible = b ? !b.inControlledShutdown && !b.fenced && (s.brokerEpoch === -1n || s.brokerEpoch === b.brokerEpoch) : this.isImplicitLocal(s.brokerId);
      if (!eligible) return version > 1 ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.OPERATION_NOT_ATTEMPTED;
    }
    return ErrorCode.NONE;
  }

  /**
   * ElectLeaders (key 43): PREFERRED moves leadership back to each partition's first replica when
   * it is a live ISR member (ELECTION_NOT_NEEDED when it already leads,
   * PREFERRED_LEADER_NOT_AVAILABLE when nothing changes); UNCLEAN elects a leader for a leaderless
   * partition, from outside the ISR if it must (ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is
   * live). `topicPartitions` null means every partition, leaving out those needing no election.
   * All elections are written as one batch.
   */
  electLeaders(request: ElectLeadersRequest): ElectLeadersResponse {
    const response: ElectLeadersResponse = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [] };
    let election: Election;
    if (request.electionType === ElectionType.PREFERRED) election = 'preferred';
    else if (request.electionType === ElectionType.UNCLEAN) election = 'unclean';
    else {
      // Kafka answers an unknown election type for every partition named, each INVALID_REQUEST.
      const invalid = (tp: { topic: string; partitions: number[] }): ElectLeadersResponse['replicaElectionResults'][number] => ({
        topic: tp.topic,
        partitionResult: tp.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown election type ${request.electionType}` })),
      });
      return { ...response, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: (request.topicPartitions ?? []).map(invalid) };
    }
    const records: PartitionChangeRecord[] = [];
    if (request.topicPartitions === null) {
      for (const topic of this.image.topicsByName.values()) {
        const partitionResult: ElectLeadersResponsePartitionResult[] = [];
        response.replicaElectionResults.push({ topic: topic.name, partitionResult });
        for (const p of topic.partitions) {
          const r = this.electLeader(topic.name, p.partition, election, records);
          if (r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) partitionResult.push(r);
        }
      }
    } else {
      for (const tp of request.topicPartitions) {
        const partitionResult = tp.partitions.map((p) => this.electLeader(tp.topic, p, election, records));
        response.replicaElectionResults.push({ topic: tp.topic, partitionResult });
      }
    }
    const committed = this.commit(records);
    if (committed.errorCode !== ErrorCode.NONE) return { ...response, errorCode: committed.errorCode, replicaElectionResults: [] };
    return response;
  }

  private electLeader(topicName: string, partitionId: number, election: Election, records: PartitionChangeRecord[]): ElectLeadersResponsePartitionResult {
    const result = (errorCode: number, errorMessage: string | null): ElectLeadersResponsePartitionResult => ({ partitionId, errorCode, errorMessage });
    const topic = this.image.topicsByName.get(topicName);
    if (!topic) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such topic as ${topicName}`);
    const stored = topic.partitions[partitionId];
    if (!stored) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topicName}-${partitionId}`);
    // The same partition twice in one request: the second sees what the first changed.
    const p = latest(records, topic.topicId, stored);
    if ((election === 'preferred' && p.leader === p.replicas[0]) || (election === 'unclean' && p.leader !== NO_LEADER)) {
      return result(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
    }
    // The same partition twice in one request: elect from the state this request already made.
    const change = buildPartitionChange(topic.topicId, p, { election, isAcceptableLeader: (r) => this.isActive(r) });
    if (!change) {
      return election === 'preferred'
        ? result(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'The preferred leader was not available.')
        : result(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'Eligible topic partition leaders are not available.');
    }
    records.push(change);
    return result(ErrorCode.NONE, null);
  }

  /**
   * Moves a partition's leadership to `brokerId` (the test-control plane's moveLeader; what an
   * operator does with a reassignment that reorders the replicas and a preferred election, as one
   * record): the replicas are reordered with `brokerId` first, so the auto leader rebalance keeps
   * it there, the leader epoch goes up by one, the ISR stays as it is. Refused with
   * INVALID_REQUEST-style messages when the broker is not a replica, not in the ISR, fenced or
   * shutting down, or a reassignment is going on; nothing to do when it leads already.
   */
  moveLeader(topicName: string, partitionId: number, brokerId: number): Outcome & { leaderEpoch?: number } {
    const topic = this.image.topicsByName.get(topicName);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${topicName}`);
    const p = topic.partitions[partitionId];
    if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topicName}-${partitionId}`);
    if (p.leader === brokerId) return { ...OK, leaderEpoch: p.leaderEpoch };
    const where = `${topicName}-${partitionId} (replicas [${p.replicas.join(', ')}], ISR [${p.isr.join(', ')}], leader ${p.leader})`;
    if (!p.replicas.includes(brokerId)) {
      return fail(ErrorCode.INVALID_REQUEST, `broker ${brokerId} holds no replica of ${where}; only a replica can lead${p.replicas.length === 1 ? ' (a partition with one replica cannot change leader: use a cluster and a replication factor above 1)' : ''}`);
    }
    if (isReassigning(p)) return fail(ErrorCode.INVALID_REQUEST, `${where} is being reassigned; move its leader once that is done`);
    if (!p.isr.includes(brokerId)) return fail(ErrorCode.INVALID_REQUEST, `broker ${brokerId} is not in the ISR of ${where}: it may not have every record`);
    if (!this.isActive(brokerId)) return fail(ErrorCode.INVALID_REQUEST, `broker ${brokerId} is fenced or shutting down: it cannot lead ${where}`);
    const record = buildPartitionChange(topic.topicId, p, {
      targetReplicas: [brokerId, ...p.replicas.filter((r) => r !== brokerId)],
      election: 'preferred',
      isAcceptableLeader: (r) => this.isActive(r),
    });
    if (!record || record.leader !== brokerId) return fail(ErrorCode.INVALID_REQUEST, `broker ${brokerId} could not be elected for ${where}`);
    const committed = this.commit([record]);
    if (committed.errorCode !== ErrorCode.NONE) return committed;
    return { ...OK, leaderEpoch: record.leaderEpoch };
  }

  // ---- Partition reassignment (KIP-455) and leader balance ----

  /**
   * AlterPartitionReassignments (key 45), each partition checked as Kafka's ReplicationControlManager
   * does: topic and partition (UNKNOWN_TOPIC_OR_PARTITION), then for a target list Kafka's manual
   * assignment rules (INVALID_REPLICA_ASSIGNMENT: empty, unregistered broker, a broker twice), then
   * with v1's allowReplicationFactorChange false an unchanged count of replicas
   * (INVALID_REPLICATION_FACTOR); a null list cancels (NO_REASSIGNMENT_IN_PROGRESS when none is
   * going on). A target becomes one PartitionChange: replicas = the target then the replicas
   * leaving, with addingReplicas and removingReplicas; the new replicas fetch from the leader, and
   * the leader's ISR expansion that brings the last of them in completes it (partition-change.ts).
   * A cancel goes back to the replicas before it, minus those that were being added (an unclean
   * election when none of the others is in the ISR, refused unless the topic allows one). Every
   * change is written as one batch.
   */
  alterPartitionReassignments(request: AlterPartitionReassignmentsRequest, version: number): AlterPartitionReassignmentsResponse {
    const allowReplicationFactorChange = version < 1 || request.allowReplicationFactorChange;
    const records: PartitionChangeRecord[] = [];
    const responses = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((target) => {
        const o = this.alterPartitionReassignment(topic.name, target, allowReplicationFactorChange, records);
        return { partitionIndex: target.partitionIndex, errorCode: o.errorCode, errorMessage: o.errorMessage };
      }),
    }));
    const committed = this.commit(records);
    if (committed.errorCode !== ErrorCode.NONE) {
      for (const p of responses.flatMap((r) => r.partitions)) if (p.errorCode === ErrorCode.NONE) Object.assign(p, { errorCode: committed.errorCode, errorMessage: committed.errorMessage });
    }
    return { throttleTimeMs: 0, allowReplicationFactorChange: request.allowReplicationFactorChange, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  }

  private alterPartitionReassignment(topicName: string, target: AlterPartitionReassignmentsRequestReassignablePartition, allowReplicationFactorChange: boolean, records: PartitionChangeRecord[]): Outcome {
    const topic = this.image.topicsByName.get(topicName);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${topicName}.`);
    const stored = topic.partitions[target.partitionIndex];
    if (!stored) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topicName}:${target.partitionIndex}.`);
    // The same partition twice in one request: the second sees what the first changed.
    const p = latest(records, topic.topicId, stored);
    const change = target.replicas === null ? this.cancelReassignment(topic, p) : this.startReassignment(topic, p, target.replicas, allowReplicationFactorChange);
    if ('errorCode' in change) return change;
    if (change.record) records.push(change.record);
    return OK;
  }

  private startReassignment(topic: TopicState, p: PartitionState, target: readonly number[], allowReplicationFactorChange: boolean): { record: PartitionChangeRecord | null } | Outcome {
    const invalid = this.checkReplicaList(target);
    if (invalid) return invalid;
    const adding = p.addingReplicas ?? [];
    const removing = p.removingReplicas ?? [];
    if (!allowReplicationFactorChange) {
      // The partition's factor is its target's when a reassignment is going on (Kafka's
      // validatePartitionReplicationFactorUnchanged).
      const current = adding.length + removing.length > 0 ? new Set([...p.replicas, ...adding].filter((r) => !removing.includes(r))).size : p.replicas.length;
      if (target.length !== current) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `The replication factor is changed from ${current} to ${target.length}`);
    }
    // Kafka's PartitionReassignmentReplicas: the target first, then the replicas leaving (by id).
    const leaving = [...new Set(p.replicas.filter((r) => !target.includes(r)))].sort((a, b) => a - b);
    const joining = [...new Set(target.filter((r) => !p.replicas.includes(r)))].sort((a, b) => a - b);
    const record = buildPartitionChange(topic.topicId, p, {
      targetReplicas: [...target, ...leaving],
      targetAdding: joining,
      targetRemoving: leaving,
      isAcceptableLeader: (r) => this.isActive(r),
    });
    return { record };
  }

  /** Kafka's validateManualPartitionAssignment for one list: not empty, every broker registered, none twice. */
  private checkReplicaList(replicas: readonly number[]): Outcome | null {
    if (replicas.length === 0) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
    const sorted = [...replicas].sort((a, b) => a - b);
    for (const [j, brokerId] of sorted.entries()) {
      if (!this.isRegistered(brokerId)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${brokerId}, but no such broker is registered.`);
      if (j > 0 && sorted[j - 1] === brokerId) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${brokerId} more than once.`);
    }
    return null;
  }

  /** Kafka's cancelPartitionReassignment with PartitionReassignmentRevert. */
  private cancelReassignment(topic: TopicState, p: PartitionState): { record: PartitionChangeRecord | null } | Outcome {
    const adding = p.addingReplicas ?? [];
    const removing = p.removingReplicas ?? [];
    // Kafka answers this one without a message.
    if (adding.length === 0 && removing.length === 0) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null };
    const replicas = p.replicas.filter((r) => !adding.includes(r));
    let isr = p.isr.filter((r) => !adding.includes(r));
    const unclean = isr.length === 0;
    const uncleanAllowed = this.uncleanLeaderElectionEnabled(topic);
    if (unclean) {
      if (!uncleanAllowed) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unable to revert partition assignment for ${topic.name}:${p.partition} because it would require an unclean leader election.`);
      }
      isr = [replicas[0]!];
    }
    const record = buildPartitionChange(topic.topicId, p, {
      targetReplicas: replicas,
      targetAdding: [],
      targetRemoving: [],
      targetIsr: isr,
      election: uncleanAllowed ? 'unclean' : 'any',
      isAcceptableLeader: (r) => this.isActive(r),
    });
    return { record };
  }

  /**
   * ListPartitionReassignments (key 46): the partitions with a reassignment going on, with their
   * replicas, adding and removing replicas; of every topic (`topics` null) or of those named
   * (unknown topics and partitions are left out, as Kafka does).
   */
  listPartitionReassignments(request: ListPartitionReassignmentsRequest): ListPartitionReassignmentsResponse {
    const response: ListPartitionReassignmentsResponse = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
    const wanted = request.topics === null ? [...this.image.topicsByName.values()].map((t) => ({ topic: t, indexes: t.partitions.map((p) => p.partition) })) : request.topics.map((t) => ({ topic: this.image.topicsByName.get(t.name), indexes: t.partitionIndexes }));
    for (const { topic, indexes } of wanted) {
      if (!topic) continue;
      const partitions: ListPartitionReassignmentsResponseOngoingPartitionReassignment[] = [];
      for (const i of indexes) {
        const p = topic.partitions[i];
        if (!p || !isReassigning(p)) continue;
        partitions.push({ partitionIndex: i, replicas: [...p.replicas], addingReplicas: [...(p.addingReplicas ?? [])], removingReplicas: [...(p.removingReplicas ?? [])] });
      }
      if (partitions.length > 0) response.topics.push({ name: topic.name, partitions });
    }
    return response;
  }

  /**
   * The auto leader rebalance (auto.leader.rebalance.enable; Kafka 4's
   * maybeBalancePartitionLeaders): a preferred election for every partition not led by its first
   * replica, where that replica is a live ISR member; at most `electionsMax` per call, one batch.
   * Returns how many partitions changed; the owner calls it every
   * leader.imbalance.check.interval.seconds, and again at once when it hit the bound. Kafka 4 has
   * no leader.imbalance.per.broker.percentage any more: one misplaced leader is enough. Throws
   * LogStorageError when the batch cannot be written.
   */
  balancePartitionLeaders(electionsMax = LEADER_ELECTIONS_PER_BALANCE_MAX): number {
    const records: PartitionChangeRecord[] = [];
    for (const { topic, partition } of this.allPartitions()) {
      if (records.length >= electionsMax) break;
      if (partition.replicas.length === 0 || partition.leader === partition.replicas[0]) continue;
      const change = buildPartitionChange(topic.topicId, partition, { election: 'preferred', isAcceptableLeader: (r) => this.isActive(r) });
      if (change) records.push(change);
    }
    this.commitOrThrow(records);
    return records.length;
  }
}
