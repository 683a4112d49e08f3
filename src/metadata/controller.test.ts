/**
 * The controller as a multi-broker state machine (issue 12): registration, heartbeats, fencing,
 * controlled shutdown, AlterPartition, replica placement and leader election, each rule checked
 * against Kafka's (ClusterControlManager, BrokerHeartbeatManager, ReplicationControlManager,
 * PartitionChangeBuilder, StripedReplicaPlacer), with an in-memory metadata log whose replay must
 * rebuild the same image.
 */
import t from 'tap';
import { MemoryFileIO } from '../log/file-io.js';
import { LogStorageError } from '../log/partition-log.js';
import { ErrorCode } from '../protocol/errors.js';
import type { AlterPartitionRequest, BrokerHeartbeatRequest, BrokerRegistrationRequest } from '../protocol/generated/index.js';
import { Controller, ElectionType, type ControllerOptions, type CreateTopicSpec, type MetadataLogWriter } from './controller.js';
import { MetadataImage, type PartitionState } from './image.js';
import { METADATA_FEATURES, MetadataLog } from './metadata-log.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.js';
import { placeReplicas, type RandomInt } from './replica-placer.js';
import { supportedFeatures } from './broker-lifecycle.js';

const CLUSTER_ID = 'MkU3OEVBNTcwNTJENDM2Qk';
const CONTROLLER_ID = 100;

/** A metadata log in memory: every batch goes through the record codec, as on disk. */
class MemoryMetadataLog implements MetadataLogWriter {
  readonly batches: Array<Array<{ key: Buffer; value: Buffer }>> = [];
  logEndOffset = 0n;
  failNext = false;
  append(records: readonly MetadataRecord[]): void {
    if (this.failNext) {
      this.failNext = false;
      throw new LogStorageError('injected');
    }
    this.batches.push(records.map(encodeMetadataRecord));
    this.logEndOffset += BigInt(records.length);
  }
  replay(image: MetadataImage): void {
    let offset = 0n;
    for (const batch of this.batches) for (const r of batch) image.apply(decodeMetadataRecord(r.key, r.value), offset++);
  }
  records(): MetadataRecord[] {
    return this.batches.flat().map((r) => decodeMetadataRecord(r.key, r.value));
  }
}

interface Cluster {
  log: MemoryMetadataLog;
  image: MetadataImage;
  c: Controller;
  epochs: Map<number, bigint>;
}

/** A controller-only node (id 100) with the features recorded at format time. */
function controller(options: ControllerOptions = {}): Cluster {
  const log = new MemoryMetadataLog();
  const image = new MetadataImage();
  const c = new Controller(image, log, CONTROLLER_ID, { numPartitions: 1, replicationFactor: 1 }, { clusterId: CLUSTER_ID, implicitLocalBroker: false, ...options });
  c.bootstrap(METADATA_FEATURES);
  return { log, image, c, epochs: new Map() };
}

function uuid(a: number, b: number): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeUInt32BE(a, 0);
  buf.writeUInt32BE(b + 1000, 12);
  return buf;
}

function registration(brokerId: number, incarnation = 0, extra: Partial<BrokerRegistrationRequest> = {}): BrokerRegistrationRequest {
  return {
    brokerId,
    clusterId: CLUSTER_ID,
    incarnationId: uuid(brokerId, incarnation),
    listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + brokerId, securityProtocol: 0 }],
    features: supportedFeatures(),
    rack: null,
    isMigratingZkBroker: false,
    logDirs: [uuid(brokerId + 500, 0)],
    previousBrokerEpoch: -1n,
    ...extra,
  };
}

function beat(brokerId: number, brokerEpoch: bigint, currentMetadataOffset: bigint, extra: Partial<BrokerHeartbeatRequest> = {}): BrokerHeartbeatRequest {
  return { brokerId, brokerEpoch, currentMetadataOffset, wantFence: false, wantShutDown: false, offlineLogDirs: [], ...extra };
}

/** Registers and unfences brokers (caught up to the log end), at time `nowMs`. */
function up(k: Cluster, ids: number[], nowMs = 0): void {
  for (const id of ids) {
    const r = k.c.registerBroker(registration(id), nowMs);
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`register ${id}: ${r.errorMessage}`);
    k.epochs.set(id, r.brokerEpoch);
    const h = k.c.heartbeat(beat(id, r.brokerEpoch, k.image.lastOffset), nowMs);
    if (h.isFenced) throw new Error(`broker ${id} still fenced`);
  }
}

/** Heartbeats from every listed broker, caught up. */
function beatAll(k: Cluster, ids: number[], nowMs: number): void {
  for (const id of ids) k.c.heartbeat(beat(id, k.epochs.get(id)!, k.image.lastOffset), nowMs);
}

function spec(name: string, numPartitions: number, replicationFactor: number, assignments: number[][] | null = null): CreateTopicSpec {
  return { name, numPartitions, replicationFactor, assignments, configs: new Map() };
}

/** Creates a topic with explicit replicas (leader = first live replica). */
function topicWith(k: Cluster, name: string, assignments: number[][], configs: Map<string, string> = new Map()): void {
  const r = k.c.createTopic({ name, numPartitions: -1, replicationFactor: -1, assignments, configs }, false);
  if (r.errorCode !== ErrorCode.NONE) throw new Error(`create ${name}: ${r.errorMessage}`);
}

function part(k: Cluster, topic: string, p = 0): PartitionState {
  return k.image.topicsByName.get(topic)!.partitions[p]!;
}

function brief(p: PartitionState): { leader: number; isr: number[]; leaderEpoch: number; partitionEpoch: number } {
  return { leader: p.leader, isr: p.isr, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch };
}

/** Everything the image holds about brokers and partitions, comparable with t.same. */
function snapshot(image: MetadataImage): unknown {
  return {
    brokers: [...image.brokers.values()].sort((a, b) => a.brokerId - b.brokerId),
    topics: [...image.topicsByName.values()].map((tp) => ({ name: tp.name, id: tp.topicId, partitions: tp.partitions, configs: [...tp.configs] })),
    lastOffset: image.lastOffset,
  };
}

/** Kafka's MockRandom (seed 17) behind java.util.Random.nextInt(bound), as StripedReplicaPlacerTest uses. */
function kafkaMockRandom(): RandomInt {
  let state = 17n;
  const MASK = (1n << 64n) - 1n;
  const next31 = (): number => {
    state = (state * 2862933555777941757n + 3037000493n) & MASK;
    return Number(state >> 33n);
  };
  return (bound) => {
    let r = next31();
    const m = bound - 1;
    if ((bound & m) === 0) return Number((BigInt(bound) * BigInt(r)) >> 31n);
    for (let u = r; ((u - (r = u % bound) + m) | 0) < 0; u = next31());
    return r;
  };
}

// ---- Registration ----

t.test('a new broker registers fenced, with the offset of its RegisterBroker record as its broker epoch', async (t) => {
  const k = controller();
  const endBefore = k.log.logEndOffset;
  const r = k.c.registerBroker(registration(1), 0);
  t.equal(r.errorCode, ErrorCode.NONE);
  t.equal(r.brokerEpoch, endBefore, 'epoch = offset of the registration record');
  const b = k.image.brokers.get(1)!;
  t.equal(b.brokerEpoch, endBefore);
  t.equal(b.registrationOffset, endBefore);
  t.equal(b.fenced, true, 'fenced until it catches up');
  t.same(b.endpoints, [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9093, securityProtocol: 0 }]);
  t.same(k.log.records().at(-1), {
    type: 'RegisterBroker',
    brokerId: 1,
    incarnationId: uuid(1, 0).toString('base64url'),
    brokerEpoch: String(endBefore),
    endpoints: b.endpoints,
    rack: null,
    fenced: true,
    inControlledShutdown: false,
    features: supportedFeatures(),
    logDirs: [uuid(501, 0).toString('base64url')],
  });
  const r2 = k.c.registerBroker(registration(2), 0);
  t.equal(r2.brokerEpoch, endBefore + 1n, 'the next registration gets the next offset');
});

