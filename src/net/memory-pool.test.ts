import t from 'tap';
import { MemoryPool } from './memory-pool.js';

t.test('lenient: grants while any byte is left, so the largest frame always fits once', async (t) => {
  const pool = new MemoryPool(100, 'lenient');
  t.ok(pool.tryTake(80));
  t.ok(pool.tryTake(80), 'over capacity by one take, as Kafka non-strict pool');
  t.equal(pool.available, -60);
  t.notOk(pool.tryTake(1), 'nothing left: refused');
  pool.release(160);
  t.equal(pool.used, 0);
});

t.test('strict: grants only what fits', async (t) => {
  const pool = new MemoryPool(100, 'strict');
  t.ok(pool.tryTake(60));
  t.notOk(pool.tryTake(41));
  t.ok(pool.tryTake(40));
  t.ok(pool.tryTake(0), 'nothing asked, nothing refused');
});

t.test('a release calls waiters back in arrival order while bytes are left; one that does not fit waits again', async (t) => {
  const pool = new MemoryPool(100, 'strict');
  pool.take(100);
  const calls: string[] = [];
  const big = (): void => {
    calls.push('big');
    if (!pool.tryTake(90)) pool.wait(big);
  };
  const small = (): void => {
    calls.push('small');
    if (!pool.tryTake(10)) pool.wait(small);
  };
  pool.wait(big);
  pool.wait(small);
  pool.release(20);
  t.same(calls, ['big', 'small'], 'each called once per release, no spinning');
  t.equal(pool.used, 90);
  pool.release(90);
  t.same(calls, ['big', 'small', 'big'], 'the one still waiting gets its turn');
  t.equal(pool.used, 90);
});

t.test('a cancelled waiter is not called; releasing more than was taken is a bug', async (t) => {
  const pool = new MemoryPool(10, 'lenient');
  pool.take(10);
  let called = false;
  const w = (): void => {
    called = true;
  };
  pool.wait(w);
  pool.cancelWait(w);
  pool.release(10);
  t.notOk(called);
  t.throws(() => pool.release(1), /released 1 bytes more/);
});
