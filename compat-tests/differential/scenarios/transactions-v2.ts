/**
 * Transactions v2 (KIP-890 part 2) and the partition verification of part 1, with raw requests
 * against a cluster formatted with the defaults (transaction.version=2): the features ApiVersions
 * reports; Produce v12 adding its partition to the transaction without AddPartitionsToTxn;
 * TxnOffsetCommit v5 without AddOffsetsToTxn; EndTxn v5 bumping the epoch (answer, retries,
 * stale epochs, the markers' epoch); Produce v11 refused outside the transaction
 * (TRANSACTION_ABORTABLE); AddPartitionsToTxn v4-5 in the brokers' form (VerifyOnly and add);
 * Produce v13 by topic id. Producer ids are compared as "same as before" or as deltas of the
 * epoch. Topics start with `dt2-`.
 */
import type { Scenario, Target } from '../framework.js';
import { AddOffsetsToTxn, AddPartitionsToTxn, ApiVersions, DescribeTransactions, EndTxn, Fetch, InitProducerId, Metadata, Produce, TxnOffsetCommit, type FetchResponsePartitionData } from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { fetchRequest } from '../../raw-client.js';
import { BatchField, buildRecordBatch, splitBatches } from '../../../src/log/record-batch.js';
import { awaitCoordinator, createTopic, sleep } from './group-util.js';

const ZERO_UUID = Buffer.alloc(16);

interface Producer {
  producerId: bigint;
  producerEpoch: number;
}

