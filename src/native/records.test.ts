/**
 * The record walker (records.ts) and its Rust twin (walk_records in native/src/batch.rs, reached
 * through validateBatches on uncompressed client batches): one named case per fault, run against
 * both, and a differential run over records mutated the ways a broken client mutates them (bit
 * flips, edge varints, bytes inserted or removed, counts that lie), CRC fixed up so the walk is
 * reached. Plus the 'stored' mode the cleaner and internal topics read with.
 */
import t from 'tap';
import { Writer } from '../protocol/wire.js';
import { BatchField, validateBatchesNative, validateBatchesTs, type ValidateResult } from './batch.js';
import { crc32cTs } from './crc32c.js';
import { RecordFault, walkRecords } from './records.js';
import { nativeTest, rng, twinTest } from './twins.js';

interface Spec {
  offsetDelta?: number;
  keyLength?: number;
  valueLength?: number;
  headerCount?: number;
  headers?: number[];
  lengthDelta?: number;
  /** Raw bytes instead of the encoded body. */
  raw?: number[];
}

function record(i: number, s: Spec = {}): Buffer {
  const body = new Writer(64);
  if (s.raw) body.raw(Buffer.from(s.raw));
  else {
    body.int8(0);
    body.varlong(BigInt(i * 3));
    body.varint(s.offsetDelta ?? i);
    body.varint(s.keyLength ?? (i % 3 === 1 ? -1 : 2));
    if ((s.keyLength ?? 2) > 0 && i % 3 !== 1) body.raw(Buffer.from('kk'));
    body.varint(s.valueLength ?? 3);
    if ((s.valueLength ?? 3) > 0) body.raw(Buffer.from('vvv').subarray(0, Math.min(3, s.valueLength ?? 3)));
    body.varint(s.headerCount ?? 0);
    if (s.headers) body.raw(Buffer.from(s.headers));
  }
  const bytes = body.finish();
  const w = new Writer(bytes.length + 5);
  w.varint(bytes.length + (s.lengthDelta ?? 0));
  w.raw(bytes);
  return Buffer.from(w.finish());
}

/** A client batch (baseOffset 0, no producer) around `section` claiming `count` records. */
function batch(section: Buffer, count: number): Buffer {
  const b = Buffer.alloc(61 + section.length);
  b.writeInt32BE(b.length - 12, BatchField.batchLength);
  b.writeInt32BE(-1, BatchField.partitionLeaderEpoch);
  b.writeInt8(2, BatchField.magic);
  b.writeInt32BE(count - 1, BatchField.lastOffsetDelta);
  b.writeBigInt64BE(1_700_000_000_000n, BatchField.baseTimestamp);
  b.writeBigInt64BE(1_700_000_000_000n, BatchField.maxTimestamp);
  b.writeBigInt64BE(-1n, BatchField.producerId);
  b.writeInt16BE(-1, BatchField.producerEpoch);
  b.writeInt32BE(-1, BatchField.baseSequence);
  b.writeInt32BE(count, BatchField.recordsCount);
  section.copy(b, 61);
  b.writeUInt32BE(crc32cTs(b, BatchField.attributes), BatchField.crc);
  return b;
}

const three = (at: number, s: Spec): Buffer => Buffer.concat([0, 1, 2].map((i) => record(i, i === at ? s : {})));

