/**
 * Losing brokers on a real 3-broker cluster (startCluster: three OS processes), as issue 12 asks:
 * - a controlled shutdown (SIGTERM) of a leader's broker under acks=all load: kafkajs producers
 *   see only retriable errors, and the leaderships move to the other brokers first;
 * - two of three brokers killed with min.insync.replicas=2: acks=all produces are refused with
 *   NOT_ENOUGH_REPLICAS (after the ISR shrank) or never acknowledged (while it had not), nothing is
 *   acknowledged with one replica, and once the brokers are back every acknowledged record is read
 *   back.
 * The controller is one voter in the first node's process, so that node stays up.
 */
import t, { type Test } from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { freePortRun, tmpDataDir, until } from './harness.js';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { Produce } from '../src/protocol/generated/index.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { RawClient } from './raw-client.js';

const ZERO_UUID = Buffer.alloc(16);

async function cluster3(t: Test, prefix: string): Promise<Cluster> {
  const data = tmpDataDir(prefix);
  const port = await freePortRun(4);
  const cluster = await startCluster({ brokers: 3, port, dataDir: data.dir, brokerSessionTimeoutMs: 2000, brokerHeartbeatIntervalMs: 250 });
  t.teardown(async () => {
    await cluster.stop();
    data.remove();
  });
  return cluster;
}

/** Where a kafkajs error comes from: the error its retry wrapper (KafkaJSNumberOfRetriesExceeded) was caused by, else itself. */
function rootOf(e: unknown): { name: string; type?: string; retriable?: boolean; message: string } {
  const err = e as { cause?: unknown; name: string; message: string };
  return err.name === 'KafkaJSNumberOfRetriesExceeded' && err.cause ? rootOf(err.cause) : (err as ReturnType<typeof rootOf>);
}

