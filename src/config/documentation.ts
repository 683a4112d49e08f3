/**
 * What DescribeConfigs v3+ returns as `documentation` when a client asks (include_documentation):
 * one sentence per config in Sluice's own words, saying what it does here (Kafka sends its own
 * text; clients show it, none parses it). A broker property that sets a topic config's default is
 * described through that topic config. src/api/configs.test.ts checks every config has one.
 */
import { brokerConfigDefs, topicConfigDefs } from './definitions.js';

const TOPIC_DOCS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'How old log segments go: "delete" removes them by retention time and size, "compact" keeps the latest record per key; both may be given.',
  'compression.type': 'Codec batches are stored with: "producer" keeps what the producer sent; Sluice stores batches as they arrive.',
  'delete.retention.ms': 'How long a tombstone (a record with a null value) stays readable on a compacted topic after compaction reached it.',
  'file.delete.delay.ms': 'Delay before a segment that retention removed is deleted from disk.',
  'flush.messages': 'Records appended to a partition between two fsyncs of its log.',
  'flush.ms': 'Longest time appended records may wait for an fsync of the log.',
  'follower.replication.throttled.replicas': 'Replicas whose follower replication is throttled: "*" or partition:broker pairs. Stored and shown; one node has no followers.',
  'index.interval.bytes': 'Bytes of log between two entries of the offset and time indexes.',
  'internal.segment.bytes': 'Segment size in bytes below segment.bytes\' 1 MiB minimum, for tests; overrides segment.bytes when set.',
  'leader.replication.throttled.replicas': 'Replicas whose leader-side replication is throttled: "*" or partition:broker pairs. Stored and shown; one node has no followers.',
  'max.compaction.lag.ms': 'Longest time a record may stay uncompacted on a compacted topic.',
  'max.message.bytes': 'Largest record batch a producer may send to this topic, in bytes.',
  'message.timestamp.after.max.ms': 'How far in the future (ms from now) a record\'s CreateTime may be; later records are refused with INVALID_TIMESTAMP.',
  'message.timestamp.before.max.ms': 'How far in the past (ms before now) a record\'s CreateTime may be; older records are refused with INVALID_TIMESTAMP.',
  'message.timestamp.type': 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps each batch with the broker\'s time on append.',
  'min.cleanable.dirty.ratio': 'Share of a compacted log not yet compacted at which the cleaner compacts it.',
  'min.compaction.lag.ms': 'Shortest time a record stays uncompacted on a compacted topic.',
  'min.insync.replicas': 'Replicas that must hold a record before an acks=all produce succeeds; above 1 a single node answers NOT_ENOUGH_REPLICAS.',
  preallocate: 'Whether a new segment file is allocated at its full size when created.',
  'retention.bytes': 'Largest size of a partition\'s log before its oldest segments are deleted; -1 for no limit.',
  'retention.ms': 'How long a segment is kept after its newest record before it is deleted; -1 to keep everything.',
  'segment.bytes': 'Size in bytes at which a partition\'s active segment is rolled; at least 1 MiB (KIP-1030).',
  'segment.index.bytes': 'Size in bytes of the offset and time index files of a segment.',
  'segment.jitter.ms': 'Random time taken off segment.ms per segment so that partitions do not roll together.',
  'segment.ms': 'Time after which the active segment is rolled even when not full.',
  'unclean.leader.election.enable': 'Whether a replica outside the ISR may become leader; a single node is always its own ISR.',
};

