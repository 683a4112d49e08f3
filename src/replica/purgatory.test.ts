/** The purgatory's named edge cases: wake, coalescing, expiry, cancel, the bound. */
import t from 'tap';
import { setImmediate as tick } from 'node:timers/promises';
import { partitionKey, Purgatory } from './purgatory.js';

const A = partitionKey('a', 0);
const B = partitionKey('a', 1);

t.test('a woken operation that can complete does, once, and leaves', async (t) => {
  const p = new Purgatory('test', 10);
  let ready = false;
  let completed = 0;
  let expired = 0;
  p.watch([A, B], 10_000, { tryComplete: () => ready && ++completed > 0, onExpiration: () => expired++ });
  t.equal(p.size, 1);
  p.checkAndComplete(A);
  await tick();
  t.equal(completed, 0, 'not ready: still waiting');
  t.equal(p.size, 1);
  ready = true;
  p.checkAndComplete(B);
  await tick();
  t.equal(completed, 1);
  t.equal(p.size, 0, 'gone from every key');
  p.checkAndComplete(A);
  await tick();
  t.equal(completed, 1, 'not run again');
  t.equal(expired, 0);
});

t.test('a burst of wakes in one turn re-checks once', async (t) => {
  const p = new Purgatory('test', 10);
  let checks = 0;
  const w = p.watch([A, B], 10_000, { tryComplete: () => (checks++, false), onExpiration: () => {} });
  for (let i = 0; i < 50; i++) p.checkAndComplete(i % 2 === 0 ? A : B);
  await tick();
  t.equal(checks, 1);
  w!.cancel();
});

t.test('an operation not completed expires at its deadline, once', async (t) => {
  const p = new Purgatory('test', 10);
  let expired = 0;
  p.watch([A], 20, { tryComplete: () => false, onExpiration: () => expired++ });
  await new Promise((r) => setTimeout(r, 60));
  t.equal(expired, 1);
  t.equal(p.size, 0);
});

t.test('cancel removes without completing or expiring', async (t) => {
  const p = new Purgatory('test', 10);
  let ran = 0;
  const w = p.watch([A], 20, { tryComplete: () => (ran++, true), onExpiration: () => ran++ });
  w!.cancel();
  p.checkAndComplete(A);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(ran, 0);
  t.equal(p.size, 0);
});

t.test('a full purgatory refuses: the caller answers at once', async (t) => {
  const p = new Purgatory('test', 2);
  const op = { tryComplete: () => false, onExpiration: () => {} };
  const w1 = p.watch([A], 10_000, op);
  const w2 = p.watch([A], 10_000, op);
  t.equal(p.watch([A], 10_000, op), null);
  w1!.cancel();
  const w3 = p.watch([A], 10_000, op);
  t.not(w3, null, 'room again after a cancel');
  w2!.cancel();
  w3!.cancel();
});
