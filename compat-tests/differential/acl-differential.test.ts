/**
 * ACLs and authorization against Apache Kafka and Sluice at once (issue 13): both started with a
 * StandardAuthorizer (scenarios/acls.ts AUTHORIZER_SETTINGS), every observation compared, no
 * difference allowed. A pair of its own, since an authorizer changes what every other scenario
 * of the main suite would see.
 */
import t from 'tap';
import { startPair, strictScenarios } from './framework.js';
import { AUTHORIZER_SCENARIOS, AUTHORIZER_SETTINGS } from './scenarios/acls.js';

const pair = await startPair(AUTHORIZER_SETTINGS);
t.teardown(() => pair.stop());

await strictScenarios(t, AUTHORIZER_SCENARIOS, pair);
