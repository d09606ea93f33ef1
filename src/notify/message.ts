/**
 * The notification message: built once per notification from an incident, the containment records decided
 * for it so far, and what changed since the last notification. Every channel renders this one model (Slack
 * blocks, a Teams card, the SIEM webhook's JSON, an email, a Jira issue or comment), so they all say the same.
 *
 * Text that came from logs (titles, names, summaries, the products' answers) is stripped of control characters
 * and cut to a sane length here; each channel then escapes it for its own markup.
 *
 * Host-independent: the Forge app can build the same message from the same incident.
 */
import { createHash } from 'node:crypto';
import type { Identity } from '../core/detection';
import type { Incident, IncidentStatus } from '../core/incident';
import { severityRank, type Severity } from '../core/severity';
import { clean, identityLabel, relationText, utc } from '../report/format';
import { actionKey, type ActionKind } from '../respond/action';
import type { ActionRecord, RecordState } from '../respond/responder';

/** What a notification is about: a new incident, a higher severity, or containment decisions. */
export type ChangeKind = 'opened' | 'escalated' | 'contained';

/** Timeline lines a message carries; the rest are counted ("and N more"). */
export const MAX_TIMELINE = 20;
/** Longest text taken from an incident into a message (a title, a summary, a product's answer). */
export const MAX_TEXT = 500;

export interface MessageIdentity {
  readonly identity: Identity;
  /** `svc-smartsheet [5b10ac8d] (service)` */
  readonly label: string;
  readonly relation: string;
  /** How it joined: `created by svc-smartsheet`. */
  readonly how: string;
  readonly at: number;
}

export interface MessageTimelineLine {
  readonly at: number;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly summary: string;
}

export interface MessageAction {
  readonly id: string;
  readonly kind: ActionKind;
  /** `suspend-account jira:svc-smartsheet` */
  readonly label: string;
  readonly product: string;
  readonly state: RecordState;
  readonly reason: string;
  readonly result?: string;
  readonly by?: string;
  readonly at: number;
  /** Decided (or changed state) since the previous notification. */
  readonly isNew: boolean;
}

export interface NotificationMessage {
  readonly incidentId: string;
  /** Identifies the incident's notified state: the same state always gives the same version. */
  readonly version: string;
  readonly change: ChangeKind;
  /** The severity last notified, when this notification is an escalation. */
  readonly previousSeverity?: Severity;
  readonly title: string;
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly actor: Identity;
  readonly actorLabel: string;
  /** Identities linked to the incident other than its actor. */
  readonly identities: readonly MessageIdentity[];
  readonly firstAt: number;
  readonly lastAt: number;
  /** Newest last, at most MAX_TIMELINE lines: the first ones and the latest ones around the omission. */
  readonly timeline: readonly MessageTimelineLine[];
  readonly timelineOmitted: number;
  /** Index in `timeline` before which the omitted lines belong (when any are). */
  readonly timelineGapAt: number;
  readonly actions: readonly MessageAction[];
  /** The incident in the console, when the console's address is known. */
  readonly url?: string;
  /** When the message was built (the clock's ms). */
  readonly createdAt: number;
}

/** What was last notified about an incident: enough to tell what changed. */
export interface NotifiedState {
  readonly severity: Severity;
  /** Action record id → state. */
  readonly actions: Readonly<Record<string, RecordState>>;
}

export interface Change {
  readonly kind: ChangeKind;
  readonly version: string;
  readonly previousSeverity?: Severity;
  /** Records new or changed since the previous notification. */
  readonly newActions: readonly string[];
}

/** The state to remember once a notification was enqueued. */
export function notifiedState(incident: Incident, actions: readonly ActionRecord[]): NotifiedState {
  const a: Record<string, RecordState> = {};
  for (const r of actions) a[r.id] = r.state;
  return { severity: incident.severity, actions: a };
}

/**
 * The version of an incident's notified state: its severity and a digest of its action records and their
 * states. Deterministic, so processing the same incident again (after a restart) gives the same version.
 */
export function stateVersion(s: NotifiedState): string {
  const ids = Object.keys(s.actions).sort();
  if (ids.length === 0) return s.severity;
  const h = createHash('sha256');
  for (const id of ids) h.update(`${id}\u0000${s.actions[id] ?? ''}\u0000`);
  return `${s.severity}+${h.digest('hex').slice(0, 16)}`;
}

/**
 * What changed since `prev` (undefined: never notified): `opened`, `escalated` (the severity rose; it wins over
 * new actions decided at the same time, which the message still lists as new), `contained` (action records
 * new or changed state), or nothing to notify (undefined). A timeline that only grew is not notified.
 */
export function changeOf(
  prev: NotifiedState | undefined,
  incident: Incident,
  actions: readonly ActionRecord[],
): Change | undefined {
  const now = notifiedState(incident, actions);
  const version = stateVersion(now);
  const newActions = actions.filter((r) => prev?.actions[r.id] !== r.state).map((r) => r.id);
  if (prev === undefined) return { kind: 'opened', version, newActions };
  if (severityRank(incident.severity) > severityRank(prev.severity))
    return { kind: 'escalated', version, previousSeverity: prev.severity, newActions };
  if (newActions.length > 0) return { kind: 'contained', version, newActions };
  return undefined;
}

export interface BuildOptions {
  /** The console's address (`https://bulkhead.example.com`); the message links `<consoleUrl>/#/incidents/<id>`. */
  readonly consoleUrl?: string;
  /** When the message is built. */
  readonly now: number;
  readonly maxTimeline?: number;
}

