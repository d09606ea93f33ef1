/**
 * The resume point as many small rows instead of one JSON document.
 *
 * The resume point holds every live window and every open incident: tens of MB on a busy site, written every ten
 * seconds. Written as one string, each write allocated a string of that size (V8's large-object space) and a
 * buffer of the same size for SQLite, and the service's RSS grew about 20 MB a minute under the 5,000 lines/s
 * benchmark while its heap grew 3 (docs/benchmarks.md, serve). Split, no piece is larger than about PART_CHARS:
 * the work is the same, the garbage is ordinary short-lived strings.
 *
 * How it splits: objects are walked; an array with more than INLINE_MAX elements (the `[key, state]` entries of
 * a rule's windows, the correlator's incidents and indexes) is cut into runs of elements of about PART_CHARS
 * characters, each stored under `<path>#<n>`, and replaced in the skeleton by a marker naming how many runs it
 * has. Elements themselves are never cut, so one element larger than PART_CHARS is a part of its own.
 */

import { LazyArray } from '../core/lazy-array';

/** Target size of one part, in characters: below V8's large-object threshold (128 KiB). */
export const PART_CHARS = 60_000;
/** Arrays up to this many elements stay in the skeleton (most windows hold a few keys). */
const INLINE_MAX = 16;
/** The marker that stands for a split array; no snapshot has a property with this name. */
const MARK = '\u0000parts';

export interface SplitResume {
  /** The document with each large array replaced by `{ "\u0000parts": n }`. */
  readonly skeleton: string;
  readonly parts: readonly (readonly [name: string, json: string])[];
}

/** Splits `value`, collecting the parts. */
export function splitResume(value: unknown): SplitResume {
  const parts: [string, string][] = [];
  const skeleton = writeResume(value, (name, json) => parts.push([name, json]));
  return { skeleton, parts };
}

/** Splits `value`, handing each part to `part` as soon as it is made; returns the skeleton. */
export function writeResume(value: unknown, part: (name: string, json: string) => void): string {
  const runs = (elements: Iterable<unknown>, path: string): { [MARK]: number } => {
    let run: string[] = [];
    let chars = 0;
    let n = 0;
    const flush = (): void => {
      part(`${path}#${n++}`, `[${run.join(',')}]`);
      run = [];
      chars = 0;
    };
    for (const el of elements) {
      // JSON.stringify turns undefined (and functions) in an array into null; so does this.
      const s = JSON.stringify(el) ?? 'null';
      if (chars > 0 && chars + s.length > PART_CHARS) flush();
      run.push(s);
      chars += s.length + 1;
    }
    if (run.length > 0) flush();
    return { [MARK]: n };
  };
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof LazyArray) return runs(v, path);
    if (Array.isArray(v)) return v.length <= INLINE_MAX ? v : runs(v, path);
    if (v !== null && typeof v === 'object' && !isJsonLeaf(v)) {
      // fromEntries defines own properties, so a key named __proto__ stays a key (as JSON.parse makes it).
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          if (k === MARK) throw new Error(`resume point: ${path} has a property named like the split marker`);
          return [k, walk(x, `${path}/${escapeKey(k)}`)];
        }),
      );
    }
    return v;
  };
  return JSON.stringify(walk(value, '')) ?? 'null';
}

/** Rebuilds the value `splitResume` split; `part` returns a stored part by name. Throws naming a missing part. */
export function joinResume(skeleton: string, part: (name: string) => string | undefined): unknown {
  const walk = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) return v;
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const n = o[MARK];
      if (typeof n === 'number' && Object.keys(o).length === 1) {
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const json = part(`${path}#${i}`);
          if (json === undefined) throw new Error(`resume point: part ${path}#${i} is missing`);
          const run = JSON.parse(json) as unknown;
          if (!Array.isArray(run)) throw new Error(`resume point: part ${path}#${i} is not an array`);
          for (const x of run) out.push(x);
        }
        return out;
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x, `${path}/${escapeKey(k)}`)]));
    }
    return v;
  };
  return walk(JSON.parse(skeleton) as unknown, '');
}

/** Objects JSON writes as something other than their own properties (a Date, anything with toJSON). */
function isJsonLeaf(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

/** `/` and `#` separate a path's steps and its run number; a key holding them is escaped. */
function escapeKey(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1').replace(/#/g, '~2');
}
