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
  t.throws(() => f.add({ apiKey: 0 }), /exactly one action/);
  t.throws(() => f.add({ apiKey: 0, errorCode: 6, delayMs: 5 }), /exactly one action/);
  t.throws(() => f.add({ apiKey: 19, errorCode: 6 }), /errorCode faults are not available for API key 19/);
  t.throws(() => f.add({ apiKey: 10, errorCode: 15, topic: 't' }), /topic and partition matchers are not available for API key 10/, 'a matcher that could never match is refused');
  t.throws(() => f.add({ apiKey: 0, errorCode: 6, probability: 2 }), /probability/);
  t.throws(() => f.add({ apiKey: 0, errorCode: 6, times: 0 }), /times/);
  t.throws(() => f.add({ apiKey: -1, errorCode: 6 }), /apiKey/);
  t.notOk(f.armed, 'nothing armed by a refused spec');
  const id = f.add({ apiKey: 0, delayMs: 1 }).id;
  t.ok(f.remove(id));
  t.notOk(f.remove(id));
});