/** Control characters out, cut to `max` characters (an ellipsis says so). */
export function text(s: string, max = MAX_TEXT): string {
  const c = clean(s);
  const chars = [...c];
  return chars.length <= max ? c : `${chars.slice(0, max - 1).join('')}…`;
}

export function incidentUrl(consoleUrl: string, incidentId: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/#/incidents/${encodeURIComponent(incidentId)}`;
}

export function buildMessage(
  incident: Incident,
  actions: readonly ActionRecord[],
  change: Change,
  opts: BuildOptions,
): NotificationMessage {
  const max = opts.maxTimeline ?? MAX_TIMELINE;
  const all = [...incident.timeline].sort((a, b) => a['@timestamp'] - b['@timestamp']);
  // Keep the start (how it began) and the latest (what is happening now); count what lies between.
  const head = Math.ceil(max / 2);
  const kept = all.length <= max ? all : [...all.slice(0, head), ...all.slice(all.length - (max - head))];
  const newIds = new Set(change.newActions);
  return {
    incidentId: incident.id,
    version: change.version,
    change: change.kind,
    ...(change.previousSeverity !== undefined ? { previousSeverity: change.previousSeverity } : {}),
    title: text(incident.title, 200),
    severity: incident.severity,
    status: incident.status,
    actor: incident.actor,
    actorLabel: text(identityLabel(incident.actor), 200),
    identities: incident.identities
      .filter((l) => l.relation !== 'actor')
      .map((l) => ({
        identity: l.identity,
        label: text(identityLabel(l.identity), 200),
        relation: l.relation,
        how: text(relationText(l), 200),
        at: l['@timestamp'],
      })),
    firstAt: incident.firstTimestamp,
    lastAt: incident.lastTimestamp,
    timeline: kept.map((t) => ({
      at: t['@timestamp'],
      ruleId: text(t.ruleId, 100),
      severity: t.severity,
      summary: text(t.summary),
    })),
    timelineOmitted: all.length - kept.length,
    timelineGapAt: all.length <= max ? kept.length : head,
    actions: actions.map((r) => ({
      id: r.id,
      kind: r.action.kind,
      label: text(actionKey(r.action), 200),
      product: r.action.product,
      state: r.state,
      reason: text(r.reason),
      ...(r.result !== undefined ? { result: text(r.result) } : {}),
      ...(r.by !== undefined ? { by: text(r.by, 100) } : {}),
      at: r.at,
      isNew: newIds.has(r.id),
    })),
    ...(opts.consoleUrl !== undefined ? { url: incidentUrl(opts.consoleUrl, incident.id) } : {}),
    createdAt: opts.now,
  };
}

// ---- plain-text pieces every channel uses --------------------------------------------------------------

/** `CRITICAL: title`, with the change when it is not the opening: `(escalated from high)`. */
export function headline(m: NotificationMessage): string {
  return `${m.severity.toUpperCase()}: ${m.title}${changeSuffix(m)}`;
}

export function changeSuffix(m: NotificationMessage): string {
  switch (m.change) {
    case 'opened':
      return '';
    case 'escalated':
      return ` (escalated${m.previousSeverity ? ` from ${m.previousSeverity}` : ''})`;
    case 'contained': {
      const n = m.actions.filter((a) => a.isNew).length;
      return ` (containment: ${n} action${n === 1 ? '' : 's'})`;
    }
  }
}

/** `2023-11-14 15:58:02Z  high  rule-id  summary` */
export function timelineText(t: MessageTimelineLine): string {
  return `${utc(t.at)}  ${t.severity}  ${t.ruleId}  ${t.summary}`;
}

/** `done: suspend-account jira:svc-smartsheet (the product's answer)` */
export function actionText(a: MessageAction): string {
  const detail = a.result ?? a.reason;
  return `${a.state}: ${a.label}${detail ? ` (${detail})` : ''}${a.isNew ? ' [new]' : ''}`;
}

export function omittedText(m: NotificationMessage): string | undefined {
  return m.timelineOmitted > 0 ? `… and ${m.timelineOmitted} more` : undefined;
}

/** The timeline lines with the "… and N more" note where the omitted lines belong. */
export function timelineWithGap(m: NotificationMessage): (MessageTimelineLine | string)[] {
  const out: (MessageTimelineLine | string)[] = [...m.timeline];
  const note = omittedText(m);
  if (note !== undefined) out.splice(m.timelineGapAt, 0, note);
  return out;
}

/** The whole message as plain text lines (email body, fallback text). */
export function plainLines(m: NotificationMessage): string[] {
  const out = [
    headline(m),
    '',
    `Actor:    ${m.actorLabel}`,
    `Period:   ${utc(m.firstAt)} .. ${utc(m.lastAt)}`,
  ];
  out.push(`Incident: ${m.incidentId} (${m.status})`);
  if (m.url) out.push(`Console:  ${m.url}`);
  if (m.identities.length > 0) {
    out.push('', 'Linked identities:');
    for (const i of m.identities) out.push(`  - ${i.label}: ${i.how} at ${utc(i.at)}`);
  }
  out.push('', 'Timeline (UTC):');
  for (const t of timelineWithGap(m)) out.push(`  ${typeof t === 'string' ? t : timelineText(t)}`);
  if (m.actions.length > 0) {
    out.push('', 'Containment:');
    for (const a of m.actions) out.push(`  - ${actionText(a)}`);
  }
  return out;
}
