/**
 * Produce latency at fixed request rates, with coordinated omission accounted for, native addon
 * and TypeScript side by side.
 *
 *   npm run build && node dist/bench/latency.js [flags]
 *
 *   --rates 1000,10000,30000,100000  requests per second, one run each (default; the last is meant
 *                          to be more than the broker can take, to show queueing)
 *   --duration 10          measured seconds per run (default 10)
 *   --warmup 2             seconds sent on the same schedule first and left out of the figures (default 2)
 *   --acks 1,all           (default both; on one node Sluice answers them alike)
 *   --batch-records 1      records per request (one batch per request; default 1)
 *   --value-bytes 100      bytes per record value, no key (default 100)
 *   --max-in-flight 64     unanswered requests allowed on the connection (default 64, the broker's own
 *                          per-connection limit, so the limit that binds is the broker's)
 *   --pacing spin|timer    how the sender waits for the next send time (default spin, see below)
 *   --produce-version N    Produce version (default: the highest both the broker and our codec have)
 *   --impls native,ts      which implementations (default both)
 *
 * With the defaults: 4 rates x 2 acks x 2 implementations x 12 s, plus up to 17 s more for each
 * overloaded run (see Bounds): about 4-5 minutes.
 *
 * Method. A client in this file speaks Kafka over one TCP connection to a real `sluice start`
 * process, with the project's generated codecs: the Produce request frame (one record batch for a
 * fresh 1-partition topic) is encoded once per run, and each send is a copy with its own
 * correlation id. Request i is due at t0 + i / rate. The sender sends every request that is due
 * as soon as it can, several in flight at once (Kafka answers in order per connection), so it
 * never waits for an answer before sending the next request, unless --max-in-flight requests are
 * already unanswered. The latency of request i is the time its response arrived minus the time
 * it was DUE, not the time it was actually sent. When the broker (or this sender) falls behind,
 * later requests go out late, and timing them from their actual send would hide exactly that wait
 * ("coordinated omission"); timing from the due time counts it, as a client that produces at a
 * fixed rate sees it. The table also shows the p99.9 timed from the actual send, to make the
 * difference visible, and how late the sender itself was (its p99), which is part of the latency.
 *
 * Pacing: Node's timers have 1 ms granularity, which alone would add up to 1 ms to every request
 * at these rates. With --pacing spin (the default) the sender sleeps on a timer until about 2 ms
 * before the next due time and then polls with setImmediate, which keeps the event loop turning
 * (responses are still read at once) but uses most of one core; the broker has the other core.
 * --pacing timer uses timers only: less CPU, coarser sends (see the sender-lateness column).
 *
 * Checks: every response must carry error code 0 and the base offset i * batch-records (so the
 * offsets are contiguous from 0, in order), and the topic's end offset must equal the number of
 * records sent. Responses are timed when their bytes arrive (one clock read per socket read), so
 * this client's own pauses (its GC, a burst of sends) count too, as any client's would. Each run
 * uses a fresh topic and a fresh connection; the topic is deleted after the run.
 *
 * Bounds: each run sends (warmup + duration) x rate requests, no more. If they are not all
 * answered within 2 x (warmup + duration) + 5 s of the start, the run stops there, unanswered
 * requests count with the latency they had reached by then (a lower bound; such figures are
 * marked with >=), and the run is reported as overloaded.
 */
import { connect, type Socket } from 'node:net';
import { requestFrame, decodeResponse, RawClient } from '../compat-tests/raw-client.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ApiVersions } from '../src/protocol/generated/18-api-versions.js';
import { Produce, type ProduceResponse } from '../src/protocol/generated/00-produce.js';
import { ZERO_UUID } from '../src/protocol/wire.js';
import { createTopic, deleteTopic, endOffsets, fmtInt, implsFromFlag, listFlag, machineLine, numFlag, startImpl, type RunningBroker } from './common.js';