t.test('registration with another cluster id is INCONSISTENT_CLUSTER_ID', async (t) => {
  const k = controller();
  const r = k.c.registerBroker(registration(1, 0, { clusterId: 'AAAAAAAAAAAAAAAAAAAAAA' }), 0);
  t.equal(r.errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
  t.equal(r.errorMessage, `Expected cluster ID ${CLUSTER_ID}, but got cluster ID AAAAAAAAAAAAAAAAAAAAAA`);
  t.equal(k.image.brokers.size, 0);
});

t.test('a second incarnation while the first has a live session is DUPLICATE_BROKER_REGISTRATION; the same incarnation amends', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1], 0);
  const epoch = k.epochs.get(1)!;
  const dup = k.c.registerBroker(registration(1, 1), 500);
  t.equal(dup.errorCode, ErrorCode.DUPLICATE_BROKER_REGISTRATION);
  t.equal(dup.errorMessage, 'Another broker is registered with that broker id.');
  const same = k.c.registerBroker(registration(1, 0, { rack: 'r1' }), 600);
  t.equal(same.errorCode, ErrorCode.NONE, 'the same incarnation registering again is accepted');
  t.equal(same.brokerEpoch, epoch, 'and keeps its broker epoch');
  t.equal(k.image.brokers.get(1)!.fenced, false, 'and its unfenced state');
  t.equal(k.image.brokers.get(1)!.rack, 'r1');
  const late = k.c.registerBroker(registration(1, 1), 600 + 1001);
  t.equal(late.errorCode, ErrorCode.NONE, 'once the session lapsed, a new incarnation may register');
  t.ok(late.brokerEpoch > epoch, 'with a new broker epoch');
  t.equal(k.image.brokers.get(1)!.fenced, true, 'fenced again');
});

t.test('a feature level outside the broker\'s range is UNSUPPORTED_VERSION; so is a finalized feature it does not name', async (t) => {
  const k = controller();
  const wrong = k.c.registerBroker(registration(1, 0, { features: [{ name: 'sluice.metadata.version', minSupportedVersion: 2, maxSupportedVersion: 3 }] }), 0);
  t.equal(wrong.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  t.equal(
    wrong.errorMessage,
    'Unable to register because the broker does not support finalized version 1 of sluice.metadata.version. The broker wants a version between 2 and 3, inclusive.',
  );
  const missing = k.c.registerBroker(registration(1, 0, { features: [] }), 0);
  t.equal(missing.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  t.match(missing.errorMessage, /between 0 and 0, inclusive/);
  const unknown = k.c.registerBroker(registration(1, 0, { features: [...registration(1).features, { name: 'x.version', minSupportedVersion: 0, maxSupportedVersion: 5 }] }), 0);
  t.equal(unknown.errorCode, ErrorCode.NONE, 'a feature the controller does not finalize is at level 0, inside 0..5');
});

t.test('log directories and ZooKeeper brokers are checked as Kafka does', async (t) => {
  const k = controller();
  t.equal(k.c.registerBroker(registration(1, 0, { isMigratingZkBroker: true }), 0).errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
  const none = k.c.registerBroker(registration(1, 0, { logDirs: [] }), 0);
  t.equal(none.errorCode, ErrorCode.INVALID_REGISTRATION);
  t.equal(none.errorMessage, 'No directories specified in request');
  t.equal(k.c.registerBroker(registration(1, 0, { logDirs: [Buffer.alloc(16)] }), 0).errorMessage, 'Reserved directory ID in request');
  t.equal(k.c.registerBroker(registration(1, 0, { logDirs: [uuid(9, 9), uuid(9, 9)] }), 0).errorMessage, 'Duplicate directory ID in request');
  up(k, [1]);
  const taken = k.c.registerBroker(registration(2, 0, { logDirs: [uuid(501, 0)] }), 0);
  t.equal(taken.errorCode, ErrorCode.INVALID_REGISTRATION);
  t.match(taken.errorMessage, /^Broker 1 is already registered with directory /);
});

// ---- Heartbeats ----

t.test('a heartbeat with an unknown broker or a wrong broker epoch is STALE_BROKER_EPOCH', async (t) => {
  const k = controller();
  const unknown = k.c.heartbeat(beat(7, 3n, 0n), 0);
  t.equal(unknown.errorCode, ErrorCode.STALE_BROKER_EPOCH);
  t.equal(unknown.errorMessage, 'No broker registration found for broker id 7');
  t.same({ isFenced: unknown.isFenced, shouldShutDown: unknown.shouldShutDown }, { isFenced: true, shouldShutDown: false });
  const r = k.c.registerBroker(registration(1), 0);
  const wrong = k.c.heartbeat(beat(1, r.brokerEpoch + 5n, 100n), 0);
  t.equal(wrong.errorCode, ErrorCode.STALE_BROKER_EPOCH);
  t.equal(wrong.errorMessage, `Expected broker epoch ${r.brokerEpoch}, but got broker epoch ${r.brokerEpoch + 5n}`);
  t.equal(k.image.brokers.get(1)!.fenced, true, 'nothing changed');
});

t.test('a fenced broker is unfenced only once its metadata offset reaches its registration record', async (t) => {
  const k = controller();
  const r = k.c.registerBroker(registration(1), 0);
  const behind = k.c.heartbeat(beat(1, r.brokerEpoch, r.brokerEpoch - 1n), 10);
  t.same({ ...behind, errorMessage: null }, { errorCode: 0, errorMessage: null, isCaughtUp: false, isFenced: true, shouldShutDown: false });
  t.equal(k.image.brokers.get(1)!.fenced, true);
  const caughtUp = k.c.heartbeat(beat(1, r.brokerEpoch, r.brokerEpoch), 20);
  t.same({ ...caughtUp, errorMessage: null }, { errorCode: 0, errorMessage: null, isCaughtUp: true, isFenced: false, shouldShutDown: false });
  t.equal(k.image.brokers.get(1)!.fenced, false);
  t.same(k.log.records().at(-1), { type: 'BrokerRegistrationChange', brokerId: 1, brokerEpoch: String(r.brokerEpoch), fenced: false });
  const written = k.log.records().length;
  const again = k.c.heartbeat(beat(1, r.brokerEpoch, k.image.lastOffset), 30);
  t.equal(again.isFenced, false);
  t.equal(k.log.records().length, written, 'a heartbeat that changes nothing writes nothing');
});

t.test('wantFence fences an unfenced broker; wantShutDown from a fenced one shuts it down at once', async (t) => {
  const k = controller();
  up(k, [1, 2]);
  topicWith(k, 'a', [[1, 2]]);
  const fence = k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset, { wantFence: true }), 10);
  t.same([fence.isFenced, fence.shouldShutDown], [true, false]);
  t.equal(k.image.brokers.get(1)!.fenced, true);
  t.same(brief(part(k, 'a')), { leader: 2, isr: [2], leaderEpoch: 1, partitionEpoch: 1 }, 'its leadership moved to the other ISR member');
  const stop = k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset, { wantShutDown: true }), 20);
  t.same([stop.isFenced, stop.shouldShutDown], [true, true]);
  const both = k.c.heartbeat(beat(2, k.epochs.get(2)!, k.image.lastOffset, { wantFence: true, wantShutDown: true }), 30);
  t.same([both.isFenced, both.shouldShutDown], [true, true], 'wantFence with wantShutDown: shut down now');
});

