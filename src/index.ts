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
 */
import { Broker, formatDataDir, type BrokerOptions, type FormatOptions } from './broker.js';
import { silentLogger } from './logger.js';

export interface RunningBroker {
  /** The port clients connect to. */
  readonly port: number;
  readonly host: string;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly dataDir: string;
  /** Milliseconds from the call to accepting connections. */
  readonly readyMs: number;
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
    stop: () => broker.stop(),
  };
}

export { formatDataDir, type FormatOptions };
export { ConfigError } from './config/broker-config.js';
