/**
 * KIP-932 share groups against Apache Kafka and Sluice at once. Kafka 4.1 serves share groups
 * only once share.version=1 is finalized, which its format does not do by default (Sluice's does):
 * its node here is formatted with `--feature share.version=1`. Every observation compared, no
 * difference allowed (scenarios/share-groups.ts SHARE_SCENARIOS).
 */
import t from 'tap';
import { startPair, strictScenarios } from './framework.js';
import { SHARE_SCENARIOS } from './scenarios/share-groups.js';

// Short heartbeats and locks so the scenarios settle quickly on both brokers.
const pair = await startPair(
  { 'group.share.min.heartbeat.interval.ms': '500', 'group.share.heartbeat.interval.ms': '500', 'group.share.min.record.lock.duration.ms': '1000', 'group.share.record.lock.duration.ms': '5000' },
  { formatArgs: ['--feature', 'share.version=1'] },
);
t.teardown(() => pair.stop());

await strictScenarios(t, SHARE_SCENARIOS, pair);