t.test('fenceStaleBrokers fences a broker silent past broker.session.timeout.ms and moves its leaderships to live ISR members', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2, 3], 0);
  topicWith(k, 'a', [
    [1, 2, 3],
    [2, 3, 1],
    [3, 1, 2],
  ]);
  beatAll(k, [1, 2, 3], 500);
  t.same(k.c.fenceStaleBrokers(1500), [], 'exactly at the timeout the session is still valid');
  beatAll(k, [2, 3], 1400);
  t.same(k.c.fenceStaleBrokers(1501), [1]);
  t.equal(k.image.brokers.get(1)!.fenced, true);
  t.same(brief(part(k, 'a', 0)), { leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 }, 'the first live ISR replica leads; leader epoch + 1');
  t.same(brief(part(k, 'a', 1)), { leader: 2, isr: [2, 3], leaderEpoch: 0, partitionEpoch: 1 }, 'a follower leaving the ISR: partition epoch + 1 only');
  t.same(brief(part(k, 'a', 2)), { leader: 3, isr: [3, 2], leaderEpoch: 0, partitionEpoch: 1 });
  t.same(k.c.fenceStaleBrokers(2000), [], 'a fenced broker is not fenced again');
  const rejoin = k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset), 2100);
  t.equal(rejoin.isFenced, false, 'a fenced broker that heartbeats again and is caught up is unfenced');
  t.same(part(k, 'a', 0).isr, [2, 3], 'it rejoins the ISR only through AlterPartition from the leader');
});

t.test('fencing the last ISR member leaves the partition leaderless with that member kept in the ISR; unfencing it elects it again', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2], 0);
  topicWith(k, 'a', [[1, 2]]);
  const out = k.c.alterPartition(alter(k, 1, 'a', 0, [1], 3), 3);
  t.equal(out.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  beatAll(k, [2], 900);
  t.same(k.c.fenceStaleBrokers(1001), [1]);
  t.same(brief(part(k, 'a')), { leader: -1, isr: [1], leaderEpoch: 1, partitionEpoch: 2 }, 'no live ISR member: leader -1, ISR kept');
  const back = k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset), 1100);
  t.equal(back.isFenced, false);
  t.same(brief(part(k, 'a')), { leader: 1, isr: [1], leaderEpoch: 2, partitionEpoch: 3 }, 'the returning last ISR member leads again');
});

t.test('unclean.leader.election.enable (topic or broker config) elects a live replica outside the ISR', async (t) => {
  for (const where of ['topic', 'broker'] as const) {
    const config = new Map<string, string>();
    const k = controller({ sessionTimeoutMs: 1000, config: { get: (n) => config.get(n) ?? null } });
    up(k, [1, 2], 0);
    topicWith(k, 'a', [[1, 2]], where === 'topic' ? new Map([['unclean.leader.election.enable', 'true']]) : new Map());
    if (where === 'broker') config.set('unclean.leader.election.enable', 'true');
    k.c.alterPartition(alter(k, 1, 'a', 0, [1], 3), 3);
    beatAll(k, [2], 900);
    k.c.fenceStaleBrokers(1001);
    t.same(brief(part(k, 'a')), { leader: 2, isr: [2], leaderEpoch: 1, partitionEpoch: 2 }, `${where} config: replica 2 leads, alone in the ISR`);
  }
});

t.test('controlled shutdown moves leaderships away first and grants shutdown once every active broker has seen it', async (t) => {
  const k = controller();
  up(k, [1, 2, 3], 0);
  topicWith(k, 'a', [
    [1, 2],
    [2, 1],
    [3, 2],
  ]);
  const e1 = k.epochs.get(1)!;
  const first = k.c.heartbeat(beat(1, e1, k.image.lastOffset, { wantShutDown: true }), 10);
  t.same([first.isFenced, first.shouldShutDown], [false, false], 'in controlled shutdown: not yet');
  t.equal(k.image.brokers.get(1)!.inControlledShutdown, true);
  t.same(brief(part(k, 'a', 0)), { leader: 2, isr: [2], leaderEpoch: 1, partitionEpoch: 1 }, 'its leadership moved');
  t.same(part(k, 'a', 1).isr, [2], 'it left the ISRs it followed in');
  t.notOk(k.c.isActive(1));
  // Brokers 2 and 3 have not heartbeated since the move: the shutdown waits for them.
  const waiting = k.c.heartbeat(beat(1, e1, k.image.lastOffset, { wantShutDown: true }), 20);
  t.same([waiting.isFenced, waiting.shouldShutDown], [false, false], 'other brokers have not seen the move yet');
  beatAll(k, [2, 3], 30);
  const done = k.c.heartbeat(beat(1, e1, k.image.lastOffset, { wantShutDown: true }), 40);
  t.same([done.isFenced, done.shouldShutDown], [true, true], 'granted: fenced and told to shut down');
  t.equal(k.image.brokers.get(1)!.fenced, true);
  const idle = controller();
  up(idle, [1]);
  const now = idle.c.heartbeat(beat(1, idle.epochs.get(1)!, idle.image.lastOffset, { wantShutDown: true }), 10);
  t.same([now.isFenced, now.shouldShutDown], [true, true], 'a broker leading nothing shuts down at once');
});

t.test('a broker in controlled shutdown is neither placed on nor allowed into an ISR', async (t) => {
  const k = controller();
  up(k, [1, 2, 3], 0);
  topicWith(k, 'a', [[3, 1, 2]]);
  k.c.heartbeat(beat(3, k.epochs.get(3)!, k.image.lastOffset, { wantShutDown: true }), 10);
  t.equal(k.image.brokers.get(3)!.inControlledShutdown, true, 'it led a partition: controlled shutdown');
  t.equal(k.c.createTopic(spec('b', 1, 3), false).errorCode, ErrorCode.INVALID_REPLICATION_FACTOR, 'two usable brokers cannot take RF 3');
  t.equal(k.c.createTopic(spec('c', 6, 2), false).errorCode, ErrorCode.NONE);
  for (const p of k.image.topicsByName.get('c')!.partitions) t.notOk(p.replicas.includes(3), `c-${p.partition} avoids broker 3`);
});

// ---- AlterPartition ----

function alter(k: Cluster, brokerId: number, topic: string, p: number, newIsr: number[], version: number, over: { leaderEpoch?: number; partitionEpoch?: number; brokerEpoch?: bigint } = {}): AlterPartitionRequest {
  const tp = k.image.topicsByName.get(topic);
  const ps = tp?.partitions[p];
  return {
    brokerId,
    brokerEpoch: over.brokerEpoch ?? k.epochs.get(brokerId) ?? -1n,
    topics: [
      {
        topicName: topic,
        topicId: tp?.topicIdBytes ?? Buffer.alloc(16, 7),
        partitions: [
          {
            partitionIndex: p,
            leaderEpoch: over.leaderEpoch ?? ps?.leaderEpoch ?? 0,
            newIsr: version < 3 ? newIsr : [],
            newIsrWithEpochs: version >= 3 ? newIsr.map((b) => ({ brokerId: b, brokerEpoch: k.epochs.get(b) ?? -1n })) : [],
            leaderRecoveryState: 0,
            partitionEpoch: over.partitionEpoch ?? ps?.partitionEpoch ?? 0,
          },
        ],
      },
    ],
  };
}

function alterError(k: Cluster, req: AlterPartitionRequest, version: number): number {
  const r = k.c.alterPartition(req, version);
  return r.errorCode !== ErrorCode.NONE ? r.errorCode : r.topics[0]!.partitions[0]!.errorCode;
}

t.test('AlterPartition from the leader shrinks and expands the ISR, partition epoch + 1 each time', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  topicWith(k, 'a', [[1, 2, 3]]);
  const shrink = k.c.alterPartition(alter(k, 1, 'a', 0, [1, 2], 3), 3);
  t.same(shrink.topics[0]!.partitions[0], { partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2], leaderRecoveryState: 0, partitionEpoch: 1 });
  t.same(brief(part(k, 'a')), { leader: 1, isr: [1, 2], leaderEpoch: 0, partitionEpoch: 1 });
  const grow = k.c.alterPartition(alter(k, 1, 'a', 0, [1, 2, 3], 3), 3);
  t.same(grow.topics[0]!.partitions[0]!.isr, [1, 2, 3]);
  t.equal(part(k, 'a').partitionEpoch, 2);
  const same = k.c.alterPartition(alter(k, 1, 'a', 0, [1, 2, 3], 3), 3);
  t.equal(same.topics[0]!.partitions[0]!.partitionEpoch, 2, 'the same ISR again changes nothing');
  const v1 = k.c.alterPartition(alter(k, 1, 'a', 0, [1, 3], 1), 1);
  t.equal(v1.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE, 'v1 names the topic and gives a plain ISR');
  t.same(part(k, 'a').isr, [1, 3]);
});

