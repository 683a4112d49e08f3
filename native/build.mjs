// Builds the Rust addon into native/sluice.node with @napi-rs/cli 2 (`napi build`). Its one
// dependency (zstd-safe, with zstd-sys and cc to build libzstd from source: native/Cargo.toml) is
// pinned by native/Cargo.lock and built with --locked; cargo downloads those crates from crates.io
// the first time and builds offline once they are in its cache. Needs a C compiler (cc).
// Run by `npm run build:native` and by `prepare`, so `npm install` and `npm ci` build it when cargo
// is present. Without cargo it prints one line and exits 0: the broker then runs on the TypeScript
// twins (src/native/addon.ts says so once at start). With cargo, a failed build fails the install.
// Cargo is looked for on PATH, then in $CARGO_HOME/bin and ~/.cargo/bin (rustup's default, often
// missing from PATH in non-interactive shells such as CI).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

function findCargo() {
  const onPath = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return { dir: null };
  for (const dir of [process.env.CARGO_HOME && join(process.env.CARGO_HOME, 'bin'), join(homedir(), '.cargo', 'bin')]) {
    if (dir && existsSync(join(dir, 'cargo'))) return { dir };
  }
  return null;
}

function napiCli() {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('@napi-rs/cli/package.json');
    const bin = require(pkgPath).bin;
    return join(dirname(pkgPath), typeof bin === 'string' ? bin : bin.napi);
  } catch {
    return null;
  }
}

const cargo = findCargo();
if (cargo === null) {
  console.log('cargo not found: running on the TypeScript implementations');
  process.exit(0);
}
const cli = napiCli();
if (cli === null) {
  // A production install (--omit=dev) has no build tool; the TypeScript twins serve.
  console.log('@napi-rs/cli not installed: native addon not built, running on the TypeScript implementations');
  process.exit(0);
}
const env = { ...process.env };
if (cargo.dir !== null) env.PATH = `${cargo.dir}${delimiter}${env.PATH ?? ''}`;
// napi.json names the output (`sluice` -> native/sluice.node, the path src/native/addon.ts loads).
// No --platform: the addon is built where it runs, so the file name needs no target triple.
const args = [cli, 'build', '--release', '--strip', '--cargo-cwd', 'native', '--config', 'native/napi.json', '--cargo-flags=--locked', 'native'];
const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8' });
const out = join(here, 'sluice.node');
if (r.status !== 0 || !existsSync(out)) {
  process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  console.error(`native addon build failed (napi build exited ${r.status ?? r.signal}); fix it or uninstall cargo to use the TypeScript implementations`);
  process.exit(1);
}
console.log(`native addon built: ${out}`);
