/**
 * `bulkhead simulate cloudflare-2023`: the Cloudflare Thanksgiving 2023 intrusion (INCIDENTS.md) replayed into
 * Jira, Confluence and Bitbucket audit trails in their native formats, inside a month of ordinary work by
 * `noise` background users, with a manifest saying which records are the attacker's.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../rng';
import { RecordSink } from '../sink';
import { Cloud, DataCenter, type Actor, type Platform } from '../platform';
import { buildWorld } from '../world';
import {
  MANIFEST_FILE,
  type GroundTruthStep,
  type ScenarioDefinition,
  type ScenarioManifest,
  type SimulateOptions,
} from '../types';
import { ATTACKER_ACTORS, BAMBOO, PRIMARY_IP, SLIVER_IP } from './actors';
import { attack, legitimateHistory } from './attacker';
import { DAYS, NOV1, backgroundDay } from './background';
import { STEPS } from './steps';

export {
  ATTACKER_ACTORS,
  SMARTSHEET,
  JDOE2,
  MOVEWORKS,
  BITBUCKET_SVC,
  PRIMARY_IP,
  SLIVER_IP,
} from './actors';
export { SENSITIVE_TERMS } from './attacker';
export { ORDINARY_SEARCHES } from './background';

export const DEFAULT_SEED = 20231123;
export const DEFAULT_NOISE = 200;

export async function simulateCloudflare2023(opts: SimulateOptions): Promise<ScenarioManifest> {
  if (opts.format !== 'dc' && opts.format !== 'cloud') {
    throw new Error(
      `simulate cloudflare-2023: --format must be dc or cloud, got ${JSON.stringify(opts.format)}`,
    );
  }
  if (!Number.isInteger(opts.noise) || opts.noise < 0 || opts.noise > 100_000) {
    throw new Error(
      `simulate cloudflare-2023: --noise must be a whole number of users from 0 to 100000, got ${opts.noise}`,
    );
  }
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed))
    throw new Error(`simulate cloudflare-2023: --seed must be an integer, got ${seed}`);

  await mkdir(opts.outDir, { recursive: true });
  // Separate streams of randomness for the world, the service accounts' history, the attacker and the
  // background, so that the attacker's timing does not depend on how much background work was drawn.
  const world = buildWorld(
    new Rng(seed),
    opts.noise,
    ATTACKER_ACTORS.map((a) => a.username),
  );
  const sink = new RecordSink(opts.outDir);
  const platformRng = new Rng(seed + 1);
  const platform: Platform =
    opts.format === 'dc' ? new DataCenter(sink, platformRng) : new Cloud(sink, platformRng);

  const admin = world.admins[0];
  if (admin === undefined)
    throw new Error('simulate cloudflare-2023: the world has no admin (noise too small)');
  legitimateHistory(platform, world, new Rng(seed + 2));
  attack(platform, world, new Rng(seed + 3), {
    admin,
    adminOrigin: {
      ip: admin.ips[0],
      location: {
        ip: admin.ips[0],
        countryName: admin.country.name,
        regionName: admin.country.region,
        city: admin.country.city,
      },
    },
  });

  const bgRng = new Rng(seed + 4);
  for (let d = 0; d < DAYS; d++) {
    if (opts.noise > 0) backgroundDay(platform, world, bgRng, d);
    await sink.flushBefore(NOV1 + (d + 1) * 86_400_000);
  }
  await sink.close();

  const steps: GroundTruthStep[] = STEPS.map((spec) => {
    const records = sink.refsOf(spec.id);
    const observable = records.length > 0;
    return {
      id: spec.id,
      when: spec.when,
      what: spec.what,
      actor: spec.actor === 'admin' ? admin.username : spec.actor,
      categories: [...spec.categories],
      records,
      observable,
      ...(observable ? {} : { note: spec.unobservable[opts.format] }),
    };
  });

  const identities = ATTACKER_ACTORS.map((a) => a.username);
  if (opts.format === 'cloud') identities.push(...ATTACKER_ACTORS.map((a) => a.cloud.accountId));
  const manifest: ScenarioManifest = {
    scenario: 'cloudflare-2023',
    format: opts.format,
    seed,
    noise: opts.noise,
    attacker: { identities, ips: [PRIMARY_IP, SLIVER_IP] },
    background: { users: backgroundIdentities(opts, world.people, opts.format === 'dc' ? [BAMBOO] : []) },
    steps,
    files: sink.written(),
  };
  await writeFile(join(opts.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  return manifest;
}

/** Background identities as the records name them: user names, plus account ids on Cloud (Forge events carry
 *  only those). */
function backgroundIdentities(
  opts: SimulateOptions,
  people: readonly Actor[],
  services: readonly Actor[],
): string[] {
  if (opts.noise === 0) return [];
  const actors = [...people, ...services];
  const names = actors.map((a) => a.username);
  return opts.format === 'cloud' ? [...names, ...actors.map((a) => a.cloud.accountId)] : names;
}

export const cloudflare2023: ScenarioDefinition = {
  name: 'cloudflare-2023',
  description:
    'Cloudflare, Thanksgiving 2023: leaked service credentials, a created user, ScriptRunner, 76 archive downloads, an admin-group change',
  defaultNoise: DEFAULT_NOISE,
  defaultSeed: DEFAULT_SEED,
  run: simulateCloudflare2023,
};