const rates = listFlag('rates', ['1000', '10000', '30000', '100000']).map(Number);
const durationS = numFlag('duration', 10);
const warmupS = numFlag('warmup', 2);
const acksList = listFlag('acks', ['1', 'all']);
const batchRecords = Math.max(1, Math.floor(numFlag('batch-records', 1)));
const valueBytes = Math.floor(numFlag('value-bytes', 100));
const maxInFlight = Math.max(1, Math.floor(numFlag('max-in-flight', 64)));
const pacing = listFlag('pacing', ['spin'])[0];
const impls = implsFromFlag();
for (const r of rates) if (!(r > 0)) throw new Error(`--rates: bad rate ${r}`);
for (const a of acksList) if (a !== '1' && a !== 'all') throw new Error(`--acks takes 1 and/or all, got ${a}`);
if (pacing !== 'spin' && pacing !== 'timer') throw new Error(`--pacing is spin or timer, got ${pacing}`);
if (!(durationS > 0)) throw new Error('--duration must be above 0');

/** In spin pacing, how long before a due time the sender stops sleeping on a timer and polls. */
const SPIN_MS = 2;
/** Produce versions above 12 name topics by id, which this client does not look up. */
const PRODUCE_VERSION_MAX = 12;

// ---------------------------------------------------------------------------------------------
// One run: a fixed rate on one connection.

interface RunResult {
  /** Latency of each measured request from its due time, ms (unanswered: a lower bound). */
  fromDue: Float64Array;
  /** Latency of each answered measured request from its actual send, ms. */
  fromSend: Float64Array;
  /** How late the sender sent each measured request, ms. */
  sendLag: Float64Array;
  /** Measured requests answered per second, from the first one's due time to the last answer. */
  achieved: number;
  /** Measured requests not answered before the run's time limit (the broker could not keep up). */
  unanswered: number;
  /** Seconds from the first due time to the end of the run. */
  ranS: number;
  /** What went wrong, if anything: error codes, offsets out of order, a lost connection. */
  problems: string[];
}

async function produceVersionFor(port: number): Promise<number> {
  const flagged = numFlag('produce-version', -1);
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(ApiVersions, 3, { clientSoftwareName: 'sluice-latency', clientSoftwareVersion: '0' });
    const range = res.apiKeys.find((k) => k.apiKey === Produce.apiKey);
    if (!range) throw new Error('the broker does not offer Produce');
    const max = Math.min(range.maxVersion, Produce.maxVersion, PRODUCE_VERSION_MAX);
    if (flagged >= 0) {
      if (flagged < Math.max(3, range.minVersion) || flagged > max) throw new Error(`--produce-version ${flagged} is outside ${Math.max(3, range.minVersion)}-${max}`);
      return flagged;
    }
    return max;
  } finally {
    c.close();
  }
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

