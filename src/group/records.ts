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

export function decodeKey(buf: Buffer): OffsetKey | GroupKey {
  const r = new Reader(buf);
  const version = r.int16();
  let key: OffsetKey | GroupKey;
  if (version === 0 || version === 1) {
    key = { type: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  } else if (version === 2) {
    key = { type: 'group', group: r.string() };
  } else {
    throw new DecodeError(`__consumer_offsets key version ${version} is not one this broker reads (0-2)`);
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

/**
 * Topics named in a consumer-protocol subscription (ConsumerProtocolSubscription: version int16,
 * topics [string], ...), or null when the bytes are not one. Used for OffsetDelete's
 * GROUP_SUBSCRIBED_TO_TOPIC check only.
 */
export function subscribedTopics(subscription: Buffer): string[] | null {
  const r = new Reader(subscription);
  const version = r.int16();
  if (version < 0) return null;
  const n = r.arrayCount(2);
  const topics: string[] = [];
  for (let i = 0; i < n && r.error === null; i++) topics.push(r.string());
  return r.error === null ? topics : null;
}
