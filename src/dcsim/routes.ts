/**
 * The REST endpoints the simulator serves, per product: exactly the calls Bulkhead's DC executor and directory
 * make (src/dc/endpoints.ts), plus the audit REST API. Each follows the documented request and answer shape
 * (parameters, paging fields, status codes) and each change writes the audit record the product writes for it,
 * with the acting administrator (the token's owner) as author.
 *
 * Simplifications, said once: paging honours start/limit but not every optional filter; permission checks are
 * "system administrator or not" (no project-admin delegation); error messages are close to, not copies of,
 * the products' wording.
 */
import type { DcProduct } from '../dc/endpoints';
import type { DcAuditRecord, DcAuthor } from '../scenarios/formats/dc-audit';
import { SIM_BITBUCKET, SIM_CONFLUENCE, SIM_JIRA } from './audit-types';
import type { AuditLog, ProductModel, SimProject, SimRepo, SimUser } from './model';

export class HttpFail extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly exceptionName = 'com.atlassian.bitbucket.ServiceException',
  ) {
    super(message);
  }
}

export interface Ctx {
  readonly product: DcProduct;
  readonly model: ProductModel;
  readonly audit: AuditLog;
  readonly now: () => number;
  /** The authenticated user (the token's owner). */
  readonly me: SimUser;
  readonly isAdmin: boolean;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** Decoded path parameters. */
  readonly params: readonly string[];
  /** The client address, written as the audit record's source. */
  readonly ip: string;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

export interface Route {
  readonly method: string;
  readonly path: RegExp;
  readonly admin: boolean;
  readonly handle: (c: Ctx) => Reply;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const noContent: Reply = { status: 204 };
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function need(c: Ctx, name: string): string {
  const v = c.query.get(name);
  if (v === null || v === '') throw new HttpFail(400, `the query parameter ${name} is required`);
  return v;
}

function userOr404(c: Ctx, name: string): SimUser {
  const u = c.model.user(name);
  if (!u) {
    throw new HttpFail(
      404,
      c.product === 'jira'
        ? `The user named '${name}' does not exist`
        : c.product === 'confluence'
          ? `No user found with username: ${name}`
          : `User ${name} does not exist.`,
      'com.atlassian.bitbucket.user.NoSuchUserException',
    );
  }
  return u;
}

function groupOr404(c: Ctx, name: string) {
  const g = c.model.group(name);
  if (!g) {
    throw new HttpFail(
      404,
      c.product === 'jira'
        ? `Group with name '${name}' does not exist.`
        : c.product === 'confluence'
          ? `No group found with name: ${name}`
          : `Group ${name} does not exist.`,
      'com.atlassian.bitbucket.user.NoSuchGroupException',
    );
  }
  return g;
}

function author(c: Ctx): DcAuthor {
  return { id: c.me.id, name: c.me.name, type: c.product === 'bitbucket' ? 'NORMAL' : 'user' };
}

function write(c: Ctx, r: Omit<DcAuditRecord, 't' | 'product' | 'author' | 'source' | 'method'>): void {
  c.audit.write({ ...r, t: c.now(), product: c.product, author: author(c), source: c.ip, method: 'Rest' });
}

const userObj = (c: Ctx, u: SimUser) => ({ id: u.id, name: u.name, type: 'USER' });

function page<T>(c: Ctx, all: readonly T[], startName = 'start', limitName = 'limit') {
  const start = Math.max(0, Number(c.query.get(startName) ?? 0) || 0);
  const limit = Math.min(1000, Math.max(1, Number(c.query.get(limitName) ?? 25) || 25));
  const values = all.slice(start, start + limit);
  const last = start + values.length >= all.length;
  return { values, start, limit, last };
}

/** Bitbucket's paged answer. */
function bbPage<T>(c: Ctx, all: readonly T[]) {
  const p = page(c, all);
  return {
    size: p.values.length,
    limit: p.limit,
    isLastPage: p.last,
    values: p.values,
    start: p.start,
    ...(p.last ? {} : { nextPageStart: p.start + p.values.length }),
  };
}

/** Confluence's paged answer. */
function cfPage<T>(c: Ctx, all: readonly T[], path: string) {
  const p = page(c, all);
  return {
    results: p.values,
    start: p.start,
    limit: p.limit,
    size: p.values.length,
    _links: {
      base: '',
      context: '/confluence',
      ...(p.last ? {} : { next: `${path}?start=${p.start + p.values.length}&limit=${p.limit}` }),
    },
  };
}

function addMember(c: Ctx, user: SimUser, groupName: string, strict: boolean): void {
  const g = groupOr404(c, groupName);
  const key = user.name.toLowerCase();
  if (g.members.has(key)) {
    if (strict) throw new HttpFail(400, `Cannot add user. '${user.name}' is already a member of '${g.name}'`);
    return;
  }
  g.members.add(key);
  const type =
    c.product === 'jira'
      ? SIM_JIRA.userAddedToGroup
      : c.product === 'confluence'
        ? SIM_CONFLUENCE.userAddedToGroup
        : SIM_BITBUCKET.userAddedToGroup;
  write(c, { type, affected: [{ name: g.name, type: 'GROUP' }, userObj(c, user)] });
}

function removeMember(c: Ctx, user: SimUser, groupName: string, strict: boolean): void {
  const g = groupOr404(c, groupName);
  const key = user.name.toLowerCase();
  if (!g.members.has(key)) {
    if (strict) throw new HttpFail(400, `Cannot remove user '${user.name}' from group '${g.name}' since user is not a member`);
    return;
  }
  g.members.delete(key);
  const type =
    c.product === 'jira'
      ? SIM_JIRA.userRemovedFromGroup
      : c.product === 'confluence'
        ? SIM_CONFLUENCE.userRemovedFromGroup
        : SIM_BITBUCKET.userRemovedFromGroup;
  write(c, { type, affected: [{ name: g.name, type: 'GROUP' }, userObj(c, user)] });
}

const groupsOfUser = (c: Ctx, u: SimUser) =>
  [...c.model.groups.values()].filter((g) => g.members.has(u.name.toLowerCase())).map((g) => g.name).sort();

const membersOfGroup = (c: Ctx, name: string): SimUser[] =>
  [...groupOr404(c, name).members]
    .map((m) => c.model.users.get(m))
    .filter((u): u is SimUser => u !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));

// ---------------------------------------------------------------------------------------------------- Jira
const jiraUser = (c: Ctx, u: SimUser, groups = false) => ({
  self: `/rest/api/2/user?username=${encodeURIComponent(u.name)}`,
  key: u.id,
  name: u.name,
  emailAddress: u.email,
  displayName: u.displayName,
  active: u.active,
  ...(groups ? { groups: { size: groupsOfUser(c, u).length, items: groupsOfUser(c, u).map((name) => ({ name })) } } : {}),
});

export const JIRA_ROUTES: Route[] = [
  {
    method: 'GET',
    path: /^\/rest\/api\/2\/user$/,
    admin: false,
    handle: (c) => {
      const u = userOr404(c, need(c, 'username'));
      return ok(jiraUser(c, u, (c.query.get('expand') ?? '').split(',').includes('groups')));
    },
  },
  {
    method: 'PUT',
    path: /^\/rest\/api\/2\/user$/,
    admin: true,
    handle: (c) => {
      const u = userOr404(c, need(c, 'username'));
      const active = obj(c.body)['active'];
      if (typeof active !== 'boolean') throw new HttpFail(400, 'error.no.value.found.to.be.changed');
      if (u.active !== active) {
        const from = u.active ? 'Active' : 'Inactive';
        u.active = active;
        write(c, {
          type: SIM_JIRA.userUpdated,
          affected: [userObj(c, u)],
          changed: [
            { i18nKey: 'admin.common.phrases.active.inactive', key: 'Active / Inactive', from, to: active ? 'Active' : 'Inactive' },
          ],
        });
      }
      return ok(jiraUser(c, u));
    },
  },
  {
    method: 'GET',
    path: /^\/rest\/api\/2\/group\/member$/,
    admin: true,
    handle: (c) => {
      const includeInactive = c.query.get('includeInactiveUsers') === 'true';
      const all = membersOfGroup(c, need(c, 'groupname')).filter((u) => includeInactive || u.active);
      const p = page(c, all, 'startAt', 'maxResults');
      return ok({
        self: '',
        maxResults: p.limit,
        startAt: p.start,
        total: all.length,
        isLast: p.last,
        values: p.values.map((u) => jiraUser(c, u)),
      });
    },
  },
  {
    method: 'POST',
    path: /^\/rest\/api\/2\/group\/user$/,
    admin: true,
    handle: (c) => {
      const group = need(c, 'groupname');
      const name = obj(c.body)['name'];
      if (typeof name !== 'string') throw new HttpFail(400, 'the request body must name the user: {"name": …}');
      addMember(c, userOr404(c, name), group, true);
      const g = groupOr404(c, group);
      return { status: 201, body: { name: g.name, self: `/rest/api/2/group?groupname=${encodeURIComponent(g.name)}` } };
    },
  },
  {
    method: 'DELETE',
    path: /^\/rest\/api\/2\/group\/user$/,
    admin: true,
    handle: (c) => {
      const group = need(c, 'groupname');
      removeMember(c, userOr404(c, need(c, 'username')), group, true);
      return { status: 200 };
    },
  },
];

// ---------------------------------------------------------------------------------------------- Confluence
const cfUser = (u: SimUser) => ({ type: 'known', username: u.name, userKey: u.id, displayName: u.displayName });

export const CONFLUENCE_ROUTES: Route[] = [
  {
    method: 'GET',
    path: /^\/rest\/api\/user\/memberof$/,
    admin: false,
    handle: (c) => {
      const u = userOr404(c, need(c, 'username'));
      const groups = groupsOfUser(c, u).map((name) => ({ type: 'group', name }));
      return ok(cfPage(c, groups, '/rest/api/user/memberof'));
    },
  },
  {
    method: 'GET',
    path: /^\/rest\/api\/group\/([^/]+)\/member$/,
    admin: false,
    handle: (c) => {
      const name = c.params[0] as string;
      return ok(cfPage(c, membersOfGroup(c, name).map(cfUser), `/rest/api/group/${encodeURIComponent(name)}/member`));
    },
  },
  {
    method: 'PUT',
    path: /^\/rest\/api\/user\/([^/]+)\/group\/([^/]+)$/,
    admin: true,
    handle: (c) => {
      addMember(c, userOr404(c, c.params[0] as string), c.params[1] as string, false);
      return noContent;
    },
  },
  {
    method: 'DELETE',
    path: /^\/rest\/api\/user\/([^/]+)\/group\/([^/]+)$/,
    admin: true,
    handle: (c) => {
      removeMember(c, userOr404(c, c.params[0] as string), c.params[1] as string, false);
      return noContent;
    },
  },
  {
    method: 'PUT',
    path: /^\/rest\/api\/admin\/user\/([^/]+)\/(disable|enable)$/,
    admin: true,
    handle: (c) => {
      const u = userOr404(c, c.params[0] as string);
      const active = c.params[1] === 'enable';
      if (u.active !== active) {
        u.active = active;
        write(c, {
          type: active ? SIM_CONFLUENCE.userActivated : SIM_CONFLUENCE.userDeactivated,
          affected: [{ id: u.id, name: u.name, type: 'User' }],
        });
      }
      return noContent;
    },
  },
];

// ----------------------------------------------------------------------------------------------- Bitbucket
const bbUser = (u: SimUser) => ({
  name: u.name,
  emailAddress: u.email,
  id: Number(u.id),
  displayName: u.displayName,
  active: u.active,
  slug: u.slug,
  type: 'NORMAL',
});

function projectOr404(c: Ctx, key: string): SimProject {
  const p = c.model.project(key);
  if (!p) throw new HttpFail(404, `Project ${key} does not exist.`, 'com.atlassian.bitbucket.project.NoSuchProjectException');
  return p;
}

function repoOr404(c: Ctx, p: SimProject, slug: string): SimRepo {
  const r = p.repos.get(slug);
  if (!r) {
    throw new HttpFail(404, `Repository ${p.key}/${slug} does not exist.`, 'com.atlassian.bitbucket.repository.NoSuchRepositoryException');
  }
  return r;
}

const PROJECT_PERMS = new Set(['PROJECT_READ', 'PROJECT_WRITE', 'PROJECT_ADMIN']);
const REPO_PERMS = new Set(['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN']);

function permissionRoutes(prefix: string, repo: boolean): Route[] {
  const target = (c: Ctx): { users: Map<string, string>; affected: { id?: string; name: string; type: string } } => {
    const p = projectOr404(c, c.params[0] as string);
    if (!repo) return { users: p.users, affected: { name: p.key, type: 'PROJECT' } };
    const r = repoOr404(c, p, c.params[1] as string);
    return { users: r.users, affected: { name: `${p.key}/${r.slug}`, type: 'REPOSITORY' } };
  };
  return [
    {
      method: 'GET',
      path: new RegExp(`^${prefix}/permissions/users$`),
      admin: true,
      handle: (c) => {
        const { users } = target(c);
        const f = (c.query.get('filter') ?? '').toLowerCase();
        const rows = [...users.entries()]
          .map(([name, permission]) => ({ u: c.model.users.get(name), permission }))
          .filter((x): x is { u: SimUser; permission: string } => x.u !== undefined)
          .filter((x) => f === '' || x.u.name.toLowerCase().includes(f) || x.u.displayName.toLowerCase().includes(f))
          .sort((a, b) => a.u.name.localeCompare(b.u.name))
          .map((x) => ({ user: bbUser(x.u), permission: x.permission }));
        return ok(bbPage(c, rows));
      },
    },
    {
      method: 'PUT',
      path: new RegExp(`^${prefix}/permissions/users$`),
      admin: true,
      handle: (c) => {
        const { users, affected } = target(c);
        const permission = need(c, 'permission');
        if (!(repo ? REPO_PERMS : PROJECT_PERMS).has(permission)) throw new HttpFail(400, `Invalid permission ${permission}`);
        const u = userOr404(c, need(c, 'name'));
        const from = users.get(u.name.toLowerCase());
        users.set(u.name.toLowerCase(), permission);
        write(c, {
          type: repo ? SIM_BITBUCKET.repositoryPermissionGranted : SIM_BITBUCKET.projectPermissionGranted,
          affected: [affected, userObj(c, u)],
          changed: [{ key: 'Permission', i18nKey: 'bitbucket.audit.attribute.permission', ...(from ? { from } : {}), to: permission }],
        });
        return noContent;
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${prefix}/permissions/users$`),
      admin: true,
      handle: (c) => {
        const { users, affected } = target(c);
        const u = userOr404(c, need(c, 'name'));
        const from = users.get(u.name.toLowerCase());
        if (from !== undefined) {
          users.delete(u.name.toLowerCase());
          write(c, {
            type: repo ? SIM_BITBUCKET.repositoryPermissionRevoked : SIM_BITBUCKET.projectPermissionRevoked,
            affected: [affected, userObj(c, u)],
            changed: [{ key: 'Permission', i18nKey: 'bitbucket.audit.attribute.permission', from, to: '' }],
          });
        }
        return noContent;
      },
    },
  ];
}

export const BITBUCKET_ROUTES: Route[] = [
  {
    method: 'GET',
    path: /^\/rest\/api\/latest\/admin\/users$/,
    admin: true,
    handle: (c) => {
      const f = (c.query.get('filter') ?? '').toLowerCase();
      const all = [...c.model.users.values()]
        .filter((u) => f === '' || [u.name, u.displayName, u.email].some((s) => s.toLowerCase().includes(f)))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(bbUser);
      return ok(bbPage(c, all));
    },
  },
  {
    method: 'GET',
    path: /^\/rest\/api\/latest\/admin\/users\/more-members$/,
    admin: true,
    handle: (c) => {
      const u = userOr404(c, need(c, 'context'));
      return ok(bbPage(c, groupsOfUser(c, u).map((name) => ({ name, deletable: true }))));
    },
  },
  {
    method: 'GET',
    path: /^\/rest\/api\/latest\/admin\/groups\/more-members$/,
    admin: true,
    handle: (c) => ok(bbPage(c, membersOfGroup(c, need(c, 'context')).map(bbUser))),
  },
  {
    method: 'POST',
    path: /^\/rest\/api\/latest\/admin\/users\/add-groups$/,
    admin: true,
    handle: (c) => {
      const b = obj(c.body);
      const user = b['user'];
      const groups = b['groups'];
      if (typeof user !== 'string' || !Array.isArray(groups)) throw new HttpFail(400, 'user and groups are required');
      const u = userOr404(c, user);
      for (const g of groups) groupOr404(c, String(g));
      for (const g of groups) addMember(c, u, String(g), false);
      return noContent;
    },
  },
  {
    method: 'POST',
    path: /^\/rest\/api\/latest\/admin\/users\/remove-group$/,
    admin: true,
    handle: (c) => {
      const b = obj(c.body);
      const user = b['context'];
      const group = b['itemName'];
      if (typeof user !== 'string' || typeof group !== 'string') throw new HttpFail(400, 'context and itemName are required');
      removeMember(c, userOr404(c, user), group, false);
      return noContent;
    },
  },
  {
    method: 'GET',
    path: /^\/rest\/access-tokens\/latest\/users\/([^/]+)$/,
    admin: true,
    handle: (c) => {
      const u = c.model.bySlug(c.params[0] as string);
      if (!u) throw new HttpFail(404, `User ${c.params[0] as string} does not exist.`, 'com.atlassian.bitbucket.user.NoSuchUserException');
      const toks = c.model.tokens
        .filter((t) => t.owner === u.name.toLowerCase())
        .map((t) => ({ id: t.id, name: t.name, createdDate: t.created, permissions: ['REPO_ADMIN'], user: bbUser(u) }));
      return ok(bbPage(c, toks));
    },
  },
  {
    method: 'DELETE',
    path: /^\/rest\/access-tokens\/latest\/users\/([^/]+)\/([^/]+)$/,
    admin: true,
    handle: (c) => {
      const u = c.model.bySlug(c.params[0] as string);
      if (!u) throw new HttpFail(404, `User ${c.params[0] as string} does not exist.`, 'com.atlassian.bitbucket.user.NoSuchUserException');
      const tok = c.model.tokens.find((t) => t.id === c.params[1] && t.owner === u.name.toLowerCase());
      if (!tok) throw new HttpFail(404, `No access token with id ${c.params[1] as string}`, 'com.atlassian.bitbucket.NoSuchEntityException');
      c.model.removeToken(tok.id);
      write(c, {
        type: SIM_BITBUCKET.accessTokenDeleted,
        affected: [userObj(c, u)],
        extra: [{ name: 'Token name', nameI18nKey: 'bitbucket.access.tokens.audit.attribute.token.name', value: tok.name }],
      });
      return noContent;
    },
  },
  {
    method: 'GET',
    path: /^\/rest\/ssh\/latest\/keys$/,
    admin: true,
    handle: (c) => {
      const u = userOr404(c, need(c, 'user'));
      const keys = c.model.sshKeys
        .filter((k) => k.owner === u.name.toLowerCase())
        .map((k) => ({ key: { id: k.id, text: k.text, label: k.label } }));
      return ok(bbPage(c, keys));
    },
  },
  {
    method: 'DELETE',
    path: /^\/rest\/ssh\/latest\/keys$/,
    admin: true,
    handle: (c) => {
      const u = userOr404(c, need(c, 'user'));
      const mine = c.model.sshKeys.filter((k) => k.owner === u.name.toLowerCase());
      for (const k of mine) {
        c.model.sshKeys.splice(c.model.sshKeys.indexOf(k), 1);
        write(c, {
          type: SIM_BITBUCKET.sshKeyRemoved,
          affected: [userObj(c, u)],
          extra: [{ name: 'Key label', nameI18nKey: 'bitbucket.ssh.audit.attribute.key.label', value: k.label }],
        });
      }
      return noContent;
    },
  },
  {
    method: 'GET',
    path: /^\/rest\/api\/latest\/projects$/,
    admin: false,
    handle: (c) =>
      ok(
        bbPage(
          c,
          [...c.model.projects.values()]
            .sort((a, b) => a.key.localeCompare(b.key))
            .map((p, i) => ({ key: p.key, id: i + 1, name: p.name, public: false, type: 'NORMAL' })),
        ),
      ),
  },
  {
    method: 'GET',
    path: /^\/rest\/api\/latest\/projects\/([^/]+)\/repos$/,
    admin: false,
    handle: (c) => {
      const p = projectOr404(c, c.params[0] as string);
      return ok(
        bbPage(
          c,
          [...p.repos.values()]
            .sort((a, b) => a.slug.localeCompare(b.slug))
            .map((r) => ({ slug: r.slug, name: r.name, project: { key: p.key } })),
        ),
      );
    },
  },
  ...permissionRoutes('/rest/api/latest/projects/([^/]+)', false),
  ...permissionRoutes('/rest/api/latest/projects/([^/]+)/repos/([^/]+)', true),
];

export const ROUTES: Record<DcProduct, Route[]> = {
  jira: JIRA_ROUTES,
  confluence: CONFLUENCE_ROUTES,
  bitbucket: BITBUCKET_ROUTES,
};
