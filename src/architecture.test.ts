/**
 * The house (../shared/STYLE.md), checked: imports flow downward, `log/` imports nothing above
 * it, and request handlers never reach a partition's log or files, only the replica layer.
 * Reads the TypeScript sources beside the compiled test (src/ from dist/src/).
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(here, '../../src');

/**
 * Layers from the top; a module may import its own layer and those below it. `client` is the
 * tools' Kafka client (src/cli/tools.ts), a user of the wire like any other client, above the broker. `protocol`,
 * `config`, `logger` and `control` serve every layer.
 */
const LAYERS: readonly string[][] = [['cli'], ['client'], ['index.ts', 'cluster.ts'], ['broker.ts', 'forwarding.ts', 'txn-marker-channel.ts', 'txn-partition-checks.ts', 'admin', 'net'], ['api'], ['group', 'share', 'txn', 'auth', 'telemetry'], ['replica'], ['metadata'], ['log'], ['native']];
const SHARED = new Set(['protocol', 'config', 'logger.ts', 'control']);

function rankOf(top: string): number | 'shared' {
  if (SHARED.has(top)) return 'shared';
  const i = LAYERS.findIndex((l) => l.includes(top));
  if (i < 0) throw new Error(`src/${top} is in no layer of architecture.test.ts: add it`);
  return i;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'generated') out.push(...sources(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a file, as paths under src/ ("log/partition-log.ts"). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)) {
    out.push(relative(SRC, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const topOf = (path: string): string => path.split('/')[0]!;

t.test('imports flow downward', async (t) => {
  const files = sources(SRC);
  t.ok(files.length > 50, `read ${files.length} source files`);
  const upward: string[] = [];
  for (const file of files) {
    const own = rankOf(topOf(relative(SRC, file)));
    for (const target of importsOf(file)) {
      const theirs = rankOf(topOf(target));
      if (own === 'shared' || theirs === 'shared') continue;
      if (theirs < own) upward.push(`${relative(SRC, file)} -> ${target}`);
    }
  }
  t.same(upward, [], 'no module imports a layer above its own');
});

t.test('log/ imports nothing above it', async (t) => {
  const allowed = new Set(['log', 'native', 'protocol', 'config', 'logger.ts']);
  // Everyone may read control's clock (STYLE.md), the one time source of the broker.
  const bad = sources(join(SRC, 'log')).flatMap((f) => importsOf(f).filter((i) => !allowed.has(topOf(i)) && i !== 'control/clock.ts').map((i) => `${relative(SRC, f)} -> ${i}`));
  t.same(bad, []);
});

t.test('handlers never touch a PartitionLog, the log manager or files', async (t) => {
  const forbidden = /^log\/(partition-log|log-manager|segment|file-io|bounded-file-io)\.ts$/;
  const bad: string[] = [];
  for (const f of sources(join(SRC, 'api'))) {
    for (const i of importsOf(f)) if (forbidden.test(i)) bad.push(`${relative(SRC, f)} -> ${i}`);
    if (/\bPartitionLog\b|\.logs\b/.test(readFileSync(f, 'utf8'))) bad.push(`${relative(SRC, f)} names PartitionLog or the broker's logs`);
  }
  t.same(bad, []);
});

t.test('the import reader sees imports, multi-line ones too', async (t) => {
  const broker = importsOf(join(SRC, 'broker.ts'));
  t.ok(broker.includes('replica/replica-manager.ts'), 'broker.ts -> replica/replica-manager.ts');
  // partition-log.ts imports segment.ts with a multi-line import list.
  t.ok(importsOf(join(SRC, 'log/partition-log.ts')).includes('log/segment.ts'), 'a multi-line import is read');
});
