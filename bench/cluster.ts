/**
 * Sluice's 3-broker cluster beside Apache Kafka 4.1.1's, in one interleaved run (issue 12, item 7):
 * produce throughput and latency at replication factor 1 and 3 (acks=all, min.insync.replicas=2
 * at RF 3), and the failover time of a leader killed with SIGKILL under load.
 *
 *   npm run build && node dist/bench/cluster.js [--quick] [flags]
 *
 *   --systems sluice,kafka   which clusters (default both; the ratio column needs both)
 *   --records N              100 B records per kcat run (default 1,000,000; --quick 20,000)
 *   --partitions N           partitions of the throughput topics (default 3: one leader per broker)
 *   --rounds N               rounds of the throughput cases; figures are medians (default 3; --quick 1)
 *   --rates 100,1000         produce latency: requests/s of the fixed-rate runs (default; one
 *                            connection, so Kafka, which works one request of a connection at a
 *                            time, tops out at 1 / its acks=all round trip)
 *   --latency-rounds N       rounds of the latency runs (default 2; --quick 1)
 *   --latency-duration S, --latency-warmup S   per latency run (default 5 and 2; --quick 1 and 0.5)
 *   --cycles N               leader kill -9 cycles per cluster (default 10; --quick 2)
 *   --kafka-heap-mb N        heap of each of Kafka's three JVMs (default 512)
 *   --session-timeout-ms N, --heartbeat-interval-ms N   broker.session.timeout.ms and
 *                            broker.heartbeat.interval.ms on both clusters (default 2000 and 250)
 *   --failover-warmup-ms N   acknowledged load before each kill (default 1000; --quick 500)
 *   --warmup-records N       records of the unmeasured kcat run that warms each cluster up
 *                            (default min(--records, 200,000))
 *
 * Duration with the defaults, estimated from --quick runs on the project's 2-core VM (never run in
 * full while others shared it): about 7.5 minutes; Kafka's formats and three JVM starts ~30 s, the
 * warm-up ~25 s, the kcat cases ~1 min, latency 2 rounds x 2 rates x 4 runs of 7 s (a run that
 * falls behind goes on to its limit of 19 s) ~2.5 min, failover 10 cycles of ~5 s on Sluice and
 * ~12 s on Kafka, whose JVM restart dominates, ~3 min.
 * --quick took 1.6-2.2 minutes beside the others' tests (Kafka's start alone 30-70 s of it); its
 * figures compare nothing.
 *
 * Method:
 * - The clusters: Sluice's `startCluster({ brokers: 3 })` (src/cluster.ts: node 0 is broker +
 *   the one controller voter, nodes 1 and 2 brokers only, each an OS process, log on disk) and
 *   Apache Kafka laid out the same way (bench/kafka-cluster.ts: node 0 combined, nodes 1 and 2
 *   brokers, one JVM each with --kafka-heap-mb of heap, log on disk). Neither fsyncs each write.
 *   Both run for the whole run, idle while the other is measured; every case goes through them
 *   in turn, the first one rotating by round, so drift of a shared machine falls on both.
 * - Topics are created with explicit replica assignments, the same on both clusters: throughput
 *   topics have partition i led by node i mod 3 (RF 3: replicas i, i+1, i+2); the latency and
 *   failover topics have one partition on nodes [1, 2, 0] (RF 1: [1]). RF 3 topics have
 *   min.insync.replicas=2. A measured run starts once every node reports every partition with a
 *   leader and its whole replica list in the ISR, and one record written to each partition with
 *   acks=all was acknowledged (so the followers are fetching; the checks count it out).
 * - Throughput: `kcat -P` of --records 100 B records from a file, acks=all, with bench/e2e.ts's
 *   settings (linger.ms=5, batch.num.messages=10000, keyless records spread over all partitions),
 *   bootstrapped with all three brokers; the time is kcat's whole run; the end offsets (asked of
 *   each leader) must add up to the records sent. MB/s counts record values (100 B each). Broker
 *   CPU: user + system seconds of the three processes together per GB of record values.
 * - Latency: bench/produce-latency.ts (one connection to the partition's leader, one 100 B record
 *   per request at each of --rates, up to 64 in flight, acks=all, timed from each request's due
 *   time so coordinated omission is counted; the log must hold exactly what was sent). Kafka reads
 *   the next request of a connection only once it has answered the one before (SocketServer mutes
 *   the channel from REQUEST_RECEIVED to RESPONSE_SENT), so on one connection it answers at most
 *   1 / (its acks=all round trip) requests a second; a rate above that leaves requests unanswered
 *   at the end of the run, and those cells are marked as lower bounds. The default rates are one
 *   both keep up with and one that shows that bound.
 * - Warm-up: before the measured rounds each cluster takes one unmeasured kcat run (--warmup-records,
 *   default min(--records, 200,000)) and one latency run at RF 3, so the JVM's first compilations
 *   are not in Kafka's figures.
 * - Failover: a producer of our own (raw Produce requests, one 100 B record each, acks=all, one
 *   request in flight, request timeout 10 s) writes to the failover topic; it finds the leader
 *   with Metadata (from the first node that answers), and after any error or lost connection it
 *   waits 20 ms and looks again, so its own backoff adds little. After --failover-warmup-ms of
 *   acknowledged load the leader's process is killed with SIGKILL by its PID; the figure is the
 *   time from the kill to the first acknowledged produce from another broker. Then the producer
 *   stops, the killed node is restarted with the same data, and the next cycle waits until the ISR
 *   is full again. Node 0 holds the one controller voter in both clusters and is never killed: when
 *   it leads the partition, a preferred-leader election (ElectLeaders) moves the leadership to
 *   node 1 first. Both clusters detect the dead broker by its missed heartbeats, so the session
 *   timeout (the same on both), less the time since the victim's last heartbeat, is the floor of
 *   every figure.
 */
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortRun, requireTool, tmpDataDir } from '../compat-tests/harness.js';
import { RawClient } from '../compat-tests/raw-client.js';
import { startCluster, type Cluster } from '../src/index.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { errorName } from '../src/protocol/errors.js';
import { Produce, type ProduceRequest } from '../src/protocol/generated/index.js';
import { ZERO_UUID } from '../src/protocol/wire.js';
import { clusterEndOffsets, createAssignedTopic, electPreferred, metadata, metadataVersionFor, partitionsSeenBy, waitForFullIsr, type NodeRef } from './cluster-admin.js';
import { KCAT_PRODUCE_CONF, deleteTopic, fmtInt, hasFlag, listFlag, machineLine, median, numFlag, rotated, stopClientsOnSignal, timed, writeRecordsFile } from './common.js';
import { KafkaCluster, javaVersion } from './kafka-cluster.js';
import { cpuSeconds, memoryMiB } from './peers.js';
import { fmtMs, pct, produceVersionFor, runAt, type RunResult } from './produce-latency.js';

