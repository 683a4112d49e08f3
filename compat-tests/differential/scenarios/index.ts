/** Every differential scenario, in the order the suite runs them. Add a module's list here. */
import type { Scenario } from '../framework.js';
import { adminScenarios } from './admin.js';
import { basics } from './basics.js';
import { divergences } from './divergences.js';
import { fetchScenarios } from './fetch.js';
import { produceScenarios } from './produce.js';

export const ALL_SCENARIOS: readonly Scenario[] = [...basics, ...produceScenarios, ...fetchScenarios, ...adminScenarios, ...divergences];