t.test('a controlled shutdown of a leader under acks=all load gives producers only retriable errors', async (t) => {
  const cluster = await cluster3(t, 'sluice-cluster-cs-');
  const ids = cluster.nodes.map((n) => n.nodeId);
  const kafka = new Kafka({ clientId: 'cs', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const replicaAssignment = ids.map((_, p) => ({ partition: p, replicas: ids.map((__, i) => ids[(p + i) % ids.length]!) }));
  await admin.createTopics({ topics: [{ topic: 'cs', replicaAssignment, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
  const victim = cluster.nodes[1]!;
  const led = (await admin.fetchTopicMetadata({ topics: ['cs'] })).topics[0]!.partitions.filter((p) => p.leader === victim.nodeId).map((p) => p.partitionId);
  t.same(led, [1], `node ${victim.nodeId} leads partition 1`);

  // No client retries: every error the brokers cause reaches the test.
  const producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const errors: Array<ReturnType<typeof rootOf>> = [];
  let acked = 0;
  let ackedAfter = 0;
  let stopped = false;
  let stop = false;
  const load = (async () => {
    while (!stop) {
      for (let p = 0; p < ids.length; p++) {
        try {
          await producer.send({ topic: 'cs', acks: -1, timeout: 10_000, messages: [{ partition: p, value: `v${acked}` }] });
          acked++;
          if (stopped) ackedAfter++;
        } catch (e) {
          errors.push(rootOf(e));
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  })();
  await until('some load before the shutdown', () => acked >= 30, 30_000);
  await victim.stop();
  stopped = true;
  await until('acknowledged produces after the shutdown', () => ackedAfter >= 30, 30_000);
  stop = true;
  await load;
  const leaders = (await admin.fetchTopicMetadata({ topics: ['cs'] })).topics[0]!.partitions.map((p) => p.leader);
  t.notOk(leaders.includes(victim.nodeId), `no partition is led by the stopped broker (leaders ${JSON.stringify(leaders)})`);
  const fatal = errors.filter((e) => e.retriable !== true);
  t.same(
    fatal.map((e) => `${e.name}${e.type ? ` ${e.type}` : ''}: ${e.message}`),
    [],
    `only retriable errors (${errors.length} in all: ${[...new Set(errors.map((e) => e.type ?? e.name))].join(', ') || 'none'})`,
  );
});

t.test('two of three brokers down with min.insync.replicas=2: NOT_ENOUGH_REPLICAS, nothing acknowledged on one replica', async (t) => {
  const cluster = await cluster3(t, 'sluice-cluster-2down-');
  const [first, b1, b2] = cluster.nodes as [Cluster['nodes'][number], Cluster['nodes'][number], Cluster['nodes'][number]];
  const kafka = new Kafka({ clientId: '2down', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({
    topics: [{ topic: 'two-down', replicaAssignment: [{ partition: 0, replicas: [first.nodeId, b1.nodeId, b2.nodeId] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    waitForLeaders: true,
  });
  const raw = await RawClient.connect(first.port);
  t.teardown(() => raw.close());
  const produce = async (value: string, timeoutMs = 2000): Promise<number> => {
    const records = buildRecordBatch([{ key: null, value: Buffer.from(value) }]);
    const res = await raw.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: 'two-down', topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] });
    return res.responses[0]!.partitionResponses[0]!.errorCode;
  };
  const acked: string[] = [];
  for (let i = 0; i < 20; i++) {
    const v = `before-${i}`;
    if ((await produce(v)) === ErrorCode.NONE) acked.push(v);
  }
  t.equal(acked.length, 20, 'all acknowledged with three replicas');

  await b1.kill();
  await b2.kill();
  const after: number[] = [];
  await until(
    'NOT_ENOUGH_REPLICAS from the leader',
    async () => {
      const code = await produce(`after-${after.length}`, 1000);
      after.push(code);
      return code === ErrorCode.NOT_ENOUGH_REPLICAS;
    },
    30_000,
  );
  const allowed = new Set([ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT]);
  t.same(
    after.filter((c) => !allowed.has(c)),
    [],
    `with two brokers down nothing is acknowledged (codes: ${[...new Set(after)].join(', ')})`,
  );
  const offline = await until(
    'Metadata naming the killed brokers offline',
    async () => {
      const p = (await admin.fetchTopicMetadata({ topics: ['two-down'] })).topics[0]!.partitions[0]!;
      return p.offlineReplicas?.length === 2 ? p : null;
    },
    30_000,
  );
  t.same([...offline.offlineReplicas!].sort(), [b1.nodeId, b2.nodeId].sort(), 'Metadata: the fenced brokers\' replicas are offline');
  t.same(offline.isr, [first.nodeId], 'and the ISR is the leader alone');
  // kafkajs hears the same: its retries run out on NOT_ENOUGH_REPLICAS.
  const producer = kafka.producer({ retry: { retries: 1, initialRetryTime: 100 } });
  await producer.connect();
  const err = await producer.send({ topic: 'two-down', acks: -1, messages: [{ value: 'kafkajs' }] }).then(
    () => null,
    (e: unknown) => rootOf(e),
  );
  t.equal(err?.type, 'NOT_ENOUGH_REPLICAS', 'kafkajs: NOT_ENOUGH_REPLICAS');
  await producer.disconnect();

  await b1.restart();
  await b2.restart();
  await until(
    'acknowledged again once the brokers are back',
    async () => {
      const v = `back-${acked.length}`;
      if ((await produce(v, 5000)) !== ErrorCode.NONE) return false;
      acked.push(v);
      return true;
    },
    60_000,
  );
  const consumer = kafka.consumer({ groupId: 'two-down-read' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'two-down', fromBeginning: true });
  const seen = new Set<string>();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.value!.toString());
        if (acked.every((v) => seen.has(v))) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  t.same(
    acked.filter((v) => !seen.has(v)),
    [],
    `every one of the ${acked.length} acknowledged records is read back`,
  );
});
