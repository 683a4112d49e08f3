/**
 * What the replica layer answers on one broker (issue 12): OffsetForLeaderEpoch for consumers'
 * KIP-320 checks, leader epochs in Fetch (current and last fetched), in ListOffsets and in the
 * stored batches.
 */
import type { Scenario } from '../framework.js';
import { AlterPartitionReassignments, ElectLeaders, Fetch, ListOffsets, ListPartitionReassignments, OffsetForLeaderEpoch } from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { fetchRequest } from '../../raw-client.js';
import { batch, BASE_TS, createTopic, nodeId, produce } from './util.js';

export const replication: Scenario[] = [
  {
    name: 'offset-for-leader-epoch',
    async run(t, see) {
      see.code('create', await createTopic(t, 'ofle', 2));
      see.code('produce', (await produce(t, 'ofle', 0, batch(5, 'e'))).errorCode);
      see.code('produce-again', (await produce(t, 'ofle', 0, batch(3, 'f'))).errorCode);
      const ask = (partition: number, leaderEpoch: number, currentLeaderEpoch: number) => ({ partition, leaderEpoch, currentLeaderEpoch });
      for (const v of [2, 3, 4]) {
        const res = await t.request(OffsetForLeaderEpoch, v, {
          replicaId: -1,
          topics: [
            {
              topic: 'ofle',
              partitions: [ask(0, 0, -1), ask(0, 0, 0), ask(0, 1, -1), ask(0, 7, 0), ask(0, -1, -1), ask(0, 0, 1), ask(0, 0, -5), ask(1, 0, -1), ask(1, 3, 0), ask(9, 0, -1)],
            },
            { topic: 'ofle-unknown', partitions: [ask(0, 0, -1)] },
          ],
        });
        for (const topic of res.topics) {
          topic.partitions.forEach((p, i) => see.see(`v${v}/${topic.topic}/${i}/p${p.partition}`, { error: errorName(p.errorCode), leaderEpoch: p.leaderEpoch, endOffset: String(p.endOffset) }));
        }
      }
    },
  },
  {
    name: 'leader-epochs-in-fetch-and-list-offsets',
    async run(t, see) {
      see.code('create', await createTopic(t, 'epochs', 1));
      see.code('produce', (await produce(t, 'epochs', 0, batch(4, 'g'))).errorCode);
      // The stored batch carries the leader epoch it was written under.
      const plain = await t.request(Fetch, 12, fetchRequest('epochs', 0, 0n));
      const p0 = plain.responses[0]!.partitions[0]!;
      see.see('fetch/partition-leader-epoch', p0.records && p0.records.length >= 61 ? p0.records.readInt32BE(12) : null);
      // Fetch v12 with the last fetched epoch: consistent, and one the leader never had.
      for (const [name, lastFetchedEpoch, fetchOffset] of [
        ['consistent', 0, 4n],
        ['newer-epoch', 3, 4n],
        ['current-epoch-past-end', 0, 9n],
      ] as const) {
        const req = fetchRequest('epochs', 0, fetchOffset);
        req.topics[0]!.partitions[0]!.lastFetchedEpoch = lastFetchedEpoch;
        req.topics[0]!.partitions[0]!.currentLeaderEpoch = 0;
        const res = await t.request(Fetch, 12, req);
        const p = res.responses[0]!.partitions[0]!;
        see.see(`fetch/last-fetched/${name}`, { error: errorName(p.errorCode), diverging: { epoch: p.divergingEpoch.epoch, endOffset: String(p.divergingEpoch.endOffset) }, hw: String(p.highWatermark) });
      }
      for (const [name, timestamp] of [
        ['latest', -1n],
        ['earliest', -2n],
        ['max-timestamp', -3n],
        ['by-time', BASE_TS],
      ] as const) {
        const res = await t.request(ListOffsets, 8, {
          replicaId: -1,
          isolationLevel: 0,
          timeoutMs: 1000,
          topics: [{ name: 'epochs', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 0, timestamp, maxNumOffsets: 1 }] }],
        });
        const p = res.topics[0]!.partitions[0]!;
        see.see(`list-offsets/${name}`, { error: errorName(p.errorCode), offset: String(p.offset), leaderEpoch: p.leaderEpoch });
      }
    },
  },
  {
    name: 'elect-leaders',
    async run(t, see) {
      see.code('create', await createTopic(t, 'elect', 2));
      for (const v of [0, 1, 2]) {
        for (const [name, electionType] of [
          ['preferred', 0],
          ['unclean', 1],
          ['bad-type', 7],
        ] as const) {
          if (v === 0 && name !== 'preferred') continue;
          const res = await t.request(ElectLeaders, v, {
            electionType,
            topicPartitions: [
              { topic: 'elect', partitions: [0, 1, 5] },
              { topic: 'elect-unknown', partitions: [0] },
            ],
            timeoutMs: 5000,
          });
          see.see(`v${v}/${name}`, {
            error: errorName(res.errorCode),
            results: res.replicaElectionResults.map((r) => ({ topic: r.topic, partitions: r.partitionResult.map((p) => ({ id: p.partitionId, error: errorName(p.errorCode) })) })),
          });
        }
        // All partitions: only those needing an election are listed (none on one node).
        const all = await t.request(ElectLeaders, v, { electionType: 0, topicPartitions: null, timeoutMs: 5000 });
        see.see(`v${v}/all`, { error: errorName(all.errorCode), results: all.replicaElectionResults.filter((r) => r.partitionResult.length > 0).length });
      }
    },
  },
  {
    // One node: nothing can really move, but every refusal is Kafka's (checked per partition, in
    // Kafka's order: topic, partition, then the replica list).
    name: 'partition-reassignments-refused',
    async run(t, see) {
      see.code('create', await createTopic(t, 'move', 5));
      const self = await nodeId(t);
      for (const v of [0, 1]) {
        const res = await t.request(AlterPartitionReassignments, v, {
          timeoutMs: 5000,
          allowReplicationFactorChange: true,
          topics: [
            {
              name: 'move',
              partitions: [
                { partitionIndex: 0, replicas: [self] },
                { partitionIndex: 1, replicas: [self, self + 7] },
                { partitionIndex: 2, replicas: [self, self] },
                { partitionIndex: 3, replicas: [] },
                { partitionIndex: 4, replicas: null },
                { partitionIndex: 9, replicas: [self] },
              ],
            },
            { name: 'move-unknown', partitions: [{ partitionIndex: 0, replicas: [self] }, { partitionIndex: 0, replicas: null }] },
          ],
        });
        see.see(`v${v}/alter`, {
          error: errorName(res.errorCode),
          responses: res.responses.map((r) => ({ name: r.name, partitions: r.partitions.map((p) => ({ p: p.partitionIndex, error: errorName(p.errorCode) })) })),
        });
      }
      // v1 without replication factor changes: a different count of replicas is refused.
      const fixed = await t.request(AlterPartitionReassignments, 1, {
        timeoutMs: 5000,
        allowReplicationFactorChange: false,
        topics: [{ name: 'move', partitions: [{ partitionIndex: 0, replicas: [self, self + 7] }, { partitionIndex: 1, replicas: [self] }, { partitionIndex: 2, replicas: [] }] }],
      });
      see.see('v1/fixed-factor', {
        error: errorName(fixed.errorCode),
        allow: fixed.allowReplicationFactorChange,
        partitions: fixed.responses.flatMap((r) => r.partitions.map((p) => ({ p: p.partitionIndex, error: errorName(p.errorCode) }))),
      });
      for (const [name, topics] of [
        ['all', null],
        ['named', [{ name: 'move', partitionIndexes: [0, 1, 9] }, { name: 'move-unknown', partitionIndexes: [0] }]],
      ] as const) {
        const list = await t.request(ListPartitionReassignments, 0, { timeoutMs: 5000, topics: topics === null ? null : topics.map((x) => ({ name: x.name, partitionIndexes: [...x.partitionIndexes] })) });
        see.see(`list/${name}`, { error: errorName(list.errorCode), topics: list.topics });
      }
    },
  },
];
