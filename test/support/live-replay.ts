/**
 * Writes a simulated scenario into log folders the way the products would, paced by event time at a chosen
 * speed, and remembers when (wall clock) each line was written, so a test can measure detection latency from
 * the line that triggered a detection to the commit that stored it.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { paceUnits, type ReplayUnit } from '../../src/scenarios/replay';

export class LiveReplay {
  /** `absolute file:line` → wall time it was written. */
  readonly writtenAt = new Map<string, number>();
  private readonly lines = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly units: readonly ReplayUnit[],
  ) {}

  /** Replays every unit, `speed` simulated ms per wall ms; gaps longer than `maxGapMs` (wall) are shortened. */
  run(speed: number, maxGapMs = 250): Promise<void> {
    return paceUnits(this.units, { speed, maxGapMs }, (u) => this.write(u));
  }

  private write(u: ReplayUnit): void {
    const file = path.join(this.root, u.file);
    if (!this.lines.has(file)) mkdirSync(path.dirname(file), { recursive: true });
    appendFileSync(file, u.text);
    const now = Date.now();
    let n = this.lines.get(file) ?? 0;
    for (let i = 0; i < u.text.length; i++)
      if (u.text.charCodeAt(i) === 10) this.writtenAt.set(`${file}:${++n}`, now);
    this.lines.set(file, n);
  }
}

/** The p-th percentile (0..100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
