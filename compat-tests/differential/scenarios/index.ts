/** Every differential scenario, in the order the suite runs them. Add a module's list here. */
import type { Scenario } from '../framework.js';
import { basics } from './basics.js';
import { groups } from './groups.js';
import { transactions } from './transactions.js';
import { compaction } from './compaction.js';
import { clients } from './clients.js';

export const ALL_SCENARIOS: readonly Scenario[] = [...basics, ...groups, ...transactions, ...compaction, ...clients];
