/**
 * The broker lifecycle against a real combined node's CONTROLLER listener, over the inter-broker
 * client (net/NodeClient): registration, catching up, unfencing, retries (controller down, a
 * duplicate incarnation, a stale epoch), controlled shutdown, and the controller's fence timer
 * when heartbeats stop. The node runs with broker.session.timeout.ms=1000; the lifecycles
 * heartbeat every 50 ms. Each test uses its own broker id.
 */
import t from 'tap';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { Broker } from '../broker.js';
import { silentLogger } from '../logger.js';
import { NodeClient } from '../net/node-client.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiCodec } from '../protocol/api-codec.js';
import { tmpDataDir, until } from '../../compat-tests/harness.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { BrokerLifecycle, lifecycleSettings, LifecycleShutDownError, RegistrationTimeoutError, resendBackoffMs, supportedFeatures, type BrokerLifecycleOptions, type ControllerChannel } from './broker-lifecycle.js';
import { randomUuidString } from './meta-properties.js';

const SESSION_MS = 1000;
const data = tmpDataDir('sluice-lifecycle-');
let node: Broker;
const cleanups: Array<() => void | Promise<void>> = [];

t.before(async () => {
  node = await Broker.start({
    dataDir: data.dir,
    logger: silentLogger,
    overrides: ['listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0', 'controller.listener.names=CONTROLLER', `broker.session.timeout.ms=${SESSION_MS}`],
  });
});
t.teardown(async () => {
  for (const c of cleanups.reverse()) await c();
  await node?.stop();
  data.remove();
});

function client(port: number): NodeClient {
  const c = new NodeClient({ host: '127.0.0.1', port, clientId: 'lifecycle-test', requestTimeoutMs: 3000, connectTimeoutMs: 1000, reconnectBackoffMs: 20, inFlightMax: 1, responseBytesMax: 1 << 20 });
  cleanups.push(() => c.close());
  return c;
}

/** A channel that records when each request went out. */
function recording(inner: ControllerChannel): ControllerChannel & { sent: Array<{ api: string; atMs: number; body: unknown }> } {
  const sent: Array<{ api: string; atMs: number; body: unknown }> = [];
  return {
    sent,
    request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req): Promise<Res> {
      sent.push({ api: codec.name, atMs: Date.now(), body });
      return inner.request(codec, body);
    },
  };
}

/** A TCP forwarder to the controller listener that can be shut (refusing connections) and reopened on its port. */
async function proxy(): Promise<{ port: number; open(): Promise<void>; shut(): Promise<void> }> {
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((s) => {
        const up = connect({ host: '127.0.0.1', port: node.controllerPort });
        for (const x of [s, up]) {
          sockets.add(x);
          x.on('error', () => {});
          x.on('close', () => {
            sockets.delete(x);
            s.destroy();
            up.destroy();
          });
        }
        s.pipe(up);
        up.pipe(s);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const shut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  await open();
  await shut();
  cleanups.push(shut);
  return {
    get port() {
      return port;
    },
    open,
    shut,
  };
}

function lifecycle(brokerId: number, channel: ControllerChannel, extra: Partial<BrokerLifecycleOptions> = {}): BrokerLifecycle {
  const lc = new BrokerLifecycle({
    nodeId: brokerId,
    clusterId: node.clusterId,
    channel,
    listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 19000 + brokerId, securityProtocol: 'PLAINTEXT' }],
    logDirs: [randomUuidString()],
    rack: `rack-${brokerId}`,
    // A broker that replays the metadata log as it is written is always at its end.
    metadataOffset: () => node.image.lastOffset,
    heartbeatIntervalMs: 50,
    sessionTimeoutMs: SESSION_MS,
    registrationTimeoutMs: 10_000,
    ...extra,
  });
  cleanups.push(() => lc.close());
  return lc;
}


const failures = (lc: BrokerLifecycle): string[] => {
  const out: string[] = [];
  lc.on('failure', (f: { request: string; reason: string }) => out.push(`${f.request}: ${f.reason}`));
  return out;
};

