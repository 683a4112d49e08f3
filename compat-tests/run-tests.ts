/**
 * `npm test`: runs every compiled tap test (unit tests beside the code and the compat tests here)
 * and ends with one line `N passed, N failed` (`, N skipped` when any test was skipped, listed
 * above it), counting each top-level test of each file (a file that fails outside any test counts
 * as one failure). Exit code 1 on any failure.
 *
 * Usage: node dist/compat-tests/run-tests.js [path filter ...]
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const dist = join(root, 'dist');

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests(dist)
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  process.stdout.write('no test files found; run the build first\n0 passed, 1 failed\n');
  process.exit(1);
}

const child = spawn(process.execPath, [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), '--disable-coverage', '--reporter=tap', '--timeout=600', '--jobs=2', ...files], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});

let passed = 0;
let failed = 0;
let skipped = 0;
const skips: string[] = [];
let buffered = '';
const failures: string[] = [];
let currentFile = '';
const fileHadSubtests = new Map<string, boolean>();

function onLine(line: string): void {
  process.stdout.write(line + '\n');
  const sub = /^ {4}(not )?ok \d+ - (.*?)(?: # (.*))?$/.exec(line);
  if (sub) {
    fileHadSubtests.set(currentFile, true);
    if (sub[1]) {
      failed++;
      failures.push(`${currentFile}: ${sub[2]}`);
    } else if (/^SKIP\b/i.test(sub[3] ?? '')) {
      // A skipped test is not a pass: it is counted, and listed, on its own.
      skipped++;
      skips.push(`${currentFile}: ${sub[2]} (${sub[3]})`);
    } else passed++;
    return;
  }
  const subStart = /^# Subtest: (.*)$/.exec(line);
  if (subStart) {
    currentFile = subStart[1]!;
    return;
  }
  const top = /^(not )?ok \d+ - (\S+)/.exec(line);
  if (top && top[1] && !fileHadSubtests.get(top[2]!)) {
    failed++;
    failures.push(`${top[2]}: failed outside any test`);
  }
}

child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk: string) => {
  buffered += chunk;
  let nl: number;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    onLine(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
  }
});
child.on('close', (code) => {
  if (buffered) onLine(buffered);
  if (code !== 0 && failed === 0) {
    failed++;
    failures.push(`tap exited with code ${code}`);
  }
  if (skips.length > 0) process.stdout.write(`\nSkipped:\n${skips.map((f) => `  ${f}`).join('\n')}\n`);
  if (failures.length > 0) process.stdout.write(`\nFailures:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  process.exit(failed > 0 ? 1 : 0);
});
