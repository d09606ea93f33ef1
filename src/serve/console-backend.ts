/**
 * The console API's view of the running service (the `ConsoleBackend` of http/backend.ts): incidents from the
 * SQLite state with their actions, notifications and status history; undo and approval through the response
 * core; settings; readiness (which sources and actions work now, and why not); live events.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Incident } from '../core/incident';
import { atLeast } from '../core/severity';
import { ACTION_KINDS } from '../respond/action';
import type { PolicyAction } from '../respond/responder';
import { thresholdOf, type CompiledRule } from '../rules/compiled';
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
} from './http/backend';
import type { PipelineSource } from './pipeline';
import type { Service } from './service';

export interface BackendContext {
  readonly service: Service;
  readonly sources: readonly PipelineSource[];
  /** Configuration key paths of the secrets that were set (values never come here). */
  readonly secretKeys: readonly string[];
  /** Configured notification channels by name, for readiness. */
  readonly channels: readonly string[];
  /** The outbox's record of what was sent about an incident, when notifications are configured. */
  readonly notificationHistory?: (incidentId: string) => readonly unknown[];
}

/** The product an action acts in, for each policy action. */
const POLICY_KIND: Record<PolicyAction, (typeof ACTION_KINDS)[number]> = {
  'remove-from-admin-groups': 'remove-from-group',
  'suspend-account': 'suspend-account',
  'revoke-tokens': 'revoke-tokens',
  'block-merges': 'block-merges',
  'revoke-permissions': 'revoke-permissions',
};

