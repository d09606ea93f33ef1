/**
 * A simulated scenario as the products would have written it live: every line of every log file, in event-time
 * order across files. A line that makes no event of its own (an access-log request-in line) travels with the
 * next line of its file, so a file is never left mid-request. Used by the live demo (which writes these lines
 * into the DC simulator at a watchable speed) and by the tests that replay a scenario into tailed folders.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseLine } from '../parsers';
import type { ScenarioManifest } from './types';

export interface ReplayUnit {
  /** Event time of the unit's last line (epoch ms). */
  readonly t: number;
  /** Path under the scenario's output folder, `/`-separated (`jira/log/audit/20231114.audit.log`). */
  readonly file: string;
  /** One or more whole lines, each ending in a newline. */
  readonly text: string;
}

export function replayUnits(manifest: ScenarioManifest, outDir: string): ReplayUnit[] {
  const keyed: (ReplayUnit & { line: number })[] = [];
  for (const f of manifest.files) {
    const all = readFileSync(path.join(outDir, f.file), 'utf8').split('\n');
    if (all[all.length - 1] === '') all.pop();
    let carry = '';
    let last = -Infinity;
    all.forEach((text, i) => {
      const e = parseLine(text, { file: f.file, line: i + 1 }).events[0];
      if (!e) {
        carry += `${text}\n`;
        return;
      }
      last = e['@timestamp'];
      keyed.push({ t: last, file: f.file, line: i + 1, text: `${carry}${text}\n` });
      carry = '';
    });
    if (carry !== '') keyed.push({ t: last, file: f.file, line: all.length, text: carry });
  }
  keyed.sort((a, b) => a.t - b.t || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line);
  return keyed.map(({ t, file, text }) => ({ t, file, text }));
}

export interface PaceOptions {
  /** Simulated ms per wall ms (3600: one simulated hour a second). */
  readonly speed: number;
  /** No single quiet gap waits longer than this (wall ms): nights and weekends pass quickly. */
  readonly maxGapMs?: number;
  /** Units before this event time are written at once, without pacing (the history baselines learn from). */
  readonly liveFrom?: number;
  /** Stops early when it returns true (checked between units). */
  readonly stopped?: () => boolean;
}

/**
 * Writes units through `write` paced by their event time. The pacing keeps a running wall-clock target, so a
 * slow write or a busy event loop is caught up on instead of stretching the whole replay.
 */
export async function paceUnits(
  units: readonly ReplayUnit[],
  opts: PaceOptions,
  write: (u: ReplayUnit) => void,
): Promise<void> {
  const maxGap = opts.maxGapMs ?? Infinity;
  let simAt: number | undefined;
  let target = Date.now();
  for (const u of units) {
    if (opts.stopped?.()) return;
    if (opts.liveFrom !== undefined && u.t < opts.liveFrom) {
      write(u);
      continue;
    }
    simAt ??= u.t;
    target += Math.min(Math.max(0, u.t - simAt) / opts.speed, maxGap);
    simAt = Math.max(simAt, u.t);
    const wait = target - Date.now();
    if (wait > 2) await new Promise((r) => setTimeout(r, wait));
    write(u);
  }
}
