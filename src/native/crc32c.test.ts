import t from 'tap';
import { crc32c } from './crc32c.js';

/** Bit-at-a-time reference, obviously correct and slow. */
function crc32cReference(buf: Buffer, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= buf[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

t.test('check value of "123456789"', async (t) => {
  t.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
});

t.test('empty input is 0', async (t) => {
  t.equal(crc32c(Buffer.alloc(0)), 0);
  t.equal(crc32c(Buffer.from('abc'), 2, 2), 0);
});

t.test('RFC 3720 B.4 vectors', async (t) => {
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

t.test('a sub-range equals the CRC of the copied bytes', async (t) => {
  const buf = Buffer.from('xx123456789yy', 'ascii');
  t.equal(crc32c(buf, 2, 11), 0xe3069283);
});

t.test('matches the bitwise reference at every length and alignment', async (t) => {
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

t.test('result is an unsigned 32-bit number', async (t) => {
  const v = crc32c(Buffer.alloc(32, 0xff));
  t.ok(v > 0 && v <= 0xffffffff && Number.isInteger(v));
});

t.test('a range outside the buffer throws', async (t) => {
  const buf = Buffer.alloc(4);
  t.throws(() => crc32c(buf, 0, 5), RangeError);
  t.throws(() => crc32c(buf, 3, 2), RangeError);
  t.throws(() => crc32c(buf, -1, 2), RangeError);
});
