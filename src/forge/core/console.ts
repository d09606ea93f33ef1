/**
 * The console's resolvers (the keys and shapes of decision 0017, which are the self-hosted console API's),
 * host-independent. Every call checks its caller first, as the user (`asUser`), deny by default:
 *
 * - site/org level (Jira admin page, Confluence global settings, Bitbucket workspace settings): a Jira
 *   administrator, a Confluence administrator or a workspace admin gets the full console;
 * - Confluence space settings: a space admin sees the incidents that touched their space, read-only;
 * - Bitbucket repository settings: a repository admin sees the incidents that touched their repository.
 *
 * The page's `scope` in a payload is checked against that (a space admin asking for `all` is refused) and the
 * lists are filtered here. Refusals and bad input come back as `{ error: { code, message, field? } }`
 * (`forbidden`, `invalid`, `not-found`, `conflict`). Secrets go in through `secrets.set` and never come out.
 */
import { CONSOLE_FUNCTIONS, type ConsoleFunction } from '../../console-contract';
import type { IncidentStatus } from '../../core/incident';
import { thresholdOf, type CompiledRule } from '../../rules/compiled';
import { atLeast, isSeverity, type Severity } from '../../core/severity';
import { SettingsSchema, type StatusChange } from '../../serve/http/backend';
import { incidentsCsv } from '../../serve/http/export';
import type { Containment } from './containment';
import type { RuleSet } from './ingest';
import { SECRET_NAMES, SECRETS, safeKey, type SecretName } from './keys';
import type { ProductApi } from './ports';
import { readiness, type ReadinessItem } from './readiness';
import { applySettings, type ForgeSettings } from './settings';
import type { Storage, StoredIncident } from './storage';

/** What Forge tells a resolver about its caller (`req.context`), as far as access depends on it. */
export interface CallerContext {
  readonly accountId?: string;
  readonly extension?: {
    readonly type?: string;
    readonly space?: { readonly key?: string; readonly id?: string | number };
    readonly repository?: { readonly uuid?: string; readonly full_name?: string; readonly name?: string };
    readonly workspace?: { readonly uuid?: string };
  };
}

export type Access =
  | { readonly kind: 'full'; readonly who: string }
  | { readonly kind: 'space'; readonly who: string; readonly space: string }
  | { readonly kind: 'repo'; readonly who: string; readonly repos: readonly string[] };

type Scope =
  | { readonly kind: 'all' }
  | { readonly kind: 'space'; readonly key: string }
  | { readonly kind: 'repository'; readonly name: string };

export class ConsoleError extends Error {
  constructor(
    readonly code: 'forbidden' | 'invalid' | 'not-found' | 'conflict',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}

const forbidden = (m: string) => new ConsoleError('forbidden', m);

/** Permission checks made as the calling user. */
export class ProductAccess {
  constructor(private readonly asUser: ProductApi) {}

  private async get(product: 'jira' | 'confluence' | 'bitbucket', path: string): Promise<unknown> {
    const a = await this.asUser.request(product, path);
    if (a.status !== 200) return undefined;
    try {
      return JSON.parse(await a.text()) as unknown;
    } catch {
      return undefined;
    }
  }

  async jiraAdmin(): Promise<boolean> {
    const r = (await this.get('jira', '/rest/api/3/mypermissions?permissions=ADMINISTER')) as
      { permissions?: { ADMINISTER?: { havePermission?: boolean } } } | undefined;
    return r?.permissions?.ADMINISTER?.havePermission === true;
  }

  async confluenceAdmin(): Promise<boolean> {
    const r = (await this.get('confluence', '/wiki/rest/api/user/current?expand=operations')) as
      { operations?: { operation?: string; targetType?: string }[] } | undefined;
    return (r?.operations ?? []).some((o) => o.operation === 'administer' && o.targetType === 'application');
  }

  async spaceAdmin(spaceId: string): Promise<boolean> {
    const r = (await this.get(
      'confluence',
      `/wiki/api/v2/spaces/${encodeURIComponent(spaceId)}/operations`,
    )) as { operations?: { operation?: string; targetType?: string }[] } | undefined;
    return (r?.operations ?? []).some((o) => o.operation === 'administer' && o.targetType === 'space');
  }

