/**
 * The engine: enrichment, then every applicable rule, per event, synchronously. Rules whose condition can only
 * hold for known `event.action` values are indexed by action, so an event touches only the rules that can
 * match it plus the few that cannot be indexed.
 */
import type { Detection } from '../core/detection';
import type { AuditEvent } from '../core/event';
import type { ListSet } from '../lists/list-set';
import type { CompiledRule } from '../rules/compiled';
import {
  CountState,
  DistinctState,
  DormantState,
  FirstSeenState,
  SequenceState,
  SimpleState,
  type EscalationIndex,
  type RuleState,
} from './aggregators';
import {
  buildDetection,
  compileSummary,
  escalationIndex,
  type BoundEscalation,
  type SummaryPart,
} from './detections';
import { Enricher, type MutableEvent } from './enrich';
import { bindCondition, bindSelection, type Predicate } from './match';

export interface EngineOptions {
  readonly rules: readonly CompiledRule[];
  readonly lists: ListSet;
  /** Rule ids to leave out (in addition to rules with `enabled: false`). */
  readonly disabledRules?: readonly string[];
  /** Sweep expired state every this many events (default 50,000). */
  readonly sweepEvery?: number;
  /** The wall clock (default Date.now). Windows run on event time; the clock only guards that time: an event
   *  stamped more than a day in the future does not advance it, so one bad timestamp cannot expire every
   *  live window at the next sweep. */
  readonly now?: () => number;
}

export interface EngineStats {
  readonly events: number;
  readonly detections: number;
  /** Identities in the last-seen map (shared by enrichment and `dormant` rules). */
  readonly identities: number;
  /** Keys held per rule id: windows, suppressions, learned values. */
  readonly keys: Readonly<Record<string, number>>;
  /** How many rules are indexed by action, and how many are checked on every event. */
  readonly indexedRules: number;
  readonly alwaysRules: number;
}

interface BoundRule {
  readonly rule: CompiledRule;
  readonly condition: Predicate;
  readonly state: RuleState;
  readonly summary: readonly SummaryPart[];
  readonly escalate: readonly BoundEscalation[];
}

/** 2: `distinct` state holds sightings in primitives and no events. */
const SNAPSHOT_VERSION = 2;
const NO_DETECTIONS: readonly Detection[] = Object.freeze([]);
/** Sweep early (after `sweepEvery / MIN_SWEEP_SHARE` events) once event time has moved on an hour. A sweep walks
 *  every key of every rule, and a fast replay crosses an event-hour every few thousand events (sweeping per hour
 *  cost 17% of engine time on a 1M-record week). State added between sweeps is bounded by the number of events
 *  in between either way, so a slow stream stays small without hourly sweeps. */
const SWEEP_INTERVAL_MS = 3_600_000;
const MIN_SWEEP_SHARE = 10;
const FUTURE_TOLERANCE_MS = 86_400_000;

export class Engine {
  private readonly bound: readonly BoundRule[];
  private readonly byAction = new Map<string, BoundRule[]>();
  private readonly always: BoundRule[] = [];
  private readonly enricher: Enricher;
  private readonly sweepEvery: number;
  private readonly now: () => number;
  private events = 0;
  private detections = 0;
  private maxTime = -Infinity;
  private lastSweepTime = -Infinity;
  private lastSweepEvents = 0;

  constructor(options: EngineOptions) {
    const disabled = new Set(options.disabledRules ?? []);
    this.enricher = new Enricher(options.lists);
    this.sweepEvery = options.sweepEvery ?? 50_000;
    this.now = options.now ?? Date.now;
    this.bound = options.rules
      .filter((r) => r.enabled && !disabled.has(r.id))
      .map((r) => bindRule(r, options.lists));
    for (const b of this.bound) {
      if (b.rule.actions === null) {
        this.always.push(b);
        continue;
      }
      for (const a of b.rule.actions) {
        const list = this.byAction.get(a);
        if (list) list.push(b);
        else this.byAction.set(a, [b]);
      }
    }
  }

  /** Rebuilds an engine from `snapshot()` output, with the given rules and lists. State of rules that no longer
   *  exist is dropped; rules new since the snapshot start empty. */
  static restore(snapshot: unknown, options: EngineOptions): Engine {
    const engine = new Engine(options);
    engine.load(snapshot);
    return engine;
  }

