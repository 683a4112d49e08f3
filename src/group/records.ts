/**
 * Records of the `__consumer_offsets` log, in Kafka's own formats, so the log reads the same as a
 * Kafka broker's (and compaction, later, keeps the latest value per key).
 *
 * Key: int16 version, then
 *   version 0/1: OffsetCommitKey   group STRING, topic STRING, partition INT32
 *   version 2:   GroupMetadataKey  group STRING
 * Value (null = tombstone: the offset or group was deleted): int16 version, then
 *   OffsetCommitValue v0: offset INT64, metadata STRING, commitTimestamp INT64
 *                     v1: v0 + expireTimestamp INT64
 *                     v2: as v0
 *                     v3: offset INT64, leaderEpoch INT32, metadata STRING, commitTimestamp INT64
 *   GroupMetadataValue v0-v3: protocolType STRING, generation INT32, protocol NULLABLE_STRING,
 *     leader NULLABLE_STRING, [v2+] currentStateTimestamp INT64, members ARRAY of
 *     { memberId STRING, [v3+] groupInstanceId NULLABLE_STRING, clientId STRING, clientHost STRING,
 *       [v1+] rebalanceTimeout INT32, sessionTimeout INT32, subscription BYTES, assignment BYTES }
 * We write OffsetCommitValue v3 and GroupMetadataValue v3 (the newest non-flexible versions) and
 * read v0-v3. The flexible v4 values (topic ids) are refused: we never write them.
 *
 * KIP-848 consumer groups (Kafka 4's records; keys non-flexible, values flexible version 0 with
 * tagged fields, topic ids as 16-byte uuids):
 *   3 ConsumerGroupMetadata            group             -> Epoch INT32
 *   5 ConsumerGroupMemberMetadata      group, member     -> InstanceId, RackId (nullable), ClientId,
 *       ClientHost, SubscribedTopicNames [string], SubscribedTopicRegex (nullable),
 *       RebalanceTimeoutMs INT32, ServerAssignor (nullable); tag 0 ClassicMemberMetadata (not written)
 *   6 ConsumerGroupTargetAssignmentMetadata group       -> AssignmentEpoch INT32
 *   7 ConsumerGroupTargetAssignmentMember   group, member -> TopicPartitions [{TopicId, [INT32]}]
 *   8 ConsumerGroupCurrentMemberAssignment  group, member -> MemberEpoch, PreviousMemberEpoch INT32,
 *       State INT8, AssignedPartitions, PartitionsPendingRevocation [{TopicId, [INT32]}]
 * Key 4 (ConsumerGroupPartitionMetadata, deprecated by Kafka 4.1) is neither written nor needed:
 * the subscribed topics' metadata comes from the live metadata image.
 */
import { DecodeError, Reader, Writer } from '../protocol/wire.js';

export interface OffsetKey {
  type: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupKey {
  type: 'group';
  group: string;
}

export interface OffsetValue {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: StoredMember[];
}

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const OFFSET_VALUE_VERSION = 3;
const GROUP_VALUE_VERSION = 3;

function finish(w: Writer): Buffer {
  return Buffer.from(w.finish());
}

export function encodeOffsetKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_KEY_VERSION);
  w.string(group);
  w.string(topic);
  w.int32(partition);
  return finish(w);
}

export function encodeGroupKey(group: string): Buffer {
  const w = new Writer(32);
  w.int16(GROUP_KEY_VERSION);
  w.string(group);
  return finish(w);
}

export function encodeOffsetValue(v: OffsetValue): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_VALUE_VERSION);
  w.int64(v.offset);
  w.int32(v.leaderEpoch);
  w.string(v.metadata);
  w.int64(v.commitTimestamp);
  return finish(w);
}