t.test('registers with its listeners, features, log dirs and rack, and gets a broker epoch', async (t) => {
  const lc = lifecycle(2, client(node.controllerPort));
  t.equal(lc.state, 'NOT_RUNNING');
  lc.start();
  t.equal(lc.state, 'STARTING');
  const epoch = await lc.registered;
  t.ok(epoch >= 0n, `broker epoch ${epoch}`);
  t.equal(lc.brokerEpoch, epoch);
  const reg = node.image.brokers.get(2)!;
  t.equal(reg.brokerEpoch, epoch);
  t.equal(reg.incarnationId, lc.incarnationId.toString('base64url'));
  t.same(reg.endpoints.map((e) => [e.name, e.host, e.port, e.securityProtocol]), [['PLAINTEXT', '127.0.0.1', 19002, 0]]);
  t.equal(reg.rack, 'rack-2');
  t.same(reg.features, supportedFeatures());
  t.same(supportedFeatures(), [
    { name: 'sluice.metadata.version', minSupportedVersion: 1, maxSupportedVersion: 1 },
    { name: 'group.version', minSupportedVersion: 0, maxSupportedVersion: 1 },
    { name: 'transaction.version', minSupportedVersion: 0, maxSupportedVersion: 2 },
    { name: 'share.version', minSupportedVersion: 0, maxSupportedVersion: 1 },
  ]);
  t.equal(reg.logDirs.length, 1);
  t.ok(reg.fenced, 'a new incarnation starts fenced');
});

t.test('heartbeats: STARTING until its metadata reaches the registration, RECOVERY fenced until ready, then RUNNING unfenced', async (t) => {
  let offset = -1n;
  const channel = recording(client(node.controllerPort));
  const lc = lifecycle(3, channel, { metadataOffset: () => offset });
  const states: string[] = [];
  lc.on('state', (s: string) => states.push(s));
  lc.start();
  await lc.registered;
  await until('a few heartbeats', () => channel.sent.filter((s) => s.api === 'BrokerHeartbeat').length >= 3);
  t.equal(lc.state, 'STARTING', 'metadata behind the registration: not caught up');
  t.ok(node.image.brokers.get(3)!.fenced);
  offset = node.image.lastOffset;
  await lc.caughtUp;
  t.equal(lc.state, 'RECOVERY');
  await until('more heartbeats', () => channel.sent.filter((s) => s.api === 'BrokerHeartbeat').length >= 6);
  t.ok(node.image.brokers.get(3)!.fenced, 'still fenced: the owner is not ready');
  t.ok(channel.sent.filter((s) => s.api === 'BrokerHeartbeat').every((s) => (s.body as { wantFence: boolean }).wantFence), 'every heartbeat so far asks to stay fenced');
  let unfencedEvents = 0;
  lc.on('unfenced', () => unfencedEvents++);
  await lc.setReadyToUnfence();
  t.equal(lc.state, 'RUNNING');
  t.notOk(node.image.brokers.get(3)!.fenced, 'the controller unfenced it');
  t.equal(unfencedEvents, 1);
  t.same(states, ['STARTING', 'RECOVERY', 'RUNNING']);
  const beats = channel.sent.filter((s) => s.api === 'BrokerHeartbeat');
  const last = beats.at(-1)!.body as { currentMetadataOffset: bigint; brokerEpoch: bigint; brokerId: number };
  t.same({ id: last.brokerId, epoch: last.brokerEpoch }, { id: 3, epoch: lc.brokerEpoch }, 'heartbeats carry its id and epoch');
  t.equal(last.currentMetadataOffset, offset, 'and its metadata offset');
  // Running: one heartbeat per interval, not a busy loop.
  const before = channel.sent.length;
  await new Promise((r) => setTimeout(r, 300));
  const during = channel.sent.length - before;
  t.ok(during >= 3 && during <= 8, `${during} heartbeats in 300 ms at a 50 ms interval`);
});

