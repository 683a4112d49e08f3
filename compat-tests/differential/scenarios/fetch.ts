/**
 * Fetch, ListOffsets and DeleteRecords: offsets and watermarks at every version both brokers serve
 * (Fetch 4-12, ListOffsets 1-8, DeleteRecords 0-2), out-of-range and unknown partitions, the
 * max_bytes edges, and read_committed against an open and an aborted transaction.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import { fetchRequest } from '../../raw-client.js';
import { CreateTopics, DeleteRecords, DeleteTopics, Fetch, ListOffsets, Metadata, type FetchResponse, type FetchRequest } from '../../../src/protocol/generated/index.js';
import { addPartition, BASE_TS, batch, beginTxn, createTopic, endTxn, fetched, listOffset, produce, produceTxn, waitStable, withoutMessages } from './util.js';

/** A partition's fetch answer without the record bytes: error, watermarks, aborted list, records as offset:key. */
function partitionView(res: FetchResponse): unknown {
  if (res.responses.length === 0) return { errorCode: res.errorCode, responses: [] };
  return res.responses.map((tp) => ({
    topic: tp.topic,
    partitions: tp.partitions.map((p) => {
      const { records, ...rest } = p;
      void records;
      return { ...rest, records: fetched(p) };
    }),
  }));
}

async function fetchOne(t: Target, v: number, topic: string, partition: number, offset: bigint, opts: Partial<FetchRequest> & { partitionMaxBytes?: number } = {}): Promise<FetchResponse> {
  return t.request(Fetch, v, fetchRequest(topic, partition, offset, opts));
}

/** Three batches (offsets 0-1, 2-4, 5) on partition 0 of `topic`. */
async function fill(t: Target, see: Recorder, topic: string): Promise<void> {
  see.code('create', await createTopic(t, topic, 2));
  see.code('produce-1', (await produce(t, topic, 0, batch(2, 'a'))).errorCode);
  see.code('produce-2', (await produce(t, topic, 0, batch(3, 'b'))).errorCode);
  see.code('produce-3', (await produce(t, topic, 0, batch(1, 'c'))).errorCode);
}

