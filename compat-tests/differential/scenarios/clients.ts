/**
 * Real clients driving both brokers, their results compared: kcat (librdkafka 2.0.2),
 * python3-confluent-kafka (librdkafka), python3-kafka (kafka-python 2.0.2) and kafkajs 2.2.4.
 * Each produces with every codec it can, reads the records back, and (where the client has them)
 * runs admin listings, a group that consumes and commits, and transactions committed and aborted
 * as a read_committed reader sees them. What is recorded is what the application sees: records
 * (partition, offset, key, value, headers), offsets, group and topic listings; times are
 * normalised by the framework. Topics start with `dk-`. The Java client is driven elsewhere.
 */
import type { Scenario, Target } from '../framework.js';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { PYTHON, PY_DIR, b64, parseRecordLines, python, run, spawnWorker, type ReadRecord } from '../../harness.js';
import { join } from 'node:path';
import { DescribeGroups } from '../../../src/protocol/generated/index.js';
import { createTopic, sleep } from './group-util.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const WATCHED_CONFIGS = ['retention.ms', 'cleanup.policy', 'compression.type', 'max.message.bytes', 'segment.ms', 'retention.bytes'];

/** A client script that failed, as an observation (its first line, ports and times removed). */
function failure(e: unknown): string {
  return `failed: ${String((e as Error).message).split('\n')[0]!.replace(/127\.0\.0\.1:\d+/g, '<bootstrap>')}`;
}

/** The records each producer sends: keys, values, one header, one null key and one null value. */
function inputRecords(partitions: number, n = 6): Array<{ partition: number; key: string | null; value: string | null; headers: Array<[string, string | null]> }> {
  return Array.from({ length: n }, (_, i) => ({
    partition: i % partitions,
    key: i === 1 ? null : b64(`key-${i}`),
    value: i === 2 ? null : b64(`value-${i}-${'x'.repeat(i * 40)}`),
    headers: i === 3 ? [['h', b64('hv')]] : [],
  }));
}

function recordsView(rs: ReadRecord[]): unknown {
  return rs
    .map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers: r.headers ?? [] }))
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

