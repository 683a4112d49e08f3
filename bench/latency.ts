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
 * Method. A client (bench/produce-latency.ts, shared with e2e.ts) speaks Kafka over one TCP connection to a real `sluice start`
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
import { createTopic, deleteTopic, fmtInt, implsFromFlag, listFlag, machineLine, numFlag, startImpl, type RunningBroker } from './common.js';
import { fmtMs, pct, produceVersionFor, runAt, type RunResult } from './produce-latency.js';

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
  version = await produceVersionFor(brokers[0]!.broker.port, numFlag('produce-version', -1));
  let n = 0;
  for (const rate of rates) {
    for (const acks of acksList) {
      // Alternate which implementation goes first, so drift on a shared machine hits both.
      const order = n++ % 2 === 0 ? brokers : [...brokers].reverse();
      for (const b of order) {
        const topic = `latency-${rate}-acks${acks}`;
        await createTopic(b.broker.port, topic, 1);
        try {
          const result = await runAt(b.broker.port, topic, version, rate, acks === 'all' ? -1 : 1, { warmupS, durationS, batchRecords, valueBytes, maxInFlight, pacing: pacing as 'spin' | 'timer' });
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