t.test('AlterPartition is validated in Kafka\'s order with Kafka\'s errors', async (t) => {
  const k = controller();
  up(k, [1, 2, 3, 4]);
  topicWith(k, 'a', [[1, 2, 3]]);
  k.c.alterPartition(alter(k, 1, 'a', 0, [1, 2], 3), 3); // partition epoch 1
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 2, 3], 3, { brokerEpoch: 999n }), 3), ErrorCode.STALE_BROKER_EPOCH, 'stale broker epoch, for the whole request');
  t.equal(alterError(k, alter(k, 1, 'nope', 0, [1], 3), 3), ErrorCode.UNKNOWN_TOPIC_ID, 'unknown topic id (v2+)');
  t.equal(alterError(k, alter(k, 1, 'nope', 0, [1], 1), 1), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic name (v0-1)');
  t.equal(alterError(k, alter(k, 1, 'a', 5, [1], 3), 3), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown partition');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 2, 3], 3, { leaderEpoch: 1 }), 3), ErrorCode.NOT_CONTROLLER, 'a newer leader epoch than the controller\'s');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 2, 3], 3, { partitionEpoch: 9 }), 3), ErrorCode.NOT_CONTROLLER, 'a newer partition epoch');
  t.equal(alterError(k, alter(k, 2, 'a', 0, [1, 2, 3], 3), 3), ErrorCode.INVALID_REQUEST, 'not the leader: INVALID_REQUEST, as Kafka answers');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 2, 3], 3, { partitionEpoch: 0 }), 3), ErrorCode.INVALID_UPDATE_VERSION, 'a stale partition epoch');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 4], 3), 3), ErrorCode.INVALID_REQUEST, 'an ISR member that is not a replica');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [2, 3], 3), 3), ErrorCode.INVALID_REQUEST, 'an ISR without the leader');
  k.c.heartbeat(beat(3, k.epochs.get(3)!, k.image.lastOffset, { wantFence: true }), 10);
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 2, 3], 3), 3), ErrorCode.INELIGIBLE_REPLICA, 'a fenced replica added');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 2, 3], 1), 1), ErrorCode.OPERATION_NOT_ATTEMPTED, 'the same before v2');
  const req = alter(k, 1, 'a', 0, [1, 2], 3);
  req.topics[0]!.partitions[0]!.newIsrWithEpochs[1]!.brokerEpoch = 12345n;
  t.equal(alterError(k, req, 3), ErrorCode.INELIGIBLE_REPLICA, 'a replica whose broker epoch is not its registration\'s');
  k.c.alterPartition(alter(k, 1, 'a', 0, [1], 3), 3);
  k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset, { wantShutDown: true }), 10);
  t.same(brief(part(k, 'a')), { leader: -1, isr: [1], leaderEpoch: 1, partitionEpoch: 3 });
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1], 3), 3), ErrorCode.INVALID_REQUEST, 'a former leader is no longer the leader');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1], 3, { leaderEpoch: 0 }), 3), ErrorCode.FENCED_LEADER_EPOCH, 'an older leader epoch');
});

t.test('a broker in controlled shutdown added to an ISR is INELIGIBLE_REPLICA', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  topicWith(k, 'a', [[1, 2, 3]]);
  topicWith(k, 'b', [[3, 1]]);
  k.c.heartbeat(beat(3, k.epochs.get(3)!, k.image.lastOffset, { wantShutDown: true }), 10);
  t.equal(k.image.brokers.get(3)!.inControlledShutdown, true);
  t.same(part(k, 'a').isr, [1, 2], 'it left the ISR');
  t.equal(alterError(k, alter(k, 1, 'a', 0, [1, 2, 3], 3), 3), ErrorCode.INELIGIBLE_REPLICA);
});

// ---- Placement ----

t.test('replica placement is Kafka\'s StripedReplicaPlacer: the same lists for the same random sequence', async (t) => {
  // StripedReplicaPlacerTest.testAvoidFencedReplicaIfPossibleOnSingleRack, with Kafka's MockRandom.
  const brokers = [
    { id: 3, rack: null, fenced: false },
    { id: 1, rack: null, fenced: true },
    { id: 0, rack: null, fenced: false },
    { id: 4, rack: null, fenced: false },
    { id: 2, rack: null, fenced: false },
  ];
  t.same(placeReplicas(brokers, 5, 4, kafkaMockRandom()), [
    [3, 4, 0, 2],
    [4, 0, 2, 3],
    [0, 2, 3, 4],
    [2, 3, 4, 0],
    [0, 4, 3, 2],
  ]);
  // testPlacementOnFencedReplicaOnSingleRack: a fenced broker is a follower, never a leader.
  const withFenced = [
    { id: 3, rack: null, fenced: false },
    { id: 1, rack: null, fenced: true },
    { id: 2, rack: null, fenced: false },
  ];
  t.same(placeReplicas(withFenced, 4, 3, kafkaMockRandom()), [
    [3, 2, 1],
    [2, 3, 1],
    [3, 2, 1],
    [2, 3, 1],
  ]);
});

t.test('createTopic spreads replicas and leaders over the brokers; too high a replication factor is Kafka\'s INVALID_REPLICATION_FACTOR', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  t.equal(k.c.createTopic(spec('a', 6, 3), false).errorCode, ErrorCode.NONE);
  const leaders = new Map<number, number>();
  for (const p of k.image.topicsByName.get('a')!.partitions) {
    t.same([...p.replicas].sort(), [1, 2, 3], `a-${p.partition} on three distinct brokers`);
    t.same(p.isr, p.replicas, 'every replica starts in the ISR');
    t.equal(p.leader, p.replicas[0], 'led by its first replica');
    leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
  }
  t.same([...leaders.values()], [2, 2, 2], 'two leaderships each');
  const tooMany = k.c.createTopic(spec('b', 1, 4), false);
  t.equal(tooMany.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  t.equal(tooMany.errorMessage, 'Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.');
  k.c.heartbeat(beat(3, k.epochs.get(3)!, k.image.lastOffset, { wantFence: true }), 10);
  t.equal(k.c.createTopic(spec('c', 3, 3), false).errorCode, ErrorCode.NONE, 'a fenced broker still counts as registered');
  for (const p of k.image.topicsByName.get('c')!.partitions) {
    t.not(p.leader, 3, 'but never leads');
    t.notOk(p.isr.includes(3), 'and is not in the ISR');
  }
  for (const id of [1, 2]) k.c.heartbeat(beat(id, k.epochs.get(id)!, k.image.lastOffset, { wantFence: true }), 10);
  const allFenced = k.c.createTopic(spec('d', 1, 1), false);
  t.equal(allFenced.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  t.equal(allFenced.errorMessage, 'Unable to replicate the partition 1 time(s): All brokers are currently fenced.');
});

t.test('explicit assignments: unknown, repeated and inconsistent replicas are INVALID_REPLICA_ASSIGNMENT with Kafka\'s messages', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  const create = (a: number[][]) => k.c.createTopic({ name: 'x', numPartitions: -1, replicationFactor: -1, assignments: a, configs: new Map() }, true);
  t.same(create([[1, 7]]), { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'The manual partition assignment includes broker 7, but no such broker is registered.', numPartitions: 1, replicationFactor: 2 });
  t.equal(create([[2, 2]]).errorMessage, 'The manual partition assignment includes the broker 2 more than once.');
  t.equal(create([[]]).errorMessage, 'The manual partition assignment includes an empty replica list.');
  t.equal(create([[1, 2], [3]]).errorMessage, 'The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).');
  k.c.heartbeat(beat(2, k.epochs.get(2)!, k.image.lastOffset, { wantFence: true }), 10);
  t.equal(create([[1, 3], [2]]).errorMessage, 'The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).');
  t.equal(k.c.createTopic({ name: 'y', numPartitions: -1, replicationFactor: -1, assignments: [[1], [2]], configs: new Map() }, true).errorMessage, 'All brokers specified in the manual partition assignment for partition 1 are fenced or in controlled shutdown.');
  topicWith(k, 'z', [[2, 3, 1]]);
  t.same(brief(part(k, 'z')), { leader: 3, isr: [3, 1], leaderEpoch: 0, partitionEpoch: 0 }, 'the fenced broker is a replica outside the ISR; the first live one leads');
});

