/**
 * Fetch v13-18 and fetch sessions over the wire against an embedded broker: topic ids through a
 * topic's deletion and recreation, an incremental long poll woken by a produce, and injected
 * partition errors inside sessions (the fault matchers and the request log's topic matchers see a
 * session's partitions and the names of topic ids).
 */
import t from 'tap';
import { startBroker, type RunningBroker } from '../index.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { ErrorCode } from '../protocol/errors.js';
import { CreateTopics, DeleteTopics, Fetch, Metadata, Produce, type FetchRequest, type FetchResponse } from '../protocol/generated/index.js';
import { ZERO_UUID } from '../protocol/wire.js';
import { fetchRequest, RawClient } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

let broker: RunningBroker;
let c: RawClient;
const data = tmpDataDir('sluice-fetch-');

t.before(async () => {
  broker = await startBroker({ port: 0, dataDir: data.dir });
  c = await RawClient.connect(broker.port);
});
t.teardown(async () => {
  c?.close();
  await broker?.stop();
  data.remove();
});

async function createTopic(name: string, numPartitions: number): Promise<Buffer> {
  const res = await c.request(CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  if (res.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: ${res.topics[0]!.errorCode}`);
  const md = await c.request(Metadata, 12, { topics: [{ topicId: ZERO_UUID, name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.topicId;
}

async function produce(topic: string, partition: number, n: number): Promise<void> {
  const records = buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [] })));
  const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }] });
  const code = res.responses[0]!.partitionResponses[0]!.errorCode;
  if (code !== 0) throw new Error(`produce ${topic}-${partition}: ${code}`);
}

/** A Fetch of `partitions` of the topic with id `id` (v13+), from offset `offset`; none: no topic at all. */
function byId(id: Buffer, partitions: number[], o: Partial<FetchRequest> = {}, offset = 0n): FetchRequest {
  return fetchRequest({ id }, partitions, offset, partitions.length === 0 ? { topics: [], ...o } : o);
}

/** partition -> error code, for the partitions an answer carries. */
function errors(res: FetchResponse): Record<number, number> {
  return Object.fromEntries(res.responses.flatMap((tp) => tp.partitions.map((p) => [p.partitionIndex, p.errorCode])));
}

t.test('topic ids: served at v13-18; a deleted topic\'s id is UNKNOWN_TOPIC_ID, its recreation has a new id', async (t) => {
  const id = await createTopic('ids', 1);
  await produce('ids', 0, 3);
  for (let v = 13; v <= 18; v++) {
    const res = await c.request(Fetch, v, byId(id, [0]));
    t.same([res.responses[0]!.topicId, errors(res), res.responses[0]!.partitions[0]!.highWatermark], [id, { 0: 0 }, 3n], `v${v}`);
  }
  t.equal((await c.request(DeleteTopics, 4, { topicNames: ['ids'], topics: [], timeoutMs: 1000 })).responses[0]!.errorCode, 0);
  t.same(errors(await c.request(Fetch, 17, byId(id, [0]))), { 0: ErrorCode.UNKNOWN_TOPIC_ID }, 'the old id after deletion');
  const again = await createTopic('ids', 1);
  t.notSame(again, id, 'a recreated topic gets a new id');
  t.same(errors(await c.request(Fetch, 17, byId(again, [0]))), { 0: 0 });
  t.same(errors(await c.request(Fetch, 17, byId(id, [0]))), { 0: ErrorCode.UNKNOWN_TOPIC_ID }, 'the old id stays unknown');
});

t.test('an incremental long poll wakes on a produce and carries only that partition', async (t) => {
  const id = await createTopic('poll', 4);
  const full = await c.request(Fetch, 17, byId(id, [0, 1, 2, 3], { sessionEpoch: 0 }));
  t.ok(full.sessionId > 0, 'a session');
  t.equal(full.responses[0]!.partitions.length, 4, 'the full fetch answers every partition');
  const waiting = c.request(Fetch, 17, byId(id, [], { sessionId: full.sessionId, sessionEpoch: 1, maxWaitMs: 10_000 }));
  await produce('poll', 2, 1);
  const res = await waiting;
  t.same([res.sessionId, errors(res)], [full.sessionId, { 2: 0 }], 'only partition 2');
  t.equal(res.responses[0]!.partitions[0]!.highWatermark, 1n);
});

t.test('a partition of an unknown topic id does not cut a long poll short; alone it is answered at once', async (t) => {
  const id = await createTopic('wait-beside-unknown', 1);
  const unknown = Buffer.alloc(16, 9);
  const alone = await c.request(Fetch, 17, byId(unknown, [0], { maxWaitMs: 30_000 }));
  t.same(errors(alone), { 0: ErrorCode.UNKNOWN_TOPIC_ID }, 'nothing else to wait for');
  const both = byId(id, [0], { maxWaitMs: 30_000 });
  both.topics.push(byId(unknown, [0]).topics[0]!);
  const waiting = c.request(Fetch, 17, both);
  await produce('wait-beside-unknown', 0, 1);
  const res = await waiting;
  t.same(
    res.responses.map((tp) => [tp.topicId.equals(id), tp.partitions[0]!.errorCode, tp.partitions[0]!.highWatermark]),
    [
      [true, 0, 1n],
      [false, ErrorCode.UNKNOWN_TOPIC_ID, -1n],
    ],
    'it waited for the record; the unknown id is answered after the others',
  );
});

t.test('an injected partition error shows in an incremental answer, and the partition comes back once it is gone', async (t) => {
  const id = await createTopic('faulted', 3);
  const full = await c.request(Fetch, 17, byId(id, [0, 1, 2], { sessionEpoch: 0 }));
  const session = full.sessionId;
  const quiet = await c.request(Fetch, 17, byId(id, [], { sessionId: session, sessionEpoch: 1 }));
  t.same(errors(quiet), {}, 'nothing changed: an empty incremental answer');
  // The request names no partition and the topic only by id: the matcher sees the session's.
  const fault = broker.faults.add({ apiKey: 1, topic: 'faulted', partition: 1, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  const failed = await c.request(Fetch, 17, byId(id, [], { sessionId: session, sessionEpoch: 2 }));
  t.equal(fault.fired, 1, 'the fault fired on the incremental fetch');
  t.same([failed.sessionId, errors(failed)], [session, { 1: ErrorCode.NOT_LEADER_OR_FOLLOWER }], 'the error is news: partition 1 with it, the session kept');
  const healed = await c.request(Fetch, 17, byId(id, [], { sessionId: session, sessionEpoch: 3 }));
  t.same(errors(healed), { 1: 0 }, 'the error gone: partition 1 is sent again (its watermark was forgotten)');
  const settled = await c.request(Fetch, 17, byId(id, [], { sessionId: session, sessionEpoch: 4 }));
  t.same(errors(settled), {}, 'then left out again');
  // The request log's topic matcher sees the same partitions as the fault matcher.
  const logged = broker.nextRequest({ apiKey: 1, topic: 'faulted', partition: 2 }, { timeoutMs: 10_000 });
  await c.request(Fetch, 17, byId(id, [], { sessionId: session, sessionEpoch: 5 }));
  t.match(await logged, { apiKey: 1, apiVersion: 17 }, 'nextRequest matched an incremental fetch by topic name');
});

t.test('an injected error after the handler replaces what was read; a sessionless fetch by id is matched by name too', async (t) => {
  const id = await createTopic('faulted-after', 2);
  await produce('faulted-after', 0, 2);
  await produce('faulted-after', 1, 2);
  broker.faults.add({ apiKey: 1, topic: 'faulted-after', partition: 0, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, after: true });
  const res = await c.request(Fetch, 18, byId(id, [0, 1]));
  t.same(errors(res), { 0: ErrorCode.KAFKA_STORAGE_ERROR, 1: 0 });
  const [p0, p1] = res.responses[0]!.partitions;
  t.equal(p0!.records?.length ?? 0, 0, 'no records with the error');
  t.ok((p1!.records?.length ?? 0) > 0, 'the other partition served');
  t.equal(broker.faults.list().length, 0, 'the fault is spent');
});
