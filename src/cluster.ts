/**
 * A cluster on one machine: one combined node (broker + the controller) and N-1 broker-only
 * nodes, each its own OS process running `sluice start --config <file>`. Used by `sluice cluster`
 * and by `startCluster()` in index.ts.
 *
 * Layout, for brokers N, first port P, first node id K and data directory D:
 *   node K       process.roles=broker,controller, PLAINTEXT on P, CONTROLLER on C = P + N
 *   node K+i     process.roles=broker, PLAINTEXT on P+i (1 <= i < N)
 *   every node   controller.quorum.voters=K@127.0.0.1:C, log.dirs=D/node-<id>,
 *                offsets/transaction-state replication factor min(3, N), then the caller's overrides
 * Files under D: cluster.id (the one cluster id, written when the cluster is first made),
 * node-<id>.properties (rewritten at every cluster start, kept as is by a node's restart()),
 * node-<id>.log (the node's stdout and stderr, appended across starts), node-<id>/ (its data).
 *
 * Test control (issue 14): with `adminPort` A, node K+i serves its admin endpoint on 127.0.0.1:A+i
 * (`sluice start --admin-port`), and the Cluster's moveLeader, pinCoordinator, down/up, hideBroker
 * and setKafkaVersion send each operation over HTTP to the node it concerns (control/cluster-ops.ts):
 * partition changes to the combined node, which holds the controller; down/up to the node taken
 * down; a hidden broker and the Kafka version to every node, since each answers its own clients.
 *
 * Start: the combined node first, ready when its output shows `sluice ready on`, then the brokers
 * in parallel. A node that exits or times out before it is ready stops the others and fails the
 * start with one line naming the node and its log. Stop: brokers first (SIGTERM, wait for the
 * exit), then the controller. Children run in their own process group, so a Ctrl-C at a terminal
 * reaches only the launcher, which stops them in that order; if the launcher itself exits, its
 * exit hook SIGKILLs whatever it still runs (no orphan brokers behind a crashed test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDataDir } from './broker.js';
import { ClusterOpError, type CoordinatorKey, type MovedLeader } from './control/cluster-ops.js';
import type { ClientNotes } from './control/kafka4-notes.js';
import { ConfigError } from './config/broker-config.js';
import { isValidClusterId, randomUuidString, readMetaProperties } from './metadata/meta-properties.js';

export interface ClusterOptions {
  /** How many brokers (the first also hosts the controller). */
  brokers: number;
  /** The first broker's port; brokers take P..P+N-1 and the controller P+N (default 9092). */
  port?: number;
  /** Where every node keeps its data, config file and log. */
  dataDir: string;
  /** The first node id (default 0). */
  firstNodeId?: number;
  /** broker.session.timeout.ms for every node (Kafka's default when unset). */
  brokerSessionTimeoutMs?: number;
  /** broker.heartbeat.interval.ms for every node (Kafka's default when unset). */
  brokerHeartbeatIntervalMs?: number;
  /** default.replication.factor for every node (Kafka's 1 when unset). */
  defaultReplicationFactor?: number;
  /** Serve every node's admin endpoint: node K+i on 127.0.0.1 at adminPort + i (needed by the test-control operations). */
  adminPort?: number;
  /** Every node advertises the API ranges of this Apache Kafka release (`sluice start --kafka-version`). */
  kafkaVersion?: string;
  /** broker.rack of each node, in node order (node K+i gets racks[i]; none for the rest). */
  racks?: readonly string[];
  /** Every node runs on a virtual clock (`sluice start --virtual-clock`; needs adminPort), moved by advanceClock. */
  virtualClock?: boolean;
  /** More properties for every node, as `key=value` strings or a record; they win over the layout. */
  overrides?: readonly string[] | Readonly<Record<string, string>>;
  /** The sluice bundle to run (default: the dist/sluice.mjs beside this module). */
  cli?: string;
  /** Environment of every node (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** How long one node may take to be ready (default 30 s). */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL (default 30 s). */
  stopTimeoutMs?: number;
  /** Called as each node becomes ready (the combined node first). */
  onReady?: (node: ClusterNode) => void;
  /** Called when a node that was ready exits without being asked to. */
  onUnexpectedExit?: (node: ClusterNode, code: number | null, signal: NodeJS.Signals | null) => void;
}