t.test('a controller not up yet (connection refused): registration retried with backoff until it is', async (t) => {
  const p = await proxy();
  const lc = lifecycle(4, client(p.port));
  const failed = failures(lc);
  const started = Date.now();
  lc.start();
  await until('three refused attempts', () => failed.length >= 3);
  t.ok(failed.every((f) => f.startsWith('registration: ') && /connect/.test(f)), failed[0] ?? "no failure");
  // Backoff 100, 200 ms (2% jitter) before the third attempt.
  t.ok(Date.now() - started >= 290, `three attempts took ${Date.now() - started} ms`);
  t.equal(lc.state, 'STARTING');
  await p.open();
  const epoch = await lc.registered;
  t.equal(node.image.brokers.get(4)?.brokerEpoch, epoch);
  await lc.setReadyToUnfence();
  t.equal(lc.state, 'RUNNING');
});

t.test("Kafka's resend backoff: 100 ms doubling to the session timeout, 2% jitter", async (t) => {
  const mid = () => 0.5;
  t.same([0, 1, 2, 3, 10].map((n) => resendBackoffMs(n, 9000, mid)), [100, 200, 400, 800, 9000]);
  t.equal(resendBackoffMs(0, 9000, () => 0), 98);
  t.equal(resendBackoffMs(0, 9000, () => 0.999999), 101);
  t.equal(resendBackoffMs(20, 9000, () => 0.999999), 9000, 'never above the session timeout');
  t.equal(resendBackoffMs(3, 50, mid), 50, 'a session shorter than 100 ms: constant');
});

t.test('a second process with the same node id while the first lives: DUPLICATE_BROKER_REGISTRATION, retried until the first is fenced', async (t) => {
  const first = lifecycle(5, client(node.controllerPort));
  first.start();
  await first.registered;
  await first.setReadyToUnfence();
  const firstEpoch = first.brokerEpoch;
  const second = lifecycle(5, client(node.controllerPort));
  const failed = failures(second);
  second.start();
  await until('refusals', () => failed.length >= 2);
  t.ok(failed.every((f) => f === `registration: the controller answered error ${ErrorCode.DUPLICATE_BROKER_REGISTRATION}`), failed[0] ?? "no failure");
  t.equal(node.image.brokers.get(5)!.incarnationId, first.incarnationId.toString('base64url'), 'the first keeps its registration');
  // The first process dies without a word: once its session lapses the controller fences it and
  // the second's next attempt registers.
  first.close();
  const epoch = await second.registered;
  t.ok(epoch > firstEpoch, `a new broker epoch ${epoch} > ${firstEpoch}`);
  t.equal(node.image.brokers.get(5)!.incarnationId, second.incarnationId.toString('base64url'));
  await second.setReadyToUnfence();
  t.equal(second.state, 'RUNNING');
});

t.test('heartbeats stop: the controller fences the broker after broker.session.timeout.ms', async (t) => {
  const channel = recording(client(node.controllerPort));
  const lc = lifecycle(6, channel);
  lc.start();
  await lc.setReadyToUnfence();
  t.notOk(node.image.brokers.get(6)!.fenced);
  lc.close();
  t.equal(lc.state, 'SHUTTING_DOWN');
  const lastBeat = channel.sent.at(-1)!.atMs;
  await until('the fence', () => node.image.brokers.get(6)!.fenced, 3 * SESSION_MS);
  const after = Date.now() - lastBeat;
  t.ok(after >= SESSION_MS, `fenced ${after} ms after the last heartbeat went out (session ${SESSION_MS} ms)`);
  t.ok(after <= SESSION_MS * 1.1 + 400, `and no later than the check interval after the session (${after} ms)`);
  const sent = channel.sent.length;
  await new Promise((r) => setTimeout(r, 150));
  t.equal(channel.sent.length, sent, 'close() stopped the heartbeats');
});

