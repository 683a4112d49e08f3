/**
 * Idempotent and transactional producing with raw requests, at every version both brokers serve:
 * InitProducerId (with and without a transactional id, epoch bumps, bad timeouts), produce with
 * duplicate, out-of-order, unknown-producer and stale-epoch sequences, AddPartitionsToTxn /
 * AddOffsetsToTxn / TxnOffsetCommit / EndTxn and their errors, fencing, DescribeProducers,
 * DescribeTransactions, ListTransactions, and what a read_committed fetch sees after a commit and
 * after an abort (last stable offset, aborted transactions, control batches). Producer ids are
 * compared as "present" (`<pid>`); epochs, sequences and offsets exactly. Topics start with `dt-`.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  DescribeProducers,
  DescribeTransactions,
  EndTxn,
  Fetch,
  InitProducerId,
  ListTransactions,
  OffsetFetch,
  Produce,
  TxnOffsetCommit,
  type FetchResponsePartitionData,
  type InitProducerIdResponse,
} from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { fetchRequest } from '../../raw-client.js';
import { BatchField, buildRecordBatch, splitBatches } from '../../../src/log/record-batch.js';
import { awaitCoordinator, createTopic, sleep } from './group-util.js';

const ZERO_UUID = Buffer.alloc(16);

interface Producer {
  producerId: bigint;
  producerEpoch: number;
}

function batch(p: Producer, baseSequence: number, count: number, tag: string, isTransactional = false): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${tag}-k${i}`), value: Buffer.from(`${tag}-v${i}`) }));
  // Current timestamps: Kafka rolls a segment when a batch is segment.ms newer than the segment's
  // first, and a fetch reads one segment, so old data timestamps next to fresh markers would cut
  // Kafka's fetches short (a difference of segment layout, not of the protocol).
  return buildRecordBatch(records, { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, isTransactional });
}

async function produce(t: Target, v: number, topic: string, records: Buffer, transactionalId: string | null = null): Promise<{ error: string; baseOffset: string }> {
  const res = await t.request(Produce, v, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { error: errorName(p.errorCode), baseOffset: p.baseOffset.toString() };
}

function initBody(transactionalId: string | null, timeoutMs = 60000, producerId = -1n, producerEpoch = -1): Parameters<typeof InitProducerId.encodeRequest>[2] {
  return { transactionalId, transactionTimeoutMs: timeoutMs, producerId, producerEpoch, enable2Pc: false, keepPreparedTxn: false };
}

function initView(r: InitProducerIdResponse): Record<string, unknown> {
  return { error: errorName(r.errorCode), producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** The batches of a fetched partition: offsets, control/transactional flags and record counts. */
function fetchView(p: FetchResponsePartitionData): Record<string, unknown> {
  const batches = p.records === null || p.records.length === 0 ? [] : splitBatches(p.records);
  return {
    error: errorName(p.errorCode),
    highWatermark: p.highWatermark.toString(),
    lastStableOffset: p.lastStableOffset.toString(),
    logStartOffset: p.logStartOffset.toString(),
    aborted: p.abortedTransactions === null ? null : p.abortedTransactions.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset.toString() })),
    batches: batches.map((b) => {
      const attributes = b.readInt16BE(BatchField.attributes);
      return {
        baseOffset: b.readBigInt64BE(BatchField.baseOffset).toString(),
        records: b.readInt32BE(BatchField.recordsCount),
        transactional: (attributes & 0x10) !== 0,
        control: (attributes & 0x20) !== 0,
        producerEpoch: b.readInt16BE(BatchField.producerEpoch),
        baseSequence: b.readInt32BE(BatchField.baseSequence),
      };
    }),
  };
}

async function fetchPartition(t: Target, v: number, topic: string, isolationLevel: 0 | 1, offset = 0n): Promise<FetchResponsePartitionData> {
  const res = await t.request(Fetch, v, fetchRequest(topic, 0, offset, { isolationLevel }));
  return res.responses[0]!.partitions[0]!;
}

