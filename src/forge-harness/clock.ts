/**
 * A deterministic simulated clock and the task scheduler the harness (and the Cloud simulator) run on.
 * Nothing happens by itself: tests move time with `runUntilIdle()`, `advance(ms)` or `runUntil(t)`,
 * and tasks run in (time, insertion) order, one at a time, each awaited before the next.
 */

export interface Clock {
  now(): number;
}

export class SimClock implements Clock {
  private t: number;
  constructor(startMs = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  /** Moves time forward (never back). */
  set(ms: number): void {
    if (ms > this.t) this.t = ms;
  }
  /** Instant sleep on simulated time (for app code that accepts a sleep function). */
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
  }
  iso(): string {
    return new Date(this.t).toISOString();
  }
}

interface Task {
  at: number;
  seq: number;
  label: string;
  /** Recurring tasks (scheduled triggers) do not keep `runUntilIdle` going on their own. */
  recurring: boolean;
  run: () => Promise<void> | void;
}

export class Scheduler {
  private tasks: Task[] = [];
  private seq = 0;
  /** Errors thrown by tasks (the harness catches handler errors itself; this is for its own bugs). */
  readonly errors: { label: string; error: unknown }[] = [];

  constructor(readonly clock: SimClock) {}

  at(atMs: number, label: string, run: () => Promise<void> | void, recurring = false): void {
    this.tasks.push({ at: Math.max(atMs, this.clock.now()), seq: this.seq++, label, run, recurring });
  }

  after(delayMs: number, label: string, run: () => Promise<void> | void, recurring = false): void {
    this.at(this.clock.now() + Math.max(0, delayMs), label, run, recurring);
  }

  pending(): number {
    return this.tasks.length;
  }

  nextAt(): number | undefined {
    let best: Task | undefined;
    for (const t of this.tasks)
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best?.at;
  }

  private takeNext(untilMs: number): Task | undefined {
    let idx = -1;
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i]!;
      const b = idx >= 0 ? this.tasks[idx]! : undefined;
      if (t.at <= untilMs && (!b || t.at < b.at || (t.at === b.at && t.seq < b.seq))) idx = i;
    }
    if (idx < 0) return undefined;
    return this.tasks.splice(idx, 1)[0];
  }

  /**
   * Runs due tasks (and the tasks they schedule) until none is due at or before `untilMs`, then sets the
   * clock to `untilMs` when finite. Returns how many tasks ran. `maxTasks` guards against endless loops.
   */
  async runUntil(untilMs: number, maxTasks = 1_000_000): Promise<number> {
    let n = 0;
    for (;;) {
      const task = this.takeNext(untilMs);
      if (!task) break;
      if (++n > maxTasks) throw new Error(`scheduler: more than ${maxTasks} tasks (last: ${task.label})`);
      this.clock.set(task.at);
      try {
        await task.run();
      } catch (error) {
        this.errors.push({ label: task.label, error });
      }
    }
    if (Number.isFinite(untilMs)) this.clock.set(untilMs);
    return n;
  }

  /**
   * Runs tasks in order until no non-recurring task is left (recurring ones due before the last
   * non-recurring task run too). Returns how many tasks ran.
   */
  async runUntilIdle(maxTasks = 1_000_000): Promise<number> {
    let n = 0;
    for (;;) {
      let target: number | undefined;
      for (const t of this.tasks) if (!t.recurring && (target === undefined || t.at < target)) target = t.at;
      if (target === undefined) return n;
      n += await this.runUntil(target, maxTasks - n);
    }
  }

  clear(): void {
    this.tasks = [];
  }
}