export type NodeRole = 'broker' | 'controller';

/** One node of the plan: what the launcher writes and runs, before any process exists. */
export interface NodePlan {
  nodeId: number;
  port: number;
  /** The CONTROLLER listener's port on the combined node, null on a broker-only node. */
  controllerPort: number | null;
  roles: NodeRole[];
  dataDir: string;
  configFile: string;
  logFile: string;
  /** The properties written to configFile, in order. */
  properties: Map<string, string>;
  /** The admin endpoint's port on 127.0.0.1, null when not served. */
  adminPort: number | null;
  /** `--kafka-version` of the node, null for Sluice's own ranges. */
  kafkaVersion: string | null;
  /** `--virtual-clock`. */
  virtualClock: boolean;
}

const HOST = '127.0.0.1';

/** `sluice cluster`'s data directory when --data-dir is not given: $SLUICE_CLUSTER_DIR or ~/.sluice/cluster. */
export function defaultClusterDir(): string {
  return process.env['SLUICE_CLUSTER_DIR'] ?? join(homedir(), '.sluice', 'cluster');
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${name} must be an integer ${min}-${max}, got ${v}`);
}

function overridePairs(overrides: ClusterOptions['overrides']): [string, string][] {
  if (overrides === undefined) return [];
  if (!Array.isArray(overrides)) return Object.entries(overrides as Record<string, string>);
  return (overrides as readonly string[]).map((o) => {
    const i = o.indexOf('=');
    if (i <= 0) throw new ConfigError(`--override wants key=value, got "${o}"`);
    return [o.slice(0, i).trim(), o.slice(i + 1).trim()];
  });
}

/** Every node's ports, roles, files and properties, from the options alone (no file is touched). */
export function planCluster(opts: ClusterOptions): NodePlan[] {
  const n = opts.brokers;
  checkInt('--brokers', n, 1, 1000);
  const p = opts.port ?? 9092;
  // The controller takes the port after the brokers', so the last one must fit too.
  checkInt('--port', p, 1, 65535 - n);
  const k = opts.firstNodeId ?? 0;
  checkInt('--first-node-id', k, 0, 2 ** 31 - 1 - n);
  const c = p + n;
  if (opts.adminPort !== undefined) checkInt('--admin-port', opts.adminPort, 1, 65535 - n);
  if (opts.virtualClock && opts.adminPort === undefined) throw new ConfigError('a cluster on a virtual clock needs adminPort: its clocks move by POST /clock/advance');
  const voters = `${k}@${HOST}:${c}`;
  const extra = overridePairs(opts.overrides);
  const plans: NodePlan[] = [];
  for (let i = 0; i < n; i++) {
    const nodeId = k + i;
    const combined = i === 0;
    const dataDir = join(opts.dataDir, `node-${nodeId}`);
    const props = new Map<string, string>([
      ['process.roles', combined ? 'broker,controller' : 'broker'],
      ['node.id', String(nodeId)],
      ['listeners', combined ? `PLAINTEXT://${HOST}:${p + i},CONTROLLER://${HOST}:${c}` : `PLAINTEXT://${HOST}:${p + i}`],
      ['controller.listener.names', 'CONTROLLER'],
      ['controller.quorum.voters', voters],
      ['log.dirs', dataDir],
      ['offsets.topic.replication.factor', String(Math.min(3, n))],
      ['transaction.state.log.replication.factor', String(Math.min(3, n))],
    ]);
    if (opts.brokerSessionTimeoutMs !== undefined) props.set('broker.session.timeout.ms', String(opts.brokerSessionTimeoutMs));
    if (opts.brokerHeartbeatIntervalMs !== undefined) props.set('broker.heartbeat.interval.ms', String(opts.brokerHeartbeatIntervalMs));
    if (opts.defaultReplicationFactor !== undefined) props.set('default.replication.factor', String(opts.defaultReplicationFactor));
    const rack = opts.racks?.[i];
    if (rack !== undefined) props.set('broker.rack', rack);
    for (const [key, value] of extra) props.set(key, value);
    plans.push({
      nodeId,
      port: p + i,
      controllerPort: combined ? c : null,
      roles: combined ? ['broker', 'controller'] : ['broker'],
      dataDir,
      configFile: join(opts.dataDir, `node-${nodeId}.properties`),
      logFile: join(opts.dataDir, `node-${nodeId}.log`),
      properties: props,
      adminPort: opts.adminPort !== undefined ? opts.adminPort + i : null,
      kafkaVersion: opts.kafkaVersion ?? null,
      virtualClock: opts.virtualClock === true,
    });
  }
  return plans;
}

