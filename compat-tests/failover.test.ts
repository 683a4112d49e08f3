/**
 * Leader failover under load on a real 3-broker cluster (startCluster: three OS processes):
 * an idempotent kafkajs producer writes with acks=all to a topic with replication factor 3 and
 * min.insync.replicas=2 while, cycle after cycle, the leader of its partition is killed with
 * SIGKILL (no clean shutdown) and restarted. The controller is one voter in the first node's
 * process (a multi-voter quorum comes later), so that node is not killed: when it leads, a
 * preferred-leader election (ElectLeaders) moves the leadership to broker 1 first. Every acknowledged record must be read back, none
 * twice. FAILOVER_CYCLES sets the number of cycles (3 in CI; `npm run failover` runs 20).
 * Reports the time from each kill to the first acknowledged produce after it.
 */
import t from 'tap';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { freePortRun, tmpDataDir } from './harness.js';
import { startCluster } from '../src/index.js';
import { ElectLeaders } from '../src/protocol/generated/index.js';
import { RawClient } from './raw-client.js';

const CYCLES = Number(process.env['FAILOVER_CYCLES'] ?? 3);
const TOPIC = 'failover';

t.test(`${CYCLES} leader kill -9 cycles under acks=all load: nothing acknowledged is lost, nothing duplicated`, async (t) => {
  const data = tmpDataDir('sluice-failover-');
  const port = await freePortRun(4);
  const cluster = await startCluster({ brokers: 3, port, dataDir: data.dir, brokerSessionTimeoutMs: 2000, brokerHeartbeatIntervalMs: 250 });
  t.teardown(async () => {
    await cluster.stop();
    data.remove();
  });
  const kafka = new Kafka({ clientId: 'failover', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 100, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const first = cluster.nodes[0]!.nodeId;
  const [b1, b2] = [cluster.nodes[1]!.nodeId, cluster.nodes[2]!.nodeId];
  t.ok(
    await admin.createTopics({
      topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [b1, b2, first] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
    }),
  );

  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const acked: string[] = [];
  let next = 0;
  let stop = false;
  let lastAckMs = Date.now();
  const load = (async () => {
    while (!stop) {
      const value = `r${next++}`;
      try {
        await producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: [{ value }] });
        acked.push(value);
        lastAckMs = Date.now();
      } catch {
        // Not acknowledged: it may or may not be in the log; only acknowledged records are checked.
      }
    }
  })();

  const leaderOf = async (): Promise<number> => {
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    return md.topics[0]!.partitions[0]!.leader;
  };
  const failoverMs: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    while (acked.length < (cycle + 1) * 50) await new Promise((r) => setTimeout(r, 20));
    let leader = await leaderOf();
    for (let i = 0; leader === first && i < 100; i++) {
      const raw = await RawClient.connect(cluster.nodes[0]!.port);
      await raw.request(ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: TOPIC, partitions: [0] }], timeoutMs: 5000 });
      raw.close();
      await new Promise((r) => setTimeout(r, 100));
      leader = await leaderOf();
    }
    const node = cluster.nodes.find((n) => n.nodeId === leader && n.nodeId !== first);
    t.ok(node, `cycle ${cycle}: leader ${leader} found`);
    if (!node) break;
    const before = acked.length;
    const killedAt = Date.now();
    await node.kill();
    while (acked.length === before) await new Promise((r) => setTimeout(r, 10));
    failoverMs.push(lastAckMs - killedAt);
    await node.restart();
  }
  while (acked.length < (CYCLES + 1) * 50) await new Promise((r) => setTimeout(r, 20));
  stop = true;
  await load;

  // Read everything back.
  const consumer = kafka.consumer({ groupId: `verify-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const seen = new Map<string, number>();
  const ackedSet = new Set(acked);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value!.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        if ([...ackedSet].every((a) => seen.has(a))) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  const lost = acked.filter((a) => !seen.has(a));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  t.same(lost, [], `every one of the ${acked.length} acknowledged records was read back`);
  t.same(duplicated, [], 'no record twice (idempotent producer across leader changes)');
  const sorted = [...failoverMs].sort((a, b) => a - b);
  t.comment(`failover (kill -9 of the leader to the first acknowledged produce after it), ${failoverMs.length} cycles: median ${sorted[Math.floor(sorted.length / 2)]} ms, min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms (broker.session.timeout.ms=2000)`);
});
