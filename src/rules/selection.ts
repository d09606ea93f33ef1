/**
 * Turning a selection's `field|modifier` keys and values into checked, pre-parsed field tests. Everything that
 * can be wrong with a key (unknown field, unknown or clashing modifiers, a bad regex or CIDR, a value of the
 * wrong type) is found here, at load, and reported with the key's path; the engine only binds the result.
 */
import { EVENT_FIELDS } from '../core/event';
import { parseCidr, type CidrRange } from '../lists/ip';
import { MODIFIERS, type Modifier, type Selection } from './schema';

const KNOWN_FIELDS: ReadonlySet<string> = new Set(EVENT_FIELDS);
const KNOWN_MODIFIERS: ReadonlySet<string> = new Set(MODIFIERS);
/** Fields holding IP addresses: the only ones `|cidr` makes sense on. */
export const IP_FIELDS: ReadonlySet<string> = new Set(['source.ip', 'related.ip']);
export const ATTR_PREFIX = 'atlassian.attr.';

export function isKnownField(field: string): boolean {
  return KNOWN_FIELDS.has(field) || (field.startsWith(ATTR_PREFIX) && field.length > ATTR_PREFIX.length);
}

export type StringOp = 'eq' | 'contains' | 'startswith' | 'endswith';
export type NumberOp = 'gt' | 'gte' | 'lt' | 'lte';

/** One `field|modifiers: value(s)` entry, parsed. Each variant carries only what its operator needs. */
export type FieldTest =
  | {
      readonly op: StringOp;
      readonly values: readonly string[];
      readonly cased: boolean;
      readonly all: boolean;
    }
  | { readonly op: 're'; readonly values: readonly RegExp[]; readonly all: boolean }
  | { readonly op: 'cidr'; readonly values: readonly CidrRange[]; readonly all: boolean }
  | { readonly op: 'list'; readonly values: readonly string[]; readonly all: boolean }
  | { readonly op: 'exists'; readonly value: boolean }
  | { readonly op: NumberOp; readonly values: readonly number[]; readonly all: boolean };

export interface FieldSpec {
  readonly field: string;
  readonly test: FieldTest;
}

/** A selection: OR over groups, AND over a group's field specs. */
export type SelectionSpec = readonly (readonly FieldSpec[])[];

export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

const OPERATORS = new Set<Modifier>([
  'contains',
  'startswith',
  'endswith',
  're',
  'cidr',
  'list',
  'exists',
  'gt',
  'gte',
  'lt',
  'lte',
]);

type Scalar = string | number | boolean;

/** Parses a selection; `path` is where it sits in the file (`detection.selection`, `escalate[0].when`). */
export function parseSelection(sel: Selection, path: string, problems: SpecProblem[]): SelectionSpec {
  const groups = Array.isArray(sel) ? sel : [sel];
  return groups.map((group, gi) => {
    const gpath = Array.isArray(sel) ? `${path}[${gi}]` : path;
    const specs: FieldSpec[] = [];
    for (const [key, raw] of Object.entries(group)) {
      const spec = parseFieldSpec(key, raw, `${gpath}.${key}`, problems);
      if (spec) specs.push(spec);
    }
    if (Object.keys(group).length === 0)
      problems.push({ path: gpath, message: 'an empty selection matches nothing; name at least one field' });
    return specs;
  });
}

