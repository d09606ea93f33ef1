/**
 * Per-rule state machines. Every one works on event time (so replaying a file gives the same detections) and
 * holds state only for live windows: `sweep(now)` drops whatever can no longer contribute to a detection.
 * Events may arrive slightly out of order (several files merged): an older event is placed by its own time
 * and counts if it falls inside the window; nothing goes negative.
 */
import { LazyArray } from '../core/lazy-array';
import type { AuditEvent, RawRef } from '../core/event';
import type { CompiledAggregate } from '../rules/compiled';
import { actorKey, displayKey, joinValuesFn, keyFn, type KeyFn } from './keys';
import { fieldGetter, type FieldGetter, type Predicate } from './match';

/** One evidence event, reduced to what a detection reports about it. States that must remember many events
 *  for a long window (a 24-hour distinct count per user) keep these instead of whole events. */
export interface Sighting {
  t: number;
  ref: RawRef;
  /** Index of the first `escalate` entry this event matched, or NO_ESCALATION. */
  esc: number;
}

export const NO_ESCALATION = Number.MAX_SAFE_INTEGER;

/** What a rule state hands back when a detection completes. */
export interface Fire {
  readonly key: string;
  /** Evidence events, any order (the engine sorts them). With `evidence`, only the most recent of them. */
  readonly events: readonly AuditEvent[];
  /** Every piece of evidence, oldest first, when the state kept sightings rather than all events. */
  readonly evidence?: readonly Sighting[];
  /** With `evidence`: the first `escalate` entry any evidence event matched (NO_ESCALATION: none). */
  readonly escalation?: number;
}

/** Index of the first `escalate` entry an event matches (NO_ESCALATION: none). */
export type EscalationIndex = (e: AuditEvent) => number;

/** What the engine knows about the current event beyond the event itself. */
export interface EventContext {
  readonly prevActorTime: number | undefined;
  readonly prevTargetTime: number | undefined;
}

export interface RuleState {
  /** Called for an event that satisfied the rule's condition. */
  onMatch(e: AuditEvent, ctx: EventContext): Fire | undefined;
  sweep(now: number): void;
  /** Keys held, for memory accounting. */
  size(): number;
  snapshot(): unknown;
  restore(s: unknown): void;
}

const time = (e: AuditEvent): number => e['@timestamp'];

function asTuples(s: unknown, what: string): unknown[][] {
  const a = LazyArray.elements(s);
  if (a === undefined || !a.every(Array.isArray)) throw new Error(`snapshot: ${what} must be an array of arrays`);
  return a as unknown[][];
}

function* mapIterable<T, U>(it: Iterable<T>, f: (x: T) => U): Generator<U> {
  for (const x of it) yield f(x);
}

function asEntries<V>(s: unknown, what: string): [string, V][] {
  if (!Array.isArray(s)) throw new Error(`snapshot: ${what} must be an array of [key, value] pairs`);
  return s as [string, V][];
}

/** Simple rules: every match is a detection, except within `suppress` of the last one for the same actor. */
export class SimpleState implements RuleState {
  private readonly until = new Map<string, number>();
  constructor(private readonly suppressMs: number | undefined) {}

  onMatch(e: AuditEvent): Fire | undefined {
    const key = actorKey(e);
    if (this.suppressMs !== undefined) {
      const t = time(e);
      const u = this.until.get(key);
      // Quiet while inside the suppression window (an older, out-of-order event inside it is quiet too).
      if (u !== undefined && t < u && t >= u - this.suppressMs) return undefined;
      this.until.set(key, u === undefined ? t + this.suppressMs : Math.max(u, t + this.suppressMs));
    }
    return { key, events: [e] };
  }
  sweep(now: number): void {
    for (const [k, u] of this.until) if (u <= now) this.until.delete(k);
  }
  size(): number {
    return this.until.size;
  }
  snapshot(): unknown {
    return [...this.until];
  }
  restore(s: unknown): void {
    for (const [k, v] of asEntries<number>(s, 'suppression')) this.until.set(k, v);
  }
}

/** Insert keeping ascending time order; input is nearly sorted, so search from the end. */
function insertByTime(arr: AuditEvent[], e: AuditEvent): void {
  const t = time(e);
  let i = arr.length;
  while (i > 0 && time(arr[i - 1] as AuditEvent) > t) i--;
  arr.splice(i, 0, e);
}

/** `count`: at least `threshold` matching events per key within `window`. Per key, only the latest
 *  `threshold` events are kept: the oldest of them decides whether they all fit in the window. */
