/**
 * Runs the Rust unit tests (`cargo test` in native/: CRC-32C against known vectors and the
 * software tables, batch checks, file I/O) so that `npm test` covers the addon's pure logic too.
 * Without cargo: a failure under SLUICE_NATIVE=require, else a visible skip. And where cargo is
 * installed, `npm install` must have built the addon and the default policy must load it: a
 * silent fall-back to the TypeScript twins would otherwise only show as skipped native tests.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeMode, nativeStatus } from './addon.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/** PATH with cargo on it, or null: PATH first, then $CARGO_HOME/bin and ~/.cargo/bin (as native/build.mjs). */
function pathWithCargo(): string | null {
  const path = process.env.PATH ?? '';
  if (spawnSync('cargo', ['--version']).status === 0) return path;
  for (const dir of [process.env.CARGO_HOME ? join(process.env.CARGO_HOME, 'bin') : '', join(homedir(), '.cargo', 'bin')])
    if (dir !== '' && existsSync(join(dir, 'cargo'))) return `${dir}${delimiter}${path}`;
  return null;
}

const path = pathWithCargo();
const noCargo = 'cargo not found (PATH, $CARGO_HOME/bin, ~/.cargo/bin)';

if (path === null && nativeMode === 'require')
  t.test('cargo test (native/)', async (t) => {
    t.fail(`SLUICE_NATIVE=require but ${noCargo}`);
  });
else
  t.test('cargo test (native/)', { skip: path === null ? noCargo : false }, async (t) => {
    const r = spawnSync('cargo', ['test', '--offline', '--manifest-path', join(root, 'native', 'Cargo.toml')], {
      cwd: root,
      env: { ...process.env, PATH: path!, CARGO_NET_OFFLINE: 'true' },
      encoding: 'utf8',
    });
    const summary = /test result: (\w+)\. (\d+) passed; (\d+) failed/.exec(r.stdout);
    t.equal(r.status, 0, r.status === 0 ? 'cargo test passed' : `${r.stdout}\n${r.stderr}`);
    t.ok(summary !== null && Number(summary[2]) > 0 && summary[3] === '0', summary?.[0] ?? 'no test summary');
  });

t.test('with cargo installed, the addon npm install built loads by default', {
  skip: path === null ? noCargo : nativeMode === 'off' ? 'SLUICE_NATIVE=off' : false,
}, async (t) => {
  const status = nativeStatus();
  t.ok(status.loaded, status.loaded ? 'native addon loaded' : `not loaded: ${status.reason}`);
});
