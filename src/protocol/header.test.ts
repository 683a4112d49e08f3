import t from 'tap';
import { decodeRequestHeader, encodeRequestHeader, encodeResponseFrame, RESPONSE_REFERENCE_BYTES_MIN } from './header.js';
import { Reader, Writer } from './wire.js';

t.test('request header v1 bytes: key, version, correlation id, int16-length client id', async (t) => {
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 3, apiVersion: 1, correlationId: 0x01020304, clientId: 'ab' }, 1);
  t.equal(w.finish().toString('hex'), '0003' + '0001' + '01020304' + '0002' + '6162');
  const nullId = new Writer();
  encodeRequestHeader(nullId, { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: null }, 1);
  t.equal(nullId.finish().toString('hex'), '0012000000000001ffff', 'null client id is length -1');
});

t.test('request header v2 keeps the int16 client id and adds an empty tag section', async (t) => {
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'c' }, 2);
  const bytes = w.finish();
  t.equal(bytes.toString('hex'), '0012' + '0003' + '00000007' + '0001' + '63' + '00');
  const r = new Reader(bytes);
  t.same(decodeRequestHeader(r), { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'c' });
  r.taggedFields();
  t.equal(r.remaining, 0);
  t.equal(r.error, null);
});

t.test('response frames: size prefix, correlation id, v1 adds the tag section', async (t) => {
  const v0 = encodeResponseFrame(9, 0, (w) => w.int16(0));
  t.equal(v0.length, 1, 'a small frame is one buffer');
  t.equal(Buffer.concat(v0).toString('hex'), '00000006' + '00000009' + '0000');
  const v1 = encodeResponseFrame(9, 1, (w) => w.int16(0));
  t.equal(Buffer.concat(v1).toString('hex'), '00000007' + '00000009' + '00' + '0000');
});

t.test('response frames: large byte fields are referenced, not copied, and the size counts them', async (t) => {
  const big = Buffer.alloc(RESPONSE_REFERENCE_BYTES_MIN, 0xab);
  const small = Buffer.alloc(RESPONSE_REFERENCE_BYTES_MIN - 1, 0xcd);
  const pieces = encodeResponseFrame(5, 0, (w) => {
    w.int16(7);
    w.bytes(big);
    w.bytes(small);
    w.bytes(big);
    w.int8(1);
  });
  t.equal(pieces.length, 5, 'own bytes, big, own bytes (the small field copied in), big, own bytes');
  t.equal(pieces[1], big, 'the field itself, not a copy');
  t.equal(pieces[3], big);
  const frame = Buffer.concat([...pieces]);
  t.equal(frame.readInt32BE(0), frame.length - 4, 'the size prefix covers the referenced bytes');
  const r = new Reader(frame, 4, frame.length);
  t.equal(r.int32(), 5);
  t.equal(r.int16(), 7);
  t.same(r.bytes(), big);
  t.same(r.bytes(), small);
  t.same(r.bytes(), big);
  t.equal(r.int8(), 1);
  t.equal(r.remaining, 0);
  t.equal(r.error, null);
});

t.test('Writer: finish() refuses once a field was referenced; finishPieces() is one buffer otherwise', async (t) => {
  const w = new Writer(8, 4);
  w.int32(1);
  t.same(w.finishPieces(), [Buffer.from([0, 0, 0, 1])]);
  w.bytes(Buffer.from('abcd'));
  t.equal(w.length, 12);
  t.throws(() => w.finish(), /finishPieces/);
  t.same(Buffer.concat(w.finishPieces()), Buffer.from([0, 0, 0, 1, 0, 0, 0, 4, 0x61, 0x62, 0x63, 0x64]));
});