requireTool('kcat');
const quick = hasFlag('quick');
const systemsWanted = listFlag('systems', ['sluice', 'kafka']);
for (const s of systemsWanted) if (s !== 'sluice' && s !== 'kafka') throw new Error(`--systems: unknown ${s} (sluice, kafka)`);
const records = numFlag('records', quick ? 20_000 : 1_000_000);
const partitions = numFlag('partitions', 3);
const rounds = numFlag('rounds', quick ? 1 : 3);
const rates = listFlag('rates', ['100', '1000']).map(Number);
const latencyRounds = numFlag('latency-rounds', quick ? 1 : 2);
const latencyDurationS = numFlag('latency-duration', quick ? 1 : 5);
const latencyWarmupS = numFlag('latency-warmup', quick ? 0.5 : 2);
const cycles = numFlag('cycles', quick ? 2 : 10);
const kafkaHeapMb = numFlag('kafka-heap-mb', 512);
const sessionTimeoutMs = numFlag('session-timeout-ms', 2000);
const heartbeatIntervalMs = numFlag('heartbeat-interval-ms', 250);
const failoverWarmupMs = numFlag('failover-warmup-ms', quick ? 500 : 1000);
const warmupRecords = numFlag('warmup-records', Math.min(records, 200_000));
if (!Number.isInteger(partitions) || partitions < 1) throw new Error('--partitions: a whole number >= 1');
if (rounds < 1 || records < 1 || rates.some((r) => !(r > 0))) throw new Error('--rounds, --rates and --records must be positive');

const BROKERS = 3;
const RECORD_BYTES = 100;
const REPLICATION_FACTORS = [1, 3] as const;
type Rf = (typeof REPLICATION_FACTORS)[number];
/** min.insync.replicas of a topic with this replication factor. */
const minIsr = (rf: Rf): number => (rf === 1 ? 1 : 2);
/** The failover producer's wait after an error or a lost connection before it looks for the leader again. */
const RETRY_MS = 20;
/** The failover producer's request timeout (Produce timeoutMs; the raw client gives up after as long). */
const PRODUCE_TIMEOUT_MS = 10_000;
const ISR_TIMEOUT_MS = 120_000;
/** A kill after which no broker acknowledges within this long fails the run. */
const FAILOVER_TIMEOUT_MS = 90_000;

stopClientsOnSignal();
const t0 = performance.now();
const progress = (what: string): void => void process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${what}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The two clusters behind one interface.

type SystemName = 'sluice' | 'kafka';