export function serviceBackend(ctx: BackendContext): ConsoleBackend {
  const { service } = ctx;
  const products = (i: Incident) =>
    new Set(i.detections.flatMap((d) => d.events.map((e) => e['atlassian.product'])));
  const detail = (i: Incident): IncidentDetail => ({
    incident: i,
    actions: service.actions.forIncident(i.id),
    notifications: ctx.notificationHistory?.(i.id) ?? [],
    history: service.store.statusHistory(i.id),
  });
  const asConflict = (err: unknown): never => {
    const message = (err as Error).message;
    throw new BackendError(/^no action /.test(message) ? 'not-found' : 'conflict', message);
  };

  return {
    listIncidents(q: IncidentQuery): Promise<IncidentPage> {
      const all = service.store
        .incidents()
        .filter(
          (i) =>
            (!q.status || q.status.includes(i.status)) &&
            (!q.minSeverity || atLeast(i.severity, q.minSeverity)) &&
            (!q.product || products(i).has(q.product)) &&
            (q.since === undefined || i.lastTimestamp >= q.since) &&
            (q.until === undefined || i.firstTimestamp <= q.until),
        )
        .sort((a, b) => b.lastTimestamp - a.lastTimestamp || (a.id < b.id ? -1 : 1));
      const items = all
        .slice(q.offset, q.offset + q.limit)
        .map((incident) => ({ incident, actions: service.actions.forIncident(incident.id) }));
      return Promise.resolve({ items, total: all.length });
    },

    incident(id: string): Promise<IncidentDetail | undefined> {
      const i = service.store.incident(id);
      return Promise.resolve(i ? detail(i) : undefined);
    },

    setStatus(id, status, note, by): Promise<IncidentDetail> {
      if (!service.store.incident(id))
        return Promise.reject(new BackendError('not-found', `no incident ${id}`));
      service.setStatus(id, status, note, by);
      return Promise.resolve(detail(service.store.incident(id) as Incident));
    },

    undo: (actionId, by) => service.decide('undo', actionId, by).catch(asConflict),
    approve: (actionId, by) => service.decide('approve', actionId, by).catch(asConflict),
    retry: (actionId, by) => service.decide('retry', actionId, by).catch(asConflict),

    getSettings(): Promise<SettingsView> {
      return Promise.resolve(view());
    },

    putSettings(s: Settings): Promise<SettingsView> {
      const byId = new Map(service.rules.map((r) => [r.id, r]));
      for (const [id, r] of Object.entries(s.rules)) {
        const rule = byId.get(id);
        if (!rule) return Promise.reject(new BackendError('invalid', `no rule ${id}`, `rules.${id}`));
        if (r.threshold !== undefined && thresholdOf(rule) === undefined)
          return Promise.reject(
            new BackendError(
              'invalid',
              `${id} has no threshold (only count and distinct rules do)`,
              `rules.${id}.threshold`,
            ),
          );
      }
      const current = service.settings().rules;
      const rules = Object.fromEntries(
        Object.entries(s.rules).map(([id, { defaultThreshold: _shown, threshold, ...r }]) => {
          // A threshold left out keeps the one in force; the file's value is not stored as a change.
          const t = threshold ?? current[id]?.threshold;
          const fileValue = thresholdOf(byId.get(id) as CompiledRule);
          return [id, { ...r, ...(t !== undefined && t !== fileValue ? { threshold: t } : {}) }];
        }),
      );
      // Rules the request does not name keep their settings.
      service.updateSettings({ rules: { ...current, ...rules }, response: s.response });
      return Promise.resolve(view());
    },

    readiness(): Promise<readonly ReadinessCheck[]> {
      const checks: ReadinessCheck[] = ctx.sources.map((src) => {
        const name = `${src.product ?? ''} logs ${src.dir} (${src.match.source})`.trim();
        if (!existsSync(src.dir))
          return { kind: 'source', name, ok: false, why: 'the folder does not exist' };
        const n = readdirSync(src.dir).filter((f) => src.match.test(f)).length;
        return n > 0
          ? { kind: 'source', name, ok: true, why: `${n} matching file${n === 1 ? '' : 's'} tailed` }
          : { kind: 'source', name, ok: false, why: 'no file matches yet; check the folder and the pattern' };
      });
      for (const h of service.sourceHealth())
        checks.push({ kind: 'source', name: h.name, ok: h.ok, why: h.why });
      const c = service.containment;
      for (const a of service.settings().response.actions)
        for (const p of ['jira', 'confluence', 'bitbucket'] as const) {
          const name = `${a} on ${p}`;
          if (!c) {
            checks.push({ kind: 'action', name, ok: false, why: 'containment is not configured' });
            continue;
          }
          const ok = c.executor.supports?.(POLICY_KIND[a], p) ?? true;
          checks.push({
            kind: 'action',
            name,
            ok,
            why: ok
              ? 'through the product REST API with the configured admin token'
              : `not possible here: ${p} Data Center has no REST call for it, or no containment site is configured for ${p}`,
          });
        }
      for (const ch of ctx.channels) checks.push({ kind: 'notify', name: ch, ok: true, why: 'configured' });
      if (ctx.channels.length === 0)
        checks.push({
          kind: 'notify',
          name: 'notifications',
          ok: false,
          why: 'no channel configured (notify)',
        });
      return Promise.resolve(checks);
    },

    subscribe(listener: (e: ConsoleEvent) => void): () => void {
      const onCommit = (e: {
        step: { incidents: readonly Incident[] };
        actions: readonly { id: string; incidentId: string }[];
      }) => {
        for (const i of e.step.incidents) listener({ type: 'incident', id: i.id });
        for (const a of e.actions) listener({ type: 'action', id: a.id, incidentId: a.incidentId });
      };
      const onAction = (a: { id: string; incidentId: string }) =>
        listener({ type: 'action', id: a.id, incidentId: a.incidentId });
      service.on('commit', onCommit);
      service.on('action', onAction);
      return () => {
        service.off('commit', onCommit);
        service.off('action', onAction);
      };
    },
  };

  function view(): SettingsView {
    const s = service.settings();
    const files = new Map(service.rules.map((r) => [r.id, thresholdOf(r)]));
    return {
      rules: Object.fromEntries(
        Object.entries(s.rules).map(([id, r]) => {
          const fileValue = files.get(id);
          return [
            id,
            {
              enabled: r.enabled,
              dryRun: r.dryRun,
              allowList: [...r.allowList],
              ...(fileValue !== undefined
                ? { threshold: r.threshold ?? fileValue, defaultThreshold: fileValue }
                : {}),
            },
          ];
        }),
      ),
      response: { ...s.response, actions: [...s.response.actions], allowList: [...s.response.allowList] },
      secrets: Object.fromEntries(ctx.secretKeys.map((k) => [k, { set: true }])),
    };
  }
}
