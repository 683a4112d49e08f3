/**
 * The narrow, synchronous file interface the log is written against (STYLE.md principle 8), and
 * three implementations: `NodeFileIO` (node:fs), `NativeFileIO` (the Rust addon's pwrite/pread/
 * fstat/fsync, src/native/file.ts; NodeFileIO is its twin) and `MemoryFileIO` (in memory, with
 * fault injection). The segment and partition-log tests run one shared body against every
 * implementation. `defaultFileIO()` is what the broker uses: native when the addon is loaded.
 *
 * Durability model, the same for all implementations:
 *  - A write is visible to later reads at once and survives the death of the process
 *    (`kill -9`): it sits in the OS page cache. Only `fsync` makes it survive a power loss.
 *  - Creating, renaming and removing files and directories are treated as durable when they
 *    return (MemoryFileIO models it so; on Linux call `fsyncDir` for the same guarantee).
 *
 * Concurrency: calls are synchronous and the broker is single-threaded; a handle belongs to the
 * one object that opened it. The one exception is `fsyncAsync`, which runs the fsync off the
 * JavaScript thread (libuv's thread pool) because it can block for as long as the disk takes;
 * the caller must not close the handle before its promise settles. Errors are thrown as Node-style errors with a `code` (ENOENT, EIO,
 * ...); callers treat any of them as a storage failure.
 */
import * as fs from 'node:fs';
import { dirname, normalize } from 'node:path';
import { nativeFile, type NativeFile } from '../native/file.js';

export type FileHandle = number;

export interface FileIO {
  /** Opens for reading and writing. With `create`, an absent file is created empty. */
  open(path: string, opts?: { create?: boolean }): FileHandle;
  /** Current length of the file in bytes. */
  size(fd: FileHandle): number;
  /** Writes all of `data` at `position`, extending the file as needed. */
  pwrite(fd: FileHandle, data: Buffer, position: number): void;
  /** Writes all of `data` at the end of the file; returns the position it was written at. */
  append(fd: FileHandle, data: Buffer): number;
  /**
   * Reads up to `length` bytes from `position` into `into[intoOffset..]`; returns the count,
   * which is less than `length` only at the end of the file.
   */
  pread(fd: FileHandle, into: Buffer, intoOffset: number, length: number, position: number): number;
  truncate(fd: FileHandle, size: number): void;
  fsync(fd: FileHandle): void;
  /** fsync off the JavaScript thread; rejects with the same errors as `fsync`. */
  fsyncAsync(fd: FileHandle): Promise<void>;
  close(fd: FileHandle): void;
  /** Renames a file or a directory, replacing a file at `to`. */
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Names (not paths) of the entries of a directory, sorted. */
  readdir(dir: string): string[];
  /** Creates a directory and its missing parents; no error when it exists. */
  mkdir(dir: string): void;
  exists(path: string): boolean;
  /** Removes a directory and everything below it; no error when it is absent. */
  removeDir(dir: string): void;
  /** Makes creations, renames and removals inside `dir` durable. */
  fsyncDir(dir: string): void;
}

