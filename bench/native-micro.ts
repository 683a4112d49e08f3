/**
 * Micro-benchmarks of the native functions against their TypeScript twins (benny): CRC-32C and
 * record-batch validation at 16 B, 256 B, 4 KiB, 64 KiB and 1 MiB, offset assignment, zstd
 * decompression (libzstd against the TypeScript decoder, on the reference encoder's frames in
 * src/native/zstd-fixtures.ts; MB/s of decompressed output), zstd compression (the addon's
 * libzstd against the twin, libzstd compiled to WebAssembly; MB/s of input, 64 KiB of record-like
 * text at levels 1, 3 and 9), and segment I/O (NativeFileIO
 * against NodeFileIO: pwrite and pread of page-cache data at the same sizes).
 * Prints one markdown table: throughput (MB/s, 10^6 bytes) or calls/s, and the native/TS ratio.
 * Then fsync: how long the JavaScript thread is held by fsync of 64 MiB of freshly written data
 * on this machine's temp directory, synchronously (NodeFileIO.fsync) and with fsyncAsync (the
 * call returns at once; the promise settles when the thread pool's fsync is done), median of 5.
 *
 *   npm run bench:native          (= tsc, then node dist/bench/native-micro.js)
 *   node dist/bench/native-micro.js --max-time 2    seconds per case (default 1)
 *
 * Needs the addon (npm run build:native); refuses to run on the twins alone. Validation uses one
 * uncompressed batch of about the given size, checked as a producer's (client origin); its
 * smallest row is the smallest possible batch (one empty record, 68 bytes), since no batch fits
 * in 16 bytes.
 */
import b from 'benny';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeFileIO, NodeFileIO, type FileIO } from '../src/log/file-io.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { median } from './common.js';
import {
  assignOffsetsNative,
  assignOffsetsTs,
  crc32cNative,
  crc32cTs,
  describeNative,
  nativeFile,
  validateBatchesNative,
  validateBatchesTs,
  zstdDecompressNative,
  zstdDecompressTs,
  type BatchInfo,
} from '../src/native/index.js';
import * as zstdFx from '../src/native/zstd-fixtures.js';
import { loadZstdTwin, zstdCompressNative, zstdCompressTs } from '../src/native/zstd-compress.js';

const maxTimeArg = process.argv.indexOf('--max-time');
const maxTime = maxTimeArg >= 0 ? Number(process.argv[maxTimeArg + 1]) : 1;

const crcNative = crc32cNative;
const validateNative = validateBatchesNative;
const assignNative = assignOffsetsNative;
const zstdNative = zstdDecompressNative;
if (crcNative === null || validateNative === null || assignNative === null || zstdNative === null || zstdCompressNative === null || nativeFile === null) {
  console.error(`${describeNative()}\nbuild it first: npm run build:native`);
  process.exit(1);
}

const SIZES: [string, number][] = [
  ['16 B', 16],
  ['256 B', 256],
  ['4 KiB', 4096],
  ['64 KiB', 65536],
  ['1 MiB', 1 << 20],
];

/** ops/s of each named case, run one after the other. */
async function measure(name: string, cases: Record<string, () => unknown>): Promise<Record<string, number>> {
  const summary = await b.suite(name, ...Object.entries(cases).map(([n, f]) => b.add(n, f, { maxTime, minSamples: 5 })));
  return Object.fromEntries(summary.results.map((r) => [r.name, r.ops]));
}

