/**
 * Malformed records never reach a consumer (issue 10, finding 2), seen by the consumers the issue
 * named: before the fix kcat and confluent-kafka refetched forever, kafka-python could not read
 * offset 0 and kafkajs crashed. Here the five kinds of malformed record the issue found are sent
 * between two good records, each inside a batch whose header and CRC are valid; then every client
 * reads the partition from the beginning and gets exactly the two good records, and stops.
 */
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { crc32c } from '../src/native/crc32c.js';
import { BatchField, buildRecordBatch, Compression, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../src/log/record-batch.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { CreateTopics, Produce } from '../src/protocol/generated/index.js';
import { parseRecordLines, python, requireTool, run, spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient } from './raw-client.js';

const TOPIC = 'malformed-read';
const data = tmpDataDir();
let broker: BrokerProcess;

t.before(async () => {
  requireTool('kcat');
  requireTool('confluent_kafka');
  requireTool('kafka');
  broker = await spawnBroker({ dataDir: data.dir });
});
t.teardown(async () => {
  await broker?.stop();
  data.remove();
});

const now = () => BigInt(Date.now());
const good = (v: string) => buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from(v), timestamp: now() }]);

/** `batch` with its records section replaced (compression bits set to `codec`), length and CRC fixed. */
function withSection(batch: Buffer, section: Buffer, codec: number = Compression.none, recordsCount?: number): Buffer {
  const out = Buffer.concat([batch.subarray(0, RECORD_BATCH_OVERHEAD), section]);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchField.batchLength);
  out.writeInt16BE((out.readInt16BE(BatchField.attributes) & ~7) | codec, BatchField.attributes);
  if (recordsCount !== undefined) {
    // Header and lastOffsetDelta agree, so only the records themselves disagree with the count.
    out.writeInt32BE(recordsCount, BatchField.recordsCount);
    out.writeInt32BE(recordsCount - 1, BatchField.lastOffsetDelta);
  }
  out.writeUInt32BE(crc32c(out, BatchField.attributes), BatchField.crc);
  return out;
}

/** The five kinds of malformed record the issue reproduced, each in a batch with a valid CRC. */
function malformed(): Array<[string, Buffer]> {
  const three = buildRecordBatch([0, 1, 2].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: now() })));
  const section = Buffer.from(three.subarray(RECORD_BATCH_OVERHEAD));
  // Record 0: length varint, attributes, timestampDelta, offsetDelta, key length (2: 'k0'), key, value length.
  const valueLengthAt = 1 + 1 + 1 + 1 + 1 + 2;
  const badVarint = Buffer.from(section);
  badVarint[valueLengthAt] = 0x0d; // zigzag -7
  const pastBatch = Buffer.from(section);
  pastBatch[0] = 0x7e; // record length 63, past what is left
  const badHeaders = Buffer.from(section);
  const firstLength = section[0]! >> 1;
  badHeaders[1 + firstLength - 5] = 0x01; // header count of record 0 (before its 4 header bytes): -1 where 1 was
  return [
    ['bad varint lengths', withSection(three, badVarint)],
    ['record count mismatch', withSection(three, section, Compression.none, 4)],
    ['lengths past the batch', withSection(three, pastBatch)],
    ['bad header counts', withSection(three, badHeaders)],
    ['garbage compressed payload', withSection(three, gzipSync(Buffer.from('not records at all, not at all')), Compression.gzip)],
  ];
}

t.test('the five malformed kinds are refused; kcat, confluent-kafka, kafka-python and kafkajs read only the good records', async (t) => {
  const c = await RawClient.connect(broker.port);
  const produce = async (records: Buffer) => {
    const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] });
    return res.responses[0]!.partitionResponses[0]!;
  };
  try {
    await c.request(CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    t.equal((await produce(good('first'))).errorCode, ErrorCode.NONE);
    for (const [kind, batch] of malformed()) {
      const p = await produce(batch);
      t.equal(p.errorCode, ErrorCode.INVALID_RECORD, `${kind}: INVALID_RECORD (${p.errorMessage})`);
    }
    const last = await produce(good('second'));
    t.equal(last.baseOffset, 1n, 'nothing refused was stored: the second good record is at offset 1');
  } finally {
    c.close();
  }

  const kcat = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { timeoutMs: 30_000 });
  t.same(kcat.stdout.trim().split('\n'), ['first', 'second'], 'kcat reads both and stops at the end');
  const values = (out: string) => parseRecordLines(out).map((r) => Buffer.from(r.value!, 'base64').toString());
  t.same(values((await python('ck_read.py', [broker.bootstrap, TOPIC, '1', '--timeout', '20'])).stdout), ['first', 'second'], 'confluent-kafka');
  t.same(values((await python('kp_read.py', [broker.bootstrap, TOPIC, '1', '--timeout', '20'])).stdout), ['first', 'second'], 'kafka-python');

  const consumer = new Kafka({ clientId: 'malformed-read', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: 'malformed-read', maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const read: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${JSON.stringify(read)} in 20 s`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          read.push(message.value!.toString());
          if (read.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    t.same(read, ['first', 'second'], 'kafkajs');
  } finally {
    await consumer.disconnect();
  }
});
