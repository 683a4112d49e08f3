/**
 * The decompression pool: large compressed batches are checked in a worker thread (a Promise),
 * small ones and uncompressed ones at once; a bomb is refused by the worker; a full queue answers
 * REQUEST_TIMED_OUT instead of decompressing on the event loop; no workers means inline.
 */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../logger.js';
import { rng } from '../native/twins.js';
import { crc32c } from '../native/crc32c.js';
import { buildRecordBatch, validateBatches } from './record-batch.js';
import { RecordCheckPool } from './decompress-pool.js';
import { checkRecords, checkRecordsStreamed, type RecordCheck } from './batch-records.js';

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

/** A gzip batch around `section` claiming `count` records (valid header and CRC). */
function gzipAround(section: Buffer, count: number): Buffer {
  const head = buildRecordBatch([{ key: null, value: null }]).subarray(0, 61);
  const b = Buffer.concat([head, gzipSync(section)]);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt16BE(1, 21);
  b.writeInt32BE(count - 1, 23);
  b.writeInt32BE(count, 57);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

t.test('streamed and whole checks give the same answers, records cut across 64-byte chunks', async (t) => {
  const r = rng(7);
  const outcomes = new Map<string, number>();
  let mismatches = 0;
  const runs = 1500;
  for (let i = 0; i < runs; i++) {
    const n = 1 + r(8);
    const records = Array.from({ length: n }, (_, k) => ({
      key: r(4) === 0 ? null : Buffer.alloc(r(40), 107),
      value: Buffer.alloc(r(r(5) === 0 ? 400 : 60), 118),
      headers: r(3) === 0 ? [{ key: 'h', value: Buffer.from('v') }] : [],
      timestamp: BigInt(k),
    }));
    let section: Buffer = buildRecordBatch(records, { timestampMs: 0n }).subarray(61);
    for (let k = r(3); k > 0; k--) {
      const at = r(section.length);
      section = r(2) === 0 ? Buffer.concat([section.subarray(0, at), Buffer.from([r(256)]), section.subarray(at + r(2))]) : Buffer.concat([section.subarray(0, at), section.subarray(at + 1)]);
    }
    const batch = gzipAround(section, r(6) === 0 ? Math.max(1, n + r(3) - 1) : n);
    const info = { ...infoOf(batch) };
    // Half the runs hold record times to [base, base + 0..7] ms: records past it are named.
    const o = { ...opts, compacted: r(2) === 0, timestampBounds: r(2) === 0 ? { nowMs: info.baseTimestamp, beforeMaxMs: 0n, afterMaxMs: BigInt(r(8)) } : null };
    const whole = checkRecords(batch, info, o);
    const streamed = await checkRecordsStreamed(batch, info, o, 64);
    const key = whole.ok ? 'ok' : `${whole.errorCode} ${whole.message.replace(/-?\d+/g, 'N').slice(0, 60)}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    if (JSON.stringify(whole) !== JSON.stringify(streamed) && mismatches++ < 5) t.same(streamed, whole, `run ${i}`);
  }
  t.equal(mismatches, 0, `${runs} runs`);
  t.ok([...outcomes.keys()].some((k) => k.startsWith('32 ')), 'some runs refused records for their time (INVALID_TIMESTAMP)');
  t.ok(outcomes.size >= 8, `${outcomes.size} outcomes:\n${[...outcomes].map(([k, c]) => `  ${c} ${k}`).join('\n')}`);
});

t.test('streamed: garbage gzip and a bomb', async (t) => {
  const garbage = gzipAround(Buffer.alloc(0), 1);
  garbage.fill(0x55, 61);
  garbage.writeUInt32BE(crc32c(garbage, 21), 17);
  const g = (await checkRecordsStreamed(garbage, infoOf(garbage), opts)) as RecordCheck & { ok: false };
  t.equal(g.errorCode, 87);
  t.match(g.message, /cannot be read: gzip/);
  const bomb = gzipBatch(32 << 20);
  const b = (await checkRecordsStreamed(bomb, infoOf(bomb), opts)) as RecordCheck & { ok: false };
  t.equal(b.errorCode, 10);
});
