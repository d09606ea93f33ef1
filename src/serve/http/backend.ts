/**
 * What the console's HTTP API needs from the self-hosted service (issue #4 §4). The service implements it over
 * its SQLite state and its Responder; the HTTP layer (app.ts) knows nothing else about the service, and the
 * tests drive it with an in-memory one.
 *
 * Failures the person can act on are thrown as `BackendError` (not found, conflict, invalid): the API answers
 * them with 404, 409 and 400 and their message. Anything else thrown is answered 500 with no detail, so the
 * wiring should turn the Responder's errors ("action x is done, not awaiting-approval", "cannot undo …") into
 * `BackendError('conflict', …)`.
 */
import { z } from 'zod';
import type { Product } from '../../core/event';
import type { Incident, IncidentStatus } from '../../core/incident';
import { SEVERITIES, type Severity } from '../../core/severity';
import type { ActionRecord } from '../../respond/responder';

export interface IncidentQuery {
  /** Any of these statuses (all when absent). */
  readonly status?: readonly IncidentStatus[];
  /** Severity at least this. */
  readonly minSeverity?: Severity;
  /** Incidents with evidence from this product. */
  readonly product?: Product;
  /** Incidents active in [since, until] (ms): last seen at or after `since`, first seen at or before `until`. */
  readonly since?: number;
  readonly until?: number;
  /** Newest first (by last seen), `limit` from `offset`. */
  readonly offset: number;
  readonly limit: number;
}

export interface IncidentListItem {
  readonly incident: Incident;
  /** The incident's containment records, in the order decided. */
  readonly actions: readonly ActionRecord[];
}

export interface IncidentPage {
  readonly items: readonly IncidentListItem[];
  /** How many incidents match the query in all. */
  readonly total: number;
}

export interface StatusChange {
  readonly status: IncidentStatus;
  readonly note: string;
  readonly by: string;
  readonly at: number;
}

export interface IncidentDetail extends IncidentListItem {
  /** What was sent where about it; opaque to the API, shown as they are. */
  readonly notifications: readonly unknown[];
  /** Status changes made by people, oldest first. */
  readonly history: readonly StatusChange[];
}

export const RuleSettingSchema = z
  .object({
    enabled: z.boolean(),
    dryRun: z.boolean(),
    /** User names or ids this rule never raises a detection for. */
    allowList: z.array(z.string().min(1)),
    /** For count and distinct rules: how many events (or different values) within the window raise it. */
    threshold: z.number().int().min(1).optional(),
    /** Shown, never stored: the rule file's threshold. */
    defaultThreshold: z.number().int().min(1).optional(),
  })
  .strict();

export const SettingsSchema = z
  .object({
    /** By rule id. */
    rules: z.record(z.string().min(1), RuleSettingSchema),
    response: z
      .object({
        minSeverity: z.enum(SEVERITIES),
        actions: z.array(
          z.enum([
            'remove-from-admin-groups',
            'suspend-account',
            'revoke-tokens',
            'block-merges',
            'revoke-permissions',
          ]),
        ),
        allowList: z.array(z.string().min(1)),
        maxPerHour: z.number().int().min(0),
      })
      .strict(),
  })
  .strict();

export type RuleSetting = z.infer<typeof RuleSettingSchema>;
export type Settings = z.infer<typeof SettingsSchema>;

/** Settings as shown: secrets (tokens, webhooks, SMTP password) only say whether they are set, by key path. */
export interface SettingsView extends Settings {
  readonly secrets: Readonly<Record<string, { readonly set: boolean }>>;
}

export interface ReadinessCheck {
  readonly kind: 'source' | 'action' | 'notify';
  /** `jira audit log /var/atlassian/…`, `suspend-account on jira`. */
  readonly name: string;
  readonly ok: boolean;
  readonly why: string;
}

/** Pushed to the console's live view; it fetches what changed. */
export type ConsoleEvent =
  | { readonly type: 'incident'; readonly id: string }
  | { readonly type: 'action'; readonly id: string; readonly incidentId: string };

export interface ConsoleBackend {
  listIncidents(q: IncidentQuery): Promise<IncidentPage>;
  /** Undefined when there is no such incident. */
  incident(id: string): Promise<IncidentDetail | undefined>;
  /** Throws BackendError('not-found') for an unknown incident. */
  setStatus(
    id: string,
    status: 'acknowledged' | 'resolved',
    note: string,
    by: string,
  ): Promise<IncidentDetail>;
  undo(actionId: string, by: string): Promise<ActionRecord>;
  approve(actionId: string, by: string): Promise<ActionRecord>;
  /** Runs a failed action again (the allow-list and last-admin guardrails asked again). */
  retry(actionId: string, by: string): Promise<ActionRecord>;
  getSettings(): Promise<SettingsView>;
  /** Already validated against SettingsSchema; throws BackendError('invalid', …, field) for e.g. an unknown rule id. */
  putSettings(s: Settings, by: string): Promise<SettingsView>;
  readiness(): Promise<readonly ReadinessCheck[]>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (e: ConsoleEvent) => void): () => void;
}

export type BackendErrorCode = 'not-found' | 'conflict' | 'invalid';

export class BackendError extends Error {
  constructor(
    readonly code: BackendErrorCode,
    message: string,
    /** The key path at fault, for `invalid`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}
