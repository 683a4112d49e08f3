// Golden bytes from an independent implementation, kafkajs 2.2.4: requests encoded by kafkajs
// must decode with our codecs to the values kafkajs was given, and responses encoded by our codecs
// must decode with kafkajs's response decoders to the values we gave. Plus hand-written hex for
// flexible versions that kafkajs lacks (ApiVersions v3, Metadata v12) and for the KRaft
// inter-broker APIs no client speaks (Vote, BeginQuorumEpoch, EndQuorumEpoch, AlterPartition,
// FetchSnapshot, BrokerRegistration, BrokerHeartbeat, AllocateProducerIds), derived from the schemas.

import t, { type Test as Tap } from 'tap';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type ApiDef, loadDefinitions } from '../../protocol/definitions.js';
import { withDefaults } from '../../protocol/samples.js';
import type { ApiCodec } from './api-codec.js';
import {
  ApiVersions,
  CreatePartitions,
  CreateTopics,
  DeleteTopics,
  DescribeConfigs,
  Fetch,
  ListOffsets,
  Metadata,
  Produce,
  apiCodecs,
} from './generated/index.js';
import { ErrorCode } from './errors.js';
import { Reader, Writer } from './wire.js';

const require = createRequire(import.meta.url);
const apis = loadDefinitions(fileURLToPath(new URL('../../../protocol/messages', import.meta.url)));
const def = (key: number): ApiDef => apis.find((a) => a.key === key)!;

type Json = Record<string, unknown>;
interface KafkajsRequest {
  encode(): Promise<{ buffer: Buffer }>;
  apiVersion: number;
  apiKey: number;
}

function kafkajs<T>(path: string): T {
  return require(`kafkajs/src/protocol/${path}`) as T;
}

async function kafkajsRequestBytes(api: string, v: number, args: Json): Promise<Buffer> {
  const build = kafkajs<(a: Json) => KafkajsRequest>(`requests/${api}/v${v}/request.js`);
  const req = build(args);
  if (req.apiVersion !== v) throw new Error(`kafkajs ${api} v${v} builds v${req.apiVersion}`);
  return (await req.encode()).buffer;
}

async function kafkajsDecodeResponse(api: string, v: number, bytes: Buffer): Promise<Json> {
  const { decode } = kafkajs<{ decode: (b: Buffer) => Promise<Json> }>(`requests/${api}/v${v}/response.js`);
  return decode(bytes);
}

function decodeRequest<Req>(t: Tap, codec: ApiCodec<Req, unknown>, v: number, bytes: Buffer): Req {
  const r = new Reader(bytes);
  const m = codec.decodeRequest(r, v);
  t.equal(r.error, null, `${codec.name} v${v} request decodes`);
  t.equal(r.remaining, 0, `${codec.name} v${v} request fully read`);
  return m;
}

function encodeResponse<Res>(codec: ApiCodec<unknown, Res>, v: number, value: Json): Buffer {
  const w = new Writer();
  codec.encodeResponse(w, v, withDefaults(def(codec.apiKey).response.root, value) as Res);
  return Buffer.from(w.finish());
}


const record = kafkajs<(a: Json) => unknown>('recordBatch/record/v0/index.js');
const { RecordBatch } = kafkajs<{ RecordBatch: (a: Json) => Promise<{ buffer: Buffer }> }>('recordBatch/v0/index.js');
const MessageSet = kafkajs<(a: Json) => { buffer: Buffer }>('messageSet/index.js');

/** One record batch (magic 2) with two records, encoded by kafkajs. */
async function kafkajsBatch(): Promise<Buffer> {
  const batch = await RecordBatch({
    firstTimestamp: 1700000000000,
    maxTimestamp: 1700000000001,
    lastOffsetDelta: 1,
    records: [
      record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k1'), value: Buffer.from('v1') }),
      record({ offsetDelta: 1, timestampDelta: 1, key: Buffer.from('k2'), value: Buffer.from('v2') }),
    ],
  });
  return batch.buffer;
}

/** A legacy message set (magic 0 or 1) with one message, encoded by kafkajs. */
function kafkajsMessageSet(messageVersion: 0 | 1): Buffer {
  return MessageSet({ messageVersion, entries: [{ key: 'k1', value: 'v1', timestamp: 1700000000000 }] }).buffer;
}

// ---------------------------------------------------------------------------------------------
// Requests: kafkajs encodes, we decode

t.test('Produce requests v0-7 from kafkajs', async (t) => {
  for (let v = 0; v <= 7; v++) {
    const bytes = await kafkajsRequestBytes('produce', v, {
      acks: -1,
      timeout: 30000,
      transactionalId: v >= 3 ? 'tx-1' : undefined,
      topicData: [
        { topic: 'orders', partitions: [{ partition: 3, messages: [{ key: 'k', value: 'hello', timestamp: 1700000000000 }] }] },
      ],
    });
    const m = decodeRequest(t, Produce, v, bytes);
    t.equal(m.transactionalId, v >= 3 ? 'tx-1' : null);
    t.equal(m.acks, -1);
    t.equal(m.timeoutMs, 30000);
    t.equal(m.topicData.length, 1);
    const topic = m.topicData[0]!;
    t.equal(topic.name, 'orders');
    t.equal(topic.partitionData[0]!.index, 3);
    const records = topic.partitionData[0]!.records!;
    t.ok(Buffer.isBuffer(records), 'records stay a Buffer');
    t.equal(records.readInt32BE(8) + 12, records.length, 'one whole batch/message set');
    t.equal(records.readInt8(16), v >= 3 ? 2 : v === 2 ? 1 : 0, 'magic byte');
    t.equal(records.buffer, bytes.buffer, 'records are a view into the frame, not a copy');
  }
});

t.test('Fetch requests v0-11 from kafkajs', async (t) => {
  for (let v = 0; v <= 11; v++) {
    const bytes = await kafkajsRequestBytes('fetch', v, {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 1,
      sessionId: 7,
      sessionEpoch: 3,
      rackId: 'rack-a',
      topics: [{ topic: 'orders', partitions: [{ partition: 2, fetchOffset: '12345678901', maxBytes: 1048576, currentLeaderEpoch: 5, logStartOffset: '9' }] }],
      forgottenTopics: [{ topic: 'old', partitions: [0, 1] }],
    });
    const m = decodeRequest(t, Fetch, v, bytes);
    t.equal(m.replicaId, -1);
    t.equal(m.maxWaitMs, 500);
    t.equal(m.minBytes, 1);
    t.equal(m.maxBytes, v >= 3 ? 10485760 : 0x7fffffff);
    t.equal(m.isolationLevel, v >= 4 ? 1 : 0);
    t.equal(m.sessionId, v >= 7 ? 7 : 0);
    t.equal(m.sessionEpoch, v >= 7 ? 3 : -1);
    t.equal(m.rackId, v >= 11 ? 'rack-a' : '');
    const p = m.topics[0]!.partitions[0]!;
    t.equal(m.topics[0]!.topic, 'orders');
    t.equal(p.partition, 2);
    t.equal(p.fetchOffset, 12345678901n);
    t.equal(p.partitionMaxBytes, 1048576);
    t.equal(p.currentLeaderEpoch, v >= 9 ? 5 : -1);
    t.equal(p.logStartOffset, v >= 5 ? 9n : -1n);
    t.same(
      m.forgottenTopicsData.map((f) => [f.topic, f.partitions]),
      v >= 7 ? [['old', [0, 1]]] : [],
    );
  }
});

t.test('ListOffsets requests v0-3 from kafkajs', async (t) => {
  for (let v = 0; v <= 3; v++) {
    const bytes = await kafkajsRequestBytes('listOffsets', v, {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 4, timestamp: -2 }] }],
    });
    const m = decodeRequest(t, ListOffsets, v, bytes);
    t.equal(m.replicaId, -1);
    t.equal(m.isolationLevel, v >= 2 ? 1 : 0);
    const p = m.topics[0]!.partitions[0]!;
    t.equal(m.topics[0]!.name, 'orders');
    t.equal(p.partitionIndex, 4);
    t.equal(p.timestamp, -2n);
    t.equal(p.maxNumOffsets, 1, 'v0 carries maxNumOffsets (kafkajs sends 1), later versions default to 1');
  }
});

