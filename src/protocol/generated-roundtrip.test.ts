// Round trip of every API, every version, request and response: a sample built from the
// definitions (not from the generated code) is encoded, decoded, compared, and re-encoded to the
// same bytes. Also checks the encode-side rules: absent non-ignorable fields and nulls throw.

import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { type ApiDef, type MessageDef, inRange, loadDefinitions } from '../../protocol/definitions.js';
import { defaultValue, sampleMessage } from '../../protocol/samples.js';
import { type ApiCodec, requestHeaderVersion, responseHeaderVersion, sameValue } from './api-codec.js';
import { ApiVersions, Metadata, apiCodecs } from './generated/index.js';
import { Reader, Writer } from './wire.js';

const apis = loadDefinitions(fileURLToPath(new URL('../../../protocol/messages', import.meta.url)));

type Side = 'request' | 'response';

function encode(codec: ApiCodec<unknown, unknown>, side: Side, v: number, m: unknown): Buffer {
  const w = new Writer(64);
  if (side === 'request') codec.encodeRequest(w, v, m);
  else codec.encodeResponse(w, v, m);
  return Buffer.from(w.finish());
}

function decode(codec: ApiCodec<unknown, unknown>, side: Side, v: number, bytes: Buffer): { value: unknown; r: Reader } {
  const r = new Reader(bytes);
  const value = side === 'request' ? codec.decodeRequest(r, v) : codec.decodeResponse(r, v);
  return { value, r };
}

function roundTrip(t: Test, api: ApiDef, codec: ApiCodec<unknown, unknown>, msg: MessageDef, v: number, nulls: boolean): void {
  const side = msg.side;
  const what = `${msg.name} v${v}${nulls ? ' (nulls)' : ''}`;
  const sample = sampleMessage(msg.root, v, { nulls, arrayLength: 2 }, v + 1);
  const bytes = encode(codec, side, v, sample);
  const { value, r } = decode(codec, side, v, bytes);
  if (r.error !== null || r.remaining !== 0) {
    t.fail(`${what}: decode error ${r.error}, ${r.remaining} bytes left`);
    return;
  }
  if (!sameValue(value, sample)) {
    t.same(value, sample, `${what}: decoded value differs`);
    return;
  }
  const again = encode(codec, side, v, value);
  if (!again.equals(bytes)) {
    t.fail(`${what}: re-encoded bytes differ`);
    return;
  }
  // Every truncation must leave a sticky error (never a throw, never a silent success) unless
  // the prefix happens to be a complete message (a trailing tagged section can't be dropped).
  for (const cut of [0, 1, bytes.length >> 1, bytes.length - 1]) {
    if (cut >= bytes.length || cut < 0) continue;
    const d = decode(codec, side, v, bytes.subarray(0, cut));
    if (d.r.error === null) {
      t.fail(`${what}: decoding ${cut} of ${bytes.length} bytes gave no error`);
      return;
    }
  }
  t.pass(what);
}

for (const api of apis) {
  t.test(`${api.key} ${api.name}`, async (t) => {
    const codec = apiCodecs.get(api.key);
    if (codec === undefined) {
      t.fail('no codec');
      return;
    }
    t.equal(codec.name, api.name);
    t.equal(codec.minVersion, api.versions.lo);
    t.equal(codec.maxVersion, api.versions.hi);
    t.equal(codec.flexibleMin, api.flexible === null ? Infinity : api.flexible.lo);
    for (let v = api.versions.lo; v <= api.versions.hi; v++) {
      for (const msg of [api.request, api.response]) {
        roundTrip(t, api, codec, msg, v, false);
        roundTrip(t, api, codec, msg, v, true);
      }
    }
  });
}

