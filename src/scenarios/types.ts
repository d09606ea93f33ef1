/** The public contract of `bulkhead simulate`: options in, a manifest of what was written and why out. */
import type { Category } from '../core/category';

export type SimulateFormat = 'dc' | 'cloud';
export const SIMULATE_FORMATS: readonly SimulateFormat[] = ['dc', 'cloud'];

/** The ground-truth manifest beside the logs. A dot file, so `bulkhead hunt OUT` (which skips hidden entries)
 *  reads only the logs and the answer key is never mistaken for an audit record. */
export const MANIFEST_FILE = '.scenario.json';

export interface SimulateOptions {
  format: SimulateFormat;
  outDir: string;
  /** Background users (default 200). */
  noise: number;
  seed?: number;
}

export interface GroundTruthStep {
  id: string;
  /** ISO 8601, UTC: when the step started. */
  when: string;
  /** The INCIDENTS.md line this step restates. */
  what: string;
  /** The identity that acted (user name on Data Center, user name and account id on Cloud). */
  actor: string;
  /** Categories (src/core/category.ts) a detection covering this step may have; any one suffices. Empty for
   *  steps that are not the attacker's (the defenders' containment), which no detection is expected for. */
  categories: Category[];
  /** The raw records of this step: 1-based line in the file (relative path under outDir). */
  records: Array<{ file: string; line: number }>;
  /** False when the platform has no source for it (e.g. Bitbucket Cloud archive downloads). */
  observable: boolean;
  /** Why a step is not observable, or what stands in for it on this platform. */
  note?: string;
}

export interface ScenarioManifest {
  scenario: 'cloudflare-2023';
  format: SimulateFormat;
  seed: number;
  noise: number;
  attacker: { identities: string[]; ips: string[] };
  background: { users: string[] };
  steps: GroundTruthStep[];
  files: Array<{ file: string; format: string; records: number }>;
}

export interface ScenarioDefinition {
  readonly name: string;
  readonly description: string;
  readonly defaultNoise: number;
  readonly defaultSeed: number;
  run(opts: SimulateOptions): Promise<ScenarioManifest>;
}
