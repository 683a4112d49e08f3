/**
 * Decompression of produced batches off the event loop: a small pool of worker threads running
 * `checkRecords` (batch-records.ts) on compressed batches larger than
 * limits.decompressInlineBytesMax, so that a decompression bomb (or just a large batch) costs a
 * worker's time, not every client's latency.
 *
 * Bounded: limits.decompressWorkers threads, at most limits.decompressQueueMax jobs waiting. A job
 * that finds the queue full is answered REQUEST_TIMED_OUT (retriable: clients send it again), not
 * checked on the event loop, so a client pipelining bombs cannot push the work back onto it. A
 * pool without workers (none configured, the worker file absent, every worker died) checks on the
 * event loop, bounded by the size limit.
 * Each job copies its batch (at most max.message.bytes) to the worker; results are plain data.
 *
 * Order: jobs may finish in any order; the produce path (api/00-produce.ts) keeps appends to one
 * partition in arrival order itself. Workers start with the first batch that needs one, are
 * unref'd, and are terminated by `close()`.
 *
 * The worker file sits beside this module: dist/src/log/decompress-worker.js for the tsc output,
 * dist/decompress-worker.js for the bundle (package.json "bundle" builds both).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Logger } from '../logger.js';
import { Compression, type BatchInfo } from '../native/batch.js';
import { checkRecords, type RecordCheck, type RecordCheckOptions } from './batch-records.js';
import type { CheckJob } from './decompress-worker.js';

const WORKER_URL = new URL('./decompress-worker.js', import.meta.url);

interface Pending {
  job: CheckJob;
  /** The batch's own bytes (the job's copy is transferred to the worker). */
  batch: Buffer;
  resolve: (r: RecordCheck) => void;
}

interface Slot {
  worker: Worker;
  running: Pending | null;
}

export class RecordCheckPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  /** Workers still to start: they start with the first batch that needs one, never again after. */
  private toSpawn: number;

  constructor(
    private readonly log: Logger,
    workers: number = limits.decompressWorkers,
    private readonly queueMax: number = limits.decompressQueueMax,
  ) {
    this.toSpawn = workers;
  }

  /**
   * Starts the workers on first use, so that a broker that never sees a large compressed batch
   * pays neither their start-up nor their memory (a worker is a V8 isolate of its own).
   */
  private startWorkers(): void {
    if (this.toSpawn === 0) return;
    const workers = this.toSpawn;
    this.toSpawn = 0;
    if (!existsSync(fileURLToPath(WORKER_URL))) {
      this.log.warn(`decompression worker ${fileURLToPath(WORKER_URL)} not found: compressed batches are checked on the event loop`);
      return;
    }
    for (let i = 0; i < workers; i++) this.slots.push(this.spawn());
  }

  /**
   * `checkRecords` of one produced batch: in a worker when it is compressed and larger than
   * limits.decompressInlineBytesMax and the pool can take it, else right here (not a Promise).
   */
  check(batch: Buffer, info: BatchInfo, opts: RecordCheckOptions): RecordCheck | Promise<RecordCheck> {
    const offload = info.compression !== Compression.none && info.size > limits.decompressInlineBytesMax;
    if (offload) this.startWorkers();
    if (!offload || this.slots.length === 0) return checkRecords(batch, info, opts);
    if (this.queue.length >= this.queueMax) return this.busy();
    const own = batch.subarray(info.position, info.position + info.size);
    return new Promise((resolve) => {
      // A copy the worker takes over (transferred), so `batch` stays usable for the append.
      const job: CheckJob = { id: this.nextId++, batch: Uint8Array.from(own), info: { ...info, position: 0 }, opts };
      this.queue.push({ job, batch: own, resolve });
      this.pump();
    });
  }

  private busy(): RecordCheck {
    const message = `The broker is decompressing ${this.queueMax} other large compressed batches; send this one again.`;
    return { ok: false, errorCode: ErrorCode.REQUEST_TIMED_OUT, message, recordErrors: [] };
  }

  /** Jobs waiting or running (tests, metrics). */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.running !== null).length;
  }

  async close(): Promise<void> {
    this.toSpawn = 0;
    const slots = this.slots.splice(0);
    for (const p of this.queue.splice(0)) this.inline(p);
    for (const s of slots) {
      if (s.running) this.inline(s.running);
      await s.worker.terminate();
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const slot: Slot = { worker, running: null };
    worker.on('message', (m: { id: number; result?: RecordCheck; bug?: string }) => this.onResult(slot, m));
    worker.on('error', (e) => this.onWorkerGone(slot, `failed: ${e.message}`));
    worker.on('exit', (code) => this.onWorkerGone(slot, `exited with code ${code}`));
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.running !== null) continue;
      const next = this.queue.shift();
      if (next === undefined) return;
      slot.running = next;
      slot.worker.postMessage(next.job, [next.job.batch.buffer as ArrayBuffer]);
    }
  }

  private onResult(slot: Slot, m: { id: number; result?: RecordCheck; bug?: string }): void {
    const p = slot.running;
    if (p === null || p.job.id !== m.id) return;
    slot.running = null;
    if (m.result !== undefined) p.resolve(m.result);
    else {
      this.log.error(`BUG in a decompression worker: ${m.bug}`);
      this.inline(p);
    }
    this.pump();
  }

  /** A worker died: its job and, when no worker is left, the queue are checked here. */
  private onWorkerGone(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    this.log.error(`a decompression worker ${why}; ${this.slots.length} left`);
    if (slot.running) this.inline(slot.running);
    if (this.slots.length === 0) for (const p of this.queue.splice(0)) this.inline(p);
    else this.pump();
  }

  private inline(p: Pending): void {
    p.resolve(checkRecords(p.batch, p.job.info, p.job.opts));
  }
}
