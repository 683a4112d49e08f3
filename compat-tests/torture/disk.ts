/**
 * Disk full, on a small tmpfs where the machine allows mounting one (root in CI): produce until
 * the filesystem is full, then check that the broker answers (never a dropped connection or a
 * crash), refuses what it cannot write with an error, works again once space is freed, shuts
 * down cleanly and, after a restart, still has every acknowledged record.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch, decodeRecords, splitBatches } from '../../src/log/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CreateTopics, Fetch, Metadata, Produce } from '../../src/protocol/generated/index.js';
import { freePort, spawnBroker, type BrokerProcess } from '../harness.js';
import { fetchRequest, RawClient } from '../raw-client.js';
import { alive } from './common.js';

export interface DiskResult {
  /** Why the phase could not run (no permission to mount), or null. */
  skipped: string | null;
  acknowledged: number;
  fullError: number | null;
  answeredWhileFull: boolean;
  createWhileFull: number | null;
  servedAfterFree: string | null;
  stopExitCode: number | null;
  lost: number;
  crashed: boolean;
}

const FS_MIB = 24;
const BALLAST_MIB = 8;

function createReq(name: string) {
  return { topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false };
}

function produceReq(topic: string, value: Buffer) {
  return { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value, timestamp: BigInt(Date.now()) }]) }] }] };
}

async function readValues(port: number, topic: string): Promise<Set<string>> {
  const c = await RawClient.connect(port);
  const out = new Set<string>();
  try {
    let offset = 0n;
    for (let i = 0; i < 10_000; i++) {
      const part = (await c.request(Fetch, 12, fetchRequest(topic, 0, offset, { maxBytes: 4 << 20, partitionMaxBytes: 4 << 20 }))).responses[0]!.partitions[0]!;
      if (part.errorCode !== ErrorCode.NONE || offset >= part.highWatermark || !part.records?.length) break;
      for (const batch of splitBatches(part.records)) {
        for (const r of decodeRecords(batch)) out.add(r.value!.subarray(0, 16).toString());
        offset = batch.readBigInt64BE(0) + BigInt(batch.readInt32BE(23)) + 1n;
      }
    }
  } finally {
    c.close();
  }
  return out;
}

export async function diskFull(log: (line: string) => void): Promise<DiskResult> {
  const res: DiskResult = { skipped: null, acknowledged: 0, fullError: null, answeredWhileFull: false, createWhileFull: null, servedAfterFree: null, stopExitCode: null, lost: 0, crashed: false };
  const mountDir = mkdtempSync(join(tmpdir(), 'sluice-torture-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${FS_MIB}m`, 'tmpfs', mountDir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(mountDir, { recursive: true, force: true });
    res.skipped = `mount -t tmpfs is not permitted here: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
    return res;
  }
  let broker: BrokerProcess | null = null;
  try {
    const ballast = join(mountDir, 'ballast');
    writeFileSync(ballast, Buffer.alloc(BALLAST_MIB << 20, 1));
    const port = await freePort();
    const args = ['--override', 'log.segment.bytes=1048576'];
    broker = await spawnBroker({ dataDir: join(mountDir, 'data'), port, args });
    const c = await RawClient.connect(broker.port);
    await c.request(CreateTopics, 7, createReq('disk-full'));
    const acked: string[] = [];
    for (let i = 0; i < 2000 && res.fullError === null; i++) {
      const id = `rec-${String(i).padStart(12, '0')}`;
      const p = (await c.request(Produce, 9, produceReq('disk-full', Buffer.concat([Buffer.from(id), Buffer.alloc(64 << 10, 7)])))).responses[0]!.partitionResponses[0]!;
      if (p.errorCode === ErrorCode.NONE) acked.push(id);
      else res.fullError = p.errorCode;
    }
    res.acknowledged = acked.length;
    const md = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }).catch(() => null);
    res.answeredWhileFull = md !== null;
    res.createWhileFull = (await c.request(CreateTopics, 7, createReq('while-full')).catch(() => null))?.topics[0]?.errorCode ?? null;
    c.close();
    log(`  ${acked.length} records of 64 KiB acknowledged before the ${FS_MIB} MiB filesystem filled (error ${res.fullError}); CreateTopics while full: ${res.createWhileFull}`);

    rmSync(ballast);
    const c2 = await RawClient.connect(broker.port);
    const created = (await c2.request(CreateTopics, 7, createReq('after-free'))).topics[0]!.errorCode;
    const produced = (await c2.request(Produce, 9, produceReq('after-free', Buffer.from('after-free')))).responses[0]!.partitionResponses[0]!.errorCode;
    c2.close();
    res.servedAfterFree = created === ErrorCode.NONE && produced === ErrorCode.NONE ? null : `CreateTopics ${created}, Produce ${produced}`;
    res.crashed = !alive(broker.pid);
    res.stopExitCode = await broker.stop();
    broker = await spawnBroker({ dataDir: join(mountDir, 'data'), port, args });
    const stored = await readValues(broker.port, 'disk-full');
    res.lost = acked.filter((id) => !stored.has(id)).length;
    await broker.stop();
    broker = null;
  } finally {
    if (broker) await broker.kill9();
    spawnSync('umount', [mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  }
  return res;
}
