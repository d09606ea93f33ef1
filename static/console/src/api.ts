/**
 * What the console needs from wherever it runs: the self-hosted service over HTTP (http-api.ts) or a Forge app
 * through @forge/bridge (bridge-api.ts). The screens only ever see this interface, so there is one UI.
 * Shapes follow the HTTP API (src/serve/http/app.ts): the Forge resolvers answer with the same shapes.
 */

import { summarizeIncident } from '../../../src/console-contract';
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
export type Product = 'jira' | 'confluence' | 'bitbucket';
export const PRODUCTS: readonly Product[] = ['jira', 'confluence', 'bitbucket'];
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
export const STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'resolved'];
export type ActionState = 'done' | 'failed' | 'dry-run' | 'awaiting-approval' | 'skipped' | 'undone';
export const RESPONSE_ACTIONS = [
  'remove-from-admin-groups',
  'suspend-account',
  'revoke-tokens',
  'block-merges',
  'revoke-permissions',
] as const;
export type ResponseAction = (typeof RESPONSE_ACTIONS)[number];

export interface Identity {
  readonly id?: string;
  readonly name?: string;
  readonly kind: string;
}

export interface ActionRecord {
  readonly id: string;
  readonly incidentId: string;
  readonly action: {
    readonly kind: string;
    readonly product: Product;
    readonly identity: Identity;
    readonly group?: string;
  };
  readonly state: ActionState;
  readonly reason: string;
  readonly at: number;
  readonly result?: string;
  readonly by?: string;
}

export interface IncidentSummary {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly severity: Severity;
  readonly title: string;
  readonly actor: Identity;
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
  readonly detectionCount: number;
  readonly rules: readonly string[];
  readonly actions: readonly ActionRecord[];
}

export interface Target {
  readonly kind: string;
  readonly id?: string;
  readonly name?: string;
}

export interface AuditEvent {
  readonly '@timestamp': number;
  readonly 'event.action': string;
  readonly 'event.outcome'?: string;
  readonly 'atlassian.product': Product;
  readonly 'user.name'?: string;
  readonly 'user.id'?: string;
  readonly 'source.ip'?: string;
  readonly 'atlassian.space.key'?: string;
  readonly 'atlassian.repository.name'?: string;
  readonly targets?: readonly Target[];
  readonly message?: string;
}

export interface Detection {
  readonly id: string;
  readonly rule: {
    readonly id: string;
    readonly title: string;
    readonly severity: Severity;
    readonly category: string;
    readonly attack: readonly string[];
  };
  readonly severity: Severity;
  readonly escalation?: string;
  readonly '@timestamp': number;
  readonly firstTimestamp: number;
  readonly actor: Identity;
  readonly summary: string;
  readonly evidenceCount: number;
  readonly events: readonly AuditEvent[];
}

export interface TimelineEntry {
  readonly '@timestamp': number;
  readonly detectionId: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly actor: string;
  readonly summary: string;
}

export interface LinkedIdentity {
  readonly identity: Identity;
  readonly relation: string;
  readonly via?: string;
  readonly '@timestamp': number;
}

export interface Incident {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly severity: Severity;
  readonly title: string;
  readonly actor: Identity;
  readonly identities: readonly LinkedIdentity[];
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
  readonly detections: readonly Detection[];
  readonly timeline: readonly TimelineEntry[];
}

export interface StatusChange {
  readonly status: IncidentStatus;
  readonly note: string;
  readonly by: string;
  readonly at: number;
}

export interface IncidentDetail {
  readonly incident: Incident;
  readonly actions: readonly ActionRecord[];
  readonly notifications: readonly unknown[];
  readonly history: readonly StatusChange[];
}

/** A rule's settings as the console sends them (`PUT /api/settings`, `settings.put`). */
export interface RuleSetting {
  enabled: boolean;
  dryRun: boolean;
  allowList: string[];
  /** Only for rules whose aggregate has a threshold (count/distinct rules): the threshold in force, a whole
   *  number ≥ 1. Omitted on a change, the current one stays; given to a rule without one, the API refuses it
   *  (400, `field: 'rules.<id>.threshold'`). */
  threshold?: number;
}

/** A rule's settings as the API answers them: also the rule file's own threshold, where the rule has one. */
export interface RuleSettingView extends RuleSetting {
  /** Read-only (ignored if sent back): the threshold the rule file gives, shown as the default. */
  readonly defaultThreshold?: number;
}

export interface ResponsePolicy {
  minSeverity: Severity;
  actions: ResponseAction[];
  allowList: string[];
  maxPerHour: number;
}

export interface Settings {
  rules: Record<string, RuleSetting>;
  response: ResponsePolicy;
}

export interface SettingsView extends Settings {
  rules: Record<string, RuleSettingView>;
  /** Secrets only say whether they are set; there is no API to write them (they live in the service's config). */
  readonly secrets: Record<string, { readonly set: boolean }>;
}

