/**
 * The ingestion loop of the self-hosted service (groundwork for issue #4): tail the log folders, parse, run
 * the rules, correlate, and commit what came of it together with the new resume point (see state.ts). One call
 * of `step()` is one poll; the service calls it on a timer.
 *
 * Order across files: each log file is written in time order, but the products write their files
 * concurrently, and a poll reads one file after another, so it can see a later line of one file before an
 * earlier line of another that lands just after it was polled. Events therefore wait in a buffer until every
 * file still being written has moved past their time (the watermark), and are processed in (time, file, line)
 * order. A file that has written nothing for `idleMs` (500 ms) no longer holds the watermark back (a finished daily log,
 * a quiet product); that is the one place where wall-clock time enters, and a line written to such a file later
 * with an older time is processed late rather than never. Waiting lines and each file's progress are part of
 * the resume point, so a restarted process continues from exactly the same place: its detections do not depend
 * on how lines fell into polls, nor on when it was killed.
 */
import type { Detection } from '../core/detection';
import type { AuditEvent, Product } from '../core/event';
import type { Incident } from '../core/incident';
import { Correlator } from '../correlate';
import { Engine } from '../engine';
import type { ListSet } from '../lists/list-set';
import { parseLine } from '../parsers';
import type { CompiledRule } from '../rules/compiled';
import { DirectoryTailer, type TailCheckpoint } from '../tail/directory-tailer';
import { ServeState } from './state';

export interface PipelineSource {
  readonly dir: string;
  readonly match: RegExp;
  /** The product whose logs these are, for records that do not say. */
  readonly product?: Product;
}

export interface PipelineOptions {
  readonly sources: readonly PipelineSource[];
  readonly stateFile: string;
  readonly rules: readonly CompiledRule[];
  readonly lists: ListSet;
  readonly timezone?: string;
  /** A file silent for this long stops holding back the watermark (default 500 ms). It bounds the detection
   *  latency when a product goes quiet: an event waits at most this long for the other files. The products
   *  write their audit lines as things happen, so a line written half a second after a later line of another
   *  file is rare, and it is then processed late, not lost. */
  readonly idleMs?: number;
  /** The wall clock (default Date.now). */
  readonly now?: () => number;
  /** The resume point (input checkpoint with the engine's and correlator's state, which grows with the live
   *  windows: tens of MB on a busy site) is written at most this often (default 0: every poll); a poll's
   *  detections and incidents are stored at once either way. Safe at any value: what was read after the last
   *  resume point is read again after a crash, from the state of that point, and gives the same detections,
   *  which are kept once by id. The service sets ten seconds. */
  readonly resumeEveryMs?: number;
  /** Detections this refuses are dropped before correlation (a rule disabled, or an actor allow-listed for a
   *  rule, in the console). The rules keep counting either way, so turning a rule back on needs no warm-up. */
  readonly accept?: (d: Detection) => boolean;
  /** The tailers' read sizes (DirectoryTailerOptions; defaults 8 MiB a poll, lines up to 1 MiB). */
  readonly tail?: { readonly maxBytesPerPoll?: number; readonly maxLineBytes?: number };
  /** While more lines than this wait for slower files, files already past the watermark are not read
   *  (default 20,000). */
  readonly maxWaiting?: number;
}

export interface StepResult {
  readonly lines: number;
  readonly events: number;
  readonly rejects: number;
  /** Events read but waiting for other files to move past their time. */
  readonly waiting: number;
  readonly detections: readonly Detection[];
  /** The incidents this poll created or changed, as stored. */
  readonly incidents: readonly Incident[];
  /** Whether this poll wrote anything (detections, or the resume point). */
  readonly committed: boolean;
}

/** A line read but not yet processed, kept raw so the resume point can hold it. */
interface WaitingLine {
  readonly source: number;
  readonly path: string;
  readonly line: number;
  readonly text: string;
}

/** Per file: the latest event time read from it. */
interface FileProgress {
  readonly path: string;
  readonly latest: number;
}

interface ResumeInputs {
  readonly tails: readonly (TailCheckpoint | null)[];
  readonly waiting: readonly WaitingLine[];
  readonly progress: readonly FileProgress[];
}

