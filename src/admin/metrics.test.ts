import t from 'tap';
import { newSession } from '../auth/session.js';
import { Observer } from '../control/observer.js';
import { TopicTraffic } from '../control/request-metrics.js';
import { FetchSessionCache } from '../replica/fetch-session.js';
import { groupLags, renderMetrics, type MetricsSource } from './metrics.js';

function partition(topic: string, index: number, o: { leader?: boolean; isr?: number[]; replicas?: number[]; hw?: bigint; offline?: boolean } = {}) {
  return {
    topic,
    index,
    isLeader: o.leader ?? true,
    isr: o.isr ?? [1],
    replicas: o.replicas ?? [1],
    logStartOffset: 0n,
    logEndOffset: o.hw ?? 0n,
    highWatermark: o.hw ?? 0n,
    segmentCount: 1,
    sizeBytes: () => {
      if (o.offline) throw new Error('offline');
      return 100;
    },
  };
}

function source(parts: ReturnType<typeof partition>[], offsets: Record<string, Array<{ topic: string; partition: number; offset: bigint }>>, leaders: Record<string, number[]>): MetricsSource {
  const observer = new Observer();
  return {
    observer,
    replicas: {
      allPartitions: () => parts[Symbol.iterator](),
      getPartition: (topic: string, i: number) => parts.find((p) => p.topic === topic && p.index === i),
      fetchSessions: new FetchSessionCache(1000),
    },
    image: { topicsByName: new Map(Object.entries(leaders).map(([name, ls]) => [name, { name, partitions: ls.map((leader) => ({ leader })) }])) },
    groups: {
      list: () => Object.keys(offsets).map((groupId) => ({ groupId, protocolType: 'consumer', state: 'Empty' })),
      fetchOffsets: (groupId: string) => offsets[groupId]!.map((o) => ({ name: o.topic, partitions: [{ partition: o.partition, offset: o.offset, leaderEpoch: -1, metadata: '', errorCode: 0 }] })),
    },
  } as unknown as MetricsSource;
}

t.test('under-replicated, offline and per-partition gauges', async (t) => {
  const src = source([partition('a', 0, { isr: [1], replicas: [1, 2] }), partition('a', 1, { leader: false, isr: [2], replicas: [1, 2] }), partition('b', 0, { offline: true })], {}, { a: [1, 2], b: [1], c: [-1, -1] });
  const text = renderMetrics(src);
  t.match(text, /^kafka_server_replicamanager_underreplicatedpartitions 1$/m, 'only a partition led here counts');
  t.match(text, /^kafka_server_replicamanager_partitioncount 3$/m);
  t.match(text, /^kafka_server_replicamanager_leadercount 2$/m);
  t.match(text, /^kafka_controller_kafkacontroller_offlinepartitionscount 2$/m, 'the two leaderless partitions of c');
  t.match(text, /^kafka_log_log_size\{topic="b",partition="0"\} -1$/m, 'an offline log shows -1');
  t.match(text, /^# TYPE kafka_network_requestmetrics_totaltimems summary$/m);
  t.ok(text.endsWith('\n'));
});

t.test('group lag: high watermark less the committed offset, never below 0; label values escaped', async (t) => {
  const parts = [partition('t', 0, { hw: 10n }), partition('t', 1, { hw: 3n }), partition('f', 0, { leader: false, hw: 9n })];
  const odd = 'g"\\\nx';
  const src = source(parts, { g1: [{ topic: 't', partition: 0, offset: 4n }, { topic: 't', partition: 1, offset: 5n }, { topic: 'f', partition: 0, offset: 1n }, { topic: 'gone', partition: 0, offset: 1n }], [odd]: [{ topic: 't', partition: 0, offset: 0n }] }, { t: [1, 1] });
  t.same(groupLags(src.groups, src.replicas).map((l) => [l.group, l.topic, l.partition, l.lag]), [
    ['g1', 't', 0, 6],
    ['g1', 't', 1, 0],
    ['g1', 'f', 0, 8],
    [odd, 't', 0, 10],
  ], "a follower's partition counts with its high watermark; a partition not held here is left out");
  const text = renderMetrics(src);
  t.match(text, /^kafka_consumergroup_lag\{consumergroup="g1",topic="t",partition="0"\} 6$/m);
  t.ok(text.includes('kafka_consumergroup_lag{consumergroup="g\\"\\\\\\nx",topic="t",partition="0"} 10'), 'quote, backslash and line feed escaped');
});

t.test('topic counters: a total without labels, then each existing topic', async (t) => {
  const src = source([], {}, { kept: [1] });
  src.observer.metrics.topics.set('kept', Object.assign(new TopicTraffic(), { messagesIn: 3, bytesIn: 30 }));
  src.observer.metrics.topics.set('deleted', Object.assign(new TopicTraffic(), { messagesIn: 2, bytesIn: 20 }));
  src.observer.metrics.all.messagesIn = 5;
  const text = renderMetrics(src);
  t.match(text, /^kafka_server_brokertopicmetrics_messagesin_total 5$/m);
  t.match(text, /^kafka_server_brokertopicmetrics_messagesin_total\{topic="kept"\} 3$/m);
  t.notMatch(text, /topic="deleted"/, 'a deleted topic is not shown');
});

t.test('connections by listener and by the software they named', async (t) => {
  const src = source([], {}, {});
  const named = (name: string | null, version: string | null) => {
    const s = newSession('PLAINTEXT', 'PLAINTEXT', '127.0.0.1');
    s.clientSoftwareName = name;
    s.clientSoftwareVersion = version;
    return s;
  };
  src.observer.connectionOpened('PLAINTEXT', 'a', named('librdkafka', '2.0.2'));
  src.observer.connectionOpened('PLAINTEXT', 'b', named('librdkafka', '2.0.2'));
  src.observer.connectionOpened('PLAINTEXT', 'c', named(null, null));
  src.observer.connectionOpened('CONTROLLER', 'd', named('apache-kafka-java', '4.1.1'));
  const text = renderMetrics(src);
  t.match(text, /^kafka_server_socket_server_metrics_connection_count\{listener="PLAINTEXT"\} 3$/m);
  t.match(text, /^kafka_server_socket_server_metrics_connection_count\{listener="CONTROLLER"\} 1$/m);
  t.match(text, /^kafka_server_socket_server_metrics_connections_software\{clientsoftwarename="librdkafka",clientsoftwareversion="2.0.2",listener="PLAINTEXT"\} 2$/m);
  t.match(text, /^kafka_server_socket_server_metrics_connections_software\{clientsoftwarename="apache-kafka-java",clientsoftwareversion="4.1.1",listener="CONTROLLER"\} 1$/m);
  t.notMatch(text, /clientsoftwarename=""/, 'a connection that named no software is not counted under one');
});
