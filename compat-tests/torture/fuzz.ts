/**
 * The frame fuzzer: mutates seed frames and sends them to the broker over a pool of connections,
 * as fast as the broker takes them, while a separate client checks that it is still served.
 *
 * Mutations: bit flips, random bytes, truncation, huge length values, splices of two seeds, a
 * random API version, a wrong size prefix; and, inside Produce requests, mutations of the record
 * batch with its CRC-32C recomputed, so that malformed records get past the CRC and test the
 * record walker (lengths, counts, headers, compressed payloads, header fields).
 *
 * Bounded: at most `frames` processed frames and `seconds` seconds; at most four frames in flight
 * per connection, and a connection with nothing answered for 300 ms is dropped and replaced. Sends
 * to 127.0.0.1 only.
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
  /** Frames the broker processed: answered, or refused by closing the connection. */
  frames: number;
  /** Frames written, processed or not. */
  sent: number;
  answered: number;
  refused: number;
  /** Frames never read (behind a refused one) or never answered (a stalled connection, acks=0). */
  unanswered: number;
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
  /** The Produce seeds that carry a record batch: three frames in ten mutate their records. */
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

/**
 * One connection of the pool. It keeps at most PIPELINE_MAX frames unanswered and counts what
 * became of each: answered (a response frame came back), refused (the broker closed the
 * connection: the oldest unanswered frame is the one it refused, any later ones were never read),
 * or unanswered (nothing moved for STALL_MS, e.g. a size prefix promising more bytes than came:
 * the connection is dropped). A frame counts as processed when it was answered or refused.
 */
const PIPELINE_MAX = 4;
const STALL_MS = 300;

interface Tally {
  answered: number;
  refused: number;
  unread: number;
  unanswered: number;
  opened: number;
}

class FuzzConnection {
  private socket: Socket | null = null;
  private outstanding = 0;
  private lastProgressMs = 0;
  private inbound: Buffer = Buffer.alloc(0);

  constructor(
    private readonly port: number,
    private readonly tally: Tally,
  ) {}

  private open(nowMs: number): Socket {
    const s = connect({ host: '127.0.0.1', port: this.port });
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', () => {});
    s.on('close', () => this.onClose(s));
    this.tally.opened++;
    this.outstanding = 0;
    this.inbound = Buffer.alloc(0);
    this.lastProgressMs = nowMs;
    return s;
  }

  private onData(d: Buffer): void {
    this.inbound = this.inbound.length === 0 ? d : Buffer.concat([this.inbound, d]);
    while (this.inbound.length >= 4 && this.inbound.length >= 4 + this.inbound.readInt32BE(0)) {
      this.inbound = this.inbound.subarray(4 + this.inbound.readInt32BE(0));
      this.tally.answered++;
      if (this.outstanding > 0) this.outstanding--;
    }
    this.lastProgressMs = Date.now();
  }

  /** The broker closed it (our own drops clear `socket` first). */
  private onClose(s: Socket): void {
    if (this.socket !== s) return;
    this.socket = null;
    if (this.outstanding > 0) {
      this.tally.refused++;
      this.tally.unread += this.outstanding - 1;
    }
    this.outstanding = 0;
  }

  /** Writes a frame if this connection may take one now; false otherwise. */
  send(frame: Buffer, nowMs: number): boolean {
    if (this.socket !== null && this.outstanding > 0 && nowMs - this.lastProgressMs > STALL_MS) this.drop();
    if (this.socket === null) this.socket = this.open(nowMs);
    if (this.outstanding >= PIPELINE_MAX || this.socket.writableNeedDrain) return false;
    if (this.outstanding === 0) this.lastProgressMs = nowMs;
    this.outstanding++;
    this.socket.write(frame);
    return true;
  }

  private drop(): void {
    const s = this.socket!;
    this.socket = null;
    this.tally.unanswered += this.outstanding;
    this.outstanding = 0;
    s.destroy();
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }
}

export async function fuzz(seeds: readonly Buffer[], o: FuzzOptions): Promise<FuzzResult> {
  const rnd = prng(o.seed);
  const mutator = new Mutator(rnd, seeds);
  const tally: Tally = { answered: 0, refused: 0, unread: 0, unanswered: 0, opened: 0 };
  const pool = Array.from({ length: o.connections }, () => new FuzzConnection(o.port, tally));
  const res: FuzzResult = {
    frames: 0, sent: 0, answered: 0, refused: 0, unanswered: 0, bytes: 0, recordMutations: 0, probes: 0, probeFailures: [], connectionsOpened: 0,
    peakRssMiB: 0, crashed: false, rssExceeded: false, seconds: 0, lastFrames: [],
  };
  const processed = (): number => tally.answered + tally.refused;
  const ring: Buffer[] = [];
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  let nextReport = started + 10_000;
  let pending: Buffer | null = null;
  try {
    while (processed() < o.frames && Date.now() < deadline) {
      // Every connection that may take a frame gets one, then the event loop runs (responses,
      // closes, drains). Frames in flight past the target are few (PIPELINE_MAX per connection).
      const now = Date.now();
      for (const c of pool) {
        pending ??= mutator.next();
        if (!c.send(pending, now)) continue;
        res.sent++;
        res.bytes += pending.length;
        ring.push(pending);
        if (ring.length > 20) ring.shift();
        pending = null;
      }
      await new Promise((r) => setImmediate(r));
      if (processed() >= (res.probes + 1) * o.probeEvery) {
        res.probes++;
        if (!alive(o.pid)) {
          res.crashed = true;
          break;
        }
        const problem = await probe(o.port, 'torture-probe', res.probes);
        if (problem) res.probeFailures.push(`after ${processed()} frames: ${problem}`);
        const rss = rssMiB(o.pid);
        res.peakRssMiB = Math.max(res.peakRssMiB, rss);
        if (rss > o.rssLimitMiB) {
          res.rssExceeded = true;
          break;
        }
      }
      if (Date.now() >= nextReport) {
        nextReport += 10_000;
        o.log(`  ${processed()} frames processed, ${((Date.now() - started) / 1000).toFixed(0)} s, broker RSS ${rssMiB(o.pid).toFixed(0)} MiB`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    for (const c of pool) c.close();
  }
  if (!alive(o.pid)) res.crashed = true;
  res.frames = processed();
  res.answered = tally.answered;
  res.refused = tally.refused;
  res.unanswered = tally.unanswered + tally.unread;
  res.recordMutations = mutator.recordMutations;
  res.connectionsOpened = tally.opened;
  res.seconds = (Date.now() - started) / 1000;
  if (res.crashed || res.rssExceeded || res.probeFailures.length > 0) res.lastFrames = ring.map((f) => f.toString('hex'));
  return res;
}
