/**
 * Transactions on a real 3-broker cluster (startCluster: three OS processes), with kafkajs 2.2.4:
 * - a transaction whose partitions are led by all three brokers commits and aborts everywhere
 *   (the coordinator writes the markers on its own partitions and sends WriteTxnMarkers to the
 *   other leaders), with offsets sent in the transaction visible once it commits;
 * - a consume-transform-produce loop survives the `kill -9` of its transaction coordinator's
 *   broker: the output read with read_committed holds every input record exactly once.
 * - KIP-890 across brokers, with raw requests: a partition leader has the transaction's
 *   coordinator on another broker verify (Produce below v12) or add (v12) the partition with
 *   AddPartitionsToTxn v5, and EndTxn v5's bumped epoch reaches the leader with the marker.
 * The controller is one voter in the first node's process (a multi-voter quorum comes later), so
 * that node is never the one killed.
 */
import t, { type Test } from 'tap';
import { readAll } from './kafkajs-read.js';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { freePortRun, tmpDataDir, until } from './harness.js';
import { startCluster, type Cluster } from '../src/index.js';
import { DescribeTransactions, EndTxn, FindCoordinator, InitProducerId, Produce } from '../src/protocol/generated/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { RawClient } from './raw-client.js';

const quiet = { logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } };

async function cluster3(t: Test, prefix: string): Promise<Cluster> {
  const data = tmpDataDir(prefix);
  const port = await freePortRun(4);
  const cluster = await startCluster({
    brokers: 3,
    port,
    dataDir: data.dir,
    brokerSessionTimeoutMs: 2000,
    brokerHeartbeatIntervalMs: 250,
    overrides: { 'transaction.state.log.num.partitions': '6', 'offsets.topic.num.partitions': '6' },
  });
  t.teardown(async () => {
    await cluster.stop();
    data.remove();
  });
  return cluster;
}

/** A kafkajs client of the cluster and its connected admin, disconnected with the test. */
async function connectAdmin(t: Test, cluster: Cluster, clientId: string): Promise<{ kafka: Kafka; admin: Admin }> {
  const kafka = new Kafka({ clientId, brokers: cluster.bootstrap.split(','), ...quiet });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return { kafka, admin };
}

/** Reads `count` records of `topic` with read_committed (a fresh group, from the beginning). */
async function readCommitted(kafka: Kafka, topic: string, count: number, waitMs = 60_000): Promise<string[]> {
  // A moment more once `count` have come, so that a record beyond it (a duplicate) would show too.
  return readAll(kafka, topic, { want: count, timeoutMs: waitMs, onTimeout: 'resolve', settleMs: 1000 });
}

/** The node id FindCoordinator names as the transaction coordinator of `transactionalId`. */
async function txnCoordinator(port: number, transactionalId: string): Promise<number> {
  const raw = await RawClient.connect(port);
  try {
    for (;;) {
      const res = await raw.request(FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: [transactionalId] });
      const c = res.coordinators[0]!;
      if (c.errorCode === 0) return c.nodeId;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    raw.close();
  }
}