t.test('header versions', async (t) => {
  const metadata = apiCodecs.get(3)!;
  const apiVersions = apiCodecs.get(18)!;
  const saslHandshake = apiCodecs.get(17)!;
  t.equal(requestHeaderVersion(metadata, 8), 1);
  t.equal(requestHeaderVersion(metadata, 9), 2);
  t.equal(responseHeaderVersion(metadata, 8), 0);
  t.equal(responseHeaderVersion(metadata, 9), 1);
  t.equal(requestHeaderVersion(apiVersions, 3), 2);
  t.equal(responseHeaderVersion(apiVersions, 3), 0, 'ApiVersions always answers with header v0');
  t.equal(saslHandshake.flexibleMin, Infinity);
  t.equal(requestHeaderVersion(saslHandshake, 1), 1);
  t.equal(responseHeaderVersion(saslHandshake, 1), 0);
  // The typed codecs are accepted as they are.
  t.equal(requestHeaderVersion(Metadata, 12), 2);
  t.equal(responseHeaderVersion(ApiVersions, 4), 0);
});

t.test('undefined versions', async (t) => {
  const metadata = apiCodecs.get(3)!;
  const r = new Reader(Buffer.alloc(10));
  const m = metadata.decodeRequest(r, 99);
  t.match(r.error, /version 99 is not defined/);
  t.same(m.topics, []);
  t.throws(() => metadata.encodeRequest(new Writer(), -1, m), /version -1 is not defined/);
});

t.test('encode refuses what the version cannot carry', async (t) => {
  // ListOffsets v0 has MaxNumOffsets; v1 lacks it and it is not ignorable.
  const listOffsets = apiCodecs.get(2)!;
  const def = apis.find((a) => a.key === 2)!;
  const m = sampleMessage(def.request.root, 1, { nulls: false, arrayLength: 1 });
  const partition = (m.topics as Array<{ partitions: Array<Record<string, unknown>> }>)[0]!.partitions[0]!;
  partition.maxNumOffsets = 5;
  t.throws(() => listOffsets.encodeRequest(new Writer(), 1, m), /MaxNumOffsets is set, but version 1/);
  partition.maxNumOffsets = 1; // the default: fine
  t.doesNotThrow(() => listOffsets.encodeRequest(new Writer(), 1, m));

  // Ignorable fields are dropped silently: Metadata v3 has no AllowAutoTopicCreation... that one is
  // not ignorable, so use ThrottleTimeMs of the response at v0 instead.
  const metadata = apiCodecs.get(3)!;
  const mdef = apis.find((a) => a.key === 3)!;
  const res = sampleMessage(mdef.response.root, 0, { nulls: false, arrayLength: 1 });
  res.throttleTimeMs = 100;
  t.doesNotThrow(() => metadata.encodeResponse(new Writer(), 0, res));
  const req = sampleMessage(mdef.request.root, 3, { nulls: false, arrayLength: 1 });
  req.allowAutoTopicCreation = false;
  t.throws(() => metadata.encodeRequest(new Writer(), 3, req), /AllowAutoTopicCreation is set, but version 3/);

  // Null where the version has no null.
  const req0 = sampleMessage(mdef.request.root, 0, { nulls: false, arrayLength: 1 });
  req0.topics = null;
  t.throws(() => metadata.encodeRequest(new Writer(), 0, req0), /Topics is null, but version 0/);
});

t.test('decode fills defaults of absent fields', async (t) => {
  const def = apis.find((a) => a.key === 1)!;
  const fetch = apiCodecs.get(1)!;
  const m = sampleMessage(def.request.root, 4, { nulls: false, arrayLength: 1 });
  const w = new Writer();
  fetch.encodeRequest(w, 4, m);
  const r = new Reader(w.finish());
  const back = fetch.decodeRequest(r, 4);
  r.check();
  for (const f of def.request.root.fields) {
    if (!inRange(f.versions, 4)) t.ok(sameValue((back as Record<string, unknown>)[f.prop], defaultValue(f)), `${f.name} defaulted`);
  }
  t.equal(back.maxBytes, m.maxBytes as number);
  t.equal(back.sessionEpoch, -1);
  t.equal(back.clusterId, null);
  t.equal(back.rackId, '');
});
