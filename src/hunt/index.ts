/**
 * The host-independent hunt: read exported audit logs, merge them into event-time order, run the rules,
 * correlate detections into incidents, and summarise. Memory stays bounded: events flow through one at a
 * time (plus the bounded reorder buffers); only detections, incidents and the first rejects are kept.
 */
import type { Readable } from 'node:stream';
import type { AuditEvent } from '../core/event';
import type { Detection } from '../core/detection';
import type { Incident } from '../core/incident';
import { SEVERITIES, type Severity } from '../core/severity';
import { defaultHuntDeps } from './deps';
import { mergeByTime, reorderWindowFor } from './merge';
import { builtinListsDir, builtinRulesDir } from './paths';
import type { HuntDeps, ParseReject } from './ports';

export type { ParseReject, InputBatch, HuntDeps } from './ports';
export { mergeByTime, reorderWindowFor } from './merge';
export { parseTimeArg } from './time';

export const HUNT_SCHEMA = 'bulkhead.hunt/v1' as const;
/** Rejects kept in full in the result; the rest are counted in `summary.rejected` only. */
export const MAX_REJECTS_KEPT = 1_000;
/** Detections kept in `detections` (incidents keep their own); the rest are counted only. */
export const MAX_DETECTIONS_KEPT = 10_000;

export interface HuntProgress {
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly records: number;
}

export interface HuntOptions {
  /** Files or folders; folders are expanded by the parsers. */
  inputs: string[];
  /** Rule folders, in order; later ones override earlier ones by rule id. Default: the built-in rules/. */
  ruleDirs?: string[];
  /** List folders. Default: the built-in lists/. */
  listDirs?: string[];
  iocFiles?: string[];
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** IANA zone for timestamps that carry none. */
  timezone?: string;
  /** Where an input named `-` is read from (default process.stdin). */
  stdin?: Readable;
  onProgress?(p: HuntProgress): void;
}

export interface HuntFileSummary {
  file: string;
  formats: Record<string, number>;
  records: number;
  events: number;
  rejected: number;
}

export interface HuntSummary {
  records: number;
  /** Events that reached the engine (inside since/until). */
  events: number;
  /** Events parsed but outside since/until. */
  filtered: number;
  /** Events that arrived later than the reorder window allowed (processed anyway; see docs/hunt-output.md). */
  late: number;
  rejected: number;
  /** Rejects counted but not listed in `rejects`. */
  rejectsOmitted: number;
  detections: number;
  /** Detections counted but not listed in `detections` (they remain inside their incidents). */
  detectionsOmitted: number;
  incidents: number;
  files: number;
  bySeverity: Record<Severity, number>;
  formats: Record<string, number>;
  since?: string;
  until?: string;
  startedAt: string;
  durationMs: number;
}

export interface HuntResult {
  schema: typeof HUNT_SCHEMA;
  summary: HuntSummary;
  files: HuntFileSummary[];
  rejects: ParseReject[];
  incidents: Incident[];
  detections: Detection[];
}

/** A problem with what the user asked for (an unreadable path, a bad rule folder): the CLI exits 2. */
export class HuntInputError extends Error {
  override readonly name = 'HuntInputError';
}

const zeroSeverities = (): Record<Severity, number> =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const timeOf = (e: AuditEvent): number => e['@timestamp'];
/** Events per batch from each file. Small, because a batch waits whole in the merge: see merge.ts. */
const HUNT_BATCH = 128;

