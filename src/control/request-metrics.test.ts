import t from 'tap';
import { limits } from '../config/limits.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { RequestMetrics, TimeHistogram } from './request-metrics.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/generated/00-produce.js';
import type { FetchRequest, FetchResponse } from '../protocol/generated/01-fetch.js';

const batch = (n: number): Buffer => buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 0n })));

function produce(parts: Array<{ topic: string; records: Buffer | null }>): ProduceRequest {
  return { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: parts.map((p) => ({ name: p.topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: p.records }] })) };
}

function answer(req: ProduceRequest, codes: number[]): ProduceResponse {
  return {
    throttleTimeMs: 0,
    nodeEndpoints: [],
    responses: req.topicData.map((td, i) => ({ name: td.name, topicId: td.topicId, partitionResponses: [{ index: 0, errorCode: codes[i]!, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } }] })),
  } as ProduceResponse;
}

t.test('produced: records from the batch headers, only for partitions answered without error', async (t) => {
  const m = new RequestMetrics();
  const a = batch(3);
  const b = batch(5);
  const req = produce([{ topic: 'a', records: a }, { topic: 'b', records: b }]);
  m.produced(req, answer(req, [0, 6]));
  t.same([m.topics.get('a')?.messagesIn, m.topics.get('a')?.bytesIn], [3, a.length]);
  t.equal(m.topics.get('b'), undefined, 'a refused partition counts nothing');
  m.produced(req, null);
  t.equal(m.all.messagesIn, 3 + 3 + 5, 'acks=0 (no response): every partition counts');
  t.equal(m.all.bytesIn, 2 * a.length + b.length);
});

t.test('fetched: record bytes of consumer fetches by topic, names from ids when blank; followers not counted', async (t) => {
  const m = new RequestMetrics();
  const id = Buffer.alloc(16, 7);
  m.topicNameOf = (topicId) => (topicId.equals(id) ? 'byid' : undefined);
  const res = { responses: [{ topic: 'a', topicId: Buffer.alloc(16), partitions: [{ records: Buffer.alloc(100) }, { records: null }] }, { topic: '', topicId: id, partitions: [{ records: Buffer.alloc(7) }] }] } as unknown as FetchResponse;
  m.fetched({ replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n } } as FetchRequest, res);
  t.same([m.topics.get('a')?.bytesOut, m.topics.get('byid')?.bytesOut, m.all.bytesOut], [100, 7, 107]);
  m.fetched({ replicaId: -1, replicaState: { replicaId: 2, replicaEpoch: 1n } } as FetchRequest, res);
  m.fetched({ replicaId: 2, replicaState: { replicaId: -1, replicaEpoch: -1n } } as FetchRequest, res);
  t.equal(m.all.bytesOut, 107, "a follower's fetch is replication, not bytes out");
});

t.test('topic counters are bounded: past limits.topicsMax, deleted topics are dropped', async (t) => {
  const m = new RequestMetrics();
  const live = new Set<string>();
  m.topicExists = (name) => live.has(name);
  const one = batch(1);
  for (let i = 0; i < limits.topicsMax; i++) m.produced(produce([{ topic: `gone-${i}`, records: one }]), null);
  live.add('kept');
  m.produced(produce([{ topic: 'kept', records: one }]), null);
  m.produced(produce([{ topic: 'new', records: one }]), null);
  t.same([...m.topics.keys()].sort(), ['kept', 'new'], 'the deleted ones went when the bound was reached');
  t.equal(m.all.messagesIn, limits.topicsMax + 2, 'the total keeps everything');
});

t.test('request: counts by version and error, times into the histogram', async (t) => {
  const m = new RequestMetrics();
  m.request(0, 'Produce', 9, 0, 1);
  m.request(0, 'Produce', 9, 6, 2);
  m.request(0, 'Produce', 7, 0, 3);
  const p = m.apis.get(0)!;
  t.equal(p.requests, 3);
  t.equal(p.byVersion[9], 2);
  t.same([...p.errors].sort(), [[0, 2], [6, 1]]);
  t.equal(p.time.count, 3);
  t.equal(p.time.sumMs, 6);
});

t.test('TimeHistogram quantiles fall within the bucket of the true value', async (t) => {
  const h = new TimeHistogram();
  t.equal(h.quantile(0.5), 0, 'no samples');
  for (let i = 1; i <= 100; i++) h.add(i);
  const p50 = h.quantile(0.5);
  t.ok(p50 > 25 && p50 <= 50, `p50 ${p50} in (25, 50]`);
  const p99 = h.quantile(0.99);
  t.ok(p99 > 50 && p99 <= 100, `p99 ${p99} in (50, 100]`);
  const one = new TimeHistogram();
  one.add(6.3);
  t.same([one.quantile(0.5), one.quantile(0.999)], [6.3, 6.3], 'one sample: every quantile is it');
  const slow = new TimeHistogram();
  slow.add(120_000);
  t.ok(slow.quantile(0.5) > 60_000, 'above the last bound lands in the overflow bucket');
});
