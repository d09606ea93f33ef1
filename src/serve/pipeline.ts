/**
 * The ingestion loop of the self-hosted service (groundwork for issue #4): tail the log folders, parse, run
 * the rules, correlate, and commit what came of it together with the new checkpoint (see state.ts). One call
 * of `step()` is one poll; the service calls it on a timer.
 *
 * Order: the lines one poll finds are processed in (time, file, line) order. Log files are written as things
 * happen, so every poll's lines come after the previous poll's, and the detections do not depend on how the
 * lines happened to be grouped into polls; that is what lets a restarted process, which regroups them, arrive
 * at exactly the same detections.
 */
import type { Detection } from '../core/detection';
import type { AuditEvent, Product } from '../core/event';
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
}

export interface StepResult {
  readonly lines: number;
  readonly events: number;
  readonly rejects: number;
  readonly detections: readonly Detection[];
}

interface Tailed {
  readonly source: PipelineSource;
  readonly tailer: DirectoryTailer;
}

export class Pipeline {
  private constructor(
    private readonly opts: PipelineOptions,
    private readonly state: ServeState,
    private readonly tailers: readonly Tailed[],
    private readonly engine: Engine,
    private readonly correlator: Correlator,
  ) {}

  /** Opens the state file and resumes from its last commit, or starts from the first line of every file. */
  static open(opts: PipelineOptions): Pipeline {
    const state = new ServeState(opts.stateFile);
    const resume = state.resume();
    const inputs = (resume?.inputs ?? []) as (TailCheckpoint | null)[];
    const tailers = opts.sources.map((source, i) => {
      const checkpoint = inputs[i] ?? undefined;
      return {
        source,
        tailer: new DirectoryTailer({
          dir: source.dir,
          match: source.match,
          ...(checkpoint ? { checkpoint } : {}),
        }),
      };
    });
    const engineOpts = { rules: opts.rules, lists: opts.lists };
    const engine = resume ? Engine.restore(resume.engine, engineOpts) : new Engine(engineOpts);
    const correlator = resume ? Correlator.restore(resume.correlator) : new Correlator();
    return new Pipeline(opts, state, tailers, engine, correlator);
  }

  async step(): Promise<StepResult> {
    const events: AuditEvent[] = [];
    let lines = 0;
    let rejects = 0;
    const receivedAt = Date.now();
    for (const { source, tailer } of this.tailers) {
      for (const l of await tailer.poll()) {
        lines++;
        const out = parseLine(l.text, { file: l.path, line: l.line }, undefined, {
          timezone: this.opts.timezone,
          receivedAt,
          product: source.product,
        });
        for (const e of out.events) events.push(e);
        rejects += out.rejects.length;
      }
    }
    events.sort(
      (a, b) =>
        a['@timestamp'] - b['@timestamp'] ||
        (a.ref.file < b.ref.file ? -1 : a.ref.file > b.ref.file ? 1 : 0) ||
        a.ref.line - b.ref.line ||
        (a.ref.index ?? 0) - (b.ref.index ?? 0),
    );
    const detections: { detection: Detection; incidentId: string }[] = [];
    const touched = new Set<string>();
    for (const e of events) {
      this.correlator.observe(e);
      for (const d of this.engine.process(e)) {
        const incidentId = this.correlator.add(d);
        detections.push({ detection: d, incidentId });
        touched.add(incidentId);
      }
    }
    if (lines === 0) return { lines, events: 0, rejects, detections: [] };
    // The incident id a detection was filed under may since have been merged into another: store the survivor.
    const incidents = [...touched].flatMap((id) => this.correlator.incident(id) ?? []);
    const byDetection = new Map(incidents.flatMap((i) => i.detections.map((d) => [d.id, i.id] as const)));
    this.state.commit({
      inputs: this.tailers.map((t) => t.tailer.checkpoint()),
      engine: this.engine.snapshot(),
      correlator: this.correlator.snapshot(),
      detections: detections.map(({ detection }) => ({
        detection,
        incidentId: byDetection.get(detection.id) ?? '',
      })),
      incidents,
      mergedAway: this.correlator.mergedIds(),
    });
    return { lines, events: events.length, rejects, detections: detections.map((d) => d.detection) };
  }

  get store(): ServeState {
    return this.state;
  }

  async close(): Promise<void> {
    await Promise.all(this.tailers.map((t) => t.tailer.close()));
    this.state.close();
  }
}