interface Parsed {
  readonly raw: WaitingLine;
  readonly events: readonly AuditEvent[];
  readonly rejects: number;
  /** The latest time among `events` (-Infinity without events). */
  readonly latest: number;
}

const MAX_WAITING = 20_000;

const byTimeFileLine = (a: AuditEvent, b: AuditEvent): number =>
  a['@timestamp'] - b['@timestamp'] ||
  (a.ref.file < b.ref.file ? -1 : a.ref.file > b.ref.file ? 1 : 0) ||
  a.ref.line - b.ref.line ||
  (a.ref.index ?? 0) - (b.ref.index ?? 0);

export class Pipeline {
  private readonly now: () => number;
  private readonly idleMs: number;
  /** Per file path: latest event time and when (wall clock) it last gave a line. */
  private readonly files = new Map<string, { latest: number; heardAt: number }>();
  private waiting: Parsed[] = [];
  /** Progress since the last resume point, and when that was written. */
  private dirty = false;
  private lastResumeAt = -Infinity;

  private constructor(
    private readonly opts: PipelineOptions,
    private readonly state: ServeState,
    private readonly tailers: readonly DirectoryTailer[],
    private engine: Engine,
    private readonly correlator: Correlator,
    resumed: ResumeInputs | undefined,
  ) {
    this.now = opts.now ?? Date.now;
    this.idleMs = opts.idleMs ?? 500;
    const now = this.now();
    // Files known before the restart count as active until they have been silent for idleMs from now.
    for (const f of resumed?.progress ?? []) this.files.set(f.path, { latest: f.latest, heardAt: now });
    this.waiting = (resumed?.waiting ?? []).map((raw) => this.parse(raw, now));
  }

  /** Opens the state file and resumes from its last commit, or starts from the first line of every file. */
  static open(opts: PipelineOptions): Pipeline {
    const state = new ServeState(opts.stateFile);
    const resume = state.resume();
    const inputs = resume?.inputs as ResumeInputs | undefined;
    const tailers = opts.sources.map((source, i) => {
      const checkpoint = inputs?.tails[i] ?? undefined;
      return new DirectoryTailer({
        dir: source.dir,
        match: source.match,
        ...(checkpoint ? { checkpoint } : {}),
        ...opts.tail,
      });
    });
    const engineOpts = { rules: opts.rules, lists: opts.lists };
    const engine = resume ? Engine.restore(resume.engine, engineOpts) : new Engine(engineOpts);
    // Incidents keep only what their title needs: the detections are in the detections table, by incident.
    const correlator = resume
      ? Correlator.restore(resume.correlator, { detections: 'summary' })
      : new Correlator({ detections: 'summary' });
    return new Pipeline(opts, state, tailers, engine, correlator, inputs);
  }

  async step(): Promise<StepResult> {
    const now = this.now();
    let lines = 0;
    let rejects = 0;
    let events = 0;
    const holdBack =
      this.waiting.length > (this.opts.maxWaiting ?? MAX_WAITING) ? this.aheadFiles(now) : undefined;
    for (let s = 0; s < this.tailers.length; s++) {
      for (const l of await (this.tailers[s] as DirectoryTailer).poll(holdBack)) {
        lines++;
        const p = this.parse({ source: s, path: l.path, line: l.line, text: l.text }, now);
        events += p.events.length;
        rejects += p.rejects;
        if (p.events.length > 0) this.waiting.push(p);
      }
    }
    const ready = this.takeReady(now);
    const resumeDue = now - this.lastResumeAt >= (this.opts.resumeEveryMs ?? 0);
    if (lines === 0 && ready.length === 0) {
      const committed = this.dirty && resumeDue;
      if (committed) this.commit([], [], true);
      const waiting = this.waiting.length;
      return { lines, events, rejects, waiting, detections: [], incidents: [], committed };
    }
    this.dirty = true;

    const detections: { detection: Detection; incidentId: string }[] = [];
    const touched = new Set<string>();
    for (const e of ready) {
      this.correlator.observe(e);
      for (const d of this.engine.process(e)) {
        if (this.opts.accept && !this.opts.accept(d)) continue;
        const incidentId = this.correlator.add(d);
        detections.push({ detection: d, incidentId });
        touched.add(incidentId);
      }
    }
    // The incident id a detection was filed under may since have been merged into another: store the survivor.
    const incidents = [...touched].flatMap((id) => this.correlator.incident(id) ?? []);
    const committed = detections.length > 0 || resumeDue;
    if (committed) this.commit(detections, incidents, resumeDue);
    return {
      lines,
      events,
      rejects,
      waiting: this.waiting.length,
      detections: detections.map((d) => d.detection),
      incidents,
      committed,
    };
  }

