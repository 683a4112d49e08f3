import t from 'tap';
import { CRC32C_NATIVE_MIN_BYTES, crc32c as crc32cDispatch, crc32cNative, crc32cTs } from './crc32c.js';
import { twinTest } from './twins.js';

// Every test runs against the TypeScript twin and the addon (twins.ts).
const impls = { ts: crc32cTs, native: crc32cNative };

/** Bit-at-a-time reference, obviously correct and slow. */
function crc32cReference(buf: Buffer, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= buf[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

twinTest('check value of "123456789"', impls, async (t, crc32c) => {
  t.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
});

twinTest('empty input is 0', impls, async (t, crc32c) => {
  t.equal(crc32c(Buffer.alloc(0)), 0);
  t.equal(crc32c(Buffer.from('abc'), 2, 2), 0);
});

twinTest('RFC 3720 B.4 vectors', impls, async (t, crc32c) => {
  t.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa, '32 zero bytes');
  t.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43, '32 0xFF bytes');
  const inc = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) inc[i] = i;
  t.equal(crc32c(inc), 0x46dd794e, 'incrementing 0x00..0x1F');
  const dec = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) dec[i] = 31 - i;
  t.equal(crc32c(dec), 0x113fdb5c, 'decrementing 0x1F..0x00');
  const pdu = Buffer.from(
    '01c00000000000000000000000000000' + '14000000000004000000001400000018' + '28000000000000000200000000000000',
    'hex',
  );
  t.equal(crc32c(pdu), 0xd9963a56, 'iSCSI read command PDU');
});

twinTest('a sub-range equals the CRC of the copied bytes', impls, async (t, crc32c) => {
  const buf = Buffer.from('xx123456789yy', 'ascii');
  t.equal(crc32c(buf, 2, 11), 0xe3069283);
});

twinTest('matches the bitwise reference at every length and alignment', impls, async (t, crc32c) => {
  let seed = 12345;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 16;
  };
  const buf = Buffer.alloc(300);
  for (let i = 0; i < buf.length; i++) buf[i] = rand() & 0xff;
  let mismatches = 0;
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= buf.length; end += 1) {
      if (crc32c(buf, start, end) !== crc32cReference(buf, start, end)) mismatches++;
    }
  }
  t.equal(mismatches, 0);
});

twinTest('result is an unsigned 32-bit number', impls, async (t, crc32c) => {
  const v = crc32c(Buffer.alloc(32, 0xff));
  t.ok(v > 0 && v <= 0xffffffff && Number.isInteger(v));
});

twinTest('a range outside the buffer throws', impls, async (t, crc32c) => {
  const buf = Buffer.alloc(4);
  t.throws(() => crc32c(buf, 0, 5), RangeError);
  t.throws(() => crc32c(buf, 3, 2), RangeError);
  t.throws(() => crc32c(buf, -1, 2), RangeError);
});

t.test('crc32c hands ranges of CRC32C_NATIVE_MIN_BYTES and more to the addon, with equal results', async (t) => {
  const buf = Buffer.alloc(4096);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31 + 7) & 0xff;
  for (const len of [0, 1, CRC32C_NATIVE_MIN_BYTES - 1, CRC32C_NATIVE_MIN_BYTES, CRC32C_NATIVE_MIN_BYTES + 1, 1000, 4093])
    t.equal(crc32cDispatch(buf, 3, 3 + len), crc32cTs(buf, 3, 3 + len), `length ${len}`);
  t.throws(() => crc32cDispatch(buf, 0, buf.length + 1), RangeError);
  t.throws(() => crc32cDispatch(buf, 0.5, 200), RangeError);
});

twinTest('large inputs: every length around the lane sizes of the hardware path', { ts: crc32cTs, native: crc32cNative }, async (t, crc32c) => {
  // 3 × 256 and 3 × 8192 bytes are where native/src/crc32c.rs switches lane sizes.
  const buf = Buffer.alloc(3 * 8192 * 2 + 64);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  let mismatches = 0;
  for (const base of [768, 1536, 24576, 49152])
    for (let d = -9; d <= 9; d++)
      for (const start of [0, 1, 5]) if (crc32c(buf, start, start + base + d) !== crc32cReference(buf, start, start + base + d)) mismatches++;
  t.equal(mismatches, 0);
});
