/**
 * The addon's segment file functions (native/src/io.rs), for NativeFileIO in src/log/file-io.ts.
 * Their TypeScript twin is NodeFileIO there (node:fs), so this module holds no twin of its own:
 * `nativeFile` is null when the addon is not loaded and the broker then uses NodeFileIO.
 *
 * Descriptors are Node's (fs.openSync); the addon borrows them for a call and never closes them.
 * Errors have node:fs's shape: `code` is the errno's name (EIO, ENOSPC, EBADF, ...).
 */
import { addon } from './addon.js';

export interface NativeFile {
  fileWrite(fd: number, buf: Buffer, position: number): void;
  fileRead(fd: number, into: Buffer, intoOffset: number, length: number, position: number): number;
  fileSize(fd: number): number;
  fileSync(fd: number): void;
  fileSyncAsync(fd: number): Promise<void>;
}

export const nativeFile: NativeFile | null = addon;
