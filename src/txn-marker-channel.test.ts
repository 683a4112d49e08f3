/**
 * The marker channel's retry rules, with the writes stood in for: a marker is written until its
 * partition answers NONE; an error (UNKNOWN_TOPIC_OR_PARTITION included: a leader whose metadata
 * lags) is tried again; a partition gone from this broker's metadata is dropped; a fence ends the
 * job; a job no longer current stops.
 */
import t from 'tap';
import { silentLogger } from './logger.js';
import type { MetadataImage } from './metadata/image.js';
import { ErrorCode } from './protocol/errors.js';
import type { MarkerJob, TopicPartition } from './txn/coordinator.js';
import { TxnMarkerChannel } from './txn-marker-channel.js';

const NODE = 1;

function imageOf(topics: Record<string, number[]>): MetadataImage {
  const byName = new Map(Object.entries(topics).map(([name, leaders]) => [name, { name, partitions: leaders.map((leader) => ({ leader })) }]));
  return { topicsByName: byName } as unknown as MetadataImage;
}

/** The channel's retry timers do not hold the process open (a broker's sockets do): here, this does. */
async function settled(p: Promise<void> | null): Promise<void> {
  const alive = setInterval(() => {}, 1000);
  try {
    await p;
  } finally {
    clearInterval(alive);
  }
}

function job(partitions: TopicPartition[], current: () => boolean = () => true): MarkerJob {
  return { producerId: 7n, producerEpoch: 0, commit: true, coordinatorEpoch: 3, partitions, current };
}

t.test('all local and written at once: no wait', async (t) => {
  const written: string[] = [];
  const ch = new TxnMarkerChannel({ nodeId: NODE, image: imageOf({ a: [NODE, NODE] }), writeLocal: (tp) => (written.push(`${tp.topic}-${tp.partition}`), ErrorCode.NONE), clientFor: () => null, retryBackoffMs: 1, log: silentLogger });
  t.equal(ch.write(job([{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }])), null);
  t.same(written, ['a-0', 'a-1']);
});

t.test('errors are tried again, UNKNOWN_TOPIC_OR_PARTITION too, until NONE', async (t) => {
  const answers = [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NONE];
  let calls = 0;
  const ch = new TxnMarkerChannel({ nodeId: NODE, image: imageOf({ a: [NODE] }), writeLocal: () => answers[calls++]!, clientFor: () => null, retryBackoffMs: 1, log: silentLogger });
  await settled(ch.write(job([{ topic: 'a', partition: 0 }])));
  t.equal(calls, 3, 'three attempts');
});

t.test('a partition gone from the metadata is dropped; a leader unknown or unreachable is waited for', async (t) => {
  const image = imageOf({ a: [-1], b: [2] });
  const writes: number[] = [];
  const ch = new TxnMarkerChannel({ nodeId: NODE, image, writeLocal: () => (writes.push(1), ErrorCode.NONE), clientFor: () => null, retryBackoffMs: 1, log: silentLogger });
  const done = ch.write(job([{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }, { topic: 'gone', partition: 0 }]))!;
  await settled(new Promise((r) => setTimeout(r, 20)));
  // The leaderless partition gets this broker as leader; broker 2 (no address) leaves with its topic.
  (image.topicsByName.get('a')!.partitions[0] as { leader: number }).leader = NODE;
  image.topicsByName.delete('b');
  await settled(done);
  t.same(writes, [1], 'written once a leader was known; the deleted ones dropped');
});

t.test('a fence ends the job; a job no longer current stops', async (t) => {
  let calls = 0;
  const fenced = new TxnMarkerChannel({ nodeId: NODE, image: imageOf({ a: [NODE] }), writeLocal: () => (calls++, ErrorCode.TRANSACTION_COORDINATOR_FENCED), clientFor: () => null, retryBackoffMs: 1, log: silentLogger });
  t.equal(fenced.write(job([{ topic: 'a', partition: 0 }])), null, 'over at once');
  t.equal(calls, 1);
  let current = true;
  let tries = 0;
  const stopping = new TxnMarkerChannel({ nodeId: NODE, image: imageOf({ a: [NODE] }), writeLocal: () => (++tries === 3 && (current = false), ErrorCode.NOT_LEADER_OR_FOLLOWER), clientFor: () => null, retryBackoffMs: 1, log: silentLogger });
  await settled(stopping.write(job([{ topic: 'a', partition: 0 }], () => current)));
  t.equal(tries, 3, 'no attempt after the job stopped being current');
});