t.test('createPartitions places new partitions with the topic\'s replication factor and checks explicit ones', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  t.equal(k.c.createTopic(spec('a', 1, 2), false).errorCode, ErrorCode.NONE);
  const a = k.image.topicsByName.get('a')!;
  t.equal(k.c.createPartitions(a, 4, null, false).errorCode, ErrorCode.NONE);
  for (const p of a.partitions) t.equal(new Set(p.replicas).size, 2, `a-${p.partition} has 2 distinct replicas`);
  const wrong = k.c.createPartitions(a, 5, [[1]], false);
  t.equal(wrong.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  t.equal(wrong.errorMessage, 'The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).');
  t.equal(k.c.createPartitions(a, 5, [[3, 9]], false).errorMessage, 'The manual partition assignment includes broker 9, but no such broker is registered.');
  t.equal(k.c.createPartitions(a, 5, [[3, 1]], false).errorCode, ErrorCode.NONE);
  t.same(brief(a.partitions[4]!), { leader: 3, isr: [3, 1], leaderEpoch: 0, partitionEpoch: 0 });
  t.equal(k.c.createPartitions(a, 6, null, false).errorCode, ErrorCode.NONE);
  t.equal(k.c.createTopic(spec('b', 1, 4), false).errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
});

// ---- Leader election ----

t.test('ElectLeaders PREFERRED moves leadership back to the first replica; ELECTION_NOT_NEEDED and PREFERRED_LEADER_NOT_AVAILABLE otherwise', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2], 0);
  topicWith(k, 'a', [
    [1, 2],
    [2, 1],
  ]);
  beatAll(k, [2], 900);
  k.c.fenceStaleBrokers(1001);
  t.equal(part(k, 'a', 0).leader, 2);
  const elect = (partitions: number[] | null, type: number = ElectionType.PREFERRED) =>
    k.c.electLeaders({ electionType: type, topicPartitions: partitions === null ? null : [{ topic: 'a', partitions }], timeoutMs: 1000 });
  t.same(elect([0, 1, 7]).replicaElectionResults[0]!.partitionResult, [
    { partitionId: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' },
    { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
    { partitionId: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such partition as a-7' },
  ]);
  // Broker 1 returns; the leader puts it back in the ISR.
  k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset), 1100);
  k.c.alterPartition(alter(k, 2, 'a', 0, [2, 1], 3), 3);
  const all = elect(null);
  t.same(all.replicaElectionResults, [{ topic: 'a', partitionResult: [{ partitionId: 0, errorCode: 0, errorMessage: null }] }], 'every partition: those needing no election are left out');
  t.same(brief(part(k, 'a', 0)), { leader: 1, isr: [2, 1], leaderEpoch: 2, partitionEpoch: 3 });
  t.same(k.c.electLeaders({ electionType: 1, topicPartitions: [{ topic: 'nope', partitions: [0] }], timeoutMs: 1 }).replicaElectionResults[0]!.partitionResult[0], {
    partitionId: 0,
    errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    errorMessage: 'No such topic as nope',
  });
  t.equal(k.c.electLeaders({ electionType: 5, topicPartitions: null, timeoutMs: 1 }).errorCode, ErrorCode.INVALID_REQUEST);
});

t.test('ElectLeaders UNCLEAN elects a live replica for a leaderless partition; ELIGIBLE_LEADERS_NOT_AVAILABLE when none is live', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2, 3], 0);
  topicWith(k, 'a', [[1, 2]]);
  k.c.alterPartition(alter(k, 1, 'a', 0, [1], 3), 3);
  beatAll(k, [2, 3], 900);
  k.c.fenceStaleBrokers(1001);
  t.equal(part(k, 'a').leader, -1);
  const unclean = () => k.c.electLeaders({ electionType: ElectionType.UNCLEAN, topicPartitions: [{ topic: 'a', partitions: [0] }], timeoutMs: 1 }).replicaElectionResults[0]!.partitionResult[0]!;
  k.c.heartbeat(beat(2, k.epochs.get(2)!, k.image.lastOffset, { wantFence: true }), 1100);
  t.same(unclean(), { partitionId: 0, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'Eligible topic partition leaders are not available.' });
  k.c.heartbeat(beat(2, k.epochs.get(2)!, k.image.lastOffset), 1200);
  t.equal(part(k, 'a').leader, -1, 'unfencing a replica outside the ISR elects nothing by itself');
  t.same(unclean(), { partitionId: 0, errorCode: 0, errorMessage: null });
  t.same(brief(part(k, 'a')), { leader: 2, isr: [2], leaderEpoch: 2, partitionEpoch: 3 });
  t.equal(unclean().errorCode, ErrorCode.ELECTION_NOT_NEEDED, 'a partition with a leader needs no unclean election');
});

// ---- Unregistration, re-registration, storage ----

t.test('unregistering a broker takes it out of every ISR and forgets it', async (t) => {
  const k = controller();
  up(k, [1, 2]);
  topicWith(k, 'a', [[1, 2]]);
  t.equal(k.c.unregisterBroker(9).errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
  t.equal(k.c.unregisterBroker(1).errorCode, ErrorCode.NONE);
  t.notOk(k.image.brokers.has(1));
  t.same(brief(part(k, 'a')), { leader: 2, isr: [2], leaderEpoch: 1, partitionEpoch: 1 });
  t.equal(k.c.createTopic(spec('b', 1, 2), false).errorMessage, 'Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.');
});

t.test('a new incarnation of a broker whose session lapsed unfenced first gives up its leaderships', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2], 0);
  topicWith(k, 'a', [[1, 2]]);
  beatAll(k, [2], 1500);
  const r = k.c.registerBroker(registration(1, 1), 1500);
  t.equal(r.errorCode, ErrorCode.NONE);
  t.equal(r.brokerEpoch, k.image.brokers.get(1)!.brokerEpoch);
  const records = k.log.records();
  t.equal(records.at(-2)!.type, 'PartitionChange', 'the leadership move comes first in the batch');
  t.equal(r.brokerEpoch, k.log.logEndOffset - 2n, 'the broker epoch is the batch\'s first offset, as in Kafka');
  t.equal(k.image.brokers.get(1)!.registrationOffset, k.log.logEndOffset - 1n, 'catching up means reaching the registration record itself');
  t.same(brief(part(k, 'a')), { leader: 2, isr: [2], leaderEpoch: 1, partitionEpoch: 1 });
});

