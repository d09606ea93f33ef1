/**
 * Binding pre-parsed selections and conditions (src/rules) into plain closures over an event. This runs once
 * per rule when an Engine is built; the closures do no parsing, only comparisons, because they run per event.
 */
import type { AuditEvent } from '../core/event';
import type { ListSet } from '../lists/list-set';
import { cidrMatcher } from '../lists/ip';
import type { ConditionNode } from '../rules/condition';
import { ATTR_PREFIX, type FieldSpec, type FieldTest, type SelectionSpec } from '../rules/selection';

export type Predicate = (e: AuditEvent) => boolean;
export type FieldGetter = (e: AuditEvent) => unknown;
type ScalarTest = (v: unknown) => boolean;

/** Reads a field; `atlassian.attr.<key>` reads `atlassian.attributes[key]` (keys are lower-cased by parsers). */
export function fieldGetter(field: string): FieldGetter {
  if (field.startsWith(ATTR_PREFIX)) {
    const key = field.slice(ATTR_PREFIX.length).toLowerCase();
    return (e) => e['atlassian.attributes']?.[key];
  }
  return plainGetter(field);
}

const plainGetters = new Map<string, FieldGetter>();
/**
 * One compiled function per field name. A shared closure doing `e[field]` makes a single keyed-load site see
 * every field, which V8 gives up optimizing (megamorphic); a function whose body names the property gets its
 * own inline cache and runs several times faster on the hot path. The field is a validated event field name
 * (EVENT_FIELDS), embedded as a JSON string literal, never arbitrary code.
 */
function plainGetter(field: string): FieldGetter {
  let g = plainGetters.get(field);
  if (!g) {
    g = new Function('e', `return e[${JSON.stringify(field)}];`) as FieldGetter;
    plainGetters.set(field, g);
  }
  return g;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

/** One predicate per listed value, each over a single (non-array) field value. */
function valueTests(test: Exclude<FieldTest, { op: 'exists' }>, lists: ListSet): ScalarTest[] {
  switch (test.op) {
    case 'eq':
      // Lower-casing allocates, so rule out longer values first. Lower-casing never shortens a string (only
      // U+0130 `İ` lengthens it), so a value longer than the one sought can never equal it.
      return test.values.map((x) =>
        test.cased
          ? (v) => str(v) === x
          : (v) => {
              const s = str(v);
              return s.length <= x.length && s.toLowerCase() === x;
            },
      );
    case 'contains':
      return test.values.map((x) =>
        test.cased ? (v) => str(v).includes(x) : (v) => str(v).toLowerCase().includes(x),
      );
    case 'startswith':
      return test.values.map((x) =>
        test.cased ? (v) => str(v).startsWith(x) : (v) => str(v).toLowerCase().startsWith(x),
      );
    case 'endswith':
      return test.values.map((x) =>
        test.cased ? (v) => str(v).endsWith(x) : (v) => str(v).toLowerCase().endsWith(x),
      );
    case 're':
      return test.values.map((re) => (v) => re.test(str(v)));
    case 'cidr': {
      if (test.all) {
        return test.values.map((r) => {
          const m = cidrMatcher([r]);
          return (v) => m(str(v));
        });
      }
      // Any-of: one matcher over all ranges.
      const m = cidrMatcher(test.values);
      return [(v) => m(str(v))];
    }
    case 'list':
      return test.values.map((name) => {
        const m = lists.matcher(name);
        return (v) => m(str(v));
      });
    case 'gt':
      return test.values.map((x) => (v) => num(v) > x);
    case 'gte':
      return test.values.map((x) => (v) => num(v) >= x);
    case 'lt':
      return test.values.map((x) => (v) => num(v) < x);
    case 'lte':
      return test.values.map((x) => (v) => num(v) <= x);
  }
}

export function bindFieldSpec(spec: FieldSpec, lists: ListSet): Predicate {
  const get = fieldGetter(spec.field);
  const t = spec.test;
  if (t.op === 'exists') {
    const want = t.value;
    return (e) => {
      const v = get(e);
      const has = Array.isArray(v) ? v.some(present) : present(v);
      return has === want;
    };
  }
  const tests = valueTests(t, lists);
  const one = tests.length === 1 ? (tests[0] as ScalarTest) : undefined;
  // A value is tested only when present; an array field matches when any element does.
  if (!t.all) {
    const anyTest: ScalarTest = one ?? ((v) => tests.some((f) => f(v)));
    return (e) => {
      const v = get(e);
      if (v === undefined || v === null) return false;
      if (Array.isArray(v)) return v.some((x) => x !== undefined && x !== null && anyTest(x));
      return anyTest(v);
    };
  }
  return (e) => {
    const v = get(e);
    if (v === undefined || v === null) return false;
    if (Array.isArray(v)) return tests.every((f) => v.some((x) => x !== undefined && x !== null && f(x)));
    return tests.every((f) => f(v));
  };
}

export function bindSelection(spec: SelectionSpec, lists: ListSet): Predicate {
  const groups = spec.map((g) => andAll(g.map((f) => bindFieldSpec(f, lists))));
  if (groups.length === 1) return groups[0] as Predicate;
  return (e) => {
    for (const g of groups) if (g(e)) return true;
    return false;
  };
}

function andAll(ps: Predicate[]): Predicate {
  if (ps.length === 1) return ps[0] as Predicate;
  if (ps.length === 2) {
    const [a, b] = ps as [Predicate, Predicate];
    return (e) => a(e) && b(e);
  }
  return (e) => {
    for (const p of ps) if (!p(e)) return false;
    return true;
  };
}

export function bindCondition(node: ConditionNode, selections: ReadonlyMap<string, Predicate>): Predicate {
  switch (node.k) {
    case 'sel': {
      const p = selections.get(node.name);
      // The loader guarantees the name exists; a miss here is a programming error, not bad input.
      if (!p) throw new Error(`condition names unbound selection ${node.name}`);
      return p;
    }
    case 'not': {
      const x = bindCondition(node.x, selections);
      return (e) => !x(e);
    }
    case 'and':
      return andAll(node.xs.map((x) => bindCondition(x, selections)));
    case 'or': {
      const xs = node.xs.map((x) => bindCondition(x, selections));
      return (e) => {
        for (const x of xs) if (x(e)) return true;
        return false;
      };
    }
  }
}