t.test('Metadata requests v0-6 from kafkajs', async (t) => {
  for (let v = 0; v <= 6; v++) {
    const bytes = await kafkajsRequestBytes('metadata', v, { topics: ['a', 'bb'], allowAutoTopicCreation: false });
    const m = decodeRequest(t, Metadata, v, bytes);
    t.same(
      m.topics!.map((x) => x.name),
      ['a', 'bb'],
    );
    t.equal(m.allowAutoTopicCreation, v >= 4 ? false : true);
    if (v >= 1) {
      // kafkajs writes an empty list as a null array, which v1+ reads as "all topics".
      const all = decodeRequest(t, Metadata, v, await kafkajsRequestBytes('metadata', v, { topics: [] }));
      t.equal(all.topics, null, `v${v}: null topics = all topics`);
    }
  }
});

t.test('ApiVersions requests v0-2 from kafkajs', async (t) => {
  for (let v = 0; v <= 2; v++) {
    const bytes = await kafkajsRequestBytes('apiVersions', v, {});
    t.equal(bytes.length, 0);
    const m = decodeRequest(t, ApiVersions, v, bytes);
    t.same(m, { clientSoftwareName: '', clientSoftwareVersion: '' });
  }
});

t.test('CreateTopics requests v0-3 from kafkajs', async (t) => {
  for (let v = 0; v <= 3; v++) {
    const bytes = await kafkajsRequestBytes('createTopics', v, {
      timeout: 7000,
      validateOnly: true,
      topics: [
        {
          topic: 'orders',
          numPartitions: 6,
          replicationFactor: 3,
          replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }],
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    const m = decodeRequest(t, CreateTopics, v, bytes);
    t.equal(m.timeoutMs, 7000);
    t.equal(m.validateOnly, v >= 1);
    const topic = m.topics[0]!;
    t.equal(topic.name, 'orders');
    t.equal(topic.numPartitions, 6);
    t.equal(topic.replicationFactor, 3);
    t.same(topic.assignments, [{ partitionIndex: 0, brokerIds: [1, 2, 3] }]);
    t.same(topic.configs, [{ name: 'cleanup.policy', value: 'compact' }]);
  }
});

t.test('DeleteTopics requests v0-1 from kafkajs', async (t) => {
  for (let v = 0; v <= 1; v++) {
    const bytes = await kafkajsRequestBytes('deleteTopics', v, { topics: ['a', 'b'], timeout: 9000 });
    const m = decodeRequest(t, DeleteTopics, v, bytes);
    t.same(m.topicNames, ['a', 'b']);
    t.same(m.topics, []);
    t.equal(m.timeoutMs, 9000);
  }
});

t.test('CreatePartitions requests v0-1 from kafkajs', async (t) => {
  for (let v = 0; v <= 1; v++) {
    const bytes = await kafkajsRequestBytes('createPartitions', v, {
      topicPartitions: [{ topic: 'orders', count: 8, assignments: [[1, 2], [2, 3]] }],
      validateOnly: true,
      timeout: 4000,
    });
    const m = decodeRequest(t, CreatePartitions, v, bytes);
    t.same(m.topics, [{ name: 'orders', count: 8, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }] }]);
    t.equal(m.timeoutMs, 4000);
    t.equal(m.validateOnly, true);
  }
});

t.test('DescribeConfigs requests v0-2 from kafkajs', async (t) => {
  for (let v = 0; v <= 2; v++) {
    const bytes = await kafkajsRequestBytes('describeConfigs', v, {
      resources: [
        { type: 2, name: 'orders', configNames: ['retention.ms'] },
        { type: 4, name: '1', configNames: [] }, // kafkajs sends [] as a null array
      ],
      includeSynonyms: true,
    });
    const m = decodeRequest(t, DescribeConfigs, v, bytes);
    t.same(m.resources, [
      { resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] },
      { resourceType: 4, resourceName: '1', configurationKeys: null },
    ]);
    t.equal(m.includeSynonyms, v >= 1);
  }
});

// ---------------------------------------------------------------------------------------------
// Responses: we encode, kafkajs decodes

t.test('Produce responses v0-7 read by kafkajs', async (t) => {
  for (let v = 0; v <= 7; v++) {
    const bytes = encodeResponse(Produce, v, {
      responses: [
        {
          name: 'orders',
          partitionResponses: [{ index: 3, errorCode: 0, baseOffset: 1234567890123n, logAppendTimeMs: v >= 2 ? 1700000000000n : -1n, logStartOffset: v >= 5 ? 17n : -1n }],
        },
      ],
      throttleTimeMs: v >= 1 ? 25 : 0,
    });
    const k = await kafkajsDecodeResponse('produce', v, bytes);
    const topics = k.topics as Array<{ topicName: string; partitions: Json[] }>;
    t.equal(topics[0]!.topicName, 'orders');
    const p = topics[0]!.partitions[0]!;
    t.equal(p.partition, 3);
    t.equal(p.errorCode, 0);
    t.equal(p.offset ?? p.baseOffset, '1234567890123');
    if (v >= 2) t.equal(p.timestamp ?? p.logAppendTime, '1700000000000');
    if (v >= 5) t.equal(p.logStartOffset, '17');
    if (v >= 1) t.equal(k.clientSideThrottleTime ?? k.throttleTime, 25);
  }
});

t.test('Fetch responses v0-11 read by kafkajs', async (t) => {
  const batch = await kafkajsBatch();
  for (let v = 0; v <= 11; v++) {
    const records = v >= 4 ? batch : kafkajsMessageSet(v >= 2 ? 1 : 0);
    const bytes = encodeResponse(Fetch, v, {
      throttleTimeMs: v >= 1 ? 11 : 0,
      errorCode: 0,
      sessionId: v >= 7 ? 99 : 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              highWatermark: 500n,
              lastStableOffset: v >= 4 ? 480n : -1n,
              logStartOffset: v >= 5 ? 100n : -1n,
              abortedTransactions: v >= 4 ? [{ producerId: 77n, firstOffset: 470n }] : null,
              preferredReadReplica: v >= 11 ? 3 : -1,
              records,
            },
          ],
        },
      ],
    });
    const k = await kafkajsDecodeResponse('fetch', v, bytes);
    if (v >= 7) {
      t.equal(k.errorCode, 0);
      t.equal(k.sessionId, 99);
    }
    if (v >= 1) t.equal(k.clientSideThrottleTime ?? k.throttleTime, 11);
    const topic = (k.responses as Array<{ topicName: string; partitions: Json[] }>)[0]!;
    t.equal(topic.topicName, 'orders');
    const p = topic.partitions[0]!;
    t.equal(p.partition, 2);
    t.equal(p.highWatermark, '500');
    if (v >= 4) {
      t.equal(p.lastStableOffset, '480');
      t.same(p.abortedTransactions, [{ producerId: '77', firstOffset: '470' }]);
    }
    if (v >= 5) t.equal(p.lastStartOffset, '100');
    if (v >= 11) t.equal(p.preferredReadReplica, 3);
    const messages = p.messages as Array<{ key: Buffer; value: Buffer }>;
    t.same(
      messages.map((m) => [String(m.key), String(m.value)]),
      v >= 4 ? [['k1', 'v1'], ['k2', 'v2']] : [['k1', 'v1']],
      `v${v} records pass through`,
    );
  }
});

