/** Transactions over the wire against an embedded broker: one named test per rule. */
import t from 'tap';
import { startBroker, type RunningBroker } from '../index.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../log/record-batch.js';
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  CreateTopics,
  DescribeProducers,
  DescribeTransactions,
  EndTxn,
  Fetch,
  FindCoordinator,
  InitProducerId,
  ListOffsets,
  ListTransactions,
  OffsetFetch,
  Produce,
  TxnOffsetCommit,
  type FetchResponse,
} from '../protocol/generated/index.js';
import { fetchRequest, RawClient } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

const data = tmpDataDir('sluice-txn-');
let broker: RunningBroker;
let c: RawClient;
const ZERO = Buffer.alloc(16);

async function start(): Promise<void> {
  broker = await startBroker({
    port: 0,
    dataDir: data.dir,
    overrides: ['transaction.abort.timed.out.transaction.cleanup.interval.ms=100', 'transaction.state.log.num.partitions=2', 'offsets.topic.num.partitions=2'],
  });
  c = await RawClient.connect(broker.port);
}

t.before(async () => {
  await start();
  const res = await c.request(CreateTopics, 4, {
    topics: [{ name: 'tx', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  if (res.topics[0]!.errorCode !== 0) throw new Error('topic not created');
});
t.teardown(async () => {
  c?.close();
  await broker?.stop();
  data.remove();
});

const init = (transactionalId: string, opts: { version?: number; timeoutMs?: number; producerId?: bigint; producerEpoch?: number } = {}) =>
  c.request(InitProducerId, opts.version ?? 4, {
    transactionalId,
    transactionTimeoutMs: opts.timeoutMs ?? 60000,
    producerId: opts.producerId ?? -1n,
    producerEpoch: opts.producerEpoch ?? -1,
    enable2Pc: false,
    keepPreparedTxn: false,
  });

const addPartitions = (id: string, pid: bigint, epoch: number, partitions: number[], version = 3) =>
  c
    .request(AddPartitionsToTxn, version, {
      transactions: [],
      v3AndBelowTransactionalId: id,
      v3AndBelowProducerId: pid,
      v3AndBelowProducerEpoch: epoch,
      v3AndBelowTopics: [{ name: 'tx', partitions }],
    })
    .then((r) => r.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode));

const end = (id: string, pid: bigint, epoch: number, committed: boolean, version = 3) =>
  c.request(EndTxn, version, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed }).then((r) => r.errorCode);

let sequence = new Map<string, number>();
const produceTxn = async (pid: bigint, epoch: number, partition: number, values: string[]) => {
  const key = `${pid}:${epoch}:${partition}`;
  const baseSequence = sequence.get(key) ?? 0;
  sequence.set(key, baseSequence + values.length);
  const records = buildRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId: pid, producerEpoch: epoch, baseSequence, isTransactional: true });
  const res = await c.request(Produce, 7, { transactionalId: 'x', acks: -1, timeoutMs: 1000, topicData: [{ name: 'tx', topicId: ZERO, partitionData: [{ index: partition, records }] }] });
  return res.responses[0]!.partitionResponses[0]!;
};

const fetch = async (partition: number, isolationLevel: number, fetchOffset = 0n): Promise<FetchResponse['responses'][number]['partitions'][number]> => {
  const res = await c.request(Fetch, 11, fetchRequest('tx', partition, fetchOffset, { isolationLevel }));
  return res.responses[0]!.partitions[0]!;
};

/** Data records (not markers) in a fetch answer, by value. */
const values = (records: Buffer | null): string[] =>
  splitBatches(records ?? Buffer.alloc(0))
    .filter((b) => (b.readInt16BE(21) & 0x20) === 0)
    .flatMap((b) => decodeRecords(b).map((r) => r.value!.toString()));

t.test('FindCoordinator for a transactional id names this broker', async (t) => {
  const res = await c.request(FindCoordinator, 3, { key: 'txn-find', keyType: 1, coordinatorKeys: [] });
  t.same([res.errorCode, res.nodeId, res.port], [0, broker.nodeId, broker.port]);
});

t.test('InitProducerId: the same id with a bumped epoch fences the previous producer', async (t) => {
  const a = await init('fence');
  t.same([a.errorCode, a.producerEpoch], [0, 0]);
  const b = await init('fence');
  t.same([b.errorCode, b.producerId, b.producerEpoch], [0, a.producerId, 1], 'same producer id, next epoch');
  t.same(await addPartitions('fence', a.producerId, 0, [0], 1), [47], 'v1: INVALID_PRODUCER_EPOCH');
  t.same(await addPartitions('fence', a.producerId, 0, [0], 3), [90], 'v3: PRODUCER_FENCED');
  t.same(await addPartitions('fence', 999999n, 1, [0]), [49], 'INVALID_PRODUCER_ID_MAPPING');
  t.same(await addPartitions('fence', b.producerId, 1, [0, 9]), [55, 3], 'an unknown partition fails the request');
  const kip360 = await init('fence', { producerId: b.producerId, producerEpoch: 0 });
  t.equal(kip360.errorCode, 90, 'KIP-360: a stale epoch cannot re-initialize');
  t.equal((await init('fence', { version: 2 })).errorCode, 0);
  t.equal((await init('bad-timeout', { timeoutMs: 10_000_000 })).errorCode, 50, 'INVALID_TRANSACTION_TIMEOUT over transaction.max.timeout.ms');
});