  async workspaceAdmin(workspaceUuid: string): Promise<boolean> {
    const q = encodeURIComponent(`workspace.uuid="${workspaceUuid}"`);
    const r = (await this.get('bitbucket', `/2.0/user/permissions/workspaces?q=${q}`)) as
      { values?: { permission?: string }[] } | undefined;
    return (r?.values ?? []).some((v) => v.permission === 'owner');
  }

  async repoAdmin(repoUuid: string): Promise<boolean> {
    const q = encodeURIComponent(`repository.uuid="${repoUuid}"`);
    const r = (await this.get('bitbucket', `/2.0/user/permissions/repositories?q=${q}`)) as
      { values?: { permission?: string }[] } | undefined;
    return (r?.values ?? []).some((v) => v.permission === 'admin');
  }
}

/** Decides what the caller may see; throws `forbidden` when nothing. */
export async function accessOf(ctx: CallerContext, check: ProductAccess): Promise<Access> {
  const who = ctx.accountId;
  if (who === undefined) throw forbidden('no user');
  const ext = ctx.extension ?? {};
  switch (ext.type) {
    case 'jira:adminPage':
      if (await check.jiraAdmin()) return { kind: 'full', who };
      break;
    case 'confluence:globalSettings':
      if (await check.confluenceAdmin()) return { kind: 'full', who };
      break;
    case 'confluence:spaceSettings': {
      if (await check.confluenceAdmin()) return { kind: 'full', who };
      const key = ext.space?.key;
      const id = ext.space?.id;
      if (key !== undefined && id !== undefined && (await check.spaceAdmin(String(id))))
        return { kind: 'space', who, space: key };
      break;
    }
    case 'bitbucket:workspaceSettingsMenuPage':
      if (ext.workspace?.uuid !== undefined && (await check.workspaceAdmin(ext.workspace.uuid)))
        return { kind: 'full', who };
      break;
    case 'bitbucket:repoSettingsMenuPage': {
      const uuid = ext.repository?.uuid;
      if (ext.workspace?.uuid !== undefined && (await check.workspaceAdmin(ext.workspace.uuid)))
        return { kind: 'full', who };
      if (uuid !== undefined && (await check.repoAdmin(uuid)))
        return {
          kind: 'repo',
          who,
          repos: [uuid, ext.repository?.full_name, ext.repository?.name].filter((x): x is string => !!x),
        };
      break;
    }
    default:
      break;
  }
  throw forbidden('this needs an administrator of the site, space or repository');
}

/** The scope a call works in: the payload's, if the caller may see it; a scoped caller's own otherwise. */
function scopeFor(a: Access, requested: unknown): Scope {
  const s = requested as { kind?: unknown; key?: unknown; name?: unknown } | undefined;
  if (s === undefined || s === null) {
    if (a.kind === 'full') return { kind: 'all' };
    if (a.kind === 'space') return { kind: 'space', key: a.space };
    return { kind: 'repository', name: a.repos[0] ?? '' };
  }
  if (s.kind === 'all') {
    if (a.kind !== 'full') throw forbidden('only a site or organization administrator sees every incident');
    return { kind: 'all' };
  }
  if (s.kind === 'space' && typeof s.key === 'string') {
    if (a.kind === 'full' || (a.kind === 'space' && a.space.toLowerCase() === s.key.toLowerCase()))
      return { kind: 'space', key: s.key };
    throw forbidden(`not an administrator of space ${s.key}`);
  }
  if (s.kind === 'repository' && typeof s.name === 'string') {
    if (a.kind === 'full' || (a.kind === 'repo' && a.repos.includes(s.name)))
      return { kind: 'repository', name: s.name };
    throw forbidden(`not an administrator of repository ${s.name}`);
  }
  throw new ConsoleError('invalid', 'scope: expected {kind: all | space | repository}', 'scope');
}

function inScope(scope: Scope, i: StoredIncident, a: Access): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'space') return i.spaces.some((s) => s.toLowerCase() === scope.key.toLowerCase());
  // A repository admin's page may name the repository by uuid or by name; both are theirs.
  const names = a.kind === 'repo' ? new Set([scope.name, ...a.repos]) : new Set([scope.name]);
  return i.repos.some((r) => names.has(r));
}

function needFull(a: Access): void {
  if (a.kind !== 'full') throw forbidden('this needs a site or organization administrator');
}

function str(payload: unknown, key: string): string {
  const v = (payload as Record<string, unknown> | undefined)?.[key];
  if (typeof v !== 'string' || v === '') throw new ConsoleError('invalid', `${key}: expected a string`, key);
  return v;
}

