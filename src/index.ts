/**
 * Sluice's public API for embedding a broker in a Node process or test suite:
 *
 *   import { startBroker } from 'sluice';
 *   const broker = await startBroker({ port: 0, dataDir: tmpDir });
 *   // kafkajs: brokers: [`127.0.0.1:${broker.port}`]
 *   await broker.stop();
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
  /** The admin endpoint's port (the `adminPort` option); 0 when not served. */
  readonly adminPort: number;
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
    adminPort: broker.adminPort,
    moveLeader: (topic, partition, brokerId) => broker.moveLeader(topic, partition, brokerId),
    pinCoordinator: (key, brokerId) => broker.pinCoordinator(key, brokerId),
    down: () => broker.down(),
    up: () => broker.up(),
    hideBroker: (brokerId, hidden = true) => broker.hideBroker(brokerId, hidden),
    setKafkaVersion: (version) => broker.setKafkaVersion(version),
    kafkaVersion: () => broker.kafkaVersionView(),
    kafka4Notes: broker.kafka4Notes,
    stop: () => broker.stop(),
  };
}

/** Starts one combined node and brokers-1 broker-only nodes, each its own process; see src/cluster.ts. */
export function startCluster(opts: ClusterOptions): Promise<Cluster> {
  return Cluster.start(opts);
}

export { formatDataDir, type FormatOptions };
export { Cluster, ClusterNode, planCluster, type ClusterOptions, type NodePlan } from './cluster.js';
export { ConfigError } from './config/broker-config.js';
export type { Fault, FaultInjector, FaultSpec } from './control/faults.js';
export { ClusterOpError, type CoordinatorKey, type MovedLeader } from './control/cluster-ops.js';
export { kafkaVersions, type KafkaVersionView } from './control/kafka-version.js';
export type { Kafka4Notes, ClientNotes } from './control/kafka4-notes.js';