export class CountState implements RuleState {
  private readonly rings = new Map<string, AuditEvent[]>();
  private readonly suppressed = new Map<string, number>();
  private readonly key: KeyFn;
  constructor(private readonly agg: Extract<CompiledAggregate, { type: 'count' }>) {
    this.key = keyFn(agg.by);
  }

  onMatch(e: AuditEvent): Fire | undefined {
    const key = this.key(e);
    if (key === undefined) return undefined;
    const t = time(e);
    const until = this.suppressed.get(key);
    if (until !== undefined) {
      if (t < until) return undefined;
      this.suppressed.delete(key);
    }
    let ring = this.rings.get(key);
    if (!ring) {
      ring = [];
      this.rings.set(key, ring);
    }
    insertByTime(ring, e);
    const n = this.agg.threshold;
    if (ring.length > n) ring.shift();
    // Events older than the window before the newest can never be part of a detection (the newest only moves
    // forward): dropped, so a key holds its live window, not its last `threshold` events however old.
    // What is left all lies within the window, so `threshold` events left are a detection.
    const last = time(ring[ring.length - 1] as AuditEvent);
    while (ring.length > 0 && time(ring[0] as AuditEvent) < last - this.agg.windowMs) ring.shift();
    if (ring.length < n) return undefined;
    this.rings.delete(key);
    this.suppressed.set(key, Math.max(last, t) + this.agg.windowMs);
    return { key: displayKey(this.agg.by, key), events: ring };
  }
  sweep(now: number): void {
    const horizon = now - this.agg.windowMs;
    for (const [k, ring] of this.rings) {
      const last = ring[ring.length - 1];
      if (!last || time(last) < horizon) this.rings.delete(k);
    }
    for (const [k, u] of this.suppressed) if (u <= now) this.suppressed.delete(k);
  }
  size(): number {
    return this.rings.size + this.suppressed.size;
  }
  snapshot(): unknown {
    return { rings: [...this.rings], suppressed: [...this.suppressed] };
  }
  restore(s: unknown): void {
    const o = s as { rings?: unknown; suppressed?: unknown };
    for (const [k, v] of asEntries<AuditEvent[]>(o.rings, 'count rings')) this.rings.set(k, v);
    for (const [k, v] of asEntries<number>(o.suppressed, 'count suppression')) this.suppressed.set(k, v);
  }
}

const NO_VALUES: readonly string[] = [];
/** The field's values, lower-cased (so `Alice` and `alice` are one value). Allocation-free for the common
 *  missing case; a scalar costs one small array. */
function valueStrings(v: unknown): readonly string[] {
  if (v === undefined || v === null || v === '') return NO_VALUES;
  if (Array.isArray(v))
    return v.filter((x) => x !== undefined && x !== null && x !== '').map((x) => String(x).toLowerCase());
  return [(typeof v === 'string' ? v : String(v)).toLowerCase()];
}

/** A value's latest sighting, in primitives only. Distinct windows live long, so their records sit in old
 *  space; a reference from one to a young object (the event, its `ref`) would keep that object alive through
 *  every scavenge and promote it. Numbers and the file name (one string per input file) do not. */
interface Seen {
  t: number;
  file: string;
  line: number;
  /** Record index inside a whole-JSON page, or -1. */
  index: number;
  esc: number;
}

interface DistinctKey {
  /** value → its latest sighting (updated in place when the value is seen again). */
  readonly values: Map<string, Seen>;
  /** A lower bound on the oldest sighting's time: exact after a scan, and sightings only ever get newer, so
   *  "nothing older than the horizon" is known without looking at the values. */
  oldest: number;
  newest: number;
}

const sighting = (s: Seen): Sighting => ({
  t: s.t,
  ref: s.index < 0 ? { file: s.file, line: s.line } : { file: s.file, line: s.line, index: s.index },
  esc: s.esc,
});

/**
 * `distinct`: at least `threshold` different values of `field` per key within `window`.
 *
 * A bulk-read rule watches every reader for a day and up to `threshold` values each. Holding the events for all
 * of them was most of a hunt's heap and GC time, so each value keeps a sighting in primitives (time, raw
 * reference, escalation) and no event is held at all: a detection carries the event that completed it, and
 * references to all its evidence. Expired values are removed by a scan only when the key reaches the threshold
 * and its oldest sighting may have left the window, so a re-read of a known value costs a map lookup.
 */
export class DistinctState implements RuleState {
  private readonly seen = new Map<string, DistinctKey>();
  private readonly suppressed = new Map<string, number>();
  private readonly key: KeyFn;
  private readonly field: FieldGetter;
  constructor(
    private readonly agg: Extract<CompiledAggregate, { type: 'distinct' }>,
    private readonly escalationOf: EscalationIndex = () => NO_ESCALATION,
  ) {
    this.key = keyFn(agg.by);
    this.field = fieldGetter(agg.field);
  }