t.test('ListOffsets responses v0-3 read by kafkajs', async (t) => {
  for (let v = 0; v <= 3; v++) {
    const bytes = encodeResponse(ListOffsets, v, {
      throttleTimeMs: v >= 2 ? 5 : 0,
      topics: [
        {
          name: 'orders',
          partitions: [{ partitionIndex: 4, errorCode: 0, oldStyleOffsets: v === 0 ? [42n, 7n] : [], timestamp: v >= 1 ? 1700000000000n : -1n, offset: v >= 1 ? 42n : -1n }],
        },
      ],
    });
    const k = await kafkajsDecodeResponse('listOffsets', v, bytes);
    const topic = (k.responses as Array<{ topic: string; partitions: Json[] }>)[0]!;
    t.equal(topic.topic, 'orders');
    const p = topic.partitions[0]!;
    t.equal(p.partition, 4);
    if (v === 0) t.same(p.offsets, ['42', '7']);
    else {
      t.equal(p.offset, '42');
      t.equal(p.timestamp, '1700000000000');
    }
    if (v >= 2) t.equal(k.clientSideThrottleTime ?? k.throttleTime, 5);
  }
});

t.test('Metadata responses v0-6 read by kafkajs', async (t) => {
  for (let v = 0; v <= 6; v++) {
    const bytes = encodeResponse(Metadata, v, {
      throttleTimeMs: v >= 3 ? 9 : 0,
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: v >= 1 ? 'r1' : null }],
      clusterId: v >= 2 ? 'cluster-x' : null,
      controllerId: v >= 1 ? 1 : -1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: v >= 5 ? [2] : [] }],
        },
      ],
    });
    const k = await kafkajsDecodeResponse('metadata', v, bytes);
    t.same(k.brokers, [v >= 1 ? { nodeId: 1, host: 'localhost', port: 9092, rack: 'r1' } : { nodeId: 1, host: 'localhost', port: 9092 }]);
    if (v >= 1) t.equal(k.controllerId, 1);
    if (v >= 2) t.equal(k.clusterId, 'cluster-x');
    if (v >= 3) t.equal(k.clientSideThrottleTime ?? k.throttleTime, 9);
    const topic = (k.topicMetadata as Json[])[0]!;
    t.equal(topic.topic, 'orders');
    t.equal(topic.topicErrorCode, 0);
    const p = (topic.partitionMetadata as Json[])[0]!;
    t.equal(p.partitionId, 0);
    t.equal(p.leader, 1);
    t.same(p.replicas, [1, 2]);
    t.same(p.isr, [1]);
    if (v >= 5) t.same(p.offlineReplicas, [2]);
  }
});

t.test('ApiVersions responses v0-2 read by kafkajs', async (t) => {
  for (let v = 0; v <= 2; v++) {
    const bytes = encodeResponse(ApiVersions, v, {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ],
      throttleTimeMs: v >= 1 ? 3 : 0,
    });
    const k = await kafkajsDecodeResponse('apiVersions', v, bytes);
    t.equal(k.errorCode, 0);
    t.same(k.apiVersions, [
      { apiKey: 0, minVersion: 0, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ]);
    if (v >= 1) t.equal(k.clientSideThrottleTime ?? k.throttleTime, 3);
  }
});

t.test('CreateTopics responses v0-3 read by kafkajs', async (t) => {
  for (let v = 0; v <= 3; v++) {
    const bytes = encodeResponse(CreateTopics, v, {
      throttleTimeMs: v >= 2 ? 4 : 0,
      topics: [
        { name: 'b', errorCode: 0, errorMessage: v >= 1 ? 'fine' : null },
        { name: 'a', errorCode: 0, errorMessage: v >= 1 ? 'ok' : null },
      ],
    });
    const k = await kafkajsDecodeResponse('createTopics', v, bytes);
    t.same(
      k.topicErrors,
      v >= 1
        ? [{ topic: 'a', errorCode: 0, errorMessage: 'ok' }, { topic: 'b', errorCode: 0, errorMessage: 'fine' }]
        : [{ topic: 'a', errorCode: 0 }, { topic: 'b', errorCode: 0 }],
    );
    if (v >= 2) t.equal(k.clientSideThrottleTime ?? k.throttleTime, 4);
  }
});

t.test('DeleteTopics responses v0-1 read by kafkajs', async (t) => {
  for (let v = 0; v <= 1; v++) {
    const bytes = encodeResponse(DeleteTopics, v, {
      throttleTimeMs: v >= 1 ? 6 : 0,
      responses: [{ name: 'a', errorCode: 0 }],
    });
    const k = await kafkajsDecodeResponse('deleteTopics', v, bytes);
    t.same(k.topicErrors, [{ topic: 'a', errorCode: 0 }]);
    if (v >= 1) t.equal(k.clientSideThrottleTime, 6);
  }
});

t.test('CreatePartitions responses v0-1 read by kafkajs', async (t) => {
  for (let v = 0; v <= 1; v++) {
    const bytes = encodeResponse(CreatePartitions, v, {
      throttleTimeMs: 8,
      results: [{ name: 'orders', errorCode: 0, errorMessage: null }],
    });
    const k = await kafkajsDecodeResponse('createPartitions', v, bytes);
    t.same(k.topicErrors, [{ topic: 'orders', errorCode: 0, errorMessage: null }]);
    t.equal(k.clientSideThrottleTime ?? k.throttleTime, 8);
  }
});

