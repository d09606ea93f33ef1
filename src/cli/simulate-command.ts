/** `bulkhead simulate <scenario>`: write a simulated incident's audit logs to a folder. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EXIT_OK, UsageError, type CliIO } from './io';
import { findScenario, manifestFiles, scenarioNames, type ScenarioManifestLike } from './scenario-port';

export interface SimulateFlags {
  format: 'dc' | 'cloud';
  out: string;
  noise: number;
  seed: number;
}

export async function simulate(scenario: string, flags: SimulateFlags): Promise<ScenarioManifestLike> {
  const run = findScenario(scenario);
  if (run === undefined) {
    throw new UsageError(
      `unknown scenario ${JSON.stringify(scenario)}; known: ${scenarioNames().join(', ')}`,
    );
  }
  await mkdir(flags.out, { recursive: true });
  return run({ format: flags.format, outDir: path.resolve(flags.out), noise: flags.noise, seed: flags.seed });
}

export async function simulateCommand(scenario: string, flags: SimulateFlags, io: CliIO): Promise<number> {
  const manifest = await simulate(scenario, flags);
  const files = manifestFiles(manifest);
  io.stdout.write(
    `Simulated ${scenario} (${flags.format}, noise ${flags.noise}, seed ${flags.seed}) into ${flags.out}\n`,
  );
  for (const f of files) io.stdout.write(`  ${f}\n`);
  io.stdout.write(`Hunt it with: bulkhead hunt ${flags.out}\n`);
  return EXIT_OK;
}