interface BenchNode extends NodeRef {
  readonly pid: number;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

interface System {
  readonly name: SystemName;
  readonly label: string;
  /** What runs, for the output. */
  readonly note: string;
  readonly bootstrap: string;
  readonly nodes: readonly BenchNode[];
  /** The node with the controller voter: never killed. */
  readonly controllerId: number;
  readonly metadataVersion: number;
  readonly produceVersion: number;
  close(): Promise<void>;
}

async function startSluice(): Promise<System> {
  const data = tmpDataDir('sluice-bench-cluster-');
  const port = await freePortRun(BROKERS + 1);
  let cluster: Cluster;
  try {
    cluster = await startCluster({ brokers: BROKERS, port, dataDir: data.dir, brokerSessionTimeoutMs: sessionTimeoutMs, brokerHeartbeatIntervalMs: heartbeatIntervalMs });
  } catch (err) {
    data.remove();
    throw err;
  }
  const log = readFileSync(cluster.nodes[0]!.logFile, 'utf8');
  const impl = /native addon loaded/.test(log) ? 'native addon loaded' : /native addon not used/.test(log) ? 'TypeScript only, the native addon not loaded' : 'addon state not logged';
  return describe('sluice', 'Sluice', `Sluice 3-broker cluster (startCluster: node 0 broker + controller, nodes 1-2 brokers, one process each; ${impl}; log on disk)`, cluster.bootstrap, cluster.nodes, async () => {
    await cluster.stop();
    data.remove();
  });
}

async function startApacheKafka(): Promise<System> {
  const port = await freePortRun(BROKERS + 1);
  const cluster = await KafkaCluster.start({
    brokers: BROKERS,
    port,
    heapMb: kafkaHeapMb,
    overrides: { 'broker.session.timeout.ms': String(sessionTimeoutMs), 'broker.heartbeat.interval.ms': String(heartbeatIntervalMs) },
  });
  return describe('kafka', `Apache Kafka ${cluster.version}`, `Apache Kafka ${cluster.version} 3-node KRaft cluster (node 0 broker + controller, nodes 1-2 brokers, one JVM each, ${kafkaHeapMb} MiB heap, Java ${javaVersion()}; log on disk)`, cluster.bootstrap, cluster.nodes, () => cluster.close());
}

async function describe(name: SystemName, label: string, note: string, bootstrap: string, nodes: readonly BenchNode[], close: () => Promise<void>): Promise<System> {
  try {
    const first = nodes[0]!;
    const metadataVersion = await metadataVersionFor(first.port);
    // Ready when the first node lists every broker (the others have registered and are unfenced).
    const deadline = Date.now() + 60_000;
    while ((await metadata(first.port, metadataVersion, [])).brokers.length < nodes.length) {
      if (Date.now() > deadline) throw new Error(`${label}: fewer than ${nodes.length} brokers registered after 60 s`);
      await sleep(100);
    }
    return { name, label, note, bootstrap, nodes, controllerId: first.nodeId, metadataVersion, produceVersion: await produceVersionFor(first.port), close };
  } catch (err) {
    await close();
    throw err;
  }
}

const clusterCpuSeconds = (s: System): number => s.nodes.reduce((sum, n) => sum + cpuSeconds(n.pid), 0);
const nodeById = (s: System, id: number): BenchNode => {
  const n = s.nodes.find((x) => x.nodeId === id);
  if (!n) throw new Error(`${s.label}: no node ${id}`);
  return n;
};

// ---------------------------------------------------------------------------------------------
// Results: per row key, the samples of each cluster.

const samples = new Map<string, Partial<Record<SystemName, number[]>>>();
function record(key: string, s: SystemName, v: number): void {
  const row = samples.get(key) ?? {};
  (row[s] ??= []).push(v);
  samples.set(key, row);
}
function medianOf(key: string, s: SystemName): number | undefined {
  const xs = samples.get(key)?.[s];
  return xs && xs.length > 0 ? median(xs) : undefined;
}
const problems: string[] = [];
/** "<system> lat <rate> rf<N>" of the latency cases where some request was still unanswered at the end (the broker could not keep up). */
const overloaded = new Set<string>();

/** Replica lists: partition i starts at node i mod 3 and takes the next rf - 1 nodes. */
function assignment(s: System, count: number, rf: Rf, first = 0): number[][] {
  const ids = s.nodes.map((n) => n.nodeId);
  return Array.from({ length: count }, (_, i) => Array.from({ length: rf }, (_, r) => ids[(first + i + r) % ids.length]!));
}

/** One acks=all Produce of one 100 B record to one partition. */
function oneRecordProduce(topic: string, partition: number): ProduceRequest {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: PRODUCE_TIMEOUT_MS,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records: buildRecordBatch([{ key: null, value: Buffer.alloc(RECORD_BYTES, 0x66) }]) }] }],
  };
}

/**
 * Writes one record with acks=all to every partition, retrying until each is acknowledged: after
 * it, the followers are fetching. (A full ISR in Metadata says nothing of that: a new partition's
 * ISR is its replica list from the start, and a follower whose first fetch reached the leader
 * before the leader knew the partition gets an error and, in Kafka, waits replica.fetch.backoff.ms,
 * 1 s by default, before it tries again: AbstractFetcherThread's delayPartitions.)
 */