export function parseFieldSpec(
  key: string,
  raw: Scalar | Scalar[],
  path: string,
  problems: SpecProblem[],
): FieldSpec | undefined {
  const [field = '', ...mods] = key.split('|');
  const bad = (message: string): undefined => {
    problems.push({ path, message });
    return undefined;
  };
  if (!isKnownField(field)) {
    return bad(
      `unknown field ${JSON.stringify(field)}: use a normalized event field (see src/core/event.ts EVENT_FIELDS) or atlassian.attr.<key>`,
    );
  }
  for (const m of mods)
    if (!KNOWN_MODIFIERS.has(m))
      return bad(`unknown modifier ${JSON.stringify(m)} (known: ${MODIFIERS.join(', ')})`);
  const ops = mods.filter((m) => OPERATORS.has(m as Modifier)) as Modifier[];
  if (ops.length > 1)
    return bad(`modifiers ${ops.join(' and ')} cannot be combined; use one operator per key`);
  if (new Set(mods).size !== mods.length) return bad('a modifier is repeated');
  const op = ops[0] ?? 'eq';
  const cased = mods.includes('cased');
  const all = mods.includes('all');
  const values = Array.isArray(raw) ? raw : [raw];

  if (cased && !['eq', 'contains', 'startswith', 'endswith', 're'].includes(op)) {
    return bad(`|cased only applies to text comparisons, not |${op}`);
  }
  switch (op) {
    case 'eq':
    case 'contains':
    case 'startswith':
    case 'endswith': {
      if (op !== 'eq' && values.some((v) => typeof v !== 'string')) return bad(`|${op} needs text values`);
      const strs = values.map(String);
      return { field, test: { op, values: cased ? strs : strs.map((s) => s.toLowerCase()), cased, all } };
    }
    case 're': {
      const res: RegExp[] = [];
      for (const v of values) {
        if (typeof v !== 'string') return bad('|re needs a regular expression as text');
        try {
          res.push(new RegExp(v, cased ? '' : 'i'));
        } catch (err) {
          return bad(`invalid regular expression ${JSON.stringify(v)}: ${(err as Error).message}`);
        }
      }
      return { field, test: { op, values: res, all } };
    }
    case 'cidr': {
      if (!IP_FIELDS.has(field))
        return bad(`|cidr only applies to IP fields (${[...IP_FIELDS].join(', ')}), not ${field}`);
      const ranges: CidrRange[] = [];
      for (const v of values) {
        try {
          ranges.push(parseCidr(String(v)));
        } catch (err) {
          return bad((err as Error).message);
        }
      }
      return { field, test: { op, values: ranges, all } };
    }
    case 'list': {
      if (values.some((v) => typeof v !== 'string')) return bad('|list needs the name of a list');
      return { field, test: { op, values: values as string[], all } };
    }
    case 'exists': {
      if (all) return bad('|all cannot be combined with |exists');
      if (values.length !== 1 || typeof values[0] !== 'boolean') return bad('|exists needs true or false');
      return { field, test: { op, value: values[0] } };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (values.some((v) => typeof v !== 'number'))
        return bad(`|${op} compares numbers; the value must be a number`);
      return { field, test: { op, values: values as number[], all } };
    }
    default:
      return bad(`modifier |${op} is not supported here`);
  }
}

/** The list names a selection refers to, with their paths, for checking against the loaded lists. */
export function listRefs(spec: SelectionSpec, path: string): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  for (const g of spec)
    for (const f of g)
      if (f.test.op === 'list')
        for (const n of f.test.values) out.push({ name: n, path: `${path}.${f.field}|list` });
  return out;
}

/**
 * The `event.action` values a selection can match, or null when it can match any. Only plain (or cased)
 * equality on `event.action` pins the set; actions are lower-case by contract, so case-insensitive equality
 * pins exactly the lower-cased values.
 */
export function requiredActions(spec: SelectionSpec): ReadonlySet<string> | null {
  const union = new Set<string>();
  for (const group of spec) {
    let groupSet: Set<string> | null = null;
    for (const f of group) {
      if (f.field !== 'event.action' || f.test.op !== 'eq') continue;
      // With |all, one event value must equal every listed value: only possible if they are all the same.
      const vals = f.test.all
        ? new Set(f.test.values).size === 1
          ? f.test.values.slice(0, 1)
          : []
        : f.test.values;
      const s = new Set(vals);
      groupSet = groupSet === null ? s : intersect(groupSet, s);
    }
    if (groupSet === null) return null;
    for (const a of groupSet) union.add(a);
  }
  return union;
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}