export async function runHunt(opts: HuntOptions, deps: HuntDeps = defaultHuntDeps()): Promise<HuntResult> {
  const startedAt = Date.now();
  if (opts.since !== undefined && opts.until !== undefined && opts.since >= opts.until) {
    throw new HuntInputError(
      `--since (${new Date(opts.since).toISOString()}) must be before --until (${new Date(opts.until).toISOString()})`,
    );
  }
  if (opts.inputs.length === 0) throw new HuntInputError('no input files given');

  let inputs: Array<{ path: string; size: number }>;
  try {
    inputs = await deps.expandInputs(opts.inputs);
  } catch (err) {
    throw new HuntInputError((err as Error).message);
  }
  if (inputs.length === 0) throw new HuntInputError(`no input files found in ${opts.inputs.join(', ')}`);
  const paths = inputs.map((i) => i.path);
  const sizes = inputs.map((i) => i.size);
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);

  let engine;
  try {
    engine = await deps.createEngine({
      ruleDirs: opts.ruleDirs ?? [builtinRulesDir()],
      listDirs: opts.listDirs ?? [builtinListsDir()],
      iocFiles: opts.iocFiles ?? [],
    });
  } catch (err) {
    throw new HuntInputError(`cannot load rules: ${(err as Error).message}`);
  }
  const correlator = deps.createCorrelator();

  const files: HuntFileSummary[] = paths.map((file) => ({
    file,
    formats: {},
    records: 0,
    events: 0,
    rejected: 0,
  }));
  const rejects: ParseReject[] = [];
  const detections: Detection[] = [];
  const bySeverity = zeroSeverities();
  const formats: Record<string, number> = {};
  let rejected = 0;
  let records = 0;
  let filtered = 0;
  let detectionCount = 0;
  const bytesDone = new Array<number>(paths.length).fill(0);
  let bytesRead = 0;

  const { since, until, onProgress } = opts;
  const inRange = (t: number): boolean =>
    (since === undefined || t >= since) && (until === undefined || t < until);

  // Each file's batches are tallied (records, rejects, formats, progress) and filtered to the time range
  // before they enter the merge, so out-of-range events never occupy the reorder buffers.
  async function* tallied(i: number): AsyncGenerator<readonly AuditEvent[]> {
    const f = files[i] as HuntFileSummary;
    const batches = deps.readInput(f.file, {
      batchSize: HUNT_BATCH,
      ...(opts.timezone === undefined ? {} : { timezone: opts.timezone }),
      ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
      onBytes: (n) => {
        bytesRead += n;
        bytesDone[i] = (bytesDone[i] as number) + n;
      },
    });
    for await (const b of batches) {
      f.records += b.records;
      records += b.records;
      f.rejected += b.rejects.length;
      rejected += b.rejects.length;
      for (const r of b.rejects) if (rejects.length < MAX_REJECTS_KEPT) rejects.push(r);
      // Records per format, counted from what each record became: every event names its dataset and
      // every reject the format it was tried as. A page of N records counts N.
      for (const e of b.events) {
        const ds = e['event.dataset'];
        f.formats[ds] = (f.formats[ds] ?? 0) + 1;
      }
      for (const r of b.rejects) f.formats[r.format] = (f.formats[r.format] ?? 0) + 1;
      for (const k of Array.isArray(b.formats) ? b.formats : Object.keys(b.formats)) f.formats[k] ??= 0;
      onProgress?.({ bytesRead, bytesTotal, records });
      let events = b.events;
      if (since !== undefined || until !== undefined) {
        events = events.filter((e) => inRange(e['@timestamp']));
        filtered += b.events.length - events.length;
      }
      f.events += events.length;
      if (events.length > 0) yield events;
    }
    // A .gz file reports compressed bytes and stdin has no size: settle the file's share once it ends.
    bytesRead += Math.max(0, (sizes[i] as number) - (bytesDone[i] as number));
    bytesDone[i] = Math.max(sizes[i] as number, bytesDone[i] as number);
    onProgress?.({ bytesRead, bytesTotal, records });
  }

  let events = 0;
  const merge = await mergeByTime(
    paths.map((_, i) => tallied(i)),
    timeOf,
    (event) => {
      events++;
      // The correlator sees the event first so that identity links (user created, added to group) exist
      // before a detection on the same event is attached to an incident.
      correlator.observe(event);
      for (const d of engine.process(event)) {
        correlator.add(d);
        detectionCount++;
        bySeverity[d.severity]++;
        if (detections.length < MAX_DETECTIONS_KEPT) detections.push(d);
      }
    },
    reorderWindowFor(paths.length),
  ).catch((err: unknown) => {
    if (err instanceof HuntInputError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && typeof e.path === 'string')
      throw new HuntInputError(`cannot read ${e.path}: ${e.code}`);
    throw err;
  });

  for (const f of files) addCounts(formats, f.formats);
  const incidents = [...correlator.incidents()];
  return {
    schema: HUNT_SCHEMA,
    summary: {
      records,
      events,
      filtered,
      late: merge.late,
      rejected,
      rejectsOmitted: rejected - rejects.length,
      detections: detectionCount,
      detectionsOmitted: detectionCount - detections.length,
      incidents: incidents.length,
      files: files.length,
      bySeverity,
      formats,
      ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
      ...(until === undefined ? {} : { until: new Date(until).toISOString() }),
      startedAt: new Date(startedAt).toISOString(),
      durationMs: Date.now() - startedAt,
    },
    files,
    rejects,
    incidents,
    detections,
  };
}
