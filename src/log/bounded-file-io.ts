/**
 * A FileIO that keeps at most `handlesMax` files of another FileIO open at once (issue 10,
 * finding 4): each partition has at least three files (.log, .index, .timeindex), so without a
 * bound the partitions a broker may hold are limited by its file descriptor limit, and one
 * CreateTopics past it fails half way. Kafka keeps its index files memory-mapped and closes idle
 * ones; here every handle the log holds is virtual: the real file is opened on use, and the
 * least recently used idle one is closed when the budget is full.
 *
 * A virtual handle names its file by path, so renames and removals go through this class, which
 * updates or pins the handles of the files they move: a renamed file's handles follow it; a file
 * removed (or replaced by a rename) while a handle is open keeps its real descriptor, since it
 * cannot be reopened by name, and a closed handle of it fails with ENOENT instead of reaching
 * another file.
 * A handle with an async fsync in flight is pinned open until the fsync settles: the fsync must
 * reach the descriptor that wrote, and closing it early would lose a write-back error.
 *
 * Durability is unchanged: closing a descriptor neither syncs nor drops written data (it stays in
 * the page cache), and an fsync through a later descriptor of the same file syncs it, as Linux
 * reports a write-back error to every descriptor opened before it was seen (errseq, Linux 4.13+).
 *
 * Failures: a real open that fails with EMFILE or ENFILE (other parts of the process, sockets
 * among them, use descriptors too) closes every idle handle and retries once; a second failure
 * is thrown with the same code and a message that says what to do, and the caller treats it as
 * a storage failure (KAFKA_STORAGE_ERROR for the request).
 */
import type { FileHandle, FileIO } from './file-io.js';

interface Entry {
  path: string;
  /** The inner FileIO's handle, or null while closed (reopened on the next use). */
  real: FileHandle | null;
  /** Async fsyncs in flight; a pinned entry is never closed by eviction. */
  pins: number;
  /** The file was unlinked while open: its descriptor is kept until close (no name to reopen). */
  removed: boolean;
  /** close() was called while pinned: the real handle closes when the last pin goes. */
  closing: boolean;
}

export class BoundedFileIO implements FileIO {
  private readonly entries = new Map<FileHandle, Entry>();
  /** Entries with an open real handle that may be closed, least recently used first. */
  private readonly idle = new Map<FileHandle, Entry>();
  private nextHandle = 1;
  /** Real handles open now; at most `handlesMax` (plus pinned ones in the rare worst case). */
  private openCount = 0;

  constructor(
    private readonly inner: FileIO,
    readonly handlesMax: number,
  ) {
    if (!(handlesMax >= 1)) throw new Error(`handlesMax must be at least 1, got ${handlesMax}`);
  }

  /** Real handles open now (tests, metrics). */
  get openHandles(): number {
    return this.openCount;
  }

  open(path: string, opts: { create?: boolean } = {}): FileHandle {
    const real = this.openReal(path, opts);
    const handle = this.nextHandle++;
    const e: Entry = { path, real, pins: 0, removed: false, closing: false };
    this.entries.set(handle, e);
    this.idle.set(handle, e);
    return handle;
  }

  size(fd: FileHandle): number {
    return this.inner.size(this.use(fd));
  }

  pwrite(fd: FileHandle, data: Buffer, position: number): void {
    this.inner.pwrite(this.use(fd), data, position);
  }

  append(fd: FileHandle, data: Buffer): number {
    return this.inner.append(this.use(fd), data);
  }

  pread(fd: FileHandle, into: Buffer, intoOffset: number, length: number, position: number): number {
    return this.inner.pread(this.use(fd), into, intoOffset, length, position);
  }

  truncate(fd: FileHandle, size: number): void {
    this.inner.truncate(this.use(fd), size);
  }

  fsync(fd: FileHandle): void {
    this.inner.fsync(this.use(fd));
  }

  async fsyncAsync(fd: FileHandle): Promise<void> {
    const real = this.use(fd);
    const e = this.entries.get(fd)!;
    e.pins++;
    this.idle.delete(fd);
    try {
      await this.inner.fsyncAsync(real);
    } finally {
      e.pins--;
      if (e.pins === 0) this.unpinned(fd, e);
    }
  }