export function encodeGroupValue(v: GroupValue): Buffer {
  const w = new Writer(256);
  w.int16(GROUP_VALUE_VERSION);
  w.string(v.protocolType);
  w.int32(v.generation);
  w.nullableString(v.protocol);
  w.nullableString(v.leader);
  w.int64(v.currentStateTimestamp);
  w.arrayCount(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId);
    w.nullableString(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return finish(w);
}

/** A share group's record (KIP-932): its epoch (type 11), a member (type 10), its initialized partitions (type 15). */
export interface ShareGroupKey {
  type: 'share';
  record: 'groupEpoch' | 'member' | 'statePartitions';
  group: string;
  memberId: string;
}

export type RecordKey = OffsetKey | GroupKey | ConsumerGroupKey | ShareGroupKey;

export function decodeKey(buf: Buffer): RecordKey {
  const r = new Reader(buf);
  const version = r.int16();
  let key: RecordKey;
  if (version === 0 || version === 1) {
    key = { type: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  } else if (version === 2) {
    key = { type: 'group', group: r.string() };
  } else if (version === CONSUMER_KEY.groupEpoch || version === CONSUMER_KEY.targetEpoch) {
    key = { type: 'consumer', record: version === CONSUMER_KEY.groupEpoch ? 'groupEpoch' : 'targetEpoch', group: r.string(), memberId: '' };
  } else if (version === CONSUMER_KEY.member || version === CONSUMER_KEY.targetMember || version === CONSUMER_KEY.currentAssignment) {
    const record = version === CONSUMER_KEY.member ? 'member' : version === CONSUMER_KEY.targetMember ? 'targetMember' : 'currentAssignment';
    key = { type: 'consumer', record, group: r.string(), memberId: r.string() };
  } else if (version === 10) {
    key = { type: 'share', record: 'member', group: r.string(), memberId: r.string() };
  } else if (version === 11 || version === 15) {
    key = { type: 'share', record: version === 11 ? 'groupEpoch' : 'statePartitions', group: r.string(), memberId: '' };
  } else {
    throw new DecodeError(`__consumer_offsets key version ${version} is not one this broker reads (0-3, 5-8, 10, 11, 15)`);
  }
  r.check();
  return key;
}

export function decodeOffsetValue(buf: Buffer): OffsetValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new DecodeError(`offset commit value version ${version} is not one this broker reads (0-3)`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = r.int64();
  if (version === 1) r.int64(); // expireTimestamp: no longer used (KIP-211)
  r.check();
  return { offset, leaderEpoch, metadata, commitTimestamp };
}

export function decodeGroupValue(buf: Buffer): GroupValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new DecodeError(`group metadata value version ${version} is not one this broker reads (0-3)`);
  const protocolType = r.string();
  const generation = r.int32();
  const protocol = r.nullableString();
  const leader = r.nullableString();
  const currentStateTimestamp = version >= 2 ? r.int64() : -1n;
  // memberId, clientId, clientHost (2 bytes each), sessionTimeout, subscription, assignment: >= 18 bytes
  const n = r.arrayCount(18);
  const members: StoredMember[] = [];
  for (let i = 0; i < n && r.error === null; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = Buffer.from(r.bytes());
    const assignment = Buffer.from(r.bytes());
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs, subscription, assignment });
  }
  r.check();
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

/** A consumer-protocol subscription (ConsumerProtocolSubscription v0-3), as classic members send it. */
export interface ConsumerSubscription {
  version: number;
  topics: string[];
  /** v1+: what the member owns now, by topic name. */
  ownedPartitions: Array<{ topic: string; partitions: number[] }>;
  rackId: string | null;
}

/** Decodes a ConsumerProtocolSubscription (newer versions read as v3, as Kafka does); null when malformed. */
export function decodeSubscription(buf: Buffer): ConsumerSubscription | null {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) return null;
  const n = r.arrayCount(2);
  const topics: string[] = [];
  for (let i = 0; i < n && r.error === null; i++) topics.push(r.string());
  r.nullableBytes(); // user data
  const ownedPartitions: ConsumerSubscription['ownedPartitions'] = [];
  let rackId: string | null = null;
  if (version >= 1 && r.remaining > 0) {
    const m = r.arrayCount(6);
    for (let i = 0; i < m && r.error === null; i++) {
      const topic = r.string();
      const k = r.arrayCount(4);
      const partitions: number[] = [];
      for (let j = 0; j < k && r.error === null; j++) partitions.push(r.int32());
      ownedPartitions.push({ topic, partitions });
    }
    if (version >= 2 && r.remaining >= 4) r.int32(); // generation id
    if (version >= 3 && r.remaining >= 2) rackId = r.nullableString();
  }
  return r.error === null ? { version, topics, ownedPartitions, rackId } : null;
}

