/**
 * The benchmark harness at a small size, in process: the data it generates, that every phase runs and reports,
 * and that json-rules-engine and Bulkhead agree on every match of the translated rules (a comparison of speed
 * means nothing if the two engines answer differently).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateBenchData } from '../../src/bench/generate';
import { formatTable, runBench, TARGETS } from '../../src/bench/harness';
import { runPhase } from '../../src/bench/phases';
import { formatRuleShare, ruleSetDirs, runRuleShare } from '../../src/bench/rule-share';
import { translateRules } from '../../src/bench/jre-translate';
import { loadLists, loadRules } from '../../src/engine';
import { builtinListsDir, builtinRulesDir } from '../../src/hunt/paths';
import { ListSet } from '../../src/lists';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-bench-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const lineCount = (f: string): number =>
  fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '').length;

describe('generateBenchData', () => {
  it('writes exactly the requested records across the DC audit logs and the access log, and reuses them', () => {
    const dir = path.join(tmp, 'data');
    const first = generateBenchData(dir, { records: 4_000 });
    expect(first.generated).toBe(true);
    expect(first.files).toHaveLength(4);
    expect(first.files.reduce((n, f) => n + lineCount(f), 0)).toBe(4_000);
    expect(first.auditRecords + first.accessRecords).toBe(4_000);
    // The parameters file is hidden, so hunting the folder reads only logs.
    expect(fs.readdirSync(dir).filter((n) => !n.startsWith('.'))).toEqual([
      'bitbucket',
      'confluence',
      'jira',
    ]);
    const again = generateBenchData(dir, { records: 4_000 });
    expect(again.generated).toBe(false);
    expect(again.bytes).toBe(first.bytes);
    expect(generateBenchData(dir, { records: 5_000 }).generated).toBe(true);
  });

  it('refuses a size too small to hold the attacks', () => {
    expect(() => generateBenchData(path.join(tmp, 'tiny'), { records: 10 })).toThrow(/at least 1000/);
  });
});

describe('runBench (phases in process)', () => {
  it('runs all three phases, reports figures and targets, and writes the results file', async () => {
    const out = path.join(tmp, 'bench-results.json');
    const lines: string[] = [];
    const r = await runBench({
      records: 6_000,
      batch: 3_000,
      dataDir: path.join(tmp, 'run'),
      out,
      runPhase: async (req) => ({ ...(await runPhase(req)), maxRssMb: process.memoryUsage().rss / 1048576 }),
      log: (l) => lines.push(l),
    });
    expect(r.baseline.records).toBe(6_000);
    expect(r.baseline.bad).toBe(0);
    expect(r.hunt.records).toBe(6_000);
    expect(r.hunt.rejected).toBe(0);
    // The laid-in attacks are found: the admin-group change by the service account among them.
    expect(r.hunt.incidentTitles.some((t) => t.includes('svc-smartsheet'))).toBe(true);
    expect(r.rules.rules.length).toBeGreaterThan(20);
    expect(r.rules.bulkhead.matches).toBe(r.rules.jre.matches);
    expect(r.targets.map((t) => t.name)).toHaveLength(3);
    expect(r.targets.find((t) => t.name.startsWith('hunt /'))?.target).toBe(`>= ${TARGETS.huntVsBaseline}`);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({
      schema: 'bulkhead.bench/v1',
      data: { records: 6_000 },
    });
    const table = formatTable(r);
    expect(table).toMatch(/\(a\) read \+ JSON\.parse baseline\s+6,000/);
    expect(table).toMatch(/(PASS|MISS) {2}hunt peak RSS/);
    expect(lines.some((l) => l.startsWith('phase 3/3'))).toBe(true);
  });
});

describe('rule share (decision 0018)', () => {
  it('splits the built-in rules into none, all but the distinct family, and all', () => {
    const { dirs, rules } = ruleSetDirs(path.join(tmp, 'sets'));
    const lists = loadLists([builtinListsDir()], []).lists;
    const all = loadRules([builtinRulesDir()], lists).rules;
    const distinct = all.filter((r) => r.aggregate?.type === 'distinct').length;
    expect(distinct).toBeGreaterThan(0);
    expect(rules).toEqual({ none: 0, 'no-distinct': all.length - distinct, all: all.length });
    const copied = loadRules([dirs['no-distinct']], lists);
    expect(copied.errors).toEqual([]);
    expect(copied.rules.some((r) => r.aggregate?.type === 'distinct')).toBe(false);
    expect(copied.rules.map((r) => r.id).sort()).toEqual(
      all
        .filter((r) => r.aggregate?.type !== 'distinct')
        .map((r) => r.id)
        .sort(),
    );
    expect(fs.readdirSync(dirs.none)).toEqual([]);
  });

  it('runs the baseline and the hunt per rule set each round, with ratios against that round', async () => {
    const r = await runRuleShare({
      records: 6_000,
      dataDir: path.join(tmp, 'share'),
      rounds: 2,
      runPhase: async (req) => ({ ...(await runPhase(req)), maxRssMb: 0 }),
      log: () => undefined,
    });
    for (const set of ['none', 'no-distinct', 'all'] as const) {
      expect(r.runs[set]).toHaveLength(2);
      for (const x of r.runs[set]) expect(x.ratio).toBeCloseTo(x.baselineMs / x.ms, 10);
    }
    expect(r.runs.none.every((x) => x.detections === 0)).toBe(true);
    // The laid-in attacks fire rules outside the distinct family, and the 60 archive downloads one inside it.
    const noDistinct = r.runs['no-distinct'][0]?.detections ?? 0;
    expect(noDistinct).toBeGreaterThan(0);
    expect(r.runs.all[0]?.detections ?? 0).toBeGreaterThan(noDistinct);
    expect(formatRuleShare(r)).toMatch(/^cost per round: the distinct family -?[\d.]+(--?[\d.]+)? s/m);
    expect(formatRuleShare(r)).toMatch(/^no-distinct \(\d+\)\s+[\d.-]+\s+[\d.-]+\s+\d+/m);
  });
});

describe('translateRules', () => {
  it('leaves out stateful rules and what json-rules-engine cannot express, naming each', () => {
    const lists = loadLists([builtinListsDir()], []).lists;
    const { rules } = loadRules([builtinRulesDir()], lists);
    const t = translateRules(rules, lists);
    const stateful = rules.filter((r) => r.enabled && r.aggregate).map((r) => r.id);
    expect(
      t.skipped
        .filter((s) => s.reason.startsWith('stateful'))
        .map((s) => s.id)
        .sort(),
    ).toEqual(stateful.sort());
    expect(t.translated.every((r) => !r.aggregate)).toBe(true);
    // IOC address rules test a CIDR list, which has no json-rules-engine operator.
    expect(t.skipped.find((s) => s.id === 'ioc-ip-activity')?.reason).toMatch(/untranslatable/);
  });

  it('agrees with Bulkhead on a case-insensitive string match, its negation, and arrays', async () => {
    const lists = new ListSet();
    const { rules, errors } = loadRules([path.join(__dirname, 'fixtures')], lists);
    expect(errors).toEqual([]);
    const t = translateRules(rules, lists);
    expect(t.translated.map((r) => r.id)).toEqual(['search-for-secrets']);
    const fire = async (e: Record<string, unknown>) => (await t.engine.run(e)).events.length;
    expect(
      await fire({ 'event.action': 'search.performed', 'atlassian.search.query': 'find the PASSWORD' }),
    ).toBe(1);
    expect(await fire({ 'event.action': 'search.performed', 'atlassian.search.query': 'lunch menu' })).toBe(
      0,
    );
    expect(
      await fire({
        'event.action': 'search.performed',
        'atlassian.search.query': 'password',
        'user.kind': 'app',
      }),
    ).toBe(0);
    expect(
      await fire({
        'event.action': 'SEARCH.PERFORMED',
        'related.ip': ['10.0.0.1'],
        'atlassian.search.query': 'token',
      }),
    ).toBe(1);
  });
});
