/**
 * The FileIO contract, one shared body for every implementation, then MemoryFileIO's fault
 * injection.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeFile } from '../native/file.js';
import { nativeTest } from '../native/twins.js';
import { MemoryFileIO, NativeFileIO, NodeFileIO, readSmallFile, writeSmallFileAtomic, type FileIO } from './file-io.js';

function contract(t: Test, io: FileIO, root: string): void {
  let n = 0;
  const fresh = (): string => {
    const d = join(root, `c${n++}`);
    io.mkdir(d);
    return d;
  };

  t.test('open without create fails on a missing file', async (t) => {
    const d = fresh();
    t.throws(() => io.open(join(d, 'nope')), { code: 'ENOENT' });
  });

  t.test('pwrite, append, pread and size', async (t) => {
    const d = fresh();
    const fd = io.open(join(d, 'f'), { create: true });
    t.equal(io.size(fd), 0);
    io.pwrite(fd, Buffer.from('hello'), 0);
    t.equal(io.append(fd, Buffer.from(' world')), 5);
    t.equal(io.size(fd), 11);
    io.pwrite(fd, Buffer.from('J'), 0);
    const buf = Buffer.alloc(22, 0x2e);
    t.equal(io.pread(fd, buf, 2, 20, 0), 11, 'short read at the end of the file');
    t.throws(() => io.pread(fd, buf, 5, 20, 0), 'a read that cannot fit in the buffer is a bug');
    t.equal(buf.toString('latin1', 0, 13), '..Jello world');
    t.equal(io.pread(fd, buf, 0, 5, 100), 0, 'read past the end');
    io.close(fd);
  });

  t.test('pwrite past the end fills the gap with zeros', async (t) => {
    const d = fresh();
    const fd = io.open(join(d, 'f'), { create: true });
    io.pwrite(fd, Buffer.from('ab'), 4);
    const buf = Buffer.alloc(6);
    io.pread(fd, buf, 0, 6, 0);
    t.same([...buf], [0, 0, 0, 0, 0x61, 0x62]);
    io.close(fd);
  });

  t.test('truncate shrinks and grows', async (t) => {
    const d = fresh();
    const fd = io.open(join(d, 'f'), { create: true });
    io.pwrite(fd, Buffer.from('abcdef'), 0);
    io.truncate(fd, 2);
    t.equal(io.size(fd), 2);
    io.truncate(fd, 4);
    const buf = Buffer.alloc(4);
    io.pread(fd, buf, 0, 4, 0);
    t.same([...buf], [0x61, 0x62, 0, 0]);
    io.fsync(fd);
    io.close(fd);
  });

  t.test('reopening sees the data; create keeps existing content', async (t) => {
    const d = fresh();
    const p = join(d, 'f');
    let fd = io.open(p, { create: true });
    io.pwrite(fd, Buffer.from('data'), 0);
    io.close(fd);
    fd = io.open(p, { create: true });
    t.equal(io.size(fd), 4);
    io.close(fd);
  });

  t.test('readdir, exists, rename, unlink', async (t) => {
    const d = fresh();
    for (const name of ['b', 'a', 'c']) io.close(io.open(join(d, name), { create: true }));
    io.mkdir(join(d, 'sub', 'deeper'));
    t.same(io.readdir(d), ['a', 'b', 'c', 'sub']);
    io.rename(join(d, 'a'), join(d, 'z'));
    t.notOk(io.exists(join(d, 'a')));
    t.ok(io.exists(join(d, 'z')));
    io.unlink(join(d, 'z'));
    t.same(io.readdir(d), ['b', 'c', 'sub']);
    t.throws(() => io.unlink(join(d, 'z')), { code: 'ENOENT' });
    t.throws(() => io.readdir(join(d, 'missing')), { code: 'ENOENT' });
  });

  t.test('rename replaces an existing file', async (t) => {
    const d = fresh();
    const a = io.open(join(d, 'a'), { create: true });
    io.pwrite(a, Buffer.from('new'), 0);
    io.close(a);
    const b = io.open(join(d, 'b'), { create: true });
    io.pwrite(b, Buffer.from('old!'), 0);
    io.close(b);
    io.rename(join(d, 'a'), join(d, 'b'));
    t.same(readSmallFile(io, join(d, 'b'), 100), Buffer.from('new'));
  });

  t.test('rename and remove a directory tree', async (t) => {
    const d = fresh();
    io.mkdir(join(d, 'x', 'y'));
    io.close(io.open(join(d, 'x', 'y', 'f'), { create: true }));
    io.rename(join(d, 'x'), join(d, 'x2'));
    t.ok(io.exists(join(d, 'x2', 'y', 'f')));
    t.notOk(io.exists(join(d, 'x')));
    io.removeDir(join(d, 'x2'));
    t.notOk(io.exists(join(d, 'x2')));
    io.removeDir(join(d, 'never-existed'));
    io.fsyncDir(d);
  });

  t.test('writeSmallFileAtomic replaces content and leaves no temp file', async (t) => {
    const d = fresh();
    const p = join(d, 'meta');
    writeSmallFileAtomic(io, p, Buffer.from('first version, long'));
    writeSmallFileAtomic(io, p, Buffer.from('second'));
    t.same(readSmallFile(io, p, 100), Buffer.from('second'));
    t.same(io.readdir(d), ['meta']);
    t.equal(readSmallFile(io, join(d, 'absent'), 100), null);
    t.throws(() => readSmallFile(io, p, 3), { code: 'EFBIG' });
  });

  t.test('fsyncAsync settles after the call returns, and the data reads back', async (t) => {
    const d = fresh();
    const fd = io.open(join(d, 'f'), { create: true });
    io.pwrite(fd, Buffer.from('durable'), 0);
    let settled = false;
    const p = io.fsyncAsync(fd).then(() => (settled = true));
    t.notOk(settled, 'not settled on the calling turn');
    await p;
    t.ok(settled);
    const buf = Buffer.alloc(7);
    t.equal(io.pread(fd, buf, 0, 7, 0), 7);
    t.equal(buf.toString(), 'durable');
    io.close(fd);
  });

  t.test('a closed handle fails with EBADF, synchronously and asynchronously', async (t) => {
    const d = fresh();
    const fd = io.open(join(d, 'f'), { create: true });
    io.close(fd);
    t.throws(() => io.pwrite(fd, Buffer.from('x'), 0), { code: 'EBADF' });
    t.throws(() => io.pread(fd, Buffer.alloc(1), 0, 1, 0), { code: 'EBADF' });
    t.throws(() => io.size(fd), { code: 'EBADF' });
    t.throws(() => io.fsync(fd), { code: 'EBADF' });
    // MemoryFileIO checks the handle when called; the thread-pool ones reject.
    await t.rejects(async () => io.fsyncAsync(fd), { code: 'EBADF' });
  });
}

t.test('NodeFileIO contract', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-fileio-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  contract(t, new NodeFileIO(), root);
});

nativeTest('NativeFileIO contract', nativeFile, async (t, ops) => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-fileio-native-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  contract(t, new NativeFileIO(ops), root);
});

nativeTest('NativeFileIO: argument checks throw before any system call', nativeFile, async (t, ops) => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-fileio-native-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const io = new NativeFileIO(ops);
  const fd = io.open(join(root, 'f'), { create: true });
  t.throws(() => io.pwrite(fd, Buffer.from('x'), -1), RangeError);
  t.throws(() => io.pwrite(fd, Buffer.from('x'), 1.5), RangeError);
  t.throws(() => io.pread(fd, Buffer.alloc(4), 2, 3, 0), RangeError, 'past the end of the buffer');
  t.throws(() => io.size(-3), RangeError);
  t.throws(() => ops.fileWrite(fd, 'not a buffer' as unknown as Buffer, 0), { code: 'SLUICE_NATIVE' });
  t.equal(io.size(fd), 0, 'nothing was written');
  io.close(fd);
});

t.test('MemoryFileIO contract', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/root');
  contract(t, io, '/root');
});

t.test('MemoryFileIO: open in a missing directory fails', async (t) => {
  const io = new MemoryFileIO();
  t.throws(() => io.open('/nowhere/f', { create: true }), { code: 'ENOENT' });
});

t.test('MemoryFileIO: failNextFsync fails once', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/d');
  const fd = io.open('/d/f', { create: true });
  io.failNextFsync();
  t.throws(() => io.fsync(fd), { code: 'EIO' });
  io.fsync(fd);
  t.equal(io.fsyncCount, 1);
});

t.test('MemoryFileIO: failNextWrite writes a prefix then throws', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/d');
  const fd = io.open('/d/f', { create: true });
  io.failNextWrite(3);
  t.throws(() => io.append(fd, Buffer.from('abcdef')), { code: 'ENOSPC' });
  t.same(io.contents('/d/f'), Buffer.from('abc'));
  io.append(fd, Buffer.from('xyz'));
  t.same(io.contents('/d/f'), Buffer.from('abcxyz'));
});

t.test('MemoryFileIO: tearLastWrite keeps a prefix of an append', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/d');
  const fd = io.open('/d/f', { create: true });
  io.append(fd, Buffer.from('12345'));
  io.append(fd, Buffer.from('abcdef'));
  io.tearLastWrite(2);
  t.same(io.contents('/d/f'), Buffer.from('12345ab'));
  t.throws(() => io.tearLastWrite(0), 'only the last write can be torn, once');
});

t.test('MemoryFileIO: tearLastWrite of an overwrite restores the old bytes', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/d');
  const fd = io.open('/d/f', { create: true });
  io.append(fd, Buffer.from('aaaaaa'));
  io.pwrite(fd, Buffer.from('BBBBBBBB'), 2);
  io.tearLastWrite(3);
  t.same(io.contents('/d/f'), Buffer.from('aaBBBa'));
});

t.test('MemoryFileIO: crash keeping unsynced data kills handles only', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/d');
  const fd = io.open('/d/f', { create: true });
  io.append(fd, Buffer.from('kept'));
  io.crash({ keepUnsynced: true });
  t.throws(() => io.size(fd), { code: 'EBADF' });
  t.same(io.contents('/d/f'), Buffer.from('kept'));
});

t.test('MemoryFileIO: power loss reverts files to their last fsync', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/d');
  const a = io.open('/d/a', { create: true });
  io.append(a, Buffer.from('synced'));
  io.fsync(a);
  io.append(a, Buffer.from('-lost'));
  const b = io.open('/d/b', { create: true });
  io.append(b, Buffer.from('never synced'));
  io.crash({ keepUnsynced: false });
  t.same(io.contents('/d/a'), Buffer.from('synced'));
  t.same(io.contents('/d/b'), Buffer.alloc(0), 'the file exists but its content is gone');
});
