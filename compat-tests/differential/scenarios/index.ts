/** Every differential scenario, in the order the suite runs them. Add a module's list here. */
import type { Scenario } from '../framework.js';
import { aclsWithoutAuthorizer } from './acls.js';
import { adminScenarios } from './admin.js';
import { basics } from './basics.js';
import { clients } from './clients.js';
import { compaction } from './compaction.js';
import { compressionScenarios } from './compression.js';
import { consumerGroups } from './consumer-groups.js';
import { divergences } from './divergences.js';
import { featureScenarios } from './features.js';
import { fetchScenarios } from './fetch.js';
import { fetchSessionScenarios } from './fetch-sessions.js';
import { groups } from './groups.js';
import { miscScenarios } from './misc.js';
import { newestClients } from './newest-clients.js';
import { produceScenarios } from './produce.js';
import { replication } from './replication.js';
import { scramScenarios } from './scram.js';
import { clientMetricsConfigScenarios } from './telemetry.js';
import { topicIdScenarios } from './topic-ids.js';
import { transactions } from './transactions.js';
import { transactionsV2 } from './transactions-v2.js';

export const ALL_SCENARIOS: readonly Scenario[] = [
  ...basics,
  ...produceScenarios,
  ...fetchScenarios,
  ...fetchSessionScenarios,
  ...adminScenarios,
  ...topicIdScenarios,
  ...clientMetricsConfigScenarios,
  ...divergences,
  ...groups,
  ...consumerGroups,
  ...transactions,
  ...transactionsV2,
  ...compaction,
  ...compressionScenarios,
  ...clients,
  ...newestClients,
  ...miscScenarios,
  ...replication,
  ...aclsWithoutAuthorizer,
  ...scramScenarios,
  // Changes finalized feature levels (and undoes it): last.
  ...featureScenarios,
];
