/**
 * The newest Python clients from PyPI (confluent-kafka-python with its bundled librdkafka, and
 * kafka-python), pinned in compat-tests/python/requirements.txt and installed by .ci/run into the
 * git-ignored venv .cache/pyvenv, against a real `sluice start` process: see newest-clients.ts.
 */
import t from 'tap';
import { confluentNewestDriver, kafkaPythonNewestDriver } from './client-drivers.js';
import { clientSuite } from './newest-clients.js';

t.test('confluent-kafka-python (newest, PyPI)', (t) => clientSuite(t, confluentNewestDriver));
t.test('kafka-python (newest, PyPI)', (t) => clientSuite(t, kafkaPythonNewestDriver));
