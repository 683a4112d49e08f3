/**
 * Connection bounds and per-connection memory against a real broker process (issue 10, findings
 * 5 and 6): max.connections.per.ip and its overrides, max.connections, connections.max.idle.ms,
 * stalled requests, the request memory pool (queued.max.request.bytes) and unread responses.
 * Limits are set low with --override so each test needs only a few connections. Another client
 * is told apart by its own loopback address (127.0.0.2), as a second machine would be.
 */
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { limits } from '../src/config/limits.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ApiVersions, CreateTopics, Fetch, Produce, type ProduceRequest } from '../src/protocol/generated/index.js';
import { spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient, decodeResponse, fetchRequest, requestFrame } from './raw-client.js';

const MiB = 1024 * 1024;
const ZERO_UUID = Buffer.alloc(16);

async function startBroker(t: Test, overrides: string[]): Promise<BrokerProcess> {
  const data = tmpDataDir();
  const broker = await spawnBroker({ dataDir: data.dir, args: overrides.flatMap((o) => ['--override', o]) });
  t.teardown(async () => {
    await broker.stop();
    data.remove();
  });
  return broker;
}

/** The pools' accounting (and every handler) stayed sound: no BUG line in the broker's log. */
function noBugLogged(t: Test, broker: BrokerProcess): void {
  t.notMatch(broker.output(), /BUG/, 'no BUG line in the broker log');
}

/** True when the connection is answered, false when the broker closed it instead. */
async function answered(c: RawClient): Promise<boolean> {
  try {
    const res = await c.request(ApiVersions, 3, { clientSoftwareName: 'conn-test', clientSoftwareVersion: '1' });
    return res.errorCode === 0;
  } catch {
    return false;
  }
}

async function connectMany(port: number, n: number, localAddress?: string): Promise<RawClient[]> {
  const out: RawClient[] = [];
  for (let i = 0; i < n; i++) out.push(await RawClient.connect(port, localAddress));
  return out;
}