export const fetchScenarios: Scenario[] = [
  {
    name: 'fetch-versions',
    async run(t, see) {
      await fill(t, see, 'dp-fetch');
      for (let v = 4; v <= 12; v++) {
        see.see(`v${v}/from-0`, partitionView(await fetchOne(t, v, 'dp-fetch', 0, 0n)));
        see.see(`v${v}/mid-batch`, partitionView(await fetchOne(t, v, 'dp-fetch', 0, 3n)));
        see.see(`v${v}/at-hwm`, partitionView(await fetchOne(t, v, 'dp-fetch', 0, 6n)));
        see.see(`v${v}/above-hwm`, partitionView(await fetchOne(t, v, 'dp-fetch', 0, 7n)));
        see.see(`v${v}/empty-partition`, partitionView(await fetchOne(t, v, 'dp-fetch', 1, 0n)));
        see.see(`v${v}/unknown-partition`, partitionView(await fetchOne(t, v, 'dp-fetch', 9, 0n)));
        see.see(`v${v}/unknown-topic`, partitionView(await fetchOne(t, v, 'dp-no-such-topic', 0, 0n)));
        see.see(`v${v}/read-committed`, partitionView(await fetchOne(t, v, 'dp-fetch', 0, 0n, { isolationLevel: 1 })));
      }
      see.see('negative-offset', partitionView(await fetchOne(t, 11, 'dp-fetch', 0, -1n)));
      // A current leader epoch ahead of the leader's, and one below -1.
      const withEpoch = (epoch: number): FetchRequest => {
        const req = fetchRequest('dp-fetch', 0, 0n);
        req.topics[0]!.partitions[0]!.currentLeaderEpoch = epoch;
        return req;
      };
      see.see('epoch-ahead', partitionView(await t.request(Fetch, 11, withEpoch(5))));
      see.see('epoch-current', partitionView(await t.request(Fetch, 11, withEpoch(0))));
      see.see('epoch-below', partitionView(await t.request(Fetch, 11, withEpoch(-2))));
    },
  },
  {
    name: 'fetch-max-bytes',
    async run(t, see) {
      await fill(t, see, 'dp-fetch-bytes');
      for (const v of [4, 11, 12]) {
        // The first batch is returned whole even when it exceeds both bounds (v3+).
        see.see(`v${v}/max-bytes-1`, partitionView(await fetchOne(t, v, 'dp-fetch-bytes', 0, 0n, { maxBytes: 1, partitionMaxBytes: 1 })));
        see.see(`v${v}/partition-max-1`, partitionView(await fetchOne(t, v, 'dp-fetch-bytes', 0, 0n, { partitionMaxBytes: 1 })));
        see.see(`v${v}/partition-max-0`, partitionView(await fetchOne(t, v, 'dp-fetch-bytes', 0, 0n, { partitionMaxBytes: 0 })));
        see.see(`v${v}/max-bytes-0`, partitionView(await fetchOne(t, v, 'dp-fetch-bytes', 0, 0n, { maxBytes: 0 })));
        // Room for the first batch only, then the first two.
        const first = batch(2, 'a').length;
        see.see(`v${v}/room-for-one`, partitionView(await fetchOne(t, v, 'dp-fetch-bytes', 0, 0n, { partitionMaxBytes: first + 10 })));
        see.see(`v${v}/max-bytes-for-one`, partitionView(await fetchOne(t, v, 'dp-fetch-bytes', 0, 0n, { maxBytes: first + 10 })));
        see.see(`v${v}/mid-batch-small`, partitionView(await fetchOne(t, v, 'dp-fetch-bytes', 0, 3n, { partitionMaxBytes: 1 })));
      }
      // Two partitions sharing max_bytes: the second gets nothing once the first filled it.
      const two = await t.request(Fetch, 11, fetchRequest('dp-fetch-bytes', [0, 1], 0n, { maxBytes: 1, partitionMaxBytes: 1 }));
      see.see('two-partitions-max-bytes-1', partitionView(two));
    },
  },
  {
    name: 'fetch-isolation',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-txn'));
      see.code('plain', (await produce(t, 'dp-txn', 0, batch(2, 'p'))).errorCode);
      const aborted = await beginTxn(t, 'dp-txn-aborted');
      await addPartition(t, aborted, 'dp-txn', 0);
      see.see('aborted/produce', (await produceTxn(t, aborted, 'dp-txn', 0, 2, 0, 'ab')).baseOffset);
      await endTxn(t, aborted, false);
      await waitStable(t, 'dp-txn', 0);
      see.code('plain-2', (await produce(t, 'dp-txn', 0, batch(1, 'q'))).errorCode);
      const open = await beginTxn(t, 'dp-txn-open');
      await addPartition(t, open, 'dp-txn', 0);
      see.see('open/produce', (await produceTxn(t, open, 'dp-txn', 0, 2, 0, 'op')).baseOffset);
      // Offsets: p0 p1 | ab0 ab1 abort-marker | q0 | op0 op1 (open): HWM 8, LSO 6.
      for (const v of [4, 5, 11, 12]) {
        for (const iso of [0, 1]) {
          see.see(`v${v}/iso${iso}`, partitionView(await fetchOne(t, v, 'dp-txn', 0, 0n, { isolationLevel: iso })));
          see.see(`v${v}/iso${iso}/from-lso`, partitionView(await fetchOne(t, v, 'dp-txn', 0, 6n, { isolationLevel: iso })));
          see.see(`v${v}/iso${iso}/inside-aborted`, partitionView(await fetchOne(t, v, 'dp-txn', 0, 3n, { isolationLevel: iso })));
          see.see(`v${v}/iso${iso}/after-aborted`, partitionView(await fetchOne(t, v, 'dp-txn', 0, 5n, { isolationLevel: iso })));
        }
      }
      for (const v of [2, 5, 8]) {
        for (const iso of [0, 1]) see.see(`list-offsets/v${v}/latest/iso${iso}`, await listOffset(t, 'dp-txn', 0, -1n, { version: v, isolationLevel: iso }));
      }
      await endTxn(t, open, true);
      await waitStable(t, 'dp-txn', 0);
      see.see('after-commit/iso1', partitionView(await fetchOne(t, 11, 'dp-txn', 0, 6n, { isolationLevel: 1 })));
      see.see('after-commit/list-offsets-iso1', await listOffset(t, 'dp-txn', 0, -1n, { version: 5, isolationLevel: 1 }));
    },
  },
  {
    // After fetch-isolation, which made both brokers create __transaction_state.
    name: 'internal-topics',
    async run(t, see) {
      see.see('produce', withoutMessages(await produce(t, '__transaction_state', 0, batch(1, 'x'), { acks: 1 })));
      const md = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: '__transaction_state' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const tp = md.topics[0]!;
      see.see('metadata', { errorCode: tp.errorCode, isInternal: tp.isInternal, partitions: tp.partitions.length });
      const create = await t.request(CreateTopics, 7, {
        timeoutMs: 5000,
        validateOnly: true,
        topics: ['__transaction_state', '__cluster_metadata', '__consumer_offsets'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
      });
      see.see('create', create.topics.map((r) => ({ name: r.name, errorCode: r.errorCode })).sort((a, b) => a.name.localeCompare(b.name)));
      const del = await t.request(DeleteTopics, 4, { topics: [], timeoutMs: 5000, topicNames: ['__cluster_metadata'] });
      see.see('delete-cluster-metadata', del.responses.map((r) => ({ name: r.name, errorCode: r.errorCode })));
      const f = (await t.request(Fetch, 11, fetchRequest('__cluster_metadata', 0, 0n))).responses[0]!.partitions[0]!;
      see.code('fetch-cluster-metadata', f.errorCode);
    },
  },
  {
    name: 'list-offsets',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-list', 2));
      // Timestamps: batch a at BASE..BASE+2, batch b at BASE+100.., batch c at BASE+50 (max is in b).
      see.code('produce-a', (await produce(t, 'dp-list', 0, batch(3, 'a'))).errorCode);
      see.code('produce-b', (await produce(t, 'dp-list', 0, batch(2, 'b', { timestampMs: BASE_TS + 100n }))).errorCode);
      see.code('produce-c', (await produce(t, 'dp-list', 0, batch(1, 'c', { timestampMs: BASE_TS + 50n }))).errorCode);
      const stamps: Array<[string, bigint]> = [
        ['latest', -1n],
        ['earliest', -2n],
        ['max-timestamp', -3n],
        ['earliest-local', -4n],
        ['ts-before-all', BASE_TS - 1000n],
        ['ts-first', BASE_TS],
        ['ts-second', BASE_TS + 1n],
        ['ts-between', BASE_TS + 60n],
        ['ts-b', BASE_TS + 100n],
        ['ts-after-all', BASE_TS + 10_000n],
        ['latest-tiered', -5n],
        ['ts-minus-6', -6n],
      ];
      for (let v = 1; v <= 10; v++) {
        for (const [name, ts] of stamps) {
          const res = await t.request(ListOffsets, v, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'dp-list', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: ts, maxNumOffsets: 1 }] }] });
          see.see(`v${v}/${name}`, res.topics);
        }
        for (const [name, ts] of [['max-timestamp', -3n], ['latest', -1n], ['by-time', BASE_TS]] as const) {
          const empty = await t.request(ListOffsets, v, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'dp-list', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: ts, maxNumOffsets: 1 }] }] });
          see.see(`v${v}/empty-partition/${name}`, empty.topics);
        }
        const dup = await t.request(ListOffsets, v, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'dp-list', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }, { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }, { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
        // Partitions in index order: Kafka lists the duplicate's answer after the others.
        see.see(`v${v}/duplicate-partition`, dup.topics.map((tp) => ({ ...tp, partitions: [...tp.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex) })));
        const unknown = await t.request(ListOffsets, v, {
          replicaId: -1,
          isolationLevel: 0,
          timeoutMs: 1000,
          topics: [
            { name: 'dp-list', partitions: [{ partitionIndex: 5, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
            { name: 'dp-no-such-topic', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
          ],
        });
        // Topics in name order: Kafka answers unknown topics first, and clients match by name.
        see.see(`v${v}/unknown`, [...unknown.topics].sort((a, b) => a.name.localeCompare(b.name)));
      }
      // A current leader epoch ahead of the broker's, and behind.
      for (const [name, epoch] of [['epoch-ahead', 5], ['epoch-zero', 0], ['epoch-minus-2', -2]] as const) {
        const res = await t.request(ListOffsets, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'dp-list', partitions: [{ partitionIndex: 0, currentLeaderEpoch: epoch, timestamp: -1n, maxNumOffsets: 1 }] }] });
        see.see(name, res.topics);
      }
      // Invalid isolation level.
      const badIso = await t.request(ListOffsets, 5, { replicaId: -1, isolationLevel: 3, timeoutMs: 1000, topics: [{ name: 'dp-list', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
      see.see('bad-isolation', badIso.topics);
    },
  },
  {
    name: 'delete-records',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-delete', 2));
      for (let i = 0; i < 4; i++) see.code(`produce-${i}`, (await produce(t, 'dp-delete', 0, batch(2, `d${i}`))).errorCode);
      // HWM 8 on partition 0; partition 1 empty.
      const del = async (v: number, partitions: Array<[number, bigint]>, topic = 'dp-delete'): Promise<unknown> => {
        const res = await t.request(DeleteRecords, v, { timeoutMs: 5000, topics: [{ name: topic, partitions: partitions.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) }] });
        return res.topics;
      };
      see.see('v0/to-1', await del(0, [[0, 1n]]));
      see.see('v0/below-start', await del(0, [[0, 0n]]));
      see.see('v1/mid-batch', await del(1, [[0, 3n]]));
      see.see('log-start-after-mid', await listOffset(t, 'dp-delete', 0, -2n));
      see.see('fetch-below-start', partitionView(await t.request(Fetch, 11, fetchRequest('dp-delete', 0, 1n))));
      const atStart = (await t.request(Fetch, 11, fetchRequest('dp-delete', 0, 3n))).responses[0]!.partitions[0]!;
      see.see('fetch-at-start', { errorCode: atStart.errorCode, logStartOffset: atStart.logStartOffset, records: fetched(atStart) });
      for (const v of [0, 1, 2]) {
        see.see(`v${v}/beyond-hwm`, await del(v, [[0, 100n]]));
        see.see(`v${v}/unknown-partition`, await del(v, [[7, 1n]]));
        see.see(`v${v}/unknown-topic`, await del(v, [[0, 1n]], 'dp-no-such-topic'));
        see.see(`v${v}/negative-2`, await del(v, [[0, -2n]]));
      }
      see.see('v2/empty-partition-to-hwm', await del(2, [[1, -1n]]));
      see.see('v2/to-hwm', await del(2, [[0, -1n]]));
      see.see('log-start-after-hwm', await listOffset(t, 'dp-delete', 0, -2n));
      see.see('latest-after-hwm', await listOffset(t, 'dp-delete', 0, -1n));
      see.see('by-time-after-delete', await listOffset(t, 'dp-delete', 0, BASE_TS - 1000n));
      see.see('max-timestamp-after-delete', await listOffset(t, 'dp-delete', 0, -3n, { version: 8 }));
      see.see('v2/again-at-hwm', await del(2, [[0, 8n]]));
      see.code('produce-after', (await produce(t, 'dp-delete', 0, batch(1, 'after'))).errorCode);
      const after = (await t.request(Fetch, 11, fetchRequest('dp-delete', 0, 8n))).responses[0]!.partitions[0]!;
      see.see('fetch-after', { errorCode: after.errorCode, logStartOffset: after.logStartOffset, highWatermark: after.highWatermark, records: fetched(after) });
    },
  },
  {
    name: 'list-offsets-removed-version',
    async run(t, see) {
      // Kafka 4 removed ListOffsets v0 (KIP-896); Sluice still serves it.
      const c = await t.connect();
      try {
        const res = await c.request(ListOffsets, 0, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'dp-list', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
        see.see('v0', res.topics);
      } catch (e) {
        see.see('v0', (e as Error).message);
      }
    },
  },
];
