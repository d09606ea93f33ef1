/** The scenarios `bulkhead simulate <name>` can write. */
import { cloudflare2023 } from './cloudflare-2023';
import type { ScenarioDefinition } from './types';

export type {
  GroundTruthStep,
  ScenarioDefinition,
  ScenarioManifest,
  SimulateFormat,
  SimulateOptions,
} from './types';
export { MANIFEST_FILE, SIMULATE_FORMATS } from './types';
export { simulateCloudflare2023 } from './cloudflare-2023';

export const SCENARIOS: Readonly<Record<string, ScenarioDefinition>> = {
  [cloudflare2023.name]: cloudflare2023,
};

export function scenarioByName(name: string): ScenarioDefinition {
  const s = SCENARIOS[name];
  if (s === undefined) {
    throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  return s;
}