  /** Enriches the event (in place) and returns the detections it completes; most events complete none. */
  process(event: AuditEvent): readonly Detection[] {
    const e = event as MutableEvent;
    this.enricher.apply(e);
    const t = e['@timestamp'];
    if (t > this.maxTime && t <= this.now() + FUTURE_TOLERANCE_MS) this.maxTime = t;
    const since = ++this.events - this.lastSweepEvents;
    if (
      since >= this.sweepEvery ||
      (this.maxTime - this.lastSweepTime > SWEEP_INTERVAL_MS && since * MIN_SWEEP_SHARE >= this.sweepEvery)
    )
      this.sweep();

    let out: Detection[] | undefined;
    const indexed = this.byAction.get(e['event.action']);
    if (indexed) for (const b of indexed) out = this.run(b, e, out);
    for (const b of this.always) out = this.run(b, e, out);
    return out ?? NO_DETECTIONS;
  }

  private run(b: BoundRule, e: AuditEvent, out: Detection[] | undefined): Detection[] | undefined {
    if (!b.condition(e)) return out;
    const fire = b.state.onMatch(e, this.enricher);
    if (!fire) return out;
    this.detections++;
    const d = buildDetection(b, fire, e);
    if (out) out.push(d);
    else out = [d];
    return out;
  }

  /** Drops state that can no longer contribute to a detection. Called automatically; public for hosts that
   *  want to trim before a checkpoint. */
  sweep(): void {
    if (this.maxTime === -Infinity) return;
    for (const b of this.bound) b.state.sweep(this.maxTime);
    this.lastSweepTime = this.maxTime;
    this.lastSweepEvents = this.events;
  }

  stats(): EngineStats {
    const keys: Record<string, number> = {};
    for (const b of this.bound) keys[b.rule.id] = b.state.size();
    return {
      events: this.events,
      detections: this.detections,
      identities: this.enricher.identities(),
      keys,
      indexedRules: this.bound.length - this.always.length,
      alwaysRules: this.always.length,
    };
  }

  /** All state as plain JSON (events held in windows included), for checkpointing. */
  snapshot(): unknown {
    const rules: Record<string, unknown> = {};
    for (const b of this.bound) rules[b.rule.id] = b.state.snapshot();
    return {
      version: SNAPSHOT_VERSION,
      events: this.events,
      detections: this.detections,
      maxTime: Number.isFinite(this.maxTime) ? this.maxTime : null,
      lastSeen: this.enricher.snapshot(),
      rules,
    };
  }

  private load(snapshot: unknown): void {
    const s = snapshot as {
      version?: unknown;
      events?: unknown;
      detections?: unknown;
      maxTime?: unknown;
      lastSeen?: unknown;
      rules?: unknown;
    };
    if (typeof s !== 'object' || s === null || s.version !== SNAPSHOT_VERSION) {
      throw new Error(`not an engine snapshot of version ${SNAPSHOT_VERSION}`);
    }
    if (!Array.isArray(s.lastSeen)) throw new Error('snapshot: lastSeen must be an array');
    this.enricher.restore(s.lastSeen as [string, number][]);
    this.events = typeof s.events === 'number' ? s.events : 0;
    this.detections = typeof s.detections === 'number' ? s.detections : 0;
    this.maxTime = typeof s.maxTime === 'number' ? s.maxTime : -Infinity;
    this.lastSweepTime = this.maxTime;
    const rules = (s.rules ?? {}) as Record<string, unknown>;
    for (const b of this.bound) {
      const st = rules[b.rule.id];
      if (st === undefined) continue;
      try {
        b.state.restore(st);
      } catch (err) {
        throw new Error(`snapshot: rule ${b.rule.id}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

function bindRule(rule: CompiledRule, lists: ListSet): BoundRule {
  const sels = new Map<string, Predicate>();
  try {
    for (const [name, spec] of rule.selections) sels.set(name, bindSelection(spec, lists));
  } catch (err) {
    throw new Error(`rule ${rule.id} (${rule.file}): ${(err as Error).message}`, { cause: err });
  }
  const condition = bindCondition(rule.condition, sels);
  const escalate = rule.escalate.map((e) => ({
    severity: e.severity,
    reason: e.reason,
    when: bindSelection(e.when, lists),
  }));
  return {
    rule,
    condition,
    state: makeState(rule, sels, escalationIndex(escalate)),
    summary: compileSummary(rule.summary),
    escalate,
  };
}

function makeState(
  rule: CompiledRule,
  sels: ReadonlyMap<string, Predicate>,
  escalationOf: EscalationIndex,
): RuleState {
  const a = rule.aggregate;
  if (!a) return new SimpleState(rule.suppressMs);
  switch (a.type) {
    case 'count':
      return new CountState(a);
    case 'distinct':
      return new DistinctState(a, escalationOf);
    case 'sequence':
      return new SequenceState(
        a,
        a.steps.map((s) => bindCondition(s.when, sels)),
      );
    case 'first_seen':
      return new FirstSeenState(a);
    case 'dormant':
      return new DormantState(a);
  }
}
