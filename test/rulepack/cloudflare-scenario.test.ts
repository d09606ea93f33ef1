/**
 * The rule pack against the simulated Cloudflare 2023 intrusion (src/scenarios), in both the Data Center and
 * the Cloud formats, through the real parsers and engine: every step of the attacker that the platform
 * records must be raised by a rule of a fitting category, with the step's own records as evidence; and none
 * of the 200 background users may raise anything at high or critical.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Detection } from '../../src/core/detection';
import type { AuditEvent } from '../../src/core/event';
import { Engine, loadLists, loadRules } from '../../src/engine';
import { expandInputs, readInput } from '../../src/parsers';
import { simulateCloudflare2023, type ScenarioManifest } from '../../src/scenarios';

const ROOT = path.resolve(__dirname, '../..');

interface Run {
  manifest: ScenarioManifest;
  detections: Detection[];
}

async function run(format: 'dc' | 'cloud'): Promise<Run> {
  const out = await mkdtemp(path.join(tmpdir(), 'bulkhead-rulepack-'));
  try {
    const manifest = await simulateCloudflare2023({ format, outDir: out, noise: 200, seed: 42 });
    const lists = loadLists([path.join(ROOT, 'lists')]);
    const rules = loadRules([path.join(ROOT, 'rules')], lists.lists);
    expect(rules.errors).toEqual([]);
    const events: AuditEvent[] = [];
    for (const input of await expandInputs([out]))
      for await (const batch of readInput(input.path)) events.push(...batch.events);
    // The files are per product; the engine wants one timeline.
    events.sort((a, b) => a['@timestamp'] - b['@timestamp']);
    const engine = new Engine({ rules: rules.rules, lists: lists.lists });
    const detections: Detection[] = [];
    for (const e of events) detections.push(...engine.process(e));
    // Evidence refs name the files by absolute path; make them relative like the manifest's.
    return {
      manifest,
      detections: detections.map((d) => ({
        ...d,
        evidence: d.evidence.map((r) => ({ ...r, file: path.relative(out, r.file) })),
      })),
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

describe.each(['dc', 'cloud'] as const)('Cloudflare 2023 simulated (%s)', (format) => {
  let r: Run;
  beforeAll(async () => {
    r = await run(format);
  });

  it("raises every observable attacker step with a rule of a fitting category, on that step's records", () => {
    const steps = r.manifest.steps.filter((s) => s.observable && s.categories.length > 0);
    expect(steps.length).toBeGreaterThan(5);
    for (const step of steps) {
      const records = new Set(step.records.map((x) => `${x.file}:${x.line}`));
      const covering = r.detections.filter(
        (d) =>
          (step.categories as string[]).includes(d.rule.category) &&
          d.evidence.some((e) => records.has(`${e.file}:${e.line}`)),
      );
      expect({ step: step.id, rules: [...new Set(covering.map((d) => d.rule.id))].length > 0 }).toEqual({
        step: step.id,
        rules: true,
      });
    }
  });

  it('raises nothing at high or critical for the background users', () => {
    const attacker = new Set(r.manifest.attacker.identities.map((s) => s.toLowerCase()));
    const isAttacker = (e: AuditEvent | undefined): boolean =>
      e !== undefined &&
      [e['user.name'], e['user.id']].some((v) => v !== undefined && attacker.has(v.toLowerCase()));
    const loud = r.detections.filter((d) => d.severity === 'high' || d.severity === 'critical');
    expect(loud.length).toBeGreaterThan(0);
    const background = loud
      .filter((d) => !d.events.some(isAttacker))
      .map((d) => `${d.rule.id}: ${d.summary}`);
    expect(background).toEqual([]);
  });
});
