/**
 * The APIs no other scenario reaches: SaslHandshake and SaslAuthenticate on a listener without
 * SASL, and DescribeLogDirs.
 */
import type { Scenario } from '../framework.js';
import { DescribeLogDirs, SaslAuthenticate, SaslHandshake } from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { batch, createTopic, produce } from './util.js';

export const miscScenarios: Scenario[] = [
  {
    name: 'sasl-on-plaintext',
    async run(t, see) {
      // Each on a connection of its own: what one answer does to the connection is observed too.
      for (const v of [0, 1]) {
        const c = await t.connect();
        const res = await c.request(SaslHandshake, v, { mechanism: 'PLAIN' });
        see.see(`handshake/v${v}`, { error: errorName(res.errorCode), mechanisms: res.mechanisms });
        const after = await c.request(SaslHandshake, v, { mechanism: 'SCRAM-SHA-256' }).then(
          (r) => errorName(r.errorCode),
          () => 'closed',
        );
        see.see(`handshake/v${v}/again`, after);
      }
      for (const v of [0, 1, 2]) {
        const c = await t.connect();
        const res = await c.request(SaslAuthenticate, v, { authBytes: Buffer.from('\u0000user\u0000secret') }).then(
          (r) => ({ error: errorName(r.errorCode), message: r.errorMessage !== null, authBytes: r.authBytes.length, lifetime: String(r.sessionLifetimeMs) }),
          () => 'closed',
        );
        see.see(`authenticate/v${v}`, res);
      }
    },
  },
  {
    name: 'describe-log-dirs',
    async run(t, see) {
      see.code('create', await createTopic(t, 'logdirs', 2));
      // The same bytes on both brokers: partition sizes compare exactly.
      see.code('produce', (await produce(t, 'logdirs', 0, batch(5, 'ld'))).errorCode);
      for (const v of [1, 2, 3, 4]) {
        const res = await t.request(DescribeLogDirs, v, {
          topics: [
            { topic: 'logdirs', partitions: [0, 1, 7] },
            { topic: 'logdirs-unknown', partitions: [0] },
          ],
        });
        see.see(`v${v}`, {
          error: errorName(res.errorCode),
          dirs: res.results.map((d) => ({
            error: errorName(d.errorCode),
            // The directories are each broker's own; what is in them is compared, partitions in
            // index order (Kafka lists them in its hash map's order).
            topics: d.topics.map((tp) => ({
              name: tp.name,
              partitions: [...tp.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => ({ ...p, partitionSize: String(p.partitionSize), offsetLag: String(p.offsetLag) })),
            })),
            totalBytesKnown: d.totalBytes >= 0n,
            usableBytesKnown: d.usableBytes >= 0n,
          })),
        });
      }
    },
  },
];