/** A ConsumerProtocolAssignment (v0-3 share one layout) of these partitions, no user data. */
export function encodeAssignment(version: number, partitions: Array<{ topic: string; partitions: number[] }>): Buffer {
  const w = new Writer(64);
  w.int16(Math.min(Math.max(version, 0), 3));
  w.arrayCount(partitions.length);
  for (const p of partitions) {
    w.string(p.topic);
    w.arrayCount(p.partitions.length);
    for (const x of p.partitions) w.int32(x);
  }
  w.nullableBytes(null);
  return finish(w);
}

/**
 * The partitions of a ConsumerProtocolAssignment (version, [topic, [partition]], user data); [] for
 * no bytes (a member not yet assigned), null when malformed. The one decoder of these bytes: the
 * coordinator, the inspector and the CLI tools use it.
 */
export function decodeAssignment(buf: Buffer): Array<{ topic: string; partitions: number[] }> | null {
  if (buf.length === 0) return [];
  const r = new Reader(buf);
  if (r.int16() < 0) return null;
  const n = r.arrayCount(6);
  const out: Array<{ topic: string; partitions: number[] }> = [];
  for (let i = 0; i < n && r.error === null; i++) {
    const topic = r.string();
    const k = r.arrayCount(4);
    const partitions: number[] = [];
    for (let j = 0; j < k && r.error === null; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return r.error === null ? out : null;
}

/** Topics named in a consumer-protocol subscription, or null when the bytes are not one (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC check). */
export function subscribedTopics(subscription: Buffer): string[] | null {
  return decodeSubscription(subscription)?.topics ?? null;
}

// ------------------------------------------------------------------------------------------
// KIP-848 consumer group records

/** Key versions of the consumer-group records (Kafka's record types 3, 5-8). */
export const CONSUMER_KEY = { groupEpoch: 3, member: 5, targetEpoch: 6, targetMember: 7, currentAssignment: 8 } as const;
export type ConsumerRecordType = keyof typeof CONSUMER_KEY;

export interface ConsumerGroupKey {
  type: 'consumer';
  record: ConsumerRecordType;
  group: string;
  /** '' for the group-level records (3 and 6). */
  memberId: string;
}

export function encodeConsumerKey(record: ConsumerRecordType, group: string, memberId = ''): Buffer {
  const w = new Writer(64);
  w.int16(CONSUMER_KEY[record]);
  w.string(group);
  if (record !== 'groupEpoch' && record !== 'targetEpoch') w.string(memberId);
  return finish(w);
}

/** Topic id (base64url, as the metadata image keeps them) -> partitions. */
export type StoredAssignment = Map<string, Set<number>>;

/** ClassicMemberMetadata (tag 0 of the member record): set for members that use the classic protocol. */
export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
}

export interface ConsumerMemberValue {
  classic: ClassicMemberMetadata | null;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
}

export interface CurrentAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assigned: StoredAssignment;
  pendingRevocation: StoredAssignment;
}

function flexibleValue(write: (w: Writer) => void, tags: Array<[number, Buffer]> = []): Buffer {
  const w = new Writer(64);
  w.int16(0);
  write(w);
  w.taggedFields(tags);
  return finish(w);
}

function writeAssignment(w: Writer, a: StoredAssignment): void {
  const topics = [...a.entries()].filter(([, ps]) => ps.size > 0);
  w.compactArrayCount(topics.length);
  for (const [topicId, ps] of topics) {
    w.uuid(Buffer.from(topicId, 'base64url'));
    w.compactArrayCount(ps.size);
    for (const p of [...ps].sort((x, y) => x - y)) w.int32(p);
    w.taggedFields();
  }
}

function readAssignment(r: Reader): StoredAssignment {
  const out: StoredAssignment = new Map();
  const n = r.compactArrayCount(18);
  for (let i = 0; i < n && r.error === null; i++) {
    const topicId = Buffer.from(r.uuid()).toString('base64url');
    const m = r.compactArrayCount(4);
    const ps = new Set<number>();
    for (let j = 0; j < m && r.error === null; j++) ps.add(r.int32());
    r.taggedFields();
    out.set(topicId, ps);
  }
  return out;
}

function openFlexibleValue(buf: Buffer, what: string): Reader {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new DecodeError(`${what} value version ${version} is not one this broker reads (0)`);
  return r;
}