t.test('DescribeConfigs responses v0-2 read by kafkajs', async (t) => {
  for (let v = 0; v <= 2; v++) {
    const bytes = encodeResponse(DescribeConfigs, v, {
      throttleTimeMs: 2,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 'orders',
          configs: [
            {
              name: 'retention.ms',
              value: '1000',
              readOnly: false,
              isDefault: v === 0 ? true : false,
              configSource: v >= 1 ? 5 : -1,
              isSensitive: false,
              synonyms: v >= 1 ? [{ name: 'log.retention.ms', value: '1000', source: 4 }] : [],
            },
          ],
        },
      ],
    });
    const k = await kafkajsDecodeResponse('describeConfigs', v, bytes);
    t.equal(k.clientSideThrottleTime ?? k.throttleTime, 2);
    const res = (k.resources as Json[])[0]!;
    t.match(res, { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' });
    const c = (res.configEntries as Json[])[0]!;
    t.match(c, { configName: 'retention.ms', configValue: '1000', readOnly: false, isSensitive: false });
    if (v === 0) t.equal(c.isDefault, true, 'v0 IsDefault, a field Kafka 4 no longer defines');
    else {
      t.equal(c.configSource, 5);
      t.same(c.configSynonyms, [{ configName: 'log.retention.ms', configValue: '1000', configSource: 4 }]);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Hand-derived hex for flexible versions

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}

t.test('ApiVersions v3 request, by hand', async (t) => {
  // ClientSoftwareName compact string "sluice" (len+1 = 7), ClientSoftwareVersion "0.1" (4),
  // empty tagged-field section.
  const bytes = hex(`
    07 736c75696365   # "sluice"
    04 302e31         # "0.1"
    00                # no tagged fields
  `);
  const m = decodeRequest(t, ApiVersions, 3, bytes);
  t.same(m, { clientSoftwareName: 'sluice', clientSoftwareVersion: '0.1' });
  const w = new Writer();
  ApiVersions.encodeRequest(w, 3, m);
  t.same(w.finish(), bytes);
  // An unknown tag (5, 2 bytes) is skipped.
  const withTag = hex('07 736c75696365 04 302e31 01 05 02 abcd');
  t.same(decodeRequest(t, ApiVersions, 3, withTag), m);
});

t.test('ApiVersions v3 response, by hand', async (t) => {
  const expected = hex(`
    0000                      # ErrorCode 0
    03                        # ApiKeys: compact array, 2 elements
      0000 0000 000b 00       #   Produce 0-11, no tags
      0012 0000 0004 00       #   ApiVersions 0-4, no tags
    00000000                  # ThrottleTimeMs 0
    02                        # 2 tagged fields
      00 17                   #   tag 0 (SupportedFeatures), 23 bytes:
        02                    #     compact array, 1 element
        11 6d657461646174612e76657273696f6e   # "metadata.version" (16 bytes)
        0001 0014 00          #     MinVersion 1, MaxVersion 20, no tags
      01 08                   #   tag 1 (FinalizedFeaturesEpoch), 8 bytes:
        0000000000000007      #     7
  `);
  const value = withDefaults(def(18).response.root, {
    errorCode: 0,
    apiKeys: [
      { apiKey: 0, minVersion: 0, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ],
    throttleTimeMs: 0,
    supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
    finalizedFeaturesEpoch: 7n,
  });
  const w = new Writer();
  ApiVersions.encodeResponse(w, 3, value as never);
  t.same(w.finish(), expected, 'encodes exactly the hand-derived bytes');
  const r = new Reader(expected);
  const back = ApiVersions.decodeResponse(r, 3);
  r.check();
  t.same(back, value);
  t.equal(back.finalizedFeaturesEpoch, 7n);
  t.same(back.finalizedFeatures, [], 'absent tagged field takes its default');
  t.equal(back.zkMigrationReady, false);
});

t.test('Metadata v12 request, by hand', async (t) => {
  // Topics: compact array of 2. Each topic: TopicId (16 bytes), Name (compact nullable string),
  // empty tags. AllowAutoTopicCreation, IncludeTopicAuthorizedOperations, empty tags.
  const id = hex('0123456789abcdef0123456789abcdef');
  const bytes = Buffer.concat([
    hex('03'),
    Buffer.alloc(16),
    hex('07 6f7264657273 00'), // "orders"
    id,
    hex('00 00'), // null name (looked up by id), no tags
    hex('01 00 00'), // allowAutoTopicCreation true, includeTopicAuthorizedOperations false, no tags
  ]);
  const m = decodeRequest(t, Metadata, 12, bytes);
  t.same(m.topics, [
    { topicId: Buffer.alloc(16), name: 'orders' },
    { topicId: id, name: null },
  ]);
  t.equal(m.allowAutoTopicCreation, true);
  t.equal(m.includeTopicAuthorizedOperations, false);
  t.equal(m.includeClusterAuthorizedOperations, false, 'v8-10 only: default');
  const w = new Writer();
  Metadata.encodeRequest(w, 12, m);
  t.same(w.finish(), bytes);
  // Null topics array (compact length 0) = all topics.
  const all = decodeRequest(t, Metadata, 12, hex('00 00 01 00'));
  t.equal(all.topics, null);
  t.equal(all.includeTopicAuthorizedOperations, true);
});

// ---------------------------------------------------------------------------------------------
// More request bodies, byte for byte: kafkajs's bytes must equal what our encoder writes for the
// same values, and must decode to those values.

interface ByteCase {
  api: string;
  key: number;
  versions: number[];
  args: Json;
  /** Our value (completed with defaults) at a version. */
  ours: (v: number) => Json;
  /** kafkajs starts flexible bodies with the request header's empty tag section: skip it. */
  headerTagBytes?: number;
}

const metadataBytes = Buffer.from('member-metadata');
const BYTE_CASES: ByteCase[] = [
  {
    api: 'findCoordinator',
    key: 10,
    versions: [0, 1, 2],
    args: { groupId: 'g1', coordinatorKey: 'g1', coordinatorType: 1 },
    ours: (v) => ({ key: 'g1', keyType: v >= 1 ? 1 : 0 }),
  },
  {
    api: 'joinGroup',
    key: 11,
    versions: [0, 1, 2, 3, 4, 5],
    args: {
      groupId: 'g1',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: 'm-1',
      groupInstanceId: 'static-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'range', metadata: metadataBytes }],
    },
    ours: (v) => ({
      groupId: 'g1',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: v >= 1 ? 60000 : -1,
      memberId: 'm-1',
      groupInstanceId: v >= 5 ? 'static-1' : null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: metadataBytes }],
    }),
  },
  {
    api: 'syncGroup',
    key: 14,
    versions: [0, 1, 2, 3],
    args: { groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: 'static-1', groupAssignment: [{ memberId: 'm-1', memberAssignment: metadataBytes }] },
    ours: (v) => ({
      groupId: 'g1',
      generationId: 4,
      memberId: 'm-1',
      groupInstanceId: v >= 3 ? 'static-1' : null,
      assignments: [{ memberId: 'm-1', assignment: metadataBytes }],
    }),
  },
  {
    api: 'heartbeat',
    key: 12,
    versions: [0, 1, 2, 3],
    args: { groupId: 'g1', groupGenerationId: 4, memberId: 'm-1', groupInstanceId: 'static-1' },
    ours: (v) => ({ groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: v >= 3 ? 'static-1' : null }),
  },
  {
    api: 'leaveGroup',
    key: 13,
    versions: [0, 1, 2, 3],
    args: { groupId: 'g1', memberId: 'm-1', members: [{ memberId: 'm-1', groupInstanceId: 'static-1' }] },
    ours: (v) => (v >= 3 ? { groupId: 'g1', members: [{ memberId: 'm-1', groupInstanceId: 'static-1' }] } : { groupId: 'g1', memberId: 'm-1' }),
  },
  {
    api: 'offsetCommit',
    key: 8,
    versions: [0, 1, 2, 3, 4, 5],
    args: {
      groupId: 'g1',
      groupGenerationId: 4,
      memberId: 'm-1',
      retentionTime: 86400000,
      topics: [{ topic: 'orders', partitions: [{ partition: 1, offset: '42', timestamp: 1700000000000, metadata: 'meta' }] }],
    },
    ours: (v) => ({
      groupId: 'g1',
      generationIdOrMemberEpoch: v >= 1 ? 4 : -1,
      memberId: v >= 1 ? 'm-1' : '',
      retentionTimeMs: v >= 2 && v <= 4 ? 86400000n : -1n,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 42n, commitTimestamp: v === 1 ? 1700000000000n : -1n, committedMetadata: 'meta' }] }],
    }),
  },
  {
    api: 'offsetFetch',
    key: 9,
    versions: [1, 2, 3, 4],
    args: { groupId: 'g1', topics: [{ topic: 'orders', partitions: [{ partition: 1 }, { partition: 2 }] }] },
    ours: () => ({ groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: [1, 2] }] }),
  },
  {
    api: 'initProducerId',
    key: 22,
    versions: [0, 1],
    args: { transactionalId: 'tx-1', transactionTimeout: 60000 },
    ours: () => ({ transactionalId: 'tx-1', transactionTimeoutMs: 60000 }),
  },
  {
    api: 'endTxn',
    key: 26,
    versions: [0, 1],
    args: { transactionalId: 'tx-1', producerId: '9007199254740993', producerEpoch: 2, transactionResult: true },
    ours: () => ({ transactionalId: 'tx-1', producerId: 9007199254740993n, producerEpoch: 2, committed: true }),
  },
  {
    api: 'addOffsetsToTxn',
    key: 25,
    versions: [0, 1],
    args: { transactionalId: 'tx-1', producerId: '77', producerEpoch: 2, groupId: 'g1' },
    ours: () => ({ transactionalId: 'tx-1', producerId: 77n, producerEpoch: 2, groupId: 'g1' }),
  },
  { api: 'saslHandshake', key: 17, versions: [0, 1], args: { mechanism: 'PLAIN' }, ours: () => ({ mechanism: 'PLAIN' }) },
  { api: 'describeGroups', key: 15, versions: [0, 1, 2], args: { groupIds: ['g1', 'g2'] }, ours: () => ({ groups: ['g1', 'g2'] }) },
  { api: 'listGroups', key: 16, versions: [0, 1, 2], args: {}, ours: () => ({}) },
  {
    api: 'alterPartitionReassignments',
    key: 45,
    versions: [0],
    args: { timeout: 5000, topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] },
    ours: () => ({ timeoutMs: 5000, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] }] }),
    headerTagBytes: 1,
  },
  {
    api: 'listPartitionReassignments',
    key: 46,
    versions: [0],
    args: { timeout: 5000, topics: [{ topic: 'orders', partitions: [0, 1] }] },
    ours: () => ({ timeoutMs: 5000, topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }),
    headerTagBytes: 1,
  },
];

