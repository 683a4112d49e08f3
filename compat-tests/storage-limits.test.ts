/**
 * The broker at the edges of its storage (issue 10, findings 4 and 7), as a spawned process:
 * a file descriptor limit (`ulimit -n`) far below what its partitions' files would need open at
 * once, and a data directory on a small file system that fills up.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fetchRequest, RawClient } from './raw-client.js';
import { spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../src/log/record-batch.js';
import { ApiVersions, CreateTopics, Fetch, Metadata, Produce } from '../src/protocol/generated/index.js';

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
  const req = fetchRequest(topic, partitions, 0n, { maxBytes: 64 << 20, partitionMaxBytes: 1 << 16 });
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

/** Connections that the broker accepted and answered, opened until it cannot take more (or `max`). */
async function exhaustDescriptors(port: number, max: number): Promise<RawClient[]> {
  const held: RawClient[] = [];
  for (let i = 0; i < max; i++) {
    const c = await RawClient.connect(port).catch(() => null);
    if (c === null) break;
    const answered = await c.request(ApiVersions, 3, { clientSoftwareName: 'fd-hog', clientSoftwareVersion: '1' }).then(
      () => true,
      () => false,
    );
    if (!answered) break; // accepted and closed at once: the broker is out of descriptors
    held.push(c);
  }
  return held;
}

t.test('out of descriptors at run time: CreateTopics is refused with a clear KAFKA_STORAGE_ERROR (or served), never BUG, and works again', async (t) => {
  const openFilesMax = 256;
  const data = tmpDataDir('sluice-emfile-');
  let broker: BrokerProcess | undefined;
  let c: RawClient | undefined;
  let held: RawClient[] = [];
  t.teardown(async () => {
    for (const h of held) h.close();
    c?.close();
    await broker?.kill9();
    data.remove();
  });
  broker = await spawnBroker({ dataDir: data.dir, openFilesMax });
  c = await RawClient.connect(broker.port);
  held = await exhaustDescriptors(broker.port, openFilesMax);
  const acknowledged: string[] = [];
  const during = await createTopic(c, 'during', 8);
  t.ok(during.errorCode === 0 || during.errorCode === 56, `CreateTopics while ${held.length} connections hold the descriptors: error code ${during.errorCode}`);
  if (during.errorCode === 56) t.match(during.errorMessage, /EMFILE|ENFILE/, 'the message names the cause');
  else acknowledged.push('during');
  for (const h of held.splice(0)) h.close();
  // The broker sees the closes in its own time: ask until it answers NONE (at most 100 tries).
  let after = -1;
  for (let i = 0; i < 100 && after !== 0; i++) {
    after = (await createTopic(c, 'after', 8)).errorCode;
    if (after !== 0) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(after, 0, 'once the connections are gone, CreateTopics works');
  c.close();
  t.equal(await broker.stop(), 0, 'SIGTERM: exit code 0');
  t.notMatch(broker.output(), /BUG|\n\s+at /, 'no BUG line, no stack trace');

  broker = await spawnBroker({ dataDir: data.dir, openFilesMax });
  c = await RawClient.connect(broker.port);
  const md = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const names = md.topics.map((tp) => tp.name!);
  t.same(names.filter((n) => n === 'during'), acknowledged, 'the restart has the topic exactly when it was acknowledged');
  t.equal(await broker.stop(), 0);
});

t.test('connections are capped by what the open-file limit leaves beside the log files: a flood meets max.connections, not EMFILE', async (t) => {
  const openFilesMax = 256; // log files get (256 - 64) / 2 = 96; connections the other 96
  const data = tmpDataDir('sluice-conn-fds-');
  const sockets: Socket[] = [];
  let broker: BrokerProcess | undefined;
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await broker?.stop();
    data.remove();
  });
  broker = await spawnBroker({ dataDir: data.dir, openFilesMax });
  t.match(broker.output(), /max\.connections 10000 lowered to 96/, 'the start-up log says so');
  for (let i = 0; i < 150; i++) {
    const s = connect({ host: '127.0.0.1', port: broker.port, localAddress: '127.0.0.2' });
    s.on('error', () => {});
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 500));
  const open = sockets.filter((s) => !s.destroyed && !s.closed).length;
  t.ok(open <= 96, `${open} of 150 connections stayed open`);
  // Once they have been idle for a second, a newcomer takes the place of one of them.
  await new Promise((r) => setTimeout(r, 1200));
  const c = await RawClient.connect(broker.port);
  const res = await c.request(ApiVersions, 3, { clientSoftwareName: 'newcomer', clientSoftwareVersion: '1' });
  c.close();
  t.equal(res.errorCode, 0, 'a newcomer is served');
  t.notMatch(broker.output(), /EMFILE|BUG/, 'the broker never ran out of descriptors');
});

/** Mounts an 8 MiB tmpfs on a new temp directory; null (and why) when this machine does not allow it. */
function mountSmallFs(): { dir: string; unmount: () => void } | { problem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-full-'));
  const res = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { encoding: 'utf8' });
  if (res.status !== 0) {
    rmdirSync(dir);
    return { problem: `mount -t tmpfs is not permitted here (${(res.stderr || res.error?.message || `exit ${res.status}`).trim()})` };
  }
  return {
    dir,
    unmount: () => {
      spawnSync('umount', [dir]);
      rmdirSync(dir);
    },
  };
}

/** Writes a file until the file system refuses another byte (ENOSPC); returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'a');
  try {
    for (const chunk of [1 << 20, 4096, 1]) {
      const buf = Buffer.alloc(chunk);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

const smallFs = mountSmallFs();
const DISK_FULL = 'disk full: CreateTopics answers KAFKA_STORAGE_ERROR, works once space is free, SIGTERM exits 0, a restart shows exactly the acknowledged topics';
t.test(DISK_FULL, { skip: 'problem' in smallFs ? smallFs.problem : false }, async (t) => {
  const fs = smallFs as Exclude<typeof smallFs, { problem: string }>;
  let broker: BrokerProcess | undefined;
  let c: RawClient | undefined;
  t.teardown(async () => {
    c?.close();
    await broker?.kill9();
    fs.unmount();
  });
  const dataDir = join(fs.dir, 'data');
  broker = await spawnBroker({ dataDir });
  c = await RawClient.connect(broker.port);
  t.match(await createTopic(c, 'before', 1), { errorCode: 0 });

  let filler = fill(fs.dir);
  for (const name of ['while-full', 'while-full', 'while-full-2']) {
    t.match(await createTopic(c, name, 2), { name, errorCode: 56, errorMessage: /Free disk space/ }, `${name}: KAFKA_STORAGE_ERROR`);
  }
  unlinkSync(filler);
  t.match(await createTopic(c, 'after-free', 2), { errorCode: 0 }, 'the next CreateTopics works once space is free');

  filler = fill(fs.dir);
  c.close();
  const code = await broker.stop();
  t.equal(code, 0, 'SIGTERM while the disk is full: exit code 0');
  t.notMatch(broker.output(), /BUG|\n\s+at /, 'no BUG line, no stack trace');
  t.ok(broker.output().split('\n').filter((l) => / (WARN|ERROR) /.test(l)).length <= 1, 'at most one line reports the logs it could not close');
  unlinkSync(filler);

  broker = await spawnBroker({ dataDir });
  c = await RawClient.connect(broker.port);
  const md = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.same(md.topics.map((tp) => tp.name).sort(), ['after-free', 'before'], 'exactly the acknowledged topics');
  t.same(await produceEach(c, 'after-free', [0, 1]), [0, 0], 'and they take records');
  c.close();
  t.equal(await broker.stop(), 0);
});
