/**
 * franz-go (kgo and kadm, the versions in compat-tests/go/go.mod) against a real `sluice start`
 * process, through the driver compat-tests/go/main.go: see newest-clients.ts. .ci/run builds the
 * driver into .cache/franz-driver.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';
import { clientSuite } from './newest-clients.js';

const GO_MOD = readFileSync(join(ROOT, 'compat-tests', 'go', 'go.mod'), 'utf8');
const KGO = /github\.com\/twmb\/franz-go (v[^\s]+)/.exec(GO_MOD)![1]!;
const KADM = /github\.com\/twmb\/franz-go\/pkg\/kadm (v[^\s]+)/.exec(GO_MOD)![1]!;
const DRIVER = join(ROOT, '.cache', 'franz-driver');

t.test(`franz-go ${KGO} (kadm ${KADM})`, (t) =>
  clientSuite(t, {
    name: 'franz-go',
    label: `franz-go ${KGO} (kadm ${KADM})`,
    check() {
      if (!existsSync(DRIVER)) throw new Error(`${DRIVER} not built; run .ci/run, or: (cd compat-tests/go && go build -o ../../.cache/franz-driver .)`);
    },
    command: (args) => ({ cmd: DRIVER, args }),
  }),
);