t.test('a heartbeat whose change cannot be written answers KAFKA_STORAGE_ERROR and changes nothing', async (t) => {
  const k = controller();
  const r = k.c.registerBroker(registration(1), 0);
  k.log.failNext = true;
  const h = k.c.heartbeat(beat(1, r.brokerEpoch, k.image.lastOffset), 10);
  t.equal(h.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  t.equal(h.isFenced, true);
  t.equal(k.image.brokers.get(1)!.fenced, true);
  t.equal(k.c.heartbeat(beat(1, r.brokerEpoch, k.image.lastOffset), 20).isFenced, false, 'the next heartbeat unfences');
  k.log.failNext = true;
  t.equal(k.c.registerBroker(registration(2), 0).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  t.notOk(k.image.brokers.has(2));
});

// ---- Replay ----

t.test('replaying the metadata log rebuilds the same brokers and partitions', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/data');
  const mlog = MetadataLog.open('/data', io);
  const image = new MetadataImage();
  const c = new Controller(image, mlog, CONTROLLER_ID, { numPartitions: 1, replicationFactor: 1 }, { clusterId: CLUSTER_ID, implicitLocalBroker: false, sessionTimeoutMs: 1000 });
  c.bootstrap(METADATA_FEATURES);
  const k: Cluster = { log: new MemoryMetadataLog(), image, c, epochs: new Map() };
  up(k, [1, 2, 3], 0);
  t.equal(c.createTopic(spec('a', 6, 3), false).errorCode, ErrorCode.NONE);
  k.c.alterPartition(alter(k, part(k, 'a').leader, 'a', 0, [part(k, 'a').leader], 3), 3);
  beatAll(k, [2, 3], 900);
  c.fenceStaleBrokers(1001);
  k.c.heartbeat(beat(2, k.epochs.get(2)!, k.image.lastOffset, { wantShutDown: true }), 1002);
  t.equal(c.unregisterBroker(3).errorCode, ErrorCode.NONE);
  c.electLeaders({ electionType: ElectionType.UNCLEAN, topicPartitions: null, timeoutMs: 1 });
  mlog.close();
  const again = new MetadataImage();
  const reopened = MetadataLog.open('/data', io);
  reopened.replay(again);
  reopened.close();
  t.same(snapshot(again), snapshot(image), 'the replayed image equals the live one');
  t.ok(again.brokers.get(1)!.fenced);
  t.ok(again.brokers.get(2)!.inControlledShutdown);
});

t.test('replay refuses a PartitionChange that skips a partition epoch', async (t) => {
  const image = new MetadataImage();
  image.apply({ type: 'Topic', name: 'a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  image.apply({ type: 'Partition', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
  const change = { type: 'PartitionChange' as const, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 0, replicas: [1], isr: [1], leader: -1, leaderEpoch: 1, partitionEpoch: 2, addingReplicas: [], removingReplicas: [] };
  t.throws(() => image.apply(change), /changes from epoch 0 to 2/);
});

// ---- The single combined node ----

t.test('a single-node data directory written before brokers registered loads and behaves as before', async (t) => {
  const io = new MemoryFileIO();
  io.mkdir('/data');
  const mlog = MetadataLog.open('/data', io);
  // What a broker before issue 12 wrote: features, then a topic with its partition and a config.
  mlog.append([{ type: 'FeatureLevel', name: 'sluice.metadata.version', level: 1 }]);
  mlog.append([
    { type: 'Topic', name: 'old', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' },
    { type: 'Partition', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
    { type: 'Config', resourceType: 'topic', resourceName: 'old', name: 'retention.ms', value: '1000' },
  ]);
  t.equal(
    encodeMetadataRecord({ type: 'Partition', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }).value.toString(),
    '{"v":1,"type":"Partition","topicId":"AAAAAAAAAAAAAAAAAAAAAA","partition":0,"replicas":[1],"isr":[1],"leader":1,"leaderEpoch":0,"partitionEpoch":0}',
    'the bytes of a Partition record are unchanged',
  );
  mlog.close();
  const image = new MetadataImage();
  const log = MetadataLog.open('/data', io);
  log.replay(image);
  t.equal(image.lastOffset, 3n);
  t.equal(image.brokers.size, 0, 'no broker ever registered');
  const c = new Controller(image, log, 1, { numPartitions: 1, replicationFactor: 1 });
  t.ok(c.isActive(1), 'the combined node counts as its own live broker');
  const created = c.createTopic(spec('new', 3, 1), false);
  t.equal(created.errorCode, ErrorCode.NONE);
  for (const p of image.topicsByName.get('new')!.partitions) t.same(brief(p), { leader: 1, isr: [1], leaderEpoch: 0, partitionEpoch: 0 });
  t.equal(
    c.createTopic(spec('rf2', 1, 2), false).errorMessage,
    'Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.',
  );
  t.equal(c.createTopic({ ...spec('x', -1, -1), assignments: [[1]] }, true).errorCode, ErrorCode.NONE);
  t.equal(c.createTopic({ ...spec('x', -1, -1), assignments: [[2]] }, true).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  t.equal(c.createPartitions(image.topicsByName.get('old')!, 2, null, false).errorCode, ErrorCode.NONE);
  t.same(brief(image.topicsByName.get('old')!.partitions[1]!), { leader: 1, isr: [1], leaderEpoch: 0, partitionEpoch: 0 });
  t.same(c.fenceStaleBrokers(Number.MAX_SAFE_INTEGER), [], 'the implicit broker has no session to lapse');
  t.equal(image.lastOffset, log.logEndOffset - 1n, 'the image follows the log offsets');
  log.close();
});

t.test('a combined node\'s broker registering for the first time gives up its leaderships until it is unfenced', async (t) => {
  const log = new MemoryMetadataLog();
  const image = new MetadataImage();
  const c = new Controller(image, log, 1, { numPartitions: 1, replicationFactor: 1 }, { clusterId: CLUSTER_ID });
  c.bootstrap(METADATA_FEATURES);
  t.equal(c.createTopic(spec('a', 1, 1), false).errorCode, ErrorCode.NONE);
  const r = c.registerBroker(registration(1), 0);
  t.equal(r.errorCode, ErrorCode.NONE);
  t.notOk(c.isActive(1), 'registered: now fenced like any new incarnation');
  t.same(brief(image.topicsByName.get('a')!.partitions[0]!), { leader: -1, isr: [1], leaderEpoch: 1, partitionEpoch: 1 });
  t.equal(c.heartbeat(beat(1, r.brokerEpoch, image.lastOffset), 10).isFenced, false);
  t.same(brief(image.topicsByName.get('a')!.partitions[0]!), { leader: 1, isr: [1], leaderEpoch: 2, partitionEpoch: 2 }, 'unfenced: it leads again');
});

t.test('after a controller restart every registered broker gets a fresh session; broker.session.timeout.ms comes from the config', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2], 0);
  const image = new MetadataImage();
  k.log.replay(image);
  const settings = new Map([['broker.session.timeout.ms', '3000']]);
  const c = new Controller(image, k.log, CONTROLLER_ID, { numPartitions: 1, replicationFactor: 1 }, { clusterId: CLUSTER_ID, implicitLocalBroker: false, config: { get: (n) => settings.get(n) ?? null } });
  t.equal(c.sessionTimeoutMs, 3000);
  t.same(c.fenceStaleBrokers(50_000), [], 'first look at the brokers: their sessions start now');
  c.heartbeat(beat(2, k.epochs.get(2)!, image.lastOffset), 52_000);
  t.same(c.fenceStaleBrokers(53_001), [1], 'broker 1 silent for more than 3000 ms since');
});

// ---- Partition reassignment (KIP-455) and the auto leader rebalance ----

type Target = number[] | null;

function reassign(k: Cluster, topic: string, moves: Array<[number, Target]>, opts: { version?: number; allowReplicationFactorChange?: boolean } = {}): Array<{ p: number; error: number; message: string | null }> {
  const res = k.c.alterPartitionReassignments(
    { timeoutMs: 1000, allowReplicationFactorChange: opts.allowReplicationFactorChange ?? true, topics: [{ name: topic, partitions: moves.map(([partitionIndex, replicas]) => ({ partitionIndex, replicas })) }] },
    opts.version ?? 1,
  );
  if (res.errorCode !== ErrorCode.NONE) throw new Error(`AlterPartitionReassignments: error ${res.errorCode}`);
  return res.responses[0]!.partitions.map((p) => ({ p: p.partitionIndex, error: p.errorCode, message: p.errorMessage }));
}

function assignment(p: PartitionState): { replicas: number[]; adding: number[]; removing: number[]; leader: number; isr: number[]; leaderEpoch: number } {
  return { replicas: p.replicas, adding: p.addingReplicas ?? [], removing: p.removingReplicas ?? [], leader: p.leader, isr: p.isr, leaderEpoch: p.leaderEpoch };
}

function listed(k: Cluster, topics: Array<{ name: string; partitionIndexes: number[] }> | null = null): unknown {
  return k.c.listPartitionReassignments({ timeoutMs: 1000, topics }).topics;
}

function replayed(k: Cluster): MetadataImage {
  const image = new MetadataImage();
  k.log.replay(image);
  return image;
}

t.test('a reassignment of RF 1 to two other brokers: union first, completed by the ISR expansion that brings the last new replica in, leader moved', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  topicWith(k, 'a', [[1]]);
  t.same(reassign(k, 'a', [[0, [2, 3]]]), [{ p: 0, error: ErrorCode.NONE, message: null }]);
  t.same(assignment(part(k, 'a')), { replicas: [2, 3, 1], adding: [2, 3], removing: [1], leader: 1, isr: [1], leaderEpoch: 0 }, 'the target first, then the replica leaving');
  t.same(listed(k), [{ name: 'a', partitions: [{ partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [2, 3], removingReplicas: [1] }] }]);
  t.same(listed(k, [{ name: 'a', partitionIndexes: [0, 5] }, { name: 'nope', partitionIndexes: [0] }]), listed(k), 'named: unknown topics and partitions are left out');
  // The leader brings the new replicas into the ISR as they catch up.
  const first = k.c.alterPartition(alter(k, 1, 'a', 0, [1, 2], 3), 3);
  t.equal(first.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  t.same(assignment(part(k, 'a')), { replicas: [2, 3, 1], adding: [2, 3], removing: [1], leader: 1, isr: [1, 2], leaderEpoch: 0 }, 'one of two: still going');
  const last = k.c.alterPartition(alter(k, 1, 'a', 0, [1, 2, 3], 3), 3);
  t.equal(last.topics[0]!.partitions[0]!.errorCode, ErrorCode.NEW_LEADER_ELECTED, 'the old leader hears that it no longer leads');
  t.same(assignment(part(k, 'a')), { replicas: [2, 3], adding: [], removing: [], leader: 2, isr: [2, 3], leaderEpoch: 1 }, 'completed: target replicas, the old one out, led by the first of the target');
  t.same(listed(k), []);
  t.same(snapshot(replayed(k)), snapshot(k.image), 'the records replay to the same image');
});

t.test('a reassignment of RF 1 to 3 keeps its leader; 3 to 1 completes at once when the target is in the ISR', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  topicWith(k, 'up', [[1]]);
  reassign(k, 'up', [[0, [1, 2, 3]]]);
  t.same(assignment(part(k, 'up')), { replicas: [1, 2, 3], adding: [2, 3], removing: [], leader: 1, isr: [1], leaderEpoch: 0 });
  k.c.alterPartition(alter(k, 1, 'up', 0, [1, 3], 3), 3);
  k.c.alterPartition(alter(k, 1, 'up', 0, [1, 3, 2], 3), 3);
  t.same(assignment(part(k, 'up')), { replicas: [1, 2, 3], adding: [], removing: [], leader: 1, isr: [1, 3, 2], leaderEpoch: 0 }, 'nothing left, same leader, same epoch');

  topicWith(k, 'down', [[1, 2, 3]]);
  const before = k.log.batches.length;
  t.same(reassign(k, 'down', [[0, [3]]]), [{ p: 0, error: ErrorCode.NONE, message: null }]);
  t.equal(k.log.batches.length, before + 1, 'one record');
  t.same(assignment(part(k, 'down')), { replicas: [3], adding: [], removing: [], leader: 3, isr: [3], leaderEpoch: 1 });
  t.same(listed(k), []);

  topicWith(k, 'order', [[1, 2, 3]]);
  reassign(k, 'order', [[0, [3, 2, 1]]]);
  t.same(assignment(part(k, 'order')), { replicas: [3, 2, 1], adding: [], removing: [], leader: 1, isr: [1, 2, 3], leaderEpoch: 0 }, 'a new order only: no move, the leader stays');
  t.same(reassign(k, 'order', [[0, [3, 2, 1]]]), [{ p: 0, error: ErrorCode.NONE, message: null }], 'the same target again: nothing to do');

  topicWith(k, 'shrink', [[1, 2, 3]]);
  reassign(k, 'shrink', [[0, [1, 2]]]);
  t.same(assignment(part(k, 'shrink')), { replicas: [1, 2], adding: [], removing: [], leader: 1, isr: [1, 2], leaderEpoch: 1 }, 'a replica leaving bumps the leader epoch even when the leader stays');
});

t.test('cancelling a reassignment reverts it; NO_REASSIGNMENT_IN_PROGRESS when none is going on', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  topicWith(k, 'a', [[1]]);
  t.same(reassign(k, 'a', [[0, null]]), [{ p: 0, error: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: null }]);
  reassign(k, 'a', [[0, [2, 3]]]);
  k.c.alterPartition(alter(k, 1, 'a', 0, [1, 2], 3), 3);
  t.same(reassign(k, 'a', [[0, null]]), [{ p: 0, error: ErrorCode.NONE, message: null }]);
  t.same(assignment(part(k, 'a')), { replicas: [1], adding: [], removing: [], leader: 1, isr: [1], leaderEpoch: 1 }, 'the replicas before, the added ones out of the ISR');
  t.same(listed(k), []);
  t.same(snapshot(replayed(k)), snapshot(k.image));
});

t.test('a cancel that needs an unclean election is refused unless the topic allows one', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2, 3, 4], 0);
  topicWith(k, 'a', [[1, 2]]);
  topicWith(k, 'b', [[1, 2]], new Map([['unclean.leader.election.enable', 'true']]));
  for (const name of ['a', 'b']) {
    reassign(k, name, [[0, [3, 4]]]);
    k.c.alterPartition(alter(k, 1, name, 0, [1, 2, 3], 3), 3);
  }
  beatAll(k, [3, 4], 900);
  k.c.fenceStaleBrokers(1001);
  t.same(assignment(part(k, 'a')), { replicas: [3, 4, 1, 2], adding: [3, 4], removing: [1, 2], leader: 3, isr: [3], leaderEpoch: 1 }, 'only an added replica is left in the ISR');
  t.same(reassign(k, 'a', [[0, null]]), [
    { p: 0, error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'Unable to revert partition assignment for a:0 because it would require an unclean leader election.' },
  ]);
  t.same(reassign(k, 'b', [[0, null]]), [{ p: 0, error: ErrorCode.NONE, message: null }]);
  t.same(assignment(part(k, 'b')), { replicas: [1, 2], adding: [], removing: [], leader: -1, isr: [1], leaderEpoch: 2 }, 'back on 1 and 2, both fenced: no leader until one returns');
});

