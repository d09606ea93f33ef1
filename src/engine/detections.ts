/** Building a Detection from a completed match: id, escalation, summary, capped evidence. */
import { createHash } from 'node:crypto';
import { MAX_DETECTION_EVENTS, MAX_EVIDENCE, type Detection } from '../core/detection';
import type { AuditEvent, RawRef } from '../core/event';
import { maxSeverity, type Severity } from '../core/severity';
import type { CompiledRule } from '../rules/compiled';
import { NO_ESCALATION, type Fire } from './aggregators';
import { fieldGetter, type FieldGetter, type Predicate } from './match';

export interface BoundEscalation {
  readonly severity: Severity;
  readonly when: Predicate;
  readonly reason: string;
}

/** `{user.name} created {user.target.name}[ in {atlassian.space.key}]` → parts, once per rule. `{count}` is the
 *  number of evidence events; a `[...]` part is left out when a field inside it has no value. */
export type SummaryPart =
  | string
  | { readonly field: string; readonly get: FieldGetter }
  | { readonly optional: readonly SummaryPart[] };

function compileFields(template: string): SummaryPart[] {
  const parts: SummaryPart[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^{}]+)\}/g)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    const field = (m[1] ?? '').trim();
    parts.push({ field, get: fieldGetter(field) });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

export function compileSummary(template: string): SummaryPart[] {
  const parts: SummaryPart[] = [];
  let last = 0;
  // Optional parts do not nest; a `[` without its `]` is plain text.
  for (const m of template.matchAll(/\[([^[\]]*)\]/g)) {
    if (m.index > last) parts.push(...compileFields(template.slice(last, m.index)));
    parts.push({ optional: compileFields(m[1] ?? '') });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(...compileFields(template.slice(last)));
  return parts;
}

const shown = (v: unknown): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  return Array.isArray(v) ? (v.length ? v.join(', ') : undefined) : String(v);
};

/** Fields come from the triggering event, else from the newest evidence event that has them (a sequence's
 *  earlier steps); a field no event has renders as `?`, or leaves out the optional part it is in. */
export function renderSummary(
  parts: readonly SummaryPart[],
  events: readonly AuditEvent[],
  count: number,
): string {
  return render(parts, events, count) ?? '';
}

/** The text, or undefined when `strict` and a field has no value. */
function render(
  parts: readonly SummaryPart[],
  events: readonly AuditEvent[],
  count: number,
  strict = false,
): string | undefined {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    if ('optional' in p) {
      out += render(p.optional, events, count, true) ?? '';
      continue;
    }
    if (p.field === 'count') {
      out += String(count);
      continue;
    }
    let v: string | undefined;
    for (let i = events.length - 1; i >= 0 && v === undefined; i--) v = shown(p.get(events[i] as AuditEvent));
    if (v === undefined && strict) return undefined;
    out += v ?? '?';
  }
  return out;
}

const refText = (r: RawRef | undefined): string => (r ? `${r.file}:${r.line}:${r.index ?? ''}` : '');

/** The same rule, key and evidence give the same id, so re-ingesting a file is idempotent. */
export function detectionId(ruleId: string, key: string, refs: readonly RawRef[]): string {
  const h = createHash('sha256');
  h.update(`${ruleId}\u0000${key}\u0000${refText(refs[0])}\u0000${refText(refs[refs.length - 1])}`);
  return `${ruleId}:${h.digest('hex').slice(0, 16)}`;
}

export interface DetectionParts {
  readonly rule: CompiledRule;
  readonly summary: readonly SummaryPart[];
  readonly escalate: readonly BoundEscalation[];
}

/** The index of the first escalation an event matches, for states that settle escalation as events arrive. */
export function escalationIndex(escalate: readonly BoundEscalation[]): (e: AuditEvent) => number {
  if (escalate.length === 0) return () => NO_ESCALATION;
  return (e) => {
    for (let i = 0; i < escalate.length; i++) if ((escalate[i] as BoundEscalation).when(e)) return i;
    return NO_ESCALATION;
  };
}

export function buildDetection(r: DetectionParts, fire: Fire, trigger: AuditEvent): Detection {
  const { key, evidence: sightings } = fire;
  const matched = fire.events;
  const sorted =
    matched.length > 1 ? [...matched].sort((a, b) => a['@timestamp'] - b['@timestamp']) : matched;
  // An aggregate escalates when any of its evidence events matches, not only the last one. A state that kept
  // sightings has already settled which escalation its evidence reached.
  const escIdx = fire.escalation ?? r.escalate.findIndex((esc) => sorted.some(esc.when));
  const esc = escIdx >= 0 ? r.escalate[escIdx] : undefined;
  const severity = esc ? maxSeverity(r.rule.ref.severity, esc.severity) : r.rule.ref.severity;
  const escalation = esc?.reason;
  const refs = sightings ? sightings.map((s) => s.ref) : sorted.map((e) => e.ref);
  const first = sightings?.[0]?.t ?? (sorted[0] ?? trigger)['@timestamp'];
  const events =
    sorted.length <= MAX_DETECTION_EVENTS
      ? sorted
      : [...sorted.slice(0, MAX_DETECTION_EVENTS - 1), sorted[sorted.length - 1] as AuditEvent];
  return {
    id: detectionId(r.rule.id, key, refs),
    rule: r.rule.ref,
    severity,
    ...(escalation !== undefined ? { escalation } : {}),
    '@timestamp': trigger['@timestamp'],
    firstTimestamp: first,
    actor: {
      ...(trigger['user.id'] !== undefined ? { id: trigger['user.id'] } : {}),
      ...(trigger['user.name'] !== undefined ? { name: trigger['user.name'] } : {}),
      kind: trigger['user.kind'],
    },
    key,
    summary: renderSummary(r.summary, sorted, refs.length),
    evidence: refs.slice(0, MAX_EVIDENCE),
    evidenceCount: refs.length,
    events,
  };
}
