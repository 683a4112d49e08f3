/**
 * zstd frames from libzstd as producers' encoders write them (python-zstandard, which Debian's
 * python3-zstandard builds on the system libzstd; compat-tests/python/zstd_frames.py says which
 * settings), decoded by both implementations of src/native/zstd.ts: every level class, with and
 * without content size and checksum, a block per record, long-distance matching with a 2^24
 * window, incompressible and all-zero data, two frames in a row. No broker needed.
 */
import { zstdDecompressNative, zstdDecompressTs } from '../src/native/zstd.js';
import { twinTest } from '../src/native/twins.js';
import { python, requireTool } from './harness.js';

interface Case {
  name: string;
  plain: Buffer;
  frame: Buffer;
}

requireTool('zstandard');
const cases: Case[] = (await python('zstd_frames.py', [], { timeoutMs: 120_000 })).stdout
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => {
    const c = JSON.parse(l) as { name: string; plain: string; frame: string };
    return { name: c.name, plain: Buffer.from(c.plain, 'base64'), frame: Buffer.from(c.frame, 'base64') };
  });

twinTest('zstd: frames from libzstd at every encoder setting decode to their input', { ts: zstdDecompressTs, native: zstdDecompressNative }, (t, zstd) => {
  t.ok(cases.length >= 80, `${cases.length} frames`);
  let ok = 0;
  for (const c of cases) {
    const out = zstd(c.frame, 4 << 20);
    if (out.equals(c.plain)) ok++;
    else t.fail(`${c.name}: ${out.length} bytes decoded, ${c.plain.length} expected`);
  }
  t.equal(ok, cases.length, `${ok} of ${cases.length} frames decode to their input`);
  const biggest = cases.reduce((a, c) => (c.plain.length > a.plain.length ? c : a));
  t.throws(() => zstd(biggest.frame, biggest.plain.length - 1), /zstd: /, `${biggest.name}: one byte under its size is refused`);
});
