/**
 * The newest Python clients from PyPI (confluent-kafka-python with its bundled librdkafka, and
 * kafka-python), pinned in compat-tests/python/requirements.txt and installed by .ci/run into the
 * git-ignored venv .cache/pyvenv, against a real `sluice start` process: see newest-clients.ts.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';
import { clientSuite, type ClientDriver } from './newest-clients.js';

const VENV_PYTHON = join(ROOT, '.cache', 'pyvenv', 'bin', 'python');
const HINT = `install with: python3 -m venv .cache/pyvenv && .cache/pyvenv/bin/pip install -r compat-tests/python/requirements.txt (or run .ci/run)`;

function versionOf(module: string, expr: string): string {
  if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} not found; ${HINT}`);
  const r = spawnSync(VENV_PYTHON, ['-c', `import ${module}; print(${expr})`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Python module ${module} not importable from ${VENV_PYTHON}; ${HINT}\n${r.stderr}`);
  return r.stdout.trim();
}

function pythonDriver(name: string, script: string, module: string, expr: string, what: string): ClientDriver {
  let label = what;
  return {
    name,
    get label() {
      return label;
    },
    check() {
      label = `${what} ${versionOf(module, expr)}`;
    },
    command: (args) => ({ cmd: VENV_PYTHON, args: [join(ROOT, 'compat-tests', 'python', script), ...args] }),
  };
}

t.test('confluent-kafka-python (newest, PyPI)', (t) =>
  clientSuite(t, pythonDriver('confluent-kafka-python', 'newest_ck.py', 'confluent_kafka', `confluent_kafka.__version__ + " (librdkafka " + confluent_kafka.libversion()[0] + ")"`, 'confluent-kafka-python')),
);

t.test('kafka-python (newest, PyPI)', (t) => clientSuite(t, pythonDriver('kafka-python', 'newest_kp.py', 'kafka', 'kafka.__version__', 'kafka-python')));
