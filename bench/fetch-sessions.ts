/**
 * Broker CPU for a consumer of many partitions, mostly idle, with and without fetch sessions
 * (KIP-227). A measurement to run by hand on a quiet machine, not a test.
 *
 *   npm run build && node dist/bench/fetch-sessions.js [--partitions 1000] [--active 5]
 *        [--rate 20] [--seconds 5] [--rounds 3] [--version 17] [--cli dist/sluice.mjs]
 *
 * One `sluice start` process and one topic of --partitions partitions. A producer appends one
 * small record to each of --active partitions --rate times a second (acks=1). A consumer, this
 * process over a raw connection, fetches every partition in a loop like a Java consumer
 * (max_wait_ms 500, min_bytes 1, Fetch --version by topic id), in one of two ways:
 *   sessions:    a full fetch (epoch 0), then incremental fetches naming only the partitions whose
 *                offset moved; the broker answers only partitions with news;
 *   sessionless: a full fetch of every partition each time (epoch -1, as librdkafka fetches).
 * Phases, interleaved in each round so that the machine's drift hits both alike: producer only
 * (the baseline), sessions, sessionless. Each phase runs --seconds; the broker's CPU is read from
 * /proc/<pid>/stat (user + system, 10 ms ticks) before and after. Reported per round and as the
 * sessionless/sessions ratio of the consumer's share (phase less baseline), with the spread over
 * rounds; fetches per second tell whether both loops ran alike.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { decodeResponse, fetchRequest, RawClient, requestFrame } from '../compat-tests/raw-client.js';
import { CLI, spawnBroker, stopBroker, tmpDataDir } from '../compat-tests/harness.js';
import { buildRecordBatch, readBatchInfo, splitBatches } from '../src/log/record-batch.js';
import { CreateTopics, Fetch, Metadata, Produce, type FetchRequest } from '../src/protocol/generated/index.js';
import { ZERO_UUID } from '../src/protocol/wire.js';
import { listFlag, numFlag } from './common.js';

const PARTITIONS = numFlag('partitions', 1000);
const ACTIVE = numFlag('active', 5);
const RATE = numFlag('rate', 20);
const SECONDS = numFlag('seconds', 5);
const ROUNDS = numFlag('rounds', 3);
const VERSION = numFlag('version', 17);
const TOPIC = 'bench-sessions';

/** CPU seconds (user + system) the process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted after the command name: indexes 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type Mode = 'baseline' | 'sessions' | 'sessionless';

interface PhaseResult {
  mode: Mode;
  cpuS: number;
  fetches: number;
  records: number;
}

function fetchOf(id: Buffer, offsets: ReadonlyMap<number, bigint>, partitions: Iterable<number>, o: Partial<FetchRequest>): FetchRequest {
  const req = fetchRequest({ id }, [...partitions], 0n, { maxWaitMs: 500, maxBytes: 50 * 1024 * 1024, ...o });
  return { ...req, topics: req.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, fetchOffset: offsets.get(p.partition)! })) })) };
}

/** Fetches until `stop()`, moving offsets past what arrives; how many fetches and records. */
async function consume(c: RawClient, id: Buffer, offsets: Map<number, bigint>, sessions: boolean, stop: () => boolean): Promise<{ fetches: number; records: number }> {
  const all = Array.from({ length: PARTITIONS }, (_, p) => p);
  let sessionId = 0;
  let epoch = 0;
  let moved: number[] = all;
  let fetches = 0;
  let records = 0;
  while (!stop()) {
    const full = !sessions || sessionId === 0;
    const req = full ? fetchOf(id, offsets, all, { sessionEpoch: sessions ? 0 : -1 }) : fetchOf(id, offsets, moved, { sessionId, sessionEpoch: epoch });
    if (!full && moved.length === 0) req.topics = [];
    const res = await c.request(Fetch, VERSION, req);
    fetches++;
    if (res.errorCode !== 0) throw new Error(`fetch error ${res.errorCode}`);
    if (sessions) {
      if (full) {
        sessionId = res.sessionId;
        epoch = 1;
      } else {
        epoch++;
      }
    }
    moved = [];
    for (const tp of res.responses) {
      for (const p of tp.partitions) {
        if (p.errorCode !== 0) throw new Error(`partition ${p.partitionIndex}: error ${p.errorCode}`);
        if (!p.records || p.records.length === 0) continue;
        for (const b of splitBatches(p.records)) {
          const info = readBatchInfo(b, 0, b.length);
          const next = b.readBigInt64BE(0) + BigInt(info.lastOffsetDelta) + 1n;
          if (next > offsets.get(p.partitionIndex)!) {
            offsets.set(p.partitionIndex, next);
            records += info.recordCount;
          }
        }
        moved.push(p.partitionIndex);
      }
    }
  }
  if (sessions && sessionId !== 0) await c.request(Fetch, VERSION, fetchOf(id, offsets, [], { sessionId, sessionEpoch: -1, maxWaitMs: 0, topics: [] }));
  return { fetches, records };
}

