/**
 * The broker at the edges of its storage (issue 10, findings 4 and 7), as a spawned process:
 * a file descriptor limit (`ulimit -n`) far below what its partitions' files would need open at
 * once, and a data directory on a small file system that fills up.
 */
import t from 'tap';
import { RawClient } from './raw-client.js';
import { spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../src/log/record-batch.js';
import { CreateTopics, Fetch, Metadata, Produce, type FetchRequest } from '../src/protocol/generated/index.js';

const ZERO = Buffer.alloc(16);

async function createTopic(c: RawClient, name: string, numPartitions: number): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await c.request(CreateTopics, 7, {
    topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return res.topics[0]!;
}

/** Produces one record, `<topic>-<partition>`, to each of the partitions; returns their error codes. */
async function produceEach(c: RawClient, topic: string, partitions: number[]): Promise<number[]> {
  const partitionData = partitions.map((index) => ({ index, records: buildRecordBatch([{ key: null, value: Buffer.from(`${topic}-${index}`) }]) }));
  const res = await c.request(Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO, partitionData }] });
  return res.responses[0]!.partitionResponses.map((p) => p.errorCode);
}

/** Fetches every partition from offset 0; returns each one's record values (or its error code). */
async function fetchEach(c: RawClient, topic: string, partitions: number[]): Promise<Array<string[] | number>> {
  const req: FetchRequest = {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 64 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: ZERO,
        partitions: partitions.map((partition) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset: 0n,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: 1 << 16,
          replicaDirectoryId: ZERO,
          highWatermark: 9223372036854775807n,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
  const res = await c.request(Fetch, 11, req);
  return res.responses[0]!.partitions.map((p) =>
    p.errorCode !== 0 ? p.errorCode : splitBatches(p.records ?? Buffer.alloc(0)).flatMap((b) => decodeRecords(b).map((r) => r.value?.toString() ?? '')),
  );
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

t.test('more partitions than the file descriptor limit could keep open are served, and the broker restarts', async (t) => {
  const openFilesMax = 256;
  const partitions = range(400); // 3 files per partition: 1,200 files, far past 256 descriptors
  const data = tmpDataDir('sluice-fds-');
  let broker: BrokerProcess | undefined;
  let c: RawClient | undefined;
  t.teardown(async () => {
    c?.close();
    await broker?.kill9();
    data.remove();
  });
  broker = await spawnBroker({ dataDir: data.dir, openFilesMax });
  c = await RawClient.connect(broker.port);
  t.match(await createTopic(c, 'many', partitions.length), { name: 'many', errorCode: 0 }, 'CreateTopics of 400 partitions succeeds');
  t.same([...new Set(await produceEach(c, 'many', partitions))], [0], 'every partition takes a record');
  const expected = partitions.map((p) => [`many-${p}`]);
  t.same(await fetchEach(c, 'many', partitions), expected, 'every partition reads its record back');
  const other = await RawClient.connect(broker.port);
  t.match(await createTopic(other, 'after', 1), { name: 'after', errorCode: 0 }, 'the broker goes on serving other clients');
  other.close();
  c.close();
  t.equal(await broker.stop(), 0, 'SIGTERM: exit code 0');
  t.notMatch(broker.output(), /BUG|EMFILE|\n\s+at /, 'no BUG line, no EMFILE, no stack trace');

  broker = await spawnBroker({ dataDir: data.dir, openFilesMax });
  c = await RawClient.connect(broker.port);
  const md = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.equal(md.topics.find((tp) => tp.name === 'many')?.partitions.length, partitions.length, 'the restart serves all 400 partitions');
  t.same(await fetchEach(c, 'many', partitions), expected, 'and their records');
  c.close();
  t.equal(await broker.stop(), 0);
});
