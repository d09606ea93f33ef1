/**
 * Translating Bulkhead's stateless rules (no `aggregate`) into json-rules-engine rules, so the benchmark can
 * compare a general-purpose rules engine with Bulkhead's compiled closures on the same rules and events.
 *
 * The translation keeps Bulkhead's semantics where json-rules-engine lets it: string tests are
 * case-insensitive unless `|cased` (custom operators, since the built-in `equal` is exact and `contains` is
 * array membership), a field holding an array matches when any element does, and `|list` of a plain string
 * list becomes the built-in `in`. What cannot be expressed faithfully (`|re`, `|cidr`, glob/substring/cidr
 * lists) leaves the rule out, and the rule is named in the results.
 */
import {
  Engine as JreEngine,
  Rule as JreRule,
  type NestedCondition,
  type TopLevelCondition,
} from 'json-rules-engine';
import type { ListSet } from '../lists/list-set';
import type { CompiledRule } from '../rules/compiled';
import type { ConditionNode } from '../rules/condition';
import { ATTR_PREFIX, type FieldSpec, type SelectionSpec } from '../rules/selection';

export interface Translation {
  readonly translated: readonly CompiledRule[];
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  readonly engine: JreEngine;
}

class Untranslatable extends Error {}

const lower = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v.toLowerCase()
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v).toLowerCase()
      : undefined;

/** Applies a scalar test to a fact value, or to any element when the fact is an array (as Bulkhead does). */
function anyValue(fact: unknown, test: (v: unknown) => boolean): boolean {
  if (Array.isArray(fact)) return fact.some(test);
  return test(fact);
}

function stringOp(cmp: (fact: string, wanted: string) => boolean, cased: boolean) {
  return (fact: unknown, wanted: unknown): boolean =>
    anyValue(fact, (v) => {
      const a = cased
        ? typeof v === 'string'
          ? v
          : v === undefined || v === null
            ? undefined
            : String(v)
        : lower(v);
      return a !== undefined && typeof wanted === 'string' && cmp(a, wanted);
    });
}

const OPERATORS: Record<string, (fact: unknown, wanted: unknown) => boolean> = {
  eqi: stringOp((a, b) => a === b, false),
  eqc: stringOp((a, b) => a === b, true),
  containsi: stringOp((a, b) => a.includes(b), false),
  containsc: stringOp((a, b) => a.includes(b), true),
  startswithi: stringOp((a, b) => a.startsWith(b), false),
  startswithc: stringOp((a, b) => a.startsWith(b), true),
  endswithi: stringOp((a, b) => a.endsWith(b), false),
  endswithc: stringOp((a, b) => a.endsWith(b), true),
  exists: (fact, wanted) => (fact !== undefined && fact !== null) === wanted,
};

const NUMERIC: Record<string, string> = {
  gt: 'greaterThan',
  gte: 'greaterThanInclusive',
  lt: 'lessThan',
  lte: 'lessThanInclusive',
};

/** `atlassian.attr.<key>` lives inside `atlassian.attributes` (keys lower-cased by the parsers). */
function factOf(field: string): { fact: string; path?: string } {
  if (field.startsWith(ATTR_PREFIX))
    return { fact: 'atlassian.attributes', path: `$.${field.slice(ATTR_PREFIX.length).toLowerCase()}` };
  return { fact: field };
}

function fieldCondition(spec: FieldSpec, lists: ListSet): NestedCondition {
  const where = factOf(spec.field);
  const t = spec.test;
  const join = (conds: NestedCondition[], all: boolean): NestedCondition =>
    conds.length === 1 ? (conds[0] as NestedCondition) : all ? { all: conds } : { any: conds };
  switch (t.op) {
    case 'eq':
    case 'contains':
    case 'startswith':
    case 'endswith': {
      const operator = `${t.op}${t.cased ? 'c' : 'i'}`;
      return join(
        t.values.map((v) => ({ ...where, operator, value: t.cased ? v : v.toLowerCase() })),
        t.all,
      );
    }
    case 'exists':
      return { ...where, operator: 'exists', value: t.value };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return join(
        t.values.map((v) => ({ ...where, operator: NUMERIC[t.op] as string, value: v })),
        t.all,
      );
    case 'list': {
      if (t.all) throw new Untranslatable(`${spec.field}|list|all`);
      const conds = t.values.map((name): NestedCondition => {
        const list = lists.get(name);
        if (!list) throw new Untranslatable(`unknown list ${name}`);
        if (list.kind !== 'string')
          throw new Untranslatable(`${spec.field}|list ${name} is a ${list.kind} list`);
        return { ...where, operator: 'in', value: list.entries.map((e) => e.toLowerCase()) };
      });
      return join(conds, false);
    }
    case 're':
    case 'cidr':
      throw new Untranslatable(`${spec.field}|${t.op}`);
  }
}

function selectionCondition(sel: SelectionSpec, lists: ListSet): NestedCondition {
  const groups = sel.map((group): NestedCondition => ({
    all: group.map((spec) => fieldCondition(spec, lists)),
  }));
  return groups.length === 1 ? (groups[0] as NestedCondition) : { any: groups };
}

function conditionOf(node: ConditionNode, rule: CompiledRule, lists: ListSet): NestedCondition {
  switch (node.k) {
    case 'sel': {
      const sel = rule.selections.get(node.name);
      if (!sel) throw new Untranslatable(`selection ${node.name} missing`);
      return selectionCondition(sel, lists);
    }
    case 'not':
      return { not: conditionOf(node.x, rule, lists) };
    case 'and':
      return { all: node.xs.map((x) => conditionOf(x, rule, lists)) };
    case 'or':
      return { any: node.xs.map((x) => conditionOf(x, rule, lists)) };
  }
}

/** Builds one json-rules-engine holding every stateless rule that translates; the rest are listed. */
export function translateRules(rules: readonly CompiledRule[], lists: ListSet): Translation {
  const engine = new JreEngine([], { allowUndefinedFacts: true });
  for (const [name, fn] of Object.entries(OPERATORS)) engine.addOperator(name, fn);
  const translated: CompiledRule[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    if (rule.aggregate) {
      skipped.push({ id: rule.id, reason: `stateful (${rule.aggregate.type} aggregate)` });
      continue;
    }
    try {
      const top = conditionOf(rule.condition, rule, lists);
      const conditions: TopLevelCondition =
        'all' in top || 'any' in top || 'not' in top ? (top as TopLevelCondition) : { all: [top] };
      engine.addRule(new JreRule({ conditions, event: { type: rule.id }, name: rule.id }));
      translated.push(rule);
    } catch (err) {
      if (!(err instanceof Untranslatable)) throw err;
      skipped.push({ id: rule.id, reason: `untranslatable: ${err.message}` });
    }
  }
  return { translated, skipped, engine };
}