export interface ConsoleDeps {
  readonly storage: Storage;
  readonly containment: Containment;
  readonly rules: () => RuleSet;
  readonly now: () => number;
  /** Permission checks as the caller of this invocation. */
  readonly access: (ctx: CallerContext) => ProductAccess;
}

export { CONSOLE_FUNCTIONS, type ConsoleFunction };

interface Filters {
  readonly status?: readonly IncidentStatus[];
  readonly minSeverity?: Severity;
  readonly product?: string;
  readonly since?: number;
  readonly until?: number;
}

function filtersOf(p: Record<string, unknown>): Filters {
  const out: { -readonly [K in keyof Filters]: Filters[K] } = {};
  const st = p['status'];
  if (Array.isArray(st))
    out.status = st.filter((x): x is IncidentStatus =>
      ['open', 'acknowledged', 'resolved'].includes(x as string),
    );
  const sev = p['minSeverity'];
  if (typeof sev === 'string' && isSeverity(sev)) out.minSeverity = sev;
  if (typeof p['product'] === 'string') out.product = p['product'];
  if (typeof p['since'] === 'number') out.since = p['since'];
  if (typeof p['until'] === 'number') out.until = p['until'];
  return out;
}

interface StatusOverride {
  readonly status: IncidentStatus;
  readonly history: StatusChange[];
}

/** At most this many incidents are read for one list or export. */
const SCAN_MAX = 2000;

export class ConsoleApi {
  constructor(private readonly d: ConsoleDeps) {}

  /** Runs a resolver call; refusals and bad input come back as `{ error }`, never thrown. */
  async call(fn: ConsoleFunction, payload: unknown, ctx: CallerContext): Promise<unknown> {
    try {
      const a = await accessOf(ctx, this.d.access(ctx));
      return await this.run(fn, (payload ?? {}) as Record<string, unknown>, a);
    } catch (err) {
      if (err instanceof ConsoleError)
        return {
          error: {
            code: err.code,
            message: err.message,
            ...(err.field !== undefined ? { field: err.field } : {}),
          },
        };
      const message = (err as Error).message;
      // The response core's refusals ("action x is done, not awaiting-approval", "cannot undo …").
      if (/^no action /.test(message)) return { error: { code: 'not-found', message } };
      if (/ is \S+, not \S+$|^cannot undo /.test(message)) return { error: { code: 'conflict', message } };
      throw err;
    }
  }

  private async statusOf(ids: readonly string[]): Promise<Map<string, StatusOverride>> {
    const got = await this.d.storage.getAll<StatusOverride>(ids.map((id) => ({ key: statusKey(id) })));
    const out = new Map<string, StatusOverride>();
    for (const id of ids) {
      const s = got.get(statusKey(id));
      if (s) out.set(id, s);
    }
    return out;
  }

  /** Incidents in scope matching the filters, newest first, with the status people gave them. */
  private async matching(a: Access, scope: Scope, f: Filters): Promise<StoredIncident[]> {
    const all: StoredIncident[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.d.storage.incidents(100, cursor);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined && all.length < SCAN_MAX);
    const status = await this.statusOf(all.map((i) => i.id));
    return all
      .map((i) => {
        const s = status.get(i.id)?.status;
        return s ? { ...i, status: s, body: { ...i.body, status: s } } : i;
      })
      .filter(
        (i) =>
          inScope(scope, i, a) &&
          (!f.status || f.status.includes(i.status as IncidentStatus)) &&
          (!f.minSeverity || atLeast(i.severity as Severity, f.minSeverity)) &&
          (!f.product || i.products.split(',').includes(f.product)) &&
          (f.since === undefined || i.lastAt >= f.since) &&
          (f.until === undefined || i.body.firstTimestamp <= f.until),
      );
  }

  private async detail(id: string, a: Access, scope: Scope) {
    const s = await this.d.storage.incident(id);
    if (!s || !inScope(scope, s, a)) throw new ConsoleError('not-found', `no incident ${id}`);
    const incident = await this.d.storage.fullIncident(id);
    const status = (await this.statusOf([id])).get(id);
    return {
      incident: status && incident ? { ...incident, status: status.status } : incident,
      actions: await this.d.storage.actionsOf(id),
      notifications: [],
      history: status?.history ?? [],
    };
  }

