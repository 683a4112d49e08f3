/**
 * The crash loop: a broker under idempotent acks=all load is killed with SIGKILL at a random
 * moment, restarted, loaded again, killed again; at the end everything is read back. Every
 * acknowledged record must be there, and no record twice (each value is unique and an
 * idempotent producer's retries must not duplicate). Records sent but not acknowledged may or
 * may not be there.
 */
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecords, splitBatches } from '../../src/log/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { Fetch, ListOffsets } from '../../src/protocol/generated/index.js';
import { spawnBroker, type BrokerProcess } from '../harness.js';
import { fetchRequest, RawClient } from '../raw-client.js';
import { prng, sleep } from './common.js';

export interface CrashOptions {
  dataDir: string;
  port: number;
  cycles: number;
  seconds: number;
  seed: number;
  log: (line: string) => void;
}

export interface CrashResult {
  cycles: number;
  acknowledged: number;
  sent: number;
  found: number;
  lost: string[];
  duplicates: string[];
  startFailures: string[];
  seconds: number;
}

const TOPIC = 'torture-crash';
const PARTITIONS = 4;

/** Produces batches with unique values until the broker dies; returns the acknowledged values. */
async function load(bootstrap: string, cycle: number, acked: Set<string>, sent: { n: number }): Promise<void> {
  const kafka = new Kafka({ clientId: `torture-crash-${cycle}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }).catch(() => false);
  await admin.disconnect().catch(() => {});
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let batch = 0; ; batch++) {
      const values = Array.from({ length: 25 }, (_, i) => `c${cycle}-b${batch}-${i}`);
      sent.n += values.length;
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ value, partition: (batch + i) % PARTITIONS })) });
      for (const v of values) acked.add(v);
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

/** Every value stored in the topic, in offset order per partition. */
async function readAll(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  const out: string[] = [];
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      const lo = await c.request(ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 5000 });
      const end = lo.topics[0]!.partitions[0]!.offset;
      let offset = 0n;
      while (offset < end) {
        const f = await c.request(Fetch, 12, fetchRequest(TOPIC, p, offset, { maxBytes: 4 << 20, partitionMaxBytes: 4 << 20 }));
        const part = f.responses[0]!.partitions[0]!;
        if (part.errorCode !== ErrorCode.NONE || !part.records || part.records.length === 0) throw new Error(`fetch ${TOPIC}-${p} at ${offset}: error ${part.errorCode}`);
        for (const batch of splitBatches(part.records)) {
          for (const r of decodeRecords(batch)) {
            if (r.offset >= offset) out.push(r.value!.toString());
          }
          offset = batch.readBigInt64BE(0) + BigInt(batch.readInt32BE(23)) + 1n;
        }
      }
    }
  } finally {
    c.close();
  }
  return out;
}

export async function crashLoop(o: CrashOptions): Promise<CrashResult> {
  const rnd = prng(o.seed);
  const acked = new Set<string>();
  const sent = { n: 0 };
  const res: CrashResult = { cycles: 0, acknowledged: 0, sent: 0, found: 0, lost: [], duplicates: [], startFailures: [], seconds: 0 };
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  let broker: BrokerProcess | null = null;
  for (let cycle = 0; cycle < o.cycles && Date.now() < deadline; cycle++) {
    try {
      broker = await spawnBroker({ dataDir: o.dataDir, port: o.port });
    } catch (e) {
      res.startFailures.push(`cycle ${cycle}: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
      break;
    }
    const running = load(broker.bootstrap, cycle, acked, sent).catch(() => {});
    await sleep(150 + Math.floor(rnd() * 500));
    await broker.kill9();
    await Promise.race([running, sleep(15_000)]);
    res.cycles++;
    if (res.cycles % 10 === 0) o.log(`  ${res.cycles} kill -9 cycles, ${acked.size} records acknowledged`);
  }
  if (res.startFailures.length === 0) {
    broker = await spawnBroker({ dataDir: o.dataDir, port: o.port });
    try {
      const values = await readAll(broker.port);
      const seen = new Set<string>();
      for (const v of values) {
        if (seen.has(v)) res.duplicates.push(v);
        seen.add(v);
      }
      for (const v of acked) if (!seen.has(v)) res.lost.push(v);
      res.found = values.length;
    } finally {
      await broker.stop();
    }
  }
  res.acknowledged = acked.size;
  res.sent = sent.n;
  res.seconds = (Date.now() - started) / 1000;
  return res;
}
