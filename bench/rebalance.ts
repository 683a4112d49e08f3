/**
 * How long consumer-group rebalances take to settle with Sluice's dev defaults
 * (group.initial.rebalance.delay.ms=100), measured with kafkajs 2.2.4 consumers on a 6-partition
 * topic against a real `sluice start` process.
 *
 *   npm run build && node dist/bench/rebalance.js [--rounds 5]
 *
 * - first join: one consumer starts; time until it owns all partitions (includes the initial
 *   rebalance delay).
 * - join: a second consumer starts while the first is consuming; time from the second's run() to
 *   both owning their partitions.
 * - leave: the second disconnects (LeaveGroup); time until the first owns all partitions again.
 * A rebalance is driven by the clients: members learn of it on their next heartbeat, so the
 * consumers use heartbeatInterval 100 ms and maxWaitTimeInMs 100 ms (kafkajs's defaults are
 * 3000 ms and 5000 ms, and the settle time then follows those).
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { spawnBroker, tmpDataDir } from '../compat-tests/harness.js';
import { median } from './common.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 5) || 5;

function assigned(c: Consumer): () => number {
  let count = 0;
  c.on(c.events.GROUP_JOIN, (e) => {
    count = Object.values(e.payload.memberAssignment).reduce((n, ps) => n + ps.length, 0);
  });
  return () => count;
}

async function until(cond: () => boolean, timeoutMs = 30000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting for the rebalance');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const data = tmpDataDir('sluice-bench-rebalance-');
const broker = await spawnBroker({ dataDir: data.dir });
const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'rebalance', numPartitions: 6 }] });
await admin.disconnect();

const firstJoin: number[] = [];
const joins: number[] = [];
const leaves: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const groupId = `bench-${round}`;
    const opts = { groupId, heartbeatInterval: 100, maxWaitTimeInMs: 100, sessionTimeout: 10000 };
    const a = kafka.consumer(opts);
    const b = kafka.consumer(opts);
    const aCount = assigned(a);
    const bCount = assigned(b);
    await a.connect();
    await b.connect();
    await a.subscribe({ topic: 'rebalance' });
    await b.subscribe({ topic: 'rebalance' });

    let t0 = performance.now();
    await a.run({ eachMessage: async () => {} });
    await until(() => aCount() === 6);
    firstJoin.push(performance.now() - t0);

    t0 = performance.now();
    await b.run({ eachMessage: async () => {} });
    await until(() => aCount() === 3 && bCount() === 3);
    joins.push(performance.now() - t0);

    t0 = performance.now();
    await b.disconnect();
    await until(() => aCount() === 6);
    leaves.push(performance.now() - t0);
    await a.disconnect();
  }
} finally {
  await broker.stop();
  data.remove();
}

const row = (what: string, xs: number[]) => `| ${what} | ${median(xs).toFixed(0)} ms | ${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms |`;
console.log(`kafkajs 2.2.4, 6 partitions, ${rounds} rounds, heartbeatInterval 100 ms`);
console.log('');
console.log('| rebalance | median | range |');
console.log('| --- | --- | --- |');
console.log(row('first member joins an empty group', firstJoin));
console.log(row('a second member joins', joins));
console.log(row('the second member leaves', leaves));
