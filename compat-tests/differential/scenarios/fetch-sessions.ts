/**
 * Fetch v13-18 (topic ids, KIP-516; current leader, KIP-951) and fetch sessions (KIP-227): the
 * same requests against both brokers. Session ids are random, so an answer's session id is
 * recorded as "given" (> 0) or 0; everything else as answered.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import { Fetch, Metadata, type FetchRequest, type FetchResponse } from '../../../src/protocol/generated/index.js';
import { ZERO_UUID } from '../../../src/protocol/wire.js';
import { fetchRequest } from '../../raw-client.js';
import { batch, createTopic, fetched, produce } from './util.js';

/** An id no broker gave out. */
const UNKNOWN_ID = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');

async function topicId(t: Target, name: string): Promise<Buffer> {
  const md = await t.request(Metadata, 12, { topics: [{ topicId: ZERO_UUID, name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return md.topics[0]!.topicId;
}

interface Want {
  id: Buffer;
  name?: string;
  partition: number;
  offset?: bigint;
  currentLeaderEpoch?: number;
}

/** A Fetch of the partitions `want`, one topic entry per partition (the wire allows it; clients group). */
function fetchOf(want: readonly Want[], o: Partial<FetchRequest> = {}): FetchRequest {
  const topics = want.flatMap((w) => {
    const one = fetchRequest({ id: w.id, name: w.name }, w.partition, w.offset ?? 0n).topics;
    return one.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, currentLeaderEpoch: w.currentLeaderEpoch ?? -1 })) }));
  });
  return { ...fetchRequest('', [], 0n), topics, ...o };
}

/** An answer without record bytes and with the session id as given or not. */
function view(res: FetchResponse): unknown {
  return {
    errorCode: res.errorCode,
    session: res.sessionId > 0 ? 'given' : res.sessionId,
    responses: res.responses.map((tp) => ({
      topic: tp.topic,
      topicId: tp.topicId,
      partitions: tp.partitions.map((p) => {
        const { records, ...rest } = p;
        void records;
        return { ...rest, records: fetched(p) };
      }),
    })),
    nodeEndpoints: res.nodeEndpoints,
  };
}

async function fill(t: Target, see: Recorder, topic: string, partitions: number): Promise<Buffer> {
  see.code('create', await createTopic(t, topic, partitions));
  see.code('produce-1', (await produce(t, topic, 0, batch(2, 'a'))).errorCode);
  see.code('produce-2', (await produce(t, topic, 0, batch(3, 'b'))).errorCode);
  return topicId(t, topic);
}

