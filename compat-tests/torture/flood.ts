/**
 * Floods: what one client can do to everyone else with connections alone.
 *
 * - Idle connections: `connections` sockets from 127.0.0.2 (one client), held open; meanwhile a
 *   client on 127.0.0.1 must still be able to produce and fetch.
 * - Half-sent frames: connections that announce a 100 MiB request, send part of it and stall.
 * - Unread responses: connections that pipeline large fetches and never read the answers.
 * The broker's RSS is sampled throughout and must stay under the limit; the probe must pass.
 */
import { connect, type Socket } from 'node:net';
import { buildRecordBatch } from '../../src/log/record-batch.js';
import { CreateTopics, Fetch, Produce } from '../../src/protocol/generated/index.js';
import { fetchRequest, RawClient, requestFrame } from '../raw-client.js';
import { alive, probe, rssMiB, sleep } from './common.js';

export interface FloodOptions {
  port: number;
  pid: number;
  connections: number;
  halfSent: number;
  unreadFetchers: number;
  rssLimitMiB: number;
  log: (line: string) => void;
}

export interface FloodResult {
  idleOpened: number;
  idleOpenError: string | null;
  idleStillOpen: number;
  probeDuringIdle: string | null;
  halfSentBytes: number;
  probeDuringHalfSent: string | null;
  fetchesUnread: number;
  probeDuringUnread: string | null;
  peakRssMiB: number;
  rssExceeded: boolean;
  crashed: boolean;
}

function open(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function openMany(port: number, n: number, localAddress: string, sockets: Socket[]): Promise<string | null> {
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(100, n - i) }, () => open(port, localAddress)));
    for (const r of batch) {
      if (r.status === 'fulfilled') {
        r.value.on('error', () => {});
        sockets.push(r.value);
      } else return (r.reason as Error).message;
    }
  }
  return null;
}

export async function flood(o: FloodOptions): Promise<FloodResult> {
  const res: FloodResult = {
    idleOpened: 0, idleOpenError: null, idleStillOpen: 0, probeDuringIdle: null, halfSentBytes: 0, probeDuringHalfSent: null,
    fetchesUnread: 0, probeDuringUnread: null, peakRssMiB: 0, rssExceeded: false, crashed: false,
  };
  const sample = (): void => {
    const rss = rssMiB(o.pid);
    res.peakRssMiB = Math.max(res.peakRssMiB, rss);
    if (rss > o.rssLimitMiB) res.rssExceeded = true;
  };
  const sockets: Socket[] = [];
  try {
    // 1. Idle connections from one client.
    res.idleOpenError = await openMany(o.port, o.connections, '127.0.0.2', sockets);
    res.idleOpened = sockets.length;
    await sleep(200);
    res.idleStillOpen = sockets.filter((s) => !s.destroyed).length;
    res.probeDuringIdle = await probe(o.port, 'torture-flood', 1);
    sample();
    o.log(`  ${res.idleOpened} idle connections from 127.0.0.2 (${res.idleStillOpen} still open); another client: ${res.probeDuringIdle ?? 'served'}`);
    for (const s of sockets.splice(0)) s.destroy();
    await sleep(200);

    // 2. Half-sent 100 MiB frames.
    await openMany(o.port, o.halfSent, '127.0.0.3', sockets);
    const chunk = Buffer.alloc(1 << 20, 0x41);
    for (const s of sockets) {
      const head = Buffer.alloc(4);
      head.writeInt32BE(100 * 1024 * 1024 - 1);
      s.write(head);
    }
    for (let mib = 0; mib < 64; mib++) {
      for (const s of sockets) if (!s.destroyed && !s.writableNeedDrain) {
        s.write(chunk);
        res.halfSentBytes += chunk.length;
      }
      await sleep(5);
      sample();
    }
    res.probeDuringHalfSent = await probe(o.port, 'torture-flood', 2);
    sample();
    o.log(`  ${o.halfSent} connections sent ${(res.halfSentBytes / 2 ** 20).toFixed(0)} MiB of 100 MiB frames and stalled; another client: ${res.probeDuringHalfSent ?? 'served'}; broker RSS peak ${res.peakRssMiB.toFixed(0)} MiB`);
    for (const s of sockets.splice(0)) s.destroy();
    await sleep(500);

    // 3. Fetch responses nobody reads: 32 MiB in the topic, many large fetches per connection.
    const c = await RawClient.connect(o.port);
    await c.request(CreateTopics, 7, { topics: [{ name: 'torture-unread', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const value = Buffer.alloc(1 << 20, 0x42);
    for (let i = 0; i < 32; i++) {
      await c.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'torture-unread', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value, timestamp: BigInt(Date.now()) }]) }] }] });
    }
    c.close();
    await openMany(o.port, o.unreadFetchers, '127.0.0.4', sockets);
    const fetch = requestFrame(Fetch, 12, 1, fetchRequest('torture-unread', 0, 0n, { maxBytes: 64 << 20, partitionMaxBytes: 64 << 20 }));
    for (const s of sockets) s.pause();
    for (let round = 0; round < 64; round++) {
      for (const s of sockets) if (!s.destroyed && !s.writableNeedDrain) {
        s.write(fetch);
        res.fetchesUnread++;
      }
      await sleep(20);
      sample();
    }
    res.probeDuringUnread = await probe(o.port, 'torture-flood', 3);
    sample();
    o.log(`  ${o.unreadFetchers} connections pipelined ${res.fetchesUnread} 32 MiB fetches without reading; another client: ${res.probeDuringUnread ?? 'served'}; broker RSS peak ${res.peakRssMiB.toFixed(0)} MiB`);
  } finally {
    for (const s of sockets) s.destroy();
  }
  res.crashed = !alive(o.pid);
  return res;
}
