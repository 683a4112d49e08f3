/**
 * Apache Kafka as a 3-node KRaft cluster on loopback, laid out as `sluice cluster` lays out
 * Sluice's (src/cluster.ts): node 0 is combined (broker + the one controller voter), nodes 1..N-1
 * are brokers only; each node is its own JVM with a small heap, its own log directory, and its
 * own server.properties, all under one temporary directory that is removed at close. Used by
 * bench/cluster.ts beside Sluice's cluster.
 *
 * Ports: brokers on P..P+N-1, the controller on P+N. A node is killed with SIGKILL by its PID and
 * restarted with the same properties and data (Kafka recovers its logs after the unclean exit).
 * If this process exits with JVMs still running, its exit hook SIGKILLs them (no orphan JVMs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_VERSION, javaCommand, newClusterId, resolveKafka, waitForMetadata, writeLog4jConfig } from '../compat-tests/reference/kafka.js';

export interface KafkaClusterOptions {
  brokers: number;
  /** The first broker's port; the others follow, the controller comes after the last. */
  port: number;
  /** Heap of each JVM (-Xmx and -Xms). */
  heapMb: number;
  /** More properties for every node. */
  overrides?: Readonly<Record<string, string>>;
  readyTimeoutMs?: number;
}

/** Every JVM of every cluster this process runs, SIGKILLed by the exit hook. */
const live = new Set<ChildProcess>();
let hooked = false;
function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
}

export class KafkaNode {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly nodeId: number,
    readonly port: number,
    private readonly propsFile: string,
    private readonly jvm: readonly string[],
    private readonly logFile: string,
    private readonly readyTimeoutMs: number,
  ) {}

  get pid(): number {
    return this.proc?.pid ?? 0;
  }
  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Spawns the JVM and resolves when it answers Metadata listing a broker. */
  async start(): Promise<void> {
    const proc = spawn(javaCommand(), [...this.jvm, 'kafka.Kafka', this.propsFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    track(proc);
    let err = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    try {
      await waitForMetadata(this.port, () => proc.exitCode !== null || proc.signalCode !== null, this.readyTimeoutMs);
    } catch (e) {
      await this.kill();
      throw new Error(`Apache Kafka node ${this.nodeId} did not start: ${(e as Error).message}\n${err}${this.logTail()}`);
    }
  }

  /** SIGKILL by PID (no clean shutdown), and waits for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return this.exited;
    this.proc!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a controlled shutdown), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.running) return this.exited;
    this.proc!.kill('SIGTERM');
    const timer = setTimeout(() => this.proc?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  logTail(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(-4000) : '';
  }
}

export class KafkaCluster {
  readonly version = KAFKA_VERSION;
  readonly bootstrap: string;

  private constructor(
    readonly nodes: readonly KafkaNode[],
    readonly dir: string,
  ) {
    this.bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** Formats every node's log directory with one cluster id, starts node 0, then the others at once. */
  static async start(opts: KafkaClusterOptions): Promise<KafkaCluster> {
    const classpath = resolveKafka();
    const dir = mkdtempSync(join(tmpdir(), 'apache-kafka-cluster-'));
    const n = opts.brokers;
    const controllerPort = opts.port + n;
    const clusterId = newClusterId();
    const nodes: KafkaNode[] = [];
    try {
      const formats: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const port = opts.port + i;
        const combined = i === 0;
        const props: Record<string, string> = {
          'process.roles': combined ? 'broker,controller' : 'broker',
          'node.id': String(i),
          'controller.quorum.voters': `0@127.0.0.1:${controllerPort}`,
          listeners: combined ? `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}` : `PLAINTEXT://127.0.0.1:${port}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
          'controller.listener.names': 'CONTROLLER',
          'inter.broker.listener.name': 'PLAINTEXT',
          'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          'log.dirs': join(dir, `node-${i}`),
          ...opts.overrides,
        };
        const propsFile = join(dir, `node-${i}.properties`);
        writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
        const logFile = join(dir, `node-${i}.log`);
        const log4j = join(dir, `node-${i}-log4j2.properties`);
        writeLog4jConfig(log4j, logFile);
        const jvm = [`-Xmx${opts.heapMb}m`, `-Xms${opts.heapMb}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath];
        nodes.push(new KafkaNode(i, port, propsFile, jvm, logFile, opts.readyTimeoutMs ?? 120_000));
        formats.push(format(jvm, clusterId, propsFile));
      }
      await Promise.all(formats);
      const cluster = new KafkaCluster(nodes, dir);
      await nodes[0]!.start();
      await Promise.all(nodes.slice(1).map((node) => node.start()));
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((node) => node.kill()));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Brokers first (controlled shutdown), then the combined node; the directory is removed. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.slice(1).map((n) => n.stop()));
    await this.nodes[0]!.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `kafka-storage format` of one node's log directory (a JVM run; the nodes' runs go in parallel). */
function format(jvm: readonly string[], clusterId: string, propsFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(javaCommand(), [...jvm.filter((a) => !a.startsWith('-Xms')), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(proc);
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kafka-storage format of ${propsFile} failed (exit ${code}):\n${out.slice(-4000)}`))));
  });
}

/** For a quick check that the Java tools run at all. */
export function javaVersion(): string {
  const r = spawnSync(javaCommand(), ['-version'], { encoding: 'utf8' });
  return /version "([^"]+)"/.exec(r.stderr ?? '')?.[1] ?? '?';
}
