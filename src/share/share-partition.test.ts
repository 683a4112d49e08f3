import t from 'tap';
import { VirtualClock, type Clock, type TimerHandle } from '../control/clock.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  AcknowledgeType,
  RecordState,
  SharePartition,
  type AcknowledgementBatch,
  type OffsetRange,
  type ShareChangeReason,
  type SharePartitionSettings,
  type ShareStateSnapshot,
} from './share-partition.js';

const START = 1_700_000_000_000;
const LOCK_MS = 30_000;
const { GAP, ACCEPT, RELEASE, REJECT } = AcknowledgeType;
const { AVAILABLE, ACQUIRED, ACKNOWLEDGED, ARCHIVED } = RecordState;

interface Fixture {
  sp: SharePartition;
  clock: VirtualClock;
  changes: ShareChangeReason[];
}

function make(opts: { startOffset?: bigint; settings?: Partial<SharePartitionSettings>; state?: ShareStateSnapshot } = {}): Fixture {
  const clock = new VirtualClock(START, { paused: true });
  const changes: ShareChangeReason[] = [];
  const sp = new SharePartition({
    startOffset: opts.startOffset ?? 0n,
    clock,
    settings: { lockDurationMs: LOCK_MS, deliveryCountLimit: 5, maxInFlightRecords: 2000, ...opts.settings },
    ...(opts.state ? { state: opts.state } : {}),
    onChange: (r) => changes.push(r),
  });
  return { sp, clock, changes };
}

/** Batches [first, last] as candidates. */
const batches = (...rs: Array<[number, number]>): OffsetRange[] => rs.map(([f, l]) => ({ firstOffset: BigInt(f), lastOffset: BigInt(l) }));
const acq = (f: number, l: number, deliveryCount: number) => ({ firstOffset: BigInt(f), lastOffset: BigInt(l), deliveryCount });
const ack = (f: number, l: number, ...types: number[]): AcknowledgementBatch => ({ firstOffset: BigInt(f), lastOffset: BigInt(l), acknowledgeTypes: types });
/** In-flight ranges as [first, last, state, count, member] for short assertions. */
const states = (sp: SharePartition) => sp.inFlight().map((r) => [Number(r.firstOffset), Number(r.lastOffset), r.state, r.deliveryCount, r.memberId]);

t.test('acquire from SPSO', async (t) => {
  const { sp, changes } = make();
  t.same(sp.nextFetchOffset(), 0n);
  t.same(sp.acquire('a', batches([0, 9]), 500), [acq(0, 9, 1)]);
  t.equal(sp.startOffset, 0n);
  t.equal(sp.endOffset, 10n);
  t.equal(sp.nextFetchOffset(), 10n, 'the next read starts after what was acquired');
  t.same(states(sp), [[0, 9, ACQUIRED, 1, 'a']]);
  t.equal(sp.inFlight()[0]!.lockDeadlineMs, START + LOCK_MS);
  t.equal(sp.acquiredCount('a'), 10);
  t.equal(sp.acquiredCount(), 10);
  t.same(changes, [], 'a plain acquisition is not persisted');

  const later = make({ startOffset: 100n });
  t.same(later.sp.acquire('a', batches([95, 109]), 500), [acq(100, 109, 1)], 'a batch starting below SPSO is clipped');
});

t.test('acquire whole batches / maxRecords', async (t) => {
  const { sp } = make();
  t.same(sp.acquire('a', batches([0, 4], [5, 9], [10, 14]), 7), [acq(0, 9, 1)], 'stops at the batch that reaches 7');
  t.equal(sp.endOffset, 10n);
  t.same(sp.acquire('a', batches([10, 14]), 1), [acq(10, 14, 1)], 'a batch is taken whole, past maxRecords');
  t.same(sp.acquire('a', batches([15, 19]), 0), [], 'maxRecords 0 takes nothing');
  t.equal(sp.endOffset, 15n);
  sp.releaseMember('a');
  t.same(sp.acquire('b', batches([0, 4], [5, 9], [10, 14]), 3), [acq(0, 4, 2)], 'redelivery stops at a batch boundary too');
  t.same(sp.acquire('b', batches([5, 9], [10, 14], [15, 19]), 11), [acq(5, 14, 2), acq(15, 19, 1)], 'then goes on into new offsets');
});

