import t from 'tap';
import { ErrorCode } from '../protocol/errors.js';
import { FaultInjector } from './faults.js';

const produce = (topic: string, partition = 0) => ({ transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: partition, records: null }] }] });

t.test('times: the next N matching requests, then the fault is gone', async (t) => {
  const f = new FaultInjector();
  t.notOk(f.armed);
  f.add({ apiKey: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 2 });
  t.ok(f.armed);
  t.equal(f.match(3, 12, 'c', {}), null, 'another API does not match');
  t.same(f.match(0, 9, 'c', produce('t'))?.action, { kind: 'error', errorCode: 6 });
  t.ok(f.match(0, 9, 'c', produce('t')));
  t.equal(f.match(0, 9, 'c', produce('t')), null, 'spent after two');
  t.notOk(f.armed);
});

t.test('nth: only the n-th match fires; always: every one', async (t) => {
  const f = new FaultInjector();
  f.add({ apiKey: 0, delayMs: 10, nth: 3 });
  const fired = [1, 2, 3, 4].map(() => f.match(0, 9, null, produce('t')) !== null);
  t.same(fired, [false, false, true, false]);
  const g = new FaultInjector();
  g.add({ apiKey: 1, disconnect: true, always: true });
  t.ok([1, 2, 3, 4, 5].every(() => g.match(1, 12, null, { topics: [] }) !== null));
  t.ok(g.armed);
});

t.test('probability with a seed repeats exactly', async (t) => {
  const run = (): boolean[] => {
    const f = new FaultInjector();
    f.add({ apiKey: 0, noAnswer: true, probability: 0.3, seed: 42 });
    return Array.from({ length: 200 }, () => f.match(0, 9, null, produce('t')) !== null);
  };
  const a = run();
  t.same(run(), a, 'the same seed, the same firings');
  const n = a.filter(Boolean).length;
  t.ok(n > 30 && n < 90, `about 30% of 200 fired (${n})`);
});

t.test('matchers: versions, client id, topic and partition', async (t) => {
  const f = new FaultInjector();
  f.add({ apiKey: 0, minVersion: 7, maxVersion: 9, clientId: 'app', topic: 'orders', partition: 2, errorCode: 1, always: true });
  t.equal(f.match(0, 6, 'app', produce('orders', 2)), null, 'below the version range');
  t.equal(f.match(0, 10, 'app', produce('orders', 2)), null, 'above it');
  t.equal(f.match(0, 9, 'other', produce('orders', 2)), null, 'another client');
  t.equal(f.match(0, 9, 'app', produce('payments', 2)), null, 'another topic');
  t.equal(f.match(0, 9, 'app', produce('orders', 1)), null, 'another partition');
  t.ok(f.match(0, 9, 'app', produce('orders', 2)));
  t.equal(f.list()[0]!.matched, 1);
});

t.test('refused specs say why', async (t) => {
  const f = new FaultInjector();
  t.throws(() => f.add({ apiKey: 0 }), /needs one action/);
  t.throws(() => f.add({ apiKey: 0, errorCode: 6, disconnect: true }), /needs one action/);
  t.throws(() => f.add({ errorCode: 6 }), /need an apiKey/);
  t.throws(() => f.add({ apiKey: -1, topic: 't', delayMs: 1 }), /need an apiKey/);
  t.throws(() => f.add({ apiKey: 61, errorCode: 6 }), /errorCode faults are not available for API key 61/);
  t.throws(() => f.add({ apiKey: 10, response: { nodeID: 2 } }), /no field "nodeID"/, 'a misspelt response field');
  t.throws(() => f.add({ apiKey: 10, response: { nodeId: 2 }, hold: true }), /needs one action/);
  t.throws(() => f.add({ apiKey: 10, errorCode: 15, topic: 't' }), /topic and partition matchers are not available for API key 10/, 'a matcher that could never match is refused');
  t.throws(() => f.add({ apiKey: 0, errorCode: 6, probability: 2 }), /probability/);
  t.throws(() => f.add({ apiKey: 0, errorCode: 6, times: 0 }), /times/);
  t.throws(() => f.add({ apiKey: -2, errorCode: 6 }), /apiKey/);
  t.notOk(f.armed, 'nothing armed by a refused spec');
  const id = f.add({ apiKey: 0, delayMs: 1 }).id;
  t.ok(f.remove(id));
  t.notOk(f.remove(id));
});

