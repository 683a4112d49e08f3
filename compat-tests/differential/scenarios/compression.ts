/**
 * Broker-side compression (compression.type, KIP-390; src/log/recompress.ts): a batch produced
 * with another codec than the topic's is stored recompressed, and a fetch shows what the leader
 * wrote: the codec, the header fields (record count, lastOffsetDelta, base and max timestamps,
 * producer fields, the other attribute bits) and every record (offset, timestamp, key, value,
 * headers). The compressed bytes themselves are not compared (Kafka's encoders and ours differ
 * for gzip, snappy and lz4). A transactional batch, with its marker. Then a batch that grows past max.message.bytes once decompressed
 * for an uncompressed topic, and a batch already in the topic's codec.
 */
import type { Scenario, Target } from '../framework.js';
import { fetchRequest } from '../../raw-client.js';
import { Fetch } from '../../../src/protocol/generated/index.js';
import { readRawRecords } from '../../../src/log/batch-records.js';
import { rebuildBatch } from '../../../src/log/batch-rebuild.js';
import { BatchField, buildRecordBatch, Compression, splitBatches } from '../../../src/log/record-batch.js';
import { addPartition, BASE_TS, beginTxn, createTopic, endTxn, produce, waitStable, withoutMessages } from './util.js';

/** `batch` with its records compressed by `codec`, everything else as it was. */
function withCodec(batch: Buffer, codec: number): Buffer {
  return rebuildBatch(batch, readRawRecords(batch)!, { deleteHorizonMs: null, codec });
}

/** Records whose times are not in order (the first is not the least), with headers and a null value. */
function sample(prefix: string): Buffer {
  const times = [5n, 0n, 9n, 3n];
  return buildRecordBatch(
    times.map((d, i) => ({
      key: Buffer.from(`${prefix}${i}`),
      value: i === 2 ? null : Buffer.from(`value ${prefix}${i} `.repeat(20)),
      timestamp: BASE_TS + d,
      headers: [{ key: 'h', value: Buffer.from(`${i}`) }],
    })),
    { timestampMs: BASE_TS + 5n },
  );
}

/** Each fetched batch's header fields and records, as a client reads them. */
async function stored(t: Target, topic: string): Promise<unknown> {
  const res = await t.request(Fetch, 11, fetchRequest(topic, 0, 0n));
  const p = res.responses[0]!.partitions[0]!;
  const batches = p.records === null || p.records.length === 0 ? [] : splitBatches(p.records);
  return {
    errorCode: p.errorCode,
    batches: batches.map((b) => {
      const attributes = b.readInt16BE(BatchField.attributes);
      // A transaction marker: its codec and bits (its time is the broker's).
      if ((attributes & 0x20) !== 0) return { codec: attributes & 7, otherAttributes: attributes & ~7, baseOffset: b.readBigInt64BE(BatchField.baseOffset) };
      return {
        codec: attributes & 7,
        otherAttributes: attributes & ~7,
        baseOffset: b.readBigInt64BE(BatchField.baseOffset),
        lastOffsetDelta: b.readInt32BE(BatchField.lastOffsetDelta),
        baseTsFromBase: b.readBigInt64BE(BatchField.baseTimestamp) - BASE_TS,
        maxTsFromBase: b.readBigInt64BE(BatchField.maxTimestamp) - BASE_TS,
        producerId: b.readBigInt64BE(BatchField.producerId),
        producerEpoch: b.readInt16BE(BatchField.producerEpoch),
        baseSequence: b.readInt32BE(BatchField.baseSequence),
        records: readRawRecords(b)!.map((r) => ({
          offset: b.readBigInt64BE(BatchField.baseOffset) + BigInt(r.offsetDelta),
          tsFromBase: r.timestamp - BASE_TS,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          headers: r.headers.toString('hex'),
        })),
      };
    }),
  };
}

const TYPES: Array<[string, number]> = [
  ['zstd', Compression.none],
  ['gzip', Compression.zstd],
  ['snappy', Compression.none],
  ['lz4', Compression.gzip],
  ['uncompressed', Compression.lz4],
];

export const compressionScenarios: Scenario[] = [
  {
    name: 'recompression',
    async run(t, see) {
      for (const [type, sentWith] of TYPES) {
        const topic = `dp-rc-${type}`;
        see.code(`${type}/create`, await createTopic(t, topic, 1, { 'compression.type': type }));
        see.see(`${type}/produce`, withoutMessages(await produce(t, topic, 0, withCodec(sample('a'), sentWith))));
        // Already in the topic's codec: kept as sent.
        const own = type === 'uncompressed' ? Compression.none : (Compression as Readonly<Record<string, number>>)[type]!;
        see.see(`${type}/produce-own-codec`, withoutMessages(await produce(t, topic, 0, withCodec(sample('b'), own))));
        see.see(`${type}/stored`, await stored(t, topic));
      }
      // A transactional batch (gzip) to a zstd topic: stored as zstd with its producer id, epoch,
      // sequence and transactional bit; the commit marker after it stays uncompressed.
      see.code('txn/create', await createTopic(t, 'dp-rc-txn', 1, { 'compression.type': 'zstd' }));
      const txn = await beginTxn(t, 'dp-rc-txn-id');
      await addPartition(t, txn, 'dp-rc-txn', 0);
      const txnBatch = withCodec(buildRecordBatch([{ key: Buffer.from('t0'), value: Buffer.from('v') }, { key: Buffer.from('t1'), value: null }], { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: 0, isTransactional: true, timestampMs: BASE_TS }), Compression.gzip);
      see.see('txn/produce', withoutMessages(await produce(t, 'dp-rc-txn', 0, txnBatch, { transactionalId: txn.id })));
      await endTxn(t, txn, true);
      await waitStable(t, 'dp-rc-txn', 0);
      see.see('txn/stored', await stored(t, 'dp-rc-txn'));
      // 20 KB of one byte, gzip-compressed to about 60 bytes, for an uncompressed topic that takes
      // batches up to 2000 bytes: too large once stored.
      see.code('too-large/create', await createTopic(t, 'dp-rc-too-large', 1, { 'compression.type': 'uncompressed', 'max.message.bytes': '2000' }));
      const big = withCodec(buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.alloc(20_000, 0x61), timestamp: BASE_TS }], { timestampMs: BASE_TS }), Compression.gzip);
      see.see('too-large/produce', withoutMessages(await produce(t, 'dp-rc-too-large', 0, big)));
      see.see('too-large/stored', await stored(t, 'dp-rc-too-large'));
    },
  },
];
