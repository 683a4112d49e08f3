/**
 * Sluice's public API for embedding a broker in a Node process or test suite:
 *
 *   import { startBroker } from 'sluice';
 *   const broker = await startBroker({ port: 0, dataDir: tmpDir });
 *   // kafkajs: brokers: [`127.0.0.1:${broker.port}`]
 *   await broker.stop();
 *
 * A test that needs time to pass (a 45 s session timeout, 7-day retention, a transaction timeout)
 * moves a virtual clock instead of sleeping (src/control/clock.ts):
 *
 *   const broker = await startBroker({ port: 0, dataDir: tmpDir, clock: 'virtual' });
 *   await broker.clock.advance(46_000); // the dead member's session has expired when this resolves
 *
 * `port: 0` picks a free port. Without `dataDir`, data goes to the default directory
 * (~/.sluice/data, or $SLUICE_DATA_DIR).
 *
 * Or a cluster of processes on one machine (src/cluster.ts: ports, files, start and stop order):
 *
 *   const cluster = await startCluster({ brokers: 3, port: 19092, dataDir: tmpDir });
 *   // kafkajs: brokers: cluster.bootstrap.split(',')
 *   await cluster.nodes[1]!.kill();     // SIGKILL one broker
 *   await cluster.nodes[1]!.restart();  // same config and data
 *   await cluster.stop();               // brokers first, then the controller
 */
import { Broker, formatDataDir, type BrokerOptions, type FormatOptions } from './broker.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { silentLogger } from './logger.js';
import type { FaultInjector } from './control/faults.js';
import { isVirtualClock, type AdvanceResult, type Clock } from './control/clock.js';
import { ConfigError } from './config/broker-config.js';
import type { RequestLogEntry, RequestMatcher } from './control/request-log.js';
import type { ConnectionView } from './control/observer.js';
import type { PartitionStateView } from './admin/partitions.js';
import { renderMetrics } from './admin/metrics.js';
import type { CoordinatorKey, MovedLeader } from './control/cluster-ops.js';
import type { Kafka4Notes } from './control/kafka4-notes.js';
import type { KafkaVersionView } from './control/kafka-version.js';

export interface RunningBroker {
  /** The port clients connect to. */
  readonly port: number;
  readonly host: string;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly dataDir: string;
  /** Milliseconds from the call to accepting connections. */
  readonly readyMs: number;
  /**
   * Faults for tests: `faults.add({ apiKey: 0, errorCode: 6, times: 2 })` makes the next two
   * Produce requests fail with NOT_LEADER_OR_FOLLOWER (src/control/faults.ts).
   */
  readonly faults: FaultInjector;
  /**
   * The broker's clock (src/control/clock.ts). With `clock: 'virtual'`, `await clock.advance(45_000)`
   * moves it 45 s forward: every timeout, expiry and retention check due by then runs, in order,
   * before the promise resolves. On wall time, advance() rejects.
   */
  readonly clock: BrokerClock;
  /** The admin endpoint's port (the `adminPort` option); 0 when not served. */
  readonly adminPort: number;
  /**
   * The log entry of the next request answered that matches (API key, version range, client id,
   * topic, partition), e.g. `await broker.nextRequest({ apiKey: 1 }, { timeoutMs: 5000 })` for
   * the next Fetch; rejects after timeoutMs.
   */
  nextRequest(matcher?: RequestMatcher, opts?: { timeoutMs?: number }): Promise<RequestLogEntry>;
  /** The newest `limit` requests answered, oldest first (GET /requests). */
  requests(limit?: number): RequestLogEntry[];
  /** Open client connections (GET /connections). */
  connections(): ConnectionView[];
  /** One partition's log start, high watermark, LSO, log end, leader, epoch, ISR, size; null when not held here. */
  partitionState(topic: string, partition: number): PartitionStateView | null;
  /** Every partition held here (GET /partitions). */
  partitionStates(): PartitionStateView[];
  /** The Prometheus text of GET /metrics (src/admin/metrics.ts names the metrics). */
  metrics(): string;
  /**
   * Moves a partition's leader to `brokerId` (a real partition change: leader epoch bumped, ISR
   * kept; control/cluster-ops.ts). One node cannot: a partition of one replica has no other
   * leader to take, and it throws ClusterOpError saying so.
   */
  moveLeader(topic: string, partition: number, brokerId: number): MovedLeader;
  /** Makes `brokerId` the coordinator of a group or transactional id (moves its internal partition's leader). */
  pinCoordinator(key: CoordinatorKey, brokerId: number): MovedLeader;
  /** The broker stops answering and heartbeating (fenced by the controller after its session), the process stays. */
  down(): Promise<void>;
  /** Answers again and heartbeats: unfenced once caught up. */
  up(): Promise<void>;
  /** Leaves a broker out of (or back into, with false) Metadata, DescribeCluster and FindCoordinator answers. */
  hideBroker(brokerId: number, hidden?: boolean): number[];
  /** Advertises the API ranges of an older Kafka ("2.8" ... "4.1"), or Sluice's own with null. */
  setKafkaVersion(version: string | null): KafkaVersionView;
  kafkaVersion(): KafkaVersionView;
  /** One API's advertised range over the release's (null: taken off); clearApiVersions() drops them all. */
  setApiVersions(apiKey: number, range: { minVersion: number; maxVersion: number } | null): KafkaVersionView;
  clearApiVersions(): KafkaVersionView;
  /** Every partition with another live in-sync replica gets one of them as leader (seeded). */
  shuffleLeaders(seed?: number): MovedLeader[];
  /** Names the replica consumers (Fetch v11+) read a partition from, on its leader; null undoes it (KIP-392). */
  setReadReplica(topic: string, partition: number, brokerId: number | null): { topic: string; partition: number; readReplica: number | null };
  /** Retention, and a log cleaner pass, now (at the clock's time). */
  applyRetention(): number;
  compact(): { partitionsCleaned: number; recordsRead: number; recordsKept: number; durationMs: number };
  /** KIP-896 notes per client: what would not work on Kafka 4 (control/kafka4-notes.ts). */
  readonly kafka4Notes: Kafka4Notes;
  /** Closes the listener and connections, then flushes and closes every log. */
  stop(): Promise<void>;
}

