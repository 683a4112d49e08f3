/** The comparison itself: what normalise() hides and what compare() reports. */
import t from 'tap';
import { Recorder, compare, normalise } from './framework.js';

t.test('normalise hides what two fresh brokers legitimately differ in, and nothing else', async (t) => {
  const topicId = Buffer.alloc(16, 7);
  t.same(
    normalise({ clusterId: 'abc', host: '127.0.0.1', port: 9092, nodeId: 1, leaderId: -1, topicId, zero: Buffer.alloc(16), errorMessage: 'x', errorCode: 3, producerId: 5n, logAppendTimeMs: 17n, offset: 12n, throttleTimeMs: 0 }),
    { clusterId: '<cluster>', host: '<host>', port: '<port>', nodeId: '<node>', leaderId: -1, topicId: '<uuid>', zero: '<zero-uuid>', errorMessage: '<message>', errorCode: 3, producerId: '<pid>', logAppendTimeMs: '<time>', offset: '12', throttleTimeMs: '<throttle>' },
  );
  t.same(normalise({ logAppendTimeMs: -1n, sessionTimeoutMs: 6000, errorMessage: null }), { logAppendTimeMs: '-1', sessionTimeoutMs: 6000, errorMessage: null });
  t.same(normalise({ replicas: [1, 2] }), { replicas: ['<node>', '<node>'] });
});

t.test('compare reports unequal values and observations only one side made', async (t) => {
  const a = new Recorder('kafka');
  const b = new Recorder('sluice');
  a.code('err', 0);
  b.code('err', 3);
  a.see('same', { x: 1n });
  b.see('same', { x: 1n });
  a.see('only-kafka', 1);
  const r = compare('s', a, b);
  t.same(r.compared.sort(), ['s/err', 's/only-kafka', 's/same']);
  t.same(r.differences, [
    { observation: 's/err', kafka: 'NONE', sluice: 'UNKNOWN_TOPIC_OR_PARTITION' },
    { observation: 's/only-kafka', kafka: 1, sluice: '<not observed>' },
  ]);
  t.throws(() => a.see('same', 2), /recorded twice/);
});