/** Polls a read_committed fetch until the last stable offset reaches the high watermark (markers are asynchronous in Kafka). */
async function settledFetch(t: Target, v: number, topic: string): Promise<FetchResponsePartitionData> {
  const until = Date.now() + 10000;
  for (;;) {
    const p = await fetchPartition(t, v, topic, 1);
    if (p.lastStableOffset === p.highWatermark || Date.now() > until) return p;
    await sleep(100);
  }
}

async function describeTxn(t: Target, ids: string[]): Promise<unknown> {
  const res = await t.request(DescribeTransactions, 0, { transactionalIds: ids });
  return res.transactionStates
    .map((s) => ({
      error: errorName(s.errorCode),
      transactionalId: s.transactionalId,
      state: s.transactionState,
      timeoutMs: s.transactionTimeoutMs,
      startTimeMs: s.transactionStartTimeMs,
      producerId: s.producerId,
      producerEpoch: s.producerEpoch,
      topics: s.topics.map((x) => ({ topic: x.topic, partitions: [...x.partitions].sort() })),
    }))
    .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : 1));
}

/** DescribeTransactions until the id leaves Prepare* (Kafka completes after writing markers). */
async function settledDescribe(t: Target, id: string): Promise<unknown> {
  const until = Date.now() + 10000;
  for (;;) {
    const d = (await describeTxn(t, [id])) as Array<{ state: string }>;
    if (!d[0]?.state.startsWith('Prepare') || Date.now() > until) return d;
    await sleep(100);
  }
}

