/**
 * The metadata log and the controller when the storage fails (issue 10, finding 7): a change the
 * metadata log cannot take is answered KAFKA_STORAGE_ERROR, applies nothing and leaves nothing a
 * restart could replay; the next change works once the disk has room again.
 */
import t from 'tap';
import { MemoryFileIO } from '../log/file-io.js';
import { LogStorageError } from '../log/partition-log.js';
import { ErrorCode } from '../protocol/errors.js';
import { Controller, type CreateTopicSpec } from './controller.js';
import { MetadataImage } from './image.js';
import { MetadataLog } from './metadata-log.js';

const DATA = '/data';

function spec(name: string, numPartitions = 1): CreateTopicSpec {
  return { name, numPartitions, replicationFactor: 1, assignments: null, configs: new Map() };
}

function open(io: MemoryFileIO): { mlog: MetadataLog; image: MetadataImage; controller: Controller } {
  io.mkdir(DATA);
  const mlog = MetadataLog.open(DATA, io);
  const image = new MetadataImage();
  mlog.replay(image);
  return { mlog, image, controller: new Controller(image, mlog, 1, { numPartitions: 1, replicationFactor: 1 }) };
}

function topicsAfterRestart(io: MemoryFileIO): string[] {
  const { mlog, image } = open(io);
  mlog.close();
  return [...image.topicsByName.keys()].sort();
}

t.test('a metadata write that fails answers KAFKA_STORAGE_ERROR, and the next request works', async (t) => {
  const io = new MemoryFileIO();
  const { mlog, image, controller } = open(io);
  t.equal(controller.createTopic(spec('a'), false).errorCode, ErrorCode.NONE);
  io.failNextWrite(10);
  const failed = controller.createTopic(spec('b'), false);
  t.equal(failed.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  t.match(failed.errorMessage, /Free disk space/);
  t.notOk(image.topicsByName.has('b'), 'nothing applied to the image');
  t.equal(controller.createTopic(spec('c'), false).errorCode, ErrorCode.NONE, 'the next request works');
  mlog.close();
  t.same(topicsAfterRestart(io), ['a', 'c'], 'a restart shows exactly the acknowledged topics');
});

t.test('a metadata batch written whole but not fsynced is cut back, never replayed', async (t) => {
  const io = new MemoryFileIO();
  const { image, controller } = open(io);
  t.equal(controller.createTopic(spec('a'), false).errorCode, ErrorCode.NONE);
  io.failNextFsync();
  t.equal(controller.createTopic(spec('b'), false).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  t.notOk(image.topicsByName.has('b'));
  io.crash({ keepUnsynced: true });
  t.same(topicsAfterRestart(io), ['a'], 'the refused topic does not come back after a crash');
});

t.test('while the disk stays full every metadata change is refused and none applied; then all works', async (t) => {
  const io = new MemoryFileIO();
  const { mlog, image, controller } = open(io);
  t.equal(controller.createTopic(spec('a', 2), false).errorCode, ErrorCode.NONE);
  const a = image.topicsByName.get('a')!;
  io.diskFull = true;
  t.equal(controller.createTopic(spec('b'), false).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'CreateTopics');
  t.equal(controller.createTopic(spec('b'), false).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'CreateTopics again');
  t.equal(controller.createPartitions(a, 3, null, false).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'CreatePartitions');
  t.equal(controller.alterConfigs({ type: 'topic', name: 'a' }, new Map([['retention.ms', '1000']]), false).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'AlterConfigs');
  t.equal(controller.deleteTopic(a).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'DeleteTopics');
  t.throws(() => controller.allocateProducerIds(1000), { name: 'LogStorageError' }, 'producer id blocks');
  t.same([...image.topicsByName.keys()], ['a']);
  t.equal(a.partitions.length, 2);
  t.equal(a.configs.size, 0);
  io.diskFull = false;
  t.equal(controller.createTopic(spec('b'), false).errorCode, ErrorCode.NONE, 'works once space is free');
  t.equal(controller.createPartitions(a, 3, null, false).errorCode, ErrorCode.NONE);
  mlog.close();
  t.same(topicsAfterRestart(io), ['a', 'b']);
});

t.test('a change whose partitions cannot be opened is refused before it is written; a failed write undoes the opening', async (t) => {
  const io = new MemoryFileIO();
  const { mlog, image, controller } = open(io);
  let refuse = true;
  let undone = 0;
  controller.onPrepare(() => {
    if (refuse) throw new LogStorageError('EMFILE: too many open files');
    return () => undone++;
  });
  const refused = controller.createTopic(spec('a'), false);
  t.equal(refused.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  t.match(refused.errorMessage, /EMFILE/);
  refuse = false;
  io.failNextWrite();
  t.equal(controller.createTopic(spec('b'), false).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  t.equal(undone, 1, 'what the preparer opened is undone when the append fails');
  t.equal(controller.createTopic(spec('c'), false).errorCode, ErrorCode.NONE);
  t.equal(undone, 1);
  t.same([...image.topicsByName.keys()], ['c']);
  mlog.close();
  t.same(topicsAfterRestart(io), ['c'], 'the refused topics were never written');
});