t.test('commit and abort: markers, the last stable offset and READ_COMMITTED reads', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('rc');
  t.same(await addPartitions('rc', pid, epoch, [1]), [0]);
  const first = await produceTxn(pid, epoch, 1, ['open-1', 'open-2']);
  t.equal(first.errorCode, 0);
  let rc = await fetch(1, 1);
  t.same(values(rc.records), [], 'READ_COMMITTED sees nothing of an open transaction');
  t.same([rc.lastStableOffset, rc.highWatermark], [first.baseOffset, first.baseOffset + 2n], 'LSO stops at the transaction, HW does not');
  t.same(values((await fetch(1, 0)).records), ['open-1', 'open-2'], 'READ_UNCOMMITTED sees it');
  const lo = await c.request(ListOffsets, 2, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'tx', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 });
  t.equal(lo.topics[0]!.partitions[0]!.offset, first.baseOffset, 'ListOffsets latest for READ_COMMITTED is the LSO');
  t.equal(await end('rc', pid, epoch, false), 0, 'abort');
  rc = await fetch(1, 1);
  t.same(values(rc.records), ['open-1', 'open-2'], 'after the abort, READ_COMMITTED gets the data...');
  t.same(rc.abortedTransactions, [{ producerId: pid, firstOffset: first.baseOffset }], '...with the aborted range to drop it');
  t.equal(rc.lastStableOffset, first.baseOffset + 3n, 'data plus the marker');
  t.equal(await end('rc', pid, epoch, false), 0, 'a retried abort succeeds');
  t.equal(await end('rc', pid, epoch, true), 48, 'commit after abort: INVALID_TXN_STATE');

  t.same(await addPartitions('rc', pid, epoch, [1]), [0], 'the next transaction');
  await produceTxn(pid, epoch, 1, ['kept']);
  t.equal(await end('rc', pid, epoch, true), 0, 'commit');
  rc = await fetch(1, 1, first.baseOffset + 3n);
  t.same(values(rc.records), ['kept']);
  t.same(rc.abortedTransactions, [], 'nothing aborted in this range');
  t.equal(await end('rc', pid, epoch, true), 0, 'a retried commit succeeds');
});

t.test('a transactional write must be added to the transaction first', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('unadded');
  t.equal((await produceTxn(pid, epoch, 2, ['stray'])).errorCode, 48, 'INVALID_TXN_STATE');
  t.equal(await end('unadded', pid, epoch, true), 48, 'EndTxn with no transaction open');
});

t.test('InitProducerId on an ongoing transaction aborts it and asks for a retry', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('busy');
  t.same(await addPartitions('busy', pid, epoch, [2]), [0]);
  const w = await produceTxn(pid, epoch, 2, ['doomed']);
  const again = await init('busy');
  t.equal(again.errorCode, 51, 'CONCURRENT_TRANSACTIONS');
  const retry = await init('busy');
  t.same([retry.errorCode, retry.producerEpoch], [0, epoch + 2], 'the epoch was bumped twice: fence, then init');
  const rc = await fetch(2, 1, w.baseOffset);
  t.same(rc.abortedTransactions, [{ producerId: pid, firstOffset: w.baseOffset }], 'the old transaction was aborted');
  t.equal(await end('busy', pid, epoch, true), 90, 'the fenced producer cannot commit');
});

t.test('sendOffsets: offsets stay pending until the commit marker', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('offsets');
  t.equal((await c.request(AddOffsetsToTxn, 1, { transactionalId: 'offsets', producerId: pid, producerEpoch: epoch, groupId: 'g-txn' })).errorCode, 0);
  const commit = await c.request(TxnOffsetCommit, 3, {
    transactionalId: 'offsets',
    groupId: 'g-txn',
    producerId: pid,
    producerEpoch: epoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'tx', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
  });
  t.equal(commit.topics[0]!.partitions[0]!.errorCode, 0);
  const fetchOffset = (requireStable: boolean) =>
    c.request(OffsetFetch, 7, { groupId: 'g-txn', topics: [{ name: 'tx', partitionIndexes: [0] }], groups: [], requireStable }).then((r) => r.topics[0]!.partitions[0]!);
  t.same([(await fetchOffset(false)).committedOffset], [-1n], 'not visible before the commit');
  t.equal((await fetchOffset(true)).errorCode, 88, 'require_stable: UNSTABLE_OFFSET_COMMIT');
  t.equal(await end('offsets', pid, epoch, true), 0);
  const after = await fetchOffset(true);
  t.same([after.errorCode, after.committedOffset, after.metadata], [0, 42n, 'm'], 'visible after the commit marker');
});