function batch(p: Producer, baseSequence: number, count: number, tag: string): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${tag}-k${i}`), value: Buffer.from(`${tag}-v${i}`) }));
  return buildRecordBatch(records, { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, isTransactional: true });
}

async function produce(t: Target, v: number, topic: { name: string; id: Buffer }, records: Buffer, transactionalId: string): Promise<string> {
  const res = await t.request(Produce, v, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: v >= 13 ? '' : topic.name, topicId: v >= 13 ? topic.id : ZERO_UUID, partitionData: [{ index: 0, records }] }] });
  return errorName(res.responses[0]!.partitionResponses[0]!.errorCode);
}

/** Retries what a client retries while the coordinator is found (Kafka's first verification may say NOT_LEADER_OR_FOLLOWER). */
async function produceRetried(t: Target, v: number, topic: { name: string; id: Buffer }, records: Buffer, transactionalId: string): Promise<string> {
  const until = Date.now() + 10000;
  for (;;) {
    const e = await produce(t, v, topic, records, transactionalId);
    if ((e !== 'NOT_LEADER_OR_FOLLOWER' && e !== 'COORDINATOR_NOT_AVAILABLE' && e !== 'CONCURRENT_TRANSACTIONS') || Date.now() > until) return e;
    await sleep(100);
  }
}

async function endTxn(t: Target, v: number, id: string, p: Producer, committed: boolean, before: Producer): Promise<{ error: string; sameProducerId: boolean; epochDelta: number; producer: Producer }> {
  const r = await t.request(EndTxn, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed });
  return { error: errorName(r.errorCode), sameProducerId: r.producerId === before.producerId, epochDelta: r.producerEpoch - before.producerEpoch, producer: { producerId: r.producerId, producerEpoch: r.producerEpoch } };
}

async function describe(t: Target, id: string, base: Producer, settled = (state: string) => !state.startsWith('Prepare'), waitMs = 10000): Promise<unknown> {
  const until = Date.now() + waitMs;
  for (;;) {
    const s = (await t.request(DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!;
    if (settled(s.transactionState) || Date.now() > until) {
      return {
        error: errorName(s.errorCode),
        state: s.transactionState,
        sameProducerId: s.producerId === base.producerId,
        epochDelta: s.producerEpoch - base.producerEpoch,
        topics: s.topics.map((x) => ({ topic: x.topic, partitions: x.topic === '__consumer_offsets' ? x.partitions.length : [...x.partitions].sort() })).sort((a, b) => (a.topic < b.topic ? -1 : 1)),
      };
    }
    await sleep(100);
  }
}

/** The stored batches once the markers are in: epochs relative to the first producer epoch. */
async function storedEpochs(t: Target, topic: string, base: Producer): Promise<unknown> {
  const until = Date.now() + 10000;
  let p: FetchResponsePartitionData;
  for (;;) {
    p = (await t.request(Fetch, 11, fetchRequest(topic, 0, 0n, { isolationLevel: 1 }))).responses[0]!.partitions[0]!;
    if (p.lastStableOffset === p.highWatermark || Date.now() > until) break;
    await sleep(100);
  }
  const batches = p.records === null || p.records.length === 0 ? [] : splitBatches(p.records);
  return {
    highWatermark: p.highWatermark.toString(),
    lastStableOffset: p.lastStableOffset.toString(),
    aborted: (p.abortedTransactions ?? []).map((a) => a.firstOffset.toString()),
    batches: batches.map((b) => ({
      baseOffset: b.readBigInt64BE(BatchField.baseOffset).toString(),
      control: (b.readInt16BE(BatchField.attributes) & 0x20) !== 0,
      epochDelta: b.readInt16BE(BatchField.producerEpoch) - base.producerEpoch,
      baseSequence: b.readInt32BE(BatchField.baseSequence),
    })),
  };
}

async function init(t: Target, id: string, timeoutMs = 60000): Promise<Producer> {
  const until = Date.now() + 15000;
  for (;;) {
    const r = await t.request(InitProducerId, 5, { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
    if (![14, 15, 16, 51].includes(r.errorCode) || Date.now() > until) return { producerId: r.producerId, producerEpoch: r.producerEpoch };
    await sleep(100);
  }
}

async function txnOffsetCommit(t: Target, v: number, id: string, group: string, p: Producer): Promise<string[]> {
  const r = await t.request(TxnOffsetCommit, v, {
    transactionalId: id,
    groupId: group,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'dt2-tx', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return r.topics.flatMap((x) => x.partitions.map((q) => errorName(q.errorCode)));
}

async function brokerAdd(t: Target, v: number, id: string, p: Producer, verifyOnly: boolean, partitions: number[]): Promise<unknown> {
  const r = await t.request(AddPartitionsToTxn, v, {
    transactions: [{ transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly, topics: [{ name: 'dt2-tx', partitions }] }],
    v3AndBelowTransactionalId: '',
    v3AndBelowProducerId: 0n,
    v3AndBelowProducerEpoch: 0,
    v3AndBelowTopics: [],
  });
  return { error: errorName(r.errorCode), results: r.resultsByTransaction.map((x) => ({ id: x.transactionalId, partitions: x.topicResults.flatMap((tr) => tr.resultsByPartition.map((q) => `${tr.name}-${q.partitionIndex}:${errorName(q.partitionErrorCode)}`)).sort() })) };
}

async function topicId(t: Target, name: string): Promise<Buffer> {
  const md = await t.request(Metadata, 12, { topics: [{ name, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.topicId;
}

export const transactionsV2: Scenario[] = [
  {
    name: 'features',
    async run(t, see) {
      for (const v of [3, 4]) {
        const r = await t.request(ApiVersions, v, { clientSoftwareName: 'sluice-differential', clientSoftwareVersion: '1.0' });
        for (const f of r.supportedFeatures) see.see(`v${v}/supported/${f.name}`, `${f.minVersion}-${f.maxVersion}`);
        for (const f of r.finalizedFeatures) see.see(`v${v}/finalized/${f.name}`, `${f.minVersionLevel}-${f.maxVersionLevel}`);
        see.see(`v${v}/epoch-known`, r.finalizedFeaturesEpoch >= 0n);
      }
    },
  },
  {
    name: 'txn-v2',
    async run(t, see) {
      const id = 'dt2-tx';
      see.see('coordinator', await awaitCoordinator(t, id, 1));
      await awaitCoordinator(t, 'dt2-group', 0);
      see.see('create', await createTopic(t, 'dt2-tx', 2));
      const topic = { name: 'dt2-tx', id: await topicId(t, 'dt2-tx') };
      const p0 = await init(t, id);
      see.see('init-epoch', p0.producerEpoch);

      // First transaction: Produce v12 adds the partition, TxnOffsetCommit v5 the group's offsets.
      see.see('t1/produce-v12', await produceRetried(t, 12, topic, batch(p0, 0, 2, 'one'), id));
      see.see('t1/produce-v12-next', await produce(t, 12, topic, batch(p0, 2, 1, 'one-b'), id));
      see.see('t1/txn-offset-commit-v5', await txnOffsetCommit(t, 5, id, 'dt2-group', p0));
      see.see('t1/txn-offset-commit-v4-other-group', await txnOffsetCommit(t, 4, id, 'dt2-other-group', p0));
      see.see('t1/txn-offset-commit-v3-other-group', await txnOffsetCommit(t, 3, id, 'dt2-other-group', p0));
      see.see('t1/describe', await describe(t, id, p0));
      see.see('t1/verify-only-v4', await brokerAdd(t, 4, id, p0, true, [0, 1]));
      see.see('t1/verify-only-v5-wrong-epoch', await brokerAdd(t, 5, id, { ...p0, producerEpoch: p0.producerEpoch + 1 }, true, [0]));
      see.see('t1/verify-only-v5-unknown-id', await brokerAdd(t, 5, 'dt2-none', p0, true, [0]));
      const c1 = await endTxn(t, 5, id, p0, true, p0);
      see.see('t1/commit-v5', { error: c1.error, sameProducerId: c1.sameProducerId, epochDelta: c1.epochDelta });
      const p1 = c1.producer;
      see.see('t1/committed/describe', await describe(t, id, p0));
      const retry = await endTxn(t, 5, id, p0, true, p0);
      see.see('t1/commit-v5-retry', { error: retry.error, sameProducerId: retry.sameProducerId, epochDelta: retry.epochDelta });
      see.see('t1/abort-v5-retry-other-way', (await endTxn(t, 5, id, p0, false, p0)).error);
      see.see('t1/commit-v5-two-below', (await endTxn(t, 5, id, { ...p0, producerEpoch: p0.producerEpoch - 1 }, true, p0)).error);
      see.see('t1/commit-v5-new-epoch-no-txn', (await endTxn(t, 5, id, p1, true, p0)).error);
      see.see('t1/late-produce-old-epoch', await produce(t, 12, topic, batch(p0, 3, 1, 'late'), id));

      // Second transaction at the bumped epoch, aborted.
      see.see('t2/produce-v12', await produceRetried(t, 12, topic, batch(p1, 0, 2, 'two'), id));
      see.see('t2/describe', await describe(t, id, p0));
      const a2 = await endTxn(t, 5, id, p1, false, p0);
      see.see('t2/abort-v5', { error: a2.error, sameProducerId: a2.sameProducerId, epochDelta: a2.epochDelta });
      const p2 = a2.producer;
      see.see('t2/aborted/describe', await describe(t, id, p0));

      // A client at Produce v11 (verification only): a partition not added is refused.
      see.see('t3/produce-v11-not-added', await produce(t, 11, topic, batch(p2, 0, 1, 'three'), id));
      see.see('t3/produce-v10-not-added', await produce(t, 10, topic, batch(p2, 0, 1, 'three'), id));
      // The brokers' form without VerifyOnly adds, as a leader does for Produce v12.
      see.see('t3/broker-add-v5', await brokerAdd(t, 5, id, p2, false, [0]));
      see.see('t3/describe', await describe(t, id, p0));
      see.see('t3/produce-v11-after-add', await produce(t, 11, topic, batch(p2, 0, 1, 'three'), id));
      see.see('t3/produce-v13-by-id', await produce(t, 13, topic, batch(p2, 1, 1, 'three-b'), id));
      see.see('t3/produce-v13-unknown-id', await produce(t, 13, { name: '', id: Buffer.alloc(16, 7) }, batch(p2, 2, 1, 'x'), id));
      see.see('t3/add-offsets-v4', errorName((await t.request(AddOffsetsToTxn, 4, { transactionalId: id, producerId: p2.producerId, producerEpoch: p2.producerEpoch, groupId: 'dt2-group' })).errorCode));
      see.see('t3/end-v4-no-bump', (await endTxn(t, 4, id, p2, true, p0)).error);
      see.see('t3/describe-after-v4-commit', await describe(t, id, p0));
      see.see('stored', await storedEpochs(t, 'dt2-tx', p0));
    },
  },
  {
    // EndTxn v5 with no transaction started (a producer that aborts before sending anything).
    name: 'txn-v2-empty',
    async run(t, see) {
      const id = 'dt2-empty';
      see.see('coordinator', await awaitCoordinator(t, id, 1));
      const p0 = await init(t, id);
      see.see('commit-v5', (await endTxn(t, 5, id, p0, true, p0)).error);
      see.see('abort-v4', (await endTxn(t, 4, id, p0, false, p0)).error);
      const abort = await endTxn(t, 5, id, p0, false, p0);
      see.see('abort-v5', { error: abort.error, epochDelta: abort.epochDelta });
      see.see('describe', await describe(t, id, p0));
      see.see('commit-v5-retry-other-way', (await endTxn(t, 5, id, p0, true, p0)).error);
      // Again at the new epoch: the transaction is CompleteAbort now.
      const again = await endTxn(t, 5, id, abort.producer, false, p0);
      see.see('abort-v5-again', { error: again.error, epochDelta: again.epochDelta });
      see.see('describe-again', await describe(t, id, p0));
      see.see('commit-v5-after', (await endTxn(t, 5, id, again.producer.producerEpoch >= 0 ? again.producer : abort.producer, true, p0)).error);
      // KIP-360 InitProducerId naming an epoch the EndTxn v5 bumps left behind, then the current one.
      const initWith = async (q: Producer): Promise<unknown> => {
        const r = await t.request(InitProducerId, 5, { transactionalId: id, transactionTimeoutMs: 60000, producerId: q.producerId, producerEpoch: q.producerEpoch, enable2Pc: false, keepPreparedTxn: false });
        return { error: errorName(r.errorCode), epochDelta: r.producerEpoch - p0.producerEpoch };
      };
      see.see('init-with-epoch-before-last-bump', await initWith(abort.producer));
      see.see('init-with-current-epoch', await initWith(again.producer));
    },
  },
  {
    // A v2 transaction open longer than its timeout is aborted by the coordinator with one epoch
    // bump; the producer's EndTxn v5 abort at its old epoch then counts as the retry of that abort
    // and hands it the new epoch (KIP-890's recovery from a timeout), a commit is refused.
    name: 'txn-v2-timeout',
    async run(t, see) {
      const id = 'dt2-timeout';
      see.see('coordinator', await awaitCoordinator(t, id, 1));
      see.see('create', await createTopic(t, 'dt2-timeout', 1));
      const topic = { name: 'dt2-timeout', id: ZERO_UUID };
      const p0 = await init(t, id, 1000);
      see.see('produce-v12', await produceRetried(t, 12, topic, batch(p0, 0, 1, 'open'), id));
      // Kafka checks every transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s by default).
      see.see('timed-out/describe', await describe(t, id, p0, (state) => state === 'CompleteAbort', 30000));
      see.see('timed-out/produce-old-epoch', await produce(t, 12, topic, batch(p0, 1, 1, 'late'), id));
      see.see('timed-out/commit-old-epoch', (await endTxn(t, 5, id, p0, true, p0)).error);
      const abort = await endTxn(t, 5, id, p0, false, p0);
      see.see('timed-out/abort-old-epoch', { error: abort.error, sameProducerId: abort.sameProducerId, epochDelta: abort.epochDelta });
      if (abort.error === 'NONE') {
        // The next transaction at the new epoch, committed before its own timeout.
        see.see('next/produce-v12', await produceRetried(t, 12, topic, batch(abort.producer, 0, 1, 'next'), id));
        see.see('next/commit-v5', (await endTxn(t, 5, id, abort.producer, true, p0)).epochDelta);
      }
      see.see('stored', await storedEpochs(t, 'dt2-timeout', p0));
    },
  },
];
