/**
 * LogManager at the edges of storage (issue 10, findings 4 and 7): shutdown goes on past a log
 * that fails to close, and partitions prepared for a commit that fails are removed again.
 */
import t from 'tap';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../logger.js';
import { MemoryFileIO } from './file-io.js';
import { LogManager } from './log-manager.js';
import { defaultLogConfig, PartitionLog } from './partition-log.js';
import { buildRecordBatch, validateBatches } from './record-batch.js';

const DATA = '/data';

function manager(io: MemoryFileIO): LogManager {
  io.mkdir(DATA);
  return new LogManager(DATA, io, loadBrokerConfig({ properties: { 'log.dirs': DATA } }), createLogger('error', () => {}));
}

function appendOne(log: PartitionLog): void {
  const b = buildRecordBatch([{ key: null, value: Buffer.from('v'), timestamp: 1000n }]);
  const c = validateBatches(b, { maxBatchBytes: 1 << 20 });
  if (!c.ok) throw new Error(c.message);
  log.append(b, c.batches);
}

t.test('closeAll closes every log it can and reports the ones that failed', async (t) => {
  const io = new MemoryFileIO();
  const logs = manager(io);
  logs.openAll([{ name: 'a', topicId: 'A', partitions: 3, configs: new Map() }]);
  for (let p = 0; p < 3; p++) appendOne(logs.get('a', p)!);
  io.failNextWrite();
  const failures = logs.closeAll();
  t.equal(failures.length, 1, 'one log failed to close');
  t.match(failures[0], /a-0: .*ENOSPC/);
  const reopened = [0, 1, 2].map((p) => PartitionLog.open(`${DATA}/a-${p}`, defaultLogConfig, io));
  t.same(
    reopened.map((l) => l.openReport.cleanShutdown),
    [false, true, true],
    'the others were closed cleanly; the failed one is recovered',
  );
  t.same(
    reopened.map((l) => l.logEndOffset),
    [1n, 1n, 1n],
    'nothing lost',
  );
});

t.test('partitions prepared for a commit that fails are removed again', async (t) => {
  const io = new MemoryFileIO();
  const logs = manager(io);
  const undo = logs.prepare('b', [0, 1], new Map());
  t.ok(io.exists(`${DATA}/b-0`) && io.exists(`${DATA}/b-1`), 'opened before the commit');
  undo();
  t.notOk(io.exists(`${DATA}/b-0`) || io.exists(`${DATA}/b-1`), 'removed when it fails');
  t.equal(logs.get('b', 0), undefined);
  io.diskFull = true;
  t.throws(() => logs.prepare('c', [0, 1], new Map()), { name: 'LogStorageError', message: /cannot open partition c-0/ });
  t.notOk(io.exists(`${DATA}/c-0`), 'a partition that could not be opened leaves no directory');
  io.diskFull = false;
  logs.prepare('c', [0, 1], new Map());
  logs.ensurePartitions('c', 'C', 2, new Map());
  t.ok(logs.get('c', 1), 'a commit adopts the prepared logs');
});

t.test('a replica moved away loses its directory; one left by a crash before that is removed at the next start', async (t) => {
  const io = new MemoryFileIO();
  const logs = manager(io);
  logs.openAll([{ name: 'm', topicId: 'M', partitions: 2, configs: new Map() }]);
  for (let p = 0; p < 2; p++) appendOne(logs.get('m', p)!);
  logs.deletePartitionLog('m', 'M', 0);
  t.equal(logs.get('m', 0), undefined, 'no longer served');
  t.notOk(io.exists(`${DATA}/m-0`), 'its directory is gone');
  t.ok(logs.get('m', 1) && io.exists(`${DATA}/m-1`), 'the other partition stays');
  logs.deletePartitionLog('m', 'M', 0);
  t.equal(logs.closeAll().length, 0);

  // The metadata now places m-1 elsewhere too, but its directory is still here (a crash).
  const again = manager(io);
  again.openAll([{ name: 'm', topicId: 'M', partitions: 2, configs: new Map(), hosts: () => false }]);
  t.notOk(io.exists(`${DATA}/m-1`), 'a stray log is removed at start');
  t.equal(again.get('m', 1), undefined);
  t.notOk(io.readdir(DATA).some((e) => e.startsWith('m-')), 'nothing left behind');
});