t.test('a transaction over partitions led by three brokers commits and aborts on all of them', async (t) => {
  const cluster = await cluster3(t, 'sluice-cluster-txn-');
  const ids = cluster.nodes.map((n) => n.nodeId);
  const { kafka, admin } = await connectAdmin(t, cluster, 'cluster-txn');
  // One partition led by each broker.
  const replicaAssignment = ids.map((_, p) => ({ partition: p, replicas: ids.map((__, i) => ids[(p + i) % ids.length]!) }));
  await admin.createTopics({ topics: [{ topic: 'spread', replicaAssignment }], waitForLeaders: true });
  const md = await admin.fetchTopicMetadata({ topics: ['spread'] });
  t.same(
    md.topics[0]!.partitions.map((p) => p.leader).sort(),
    [...ids].sort(),
    'each broker leads one partition',
  );

  const producer: Producer = kafka.producer({ transactionalId: 'spread-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const send = async (label: string, commit: boolean): Promise<void> => {
    const txn = await producer.transaction();
    await txn.send({ topic: 'spread', messages: ids.flatMap((_, p) => [0, 1].map((i) => ({ partition: p, value: `${label}-${p}-${i}` }))) });
    await txn.sendOffsets({ consumerGroupId: 'spread-group', topics: [{ topic: 'spread', partitions: [{ partition: 0, offset: commit ? '42' : '7' }] }] });
    await (commit ? txn.commit() : txn.abort());
  };
  await send('first', true);
  await send('aborted', false);
  await send('second', true);
  const values = await readCommitted(kafka, 'spread', 12, 30_000);
  const expected = ['first', 'second'].flatMap((l) => ids.flatMap((_, p) => [0, 1].map((i) => `${l}-${p}-${i}`)));
  t.same([...values].sort(), [...expected].sort(), 'read_committed sees both committed transactions on every partition, nothing of the aborted one');
  // Every partition's last stable offset passed its markers: the end offsets (read_committed) are final.
  const offsets = await admin.fetchTopicOffsets('spread');
  t.same(
    offsets.map((o) => o.high),
    ids.map(() => '9'),
    'each partition: 6 records and 3 markers, all stable',
  );
  const committed = await admin.fetchOffsets({ groupId: 'spread-group', topics: ['spread'] });
  t.equal(committed[0]!.partitions.find((p) => p.partition === 0)!.offset, '42', 'the offsets sent with the committed transaction, not the aborted one');
});

t.test("a consume-transform-produce loop survives the kill -9 of its transaction coordinator's broker", async (t) => {
  const cluster = await cluster3(t, 'sluice-cluster-ctp-');
  const first = cluster.nodes[0]!;
  const kafka = new Kafka({ clientId: 'ctp', brokers: cluster.bootstrap.split(','), ...quiet });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({
    topics: [
      { topic: 'ctp-in', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      { topic: 'ctp-out', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
    ],
    waitForLeaders: true,
  });
  const INPUT = 600;
  const input = kafka.producer({ idempotent: true });
  await input.connect();
  for (let i = 0; i < INPUT; i += 100) {
    await input.send({ topic: 'ctp-in', acks: -1, messages: Array.from({ length: 100 }, (_, j) => ({ key: `k${(i + j) % 7}`, value: `in-${i + j}` })) });
  }
  await input.disconnect();

  // A transactional id whose coordinator is not the node with the controller (which stays up).
  let transactionalId = '';
  let coordinator = first.nodeId;
  for (let i = 0; coordinator === first.nodeId; i++) {
    transactionalId = `ctp-${i}`;
    coordinator = await txnCoordinator(first.port, transactionalId);
  }
  const victim = cluster.nodes.find((n) => n.nodeId === coordinator)!;
  t.comment(`transactional id ${transactionalId}: coordinator ${coordinator}`);

  let processed = 0;
  let killed = false;
  let producer: Producer | null = null;
  const producerFor = async (): Promise<Producer> => {
    if (producer) return producer;
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    producer = p;
    return p;
  };
  const consumer = kafka.consumer({ groupId: 'ctp-group', readUncommitted: false, maxBytesPerPartition: 2048 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'ctp-in', fromBeginning: true });
  void consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const p = await producerFor();
      const txn = await p.transaction();
      try {
        await txn.send({ topic: 'ctp-out', messages: batch.messages.map((m) => ({ key: m.key, value: `out-${m.value!.toString().slice(3)}` })) });
        await txn.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }] });
        await txn.commit();
      } catch (e) {
        // The transaction's fate is the coordinator's (or a new producer's) to decide: start again
        // with a new producer, which fences this one and aborts what it left open.
        await txn.abort().catch(() => {});
        producer = null;
        await p.disconnect().catch(() => {});
        throw e;
      }
      for (const m of batch.messages) resolveOffset(m.offset);
      processed += batch.messages.length;
      await heartbeat();
      if (!killed && processed >= INPUT / 3) {
        killed = true;
        await victim.kill();
        setTimeout(() => void victim.restart(), 3000);
      }
    },
  });
  await until('the loop went through every input record', async () => processed >= INPUT, 120_000);
  t.ok(killed, `the coordinator's broker (node ${victim.nodeId}) was killed mid-way`);
  const out = await readCommitted(kafka, 'ctp-out', INPUT, 60_000);
  const counts = new Map<string, number>();
  for (const v of out) counts.set(v, (counts.get(v) ?? 0) + 1);
  const missing = Array.from({ length: INPUT }, (_, i) => `out-${i}`).filter((v) => !counts.has(v));
  const twice = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  t.same(missing, [], 'every input record is in the output');
  t.same(twice, [], 'none twice');
  t.equal(out.length, INPUT);
  await (producer as Producer | null)?.disconnect();
});

