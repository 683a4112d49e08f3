// Fuzz: random and mutated bodies (truncated, bit-flipped, lengths made huge, random bytes) for
// every API and version, requests and responses. Decoding must never throw and never hang; it
// either succeeds or leaves the Reader's sticky error. And it must never build more array
// elements than the bytes could hold (no allocation from an unchecked length).

import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadDefinitions } from '../../protocol/definitions.js';
import { sampleMessage } from '../../protocol/samples.js';
import type { ApiCodec } from './api-codec.js';
import { apiCodecs } from './generated/index.js';
import { Reader, Writer } from './wire.js';
import { prng } from '../../compat-tests/torture/common.js';

const apis = loadDefinitions(fileURLToPath(new URL('../../../protocol/messages', import.meta.url)));

/** Array elements in a decoded value, counted recursively. */
function elements(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, e) => n + 1 + elements(e), 0);
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    let n = 0;
    for (const x of Object.values(v)) n += elements(x);
    return n;
  }
  return 0;
}

function mutations(valid: Buffer, rnd: () => number): Buffer[] {
  const out: Buffer[] = [];
  const at = (): number => Math.floor(rnd() * Math.max(1, valid.length));
  for (let i = 0; i < 3; i++) out.push(valid.subarray(0, at()));
  for (let i = 0; i < 5; i++) {
    const b = Buffer.from(valid);
    if (b.length > 0) b[at()]! ^= 1 << Math.floor(rnd() * 8);
    out.push(b);
  }
  for (let i = 0; i < 2; i++) {
    const b = Buffer.from(valid);
    for (let j = 0; j < 4 && b.length > 0; j++) b[at()] = Math.floor(rnd() * 256);
    out.push(b);
  }
  // Huge lengths: an int32 0x7fffffff or a 5-byte uvarint of 2^32-1 where a length might be.
  for (const huge of [Buffer.from('7fffffff', 'hex'), Buffer.from('ffffffff0f', 'hex'), Buffer.from('fffffff7', 'hex')]) {
    const p = at();
    out.push(Buffer.concat([valid.subarray(0, p), huge, valid.subarray(p + huge.length)]));
  }
  for (let i = 0; i < 2; i++) {
    const b = Buffer.alloc(Math.floor(rnd() * 64));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
    out.push(b);
  }
  return out;
}

t.test('mutated bodies only ever give the sticky decode error', async (t) => {
  const rnd = prng(20240611);
  let cases = 0;
  let decodedFine = 0;
  const started = Date.now();
  for (const api of apis) {
    const codec = apiCodecs.get(api.key) as ApiCodec<unknown, unknown>;
    for (let v = api.versions.lo; v <= api.versions.hi; v++) {
      for (const msg of [api.request, api.response]) {
        const w = new Writer();
        const sample = sampleMessage(msg.root, v, { nulls: false, arrayLength: 2 });
        if (msg.side === 'request') codec.encodeRequest(w, v, sample);
        else codec.encodeResponse(w, v, sample);
        const valid = Buffer.from(w.finish());
        for (const bytes of mutations(valid, rnd)) {
          cases++;
          const r = new Reader(bytes);
          let value: unknown;
          try {
            value = msg.side === 'request' ? codec.decodeRequest(r, v) : codec.decodeResponse(r, v);
          } catch (e) {
            t.fail(`${msg.name} v${v} threw on ${bytes.toString('hex')}: ${(e as Error).stack}`);
            return;
          }
          if (r.error === null) decodedFine++;
          const n = elements(value);
          if (n > 2 * bytes.length + 2) {
            t.fail(`${msg.name} v${v}: ${n} array elements from ${bytes.length} bytes`);
            return;
          }
        }
      }
    }
  }
  t.ok(cases > 3000, `${cases} cases (${decodedFine} still decoded) in ${Date.now() - started} ms`);
});

t.test('undefined versions and empty input', async (t) => {
  for (const api of apis) {
    const codec = apiCodecs.get(api.key)!;
    for (const v of [api.versions.lo - 1, api.versions.hi + 1, 1.5, NaN]) {
      const r = new Reader(Buffer.alloc(8));
      t.doesNotThrow(() => codec.decodeRequest(r, v));
      if (r.error === null) t.fail(`${api.name} v${v} decoded`);
    }
    for (let v = api.versions.lo; v <= api.versions.hi; v++) {
      const r = new Reader(Buffer.alloc(0));
      codec.decodeRequest(r, v);
      const empty = api.request.root.fields.every((f) => f.versions === null || v < f.versions.lo || v > f.versions.hi);
      const flexible = api.flexible !== null && v >= api.flexible.lo;
      if (!empty || flexible) t.not(r.error, null, `${api.name} v${v}: empty body is an error`);
    }
  }
});
