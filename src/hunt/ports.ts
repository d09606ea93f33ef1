/**
 * What the hunt needs from the parsers, the engine and the correlator, written as structural types.
 *
 * Those modules are built in parallel with this one; describing only the surface the hunt calls keeps the
 * hunt compiling and testable on its own, and `deps.ts` binds these ports to the real modules at run time.
 */
import type { AuditEvent } from '../core/event';
import type { Detection } from '../core/detection';
import type { Incident } from '../core/incident';

/** A record a parser could not turn into an event: where it was, which format was tried, and why. */
export interface ParseReject {
  readonly file: string;
  /** 1-based line in the input. */
  readonly line: number;
  /** 0-based record index inside a whole-JSON document. */
  readonly index?: number;
  readonly format: string;
  readonly reason: string;
  readonly excerpt: string;
}

/** One chunk of a file as the parsers hand it over. */
export interface InputBatch {
  readonly file: string;
  readonly events: readonly AuditEvent[];
  readonly rejects: readonly ParseReject[];
  /** Raw records read in this batch (events + rejects, plus records deliberately skipped). */
  readonly records: number;
  /** The format ids detected in this batch (the hunt counts records per format from the events and
   *  rejects themselves, so this only names formats whose records all produced nothing). */
  readonly formats: readonly string[] | Readonly<Record<string, number>>;
  /** Bytes of the file consumed so far, when the parser knows (drives the progress bar). */
  readonly bytesRead?: number;
}

export interface ReadOptions {
  /** IANA zone for timestamps that carry none (some CSV exports). */
  readonly timezone?: string;
}

export interface RuleEngine {
  process(event: AuditEvent): readonly Detection[];
}

export interface IncidentCorrelator {
  observe(event: AuditEvent): void;
  add(detection: Detection): void;
  incidents(): readonly Incident[];
}

/** The functions the hunt calls; `defaultHuntDeps()` binds them to the real modules. */
export interface HuntDeps {
  expandInputs(paths: readonly string[]): Promise<readonly string[]> | readonly string[];
  readInput(path: string, opts: ReadOptions): AsyncIterable<InputBatch>;
  /** Loads rules and lists and returns a ready engine; throws naming the bad file and key. */
  createEngine(cfg: { ruleDirs: readonly string[]; listDirs: readonly string[]; iocFiles: readonly string[] }): Promise<RuleEngine>;
  createCorrelator(): IncidentCorrelator;
}
