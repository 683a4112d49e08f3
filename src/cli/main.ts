#!/usr/bin/env node
/**
 * The `sluice` command: start, cluster, format, certs, random-uuid, and the tools for daily work
 * against any Kafka-protocol broker (topic, produce, consume, group, features, cluster info,
 * fault, clock: src/cli/tools.ts, imported only when yargs parses). Thin: parse, call, print.
 * A bad flag, value or config file prints one line saying what to fix and exits 1; so does any
 * other failure to start (an unreadable data directory, a corrupt meta.properties or log, too
 * few file descriptors): one line naming the error, never a stack trace (SLUICE_DEBUG=1 adds it).
 *
 * yargs parses everything, except the most common line: `sluice start` with well-formed flags
 * among those below, which node:util's parseArgs reads from the same option table. That keeps
 * yargs (about 25 ms of module loading, a sixth of the start-up) off the path of a broker start.
 * Anything the fast path does not take as it is (another command, --help, an unknown flag, a bad
 * value, yargs-only forms such as several values after one --override) goes to yargs, so help
 * and error messages come from one place.
 */
import { parseArgs } from 'node:util';
import { Broker, formatDataDir } from '../broker.js';
import { parseAddScram } from '../auth/scram.js';
import { Cluster, defaultClusterDir } from '../cluster.js';
import { ConfigError, defaultDataDir, loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../logger.js';
import { randomUuidString } from '../metadata/meta-properties.js';

function fail(message: string): never {
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(1);
}

/** One line for an error that stopped a command: its message, with the system error's advice. */
function describeFailure(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  const e = err as NodeJS.ErrnoException;
  const message = (e instanceof Error ? e.message : String(err)).replace(/\s*\n\s*/g, ' ');
  const advice = FAILURE_ADVICE[e?.code ?? ''];
  return advice ? `${message} (${advice})` : message;
}

const FAILURE_ADVICE: Record<string, string> = {
  EMFILE: 'too many open files: raise the limit with "ulimit -n" or hold fewer partitions',
  ENFILE: 'the system is out of file descriptors: raise fs.file-max or stop other processes',
  ENOSPC: 'the disk is full: free space in the data directory',
  EACCES: 'permission denied: check the owner and mode of the data directory',
  EPERM: 'operation not permitted: check the owner and mode of the data directory',
  EROFS: 'the file system is read-only',
  EIO: 'the disk reported an I/O error',
  EEXIST: 'a file is where a directory should be: --data-dir must name a directory',
  ENOTDIR: 'part of the path is a file, not a directory',
};

/** Ends the process after a failure: one line (plus the stack with SLUICE_DEBUG=1). */
function failWith(what: string, err: unknown): never {
  if (process.env['SLUICE_DEBUG'] === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  fail(`${what}${describeFailure(err)}`);
}

interface StartArgs {
  port?: number;
  host?: string;
  'data-dir'?: string;
  config?: string;
  override?: string[];
  'admin-port'?: number;
  'virtual-clock'?: boolean;
  'kafka-version'?: string;
}

/** The options of `sluice start`, for yargs and for the fast path. */
const START_OPTIONS = {
  port: { type: 'number', describe: 'listener port (default 9092)' },
  host: { type: 'string', describe: 'listener host (default 127.0.0.1)' },
  'data-dir': { type: 'string', describe: `data directory (default ${defaultDataDir()})` },
  config: { type: 'string', describe: 'server.properties file' },
  override: { type: 'string', array: true, describe: 'key=value, overrides the config file' },
  'admin-port': { type: 'number', describe: 'serve the admin endpoint (faults, clock, observation, inspector, /metrics) on 127.0.0.1:PORT' },
  'virtual-clock': { type: 'boolean', describe: 'run on a virtual clock that starts at wall time and moves forward with POST /clock/advance' },
  'kafka-version': { type: 'string', describe: 'advertise the API ranges of this Apache Kafka release (2.8, 3.0 ... 3.9, 4.0, 4.1)' },
} as const;

function portProblem(port: number | undefined): string | null {
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) return `--port must be 0-65535, got ${port}`;
  return null;
}

/** `start` and its flags parsed without yargs, or null when yargs must look at the line. */
function fastStartArgs(argv: string[]): StartArgs | null {
  if (argv[0] !== 'start') return null;
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    const options = Object.fromEntries(
      Object.entries(START_OPTIONS).map(([name, o]) => [name, o.type === 'boolean' ? { type: 'boolean' as const } : { type: 'string' as const, ...('array' in o ? { multiple: true } : {}) }]),
    );
    ({ values } = parseArgs({ args: argv.slice(1), options, strict: true, allowPositionals: false }));
  } catch {
    return null;
  }
  const args: StartArgs = {};
  for (const [name, v] of Object.entries(values)) {
    if (name === 'port' || name === 'admin-port') {
      if (typeof v !== 'string' || !/^\d+$/.test(v)) return null;
      args[name] = Number(v);
      if (portProblem(args[name]) !== null) return null;
    } else if (name === 'override') {
      if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) return null;
      args.override = v;
    } else if (name === 'virtual-clock') {
      if (typeof v !== 'boolean') return null;
      args[name] = v;
    } else if (name === 'host' || name === 'data-dir' || name === 'config' || name === 'kafka-version') {
      if (typeof v !== 'string') return null;
      args[name] = v;
    } else return null;
  }
  return args;
}