/** server.properties text: one key=value a line, with the characters Java's format escapes. */
function propertiesText(props: Map<string, string>): string {
  const esc = (s: string, key: boolean): string =>
    s.replace(/[\\\n\r\t\f]/g, (ch) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f' })[ch]!).replace(key ? /[=: #!]/g : /^[ #!]/, (ch) => `\\${ch}`);
  return ['# Written by sluice cluster at every cluster start; node restarts reuse it.', ...[...props].map(([k, v]) => `${esc(k, true)}=${esc(v, false)}`), ''].join('\n');
}

/**
 * The cluster's id: D/cluster.id, else the first node's meta.properties (a directory made before
 * cluster.id existed, or whose cluster.id was removed), else a new one. Written back to D/cluster.id.
 */
function clusterIdFor(dataDir: string, first: NodePlan): string {
  const file = join(dataDir, 'cluster.id');
  let id: string | undefined;
  if (existsSync(file)) {
    id = readFileSync(file, 'utf8').trim();
    if (!isValidClusterId(id)) throw new ConfigError(`${file} holds "${id}", not a cluster id; remove the file to read it back from ${first.dataDir}`);
  } else {
    id = readMetaProperties(first.dataDir)?.clusterId ?? randomUuidString();
  }
  writeFileSync(file, `${id}\n`);
  return id;
}

function defaultCli(): string {
  const here = fileURLToPath(import.meta.url);
  // Inside the bundle this module is dist/sluice.mjs itself; compiled, it is dist/src/cluster.js.
  return basename(here) === 'sluice.mjs' ? here : join(dirname(here), '..', 'sluice.mjs');
}

const READY = /sluice ready on \S+/;

/** Every node process this launcher runs; SIGKILLed if the launcher exits with them still up. */
const live = new Set<ClusterNode>();
let exitHookInstalled = false;
function track(node: ClusterNode): void {
  live.add(node);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const n of live) n.killNow();
    });
  }
}

/** One node's process: started, stopped, killed and restarted with the same config and data. */
export class ClusterNode {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private tail = '';

  constructor(
    readonly plan: NodePlan,
    private readonly launch: { cli: string; env: NodeJS.ProcessEnv; readyTimeoutMs: number; stopTimeoutMs: number; onUnexpectedExit?: ClusterOptions['onUnexpectedExit'] },
  ) {}

  get nodeId(): number {
    return this.plan.nodeId;
  }
  get port(): number {
    return this.plan.port;
  }
  get roles(): readonly NodeRole[] {
    return this.plan.roles;
  }
  get dataDir(): string {
    return this.plan.dataDir;
  }
  get logFile(): string {
    return this.plan.logFile;
  }
  /** The node's admin endpoint port on 127.0.0.1, null when the cluster was started without adminPort. */
  get adminPort(): number | null {
    return this.plan.adminPort;
  }

