/**
 * `<base>.txnindex`: the aborted transactions whose abort marker lies in the segment with that base
 * offset, in marker order. Kafka's layout, 34-byte entries, big-endian:
 *   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 * where firstOffset is the transaction's first batch and lastOffset its abort marker. An entry is
 * appended after its marker; a crash can leave a torn last entry (ignored) or a missing one, which
 * the partition log restores when it rescans batches after its newest producer snapshot.
 */
import { writeSmallFileAtomic, type FileIO } from './file-io.js';
import type { AbortedTxn } from './producer-state.js';

export const TXN_INDEX_SUFFIX = '.txnindex';
const ENTRY_BYTES = 34;

export function encodeTxnEntry(e: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_BYTES);
  b.writeInt16BE(0, 0);
  b.writeBigInt64BE(e.producerId, 2);
  b.writeBigInt64BE(e.firstOffset, 10);
  b.writeBigInt64BE(e.lastOffset, 18);
  b.writeBigInt64BE(e.lastStableOffset, 26);
  return b;
}

/** Entries of an index file; a torn trailing entry or an unknown version ends the list. */
export function readTxnIndex(io: FileIO, path: string): AbortedTxn[] {
  if (!io.exists(path)) return [];
  const fd = io.open(path);
  try {
    const size = io.size(fd);
    const buf = Buffer.alloc(size);
    io.pread(fd, buf, 0, size, 0);
    const out: AbortedTxn[] = [];
    for (let pos = 0; pos + ENTRY_BYTES <= size; pos += ENTRY_BYTES) {
      if (buf.readInt16BE(pos) !== 0) break;
      out.push({
        producerId: buf.readBigInt64BE(pos + 2),
        firstOffset: buf.readBigInt64BE(pos + 10),
        lastOffset: buf.readBigInt64BE(pos + 18),
        lastStableOffset: buf.readBigInt64BE(pos + 26),
      });
    }
    return out;
  } finally {
    io.close(fd);
  }
}

/**
 * Replaces an index file by one with exactly these entries, atomically (writeSmallFileAtomic:
 * `<file>.tmp`, fsync, rename, fsync of the directory), so a crash leaves the old list or the
 * new one, never an emptied file (the partition log removes a stray `.tmp` at open).
 */
export function writeTxnIndex(io: FileIO, path: string, entries: readonly AbortedTxn[]): void {
  writeSmallFileAtomic(io, path, Buffer.concat(entries.map(encodeTxnEntry)));
}

/** fsync of an index file, so that a snapshot or flush that follows does not outlive it. */
export function syncTxnIndex(io: FileIO, path: string): void {
  if (!io.exists(path)) return;
  const fd = io.open(path);
  try {
    io.fsync(fd);
  } finally {
    io.close(fd);
  }
}

export function appendTxnEntry(io: FileIO, path: string, e: AbortedTxn): void {
  const fd = io.open(path, { create: true });
  try {
    io.append(fd, encodeTxnEntry(e));
  } finally {
    io.close(fd);
  }
}