/** A transactional batch for `producer` (one record). */
function txnBatch(producer: { producerId: bigint; producerEpoch: number }, baseSequence: number, value: string): Buffer {
  return buildRecordBatch([{ key: null, value: Buffer.from(value) }], { ...producer, baseSequence, isTransactional: true });
}

t.test("KIP-890 across brokers: a leader asks the transaction's coordinator on another broker (AddPartitionsToTxn v5)", async (t) => {
  const cluster = await cluster3(t, 'sluice-cluster-verify-');
  const ids = cluster.nodes.map((n) => n.nodeId);
  const { kafka, admin } = await connectAdmin(t, cluster, 'cluster-verify');
  // A transactional id whose coordinator is the first node; a partition led by another node.
  let txnId = '';
  for (let i = 0; txnId === ''; i++) if ((await txnCoordinator(cluster.nodes[0]!.port, `verify-${i}`)) === ids[0]) txnId = `verify-${i}`;
  const leader = cluster.nodes[1]!;
  await admin.createTopics({ topics: [{ topic: 'verify', replicaAssignment: [{ partition: 0, replicas: [ids[1]!, ids[2]!, ids[0]!] }, { partition: 1, replicas: [ids[1]!, ids[0]!, ids[2]!] }] }], waitForLeaders: true });
  const coordinator = await RawClient.connect(cluster.nodes[0]!.port);
  const raw = await RawClient.connect(leader.port);
  t.teardown(() => {
    coordinator.close();
    raw.close();
  });
  const init = await coordinator.request(InitProducerId, 5, { transactionalId: txnId, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
  t.equal(init.errorCode, 0, 'InitProducerId at the coordinator');
  const p = { producerId: init.producerId, producerEpoch: init.producerEpoch };
  const produce = async (version: number, partition: number, records: Buffer): Promise<number> => {
    const body = { transactionalId: txnId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'verify', topicId: Buffer.alloc(16), partitionData: [{ index: partition, records }] }] };
    for (;;) {
      const res = await raw.request(Produce, version, body);
      const code = res.responses[0]!.partitionResponses[0]!.errorCode;
      // NOT_ENOUGH_REPLICAS: the coordinator could not be asked yet; a client retries it.
      if (code !== ErrorCode.NOT_ENOUGH_REPLICAS) return code;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // Part 1: below v12 the leader only verifies; the partition was never added.
  t.equal(await produce(11, 0, txnBatch(p, 0, 'v11')), ErrorCode.TRANSACTION_ABORTABLE, 'Produce v11: TRANSACTION_ABORTABLE, verified by the other broker');
  t.equal(await produce(10, 0, txnBatch(p, 0, 'v10')), ErrorCode.INVALID_TXN_STATE, 'Produce v10: INVALID_TXN_STATE (the client does not know error 120)');
  // Part 2: v12 adds the partition at the coordinator.
  t.equal(await produce(12, 0, txnBatch(p, 0, 'v12')), ErrorCode.NONE, 'Produce v12: the coordinator on the other broker added the partition');
  t.equal(await produce(12, 0, txnBatch(p, 1, 'v12-b')), ErrorCode.NONE, 'the next batch goes on (the transaction is open on the partition)');
  const described = await coordinator.request(DescribeTransactions, 0, { transactionalIds: [txnId] });
  t.same(described.transactionStates[0]!.topics.map((x) => ({ topic: x.topic, partitions: [...x.partitions] })), [{ topic: 'verify', partitions: [0] }], 'the coordinator holds the partition the leader added');
  // A stale epoch is refused by the coordinator, answered as the producer expects it.
  t.equal(await produce(12, 1, txnBatch({ ...p, producerEpoch: p.producerEpoch + 1 }, 0, 'stale')), ErrorCode.INVALID_PRODUCER_EPOCH, 'a wrong epoch: INVALID_PRODUCER_EPOCH (PRODUCER_FENCED mapped)');
  // EndTxn v5: the epoch is bumped and the marker crosses to the leader with it.
  const end = await coordinator.request(EndTxn, 5, { transactionalId: txnId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
  t.same([end.errorCode, end.producerId, end.producerEpoch], [0, p.producerId, p.producerEpoch + 1], 'EndTxn v5 answers the bumped epoch');
  const committed = await readCommitted(kafka, 'verify', 2, 20_000);
  t.same([...committed].sort(), ['v12', 'v12-b'], 'read_committed sees the two committed records');
  t.equal(await produce(12, 0, txnBatch(p, 2, 'late')), ErrorCode.INVALID_PRODUCER_EPOCH, 'late data at the old epoch is refused');
});
