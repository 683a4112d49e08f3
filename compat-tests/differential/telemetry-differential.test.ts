/**
 * Client telemetry (KIP-714) against Apache Kafka and Sluice at once. Kafka serves
 * GetTelemetrySubscriptions and PushTelemetry only with a telemetry receiver plugin, so its broker
 * here runs ../reference/TelemetryReceiver.java (compiled into .cache/telemetry-receiver against
 * Kafka's jars) as a metrics reporter; Sluice is its own receiver. Every observation compared, no
 * difference allowed (scenarios/telemetry.ts TELEMETRY_SCENARIOS).
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness.js';
import { resolveKafka } from '../reference/kafka.js';
import { startPair, strictScenarios } from './framework.js';
import { TELEMETRY_SCENARIOS } from './scenarios/telemetry.js';

function receiverClasspath(): string {
  const source = join(ROOT, 'compat-tests', 'reference', 'TelemetryReceiver.java');
  const out = join(ROOT, '.cache', 'telemetry-receiver');
  const built = join(out, 'sluice', 'reference', 'TelemetryReceiver.class');
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
    execFileSync('javac', ['-nowarn', '-d', out, '-cp', resolveKafka(), source], { stdio: 'pipe' });
  }
  return out;
}

const pair = await startPair({ 'telemetry.max.bytes': '1024' }, { overrides: { 'metric.reporters': 'sluice.reference.TelemetryReceiver' }, extraClasspath: [receiverClasspath()] });
t.teardown(() => pair.stop());

await strictScenarios(t, TELEMETRY_SCENARIOS, pair);
