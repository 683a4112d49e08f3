/**
 * franz-go (kgo and kadm, the versions in compat-tests/go/go.mod) against a real `sluice start`
 * process, through the driver compat-tests/go/main.go: see newest-clients.ts. .ci/run builds the
 * driver into .cache/franz-driver.
 */
import t from 'tap';
import { franzDriver } from './client-drivers.js';
import { clientSuite } from './newest-clients.js';

t.test(franzDriver.label, (t) => clientSuite(t, franzDriver));
