/**
 * Metadata records: every change to topics, partitions, configs and features is one of these,
 * appended to the `__cluster_metadata` log before it takes effect, and replayed into the image on
 * start (KRaft's model).
 *
 * On disk each record is a Kafka record inside an ordinary RecordBatch v2 of the metadata
 * partition log: key = the record type as UTF-8, value = UTF-8 JSON of the record, with a
 * `v` field giving the record's format version (1 for all types today). One controller operation
 * (creating a topic with its partitions and configs, say) is one batch, so a crash leaves all of
 * it or none of it. Unknown types or versions stop the broker at start: a newer data directory
 * must not be half understood.
 */

export const METADATA_RECORD_VERSION = 1;

/** A partition's placement; the image keeps exactly these fields. */
export interface PartitionFields {
  partition: number;
  replicas: number[];
  isr: number[];
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
}

export type MetadataRecord =
  | { type: 'FeatureLevel'; name: string; level: number }
  | { type: 'Topic'; name: string; topicId: string }
  | ({ type: 'Partition'; topicId: string } & PartitionFields)
  | { type: 'Config'; resourceType: 'topic' | 'broker'; resourceName: string; name: string; value: string | null }
  | { type: 'RemoveTopic'; topicId: string }
  /** Producer ids below `nextProducerId` have been handed out (Kafka's ProducerIdsRecord). */
  | { type: 'ProducerIds'; nextProducerId: string };

export function encodeMetadataRecord(rec: MetadataRecord): { key: Buffer; value: Buffer } {
  return { key: Buffer.from(rec.type), value: Buffer.from(JSON.stringify({ v: METADATA_RECORD_VERSION, ...rec })) };
}

export function decodeMetadataRecord(key: Buffer | null, value: Buffer | null): MetadataRecord {
  if (key === null || value === null) throw new Error('metadata record without key or value');
  const type = key.toString();
  const obj = JSON.parse(value.toString()) as Record<string, unknown>;
  if (obj['v'] !== METADATA_RECORD_VERSION || obj['type'] !== type) {
    throw new Error(`metadata record ${type} has version ${String(obj['v'])}; this broker reads version ${METADATA_RECORD_VERSION}`);
  }
  delete obj['v'];
  switch (type) {
    case 'FeatureLevel':
    case 'Topic':
    case 'Partition':
    case 'Config':
    case 'RemoveTopic':
    case 'ProducerIds':
      return obj as unknown as MetadataRecord;
    default:
      throw new Error(`unknown metadata record type ${type}`);
  }
}
