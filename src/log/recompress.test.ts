/**
 * recompressForAppend (recompress.ts), Kafka's LogValidator rewrite to the topic's codec: which
 * batches are rewritten, what the rewritten batch keeps (producer fields, bits, record times and
 * bytes) and renumbers, the size re-checks, and the config reading (targetCompressionFrom).
 */
import t from 'tap';
import { validateBatches, type BatchInfo } from '../native/batch.js';
import { loadZstdTwin } from '../native/zstd-compress.js';
import { ErrorCode } from '../protocol/errors.js';
import { readRawRecords } from './batch-records.js';
import { rebuildBatch } from './batch-rebuild.js';
import { DEFAULT_LEVELS } from './compression-encoders.js';
import { PRODUCER_COMPRESSION, recompressForAppend, targetCompressionFrom, type TargetCompression } from './recompress.js';
import { BatchField, buildRecordBatch, Compression, decodeRecords } from './record-batch.js';

await loadZstdTwin();

const LIMITS = { maxBatchBytes: 1 << 20, segmentBytes: 1 << 30, decompressedBytesMax: 32 << 20, topicPartition: 't-0' };
const BASE = 1_700_000_000_000n;

function produced(codec: number, opts: { producerId?: bigint; isTransactional?: boolean } = {}): Buffer {
  const plain = buildRecordBatch(
    [3n, 0n, 7n].map((d, i) => ({ key: Buffer.from(`k${i}`), value: i === 1 ? null : Buffer.from(`value ${i} `.repeat(30)), timestamp: BASE + d, headers: [{ key: 'h', value: Buffer.from([i]) }] })),
    { timestampMs: BASE, producerId: opts.producerId ?? -1n, producerEpoch: opts.producerId === undefined ? -1 : 4, baseSequence: opts.producerId === undefined ? -1 : 17, isTransactional: opts.isTransactional ?? false },
  );
  return codec === Compression.none ? plain : rebuildBatch(plain, readRawRecords(plain)!, { deleteHorizonMs: null, codec });
}

function infoOf(batch: Buffer): BatchInfo {
  const v = validateBatches(batch, { maxBatchBytes: 1 << 20 });
  if (!v.ok) throw new Error(v.message);
  return v.batches[0]!;
}

const to = (codec: number | null): TargetCompression => ({ codec, levels: DEFAULT_LEVELS });

t.test('kept as sent: compression.type producer, the same codec, a control batch', async (t) => {
  const zstd = produced(Compression.zstd);
  t.equal(recompressForAppend(zstd, infoOf(zstd), PRODUCER_COMPRESSION, LIMITS), null, 'producer');
  t.equal(recompressForAppend(zstd, infoOf(zstd), to(Compression.zstd), LIMITS), null, 'already zstd, whatever its level');
  const plain = produced(Compression.none);
  t.equal(recompressForAppend(plain, infoOf(plain), to(Compression.none), LIMITS), null, 'already uncompressed');
  const control = buildRecordBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { isControl: true, producerId: 5n, producerEpoch: 0, isTransactional: true });
  const cv = validateBatches(control, { maxBatchBytes: 1 << 20, origin: 'internal' });
  if (!cv.ok) throw new Error(cv.message);
  t.equal(recompressForAppend(control, cv.batches[0]!, to(Compression.zstd), LIMITS), null, 'a control batch');
});

t.test('rewritten to every other codec: header fields kept, records renumbered, times and bytes kept', async (t) => {
  for (const from of [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
    for (const into of [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      if (from === into) continue;
      const batch = produced(from, { producerId: 99n, isTransactional: true });
      const out = recompressForAppend(batch, infoOf(batch), to(into), LIMITS);
      if (out === null || !out.ok) {
        t.fail(`${from} -> ${into}: not rewritten`);
        continue;
      }
      const b = out.records;
      const info = out.batches[0]!;
      const name = `${from} -> ${into}`;
      t.equal(info.compression, into, `${name}: codec`);
      t.equal(info.producerId, 99n, `${name}: producer id`);
      t.equal(info.producerEpoch, 4, `${name}: epoch`);
      t.equal(info.baseSequence, 17, `${name}: sequence`);
      t.equal(info.isTransactional, true, `${name}: transactional`);
      t.equal(info.recordCount, 3);
      t.equal(b.readInt32BE(BatchField.lastOffsetDelta), 2, `${name}: lastOffsetDelta`);
      t.equal(b.readBigInt64BE(BatchField.baseTimestamp), BASE + 3n, `${name}: baseTimestamp is the first record's time, as Kafka's builder writes it`);
      t.equal(b.readBigInt64BE(BatchField.maxTimestamp), BASE + 7n, `${name}: maxTimestamp`);
      const before = readRawRecords(batch)!;
      const after = readRawRecords(b)!;
      t.same(
        after.map((r) => [r.offsetDelta, r.timestamp, r.key, r.value, r.headers]),
        before.map((r, i) => [i, r.timestamp, r.key, r.value, r.headers]),
        `${name}: records`,
      );
      if (into === Compression.none) t.same(decodeRecords(b).map((r) => r.offset), [0n, 1n, 2n]);
    }
  }
});

t.test('too large once rewritten: MESSAGE_TOO_LARGE or RECORD_LIST_TOO_LARGE with Kafka\'s messages', async (t) => {
  const big = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.alloc(20_000, 0x61) }], { timestampMs: BASE });
  const gz = rebuildBatch(big, readRawRecords(big)!, { deleteHorizonMs: null, codec: Compression.gzip });
  const tooLarge = recompressForAppend(gz, infoOf(gz), to(Compression.none), { ...LIMITS, maxBatchBytes: 2000 });
  t.same(tooLarge && !tooLarge.ok ? [tooLarge.errorCode, tooLarge.message] : null, [ErrorCode.MESSAGE_TOO_LARGE, `Message batch size is ${big.length} bytes in append to partition t-0 which exceeds the maximum configured size of 2000.`]);
  const segment = recompressForAppend(gz, infoOf(gz), to(Compression.none), { ...LIMITS, segmentBytes: 5000 });
  t.equal(segment && !segment.ok ? segment.errorCode : null, ErrorCode.RECORD_LIST_TOO_LARGE);
});

t.test('targetCompressionFrom: compression.type and the KIP-390 levels from the effective configs', async (t) => {
  t.same(targetCompressionFrom(new Map()), PRODUCER_COMPRESSION);
  t.same(targetCompressionFrom(new Map([['compression.type', 'producer']])).codec, null);
  t.same(targetCompressionFrom(new Map([['compression.type', 'uncompressed']])).codec, Compression.none);
  t.same(
    targetCompressionFrom(new Map([['compression.type', 'zstd'], ['compression.zstd.level', '19'], ['compression.gzip.level', '1'], ['compression.lz4.level', '17']])),
    { codec: Compression.zstd, levels: { gzip: 1, lz4: 17, zstd: 19 } },
  );
});