const cases: Array<[string, Buffer, RegExp]> = [
  ['valid, one null key', batch(three(-1, {}), 3), /^ok$/],
  ['a varint running past the record', batch(Buffer.concat([record(0), record(1, { raw: [0, 0x80] })]), 2), /record 1 ends inside a field/],
  ['a varint longer than 5 bytes', batch(record(0, { raw: [0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0] }), 1), /record 0 has a varint that is too long/],
  ['a varlong longer than 10 bytes', batch(record(0, { raw: [0, ...Array(10).fill(0xff), 0, 0, 0, 0, 0] }), 1), /record 0 has a varint that is too long/],
  ['a negative record length', batch(Buffer.from([0x01]), 1), /record 0 declares a negative length -1/],
  ['a record length past the section', batch(three(2, { lengthDelta: 9 }), 3), /record 2 declares \d+ bytes/],
  ['an offset delta that is not the index', batch(three(1, { offsetDelta: 5 }), 3), /Record 1 has offset delta 5/],
  ['a key length below -1', batch(three(0, { keyLength: -2 }), 3), /Record 0 has invalid key length -2/],
  ['a key past the record', batch(three(0, { keyLength: 30 }), 3), /Record 0 has invalid key length 30/],
  ['a value length below -1', batch(three(2, { valueLength: -3 }), 3), /Record 2 has invalid value length -3/],
  ['a negative header count', batch(three(0, { headerCount: -1 }), 3), /invalid number of record headers -1 in record 0/],
  ['a header count past the record', batch(three(0, { headerCount: 100 }), 3), /invalid number of record headers 100 in record 0/],
  ['a null header key', batch(three(0, { headerCount: 1, headers: [0x01, 0x00] }), 3), /Invalid header key size -1 in record 0/],
  ['a header value length below -1', batch(three(0, { headerCount: 1, headers: [0x02, 0x61, 0x05] }), 3), /Invalid header value size -3 in record 0/],
  ['bytes left inside a record', batch(three(1, { headerCount: 0, headers: [0, 0] }), 3), /expected to read \d+ bytes in record 1, but instead read \d+/],
  ['fewer records than counted', batch(three(-1, {}), 4), /premature EOF reached: 3 of 4 records/],
  ['more bytes than the counted records', batch(three(-1, {}), 2), /records still remaining in file: \d+ bytes after record 1/],
];

const impls = { ts: validateBatchesTs, native: validateBatchesNative };

twinTest('each malformed record is refused with INVALID_RECORD and says where', impls, async (t, validate) => {
  for (const [name, buf, message] of cases) {
    const r = validate(buf, { maxBatchBytes: 1 << 20 });
    if (r.ok) {
      t.match('ok', message, name);
      t.equal(r.batches[0]!.nullKeys, 1, `${name}: null keys counted`);
    } else {
      t.equal(r.errorCode, 87, `${name}: INVALID_RECORD`);
      t.match(r.message, message, name);
    }
  }
});

twinTest('internal batches are not walked (the broker wrote them)', impls, async (t, validate) => {
  const r = validate(batch(three(1, { offsetDelta: 5 }), 3), { maxBatchBytes: 1 << 20, origin: 'internal' });
  t.ok(r.ok);
  if (r.ok) t.equal(r.batches[0]!.nullKeys, -1, 'not walked');
});

t.test("'stored' mode accepts offset gaps (cleaned batches), 'produced' does not", async (t) => {
  const section = Buffer.concat([record(0), record(1, { offsetDelta: 4 })]);
  t.same(walkRecords(section, 0, section.length, 2, 'stored'), { ok: true, nullKeys: 1, timestampDeltaMin: 0, timestampDeltaMax: 3 });
  t.match(walkRecords(section, 0, section.length, 2, 'produced'), { ok: false, fault: RecordFault.offsetDelta, index: 1, a: 4 });
});

