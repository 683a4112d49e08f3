/**
 * The summary `npm test` ends with, read from what tap really prints: a throwaway test file with
 * passing, failing, skipped and throwing tests is run by tap as run-tests runs it, and its output
 * fed to TapSummary.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TapSummary } from './tap-summary.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

const SAMPLE = `import t from 'tap';
t.test('passes', async (t) => t.ok(true));
t.test('is skipped', { skip: 'not here' }, async () => {});
t.test('top', async (t) => {
  t.ok(true, 'fine');
  await t.test('inner', async (t) => {
    t.equal(1, 2, 'one is two');
    t.same(['a', 'b'], ['a', 'c'], 'arrays');
    throw new Error('timed out waiting for X\\nthe diagnosis');
  });
});
`;

t.test('failed assertions are listed under their failed test with path, line and diff', async (t) => {
  // Inside the project, so the file finds tap as the real tests do.
  const dir = mkdtempSync(join(root, 'dist', 'tap-summary-sample-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sample.test.mjs');
  writeFileSync(file, SAMPLE);
  const rel = relative(root, file);
  const run = spawnSync(process.execPath, [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), '--disable-coverage', '--reporter=tap', rel], { cwd: root, encoding: 'utf8' });
  const summary = new TapSummary();
  for (const line of run.stdout.split('\n')) summary.onLine(line);
  const text = summary.finish(run.status);
  t.equal(summary.passed, 1, text);
  t.equal(summary.failed, 1);
  t.equal(summary.skipped, 1);
  t.match(text, new RegExp(`Skipped:\\n  ${rel}: is skipped \\(SKIP not here\\)`));
  const failures = text.slice(text.indexOf('Failures:')).split('\n');
  t.same(
    failures.slice(1, 9),
    [
      `  ${rel}: top`,
      `        inner > one is two (${rel}:7)`,
      '            -2',
      '            +1',
      `        inner > arrays (${rel}:8)`,
      '            -  "c",',
      '            +  "b",',
      `        inner > timed out waiting for X the diagnosis (${rel}:9)`,
    ],
    text,
  );
  t.notMatch(text, /fine/, 'passing assertions are not listed');
  t.match(text, /\n1 passed, 1 failed, 1 skipped\n$/);
});

t.test('a long failure message is clipped, and at most five assertions are listed per test', async (t) => {
  const summary = new TapSummary();
  const lines = ['# Subtest: f.test.js', '    # Subtest: many'];
  for (let i = 1; i <= 7; i++) lines.push(`        not ok ${i} - ${'x'.repeat(i === 1 ? 2000 : 10)}`, '          ---', '          at:', '            fileName: f.ts', `            lineNumber: ${i}`, '          ...');
  lines.push('        1..7', '    not ok 1 - many # time=5ms', 'not ok 1 - f.test.js # time=6ms');
  for (const l of lines) summary.onLine(l);
  const text = summary.finish(1);
  const listed = text.split('\n').filter((l) => l.startsWith('        x'));
  t.equal(listed.length, 5);
  t.match(listed[0]!, /^ {8}x{600} \.\.\. \(f\.ts:1\)$/);
  t.match(text, /\n0 passed, 1 failed\n$/);
});