  private async settingsView(): Promise<Record<string, unknown>> {
    const s = await this.d.storage.settings();
    const rules: Record<
      string,
      {
        enabled: boolean;
        dryRun: boolean;
        allowList: string[];
        threshold?: number;
        defaultThreshold?: number;
      }
    > = {};
    for (const r of this.d.rules().rules) {
      const fileValue = thresholdOf(r);
      rules[r.id] = {
        enabled: !s.disabledRules.includes(r.id),
        dryRun: s.policy.dryRunRules.includes(r.id),
        allowList: [...(s.ruleAllowLists[r.id] ?? [])],
        ...(fileValue !== undefined
          ? { threshold: s.ruleThresholds[r.id] ?? fileValue, defaultThreshold: fileValue }
          : {}),
      };
    }
    const secrets: Record<string, { set: boolean }> = {};
    for (const n of SECRET_NAMES)
      secrets[n] = { set: (await this.d.storage.kv.getSecret(SECRETS[n])) !== undefined };
    const { policy, disabledRules: _d, ruleAllowLists: _r, ruleThresholds: _t, ...forge } = s;
    return {
      rules,
      response: {
        minSeverity: policy.minSeverity,
        actions: [...policy.actions],
        allowList: [...policy.allowList],
        maxPerHour: policy.maxPerHour,
      },
      secrets,
      forge,
    };
  }

  private async run(fn: ConsoleFunction, p: Record<string, unknown>, a: Access): Promise<unknown> {
    const { storage, containment } = this.d;
    switch (fn) {
      case 'session':
        return { username: a.who, access: a.kind, ...(a.kind === 'space' ? { space: a.space } : {}) };
      case 'incidents.list': {
        const scope = scopeFor(a, p['scope']);
        const all = await this.matching(a, scope, filtersOf(p));
        const offset = typeof p['offset'] === 'number' && p['offset'] >= 0 ? Math.floor(p['offset']) : 0;
        const limit =
          typeof p['limit'] === 'number' ? Math.min(500, Math.max(1, Math.floor(p['limit']))) : 50;
        const page = all.slice(offset, offset + limit);
        const incidents = [];
        for (const i of page)
          incidents.push({
            id: i.id,
            status: i.status,
            severity: i.severity,
            title: i.body.title,
            actor: i.body.actor,
            firstTimestamp: i.body.firstTimestamp,
            lastTimestamp: i.lastAt,
            detectionCount: i.detectionCount,
            rules: [...i.rules],
            actions: await storage.actionsOf(i.id),
          });
        return { total: all.length, offset, limit, incidents };
      }
      case 'incidents.get':
        return this.detail(str(p, 'id'), a, scopeFor(a, p['scope']));
      case 'incidents.setStatus': {
        needFull(a);
        const id = str(p, 'id');
        const status = p['status'];
        if (status !== 'acknowledged' && status !== 'resolved' && status !== 'open')
          throw new ConsoleError('invalid', 'status: expected acknowledged, resolved or open', 'status');
        if (!(await storage.incident(id))) throw new ConsoleError('not-found', `no incident ${id}`);
        const note = typeof p['note'] === 'string' ? p['note'].slice(0, 2000) : '';
        const prev = (await this.statusOf([id])).get(id);
        const change: StatusChange = { status, note, by: a.who, at: this.d.now() };
        await storage.kv.set(statusKey(id), {
          status,
          history: [...(prev?.history ?? []), change],
        } satisfies StatusOverride);
        return this.detail(id, a, { kind: 'all' });
      }
      case 'actions.undo':
        needFull(a);
        return containment.decide('undo', str(p, 'id'), a.who);
      case 'actions.approve':
        needFull(a);
        return containment.decide('approve', str(p, 'id'), a.who);
      case 'actions.retry':
        needFull(a);
        return containment.decide('retry', str(p, 'id'), a.who);
      case 'settings.get':
        needFull(a);
        return this.settingsView();
      case 'settings.put': {
        needFull(a);
        await storage.saveSettings(this.applyPut(await storage.settings(), p['settings']));
        return this.settingsView();
      }
      case 'readiness': {
        needFull(a);
        const items = await readiness(storage.kv, await storage.settings());
        const checks = items.map(toCheck);
        // Ready when something is read and nothing the policy asks for is known not to work.
        const ready =
          checks.some((c) => c.kind === 'source' && c.ok) &&
          !items.some((i) => i.area === 'action' && i.state === 'not-ready');
        return { ready, checks };
      }
      case 'export': {
        const scope = scopeFor(a, p['scope']);
        const f = filtersOf((p['filters'] ?? {}) as Record<string, unknown>);
        const items = [];
        for (const i of await this.matching(a, scope, f)) {
          const incident = await storage.fullIncident(i.id);
          if (incident)
            items.push({
              incident: { ...incident, status: i.body.status },
              actions: await storage.actionsOf(i.id),
            });
        }
        if (p['format'] === 'csv')
          return {
            filename: 'bulkhead-incidents.csv',
            type: 'text/csv; charset=utf-8',
            body: incidentsCsv(items),
          };
        return {
          filename: 'bulkhead-incidents.json',
          type: 'application/json',
          body: JSON.stringify({ incidents: items.map((x) => ({ ...x.incident, actions: x.actions })) }),
        };
      }
      case 'secrets.set':
      case 'secrets.clear': {
        needFull(a);
        const name = str(p, 'name');
        if (!(SECRET_NAMES as readonly string[]).includes(name))
          throw new ConsoleError('invalid', `name: unknown secret ${name}`, 'name');
        if (fn === 'secrets.set') await storage.kv.setSecret(SECRETS[name as SecretName], str(p, 'value'));
        else await storage.kv.deleteSecret(SECRETS[name as SecretName]);
        return { name, set: fn === 'secrets.set' };
      }
    }
  }

