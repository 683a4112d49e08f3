/**
 * The newest clients' drivers (compat-tests/java, go, python/newest_*.py), each behind the
 * ClientDriver interface of newest-clients.ts: one definition for the client tests against Sluice
 * and for the differential scenarios that run them against Apache Kafka too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';
import type { ClientDriver } from './newest-clients.js';
import { javaCommand } from './reference/kafka.js';

const JAVA_VERSION = /<kafka\.clients\.version>([^<]+)</.exec(readFileSync(join(ROOT, 'compat-tests', 'java', 'pom.xml'), 'utf8'))![1]!;
const JAVA_LIBS = process.env.SLUICE_JAVA_CLIENT_LIBS ?? join(ROOT, '.cache', `java-client-${JAVA_VERSION}`, 'libs');
// SLUICE_JAVA_CLIENT_LIBS / SLUICE_JAVA_DRIVER_DIR / SLUICE_FRANZ_DRIVER: the client jars and
// drivers built elsewhere (a worktree's own build).
const JAVA_CLASSES = process.env.SLUICE_JAVA_DRIVER_DIR ?? join(ROOT, '.cache', 'java-driver');

/** The Java client (org.apache.kafka:kafka-clients, the version in compat-tests/java/pom.xml). */
export const javaDriver: ClientDriver = {
  name: 'java-client',
  transactionsV2: true,
  label: `Java kafka-clients ${JAVA_VERSION}`,
  check() {
    if (!existsSync(join(JAVA_LIBS, `kafka-clients-${JAVA_VERSION}.jar`)) || !existsSync(join(JAVA_CLASSES, 'ClientDriver.class'))) {
      throw new Error(`the Java driver is not built (${JAVA_LIBS}, ${JAVA_CLASSES}); run .ci/run, or: mvn -B -q -f compat-tests/java/pom.xml dependency:copy-dependencies -DoutputDirectory=${JAVA_LIBS} -DincludeScope=runtime && javac -d ${JAVA_CLASSES} -cp '${JAVA_LIBS}/*' compat-tests/java/ClientDriver.java`);
    }
  },
  command: (args) => ({
    cmd: javaCommand(),
    // Warnings and errors only from the client's own logging (slf4j-simple, to stderr).
    args: ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-cp', `${JAVA_CLASSES}:${JAVA_LIBS}/*`, 'ClientDriver', ...args],
  }),
};

const GO_MOD = readFileSync(join(ROOT, 'compat-tests', 'go', 'go.mod'), 'utf8');
const KGO = /github\.com\/twmb\/franz-go (v[^\s]+)/.exec(GO_MOD)![1]!;
const KADM = /github\.com\/twmb\/franz-go\/pkg\/kadm (v[^\s]+)/.exec(GO_MOD)![1]!;
const FRANZ_DRIVER = process.env.SLUICE_FRANZ_DRIVER ?? join(ROOT, '.cache', 'franz-driver');

/** franz-go (kgo and kadm, the versions in compat-tests/go/go.mod). */
export const franzDriver: ClientDriver = {
  name: 'franz-go',
  transactionsV2: true,
  label: `franz-go ${KGO} (kadm ${KADM})`,
  check() {
    if (!existsSync(FRANZ_DRIVER)) throw new Error(`${FRANZ_DRIVER} not built; run .ci/run, or: (cd compat-tests/go && go build -o ../../.cache/franz-driver .)`);
  },
  command: (args) => ({ cmd: FRANZ_DRIVER, args }),
};

export const VENV_PYTHON = join(ROOT, '.cache', 'pyvenv', 'bin', 'python');
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

/** confluent-kafka-python from PyPI (bundles its librdkafka), in the venv .ci/run makes. */
export const confluentNewestDriver = pythonDriver(
  'confluent-kafka-python',
  'newest_ck.py',
  'confluent_kafka',
  `confluent_kafka.__version__ + " (librdkafka " + confluent_kafka.libversion()[0] + ")"`,
  'confluent-kafka-python',
);

/** kafka-python from PyPI, in the venv .ci/run makes. */
export const kafkaPythonNewestDriver = pythonDriver('kafka-python', 'newest_kp.py', 'kafka', 'kafka.__version__', 'kafka-python');
