/** `bulkhead simulate <scenario>`: write a simulated incident's audit logs to a folder. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, SCENARIOS, type ScenarioManifest, type SimulateFormat } from '../scenarios';
import { EXIT_OK, UsageError, type CliIO } from './io';

export interface SimulateFlags {
  format: SimulateFormat;
  out: string;
  /** Default: the scenario's own. */
  noise?: number;
  seed?: number;
}

export async function simulate(scenario: string, flags: SimulateFlags): Promise<ScenarioManifest> {
  const def = SCENARIOS[scenario];
  if (def === undefined) {
    throw new UsageError(
      `unknown scenario ${JSON.stringify(scenario)}; known: ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  await mkdir(flags.out, { recursive: true });
  return def.run({
    format: flags.format,
    outDir: path.resolve(flags.out),
    noise: flags.noise ?? def.defaultNoise,
    seed: flags.seed ?? def.defaultSeed,
  });
}

export async function simulateCommand(scenario: string, flags: SimulateFlags, io: CliIO): Promise<number> {
  const manifest = await simulate(scenario, flags);
  io.stdout.write(
    `Simulated ${scenario} (${manifest.format}, ${manifest.noise} background users, seed ${manifest.seed}) into ${flags.out}\n`,
  );
  for (const f of manifest.files)
    io.stdout.write(`  ${path.join(flags.out, f.file)}  ${f.format}, ${f.records} records\n`);
  const observable = manifest.steps.filter((s) => s.observable).length;
  io.stdout.write(
    `Attacker: ${manifest.attacker.identities.join(', ')}; ${manifest.steps.length} steps (${observable} observable in these logs)\n`,
  );
  io.stdout.write(
    `Ground truth: ${path.join(flags.out, MANIFEST_FILE)}\nHunt it with: bulkhead hunt ${flags.out}\n`,
  );
  return EXIT_OK;
}
