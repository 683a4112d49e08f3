import t from 'tap';
import { decodeRequestHeader, encodeRequestHeader, encodeResponseFrame } from './header.js';
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
  t.equal(v0.toString('hex'), '00000006' + '00000009' + '0000');
  const v1 = encodeResponseFrame(9, 1, (w) => w.int16(0));
  t.equal(v1.toString('hex'), '00000007' + '00000009' + '00' + '0000');
});
