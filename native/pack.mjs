// `npm pack` hooks (package.json "prepack" and "postpack"), so that a plain `npm pack` yields the
// package a user installs (`npm install -D ./sluice-<version>.tgz`): the CLI bundle, the embed API
// (dist/src without tests) and the addon prebuilt for this platform, nothing to build on the
// user's machine.
//
//   prepack   builds (`npm run build`, the addon, its prebuilt copy: native/prebuilt.mjs) unless
//             SLUICE_PACK_SKIP_BUILD=1 says dist/ and native/ are already fresh (the packaging
//             test, which must not rewrite dist/ under tests running beside it); then writes the
//             package.json that gets packed: without "scripts" and "devDependencies", which only
//             this checkout uses (npm lists a dependency's "prepare" as an install script it did
//             not run, and a user should see no such warning). The original is kept in
//             dist/.package.json.prepack.
//   postpack  puts the original package.json back. A pack that failed half way left the copy;
//             prepack puts it back first, and `node native/pack.mjs postpack` does it by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const manifest = join(root, 'package.json');
const saved = join(root, 'dist', '.package.json.prepack');

function restore() {
  if (existsSync(saved)) renameSync(saved, manifest);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const step = process.argv[2];
if (step === 'prepack') {
  restore();
  if (process.env.SLUICE_PACK_SKIP_BUILD !== '1') {
    run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build']);
    run(process.execPath, [join(root, 'native', 'build.mjs')]);
  }
  run(process.execPath, [join(root, 'native', 'prebuilt.mjs')]);
  const original = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(original);
  delete pkg.scripts;
  delete pkg.devDependencies;
  mkdirSync(dirname(saved), { recursive: true });
  writeFileSync(saved, original);
  writeFileSync(manifest, JSON.stringify(pkg, null, 2) + '\n');
} else if (step === 'postpack') {
  restore();
} else {
  console.error('usage: node native/pack.mjs prepack|postpack');
  process.exit(2);
}
