import t from 'tap';
import { ADVANCE_MS_MAX, VirtualClock, wallClock } from './clock.js';

const START = 1_700_000_000_000;

function paused(): VirtualClock {
  return new VirtualClock(START, { paused: true });
}

t.test('a virtual clock starts where asked and, paused, moves only by advance', async (t) => {
  const c = paused();
  t.equal(c.nowMs(), START);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(c.nowMs(), START, 'paused: wall time does not move it');
  const r = await c.advance(45_000);
  t.same(r, { nowMs: START + 45_000, fired: 0 });
  t.equal(c.nowMs(), START + 45_000);
});

t.test('advance fires due timers in due order, each seeing its own due time, and not the later ones', async (t) => {
  const c = paused();
  const seen: Array<[string, number]> = [];
  c.setTimeout(() => seen.push(['b', c.nowMs() - START]), 200);
  c.setTimeout(() => seen.push(['a', c.nowMs() - START]), 100);
  c.setTimeout(() => seen.push(['a2', c.nowMs() - START]), 100);
  c.setTimeout(() => seen.push(['late', c.nowMs() - START]), 1000);
  const r = await c.advance(500);
  t.same(seen, [['a', 100], ['a2', 100], ['b', 200]], 'ties fire in the order they were set');
  t.equal(r.fired, 3);
  t.equal(c.pendingTimers, 1);
  await c.advance(500);
  t.same(seen.at(-1), ['late', 1000], 'fires exactly at its due time');
});

t.test('a timer set by a firing timer fires within the same advance when due by its end', async (t) => {
  const c = paused();
  const seen: number[] = [];
  c.setTimeout(() => {
    seen.push(c.nowMs() - START);
    c.setTimeout(() => seen.push(c.nowMs() - START), 50);
  }, 10);
  await c.advance(100);
  t.same(seen, [10, 60]);
});

t.test('advance returns after the promise chains its timers started have run', async (t) => {
  const c = paused();
  let done = false;
  c.setTimeout(() => {
    void (async () => {
      await Promise.resolve();
      await new Promise<void>((r) => setImmediate(r));
      done = true;
    })();
  }, 5);
  await c.advance(10);
  t.ok(done, 'the async consequence ran before advance resolved');
});

t.test('cleared timers do not fire; clearing twice or null is harmless', async (t) => {
  const c = paused();
  let fired = 0;
  const h = c.setTimeout(() => fired++, 10);
  c.clearTimeout(h);
  c.clearTimeout(h);
  c.clearTimeout(null);
  await c.advance(100);
  t.equal(fired, 0);
});

t.test('an interval fires on its ticks between one-shot timers, and a long run of ticks fires once', async (t) => {
  const c = paused();
  const ticks: number[] = [];
  c.setInterval(() => ticks.push(c.nowMs() - START), 1000);
  const r = await c.advance(8 * 24 * 3600 * 1000);
  t.same(ticks, [8 * 24 * 3600 * 1000], 'eight days of a one-second check: one firing at the last tick');
  t.equal(r.fired, 1);
  ticks.length = 0;
  const base = c.nowMs() - START;
  c.setTimeout(() => ticks.push(-(c.nowMs() - START - base)), 2500);
  await c.advance(5000);
  t.same(ticks.map((x) => x - (x > 0 ? base : 0)), [2000, -2500, 5000], 'the tick before the timeout, the timeout, the last tick');
});

t.test('an interval with a dynamic period reads it at each tick; clearTimeout stops it', async (t) => {
  const c = paused();
  let period = 100;
  const at: number[] = [];
  const h = c.setInterval(() => at.push(c.nowMs() - START), () => period);
  c.setTimeout(() => {}, 100); // a one-shot at each step keeps ticks apart
  await c.advance(100);
  period = 300; // the tick at 200 was armed with the old period; the one after it with the new
  c.setTimeout(() => {}, 300);
  await c.advance(300);
  c.setTimeout(() => {}, 100);
  await c.advance(100);
  c.clearTimeout(h);
  await c.advance(10_000);
  t.same(at, [100, 200, 500]);
});

t.test('advances queue behind each other and a throwing timer does not stop the others', async (t) => {
  const c = paused();
  const errors: unknown[] = [];
  c.onError = (e) => errors.push(e);
  const seen: string[] = [];
  c.setTimeout(() => {
    throw new Error('boom');
  }, 10);
  c.setTimeout(() => seen.push('after'), 20);
  const [a, b] = await Promise.all([c.advance(15), c.advance(15)]);
  t.equal(a.nowMs, START + 15);
  t.equal(b.nowMs, START + 30);
  t.same(seen, ['after']);
  t.equal(errors.length, 1);
});

t.test('bad advances are refused', async (t) => {
  const c = paused();
  await t.rejects(c.advance(-1), /0 to/);
  await t.rejects(c.advance(Number.NaN), /0 to/);
  await t.rejects(c.advance(ADVANCE_MS_MAX + 1), /0 to/);
  t.equal(c.nowMs(), START);
});

t.test('a flowing virtual clock runs with wall time and fires timers as it passes', async (t) => {
  const c = new VirtualClock(START);
  const w0 = Date.now();
  const fired = await new Promise<number>((resolve) => c.setTimeout(() => resolve(c.nowMs()), 30));
  t.ok(fired >= START + 30 && fired < START + (Date.now() - w0) + 5, `fired at ${fired - START} ms`);
  await c.advance(60_000);
  t.ok(c.nowMs() - START >= 60_030, 'advance adds to the time that flowed');
  const before = c.nowMs();
  await new Promise((r) => setTimeout(r, 20));
  t.ok(c.nowMs() >= before + 15, 'and it keeps flowing after');
  c.pause();
  const held = c.nowMs();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(c.nowMs(), held, 'paused');
  c.resume();
  await new Promise((r) => setTimeout(r, 20));
  t.ok(c.nowMs() >= held + 15, 'resumed from where it was held');
});

t.test('the wall clock is Date.now and Node timers', async (t) => {
  t.notOk(wallClock.virtual);
  t.ok(Math.abs(wallClock.nowMs() - Date.now()) < 5);
  let n = 0;
  const h = wallClock.setInterval(() => n++, () => 5);
  await new Promise((r) => setTimeout(r, 40));
  wallClock.clearTimeout(h);
  const at = n;
  t.ok(at >= 2, `a dynamic-period interval ticked ${at} times`);
  await new Promise((r) => setTimeout(r, 30));
  t.equal(n, at, 'and stops when cleared');
});
