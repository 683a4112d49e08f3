/**
 * The body of a decompression worker thread (decompress-pool.ts): receives a produced batch, its
 * header info and the check options, answers `checkRecords` of them. Holds no state between
 * jobs. A thrown error (a bug: checkRecords answers malformed input with a value) is sent back
 * as `bug` and the pool logs it and checks that batch on the event loop.
 */
import { parentPort } from 'node:worker_threads';
import { checkRecords, type RecordCheckOptions } from './batch-records.js';
import type { BatchInfo } from '../native/batch.js';

export interface CheckJob {
  id: number;
  batch: Uint8Array;
  info: BatchInfo;
  opts: RecordCheckOptions;
}

parentPort?.on('message', (job: CheckJob) => {
  try {
    const batch = Buffer.from(job.batch.buffer, job.batch.byteOffset, job.batch.byteLength);
    parentPort!.postMessage({ id: job.id, result: checkRecords(batch, job.info, job.opts) });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, bug: String((e as Error)?.stack ?? e) });
  }
});