for (const c of BYTE_CASES) {
  t.test(`${c.api} requests v${c.versions.join(',')} from kafkajs, byte for byte`, async (t) => {
    for (const v of c.versions) {
      const codec = apiCodecsByKey(c.key);
      const bytes = (await kafkajsRequestBytes(c.api, v, c.args)).subarray(c.headerTagBytes ?? 0);
      const value = withDefaults(def(c.key).request.root, c.ours(v));
      const w = new Writer();
      codec.encodeRequest(w, v, value);
      t.same(w.finish().toString('hex'), bytes.toString('hex'), `${c.api} v${v}: same bytes as kafkajs`);
      t.same(decodeRequest(t, codec, v, bytes), value, `${c.api} v${v}: decodes to the kafkajs values`);
    }
  });
}

function apiCodecsByKey(key: number): ApiCodec<unknown, unknown> {
  return apiCodecs.get(key) as ApiCodec<unknown, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Hand-derived hex for the KRaft inter-broker APIs (issue 12): no client library speaks them, so
// every frame below is written from Kafka's schemas, field by field, at each API's newest version
// and at an older one whose layout differs. Each must decode to its value (absent fields take
// their defaults) and the value must encode to exactly these bytes.
// The same for issue 15's client APIs that kafkajs does not have: ListOffsets v10,
// GetTelemetrySubscriptions, PushTelemetry, ListConfigResources and DescribeTopicPartitions.

const META = '13 5f5f636c75737465725f6d65746164617461'; // compact "__cluster_metadata" (18 bytes)
const META_CLASSIC = '0012 5f5f636c75737465725f6d65746164617461'; // the same, int16 length
const ABC = '04 616263'; // compact "abc"
const U11 = '11'.repeat(16);
const U22 = '22'.repeat(16);
const U33 = '33'.repeat(16);
const U44 = '44'.repeat(16);
const TOPIC_ID = '0123456789abcdef0123456789abcdef';
const uuid = (h: string): Buffer => Buffer.from(h, 'hex');
// NodeEndpoints (tag 0) with one endpoint, node 1 at h1:9093: compact array of 1, NodeId,
// compact "h1", Port 0x2385, no tags = 11 bytes.
const NODE_ENDPOINTS_TAG = '01 00 0b 02 00000001 03 6831 2385 00';
const nodeEndpoints = [{ nodeId: 1, host: 'h1', port: 9093 }];
// LeaderEndpoints with one endpoint, CONTROLLER at h1:9093.
const LEADER_ENDPOINTS = '02 0b 434f4e54524f4c4c4552 03 6831 2385 00';
const leaderEndpoints = [{ name: 'CONTROLLER', host: 'h1', port: 9093 }];

interface HandFrame {
  codec: ApiCodec<unknown, unknown>;
  side: 'request' | 'response';
  v: number;
  bytes: string;
  /** The fields this version carries; the rest are filled with their defaults. */
  value: Json;
}

const HAND_FRAMES: HandFrame[] = [
  // --- 52 Vote
  {
    codec: apiCodecsByKey(52),
    side: 'request',
    v: 2,
    bytes: `
      ${ABC}                   # ClusterId
      00000002                 # VoterId 2
      02 ${META}               # Topics: 1
        02                     #   Partitions: 1
          00000000 00000005    #     PartitionIndex 0, ReplicaEpoch 5
          00000001             #     ReplicaId 1
          ${U11} ${U22}        #     ReplicaDirectoryId, VoterDirectoryId
          00000004             #     LastOffsetEpoch 4
          00000000000004d2     #     LastOffset 1234
          01 00                #     PreVote true, no tags
        00                     #   no tags
      00                       # no tags`,
    value: {
      clusterId: 'abc',
      voterId: 2,
      topics: [
        {
          topicName: '__cluster_metadata',
          partitions: [
            {
              partitionIndex: 0,
              replicaEpoch: 5,
              replicaId: 1,
              replicaDirectoryId: uuid(U11),
              voterDirectoryId: uuid(U22),
              lastOffsetEpoch: 4,
              lastOffset: 1234n,
              preVote: true,
            },
          ],
        },
      ],
    },
  },
  {
    codec: apiCodecsByKey(52),
    side: 'request',
    v: 0,
    bytes: `
      00                       # ClusterId null
      02 ${META} 02            # Topics: 1, Partitions: 1
        00000000 00000005 00000001 00000004 00000000000004d2 00
      00 00`,
    value: {
      clusterId: null,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, replicaEpoch: 5, replicaId: 1, lastOffsetEpoch: 4, lastOffset: 1234n }] }],
    },
  },
  {
    codec: apiCodecsByKey(52),
    side: 'response',
    v: 2,
    bytes: `
      0000                     # ErrorCode
      02 ${META} 02            # Topics: 1, Partitions: 1
        00000000 0000          #   PartitionIndex 0, ErrorCode 0
        ffffffff 00000005      #   LeaderId -1, LeaderEpoch 5
        01 00                  #   VoteGranted, no tags
      00
      ${NODE_ENDPOINTS_TAG}`,
    value: {
      errorCode: 0,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: -1, leaderEpoch: 5, voteGranted: true }] }],
      nodeEndpoints,
    },
  },
  {
    codec: apiCodecsByKey(52),
    side: 'response',
    v: 0,
    bytes: `
      0000 02 ${META} 02
        00000000 004a          #   ErrorCode FENCED_LEADER_EPOCH
        00000003 00000006 00 00
      00 00                    # no NodeEndpoints before v1`,
    value: {
      errorCode: 0,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: 3, leaderEpoch: 6, voteGranted: false }] }],
    },
  },
  // --- 53 BeginQuorumEpoch (v0 is not flexible)
  {
    codec: apiCodecsByKey(53),
    side: 'request',
    v: 1,
    bytes: `
      ${ABC} 00000002          # ClusterId, VoterId 2
      02 ${META} 02
        00000000 ${U22}        #   PartitionIndex 0, VoterDirectoryId
        00000001 00000006 00   #   LeaderId 1, LeaderEpoch 6
      00
      ${LEADER_ENDPOINTS}
      00`,
    value: {
      clusterId: 'abc',
      voterId: 2,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, voterDirectoryId: uuid(U22), leaderId: 1, leaderEpoch: 6 }] }],
      leaderEndpoints,
    },
  },
  {
    codec: apiCodecsByKey(53),
    side: 'request',
    v: 0,
    bytes: `
      0003 616263              # ClusterId, int16 length
      00000001 ${META_CLASSIC} # Topics: int32 count 1
        00000001               #   Partitions: 1
        00000000 00000001 00000006`,
    value: {
      clusterId: 'abc',
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, leaderId: 1, leaderEpoch: 6 }] }],
    },
  },
  {
    codec: apiCodecsByKey(53),
    side: 'response',
    v: 1,
    bytes: `0000 02 ${META} 02 00000000 0000 00000001 00000006 00 00 ${NODE_ENDPOINTS_TAG}`,
    value: {
      errorCode: 0,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 6 }] }],
      nodeEndpoints,
    },
  },
  {
    codec: apiCodecsByKey(53),
    side: 'response',
    v: 0,
    bytes: `0000 00000001 ${META_CLASSIC} 00000001 00000000 004a 00000001 00000006`,
    value: {
      errorCode: 0,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: 1, leaderEpoch: 6 }] }],
    },
  },
  // --- 54 EndQuorumEpoch (v0 is not flexible; v1 replaces PreferredSuccessors)
  {
    codec: apiCodecsByKey(54),
    side: 'request',
    v: 1,
    bytes: `
      ${ABC}
      02 ${META} 02
        00000000 00000001 00000006   # PartitionIndex 0, LeaderId 1, LeaderEpoch 6
        03                           # PreferredCandidates: 2
          00000002 ${U22} 00
          00000003 ${U33} 00
        00
      00
      ${LEADER_ENDPOINTS}
      00`,
    value: {
      clusterId: 'abc',
      topics: [
        {
          topicName: '__cluster_metadata',
          partitions: [
            {
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 6,
              preferredCandidates: [
                { candidateId: 2, candidateDirectoryId: uuid(U22) },
                { candidateId: 3, candidateDirectoryId: uuid(U33) },
              ],
            },
          ],
        },
      ],
      leaderEndpoints,
    },
  },
  {
    codec: apiCodecsByKey(54),
    side: 'request',
    v: 0,
    bytes: `
      0003 616263
      00000001 ${META_CLASSIC} 00000001
        00000000 00000001 00000006
        00000002 00000002 00000003   # PreferredSuccessors: int32 count 2, then 2 and 3`,
    value: {
      clusterId: 'abc',
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, leaderId: 1, leaderEpoch: 6, preferredSuccessors: [2, 3] }] }],
    },
  },
  {
    codec: apiCodecsByKey(54),
    side: 'response',
    v: 1,
    bytes: `0000 02 ${META} 02 00000000 0000 00000001 00000006 00 00 ${NODE_ENDPOINTS_TAG}`,
    value: {
      errorCode: 0,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 6 }] }],
      nodeEndpoints,
    },
  },
  {
    codec: apiCodecsByKey(54),
    side: 'response',
    v: 0,
    bytes: '0068 00000000', // INCONSISTENT_CLUSTER_ID, no topics
    value: { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] },
  },
  // --- 56 AlterPartition (v0-1 name topics; v3 sends ISR members with their broker epochs)
  {
    codec: apiCodecsByKey(56),
    side: 'request',
    v: 3,
    bytes: `
      00000001 0000000000000064      # BrokerId 1, BrokerEpoch 100
      02 ${TOPIC_ID}                 # Topics: 1, TopicId
        02                           #   Partitions: 1
          00000002 00000007          #     PartitionIndex 2, LeaderEpoch 7
          03                         #     NewIsrWithEpochs: 2
            00000001 0000000000000064 00
            00000002 00000000000000c8 00
          00 00000009 00             #     LeaderRecoveryState 0, PartitionEpoch 9, no tags
        00
      00`,
    value: {
      brokerId: 1,
      brokerEpoch: 100n,
      topics: [
        {
          topicId: uuid(TOPIC_ID),
          partitions: [
            {
              partitionIndex: 2,
              leaderEpoch: 7,
              newIsrWithEpochs: [
                { brokerId: 1, brokerEpoch: 100n },
                { brokerId: 2, brokerEpoch: 200n },
              ],
              leaderRecoveryState: 0,
              partitionEpoch: 9,
            },
          ],
        },
      ],
    },
  },
  {
    codec: apiCodecsByKey(56),
    side: 'request',
    v: 2,
    bytes: `
      00000001 0000000000000064
      02 ${TOPIC_ID} 02
        00000002 00000007
        03 00000001 00000002         # NewIsr: [1, 2]
        00 00000009 00
      00 00`,
    value: {
      brokerId: 1,
      brokerEpoch: 100n,
      topics: [{ topicId: uuid(TOPIC_ID), partitions: [{ partitionIndex: 2, leaderEpoch: 7, newIsr: [1, 2], partitionEpoch: 9 }] }],
    },
  },
  {
    codec: apiCodecsByKey(56),
    side: 'request',
    v: 1,
    bytes: `
      00000001 0000000000000064
      02 07 6f7264657273 02          # Topics: 1, TopicName "orders"
        00000002 00000007
        03 00000001 00000002
        01 00000009 00               # LeaderRecoveryState 1 (recovering)
      00 00`,
    value: {
      brokerId: 1,
      brokerEpoch: 100n,
      topics: [{ topicName: 'orders', partitions: [{ partitionIndex: 2, leaderEpoch: 7, newIsr: [1, 2], leaderRecoveryState: 1, partitionEpoch: 9 }] }],
    },
  },
  {
    codec: apiCodecsByKey(56),
    side: 'response',
    v: 3,
    bytes: `
      00000000 0000                  # ThrottleTimeMs, ErrorCode
      02 ${TOPIC_ID} 02
        00000002 0000                #   PartitionIndex 2, ErrorCode 0
        00000001 00000007            #   LeaderId 1, LeaderEpoch 7
        03 00000001 00000002         #   Isr [1, 2]
        00 0000000a 00               #   LeaderRecoveryState 0, PartitionEpoch 10
      00 00`,
    value: {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [{ topicId: uuid(TOPIC_ID), partitions: [{ partitionIndex: 2, errorCode: 0, leaderId: 1, leaderEpoch: 7, isr: [1, 2], partitionEpoch: 10 }] }],
    },
  },
  {
    codec: apiCodecsByKey(56),
    side: 'response',
    v: 0,
    bytes: `
      00000000 0000
      02 07 6f7264657273 02
        00000002 006b                #   ErrorCode INELIGIBLE_REPLICA
        00000001 00000007 02 00000001
        00000009 00                  #   no LeaderRecoveryState before v1
      00 00`,
    value: {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [{ topicName: 'orders', partitions: [{ partitionIndex: 2, errorCode: ErrorCode.INELIGIBLE_REPLICA, leaderId: 1, leaderEpoch: 7, isr: [1], partitionEpoch: 9 }] }],
    },
  },
  // --- 59 FetchSnapshot (ClusterId and ReplicaDirectoryId are tagged)
  {
    codec: apiCodecsByKey(59),
    side: 'request',
    v: 1,
    bytes: `
      00000002 00100000              # ReplicaId 2, MaxBytes 1 MiB
      02 ${META} 02
        00000000 00000006            #   Partition 0, CurrentLeaderEpoch 6
        00000000000003e8 00000005 00 #   SnapshotId: EndOffset 1000, Epoch 5, no tags
        0000000000000000             #   Position 0
        01 00 10 ${U22}              #   tag 0: ReplicaDirectoryId (16 bytes)
      00
      01 00 04 ${ABC}                # tag 0: ClusterId "abc" (4 bytes)`,
    value: {
      clusterId: 'abc',
      replicaId: 2,
      maxBytes: 1048576,
      topics: [
        {
          name: '__cluster_metadata',
          partitions: [{ partition: 0, currentLeaderEpoch: 6, snapshotId: { endOffset: 1000n, epoch: 5 }, position: 0n, replicaDirectoryId: uuid(U22) }],
        },
      ],
    },
  },
  {
    codec: apiCodecsByKey(59),
    side: 'request',
    v: 0,
    bytes: `
      00000002 7fffffff              # ReplicaId 2, MaxBytes default
      02 ${META} 02
        00000000 00000006 00000000000003e8 00000005 00 0000000000000400 00
      00 00                          # no ClusterId: no tags`,
    value: {
      clusterId: null,
      replicaId: 2,
      maxBytes: 0x7fffffff,
      topics: [{ name: '__cluster_metadata', partitions: [{ partition: 0, currentLeaderEpoch: 6, snapshotId: { endOffset: 1000n, epoch: 5 }, position: 1024n }] }],
    },
  },
  {
    codec: apiCodecsByKey(59),
    side: 'response',
    v: 1,
    bytes: `
      00000000 0000
      02 ${META} 02
        00000000 0000                #   Index 0, ErrorCode 0
        00000000000003e8 00000005 00 #   SnapshotId
        000000000000000a             #   Size 10
        0000000000000000             #   Position 0
        05 01020304                  #   UnalignedRecords: 4 bytes
        01 00 09 00000001 00000006 00  # tag 0: CurrentLeader 1, epoch 6 (9 bytes)
      00
      ${NODE_ENDPOINTS_TAG}`,
    value: {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [
        {
          name: '__cluster_metadata',
          partitions: [
            {
              index: 0,
              errorCode: 0,
              snapshotId: { endOffset: 1000n, epoch: 5 },
              currentLeader: { leaderId: 1, leaderEpoch: 6 },
              size: 10n,
              position: 0n,
              unalignedRecords: Buffer.from('01020304', 'hex'),
            },
          ],
        },
      ],
      nodeEndpoints,
    },
  },
  {
    codec: apiCodecsByKey(59),
    side: 'response',
    v: 0,
    bytes: `
      00000000 0000
      02 ${META} 02
        00000000 0062                #   ErrorCode SNAPSHOT_NOT_FOUND
        00000000000003e8 00000005 00
        0000000000000000 0000000000000000
        01 00                        #   UnalignedRecords empty, no tags
      00 00`,
    value: {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [
        {
          name: '__cluster_metadata',
          partitions: [{ index: 0, errorCode: ErrorCode.SNAPSHOT_NOT_FOUND, snapshotId: { endOffset: 1000n, epoch: 5 }, size: 0n, position: 0n, unalignedRecords: Buffer.alloc(0) }],
        },
      ],
    },
  },
  // --- 62 BrokerRegistration
  {
    codec: apiCodecsByKey(62),
    side: 'request',
    v: 4,
    bytes: `
      00000001 ${ABC} ${TOPIC_ID}    # BrokerId 1, ClusterId "abc", IncarnationId
      02                             # Listeners: 1
        0a 504c41494e54455854        #   "PLAINTEXT"
        03 6831 2384 0000 00         #   "h1", Port 9092, SecurityProtocol 0, no tags
      02                             # Features: 1
        11 6d657461646174612e76657273696f6e  # "metadata.version"
        0001 001b 00                 #   MinSupportedVersion 1, MaxSupportedVersion 27
      00                             # Rack null
      00                             # IsMigratingZkBroker false
      02 ${U44}                      # LogDirs: 1
      0000000000000064               # PreviousBrokerEpoch 100
      00`,
    value: {
      brokerId: 1,
      clusterId: 'abc',
      incarnationId: uuid(TOPIC_ID),
      listeners: [{ name: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 0 }],
      features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 27 }],
      rack: null,
      isMigratingZkBroker: false,
      logDirs: [uuid(U44)],
      previousBrokerEpoch: 100n,
    },
  },
  {
    codec: apiCodecsByKey(62),
    side: 'request',
    v: 0,
    bytes: `
      00000001 ${ABC} ${TOPIC_ID}
      02 0a 504c41494e54455854 03 6831 2384 0000 00
      01                             # Features: none
      03 7231                        # Rack "r1"
      00`,
    value: {
      brokerId: 1,
      clusterId: 'abc',
      incarnationId: uuid(TOPIC_ID),
      listeners: [{ name: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 0 }],
      features: [],
      rack: 'r1',
    },
  },
  {
    codec: apiCodecsByKey(62),
    side: 'response',
    v: 4,
    bytes: '00000000 0000 0000000000000065 00', // BrokerEpoch 101
    value: { throttleTimeMs: 0, errorCode: 0, brokerEpoch: 101n },
  },
  {
    codec: apiCodecsByKey(62),
    side: 'response',
    v: 0,
    bytes: '00000000 0065 ffffffffffffffff 00', // DUPLICATE_BROKER_REGISTRATION, BrokerEpoch -1
    value: { throttleTimeMs: 0, errorCode: ErrorCode.DUPLICATE_BROKER_REGISTRATION, brokerEpoch: -1n },
  },
  // --- 63 BrokerHeartbeat (v1 adds the tagged OfflineLogDirs)
  {
    codec: apiCodecsByKey(63),
    side: 'request',
    v: 1,
    bytes: `
      00000001 0000000000000065      # BrokerId 1, BrokerEpoch 101
      00000000000001f4               # CurrentMetadataOffset 500
      00 00                          # WantFence, WantShutDown false
      01 00 11 02 ${U44}             # tag 0: OfflineLogDirs, 1 uuid (17 bytes)`,
    value: { brokerId: 1, brokerEpoch: 101n, currentMetadataOffset: 500n, wantFence: false, wantShutDown: false, offlineLogDirs: [uuid(U44)] },
  },
  {
    codec: apiCodecsByKey(63),
    side: 'request',
    v: 0,
    bytes: '00000001 0000000000000065 00000000000001f4 01 00 00',
    value: { brokerId: 1, brokerEpoch: 101n, currentMetadataOffset: 500n, wantFence: true, wantShutDown: false },
  },
  {
    codec: apiCodecsByKey(63),
    side: 'response',
    v: 1,
    bytes: '00000000 0000 01 00 00 00', // caught up, not fenced
    value: { throttleTimeMs: 0, errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: false },
  },
  {
    codec: apiCodecsByKey(63),
    side: 'response',
    v: 0,
    bytes: '00000000 004d 00 01 00 00', // STALE_BROKER_EPOCH, fenced
    value: { throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, isCaughtUp: false, isFenced: true, shouldShutDown: false },
  },
  // --- 67 AllocateProducerIds (one version)
  {
    codec: apiCodecsByKey(67),
    side: 'request',
    v: 0,
    bytes: '00000001 0000000000000065 00',
    value: { brokerId: 1, brokerEpoch: 101n },
  },
  {
    codec: apiCodecsByKey(67),
    side: 'response',
    v: 0,
    bytes: '00000000 0000 0000000000001388 000003e8 00', // block [5000, 6000)
    value: { throttleTimeMs: 0, errorCode: 0, producerIdStart: 5000n, producerIdLen: 1000 },
  },
  // --- KIP-890 (transactions v2) and KIP-516 (Produce by topic id): the newest client versions
  {
    codec: apiCodecsByKey(0),
    side: 'request',
    v: 13,
    bytes: `
      ${ABC}                   # TransactionalId "abc"
      ffff 00001388            # Acks -1, TimeoutMs 5000
      02 ${TOPIC_ID}           # TopicData: 1, TopicId (no name from v13)
        02 00000000 00 00      #   PartitionData: 1, Index 0, Records null, no tags
        00                     #   no tags
      00                       # no tags`,
    value: { transactionalId: 'abc', acks: -1, timeoutMs: 5000, topicData: [{ topicId: uuid(TOPIC_ID), partitionData: [{ index: 0, records: null }] }] },
  },
  {
    codec: apiCodecsByKey(0),
    side: 'response',
    v: 13,
    bytes: `
      02 ${TOPIC_ID}           # Responses: 1, TopicId
        02 00000000 0064       #   PartitionResponses: 1, Index 0, UNKNOWN_TOPIC_ID
        ffffffffffffffff ffffffffffffffff ffffffffffffffff # BaseOffset, LogAppendTimeMs, LogStartOffset -1
        01 00 00               #   RecordErrors: 0, ErrorMessage null, no tags
        00                     #   no tags
      00000000 00              # ThrottleTimeMs 0, no tags`,
    value: {
      responses: [{ topicId: uuid(TOPIC_ID), partitionResponses: [{ index: 0, errorCode: 100, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null }] }],
      throttleTimeMs: 0,
    },
  },
  {
    codec: apiCodecsByKey(24),
    side: 'request',
    v: 5,
    bytes: `
      02 ${ABC}                # Transactions: 1, TransactionalId "abc"
        0000000000001388 0002 01 # ProducerId 5000, ProducerEpoch 2, VerifyOnly
        02 ${ABC} 03 00000000 00000001 00 # Topics: 1, "abc", Partitions [0, 1], no tags
        00                     #   no tags
      00                       # no tags`,
    value: { transactions: [{ transactionalId: 'abc', producerId: 5000n, producerEpoch: 2, verifyOnly: true, topics: [{ name: 'abc', partitions: [0, 1] }] }] },
  },
  {
    codec: apiCodecsByKey(24),
    side: 'response',
    v: 5,
    bytes: `
      00000000 0000            # ThrottleTimeMs 0, ErrorCode 0
      02 ${ABC}                # ResultsByTransaction: 1, "abc"
        02 ${ABC}              #   TopicResults: 1, "abc"
          03 00000000 0000 00 00000001 0078 00 # partition 0 NONE, partition 1 TRANSACTION_ABORTABLE
          00                   #   no tags
        00                     #   no tags
      00                       # no tags`,
    value: {
      throttleTimeMs: 0,
      errorCode: 0,
      resultsByTransaction: [{ transactionalId: 'abc', topicResults: [{ name: 'abc', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }, { partitionIndex: 1, partitionErrorCode: 120 }] }] }],
    },
  },
  {
    codec: apiCodecsByKey(26),
    side: 'request',
    v: 5,
    bytes: `${ABC} 0000000000001388 0002 01 00`, // "abc", ProducerId 5000, ProducerEpoch 2, commit, no tags
    value: { transactionalId: 'abc', producerId: 5000n, producerEpoch: 2, committed: true },
  },
  {
    codec: apiCodecsByKey(26),
    side: 'response',
    v: 5,
    bytes: '00000000 0000 0000000000001388 0003 00', // the epoch bumped to 3 (KIP-890 part 2)
    value: { throttleTimeMs: 0, errorCode: 0, producerId: 5000n, producerEpoch: 3 },
  },
  // --- 2 ListOffsets v10 (issue 15): TimeoutMs at the end, a latest-tiered (-5) lookup
  {
    codec: apiCodecsByKey(2),
    side: 'request',
    v: 10,
    bytes: `
      ffffffff 00              # ReplicaId -1, IsolationLevel 0
      02 02 74                 # Topics: 1, Name "t"
        02                     #   Partitions: 1
          00000000 ffffffff    #     PartitionIndex 0, CurrentLeaderEpoch -1
          fffffffffffffffb 00  #     Timestamp -5, no tags
        00                     #   no tags
      000003e8 00              # TimeoutMs 1000, no tags`,
    value: { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -5n }] }], timeoutMs: 1000 },
  },
  // --- 71 GetTelemetrySubscriptions (KIP-714)
  {
    codec: apiCodecsByKey(71),
    side: 'request',
    v: 0,
    bytes: `${U11} 00`,
    value: { clientInstanceId: uuid(U11) },
  },
  {
    codec: apiCodecsByKey(71),
    side: 'response',
    v: 0,
    bytes: `
      00000000 0000 ${U11}     # ThrottleTimeMs, ErrorCode, ClientInstanceId
      0000002a                 # SubscriptionId 42
      05 04030102              # AcceptedCompressionTypes zstd, lz4, gzip, snappy
      000493e0 00100000 01     # PushIntervalMs 300000, TelemetryMaxBytes 1 MiB, DeltaTemporality
      02 03 612e               # RequestedMetrics ["a."]
      00                       # no tags`,
    value: {
      throttleTimeMs: 0,
      errorCode: 0,
      clientInstanceId: uuid(U11),
      subscriptionId: 42,
      acceptedCompressionTypes: [4, 3, 1, 2],
      pushIntervalMs: 300000,
      telemetryMaxBytes: 1048576,
      deltaTemporality: true,
      requestedMetrics: ['a.'],
    },
  },
  // --- 72 PushTelemetry (KIP-714)
  {
    codec: apiCodecsByKey(72),
    side: 'request',
    v: 0,
    bytes: `${U11} 0000002a 01 04 03 0a00 00`, // id, SubscriptionId 42, Terminating, zstd, Metrics 2 bytes, no tags
    value: { clientInstanceId: uuid(U11), subscriptionId: 42, terminating: true, compressionType: 4, metrics: Buffer.from('0a00', 'hex') },
  },
  {
    codec: apiCodecsByKey(72),
    side: 'response',
    v: 0,
    bytes: '00000000 0075 00', // UNKNOWN_SUBSCRIPTION_ID
    value: { throttleTimeMs: 0, errorCode: 117 },
  },
  // --- 74 ListConfigResources v1 (KIP-1142): types asked, and the type in each answer
  {
    codec: apiCodecsByKey(74),
    side: 'request',
    v: 1,
    bytes: '03 1002 00', // ResourceTypes [16, 2], no tags
    value: { resourceTypes: [16, 2] },
  },
  {
    codec: apiCodecsByKey(74),
    side: 'response',
    v: 1,
    bytes: '00000000 0000 02 02 73 10 00 00', // one resource: "s", CLIENT_METRICS (16)
    value: { throttleTimeMs: 0, errorCode: 0, configResources: [{ resourceName: 's', resourceType: 16 }] },
  },
  // --- 75 DescribeTopicPartitions (KIP-966), with a cursor each way
  {
    codec: apiCodecsByKey(75),
    side: 'request',
    v: 0,
    bytes: `
      02 02 74 00              # Topics: 1, Name "t", no tags
      000007d0                 # ResponsePartitionLimit 2000
      01 02 74 00000001 00     # Cursor present: "t", partition 1, no tags
      00                       # no tags`,
    value: { topics: [{ name: 't' }], responsePartitionLimit: 2000, cursor: { topicName: 't', partitionIndex: 1 } },
  },
  {
    codec: apiCodecsByKey(75),
    side: 'response',
    v: 0,
    bytes: `
      00000000                 # ThrottleTimeMs
      02 0000 02 74 ${U11} 00  # Topics: 1, ErrorCode, Name "t", TopicId, IsInternal false
        02                     #   Partitions: 1
          0000 00000001        #     ErrorCode, PartitionIndex 1
          00000001 00000005    #     LeaderId 1, LeaderEpoch 5
          02 00000001          #     ReplicaNodes [1]
          02 00000001          #     IsrNodes [1]
          00 00 01 00          #     EligibleLeaderReplicas null, LastKnownElr null, OfflineReplicas [], no tags
        80000000 00            #   TopicAuthorizedOperations (not asked), no tags
      01 02 74 00000002 00     # NextCursor present: "t", partition 2, no tags
      00                       # no tags`,
    value: {
      throttleTimeMs: 0,
      topics: [
        {
          errorCode: 0,
          name: 't',
          topicId: uuid(U11),
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 1, leaderId: 1, leaderEpoch: 5, replicaNodes: [1], isrNodes: [1], eligibleLeaderReplicas: null, lastKnownElr: null, offlineReplicas: [] }],
          topicAuthorizedOperations: -2147483648,
        },
      ],
      nextCursor: { topicName: 't', partitionIndex: 2 },
    },
  },
];

