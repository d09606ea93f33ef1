/**
 * The measured phases. Each runs in its own child process (see run.ts), so the peak RSS it reports is its own.
 *
 * - baseline: read the files with the same chunked line splitting the parsers use, JSON.parse each audit line,
 *   split each access-log line on ` | `. The floor any parser must pay.
 * - hunt: `runHunt` over the folder: parse, normalize, merge, built-in rules, correlation.
 * - rules: the stateless built-in rules on a bounded batch of pre-normalized, pre-enriched events, evaluated by
 *   Bulkhead's Engine and by json-rules-engine (the same rules, translated). Only evaluation is timed.
 */
import { createReadStream } from 'node:fs';
import type { AuditEvent } from '../core/event';
import { severityRank } from '../core/severity';
import { Engine, loadLists, loadRules } from '../engine';
import type { ListSet } from '../lists/list-set';
import { runHunt } from '../hunt';
import { builtinListsDir, builtinRulesDir } from '../hunt/paths';
import { readInput } from '../parsers';
import type { CompiledRule } from '../rules/compiled';
import { translateRules } from './jre-translate';

export const PHASES = ['baseline', 'hunt', 'rules'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface BaselineResult {
  readonly phase: 'baseline';
  readonly records: number;
  readonly ms: number;
  readonly bad: number;
}

export interface HuntPhaseResult {
  readonly phase: 'hunt';
  readonly records: number;
  readonly events: number;
  readonly rejected: number;
  readonly late: number;
  readonly detections: number;
  readonly incidents: number;
  readonly ms: number;
  readonly incidentTitles: readonly string[];
}

export interface RulesPhaseResult {
  readonly phase: 'rules';
  readonly batch: number;
  readonly rules: readonly string[];
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  readonly bulkhead: { readonly evaluations: number; readonly ms: number; readonly matches: number };
  readonly jre: { readonly evaluations: number; readonly ms: number; readonly matches: number };
}

export type PhaseResult = (BaselineResult | HuntPhaseResult | RulesPhaseResult) & {
  readonly maxRssMb: number;
};

const ACCESS_SEP = ' | ';

/** Line splitting as in src/parsers/read.ts: Buffer.indexOf on 64 KiB chunks, carry the partial tail. */
async function readLines(file: string, onLine: (line: string) => void): Promise<void> {
  let carry: Buffer | undefined;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let buf = chunk;
    if (carry) {
      buf = Buffer.concat([carry, chunk]);
      carry = undefined;
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      if (nl > start) onLine(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    if (start < buf.length) carry = buf.subarray(start);
  }
  if (carry && carry.length > 0) onLine(carry.toString('utf8'));
}

export async function runBaseline(files: readonly string[]): Promise<BaselineResult> {
  const started = performance.now();
  let records = 0;
  let bad = 0;
  let sink = 0;
  for (const file of files) {
    const access = file.endsWith('access.log');
    await readLines(file, (line) => {
      records++;
      if (access) {
        sink += line.split(ACCESS_SEP).length;
      } else {
        try {
          // Touch the result so the parse cannot be optimized away.
          sink += (JSON.parse(line) as { version?: string }).version === undefined ? 0 : 1;
        } catch {
          bad++;
        }
      }
    });
  }
  if (sink < 0) throw new Error('unreachable');
  return { phase: 'baseline', records, bad, ms: performance.now() - started };
}

/** The full hunt over `dir`; `ruleDirs` replaces the built-in rules (the rule-share measurement uses it). */
export async function runHuntPhase(dir: string, ruleDirs?: readonly string[]): Promise<HuntPhaseResult> {
  const started = performance.now();
  const r = await runHunt({ inputs: [dir], ...(ruleDirs ? { ruleDirs: [...ruleDirs] } : {}) });
  return {
    phase: 'hunt',
    records: r.summary.records,
    events: r.summary.events,
    rejected: r.summary.rejected,
    late: r.summary.late,
    detections: r.summary.detections,
    incidents: r.summary.incidents,
    ms: performance.now() - started,
    // The most severe first, so the laid-in attacks head the list whatever the background raised.
    incidentTitles: [...r.incidents]
      .sort(
        (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firstTimestamp - b.firstTimestamp,
      )
      .slice(0, 20)
      .map((i) => `${i.severity} ${i.title}`),
  };
}

/** Up to `batch` events, taken evenly from the files (each in file order). */
async function loadBatch(files: readonly string[], batch: number): Promise<AuditEvent[]> {
  const perFile = Math.ceil(batch / files.length);
  const events: AuditEvent[] = [];
  for (const file of files) {
    let taken = 0;
    for await (const b of readInput(file)) {
      for (const e of b.events) {
        if (taken >= perFile) break;
        events.push(e);
        taken++;
      }
      if (taken >= perFile) break;
    }
  }
  return events.sort((a, b) => a['@timestamp'] - b['@timestamp']);
}

/** Runs `fn` over the batch repeatedly until at least `minMs` have passed; returns evaluations and time. */
function timeSync(
  events: readonly AuditEvent[],
  minMs: number,
  fn: (e: AuditEvent) => void,
): { evaluations: number; ms: number } {
  const started = performance.now();
  let evaluations = 0;
  let ms: number;
  do {
    for (const e of events) fn(e);
    evaluations += events.length;
    ms = performance.now() - started;
  } while (ms < minMs);
  return { evaluations, ms };
}

/** The built-in lists and rules; a benchmark of rules that do not load would measure nothing. */
export function loadBuiltinRules(): { lists: ListSet; rules: readonly CompiledRule[] } {
  const lists = loadLists([builtinListsDir()], []);
  if (lists.errors.length > 0) throw new Error(`built-in lists do not load: ${lists.errors.length} errors`);
  const loaded = loadRules([builtinRulesDir()], lists.lists);
  if (loaded.errors.length > 0) throw new Error(`built-in rules do not load: ${loaded.errors.length} errors`);
  return { lists: lists.lists, rules: loaded.rules };
}

export async function runRulesPhase(files: readonly string[], batch: number): Promise<RulesPhaseResult> {
  const { lists, rules } = loadBuiltinRules();
  const { translated, skipped, engine: jre } = translateRules(rules, lists);

  const events = await loadBatch(files, batch);
  // Enrich once with the full rule set (user.kind, idle days), so both engines see the same finished events.
  const full = new Engine({ rules, lists });
  for (const e of events) full.process(e);

  const bulkhead = new Engine({ rules: translated, lists });
  // Warm-up pass so V8 has compiled the closures before timing, as it has in a long hunt.
  timeSync(events, 0, (e) => bulkhead.process(e));
  const bh = timeSync(events, 1_000, (e) => bulkhead.process(e));

  // Matches per event by the same compiled rules, for the agreement check (not timed).
  let bhMatches = 0;
  const probe = new Engine({
    rules: translated.map((r) => ({ ...r, suppressMs: undefined })) as typeof translated,
    lists,
  });
  for (const e of events) bhMatches += probe.process(e).length;

  let jreMatches = 0;
  for (const e of events.slice(0, Math.min(events.length, 500)))
    await jre.run(e as unknown as Record<string, unknown>);
  const started = performance.now();
  for (const e of events) {
    const r = await jre.run(e as unknown as Record<string, unknown>);
    jreMatches += r.events.length;
  }
  const jreMs = performance.now() - started;
  return {
    phase: 'rules',
    batch: events.length,
    rules: translated.map((r) => r.id),
    skipped,
    bulkhead: { evaluations: bh.evaluations, ms: bh.ms, matches: bhMatches },
    jre: { evaluations: events.length, ms: jreMs, matches: jreMatches },
  };
}

export interface PhaseRequest {
  readonly phase: PhaseName;
  readonly dir: string;
  readonly files: readonly string[];
  readonly batch: number;
  /** Rule folders for the hunt phase instead of the built-in rules. */
  readonly ruleDirs?: readonly string[];
}

export async function runPhase(
  req: PhaseRequest,
): Promise<BaselineResult | HuntPhaseResult | RulesPhaseResult> {
  switch (req.phase) {
    case 'baseline':
      return runBaseline(req.files);
    case 'hunt':
      return runHuntPhase(req.dir, req.ruleDirs);
    case 'rules':
      return runRulesPhase(req.files, req.batch);
  }
}