t.test("fenced again while RUNNING: 'fenced' when an answer says so, 'unfenced' when the controller lets it back", async (t) => {
  const p = await proxy();
  await p.open();
  let offset: bigint | null = null;
  const lc = lifecycle(7, client(p.port), { metadataOffset: () => offset ?? node.image.lastOffset });
  lc.start();
  await lc.setReadyToUnfence();
  const events: string[] = [];
  lc.on('fenced', () => events.push('fenced'));
  lc.on('unfenced', () => events.push('unfenced'));
  // Cut off past its session: the controller fences it.
  await p.shut();
  await until('the fence', () => node.image.brokers.get(7)!.fenced, 3 * SESSION_MS);
  // Back, but its metadata behind its registration (as after losing its metadata log): stays fenced.
  offset = -1n;
  await p.open();
  await until("'fenced'", () => events.length >= 1, 3 * SESSION_MS);
  t.same(events, ['fenced']);
  t.equal(lc.state, 'RUNNING', "Kafka's state does not go back");
  offset = null;
  await until("'unfenced'", () => events.length >= 2);
  t.same(events, ['fenced', 'unfenced']);
  t.notOk(node.image.brokers.get(7)!.fenced);
});

t.test('STALE_BROKER_EPOCH: heartbeats retried, no registration of its own (Kafka); resendRegistration() registers anew', async (t) => {
  const channel = recording(client(node.controllerPort));
  const lc = lifecycle(8, channel);
  const failed = failures(lc);
  lc.start();
  await lc.setReadyToUnfence();
  const epoch = lc.brokerEpoch;
  t.equal(node.controller.unregisterBroker(8).errorCode, ErrorCode.NONE, 'an operator unregisters it');
  await until('refused heartbeats', () => failed.length >= 3);
  t.ok(failed.every((f) => f === `heartbeat: the controller answered error ${ErrorCode.STALE_BROKER_EPOCH}`), failed[0] ?? "no failure");
  t.equal(channel.sent.filter((s) => s.api === 'BrokerRegistration').length, 1, 'registered once only');
  t.notOk(node.image.brokers.has(8));
  lc.resendRegistration();
  await until('registered again', () => node.image.brokers.has(8));
  await until('a new epoch', () => lc.brokerEpoch > epoch);
  t.equal(node.image.brokers.get(8)!.brokerEpoch, lc.brokerEpoch);
  await until('unfenced again', () => !node.image.brokers.get(8)!.fenced);
});

t.test('controlled shutdown: granted at once when the broker leads nothing', async (t) => {
  const channel = recording(client(node.controllerPort));
  const lc = lifecycle(9, channel);
  lc.start();
  await lc.setReadyToUnfence();
  const states: string[] = [];
  lc.on('state', (s: string) => states.push(s));
  const asked = Date.now();
  t.equal(await lc.beginControlledShutdown(5000), 'granted');
  t.ok(Date.now() - asked < 1000, `granted in ${Date.now() - asked} ms (the heartbeat goes at once, not after the interval)`);
  t.same(states, ['PENDING_CONTROLLED_SHUTDOWN', 'SHUTTING_DOWN']);
  const last = channel.sent.at(-1)!.body as { wantShutDown: boolean };
  t.ok(last.wantShutDown);
  t.ok(node.image.brokers.get(9)!.fenced, 'the controller fenced it as it let it go');
  t.equal(await lc.shutDown, 'granted');
  const sent = channel.sent.length;
  await new Promise((r) => setTimeout(r, 150));
  t.equal(channel.sent.length, sent, 'no heartbeat after the shutdown');
});

t.test('controlled shutdown: timed out when the controller cannot be reached; not running: at once', async (t) => {
  const p = await proxy();
  await p.open();
  const lc = lifecycle(10, client(p.port));
  lc.start();
  await lc.setReadyToUnfence();
  await p.shut();
  const asked = Date.now();
  t.equal(await lc.beginControlledShutdown(300), 'timed-out');
  t.ok(Date.now() - asked >= 290);
  t.equal(lc.state, 'SHUTTING_DOWN');

  const starting = lifecycle(11, client(p.port));
  starting.start();
  t.equal(await starting.beginControlledShutdown(5000), 'not-running');
  t.equal(starting.state, 'SHUTTING_DOWN');
  await t.rejects(starting.registered, LifecycleShutDownError, 'what it was waiting for is cancelled');
});

