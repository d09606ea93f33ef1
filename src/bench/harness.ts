/**
 * The benchmark harness: generate (or reuse) the data, run each phase in its own process, compute the figures
 * and the targets, print a table and write bench-results.json.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateBenchData, type GeneratedData } from './generate';
import type {
  BaselineResult,
  HuntPhaseResult,
  PhaseName,
  PhaseRequest,
  PhaseResult,
  RulesPhaseResult,
} from './phases';

export const TARGETS = {
  /** Full hunt throughput as a share of bare read + JSON.parse. */
  huntVsBaseline: 0.4,
  /** Bulkhead's rule evaluation against json-rules-engine on the same stateless rules and events. */
  rulesVsJre: 10,
  /** Peak RSS of the full hunt, MB. */
  huntMaxRssMb: 300,
} as const;

export interface BenchOptions {
  readonly records: number;
  /** Where the generated data lives (reused when the parameters match). */
  readonly dataDir: string;
  /** Where bench-results.json is written. */
  readonly out: string;
  /** Events in the bounded batch the rule engines are compared on. */
  readonly batch?: number;
  /** Runs one phase and returns its result; default: a child `node --expose-gc phase-main.js`. */
  readonly runPhase?: (req: PhaseRequest) => Promise<PhaseResult>;
  readonly log?: (line: string) => void;
}

export interface TargetCheck {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  readonly met: boolean;
}

export interface BenchResults {
  readonly schema: 'bulkhead.bench/v1';
  readonly startedAt: string;
  readonly node: string;
  readonly cpus: number;
  readonly data: GeneratedData;
  readonly baseline: BaselineResult & { readonly recordsPerSec: number; readonly maxRssMb: number };
  readonly hunt: HuntPhaseResult & { readonly recordsPerSec: number; readonly maxRssMb: number };
  readonly rules: RulesPhaseResult & {
    readonly bulkheadEventsPerSec: number;
    readonly jreEventsPerSec: number;
    readonly ratio: number;
    readonly maxRssMb: number;
  };
  readonly huntVsBaseline: number;
  readonly targets: readonly TargetCheck[];
  readonly allMet: boolean;
}

/** Spawns `node --expose-gc phase-main.js <request>` and parses its one JSON line. */
export function childPhase(req: PhaseRequest): Promise<PhaseResult> {
  const script = path.join(__dirname, 'phase-main.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, JSON.stringify(req)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench phase ${req.phase} exited with code ${String(code)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as PhaseResult);
      } catch {
        reject(new Error(`bench phase ${req.phase} printed no result: ${out.slice(0, 200)}`));
      }
    });
  });
}

export function expectPhase<P extends PhaseResult['phase']>(
  r: PhaseResult,
  phase: P,
): Extract<PhaseResult, { phase: P }> {
  if (r.phase !== phase) throw new Error(`expected a ${phase} result, got ${r.phase}`);
  return r as Extract<PhaseResult, { phase: P }>;
}

const perSec = (n: number, ms: number): number => (ms > 0 ? Math.round((n * 1000) / ms) : 0);

