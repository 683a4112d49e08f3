/**
 * The frame fuzzer: mutates seed frames and sends them to the broker over a pool of connections,
 * as fast as the broker takes them, while a separate client checks that it is still served.
 *
 * Mutations: bit flips, random bytes, truncation, huge length values, splices of two seeds, a
 * random API version, a wrong size prefix; and, inside Produce requests, mutations of the record
 * batch with its CRC-32C recomputed, so that malformed records get past the CRC and test the
 * record walker (lengths, counts, headers, compressed payloads, header fields).
 *
 * Bounded: at most `frames` frames and `seconds` seconds; a connection whose writes do not drain
 * within a second is dropped and replaced. Sends to 127.0.0.1 only.
 */
import { connect, type Socket } from 'node:net';
import { crc32c } from '../../src/native/crc32c.js';
import { alive, probe, prng, rssMiB } from './common.js';

export interface FuzzOptions {
  port: number;
  pid: number;
  frames: number;
  seconds: number;
  seed: number;
  connections: number;
  /** Probe the broker with a healthy client every this many frames. */
  probeEvery: number;
  rssLimitMiB: number;
  log: (line: string) => void;
}

export interface FuzzResult {
  frames: number;
  bytes: number;
  recordMutations: number;
  probes: number;
  probeFailures: string[];
  connectionsOpened: number;
  peakRssMiB: number;
  crashed: boolean;
  rssExceeded: boolean;
  seconds: number;
  /** The last frames sent before a failure, hex, to replay it. */
  lastFrames: string[];
}

const BATCH_MAGIC_OFFSET = 16;
const BATCH_CRC_OFFSET = 17;
const BATCH_ATTRIBUTES_OFFSET = 21;
const BATCH_HEADER_BYTES = 61;

/** Where the v2 record batch starts inside a Produce frame (found by its fields), or -1. */
function findBatch(frame: Buffer): number {
  for (let p = 4; p + BATCH_HEADER_BYTES <= frame.length; p++) {
    if (frame[p + BATCH_MAGIC_OFFSET] !== 2) continue;
    // A producer's batch has baseOffset 0; its length must fit in what is left of the frame.
    const length = frame.readInt32BE(p + 8);
    if (frame.readBigInt64BE(p) === 0n && length >= BATCH_HEADER_BYTES - 12 && p + 12 + length <= frame.length) return p;
  }
  return -1;
}

class Mutator {
  recordMutations = 0;
  /** The Produce seeds that carry a record batch: a third of all frames mutate their records. */
  private readonly produceSeeds: Buffer[];

  constructor(
    private readonly rnd: () => number,
    private readonly seeds: readonly Buffer[],
  ) {
    this.produceSeeds = seeds.filter((f) => f.readInt16BE(4) === 0 && findBatch(f) >= 0);
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private pick(): Buffer {
    return this.seeds[this.int(this.seeds.length)]!;
  }

  next(): Buffer {
    const kind = this.int(10);
    const seed = kind <= 2 && this.produceSeeds.length > 0 ? this.produceSeeds[this.int(this.produceSeeds.length)]! : this.pick();
    let body: Buffer = Buffer.from(seed.subarray(4));
    if (kind <= 2) body = this.mutateRecords(body) ?? this.flipBits(body);
    else if (kind === 3) body = this.flipBits(body);
    else if (kind === 4) body = this.randomBytes(body);
    else if (kind === 5) body = body.subarray(0, this.int(body.length + 1));
    else if (kind === 6) body = this.hugeLength(body);
    else if (kind === 7) body = this.splice(body, Buffer.from(this.pick().subarray(4)));
    else if (kind === 8) body.writeInt16BE(this.int(20) - 2, 2);
    else body = this.flipBits(this.randomBytes(body));
    const frame = Buffer.alloc(4 + body.length);
    body.copy(frame, 4);
    // Mostly a size that matches, so the body is parsed; sometimes one that does not.
    frame.writeInt32BE(this.int(20) === 0 ? this.int(body.length * 2 + 16) : body.length, 0);
    return frame;
  }

  private flipBits(b: Buffer): Buffer {
    for (let i = 1 + this.int(4); i > 0 && b.length > 0; i--) b[this.int(b.length)]! ^= 1 << this.int(8);
    return b;
  }

  private randomBytes(b: Buffer): Buffer {
    for (let i = 1 + this.int(8); i > 0 && b.length > 0; i--) b[this.int(b.length)] = this.int(256);
    return b;
  }

  private hugeLength(b: Buffer): Buffer {
    const huge = [Buffer.from('7fffffff', 'hex'), Buffer.from('ffffffff0f', 'hex'), Buffer.from('80000000', 'hex'), Buffer.from('00ffffff', 'hex')][this.int(4)]!;
    const p = this.int(b.length + 1);
    return Buffer.concat([b.subarray(0, p), huge, b.subarray(Math.min(b.length, p + huge.length))]);
  }

  private splice(a: Buffer, b: Buffer): Buffer {
    return Buffer.concat([a.subarray(0, this.int(a.length + 1)), b.subarray(this.int(b.length + 1))]);
  }

  /**
   * Changes the records of the Produce request's batch (or its header fields) and recomputes the
   * CRC over the new bytes, so the batch is well-formed outside and malformed inside.
   */
  private mutateRecords(body: Buffer): Buffer | null {
    const frame = Buffer.concat([Buffer.alloc(4), body]);
    const start = findBatch(frame);
    if (start < 0) return null;
    const end = start + 12 + frame.readInt32BE(start + 8);
    const records = frame.subarray(start + BATCH_HEADER_BYTES, end);
    switch (this.int(6)) {
      case 0: // record bytes (lengths, varints, header counts, compressed payload)
        for (let i = 1 + this.int(3); i > 0 && records.length > 0; i--) records[this.int(records.length)] = this.int(256);
        break;
      case 1: // record count off by a little or a lot
        frame.writeInt32BE([0, -1, 1, 2, 0x7fffffff, frame.readInt32BE(start + 57) + 1][this.int(6)]!, start + 57);
        break;
      case 2: // lastOffsetDelta
        frame.writeInt32BE(this.int(8) - 1, start + 23);
        break;
      case 3: // compression codec, timestamp type, transactional and control bits
        frame.writeInt16BE(this.int(64), start + BATCH_ATTRIBUTES_OFFSET);
        break;
      case 4: // records section cut short (batch length follows)
        if (records.length > 1) {
          const cut = 1 + this.int(records.length - 1);
          const shorter = Buffer.concat([frame.subarray(0, end - cut), frame.subarray(end)]);
          shorter.writeInt32BE(end - cut - start - 12, start + 8);
          shorter.writeUInt32BE(crc32c(shorter.subarray(start + BATCH_ATTRIBUTES_OFFSET, end - cut)), start + BATCH_CRC_OFFSET);
          this.recordMutations++;
          return shorter.subarray(4);
        }
        break;
      default: // bits anywhere in the records
        for (let i = 1 + this.int(4); i > 0 && records.length > 0; i--) records[this.int(records.length)]! ^= 1 << this.int(8);
    }
    frame.writeUInt32BE(crc32c(frame.subarray(start + BATCH_ATTRIBUTES_OFFSET, end)), start + BATCH_CRC_OFFSET);
    this.recordMutations++;
    return frame.subarray(4);
  }
}

/** One connection of the pool: writes frames, reads and drops whatever comes back. */
class FuzzConnection {
  private socket: Socket | null = null;
  private stalledSince = 0;
  opened = 0;

