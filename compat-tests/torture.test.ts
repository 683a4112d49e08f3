/**
 * The torture harness's short run, in CI (`npm run torture` is the long one; README has its
 * figures): fuzzed frames seeded from real clients, kill -9 cycles under idempotent load, and
 * connection floods, each against a real broker process. Every check it prints must hold.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { requireTool, ROOT } from './harness.js';

t.test('npm run torture -- --short: every check holds', async (t) => {
  requireTool('kcat');
  requireTool('kafka');
  requireTool('confluent_kafka');
  const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'compat-tests', 'torture', 'main.js'), '--short', '--seed', '20261201'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
  const lines = out.stdout.split('\n');
  for (const l of lines.filter((l) => l.startsWith('held: ') || l.startsWith('FAILED: '))) t.ok(l.startsWith('held: '), l);
  t.ok(lines.filter((l) => l.startsWith('held: ')).length >= 15, 'all three phases ran their checks');
  t.match(out.stdout, /torture: \d+ held, 0 failed/);
  t.equal(out.code, 0, 'exit code 0');
});
