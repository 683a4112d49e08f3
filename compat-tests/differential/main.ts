/**
 * The differential suite by hand: starts Apache Kafka and Sluice, runs the scenarios whose names
 * contain one of the arguments (all without arguments) and prints every difference, allowlisted
 * or not, with both values. Exit code 1 when a difference is not on the allowlist.
 *
 *   npm run build && node dist/compat-tests/differential/main.js [name filter ...]
 */
import { allowed } from './allowlist.js';
import { compare, runScenario, startPair } from './framework.js';
import { ALL_SCENARIOS } from './scenarios/index.js';

const filters = process.argv.slice(2);
const chosen = ALL_SCENARIOS.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
const pair = await startPair();
let compared = 0;
let unexplained = 0;
try {
  for (const s of chosen) {
    const { kafka, sluice } = await runScenario(s, pair);
    const r = compare(s.name, kafka, sluice);
    compared += r.compared.length;
    for (const d of r.differences) {
      const entry = allowed(d.observation);
      if (!entry) unexplained++;
      process.stdout.write(`${entry ? 'allowed ' : 'DIFFERS '} ${d.observation}\n    kafka:  ${JSON.stringify(d.kafka)}\n    sluice: ${JSON.stringify(d.sluice)}\n`);
    }
  }
} finally {
  await pair.stop();
}
process.stdout.write(`${chosen.length} scenarios, ${compared} observations, ${unexplained} unexplained differences\n`);
process.exitCode = unexplained > 0 ? 1 : 0;