async function primeReplication(s: System, topic: string, leaders: readonly number[]): Promise<void> {
  const deadline = Date.now() + ISR_TIMEOUT_MS;
  for (let p = 0; p < leaders.length; p++) {
    for (let last = '';;) {
      if (Date.now() > deadline) throw new Error(`${s.label}: ${topic}-${p} never acknowledged an acks=all produce (${last})`);
      try {
        const c = await RawClient.connect(nodeById(s, leaders[p]!).port);
        try {
          const res = await c.request(Produce, s.produceVersion, oneRecordProduce(topic, p));
          const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
          if (code === 0) break;
          last = errorName(code);
        } finally {
          c.close();
        }
      } catch (e) {
        last = (e as Error).message;
      }
      await sleep(50);
    }
  }
}

/**
 * Creates the topic, waits for a full ISR everywhere and for replication to flow (one primed
 * record per partition, see primeReplication), runs `run` with the leaders, deletes the topic.
 */
async function withTopic<T>(s: System, topic: string, replicas: number[][], rf: Rf, run: (leaders: number[]) => Promise<T>): Promise<T> {
  const admin = s.nodes[0]!.port;
  await createAssignedTopic(admin, topic, replicas, { 'min.insync.replicas': String(minIsr(rf)) });
  let ok = false;
  try {
    const leaders = await waitForFullIsr(s.nodes, s.metadataVersion, topic, replicas.length, ISR_TIMEOUT_MS);
    await primeReplication(s, topic, leaders);
    const result = await run(leaders);
    ok = true;
    return result;
  } finally {
    // After a failure the cluster may be in trouble; its error is the one worth seeing.
    await deleteTopic(admin, topic).catch((err: unknown) => {
      if (ok) throw err;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput with kcat.

interface Throughput {
  recordsPerS: number;
  mbPerS: number;
  cpuPerGB: number;
}

/** One kcat produce of `count` records (the lines of `file`) into a new topic of RF `rf`. */
async function throughputCase(s: System, rf: Rf, topic: string, file: string, count: number): Promise<Throughput> {
  return withTopic(s, topic, assignment(s, partitions, rf), rf, async (leaders) => {
    const cpu0 = clusterCpuSeconds(s);
    const p = await timed('kcat', ['-b', s.bootstrap, '-P', '-t', topic, '-l', file, ...KCAT_PRODUCE_CONF, '-X', 'acks=all']);
    const cpu1 = clusterCpuSeconds(s);
    if (p.code !== 0) throw new Error(`kcat produce to ${topic} on ${s.label} failed: ${p.stderr}`);
    const ends = await clusterEndOffsets(s.nodes, leaders, topic);
    // Each partition also holds its primed record.
    const total = ends.reduce((sum, e) => sum + Number(e), 0) - leaders.length;
    if (total !== count) throw new Error(`${topic} on ${s.label}: ${total} records in the log besides the primed ones, expected ${count} (per partition: ${ends.join(', ')})`);
    const seconds = p.ms / 1000;
    const gb = (count * RECORD_BYTES) / 1e9;
    return { recordsPerS: count / seconds, mbPerS: (gb * 1000) / seconds, cpuPerGB: (cpu1 - cpu0) / gb };
  });
}

// ---------------------------------------------------------------------------------------------
// Produce latency at a fixed rate.

/** One fixed-rate run of bench/produce-latency.ts against the leader of a new 1-partition topic of RF `rf`. */
async function latencyCase(s: System, rf: Rf, rate: number, topic: string, warmupS: number, durationS: number): Promise<RunResult> {
  return withTopic(s, topic, assignment(s, 1, rf, 1), rf, async ([leader]) => {
    const r = await runAt(nodeById(s, leader!).port, topic, s.produceVersion, rate, -1, {
      warmupS,
      durationS,
      batchRecords: 1,
      valueBytes: RECORD_BYTES,
      maxInFlight: 64,
      pacing: 'spin',
      firstOffset: 1, // the primed record
    });
    for (const p of r.problems) problems.push(`latency on ${s.label}, RF ${rf}: ${p}`);
    return r;
  });
}

// ---------------------------------------------------------------------------------------------
// Failover.

/**
 * Produce requests one at a time (acks=all, one 100 B record) to the failover topic's leader,
 * until stopped. After any error or lost connection it waits RETRY_MS and asks for the leader
 * again. `firstAckAfter` resolves with the time of the first acknowledgement, after a given
 * moment, from any broker but the one named.
 */
class SteadyProducer {
  acks = 0;
  readonly errors = new Map<string, number>();
  private stopped = false;
  private readonly done: Promise<void>;
  private waiter: { since: number; exclude: number; resolve: (at: number) => void } | null = null;
  private readonly frameBody: ProduceRequest;

  constructor(
    private readonly s: System,
    private readonly topic: string,
  ) {
    this.frameBody = oneRecordProduce(topic, 0);
    this.done = this.run();
  }

  firstAckAfter(since: number, exclude: number): Promise<number> {
    return new Promise((resolve) => (this.waiter = { since, exclude, resolve }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private count(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1);
  }

  private async run(): Promise<void> {
    let conn: RawClient | null = null;
    let connNode = -1;
    while (!this.stopped) {
      try {
        if (conn === null || conn.closed) {
          conn?.close();
          conn = null;
          const leader = await this.findLeader();
          if (leader === null) {
            this.count('no leader known');
            await sleep(RETRY_MS);
            continue;
          }
          connNode = leader.nodeId;
          conn = await RawClient.connect(leader.port);
        }
        const res = await conn.request(Produce, this.s.produceVersion, this.frameBody);
        const at = performance.now();
        const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
        if (code === 0) {
          this.acks++;
          const w = this.waiter;
          if (w && at > w.since && connNode !== w.exclude) {
            this.waiter = null;
            w.resolve(at);
          }
        } else {
          this.count(errorName(code));
          conn.close();
          conn = null;
          await sleep(RETRY_MS);
        }
      } catch (e) {
        this.count(/ECONNREFUSED/.test((e as Error).message) ? 'connection refused' : /closed/.test((e as Error).message) ? 'connection closed' : (e as Error).message);
        conn?.close();
        conn = null;
        await sleep(RETRY_MS);
      }
    }
    conn?.close();
  }

  /** The leader of partition 0 as the first node that answers sees it; null if none names a live one. */
  private async findLeader(): Promise<BenchNode | null> {
    for (const n of this.s.nodes) {
      try {
        const ps = await partitionsSeenBy(n.port, this.s.metadataVersion, this.topic);
        const leader = ps?.[0]?.leader ?? -1;
        return leader >= 0 ? nodeById(this.s, leader) : null;
      } catch {
        // This node is down: ask the next.
      }
    }
    return null;
  }
}

const FAILOVER_TOPIC = 'bench-failover';
const failoverErrors = new Map<SystemName, Map<string, number>>();

async function leaderOffController(s: System): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const [leader] = await waitForFullIsr(s.nodes, s.metadataVersion, FAILOVER_TOPIC, 1, ISR_TIMEOUT_MS);
    if (leader !== s.controllerId) return leader!;
    await electPreferred(s.nodes[0]!.port, FAILOVER_TOPIC);
    await sleep(100);
  }
  throw new Error(`${s.label}: the failover partition's leadership stays on node ${s.controllerId}`);
}

async function failoverCycle(s: System, cycle: number): Promise<void> {
  const victim = nodeById(s, await leaderOffController(s));
  const producer = new SteadyProducer(s, FAILOVER_TOPIC);
  try {
    const warmStart = performance.now();
    while (performance.now() - warmStart < failoverWarmupMs || producer.acks < 10) {
      if (performance.now() - warmStart > 30_000) throw new Error(`${s.label}: only ${producer.acks} produce acknowledgements in 30 s before the kill`);
      await sleep(20);
    }
    record('fo load', s.name, producer.acks / ((performance.now() - warmStart) / 1000));
    producer.errors.clear();
    progress(`${s.label}: cycle ${cycle + 1}, kill -9 of node ${victim.nodeId} (pid ${victim.pid}), the leader`);
    const killedAt = performance.now();
    const acked = producer.firstAckAfter(killedAt, victim.nodeId);
    await victim.kill();
    let timer: NodeJS.Timeout | undefined;
    const at = await Promise.race([acked, new Promise<number>((r) => (timer = setTimeout(() => r(NaN), FAILOVER_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (Number.isNaN(at)) throw new Error(`${s.label}: no produce acknowledged within ${FAILOVER_TIMEOUT_MS} ms of the kill (${[...producer.errors].map(([k, v]) => `${k} x${v}`).join(', ')})`);
    record('fo ms', s.name, at - killedAt);
    const errs = failoverErrors.get(s.name) ?? new Map<string, number>();
    for (const [k, v] of producer.errors) errs.set(k, (errs.get(k) ?? 0) + v);
    failoverErrors.set(s.name, errs);
  } finally {
    await producer.stop();
  }
  const restartAt = performance.now();
  await victim.restart();
  await waitForFullIsr(s.nodes, s.metadataVersion, FAILOVER_TOPIC, 1, ISR_TIMEOUT_MS);
  record('fo rejoin', s.name, performance.now() - restartAt);
}

// ---------------------------------------------------------------------------------------------
// The run.

const filesDir = mkdtempSync(join(tmpdir(), 'sluice-bench-cluster-files-'));
const systems: System[] = [];
let kafkaMissing = '';
try {
  const file = join(filesDir, 'records-100.txt');
  writeRecordsFile(file, records, RECORD_BYTES);
  for (const name of systemsWanted as SystemName[]) {
    progress(`starting ${name === 'sluice' ? "Sluice's" : "Apache Kafka's"} 3-node cluster`);
    const started = performance.now();
    if (name === 'sluice') systems.push(await startSluice());
    else {
      // If Kafka's three JVMs cannot start on this machine, Sluice's figures are still worth having.
      const k = await startApacheKafka().catch((e: unknown) => {
        kafkaMissing = `Apache Kafka's 3-node cluster did not start, so it has no column: ${(e as Error).message.split('\n')[0]}`;
        progress(`${kafkaMissing}\n${(e as Error).message}`);
        return null;
      });
      if (k) systems.push(k);
      else continue;
    }
    record('start', name, performance.now() - started);
  }
  if (systems.length === 0) throw new Error('no cluster to measure');
  // Warm-up, not measured: a JVM compiles its hot paths during its first runs, so each cluster
  // first takes one kcat run and one latency run at RF 3.
  const warmupFile = join(filesDir, 'records-100-warmup.txt');
  writeRecordsFile(warmupFile, warmupRecords, RECORD_BYTES);
  for (const s of systems) {
    progress(`warm-up on ${s.label}`);
    await throughputCase(s, 3, 'bench-warmup-kcat', warmupFile, warmupRecords);
    await latencyCase(s, 3, rates[0]!, 'bench-warmup-latency', 0, latencyWarmupS + latencyDurationS);
  }
  for (let round = 0; round < rounds; round++) {
    for (const rf of REPLICATION_FACTORS) {
      for (const s of rotated(systems, round)) {
        progress(`kcat RF ${rf} on ${s.label} (round ${round + 1} of ${rounds})`);
        const t = await throughputCase(s, rf, `bench-kcat-rf${rf}-r${round}`, file, records);
        record(`tput rf${rf} rps`, s.name, t.recordsPerS);
        record(`tput rf${rf} mbps`, s.name, t.mbPerS);
        record(`tput rf${rf} cpu`, s.name, t.cpuPerGB);
      }
    }
  }
  for (let round = 0; round < latencyRounds; round++) {
    for (const rate of rates) {
      for (const rf of REPLICATION_FACTORS) {
        for (const s of rotated(systems, round)) {
          progress(`latency RF ${rf} at ${fmtInt(rate)}/s on ${s.label} (round ${round + 1} of ${latencyRounds})`);
          const r = await latencyCase(s, rf, rate, `bench-latency-${rate}-rf${rf}-r${round}`, latencyWarmupS, latencyDurationS);
          const key = `lat ${rate} rf${rf}`;
          if (r.unanswered > 0) overloaded.add(`${s.name} ${key}`);
          record(`${key} p50`, s.name, pct(r.fromDue, 0.5));
          record(`${key} p99`, s.name, pct(r.fromDue, 0.99));
          record(`${key} p999`, s.name, pct(r.fromDue, 0.999));
          record(`${key} achieved`, s.name, r.achieved);
        }
      }
    }
  }
  for (const s of systems) await createAssignedTopic(s.nodes[0]!.port, FAILOVER_TOPIC, assignment(s, 1, 3, 1), { 'min.insync.replicas': '2' });
  for (let cycle = 0; cycle < cycles; cycle++) for (const s of rotated(systems, cycle)) await failoverCycle(s, cycle);
  for (const s of systems) record('rss', s.name, s.nodes.reduce((sum, n) => sum + memoryMiB(n.pid).rss, 0));
} finally {
  for (const s of systems) await s.close().catch((e: unknown) => process.stderr.write(`closing ${s.label}: ${(e as Error).message}\n`));
  rmSync(filesDir, { recursive: true, force: true });
}
const elapsedS = (performance.now() - t0) / 1000;

// ---------------------------------------------------------------------------------------------
// Output.

const names = systems.map((s) => s.name);
const labelOf = (n: SystemName): string => systems.find((s) => s.name === n)!.label;
const both = names.includes('sluice') && names.includes('kafka');
/** Two decimals, or two significant digits below 0.1. */
const ratio = (a: number | undefined, b: number | undefined): string => {
  if (a === undefined || b === undefined || b === 0) return '-';
  const r = a / b;
  return `${r === 0 || r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`;
};
const fmtSeconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface OutRow {
  label: string;
  cell: (n: SystemName) => string;
  /** Sluice over Kafka, or nothing for rows where a ratio means nothing. */
  vsKafka?: () => string;
}

function row(label: string, key: string, format: (v: number, n: SystemName) => string): OutRow {
  const value = (n: SystemName): string => {
    const v = medianOf(key, n);
    return v === undefined ? '-' : format(v, n);
  };
  return { label, cell: value, vsKafka: () => ratio(medianOf(key, 'sluice'), medianOf(key, 'kafka')) };
}

function table(title: string, rows: OutRow[]): void {
  console.log('');
  console.log(`**${title}**`);
  console.log('');
  console.log(`| measure | ${names.map(labelOf).join(' | ')}${both ? ' | Sluice / Kafka |' : ' |'}`);
  console.log(`| --- |${names.map(() => ' --- |').join('')}${both ? ' --- |' : ''}`);
  for (const r of rows) console.log(`| ${r.label} | ${names.map((n) => r.cell(n)).join(' | ')}${both ? ` | ${r.vsKafka ? r.vsKafka() : ''} |` : ' |'}`);
}

const rateFmt = (v: number): string => `${fmtInt(v)}/s`;
/** A latency figure, a lower bound (">=") where a run of that case left requests unanswered. */
const latFmt = (key: string) => (v: number, n: SystemName): string => `${overloaded.has(`${n} ${key}`) ? '>= ' : ''}${fmtMs(v)}`;
/** Achieved requests/s: "(overloaded)" where requests were left unanswered, "(fell behind)" below 95% of the rate asked. */
const achievedFmt = (key: string, rate: number) => (v: number, n: SystemName): string =>
  `${fmtInt(v)}${overloaded.has(`${n} ${key}`) ? ' (overloaded)' : v < 0.95 * rate ? ' (fell behind)' : ''}`;
const mbFmt = (v: number): string => `${v.toFixed(1)} MB/s`;
console.log(`command: node dist/bench/cluster.js${process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''}   (${(elapsedS / 60).toFixed(1)} min)`);
console.log(machineLine(true));
for (const s of systems) console.log(`${s.label}: ${s.note}`);
console.log(`both: broker.session.timeout.ms=${sessionTimeoutMs}, broker.heartbeat.interval.ms=${heartbeatIntervalMs}; every figure is the median of ${rounds} round(s) (failover: of ${cycles} cycles), the order of the clusters rotating by round`);
if (quick) console.log('--quick: a smoke run; with so few records and cycles these figures compare nothing');
if (kafkaMissing) console.log(kafkaMissing);

table(`kcat produce throughput, ${fmtInt(records)} x 100 B records, ${partitions} partitions (one leader per broker), acks=all; higher is better except CPU`, [
  row('RF 1: records/s', 'tput rf1 rps', rateFmt),
  row('RF 1: MB/s of values', 'tput rf1 mbps', mbFmt),
  row('RF 3, min.insync.replicas=2: records/s', 'tput rf3 rps', rateFmt),
  row('RF 3: MB/s of values', 'tput rf3 mbps', mbFmt),
  { label: 'RF 3 as a ratio of RF 1 (records/s)', cell: (n) => ratio(medianOf('tput rf3 rps', n), medianOf('tput rf1 rps', n)) },
  row('broker CPU s per GB of values, 3 processes, RF 1 (lower is better)', 'tput rf1 cpu', (v) => v.toFixed(1)),
  row('broker CPU s per GB of values, 3 processes, RF 3 (lower is better)', 'tput rf3 cpu', (v) => v.toFixed(1)),
]);

for (const rate of rates) {
  const k = (rf: Rf): string => `lat ${rate} rf${rf}`;
  table(`produce latency at ${fmtInt(rate)} requests/s, one connection to the leader, 1 x 100 B per request, acks=all, coordinated omission counted (${latencyWarmupS} s warm-up, ${latencyDurationS} s measured, median of ${latencyRounds} round(s)); lower is better`, [
    row('RF 1: p50', `${k(1)} p50`, latFmt(k(1))),
    row('RF 1: p99', `${k(1)} p99`, latFmt(k(1))),
    row('RF 1: p99.9', `${k(1)} p999`, latFmt(k(1))),
    row('RF 1: achieved requests/s (higher is better)', `${k(1)} achieved`, achievedFmt(k(1), rate)),
    row('RF 3, min.insync.replicas=2: p50', `${k(3)} p50`, latFmt(k(3))),
    row('RF 3: p99', `${k(3)} p99`, latFmt(k(3))),
    row('RF 3: p99.9', `${k(3)} p999`, latFmt(k(3))),
    row('RF 3: achieved requests/s (higher is better)', `${k(3)} achieved`, achievedFmt(k(3), rate)),
    { label: 'RF 3 p99 as a ratio of RF 1 p99', cell: (n) => ratio(medianOf(`${k(3)} p99`, n), medianOf(`${k(1)} p99`, n)) },
  ]);
}
if (overloaded.size > 0) {
  console.log('');
  console.log('">=" and "(overloaded)": some requests of that case were still unanswered when its run ended, so its latencies are lower bounds.');
}

const foCell = (n: SystemName): string => {
  const xs = samples.get('fo ms')?.[n] ?? [];
  return xs.length === 0 ? '-' : `${fmtSeconds(median(xs))} (min ${fmtSeconds(Math.min(...xs))}, max ${fmtSeconds(Math.max(...xs))}, ${xs.length} cycles)`;
};
table(`failover: leader kill -9 to the first acknowledged produce on another broker, RF 3, min.insync.replicas=2, steady acks=all load; lower is better`, [
  { label: 'kill to first acknowledged produce: median (min, max)', cell: foCell, vsKafka: () => ratio(medianOf('fo ms', 'sluice'), medianOf('fo ms', 'kafka')) },
  row('restart of the killed node to a full ISR again, median', 'fo rejoin', fmtSeconds),
  row('failover producer before each kill: acknowledged produces/s (higher is better)', 'fo load', (v) => fmtInt(v)),
  row('3-node cluster start (formats included) to all brokers registered', 'start', fmtSeconds),
  row('RSS of the 3 processes together at the end', 'rss', (v) => `${v.toFixed(0)} MiB`),
]);
for (const [n, errs] of failoverErrors) {
  console.log('');
  console.log(`${labelOf(n)}: what the failover producer met between kill and recovery, all cycles: ${[...errs].map(([k, v]) => `${k} x${v}`).join(', ') || 'nothing'}`);
}

// The README paragraph.
const fig = (key: string, n: SystemName, f: (v: number, n: SystemName) => string): string => {
  const v = medianOf(key, n);
  return v === undefined ? '-' : f(v, n);
};
const foText = (n: SystemName): string => {
  const xs = samples.get('fo ms')?.[n] ?? [];
  return xs.length === 0 ? '-' : `median ${fmtSeconds(median(xs))} (min ${fmtSeconds(Math.min(...xs))}, max ${fmtSeconds(Math.max(...xs))}, ${xs.length} cycles)`;
};
const latencyText = (n: SystemName): string =>
  rates.map((rate) => `p99 at ${fmtInt(rate)}/s ${fig(`lat ${rate} rf1 p99`, n, latFmt(`lat ${rate} rf1`))} at RF 1 and ${fig(`lat ${rate} rf3 p99`, n, latFmt(`lat ${rate} rf3`))} at RF 3`).join(', ');
const perSystem = (n: SystemName): string =>
  `${labelOf(n)}: RF 1 ${fig('tput rf1 rps', n, rateFmt)} (${fig('tput rf1 mbps', n, mbFmt)}), RF 3 ${fig('tput rf3 rps', n, rateFmt)} (${fig('tput rf3 mbps', n, mbFmt)}, ${ratio(medianOf('tput rf3 rps', n), medianOf('tput rf1 rps', n))} of RF 1); ` +
  `produce latency ${latencyText(n)}; failover ${foText(n)}`;
const kafkaSystem = systems.find((s) => s.name === 'kafka');
const layout = kafkaSystem
  ? `a 3-broker Sluice cluster (startCluster) beside ${kafkaSystem.label}'s 3-node KRaft cluster (one JVM of ${kafkaHeapMb} MiB heap a node), both laid out alike`
  : 'a 3-broker Sluice cluster (startCluster)';
console.log('');
console.log('README paragraph:');
console.log('');
console.log(
  `\`npm run build && node dist/bench/cluster.js${quick ? ' --quick' : ''}\` (${(elapsedS / 60).toFixed(1)} minutes; ${machineLine(true).replace(/^machine: /, '')}): ` +
    `${layout} (node 0 broker + the one controller, nodes 1-2 brokers, each its own process; broker.session.timeout.ms=${sessionTimeoutMs}), ` +
    `${kafkaSystem ? 'cases interleaved by round, ' : ''}each figure the median of ${rounds} round(s) after an unmeasured warm-up. ` +
    `Throughput: kcat produce of ${fmtInt(records)} x 100 B records into ${partitions} partitions (one leader per broker), acks=all, RF 1, and RF 3 with min.insync.replicas=2. ` +
    `Latency: one connection to the leader, one 100 B record per request at ${rates.map((r) => `${fmtInt(r)}/s`).join(' and ')}, acks=all, coordinated omission counted (">=": the broker fell behind, a lower bound). ` +
    `Failover: kill -9 of the leader of an RF 3 partition under acks=all load to the first produce acknowledged by the new leader. ` +
    systems.map((s) => perSystem(s.name)).join('. ') +
    (kafkaMissing ? `. ${kafkaMissing}` : '') +
    (both ? `. Sluice over Kafka: RF 3 throughput ${ratio(medianOf('tput rf3 rps', 'sluice'), medianOf('tput rf3 rps', 'kafka'))}, RF 3 p99 at ${fmtInt(rates[0]!)}/s ${ratio(medianOf(`lat ${rates[0]} rf3 p99`, 'sluice'), medianOf(`lat ${rates[0]} rf3 p99`, 'kafka'))}, failover median ${ratio(medianOf('fo ms', 'sluice'), medianOf('fo ms', 'kafka'))}.` : '.'),
);

if (problems.length > 0) {
  console.log('');
  console.log(`CHECKS FAILED: ${problems.join('; ')}`);
  process.exitCode = 1;
}