const BROKER_DOCS: Readonly<Record<string, string>> = {
  'node.id': 'This node\'s id in the cluster, as in meta.properties.',
  'process.roles': 'The roles this node runs: broker, controller, or both in one process (the default).',
  listeners: 'Where the node listens: comma-separated NAME://host:port entries, the controller listener included on a controller.',
  'advertised.listeners': 'The addresses clients are told to connect to, when they differ from listeners.',
  'log.dirs': 'The data directory (Sluice uses the first): metadata log, partition logs and meta.properties.',
  'log.dir': 'The data directory when log.dirs is not set.',
  'num.partitions': 'Partitions of a topic created without a count (CreateTopics with -1, or auto-creation).',
  'default.replication.factor': 'Replication factor of a topic created without one; a single node has one replica.',
  'auto.create.topics.enable': 'Whether a Metadata request for a missing topic creates it.',
  'delete.topic.enable': 'Whether DeleteTopics may delete topics.',
  'socket.request.max.bytes': 'Largest request frame accepted, in bytes; a larger one closes the connection.',
  'max.connections': 'Open client connections at most; past it the least recently active connection gives way. A change at run time is stored and shown; the value at start applies.',
  'max.connections.per.ip': 'Open connections at most from one address. A change at run time is stored and shown; the value at start applies.',
  'max.connections.per.ip.overrides': 'Per-address exceptions to max.connections.per.ip, as host:count pairs. A change at run time is stored and shown; the value at start applies.',
  'connections.max.idle.ms': 'Time after which an idle connection is closed; negative never closes one.',
  'queued.max.request.bytes': 'Bytes of requests being read or handled at once across connections; reading pauses past it.',
  'log.retention.minutes': 'Retention time in minutes, used when log.retention.ms is not set.',
  'log.retention.hours': 'Retention time in hours, used when log.retention.ms and log.retention.minutes are not set.',
  'log.roll.hours': 'Segment roll time in hours, used when log.roll.ms is not set.',
  'log.flush.scheduler.interval.ms': 'How often the broker checks whether a log is due for an fsync by time.',
  'log.cleaner.backoff.ms': 'Pause between two passes of the log cleaner; a change at run time applies from the next pass.',
  'group.initial.rebalance.delay.ms': 'Wait for more members before the first rebalance of an empty group.',
  'group.min.session.timeout.ms': 'Smallest session timeout a group member may ask for.',
  'group.max.session.timeout.ms': 'Largest session timeout a group member may ask for.',
  'group.max.size': 'Members a group may have at most.',
  'offsets.topic.num.partitions': 'Partitions of __consumer_offsets, fixed when it is created.',
  'offsets.topic.segment.bytes': 'Segment size of __consumer_offsets.',
  'offsets.retention.minutes': 'How long the committed offsets of an empty group are kept.',
  'offsets.retention.check.interval.ms': 'How often expired committed offsets are looked for.',
  'offset.metadata.max.bytes': 'Largest metadata string stored with a committed offset.',
  'offsets.commit.timeout.ms': 'How long an offset commit waits for every in-sync replica of its __consumer_offsets partition.',
  'request.timeout.ms': 'How long a transaction coordinator write and a transaction marker wait for their in-sync replicas.',
  'transaction.state.log.num.partitions': 'Partitions of __transaction_state, fixed when it is created.',
  'transaction.state.log.segment.bytes': 'Segment size of __transaction_state.',
  'transaction.max.timeout.ms': 'Largest transaction timeout a producer may ask for.',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 'How often transactions past their timeout are looked for and aborted.',
  'transactional.id.expiration.ms': 'How long an idle transactional id is kept.',
  'transaction.remove.expired.transaction.cleanup.interval.ms': 'How often expired transactional ids are removed.',
  'log.retention.check.interval.ms': 'How often logs are checked for segments that retention removes.',
  'producer.id.expiration.ms': 'How long an idle producer\'s state is kept per partition; a change at run time applies at the next check.',
  'producer.id.expiration.check.interval.ms': 'How often idle producers are looked for.',
  'background.threads': 'Threads for background work in Kafka. Accepted and shown; Sluice has no such pool.',
  'num.io.threads': 'Threads that handle requests in Kafka. Accepted and shown; Sluice handles requests on its event loop.',
  'num.network.threads': 'Threads that read and write sockets in Kafka. Accepted and shown; Sluice has no such pool.',
  'num.replica.fetchers': 'Fetcher threads per source broker in Kafka. Accepted and shown; a single node fetches from no one.',
  'num.recovery.threads.per.data.dir': 'Threads recovering logs at start in Kafka. Accepted and shown; Sluice recovers on one thread.',
  'log.cleaner.threads': 'Log cleaner threads in Kafka. Accepted and shown; Sluice compacts on its event loop.',
  'log.cleaner.dedupe.buffer.size': 'Memory of Kafka\'s cleaner for its key map. Accepted and shown; not used by Sluice.',
  'log.cleaner.io.buffer.size': 'I/O buffer of Kafka\'s cleaner. Accepted and shown; not used by Sluice.',
  'log.cleaner.io.buffer.load.factor': 'Load factor of Kafka\'s cleaner key map. Accepted and shown; not used by Sluice.',
  'log.cleaner.io.max.bytes.per.second': 'I/O rate limit of Kafka\'s cleaner. Accepted and shown; not used by Sluice.',
  'max.connection.creation.rate': 'New connections per second at most in Kafka. Accepted and shown; not enforced by Sluice.',
  'metric.reporters': 'Classes Kafka loads to report metrics. Accepted and shown; Sluice serves /metrics instead.',
  'transaction.partition.verification.enable': 'Whether partitions are verified to be in the transaction before transactional writes (KIP-890). Accepted and shown; Sluice always verifies.',
  'controller.quorum.voters': 'The controllers of the cluster as id@host:port; unset with the bootstrap servers unset too, a combined node is its own only controller.',
  'controller.quorum.bootstrap.servers': 'host:port of controllers to ask for the quorum when controller.quorum.voters is not set (KIP-853).',
  'controller.listener.names': 'Names of the controllers\' listeners: a controller listens on them, a broker connects to the first.',
  'inter.broker.listener.name': 'The listener brokers connect to each other on; by default the one named after security.inter.broker.protocol.',
  'security.inter.broker.protocol': 'Protocol between brokers when inter.broker.listener.name is not set; names the listener they use.',
  'listener.security.protocol.map': 'Security protocol of each listener name; a KRaft node maps its controller listeners to PLAINTEXT unless told otherwise.',
  'controller.quorum.election.timeout.ms': 'Time without a leader after which a voter starts an election.',
  'controller.quorum.fetch.timeout.ms': 'Time without a successful fetch from the leader after which a voter starts an election.',
  'controller.quorum.election.backoff.max.ms': 'Longest wait before a voter starts another election.',
  'controller.quorum.request.timeout.ms': 'Time a request to another controller may take before it is retried.',
  'controller.quorum.retry.backoff.ms': 'Wait before a failed request to another controller is retried.',
  'controller.quorum.append.linger.ms': 'How long the active controller gathers records before it writes them to the metadata log.',
  'broker.session.timeout.ms': 'A broker without a heartbeat for this long is fenced and loses its leaderships.',
  'broker.heartbeat.interval.ms': 'Time between a broker\'s heartbeats to the active controller.',
  'initial.broker.registration.timeout.ms': 'How long a starting broker tries to register with the controller before it gives up.',
  'metadata.max.idle.interval.ms': 'The active controller writes a no-op record this often so that brokers see the metadata log advance.',
  'replica.lag.time.max.ms': 'A follower that has not caught up with the leader for this long leaves the ISR.',
  'replica.fetch.wait.max.ms': 'Longest time a follower\'s fetch waits at the leader for new data.',
  'replica.fetch.min.bytes': 'Bytes a follower\'s fetch waits for at the leader before it is answered.',
  'replica.fetch.max.bytes': 'Bytes a follower fetches per partition at most (a larger first batch still comes whole).',
  'replica.fetch.response.max.bytes': 'Bytes a follower\'s fetch response carries at most.',
  'replica.fetch.backoff.ms': 'Wait before a follower fetches again after an error.',
  'replica.socket.timeout.ms': 'Time a follower\'s fetch may take before the follower gives up on it; at least replica.fetch.wait.max.ms.',
  'replica.high.watermark.checkpoint.interval.ms': 'How often each partition\'s high watermark is written to disk.',
  'auto.leader.rebalance.enable': 'Whether leaderships move back to the preferred replicas on their own.',
  'leader.imbalance.check.interval.seconds': 'How often the controller checks whether leaderships should move back to preferred replicas.',
  'controlled.shutdown.enable': 'Whether a stopping broker first moves its leaderships away.',
  'offsets.topic.replication.factor': 'Replication factor of __consumer_offsets, capped at the number of brokers when it is created.',
  'transaction.state.log.replication.factor': 'Replication factor of __transaction_state, capped at the number of brokers when it is created.',
  'transaction.state.log.min.isr': 'min.insync.replicas of __transaction_state.',
  'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer checks every request against the ACLs kept in the metadata log; empty, nothing is checked.',
  'super.users': 'Principals allowed everything whatever the ACLs say, separated by semicolons (User:admin;User:broker).',
  'allow.everyone.if.no.acl.found': 'Whether a resource without any ACL is open to everyone (true) or to super users only (false).',
};

const byTopicSynonym = new Map(topicConfigDefs.flatMap((d) => d.synonyms.map((s) => [s.name, d.name] as const)));

/** The documentation of a topic config. */
export function topicConfigDoc(name: string): string | null {
  return TOPIC_DOCS[name] ?? null;
}

/** The documentation of a broker config; a topic config's broker property says whose default it is. */
export function brokerConfigDoc(name: string): string | null {
  const own = BROKER_DOCS[name];
  if (own !== undefined) return own;
  const topic = byTopicSynonym.get(name);
  return topic === undefined ? null : `Default of topic config ${topic}: ${TOPIC_DOCS[topic] ?? ''}`.trimEnd();
}

/** Configs without documentation (a test keeps this empty). */
export function undocumentedConfigs(): string[] {
  return [...topicConfigDefs.filter((d) => topicConfigDoc(d.name) === null), ...brokerConfigDefs.filter((d) => brokerConfigDoc(d.name) === null)].map((d) => d.name);
}
