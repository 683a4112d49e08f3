/**
 * ACLs and authorization against Apache Kafka and Sluice at once (issue 13): both started with a
 * StandardAuthorizer (scenarios/acls.ts AUTHORIZER_SETTINGS), every observation compared, no
 * difference allowed. A pair of its own, since an authorizer changes what every other scenario
 * of the main suite would see.
 */
import t from 'tap';
import { compare, runScenario, startPair } from './framework.js';
import { AUTHORIZER_SCENARIOS, AUTHORIZER_SETTINGS } from './scenarios/acls.js';

const pair = await startPair(AUTHORIZER_SETTINGS);
t.teardown(() => pair.stop());

const show = (v: unknown): string => JSON.stringify(v);

for (const s of AUTHORIZER_SCENARIOS) {
  await t.test(s.name, async (t) => {
    const { kafka, sluice } = await runScenario(s, pair);
    const r = compare(s.name, kafka, sluice);
    t.ok(r.compared.length >= 5, `${s.name} made ${r.compared.length} observations`);
    t.notOk(kafka.values.has('stopped'), `ran to its end on Kafka (${show(kafka.values.get('stopped'))})`);
    for (const d of r.differences) t.fail(`${d.observation}: Kafka ${show(d.kafka)}, Sluice ${show(d.sluice)}`);
    t.pass(`${r.compared.length - r.differences.length} of ${r.compared.length} observations equal`);
  });
}
