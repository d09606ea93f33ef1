/**
 * The service over live files (issue #4 §7): the simulated Cloudflare timeline with 200 background users is
 * written into the three products' audit folders and the Bitbucket access log as it would have been written,
 * compressed in time, while the service tails them. Every observable attacker step becomes a stored detection,
 * and the latency from the line that triggered a detection being written to the detection being committed has
 * a p99 under one second. Real files, real SQLite, the real rules; nothing mocked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Detection } from '../../src/core/detection';
import { loadLists, loadRules } from '../../src/engine';
import { builtinListsDir, builtinRulesDir } from '../../src/hunt/paths';
import { simulateCloudflare2023, type ScenarioManifest } from '../../src/scenarios';
import { replayUnits } from '../../src/scenarios/replay';
import { Service, type CommitEvent } from '../../src/serve/service';
import { LiveReplay, percentile } from '../support/live-replay';

const lists = loadLists([builtinListsDir()], []).lists;
const rules = loadRules([builtinRulesDir()], lists).rules;

describe('bulkhead serve over live log files (Cloudflare 2023, 200 background users)', () => {
  let root: string;
  let manifest: ScenarioManifest;
  let replay: LiveReplay;
  const commits: CommitEvent[] = [];
  let stored: Detection[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bulkhead-service-'));
    const sim = path.join(root, 'sim');
    manifest = await simulateCloudflare2023({ format: 'dc', outDir: sim, noise: 200, seed: 20231123 });
    const live = path.join(root, 'live');
    const dirs = ['jira/log/audit', 'confluence/log/audit', 'bitbucket/log/audit', 'bitbucket/log'];
    replay = new LiveReplay(live, replayUnits(manifest, sim));
    const service = new Service({
      sources: dirs.map((d, i) => ({
        dir: path.join(live, d),
        match: i === 3 ? /^atlassian-bitbucket-access.*\.log$/ : /\.audit\.log$/,
        product: d.split('/')[0] as 'jira' | 'confluence' | 'bitbucket',
      })),
      stateFile: path.join(root, 'state.sqlite'),
      rules,
      lists,
      pollMs: 20,
    });
    service.on('commit', (e) => commits.push(e));
    await service.start();
    // Ten and a half simulated days in about 25 s: one simulated hour in 0.1 s, quiet gaps cut to 0.25 s.
    const t0 = Date.now();
    await replay.run(36_000);
    console.log(`replay took ${Date.now() - t0} ms`);
    // Let the last files go idle and the last lines be processed.
    const until = Date.now() + 5_000;
    while (Date.now() < until && service.pipeline !== undefined) {
      await new Promise((r) => setTimeout(r, 100));
      if (commits.at(-1) && Date.now() - (commits.at(-1) as CommitEvent).at > 1_500) break;
    }
    await service.stop();
    stored = commits.flatMap((c) => [...c.step.detections]);
  }, 180_000);

  afterAll(() => rm(root, { recursive: true, force: true }));

  it('stores a detection for every observable attacker step, with the step’s own line as evidence', () => {
    const missed = manifest.steps
      .filter((s) => s.observable && s.categories.length > 0)
      .filter((step) => {
        const wanted = new Set(step.records.map((r) => `${path.join(root, 'live', r.file)}:${r.line}`));
        return !stored.some(
          (d) =>
            (step.categories as string[]).includes(d.rule.category) &&
            d.evidence.some((e) => wanted.has(`${e.file}:${e.line}`)),
        );
      })
      .map((s) => s.id);
    expect(missed).toEqual([]);
  });

  it('commits each detection within a second of its triggering line being written (p99)', () => {
    const latencies: number[] = [];
    for (const c of commits)
      for (const d of c.step.detections) {
        const trigger = d.events.at(-1)?.ref;
        const written = trigger ? replay.writtenAt.get(`${trigger.file}:${trigger.line}`) : undefined;
        if (written !== undefined) latencies.push(c.at - written);
      }
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `detection latency over ${latencies.length} detections: p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...latencies)} ms`,
    );
    expect(latencies.length).toBeGreaterThan(20);
    expect(p99).toBeLessThan(1_000);
  });
});