for (const f of HAND_FRAMES) {
  t.test(`${f.codec.name} v${f.v} ${f.side}, by hand`, async (t) => {
    const api = def(f.codec.apiKey);
    const value = withDefaults((f.side === 'request' ? api.request : api.response).root, f.value);
    const bytes = hex(f.bytes);
    const r = new Reader(bytes);
    const decoded = f.side === 'request' ? f.codec.decodeRequest(r, f.v) : f.codec.decodeResponse(r, f.v);
    t.equal(r.error, null, 'decodes');
    t.equal(r.remaining, 0, 'fully read');
    t.same(decoded, value, 'decodes to the value');
    const w = new Writer();
    if (f.side === 'request') f.codec.encodeRequest(w, f.v, value);
    else f.codec.encodeResponse(w, f.v, value);
    t.equal(Buffer.from(w.finish()).toString('hex'), bytes.toString('hex'), 'encodes to the hand-derived bytes');
  });
}

t.test('every KRaft inter-broker API has hand-derived frames at its newest version', async (t) => {
  for (const key of [52, 53, 54, 56, 59, 62, 63, 67]) {
    const hi = def(key).versions.hi;
    for (const side of ['request', 'response'] as const) {
      t.ok(
        HAND_FRAMES.some((f) => f.codec.apiKey === key && f.side === side && f.v === hi),
        `${def(key).name} v${hi} ${side}`,
      );
    }
  }
});
