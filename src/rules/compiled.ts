/**
 * A rule file checked and pre-parsed: selections as field specs, the condition as a tree, durations in ms,
 * and the set of `event.action` values the rule can fire on (for the engine's index). It holds no closures
 * and no list contents, so the same compiled rule can be bound into any number of engines with their lists.
 */
import type { RuleRef } from '../core/detection';
import type { Severity } from '../core/severity';
import { conditionActions, parseCondition, ConditionError, type ConditionNode } from './condition';
import {
  isKnownField,
  listRefs,
  parseSelection,
  requiredActions,
  type SelectionSpec,
  type SpecProblem,
} from './selection';
import { parseDuration, type Example, type RuleFile } from './schema';

export const DEFAULT_FORGET_MS = 90 * 86_400_000;
/** Fields a `dormant` aggregate may key on: the actor's or the first user target's identity. */
export const DORMANT_ACTOR_FIELDS: ReadonlySet<string> = new Set(['user.id', 'user.name', 'user.email']);
export const DORMANT_TARGET_FIELDS: ReadonlySet<string> = new Set(['user.target.id', 'user.target.name']);

export type CompiledAggregate =
  | {
      readonly type: 'count';
      readonly by: readonly string[];
      readonly windowMs: number;
      readonly threshold: number;
    }
  | {
      readonly type: 'distinct';
      readonly field: string;
      readonly by: readonly string[];
      readonly windowMs: number;
      readonly threshold: number;
    }
  | {
      readonly type: 'sequence';
      readonly windowMs: number;
      /** Each step's `selection` is a condition expression over the rule's selections (usually one name). */
      readonly steps: readonly {
        readonly selection: string;
        readonly when: ConditionNode;
        readonly by: readonly string[];
      }[];
    }
  | {
      readonly type: 'first_seen';
      readonly field: string;
      readonly by: readonly string[];
      readonly learnMs: number;
      readonly forgetMs: number;
    }
  | { readonly type: 'dormant'; readonly by: string; readonly idleMs: number };

export interface CompiledEscalation {
  readonly severity: Severity;
  readonly when: SelectionSpec;
  readonly reason: string;
}

export interface CompiledRule {
  readonly id: string;
  /** The file it was loaded from (or a label such as `<inline>` for rules built in code). */
  readonly file: string;
  readonly enabled: boolean;
  readonly ref: RuleRef;
  readonly source: RuleFile;
  readonly selections: ReadonlyMap<string, SelectionSpec>;
  readonly condition: ConditionNode;
  /** The `event.action` values the condition can be true for; null: any action (checked on every event). */
  readonly actions: ReadonlySet<string> | null;
  readonly aggregate?: CompiledAggregate;
  readonly escalate: readonly CompiledEscalation[];
  readonly suppressMs?: number;
  readonly summary: string;
  readonly examples: readonly Example[];
  /** Lists the rule names with `|list`, and where. */
  readonly listRefs: readonly { readonly name: string; readonly path: string }[];
}

export type CompileResult = { ok: true; rule: CompiledRule } | { ok: false; problems: SpecProblem[] };

/** Checks everything the schema cannot and pre-parses a schema-valid rule file. */
export function compileRuleFile(file: RuleFile, path: string): CompileResult {
  const problems: SpecProblem[] = [];
  const { condition: condText, ...selDefs } = file.detection;
  const selections = new Map<string, SelectionSpec>();
  for (const [name, sel] of Object.entries(selDefs)) {
    if (
      !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) ||
      ['and', 'or', 'not', 'of', 'them', 'all'].includes(name.toLowerCase())
    ) {
      problems.push({
        path: `detection.${name}`,
        message: 'a selection name must be an identifier and not a condition keyword',
      });
      continue;
    }
    selections.set(name, parseSelection(sel, `detection.${name}`, problems));
  }
  let condition: ConditionNode | undefined;
  try {
    condition = parseCondition(condText, [...selections.keys()]);
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    problems.push({ path: 'detection.condition', message: err.message });
  }

  const escalate: CompiledEscalation[] = (file.escalate ?? []).map((e, i) => ({
    severity: e.severity,
    reason: e.reason,
    when: parseSelection(e.when, `escalate[${i}].when`, problems),
  }));

  const aggregate = compileAggregate(file, selections, problems);
  const suppressMs = file.suppress !== undefined ? parseDuration(file.suppress) : undefined;
  if (suppressMs !== undefined && file.aggregate) {
    problems.push({
      path: 'suppress',
      message: 'suppress applies to simple rules; an aggregate suppresses its key for its own window',
    });
  }
  checkSummary(file.summary, problems);

  if (problems.length > 0 || condition === undefined) return { ok: false, problems };
  const refs = [...selections].flatMap(([name, spec]) => listRefs(spec, `detection.${name}`));
  escalate.forEach((e, i) => refs.push(...listRefs(e.when, `escalate[${i}].when`)));
  return {
    ok: true,
    rule: {
      id: file.id,
      file: path,
      enabled: file.enabled,
      ref: {
        id: file.id,
        title: file.title,
        severity: file.severity,
        category: file.category,
        attack: file.attack,
        ...(file.links_source === true ? { linksSource: true } : {}),
      },
      source: file,
      selections,
      condition,
      actions: conditionActions(condition, (n) => requiredActions(selections.get(n) ?? [])),
      ...(aggregate ? { aggregate } : {}),
      escalate,
      ...(suppressMs !== undefined ? { suppressMs } : {}),
      summary: file.summary,
      examples: file.examples,
      listRefs: refs,
    },
  };
}

