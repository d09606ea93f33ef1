/**
 * `npm run bench -- --rule-share [rounds]`: what the rules cost the hunt, by family (decision 0018). Each round
 * runs the baseline and then the hunt three times over the same data: with no rules, with every built-in rule
 * except the `distinct` family, and with all of them. Each run is in its own process, as in the main benchmark.
 * The ratio of each round is taken against that round's own baseline. Rounds alternate the runs, so a slow
 * stretch of a shared machine affects every rule set alike.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinRulesDir } from '../hunt/paths';
import { generateBenchData } from './generate';
import { childPhase, expectPhase } from './harness';
import { loadBuiltinRules, type PhaseRequest, type PhaseResult } from './phases';

export const RULE_SETS = ['none', 'no-distinct', 'all'] as const;
export type RuleSet = (typeof RULE_SETS)[number];

export interface RuleSetRun {
  readonly ms: number;
  readonly baselineMs: number;
  /** Hunt throughput over baseline throughput: baselineMs / ms, as both read the same records. */
  readonly ratio: number;
  readonly detections: number;
}

export interface RuleShareResults {
  /** Rules loaded per set. */
  readonly rules: Readonly<Record<RuleSet, number>>;
  readonly runs: Readonly<Record<RuleSet, readonly RuleSetRun[]>>;
}

export interface RuleShareOptions {
  readonly records: number;
  readonly dataDir: string;
  readonly rounds: number;
  readonly runPhase?: (req: PhaseRequest) => Promise<PhaseResult>;
  readonly log?: (line: string) => void;
}

/** Rule folders for each set, under `scratch`: `none` is an empty folder, `no-distinct` holds copies of the
 *  built-in rule files whose aggregate is not `distinct` (same relative paths), `all` is the built-in folder. */
export function ruleSetDirs(scratch: string): {
  dirs: Record<RuleSet, string>;
  rules: Record<RuleSet, number>;
} {
  const { rules: builtin } = loadBuiltinRules();
  const none = path.join(scratch, 'none');
  const noDistinct = path.join(scratch, 'no-distinct');
  mkdirSync(none, { recursive: true });
  mkdirSync(noDistinct, { recursive: true });
  let kept = 0;
  for (const r of builtin) {
    if (r.aggregate?.type === 'distinct') continue;
    const to = path.join(noDistinct, path.relative(builtinRulesDir(), r.file));
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(r.file, to);
    kept++;
  }
  return {
    dirs: { none, 'no-distinct': noDistinct, all: builtinRulesDir() },
    rules: { none: 0, 'no-distinct': kept, all: builtin.length },
  };
}

export async function runRuleShare(opts: RuleShareOptions): Promise<RuleShareResults> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const run = opts.runPhase ?? childPhase;
  const data = generateBenchData(opts.dataDir, { records: opts.records });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bulkhead-rule-share-'));
  try {
    const { dirs, rules } = ruleSetDirs(scratch);
    const runs: Record<RuleSet, RuleSetRun[]> = { none: [], 'no-distinct': [], all: [] };
    const base: PhaseRequest = { phase: 'baseline', dir: data.dir, files: data.files, batch: 0 };
    for (let round = 1; round <= opts.rounds; round++) {
      log(`round ${round}/${opts.rounds}: baseline, then the hunt with ${RULE_SETS.join(', ')} rules`);
      const baselineMs = expectPhase(await run(base), 'baseline').ms;
      for (const set of RULE_SETS) {
        const hunt = expectPhase(await run({ ...base, phase: 'hunt', ruleDirs: [dirs[set]] }), 'hunt');
        runs[set].push({ ms: hunt.ms, baselineMs, ratio: baselineMs / hunt.ms, detections: hunt.detections });
      }
    }
    return { rules, runs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const range = (xs: readonly number[], f: (x: number) => string): string => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? f(lo) : `${f(lo)}-${f(hi)}`;
};

/** The table `npm run bench -- --rule-share` prints: per rule set, hunt seconds and ratio to the baseline. */
export function formatRuleShare(r: RuleShareResults): string {
  const all = Object.values(r.runs).flat();
  const out = [
    `baseline (a): ${range(
      all.map((x) => x.baselineMs),
      (ms) => (ms / 1000).toFixed(2),
    )} s`,
    'rules loaded          hunt s      (b)/(a)     detections',
  ];
  for (const set of RULE_SETS) {
    const runs = r.runs[set];
    out.push(
      [
        `${set} (${r.rules[set]})`.padEnd(20),
        range(
          runs.map((x) => x.ms),
          (ms) => (ms / 1000).toFixed(2),
        ).padStart(10),
        range(
          runs.map((x) => x.ratio),
          (v) => v.toFixed(2),
        ).padStart(12),
        range(
          runs.map((x) => x.detections),
          String,
        ).padStart(14),
      ].join('  '),
    );
  }
  // Per round, so a slow round does not pair with a fast one.
  const diff = (a: RuleSet, b: RuleSet): string =>
    range(
      r.runs[a].map((x, i) => x.ms - (r.runs[b][i]?.ms ?? NaN)),
      (ms) => (ms / 1000).toFixed(2),
    );
  out.push(
    `cost per round: the distinct family ${diff('all', 'no-distinct')} s, the other rules ${diff('no-distinct', 'none')} s, all rules ${diff('all', 'none')} s`,
  );
  return out.join('\n');
}
