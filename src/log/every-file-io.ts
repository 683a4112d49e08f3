/**
 * Test support (STYLE.md principle 8: one suite for every storage implementation): runs `suite`
 * against NodeFileIO and NativeFileIO in fresh temp directories and against MemoryFileIO, each
 * with `newDir()` handing out an empty directory per test.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeFile } from '../native/file.js';
import { nativeTest } from '../native/twins.js';
import { MemoryFileIO, NativeFileIO, NodeFileIO, type FileIO } from './file-io.js';

export type FileIOSuite = (t: Test, io: FileIO, newDir: () => string) => void;

function dirs(io: FileIO, root: string, prefix: string): () => string {
  let n = 0;
  return () => {
    const d = join(root, `${prefix}${n++}`);
    io.mkdir(d);
    return d;
  };
}

/** Registers the three top-level tests, named after the FileIO each runs on. */
export function onEveryFileIO(name: string, suite: FileIOSuite): void {
  t.test('NodeFileIO', async (t) => {
    const root = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const io = new NodeFileIO();
    suite(t, io, dirs(io, root, 'd'));
  });
  nativeTest('NativeFileIO', nativeFile, async (t, ops) => {
    const root = mkdtempSync(join(tmpdir(), `sluice-${name}-native-`));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const io = new NativeFileIO(ops);
    suite(t, io, dirs(io, root, 'd'));
  });
  t.test('MemoryFileIO', async (t) => {
    const io = new MemoryFileIO();
    io.mkdir(`/${name}`);
    suite(t, io, dirs(io, `/${name}`, 'd'));
  });
}