t.test('TxnOffsetCommit verifies the transaction first, as Kafka 4 (KIP-890): errors by case', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('offsets-errors');
  const commit = async (transactionalId: string, producerId: bigint, producerEpoch: number, opts: { version?: number; groupId?: string; generationId?: number; memberId?: string } = {}) =>
    (
      await c.request(TxnOffsetCommit, opts.version ?? 3, {
        transactionalId,
        groupId: opts.groupId ?? 'g-errors',
        producerId,
        producerEpoch,
        generationId: opts.generationId ?? -1,
        memberId: opts.memberId ?? '',
        groupInstanceId: null,
        topics: [{ name: 'tx', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      })
    ).topics[0]!.partitions[0]!.errorCode;
  t.equal(await commit('never-initialised', pid, epoch), 49, 'unknown transactional id: INVALID_PRODUCER_ID_MAPPING');
  t.equal(await commit('offsets-errors', pid, epoch), 48, 'no AddOffsetsToTxn yet: INVALID_TXN_STATE');
  t.equal((await c.request(AddOffsetsToTxn, 3, { transactionalId: 'offsets-errors', producerId: pid, producerEpoch: epoch, groupId: 'g-errors' })).errorCode, 0);
  t.equal(await commit('offsets-errors', pid + 1n, epoch), 49, 'another producer id');
  for (const v of [0, 2, 3]) t.equal(await commit('offsets-errors', pid, epoch - 1, { version: v }), 47, `v${v} old epoch: INVALID_PRODUCER_EPOCH (not PRODUCER_FENCED)`);
  t.equal(await commit('offsets-errors', pid, epoch, { generationId: 3, memberId: 'm' }), 22, 'a generation for a group that does not exist: ILLEGAL_GENERATION');
  t.equal(await commit('offsets-errors', pid, epoch), 0, 'in the transaction');
  t.equal(await end('offsets-errors', pid, epoch, false), 0);
  t.equal(await commit('offsets-errors', pid, epoch), 48, 'after the abort the group is no longer in a transaction');
});

t.test('a transaction open past its timeout is aborted and its producer fenced', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('slow', { timeoutMs: 200 });
  t.same(await addPartitions('slow', pid, epoch, [0]), [0]);
  const w = await produceTxn(pid, epoch, 0, ['late']);
  await new Promise((r) => setTimeout(r, 600));
  const d = await c.request(DescribeTransactions, 0, { transactionalIds: ['slow'] });
  t.same([d.transactionStates[0]!.transactionState, d.transactionStates[0]!.producerEpoch], ['CompleteAbort', epoch + 1]);
  t.equal(await end('slow', pid, epoch, true, 3), 90, 'the late commit is fenced');
  const rc = await fetch(0, 1, w.baseOffset);
  t.same(rc.abortedTransactions, [{ producerId: pid, firstOffset: w.baseOffset }]);
});

t.test('admin: DescribeTransactions, ListTransactions, DescribeProducers', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('admin');
  t.same(await addPartitions('admin', pid, epoch, [1, 2]), [0, 0]);
  const w = await produceTxn(pid, epoch, 2, ['x']);
  const d = (await c.request(DescribeTransactions, 0, { transactionalIds: ['admin', 'nope'] })).transactionStates;
  t.same([d[0]!.errorCode, d[0]!.transactionState, d[0]!.producerId, d[0]!.topics], [0, 'Ongoing', pid, [{ topic: 'tx', partitions: [1, 2] }]]);
  t.equal(d[1]!.errorCode, 105, 'TRANSACTIONAL_ID_NOT_FOUND');
  const l = await c.request(ListTransactions, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: null });
  t.same(l.transactionStates.map((s) => s.transactionalId), ['admin']);
  t.same(l.unknownStateFilters, ['Bogus']);
  const p = await c.request(DescribeProducers, 0, { topics: [{ name: 'tx', partitionIndexes: [2] }] });
  const mine = p.topics[0]!.partitions[0]!.activeProducers.find((x) => x.producerId === pid)!;
  t.same([mine.producerEpoch, mine.lastSequence, mine.currentTxnStartOffset], [epoch, 0, w.baseOffset]);
  t.equal(await end('admin', pid, epoch, false), 0);
});

t.test('an ongoing transaction survives a broker restart and can still commit', async (t) => {
  const { producerId: pid, producerEpoch: epoch } = await init('restart');
  t.same(await addPartitions('restart', pid, epoch, [0]), [0]);
  const w = await produceTxn(pid, epoch, 0, ['across-restart']);
  c.close();
  await broker.stop();
  await start();
  const d = (await c.request(DescribeTransactions, 0, { transactionalIds: ['restart'] })).transactionStates[0]!;
  t.equal(d.transactionState, 'Ongoing');
  t.equal((await fetch(0, 1)).lastStableOffset, w.baseOffset, 'the LSO still waits for it');
  t.equal(await end('restart', pid, epoch, true), 0);
  const rc = await fetch(0, 1, w.baseOffset);
  t.same(values(rc.records), ['across-restart']);
  t.same(rc.abortedTransactions, []);
});