async function start(args: StartArgs): Promise<void> {
  if (args['virtual-clock'] && args['admin-port'] === undefined) fail('--virtual-clock needs --admin-port PORT: the clock moves forward by POST /clock/advance there');
  const log = createLogger();
  let broker: Broker;
  try {
    broker = await Broker.start({
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.host !== undefined ? { host: args.host } : {}),
      ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
      ...(args.config !== undefined ? { configFile: args.config } : {}),
      ...(args['admin-port'] !== undefined ? { adminPort: args['admin-port'] } : {}),
      ...(args['virtual-clock'] ? { clock: 'virtual' as const } : {}),
      ...(args['kafka-version'] !== undefined ? { kafkaVersion: args['kafka-version'] } : {}),
      overrides: args.override ?? [],
      logger: log,
    });
  } catch (err) {
    failWith(err instanceof ConfigError ? '' : 'cannot start: ', err);
  }
  log.info(
    `sluice ready on ${broker.config.listener.host}:${broker.listenPort} (advertised ${broker.advertisedHost}:${broker.advertisedPort}), ` +
      `data ${broker.config.dataDir}, cluster ${broker.clusterId}, node ${broker.nodeId}, ready in ${broker.readyMs.toFixed(1)} ms` +
      otherListeners(broker) +
      (broker.adminPort !== 0 ? `; admin endpoint on 127.0.0.1:${broker.adminPort}` : '') +
      (broker.clock.virtual ? '; virtual clock' : ''),
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    broker.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => failWith('shutdown failed: ', err),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

interface ClusterArgs {
  brokers: number;
  port: number;
  'data-dir'?: string;
  'first-node-id': number;
  override?: string[];
  'admin-port'?: number;
  'kafka-version'?: string;
  'virtual-clock'?: boolean;
}

/**
 * `sluice cluster`: the nodes' own lines go to their log files; this prints one line per broker
 * as it is ready, and on SIGINT/SIGTERM stops the brokers, then the controller, and exits 0
 * (a second signal SIGKILLs every node and exits 1).
 */
async function cluster(args: ClusterArgs): Promise<void> {
  const dataDir = args['data-dir'] ?? defaultClusterDir();
  const abort = new AbortController();
  let running: Cluster | null = null;
  let stopping = false;
  let forced = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second Ctrl-C: no more waiting for orderly stops.
      if (running === null || forced) return;
      forced = true;
      process.stderr.write(`sluice cluster: ${signal} again: killing every node (SIGKILL)\n`);
      Promise.all(running.nodes.map((n) => n.kill())).then(() => process.exit(1), () => process.exit(1));
      return;
    }
    stopping = true;
    process.stderr.write(`sluice cluster: ${signal}: stopping the brokers, then the controller\n`);
    if (running === null) {
      abort.abort(); // Cluster.start stops what it started and rejects; the catch below exits.
      return;
    }
    running.stop().then(
      () => process.exit(forced ? 1 : 0),
      (err: unknown) => failWith('shutdown failed: ', err),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    running = await Cluster.start(
      {
        brokers: args.brokers,
        port: args.port,
        dataDir,
        firstNodeId: args['first-node-id'],
        overrides: args.override ?? [],
        ...(args['admin-port'] !== undefined ? { adminPort: args['admin-port'] } : {}),
        ...(args['kafka-version'] !== undefined ? { kafkaVersion: args['kafka-version'] } : {}),
        ...(args['virtual-clock'] ? { virtualClock: true } : {}),
        onReady: (n) => process.stdout.write(`broker ${n.nodeId} ready on 127.0.0.1:${n.port} (pid ${n.pid})${n.adminPort !== null ? `, admin endpoint on 127.0.0.1:${n.adminPort}` : ''}\n`),
        onUnexpectedExit: (n, code, signal) => {
          process.stderr.write(`sluice cluster: node ${n.nodeId} (pid ${n.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`}; its log: ${n.logFile}\n`);
          // The others keep running (a cluster outlives a broker); with none left there is nothing to wait for.
          if (running !== null && !stopping && running.nodes.every((x) => !x.running)) fail('every node has exited');
        },
      },
      abort.signal,
    );
  } catch (err) {
    if (stopping) process.exit(0);
    failWith(err instanceof ConfigError ? '' : 'cannot start the cluster: ', err);
  }
  if (stopping) return; // a signal came as the last node got ready; shutdown() has it.
  process.stdout.write(`cluster ${running.clusterId} ready: bootstrap ${running.bootstrap}, controller 127.0.0.1:${running.controllerPort}, data ${dataDir}\n`);
}

function format(args: { config?: string; 'data-dir'?: string; 'cluster-id'?: string; 'node-id'?: number; 'broker-only'?: boolean; 'add-scram'?: string[]; feature?: string[] }): void {
  try {
    // kafka-storage format -c server.properties: the node's own settings come from its config.
    const config = args.config !== undefined ? loadBrokerConfig({ configFile: args.config }) : null;
    const dataDir = args['data-dir'] ?? config?.dataDir;
    if (dataDir === undefined) throw new ConfigError('say which data directory to format: --data-dir DIR, or --config server.properties (its log.dirs)');
    const nodeId = args['node-id'] ?? config?.nodeId ?? 1;
    const brokerOnly = args['broker-only'] ?? (config !== null && !config.roles.has('controller'));
    if (brokerOnly && !args['cluster-id']) throw new ConfigError('a broker-only node joins an existing cluster: give its id with --cluster-id');
    const scramCredentials = (args['add-scram'] ?? []).map(parseAddScram);
    const features: Record<string, number> = {};
    for (const f of args.feature ?? []) {
      const m = /^([a-z.]+)=(\d+)$/.exec(f);
      if (!m) throw new ConfigError(`--feature ${f}: expected name=level, e.g. transaction.version=1`);
      features[m[1]!] = Number(m[2]);
    }
    const meta = formatDataDir({ dataDir, nodeId, controller: !brokerOnly, scramCredentials, features, ...(args['cluster-id'] ? { clusterId: args['cluster-id'] } : {}) });
    process.stdout.write(`Formatted ${dataDir} with cluster id ${meta.clusterId} and node id ${meta.nodeId}\n`);
  } catch (err) {
    failWith(err instanceof ConfigError ? '' : 'cannot format: ', err);
  }
}

async function certs(args: { out: string; days: number; host?: string[]; 'client-cn': string }): Promise<void> {
  try {
    // Loaded only for this command: node-forge stays off the path of a broker start.
    const { devCertsProperties, writeDevCerts } = await import('../net/dev-certs.js');
    const written = writeDevCerts({ outDir: args.out, days: args.days, hosts: args.host ?? [], clientCn: args['client-cn'] });
    process.stdout.write(`Wrote a dev CA, a server certificate and a client certificate (CN=${args['client-cn']}) to ${written.outDir}, valid ${args.days} days\n`);
    process.stdout.write(`PKCS12 password (server.p12, client.p12, truststore.p12): ${written.password}\n\n${devCertsProperties(written)}`);
  } catch (err) {
    failWith('cannot write certificates: ', err);
  }
}

/** The listeners besides the first, as `; also NAME (PROTOCOL) on host:port, ...` (nothing when there is one). */
function otherListeners(broker: Broker): string {
  const ports = broker.listenerPorts();
  const others = broker.config.listeners.filter((l) => l.name !== broker.config.listener.name && ports.has(l.name));
  return others.length === 0 ? '' : `; also ${others.map((l) => `${l.name}${l.name === l.securityProtocol ? '' : ` (${l.securityProtocol})`} on ${l.host || '0.0.0.0'}:${ports.get(l.name)}`).join(', ')}`;
}

/** Everything but the fast path: the full command line through yargs, loaded only now. */
async function parseWithYargs(argv: string[]): Promise<void> {
  const { default: yargs } = await import('yargs');
  const tools = await import('./tools.js');
  const run = async (f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (err) {
      failWith('', err);
    }
  };
  // `sluice cluster --brokers N` starts a local cluster; `sluice cluster info` describes a running one.
  if (argv[0] === 'cluster' && argv[1] === 'info') return run(() => tools.clusterInfoCommand(argv.slice(2), run));
  const builtIn = yargs(argv)
    .scriptName('sluice')
    .strict()
    .command(
      'start',
      'start a broker (formats a new data directory itself)',
      (y) =>
        y.options(START_OPTIONS).check((a) => {
          const problem = portProblem(a.port) ?? portProblem(a['admin-port']);
          if (problem !== null) throw new Error(problem);
          return true;
        }),
      (a) => start(a),
    )
    .command(
      'cluster',
      'start a cluster on this machine: one combined broker+controller node and brokers-1 broker-only nodes, each its own process (`sluice cluster info --brokers host:port` describes a running cluster)',
      (y) =>
        y
          .option('brokers', { type: 'number', demandOption: true, describe: 'how many brokers (the first also runs the controller)' })
          .option('port', { type: 'number', default: 9092, describe: 'first broker port: brokers listen on port..port+brokers-1, the controller on port+brokers' })
          .option('data-dir', { type: 'string', describe: `data directory: node-<id>/ (data), node-<id>.properties, node-<id>.log, cluster.id (default ${defaultClusterDir()})` })
          .option('first-node-id', { type: 'number', default: 0, describe: 'node id of the first broker; the others follow' })
          .option('override', { type: 'string', array: true, describe: 'key=value for every node (wins over the layout)' })
          .option('admin-port', { type: 'number', describe: 'serve every node\'s admin endpoint: node i (from 0) on 127.0.0.1:ADMIN_PORT+i' })
          .option('kafka-version', { type: 'string', describe: 'every node advertises the API ranges of this Apache Kafka release (2.8 ... 4.1)' })
          .option('virtual-clock', { type: 'boolean', describe: 'every node runs on a virtual clock (needs --admin-port), moved by POST /clock/advance on each' })
          .check((a) => {
            if (!Number.isInteger(a.brokers) || a.brokers < 1) throw new Error(`--brokers must be a positive integer, got ${a.brokers}`);
            if (!Number.isInteger(a.port) || a.port < 1 || a.port + a.brokers > 65535) throw new Error(`--port must leave room for ${a.brokers + 1} ports (brokers and controller) within 1-65535, got ${a.port}`);
            if (a['data-dir'] !== undefined && a['data-dir'].trim() === '') throw new Error('--data-dir must name a directory');
            if (!Number.isInteger(a['first-node-id']) || a['first-node-id'] < 0) throw new Error(`--first-node-id must be a non-negative integer, got ${a['first-node-id']}`);
            return true;
          }),
      (a) => cluster(a),
    )
    .command(
      'format',
      'format a data directory (write meta.properties and the metadata log)',
      (y) =>
        y
          .option('config', { alias: 'c', type: 'string', describe: 'a server.properties to take log.dirs, node.id and process.roles from, as kafka-storage format -c does' })
          .option('data-dir', { type: 'string', describe: 'data directory to format (default: log.dirs of --config)' })
          .option('cluster-id', { alias: 't', type: 'string', describe: 'cluster id (default: a new random one)' })
          .option('node-id', { type: 'number', describe: 'node id (default: node.id of --config, else 1)' })
          .option('broker-only', { type: 'boolean', describe: 'for a process.roles=broker node: its metadata log starts empty (a copy of the controller\'s); give the cluster id of its controller' })
          .option('add-scram', {
            alias: 'S',
            type: 'string',
            array: true,
            describe: "a SCRAM credential to start with, as kafka-storage takes it: 'SCRAM-SHA-256=[name=alice,password=alice-secret]' (also iterations=, salt=, saltedpassword=); repeatable",
          })
          .option('feature', {
            alias: 'f',
            type: 'string',
            array: true,
            describe: 'a feature level instead of the default, as kafka-storage format --feature: transaction.version=1 (default 2), group.version=0 (default 1); repeatable',
          }),
      (a) => format(a),
    )
    .command(
      'certs',
      'write throwaway dev certificates: a CA, a server certificate for localhost/127.0.0.1, a client certificate (PEM and PKCS12)',
      (y) =>
        y
          .option('out', { type: 'string', demandOption: true, describe: 'directory to write into (created if missing)' })
          .option('days', { type: 'number', default: 365, describe: 'validity in days' })
          .option('host', { type: 'string', array: true, describe: 'extra host name or IP address for the server certificate (repeatable)' })
          .option('client-cn', { type: 'string', default: 'client', describe: 'common name of the client certificate' })
          .check((a) => {
            if (!Number.isInteger(a.days) || a.days < 1) throw new Error(`--days must be a positive integer, got ${a.days}`);
            if (a.out.trim() === '') throw new Error('--out must name a directory');
            return true;
          }),
      (a) => certs(a),
    )
    .command('random-uuid', 'print a new random cluster id', {}, () => {
      process.stdout.write(`${randomUuidString()}\n`);
    });
  await tools
    .addToolCommands(builtIn, run)
    .demandCommand(1, 'say which command: start, cluster, format, certs, random-uuid, topic, produce, consume, group, features, cluster info, fault or clock')
    .fail((msg, err) => fail(msg ?? err?.message ?? 'bad arguments; see sluice --help'))
    .help()
    .parseAsync();
}

// process.argv is [node, script, ...args] when run as `node main.js` and as the `sluice` bin.
const argv = process.argv.slice(2);
const fast = fastStartArgs(argv);
try {
  if (fast !== null) await start(fast);
  else await parseWithYargs(argv);
} catch (err) {
  failWith('', err);
}
