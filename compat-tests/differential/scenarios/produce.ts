/**
 * Produce: offsets at every version both brokers serve (3-11), acks 0/1/-1 and invalid acks, and
 * the error paths a client can reach (unknown topic or partition, corrupt or oversized batches,
 * timestamps, a removed version).
 */
import type { Scenario, Target } from '../framework.js';
import { requestFrame, decodeResponse } from '../../raw-client.js';
import { Metadata, Produce, type ProduceResponsePartitionProduceResponse } from '../../../src/protocol/generated/index.js';
import { BASE_TS, batch, createTopic, listOffset, produce, withoutMessages } from './util.js';
import { buildRecordBatch } from '../../../src/log/record-batch.js';

/**
 * What a client reads from a partition's produce answer (all the fields of the version) except the
 * error message, which the `messages` observations compare apart.
 */
function answer(p: ProduceResponsePartitionProduceResponse): unknown {
  return masked(withoutMessages(p));
}

/** Record error texts name the bounds in epoch milliseconds (now +- the limit): masked as <time>. */
function masked(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/-?\d{12,}/g, '<time>');
  if (Array.isArray(v)) return v.map(masked);
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, masked(x)]));
  return v;
}

/** Exists-without-creating check: Metadata v12 with auto-creation off. */
async function topicError(t: Target, topic: string): Promise<number> {
  const md = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.errorCode;
}

