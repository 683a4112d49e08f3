/**
 * A broker's copy of the metadata log, fetched from a real controller (a combined node's
 * CONTROLLER listener) over the inter-broker client: topics created, changed and deleted through
 * the client listener reach the copy and its image, promptly (long poll), byte for byte; the copy
 * survives a restart and resumes from its end; an offset the controller never had stops it.
 */
import t from 'tap';
import { Broker } from '../broker.js';
import { MemoryFileIO } from '../log/file-io.js';
import { silentLogger } from '../logger.js';
import { NodeClient } from '../net/node-client.js';
import { ErrorCode } from '../protocol/errors.js';
import { CreateTopics, DeleteTopics, IncrementalAlterConfigs } from '../protocol/generated/index.js';
import { RawClient } from '../../compat-tests/raw-client.js';
import { tmpDataDir, until } from '../../compat-tests/harness.js';
import { MetadataImage } from './image.js';
import { MetadataFetcher } from './metadata-fetcher.js';
import { MetadataLog } from './metadata-log.js';
import type { MetadataRecord } from './records.js';

const data = tmpDataDir('sluice-metadata-fetcher-');
let broker: Broker;
let client: RawClient;
let channel: NodeClient;

t.before(async () => {
  broker = await Broker.start({ dataDir: data.dir, logger: silentLogger, overrides: ['listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0', 'controller.listener.names=CONTROLLER'] });
  client = await RawClient.connect(broker.listenPort);
  channel = new NodeClient({ host: '127.0.0.1', port: broker.controllerPort, clientId: 'broker-2', requestTimeoutMs: 10_000, connectTimeoutMs: 2000, reconnectBackoffMs: 50, inFlightMax: 1, responseBytesMax: 16 << 20 });
});
t.teardown(async () => {
  channel?.close();
  client?.close();
  await broker?.stop();
  data.remove();
});

function follower(io: MemoryFileIO, seen: MetadataRecord[], errors: string[] = []): { log: MetadataLog; image: MetadataImage; fetcher: MetadataFetcher } {
  const log = MetadataLog.open('/b2', io);
  const image = new MetadataImage();
  log.replay(image);
  const fetcher = new MetadataFetcher(channel, log, image, (r) => seen.push(...r), { nodeId: 2, maxWaitMs: 5000, backoffMs: 50, maxBytes: 1 << 20, onError: (m) => errors.push(m) });
  return { log, image, fetcher };
}


function createTopic(name: string, numPartitions: number): Promise<number> {
  return client
    .request(CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })
    .then((r) => r.topics[0]!.errorCode);
}

t.test('the copy follows the controller: catch-up, then each change within the long poll', async (t) => {
  t.equal(await createTopic('before', 2), ErrorCode.NONE);
  const io = new MemoryFileIO();
  io.mkdir('/b2');
  const seen: MetadataRecord[] = [];
  const f = follower(io, seen);
  f.fetcher.start();
  await f.fetcher.caughtUp;
  t.equal(f.image.topicsByName.get('before')?.topicId, broker.image.topicsByName.get('before')?.topicId, 'the same topic id');
  t.equal(f.log.logEndOffset, broker.metadataLog.logEndOffset);
  t.equal(f.fetcher.appliedOffset, broker.image.lastOffset);

  const t0 = Date.now();
  t.equal(await createTopic('after', 3), ErrorCode.NONE);
  t.ok(await until('a new topic arrives', () => f.image.topicsByName.has('after')), 'a new topic arrives');
  t.ok(Date.now() - t0 < 2000, `within ${Date.now() - t0} ms, not at the end of the 5 s long poll`);
  t.equal(f.image.topicsByName.get('after')?.partitions.length, 3);
  t.ok(seen.some((r) => r.type === 'Topic' && r.name === 'after'), 'the publisher was handed the records');

  const altered = await client.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'after', configs: [{ name: 'retention.ms', configOperation: 0, value: '1234' }] }], validateOnly: false });
  t.equal(altered.responses[0]!.errorCode, ErrorCode.NONE);
  t.ok(await until('a config change arrives', () => f.image.topicsByName.get('after')?.configs.get('retention.ms') === '1234'), 'a config change arrives');
  const deleted = await client.request(DeleteTopics, 6, { topics: [{ name: 'before', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 1000 });
  t.equal(deleted.responses[0]!.errorCode, ErrorCode.NONE);
  t.ok(await until('a deletion arrives', () => !f.image.topicsByName.has('before')), 'a deletion arrives');
  await f.fetcher.stop();

  const bytes = (log: { read(o: bigint, m: number): Buffer | null }): Buffer => log.read(0n, 1 << 24) ?? Buffer.alloc(0);
  t.ok(bytes(f.log).equals(bytes(broker.metadataLog)), 'the copy is the controller log, byte for byte');

  // Restart: the copy replays into a fresh image and resumes from its end.
  f.log.close();
  const seen2: MetadataRecord[] = [];
  const again = follower(io, seen2);
  t.ok(again.image.topicsByName.has('after') && !again.image.topicsByName.has('before'), 'replayed from the copy');
  again.fetcher.start();
  t.equal(await createTopic('third', 1), ErrorCode.NONE);
  t.ok(await until('a topic created after the restart arrives', () => again.image.topicsByName.has('third')), 'a topic created after the restart arrives');
  t.ok(seen2.every((r) => !(r.type === 'Topic' && r.name === 'after')), 'nothing fetched twice');
  await again.fetcher.stop();
  again.log.close();
});

t.test('a copy ahead of the controller (another cluster history) stops with one clear error', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/b2');
  const seen: MetadataRecord[] = [];
  const errors: string[] = [];
  const f = follower(io, seen, errors);
  // Fill the copy past the controller's end with records of its own.
  for (let i = 0; i < 50; i++) f.log.append([{ type: 'FeatureLevel', name: `x${i}`, level: 1 }]);
  f.fetcher.start();
  t.ok(await until('the error', () => errors.length > 0), 'an error was reported');
  t.match(errors[0], /another cluster's metadata/);
  await f.fetcher.stop();
  f.log.close();
});