  /**
   * One request to this node's admin endpoint (src/admin/): the JSON answer, or a ClusterOpError
   * with the node's message for an answer other than 2xx.
   */
  async admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    if (this.plan.adminPort === null) throw new ClusterOpError(`node ${this.nodeId} serves no admin endpoint: start the cluster with adminPort`, 400);
    const res = await fetch(`http://${HOST}:${this.plan.adminPort}${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text === '' ? null : JSON.parse(text);
    if (!res.ok) throw new ClusterOpError(`node ${this.nodeId}: ${(parsed as { error?: string } | null)?.error ?? `HTTP ${res.status}`}`, res.status);
    return parsed as T;
  }
  /** The process id of the node's current (or last) process; 0 before the first start. */
  get pid(): number {
    return this.proc?.pid ?? 0;
  }
  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Spawns the node and resolves once it is ready; rejects (one line) if it exits or times out first. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`node ${this.nodeId} is already running (pid ${this.pid})`);
    this.stopping = false;
    this.tail = '';
    const log: WriteStream = createWriteStream(this.logFile, { flags: 'a' });
    const extra = [
      ...(this.plan.adminPort !== null ? ['--admin-port', String(this.plan.adminPort)] : []),
      ...(this.plan.kafkaVersion !== null ? ['--kafka-version', this.plan.kafkaVersion] : []),
      ...(this.plan.virtualClock ? ['--virtual-clock'] : []),
    ];
    const proc = spawn(process.execPath, [this.launch.cli, 'start', '--config', this.plan.configFile, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.launch.env,
      detached: true,
    });
    this.proc = proc;
    track(this);
    let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    this.exited = new Promise<void>((resolve) =>
      proc.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        live.delete(this);
        resolve();
      }),
    );
    // 'close' comes after both pipes are drained: end the log file then.
    proc.once('close', () => log.end());
    let ready = false;
    let onReady: () => void = () => {};
    const scan = (chunk: string): void => {
      log.write(chunk);
      if (ready) return;
      this.tail = (this.tail + chunk).slice(-4096);
      if (READY.test(this.tail)) {
        ready = true;
        onReady();
      }
    };
    proc.stdout!.setEncoding('utf8').on('data', scan);
    proc.stderr!.setEncoding('utf8').on('data', scan);
    proc.once('error', (err) => log.write(`sluice cluster: cannot run node ${this.nodeId}: ${err.message}\n`));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ConfigError(`node ${this.nodeId} was not ready in ${this.launch.readyTimeoutMs} ms; its log: ${this.logFile}`)), this.launch.readyTimeoutMs);
        onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        void this.exited.then(() => {
          clearTimeout(timer);
          const how = exitInfo?.signal ? `was killed by ${exitInfo.signal}` : `exited with code ${exitInfo?.code}`;
          const last = this.lastLine();
          reject(new ConfigError(`node ${this.nodeId} ${how} before it was ready${last ? ` (${last})` : ''}; its log: ${this.logFile}`));
        });
      });
    } catch (err) {
      await this.kill();
      throw err;
    }
    void this.exited.then(() => {
      if (!this.stopping) this.launch.onUnexpectedExit?.(this, exitInfo?.code ?? null, exitInfo?.signal ?? null);
    });
  }

  private lastLine(): string {
    // The node's own one-line failure ("sluice: ..."), else a thrown error's line, else the last line.
    const lines = this.tail.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const last = (ok: (l: string) => boolean): string | undefined => [...lines].reverse().find(ok);
    return last((l) => l.startsWith('sluice:')) ?? last((l) => /^\w*Error\b/.test(l)) ?? lines[lines.length - 1] ?? '';
  }

  /** SIGTERM, then waits for the exit (SIGKILL after stopTimeoutMs). Nothing to do if it is not running. */
  async stop(): Promise<void> {
    if (!this.running) return this.exited;
    this.stopping = true;
    this.proc!.kill('SIGTERM');
    const timer = setTimeout(() => this.proc?.kill('SIGKILL'), this.launch.stopTimeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL (a crash: no flush, no clean-shutdown marker), and waits for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return this.exited;
    this.stopping = true;
    this.proc!.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the node if it runs, then starts it again with the same config file and data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** For the exit hook: SIGKILL without waiting. */
  killNow(): void {
    if (this.running) this.proc!.kill('SIGKILL');
  }
}

/** A running cluster. */
export class Cluster {
  readonly nodes: readonly ClusterNode[];
  /** "127.0.0.1:P,127.0.0.1:P+1,...": every broker, for a client's bootstrap list. */
  readonly bootstrap: string;
  /** The CONTROLLER listener's port (P + N). */
  readonly controllerPort: number;
  readonly clusterId: string;
  readonly dataDir: string;
  private constructor(opts: ClusterOptions, plans: NodePlan[], clusterId: string) {
    const launch = {
      cli: opts.cli ?? defaultCli(),
      env: opts.env ?? process.env,
      readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 30_000,
      ...(opts.onUnexpectedExit ? { onUnexpectedExit: opts.onUnexpectedExit } : {}),
    };
    this.launch = launch;
    this.nodes = plans.map((p) => new ClusterNode(p, launch));
    this.bootstrap = plans.map((p) => `${HOST}:${p.port}`).join(',');
    this.controllerPort = plans[0]!.controllerPort!;
    this.clusterId = clusterId;
    this.dataDir = opts.dataDir;
  }

  /** The combined node (broker and controller). */
  get controller(): ClusterNode {
    return this.nodes[0]!;
  }

  private readonly launch: ConstructorParameters<typeof ClusterNode>[1];

  /**
   * Adds a broker-only node to the running cluster (librdkafka mock's broker_add, kfake's AddNode):
   * the next node id, its data directory formatted with the cluster's id, the combined node's
   * settings with its own listener on `port` (and admin endpoint, rack); it registers with the
   * controller and holds no partition until one is created or reassigned to it (as a new Kafka
   * broker). Not in `bootstrap`; kept on the cluster's next start only if passed again.
   */
  async addNode(options: { port: number; adminPort?: number; rack?: string }): Promise<ClusterNode> {
    checkInt('port', options.port, 1, 65535);
    if (this.nodes.some((n) => n.port === options.port)) throw new ConfigError(`port ${options.port} is a node's already`);
    const nodeId = Math.max(...this.nodes.map((n) => n.nodeId)) + 1;
    const model = this.controller.plan;
    const dataDir = join(this.dataDir, `node-${nodeId}`);
    const props = new Map(model.properties);
    props.set('process.roles', 'broker');
    props.set('node.id', String(nodeId));
    props.set('listeners', `PLAINTEXT://${HOST}:${options.port}`);
    props.set('log.dirs', dataDir);
    props.delete('broker.rack');
    if (options.rack !== undefined) props.set('broker.rack', options.rack);
    const plan: NodePlan = {
      ...model,
      nodeId,
      port: options.port,
      controllerPort: null,
      roles: ['broker'],
      dataDir,
      configFile: join(this.dataDir, `node-${nodeId}.properties`),
      logFile: join(this.dataDir, `node-${nodeId}.log`),
      properties: props,
      adminPort: options.adminPort ?? null,
    };
    if (plan.virtualClock && plan.adminPort === null) throw new ConfigError('a node added to a cluster on virtual clocks needs an adminPort');
    if (readMetaProperties(dataDir) === null) formatDataDir({ dataDir, clusterId: this.clusterId, nodeId, controller: false });
    writeFileSync(plan.configFile, propertiesText(props));
    const node = new ClusterNode(plan, this.launch);
    (this.nodes as ClusterNode[]).push(node);
    await node.start();
    return node;
  }

