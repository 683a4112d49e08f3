// Copies the addon built here (native/sluice.node) to the name napi-rs gives a prebuilt addon for
// this platform, native/sluice.<triple>.node (e.g. sluice.linux-x64-gnu.node): that copy, not
// sluice.node, is what `npm pack` puts in the package (package.json "files"), so an installed
// package loads a file that says which platform it was built for and never looks like a local
// build (src/native/addon.ts looks for sluice.node, then the prebuilt name, then the package
// sluice-<triple>). Run by `prepare` after the build; without a built addon it removes a stale
// copy and says the package will run on the TypeScript implementations.
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { platformTriple } from '../dist/src/native/platform.js';

const here = dirname(fileURLToPath(import.meta.url));
const built = join(here, 'sluice.node');
const name = `sluice.${platformTriple()}.node`;
// Copies for other platforms (a checkout moved between machines) must not be packed either.
for (const f of readdirSync(here)) if (/^sluice\..+\.node$/.test(f) && f !== name) rmSync(join(here, f));
if (!existsSync(built)) {
  rmSync(join(here, name), { force: true });
  console.log(`native/sluice.node not built: a packed package will run on the TypeScript implementations`);
  process.exit(0);
}
copyFileSync(built, join(here, name));
console.log(`native/${name}: the prebuilt addon a packed package ships`);