t.test('skip acquired by another member', async (t) => {
  const { sp } = make();
  sp.acquire('a', batches([0, 9]), 500);
  t.same(sp.acquire('b', batches([0, 9], [10, 19]), 500), [acq(10, 19, 1)]);
  t.equal(sp.acknowledge('a', [ack(3, 4, RELEASE)]), ErrorCode.NONE);
  t.same(sp.acquire('b', batches([0, 9], [10, 19]), 500), [acq(3, 4, 2)], 'only what a released, once more delivered');
  t.same(states(sp), [
    [0, 2, ACQUIRED, 1, 'a'],
    [3, 4, ACQUIRED, 2, 'b'],
    [5, 9, ACQUIRED, 1, 'a'],
    [10, 19, ACQUIRED, 1, 'b'],
  ]);
});

t.test('in-flight limit', async (t) => {
  const { sp } = make({ settings: { maxInFlightRecords: 10 } });
  t.same(sp.acquire('a', batches([0, 5], [6, 11]), 500), [acq(0, 5, 1)], 'the second batch would put 12 in flight');
  t.ok(sp.canAcquireRecords(), 'room for 4 more');
  t.same(sp.acquire('a', batches([6, 11]), 500), [], 'still no room for a whole batch');
  t.same(sp.acquire('a', batches([6, 9]), 500), [acq(6, 9, 1)], 'a batch that fits is taken');
  t.notOk(sp.canAcquireRecords(), 'window full, nothing available');
  t.equal(sp.acknowledge('a', [ack(0, 5, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 6n);
  t.same(sp.acquire('a', batches([10, 15]), 500), [acq(10, 15, 1)], 'room again once SPSO moved');

  const big = make({ settings: { maxInFlightRecords: 10 } });
  t.same(big.sp.acquire('a', batches([0, 24]), 500), [acq(0, 24, 1)], 'a first batch larger than the window is taken when nothing is in flight');
  t.same(big.sp.acquire('a', batches([25, 25]), 500), [], 'then nothing more until it drains');
});

t.test('accept advances SPSO', async (t) => {
  const { sp, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  t.equal(sp.acknowledge('a', [ack(0, 9, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 10n);
  t.equal(sp.endOffset, 10n);
  t.same(sp.inFlight(), []);
  t.same(changes, ['acknowledge']);
  t.same(sp.snapshot(), { startOffset: 10n, batches: [] });
  t.equal(sp.acquiredCount(), 0);
});

t.test('accept out of order keeps SPSO until the gap is acknowledged', async (t) => {
  const { sp } = make();
  t.same(sp.acquire('a', batches([0, 4], [5, 9]), 500), [acq(0, 9, 1)]);
  t.equal(sp.acknowledge('a', [ack(5, 9, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 0n);
  t.same(states(sp), [
    [0, 4, ACQUIRED, 1, 'a'],
    [5, 9, ACKNOWLEDGED, 1, null],
  ]);
  t.equal(sp.nextFetchOffset(), 10n);
  t.equal(sp.acknowledge('a', [ack(0, 4, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 10n);
  t.same(sp.inFlight(), []);
});

t.test('release -> redelivered with count 2', async (t) => {
  const { sp, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  t.equal(sp.acknowledge('a', [ack(0, 9, RELEASE)]), ErrorCode.NONE);
  t.same(changes, ['acknowledge']);
  t.equal(sp.nextFetchOffset(), 0n, 'read again from the released records');
  t.same(states(sp), [[0, 9, AVAILABLE, 1, null]]);
  t.same(sp.acquire('b', batches([0, 9], [10, 14]), 500), [acq(0, 9, 2), acq(10, 14, 1)]);
});

t.test('reject never redelivered', async (t) => {
  const { sp } = make();
  sp.acquire('a', batches([0, 9]), 500);
  t.equal(sp.acknowledge('a', [ack(0, 2, RELEASE), ack(3, 4, REJECT), ack(5, 9, RELEASE)]), ErrorCode.NONE);
  t.same(sp.acquire('a', batches([0, 9]), 500), [acq(0, 2, 2), acq(5, 9, 2)]);
  t.equal(sp.acknowledge('a', [ack(0, 2, ACCEPT), ack(5, 9, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 10n, 'the rejected records count as done');
});

t.test('gap type archived', async (t) => {
  const { sp } = make();
  // Offsets 5-7 were compacted away: the read returned 0-4 and 8-9; the span is acquired.
  t.same(sp.acquire('a', batches([0, 4], [8, 9]), 500), [acq(0, 9, 1)]);
  t.equal(sp.acknowledge('a', [ack(0, 4, ACCEPT), ack(5, 7, GAP)]), ErrorCode.NONE);
  t.same(states(sp), [[8, 9, ACQUIRED, 1, 'a']]);
  t.equal(sp.startOffset, 8n, 'the gap is archived and SPSO moves past it');
  t.equal(sp.acknowledge('a', [ack(8, 9, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 10n);
});

t.test('nothing in flight: SPSO jumps to the first batch read', async (t) => {
  const { sp } = make();
  t.same(sp.acquire('a', batches([5, 9]), 500), [acq(5, 9, 1)], 'as Kafka: no state for the offsets below');
  t.equal(sp.startOffset, 5n);
  t.same(sp.acquire('a', batches([10, 12], [15, 19]), 500), [acq(10, 19, 1)], 'a hole between batches goes with the next');
});

t.test('a hole at the next fetch offset is acquired with the batch after it', async (t) => {
  const { sp } = make();
  sp.acquire('a', batches([0, 4], [8, 9]), 500);
  t.equal(sp.acknowledge('a', [ack(0, 4, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.acknowledge('a', [ack(5, 9, RELEASE)]), ErrorCode.NONE);
  t.equal(sp.nextFetchOffset(), 5n);
  // A read from 5 returns the batch at 8 first.
  t.same(sp.acquire('b', batches([8, 9]), 500), [acq(8, 9, 2)], 'not told where the read began: from the first batch');
  t.equal(sp.nextFetchOffset(), 5n, 'so 5-7 stay AVAILABLE');
  sp.releaseMember('b');
  t.same(sp.acquire('b', batches([8, 9]), 500, 5n), [acq(5, 7, 2), acq(8, 9, 3)], 'told: 5-7 go with it');
  t.equal(sp.acknowledge('b', [ack(5, 9, GAP, GAP, GAP, ACCEPT, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 10n);
});

t.test('a lock that runs out during the log read does not make its records gaps', async (t) => {
  const { sp, clock } = make();
  sp.acquire('a', batches([0, 9]), 500);
  await clock.advance(LOCK_MS - 1);
  const fetchOffset = sp.nextFetchOffset();
  t.equal(fetchOffset, 10n);
  // The read from 10 is under way when a's lock runs out: 0-9 AVAILABLE, the next fetch offset 0.
  await clock.advance(1);
  t.equal(sp.nextFetchOffset(), 0n);
  t.same(sp.acquire('b', batches([10, 19]), 500, fetchOffset), [acq(10, 19, 1)], '0-9 were not read: not acquired');
  t.same(sp.acquire('b', batches([10, 19]), 500), [], 'nor without a fetch offset');
  t.same(states(sp), [
    [0, 9, AVAILABLE, 1, null],
    [10, 19, ACQUIRED, 1, 'b'],
  ]);
});

t.test('per-offset types', async (t) => {
  const { sp } = make();
  sp.acquire('a', batches([0, 5]), 500);
  t.equal(sp.acknowledge('a', [ack(0, 5, ACCEPT, RELEASE, REJECT, GAP, ACCEPT, RELEASE)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 1n);
  t.same(states(sp), [
    [1, 1, AVAILABLE, 1, null],
    [2, 3, ARCHIVED, 1, null],
    [4, 4, ACKNOWLEDGED, 1, null],
    [5, 5, AVAILABLE, 1, null],
  ]);
  t.same(sp.acquire('a', batches([0, 5]), 500), [acq(1, 1, 2), acq(5, 5, 2)]);
});

t.test('ranges split where offsets diverge and merge back when they meet again', async (t) => {
  const { sp } = make();
  sp.acquire('a', batches([0, 1999]), 5000);
  const alternate = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? RELEASE : ACCEPT));
  t.equal(sp.acknowledge('a', [ack(0, 1999, ...alternate)]), ErrorCode.NONE);
  t.equal(sp.inFlight().length, 2000, 'one range per offset where every offset differs');
  t.same(sp.acquire('b', batches([0, 1999]), 5000).length, 1000);
  t.equal(sp.acknowledge('b', sp.inFlight().filter((r) => r.state === ACQUIRED).map((r) => ack(Number(r.firstOffset), Number(r.lastOffset), ACCEPT))), ErrorCode.NONE);
  t.same(sp.inFlight(), [], 'all done');
  t.equal(sp.startOffset, 2000n);

  const b = make();
  b.sp.acquire('a', batches([0, 99]), 500);
  t.equal(b.sp.acknowledge('a', [ack(0, 99, ...Array.from({ length: 100 }, () => RELEASE))]), ErrorCode.NONE);
  t.same(states(b.sp), [[0, 99, AVAILABLE, 1, null]], 'equal per-offset outcomes make one range');
});

t.test('acknowledge by another member -> INVALID_RECORD_STATE and no change', async (t) => {
  const { sp, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  sp.acquire('b', batches([10, 19]), 500);
  const before = sp.inFlight();
  t.equal(sp.acknowledge('a', [ack(0, 9, ACCEPT), ack(10, 12, ACCEPT)]), ErrorCode.INVALID_RECORD_STATE);
  t.same(sp.inFlight(), before, 'the valid first batch was not applied either');
  t.equal(sp.startOffset, 0n);
  t.same(changes, []);
  t.equal(sp.acknowledge('b', [ack(9, 10, ACCEPT)]), ErrorCode.INVALID_RECORD_STATE, 'a range straddling two owners');
  t.equal(sp.acknowledge('a', [ack(0, 9, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.acknowledge('a', [ack(0, 9, ACCEPT)]), ErrorCode.NONE, 'below SPSO now: skipped, as Kafka');
  t.equal(sp.acknowledge('b', [ack(10, 19, ACCEPT)]), ErrorCode.NONE);
  sp.acquire('a', batches([20, 29]), 500);
  t.equal(sp.acknowledge('a', [ack(22, 24, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.acknowledge('a', [ack(21, 29, ACCEPT)]), ErrorCode.INVALID_RECORD_STATE, 'acknowledged twice');
  t.same(states(sp), [
    [20, 21, ACQUIRED, 1, 'a'],
    [22, 24, ACKNOWLEDGED, 1, null],
    [25, 29, ACQUIRED, 1, 'a'],
  ]);
});

t.test('acknowledging outside the in-flight offsets answers as Kafka', async (t) => {
  const { sp } = make({ startOffset: 10n });
  t.equal(sp.acknowledge('a', [ack(10, 12, ACCEPT)]), ErrorCode.INVALID_RECORD_STATE, 'nothing in flight');
  t.equal(sp.acknowledge('a', [ack(0, 5, ACCEPT)]), ErrorCode.NONE, 'below SPSO: skipped');
  sp.acquire('a', batches([10, 19]), 500);
  t.equal(sp.acknowledge('a', [ack(15, 25, ACCEPT)]), ErrorCode.INVALID_REQUEST, 'past SPEO: past the acquired records');
  t.equal(sp.acknowledge('a', [ack(20, 25, ACCEPT)]), ErrorCode.INVALID_REQUEST);
  t.equal(sp.acknowledge('a', [ack(5, 12, ACCEPT)]), ErrorCode.NONE, 'straddling SPSO: the part below is skipped');
  t.equal(sp.startOffset, 13n);
  t.equal(sp.acknowledge('a', [ack(5, 14, ...Array.from({ length: 10 }, (_, i) => (i < 8 ? GAP : ACCEPT)))]), ErrorCode.NONE, 'per-offset types index from the batch start');
  t.equal(sp.startOffset, 15n);
  t.same(states(sp), [[15, 19, ACQUIRED, 1, 'a']]);
});

t.test('malformed batches -> INVALID_REQUEST', async (t) => {
  const { sp, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  const before = sp.inFlight();
  const cases: Array<[string, AcknowledgementBatch[]]> = [
    ['first > last', [ack(5, 4, ACCEPT)]],
    ['types neither one nor one per offset', [ack(0, 2, ACCEPT, ACCEPT)]],
    ['no types', [ack(0, 2)]],
    ['type above 3', [ack(0, 2, 4)]],
    ['negative type', [ack(0, 0, -1)]],
    ['overlapping', [ack(0, 4, ACCEPT), ack(4, 6, ACCEPT)]],
    ['out of order', [ack(5, 6, ACCEPT), ack(0, 4, ACCEPT)]],
    ['malformed after a valid batch', [ack(0, 4, ACCEPT), ack(6, 5, ACCEPT)]],
  ];
  for (const [name, list] of cases) t.equal(sp.acknowledge('a', list), ErrorCode.INVALID_REQUEST, name);
  t.equal(sp.acknowledge('b', [ack(0, 4, 9)]), ErrorCode.INVALID_REQUEST, 'checked before ownership');
  t.same(sp.inFlight(), before, 'nothing changed');
  t.same(changes, []);
  t.equal(sp.acknowledge('a', []), ErrorCode.NONE, 'an empty list is no error');
});

t.test('acknowledge after lock expiry -> INVALID_RECORD_STATE', async (t) => {
  const { sp, clock, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  await clock.advance(LOCK_MS);
  t.same(changes, ['expiry']);
  t.equal(sp.acknowledge('a', [ack(0, 9, ACCEPT)]), ErrorCode.INVALID_RECORD_STATE);
  t.same(states(sp), [[0, 9, AVAILABLE, 1, null]]);
});

t.test('a lock past its deadline is expired before an acknowledgement, even when its timer is late', async (t) => {
  let nowMs = START;
  const timers: Array<() => void> = [];
  const handle: TimerHandle = { unref: () => handle };
  const lateClock: Clock = {
    virtual: true,
    nowMs: () => nowMs,
    setTimeout: (fn) => (timers.push(fn), handle),
    setInterval: () => handle,
    clearTimeout: () => {},
  };
  const sp = new SharePartition({ startOffset: 0n, clock: lateClock, settings: { lockDurationMs: LOCK_MS, deliveryCountLimit: 5, maxInFlightRecords: 2000 } });
  sp.acquire('a', batches([0, 9]), 500);
  nowMs += LOCK_MS - 1;
  t.equal(sp.acknowledge('a', [ack(0, 4, ACCEPT)]), ErrorCode.NONE, 'one ms before the deadline');
  nowMs += 1;
  t.equal(sp.acknowledge('a', [ack(5, 9, ACCEPT)]), ErrorCode.INVALID_RECORD_STATE, 'at the deadline, the timer not yet run');
  t.same(states(sp), [[5, 9, AVAILABLE, 1, null]]);
  for (const fn of timers.splice(0)) fn();
  t.same(states(sp), [[5, 9, AVAILABLE, 1, null]], 'the late timer finds nothing more to do');
});

t.test('lock expiry makes records available again', async (t) => {
  const { sp, clock, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  await clock.advance(10_000);
  sp.acquire('b', batches([10, 19]), 500);
  t.equal(clock.pendingTimers, 1, 'one timer, for the earliest deadline');
  await clock.advance(LOCK_MS - 10_000 - 1);
  t.same(states(sp)[0], [0, 9, ACQUIRED, 1, 'a'], 'not before its deadline');
  await clock.advance(1);
  t.same(states(sp), [
    [0, 9, AVAILABLE, 1, null],
    [10, 19, ACQUIRED, 1, 'b'],
  ]);
  t.same(changes, ['expiry']);
  t.equal(clock.pendingTimers, 1, 're-armed for the next deadline');
  t.equal(sp.nextFetchOffset(), 0n);
  t.same(sp.acquire('c', batches([0, 9], [10, 19]), 500), [acq(0, 9, 2)]);
  await clock.advance(10_000);
  t.same(states(sp)[1], [10, 19, AVAILABLE, 1, null]);
  t.same(changes, ['expiry', 'expiry']);
});

t.test('delivery count limit archives (5 deliveries via release/expiry, then never again) and SPSO moves past it', async (t) => {
  const { sp, clock, changes } = make();
  const returns: Array<(m: string) => Promise<void>> = [
    async (m) => void sp.acknowledge(m, [ack(0, 9, RELEASE)]),
    async () => void (await clock.advance(LOCK_MS)),
    async (m) => sp.releaseMember(m),
    async (m) => void sp.acknowledge(m, [ack(0, 9, RELEASE)]),
    async () => void (await clock.advance(LOCK_MS)),
  ];
  for (let delivery = 1; delivery <= 5; delivery++) {
    const member = `m${delivery}`;
    t.same(sp.acquire(member, batches([0, 9]), 500), [acq(0, 9, delivery)], `delivery ${delivery}`);
    await returns[delivery - 1]!(member);
  }
  t.same(sp.inFlight(), [], 'archived after the fifth, and dropped');
  t.equal(sp.startOffset, 10n);
  t.same(changes, ['acknowledge', 'expiry', 'release', 'acknowledge', 'expiry']);
  t.same(sp.acquire('m6', batches([0, 9]), 500), [], 'never delivered again');
  t.same(sp.acquire('m6', batches([0, 9], [10, 19]), 500), [acq(10, 19, 1)]);
});

t.test('an available record restored with its deliveries used up is archived, not acquired', async (t) => {
  const { sp, changes } = make({ state: { startOffset: 0n, batches: [{ firstOffset: 0n, lastOffset: 4n, deliveryState: 0, deliveryCount: 5 }] } });
  t.same(sp.acquire('a', batches([0, 9]), 500), [acq(5, 9, 1)]);
  t.equal(sp.startOffset, 5n);
  t.same(changes, ['archive']);
});

t.test('releaseMember', async (t) => {
  const { sp, clock, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  sp.acquire('b', batches([10, 19]), 500);
  sp.releaseMember('a');
  t.same(states(sp), [
    [0, 9, AVAILABLE, 1, null],
    [10, 19, ACQUIRED, 1, 'b'],
  ]);
  t.same(changes, ['release']);
  t.equal(sp.acquiredCount('a'), 0);
  t.equal(sp.acquiredCount('b'), 10);
  sp.releaseMember('nobody');
  t.same(changes, ['release'], 'nothing to release: nothing to persist');
  t.equal(clock.pendingTimers, 1);
  sp.releaseMember('b');
  t.equal(clock.pendingTimers, 0, 'no lock left, no timer');
  t.same(sp.acquire('c', batches([0, 9], [10, 19]), 500), [acq(0, 19, 2)], 'equal counts merge in the answer');
});

t.test('advanceTo(log start)', async (t) => {
  const { sp, clock, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  await clock.advance(1000);
  sp.acquire('b', batches([10, 19]), 500);
  sp.advanceTo(15n);
  t.equal(sp.startOffset, 15n);
  t.same(states(sp), [[15, 19, ACQUIRED, 1, 'b']], 'acquired records below the log start are dropped too');
  t.same(changes, ['advance']);
  t.equal(sp.acquiredCount('a'), 0);
  t.equal(sp.acknowledge('a', [ack(0, 9, ACCEPT)]), ErrorCode.NONE, "a's acknowledgement is skipped, below SPSO");
  t.equal(sp.acknowledge('b', [ack(10, 19, ACCEPT)]), ErrorCode.NONE);
  t.equal(sp.startOffset, 20n);
  sp.advanceTo(12n);
  t.equal(sp.startOffset, 20n, 'not above SPSO: nothing');
  sp.advanceTo(50n);
  t.equal(sp.startOffset, 50n);
  t.equal(sp.endOffset, 50n, 'SPEO follows when passed');
  t.equal(sp.nextFetchOffset(), 50n);
  t.equal(clock.pendingTimers, 0);
});

t.test('snapshot + restore', async (t) => {
  const { sp } = make();
  sp.acquire('a', batches([0, 9]), 500);
  t.equal(sp.acknowledge('a', [ack(2, 3, ACCEPT), ack(4, 4, REJECT), ack(5, 6, RELEASE)]), ErrorCode.NONE);
  t.same(sp.acquire('b', batches([0, 9], [10, 19]), 500), [acq(5, 6, 2), acq(10, 19, 1)]);
  const snap = sp.snapshot();
  t.same(snap, {
    startOffset: 0n,
    batches: [
      { firstOffset: 0n, lastOffset: 1n, deliveryState: AVAILABLE, deliveryCount: 1 },
      { firstOffset: 2n, lastOffset: 3n, deliveryState: ACKNOWLEDGED, deliveryCount: 1 },
      { firstOffset: 4n, lastOffset: 4n, deliveryState: ARCHIVED, deliveryCount: 1 },
      { firstOffset: 5n, lastOffset: 6n, deliveryState: AVAILABLE, deliveryCount: 2 },
      { firstOffset: 7n, lastOffset: 19n, deliveryState: AVAILABLE, deliveryCount: 1 },
    ],
  }, 'acquired records are written AVAILABLE with their counts');

  const { sp: back, clock } = make({ startOffset: 999n, state: snap });
  t.equal(back.startOffset, 0n, "the snapshot's SPSO wins");
  t.equal(back.endOffset, 20n);
  t.equal(clock.pendingTimers, 0, 'no locks after a restart');
  t.same(states(back), [
    [0, 1, AVAILABLE, 1, null],
    [2, 3, ACKNOWLEDGED, 1, null],
    [4, 4, ARCHIVED, 1, null],
    [5, 6, AVAILABLE, 2, null],
    [7, 19, AVAILABLE, 1, null],
  ]);
  t.same(back.acquire('c', batches([0, 9], [10, 19]), 500), [acq(0, 1, 2), acq(5, 6, 3), acq(7, 19, 2)], 'acknowledged stay acknowledged');
  t.equal(back.acknowledge('c', [ack(0, 1, ACCEPT), ack(5, 19, ACCEPT)]), ErrorCode.NONE);
  t.equal(back.startOffset, 20n);

  const gaps = make({ state: { startOffset: 100n, batches: [{ firstOffset: 105n, lastOffset: 109n, deliveryState: ACKNOWLEDGED, deliveryCount: 1 }] } });
  t.same(states(gaps.sp), [
    [100, 104, AVAILABLE, 0, null],
    [105, 109, ACKNOWLEDGED, 1, null],
  ], 'offsets between persisted batches were never fetched');
  t.same(gaps.sp.snapshot().batches.length, 1, 'and are not written back');
  t.same(gaps.sp.acquire('a', batches([100, 109], [110, 119]), 500), [acq(100, 104, 1), acq(110, 119, 1)]);

  const done = make({ state: { startOffset: 0n, batches: [{ firstOffset: 0n, lastOffset: 9n, deliveryState: ARCHIVED, deliveryCount: 5 }] } });
  t.equal(done.sp.startOffset, 10n, 'finished records at the bottom move SPSO at once');

  const bad: Array<[string, ShareStateSnapshot]> = [
    ['batch below the start', { startOffset: 10n, batches: [{ firstOffset: 5n, lastOffset: 12n, deliveryState: 0, deliveryCount: 1 }] }],
    ['overlapping batches', { startOffset: 0n, batches: [{ firstOffset: 0n, lastOffset: 5n, deliveryState: 0, deliveryCount: 1 }, { firstOffset: 5n, lastOffset: 6n, deliveryState: 2, deliveryCount: 1 }] }],
    ['unknown state', { startOffset: 0n, batches: [{ firstOffset: 0n, lastOffset: 5n, deliveryState: 3, deliveryCount: 1 }] }],
  ];
  for (const [name, state] of bad) t.throws(() => make({ state }), RangeError, name);
});

t.test('timers cleared on close', async (t) => {
  const { sp, clock, changes } = make();
  sp.acquire('a', batches([0, 9]), 500);
  t.equal(clock.pendingTimers, 1);
  sp.close();
  t.equal(clock.pendingTimers, 0);
  await clock.advance(2 * LOCK_MS);
  t.same(changes, [], 'no timer fired');
  t.equal(sp.acknowledge('a', [ack(0, 9, ACCEPT)]), ErrorCode.INVALID_RECORD_STATE, 'the lock still ran out');
  t.same(sp.acquire('b', batches([0, 9]), 500), [acq(0, 9, 2)]);
  t.equal(clock.pendingTimers, 0, 'a closed share-partition arms no timer');
});

t.test('settings are checked', async (t) => {
  const clock = new VirtualClock(START);
  const ok = { lockDurationMs: LOCK_MS, deliveryCountLimit: 5, maxInFlightRecords: 2000 };
  t.throws(() => new SharePartition({ startOffset: 0n, clock, settings: { ...ok, maxInFlightRecords: 1_000_000 } }), RangeError);
  t.throws(() => new SharePartition({ startOffset: 0n, clock, settings: { ...ok, deliveryCountLimit: 0 } }), RangeError);
  t.throws(() => new SharePartition({ startOffset: -1n, clock, settings: ok }), RangeError);
  const sp = new SharePartition({ startOffset: 0n, clock, settings: ok });
  t.throws(() => sp.acquire('a', batches([5, 9], [0, 4]), 10), 'candidates out of order are a bug');
});

t.test('releaseMember with uncount: a closed session\'s unfinished delivery is not counted (Kafka 4.1, KAFKA-17541)', async (t) => {
  const { sp } = make({ settings: { deliveryCountLimit: 2 } });
  sp.acquire('a', batches([0, 4]), 500);
  sp.releaseMember('a', { uncount: true });
  t.same(states(sp), [[0, 4, AVAILABLE, 0, null]], 'back to available with the count it had');
  t.same(sp.acquire('b', batches([0, 4]), 500), [acq(0, 4, 1)], 'the next delivery is the first');
  sp.releaseMember('b');
  sp.acquire('c', batches([0, 4]), 500);
  sp.releaseMember('c', { uncount: true });
  t.same(states(sp), [[0, 4, AVAILABLE, 1, null]], 'at the limit, an uncounted release does not archive');
});