function randomBytes(n: number): Buffer {
  const buf = Buffer.alloc(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** One batch of one record, padded to `bytes` (or as close as varints allow; at least 68 bytes). */
function batchOf(bytes: number): Buffer {
  const build = (pad: number): Buffer => buildRecordBatch([{ key: null, value: randomBytes(Math.max(0, pad)) }], { timestampMs: 1n });
  let pad = bytes - build(0).length;
  for (let i = 0; i < 3; i++) pad -= build(pad).length - bytes; // the length varints grow with pad
  return build(pad);
}

const mb = (ops: number, bytes: number): string => ((ops * bytes) / 1e6).toFixed(bytes < 1024 ? 1 : 0);
const perSec = (ops: number): string => `${(ops / 1e6).toFixed(2)} M calls/s`;

const rows: string[] = [];
let sink = 0;

for (const [label, n] of SIZES) {
  const buf = randomBytes(n);
  const r = await measure(`crc32c ${label}`, {
    ts: () => (sink ^= crc32cTs(buf, 0, n)),
    native: () => (sink ^= crcNative(buf, 0, n)),
  });
  rows.push(`| crc32c | ${label} | ${mb(r.ts!, n)} MB/s | ${mb(r.native!, n)} MB/s | ${(r.native! / r.ts!).toFixed(1)}× |`);
}

for (const [label, n] of SIZES) {
  const buf = batchOf(n);
  const opts = { maxBatchBytes: 2 << 20 };
  if (!validateBatchesTs(buf, opts).ok || !validateNative(buf, opts).ok) throw new Error(`benchmark batch of ${n} bytes is invalid`);
  const r = await measure(`validateBatches ${label}`, {
    ts: () => validateBatchesTs(buf, opts),
    native: () => validateNative(buf, opts),
  });
  const size = buf.length === n ? label : `${label} (${buf.length} B)`;
  rows.push(`| validateBatches | ${size} | ${mb(r.ts!, buf.length)} MB/s | ${mb(r.native!, buf.length)} MB/s | ${(r.native! / r.ts!).toFixed(1)}× |`);
}

{
  const buf = batchOf(256);
  const v = validateBatchesTs(buf, { maxBatchBytes: 1e6 });
  if (!v.ok) throw new Error(v.message);
  const info: BatchInfo = v.batches[0]!;
  let offset = 0n;
  const r = await measure('assignOffsets', {
    ts: () => assignOffsetsTs(buf, info, offset++, 3),
    native: () => assignNative(buf, info, offset++, 3),
  });
  rows.push(`| assignOffsets | any | ${perSec(r.ts!)} | ${perSec(r.native!)} | ${(r.native! / r.ts!).toFixed(1)}× |`);
}

const ZSTD_CASES: [string, Buffer][] = [
  ['13 KB text, level 19', zstdFx.withSize],
  ['13 KB text, streamed', zstdFx.streamed],
  ['197 KiB text, level 1', zstdFx.bigFast],
  ['197 KiB text, level 22', zstdFx.bigUltra],
];
for (const [label, frame] of ZSTD_CASES) {
  const n = zstdTs(frame).length;
  const r = await measure(`zstdDecompress ${label}`, {
    ts: () => (sink ^= zstdDecompressTs(frame, 1 << 20).length),
    native: () => (sink ^= zstdNative(frame, 1 << 20).length),
  });
  rows.push(`| zstdDecompress | ${label} (${frame.length} B in) | ${mb(r.ts!, n)} MB/s | ${mb(r.native!, n)} MB/s | ${(r.native! / r.ts!).toFixed(1)}× |`);
}

await loadZstdTwin();
{
  let text = '';
  for (let i = 0; text.length < 65536; i++) text += `{"user":"user-${i % 113}","event":"click","page":"/p/${i % 17}","n":${i}}\n`;
  const plain = Buffer.from(text.slice(0, 65536));
  for (const level of [1, 3, 9]) {
    const r = await measure(`zstdCompress 64 KiB level ${level}`, {
      ts: () => (sink ^= zstdCompressTs(plain, level).length),
      native: () => (sink ^= zstdCompressNative!(plain, level).length),
    });
    rows.push(`| zstdCompress | 64 KiB text, level ${level} | ${mb(r.ts!, plain.length)} MB/s | ${mb(r.native!, plain.length)} MB/s | ${(r.native! / r.ts!).toFixed(1)}× |`);
  }
}

function zstdTs(frame: Buffer): Buffer {
  const out = zstdDecompressTs(frame, 1 << 20);
  if (!out.equals(zstdNative!(frame, 1 << 20))) throw new Error('zstd benchmark: the two decoders disagree');
  return out;
}

// -- segment I/O ----------------------------------------------------------------------------------

const ioDir = mkdtempSync(join(tmpdir(), 'sluice-bench-io-'));
const nodeIO = new NodeFileIO();
const nativeIO = new NativeFileIO(nativeFile);
/** Writes and reads cycle through this window of the file, so it stays in the page cache. */
const WINDOW = 64 << 20;
const fds: Record<string, number> = {};
for (const [name, io] of [['ts', nodeIO], ['native', nativeIO]] as const) {
  fds[name] = io.open(join(ioDir, `${name}.log`), { create: true });
  io.pwrite(fds[name]!, Buffer.alloc(WINDOW, 1), 0);
}
const cycling = (io: FileIO, fd: number, n: number, op: 'write' | 'read'): (() => void) => {
  const buf = randomBytes(n);
  let pos = 0;
  return op === 'write'
    ? () => {
        io.pwrite(fd, buf, pos);
        pos = pos + n + n > WINDOW ? 0 : pos + n;
      }
    : () => {
        sink ^= io.pread(fd, buf, 0, n, pos);
        pos = pos + n + n > WINDOW ? 0 : pos + n;
      };
};
for (const op of ['write', 'read'] as const) {
  for (const [label, n] of SIZES) {
    const r = await measure(`p${op} ${label}`, {
      ts: cycling(nodeIO, fds['ts']!, n, op),
      native: cycling(nativeIO, fds['native']!, n, op),
    });
    rows.push(`| p${op} (page cache) | ${label} | ${mb(r.ts!, n)} MB/s | ${mb(r.native!, n)} MB/s | ${(r.native! / r.ts!).toFixed(1)}× |`);
  }
}

/** JavaScript-thread time of fsync of 64 MiB just written: sync, and the async call + its settling. */
async function fsyncHold(): Promise<{ syncMs: number; asyncCallMs: number; asyncDoneMs: number }> {
  const data = randomBytes(WINDOW);
  const sync: number[] = [];
  const call: number[] = [];
  const done: number[] = [];
  for (let i = 0; i < 5; i++) {
    nodeIO.pwrite(fds['ts']!, data, 0);
    let t0 = performance.now();
    nodeIO.fsync(fds['ts']!);
    sync.push(performance.now() - t0);
    nativeIO.pwrite(fds['native']!, data, 0);
    t0 = performance.now();
    const p = nativeIO.fsyncAsync(fds['native']!);
    call.push(performance.now() - t0);
    await p;
    done.push(performance.now() - t0);
  }
  return { syncMs: median(sync), asyncCallMs: median(call), asyncDoneMs: median(done) };
}
const hold = await fsyncHold();
for (const [name, io] of [['ts', nodeIO], ['native', nativeIO]] as const) io.close(fds[name]!);
rmSync(ioDir, { recursive: true, force: true });

console.log(`\n${describeNative()}; Node ${process.version}; ${maxTime} s per case\n`);
console.log('| function | input | TypeScript | native | native/TS |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
if (sink === 0.5) console.log(sink); // keeps the CRC results alive
console.log('');
console.log(`fsync of 64 MiB just written to ${tmpdir()}, median of 5: the JavaScript thread is held ${hold.syncMs.toFixed(1)} ms by fsync (NodeFileIO.fsync, what a roll did before), ${(hold.asyncCallMs * 1000).toFixed(0)} µs by fsyncAsync (native, thread pool), which settles after ${hold.asyncDoneMs.toFixed(1)} ms`);
