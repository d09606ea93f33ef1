/**
 * What the hunt needs from the parsers, the engine and the correlator: only the surface it calls.
 *
 * `deps.ts` binds these to the real modules; `runHunt` takes them as a parameter so a host (the CLI, the
 * self-hosted service, a benchmark) can substitute its own reader or correlator without touching the
 * pipeline.
 */
import type { AuditEvent } from '../core/event';
import type { InputBatch, ReadOptions } from '../parsers';
import type { Detection } from '../core/detection';
import type { Incident } from '../core/incident';

export type { InputBatch, ParseReject, ReadOptions } from '../parsers';

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
  /** Files and folders → input files with their sizes; `-` stays `-` (size 0). Throws naming a missing path. */
  expandInputs(paths: string[]): Promise<Array<{ path: string; size: number }>>;
  readInput(path: string, opts: ReadOptions): AsyncIterable<InputBatch>;
  /** Loads rules and lists and returns a ready engine; throws naming the bad file and key. */
  createEngine(cfg: {
    ruleDirs: readonly string[];
    listDirs: readonly string[];
    iocFiles: readonly string[];
  }): Promise<RuleEngine>;
  createCorrelator(): IncidentCorrelator;
}