function compileAggregate(
  file: RuleFile,
  selections: ReadonlyMap<string, SelectionSpec>,
  problems: SpecProblem[],
): CompiledAggregate | undefined {
  const a = file.aggregate;
  if (!a) return undefined;
  const checkField = (f: string, path: string): void => {
    if (!isKnownField(f)) problems.push({ path, message: `unknown field ${JSON.stringify(f)}` });
  };
  const checkFields = (fields: readonly string[], path: string): void =>
    fields.forEach((f, i) => checkField(f, `${path}[${i}]`));
  switch (a.type) {
    case 'count':
      checkFields(a.by, 'aggregate.by');
      return { type: 'count', by: a.by, windowMs: parseDuration(a.window), threshold: a.threshold };
    case 'distinct':
      checkFields(a.by, 'aggregate.by');
      checkField(a.field, 'aggregate.field');
      return {
        type: 'distinct',
        field: a.field,
        by: a.by,
        windowMs: parseDuration(a.window),
        threshold: a.threshold,
      };
    case 'sequence': {
      const width = a.steps[0]?.by.length ?? 0;
      const steps = a.steps.map((s, i) => {
        let when: ConditionNode = { k: 'sel', name: s.selection };
        try {
          // A step names one selection, or combines them like a condition (`created and not provisioning`).
          when = parseCondition(s.selection, [...selections.keys()]);
        } catch (err) {
          if (!(err instanceof ConditionError)) throw err;
          problems.push({ path: `aggregate.steps[${i}].selection`, message: err.message });
        }
        checkFields(s.by, `aggregate.steps[${i}].by`);
        if (s.by.length !== width)
          problems.push({
            path: `aggregate.steps[${i}].by`,
            message: `every step must join on the same number of fields (step 0 has ${width})`,
          });
        return { selection: s.selection, when, by: s.by };
      });
      return { type: 'sequence', windowMs: parseDuration(a.window), steps };
    }
    case 'first_seen':
      checkFields(a.by, 'aggregate.by');
      checkField(a.field, 'aggregate.field');
      return {
        type: 'first_seen',
        field: a.field,
        by: a.by,
        learnMs: parseDuration(a.learn),
        forgetMs: a.forget !== undefined ? parseDuration(a.forget) : DEFAULT_FORGET_MS,
      };
    case 'dormant':
      if (!DORMANT_ACTOR_FIELDS.has(a.by) && !DORMANT_TARGET_FIELDS.has(a.by)) {
        problems.push({
          path: 'aggregate.by',
          message: `dormant keys on an identity: one of ${[...DORMANT_ACTOR_FIELDS, ...DORMANT_TARGET_FIELDS].join(', ')}`,
        });
      }
      return { type: 'dormant', by: a.by, idleMs: parseDuration(a.idle) };
  }
}

const PLACEHOLDER_RE = /\{([^{}]+)\}/g;
function checkSummary(summary: string, problems: SpecProblem[]): void {
  for (const m of summary.matchAll(PLACEHOLDER_RE)) {
    const f = (m[1] ?? '').trim();
    if (!isKnownField(f) && f !== 'count')
      problems.push({ path: 'summary', message: `unknown field {${f}} in the summary template` });
  }
}

/** The threshold of a rule whose aggregate has one (count, distinct), else undefined. */
export function thresholdOf(rule: CompiledRule): number | undefined {
  const a = rule.aggregate;
  return a && (a.type === 'count' || a.type === 'distinct') ? a.threshold : undefined;
}

/**
 * The rules with thresholds a person changed (rule id → threshold) in place of the files' ones. Only count and
 * distinct rules have one; an id without a threshold rule is ignored here (the settings API refuses it).
 */
export function withThresholds(
  rules: readonly CompiledRule[],
  thresholds: Readonly<Record<string, number | undefined>>,
): CompiledRule[] {
  return rules.map((r) => {
    const t = thresholds[r.id];
    const a = r.aggregate;
    if (t === undefined || !a || (a.type !== 'count' && a.type !== 'distinct') || a.threshold === t) return r;
    return { ...r, aggregate: { ...a, threshold: t } };
  });
}