  /**
   * Writes the config files, formats new data directories with the cluster's id, starts the
   * combined node, then the brokers. `abort`, once aborted, stops whatever has started and fails.
   */
  static async start(opts: ClusterOptions, abort?: AbortSignal): Promise<Cluster> {
    const plans = planCluster(opts);
    mkdirSync(opts.dataDir, { recursive: true });
    const clusterId = clusterIdFor(opts.dataDir, plans[0]!);
    for (const plan of plans) {
      const meta = readMetaProperties(plan.dataDir);
      if (meta === null) {
        // A broker-only node's metadata log starts empty: it is a copy of the controller's.
        formatDataDir({ dataDir: plan.dataDir, clusterId, nodeId: plan.nodeId, controller: plan.roles.includes('controller') });
      } else if (meta.clusterId !== clusterId) {
        throw new ConfigError(`${plan.dataDir} belongs to cluster ${meta.clusterId}, but this cluster is ${clusterId} (${join(opts.dataDir, 'cluster.id')}); remove one of them`);
      } else if (meta.nodeId !== plan.nodeId) {
        throw new ConfigError(`${plan.dataDir} belongs to node ${meta.nodeId}, not ${plan.nodeId}`);
      }
      writeFileSync(plan.configFile, propertiesText(plan.properties));
    }
    const cli = opts.cli ?? defaultCli();
    if (!existsSync(cli)) throw new ConfigError(`${cli} not found: build it with "npm run build", or pass cli`);
    const cluster = new Cluster({ ...opts, cli }, plans, clusterId);
    const onAbort = (): void => void cluster.stop();
    abort?.addEventListener('abort', onAbort, { once: true });
    try {
      const aborted = (): void => {
        if (abort?.aborted) throw new ConfigError('cluster start interrupted');
      };
      aborted();
      await cluster.controller.start();
      aborted();
      opts.onReady?.(cluster.controller);
      const rest = cluster.nodes.slice(1);
      const results = await Promise.allSettled(
        rest.map(async (n) => {
          await n.start();
          if (!abort?.aborted) opts.onReady?.(n);
        }),
      );
      aborted();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      await cluster.stop();
      if (abort?.aborted) throw new ConfigError('cluster start interrupted');
      throw err;
    } finally {
      abort?.removeEventListener('abort', onAbort);
    }
    return cluster;
  }

