/**
 * The body of a decompression worker thread (decompress-pool.ts): receives a produced batch, its
 * header info and the check options, answers `checkRecordsStreamed` of them (gzip inflated as a
 * stream, records walked as they arrive). Holds no state between jobs; the pool sends one job at
 * a time. A thrown error (a bug: checkRecords answers malformed input with a value) is sent back
 * as `bug` and the pool logs it and checks that batch on the event loop.
 */
import { parentPort } from 'node:worker_threads';
import { checkRecordsStreamed, type RecordCheckOptions } from './batch-records.js';
import type { BatchInfo } from '../native/batch.js';

export interface CheckJob {
  id: number;
  batch: Uint8Array;
  info: BatchInfo;
  opts: RecordCheckOptions;
}

parentPort?.on('message', (job: CheckJob) => {
  const batch = Buffer.from(job.batch.buffer, job.batch.byteOffset, job.batch.byteLength);
  checkRecordsStreamed(batch, job.info, job.opts).then(
    (result) => parentPort!.postMessage({ id: job.id, result }),
    (e) => parentPort!.postMessage({ id: job.id, bug: String((e as Error)?.stack ?? e) }),
  );
});