const kafkaFor = (t: Target, clientId = 'sluice-differential'): Kafka => new Kafka({ clientId, brokers: [t.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });

export const clients: Scenario[] = [
  {
    name: 'client-kcat',
    async run(t, see) {
      for (const codec of CODECS) {
        const topic = `dk-kcat-${codec}`;
        await createTopic(t, topic, 2);
        const lines = ['a:alpha', 'b:beta', 'c:gamma', 'a:delta', 'd:' + 'e'.repeat(300)].join('\n') + '\n';
        const prod = await run('kcat', ['-b', t.bootstrap, '-P', '-t', topic, '-z', codec, '-K', ':', '-X', 'acks=all'], { input: lines, timeoutMs: 30000 });
        see.see(`${codec}/produce-exit`, prod.code);
        const cons = await run('kcat', ['-b', t.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], { timeoutMs: 30000 });
        see.see(`${codec}/consume-exit`, cons.code);
        const msgs = cons.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { partition: number; offset: number; key: string | null; payload: string | null })
          .map((m) => ({ partition: m.partition, offset: m.offset, key: m.key, payload: m.payload }))
          .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
        see.see(`${codec}/records`, msgs);
      }
      const md = await run('kcat', ['-b', t.bootstrap, '-L', '-J', '-t', 'dk-kcat-none'], { timeoutMs: 30000 });
      const meta = JSON.parse(md.stdout) as { brokers: unknown[]; topics: Array<{ topic: string; partitions: Array<{ partition: number; replicas: unknown[]; isrs: unknown[] }> }> };
      see.see('metadata', { brokers: meta.brokers.length, topics: meta.topics.map((x) => ({ topic: x.topic, partitions: x.partitions.map((p) => ({ partition: p.partition, replicas: p.replicas.length, isrs: p.isrs.length })) })) });
      // kcat as a balanced group consumer (-G) to the end of both partitions; its final commit.
      const group = await run('kcat', ['-b', t.bootstrap, '-G', 'dk-kcat-group', '-o', 'beginning', '-e', '-J', '-q', '-X', 'auto.commit.interval.ms=100', 'dk-kcat-gzip'], { timeoutMs: 60000 });
      see.see('group/exit', group.code);
      see.see(
        'group/records',
        group.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { partition: number; offset: number; key: string | null; payload: string | null })
          .map((m) => ({ partition: m.partition, offset: m.offset, key: m.key }))
          .sort((a, b) => a.partition - b.partition || a.offset - b.offset),
      );
      const committed = await python('ck_offsets.py', [t.bootstrap, 'dk-kcat-gzip', '2', '--group', 'dk-kcat-group'], { timeoutMs: 60000 });
      see.see('group/committed', committed.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown));
      // Offsets by time: the first offset at or after time 0, and the end (-1).
      const q = await run('kcat', ['-b', t.bootstrap, '-Q', '-t', 'dk-kcat-none:0:0', '-t', 'dk-kcat-none:1:-1'], { timeoutMs: 30000 });
      see.see('query-offsets', q.stdout.split('\n').filter((l) => l.includes('dk-kcat-none')).map((l) => l.replace(/\s+/g, ' ').trim()).sort());
    },
  },
  {
    name: 'client-confluent-kafka',
    async run(t, see) {
      const input = inputRecords(2);
      for (const codec of CODECS) {
        const topic = `dk-ck-${codec}`;
        await createTopic(t, topic, 2);
        const produced = await python('ck_produce.py', [t.bootstrap, topic, '--compression', codec, '--idempotent'], { input: input.map((r) => JSON.stringify(r)).join('\n') + '\n', timeoutMs: 60000 });
        see.see(`${codec}/produced`, produced.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
        const read = await python('ck_read.py', [t.bootstrap, topic, '2'], { timeoutMs: 60000 });
        see.see(`${codec}/read`, recordsView(parseRecordLines(read.stdout)));
      }
      // Transactions: one committed, one aborted, then what read_committed and read_uncommitted see.
      const topic = 'dk-ck-txn';
      await createTopic(t, topic, 2);
      const commit = await python('ck_txn_produce.py', [t.bootstrap, topic, 'dk-ck-txn-1', '--partitions', '2', '--count', '4', '--prefix', 'committed', '--action', 'commit'], { timeoutMs: 60000 });
      see.see('txn/commit-events', eventsOf(commit.stdout));
      const abort = await python('ck_txn_produce.py', [t.bootstrap, topic, 'dk-ck-txn-1', '--partitions', '2', '--count', '3', '--prefix', 'aborted', '--action', 'abort'], { timeoutMs: 60000 });
      see.see('txn/abort-events', eventsOf(abort.stdout));
      await sleep(500);
      const committed = await python('ck_read.py', [t.bootstrap, topic, '2', '--isolation', 'read_committed'], { timeoutMs: 60000 });
      see.see('txn/read-committed', recordsView(parseRecordLines(committed.stdout)));
      const uncommitted = await python('ck_read.py', [t.bootstrap, topic, '2', '--isolation', 'read_uncommitted'], { timeoutMs: 60000 });
      see.see('txn/read-uncommitted', recordsView(parseRecordLines(uncommitted.stdout)));
      const offsets = await python('ck_offsets.py', [t.bootstrap, topic, '2'], { timeoutMs: 60000 });
      see.see('txn/offsets', offsets.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown));
      // Admin: a topic's configs after an alter, as the AdminClient describes them.
      await createTopic(t, 'dk-ck-configs', 1);
      see.see('admin/alter', JSON.parse((await python('ck_admin.py', [t.bootstrap, 'alter', 'dk-ck-configs', 'retention.ms=3600000', 'cleanup.policy=compact'], { timeoutMs: 60000 })).stdout) as unknown);
      const described = JSON.parse((await python('ck_admin.py', [t.bootstrap, 'describe', 'dk-ck-configs'], { timeoutMs: 60000 })).stdout) as Record<string, unknown>;
      // Only the altered configs and a few every broker has: the full config list belongs to the
      // admin scenarios (and differs where Sluice lacks tiered storage and compression levels).
      for (const k of WATCHED_CONFIGS) see.see(`admin/config/${k}`, described[k] ?? null);
    },
  },
  {
    name: 'client-kafka-python',
    async run(t, see) {
      const input = inputRecords(2);
      for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
        const topic = `dk-kp-${codec}`;
        await createTopic(t, topic, 2);
        const produced = await python('kp_produce.py', [t.bootstrap, topic, ...(codec === 'none' ? [] : ['--compression', codec])], { input: input.map((r) => JSON.stringify(r)).join('\n') + '\n', timeoutMs: 60000 });
        see.see(`${codec}/produced`, produced.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown));
        // kafka-python fetches with v4, which predates zstd (KIP-110: Fetch v10).
        await python('kp_read.py', [t.bootstrap, topic, '2', '--timeout', '10'], { timeoutMs: 60000 }).then(
          (read) => see.see(`${codec}/read`, recordsView(parseRecordLines(read.stdout))),
          (e: unknown) => see.see(`${codec}/read`, failure(e)),
        );
      }
      await createTopic(t, 'dk-kp-configs', 1);
      see.see('admin/alter', JSON.parse((await python('kp_admin.py', [t.bootstrap, 'alter', 'dk-kp-configs', 'retention.ms=3600000'], { timeoutMs: 60000 })).stdout) as unknown);
      const described = JSON.parse((await python('kp_admin.py', [t.bootstrap, 'describe', 'dk-kp-configs'], { timeoutMs: 60000 })).stdout) as Record<string, unknown>;
      // Only the altered configs and a few every broker has: the full config list belongs to the
      // admin scenarios (and differs where Sluice lacks tiered storage and compression levels).
      for (const k of WATCHED_CONFIGS) see.see(`admin/config/${k}`, described[k] ?? null);
    },
  },
  {
    name: 'client-python-groups',
    async run(t, see) {
      const topic = 'dk-pg';
      await createTopic(t, topic, 2);
      const input = inputRecords(2, 8);
      await python('kp_produce.py', [t.bootstrap, topic], { input: input.map((r) => JSON.stringify(r)).join('\n') + '\n', timeoutMs: 60000 });
      for (const [label, script, extra] of [
        ['ck', 'ck_group_consume.py', ['--commit', 'sync']],
        ['kp', 'kp_group_consume.py', []],
      ] as const) {
        const group = `dk-pg-${label}`;
        const w = spawnWorker<{ ev: string; partition?: number; offset?: number; value?: string | null; partitions?: unknown; offsets?: Array<[number, number]> }>(group, PYTHON, ['-u', join(PY_DIR, script), t.bootstrap, group, topic, ...extra]);
        try {
          const until = Date.now() + 40000;
          const committedAll = (): boolean => {
            const last = new Map<number, number>();
            for (const e of w.events) if (e.ev === 'commit') for (const [p, o] of e.offsets ?? []) last.set(p, o);
            return last.get(0) === 4 && last.get(1) === 4;
          };
          while (!committedAll() && Date.now() < until && w.exitInfo() === undefined) await sleep(200);
          const described = await t.request(DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
          see.see(`${label}/describe-running`, described.groups.map((g) => ({ state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, members: g.members.length })));
        } finally {
          await w.stop();
        }
        const msgs = w.events.filter((e) => e.ev === 'm').map((e) => ({ partition: e.partition, offset: e.offset, value: e.value })).sort((a, b) => a.partition! - b.partition! || a.offset! - b.offset!);
        see.see(`${label}/messages`, msgs);
        see.see(`${label}/assigned`, w.events.filter((e) => e.ev === 'assign').map((e) => e.partitions));
        const offsets = await python('ck_offsets.py', [t.bootstrap, topic, '2', '--group', group], { timeoutMs: 60000 });
        see.see(`${label}/committed`, offsets.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown));
        const after = await t.request(DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
        see.see(`${label}/describe-after`, after.groups.map((g) => ({ state: g.groupState, protocolType: g.protocolType, members: g.members.length })));
        const adminView = await python('kp_group_admin.py', [t.bootstrap, group, '--prefix', 'dk-pg-'], { timeoutMs: 60000 });
        see.see(`${label}/kafka-python-admin`, JSON.parse(adminView.stdout) as unknown);
      }
    },
  },
  {
    name: 'client-kafkajs',
    async run(t, see) {
      const kafka = kafkaFor(t);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        for (const [name, codec] of [
          ['none', CompressionTypes.None],
          ['gzip', CompressionTypes.GZIP],
        ] as const) {
          const topic = `dk-js-${name}`;
          see.see(`${name}/create`, await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }));
          const res = await producer.send({
            topic,
            compression: codec,
            acks: -1,
            messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, key: i === 1 ? null : `key-${i}`, value: i === 2 ? null : `value-${i}`, headers: i === 3 ? { h: 'hv' } : {} })),
          });
          see.see(`${name}/send`, res.map((r) => ({ partition: r.partition, errorCode: r.errorCode, baseOffset: r.baseOffset })).sort((a, b) => a.partition - b.partition));
        }
        // The idempotent producer (InitProducerId v1, sequences per partition), three sends.
        await admin.createTopics({ topics: [{ topic: 'dk-js-idem', numPartitions: 2 }], waitForLeaders: true });
        const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        await idem.connect();
        for (let round = 0; round < 3; round++) {
          const r = await idem.send({ topic: 'dk-js-idem', acks: -1, messages: [0, 1, 2].map((i) => ({ partition: i % 2, key: `r${round}-${i}`, value: `v${round}-${i}` })) });
          see.see(`idempotent/send-${round}`, r.map((x) => ({ partition: x.partition, errorCode: x.errorCode, baseOffset: x.baseOffset })).sort((a, b) => a.partition - b.partition));
        }
        await idem.disconnect();
        see.see('idempotent/topic-offsets', (await admin.fetchTopicOffsets('dk-js-idem')).map((o) => ({ partition: o.partition, high: o.high })).sort((a, b) => a.partition - b.partition));
        const topics = (await admin.listTopics()).filter((x) => x.startsWith('dk-js-')).sort();
        see.see('list-topics', topics);
        const md = await admin.fetchTopicMetadata({ topics: ['dk-js-none'] });
        see.see('topic-metadata', md.topics.map((x) => ({ name: x.name, partitions: x.partitions.map((p) => ({ partitionId: p.partitionId, errorCode: p.partitionErrorCode, replicas: p.replicas.length, isr: p.isr.length })).sort((a, b) => a.partitionId - b.partitionId) })));
        see.see('topic-offsets', (await admin.fetchTopicOffsets('dk-js-none')).map((o) => ({ partition: o.partition, offset: o.offset, high: o.high, low: o.low })).sort((a, b) => a.partition - b.partition));

        // A group consumer reads both topics' records and commits; then the admin view of it.
        const groupId = 'dk-js-group';
        const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, heartbeatInterval: 500, sessionTimeout: 10000, rebalanceTimeout: 5000 });
        await consumer.connect();
        await consumer.subscribe({ topics: ['dk-js-none', 'dk-js-gzip'], fromBeginning: true });
        const got: Array<{ topic: string; partition: number; offset: string; key: string | null; value: string | null; headers: Record<string, string> }> = [];
        await consumer.run({
          autoCommit: true,
          autoCommitInterval: 100,
          eachMessage: async ({ topic, partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            got.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
          },
        });
        const until = Date.now() + 30000;
        while (got.length < 12 && Date.now() < until) await sleep(100);
        await sleep(500);
        const described = await admin.describeGroups([groupId]);
        see.see('group/describe', described.groups.map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType, protocol: g.protocol, members: g.members.length })));
        await consumer.disconnect();
        see.see('group/records', got.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || Number(a.offset) - Number(b.offset))));
        see.see('group/offsets', (await admin.fetchOffsets({ groupId, topics: ['dk-js-none', 'dk-js-gzip'] })).map((x) => ({ topic: x.topic, partitions: x.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition) })).sort((a, b) => (a.topic < b.topic ? -1 : 1)));
        see.see('group/list', (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith('dk-js-')).sort((a, b) => (a.groupId < b.groupId ? -1 : 1)));
        see.see('group/describe-after', (await admin.describeGroups([groupId])).groups.map((g) => ({ state: g.state, members: g.members.length })));
        await admin.resetOffsets({ groupId, topic: 'dk-js-none', earliest: true });
        see.see('group/offsets-after-reset', (await admin.fetchOffsets({ groupId, topics: ['dk-js-none'] }))[0]!.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition));
        see.see('group/delete', await admin.deleteGroups([groupId]));
        await admin.deleteGroups(['dk-js-no-such-group']).then(
          (r) => see.see('group/delete-unknown', r),
          (e: Error & { groups?: unknown }) => see.see('group/delete-unknown', { error: e.name, groups: e.groups ?? null }),
        );

        // Transactions: commit (with the group's offsets), then abort; read_committed sees the first only.
        const topic = 'dk-js-txn';
        await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
        const txProducer = kafka.producer({ transactionalId: 'dk-js-txn-1', maxInFlightRequests: 1, idempotent: true });
        await txProducer.connect();
        const tx1 = await txProducer.transaction();
        await tx1.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ partition: i % 2, key: `c${i}`, value: `committed-${i}` })) });
        await tx1.sendOffsets({ consumerGroupId: 'dk-js-txn-group', topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] });
        await tx1.commit();
        const tx2 = await txProducer.transaction();
        await tx2.send({ topic, messages: [0, 1, 2].map((i) => ({ partition: i % 2, key: `a${i}`, value: `aborted-${i}` })) });
        await tx2.abort();
        await txProducer.disconnect();
        await sleep(500);
        for (const readUncommitted of [false, true]) {
          const reader = kafka.consumer({ groupId: `dk-js-reader-${readUncommitted}`, readUncommitted, maxWaitTimeInMs: 200, heartbeatInterval: 500, sessionTimeout: 10000 });
          await reader.connect();
          await reader.subscribe({ topic, fromBeginning: true });
          const seen: Array<{ partition: number; offset: string; value: string | null }> = [];
          await reader.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, offset: message.offset, value: message.value?.toString() ?? null }) });
          const expected = readUncommitted ? 7 : 4;
          const stop = Date.now() + 20000;
          while (seen.length < expected && Date.now() < stop) await sleep(100);
          await sleep(700);
          await reader.disconnect();
          see.see(`txn/read-${readUncommitted ? 'uncommitted' : 'committed'}`, seen.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset)));
        }
        see.see('txn/group-offsets', (await admin.fetchOffsets({ groupId: 'dk-js-txn-group', topics: [topic] }))[0]!.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition));
        see.see('txn/topic-offsets', (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, high: o.high, low: o.low })).sort((a, b) => a.partition - b.partition));
      } finally {
        await producer.disconnect();
        await admin.disconnect();
      }
    },
  },
];

function eventsOf(stdout: string): unknown {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown);
}