async function runAt(b: RunningBroker, topic: string, version: number, rate: number, acks: number): Promise<RunResult> {
  const records = Array.from({ length: batchRecords }, () => ({ key: null, value: Buffer.alloc(valueBytes, 'v'.charCodeAt(0)) }));
  // The broker overwrites only baseOffset and partitionLeaderEpoch, outside the CRC, so the same
  // batch can be sent again and again; its timestamps are those of this run's start.
  const template = requestFrame(Produce, version, 0, {
    transactionalId: null,
    acks,
    timeoutMs: 30000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: buildRecordBatch(records) }] }],
  }, 'sluice-latency');
  const frameBytes = template.length;
  /** size (4) + api key (2) + api version (2): where the correlation id sits in a frame. */
  const CORRELATION_AT = 8;

  const interval = 1000 / rate;
  const warmupN = Math.round(warmupS * rate);
  const measuredN = Math.max(1, Math.round(durationS * rate));
  const total = warmupN + measuredN;
  const sentAt = new Float64Array(total);
  const recvAt = new Float64Array(total).fill(NaN);
  const problems: string[] = [];
  const problem = (p: string): void => {
    if (problems.length < 5) problems.push(p);
  };

  const sock = await connectTo(b.broker.port);
  sock.setNoDelay(true);
  const t0 = performance.now() + 10; // a little ahead, so the first request is not already late
  const dueAt = (i: number): number => t0 + i * interval;
  const limitMs = 2 * (warmupS + durationS) * 1000 + 5000;

  let next = 0; // next request to send
  let answered = 0; // responses so far; responses come in request order
  let waitingForSlot = false;
  let finished = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const end = (why?: string): void => {
    if (finished) return;
    finished = true;
    if (why) problem(why);
    clearTimeout(deadline);
    finish();
  };
  const deadline = setTimeout(() => end(), Math.max(0, t0 + limitMs - performance.now()));

  const pump = (): void => {
    if (finished) return;
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
    const k = Math.min(due - next, maxInFlight - (next - answered));
    if (k > 0) {
      const out = Buffer.allocUnsafe(k * frameBytes);
      for (let j = 0; j < k; j++) {
        template.copy(out, j * frameBytes);
        out.writeInt32BE(next + j, j * frameBytes + CORRELATION_AT);
        sentAt[next + j] = now;
      }
      sock.write(out);
      next += k;
    }
    if (next >= total) return;
    if (next - answered >= maxInFlight) {
      waitingForSlot = true; // the next response calls pump
      return;
    }
    const wait = dueAt(next) - performance.now();
    if (pacing === 'timer') setTimeout(pump, Math.max(0, wait));
    else if (wait > SPIN_MS) setTimeout(pump, wait - SPIN_MS);
    else setImmediate(pump);
  };

  const expectOffset = BigInt(batchRecords);
  const onResponse = (frame: Buffer, now: number): void => {
    const i = answered;
    let res: ProduceResponse;
    try {
      res = decodeResponse(Produce, version, frame, i);
    } catch (err) {
      end(`response ${i}: ${(err as Error).message}`);
      sock.destroy();
      return;
    }
    recvAt[i] = now;
    answered++;
    const p = res.responses[0]?.partitionResponses[0];
    if (!p) problem(`response ${i}: no partition in the response`);
    else if (p.errorCode !== 0) problem(`response ${i}: error code ${p.errorCode} ${p.errorMessage ?? ''}`);
    else if (p.baseOffset !== BigInt(i) * expectOffset) problem(`response ${i}: base offset ${p.baseOffset}, expected ${BigInt(i) * expectOffset}`);
  };

  let pending: Buffer | null = null;
  sock.on('data', (chunk: Buffer) => {
    const now = performance.now();
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    let pos = 0;
    while (!finished && buf.length - pos >= 4) {
      const n = buf.readInt32BE(pos);
      if (buf.length - pos - 4 < n) break;
      onResponse(buf.subarray(pos + 4, pos + 4 + n), now);
      pos += 4 + n;
    }
    pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
    if (answered === total) end();
    else if (waitingForSlot && next - answered < maxInFlight) {
      waitingForSlot = false;
      pump();
    }
  });
  sock.on('error', (err) => end(`connection: ${err.message}`));
  sock.on('close', () => end(answered < total ? `connection closed after ${answered} of ${total} responses` : undefined));

  setTimeout(pump, Math.max(0, t0 - performance.now()));
  await done;
  const stoppedAt = performance.now();
  sock.destroy();

  const fromDue = new Float64Array(measuredN);
  const fromSend: number[] = [];
  const sendLag = new Float64Array(measuredN);
  let unanswered = 0;
  let lastAnswer = dueAt(warmupN);
  for (let j = 0; j < measuredN; j++) {
    const i = warmupN + j;
    const r = recvAt[i]!;
    if (Number.isNaN(r)) {
      unanswered++;
      fromDue[j] = stoppedAt - dueAt(i);
      sendLag[j] = (i < next ? sentAt[i]! : stoppedAt) - dueAt(i);
    } else {
      fromDue[j] = r - dueAt(i);
      fromSend.push(r - sentAt[i]!);
      sendLag[j] = sentAt[i]! - dueAt(i);
      lastAnswer = Math.max(lastAnswer, r);
    }
  }
  if (unanswered === 0) {
    // Everything answered: the log must hold exactly what was sent.
    const [endOffset] = await endOffsets(b.broker.port, topic, 1);
    if (endOffset !== BigInt(total * batchRecords)) problem(`end offset ${endOffset}, expected ${total * batchRecords}`);
  }
  return {
    fromDue: fromDue.sort(),
    fromSend: Float64Array.from(fromSend).sort(),
    sendLag: sendLag.sort(),
    achieved: lastAnswer > dueAt(warmupN) ? (measuredN - unanswered) / ((lastAnswer - dueAt(warmupN)) / 1000) : 0,
    unanswered,
    ranS: (stoppedAt - t0) / 1000,
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// Output.

/** Nearest-rank percentile of sorted values. */
function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function fmtMs(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms.toFixed(2)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

// ---------------------------------------------------------------------------------------------

interface Row {
  rate: number;
  acks: string;
  impl: string;
  result: RunResult;
}

const rows: Row[] = [];
const brokers: RunningBroker[] = [];
let version = 0;
try {
  for (const impl of impls) brokers.push(await startImpl(impl, 'sluice-bench-latency-'));
  version = await produceVersionFor(brokers[0]!.broker.port);
  let n = 0;
  for (const rate of rates) {
    for (const acks of acksList) {
      // Alternate which implementation goes first, so drift on a shared machine hits both.
      const order = n++ % 2 === 0 ? brokers : [...brokers].reverse();
      for (const b of order) {
        const topic = `latency-${rate}-acks${acks}`;
        await createTopic(b.broker.port, topic, 1);
        try {
          const result = await runAt(b, topic, version, rate, acks === 'all' ? -1 : 1);
          rows.push({ rate, acks, impl: b.impl.name, result });
          process.stderr.write(`${b.impl.name} ${fmtInt(rate)}/s acks=${acks}: p99 ${fmtMs(pct(result.fromDue, 0.99))}${result.problems.length ? `; ${result.problems.join('; ')}` : ''}\n`);
        } finally {
          await deleteTopic(b.broker.port, topic);
        }
      }
    }
  }
} finally {
  for (const b of brokers) await b.close();
}

console.log(machineLine(false));
console.log(
  `Produce v${version}, ${batchRecords} record(s) of ${valueBytes} B per request, 1 partition, one connection, at most ${maxInFlight} in flight; ` +
    `${warmupS} s warm-up then ${durationS} s measured per row; pacing ${pacing}; latency = response arrival - due time (coordinated omission counted)`,
);
console.log('');
console.log('| target req/s | acks | implementation | achieved req/s | p50 | p99 | p99.9 | max | p99.9 from actual send | sender late, p99 | checks |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
let failed = false;
// Runs alternate between the implementations; the table groups them by rate and acks, native first.
const implRank = (n: string): number => (n === 'native' ? 0 : 1);
rows.sort((x, y) => x.rate - y.rate || acksList.indexOf(x.acks) - acksList.indexOf(y.acks) || implRank(x.impl) - implRank(y.impl));
for (const { rate, acks, impl, result: r } of rows) {
  const lb = r.unanswered > 0 ? '>= ' : '';
  const overloaded = r.unanswered > 0 ? `overloaded: ${fmtInt(r.unanswered)} requests unanswered when the run stopped at ${r.ranS.toFixed(1)} s` : '';
  const checks = [...r.problems, overloaded].filter((x) => x !== '').join('; ') || 'ok';
  if (r.problems.length > 0) failed = true;
  console.log(
    `| ${fmtInt(rate)} | ${acks} | ${impl} | ${fmtInt(r.achieved)} | ${lb}${fmtMs(pct(r.fromDue, 0.5))} | ${lb}${fmtMs(pct(r.fromDue, 0.99))} | ${lb}${fmtMs(pct(r.fromDue, 0.999))} | ${lb}${fmtMs(r.fromDue.at(-1) ?? NaN)} | ${fmtMs(pct(r.fromSend, 0.999))} | ${fmtMs(pct(r.sendLag, 0.99))} | ${checks} |`,
  );
}
console.log('');
console.log('checks ok: every response had error code 0 and base offset i x records-per-request (contiguous, in order), and the end offset equals the records sent.');
if (failed) {
  console.log('SOME CHECKS FAILED (see the checks column)');
  process.exitCode = 1;
}
