/** An in-memory ConsoleBackend and helpers for the console HTTP tests. */
import type { Incident, IncidentStatus } from '../../../src/core/incident';
import { atLeast } from '../../../src/core/severity';
import type { ActionRecord } from '../../../src/respond/responder';
import {
  BackendError,
  type ConsoleBackend,
  type ConsoleEvent,
  type IncidentDetail,
  type IncidentPage,
  type IncidentQuery,
  type ReadinessCheck,
  type Settings,
  type SettingsView,
  type StatusChange,
} from '../../../src/serve/http/backend';

export function makeIncident(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    status: 'open',
    severity: 'high',
    title: `Incident ${id}`,
    actor: { name: `user-${id}`, kind: 'human' },
    identities: [],
    firstTimestamp: Date.UTC(2026, 10, 1, 10),
    lastTimestamp: Date.UTC(2026, 10, 1, 11),
    detections: [],
    timeline: [
      {
        '@timestamp': Date.UTC(2026, 10, 1, 10),
        detectionId: `${id}-d1`,
        ruleId: 'admin-group-member-added',
        severity: 'high',
        actor: `user-${id}`,
        summary: 'added to jira-administrators',
      },
    ],
    ...over,
  };
}

export function makeAction(incidentId: string, state: ActionRecord['state'], user = 'svc'): ActionRecord {
  return {
    id: `${incidentId}/suspend-account jira:${user}`,
    incidentId,
    action: { kind: 'suspend-account', identity: { name: user, kind: 'human' }, product: 'jira' },
    state,
    reason: 'actor of incident',
    at: Date.UTC(2026, 10, 1, 11),
  };
}

export class MemoryBackend implements ConsoleBackend {
  readonly incidents = new Map<string, Incident>();
  readonly actions = new Map<string, ActionRecord>();
  readonly history = new Map<string, StatusChange[]>();
  private readonly listeners = new Set<(e: ConsoleEvent) => void>();
  settings: Settings = {
    rules: { 'admin-group-member-added': { enabled: true, dryRun: false, allowList: [] } },
    response: {
      minSeverity: 'critical',
      actions: ['suspend-account'],
      allowList: ['break-glass'],
      maxPerHour: 10,
    },
  };
  /** Extra fields a careless implementation might leak: the API must not pass them on. */
  leak: Record<string, unknown> = { token: 'SECRET-VALUE-123' };

  get subscribers(): number {
    return this.listeners.size;
  }

  put(i: Incident, actions: ActionRecord[] = []): void {
    this.incidents.set(i.id, i);
    for (const a of actions) this.actions.set(a.id, a);
    this.emit({ type: 'incident', id: i.id });
  }

  emit(e: ConsoleEvent): void {
    for (const l of this.listeners) l(e);
  }

  listIncidents(q: IncidentQuery): Promise<IncidentPage> {
    const all = [...this.incidents.values()]
      .filter((i) => !q.status || q.status.includes(i.status))
      .filter((i) => !q.minSeverity || atLeast(i.severity, q.minSeverity))
      .filter((i) => q.since === undefined || i.lastTimestamp >= q.since)
      .filter((i) => q.until === undefined || i.firstTimestamp <= q.until)
      .sort((a, b) => b.lastTimestamp - a.lastTimestamp || a.id.localeCompare(b.id));
    return Promise.resolve({
      total: all.length,
      items: all
        .slice(q.offset, q.offset + q.limit)
        .map((incident) => ({ incident, actions: this.actionsOf(incident.id) })),
    });
  }

  private actionsOf(id: string): ActionRecord[] {
    return [...this.actions.values()].filter((a) => a.incidentId === id);
  }

  incident(id: string): Promise<IncidentDetail | undefined> {
    const incident = this.incidents.get(id);
    return Promise.resolve(
      incident && {
        incident,
        actions: this.actionsOf(id),
        notifications: [{ channel: 'slack', at: 1 }],
        history: this.history.get(id) ?? [],
      },
    );
  }

  async setStatus(id: string, status: IncidentStatus, note: string, by: string): Promise<IncidentDetail> {
    const i = this.incidents.get(id);
    if (!i) throw new BackendError('not-found', `no incident ${id}`);
    this.incidents.set(id, { ...i, status });
    this.history.set(id, [...(this.history.get(id) ?? []), { status, note, by, at: Date.now() }]);
    this.emit({ type: 'incident', id });
    return (await this.incident(id))!;
  }

  private change(
    actionId: string,
    from: ActionRecord['state'],
    to: ActionRecord['state'],
    by: string,
  ): Promise<ActionRecord> {
    const a = this.actions.get(actionId);
    if (!a) return Promise.reject(new BackendError('not-found', `no action ${actionId}`));
    if (a.state !== from)
      return Promise.reject(new BackendError('conflict', `action ${actionId} is ${a.state}, not ${from}`));
    const r: ActionRecord = { ...a, state: to, by, at: Date.now() };
    this.actions.set(actionId, r);
    this.emit({ type: 'action', id: actionId, incidentId: a.incidentId });
    return Promise.resolve(r);
  }

  undo(actionId: string, by: string): Promise<ActionRecord> {
    return this.change(actionId, 'done', 'undone', by);
  }

  approve(actionId: string, by: string): Promise<ActionRecord> {
    return this.change(actionId, 'awaiting-approval', 'done', by);
  }

  retry(actionId: string, by: string): Promise<ActionRecord> {
    return this.change(actionId, 'failed', 'done', by);
  }

  getSettings(): Promise<SettingsView> {
    return Promise.resolve({
      ...this.settings,
      ...this.leak,
      secrets: {
        'notify.slack.webhook': { set: true, value: 'https://hooks.example/SECRET' } as { set: boolean },
        'notify.teams.webhook': { set: false },
      },
    });
  }

  putSettings(s: Settings): Promise<SettingsView> {
    const unknown = Object.keys(s.rules).find((id) => id !== 'admin-group-member-added');
    if (unknown !== undefined)
      return Promise.reject(new BackendError('invalid', `no rule ${unknown}`, `rules.${unknown}`));
    this.settings = s;
    return this.getSettings();
  }

  readiness(): Promise<readonly ReadinessCheck[]> {
    return Promise.resolve([
      { kind: 'source', name: 'jira audit log /var/jira/log', ok: true, why: 'read 2 s ago' },
      { kind: 'action', name: 'suspend-account on jira', ok: false, why: 'token lacks admin permission' },
    ]);
  }

  subscribe(listener: (e: ConsoleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The cookie pair (`name=value`) out of a response's Set-Cookie, for sending back. */
export function cookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => /bulkhead_session=[^;]+/.test(c));
  if (!set) throw new Error(`no session cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return set.split(';')[0] ?? '';
}
