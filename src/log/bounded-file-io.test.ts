/**
 * BoundedFileIO: never more real handles open than its budget, while every handle keeps working
 * (issue 10, finding 4). The partition-log suite also runs whole over it (partition-log.test.ts).
 */
import t from 'tap';
import { BoundedFileIO } from './bounded-file-io.js';
import { MemoryFileIO, type FileHandle } from './file-io.js';

/** A MemoryFileIO that counts open handles and, past `fdsMax` of them, fails opens with EMFILE. */
class CountingIO extends MemoryFileIO {
  open_ = 0;
  peak = 0;
  constructor(private readonly fdsMax = Number.MAX_SAFE_INTEGER) {
    super();
  }
  override open(path: string, opts?: { create?: boolean }): FileHandle {
    if (this.open_ >= this.fdsMax) {
      const e = new Error('EMFILE: too many open files') as NodeJS.ErrnoException;
      e.code = 'EMFILE';
      throw e;
    }
    const fd = super.open(path, opts);
    this.peak = Math.max(this.peak, ++this.open_);
    return fd;
  }
  override close(fd: FileHandle): void {
    super.close(fd);
    this.open_--;
  }
}

t.test('a thousand files written and read through three descriptors', async (t) => {
  const inner = new CountingIO();
  const io = new BoundedFileIO(inner, 3);
  io.mkdir('/d');
  const fds = Array.from({ length: 1000 }, (_, i) => io.open(`/d/f${i}`, { create: true }));
  for (const [i, fd] of fds.entries()) io.append(fd, Buffer.from(`file ${i}`));
  for (const [i, fd] of fds.entries()) {
    const buf = Buffer.alloc(64);
    t.equal(buf.subarray(0, io.pread(fd, buf, 0, 64, 0)).toString(), `file ${i}`);
  }
  t.ok(inner.peak <= 3, `at most 3 real handles were open (peak ${inner.peak})`);
  for (const fd of fds) io.close(fd);
  t.equal(inner.open_, 0, 'closing every handle closes every real one');
});

t.test('a renamed file keeps its handle; a removed one keeps its descriptor until closed', async (t) => {
  const inner = new CountingIO();
  const io = new BoundedFileIO(inner, 2);
  io.mkdir('/a');
  const moved = io.open('/a/x', { create: true });
  io.append(moved, Buffer.from('moved'));
  io.rename('/a', '/b');
  const other = [io.open('/b/y', { create: true }), io.open('/b/z', { create: true })]; // evicts `moved`
  t.equal(io.size(moved), 5, 'reopened under its new name');
  const removed = io.open('/b/w', { create: true });
  io.append(removed, Buffer.from('gone'));
  io.unlink('/b/w');
  for (const fd of other) io.size(fd);
  t.equal(io.size(removed), 4, 'an unlinked file stays readable through its open handle');
  const evicted = io.open('/b/v', { create: true });
  io.open('/b/u', { create: true });
  io.open('/b/s', { create: true });
  const replaced = io.open('/b/r', { create: true });
  io.append(replaced, Buffer.from('old'));
  const tmp = io.open('/b/r.tmp', { create: true });
  io.append(tmp, Buffer.from('new!'));
  io.close(tmp);
  io.size(replaced); // open at the time of the rename
  io.rename('/b/r.tmp', '/b/r');
  for (const fd of other) io.size(fd);
  t.equal(io.size(replaced), 3, 'a handle of a file replaced by a rename still reads the old file');
  io.removeDir('/b');
  t.throws(() => io.size(evicted), { code: 'ENOENT' }, 'a closed handle of a removed file does not reopen another file');
});

t.test('an async fsync keeps its descriptor open until it settles', async (t) => {
  const inner = new CountingIO();
  const io = new BoundedFileIO(inner, 1);
  io.mkdir('/d');
  inner.holdAsyncFsyncs();
  const a = io.open('/d/a', { create: true });
  io.append(a, Buffer.from('a'));
  const synced = io.fsyncAsync(a);
  const b = io.open('/d/b', { create: true });
  io.append(b, Buffer.from('b'));
  t.equal(io.openHandles, 2, 'the pinned handle is not evicted');
  inner.releaseAsyncFsyncs();
  await synced;
  io.open('/d/c', { create: true });
  t.equal(io.openHandles, 1, 'once settled it is evicted like any other');
  io.close(a);
});

t.test('EMFILE: idle handles are closed and the open retried; a second EMFILE says what to do', async (t) => {
  const inner = new CountingIO(4);
  const io = new BoundedFileIO(inner, 100);
  io.mkdir('/d');
  const fds = Array.from({ length: 10 }, (_, i) => io.open(`/d/f${i}`, { create: true }));
  for (const fd of fds) io.append(fd, Buffer.from('x'));
  t.ok(inner.peak <= 4, 'the process limit (4) was never passed although the budget is 100');
  const pinned = new CountingIO(0);
  const none = new BoundedFileIO(pinned, 100);
  t.throws(() => none.open('/f', { create: true }), { code: 'EMFILE', message: /ulimit -n/ });
});
