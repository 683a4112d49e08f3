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
    stop: () => broker.stop(),
  };
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
