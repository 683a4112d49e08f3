/**
 * The leader-epoch cache: one named test per edge case (Kafka's LeaderEpochFileCacheTest was the
 * checklist), run on NodeFileIO, NativeFileIO and MemoryFileIO; the checkpoint file against what
 * Kafka 4.1.1 writes and reads; crash and failure behaviour on MemoryFileIO.
 */
import t, { type Test } from 'tap';
import { onEveryFileIO } from './every-file-io.js';
import { join } from 'node:path';
import { limits, checkLimits } from '../config/limits.js';
import { MemoryFileIO, readSmallFile, writeSmallFileAtomic, type FileIO } from './file-io.js';
import {
  formatCheckpoint,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LeaderEpochCache,
  LeaderEpochCheckpointError,
  parseCheckpoint,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
  type EpochEntry,
} from './leader-epoch-cache.js';

const UNDEFINED = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };

/** Entries written compactly: [[epoch, startOffset], ...]. */
function entries(...pairs: Array<[number, number | bigint]>): EpochEntry[] {
  return pairs.map(([epoch, startOffset]) => ({ epoch, startOffset: BigInt(startOffset) }));
}

/** The error `fn` throws (failing the test when it throws none). */
function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function fileText(io: FileIO, dir: string): string | null {
  return readSmallFile(io, join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 1 << 20)?.toString('latin1') ?? null;
}

/**
 * Written by Kafka 4.1.1's own LeaderEpochFileCache (kafka-storage-4.1.1.jar, run from
 * compat-tests/reference's Maven cache) after assign(0,0), (1,5), (3,120), (3,130),
 * (7,9000000000), (2147483647,9223372036854775806): the (3,130) changed nothing.
 */
const KAFKA_WRITTEN = '0\n5\n0 0\n1 5\n3 120\n7 9000000000\n2147483647 9223372036854775806\n';