t.test('reassignment refusals, in Kafka order and wording', async (t) => {
  const k = controller();
  up(k, [1, 2, 3]);
  topicWith(k, 'a', [[1], [1], [1], [1], [1]]);
  t.same(reassign(k, 'a', [[0, []], [1, [1, 9]], [2, [2, 2]], [7, [2]], [3, [2, 3]]], { allowReplicationFactorChange: false }), [
    { p: 0, error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes an empty replica list.' },
    { p: 1, error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes broker 9, but no such broker is registered.' },
    { p: 2, error: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes the broker 2 more than once.' },
    { p: 7, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'Unable to find partition a:7.' },
    { p: 3, error: ErrorCode.INVALID_REPLICATION_FACTOR, message: 'The replication factor is changed from 1 to 2' },
  ]);
  t.same(reassign(k, 'a', [[3, [2, 3]]], { version: 0, allowReplicationFactorChange: false }), [{ p: 3, error: ErrorCode.NONE, message: null }], 'v0 has no such option: factor changes are allowed');
  t.same(reassign(k, 'a', [[3, [3, 1]]], { allowReplicationFactorChange: false }), [{ p: 3, error: ErrorCode.NONE, message: null }], 'during a move the factor is the target\'s');
  t.same(
    assignment(part(k, 'a', 3)),
    { replicas: [3, 1, 2], adding: [], removing: [2], leader: 1, isr: [1], leaderEpoch: 0 },
    'a new target replaces the one going on, computed from the replicas listed as Kafka does (3 was listed already: not adding)',
  );
  t.same(reassign(k, 'a', [[4, [2]], [4, [3]]]), [
    { p: 4, error: ErrorCode.NONE, message: null },
    { p: 4, error: ErrorCode.NONE, message: null },
  ]);
  t.same(assignment(part(k, 'a', 4)), { replicas: [3, 1, 2], adding: [3], removing: [1, 2], leader: 1, isr: [1], leaderEpoch: 0 }, 'the same partition twice in one request: the second builds on the first');
  const unknown = k.c.alterPartitionReassignments({ timeoutMs: 1, allowReplicationFactorChange: true, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, replicas: [1] }] }] }, 1);
  t.same(unknown.responses, [{ name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'Unable to find a topic named nope.' }] }]);
  t.same(snapshot(replayed(k)), snapshot(k.image));
});