t.test('no registration within initial.broker.registration.timeout.ms: it shuts down, its promises reject', async (t) => {
  const p = await proxy();
  const lc = lifecycle(12, client(p.port), { registrationTimeoutMs: 300 });
  lc.start();
  await t.rejects(lc.registered, RegistrationTimeoutError);
  await t.rejects(lc.caughtUp, RegistrationTimeoutError);
  await t.rejects(lc.setReadyToUnfence(), RegistrationTimeoutError);
  t.equal(lc.state, 'SHUTTING_DOWN');
  t.notOk(node.image.brokers.has(12));
});

/** Timers that run only when the test advances them. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  return {
    timers: {
      setTimeout(fn: () => void, ms: number): unknown {
        pending.set(++seq, { at: now + ms, fn });
        return seq;
      },
      clearTimeout(h: unknown): void {
        pending.delete(h as number);
      },
    },
    /** Delays of the timers now pending, from now. */
    due: (): number[] => [...pending.values()].map((p) => p.at - now).sort((a, b) => a - b),
    advance(ms: number): void {
      now += ms;
      for (;;) {
        const next = [...pending.entries()].filter(([, p]) => p.at <= now).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) return;
        pending.delete(next[0]);
        next[1].fn();
      }
    },
  };
}

/** A channel whose requests wait until the test answers them. */
function manualChannel() {
  const queue: Array<{ api: string; body: unknown; answer(res: unknown): void; fail(e: Error): void }> = [];
  return {
    queue,
    request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req): Promise<Res> {
      return new Promise<Res>((resolve, reject) => queue.push({ api: codec.name, body, answer: (r) => resolve(r as Res), fail: reject }));
    },
    /** Answers the oldest request and lets the lifecycle see the answer. */
    async answer(res: unknown): Promise<{ api: string; body: unknown }> {
      const r = queue.shift();
      if (!r) throw new Error('no request in flight');
      r.answer(res);
      await new Promise((resolve) => setImmediate(resolve));
      return r;
    },
  };
}