  /** `settings.put`: the console's rules and response policy (the self-hosted API's schema), and optionally
   *  the Forge-only settings under `forge`. Rules the request does not name keep their settings. */
  private applyPut(base: ForgeSettings, raw: unknown): ForgeSettings {
    const body = (raw ?? {}) as Record<string, unknown>;
    const { forge, ...shared } = body;
    let next = base;
    if (forge !== undefined) {
      try {
        next = applySettings(next, forge);
      } catch (err) {
        const m = /^settings\.(\S+):/.exec((err as Error).message);
        throw new ConsoleError('invalid', (err as Error).message, m ? `forge.${m[1] ?? ''}` : 'forge');
      }
    }
    if (Object.keys(shared).length === 0) return next;
    const parsed = SettingsSchema.safeParse(shared);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConsoleError('invalid', issue?.message ?? 'invalid settings', issue?.path.join('.'));
    }
    const byId = new Map(this.d.rules().rules.map((r) => [r.id, r]));
    const unknown = Object.keys(parsed.data.rules).find((id) => !byId.has(id));
    if (unknown !== undefined) throw new ConsoleError('invalid', `no rule ${unknown}`, `rules.${unknown}`);
    const thresholds: Record<string, number> = { ...next.ruleThresholds };
    for (const [id, r] of Object.entries(parsed.data.rules)) {
      if (r.threshold === undefined) continue;
      const fileValue = thresholdOf(byId.get(id) as CompiledRule);
      if (fileValue === undefined)
        throw new ConsoleError(
          'invalid',
          `${id} has no threshold (only count and distinct rules do)`,
          `rules.${id}.threshold`,
        );
      if (r.threshold === fileValue) delete thresholds[id];
      else thresholds[id] = r.threshold;
    }
    const disabled = new Set(next.disabledRules);
    const dry = new Set(next.policy.dryRunRules);
    const allow: Record<string, readonly string[]> = { ...next.ruleAllowLists };
    for (const [id, r] of Object.entries(parsed.data.rules)) {
      if (r.enabled) disabled.delete(id);
      else disabled.add(id);
      if (r.dryRun) dry.add(id);
      else dry.delete(id);
      if (r.allowList.length > 0) allow[id] = r.allowList;
      else delete allow[id];
    }
    const resp = parsed.data.response;
    return {
      ...next,
      disabledRules: [...disabled].sort(),
      ruleAllowLists: allow,
      ruleThresholds: thresholds,
      policy: {
        ...next.policy,
        minSeverity: resp.minSeverity,
        actions: resp.actions,
        allowList: resp.allowList,
        maxPerHour: resp.maxPerHour,
        dryRunRules: [...dry].sort(),
      },
    };
  }
}

const statusKey = (id: string) => `status:${safeKey(id)}`;

function toCheck(i: ReadinessItem): {
  kind: 'source' | 'action' | 'notify';
  name: string;
  ok: boolean;
  why: string;
} {
  return {
    kind: i.area === 'notification' ? 'notify' : i.area,
    name: i.name,
    ok: i.state === 'ready',
    why: i.state === 'impossible' ? `not possible in Cloud: ${i.why}` : i.why,
  };
}