export interface StartBrokerOptions extends Omit<BrokerOptions, 'io'> {
  /** Log to stderr as the CLI does (default: silent when embedded). */
  verbose?: boolean;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { verbose, ...rest } = opts;
  const broker = await Broker.start({ ...rest, ...(verbose || rest.logger ? {} : { logger: silentLogger }) });
  return {
    port: broker.listenPort,
    host: broker.advertisedHost,
    clusterId: broker.clusterId,
    nodeId: broker.nodeId,
    dataDir: broker.config.dataDir,
    readyMs: broker.readyMs,
    faults: broker.faults,
    clock: brokerClock(broker.clock),
    adminPort: broker.adminPort,
    nextRequest: (matcher, o) => broker.nextRequest(matcher, o),
    requests: (limit) => broker.observer.requests.recent(limit),
    connections: () => broker.observer.connections(),
    partitionState: (topic, partition) => broker.partitionState(topic, partition),
    partitionStates: () => broker.partitionStates(),
    metrics: () => renderMetrics(broker),
    moveLeader: (topic, partition, brokerId) => broker.moveLeader(topic, partition, brokerId),
    pinCoordinator: (key, brokerId) => broker.pinCoordinator(key, brokerId),
    down: () => broker.down(),
    up: () => broker.up(),
    hideBroker: (brokerId, hidden = true) => broker.hideBroker(brokerId, hidden),
    setKafkaVersion: (version) => broker.setKafkaVersion(version),
    kafkaVersion: () => broker.kafkaVersionView(),
    setApiVersions: (apiKey, range) => broker.setApiVersions(apiKey, range),
    clearApiVersions: () => broker.clearApiVersions(),
    shuffleLeaders: (seed) => broker.shuffleLeaders(seed),
    setReadReplica: (topic, partition, brokerId) => broker.setReadReplica(topic, partition, brokerId),
    applyRetention: () => broker.applyRetentionNow(),
    compact: () => broker.compactNow(),
    kafka4Notes: broker.kafka4Notes,
    stop: () => broker.stop(),
  };
}

export interface BrokerClock {
  readonly virtual: boolean;
  nowMs(): number;
  /** Moves a virtual clock forward and resolves when everything due by then has run. */
  advance(ms: number): Promise<AdvanceResult>;
  /** Stops a virtual clock flowing with wall time (it then moves only by advance), and restarts it. */
  pause(): void;
  resume(): void;
}

function brokerClock(clock: Clock): BrokerClock {
  if (isVirtualClock(clock)) return clock;
  const refuse = (): never => {
    throw new ConfigError("this broker runs on wall time; start it with clock: 'virtual' to move its clock");
  };
  return { virtual: false, nowMs: () => clock.nowMs(), advance: async () => refuse(), pause: refuse, resume: refuse };
}

/** Starts one combined node and brokers-1 broker-only nodes, each its own process; see src/cluster.ts. */
export function startCluster(opts: ClusterOptions): Promise<Cluster> {
  return Cluster.start(opts);
}

/** Whether the native addon is in use (`{ loaded, path }`) or why not (`reason`); SLUICE_NATIVE picks the policy. */
export { nativeStatus, type NativeStatus } from './native/index.js';
export { formatDataDir, type FormatOptions };
export { Cluster, ClusterNode, planCluster, type ClusterOptions, type NodePlan } from './cluster.js';
export { ConfigError } from './config/broker-config.js';
export type { Fault, FaultInjector, FaultSpec } from './control/faults.js';
export type { AdvanceResult } from './control/clock.js';
export type { RequestLogEntry, RequestMatcher } from './control/request-log.js';
export type { ConnectionView } from './control/observer.js';
export type { PartitionStateView } from './admin/partitions.js';
export { ClusterOpError, type CoordinatorKey, type MovedLeader } from './control/cluster-ops.js';
export { kafkaVersions, type KafkaVersionView } from './control/kafka-version.js';
export type { Kafka4Notes, ClientNotes } from './control/kafka4-notes.js';
