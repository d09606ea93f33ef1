/**
 * The scenario registry as the CLI uses it. The generator lives in src/scenarios (built in parallel); this
 * port names the one call the CLI makes and binds it at run time, failing with a clear message if the
 * registry does not have the expected shape.
 */
export interface SimulateOptions {
  format: 'dc' | 'cloud';
  outDir: string;
  noise: number;
  seed: number;
}

/** What a simulation wrote. Only `files` is relied on; the rest is shown as-is. */
export interface ScenarioManifestLike {
  readonly files?: readonly (string | { readonly path?: string; readonly file?: string })[];
  readonly [key: string]: unknown;
}

type Simulator = (opts: SimulateOptions) => ScenarioManifestLike | Promise<ScenarioManifestLike>;

interface ScenarioEntryLike {
  readonly description?: string;
  readonly title?: string;
  readonly simulate?: Simulator;
  readonly run?: Simulator;
}

function registry(): Record<string, Simulator | ScenarioEntryLike> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- bound at run time on purpose (see header)
  const m = require('../scenarios') as { SCENARIOS?: unknown };
  if (typeof m.SCENARIOS !== 'object' || m.SCENARIOS === null)
    throw new Error('internal: src/scenarios exports no SCENARIOS');
  if (m.SCENARIOS instanceof Map)
    return Object.fromEntries(m.SCENARIOS) as Record<string, Simulator | ScenarioEntryLike>;
  return m.SCENARIOS as Record<string, Simulator | ScenarioEntryLike>;
}

export function scenarioNames(): string[] {
  return Object.keys(registry()).sort();
}

/** The simulator registered under `name`, or undefined. */
export function findScenario(name: string): Simulator | undefined {
  const entry = registry()[name];
  if (entry === undefined) return undefined;
  if (typeof entry === 'function') return entry;
  const fn = entry.simulate ?? entry.run;
  return fn === undefined ? undefined : (opts) => fn.call(entry, opts);
}

/** The paths a manifest lists, relative or absolute as the generator wrote them. */
export function manifestFiles(m: ScenarioManifestLike): string[] {
  return (m.files ?? [])
    .map((f) => (typeof f === 'string' ? f : (f.path ?? f.file ?? '')))
    .filter((f) => f !== '');
}
