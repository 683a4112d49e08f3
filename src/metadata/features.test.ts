/** Features (KIP-584): what format records, what ApiVersions reports, and `--feature` overrides. */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDataDir } from '../broker.js';
import { defaultFileIO } from '../log/file-io.js';
import { apiFinalizedFeatures, apiSupportedFeatures, formatFeatures, shareGroupsEnabled, transactionVersion } from './features.js';
import { MetadataImage } from './image.js';
import { MetadataLog } from './metadata-log.js';

/** The feature levels a freshly formatted data directory holds. */
function formatted(t: Test, features?: Record<string, number>): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-features-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  formatDataDir({ dataDir: dir, ...(features ? { features } : {}) });
  const image = new MetadataImage();
  const log = MetadataLog.open(dir, defaultFileIO());
  log.replay(image);
  log.close();
  return new Map(image.features);
}

t.test('format finalizes transaction.version=2 and group.version=1 by default, as Kafka 4.1 does, and share.version=1 (Kafka: 0)', async (t) => {
  const levels = formatted(t);
  t.equal(levels.get('transaction.version'), 2);
  t.equal(levels.get('group.version'), 1);
  t.equal(transactionVersion(levels), 2);
  t.ok(shareGroupsEnabled(levels));
  t.notOk(shareGroupsEnabled(formatted(t, { 'share.version': 0 })), '--feature share.version=0 turns share groups off');
  t.same(
    apiFinalizedFeatures(levels).map((f) => `${f.name}=${f.minVersionLevel}-${f.maxVersionLevel}`).sort(),
    ['group.version=1-1', 'metadata.version=27-27', 'share.version=1-1', 'transaction.version=2-2'],
    'ApiVersions: the Kafka features, not the internal sluice.metadata.version',
  );
});

t.test('--feature overrides a default; level 0 leaves the feature out', async (t) => {
  const levels = formatted(t, { 'transaction.version': 1, 'group.version': 0 });
  t.equal(levels.get('transaction.version'), 1);
  t.notOk(levels.has('group.version'));
  t.equal(transactionVersion(new Map()), 0, 'a cluster formatted before features: transactions v1 clients');
});

t.test('an unknown feature or a level out of range is refused', async (t) => {
  t.throws(() => formatFeatures({ 'no.such.version': 1 }), /unknown feature no\.such\.version/);
  t.throws(() => formatFeatures({ 'transaction.version': 3 }), /level 3 is not supported \(0-2\)/);
  t.throws(() => formatFeatures({ 'sluice.metadata.version': 2 }), /unknown feature/);
  t.throws(() => formatFeatures({ 'eligible.leader.replicas.version': 1 }), /not supported \(0-0\)/);
});

t.test('supported features: Kafka 4.1 names; metadata.version only at the level Sluice answers as', async (t) => {
  t.same(
    apiSupportedFeatures().map((f) => `${f.name}=${f.minVersion}-${f.maxVersion}`),
    ['metadata.version=27-27', 'group.version=0-1', 'transaction.version=0-2', 'share.version=0-1', 'kraft.version=0-0', 'eligible.leader.replicas.version=0-0'],
  );
});