async function addPartitions(t: Target, v: number, id: string, p: Producer, topics: Array<{ name: string; partitions: number[] }>): Promise<unknown> {
  const res = await t.request(AddPartitionsToTxn, v, { transactions: [], v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: topics });
  const out: Array<[string, string]> = [];
  for (const tp of res.resultsByTopicV3AndBelow) for (const r of tp.resultsByPartition) out.push([`${tp.name}-${r.partitionIndex}`, errorName(r.partitionErrorCode)]);
  // Sorted: Kafka lists the partitions it refused first, a client matches them by name.
  return Object.fromEntries(out.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

async function endTxn(t: Target, v: number, id: string, p: Producer, committed: boolean): Promise<string> {
  return errorName((await t.request(EndTxn, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed })).errorCode);
}

// COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS:
// a client retries these (Kafka answers them while its producer-id block or the transaction log is
// still loading, or while the previous transaction's markers are being written).
const INIT_RETRIABLE = new Set([14, 15, 16, 51]);

/** InitProducerId, retried as clients retry; records the final answer. */
async function init(t: Target, see: Recorder, name: string, v: number, id: string | null, timeoutMs = 60000, prev?: Producer): Promise<Producer> {
  const until = Date.now() + 15000;
  let r = await t.request(InitProducerId, v, initBody(id, timeoutMs, prev?.producerId ?? -1n, prev?.producerEpoch ?? -1));
  while (INIT_RETRIABLE.has(r.errorCode) && Date.now() < until) {
    await sleep(100);
    r = await t.request(InitProducerId, v, initBody(id, timeoutMs, prev?.producerId ?? -1n, prev?.producerEpoch ?? -1));
  }
  see.see(name, initView(r));
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

export const transactions: Scenario[] = [
  {
    name: 'txn-idempotent',
    async run(t, see) {
      see.see('create', await createTopic(t, 'dt-idem', 1));
      for (let v = 0; v <= 5; v++) await init(t, see, `init-v${v}`, v, null);
      const p = await init(t, see, 'init', 3, null);
      for (const [i, v] of [3, 7, 9, 11].entries()) {
        const topic = `dt-idem-v${v}`;
        await createTopic(t, topic, 1);
        const q = await init(t, see, `v${v}/init`, 4, null);
        see.see(`v${v}/first`, await produce(t, v, topic, batch(q, 0, 3, 'a')));
        see.see(`v${v}/duplicate`, await produce(t, v, topic, batch(q, 0, 3, 'a')));
        see.see(`v${v}/gap`, await produce(t, v, topic, batch(q, 5, 1, 'b')));
        see.see(`v${v}/next`, await produce(t, v, topic, batch(q, 3, 2, 'c')));
        see.see(`v${v}/older-duplicate`, await produce(t, v, topic, batch(q, 0, 3, 'a')));
        see.see(`v${v}/overlap`, await produce(t, v, topic, batch(q, 4, 2, 'd')));
        const unknown = { producerId: 900_000n + BigInt(i), producerEpoch: 0 };
        see.see(`v${v}/unknown-producer-seq5`, await produce(t, v, topic, batch(unknown, 5, 1, 'e')));
        see.see(`v${v}/unknown-producer-seq0`, await produce(t, v, topic, batch(unknown, 0, 1, 'f')));
        // KIP-360: an idempotent producer bumps its own epoch; the old epoch is then stale.
        const bumped = await init(t, see, `v${v}/bump`, 4, null, 60000, q);
        see.see(`v${v}/bumped-same-id`, bumped.producerId === q.producerId);
        see.see(`v${v}/stale-epoch`, await produce(t, v, topic, batch(q, 5, 1, 'g')));
        see.see(`v${v}/new-epoch-seq5`, await produce(t, v, topic, batch(bumped, 5, 1, 'h')));
        see.see(`v${v}/new-epoch-seq0`, await produce(t, v, topic, batch(bumped, 0, 1, 'i')));
        see.see(`v${v}/fetch`, fetchView(await fetchPartition(t, 11, topic, 0)));
      }
      see.see('bump-with-wrong-epoch', initView(await t.request(InitProducerId, 4, initBody(null, 60000, p.producerId, p.producerEpoch + 3))));
      see.see('bump-unknown-id', initView(await t.request(InitProducerId, 4, initBody(null, 60000, 987_654n, 0))));
      see.see('describe-producers', await describeProducers(t, 'dt-idem-v11'));
    },
  },
  {
    name: 'txn-init',
    async run(t, see) {
      see.see('coordinator', await awaitCoordinator(t, 'dt-init', 1));
      let p: Producer | undefined;
      for (let v = 0; v <= 5; v++) p = await init(t, see, `same-id-v${v}`, v, 'dt-init');
      see.see('epoch-after-six', p!.producerEpoch);
      for (const v of [0, 3, 5]) {
        await init(t, see, `v${v}/timeout-zero`, v, `dt-init-bad-${v}`, 0);
        await init(t, see, `v${v}/timeout-too-long`, v, `dt-init-bad-${v}`, 1_000_000);
        await init(t, see, `v${v}/empty-id`, v, '', 60000);
      }
      // v3+: the producer names its current id and epoch; a wrong one is fenced or refused.
      const cur = p!;
      await init(t, see, 'v4/with-current-epoch', 4, 'dt-init', 60000, cur);
      await init(t, see, 'v4/with-old-epoch', 4, 'dt-init', 60000, cur);
      await init(t, see, 'v4/with-wrong-id', 4, 'dt-init', 60000, { producerId: 12_345n, producerEpoch: 0 });
      see.see('describe', await describeTxn(t, ['dt-init', 'dt-init-none', 'dt-init-bad-0']));
    },
  },
  {
    name: 'txn-commit-abort',
    async run(t, see) {
      see.see('coordinator', await awaitCoordinator(t, 'dt-tx', 1));
      await awaitCoordinator(t, 'dt-tx-group', 0);
      see.see('create', await createTopic(t, 'dt-tx', 1));
      const id = 'dt-tx';
      const p = await init(t, see, 'init', 1, id, 30000);
      for (const v of [0, 1, 2, 3]) see.see(`v${v}/end-without-txn-commit`, await endTxn(t, v, id, p, true));
      see.see('end-without-txn-abort', await endTxn(t, 1, id, p, false));
      see.see('end-unknown-id', await endTxn(t, 1, 'dt-tx-none', p, true));
      see.see('end-wrong-producer-id', await endTxn(t, 1, id, { producerId: p.producerId + 1000n, producerEpoch: p.producerEpoch }, true));
      // Kafka's first verification of a transactional produce may answer NOT_LEADER_OR_FOLLOWER
      // (retriable) while it finds the transaction coordinator; clients retry, so does this.
      for (let i = 0; i < 50; i++) {
        const first = await produce(t, 3, 'dt-tx', batch(p, 0, 1, 'x', true), id);
        if (first.error !== 'NOT_LEADER_OR_FOLLOWER') break;
        await sleep(100);
      }
      for (const v of [3, 7, 11]) see.see(`v${v}/produce-before-add-partitions`, await produce(t, v, 'dt-tx', batch(p, 0, 1, 'x', true), id));

      // First transaction: two records and the group's offsets, committed.
      for (const v of [0, 1, 2, 3]) {
        see.see(`v${v}/add-partitions-unknown-topic`, await addPartitions(t, v, id, p, [{ name: 'dt-tx', partitions: [0] }, { name: 'dt-no-such-topic', partitions: [0] }]));
        see.see(`v${v}/add-partitions-wrong-epoch`, await addPartitions(t, v, id, { ...p, producerEpoch: p.producerEpoch + 1 }, [{ name: 'dt-tx', partitions: [0] }]));
        see.see(`v${v}/add-partitions-unknown-id`, await addPartitions(t, v, 'dt-tx-none', p, [{ name: 'dt-tx', partitions: [0] }]));
      }
      see.see('add-partitions', await addPartitions(t, 1, id, p, [{ name: 'dt-tx', partitions: [0] }]));
      see.see('add-partitions-again-v3', await addPartitions(t, 3, id, p, [{ name: 'dt-tx', partitions: [0] }]));
      see.see('produce-1', await produce(t, 7, 'dt-tx', batch(p, 0, 2, 'one', true), id));
      see.see('produce-1-not-transactional', await produce(t, 7, 'dt-tx', batch(p, 2, 1, 'one-plain', false)));
      for (const v of [4, 8, 11, 12]) {
        see.see(`open/read-committed-v${v}`, fetchView(await fetchPartition(t, v, 'dt-tx', 1)));
        see.see(`open/read-uncommitted-v${v}`, fetchView(await fetchPartition(t, v, 'dt-tx', 0)));
      }
      see.see('open/describe', await describeTxn(t, [id]));
      see.see('open/list', await listTxns(t, 1, [], []));
      see.see('open/list-ongoing', await listTxns(t, 1, ['Ongoing'], []));
      // v2 (KIP-1152): a pattern the whole transactional id must match.
      for (const pattern of ['dt-tx.*', 'dt-t', 'nothing-.*', '', '[']) see.see(`open/list-v2-pattern-${pattern}`, await listTxns(t, 2, [], [], -1n, pattern));
      see.see('open/describe-producers', await describeProducers(t, 'dt-tx'));
      for (const v of [0, 1, 2, 3]) {
        see.code(`v${v}/add-offsets`, (await t.request(AddOffsetsToTxn, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'dt-tx-group' })).errorCode);
        const commit = await t.request(TxnOffsetCommit, v, {
          transactionalId: id,
          groupId: 'dt-tx-group',
          producerId: p.producerId,
          producerEpoch: p.producerEpoch,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: 'dt-tx', partitions: [{ partitionIndex: 0, committedOffset: BigInt(v + 1), committedLeaderEpoch: -1, committedMetadata: `t${v}` }] }],
        });
        see.see(`v${v}/txn-offset-commit`, commit.topics.map((x) => ({ name: x.name, partitions: x.partitions.map((q) => errorName(q.errorCode)) })));
      }
      const memberCommit = await t.request(TxnOffsetCommit, 3, {
        transactionalId: id,
        groupId: 'dt-tx-group',
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        generationId: 5,
        memberId: 'nobody-here',
        groupInstanceId: null,
        topics: [{ name: 'dt-tx', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      see.see('v3/txn-offset-commit-unknown-member', memberCommit.topics.map((x) => x.partitions.map((q) => errorName(q.errorCode))));
      const unknownTopic = await t.request(TxnOffsetCommit, 1, {
        transactionalId: id,
        groupId: 'dt-tx-group',
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'dt-no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      see.see('v1/txn-offset-commit-unknown-topic', unknownTopic.topics.map((x) => x.partitions.map((q) => errorName(q.errorCode))));
      see.code('add-offsets-wrong-epoch', (await t.request(AddOffsetsToTxn, 1, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch + 1, groupId: 'dt-tx-group' })).errorCode);
      see.see('open/offset-fetch', await groupOffsets(t, 6, 'dt-tx-group', false));
      see.see('open/offset-fetch-stable', await groupOffsets(t, 7, 'dt-tx-group', true));
      see.see('commit', await endTxn(t, 1, id, p, true));
      see.see('committed/describe', await settledDescribe(t, id));
      see.see('committed/fetch', fetchView(await settledFetch(t, 11, 'dt-tx')));
      see.see('committed/offset-fetch', await groupOffsets(t, 7, 'dt-tx-group', true));
      see.see('committed/end-again-commit', await endTxn(t, 1, id, p, true));
      see.see('committed/end-again-abort', await endTxn(t, 1, id, p, false));

      // Second transaction: aborted.
      see.see('add-partitions-2', await addPartitions(t, 2, id, p, [{ name: 'dt-tx', partitions: [0] }]));
      see.see('produce-2', await produce(t, 9, 'dt-tx', batch(p, 2, 3, 'two', true), id));
      see.see('produce-2-bad-sequence', await produce(t, 9, 'dt-tx', batch(p, 9, 1, 'two-gap', true), id));
      see.see('aborting/end-commit-wrong-epoch', await endTxn(t, 1, id, { ...p, producerEpoch: p.producerEpoch - 1 }, false));
      see.see('abort', await endTxn(t, 3, id, p, false));
      see.see('aborted/describe', await settledDescribe(t, id));
      for (const v of [4, 11, 12]) see.see(`aborted/read-committed-v${v}`, fetchView(await settledFetch(t, v, 'dt-tx')));
      see.see('aborted/read-uncommitted', fetchView(await fetchPartition(t, 11, 'dt-tx', 0)));
      see.see('aborted/read-committed-from-4', fetchView(await fetchPartition(t, 11, 'dt-tx', 1, 4n)));
      see.see('aborted/list', await listTxns(t, 0, [], []));
      see.see('aborted/list-complete-abort', await listTxns(t, 1, ['CompleteAbort'], []));
      see.see('aborted/list-bad-state', await listTxns(t, 1, ['NoSuchState'], []));
      see.see('aborted/describe-producers', await describeProducers(t, 'dt-tx'));

      // Fencing: a new InitProducerId for the id bumps the epoch; the old epoch is refused everywhere.
      const q = await init(t, see, 'fence/init', 1, id, 30000);
      see.see('fence/epoch-delta', q.producerEpoch - p.producerEpoch);
      for (const v of [0, 1, 2, 3]) {
        see.see(`fence/v${v}/add-partitions-old-epoch`, await addPartitions(t, v, id, p, [{ name: 'dt-tx', partitions: [0] }]));
        see.see(`fence/v${v}/end-old-epoch`, await endTxn(t, v, id, p, true));
        see.code(`fence/v${v}/add-offsets-old-epoch`, (await t.request(AddOffsetsToTxn, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'dt-tx-group' })).errorCode);
      }
      for (const v of [3, 7, 9, 11]) see.see(`fence/v${v}/produce-old-epoch`, await produce(t, v, 'dt-tx', batch(p, 6, 1, 'old', true), id));
      see.see('fence/add-partitions-new-epoch', await addPartitions(t, 3, id, q, [{ name: 'dt-tx', partitions: [0] }]));
      see.see('fence/produce-new-epoch', await produce(t, 11, 'dt-tx', batch(q, 0, 1, 'new', true), id));
      see.see('fence/commit-new-epoch', await endTxn(t, 3, id, q, true));
      see.see('fence/describe', await settledDescribe(t, id));

      // A producer restarting in the middle of a transaction: InitProducerId aborts it (clients
      // retry CONCURRENT_TRANSACTIONS until the abort completed) and a read_committed reader sees
      // the data as aborted.
      see.see('restart/add-partitions', await addPartitions(t, 3, id, q, [{ name: 'dt-tx', partitions: [0] }]));
      see.see('restart/produce', await produce(t, 11, 'dt-tx', batch(q, 1, 2, 'open', true), id));
      see.see('restart/list-open-longer-than-0', await listTxns(t, 1, [], [], 0n));
      see.see('restart/list-open-longer-than-an-hour', await listTxns(t, 1, [], [], 3_600_000n));
      const first = await t.request(InitProducerId, 1, initBody(id, 30000));
      see.code('restart/init-first', first.errorCode);
      const r = await init(t, see, 'restart/init', 1, id, 30000);
      see.see('restart/epoch-delta', r.producerEpoch - q.producerEpoch);
      see.see('restart/describe', await settledDescribe(t, id));
      see.see('restart/fetch', fetchView(await settledFetch(t, 11, 'dt-tx')));
      see.see('restart/old-epoch-produce', await produce(t, 11, 'dt-tx', batch(q, 3, 1, 'late', true), id));
      see.see('fence/fetch', fetchView(await settledFetch(t, 11, 'dt-tx')));
    },
  },
];

async function describeProducers(t: Target, topic: string): Promise<unknown> {
  const res = await t.request(DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0, 7] }] });
  return res.topics.map((x) => ({
    name: x.name,
    partitions: x.partitions.map((q) => ({
      partition: q.partitionIndex,
      error: errorName(q.errorCode),
      producers: q.activeProducers.map((a) => ({ producerId: a.producerId, epoch: a.producerEpoch, lastSequence: a.lastSequence, lastTimestamp: a.lastTimestamp, coordinatorEpoch: a.coordinatorEpoch, txnStart: a.currentTxnStartOffset.toString() })),
    })),
  }));
}

async function listTxns(t: Target, v: number, stateFilters: string[], producerIdFilters: bigint[], durationFilter = -1n, transactionalIdPattern: string | null = null): Promise<unknown> {
  const res = await t.request(ListTransactions, v, { stateFilters, producerIdFilters, durationFilter, transactionalIdPattern });
  return {
    error: errorName(res.errorCode),
    unknownStateFilters: res.unknownStateFilters,
    states: res.transactionStates
      .filter((s) => s.transactionalId.startsWith('dt-tx'))
      .map((s) => ({ id: s.transactionalId, producerId: s.producerId, state: s.transactionState }))
      .sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

async function groupOffsets(t: Target, v: number, group: string, requireStable: boolean): Promise<unknown> {
  const res = await t.request(OffsetFetch, v, { groupId: group, topics: [{ name: 'dt-tx', partitionIndexes: [0] }], groups: [], requireStable });
  return { error: errorName(res.errorCode), partitions: res.topics.flatMap((x) => x.partitions.map((q) => ({ offset: q.committedOffset.toString(), metadata: q.metadata, error: errorName(q.errorCode) }))) };
}
