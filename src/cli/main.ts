#!/usr/bin/env node
/**
 * The `sluice` command: start, format, random-uuid. Thin: parse, call, print.
 * A bad flag, value or config file prints one line saying what to fix and exits 1.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Broker, formatDataDir } from '../broker.js';
import { ConfigError, defaultDataDir } from '../config/broker-config.js';
import { createLogger } from '../logger.js';
import { randomUuidString } from '../metadata/meta-properties.js';

function fail(message: string): never {
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(1);
}

async function start(args: { port?: number; host?: string; 'data-dir'?: string; config?: string; override?: string[] }): Promise<void> {
  const log = createLogger();
  let broker: Broker;
  try {
    broker = await Broker.start({
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.host !== undefined ? { host: args.host } : {}),
      ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
      ...(args.config !== undefined ? { configFile: args.config } : {}),
      overrides: args.override ?? [],
      logger: log,
    });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  log.info(
    `sluice ready on ${broker.config.listener.host}:${broker.listenPort} (advertised ${broker.advertisedHost}:${broker.advertisedPort}), ` +
      `data ${broker.config.dataDir}, cluster ${broker.clusterId}, node ${broker.nodeId}, ready in ${broker.readyMs.toFixed(1)} ms`,
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    broker.stop().then(
      () => {
        log.info('stopped cleanly');
        process.exit(0);
      },
      (err: Error) => {
        log.error(`shutdown failed: ${err.stack ?? err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function format(args: { 'data-dir': string; 'cluster-id'?: string; 'node-id': number }): void {
  try {
    const meta = formatDataDir({ dataDir: args['data-dir'], nodeId: args['node-id'], ...(args['cluster-id'] ? { clusterId: args['cluster-id'] } : {}) });
    process.stdout.write(`Formatted ${args['data-dir']} with cluster id ${meta.clusterId} and node id ${meta.nodeId}\n`);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

await yargs(hideBin(process.argv))
  .scriptName('sluice')
  .strict()
  .command(
    'start',
    'start a broker (formats a new data directory itself)',
    (y) =>
      y
        .option('port', { type: 'number', describe: 'listener port (default 9092)' })
        .option('host', { type: 'string', describe: 'listener host (default 127.0.0.1)' })
        .option('data-dir', { type: 'string', describe: `data directory (default ${defaultDataDir()})` })
        .option('config', { type: 'string', describe: 'server.properties file' })
        .option('override', { type: 'string', array: true, describe: 'key=value, overrides the config file' })
        .check((a) => {
          if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)) throw new Error(`--port must be 0-65535, got ${a.port}`);
          return true;
        }),
    (a) => start(a),
  )
  .command(
    'format',
    'format a data directory (write meta.properties and the metadata log)',
    (y) =>
      y
        .option('data-dir', { type: 'string', demandOption: true, describe: 'data directory to format' })
        .option('cluster-id', { type: 'string', describe: 'cluster id (default: a new random one)' })
        .option('node-id', { type: 'number', default: 1, describe: 'node id' }),
    (a) => format(a),
  )
  .command('random-uuid', 'print a new random cluster id', {}, () => {
    process.stdout.write(`${randomUuidString()}\n`);
  })
  .demandCommand(1, 'say which command: start, format or random-uuid')
  .fail((msg, err) => fail(msg ?? err?.message ?? 'bad arguments; see sluice --help'))
  .help()
  .parseAsync();
