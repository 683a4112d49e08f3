/**
 * The decompression pool: large compressed batches are checked in a worker thread (a Promise),
 * small ones and uncompressed ones at once; a bomb is refused by the worker; a full queue answers
 * REQUEST_TIMED_OUT instead of decompressing on the event loop; no workers means inline.
 */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../logger.js';
import { crc32c } from '../native/crc32c.js';
import { buildRecordBatch, validateBatches } from './record-batch.js';
import { RecordCheckPool } from './decompress-pool.js';
import type { RecordCheck } from './batch-records.js';

/** A gzip batch of one record with `bytes` zero bytes of value. */
function gzipBatch(bytes: number): Buffer {
  const plain = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.alloc(bytes) }]);
  const section = gzipSync(plain.subarray(61));
  const b = Buffer.concat([plain.subarray(0, 61), section]);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt16BE(1, 21);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

function infoOf(b: Buffer) {
  const v = validateBatches(b, { maxBatchBytes: 1 << 20 });
  if (!v.ok) throw new Error(v.message);
  return v.batches[0]!;
}

const opts = { compacted: false, decompressedBytesMax: 16 << 20, topicPartition: 't-0' };

t.test('large compressed batches go to a worker; small ones are checked at once', async (t) => {
  const pool = new RecordCheckPool(silentLogger, 1, 4);
  t.teardown(() => pool.close());
  const small = gzipBatch(1000);
  t.same(pool.check(small, infoOf(small), opts), { ok: true }, 'small: a value, not a Promise');
  const large = gzipBatch(8 << 20);
  t.ok(large.length > 4096, 'the large batch is over the inline limit');
  const pending = pool.check(large, infoOf(large), opts);
  t.ok(pending instanceof Promise, 'large: checked in a worker');
  t.same(await pending, { ok: true });
  const bomb = gzipBatch(32 << 20);
  const refused = (await pool.check(bomb, infoOf(bomb), opts)) as RecordCheck & { ok: false };
  t.equal(refused.errorCode, 10, 'the bomb: MESSAGE_TOO_LARGE from the worker');
  t.equal(pool.pending, 0);
});

t.test('a full queue answers REQUEST_TIMED_OUT rather than decompressing on the event loop', async (t) => {
  const pool = new RecordCheckPool(silentLogger, 1, 0);
  t.teardown(() => pool.close());
  const large = gzipBatch(8 << 20);
  const r = pool.check(large, infoOf(large), opts) as RecordCheck & { ok: false };
  t.equal(r.errorCode, 7);
  t.match(r.message, /send this one again/);
});

t.test('without workers every batch is checked inline', async (t) => {
  const pool = new RecordCheckPool(silentLogger, 0, 4);
  const large = gzipBatch(8 << 20);
  t.same(pool.check(large, infoOf(large), opts), { ok: true });
  await pool.close();
});
