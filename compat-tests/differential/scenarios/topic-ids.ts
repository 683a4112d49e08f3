/**
 * Topic ids beyond Fetch and Produce (issue 15): DescribeTopicPartitions (75) with its paging, and
 * a deleted and recreated topic's ids in Metadata, DeleteTopics and DescribeTopicPartitions.
 */
import type { Scenario, Target } from '../framework.js';
import { DeleteTopics, DescribeTopicPartitions, Metadata } from '../../../src/protocol/generated/index.js';
import { createTopic, sleep, waitReady } from './util.js';

type Cursor = { topicName: string; partitionIndex: number } | null;

async function describe(t: Target, names: string[], limit: number, cursor: Cursor): Promise<unknown> {
  const res = await t.request(DescribeTopicPartitions, 0, { topics: names.map((name) => ({ name })), responsePartitionLimit: limit, cursor });
  return { topics: res.topics, nextCursor: res.nextCursor };
}

async function topicId(t: Target, name: string): Promise<Buffer> {
  const md = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.topicId;
}

export const topicIdScenarios: Scenario[] = [
  {
    name: 'describe-topic-partitions',
    async run(t, see) {
      see.code('create-a', await createTopic(t, 'dtp-a', 3));
      see.code('create-b', await createTopic(t, 'dtp-b', 2));
      see.code('create-c', await createTopic(t, 'dtp-c', 1));
      await waitReady(t, 'dtp-a', 3);
      await waitReady(t, 'dtp-b', 2);
      await waitReady(t, 'dtp-c', 1);
      const abc = ['dtp-c', 'dtp-a', 'dtp-b'];
      see.see('named/whole', await describe(t, abc, 2000, null));
      see.see('named/unknown-invalid-duplicate', await describe(t, ['dtp-b', 'dtp-missing', 'bad!name', 'dtp-b', '__consumer_offsets-no'], 2000, null));
      // Paging two partitions at a time through all six, following NextCursor.
      let cursor: Cursor = null;
      for (let page = 0; page < 6; page++) {
        const res: { topics: unknown; nextCursor: Cursor } = await t.request(DescribeTopicPartitions, 0, { topics: abc.map((name) => ({ name })), responsePartitionLimit: 2, cursor });
        see.see(`paged/${page}`, { topics: res.topics, nextCursor: res.nextCursor });
        cursor = res.nextCursor;
        if (cursor === null) break;
      }
      see.see('limit-exactly-a', await describe(t, abc, 3, null));
      see.see('limit-zero', await describe(t, abc, 0, null));
      see.see('limit-negative', await describe(t, abc, -5, null));
      see.see('cursor-mid-topic', await describe(t, abc, 2000, { topicName: 'dtp-a', partitionIndex: 1 }));
      see.see('cursor-past-partitions', await describe(t, abc, 2000, { topicName: 'dtp-b', partitionIndex: 7 }));
      see.see('cursor-not-listed', await describe(t, ['dtp-a', 'dtp-c'], 2000, { topicName: 'dtp-b', partitionIndex: 0 }));
      see.see('cursor-negative', await describe(t, abc, 2000, { topicName: 'dtp-a', partitionIndex: -1 }));
      see.see('cursor-unknown-topic', await describe(t, ['dtp-a', 'dtp-zz'], 2000, { topicName: 'dtp-zz', partitionIndex: 0 }));
      see.see('unknown-after-budget', await describe(t, ['dtp-a', 'dtp-aa-missing'], 3, null));
      // All topics (an empty list), from a cursor, so that only this scenario's topics are reached.
      see.see('all/from-cursor', await describe(t, [], 4, { topicName: 'dtp-a', partitionIndex: 0 }));
      see.see('all/cursor-unknown-topic', await describe(t, [], 1, { topicName: 'dtp-b-', partitionIndex: 0 }));
    },
  },
  {
    name: 'topic-id-recreated',
    async run(t, see) {
      see.code('create', await createTopic(t, 'tid-re', 2));
      await waitReady(t, 'tid-re', 2);
      const oldId = await topicId(t, 'tid-re');
      const del = await t.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: 'tid-re', topicId: Buffer.alloc(16) }] });
      see.see('delete', del.responses.map((r) => ({ name: r.name, errorCode: r.errorCode })));
      // Deletion is asynchronous in Kafka: wait until the name is free.
      let code = 0;
      for (let i = 0; i < 100; i++) {
        code = await createTopic(t, 'tid-re', 1);
        if (code === 0) break;
        await sleep(100);
      }
      see.code('recreate', code);
      await waitReady(t, 'tid-re', 1);
      const newId = await topicId(t, 'tid-re');
      see.see('new-id-differs', !newId.equals(oldId) && !newId.equals(Buffer.alloc(16)));
      const byOld = await t.request(Metadata, 13, { topics: [{ topicId: oldId, name: null }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      see.see('metadata/old-id', byOld.topics.map((tp) => ({ name: tp.name, errorCode: tp.errorCode, topicId: tp.topicId.equals(oldId) ? 'old' : tp.topicId })));
      const byNew = await t.request(Metadata, 13, { topics: [{ topicId: newId, name: null }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      see.see('metadata/new-id', byNew.topics.map((tp) => ({ name: tp.name, errorCode: tp.errorCode, partitions: tp.partitions.length })));
      const dtp = await t.request(DescribeTopicPartitions, 0, { topics: [{ name: 'tid-re' }], responsePartitionLimit: 10, cursor: null });
      see.see('describe/id-is-new', dtp.topics.map((tp) => tp.topicId.equals(newId)));
      const delOld = await t.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: oldId }] });
      see.see('delete/old-id', delOld.responses.map((r) => ({ name: r.name, errorCode: r.errorCode, topicId: r.topicId.equals(oldId) ? 'old' : r.topicId })));
      see.see('metadata/after-delete-old', await topicId(t, 'tid-re').then((id) => id.equals(newId)));
    },
  },
];