export const produceScenarios: Scenario[] = [
  {
    name: 'produce-versions',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-produce', 2));
      for (let v = 3; v <= 11; v++) {
        const res = await t.request(Produce, v, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: 'dp-produce', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: batch(2, `v${v}-`) }, { index: 1, records: batch(1, `v${v}-`) }] }],
        });
        // Partitions in index order: Kafka answers them in its own map order; clients match by index.
        const sorted = res.responses.map((r) => ({ ...r, partitionResponses: [...r.partitionResponses].sort((a, b) => a.index - b.index) }));
        see.see(`v${v}`, withoutMessages({ ...res, responses: sorted }));
      }
      // Two batches in one partition's records: one append, the base offset of the first.
      see.see('two-batches', answer(await produce(t, 'dp-produce', 0, Buffer.concat([batch(2, 'a'), batch(3, 'b')]))));
      see.see('end-offset', (await listOffset(t, 'dp-produce', 0, -1n)).offset);
      // A client-chosen base offset is overwritten.
      see.see('client-base-offset', answer(await produce(t, 'dp-produce', 1, batch(1, 'c', { baseOffset: 1000n }))));
    },
  },
  {
    name: 'produce-acks',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-acks'));
      // acks=0: no answer at all; the next request's answer is the next frame.
      const c = await t.connect();
      c.write(requestFrame(Produce, 7, 100, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'dp-acks', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: batch(1, 'zero') }] }] }));
      c.write(requestFrame(Metadata, 1, 101, { topics: [], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
      const frame = await c.nextFrame();
      see.see('acks0/next-frame-correlation', frame ? frame.readInt32BE(0) : 'closed');
      if (frame) decodeResponse(Metadata, 1, frame, 101);
      for (const acks of [1, -1]) {
        for (const v of [3, 7, 9, 11]) see.see(`acks${acks}/v${v}`, answer(await produce(t, 'dp-acks', 0, batch(1, `a${acks}`), { version: v, acks })));
      }
      for (const acks of [2, -2, 5]) {
        for (const v of [3, 7, 9]) see.see(`acks${acks}/v${v}`, answer(await produce(t, 'dp-acks', 0, batch(1, 'bad'), { version: v, acks })));
      }
      // acks=0 with an error: still no answer, and nothing appended.
      c.write(requestFrame(Produce, 7, 102, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'dp-acks-missing', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: batch(1, 'zero') }] }] }));
      c.write(requestFrame(Metadata, 1, 103, { topics: [], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
      const frame2 = await c.nextFrame();
      see.see('acks0-unknown-topic/next-frame-correlation', frame2 ? frame2.readInt32BE(0) : 'closed');
      see.see('end-offset', (await listOffset(t, 'dp-acks', 0, -1n)).offset);
      // min.insync.replicas above the one replica: acks=-1 refused (NOT_ENOUGH_REPLICAS), acks=1 not.
      see.code('create-min-isr', await createTopic(t, 'dp-min-isr', 1, { 'min.insync.replicas': '2' }));
      for (const acks of [-1, 1]) see.see(`min-isr-2/acks${acks}`, answer(await produce(t, 'dp-min-isr', 0, batch(1, 'isr'), { version: 9, acks })));
    },
  },
  {
    name: 'produce-errors',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-errors'));
      for (const v of [3, 7, 9, 11]) {
        see.see(`unknown-topic/v${v}`, answer(await produce(t, 'dp-no-such-topic', 0, batch(1), { version: v })));
        see.see(`unknown-partition/v${v}`, answer(await produce(t, 'dp-errors', 7, batch(1), { version: v })));
        see.see(`negative-partition/v${v}`, answer(await produce(t, 'dp-errors', -1, batch(1), { version: v })));
      }
      // Produce never creates a topic, even with auto.create.topics.enable=true.
      see.code('unknown-topic/after', await topicError(t, 'dp-no-such-topic'));

      const corrupt = batch(3, 'crc');
      corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff;
      for (const v of [3, 7, 9]) see.see(`bad-crc/v${v}`, answer(await produce(t, 'dp-errors', 0, corrupt, { version: v })));

      const magic1 = batch(1, 'm');
      magic1[16] = 1;
      see.see('magic1', answer(await produce(t, 'dp-errors', 0, magic1)));

      const truncated = batch(3, 'tr').subarray(0, 40);
      see.see('truncated-batch', answer(await produce(t, 'dp-errors', 0, truncated)));
      see.see('empty-records', answer(await produce(t, 'dp-errors', 0, Buffer.alloc(0))));

      // Too large for the topic's max.message.bytes, and for the broker's default.
      see.code('create-small', await createTopic(t, 'dp-small', 1, { 'max.message.bytes': '200' }));
      for (const v of [3, 7, 9]) see.see(`too-large-topic/v${v}`, answer(await produce(t, 'dp-small', 0, batch(1, 'big', {}, 400), { version: v })));
      see.see('fits-topic', answer(await produce(t, 'dp-small', 0, batch(1, 'ok', {}, 10))));
      see.see('too-large-default', answer(await produce(t, 'dp-errors', 0, batch(1, 'huge', {}, 1_100_000))));
      // Within max.message.bytes but larger than a segment: RECORD_LIST_TOO_LARGE.
      see.code('create-segment', await createTopic(t, 'dp-segment', 1, { 'segment.bytes': '1048576', 'max.message.bytes': '2000000' }));
      see.see('larger-than-segment', answer(await produce(t, 'dp-segment', 0, batch(1, 'seg', {}, 1_100_000))));
      see.see('fits-segment', answer(await produce(t, 'dp-segment', 0, batch(1, 'seg', {}, 1_000_000))));

      // Timestamps: an hour in the past and the far past are fine (no before bound by default).
      // A compacted topic refuses records without a key, naming each in record_errors.
      see.code('create-compacted', await createTopic(t, 'dp-compacted', 1, { 'cleanup.policy': 'compact' }));
      const keyless = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }, { key: null, value: Buffer.from('v') }], { timestampMs: BASE_TS });
      see.see('compacted-keyless', withoutMessages({ ...(await produce(t, 'dp-compacted', 0, keyless)), recordErrors: 'compared apart' }));
      see.see('compacted-keyless/record-errors', (await produce(t, 'dp-compacted', 0, keyless)).recordErrors.map((e) => e.batchIndex));
      see.see('ts-past', answer(await produce(t, 'dp-errors', 0, batch(1, 'past', { timestampMs: BASE_TS - 3_600_000n }))));
      see.see('ts-no-timestamp', answer(await produce(t, 'dp-errors', 0, buildRecordBatch([{ key: Buffer.from('nots'), value: null, timestamp: -1n }], { timestampMs: -1n }))));
      // LogAppendTime topics answer with the append time.
      see.code('create-lat', await createTopic(t, 'dp-log-append-time', 1, { 'message.timestamp.type': 'LogAppendTime' }));
      for (const v of [3, 7, 9]) {
        see.see(`log-append-time/v${v}`, answer(await produce(t, 'dp-log-append-time', 0, batch(1, 'lat'), { version: v })));
        // Append times a few ms apart: two appends in one millisecond tie, and the earlier offset
        // then holds the max timestamp on both brokers, but whether they tie is the machine's luck.
        await new Promise((r) => setTimeout(r, 5));
      }
      // ListOffsets by time on a LogAppendTime topic: every record carries its append time.
      const lat = await listOffset(t, 'dp-log-append-time', 0, BASE_TS, { version: 7 });
      see.see('log-append-time/list-by-create-time', lat.offset);
      see.see('log-append-time/max-timestamp', (await listOffset(t, 'dp-log-append-time', 0, -3n, { version: 7 })).offset);
      see.see('end-offset', (await listOffset(t, 'dp-errors', 0, -1n)).offset);
      // A whole batch and the first bytes of another (last: Kafka appends the whole one).
      see.see('trailing-partial-batch', answer(await produce(t, 'dp-errors', 0, Buffer.concat([batch(1, 'whole'), batch(2, 'cut').subarray(0, 30)]))));
      // Whether the answer explains the error in error_message (v8+).
      see.see('messages', {
        unknownTopic: (await produce(t, 'dp-no-such-topic', 0, batch(1), { version: 9 })).errorMessage !== null,
        unknownPartition: (await produce(t, 'dp-errors', 7, batch(1), { version: 9 })).errorMessage !== null,
        badCrc: (await produce(t, 'dp-errors', 0, corrupt, { version: 9 })).errorMessage !== null,
        magic1: (await produce(t, 'dp-errors', 0, magic1, { version: 9 })).errorMessage !== null,
        tooLarge: (await produce(t, 'dp-small', 0, batch(1, 'big', {}, 400), { version: 9 })).errorMessage !== null,
      });
    },
  },
  {
    name: 'produce-null-records',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-null-records'));
      // Null records for a partition: Kafka 4.1 never answers (the request fails inside the
      // broker), so wait briefly and record what came back.
      const c = await t.connect();
      c.write(requestFrame(Produce, 9, 200, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'dp-null-records', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: null }] }] }));
      let got: unknown;
      try {
        const frame = await c.nextFrame(3000);
        got = frame === null ? 'closed' : withoutMessages(decodeResponse(Produce, 9, frame, 200));
      } catch (e) {
        got = (e as Error).message.replace(/\d+ ms/, 'N ms');
      }
      see.see('v9', got);
    },
  },
  {
    name: 'produce-timestamp-bounds',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-ts-bounds'));
      // Two days ahead: beyond log.message.timestamp.after.max.ms (1 h by default in Kafka 4).
      see.see('ts-future', answer(await produce(t, 'dp-ts-bounds', 0, batch(1, 'fut', { timestampMs: BASE_TS + 172_800_000n }))));
      // A negative time other than -1: Kafka's lower bound (now - Long.MAX_VALUE) lets it through.
      see.see('ts-negative', answer(await produce(t, 'dp-ts-bounds', 0, buildRecordBatch([{ key: Buffer.from('neg'), value: null, timestamp: -5n }], { timestampMs: -5n }))));
    },
  },
  {
    name: 'produce-removed-version',
    async run(t, see) {
      // Kafka 4 advertises Produce min 0 (for librdkafka) but serves only v3 and above.
      for (const v of [0, 2]) {
        const c = await t.connect();
        try {
          const res = await c.request(Produce, v, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'dp-removed', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: batch(1) }] }] });
          see.see(`v${v}`, withoutMessages(res));
        } catch (e) {
          see.see(`v${v}`, (e as Error).message);
        }
      }
    },
  },
];