/** The editable part of settings as answered: what a change sends back (read-only fields such as
 *  `defaultThreshold` and the secrets left out; a rule's `threshold` only where it has one). */
export function editable(s: Settings): Settings {
  return {
    rules: Object.fromEntries(
      Object.entries(s.rules).map(([id, r]) => {
        const { defaultThreshold: _default, ...rest } = r as RuleSettingView;
        return [id, structuredClone(rest)];
      }),
    ),
    response: structuredClone(s.response),
  };
}

/** Whether a threshold is one the API takes: a whole number, 1 or more. */
export function validThreshold(n: number | undefined): boolean {
  return n === undefined || (Number.isInteger(n) && n >= 1);
}

export interface ReadinessCheck {
  readonly kind: 'source' | 'action' | 'notify';
  readonly name: string;
  readonly ok: boolean;
  readonly why: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/** Which incidents a page shows: everything, or those touching one space or one repository. */
export type Scope =
  | { readonly kind: 'all' }
  | { readonly kind: 'space'; readonly key: string }
  | { readonly kind: 'repository'; readonly name: string };

export interface IncidentFilters {
  readonly status?: readonly IncidentStatus[];
  readonly minSeverity?: Severity;
  readonly product?: Product;
  /** ms */
  readonly since?: number;
  readonly until?: number;
}

export interface IncidentQuery extends IncidentFilters {
  readonly scope?: Scope;
  readonly offset?: number;
  readonly limit?: number;
}

export interface IncidentPage {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly incidents: readonly IncidentSummary[];
}

export interface SessionInfo {
  readonly username: string;
}

/** Pushed when something changed; the screen fetches what it shows again. */
export type ChangeEvent =
  | { readonly type: 'incident'; readonly id: string }
  | { readonly type: 'action'; readonly id: string; readonly incidentId: string }
  | { readonly type: 'poll' };

export interface ConsoleApi {
  /** `http` (self-hosted service) or `forge`. */
  readonly kind: 'http' | 'forge';
  /** Who is using the console; rejects with `NotLoggedIn` when a login is needed (HTTP only). */
  session(): Promise<SessionInfo>;
  /** HTTP only: username and password; resolves when the session is open. */
  login?(username: string, password: string): Promise<SessionInfo>;
  logout?(): Promise<void>;
  listIncidents(q: IncidentQuery): Promise<IncidentPage>;
  getIncident(id: string): Promise<IncidentDetail>;
  setStatus(id: string, status: 'acknowledged' | 'resolved', note: string): Promise<IncidentDetail>;
  undo(actionId: string): Promise<ActionRecord>;
  approve(actionId: string): Promise<ActionRecord>;
  /** Runs a failed action again (the host asks the allow-list and last-admin guardrails again). */
  retry(actionId: string): Promise<ActionRecord>;
  getSettings(): Promise<SettingsView>;
  putSettings(s: Settings): Promise<SettingsView>;
  readiness(): Promise<Readiness>;
  /** Write-only secrets, where the host has a way to store them (the Forge app); absent over HTTP, where
   *  secrets are environment variables or files named in the service's configuration. */
  setSecret?(key: string, value: string): Promise<void>;
  clearSecret?(key: string): Promise<void>;
  /** A link the browser can follow to download the export (HTTP), or the file's text to save (Forge). */
  exportIncidents(
    format: 'csv' | 'json',
    f: IncidentFilters,
  ): Promise<{ href: string } | { filename: string; body: string; type: string }>;
  /** Calls back on changes (SSE over HTTP, polling in Forge); returns the unsubscribe function. */
  subscribe(listener: (e: ChangeEvent) => void): () => void;
}

/** The API said the caller must log in first (HTTP 401). */
export class NotLoggedIn extends Error {
  constructor(message = 'log in to continue') {
    super(message);
    this.name = 'NotLoggedIn';
  }
}

/** An error the API explained: its message says what went wrong, `field` names the key at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Whether an incident touches a scope: any of its detections' events names that space or repository. */
export function touches(incident: Incident, scope: Scope): boolean {
  if (scope.kind === 'all') return true;
  const want = scope.kind === 'space' ? scope.key.toLowerCase() : scope.name.toLowerCase();
  const targetKind = scope.kind;
  return incident.detections.some((d) =>
    d.events.some((e) => {
      const field = scope.kind === 'space' ? e['atlassian.space.key'] : e['atlassian.repository.name'];
      if (field !== undefined && field.toLowerCase() === want) return true;
      return (e.targets ?? []).some(
        (t) =>
          t.kind === targetKind && [t.id, t.name].some((v) => v !== undefined && v.toLowerCase() === want),
      );
    }),
  );
}

/** The list row of a full incident (what GET /api/incidents returns for it). */
export function summarize(i: Incident, actions: readonly ActionRecord[]): IncidentSummary {
  return summarizeIncident(i, actions);
}