function closeFlexibleValue(r: Reader, onTag?: (tag: number, field: Reader) => boolean): void {
  r.taggedFields(onTag);
  r.check();
}

function encodeClassicMetadata(c: ClassicMemberMetadata): Buffer {
  const w = new Writer(64);
  w.int32(c.sessionTimeoutMs);
  w.compactArrayCount(c.protocols.length);
  for (const p of c.protocols) {
    w.compactString(p.name);
    w.compactBytes(p.metadata);
    w.taggedFields();
  }
  w.taggedFields();
  return finish(w);
}

function decodeClassicMetadata(r: Reader): ClassicMemberMetadata {
  const sessionTimeoutMs = r.int32();
  const n = r.compactArrayCount(3);
  const protocols: ClassicMemberMetadata['protocols'] = [];
  for (let i = 0; i < n && r.error === null; i++) {
    const name = r.compactString();
    const metadata = Buffer.from(r.compactBytes());
    r.taggedFields();
    protocols.push({ name, metadata });
  }
  r.taggedFields();
  return { sessionTimeoutMs, protocols };
}

export function encodeEpochValue(epoch: number): Buffer {
  return flexibleValue((w) => w.int32(epoch));
}

export function decodeEpochValue(buf: Buffer): number {
  const r = openFlexibleValue(buf, 'consumer group epoch');
  const epoch = r.int32();
  closeFlexibleValue(r);
  return epoch;
}

export function encodeConsumerMemberValue(v: ConsumerMemberValue): Buffer {
  return flexibleValue((w) => {
    w.compactNullableString(v.instanceId);
    w.compactNullableString(v.rackId);
    w.compactString(v.clientId);
    w.compactString(v.clientHost);
    w.compactArrayCount(v.subscribedTopicNames.length);
    for (const t of v.subscribedTopicNames) w.compactString(t);
    w.compactNullableString(v.subscribedTopicRegex);
    w.int32(v.rebalanceTimeoutMs);
    w.compactNullableString(v.serverAssignor);
  }, v.classic === null ? [] : [[0, encodeClassicMetadata(v.classic)]]);
}

export function decodeConsumerMemberValue(buf: Buffer): ConsumerMemberValue {
  const r = openFlexibleValue(buf, 'consumer group member');
  const instanceId = r.compactNullableString();
  const rackId = r.compactNullableString();
  const clientId = r.compactString();
  const clientHost = r.compactString();
  const n = r.compactArrayCount(1);
  const subscribedTopicNames: string[] = [];
  for (let i = 0; i < n && r.error === null; i++) subscribedTopicNames.push(r.compactString());
  const subscribedTopicRegex = r.compactNullableString();
  const rebalanceTimeoutMs = r.int32();
  const serverAssignor = r.compactNullableString();
  let classic: ClassicMemberMetadata | null = null;
  closeFlexibleValue(r, (tag, field) => {
    if (tag !== 0) return false;
    classic = decodeClassicMetadata(field);
    return true;
  });
  return { classic, instanceId, rackId, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex, rebalanceTimeoutMs, serverAssignor };
}

export function encodeTargetMemberValue(a: StoredAssignment): Buffer {
  return flexibleValue((w) => writeAssignment(w, a));
}

export function decodeTargetMemberValue(buf: Buffer): StoredAssignment {
  const r = openFlexibleValue(buf, 'consumer group target assignment');
  const a = readAssignment(r);
  closeFlexibleValue(r);
  return a;
}

export function encodeCurrentAssignmentValue(v: CurrentAssignmentValue): Buffer {
  return flexibleValue((w) => {
    w.int32(v.memberEpoch);
    w.int32(v.previousMemberEpoch);
    w.int8(v.state);
    writeAssignment(w, v.assigned);
    writeAssignment(w, v.pendingRevocation);
  });
}

export function decodeCurrentAssignmentValue(buf: Buffer): CurrentAssignmentValue {
  const r = openFlexibleValue(buf, 'consumer group current assignment');
  const memberEpoch = r.int32();
  const previousMemberEpoch = r.int32();
  const state = r.int8();
  const assigned = readAssignment(r);
  const pendingRevocation = readAssignment(r);
  closeFlexibleValue(r);
  return { memberEpoch, previousMemberEpoch, state, assigned, pendingRevocation };
}
