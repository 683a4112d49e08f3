/**
 * `npm test`: runs every compiled tap test (unit tests beside the code and the compat tests here)
 * and ends with one line `N passed, N failed` (`, N skipped` when any test was skipped, listed
 * above it), counting each top-level test of each file (a file that fails outside any test counts
 * as one failure). Exit code 1 on any failure. The list of failures at the end names, under each
 * failed test, the assertions that failed (their subtest path, source line and diff, bounded), so
 * the last lines of a long run say what went wrong.
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
/** The open subtests' names by indentation below a file's top-level tests (8 spaces: depth 0). */
const subtestPath: string[] = [];
/** Failed assertions (not subtests) per top-level test, with their details, awaiting that test's result. */
let pendingDetails: string[] = [];
/** The failed assertion whose YAML block is being read: its indentation and kept lines. */
let leaf: { indent: number; lines: string[]; inDiff: boolean; at: string[] } | null = null;
const MAX_DETAILS_PER_TEST = 5;
const MAX_LINE = 600;
const MAX_DIFF_LINES = 12;

function clip(s: string): string {
  return s.length > MAX_LINE ? `${s.slice(0, MAX_LINE)} ...` : s;
}

/** Reads the failure details out of the lines below a file's top-level tests; true when it took the line. */
function onDetailLine(line: string): boolean {
  if (leaf) {
    const inside = line.startsWith(' '.repeat(leaf.indent + 2));
    const body = line.slice(leaf.indent + 2);
    if (!inside || body === '...') {
      if (pendingDetails.length < MAX_DETAILS_PER_TEST) pendingDetails.push(leaf.lines.join('\n'));
      leaf = null;
      if (inside) return true;
    } else {
      const key = /^(\w+):/.exec(body);
      if (key) leaf.inDiff = key[1] === 'diff';
      const at = /^ {2}(fileName|lineNumber): (.*)$/.exec(body);
      if (at && !leaf.at.some((a) => a.startsWith(`${at[1]}:`))) {
        // The first fileName and lineNumber are where the assertion is (tap's `at`).
        leaf.at.push(`${at[1]}:${at[2]}`);
        if (leaf.at.length === 2) {
          const where = Object.fromEntries(leaf.at.map((a) => [a.slice(0, a.indexOf(':')), a.slice(a.indexOf(':') + 1)]));
          leaf.lines[0] = `${leaf.lines[0]} (${where.fileName}:${where.lineNumber})`;
        }
      } else if (leaf.inDiff && !key && /^ {2}[-+]/.test(body) && !/^ {2}(---|\+\+\+) /.test(body) && leaf.lines.length <= MAX_DIFF_LINES) {
        leaf.lines.push(`            ${clip(body.trim())}`);
      }
      return true;
    }
  }
  const depth = /^( {8,})(?:# Subtest: (.*)|not ok \d+ - (.*))$/.exec(line);
  if (!depth) return false;
  const level = (depth[1]!.length - 8) / 4;
  if (depth[2] !== undefined) {
    subtestPath.length = level;
    subtestPath[level] = depth[2];
    return false;
  }
  const name = depth[3]!;
  // A failed subtest carries its time; the failed assertions inside it are what say why.
  if (/ # time=[\d.]+m?s$/.test(name)) return false;
  leaf = { indent: depth[1]!.length, lines: [`      ${[...subtestPath.slice(0, level), clip(name)].join(' > ')}`], inDiff: false, at: [] };
  return false;
}

function onLine(line: string): void {
  process.stdout.write(line + '\n');
  if (onDetailLine(line)) return;
  const sub = /^ {4}(not )?ok \d+ - (.*?)(?: # (.*))?$/.exec(line);
  if (sub) {
    fileHadSubtests.set(currentFile, true);
    if (sub[1]) {
      failed++;
      failures.push(`${currentFile}: ${sub[2]}`, ...pendingDetails);
    } else if (/^SKIP\b/i.test(sub[3] ?? '')) {
      // A skipped test is not a pass: it is counted, and listed, on its own.
      skipped++;
      skips.push(`${currentFile}: ${sub[2]} (${sub[3]})`);
    } else passed++;
    pendingDetails = [];
    subtestPath.length = 0;
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