  onMatch(e: AuditEvent): Fire | undefined {
    const raw = this.field(e);
    // The common case, one string value, without allocating an array for it.
    const one = typeof raw === 'string' ? (raw === '' ? undefined : raw.toLowerCase()) : undefined;
    const values = one === undefined ? valueStrings(raw) : NO_VALUES;
    if (one === undefined && values.length === 0) return undefined;
    const key = this.key(e);
    if (key === undefined) return undefined;
    const t = time(e);
    const until = this.suppressed.get(key);
    if (until !== undefined) {
      if (t < until) return undefined;
      this.suppressed.delete(key);
    }
    let k = this.seen.get(key);
    if (!k) {
      k = { values: new Map(), oldest: t, newest: t };
      this.seen.set(key, k);
    }
    const esc = this.escalationOf(e);
    if (one !== undefined) this.sight(k, one, t, e.ref, esc);
    else for (const v of values) this.sight(k, v, t, e.ref, esc);
    if (t > k.newest) k.newest = t;
    const threshold = this.agg.threshold;
    // The window is measured from the newest evidence, which an out-of-order `e` may not be. Sightings older
    // than it can never count again: pruned before the count is compared, and also once they are an eighth of a
    // window stale, so a key holds about its live window rather than every value since it last fired (the
    // slack keeps a busy key from being scanned on every event).
    const horizon = k.newest - this.agg.windowMs;
    if (k.oldest < horizon && (k.values.size >= threshold || k.oldest < horizon - this.agg.windowMs / 8))
      prune(k, horizon);
    if (k.values.size < threshold) return undefined;
    this.seen.delete(key);
    this.suppressed.set(key, k.newest + this.agg.windowMs);
    // One event carrying several values is one piece of evidence.
    const refs = new Set<string>();
    const evidence: Sighting[] = [];
    let escalation = NO_ESCALATION;
    for (const s of k.values.values()) {
      if (s.esc < escalation) escalation = s.esc;
      const id = `${s.file}\u0000${s.line}\u0000${s.index}`;
      if (refs.has(id)) continue;
      refs.add(id);
      evidence.push(sighting(s));
    }
    evidence.sort((a, b) => a.t - b.t);
    return { key: displayKey(this.agg.by, key), events: [e], evidence, escalation };
  }

  private sight(k: DistinctKey, v: string, t: number, ref: RawRef, esc: number): void {
    const prev = k.values.get(v);
    if (prev === undefined) {
      k.values.set(v, { t, file: ref.file, line: ref.line, index: ref.index ?? -1, esc });
      if (t < k.oldest) k.oldest = t;
    } else if (prev.t <= t) {
      prev.t = t;
      prev.file = ref.file;
      prev.line = ref.line;
      prev.index = ref.index ?? -1;
      prev.esc = esc;
    }
  }