t.test('a reassignment whose write fails changes nothing and answers KAFKA_STORAGE_ERROR', async (t) => {
  const k = controller();
  up(k, [1, 2]);
  topicWith(k, 'a', [[1]]);
  k.log.failNext = true;
  t.equal(reassign(k, 'a', [[0, [2]]])[0]!.error, ErrorCode.KAFKA_STORAGE_ERROR);
  t.same(assignment(part(k, 'a')), { replicas: [1], adding: [], removing: [], leader: 1, isr: [1], leaderEpoch: 0 });
});

t.test('the auto leader rebalance gives leadership back to preferred replicas in the ISR, at most electionsMax at a time', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2, 3], 0);
  topicWith(k, 'a', [
    [1, 2],
    [1, 3],
    [2, 1],
  ]);
  beatAll(k, [2, 3], 900);
  k.c.fenceStaleBrokers(1001);
  t.same([0, 1, 2].map((p) => part(k, 'a', p).leader), [2, 3, 2], 'broker 1 fenced: its leaderships moved');
  t.equal(k.c.balancePartitionLeaders(), 0, 'the preferred replica is not live: nothing to do');
  k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset), 1100);
  t.equal(k.c.balancePartitionLeaders(), 0, 'back, but not in the ISR yet');
  k.c.alterPartition(alter(k, 2, 'a', 0, [2, 1], 3), 3);
  k.c.alterPartition(alter(k, 3, 'a', 1, [3, 1], 3), 3);
  t.equal(k.c.balancePartitionLeaders(1), 1, 'bounded');
  t.same([0, 1, 2].map((p) => part(k, 'a', p).leader), [1, 3, 2]);
  t.equal(k.c.balancePartitionLeaders(), 1);
  t.same([0, 1, 2].map((p) => part(k, 'a', p).leader), [1, 1, 2]);
  t.same(brief(part(k, 'a', 1)), { leader: 1, isr: [3, 1], leaderEpoch: 2, partitionEpoch: 3 });
  t.equal(k.c.balancePartitionLeaders(), 0, 'balanced');
});

// ---- moveLeader (the test-control plane's leader move) ----

t.test('moveLeader: one PartitionChange with the new leader first, epoch + 1, ISR kept; refusals say why', async (t) => {
  const k = controller({ sessionTimeoutMs: 1000 });
  up(k, [1, 2, 3], 0);
  topicWith(k, 'm', [[1, 2, 3]]);
  const before = part(k, 'm');
  const moved = k.c.moveLeader('m', 0, 3);
  t.equal(moved.errorCode, ErrorCode.NONE);
  t.equal(moved.leaderEpoch, before.leaderEpoch + 1);
  t.same(brief(part(k, 'm')), { leader: 3, isr: before.isr, leaderEpoch: before.leaderEpoch + 1, partitionEpoch: before.partitionEpoch + 1 });
  t.same(part(k, 'm').replicas, [3, 1, 2], 'the new leader is the preferred replica now (the auto rebalance keeps it)');
  t.equal(k.c.balancePartitionLeaders(), 0, 'nothing for the leader rebalance to undo');
  const same = part(k, 'm').partitionEpoch;
  t.equal(k.c.moveLeader('m', 0, 3).errorCode, ErrorCode.NONE, 'to the current leader: nothing to do');
  t.equal(part(k, 'm').partitionEpoch, same, 'and nothing written');
  t.match(k.c.moveLeader('m', 0, 9), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: /broker 9 holds no replica of m-0/ });
  t.equal(k.c.moveLeader('nope', 0, 1).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  t.equal(k.c.moveLeader('m', 5, 1).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  k.c.alterPartition(alter(k, 3, 'm', 0, [3, 1], 3), 3);
  t.match(k.c.moveLeader('m', 0, 2), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: /broker 2 is not in the ISR of m-0/ });
  k.c.heartbeat(beat(1, k.epochs.get(1)!, k.image.lastOffset, { wantFence: true }), 10);
  t.equal(k.c.moveLeader('m', 0, 1).errorCode, ErrorCode.INVALID_REQUEST, 'a fenced broker cannot lead');
  t.equal(part(k, 'm').leader, 3);
});

t.test('UpdateFeatures: every registered broker must support the level; the records replay', async (t) => {
  const k = controller();
  up(k, [1]);
  const set = (feature: string, level: number, upgradeType = 1) => k.c.updateFeatures([{ feature, maxVersionLevel: level, upgradeType }], false);
  t.equal(set('group.version', 0, 2).errorCode, ErrorCode.NONE, 'group.version disabled');
  t.equal(set('transaction.version', 1, 2).errorCode, ErrorCode.NONE, 'transaction.version 1');
  // Broker 2 is older software: it supports transaction.version 0-1 only and does not know
  // group.version (it may register now that neither is finalized above what it supports).
  const older = supportedFeatures()
    .filter((f) => f.name !== 'group.version')
    .map((f) => (f.name === 'transaction.version' ? { ...f, maxSupportedVersion: 1 } : f));
  t.equal(k.c.registerBroker(registration(2, 0, { features: older }), 0).errorCode, ErrorCode.NONE);
  const offset = k.image.lastOffset;
  t.match(set('transaction.version', 2).errorMessage, /Invalid update version 2 for feature transaction\.version\. Broker 2 only supports versions 0-1$/);
  t.match(set('group.version', 1).errorMessage, /Broker 2 does not support this feature\.$/, 'a feature a broker did not register');
  t.equal(k.image.lastOffset, offset, 'nothing written');
  t.equal(k.c.updateFeatures([{ feature: 'share.version', maxVersionLevel: 1, upgradeType: 2 }, { feature: 'share.version', maxVersionLevel: 0, upgradeType: 2 }], false).errorCode, ErrorCode.NONE, 'a feature named twice: the last update counts');
  t.same(
    k.log.records().filter((rec) => rec.type === 'FeatureLevel').slice(-3),
    [
      { type: 'FeatureLevel', name: 'group.version', level: 0 },
      { type: 'FeatureLevel', name: 'transaction.version', level: 1 },
      { type: 'FeatureLevel', name: 'share.version', level: 0 },
    ],
  );
  const image = replayed(k);
  t.same([image.features.get('group.version'), image.features.get('transaction.version'), image.features.get('share.version')], [0, 1, 0], 'replayed from the log');
  t.equal(k.c.updateFeatures([{ feature: 'metadata.version', maxVersionLevel: 27, upgradeType: 1 }, { feature: 'kraft.version', maxVersionLevel: 0, upgradeType: 1 }], false).errorCode, ErrorCode.NONE, 'metadata.version 27 and kraft.version 0 as they are');
  t.equal(k.image.features.has('metadata.version'), false, 'no record for them');
});