  constructor(private readonly port: number) {}

  private open(): Socket {
    const s = connect({ host: '127.0.0.1', port: this.port });
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => {
      if (this.socket === s) this.socket = null;
    });
    this.opened++;
    this.stalledSince = 0;
    return s;
  }

  /** Writes a frame; false when the connection is backed up (the caller tries another). */
  send(frame: Buffer, nowMs: number): boolean {
    if (this.socket === null || this.socket.destroyed) this.socket = this.open();
    const s = this.socket;
    if (s.writableNeedDrain) {
      if (this.stalledSince === 0) this.stalledSince = nowMs;
      else if (nowMs - this.stalledSince > 1000) {
        s.destroy();
        this.socket = null;
      }
      return false;
    }
    this.stalledSince = 0;
    s.write(frame);
    return true;
  }

  close(): void {
    this.socket?.destroy();
  }
}

export async function fuzz(seeds: readonly Buffer[], o: FuzzOptions): Promise<FuzzResult> {
  const rnd = prng(o.seed);
  const mutator = new Mutator(rnd, seeds);
  const pool = Array.from({ length: o.connections }, () => new FuzzConnection(o.port));
  const res: FuzzResult = {
    frames: 0, bytes: 0, recordMutations: 0, probes: 0, probeFailures: [], connectionsOpened: 0,
    peakRssMiB: 0, crashed: false, rssExceeded: false, seconds: 0, lastFrames: [],
  };
  const ring: Buffer[] = [];
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  let nextReport = started + 10_000;
  let turn = 0;
  try {
    while (res.frames < o.frames && Date.now() < deadline) {
      // A slice of frames, then let the event loop run (responses, closes, drains).
      const now = Date.now();
      for (let i = 0; i < 200 && res.frames < o.frames; i++) {
        const frame = mutator.next();
        let sent = false;
        for (let tries = 0; tries < pool.length && !sent; tries++) sent = pool[turn++ % pool.length]!.send(frame, now);
        if (!sent) break;
        res.frames++;
        res.bytes += frame.length;
        ring.push(frame);
        if (ring.length > 20) ring.shift();
      }
      await new Promise((r) => setImmediate(r));
      if (res.frames >= (res.probes + 1) * o.probeEvery) {
        res.probes++;
        if (!alive(o.pid)) {
          res.crashed = true;
          break;
        }
        const problem = await probe(o.port, 'torture-probe', res.probes);
        if (problem) res.probeFailures.push(`after ${res.frames} frames: ${problem}`);
        const rss = rssMiB(o.pid);
        res.peakRssMiB = Math.max(res.peakRssMiB, rss);
        if (rss > o.rssLimitMiB) {
          res.rssExceeded = true;
          break;
        }
      }
      if (Date.now() >= nextReport) {
        nextReport += 10_000;
        o.log(`  ${res.frames} frames, ${((Date.now() - started) / 1000).toFixed(0)} s, broker RSS ${rssMiB(o.pid).toFixed(0)} MiB`);
      }
    }
  } finally {
    for (const c of pool) c.close();
  }
  if (!alive(o.pid)) res.crashed = true;
  res.recordMutations = mutator.recordMutations;
  res.connectionsOpened = pool.reduce((n, c) => n + c.opened, 0);
  res.seconds = (Date.now() - started) / 1000;
  if (res.crashed || res.rssExceeded || res.probeFailures.length > 0) res.lastFrames = ring.map((f) => f.toString('hex'));
  return res;
}
