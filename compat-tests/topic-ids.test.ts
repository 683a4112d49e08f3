/**
 * Topic ids across restarts and recreation, against a real `sluice start` process (issue 15): a
 * topic keeps its id through a clean restart and a kill -9; deleted and recreated under the same
 * name it gets a new id, and the old id answers UNKNOWN_TOPIC_ID everywhere ids are accepted
 * (Metadata v10-13, DeleteTopics v6) before and after the next restart, while the recreated topic
 * holds none of the old one's records. DescribeTopicPartitions shows the same ids.
 */
import t from 'tap';
import { spawnBroker, stopBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient } from './raw-client.js';
import type { Target } from './differential/framework.js';
import { batch, createTopic, listOffset, produce } from './differential/scenarios/util.js';
import { DeleteTopics, DescribeTopicPartitions, Metadata } from '../src/protocol/generated/index.js';
import { ErrorCode } from '../src/protocol/errors.js';

const data = tmpDataDir('sluice-topic-ids-');
let broker: BrokerProcess = await spawnBroker({ dataDir: data.dir });
let client = await RawClient.connect(broker.port);
t.teardown(async () => {
  client.close();
  await stopBroker(broker);
  data.remove();
});

/** The differential helpers take a Target; here it is one connection to the one broker. */
const target = { request: (codec, version, body) => client.request(codec, version, body) } as Target;

async function restart(how: 'clean' | 'kill -9'): Promise<void> {
  client.close();
  if (how === 'clean') await broker.stop();
  else await broker.kill9();
  broker = await spawnBroker({ dataDir: data.dir, port: broker.port });
  client = await RawClient.connect(broker.port);
}

async function idOf(name: string): Promise<Buffer> {
  const md = await client.request(Metadata, 13, { topics: [{ topicId: Buffer.alloc(16), name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.topicId;
}

async function byId(id: Buffer, version: number): Promise<{ errorCode: number; name: string | null }> {
  const md = await client.request(Metadata, version, { topics: [{ topicId: id, name: null }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return { errorCode: md.topics[0]!.errorCode, name: md.topics[0]!.name };
}

async function describedId(name: string): Promise<Buffer> {
  const res = await client.request(DescribeTopicPartitions, 0, { topics: [{ name }], responsePartitionLimit: 100, cursor: null });
  return res.topics[0]!.topicId;
}

t.test('a topic keeps its id across a clean restart and a kill -9', async (t) => {
  t.equal(await createTopic(target, 'tid', 2), ErrorCode.NONE);
  const id = await idOf('tid');
  t.notOk(id.equals(Buffer.alloc(16)), 'a topic id is assigned');
  t.equal((await produce(target, 'tid', 0, batch(3, 'old'))).errorCode, ErrorCode.NONE);
  await restart('clean');
  t.same(await idOf('tid'), id, 'the same id after a clean restart');
  await restart('kill -9');
  t.same(await idOf('tid'), id, 'the same id after kill -9');
  t.same(await describedId('tid'), id, 'DescribeTopicPartitions shows it');
  for (const v of [10, 12, 13]) t.same(await byId(id, v), { errorCode: ErrorCode.NONE, name: 'tid' }, `Metadata v${v} finds the topic by id`);
});

t.test('a recreated topic gets a new id; the old one is unknown everywhere, across restarts', async (t) => {
  const oldId = await idOf('tid');
  const del = await client.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: oldId }] });
  t.equal(del.responses[0]!.errorCode, ErrorCode.NONE, 'deleted by id');
  t.equal(await createTopic(target, 'tid', 2), ErrorCode.NONE, 'recreated under the same name');
  const newId = await idOf('tid');
  t.notOk(newId.equals(oldId), 'a new id');
  for (const when of ['before a restart', 'after a clean restart', 'after kill -9']) {
    if (when === 'after a clean restart') await restart('clean');
    if (when === 'after kill -9') await restart('kill -9');
    t.same(await idOf('tid'), newId, `the new id stays (${when})`);
    for (const v of [10, 12, 13]) {
      const r = await byId(oldId, v);
      t.equal(r.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, `Metadata v${v}: the old id is unknown (${when})`);
    }
    const again = await client.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: oldId }] });
    t.equal(again.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, `DeleteTopics v6: the old id is unknown (${when})`);
    t.same(await describedId('tid'), newId, `DescribeTopicPartitions shows the new id (${when})`);
    t.equal((await listOffset(target, 'tid', 0, -1n)).offset, 0n, `none of the old topic's records (${when})`);
  }
});
