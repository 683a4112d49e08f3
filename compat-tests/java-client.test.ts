/**
 * The Java client (org.apache.kafka:kafka-clients, the version in compat-tests/java/pom.xml) against
 * a real `sluice start` process, through the driver compat-tests/java/ClientDriver.java: see
 * newest-clients.ts. .ci/run resolves the jars into .cache/java-client-<version>/libs and compiles
 * the driver into .cache/java-driver.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';
import { javaCommand } from './reference/kafka.js';
import { clientSuite } from './newest-clients.js';

const VERSION = /<kafka\.clients\.version>([^<]+)</.exec(readFileSync(join(ROOT, 'compat-tests', 'java', 'pom.xml'), 'utf8'))![1]!;
const LIBS = join(ROOT, '.cache', `java-client-${VERSION}`, 'libs');
const CLASSES = join(ROOT, '.cache', 'java-driver');

t.test(`Java kafka-clients ${VERSION}`, (t) =>
  clientSuite(t, {
    name: 'java-client',
    label: `Java kafka-clients ${VERSION}`,
    check() {
      if (!existsSync(join(LIBS, `kafka-clients-${VERSION}.jar`)) || !existsSync(join(CLASSES, 'ClientDriver.class'))) {
        throw new Error(`the Java driver is not built (${LIBS}, ${CLASSES}); run .ci/run, or: mvn -B -q -f compat-tests/java/pom.xml dependency:copy-dependencies -DoutputDirectory=${LIBS} -DincludeScope=runtime && javac -d ${CLASSES} -cp '${LIBS}/*' compat-tests/java/ClientDriver.java`);
      }
    },
    command: (args) => ({
      cmd: javaCommand(),
      // Warnings and errors only from the client's own logging (slf4j-simple, to stderr).
      args: ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-cp', `${CLASSES}:${LIBS}/*`, 'ClientDriver', ...args],
    }),
  }),
);