function suite(t: Test, io: FileIO, newDir: () => string): void {
  const fresh = (): { dir: string; cache: LeaderEpochCache } => {
    const dir = newDir();
    return { dir, cache: LeaderEpochCache.open(io, dir) };
  };
  const cacheOf = (...pairs: Array<[number, number]>): { dir: string; cache: LeaderEpochCache } => {
    const f = fresh();
    for (const [epoch, offset] of pairs) f.cache.assign(epoch, BigInt(offset));
    return f;
  };

  // -- assign ---------------------------------------------------------------------------------------

  t.test('the first assign sets the latest epoch; its end is the log end offset', async (t) => {
    const { cache } = fresh();
    t.equal(cache.latestEpoch, null, 'an empty cache has no latest epoch');
    t.equal(cache.assign(2, 10n), true);
    t.equal(cache.latestEpoch, 2);
    t.same(cache.entries(), entries([2, 10]));
    t.same(cache.endOffsetFor(2, 11n), { epoch: 2, endOffset: 11n });
  });

  t.test('epochs need not start from zero', async (t) => {
    const { cache } = cacheOf([2, 6]);
    t.same(cache.endOffsetFor(2, 7n), { epoch: 2, endOffset: 7n });
    t.same(cache.entries(), entries([2, 6]));
  });

  t.test('the latest epoch again at a later offset changes nothing', async (t) => {
    const { cache } = cacheOf([2, 6]);
    t.equal(cache.assign(2, 10n), false);
    t.equal(cache.assign(2, 6n), false, 'nor at the same offset');
    t.same(cache.entries(), entries([2, 6]));
  });

  t.test('the latest epoch again at an earlier offset moves its start back', async (t) => {
    const { cache } = cacheOf([5, 11], [6, 12], [7, 13]);
    t.equal(cache.assign(7, 12n), true);
    // Epoch 6 started at 12 too, so it conflicts and goes.
    t.same(cache.entries(), entries([5, 11], [7, 12]));
    t.same(cache.endOffsetFor(5, 0n), { epoch: 5, endOffset: 12n });
    t.same(cache.endOffsetFor(6, 0n), { epoch: 5, endOffset: 12n });
  });

  t.test('a newer epoch at the same offset replaces the older one', async (t) => {
    const { cache } = cacheOf([2, 9]);
    t.equal(cache.assign(3, 9n), true);
    t.same(cache.entries(), entries([3, 9]));
  });

  t.test('a newer epoch at a lower offset removes the entries it conflicts with', async (t) => {
    const { cache } = cacheOf([2, 6]);
    t.equal(cache.assign(3, 5n), true);
    t.same(cache.entries(), entries([3, 5]));
  });

  t.test('an older epoch assigned later removes every newer entry', async (t) => {
    const { cache } = cacheOf([1, 5], [2, 6]);
    t.equal(cache.assign(1, 7n), true);
    t.equal(cache.latestEpoch, 1);
    t.same(cache.entries(), entries([1, 7]));
    t.same(cache.endOffsetFor(1, 8n), { epoch: 1, endOffset: 8n });
    t.same(cache.endOffsetFor(2, 8n), UNDEFINED, 'epoch 2 is now newer than any');
  });

  t.test('an older epoch at a later offset keeps the entries before it', async (t) => {
    const { cache } = cacheOf([1, 0], [3, 10], [5, 20]);
    t.equal(cache.assign(4, 30n), true);
    t.same(cache.entries(), entries([1, 0], [3, 10], [4, 30]));
  });

  t.test('a negative epoch or offset is a bug and throws', async (t) => {
    const { cache } = cacheOf([1, 0]);
    t.throws(() => cache.assign(-1, 5n), RangeError);
    t.throws(() => cache.assign(2, -1n), RangeError);
    t.throws(() => cache.assign(2 ** 31, 5n), RangeError, 'beyond int32');
    t.throws(() => cache.assign(1.5, 5n), RangeError);
    t.same(cache.entries(), entries([1, 0]));
  });

  t.test('leader changes: each epoch ends where the next one starts', async (t) => {
    const { cache } = cacheOf([0, 0]);
    t.equal(cache.assign(1, 0n), true, 'epoch 1 before any data of epoch 0');
    t.same(cache.entries(), entries([1, 0]), 'epoch 0 wrote nothing, so its entry goes');
    t.same(cache.endOffsetFor(1, 0n), { epoch: 1, endOffset: 0n });
    t.same(cache.endOffsetFor(0, 0n), { epoch: 0, endOffset: 0n }, 'older than every epoch: the first start');
    t.same(cache.endOffsetFor(1, 5n), { epoch: 1, endOffset: 5n });
    cache.assign(2, 5n);
    t.same(cache.endOffsetFor(2, 10n), { epoch: 2, endOffset: 10n });
    t.same(cache.endOffsetFor(1, 10n), { epoch: 1, endOffset: 5n });
    t.same(cache.endOffsetFor(0, 10n), { epoch: 0, endOffset: 0n });
  });

  t.test('a follower appending batch by batch keeps one entry per epoch', async (t) => {
    const { cache } = fresh();
    for (const [epoch, offset] of [[0, 0], [0, 1], [0, 2], [1, 3], [1, 4], [1, 5], [2, 6], [2, 7], [2, 8]] as const)
      cache.assign(epoch, BigInt(offset));
    t.same(cache.entries(), entries([0, 0], [1, 3], [2, 6]));
    t.same(cache.endOffsetFor(2, 9n), { epoch: 2, endOffset: 9n });
    t.same(cache.endOffsetFor(1, 9n), { epoch: 1, endOffset: 6n });
    t.same(cache.endOffsetFor(0, 9n), { epoch: 0, endOffset: 3n });
  });

  // -- endOffsetFor ---------------------------------------------------------------------------------

  t.test('UNDEFINED_EPOCH asked: undefined, whatever the cache holds', async (t) => {
    t.same(fresh().cache.endOffsetFor(UNDEFINED_EPOCH, 73n), UNDEFINED, 'empty cache');
    t.same(cacheOf([2, 11], [3, 12]).cache.endOffsetFor(UNDEFINED_EPOCH, 0n), UNDEFINED, 'with entries');
  });

  t.test('any epoch asked of an empty cache: undefined', async (t) => {
    t.same(fresh().cache.endOffsetFor(0, 0n), UNDEFINED);
    t.same(fresh().cache.endOffsetFor(7, 0n), UNDEFINED);
  });

  t.test('an epoch newer than the latest: undefined', async (t) => {
    t.same(cacheOf([2, 100]).cache.endOffsetFor(3, 100n), UNDEFINED);
  });

  t.test('an epoch older than the first: that epoch, ending where the first starts', async (t) => {
    t.same(cacheOf([5, 11], [6, 12], [7, 13]).cache.endOffsetFor(4, 0n), { epoch: 4, endOffset: 11n });
  });

  t.test('an epoch between entries: the one below it, ending where the next starts', async (t) => {
    const { cache } = cacheOf([0, 10], [2, 13], [4, 17]);
    t.same(cache.endOffsetFor(1, 0n), { epoch: 0, endOffset: 13n });
    t.same(cache.endOffsetFor(2, 0n), { epoch: 2, endOffset: 17n });
    t.same(cache.endOffsetFor(3, 0n), { epoch: 2, endOffset: 17n });
    t.same(cache.endOffsetFor(4, 20n), { epoch: 4, endOffset: 20n });
  });

  t.test('an epoch assigned several times ends at the next epoch\'s first start', async (t) => {
    const { cache } = cacheOf([1, 11], [1, 12], [2, 13], [2, 14], [3, 15], [3, 16]);
    t.same(cache.endOffsetFor(2, 17n), { epoch: 2, endOffset: 15n });
  });

  // -- epochForOffset -------------------------------------------------------------------------------

  t.test('epochForOffset: the epoch whose range holds the offset; none before the first', async (t) => {
    const { cache } = cacheOf([0, 10], [1, 20], [5, 30]);
    t.equal(cache.epochForOffset(25n), 1);
    t.equal(cache.epochForOffset(20n), 1, 'an epoch\'s first offset');
    t.equal(cache.epochForOffset(30n), 5);
    t.equal(cache.epochForOffset(50n), 5, 'past the last start: the latest');
    t.equal(cache.epochForOffset(10n), 0);
    t.equal(cache.epochForOffset(5n), null, 'before the first start');
    t.equal(fresh().cache.epochForOffset(0n), null, 'empty cache');
  });

  // -- truncateFromEnd ------------------------------------------------------------------------------

  t.test('truncateFromEnd on an epoch boundary removes that epoch and later ones', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromEnd(8n), true);
    t.same(cache.entries(), entries([2, 6]));
  });

  t.test('truncateFromEnd between boundaries keeps the epoch that was writing there', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromEnd(9n), true);
    t.equal(cache.latestEpoch, 3);
    t.same(cache.entries(), entries([2, 6], [3, 8]));
  });

  t.test('truncateFromEnd past the latest start changes nothing', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromEnd(12n), false);
    t.equal(cache.truncateFromEnd(1000n), false);
    t.equal(cache.size, 3);
  });

  t.test('truncateFromEnd to the first start empties the cache', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8]);
    t.equal(cache.truncateFromEnd(6n), true);
    t.equal(cache.size, 0);
    t.equal(cache.latestEpoch, null);
  });

  t.test('truncateFromEnd with UNDEFINED_EPOCH_OFFSET changes nothing', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromEnd(UNDEFINED_EPOCH_OFFSET), false);
    t.equal(cache.size, 3);
  });

  t.test('truncateFromEnd of an empty cache changes nothing', async (t) => {
    t.equal(fresh().cache.truncateFromEnd(7n), false);
  });

  t.test('truncateFromEnd then the previous epoch is the one before the new latest', async (t) => {
    const { cache } = cacheOf([2, 10], [4, 15], [10, 20]);
    cache.truncateFromEnd(18n);
    t.same(cache.entries(), entries([2, 10], [4, 15]));
    t.same(cache.endOffsetFor(2, 18n), { epoch: 2, endOffset: 15n });
  });

  // -- truncateFromStart ----------------------------------------------------------------------------

  t.test('truncateFromStart on an epoch boundary keeps that entry as it is', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromStart(8n), true);
    t.same(cache.entries(), entries([3, 8], [4, 11]));
  });

  t.test('truncateFromStart between boundaries moves the covering epoch\'s start up', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromStart(9n), true);
    t.same(cache.entries(), entries([3, 9], [4, 11]));
  });

  t.test('truncateFromStart inside the first epoch moves only its start', async (t) => {
    const { cache } = cacheOf([0, 0], [1, 7], [2, 10]);
    t.equal(cache.truncateFromStart(5n), true);
    t.same(cache.entries(), entries([0, 5], [1, 7], [2, 10]));
  });

  t.test('truncateFromStart before the first start changes nothing', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromStart(1n), false);
    t.same(cache.entries(), entries([2, 6], [3, 8], [4, 11]));
  });

  t.test('truncateFromStart at the first start changes nothing', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromStart(6n), false);
    t.same(cache.entries(), entries([2, 6], [3, 8], [4, 11]));
  });

  t.test('truncateFromStart at the latest start keeps only the latest', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromStart(11n), true);
    t.same(cache.entries(), entries([4, 11]));
  });

  t.test('truncateFromStart past the latest start keeps the latest, starting there', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromStart(15n), true);
    t.same(cache.entries(), entries([4, 15]));
  });

  t.test('truncateFromStart with UNDEFINED_EPOCH_OFFSET changes nothing', async (t) => {
    const { cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    t.equal(cache.truncateFromStart(UNDEFINED_EPOCH_OFFSET), false);
    t.equal(cache.size, 3);
  });

  t.test('truncateFromStart of an empty cache changes nothing', async (t) => {
    t.equal(fresh().cache.truncateFromStart(7n), false);
  });

  // -- the file -------------------------------------------------------------------------------------

  t.test('open of a directory without the file: empty, and no file is created', async (t) => {
    const { dir, cache } = fresh();
    t.equal(cache.size, 0);
    t.equal(fileText(io, dir), null);
  });

  t.test('every change rewrites the file; entries persist to the next open', async (t) => {
    const { dir, cache } = cacheOf([2, 6]);
    t.equal(fileText(io, dir), '0\n1\n2 6\n');
    cache.assign(3, 8n);
    cache.assign(4, 11n);
    t.equal(fileText(io, dir), '0\n3\n2 6\n3 8\n4 11\n');
    t.same(LeaderEpochCache.open(io, dir).entries(), entries([2, 6], [3, 8], [4, 11]));
    t.notOk(io.exists(join(dir, `${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`)), 'no temporary file is left');
  });

  t.test('truncations are written at once', async (t) => {
    const { dir, cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    cache.truncateFromEnd(11n);
    t.equal(fileText(io, dir), '0\n2\n2 6\n3 8\n');
    cache.truncateFromStart(8n);
    t.equal(fileText(io, dir), '0\n1\n3 8\n', 'as Kafka 4.1.1 leaves it after the same calls');
  });

  t.test('clear empties the cache and writes an empty list', async (t) => {
    const { dir, cache } = cacheOf([2, 6], [3, 8], [4, 11]);
    cache.clear();
    t.equal(cache.size, 0);
    t.equal(fileText(io, dir), '0\n0\n');
    t.same(LeaderEpochCache.open(io, dir).entries(), []);
  });

  t.test('golden: the same assigns write the bytes Kafka writes, and they read back the same', async (t) => {
    const { dir, cache } = cacheOf([0, 0], [1, 5], [3, 120], [3, 130]);
    cache.assign(7, 9_000_000_000n);
    cache.assign(2147483647, 9223372036854775806n);
    t.equal(fileText(io, dir), KAFKA_WRITTEN);
    const dir2 = newDir();
    writeSmallFileAtomic(io, join(dir2, LEADER_EPOCH_CHECKPOINT_FILE), Buffer.from(KAFKA_WRITTEN, 'latin1'));
    const read = LeaderEpochCache.open(io, dir2);
    t.same(read.entries(), cache.entries());
    t.equal(formatCheckpoint(read.entries()).toString('latin1'), KAFKA_WRITTEN, 'writes back byte-identical');
    read.truncateFromStart(5n);
    t.equal(read.assign(2147483647, 9223372036854775807n), false, 'the latest epoch again: the file stays');
    t.equal(fileText(io, dir2), '0\n4\n1 5\n3 120\n7 9000000000\n2147483647 9223372036854775806\n');
  });

  t.test('an empty file (Kafka creates one before any epoch) reads as an empty cache', async (t) => {
    const dir = newDir();
    writeSmallFileAtomic(io, join(dir, LEADER_EPOCH_CHECKPOINT_FILE), Buffer.alloc(0));
    const cache = LeaderEpochCache.open(io, dir);
    t.equal(cache.size, 0);
    cache.assign(0, 0n);
    t.equal(fileText(io, dir), '0\n1\n0 0\n');
  });

  t.test('a corrupt file throws LeaderEpochCheckpointError naming it; rebuild replaces it', async (t) => {
    const dir = newDir();
    const path = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
    writeSmallFileAtomic(io, path, Buffer.from('0\n2\n1 0\n', 'latin1'));
    const err = caught(() => LeaderEpochCache.open(io, dir));
    t.ok(err instanceof LeaderEpochCheckpointError);
    t.equal((err as LeaderEpochCheckpointError).path, path);
    t.match(err.message, /2 entries announced, 1 found/);
    const batches = [
      { partitionLeaderEpoch: -1, baseOffset: 0n }, // written before epochs existed: no entry
      { partitionLeaderEpoch: 0, baseOffset: 3n },
      { partitionLeaderEpoch: 0, baseOffset: 5n },
      { partitionLeaderEpoch: 2, baseOffset: 9n },
      { partitionLeaderEpoch: 1, baseOffset: 12n }, // older than the latest: ignored, as Kafka's recovery does
    ];
    const rebuilt = LeaderEpochCache.rebuild(io, dir, batches);
    t.same(rebuilt.entries(), entries([0, 3], [2, 9]));
    t.equal(fileText(io, dir), '0\n2\n0 3\n2 9\n');
    t.same(LeaderEpochCache.open(io, dir).entries(), entries([0, 3], [2, 9]));
  });

  t.test('rebuild with no epoch in any batch still replaces the corrupt file', async (t) => {
    const dir = newDir();
    writeSmallFileAtomic(io, join(dir, LEADER_EPOCH_CHECKPOINT_FILE), Buffer.from('garbage', 'latin1'));
    t.equal(LeaderEpochCache.rebuild(io, dir, []).size, 0);
    t.equal(fileText(io, dir), '0\n0\n');
    t.equal(LeaderEpochCache.open(io, dir).size, 0);
  });

  t.test('assignFromBatches: new epochs of recovered batches, one write', async (t) => {
    const { dir, cache } = cacheOf([0, 0]);
    t.equal(cache.assignFromBatches([{ partitionLeaderEpoch: 0, baseOffset: 4n }]), false, 'the latest epoch again');
    t.equal(
      cache.assignFromBatches([
        { partitionLeaderEpoch: 1, baseOffset: 10n },
        { partitionLeaderEpoch: 1, baseOffset: 12n },
        { partitionLeaderEpoch: -1, baseOffset: 14n },
        { partitionLeaderEpoch: 3, baseOffset: 15n },
      ]),
      true,
    );
    t.same(cache.entries(), entries([0, 0], [1, 10], [3, 15]));
    t.equal(fileText(io, dir), '0\n3\n0 0\n1 10\n3 15\n');
  });

  t.test('after a load: the log end and start trim what the file ran ahead of', async (t) => {
    // The file kept epoch 2 at 20, but the recovered log ends at 15 and starts at 3.
    const { dir } = cacheOf([0, 0], [1, 10], [2, 20]);
    const cache = LeaderEpochCache.open(io, dir);
    cache.assignFromBatches([{ partitionLeaderEpoch: 1, baseOffset: 12n }]);
    cache.truncateFromEnd(15n);
    cache.truncateFromStart(3n);
    t.same(cache.entries(), entries([0, 3], [1, 10]));
    t.same(cache.endOffsetFor(2, 15n), UNDEFINED);
    t.same(cache.endOffsetFor(1, 15n), { epoch: 1, endOffset: 15n });
  });

  // -- the bound ------------------------------------------------------------------------------------

  t.test('past entriesMax the oldest entries are dropped and counted', async (t) => {
    const dir = newDir();
    const cache = LeaderEpochCache.open(io, dir, { entriesMax: 3 });
    for (let e = 0; e < 5; e++) cache.assign(e, BigInt(e * 10));
    t.same(cache.entries(), entries([2, 20], [3, 30], [4, 40]));
    t.equal(cache.entriesDropped, 2);
    t.equal(fileText(io, dir), '0\n3\n2 20\n3 30\n4 40\n');
    t.same(cache.endOffsetFor(0, 50n), { epoch: 0, endOffset: 20n }, 'a dropped epoch ends where the oldest kept one starts');
  });

  t.test('a file with more than entriesMax entries loads its newest ones', async (t) => {
    const dir = newDir();
    writeSmallFileAtomic(io, join(dir, LEADER_EPOCH_CHECKPOINT_FILE), Buffer.from('0\n4\n0 0\n1 5\n2 9\n3 12\n', 'latin1'));
    const cache = LeaderEpochCache.open(io, dir, { entriesMax: 2 });
    t.same(cache.entries(), entries([2, 9], [3, 12]));
    t.equal(cache.entriesDropped, 2);
  });

  t.test('a file larger than entriesMax lines could be is refused', async (t) => {
    const dir = newDir();
    const text = `0\n1\n${'0'.repeat(200)} 5\n`;
    writeSmallFileAtomic(io, join(dir, LEADER_EPOCH_CHECKPOINT_FILE), Buffer.from(text, 'latin1'));
    t.throws(() => LeaderEpochCache.open(io, dir, { entriesMax: 1 }), LeaderEpochCheckpointError);
    t.same(LeaderEpochCache.open(io, dir, { entriesMax: 100 }).entries(), entries([0, 5]), 'the same file under a larger bound');
  });

  t.test('a checkpoint path that cannot be read is a storage error, not a corrupt file', async (t) => {
    const dir = newDir();
    io.mkdir(join(dir, LEADER_EPOCH_CHECKPOINT_FILE));
    const err = caught(() => LeaderEpochCache.open(io, dir));
    t.notOk(err instanceof LeaderEpochCheckpointError);
    t.equal((err as NodeJS.ErrnoException).code, 'EISDIR');
  });
}

// -- the reader, case by case against Kafka 4.1.1 ---------------------------------------------------

/**
 * Each file was loaded by Kafka 4.1.1's LeaderEpochFileCache (its checkpoint reader, then its
 * assign per entry); `kafka` is the list it loaded, or 'refused' when the load threw.
 */
const READER_CASES: Array<{ name: string; text: string; kafka: Array<[number, number]> | 'refused' }> = [
  { name: 'empty file', text: '', kafka: [] },
  { name: 'version line only', text: '0\n', kafka: [] },
  { name: 'version line without its end', text: '0', kafka: [] },
  { name: 'another version', text: '1\n0\n', kafka: 'refused' },
  { name: 'no entries', text: '0\n0\n', kafka: [] },
  { name: 'CRLF line ends', text: '0\r\n1\r\n2 5\r\n', kafka: [[2, 5]] },
  { name: 'CR line ends', text: '0\r1\r2 5\r', kafka: [[2, 5]] },
  { name: 'last line without its end', text: '0\n1\n2 5', kafka: [[2, 5]] },
  { name: 'blank after the entry', text: '0\n1\n2 5 \n', kafka: [[2, 5]] },
  { name: 'blank before the entry', text: '0\n1\n 2 5\n', kafka: 'refused' },
  { name: 'tabs between', text: '0\n1\n2\t\t5\n', kafka: [[2, 5]] },
  { name: 'two spaces between', text: '0\n1\n2  5\n', kafka: [[2, 5]] },
  { name: 'vertical tab and form feed between', text: '0\n1\n2\v\f5\n', kafka: [[2, 5]] },
  { name: 'an empty last line', text: '0\n1\n2 5\n\n', kafka: 'refused' },
  { name: 'only a line end', text: '\n', kafka: 'refused' },
  { name: 'count above the lines', text: '0\n2\n2 5\n', kafka: 'refused' },
  { name: 'count below the lines', text: '0\n0\n2 5\n', kafka: 'refused' },
  { name: 'negative count', text: '0\n-1\n', kafka: 'refused' },
  { name: 'count not a number', text: '0\nx\n', kafka: 'refused' },
  { name: 'version with a blank', text: '0 \n0\n', kafka: 'refused' },
  { name: 'version 00', text: '00\n0\n', kafka: [] },
  { name: 'version -0', text: '-0\n0\n', kafka: [] },
  { name: 'three numbers on a line', text: '0\n1\n2 5 7\n', kafka: 'refused' },
  { name: 'negative epoch', text: '0\n1\n-1 5\n', kafka: 'refused' },
  { name: 'epoch -0', text: '0\n1\n-0 5\n', kafka: [[0, 5]] },
  { name: 'negative offset', text: '0\n1\n2 -5\n', kafka: 'refused' },
  { name: 'epoch beyond int32', text: '0\n1\n2147483648 5\n', kafka: 'refused' },
  { name: 'offset beyond int64', text: '0\n1\n2 9223372036854775808\n', kafka: 'refused' },
  { name: 'plus signs', text: '0\n1\n+2 +5\n', kafka: [[2, 5]] },
  { name: 'leading zeros', text: '0\n1\n007 0005\n', kafka: [[7, 5]] },
  { name: 'epochs not increasing: later conflicting entries go', text: '0\n3\n1 0\n3 10\n2 20\n', kafka: [[1, 0], [2, 20]] },
  { name: 'an epoch twice: the first start stays', text: '0\n2\n2 5\n2 9\n', kafka: [[2, 5]] },
  { name: 'an epoch twice, the second earlier', text: '0\n2\n2 9\n2 5\n', kafka: [[2, 5]] },
  { name: 'two epochs at one offset: the newer', text: '0\n2\n1 5\n2 5\n', kafka: [[2, 5]] },
  { name: 'offsets decreasing', text: '0\n2\n2 9\n3 5\n', kafka: [[3, 5]] },
];

t.test('the reader accepts and refuses what Kafka 4.1.1 does, and loads the same list', async (t) => {
  const io = new MemoryFileIO();
  let n = 0;
  for (const c of READER_CASES) {
    const dir = `/reader/c${n++}`;
    io.mkdir(dir);
    writeSmallFileAtomic(io, join(dir, LEADER_EPOCH_CHECKPOINT_FILE), Buffer.from(c.text, 'latin1'));
    if (c.kafka === 'refused') {
      t.throws(() => LeaderEpochCache.open(io, dir), LeaderEpochCheckpointError, c.name);
    } else {
      t.same(LeaderEpochCache.open(io, dir).entries(), entries(...c.kafka), c.name);
    }
  }
});

t.test('parseCheckpoint returns the lines as written, before assign repairs them', async (t) => {
  t.same(parseCheckpoint(Buffer.from('0\n3\n1 0\n3 10\n2 20\n'), 'f'), entries([1, 0], [3, 10], [2, 20]));
  t.throws(() => parseCheckpoint(Buffer.from('0\n1\nx y\n'), 'f'), LeaderEpochCheckpointError);
});

t.test('formatCheckpoint of an empty list is version and a zero count', async (t) => {
  t.equal(formatCheckpoint([]).toString('latin1'), '0\n0\n');
});

// -- crash and failure, on MemoryFileIO -----------------------------------------------------------

t.test('crash and failure behaviour', async (t) => {
  const io = new MemoryFileIO();
  let n = 0;
  const newDir = (): string => {
    const d = `/crash/d${n++}`;
    io.mkdir(d);
    return d;
  };

  t.test('a change that returned survives a power loss', async (t) => {
    const dir = newDir();
    const cache = LeaderEpochCache.open(io, dir);
    cache.assign(1, 0n);
    cache.assign(2, 7n);
    cache.truncateFromEnd(7n);
    io.crash({ keepUnsynced: false });
    t.same(LeaderEpochCache.open(io, dir).entries(), entries([1, 0]));
  });

  t.test('a failed fsync throws, and the cache and the file keep the old list', async (t) => {
    const dir = newDir();
    const cache = LeaderEpochCache.open(io, dir);
    cache.assign(1, 0n);
    io.failNextFsync();
    t.throws(() => cache.assign(2, 7n), { code: 'EIO' });
    t.same(cache.entries(), entries([1, 0]), 'memory unchanged');
    t.equal(fileText(io, dir), '0\n1\n1 0\n', 'file unchanged');
    t.equal(cache.assign(2, 7n), true, 'the same change succeeds once the disk does');
    t.same(LeaderEpochCache.open(io, dir).entries(), entries([1, 0], [2, 7]));
  });

  t.test('a failed write throws, and the truncation is not applied', async (t) => {
    const dir = newDir();
    const cache = LeaderEpochCache.open(io, dir);
    cache.assign(1, 0n);
    cache.assign(2, 7n);
    io.failNextWrite(3);
    t.throws(() => cache.truncateFromStart(9n), { code: 'ENOSPC' });
    t.same(cache.entries(), entries([1, 0], [2, 7]));
    io.crash({ keepUnsynced: true });
    t.same(LeaderEpochCache.open(io, dir).entries(), entries([1, 0], [2, 7]), 'the half-written .tmp is not read');
  });

  t.test('a crash inside the write leaves the old file; the next write replaces the stray .tmp', async (t) => {
    const dir = newDir();
    const cache = LeaderEpochCache.open(io, dir);
    cache.assign(1, 0n);
    // What a death between the .tmp's write and its rename leaves behind.
    const tmp = io.open(join(dir, `${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`), { create: true });
    io.pwrite(tmp, Buffer.from('0\n2\n1 0\n2 '), 0);
    io.close(tmp);
    io.crash({ keepUnsynced: false });
    const reopened = LeaderEpochCache.open(io, dir);
    t.same(reopened.entries(), entries([1, 0]));
    reopened.assign(3, 4n);
    t.equal(fileText(io, dir), '0\n2\n1 0\n3 4\n');
    t.notOk(io.exists(join(dir, `${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`)));
  });

  t.test('no write when nothing changes', async (t) => {
    const dir = newDir();
    const cache = LeaderEpochCache.open(io, dir);
    cache.assign(1, 0n);
    cache.assign(2, 10n);
    const before = io.fsyncCount;
    cache.assign(2, 11n);
    cache.truncateFromEnd(11n);
    cache.truncateFromStart(0n);
    cache.assignFromBatches([{ partitionLeaderEpoch: 2, baseOffset: 12n }]);
    cache.endOffsetFor(1, 12n);
    t.equal(io.fsyncCount, before);
    cache.assign(3, 12n);
    t.equal(io.fsyncCount, before + 1, 'one fsync per change');
  });
});

t.test('limits: the bound is in limits.ts and checked', async (t) => {
  t.equal(limits.leaderEpochEntriesMax, 10_000);
  t.throws(() => checkLimits({ ...limits, leaderEpochEntriesMax: 0 } as unknown as typeof limits), /leaderEpochEntriesMax/);
  t.doesNotThrow(() => checkLimits());
  t.throws(() => LeaderEpochCache.open(new MemoryFileIO(), '/', { entriesMax: 0 }), RangeError);
});

// -- every FileIO ---------------------------------------------------------------------------------

onEveryFileIO('epoch', suite);
