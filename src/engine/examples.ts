/**
 * Running a rule's own examples: each example's partial events are completed with neutral defaults and fed,
 * in order, through a fresh Engine that holds only that rule. `detect` passes when the last event produces a
 * detection of the rule (with the expected severity, if given) and no earlier event did not need to; `none`
 * passes when no event produces one.
 */
import type { Detection } from '../core/detection';
import type { AuditEvent, Target } from '../core/event';
import type { ListSet } from '../lists/list-set';
import type { CompiledRule } from '../rules/compiled';
import type { Example } from '../rules/schema';
import { Engine } from './engine';

export interface ExampleResult {
  readonly rule: string;
  readonly index: number;
  readonly name: string;
  readonly expect: Example['expect'];
  readonly passed: boolean;
  /** Why it failed (or what happened, when it passed). */
  readonly message: string;
  readonly detections: readonly Detection[];
}

/** A partial example event made whole. Throws naming the example and event when `@timestamp` is unusable. */
export function exampleEvent(
  partial: Record<string, unknown>,
  where: { file: string; example: number; event: number },
): AuditEvent {
  const label = `${where.file}#examples[${where.example}].events[${where.event}]`;
  const ts = partial['@timestamp'];
  const time = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : NaN;
  if (!Number.isFinite(time))
    throw new Error(`${label}: @timestamp must be an ISO 8601 time or epoch ms, got ${JSON.stringify(ts)}`);
  const action = partial['event.action'];
  if (typeof action !== 'string' || action === '') throw new Error(`${label}: event.action is required`);
  const targets: Target[] = [];
  const targetName = partial['user.target.name'];
  if (typeof targetName === 'string') targets.push({ kind: 'user', name: targetName });
  const groupName = partial['group.name'];
  if (typeof groupName === 'string') targets.push({ kind: 'group', name: groupName });
  return {
    'event.outcome': 'success',
    'event.dataset': 'dc-audit-file',
    'atlassian.product': 'jira',
    'atlassian.audit.action': action,
    'user.kind': 'human',
    targets,
    ...partial,
    '@timestamp': time,
    ref: { file: `${where.file}#examples[${where.example}]`, line: where.event + 1 },
  } as unknown as AuditEvent;
}

export function runRuleExamples(rule: CompiledRule, lists: ListSet): ExampleResult[] {
  return rule.examples.map((ex, i) => runExample(rule, lists, ex, i));
}

function runExample(rule: CompiledRule, lists: ListSet, ex: Example, index: number): ExampleResult {
  const base = { rule: rule.id, index, name: ex.name, expect: ex.expect };
  let events: AuditEvent[];
  try {
    events = ex.events.map((p, j) => exampleEvent(p, { file: rule.file, example: index, event: j }));
  } catch (err) {
    return { ...base, passed: false, message: (err as Error).message, detections: [] };
  }
  // Examples test the rule even when it ships disabled.
  const engine = new Engine({ rules: [{ ...rule, enabled: true }], lists });
  const perEvent = events.map((e) => engine.process(e).filter((d) => d.rule.id === rule.id));
  const all = perEvent.flat();
  if (ex.expect === 'none') {
    const at = perEvent.findIndex((d) => d.length > 0);
    return at < 0
      ? { ...base, passed: true, message: 'no detection, as expected', detections: all }
      : {
          ...base,
          passed: false,
          message: `expected no detection, but event ${at + 1} produced: ${all[0]?.summary}`,
          detections: all,
        };
  }
  const last = perEvent[perEvent.length - 1] ?? [];
  const hit = last[0];
  if (!hit) {
    const early = perEvent.findIndex((d) => d.length > 0);
    const why = early >= 0 ? ` (event ${early + 1} of ${events.length} produced one instead)` : '';
    return {
      ...base,
      passed: false,
      message: `expected a detection on the last event, got none${why}`,
      detections: all,
    };
  }
  if (ex.severity !== undefined && hit.severity !== ex.severity) {
    return {
      ...base,
      passed: false,
      message: `expected severity ${ex.severity}, got ${hit.severity}${hit.escalation ? ` (escalated: ${hit.escalation})` : ''}`,
      detections: all,
    };
  }
  return { ...base, passed: true, message: `detected: ${hit.summary}`, detections: all };
}
