/**
 * Differential tests: the addon's validateBatches and assignOffsets against their TypeScript twins
 * on random and mutated payloads (same result, error message included), plus the native wrapper's
 * own edge cases and the SLUICE_NATIVE policy. The named edge cases of validation are in
 * src/log/record-batch.test.ts, which runs them against both implementations.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildRecordBatch, type RecordInput } from '../log/record-batch.js';
import { addon, describeNative, nativeStatus } from './addon.js';
import {
  BatchField,
  VALIDATE_NATIVE_MIN_BYTES,
  assignOffsetsNative,
  assignOffsetsTs,
  validateBatches,
  validateBatchesNative,
  validateBatchesTs,
  type ValidateOptions,
} from './batch.js';
import { crc32cTs } from './crc32c.js';
import { nativeTest, rng, twinTest } from './twins.js';

function randomBatch(r: (n: number) => number): Buffer {
  const records: RecordInput[] = [];
  const n = 1 + r(r(4) === 0 ? 60 : 4);
  for (let i = 0; i < n; i++)
    records.push({
      key: r(3) === 0 ? null : Buffer.alloc(r(20), r(256)),
      value: r(5) === 0 ? null : Buffer.alloc(r(r(8) === 0 ? 3000 : 100), r(256)),
      timestamp: 1_700_000_000_000n + BigInt(r(10_000)) - 5000n,
      headers: r(4) === 0 ? [{ key: 'h', value: Buffer.from('v') }] : [],
    });
  const producerId = r(3) === 0 ? BigInt(r(1 << 30)) * BigInt(1 + r(1 << 20)) : -1n;
  return buildRecordBatch(records, {
    producerId,
    producerEpoch: producerId >= 0n ? r(5) : -1,
    baseSequence: producerId >= 0n ? (r(10) === 0 ? -1 : r(1 << 30)) : -1,
    isTransactional: r(6) === 0,
    isControl: r(15) === 0,
    timestampType: r(15) === 0 ? 1 : 0,
    baseOffset: r(8) === 0 ? BigInt(r(1000)) : 0n,
    partitionLeaderEpoch: r(3) - 1,
  });
}

function recrc(buf: Buffer, pos: number): void {
  if (pos + BatchField.attributes > buf.length) return;
  const size = 12 + buf.readInt32BE(pos + BatchField.batchLength);
  if (size < 61 || pos + size > buf.length) return;
  buf.writeUInt32BE(crc32cTs(buf, pos + BatchField.attributes, pos + size), pos + BatchField.crc);
}

/** One random change of the kinds a broken or hostile client produces. */
function mutate(buf: Buffer, r: (n: number) => number): Buffer {
  const b = Buffer.from(buf);
  switch (r(9)) {
    case 0: // a bit flip anywhere; the CRC catches it unless it is outside the CRC
      if (b.length > 0) b[r(b.length)]! ^= 1 << r(8);
      return b;
    case 1: // a bit flip in the header, CRC fixed up so the header checks are reached
      if (b.length > 61) {
        b[r(61)]! ^= 1 << r(8);
        recrc(b, 0);
      }
      return b;
    case 2: // truncation
      return b.subarray(0, r(b.length + 1));
    case 3: // batchLength rewritten
      if (b.length >= 12) b.writeInt32BE([0, 48, 49, b.length - 12, b.length - 11, 0x7fffffff, -1, r(1 << 20)][r(8)]!, 8);
      return b;
    case 4: // a field the checks read, set to an edge value, CRC fixed up
      if (b.length >= 61) {
        const at = [BatchField.lastOffsetDelta, BatchField.recordsCount, BatchField.baseSequence][r(3)]!;
        b.writeInt32BE([0, -1, 1, 0x7fffffff, -0x80000000, r(100)][r(6)]!, at);
        recrc(b, 0);
      }
      return b;
    case 5: // attributes: compression 5..7, control, LogAppendTime, transactional
      if (b.length >= 61) {
        b.writeInt16BE(r(0x80), BatchField.attributes);
        recrc(b, 0);
      }
      return b;
    case 6: // magic
      if (b.length > 16) b.writeInt8([0, 1, 2, 3, -1, 127][r(6)]!, 16);
      return b;
    case 7: // trailing garbage
      return Buffer.concat([b, Buffer.alloc(r(70), r(256))]);
    default: // producer id without sequence, or a non-zero base offset
      if (b.length >= 61) {
        if (r(2) === 0) b.writeBigInt64BE(BigInt(r(1000)), BatchField.producerId);
        else b.writeBigInt64BE(BigInt(r(3)), 0);
        recrc(b, 0);
      }
      return b;
  }
}

