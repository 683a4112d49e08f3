/**
 * Latency of an ordinary producer while another client sends gzip decompression bombs (issue 10,
 * finding 3). Not a timed test: a measurement to run by hand and compare builds.
 *
 *   npm run build && node dist/bench/bomb-latency.js [--cli dist/sluice.mjs] [--seconds 5]
 *        [--bomb-mib 300] [--topic-policy compact|delete] [--bombers 1]
 *
 * One `sluice start` process (--cli picks the bundle, e.g. an older build to compare). The victim
 * sends one small produce (acks=1) at a time on its own connection, back to back, for --seconds
 * without bombs and then --seconds with them; each phase reports the request count and the
 * p50/p99/max round trip. The bombers each keep one produce in flight, a batch of one record
 * whose value is --bomb-mib MiB of zeros, gzip level 9 (300 MiB: about 300 KB on the wire), to a
 * topic with --topic-policy (compact: the case where the old broker inflated them to look for
 * null keys). Reports what the bombs were answered.
 */
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { RawClient } from '../compat-tests/raw-client.js';
import { spawnBroker, tmpDataDir, CLI } from '../compat-tests/harness.js';
import { crc32c } from '../src/native/crc32c.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { CreateTopics, Produce } from '../src/protocol/generated/index.js';
import { Writer } from '../src/protocol/wire.js';
import { listFlag, numFlag } from './common.js';

function flag(name: string, fallback: string): string {
  return listFlag(name, [fallback])[0]!;
}

/** A gzip batch of one record whose value is `bytes` zeros (valid header, CRC and records). */
function bombBatch(bytes: number): Buffer {
  const body = new Writer(64);
  body.int8(0);
  body.varlong(0n);
  body.varint(0);
  body.varint(-1);
  body.varint(bytes);
  const head = body.finish();
  const tail = Buffer.from([0]); // no headers
  const len = new Writer(8);
  len.varint(head.length + bytes + tail.length);
  const section = gzipSync(Buffer.concat([len.finish(), head, Buffer.alloc(bytes), tail]), { level: 9 });
  const b = Buffer.alloc(61 + section.length);
  buildRecordBatch([{ key: null, value: null }]).copy(b, 0, 0, 61);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt16BE(1, 21);
  section.copy(b, 61);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

const produceBody = (topic: string, records: Buffer, acks = 1) => ({
  transactionalId: null,
  acks,
  timeoutMs: 30_000,
  topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }],
});

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): string => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
  return `${s.length} requests, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${s[s.length - 1]!.toFixed(2)} ms`;
}

async function victimPhase(c: RawClient, seconds: number): Promise<number[]> {
  const batch = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.alloc(100, 1) }]);
  const out: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    const res = await c.request(Produce, 9, produceBody('victim', batch));
    if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error('victim produce failed');
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const seconds = numFlag('seconds', 5);
  const bombMiB = numFlag('bomb-mib', 300);
  const policy = flag('topic-policy', 'compact');
  const bombers = numFlag('bombers', 1);
  const cli = flag('cli', CLI);
  const bomb = bombBatch(bombMiB << 20);
  console.log(`${cpus().length} cpus, ${cpus()[0]?.model ?? '?'}; broker ${cli}; bomb ${bomb.length} bytes -> ${bombMiB} MiB, topic ${policy}, ${bombers} bomber(s)`);
  const data = tmpDataDir();
  const broker = await spawnBroker({ dataDir: data.dir, cli });
  try {
    const admin = await RawClient.connect(broker.port);
    for (const [name, configs] of [
      ['victim', []],
      ['bombs', [{ name: 'cleanup.policy', value: policy }]],
    ] as const)
      await admin.request(CreateTopics, 4, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [...configs] }], timeoutMs: 5000, validateOnly: false });
    const victim = await RawClient.connect(broker.port);
    await victimPhase(victim, 1); // warm-up
    console.log(`without bombs: ${summary(await victimPhase(victim, seconds))}`);
    let stop = false;
    const answers = new Map<number, number>();
    const bombLoops = Array.from({ length: bombers }, async () => {
      const c = await RawClient.connect(broker.port);
      while (!stop) {
        const res = await c.request(Produce, 9, produceBody('bombs', bomb));
        const code = res.responses[0]!.partitionResponses[0]!.errorCode;
        answers.set(code, (answers.get(code) ?? 0) + 1);
      }
      c.close();
    });
    const under = await victimPhase(victim, seconds);
    stop = true;
    await Promise.all(bombLoops);
    console.log(`with bombs:    ${summary(under)}`);
    console.log(`bombs answered: ${[...answers].map(([code, n]) => `${n} x error ${code}`).join(', ')}; broker RSS ${broker.rssKiB()} KiB`);
    victim.close();
    admin.close();
  } finally {
    await broker.stop();
    data.remove();
  }
}

await main();
