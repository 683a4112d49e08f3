/**
 * One kafkajs 2.2.4 group consumer as its own process, for the group tests that kill consumers.
 * Configuration is one JSON argument (WorkerConfig). It prints one JSON object per line:
 *   {"ev":"join","memberId","leaderId","isLeader","assignment":[partitions of the topic]}  after each join + sync
 *   {"ev":"m","p":partition,"o":offset,"v":value as UTF-8}                                  each message, in order
 *   {"ev":"commit","gen":generation,"offsets":[[partition, committed offset]]}              each OffsetCommit that succeeded
 *   {"ev":"crash","error","restart"} and {"ev":"stopped"} (after SIGTERM: disconnect, which leaves the group)
 * Offsets are committed by kafkajs after every batch (autoCommit, no interval or threshold), so
 * once a "commit" covers a message it will not be delivered again to the group.
 * kafkajs logs (warn and above) go to stderr.
 */
import { Kafka, logLevel, type LogEntry } from 'kafkajs';

export interface WorkerConfig {
  bootstrap: string;
  groupId: string;
  topic: string;
  clientId?: string;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  maxWaitTimeInMs?: number;
  fromBeginning?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const out = (o: object): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};

const logCreator =
  () =>
  ({ namespace, level, label, log }: LogEntry): void => {
    if (level > logLevel.WARN) return;
    const { message, ...rest } = log;
    process.stderr.write(`${new Date().toISOString()} ${label} [${namespace}] ${message} ${JSON.stringify(rest)}\n`);
  };

const kafka = new Kafka({
  clientId: cfg.clientId ?? 'kjs-group-worker',
  brokers: [cfg.bootstrap],
  logLevel: logLevel.WARN,
  logCreator,
  retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
});
const consumer = kafka.consumer({
  groupId: cfg.groupId,
  sessionTimeout: cfg.sessionTimeout ?? 10000,
  heartbeatInterval: cfg.heartbeatInterval ?? 500,
  rebalanceTimeout: cfg.rebalanceTimeout ?? 20000,
  maxWaitTimeInMs: cfg.maxWaitTimeInMs ?? 200,
});

consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const p = e.payload;
  out({ ev: 'join', memberId: p.memberId, leaderId: p.leaderId, isLeader: p.isLeader, assignment: [...(p.memberAssignment[cfg.topic] ?? [])].sort((a, b) => a - b) });
});
consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
  const p = e.payload;
  out({ ev: 'commit', gen: p.groupGenerationId, offsets: p.topics.flatMap((t) => t.partitions.map((x) => [Number(x.partition), Number(x.offset)])) });
});
consumer.on(consumer.events.CRASH, (e) => {
  out({ ev: 'crash', error: String(e.payload.error), restart: e.payload.restart });
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  consumer.disconnect().then(
    () => {
      out({ ev: 'stopped' });
      process.exit(0);
    },
    (err: unknown) => {
      out({ ev: 'stop-error', error: String(err) });
      process.exit(1);
    },
  );
});

await consumer.connect();
await consumer.subscribe({ topic: cfg.topic, fromBeginning: cfg.fromBeginning ?? true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    out({ ev: 'm', p: partition, o: Number(message.offset), v: message.value === null ? null : message.value.toString('utf8') });
  },
});
out({ ev: 'running' });