  /** Drops keys with nothing left in the window: O(keys). Values of a live key are pruned when the key reaches
   *  its threshold; until then they are at most `threshold - 1`, so memory stays bounded without scanning them. */
  sweep(now: number): void {
    const horizon = now - this.agg.windowMs;
    for (const [key, k] of this.seen) if (k.newest < horizon) this.seen.delete(key);
    for (const [k, u] of this.suppressed) if (u <= now) this.suppressed.delete(k);
  }
  size(): number {
    return this.seen.size + this.suppressed.size;
  }
  /** Sightings as `[value, t, file, line, index, esc]` with `file` an index into `files`: every sighting of a
   *  busy site's windows names one of a few log files, and writing the path each time made this rule's state
   *  three times its size (the service writes it every ten seconds). */
  snapshot(): unknown {
    const files: string[] = [];
    const fileNo = new Map<string, number>();
    const noOf = (f: string): number => {
      let n = fileNo.get(f);
      if (n === undefined) {
        n = files.length;
        files.push(f);
        fileNo.set(f, n);
      }
      return n;
    };
    // Made key by key while the snapshot is written (LazyArray); `files` is complete once `seen` has been
    // written, which is why it comes after it.
    const seen = new LazyArray(() =>
      mapIterable(this.seen, ([key, k]) => [
        key,
        [...k.values].map(([v, x]) => [v, x.t, noOf(x.file), x.line, x.index, x.esc]),
        k.newest,
      ]),
    );
    return { seen, files: new LazyArray(() => files), suppressed: [...this.suppressed] };
  }
  restore(s: unknown): void {
    const o = s as { files?: unknown; seen?: unknown; suppressed?: unknown };
    if (o.files === undefined) return this.restoreObjects(o);
    // `seen` first: a snapshot straight from memory numbers its files while `seen` is made.
    const seen = asTuples(o.seen, 'distinct values');
    const files = LazyArray.elements(o.files);
    if (files === undefined || !files.every((f) => typeof f === 'string'))
      throw new Error('snapshot: distinct files must be an array of strings');
    for (const [key, values, newest] of seen) {
      const map = new Map<string, Seen>();
      let oldest = Infinity;
      for (const [v, t, f, line, index, esc] of asTuples(values, 'distinct sightings')) {
        const file = files[f as number];
        if (typeof v !== 'string' || typeof t !== 'number' || file === undefined)
          throw new Error(`snapshot: distinct sighting of ${String(key)} is malformed`);
        map.set(v, { t, file, line: line as number, index: index as number, esc: esc as number });
        if (t < oldest) oldest = t;
      }
      this.seen.set(key as string, { values: map, oldest, newest: typeof newest === 'number' ? newest : -Infinity });
    }
    for (const [k, v] of asEntries<number>(o.suppressed, 'distinct suppression')) this.suppressed.set(k, v);
  }
  /** The form before file numbers: `{ seen: [key, { values: [value, Seen][], newest }][] }`. */
  private restoreObjects(o: { seen?: unknown; suppressed?: unknown }): void {
    for (const [key, v] of asEntries<{ values?: unknown; newest?: unknown }>(o.seen, 'distinct values')) {
      const values = new Map(asEntries<Seen>(v.values, 'distinct sightings'));
      let oldest = Infinity;
      for (const x of values.values()) if (x.t < oldest) oldest = x.t;
      this.seen.set(key, { values, oldest, newest: typeof v.newest === 'number' ? v.newest : -Infinity });
    }
    for (const [k, v] of asEntries<number>(o.suppressed, 'distinct suppression')) this.suppressed.set(k, v);
  }
}

/** Drops sightings older than the horizon and makes `oldest` exact again. */
function prune(k: DistinctKey, horizon: number): void {
  let oldest = Infinity;
  for (const [v, s] of k.values) {
    if (s.t < horizon) k.values.delete(v);
    else if (s.t < oldest) oldest = s.t;
  }
  k.oldest = oldest;
}

interface Chain {
  /** Time of the first step: the window is measured from it. */
  readonly start: number;
  readonly events: readonly AuditEvent[];
}

/** Most chains waiting per join key and step; beyond this the oldest is dropped (bounded state). */
const MAX_CHAINS_PER_KEY = 16;

/** `sequence`: step 0, then step 1, … matched in order with equal `by` values, all within `window` of step 0. */
export class SequenceState implements RuleState {
  /** waiting[i]: chains that completed steps 0..i-1 and wait for step i, by join value. Index 0 is unused. */
  private readonly waiting: Map<string, Chain[]>[];
  private readonly join: KeyFn[];
  private readonly display: ((e: AuditEvent) => string | undefined)[];
  constructor(
    private readonly agg: Extract<CompiledAggregate, { type: 'sequence' }>,
    private readonly steps: readonly Predicate[],
  ) {
    this.waiting = agg.steps.map(() => new Map());
    this.join = agg.steps.map((s) => joinValuesFn(s.by));
    this.display = agg.steps.map((s) => {
      const k = keyFn(s.by);
      return (e: AuditEvent) => {
        const v = k(e);
        return v === undefined ? undefined : displayKey(s.by, v);
      };
    });
  }