  private node(nodeId: number): ClusterNode {
    const n = this.nodes.find((x) => x.nodeId === nodeId);
    if (!n) throw new ClusterOpError(`no node ${nodeId} in this cluster (nodes ${this.nodes.map((x) => x.nodeId).join(', ')})`, 404);
    return n;
  }

  /** Moves a partition's leader to `brokerId` through the controller (leader epoch bumped, ISR kept). */
  moveLeader(topic: string, partition: number, brokerId: number): Promise<MovedLeader> {
    return this.controller.admin<MovedLeader>('POST', '/cluster/move-leader', { topic, partition, broker: brokerId });
  }

  /** Makes `brokerId` the coordinator of a group or a transactional id (its internal partition's leader moves there). */
  pinCoordinator(key: CoordinatorKey, brokerId: number): Promise<MovedLeader> {
    return this.controller.admin<MovedLeader>('POST', '/cluster/pin-coordinator', { ...key, broker: brokerId });
  }

  /** Node `nodeId`'s broker stops answering and heartbeating (the process stays): the controller fences it after its session. */
  async down(nodeId: number): Promise<void> {
    await this.node(nodeId).admin('POST', '/cluster/down');
  }

  /** Node `nodeId`'s broker answers and heartbeats again; unfenced once its metadata caught up. */
  async up(nodeId: number): Promise<void> {
    await this.node(nodeId).admin('POST', '/cluster/up');
  }

  /** Leaves broker `brokerId` out of (hidden false: back into) every running node's Metadata and DescribeCluster answers. */
  async hideBroker(brokerId: number, hidden = true): Promise<void> {
    await Promise.all(this.nodes.filter((n) => n.running).map((n) => n.admin('POST', hidden ? '/cluster/hide' : '/cluster/unhide', { broker: brokerId })));
  }

  /**
   * Moves every running node's virtual clock `ms` forward (each node keeps its own clock; all move
   * by the same amount, together) and resolves once each node's due timers have run.
   */
  async advanceClock(ms: number): Promise<Array<{ nodeId: number; nowMs: number; fired: number }>> {
    const running = this.nodes.filter((n) => n.running);
    return Promise.all(running.map(async (n) => ({ nodeId: n.nodeId, ...(await n.admin<{ nowMs: number; fired: number }>('POST', '/clock/advance', { ms })) })));
  }

  /** Every running node advertises the API ranges of an older Kafka release (null: Sluice's own). */
  async setKafkaVersion(version: string | null): Promise<void> {
    await Promise.all(this.nodes.filter((n) => n.running).map((n) => n.admin('PUT', '/kafka-version', { version })));
  }

  /** The KIP-896 notes of every running node, with the node that saw them. */
  async kafka4Notes(): Promise<Array<ClientNotes & { nodeId: number }>> {
    const all = await Promise.all(this.nodes.filter((n) => n.running).map(async (n) => (await n.admin<ClientNotes[]>('GET', '/kafka4-notes')).map((c) => ({ ...c, nodeId: n.nodeId }))));
    return all.flat();
  }

  /** Stops the brokers (in parallel), then the combined node; each SIGTERM and waited for. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.slice(1).map((n) => n.stop()));
    await this.controller.stop();
  }
}