t.test('hold: requests wait until released; whenHeld resolves once one is held', async (t) => {
  const f = new FaultInjector();
  const fault = f.add({ apiKey: 0, hold: true, times: 2 });
  const arrived = f.whenHeld(fault.id, 1000);
  const ran: string[] = [];
  for (const name of ['a', 'b']) {
    const fired = f.match(0, 9, null, produce('t'))!;
    t.same(fired.action, { kind: 'hold' });
    f.hold(fired.fault.id, () => ran.push(name));
  }
  await arrived;
  t.equal(f.heldCount(fault.id), 2);
  t.notOk(f.armed, 'spent after two, still holding them');
  t.same(ran, [], 'nothing ran while held');
  t.equal(f.release(fault.id), 2);
  t.same(ran, ['a', 'b'], 'released in arrival order');
  t.equal(f.release(fault.id), 0);
  await t.rejects(f.whenHeld(fault.id), /not a hold fault/, 'gone once spent and released');
  const g = f.add({ apiKey: 1, hold: true, always: true });
  await t.rejects(f.whenHeld(g.id, 20), /no request was held by fault \d+ within 20 ms/);
  let late = false;
  f.hold(g.id, () => (late = true));
  f.clear();
  t.ok(late, 'clearing the faults releases what they hold');
});

t.test('an error on chosen partitions names only them; other faults take the whole request', async (t) => {
  const f = new FaultInjector();
  f.add({ apiKey: 0, partition: 1, errorCode: 6, always: true });
  const only = f.match(0, 9, null, produce('t', 1))!.only!;
  t.ok(only({ topic: 't', partition: 1 }));
  t.notOk(only({ topic: 't', partition: 0 }));
  const g = new FaultInjector();
  t.equal(f.match(0, 9, null, produce('t', 1))!.inHandler, false, 'a Produce is split by the connection');
  g.add({ apiKey: 1, partition: 1, errorCode: 6, times: 2 });
  const fetch = g.match(1, 12, null, { topics: [{ topic: 't', partitions: [{ partition: 1 }] }] })!;
  t.ok(fetch.only, 'a Fetch too');
  t.equal(fetch.inHandler, true, 'applied by the fetch handler (fetch sessions decide what a request reads)');
  t.ok(g.match(1, 17, null, { topics: [] }, () => [{ topic: 't', partition: 1 }]), 'matched on the partitions the connection says a Fetch reads (its session, its topic ids)');
  g.add({ apiKey: 3, topic: 't', errorCode: 3 });
  t.equal(g.match(3, 12, null, { topics: [{ name: 't' }] })!.only, null, 'a Metadata fails whole');
  g.add({ apiKey: 0, errorCode: 6 });
  t.equal(g.match(0, 9, null, produce('t'))!.only, null, 'no matcher: the whole request');
});

t.test('custom responses: fields laid over the answer, int64 and bytes converted', async (t) => {
  const f = new FaultInjector();
  f.add({ apiKey: 2, response: { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: '42' }] }] } });
  const listOffsets = { replicaId: -1, isolationLevel: 0, timeoutMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] };
  const fired = f.match(2, 7, null, listOffsets)!;
  t.equal(fired.action.kind, 'respond');
  const res = (fired.action as { respond: (r: unknown, v: number) => unknown }).respond(listOffsets, 7) as { throttleTimeMs: number; topics: Array<{ partitions: Array<{ offset: bigint; errorCode: number; leaderEpoch: number }> }> };
  t.equal(res.throttleTimeMs, 0, 'unnamed fields from the answer');
  t.same(res.topics[0]!.partitions[0], { partitionIndex: 0, errorCode: 0, oldStyleOffsets: [], timestamp: -1n, offset: 42n, leaderEpoch: -1 });
  const g = new FaultInjector();
  g.add({ apiKey: 12, respond: () => ({ errorCode: 27 }) });
  const hb = g.match(12, 4, null, {})!;
  t.same((hb.action as { respond: (r: unknown, v: number) => unknown }).respond({}, 4), { throttleTimeMs: 0, errorCode: 27 }, 'in process: a function, its fields laid over the answer');
});

t.test('every API, a part of the client id, a delay before another action, after the handler', async (t) => {
  const f = new FaultInjector();
  f.add({ delayMs: 5, clientIdContains: 'slow', always: true });
  t.ok(f.match(3, 12, 'my-slow-app', {}), 'any API of a matching client');
  t.ok(f.match(18, 3, 'slow', {}));
  t.equal(f.match(3, 12, 'fast', {}), null, 'not another client');
  t.equal(f.match(3, 12, null, {}), null, 'nor one without an id');
  const g = new FaultInjector();
  g.add({ apiKey: 0, errorCode: 6, delayMs: 40, after: true });
  const fired = g.match(0, 9, null, produce('t'))!;
  t.same([fired.action, fired.delayMs, fired.after], [{ kind: 'error', errorCode: 6 }, 40, true]);
  const h = new FaultInjector();
  h.add({ apiKey: 0, delayMs: 40 });
  const alone = h.match(0, 9, null, produce('t'))!;
  t.same([alone.action, alone.delayMs], [{ kind: 'delay', delayMs: 40 }, 0], 'a delay alone is the action (and not waited twice)');
});
