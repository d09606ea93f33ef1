/**
 * The end-to-end promise: hunting the simulated Cloudflare 2023 logs finds every observable attacker step as a
 * detection of a fitting category whose evidence includes one of the step's own records, puts the Smartsheet
 * account and the user it created into one incident, rejects nothing, and flags no background user at high or
 * critical. The hunt runs the real parsers, rules, lists and correlator; nothing is mocked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Detection } from '../../src/core/detection';
import type { Incident } from '../../src/core/incident';
import { atLeast } from '../../src/core/severity';
import { runHunt, type HuntResult } from '../../src/hunt';
import { simulateCloudflare2023, type ScenarioManifest } from '../../src/scenarios';
import { JDOE2, SMARTSHEET } from '../../src/scenarios/cloudflare-2023';

describe.each(['dc', 'cloud'] as const)('hunting simulate cloudflare-2023 --format %s (N=200)', (format) => {
  let root: string;
  let manifest: ScenarioManifest;
  let result: HuntResult;
  let detections: Detection[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `bulkhead-hunt-${format}-`));
    manifest = await simulateCloudflare2023({ format, outDir: root, noise: 200, seed: 20231123 });
    result = await runHunt({ inputs: manifest.files.map((f) => join(root, f.file)) });
    // Incidents keep every detection; the flat list may be capped.
    const byId = new Map<string, Detection>();
    for (const d of result.detections) byId.set(d.id, d);
    for (const i of result.incidents) for (const d of i.detections) byId.set(d.id, d);
    detections = [...byId.values()];
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads every record without a reject', () => {
    expect(result.rejects.slice(0, 5)).toEqual([]);
    expect(result.summary.rejected).toBe(0);
    expect(result.summary.records).toBe(manifest.files.reduce((a, f) => a + f.records, 0));
  });

  it('detects every observable attacker step with its own records as evidence', () => {
    const report = manifest.steps
      .filter((s) => s.observable && s.categories.length > 0)
      .map((step) => {
        const wanted = new Set(step.records.map((r) => `${resolve(root, r.file)}:${r.line}`));
        const hits = detections.filter(
          (d) =>
            (step.categories as string[]).includes(d.rule.category) &&
            d.evidence.some((e) => wanted.has(`${resolve(e.file)}:${e.line}`)),
        );
        return { step: step.id, detectedBy: [...new Set(hits.map((d) => d.rule.id))].sort() };
      });
    // One readable line per step, so a failure says which steps were missed and which rules caught the others.
    console.log(
      `${format}:\n${report.map((r) => `  ${r.step}: ${r.detectedBy.join(', ') || 'MISSED'}`).join('\n')}`,
    );
    expect(report.filter((r) => r.detectedBy.length === 0).map((r) => r.step)).toEqual([]);
  });

  it('puts the Smartsheet account and the user it created into the same incident', () => {
    const names = (a: { username: string; cloud: { accountId: string } }) => [a.username, a.cloud.accountId];
    const has = (i: Incident, keys: string[]) =>
      [i.actor, ...i.identities.map((l) => l.identity)].some(
        (id) => keys.includes(id.name ?? '') || keys.includes(id.id ?? ''),
      );
    const joint = result.incidents.filter((i) => has(i, names(SMARTSHEET)) && has(i, names(JDOE2)));
    expect(joint.map((i) => i.title).slice(0, 1)).toHaveLength(1);
  });

  it('joins every stolen identity seen at the attacker address into the Smartsheet incident', () => {
    const attacker = new Set(manifest.attacker.identities);
    const atAddress = detections
      .filter((d) => d.rule.id === 'ioc-ip-activity')
      .map((d) => d.actor)
      .filter((a) => attacker.has(a.name ?? '') || attacker.has(a.id ?? ''));
    // Smartsheet plus at least one more stolen credential used from the same address.
    expect(new Set(atAddress.map((a) => a.name ?? a.id)).size).toBeGreaterThanOrEqual(2);
    const smartsheet = result.incidents.filter((i) =>
      [i.actor, ...i.identities.map((l) => l.identity)].some(
        (id) => id.name === SMARTSHEET.username || id.id === SMARTSHEET.cloud.accountId,
      ),
    );
    expect(smartsheet).toHaveLength(1);
    const inc = smartsheet[0]!;
    const members = new Set(
      [inc.actor, ...inc.identities.map((l) => l.identity)]
        .flatMap((id) => [id.name, id.id])
        .filter((x) => x !== undefined),
    );
    const outside = atAddress.filter((a) => !members.has(a.name ?? '') && !members.has(a.id ?? ''));
    expect([...new Set(outside.map((a) => a.name ?? a.id))]).toEqual([]);
    expect(inc.identities.some((l) => l.relation === 'same-attacker-address')).toBe(true);
  });

  it('flags no background user at high or critical', () => {
    const background = new Set(manifest.background.users);
    const flagged = detections
      .filter((d) => atLeast(d.severity, 'high'))
      .filter((d) => background.has(d.actor.name ?? '') || background.has(d.actor.id ?? ''))
      .map((d) => `${d.rule.id} ${d.severity} ${d.actor.name ?? d.actor.id}: ${d.summary}`);
    expect(flagged.slice(0, 20)).toEqual([]);
  });
});
