import t from 'tap';
import { Reader, Writer } from './wire.js';

t.test('uvarint round trip at the 7-bit boundaries', async (t) => {
  for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 0xffffffff]) {
    const w = new Writer(1);
    w.uvarint(v);
    const r = new Reader(w.finish());
    t.equal(r.uvarint(), v);
    t.equal(r.remaining, 0);
    t.equal(r.error, null);
  }
});

t.test('zigzag varint and varlong', async (t) => {
  for (const v of [0, -1, 1, -64, 63, -(2 ** 31), 2 ** 31 - 1]) {
    const w = new Writer(1);
    w.varint(v);
    t.equal(new Reader(w.finish()).varint(), v);
  }
  for (const v of [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, 1234567890123n]) {
    const w = new Writer(1);
    w.varlong(v);
    t.equal(new Reader(w.finish()).varlong(), v);
  }
  const w = new Writer();
  w.varint(-1);
  t.same([...w.finish()], [1], 'zigzag -1 is one byte 0x01');
});

t.test('a length past the end sets a sticky error and never allocates', async (t) => {
  const w = new Writer();
  w.int32(0x7ffffff0);
  const r = new Reader(w.finish());
  t.equal(r.nullableBytes()?.length ?? -1, 0);
  t.match(r.error, /need 2147483632 bytes/);
  t.equal(r.int32(), 0, 'reads after the error return zero');
  t.throws(() => r.check());
});

t.test('array count larger than the remaining bytes is refused', async (t) => {
  const w = new Writer();
  w.int32(1_000_000);
  w.int32(1);
  const r = new Reader(w.finish());
  t.equal(r.arrayCount(4), 0);
  t.match(r.error, /array count 1000000/);
});

t.test('unknown tagged fields are skipped, known ones read', async (t) => {
  const w = new Writer();
  const a = new Writer();
  a.int32(42);
  w.taggedFields([
    [0, a.finish()],
    [7, Buffer.from([1, 2, 3])],
  ]);
  w.int8(9);
  const r = new Reader(w.finish());
  let seen = 0;
  r.taggedFields((tag, f) => {
    if (tag !== 0) return false;
    seen = f.int32();
    return true;
  });
  t.equal(seen, 42);
  t.equal(r.int8(), 9);
  t.equal(r.error, null);
});