/** Resolves when the connection is closed; rejects after timeoutMs (a bound on the test, not a measurement). */
function closedWithin(c: RawClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    void c.whenClosed.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function createTopic(c: RawClient, name: string, configs: Array<{ name: string; value: string }> = []): Promise<void> {
  const res = await c.request(CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs }], timeoutMs: 5000, validateOnly: false });
  if (res.topics[0]!.errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${res.topics[0]!.errorCode}`);
}

function produceRequest(topic: string, value: Buffer): ProduceRequest {
  const records = buildRecordBatch([{ key: null, value }]);
  return { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] };
}

async function produce(c: RawClient, topic: string, value: Buffer): Promise<number> {
  const res = await c.request(Produce, 7, produceRequest(topic, value));
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

/** A socket that never reads a byte of what the broker sends. */
async function nonReader(port: number): Promise<Socket> {
  const s = await new Promise<Socket>((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port }, () => resolve(sock));
    sock.once('error', reject);
  });
  s.pause();
  s.on('error', () => {});
  return s;
}

/** Resolves once the broker's output matches; rejects after timeoutMs (a bound on the test). */
async function untilOutput(broker: BrokerProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  for (const start = Date.now(); !pattern.test(broker.output()); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() - start > timeoutMs) throw new Error(`broker output does not match ${pattern} after ${timeoutMs} ms`);
  }
}

/** Topic `unread` with eight 1 MiB batches. */
async function unreadTopic(port: number): Promise<void> {
  const admin = await RawClient.connect(port);
  await createTopic(admin, 'unread', [{ name: 'max.message.bytes', value: '2000000' }]);
  for (let i = 0; i < 8; i++) {
    const code = await produce(admin, 'unread', Buffer.alloc(MiB, i));
    if (code !== 0) throw new Error(`produce error ${code}`);
  }
  admin.close();
}

/** The broker's highest RSS over a few samples, stopping early once it passes `boundKiB`. */
async function peakRssKiB(broker: BrokerProcess, boundKiB: number, samples = 25): Promise<number> {
  let peak = 0;
  for (let i = 0; i < samples && peak <= boundKiB; i++) {
    await new Promise((r) => setTimeout(r, 200));
    peak = Math.max(peak, broker.rssKiB());
  }
  return peak;
}

t.test('max.connections.per.ip refuses the extra connection while another client still produces', async (t) => {
  const broker = await startBroker(t, ['max.connections.per.ip=3']);
  const mine = await connectMany(broker.port, 3);
  t.teardown(() => mine.forEach((c) => c.close()));
  for (const c of mine) t.ok(await answered(c), 'within the limit: served');
  const extra = await RawClient.connect(broker.port);
  await closedWithin(extra, 10_000);
  t.notOk(await answered(extra), 'the fourth connection from 127.0.0.1 is closed at once');

  const other = await RawClient.connect(broker.port, '127.0.0.2');
  t.teardown(() => other.close());
  await createTopic(other, 'per-ip');
  t.equal(await produce(other, 'per-ip', Buffer.from('hello')), 0, 'a client from 127.0.0.2 produces');
  t.ok(await answered(mine[0]!), 'the first client keeps its connections');
  t.match(broker.output(), /refused connection from 127\.0\.0\.1: it has 3 connections, max\.connections\.per\.ip allows 3/);
});

t.test('max.connections.per.ip.overrides: its own count per host, 0 for everyone else', async (t) => {
  const broker = await startBroker(t, ['max.connections.per.ip=0', 'max.connections.per.ip.overrides=127.0.0.2:2,localhost:1']);
  const two = await connectMany(broker.port, 2, '127.0.0.2');
  t.teardown(() => two.forEach((c) => c.close()));
  for (const c of two) t.ok(await answered(c), '127.0.0.2 may open two');
  const third = await RawClient.connect(broker.port, '127.0.0.2');
  await closedWithin(third, 10_000);
  const local = await RawClient.connect(broker.port);
  t.teardown(() => local.close());
  t.ok(await answered(local), 'localhost resolves to 127.0.0.1, which may open one');
  const second = await RawClient.connect(broker.port);
  await closedWithin(second, 10_000);
  const stranger = await RawClient.connect(broker.port, '127.0.0.3');
  await closedWithin(stranger, 10_000);
  t.pass('the third from 127.0.0.2, the second from 127.0.0.1 and any from 127.0.0.3 are closed');
});

t.test('bad connection configs stop the start with one line that says what to fix', async (t) => {
  for (const [override, message] of [
    ['max.connections.per.ip.overrides=127.0.0.1', /max\.connections\.per\.ip\.overrides=127\.0\.0\.1: "127\.0\.0\.1" is not host:count/],
    ['max.connections=-1', /max\.connections=-1: Value must be at least 0/],
    ['connections.max.idle.ms=0', /connections\.max\.idle\.ms=0: must be positive/],
    ['queued.max.request.bytes=1048576', /queued\.max\.request\.bytes=1048576 must be at least socket\.request\.max\.bytes=104857600/],
    ['max.connections.per.ip=0', /max\.connections\.per\.ip can be 0 only when max\.connections\.per\.ip\.overrides/],
  ] as const) {
    const data = tmpDataDir();
    t.teardown(() => data.remove());
    const err = await spawnBroker({ dataDir: data.dir, args: ['--override', override], timeoutMs: 10_000 }).then(
      async (b) => {
        await b.stop();
        return null;
      },
      (e: Error) => e,
    );
    t.match(err?.message, message, override);
    t.notMatch(err?.message, /\n\s+at /, `${override}: no stack trace`);
  }
});

t.test('max.connections: refused while every connection is busy; an idle one makes room', async (t) => {
  const broker = await startBroker(t, ['max.connections=3']);
  const busy = await connectMany(broker.port, 3);
  t.teardown(() => busy.forEach((c) => c.close()));
  for (const c of busy) t.ok(await answered(c));
  // Half a frame on each: every connection has a request in progress, none may be closed.
  for (const c of busy) c.write(Buffer.from([0, 0, 0, 100, 0, 18]));
  const refused = await RawClient.connect(broker.port, '127.0.0.2');
  await closedWithin(refused, 10_000);
  t.pass('a fourth connection is closed while the three are busy');

  busy.forEach((c) => c.close());
  const quiet = [await servedConnection(broker.port, '127.0.0.2')];
  quiet.push(...(await connectMany(broker.port, 2)));
  t.teardown(() => quiet.forEach((c) => c.close()));
  for (const c of quiet) t.ok(await answered(c), 'once they close, new connections are served');
  // All three stay quiet for longer than limits.evictIdleMsMin; then the last one is used again.
  await new Promise((r) => setTimeout(r, limits.evictIdleMsMin + 500));
  t.ok(await answered(quiet[2]!));
  const newcomer = await RawClient.connect(broker.port, '127.0.0.3');
  t.teardown(() => newcomer.close());
  t.ok(await answered(newcomer), 'a newcomer at max.connections is served');
  await closedWithin(quiet[0]!, 10_000);
  t.pass('by closing the least recently active idle connection');
  t.ok(await answered(quiet[2]!), 'the recently active one is kept');
  noBugLogged(t, broker);
});

/** A served connection once the broker has noticed earlier ones closing (their FIN races our connect). */
async function servedConnection(port: number, localAddress: string): Promise<RawClient> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const c = await RawClient.connect(port, localAddress);
    if (await answered(c)) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no connection was served in 50 attempts');
}

t.test('connections.max.idle.ms closes idle connections and only those', async (t) => {
  const broker = await startBroker(t, ['connections.max.idle.ms=1500']);
  const idle = await RawClient.connect(broker.port);
  const active = await RawClient.connect(broker.port);
  t.teardown(() => [idle, active].forEach((c) => c.close()));
  t.ok(await answered(idle));
  let keepGoing = true;
  const activity = (async () => {
    while (keepGoing && (await answered(active))) await new Promise((r) => setTimeout(r, 200));
  })();
  await closedWithin(idle, 15_000);
  t.pass('the idle connection is closed');
  keepGoing = false;
  await activity;
  t.notOk(active.closed, 'a connection used every 200 ms stays open');
});

t.test('a request whose bytes stop arriving is closed after the stall timeout', async (t) => {
  // The stall timeout is min(30 s, connections.max.idle.ms): 2 s here.
  const broker = await startBroker(t, ['connections.max.idle.ms=2000']);
  const stalled = await RawClient.connect(broker.port);
  t.teardown(() => stalled.close());
  const frame = requestFrame(ApiVersions, 3, 1, { clientSoftwareName: 'x'.repeat(2000), clientSoftwareVersion: '1' });
  // One byte every 250 ms: never idle, but the frame would take minutes to arrive.
  let sent = 0;
  const dribble = setInterval(() => {
    if (sent < frame.length - 1) stalled.write(frame.subarray(sent, ++sent));
  }, 250);
  t.teardown(() => clearInterval(dribble));
  await closedWithin(stalled, 20_000);
  clearInterval(dribble);
  t.ok(sent < frame.length - 1, `closed after ${sent} of ${frame.length} bytes`);
  t.match(broker.output(), /request incomplete 2000 ms after its first bytes/);
  const healthy = await RawClient.connect(broker.port);
  t.teardown(() => healthy.close());
  t.ok(await answered(healthy), 'others are served');
  noBugLogged(t, broker);
});

t.test('queued.max.request.bytes bounds the memory of half-sent requests, and all complete', async (t) => {
  const requestMax = 8 * MiB;
  const pool = 8 * MiB;
  const conns = 24;
  const broker = await startBroker(t, [`socket.request.max.bytes=${requestMax}`, `queued.max.request.bytes=${pool}`, `message.max.bytes=${requestMax}`]);
  const admin = await RawClient.connect(broker.port);
  t.teardown(() => admin.close());
  await createTopic(admin, 'big', [{ name: 'max.message.bytes', value: String(requestMax) }]);
  const frames = Array.from({ length: conns }, (_, i) => requestFrame(Produce, 7, 1, produceRequest('big', Buffer.alloc(6 * MiB, i))));
  const clients = await connectMany(broker.port, conns);
  t.teardown(() => clients.forEach((c) => c.close()));
  const rssBefore = broker.rssKiB();
  // All but the last KiB of each frame: every connection holds a partial request.
  clients.forEach((c, i) => c.write(frames[i]!.subarray(0, frames[i]!.length - 1024)));
  // The pool, one frame over it (Kafka's pool grants while any byte is left), what each
  // connection had read before it stopped (a few socket reads), and room for the runtime.
  const boundKiB = rssBefore + (pool + requestMax + conns * 256 * 1024 + 48 * MiB) / 1024;
  const peak = await peakRssKiB(broker, boundKiB);
  t.ok(peak <= boundKiB, `RSS ${Math.round(peak / 1024)} MiB with ${conns} half-sent ${Math.round(frames[0]!.length / MiB)} MiB requests (bound ${Math.round(boundKiB / 1024)} MiB, before ${Math.round(rssBefore / 1024)} MiB)`);
  t.ok(await answered(admin), 'small requests are still served');
  clients.forEach((c, i) => c.write(frames[i]!.subarray(frames[i]!.length - 1024)));
  const codes = await Promise.all(clients.map(async (c) => decodeResponse(Produce, 7, (await c.nextFrame(60_000))!).responses[0]!.partitionResponses[0]!.errorCode));
  t.same(codes, Array(conns).fill(0), 'every request completes as the pool frees: no deadlock');
  noBugLogged(t, broker);
});

t.test('responses a client never reads are bounded per connection and in total', async (t) => {
  const broker = await startBroker(t, ['message.max.bytes=2000000']);
  await unreadTopic(broker.port);
  const conns = 16;
  const fetchesEach = 8;
  const rssBefore = broker.rssKiB();
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < conns; i++) {
    const s = await nonReader(broker.port);
    s.write(Buffer.concat(Array.from({ length: fetchesEach }, (_, j) => requestFrame(Fetch, 11, j + 1, fetchRequest('unread', 0, 0n, { maxBytes: 8 * MiB, partitionMaxBytes: 8 * MiB })))));
    sockets.push(s);
  }
  // Before the bound every fetch was answered whole (8 MiB) however much went unread. Now: the
  // total pool, one batch per connection once it is spent (KIP-74), and room for the runtime
  // (read buffers a fetch cuts short keep their full size; released ones wait for the GC).
  const boundKiB = rssBefore + (limits.pendingResponseBytesTotal + conns * 2 * MiB + 96 * MiB) / 1024;
  const peak = await peakRssKiB(broker, boundKiB);
  t.ok(peak <= boundKiB, `RSS ${Math.round(peak / 1024)} MiB with ${conns} connections not reading ${fetchesEach} fetches of 8 MiB each (bound ${Math.round(boundKiB / 1024)} MiB)`);
  const reader = await RawClient.connect(broker.port);
  t.teardown(() => reader.close());
  const res = await reader.request(Fetch, 11, fetchRequest('unread', 0, 0n, { maxBytes: 8 * MiB, partitionMaxBytes: 8 * MiB }));
  const part = res.responses[0]!.partitions[0]!;
  t.equal(part.errorCode, 0, 'a client that reads still fetches');
  t.ok((part.records?.length ?? 0) > 0, 'and gets records (at least one batch)');
  noBugLogged(t, broker);
});

t.test('a connection that does not take its responses is closed after the stall timeout', async (t) => {
  // The stall timeout is min(30 s, connections.max.idle.ms): 2 s here.
  const broker = await startBroker(t, ['message.max.bytes=2000000', 'connections.max.idle.ms=2000']);
  await unreadTopic(broker.port);
  const stuck = await nonReader(broker.port);
  t.teardown(() => stuck.destroy());
  stuck.write(Buffer.concat(Array.from({ length: 8 }, (_, j) => requestFrame(Fetch, 11, j + 1, fetchRequest('unread', 0, 0n, { maxBytes: 8 * MiB, partitionMaxBytes: 8 * MiB })))));
  await untilOutput(broker, /client took none of \d+ response bytes in 2000 ms/, 20_000);
  t.pass('closed, which gives its response bytes back');
  const reader = await RawClient.connect(broker.port);
  t.teardown(() => reader.close());
  const res = await reader.request(Fetch, 11, fetchRequest('unread', 0, 0n, { maxBytes: 8 * MiB, partitionMaxBytes: 8 * MiB }));
  t.ok((res.responses[0]!.partitions[0]!.records?.length ?? 0) > 7 * MiB, 'a reader then gets a full-size fetch');
  noBugLogged(t, broker);
});
