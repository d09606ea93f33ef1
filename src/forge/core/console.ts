/**
 * The console's resolver functions, host-independent, each checking its caller first (deny by default):
 *
 * - site/org level (Jira admin page, Confluence global settings, Bitbucket workspace settings): the caller
 *   must be a Jira administrator, a Confluence administrator or a workspace admin, checked as the caller
 *   (`asUser`), and gets the full console;
 * - Confluence space settings: a space admin sees the incidents that touched their space, read-only;
 * - Bitbucket repository settings: a repository admin sees the incidents that touched their repository.
 *
 * Secrets go in through `setSecret` and never come out: settings report each as set or unset.
 */
import { toCsv } from '../../serve/http/export';
import type { Containment } from './containment';
import { SECRET_NAMES, SECRETS, type SecretName } from './keys';
import type { ProductApi } from './ports';
import { readiness } from './readiness';
import { applySettings } from './settings';
import type { Storage, StoredIncident } from './storage';

/** What Forge tells a resolver about its caller (`req.context`), as far as access depends on it. */
export interface CallerContext {
  readonly accountId?: string;
  readonly extension?: {
    readonly type?: string;
    readonly space?: { readonly key?: string; readonly id?: string | number };
    readonly repository?: { readonly uuid?: string; readonly full_name?: string };
    readonly workspace?: { readonly uuid?: string };
  };
}

export type Access =
  | { readonly kind: 'full'; readonly who: string }
  | { readonly kind: 'space'; readonly who: string; readonly space: string }
  | { readonly kind: 'repo'; readonly who: string; readonly repos: readonly string[] };

export class AccessDenied extends Error {
  override readonly name = 'AccessDenied';
}

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

/** Decides what the caller may see; throws AccessDenied when nothing. */
export async function accessOf(ctx: CallerContext, check: ProductAccess): Promise<Access> {
  const who = ctx.accountId;
  if (who === undefined) throw new AccessDenied('no user');
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
          repos: [uuid, ext.repository?.full_name].filter((x): x is string => !!x),
        };
      break;
    }
    default:
      break;
  }
  throw new AccessDenied('this needs an administrator of the site, space or repository');
}

function visible(a: Access, i: StoredIncident): boolean {
  if (a.kind === 'full') return true;
  if (a.kind === 'space') return i.spaces.some((s) => s.toLowerCase() === a.space.toLowerCase());
  return i.repos.some((r) => a.repos.includes(r));
}

function needFull(a: Access): void {
  if (a.kind !== 'full') throw new AccessDenied('this needs a site or organization administrator');
}

function str(payload: unknown, key: string): string {
  const v = (payload as Record<string, unknown> | undefined)?.[key];
  if (typeof v !== 'string' || v === '') throw new Error(`${key}: expected a string`);
  return v;
}

export interface ConsoleDeps {
  readonly storage: Storage;
  readonly containment: Containment;
  /** Permission checks as the caller of this invocation. */
  readonly access: (ctx: CallerContext) => ProductAccess;
}

export const CONSOLE_FUNCTIONS = [
  'whoami',
  'listIncidents',
  'getIncident',
  'undoAction',
  'approveAction',
  'getSettings',
  'saveSettings',
  'setSecret',
  'clearSecret',
  'getReadiness',
  'exportIncidents',
] as const;
export type ConsoleFunction = (typeof CONSOLE_FUNCTIONS)[number];

export class ConsoleApi {
  constructor(private readonly d: ConsoleDeps) {}

  async call(fn: ConsoleFunction, payload: unknown, ctx: CallerContext): Promise<unknown> {
    const a = await accessOf(ctx, this.d.access(ctx));
    const { storage, containment } = this.d;
    switch (fn) {
      case 'whoami':
        return { access: a.kind, ...(a.kind === 'space' ? { space: a.space } : {}) };
      case 'listIncidents': {
        const cursor = (payload as { cursor?: unknown } | undefined)?.cursor;
        const page = await storage.incidents(50, typeof cursor === 'string' ? cursor : undefined);
        return {
          items: page.items.filter((i) => visible(a, i)).map(({ body: _b, ...summary }) => summary),
          ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
        };
      }
      case 'getIncident': {
        const id = str(payload, 'id');
        const s = await storage.incident(id);
        if (!s || !visible(a, s)) throw new Error(`no incident ${id}`);
        return { incident: await storage.fullIncident(id), actions: await storage.actionsOf(id) };
      }
      case 'undoAction':
        needFull(a);
        return containment.undo(str(payload, 'id'), a.who);
      case 'approveAction':
        needFull(a);
        return containment.approve(str(payload, 'id'), a.who);
      case 'getSettings': {
        needFull(a);
        const secrets: Record<string, 'set' | 'unset'> = {};
        for (const n of SECRET_NAMES)
          secrets[n] = (await storage.kv.getSecret(SECRETS[n])) !== undefined ? 'set' : 'unset';
        return { settings: await storage.settings(), secrets };
      }
      case 'saveSettings': {
        needFull(a);
        const next = applySettings(
          await storage.settings(),
          (payload as { change?: unknown } | undefined)?.change,
        );
        await storage.saveSettings(next);
        return { settings: next };
      }
      case 'setSecret': {
        needFull(a);
        const name = str(payload, 'name');
        if (!(SECRET_NAMES as readonly string[]).includes(name))
          throw new Error(`name: unknown secret ${name}`);
        await storage.kv.setSecret(SECRETS[name as SecretName], str(payload, 'value'));
        return { name, state: 'set' };
      }
      case 'clearSecret': {
        needFull(a);
        const name = str(payload, 'name');
        if (!(SECRET_NAMES as readonly string[]).includes(name))
          throw new Error(`name: unknown secret ${name}`);
        await storage.kv.deleteSecret(SECRETS[name as SecretName]);
        return { name, state: 'unset' };
      }
      case 'getReadiness':
        needFull(a);
        return { items: await readiness(storage.kv, await storage.settings()) };
      case 'exportIncidents': {
        const format = (payload as { format?: unknown } | undefined)?.format === 'csv' ? 'csv' : 'json';
        const all: StoredIncident[] = [];
        let cursor: string | undefined;
        do {
          const page = await storage.incidents(100, cursor);
          all.push(...page.items.filter((i) => visible(a, i)));
          cursor = page.nextCursor;
        } while (cursor !== undefined && all.length < 10_000);
        if (format === 'json') return { format, incidents: all.map((i) => i.body) };
        const rows = all.map((i) => [
          i.id,
          i.status,
          i.severity,
          i.body.title,
          i.actor,
          new Date(i.body.firstTimestamp).toISOString(),
          new Date(i.lastAt).toISOString(),
          i.products,
        ]);
        return {
          format,
          csv: toCsv(
            ['id', 'status', 'severity', 'title', 'actor', 'first_seen', 'last_seen', 'products'],
            rows,
          ),
        };
      }
    }
  }
}
