/**
 * Packaging (issue 14, item 7): `npm pack` of this checkout, installed into an empty project the
 * way a user would (`npm install -D ./sluice-<version>.tgz`), gives the `sluice` command, the embed
 * API (`import { startBroker } from 'sluice'`, with types) and the native addon prebuilt for this
 * platform (native/sluice.<triple>.node, napi-rs's name), with nothing built on install.
 *
 * The pack runs with SLUICE_PACK_SKIP_BUILD=1: the suite runs after the build, and rebuilding
 * dist/ here would rewrite files under the tests running beside this one. The addon must have been
 * built (native/sluice.node; `npm ci` does it when cargo is present): the round trip runs with
 * SLUICE_NATIVE=require. kafkajs is linked from this checkout's node_modules; the package's own
 * dependencies (node-forge, yargs, @hpcc-js/wasm-zstd) come from npm's cache (--prefer-offline).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformTriple } from '../src/native/platform.js';
import { ROOT, run } from './harness.js';

const NPM = 'npm';
const work = mkdtempSync(join(tmpdir(), 'sluice-packaging-'));
const project = join(work, 'project');
const installed = join(project, 'node_modules', 'sluice');
const prebuilt = `native/sluice.${platformTriple()}.node`;
let tarball = '';

t.teardown(() => rmSync(work, { recursive: true, force: true }));


t.test('npm pack: the CLI, the embed API with types, the prebuilt addon, and nothing else', async (t) => {
  if (!existsSync(join(ROOT, 'native', 'sluice.node'))) throw new Error('native/sluice.node is not built (npm run build:native): the package would ship no addon');
  const manifestBefore = readFileSync(join(ROOT, 'package.json'), 'utf8');
  const r = await run(NPM, ['pack', '--json', '--pack-destination', work], { timeoutMs: 120_000, cwd: ROOT, env: { SLUICE_PACK_SKIP_BUILD: '1' } });
  t.equal(r.code, 0, r.stderr);
  t.equal(readFileSync(join(ROOT, 'package.json'), 'utf8'), manifestBefore, 'postpack put package.json back');
  // npm prints the hooks' output before the JSON.
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[\n'))) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  tarball = join(work, info[0]!.filename);
  const files = info[0]!.files.map((f) => f.path);
  for (const must of ['package.json', 'dist/sluice.mjs', 'dist/decompress-worker.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/log/decompress-worker.js', 'dist/src/admin/inspector-page.js', prebuilt, 'NOTICE', 'README.md'])
    t.ok(files.includes(must), `ships ${must}`);
  t.same(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript sources');
  t.same(files.filter((f) => /\.test\.|\.map$|tsbuildinfo|twins|fixtures|every-file-io/.test(f)), [], 'no tests, test helpers, source maps or build info');
  t.same(files.filter((f) => !/^(dist\/|native\/sluice\.[^/]+\.node$|package\.json$|README\.md$|NOTICE$)/.test(f)), [], 'nothing from src/, compat-tests/, bench/, protocol/, .ci/ or the Rust sources');
  t.notOk(files.includes('native/sluice.node'), 'the local build ships under its platform name only');
  t.ok(info[0]!.size < 5 * 1024 * 1024, `tarball ${info[0]!.size} bytes`);
});

t.test('npm install -D ./sluice-*.tgz into an empty project: no build step', async (t) => {
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const r = await run(NPM, ['install', '-D', tarball, join(ROOT, 'node_modules', 'kafkajs'), '--prefer-offline', '--no-audit', '--no-fund'], { timeoutMs: 120_000, cwd: project });
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stdout + r.stderr, /install scripts|prepare|napi|cargo/i, 'no install script listed or run');
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
  t.equal(pkg.scripts, undefined, 'the installed package.json has no scripts');
  t.equal(pkg.devDependencies, undefined);
  t.ok(existsSync(join(installed, prebuilt)));
  t.notOk(existsSync(join(installed, 'native', 'target')), 'nothing was compiled');
  t.ok(existsSync(join(project, 'node_modules', '.bin', 'sluice')), 'the sluice command is linked');
  // Only what runs: no shipped module imports a test tool or the test tree (a new test helper
  // under src/ must be added to the exclusions in package.json "files").
  const testOnly = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
    .filter((f) => /(?:from|import\()\s*['"](?:tap|kafkajs|playwright-core|[^'"]*compat-tests\/[^'"]*)['"]/.test(readFileSync(join(installed, 'dist', f), 'utf8')));
  t.same(testOnly, [], 'no shipped module imports tap, kafkajs, playwright-core or compat-tests/');
});

const ROUND_TRIP = `
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, nativeStatus } from 'sluice';

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-user-'));
const broker = await startBroker({ port: 0, dataDir });
const kafka = new Kafka({ clientId: 'user', brokers: ['127.0.0.1:' + broker.port], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'user-topic', numPartitions: 1 }] });
const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: 'user-topic', messages: ['one', 'two', 'three'].map((value) => ({ key: value, value })) });
const consumer = kafka.consumer({ groupId: 'user-group' });
await consumer.connect();
await consumer.subscribe({ topic: 'user-topic', fromBeginning: true });
const values = [];
await new Promise((resolve) => consumer.run({ eachMessage: async ({ message }) => { values.push(message.value.toString()); if (values.length === 3) resolve(); } }));
await consumer.disconnect();
await producer.disconnect();
await admin.disconnect();
await broker.stop();
rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({ values, native: nativeStatus() }));
`;

t.test('the installed embed API: startBroker() with the prebuilt addon, a kafkajs round trip', async (t) => {
  writeFileSync(join(project, 'round-trip.mjs'), ROUND_TRIP);
  const r = await run(process.execPath, ['round-trip.mjs'], { cwd: project, env: { SLUICE_NATIVE: 'require' }, timeoutMs: 60_000 });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { values: string[]; native: { loaded: boolean; path?: string } };
  t.same(out.values, ['one', 'two', 'three']);
  t.same(out.native, { loaded: true, path: join(installed, prebuilt) }, 'the addon loaded from the installed package');
});

t.test('the installed sluice command: --help, and a start that loads the addon', async (t) => {
  const bin = join(project, 'node_modules', '.bin', 'sluice');
  const help = await run(bin, ['--help'], { timeoutMs: 120_000, cwd: project });
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /sluice start/);

  const data = join(work, 'cli-data');
  const child = spawn(bin, ['start', '--port', '0', '--data-dir', data], { cwd: project, env: { ...process.env, SLUICE_NATIVE: 'require' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (/sluice ready on/.test(out)) resolve(true);
      };
      child.stderr.on('data', check);
      child.stdout.on('data', check);
    }),
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
  ]);
  t.ok(ready, `ready line:\n${out}`);
  t.match(out, /native addon loaded/);
  child.kill('SIGTERM');
  await exited;
});

t.test("the installed package's types: a user's TypeScript compiles against 'sluice'", async (t) => {
  writeFileSync(
    join(project, 'use.ts'),
    [
      "import { startBroker, nativeStatus, type RunningBroker, type StartBrokerOptions } from 'sluice';",
      "const opts: StartBrokerOptions = { port: 0, adminPort: 0 };",
      'const b: RunningBroker = await startBroker(opts);',
      'const port: number = b.port;',
      'const loaded: boolean = nativeStatus().loaded;',
      'console.log(port, loaded);',
      'await b.stop();',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, typeRoots: [join(ROOT, 'node_modules', '@types')], types: ['node'] },
      files: ['use.ts'],
    }),
  );
  const r = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { timeoutMs: 120_000, cwd: project });
  t.equal(r.code, 0, r.stdout + r.stderr);
  // A wrong type is caught: the types are really read, not `any`.
  writeFileSync(join(project, 'use.ts'), "import { startBroker } from 'sluice';\nconst n: string = (await startBroker()).port;\nconsole.log(n);\n");
  const bad = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { timeoutMs: 120_000, cwd: project });
  t.not(bad.code, 0);
  t.match(bad.stdout, /Type 'number' is not assignable to type 'string'/);
});