export async function runBench(opts: BenchOptions): Promise<BenchResults> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const run = opts.runPhase ?? childPhase;
  const startedAt = new Date().toISOString();
  const data = generateBenchData(opts.dataDir, { records: opts.records });
  log(
    `data: ${data.records.toLocaleString('en-US')} records, ${(data.bytes / 1e6).toFixed(1)} MB in ${data.dir} (${data.generated ? `generated in ${data.ms} ms` : 'reused'})`,
  );
  const req = (phase: PhaseName): PhaseRequest => ({
    phase,
    dir: data.dir,
    files: data.files,
    batch: opts.batch ?? 20_000,
  });

  log('phase 1/3: baseline (read + JSON.parse / split)');
  const baseline = expectPhase(await run(req('baseline')), 'baseline');
  log('phase 2/3: full hunt (runHunt)');
  const hunt = expectPhase(await run(req('hunt')), 'hunt');
  log('phase 3/3: stateless rules, Bulkhead Engine vs json-rules-engine');
  const rules = expectPhase(await run(req('rules')), 'rules');

  const baselineRate = perSec(baseline.records, baseline.ms);
  const huntRate = perSec(hunt.records, hunt.ms);
  const bhRate = perSec(rules.bulkhead.evaluations, rules.bulkhead.ms);
  const jreRate = perSec(rules.jre.evaluations, rules.jre.ms);
  const huntVsBaseline = baselineRate > 0 ? huntRate / baselineRate : 0;
  const ratio = jreRate > 0 ? bhRate / jreRate : 0;
  const targets: TargetCheck[] = [
    {
      name: 'hunt / baseline throughput',
      value: huntVsBaseline,
      target: `>= ${TARGETS.huntVsBaseline}`,
      met: huntVsBaseline >= TARGETS.huntVsBaseline,
    },
    {
      name: 'Bulkhead / json-rules-engine rule evaluation',
      value: ratio,
      target: `>= ${TARGETS.rulesVsJre}`,
      met: ratio >= TARGETS.rulesVsJre,
    },
    {
      name: 'hunt peak RSS (MB)',
      value: hunt.maxRssMb,
      target: `< ${TARGETS.huntMaxRssMb}`,
      met: hunt.maxRssMb < TARGETS.huntMaxRssMb,
    },
  ];
  const results: BenchResults = {
    schema: 'bulkhead.bench/v1',
    startedAt,
    node: process.version,
    cpus: (await import('node:os')).availableParallelism(),
    data,
    baseline: { ...baseline, recordsPerSec: baselineRate },
    hunt: { ...hunt, recordsPerSec: huntRate },
    rules: { ...rules, bulkheadEventsPerSec: bhRate, jreEventsPerSec: jreRate, ratio },
    huntVsBaseline,
    targets,
    allMet: targets.every((t) => t.met),
  };
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The table `npm run bench` prints. */
export function formatTable(r: BenchResults): string {
  const rows: string[][] = [
    ['phase', 'records', 'seconds', 'records/s', 'peak RSS MB'],
    [
      '(a) read + JSON.parse baseline',
      fmt(r.baseline.records),
      (r.baseline.ms / 1000).toFixed(2),
      fmt(r.baseline.recordsPerSec),
      r.baseline.maxRssMb.toFixed(0),
    ],
    [
      '(b) full hunt (runHunt)',
      fmt(r.hunt.records),
      (r.hunt.ms / 1000).toFixed(2),
      fmt(r.hunt.recordsPerSec),
      r.hunt.maxRssMb.toFixed(0),
    ],
    [
      `(b') Bulkhead Engine, ${r.rules.rules.length} stateless rules`,
      fmt(r.rules.bulkhead.evaluations),
      (r.rules.bulkhead.ms / 1000).toFixed(2),
      fmt(r.rules.bulkheadEventsPerSec),
      r.rules.maxRssMb.toFixed(0),
    ],
    [
      `(c) json-rules-engine, same rules`,
      fmt(r.rules.jre.evaluations),
      (r.rules.jre.ms / 1000).toFixed(2),
      fmt(r.rules.jreEventsPerSec),
      r.rules.maxRssMb.toFixed(0),
    ],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]): string =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = rows.map(line);
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  out.push('');
  out.push(
    `hunt: ${fmt(r.hunt.events)} events, ${fmt(r.hunt.detections)} detections, ${fmt(r.hunt.incidents)} incidents, ${fmt(r.hunt.rejected)} rejected, ${fmt(r.hunt.late)} late`,
  );
  out.push(
    `rules batch: ${fmt(r.rules.batch)} events; matches Bulkhead ${fmt(r.rules.bulkhead.matches)}, json-rules-engine ${fmt(r.rules.jre.matches)}`,
  );
  out.push(
    `left out of the comparison: ${r.rules.skipped.length} rules (${
      r.rules.skipped
        .filter((s) => s.reason.startsWith('untranslatable'))
        .map((s) => s.id)
        .join(', ') || 'none untranslatable'
    } untranslatable; the rest stateful)`,
  );
  for (const t of r.targets)
    out.push(`${t.met ? 'PASS' : 'MISS'}  ${t.name}: ${t.value.toFixed(2)} (target ${t.target})`);
  return out.join('\n');
}
