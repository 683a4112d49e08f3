/**
 * The fixed-rate produce client of bench/latency.ts (its header describes the method: latency
 * timed from each request's due time, so coordinated omission is counted), shared with
 * bench/e2e.ts, which runs it against Apache Kafka and the in-memory fakes too. It needs only a
 * port: any Kafka broker that answers ApiVersions, Produce and ListOffsets.
 */
import { connect, type Socket } from 'node:net';
import { requestFrame, decodeResponse, RawClient } from '../compat-tests/raw-client.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ApiVersions } from '../src/protocol/generated/18-api-versions.js';
import { Produce, type ProduceResponse } from '../src/protocol/generated/00-produce.js';
import { ZERO_UUID } from '../src/protocol/wire.js';
import { endOffsets } from './common.js';

/** In spin pacing, how long before a due time the sender stops sleeping on a timer and polls. */
const SPIN_MS = 2;
/** Produce versions above 12 name topics by id, which this client does not look up. */
const PRODUCE_VERSION_MAX = 12;

// ---------------------------------------------------------------------------------------------
// One run: a fixed rate on one connection.

export interface RunResult {
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

/** The Produce version to send: `flagged` if it is >= 0 (checked against the broker), else the highest both sides have. */
/* ApiVersions v0: every broker here answers it (librdkafka's mock does not know v3). */
export async function produceVersionFor(port: number, flagged = -1): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(ApiVersions, 0, { clientSoftwareName: 'sluice-latency', clientSoftwareVersion: '0' });
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

/** How a run sends: see the header of bench/latency.ts for what each setting means. */
export interface RunSettings {
  warmupS: number;
  durationS: number;
  batchRecords: number;
  valueBytes: number;
  maxInFlight: number;
  pacing: 'spin' | 'timer';
  /** Records already in the partition before the run (default 0): the first request's expected base offset. */
  firstOffset?: number;
}

/** One run at a fixed rate on one new connection to `port`, into `topic` (1 partition, empty). */
export async function runAt(port: number, topic: string, version: number, rate: number, acks: number, s: RunSettings): Promise<RunResult> {
  const { warmupS, durationS, batchRecords, valueBytes, maxInFlight, pacing } = s;
  const firstOffset = BigInt(s.firstOffset ?? 0);
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

  const sock = await connectTo(port);
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
    else if (p.baseOffset !== firstOffset + BigInt(i) * expectOffset) problem(`response ${i}: base offset ${p.baseOffset}, expected ${firstOffset + BigInt(i) * expectOffset}`);
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
    const [endOffset] = await endOffsets(port, topic, 1);
    const expected = firstOffset + BigInt(total * batchRecords);
    if (endOffset !== expected) problem(`end offset ${endOffset}, expected ${expected}`);
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
export function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function fmtMs(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms.toFixed(2)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
