/**
 * A compacted topic read back after the cleaner ran, on both brokers given the same topic
 * settings: segments roll every 100 ms (segment.ms), any dirty ratio is cleanable, tombstones are
 * kept (delete.retention.ms a day) so that their removal, which depends on the cleaner's timing,
 * is not compared. The scenario writes five batches 150 ms apart (each rolls a segment), then
 * polls a fetch until every key below the active segment appears once (20 s at most) and records
 * what a consumer reads: offsets, keys, values and tombstones. The latest value per key is also
 * recorded before any cleaning (deterministic on both).
 */
import type { Scenario, Target } from '../framework.js';
import { Fetch, ListOffsets, Produce } from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { fetchRequest } from '../../raw-client.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../../../src/log/record-batch.js';
import { createTopic, sleep } from './group-util.js';

const ZERO_UUID = Buffer.alloc(16);
const TOPIC = 'dc-compact';

interface Read {
  offset: string;
  key: string | null;
  value: string | null;
}

/**
 * What a consumer reads from `from` to the high watermark: fetches repeated from the offset after
 * the last record (Kafka answers a fetch from one segment only, Sluice may span segments; the
 * records delivered are what compares).
 */
async function readAll(t: Target, from = 0n): Promise<{ error: string; highWatermark: string; logStartOffset: string; records: Read[] }> {
  const records: Read[] = [];
  let next = from;
  for (let i = 0; i < 50; i++) {
    const res = await t.request(Fetch, 11, fetchRequest(TOPIC, 0, next));
    const p = res.responses[0]!.partitions[0]!;
    const batches = p.records === null || p.records.length === 0 ? [] : splitBatches(p.records);
    for (const b of batches) {
      for (const r of decodeRecords(b)) {
        if (r.offset < next) continue;
        records.push({ offset: r.offset.toString(), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
      }
      // A cleaned batch may end with removed records: continue after its last offset.
      const last = b.readBigInt64BE(0) + BigInt(b.readInt32BE(23));
      if (last + 1n > next) next = last + 1n;
    }
    if (p.errorCode !== 0 || batches.length === 0 || next >= p.highWatermark) {
      return { error: errorName(p.errorCode), highWatermark: p.highWatermark.toString(), logStartOffset: p.logStartOffset.toString(), records };
    }
  }
  throw new Error('readAll: no end after 50 fetches');
}

function latestPerKey(records: Read[]): Record<string, string | null> {
  const out = new Map<string, string | null>();
  for (const r of records) if (r.key !== null) out.set(r.key, r.value);
  // Sorted by key: the order of first appearance depends on whether the cleaner ran already.
  return Object.fromEntries([...out].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

export const compaction: Scenario[] = [
  {
    name: 'compacted-topic',
    async run(t, see) {
      see.see(
        'create',
        await createTopic(t, TOPIC, 1, {
          'cleanup.policy': 'compact',
          'segment.ms': '100',
          'min.cleanable.dirty.ratio': '0.01',
          'min.compaction.lag.ms': '0',
          'delete.retention.ms': '86400000',
        }),
      );
      const writes: Array<Array<[string, string | null]>> = [
        [['k1', 'v1'], ['k2', 'v1'], ['k3', 'v1']],
        [['k1', 'v2'], ['k2', null]],
        [['k3', 'v2'], ['k4', 'v1']],
        [['k1', 'v3']],
        [['k5', 'v1']],
      ];
      for (const [i, w] of writes.entries()) {
        const records = buildRecordBatch(w.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v) })));
        const res = await t.request(Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] });
        const p = res.responses[0]!.partitionResponses[0]!;
        see.see(`produce-${i}`, { error: errorName(p.errorCode), baseOffset: p.baseOffset.toString() });
        await sleep(150);
      }
      const before = await readAll(t);
      see.see('latest-per-key', latestPerKey(before.records));
      see.see('high-watermark', before.highWatermark);
      // Keyless records are refused on a compacted topic.
      const keyless = await t.request(Produce, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: TOPIC, topicId: ZERO_UUID, partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from('x') }]) }] }],
      });
      see.see('keyless', { error: errorName(keyless.responses[0]!.partitionResponses[0]!.errorCode), recordErrors: keyless.responses[0]!.partitionResponses[0]!.recordErrors.map((e) => e.batchIndex) });
      // The last batch sits in the active segment, which is never cleaned: wait until every
      // earlier key appears once.
      const until = Date.now() + 20000;
      let after = before;
      for (;;) {
        after = await readAll(t);
        const cleanable = after.records.filter((r) => BigInt(r.offset) < 8n).map((r) => r.key);
        if (new Set(cleanable).size === cleanable.length || Date.now() > until) break;
        await sleep(250);
      }
      see.see('cleaned', after);
      see.see('cleaned/latest-per-key', latestPerKey(after.records));
      for (const [label, timestamp] of [['earliest', -2n], ['latest', -1n]] as const) {
        const lo = await t.request(ListOffsets, 4, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
          timeoutMs: 0,
        });
        const x = lo.topics[0]!.partitions[0]!;
        see.see(`list-offsets-${label}`, { error: errorName(x.errorCode), offset: x.offset.toString() });
      }
      // A consumer resuming in the middle of the cleaned range reads from the next record kept.
      const mid = await readAll(t, 1n);
      see.see('read-from-1', mid.records[0] ?? null);
    },
  },
];