  onMatch(e: AuditEvent): Fire | undefined {
    const t = time(e);
    const last = this.steps.length - 1;
    let fire: Fire | undefined;
    // Last step first, so one event never completes two steps of the same chain.
    for (let i = last; i >= 0; i--) {
      if (!(this.steps[i] as Predicate)(e)) continue;
      const v = (this.join[i] as KeyFn)(e);
      if (v === undefined) continue;
      if (i === 0) {
        this.push(1, v, { start: t, events: [e] });
        continue;
      }
      const waiting = this.waiting[i] as Map<string, Chain[]>;
      const chains = waiting.get(v);
      if (!chains) continue;
      const idx = chains.findIndex((c) => Math.abs(t - c.start) <= this.agg.windowMs);
      if (idx < 0) continue;
      const [chain] = chains.splice(idx, 1) as [Chain];
      if (chains.length === 0) waiting.delete(v);
      const next: Chain = { start: chain.start, events: [...chain.events, e] };
      if (i === last) {
        if (!fire) fire = { key: (this.display[i] as KeyFn)(e) ?? v, events: next.events };
      } else {
        this.push(i + 1, v, next);
      }
    }
    return fire;
  }
  private push(step: number, v: string, chain: Chain): void {
    const m = this.waiting[step] as Map<string, Chain[]>;
    const list = m.get(v);
    if (!list) m.set(v, [chain]);
    else {
      list.push(chain);
      if (list.length > MAX_CHAINS_PER_KEY) list.shift();
    }
  }
  sweep(now: number): void {
    const horizon = now - this.agg.windowMs;
    for (let i = 1; i < this.waiting.length; i++) {
      const m = this.waiting[i] as Map<string, Chain[]>;
      for (const [v, chains] of m) {
        const live = chains.filter((c) => c.start >= horizon);
        if (live.length === 0) m.delete(v);
        else if (live.length !== chains.length) m.set(v, live);
      }
    }
  }
  size(): number {
    let n = 0;
    for (const m of this.waiting) n += m.size;
    return n;
  }
  snapshot(): unknown {
    return this.waiting.map((m) => [...m]);
  }
  restore(s: unknown): void {
    if (!Array.isArray(s) || s.length !== this.waiting.length)
      throw new Error('snapshot: sequence state does not match the rule’s steps');
    s.forEach((entries, i) => {
      for (const [k, v] of asEntries<Chain[]>(entries, 'sequence chains'))
        (this.waiting[i] as Map<string, Chain[]>).set(k, v);
    });
  }
}

/** `first_seen`: a value of `field` never seen for this key, once the rule has watched for `learn`. */
export class FirstSeenState implements RuleState {
  private readonly seen = new Map<string, Map<string, number>>();
  private firstTime: number | undefined;
  private readonly key: KeyFn;
  private readonly field: FieldGetter;
  constructor(private readonly agg: Extract<CompiledAggregate, { type: 'first_seen' }>) {
    this.key = keyFn(agg.by);
    this.field = fieldGetter(agg.field);
  }

  onMatch(e: AuditEvent): Fire | undefined {
    const values = valueStrings(this.field(e));
    if (values.length === 0) return undefined;
    const key = this.key(e);
    if (key === undefined) return undefined;
    const t = time(e);
    if (this.firstTime === undefined || t < this.firstTime) this.firstTime = t;
    const learning = t < this.firstTime + this.agg.learnMs;
    let m = this.seen.get(key);
    if (!m) {
      m = new Map();
      this.seen.set(key, m);
    }
    let fresh = false;
    for (const v of values) {
      const prev = m.get(v);
      if (prev === undefined || t - prev > this.agg.forgetMs) fresh = true;
      if (prev === undefined || t > prev) m.set(v, t);
    }
    return fresh && !learning ? { key: displayKey(this.agg.by, key), events: [e] } : undefined;
  }
  sweep(now: number): void {
    const horizon = now - this.agg.forgetMs;
    for (const [k, m] of this.seen) {
      for (const [v, t] of m) if (t < horizon) m.delete(v);
      if (m.size === 0) this.seen.delete(k);
    }
  }
  size(): number {
    return this.seen.size;
  }
  snapshot(): unknown {
    return { firstTime: this.firstTime ?? null, seen: [...this.seen].map(([k, m]) => [k, [...m]]) };
  }
  restore(s: unknown): void {
    const o = s as { firstTime?: unknown; seen?: unknown };
    if (typeof o.firstTime === 'number') this.firstTime = o.firstTime;
    for (const [k, v] of asEntries<[string, number][]>(o.seen, 'first_seen values'))
      this.seen.set(k, new Map(v));
  }
}

/** `dormant`: the identity acts after being unseen for at least `idle`. Reads the engine's shared last-seen map
 *  (through the context), so it holds no state of its own. */
export class DormantState implements RuleState {
  private readonly target: boolean;
  private readonly key: KeyFn;
  constructor(private readonly agg: Extract<CompiledAggregate, { type: 'dormant' }>) {
    this.target = agg.by.startsWith('user.target.');
    this.key = keyFn([agg.by]);
  }
  onMatch(e: AuditEvent, ctx: EventContext): Fire | undefined {
    const prev = this.target ? ctx.prevTargetTime : ctx.prevActorTime;
    if (prev === undefined || time(e) - prev < this.agg.idleMs) return undefined;
    const key = this.key(e);
    return key === undefined ? undefined : { key: displayKey([this.agg.by], key), events: [e] };
  }
  sweep(): void {}
  size(): number {
    return 0;
  }
  snapshot(): unknown {
    return null;
  }
  restore(): void {}
}