export const fetchSessionScenarios: Scenario[] = [
  {
    name: 'fetch-topic-ids',
    async run(t, see) {
      const id = await fill(t, see, 'dp-ids', 2);
      for (let v = 13; v <= 18; v++) {
        see.see(`v${v}/from-0`, view(await t.request(Fetch, v, fetchOf([{ id, partition: 0 }]))));
        see.see(`v${v}/mid-batch`, view(await t.request(Fetch, v, fetchOf([{ id, partition: 0, offset: 3n }]))));
        see.see(`v${v}/at-hwm`, view(await t.request(Fetch, v, fetchOf([{ id, partition: 0, offset: 5n }]))));
        see.see(`v${v}/empty-partition`, view(await t.request(Fetch, v, fetchOf([{ id, partition: 1 }]))));
        see.see(`v${v}/unknown-partition`, view(await t.request(Fetch, v, fetchOf([{ id, partition: 9 }]))));
        see.see(`v${v}/unknown-topic-id`, view(await t.request(Fetch, v, fetchOf([{ id: UNKNOWN_ID, partition: 0 }]))));
        see.see(`v${v}/zero-topic-id`, view(await t.request(Fetch, v, fetchOf([{ id: ZERO_UUID, partition: 0 }]))));
        see.see(`v${v}/name-ignored`, view(await t.request(Fetch, v, fetchOf([{ id, name: 'not-this-topic', partition: 0 }]))));
        see.see(`v${v}/epoch-ahead`, view(await t.request(Fetch, v, fetchOf([{ id, partition: 0, currentLeaderEpoch: 5 }]))));
        // A replica id that is not one of the partition's replicas: NOT_LEADER_OR_FOLLOWER, with the
        // current leader and its endpoint from v16 (KIP-951).
        const notReplica = v >= 15 ? { replicaState: { replicaId: 7, replicaEpoch: -1n } } : { replicaId: 7 };
        see.see(`v${v}/follower-not-replica`, view(await t.request(Fetch, v, fetchOf([{ id, partition: 0 }], notReplica))));
      }
      // Partitions with and without errors in one request: which comes first.
      see.see('mixed/known-then-unknown', view(await t.request(Fetch, 17, fetchOf([{ id, partition: 0 }, { id: UNKNOWN_ID, partition: 0 }]))));
      see.see('mixed/unknown-then-known', view(await t.request(Fetch, 17, fetchOf([{ id: UNKNOWN_ID, partition: 0 }, { id, partition: 0 }]))));
    },
  },
  {
    name: 'fetch-sessions',
    async run(t, see) {
      const id = await fill(t, see, 'dp-sessions', 2);
      for (const v of [12, 17]) {
        const want = (partition: number, offset = 0n): Want => ({ id: v >= 13 ? id : ZERO_UUID, name: 'dp-sessions', partition, offset });
        const full = await t.request(Fetch, v, fetchOf([want(0), want(1)], { sessionEpoch: 0 }));
        see.see(`v${v}/full`, view(full));
        const session = full.sessionId;
        const at = (epoch: number, parts: Want[] = [], o: Partial<FetchRequest> = {}): Promise<FetchResponse> => t.request(Fetch, v, fetchOf(parts, { sessionId: session, sessionEpoch: epoch, ...o }));
        // The client moves partition 0 to its end; nothing new anywhere: an empty answer.
        see.see(`v${v}/incremental-1-quiet`, view(await at(1, [want(0, 5n)])));
        see.code(`v${v}/produce`, (await produce(t, 'dp-sessions', 1, batch(1, `n${v}`))).errorCode);
        see.see(`v${v}/incremental-2-news`, view(await at(2)));
        see.see(`v${v}/incremental-2-again`, view(await at(2)));
        see.see(`v${v}/incremental-3-after-error`, view(await at(3)));
        // Errors leave the session as it was: epoch 4 is the one expected after them.
        see.see(`v${v}/wrong-version`, view(await t.request(Fetch, v >= 13 ? 12 : 13, fetchOf([], { sessionId: session, sessionEpoch: 4 }))));
        see.see(`v${v}/negative-epoch`, view(await at(-5)));
        // Named and forgotten in one request: forgotten.
        const forget = v >= 13 ? { topic: '', topicId: id, partitions: [1] } : { topic: 'dp-sessions', topicId: ZERO_UUID, partitions: [1] };
        see.see(`v${v}/forget-1`, view(await at(4, [want(1, 3n)], { forgottenTopicsData: [forget] })));
        const forget0 = { ...forget, partitions: [0] };
        see.see(`v${v}/forget-last`, view(await at(5, [], { forgottenTopicsData: [forget0] })));
        see.see(`v${v}/after-emptied`, view(await at(6)));
        see.see(`v${v}/unknown-session`, view(await t.request(Fetch, v, fetchOf([], { sessionId: 1, sessionEpoch: 1 }))));
        // A full fetch naming a session with epoch -1 closes it and opens none.
        const again = await t.request(Fetch, v, fetchOf([want(0)], { sessionEpoch: 0 }));
        see.see(`v${v}/close`, view(await t.request(Fetch, v, fetchOf([want(0, 5n)], { sessionId: again.sessionId, sessionEpoch: -1 }))));
        see.see(`v${v}/after-close`, view(await t.request(Fetch, v, fetchOf([], { sessionId: again.sessionId, sessionEpoch: 1 }))));
      }
      // A session holding an unknown topic id answers UNKNOWN_TOPIC_ID for it each time (an error is always news).
      const mixed = await t.request(Fetch, 17, fetchOf([{ id, partition: 0, offset: 5n }, { id: UNKNOWN_ID, partition: 0 }], { sessionEpoch: 0 }));
      see.see('unknown-id/full', view(mixed));
      see.see('unknown-id/incremental', view(await t.request(Fetch, 17, fetchOf([], { sessionId: mixed.sessionId, sessionEpoch: 1 }))));
    },
  },
];