twinTest('the walk reports the least and greatest timestamp delta (negative, zero, 10-byte varlongs)', impls, async (t, validate) => {
  const withDelta = (i: number, delta: bigint): Buffer => {
    const body = new Writer(32);
    body.int8(0);
    body.varlong(delta);
    body.varint(i);
    body.varint(-1);
    body.varint(1);
    body.raw(Buffer.from('v'));
    body.varint(0);
    const bytes = body.finish();
    const w = new Writer(bytes.length + 5);
    w.varint(bytes.length);
    w.raw(bytes);
    return Buffer.from(w.finish());
  };
  const cases: Array<[string, bigint[], number, number]> = [
    ['one record', [0n], 0, 0],
    ['deltas around zero', [5n, -7n, 0n, 3n], -7, 5],
    ['two hours ahead', [0n, 7_200_000n], 0, 7_200_000],
    ['past 2^49: the 64-bit value, rounded', [0n, 2n ** 60n + 1n], 0, Number(2n ** 60n)],
    ['the most negative delta', [-(2n ** 63n), 1n], Number(-(2n ** 63n)), 1],
  ];
  for (const [name, deltas, min, max] of cases) {
    const r = validate(batch(Buffer.concat(deltas.map((d, i) => withDelta(i, d))), deltas.length), { maxBatchBytes: 1 << 20 });
    t.ok(r.ok, name);
    if (r.ok) t.same([r.batches[0]!.timestampDeltaMin, r.batches[0]!.timestampDeltaMax], [min, max], name);
  }
  // A 10-byte varlong with bits past 64: dropped, as Kafka's readVarlong does.
  const wide = Buffer.from([0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 1, 1, 0]);
  const framed = Buffer.concat([Buffer.from([wide.length * 2]), wide]);
  const r = validate(batch(framed, 1), { maxBatchBytes: 1 << 20 });
  t.ok(r.ok, 'a 10-byte varlong');
  if (r.ok) t.same([r.batches[0]!.timestampDeltaMin, r.batches[0]!.timestampDeltaMax], [Number(2n ** 63n - 1n), Number(2n ** 63n - 1n)]);
});

const EDGE_VARINTS = [[0x01], [0x7f], [0x80, 0x01], [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff], [0xfe, 0xff, 0xff, 0xff, 0x7f], [0x80]];

/** One mutation of the records section; the header's batchLength follows the section's size. */
function mutateSection(section: Buffer, r: (n: number) => number): Buffer {
  const at = r(section.length + 1);
  switch (r(4)) {
    case 0:
      if (section.length > 0) section[Math.min(at, section.length - 1)]! ^= 1 << r(8);
      return section;
    case 1:
      return Buffer.concat([section.subarray(0, at), Buffer.from(EDGE_VARINTS[r(EDGE_VARINTS.length)]!), section.subarray(at + r(3))]);
    case 2:
      return Buffer.concat([section.subarray(0, at), section.subarray(at + 1 + r(4))]);
    default:
      return Buffer.concat([section.subarray(0, at), Buffer.alloc(1 + r(3), r(256)), section.subarray(at)]);
  }
}

const json = (v: ValidateResult): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

nativeTest('differential: mutated records give identical results', validateBatchesNative, async (t, validateNative) => {
  const r = rng(20261201);
  const outcomes = new Map<string, number>();
  let mismatches = 0;
  const runs = 20_000;
  for (let i = 0; i < runs; i++) {
    const n = 1 + r(6);
    let section: Buffer = Buffer.concat(Array.from({ length: n }, (_, k) => record(k, r(3) === 0 ? { headerCount: 1, headers: [0x02, 0x68, 0x02, 0x76] } : {})));
    const rounds = r(3);
    for (let k = 0; k < rounds; k++) section = mutateSection(section, r);
    const buf = batch(section, r(5) === 0 ? n + r(3) - 1 : n);
    const a = validateBatchesTs(buf, { maxBatchBytes: 1 << 20 });
    const b = validateNative(buf, { maxBatchBytes: 1 << 20 });
    const key = a.ok ? 'ok' : a.message.replace(/-?\d+/g, 'N');
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    if (json(a) !== json(b) && mismatches++ < 5) t.same(b, a, `run ${i}`);
  }
  t.equal(mismatches, 0, `${runs} runs`);
  t.ok(outcomes.size >= 12, `${outcomes.size} distinct outcomes:\n${[...outcomes].map(([k, c]) => `  ${c} ${k}`).join('\n')}`);
});