async function produceLoop(c: RawClient, stop: () => boolean): Promise<void> {
  const interval = 1000 / RATE;
  let next = performance.now();
  while (!stop()) {
    const records = buildRecordBatch([{ key: null, value: Buffer.from('x'.repeat(100)) }]);
    const res = await c.request(Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, topicId: ZERO_UUID, partitionData: Array.from({ length: ACTIVE }, (_, i) => ({ index: Math.floor((i * PARTITIONS) / ACTIVE), records })) }],
    });
    for (const p of res.responses[0]!.partitionResponses) if (p.errorCode !== 0) throw new Error(`produce: error ${p.errorCode}`);
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

async function main(): Promise<void> {
  const cli = listFlag('cli', [CLI])[0]!;
  const data = tmpDataDir('sluice-bench-sessions-');
  const broker = await spawnBroker({ dataDir: data.dir, cli });
  try {
    const admin = await RawClient.connect(broker.port);
    // Creating 1,000 partitions takes seconds on a busy machine: wait longer than RawClient does.
    const correlationId = admin.nextCorrelationId();
    admin.write(requestFrame(CreateTopics, 7, correlationId, { topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 120_000, validateOnly: false }));
    const frame = await admin.nextFrame(180_000);
    const made = decodeResponse(CreateTopics, 7, frame!, correlationId);
    if (made.topics[0]!.errorCode !== 0) throw new Error(`create: ${made.topics[0]!.errorCode}`);
    const md = await admin.request(Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: TOPIC }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const id = md.topics[0]!.topicId;
    admin.close();
    const producer = await RawClient.connect(broker.port);
    const consumer = await RawClient.connect(broker.port);
    const offsets = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0n] as [number, bigint]));

    const phase = async (mode: Mode): Promise<PhaseResult> => {
      const deadline = performance.now() + SECONDS * 1000;
      const stop = (): boolean => performance.now() >= deadline;
      const before = cpuSeconds(broker.pid);
      const [, got] = await Promise.all([produceLoop(producer, stop), mode === 'baseline' ? new Promise<{ fetches: number; records: number }>((r) => setTimeout(() => r({ fetches: 0, records: 0 }), SECONDS * 1000)) : consume(consumer, id, offsets, mode === 'sessions', stop)]);
      return { mode, cpuS: cpuSeconds(broker.pid) - before, ...got };
    };

    // Warm up both paths once (JIT), unmeasured.
    await phase('sessions');
    await phase('sessionless');
    const rounds: PhaseResult[][] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which consumer mode goes first.
      const order: Mode[] = r % 2 === 0 ? ['baseline', 'sessions', 'sessionless'] : ['baseline', 'sessionless', 'sessions'];
      const results: PhaseResult[] = [];
      for (const m of order) results.push(await phase(m));
      rounds.push(results);
      const line = results.map((x) => `${x.mode} ${x.cpuS.toFixed(2)} s CPU, ${(x.fetches / SECONDS).toFixed(1)} fetches/s, ${x.records} records`).join(' | ');
      process.stdout.write(`round ${r + 1}: ${line}\n`);
    }
    producer.close();
    consumer.close();

    const of = (rs: PhaseResult[], m: Mode): PhaseResult => rs.find((x) => x.mode === m)!;
    const ratios = rounds.map((rs) => {
      const base = of(rs, 'baseline').cpuS;
      return (of(rs, 'sessionless').cpuS - base) / Math.max(0.01, of(rs, 'sessions').cpuS - base);
    });
    const perFetch = (m: Mode): string => {
      const ms = rounds.map((rs) => ((of(rs, m).cpuS - of(rs, 'baseline').cpuS) * 1000) / Math.max(1, of(rs, m).fetches));
      return `${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(3)} ms`;
    };
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    process.stdout.write(
      `\n${PARTITIONS} partitions (${ACTIVE} active, ${RATE} produces/s), Fetch v${VERSION}, ${ROUNDS} rounds of ${SECONDS} s per phase, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})\n` +
        `broker CPU for the consumer (phase less producer-only baseline), sessionless / sessions: mean ${mean.toFixed(2)}x, min ${Math.min(...ratios).toFixed(2)}x, max ${Math.max(...ratios).toFixed(2)}x\n` +
        `broker CPU per fetch: sessions ${perFetch('sessions')}, sessionless ${perFetch('sessionless')}\n`,
    );
  } finally {
    await stopBroker(broker);
    data.remove();
  }
}

await main();
