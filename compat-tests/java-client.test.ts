/**
 * The Java client (org.apache.kafka:kafka-clients, the version in compat-tests/java/pom.xml) against
 * a real `sluice start` process, through the driver compat-tests/java/ClientDriver.java: see
 * newest-clients.ts. .ci/run resolves the jars into .cache/java-client-<version>/libs and compiles
 * the driver into .cache/java-driver.
 */
import t from 'tap';
import { javaDriver } from './client-drivers.js';
import { clientSuite } from './newest-clients.js';

t.test(javaDriver.label, (t) => clientSuite(t, javaDriver));
