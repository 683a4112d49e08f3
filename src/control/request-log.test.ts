import t from 'tap';
import { ErrorCode } from '../protocol/errors.js';
import { errorCodeOf, matches, RequestLog, type RequestLogEntry } from './request-log.js';

const entry = (n: number, over: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  ts: n,
  connectionId: 1,
  clientId: 'c',
  clientSoftware: null,
  clientSoftwareVersion: null,
  apiKey: 0,
  apiName: 'Produce',
  apiVersion: 9,
  latencyMs: 0.1,
  errorCode: 0,
  fault: null,
  notes: [],
  ...over,
});

const produce = (topic: string, partition = 0) => ({ topicData: [{ name: topic, partitionData: [{ index: partition, records: null }] }] });

t.test('the ring keeps the newest entries, oldest first', async (t) => {
  const log = new RequestLog(3);
  t.same(log.recent(), []);
  for (let i = 1; i <= 5; i++) log.record(entry(i), null);
  t.same(log.recent().map((e) => e.ts), [3, 4, 5]);
  t.same(log.recent(2).map((e) => e.ts), [4, 5]);
  t.same(log.recent(0), []);
  t.same(log.recent(100).map((e) => e.ts), [3, 4, 5], 'a limit above the capacity gives what is held');
  t.equal(log.total, 5);
});

t.test('nextRequest resolves with the next matching entry only, once', async (t) => {
  const log = new RequestLog(10);
  const fetch = log.nextRequest({ apiKey: 1 });
  const v12 = log.nextRequest({ apiKey: 1, minVersion: 12 });
  t.ok(log.awaited);
  log.record(entry(1), null);
  log.record(entry(2, { apiKey: 1, apiName: 'Fetch', apiVersion: 11 }), null);
  t.equal((await fetch).ts, 2);
  log.record(entry(3, { apiKey: 1, apiName: 'Fetch', apiVersion: 12 }), null);
  t.equal((await v12).ts, 3);
  t.notOk(log.awaited, 'resolved waiters are gone');
});

t.test('nextRequest matches topic and partition against the request', async (t) => {
  const log = new RequestLog(10);
  const p1 = log.nextRequest({ apiKey: 0, topic: 'a', partition: 1 });
  log.record(entry(1), produce('a', 0));
  log.record(entry(2), produce('b', 1));
  log.record(entry(3), produce('a', 1));
  t.equal((await p1).ts, 3);
});

t.test('nextRequest times out, refuses matchers that cannot match, and is bounded', async (t) => {
  const log = new RequestLog(10);
  await t.rejects(log.nextRequest({ apiKey: 0 }, { timeoutMs: 20 }), /no request matching/);
  t.notOk(log.awaited, 'a timed-out waiter is dropped');
  await t.rejects(log.nextRequest({ apiKey: 12, topic: 'x' }), /topic and partition matchers/);
  await t.rejects(log.nextRequest({ apiKey: -1 }), /non-negative/);
  const waiting = Array.from({ length: 100 }, () => log.nextRequest({ apiKey: 99 }));
  await t.rejects(log.nextRequest({ apiKey: 99 }), /at most 100/);
  log.record(entry(1, { apiKey: 99 }), null);
  t.equal((await Promise.all(waiting)).length, 100, 'one request resolves every waiter it matches');
});

t.test('close rejects the waiters and later calls', async (t) => {
  const log = new RequestLog(10);
  const waiting = log.nextRequest({ apiKey: 0 }, { timeoutMs: 60_000 });
  log.close();
  await t.rejects(waiting, /stopped/);
  await t.rejects(log.nextRequest({ apiKey: 0 }), /stopped/);
  t.notOk(log.awaited);
});

t.test('matches: client id and version range', async (t) => {
  t.ok(matches({ clientId: 'c', maxVersion: 9 }, entry(1), null));
  t.notOk(matches({ clientId: 'd' }, entry(1), null));
  t.notOk(matches({ maxVersion: 8 }, entry(1), null));
  t.notOk(matches({ apiKey: 0, topic: 'a' }, entry(1), null), 'a topic matcher without a request does not match');
});

t.test('errorCodeOf: top level, else the first non-zero topic or partition error', async (t) => {
  t.equal(errorCodeOf(null), 0);
  t.equal(errorCodeOf({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const produceRes = { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, recordErrors: [] }, { index: 1, errorCode: 6, recordErrors: [] }] }] };
  t.equal(errorCodeOf(produceRes), 6);
  t.equal(errorCodeOf({ errorCode: 0, responses: [{ topic: 't', partitions: [{ errorCode: 0, records: Buffer.alloc(10) }] }] }), 0);
  t.equal(errorCodeOf({ topics: [{ errorCode: 0, partitions: [{ errorCode: 0 }] }, { errorCode: 3, partitions: [] }] }), 3);
});

