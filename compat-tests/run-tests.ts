/**
 * `npm test`: runs every compiled tap test (unit tests beside the code and the compat tests here)
 * and ends with one line `N passed, N failed` (`, N skipped` when any test was skipped, listed
 * above it), counting each top-level test of each file (`tap-summary.ts`: what is counted, and
 * the failed assertions listed under each failed test). Exit code 1 on any failure.
 *
 * Usage: node dist/compat-tests/run-tests.js [path filter ...]
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TapSummary } from './tap-summary.js';

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

const summary = new TapSummary();
let buffered = '';
function onLine(line: string): void {
  process.stdout.write(line + '\n');
  summary.onLine(line);
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
  process.stdout.write(summary.finish(code));
  process.exit(summary.failed > 0 ? 1 : 0);
});
