/** Idempotent produce over the wire, against an embedded broker that restarts. */
import t from 'tap';
import { startBroker, type RunningBroker } from '../index.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { CreateTopics, InitProducerId, ListOffsets, Produce } from '../protocol/generated/index.js';
import { RawClient } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

const data = tmpDataDir('sluice-idem-');
let broker: RunningBroker;
let c: RawClient;

async function start(): Promise<void> {
  broker = await startBroker({ port: 0, dataDir: data.dir });
  c = await RawClient.connect(broker.port);
}
async function restart(): Promise<void> {
  c.close();
  await broker.stop();
  await start();
}

t.before(start);
t.teardown(async () => {
  c?.close();
  await broker?.stop();
  data.remove();
});

const initPid = async (transactionalId: string | null = null) =>
  c.request(InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });

const produce = async (producerId: bigint, producerEpoch: number, baseSequence: number, values: string[]) => {
  const records = buildRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId, producerEpoch, baseSequence });
  const res = await c.request(Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'idem', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  return [p.errorCode, p.baseOffset] as const;
};

const endOffset = async () =>
  (await c.request(ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'idem', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 })).topics[0]!.partitions[0]!.offset;

t.test('InitProducerId: new ids, never repeated across restarts', async (t) => {
  const a = await initPid();
  const b = await initPid();
  t.same([a.errorCode, a.producerEpoch, b.errorCode], [0, 0, 0]);
  t.ok(b.producerId > a.producerId, 'increasing');
  await restart();
  const after = await initPid();
  t.ok(after.producerId > b.producerId, `after a restart: ${after.producerId} > ${b.producerId}`);
});

t.test('a retried batch gets its original offset and is not written twice, also after a restart', async (t) => {
  t.equal((await c.request(CreateTopics, 4, { topics: [{ name: 'idem', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })).topics[0]!.errorCode, 0);
  const { producerId } = await initPid();
  t.same(await produce(producerId, 0, 0, ['a', 'b']), [0, 0n]);
  t.same(await produce(producerId, 0, 2, ['c']), [0, 2n]);
  t.same(await produce(producerId, 0, 2, ['c']), [0, 2n], 'duplicate answered with the original offset');
  t.same(await produce(producerId, 0, 0, ['a', 'b']), [0, 0n], 'an older retry too');
  t.equal(await endOffset(), 3n, 'nothing written twice');
  t.same(await produce(producerId, 0, 5, ['gap']), [45, -1n], 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  await restart();
  t.same(await produce(producerId, 0, 2, ['c']), [0, 2n], 'still a duplicate after a restart');
  t.same(await produce(producerId, 0, 3, ['d']), [0, 3n], 'and the sequence continues');
  t.same(await produce(producerId, 1, 0, ['e']), [0, 4n], 'a bumped epoch starts at 0');
  t.same(await produce(producerId, 0, 4, ['old']), [47, -1n], 'INVALID_PRODUCER_EPOCH for the old epoch');
  t.equal(await endOffset(), 5n);
});
