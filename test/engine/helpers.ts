/** Test helpers: rules from inline objects (through the real loader path) and events from partial records. */
import type { AuditEvent } from '../../src/core/event';
import { compileRuleDocument, exampleEvent, formatLoadError, type CompiledRule } from '../../src/engine';
import type { ListSet } from '../../src/lists';

const EXAMPLES = [
  { name: 'd', expect: 'detect', events: [{ '@timestamp': '2024-01-01T00:00:00Z', 'event.action': 'user.created' }] },
  { name: 'n', expect: 'none', events: [{ '@timestamp': '2024-01-01T00:00:00Z', 'event.action': 'user.created' }] },
];

export function ruleDoc(over: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'test-rule',
    title: 'Test rule',
    description: 'A rule for tests',
    severity: 'medium',
    category: 'privilege-escalation',
    attack: ['T1098'],
    incident: 'test',
    summary: '{user.name} did {event.action}',
    examples: EXAMPLES,
    ...over,
  };
}

/** Compiles a rule; throws with the loader's errors when it does not compile. */
export function rule(over: Record<string, unknown>, lists?: ListSet): CompiledRule {
  const r = compileRuleDocument(ruleDoc(over), '<test>', lists);
  if (!r.ok) throw new Error(r.errors.map(formatLoadError).join('\n'));
  return r.rule;
}

/** The loader's errors for a rule that should not compile. */
export function ruleErrors(over: Record<string, unknown>, lists?: ListSet): string[] {
  const r = compileRuleDocument(ruleDoc(over), '<test>', lists);
  return r.ok ? [] : r.errors.map(formatLoadError);
}

let line = 0;
/** A full event from a partial one; `@timestamp` may be ISO text or ms; each gets a fresh ref line. */
export function ev(partial: Record<string, unknown>, refLine?: number): AuditEvent {
  line++;
  return exampleEvent({ 'event.action': 'user.login', '@timestamp': 0, ...partial }, { file: 'test', example: 0, event: refLine ?? line });
}

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const T0 = Date.parse('2024-03-01T00:00:00Z');