  private commit(
    detections: readonly { detection: Detection; incidentId: string }[],
    incidents: readonly Incident[],
    withResume: boolean,
  ): void {
    const resume = withResume
      ? {
          inputs: {
            tails: this.tailers.map((t) => t.checkpoint()),
            waiting: this.waiting.map((p) => p.raw),
            progress: [...this.files].map(([path, f]) => ({ path, latest: f.latest })),
          } satisfies ResumeInputs,
          engine: this.engine.snapshot(),
          correlator: this.correlator.snapshot(),
        }
      : undefined;
    this.state.commit({
      ...(resume ? { resume } : {}),
      // The incident a detection was filed under may since have been merged into another: store the survivor.
      detections: detections.map(({ detection, incidentId }) => ({
        detection,
        incidentId: this.correlator.currentId(incidentId) ?? incidentId,
      })),
      incidents,
      mergedAway: this.correlator.mergedIds().map((id) => [id, this.correlator.currentId(id) ?? id] as const),
    });
    if (withResume) {
      this.dirty = false;
      this.lastResumeAt = this.now();
    }
  }

  /** Runs the next events with these rules (thresholds a person changed), keeping every window: a threshold
   *  is only compared against, so the state carries over as it is. */
  setRules(rules: readonly CompiledRule[]): void {
    this.engine = Engine.restore(this.engine.snapshot(), { rules, lists: this.opts.lists });
  }

  get store(): ServeState {
    return this.state;
  }

  async close(): Promise<void> {
    if (this.dirty) this.commit([], [], true);
    await Promise.all(this.tailers.map((t) => t.close()));
    this.state.close();
  }

  private parse(raw: WaitingLine, now: number): Parsed {
    const out = parseLine(raw.text, { file: raw.path, line: raw.line }, undefined, {
      timezone: this.opts.timezone,
      receivedAt: now,
      product: this.opts.sources[raw.source]?.product,
    });
    let latest = -Infinity;
    for (const e of out.events) if (e['@timestamp'] > latest) latest = e['@timestamp'];
    // Any line, even one that makes no event (an access-log request-in line), shows the file is being written.
    this.files.set(raw.path, {
      latest: Math.max(latest, this.files.get(raw.path)?.latest ?? -Infinity),
      heardAt: now,
    });
    return { raw, events: out.events, rejects: out.rejects.length, latest };
  }

  /** Files past the watermark: while many lines wait, reading further in them only adds to the wait. Catching
   *  up on a backlog, a file of short lines (the access log) covers far more time per read than the audit
   *  logs, and without this it ran ahead until 600,000 lines (1.5 GB) waited for the others. A file held back
   *  counts as heard from, so holding it never releases the watermark it holds; a file not heard from yet is
   *  read. */
  private aheadFiles(now: number): (path: string) => boolean {
    let watermark = Infinity;
    for (const f of this.files.values()) if (now - f.heardAt < this.idleMs) watermark = Math.min(watermark, f.latest);
    return (path) => {
      const f = this.files.get(path);
      if (f === undefined || !(f.latest > watermark)) return false;
      f.heardAt = now;
      return true;
    };
  }

  /** The waiting events every active file has moved past, in (time, file, line) order; the rest keep waiting. */
  private takeReady(now: number): AuditEvent[] {
    let watermark = Infinity;
    for (const [path, f] of this.files) {
      if (now - f.heardAt < this.idleMs) watermark = Math.min(watermark, f.latest);
      // An idle file's progress is no longer needed: if it is written again, its next line re-enters it.
      else this.files.delete(path);
    }
    // Strictly earlier: a file at the watermark may still write another event with that same time.
    const ready: AuditEvent[] = [];
    const keep: Parsed[] = [];
    for (const p of this.waiting) {
      if (p.latest < watermark) for (const e of p.events) ready.push(e);
      else keep.push(p);
    }
    this.waiting = keep;
    return ready.sort(byTimeFileLine);
  }
}