function ioError(code: string, message: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${message}`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

/** Reads a whole small file, or null when it does not exist. Refuses files above `maxBytes`. */
export function readSmallFile(io: FileIO, path: string, maxBytes: number): Buffer | null {
  if (!io.exists(path)) return null;
  const fd = io.open(path);
  try {
    const size = io.size(fd);
    if (size > maxBytes) throw ioError('EFBIG', `${path} is ${size} bytes, more than ${maxBytes}`);
    const buf = Buffer.alloc(size);
    const n = io.pread(fd, buf, 0, size, 0);
    return buf.subarray(0, n);
  } finally {
    io.close(fd);
  }
}

/**
 * Replaces a small file atomically: writes `<path>.tmp`, fsyncs it, renames it over `path`, then
 * fsyncs the directory. A crash leaves either the old or the new content (and maybe a stray
 * `.tmp`, which the next write replaces).
 */
export function writeSmallFileAtomic(io: FileIO, path: string, data: Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = io.open(tmp, { create: true });
  try {
    io.truncate(fd, 0);
    io.pwrite(fd, data, 0);
    io.fsync(fd);
  } finally {
    io.close(fd);
  }
  io.rename(tmp, path);
  io.fsyncDir(dirname(path));
}

// ---------------------------------------------------------------------------------------------

/** node:fs, synchronous. Writes go to the page cache; durability on power loss needs fsync. */
export class NodeFileIO implements FileIO {
  open(path: string, opts: { create?: boolean } = {}): FileHandle {
    const flags = fs.constants.O_RDWR | (opts.create ? fs.constants.O_CREAT : 0);
    return fs.openSync(path, flags, 0o644);
  }

  size(fd: FileHandle): number {
    return fs.fstatSync(fd).size;
  }

  pwrite(fd: FileHandle, data: Buffer, position: number): void {
    let done = 0;
    while (done < data.length) {
      done += fs.writeSync(fd, data, done, data.length - done, position + done);
    }
  }

  append(fd: FileHandle, data: Buffer): number {
    const position = this.size(fd);
    this.pwrite(fd, data, position);
    return position;
  }

  pread(fd: FileHandle, into: Buffer, intoOffset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, into, intoOffset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  truncate(fd: FileHandle, size: number): void {
    fs.ftruncateSync(fd, size);
  }

  fsync(fd: FileHandle): void {
    fs.fsyncSync(fd);
  }

  fsyncAsync(fd: FileHandle): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
  }

  close(fd: FileHandle): void {
    fs.closeSync(fd);
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  unlink(path: string): void {
    fs.unlinkSync(path);
  }

  readdir(dir: string): string[] {
    return fs.readdirSync(dir).sort();
  }

  mkdir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  removeDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  fsyncDir(dir: string): void {
    // Windows cannot open a directory for fsync; NTFS metadata is journaled anyway.
    if (process.platform === 'win32') return;
    const fd = fs.openSync(dir, fs.constants.O_RDONLY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * NodeFileIO with the data path in the Rust addon: pwrite, pread, fstat and fsync straight to the
 * system calls (no per-call argument objects, no Stats), and `fsyncAsync` as Node-API async work.
 * Opening, renaming, directories: node:fs, as in NodeFileIO.
 */
export class NativeFileIO extends NodeFileIO {
  constructor(private readonly ops: NativeFile) {
    super();
  }

  override size(fd: FileHandle): number {
    return this.ops.fileSize(fd);
  }

  override pwrite(fd: FileHandle, data: Buffer, position: number): void {
    this.ops.fileWrite(fd, data, position);
  }

  override pread(fd: FileHandle, into: Buffer, intoOffset: number, length: number, position: number): number {
    return this.ops.fileRead(fd, into, intoOffset, length, position);
  }

  override fsync(fd: FileHandle): void {
    this.ops.fileSync(fd);
  }

  override fsyncAsync(fd: FileHandle): Promise<void> {
    return this.ops.fileSyncAsync(fd);
  }
}

/** The broker's file I/O: NativeFileIO when the addon is loaded, else NodeFileIO. */
export function defaultFileIO(): FileIO {
  return nativeFile !== null ? new NativeFileIO(nativeFile) : new NodeFileIO();
}

// ---------------------------------------------------------------------------------------------

interface MemFile {
  data: Buffer;
  length: number;
  /** Content as of the last fsync; null when never fsynced. */
  synced: Buffer | null;
}

interface LastWrite {
  file: MemFile;
  position: number;
  length: number;
  lengthBefore: number;
  /** Bytes the write replaced inside the old length. */
  replaced: Buffer;
}

export interface CrashOptions {
  /**
   * true: the process died but the OS did not (kill -9): everything written survives.
   * false: power loss: every file goes back to its content at its last fsync (a file never
   * fsynced comes back empty; creations, renames and removals stay, see the module comment).
   */
  keepUnsynced: boolean;
}

/**
 * In-memory FileIO for tests. Fault injection: `failNextFsync()`, `failNextWrite()`, `diskFull`,
 * `tearLastWrite(keepBytes)` and `crash(...)`. After `crash`, every handle opened before it is
 * dead (using one throws EBADF), as it would be in a new process.
 *
 * `fsyncAsync` syncs in a later turn of the event loop (setImmediate), like a thread-pool fsync;
 * `holdAsyncFsyncs()` keeps them pending until `releaseAsyncFsyncs()`, so a test can crash while
 * one is in flight. A crash drops pending ones: their promises never settle, as in a dead process.
 */
export class MemoryFileIO implements FileIO {
  private readonly files = new Map<string, MemFile>();
  private readonly dirs = new Set<string>(['/']);
  private readonly handles = new Map<FileHandle, { file: MemFile; path: string }>();
  private nextFd = 3;
  private lastWrite: LastWrite | null = null;
  private fsyncFailure: Error | null = null;
  private writeFailure: { keepBytes: number; error: Error } | null = null;
  /** Number of successful file fsyncs, for tests of the flush policy. */
  fsyncCount = 0;
  /** Async fsyncs waiting for `releaseAsyncFsyncs`, or null when they run by themselves. */
  private heldFsyncs: Array<() => void> | null = null;
  /** Bumped by `crash`: async fsyncs started before it never complete. */
  private generation = 0;

  private static norm(path: string): string {
    const n = normalize(path);
    return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
  }

  private handle(fd: FileHandle): { file: MemFile; path: string } {
    const h = this.handles.get(fd);
    if (!h) throw ioError('EBADF', `bad file handle ${fd}`);
    return h;
  }

  /** The next fsync throws (EIO by default) and syncs nothing. */
  failNextFsync(error: Error = ioError('EIO', 'injected fsync failure')): void {
    this.fsyncFailure = error;
  }

  /** The next pwrite/append writes only `keepBytes` of its data, then throws (ENOSPC by default). */
  failNextWrite(keepBytes = 0, error: Error = ioError('ENOSPC', 'injected write failure')): void {
    this.writeFailure = { keepBytes, error };
  }

  /** While true, every pwrite/append writes nothing and throws ENOSPC (until set back to false). */
  diskFull = false;

  /** Keeps only the first `keepBytes` of the most recent write, as a crash mid-write would. */
  tearLastWrite(keepBytes: number): void {
    const w = this.lastWrite;
    if (!w) throw new Error('no write to tear');
    if (keepBytes < 0 || keepBytes > w.length) throw new Error(`cannot keep ${keepBytes} of ${w.length} bytes`);
    const f = w.file;
    const tornFrom = w.position + keepBytes;
    // Inside the old length, put back the bytes the write replaced; beyond it, drop the rest.
    const restoreEnd = Math.min(w.position + w.length, w.lengthBefore);
    if (tornFrom < restoreEnd) w.replaced.copy(f.data, tornFrom, keepBytes, restoreEnd - w.position);
    f.length = Math.max(w.lengthBefore, tornFrom);
    this.lastWrite = null;
  }

  /** From now on async fsyncs wait for `releaseAsyncFsyncs()`. */
  holdAsyncFsyncs(): void {
    this.heldFsyncs ??= [];
  }

  /** Runs the held async fsyncs, in the order they were asked for, and stops holding. */
  releaseAsyncFsyncs(): void {
    const held = this.heldFsyncs ?? [];
    this.heldFsyncs = null;
    for (const run of held) run();
  }

  /** Number of async fsyncs held. */
  get heldAsyncFsyncs(): number {
    return this.heldFsyncs?.length ?? 0;
  }

  /** Simulates the end of the process (and with `keepUnsynced: false`, of the machine). */
  crash(opts: CrashOptions): void {
    this.generation++;
    if (this.heldFsyncs !== null) this.heldFsyncs = [];
    this.handles.clear();
    this.lastWrite = null;
    this.fsyncFailure = null;
    this.writeFailure = null;
    if (opts.keepUnsynced) return;
    for (const f of this.files.values()) {
      const synced = f.synced ?? Buffer.alloc(0);
      f.data = Buffer.from(synced);
      f.length = synced.length;
    }
  }

  /** Test helper: the whole content of a file. */
  contents(path: string): Buffer {
    const f = this.files.get(MemoryFileIO.norm(path));
    if (!f) throw ioError('ENOENT', path);
    return Buffer.from(f.data.subarray(0, f.length));
  }

  open(path: string, opts: { create?: boolean } = {}): FileHandle {
    const p = MemoryFileIO.norm(path);
    let f = this.files.get(p);
    if (!f) {
      if (this.dirs.has(p)) throw ioError('EISDIR', p);
      if (!opts.create) throw ioError('ENOENT', `no such file ${p}`);
      if (!this.dirs.has(dirname(p))) throw ioError('ENOENT', `no such directory ${dirname(p)}`);
      f = { data: Buffer.alloc(0), length: 0, synced: null };
      this.files.set(p, f);
    }
    const fd = this.nextFd++;
    this.handles.set(fd, { file: f, path: p });
    return fd;
  }

  size(fd: FileHandle): number {
    return this.handle(fd).file.length;
  }

  private ensureCapacity(f: MemFile, n: number): void {
    if (n <= f.data.length) return;
    let cap = Math.max(64, f.data.length * 2);
    while (cap < n) cap *= 2;
    const next = Buffer.alloc(cap);
    f.data.copy(next, 0, 0, f.length);
    f.data = next;
  }

  pwrite(fd: FileHandle, data: Buffer, position: number): void {
    const f = this.handle(fd).file;
    if (this.diskFull && data.length > 0) throw ioError('ENOSPC', 'no space left on device (diskFull)');
    let toWrite = data;
    const failure = this.writeFailure;
    if (failure) {
      this.writeFailure = null;
      toWrite = data.subarray(0, Math.min(failure.keepBytes, data.length));
    }
    if (position > f.length) {
      this.ensureCapacity(f, position);
      f.data.fill(0, f.length, position);
      f.length = position;
    }
    const replacedEnd = Math.min(f.length, position + toWrite.length);
    this.lastWrite = {
      file: f,
      position,
      length: toWrite.length,
      lengthBefore: f.length,
      replaced: Buffer.from(f.data.subarray(position, Math.max(position, replacedEnd))),
    };
    this.ensureCapacity(f, position + toWrite.length);
    toWrite.copy(f.data, position);
    f.length = Math.max(f.length, position + toWrite.length);
    if (failure) throw failure.error;
  }

  append(fd: FileHandle, data: Buffer): number {
    const position = this.handle(fd).file.length;
    this.pwrite(fd, data, position);
    return position;
  }

  pread(fd: FileHandle, into: Buffer, intoOffset: number, length: number, position: number): number {
    const f = this.handle(fd).file;
    if (intoOffset < 0 || length < 0 || intoOffset + length > into.length)
      throw new RangeError(`pread of ${length} bytes at ${intoOffset} into a buffer of ${into.length}`);
    if (position >= f.length || length === 0) return 0;
    const n = Math.min(length, f.length - position);
    f.data.copy(into, intoOffset, position, position + n);
    return n;
  }

  truncate(fd: FileHandle, size: number): void {
    const f = this.handle(fd).file;
    if (size > f.length) {
      this.ensureCapacity(f, size);
      f.data.fill(0, f.length, size);
    }
    f.length = size;
    this.lastWrite = null;
  }

  fsync(fd: FileHandle): void {
    const f = this.handle(fd).file;
    if (this.fsyncFailure) {
      const e = this.fsyncFailure;
      this.fsyncFailure = null;
      throw e;
    }
    f.synced = Buffer.from(f.data.subarray(0, f.length));
    this.fsyncCount++;
  }

  fsyncAsync(fd: FileHandle): Promise<void> {
    this.handle(fd);
    const generation = this.generation;
    return new Promise((resolve, reject) => {
      const run = (): void => {
        if (generation !== this.generation) return; // the process "died" meanwhile
        try {
          this.fsync(fd);
          resolve();
        } catch (e) {
          reject(e);
        }
      };
      if (this.heldFsyncs !== null) this.heldFsyncs.push(run);
      else setImmediate(run);
    });
  }

  close(fd: FileHandle): void {
    this.handle(fd);
    this.handles.delete(fd);
  }

  rename(from: string, to: string): void {
    const a = MemoryFileIO.norm(from);
    const b = MemoryFileIO.norm(to);
    if (!this.dirs.has(dirname(b))) throw ioError('ENOENT', `no such directory ${dirname(b)}`);
    const f = this.files.get(a);
    if (f) {
      this.files.delete(a);
      this.files.set(b, f);
      return;
    }
    if (!this.dirs.has(a)) throw ioError('ENOENT', `no such file or directory ${a}`);
    if (this.exists(b)) throw ioError('EEXIST', b);
    const prefix = `${a}/`;
    for (const d of [...this.dirs]) {
      if (d === a || d.startsWith(prefix)) {
        this.dirs.delete(d);
        this.dirs.add(b + d.slice(a.length));
      }
    }
    for (const [p, file] of [...this.files]) {
      if (p.startsWith(prefix)) {
        this.files.delete(p);
        this.files.set(b + p.slice(a.length), file);
      }
    }
  }

  unlink(path: string): void {
    const p = MemoryFileIO.norm(path);
    if (!this.files.delete(p)) throw ioError('ENOENT', `no such file ${p}`);
  }

  readdir(dir: string): string[] {
    const d = MemoryFileIO.norm(dir);
    if (!this.dirs.has(d)) throw ioError('ENOENT', `no such directory ${d}`);
    const prefix = d === '/' ? '/' : `${d}/`;
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs]) {
      if (p !== d && p.startsWith(prefix)) {
        const rest = p.slice(prefix.length);
        if (rest.length > 0 && !rest.includes('/')) names.add(rest);
      }
    }
    return [...names].sort();
  }

  mkdir(dir: string): void {
    let d = MemoryFileIO.norm(dir);
    const missing: string[] = [];
    while (!this.dirs.has(d)) {
      if (this.files.has(d)) throw ioError('EEXIST', `${d} is a file`);
      missing.push(d);
      d = dirname(d);
    }
    for (const m of missing) this.dirs.add(m);
  }

  exists(path: string): boolean {
    const p = MemoryFileIO.norm(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  removeDir(dir: string): void {
    const d = MemoryFileIO.norm(dir);
    const prefix = `${d}/`;
    for (const p of [...this.files.keys()]) if (p.startsWith(prefix)) this.files.delete(p);
    for (const p of [...this.dirs]) if (p === d || p.startsWith(prefix)) this.dirs.delete(p);
  }

  fsyncDir(dir: string): void {
    if (!this.dirs.has(MemoryFileIO.norm(dir))) throw ioError('ENOENT', `no such directory ${dir}`);
  }
}