t.test('the schedule, with injected timers: at once after registering, 10 ms while STARTING, the interval after, backoff on errors, one request at a time', async (t) => {
  const clock = fakeTimers();
  const channel = manualChannel();
  const lc = lifecycle(20, channel, { timers: clock.timers, heartbeatIntervalMs: 2000, sessionTimeoutMs: 9000, registrationTimeoutMs: 60_000, random: () => 0.5 });
  const beat = (over: Partial<{ errorCode: number; isCaughtUp: boolean; isFenced: boolean; shouldShutDown: boolean }> = {}) => ({ throttleTimeMs: 0, errorCode: 0, isCaughtUp: false, isFenced: true, shouldShutDown: false, ...over });
  lc.start();
  t.same(clock.due(), [60_000], 'only the registration timeout is pending while registering');
  t.equal(channel.queue[0]?.api, 'BrokerRegistration');
  await channel.answer({ throttleTimeMs: 0, errorCode: ErrorCode.DUPLICATE_BROKER_REGISTRATION, brokerEpoch: -1n });
  t.same(clock.due(), [100, 60_000], 'a refusal: retried after 100 ms');
  clock.advance(100);
  await channel.answer({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, brokerEpoch: 42n });
  t.equal(await lc.registered, 42n);
  t.same(clock.due(), [0], 'registered: the registration timeout is gone, a heartbeat goes at once');
  clock.advance(0);
  const first = await channel.answer(beat());
  t.same(first.body, { brokerId: 20, brokerEpoch: 42n, currentMetadataOffset: node.image.lastOffset, wantFence: true, wantShutDown: false, offlineLogDirs: [] });
  t.same(clock.due(), [10], 'STARTING: again in 10 ms');
  clock.advance(10);
  await channel.answer(beat({ isCaughtUp: true }));
  t.equal(lc.state, 'RECOVERY');
  t.same(clock.due(), [10]);
  clock.advance(10);
  await channel.answer(beat({ isCaughtUp: true }));
  t.same(clock.due(), [2000], 'RECOVERY: at the heartbeat interval');
  // Ready while a heartbeat is in flight: the next one goes right after its answer.
  clock.advance(2000);
  t.equal(channel.queue.length, 1);
  void lc.setReadyToUnfence();
  clock.advance(0);
  t.equal(channel.queue.length, 1, 'never two requests in flight');
  await channel.answer(beat({ isCaughtUp: true }));
  t.same(clock.due(), [0], 'the deferred heartbeat goes at once');
  clock.advance(0);
  const ready = await channel.answer(beat({ isCaughtUp: true, isFenced: false }));
  t.equal((ready.body as { wantFence: boolean }).wantFence, false);
  t.equal(lc.state, 'RUNNING');
  t.same(clock.due(), [2000]);
  // Errors back off 100, 200, 400 ms; a success resets it.
  for (const expected of [100, 200, 400]) {
    clock.advance(clock.due()[0]!);
    channel.queue.shift()!.fail(new Error('connection lost'));
    await new Promise((r) => setImmediate(r));
    t.same(clock.due(), [expected]);
  }
  clock.advance(400);
  await channel.answer(beat({ isCaughtUp: true, isFenced: false }));
  t.same(clock.due(), [2000]);
  // Controlled shutdown: at once, then 50 ms after the first refusal, then the interval.
  const shutdown = lc.beginControlledShutdown(30_000);
  t.same(clock.due(), [0, 30_000]);
  clock.advance(0);
  const ask = await channel.answer(beat({ isCaughtUp: true, isFenced: false }));
  t.equal((ask.body as { wantShutDown: boolean }).wantShutDown, true);
  t.same(clock.due(), [50, 30_000]);
  clock.advance(50);
  await channel.answer(beat({ isCaughtUp: true, isFenced: false }));
  t.same(clock.due(), [2000, 29_950]);
  clock.advance(2000);
  await channel.answer(beat({ isCaughtUp: true, isFenced: true, shouldShutDown: true }));
  t.equal(await shutdown, 'granted');
  t.same(clock.due(), [], 'nothing pending after the shutdown');
});

t.test("lifecycleSettings: the node's id, cluster, directory id, advertised broker listeners and Kafka's timings from its config", async (t) => {
  const config = loadBrokerConfig({
    overrides: [
      'node.id=4',
      'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
      'advertised.listeners=PLAINTEXT://broker4.example:19092',
      'controller.listener.names=CONTROLLER',
      'broker.heartbeat.interval.ms=1500',
      'broker.session.timeout.ms=12000',
      'initial.broker.registration.timeout.ms=30000',
    ],
  });
  const s = lifecycleSettings(config, { clusterId: 'MkU3OEVBNTcwNTJENDM2Qk', nodeId: 4, directoryId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
  t.same(s, {
    nodeId: 4,
    clusterId: 'MkU3OEVBNTcwNTJENDM2Qk',
    listeners: [{ name: 'PLAINTEXT', host: 'broker4.example', port: 19092, securityProtocol: 'PLAINTEXT' }],
    logDirs: ['AAAAAAAAAAAAAAAAAAAAAQ'],
    heartbeatIntervalMs: 1500,
    sessionTimeoutMs: 12000,
    registrationTimeoutMs: 30000,
  });
  const defaults = lifecycleSettings(loadBrokerConfig({}), { clusterId: 'x', nodeId: 1, directoryId: 'y' });
  t.same([defaults.heartbeatIntervalMs, defaults.sessionTimeoutMs, defaults.registrationTimeoutMs], [2000, 9000, 60000], "Kafka's defaults");
});