  close(fd: FileHandle): void {
    const e = this.entry(fd);
    this.entries.delete(fd);
    if (e.pins > 0) {
      e.closing = true;
      return;
    }
    this.closeReal(fd, e);
  }

  rename(from: string, to: string): void {
    this.pinRemoved((p) => p === to); // a file replaced by the rename lives on only in open handles
    this.inner.rename(from, to);
    for (const e of this.entries.values()) {
      if (e.path === from) e.path = to;
      else if (e.path.startsWith(`${from}/`)) e.path = to + e.path.slice(from.length);
    }
  }

  unlink(path: string): void {
    this.pinRemoved((p) => p === path);
    this.inner.unlink(path);
  }

  readdir(dir: string): string[] {
    return this.withDescriptor(() => this.inner.readdir(dir));
  }

  mkdir(dir: string): void {
    this.inner.mkdir(dir);
  }

  exists(path: string): boolean {
    return this.inner.exists(path);
  }

  removeDir(dir: string): void {
    this.pinRemoved((p) => p.startsWith(`${dir}/`));
    this.inner.removeDir(dir);
  }

  fsyncDir(dir: string): void {
    this.withDescriptor(() => this.inner.fsyncDir(dir));
  }

  // -- the budget -------------------------------------------------------------------------------

  private entry(fd: FileHandle): Entry {
    const e = this.entries.get(fd);
    if (!e) {
      const err = new Error(`EBADF: bad file handle ${fd}`) as NodeJS.ErrnoException;
      err.code = 'EBADF';
      throw err;
    }
    return e;
  }

  /** The real handle of `fd`, reopened if it was closed; marks it most recently used. */
  private use(fd: FileHandle): FileHandle {
    const e = this.entry(fd);
    if (e.real === null) e.real = this.openReal(e.path, {});
    if (e.pins === 0 && !e.removed) {
      this.idle.delete(fd);
      this.idle.set(fd, e);
    }
    return e.real;
  }

  private openReal(path: string, opts: { create?: boolean }): FileHandle {
    const real = this.withDescriptor(() => this.inner.open(path, opts));
    this.openCount++;
    return real;
  }

  /**
   * Runs an operation that opens a descriptor of its own: makes room first, and on EMFILE or
   * ENFILE closes every idle handle and tries once more.
   */
  private withDescriptor<T>(op: () => T): T {
    this.evict(this.handlesMax - 1);
    try {
      return op();
    } catch (e) {
      if (!isOutOfDescriptors(e)) throw e;
      this.evict(0);
      try {
        return op();
      } catch (again) {
        throw isOutOfDescriptors(again) ? outOfDescriptors(again, this.handlesMax) : again;
      }
    }
  }

  /** Closes idle handles, least recently used first, until at most `keep` real ones are open. */
  private evict(keep: number): void {
    for (const [fd, e] of this.idle) {
      if (this.openCount <= keep) return;
      this.idle.delete(fd);
      this.inner.close(e.real!);
      e.real = null;
      this.openCount--;
    }
  }

  private unpinned(fd: FileHandle, e: Entry): void {
    if (e.closing) this.closeReal(fd, e);
    else if (e.real !== null && !e.removed && this.entries.has(fd)) this.idle.set(fd, e);
  }

  private closeReal(fd: FileHandle, e: Entry): void {
    this.idle.delete(fd);
    if (e.real === null) return;
    const real = e.real;
    e.real = null;
    this.openCount--;
    this.inner.close(real);
  }

  /** Files about to be removed: their open handles stay open; closed ones can no longer reopen. */
  private pinRemoved(matches: (path: string) => boolean): void {
    for (const [fd, e] of this.entries) {
      if (!matches(e.path)) continue;
      e.removed = true;
      this.idle.delete(fd);
      if (e.real === null) e.path = `${e.path} (removed)`;
    }
  }
}

function isOutOfDescriptors(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

function outOfDescriptors(cause: unknown, handlesMax: number): NodeJS.ErrnoException {
  const code = (cause as NodeJS.ErrnoException).code!;
  const e = new Error(
    `${code}: out of file descriptors with only ${handlesMax} log files open; raise the limit ("ulimit -n") or hold fewer connections`,
    { cause },
  ) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}