function randomOptions(r: (n: number) => number, buf: Buffer): ValidateOptions {
  const near = (x: number): number => Math.max(0, x + r(5) - 2);
  const opts: ValidateOptions = { maxBatchBytes: [1 << 20, near(buf.length), Number.MAX_SAFE_INTEGER, 61][r(4)]! };
  if (r(2) === 0) opts.origin = r(2) === 0 ? 'client' : 'internal';
  if (r(3) === 0) opts.segmentBytes = [near(buf.length), 1 << 30][r(2)]!;
  return opts;
}

const native = validateBatchesNative;

nativeTest('differential: random and mutated payloads give identical results', native, async (t, validateNative) => {
  const r = rng(20240611);
  const kinds = new Map<string, number>();
  let mismatches = 0;
  const cases = 20_000;
  for (let i = 0; i < cases; i++) {
    const batches = [randomBatch(r)];
    while (r(4) === 0) batches.push(randomBatch(r));
    let buf: Buffer = Buffer.concat(batches);
    const rounds = r(3);
    for (let k = 0; k < rounds; k++) buf = mutate(buf, r);
    const opts = randomOptions(r, buf);
    const a = validateBatchesTs(buf, opts);
    const b = validateNative(buf, opts);
    const key = a.ok ? 'ok' : `error ${a.errorCode} ${a.message.replace(/-?\d+/g, 'N')}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
    if (JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) !== JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))) {
      if (mismatches++ < 5) t.same(b, a, `case ${i}: ${buf.length} bytes, ${JSON.stringify(opts)}`);
    }
  }
  t.equal(mismatches, 0, `${cases} cases`);
  // The mutations must reach most outcomes, or the comparison proves little.
  t.ok(kinds.size >= 18, `${kinds.size} distinct outcomes:\n${[...kinds].map(([k, n]) => `  ${n} ${k}`).join('\n')}`);
  t.ok((kinds.get('ok') ?? 0) > cases / 10, 'many payloads are valid');
});

nativeTest('differential: assignOffsets writes the same bytes', assignOffsetsNative, async (t, assignNative) => {
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const buf = Buffer.concat([randomBatch(r), randomBatch(r)]);
    const infos = validateBatchesTs(buf, { maxBatchBytes: Infinity, origin: 'internal' });
    if (!infos.ok) continue;
    const a = Buffer.from(buf);
    const b = Buffer.from(buf);
    const base = [0n, 1n, BigInt(r(1 << 30)) << 20n, 0x7fffffffffff0000n, -1n][r(5)]!;
    const epoch = [0, 7, -1, 0x7fffffff, -0x80000000, 2.7, -0.5, NaN][r(8)]!; // Buffer truncates fractions, as N-API does
    for (const info of infos.batches) {
      assignOffsetsTs(a, info, base + BigInt(info.position), epoch);
      assignNative(b, info, base + BigInt(info.position), epoch);
    }
    if (!a.equals(b)) {
      t.fail(`case ${i} differs`);
      return;
    }
  }
  t.pass('200 payloads');
});

twinTest('assignOffsets refuses what Buffer writes refuse', { ts: assignOffsetsTs, native: assignOffsetsNative }, async (t, assign) => {
  const buf = buildRecordBatch([{ key: null, value: Buffer.from('x') }]);
  const info = validateBatchesTs(buf, { maxBatchBytes: 1e6 });
  if (!info.ok) throw new Error(info.message);
  const b = info.batches[0]!;
  t.throws(() => assign(buf, b, 1n << 63n, 0), RangeError, 'baseOffset beyond int64');
  t.throws(() => assign(buf, b, 0n, 0x80000000), RangeError, 'epoch beyond int32');
  t.throws(() => assign(buf, b, 0n, -0x80000001), RangeError, 'epoch below int32');
  t.throws(() => assign(buf, { ...b, position: buf.length - 4 }, 0n, 0), RangeError, 'header past the end');
});

twinTest('more batches than the native scratch holds (256) are all reported', { ts: validateBatchesTs, native }, async (t, validate) => {
  const one = buildRecordBatch([{ key: null, value: Buffer.from('v') }], { timestampMs: 5n });
  const count = 600;
  const buf = Buffer.concat(Array.from({ length: count }, () => one));
  const r = validate(buf, { maxBatchBytes: 1e6, origin: 'internal' });
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.batches.length, count);
  t.same(r.batches.map((b) => b.position), Array.from({ length: count }, (_, i) => i * one.length));
  // A corrupt batch after the first scratch-full is found, and reported at its position.
  const bad = Buffer.from(buf);
  bad[300 * one.length + 40]! ^= 1;
  const e = validate(bad, { maxBatchBytes: 1e6, origin: 'internal' });
  t.same(e, validateBatchesTs(bad, { maxBatchBytes: 1e6, origin: 'internal' }));
  t.equal(e.ok, false);
});

twinTest('limits compare as JavaScript does: NaN, Infinity, undefined', { ts: validateBatchesTs, native }, async (t, validate) => {
  const buf = buildRecordBatch([{ key: null, value: Buffer.from('x') }]);
  t.ok(validate(buf, { maxBatchBytes: NaN }).ok, 'NaN never fails');
  t.ok(validate(buf, { maxBatchBytes: Infinity, segmentBytes: Infinity }).ok);
  t.ok(validate(buf, { maxBatchBytes: buf.length + 0.5 }).ok);
  t.equal(validate(buf, { maxBatchBytes: buf.length - 0.5 }).ok, false);
  t.ok(validate(buf, { maxBatchBytes: 1e6, segmentBytes: undefined }).ok);
});

t.test('validateBatches uses the addon when it is loaded, with the same results', async (t) => {
  t.equal(VALIDATE_NATIVE_MIN_BYTES, 0, 'the addon won at every size measured');
  const buf = buildRecordBatch([{ key: null, value: Buffer.from('x') }], { timestampMs: 1n });
  t.same(validateBatches(buf, { maxBatchBytes: 1e6 }), validateBatchesTs(buf, { maxBatchBytes: 1e6 }));
  t.same(validateBatches(Buffer.alloc(0), { maxBatchBytes: 1e6 }), validateBatchesTs(Buffer.alloc(0), { maxBatchBytes: 1e6 }));
});

t.test('native arguments are checked', { skip: addon === null ? `native addon not loaded: ${nativeStatus().reason}` : false }, async (t) => {
  const a = addon!;
  const buf = buildRecordBatch([{ key: null, value: Buffer.from('x') }]);
  const out = Buffer.alloc(80);
  t.throws(() => a.validateBatches(buf, 0, 1, 1e6, NaN, buf), /overlaps/, 'output over the input');
  t.throws(() => a.validateBatches(buf, buf.length + 1, 1, 1e6, NaN, out), RangeError, 'start past the end');
  t.throws(() => (a.validateBatches as (...x: unknown[]) => number)('x', 0, 1, 1e6, NaN, out), /must be a Buffer/);
  t.throws(() => (a.crc32c as (...x: unknown[]) => number)(buf, 0), TypeError, 'too few arguments');
  t.throws(() => a.crc32c(buf, 0, buf.length + 1), RangeError);
  t.equal(a.validateBatches(buf, 0, 1, 1e6, NaN, out), 1);
});

t.test('describeNative says which implementation runs', async (t) => {
  const line = describeNative();
  if (nativeStatus().loaded) t.match(line, /^native addon loaded/);
  else t.match(line, /running on the TypeScript implementations$/);
});

t.test('SLUICE_NATIVE: off is honoured, an unknown value refuses to start', async (t) => {
  const addonModule = new URL('./addon.js', import.meta.url).href;
  const run = (value: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(addonModule)}); console.log(JSON.stringify(m.nativeStatus()), m.describeNative());`], {
      env: { ...process.env, SLUICE_NATIVE: value },
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
  const off = run('off');
  t.equal(off.status, 0, off.stderr);
  t.match(off.stdout, /"loaded":false,"reason":"SLUICE_NATIVE=off"/);
  t.match(off.stdout, /running on the TypeScript implementations/);
  const bad = run('yes');
  t.not(bad.status, 0);
  t.match(bad.stderr, /SLUICE_NATIVE must be off, auto or require, got "yes"/);
  if (nativeStatus().loaded) {
    const req = run('require');
    t.equal(req.status, 0, req.stderr);
    t.match(req.stdout, /"loaded":true/);
  }
});
