/**
 * The REST endpoints the Bulkhead Forge app calls, answered from the CloudSim state. Request parameters,
 * response shapes and status codes follow the Atlassian REST docs (Jira platform v3, Confluence v1, Bitbucket
 * 2.0, Admin API v1/v2, User management API) as summarised in forge-platform.md §F; error bodies use each
 * product's JSON error shape (Jira `{errorMessages, errors}`, Confluence `{statusCode, message}`, Bitbucket
 * `{type:'error', error:{message}}`, Admin API `{code, message}`).
 *
 * Jira:        GET  /rest/api/3/auditing/record (offset, limit ≤1000, filter, from, to; newest first)
 *              GET  /rest/api/3/user?accountId[&expand=groups]   GET /rest/api/3/user/groups?accountId
 *              GET  /rest/api/3/group/member?groupId|groupname&startAt&maxResults≤50&includeInactiveUsers
 *              POST /rest/api/3/group/user?groupId|groupname {accountId}   DELETE /rest/api/3/group/user?…&accountId
 *              GET  /rest/api/3/mypermissions?permissions=…   GET /rest/api/3/myself
 *              POST /rest/api/3/issue   GET /rest/api/3/issue/{key}
 * Confluence:  GET  /wiki/rest/api/audit (startDate, endDate epoch ms, searchString, start, limit ≤1000)
 *              GET  /wiki/rest/api/user?accountId   GET /wiki/rest/api/user/memberof?accountId
 *              GET  /wiki/rest/api/group/{groupId}/membersByGroupId
 *              POST /wiki/rest/api/group/userByGroupId?groupId {accountId}   DELETE …/userByGroupId?groupId&accountId
 * Bitbucket:   GET  /2.0/repositories/{ws}/{repo}/permissions-config/users[/{selected_user_id}]
 *              PUT|DELETE /2.0/repositories/{ws}/{repo}/permissions-config/users/{selected_user_id}
 *              GET  /2.0/workspaces/{ws}/members   GET /2.0/repositories/{ws}/{repo}/pullrequests/{id}
 * Admin API (api.atlassian.com, organization API key as Bearer):
 *              POST /admin/v1/orgs/{orgId}/directory/users/{accountId}/suspend-access | restore-access
 *              POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend | restore
 *              GET  /admin/v1/orgs/{orgId}/events (from, to, action, cursor, limit; newest first)
 *              GET  /admin/v1/orgs/{orgId}/events-stream (from, to epoch ms, cursor, limit, sortOrder asc|desc)
 *              GET  /users/{accountId}/manage/api-tokens   DELETE /users/{accountId}/manage/api-tokens/{tokenId}
 * Stargate (requestAtlassian/requestGraph): the Admin API has no Forge scope, so /admin/* answers 403 there.
 */
import type { HarnessRequest, HarnessResponse } from '../forge-harness';
import { CloudSimError, type Group, type SimUser } from './model';
import type { CloudSim } from './site';
import { jiraTime as jiraTimeOf } from './records';

type Res = HarnessResponse;

function jiraErr(status: number, message: string): Res {
  return { status, body: { errorMessages: [message], errors: {} } };
}
function confErr(status: number, message: string): Res {
  return {
    status,
    body: {
      statusCode: status,
      data: { authorized: status !== 403 && status !== 401, valid: true, errors: [], successful: false },
      message,
    },
  };
}
function bbErr(status: number, message: string): Res {
  return { status, body: { type: 'error', error: { message } } };
}
function adminErr(status: number, message: string): Res {
  return { status, body: { code: status, message } };
}

/** Who is calling: the app user (asApp), the named user (asUser), or nobody. */
function caller(sim: CloudSim, req: HarnessRequest): SimUser | undefined {
  if (req.provider === 'app') return sim.appUser;
  if (req.provider === 'user' && req.accountId) {
    return sim.canAuthenticate(req.accountId) ? sim.user(req.accountId) : undefined;
  }
  return undefined;
}

function intParam(q: URLSearchParams, name: string, dflt: number, max?: number): number {
  const v = q.get(name);
  const n = v === null ? dflt : Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 0) return dflt;
  return max !== undefined ? Math.min(n, max) : n;
}

function mapErr(e: unknown, fmt: (s: number, m: string) => Res): Res {
  if (e instanceof CloudSimError) return fmt(e.status, e.message);
  throw e;
}

function jiraUser(sim: CloudSim, u: SimUser, withGroups: boolean): Record<string, unknown> {
  const groups = sim.groupsOf(u.accountId);
  return {
    self: `${sim.hostName}/rest/api/3/user?accountId=${u.accountId}`,
    accountId: u.accountId,
    accountType: u.accountType,
    ...(u.email ? { emailAddress: u.email } : {}),
    displayName: u.displayName,
    active: u.active && !u.suspended,
    timeZone: 'Etc/UTC',
    locale: 'en_US',
    groups: withGroups
      ? { size: groups.length, items: groups.map((g) => jiraGroupRef(sim, g)) }
      : { size: groups.length, items: [] },
    applicationRoles: { size: 0, items: [] },
  };
}

function jiraGroupRef(sim: CloudSim, g: Group): Record<string, unknown> {
  return { name: g.name, groupId: g.groupId, self: `${sim.hostName}/rest/api/3/group?groupId=${g.groupId}` };
}

function findGroup(sim: CloudSim, q: URLSearchParams): Group | undefined {
  const id = q.get('groupId');
  if (id) return sim.groups.get(id);
  const name = q.get('groupname');
  return name ? sim.groupByName(name) : undefined;
}

function parseTime(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isFinite(t) ? t : undefined;
}

// ---- Jira -----------------------------------------------------------------------------------------------

export function routeJira(sim: CloudSim, req: HarnessRequest): Res {
  const who = caller(sim, req);
  if (!who) return jiraErr(401, 'Client must be authenticated to access this resource.');
  const { pathname: p, query: q, method } = req;
  try {
    if (method === 'GET' && p === '/rest/api/3/auditing/record') return jiraAudit(sim, who, q);
    if (method === 'GET' && p === '/rest/api/3/myself')
      return { status: 200, body: jiraUser(sim, who, true) };
    if (method === 'GET' && p === '/rest/api/3/user') {
      const u = sim.user(q.get('accountId') ?? '');
      if (!u) return jiraErr(404, `Specified user does not exist or you do not have required permissions`);
      return { status: 200, body: jiraUser(sim, u, (q.get('expand') ?? '').includes('groups')) };
    }
    if (method === 'GET' && p === '/rest/api/3/user/groups') {
      const u = sim.user(q.get('accountId') ?? '');
      if (!u) return jiraErr(404, 'Specified user does not exist or you do not have required permissions');
      return { status: 200, body: sim.groupsOf(u.accountId).map((g) => jiraGroupRef(sim, g)) };
    }
    if (method === 'GET' && p === '/rest/api/3/group/member') {
      if (!sim.isJiraAdmin(who.accountId))
        return jiraErr(403, 'You do not have permission to view group members.');
      const g = findGroup(sim, q);
      if (!g) return jiraErr(404, 'Specified group does not exist.');
      const includeInactive = q.get('includeInactiveUsers') === 'true';
      const members = [...g.members]
        .map((id) => sim.user(id)!)
        .filter((u) => includeInactive || (u.active && !u.suspended))
        .sort((a, b) => a.accountId.localeCompare(b.accountId));
      const startAt = intParam(q, 'startAt', 0);
      const maxResults = intParam(q, 'maxResults', 50, 50);
      const values = members.slice(startAt, startAt + maxResults).map((u) => ({
        self: `${sim.hostName}/rest/api/3/user?accountId=${u.accountId}`,
        accountId: u.accountId,
        accountType: u.accountType,
        displayName: u.displayName,
        active: u.active && !u.suspended,
        ...(u.email ? { emailAddress: u.email } : {}),
      }));
      const isLast = startAt + maxResults >= members.length;
      return {
        status: 200,
        body: {
          self: `${sim.hostName}${req.path}`,
          ...(isLast
            ? {}
            : {
                nextPage: `${sim.hostName}/rest/api/3/group/member?groupId=${g.groupId}&startAt=${startAt + maxResults}&maxResults=${maxResults}`,
              }),
          maxResults,
          startAt,
          total: members.length,
          isLast,
          values,
        },
      };
    }
    if (p === '/rest/api/3/group/user' && (method === 'POST' || method === 'DELETE')) {
      const g = findGroup(sim, q);
      if (!g) return jiraErr(404, 'Specified group does not exist.');
      if (method === 'POST') {
        const accountId = (req.json as { accountId?: string } | undefined)?.accountId ?? '';
        sim.addToGroup(who.accountId, accountId, g);
        return {
          status: 201,
          body: {
            ...jiraGroupRef(sim, g),
            users: { size: g.members.size, items: [], 'max-results': 50, 'start-index': 0, 'end-index': 0 },
            expand: 'users',
          },
        };
      }
      const accountId = q.get('accountId') ?? '';
      if (!accountId) return jiraErr(400, 'accountId is required');
      sim.removeFromGroup(who.accountId, accountId, g);
      return { status: 200 };
    }
    if (method === 'GET' && p === '/rest/api/3/mypermissions') {
      const keys = (q.get('permissions') ?? '').split(',').filter(Boolean);
      const perms: Record<string, unknown> = {};
      for (const k of keys) {
        const have =
          k === 'ADMINISTER'
            ? sim.isJiraAdmin(who.accountId)
            : k === 'SYSTEM_ADMIN'
              ? sim.isSiteAdmin(who.accountId)
              : sim.canAuthenticate(who.accountId);
        perms[k] = {
          id: k === 'ADMINISTER' ? '0' : k === 'SYSTEM_ADMIN' ? '44' : '10',
          key: k,
          name: k,
          type: 'GLOBAL',
          description: '',
          havePermission: have,
        };
      }
      return { status: 200, body: { permissions: perms } };
    }
    if (method === 'POST' && p === '/rest/api/3/issue') {
      const f = ((req.json as { fields?: Record<string, unknown> } | undefined)?.fields ?? {}) as {
        project?: { key?: string };
        summary?: string;
        description?: unknown;
      };
      if (!f.project?.key || !f.summary)
        return {
          status: 400,
          body: { errorMessages: [], errors: { summary: 'You must specify a summary of the issue.' } },
        };
      const is = sim.createIssue(who.accountId, f.project.key, f.summary, f.description);
      return {
        status: 201,
        body: { id: is.id, key: is.key, self: `${sim.hostName}/rest/api/3/issue/${is.id}` },
      };
    }
    const comment = /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/.exec(p);
    if (method === 'POST' && comment) {
      const is =
        sim.issues.get(decodeURIComponent(comment[1]!)) ??
        [...sim.issues.values()].find((i) => i.id === comment[1]);
      if (!is) return jiraErr(404, 'Issue does not exist or you do not have permission to see it.');
      const body = (req.json as { body?: unknown } | undefined)?.body;
      const c = sim.addComment(who.accountId, is.key, body);
      return {
        status: 201,
        body: { id: c.id, body, author: { accountId: who.accountId }, created: jiraTimeOf(sim.now()) },
      };
    }
    const issueMatch = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(p);
    if (method === 'GET' && issueMatch) {
      const is =
        sim.issues.get(decodeURIComponent(issueMatch[1]!)) ??
        [...sim.issues.values()].find((i) => i.id === issueMatch[1]);
      if (!is) return jiraErr(404, 'Issue does not exist or you do not have permission to see it.');
      return {
        status: 200,
        body: {
          id: is.id,
          key: is.key,
          fields: {
            summary: is.summary,
            project: { key: is.projectKey },
            description: (is as { description?: unknown }).description ?? null,
          },
        },
      };
    }
    return jiraErr(404, `No simulated Jira endpoint ${method} ${p}`);
  } catch (e) {
    return mapErr(e, jiraErr);
  }
}

function matchesTerms(text: string, terms: string[]): boolean {
  const t = text.toLowerCase();
  return terms.every((x) => t.includes(x));
}

function jiraAudit(sim: CloudSim, who: SimUser, q: URLSearchParams): Res {
  if (!sim.isJiraAdmin(who.accountId))
    return jiraErr(403, 'You do not have permission to view the audit log.');
  const now = sim.now();
  const from = parseTime(q.get('from'));
  const to = parseTime(q.get('to'));
  const terms = (q.get('filter') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const offset = intParam(q, 'offset', 0);
  const limit = intParam(q, 'limit', 1000, 1000);
  const all = sim.jiraAudit
    .filter((s) => s.visibleAt <= now)
    .map((s) => s.rec)
    .filter((r) => {
      const t = Date.parse(r.created.replace('+0000', 'Z'));
      if (from !== undefined && t < from) return false;
      if (to !== undefined && t > to) return false;
      if (terms.length === 0) return true;
      const hay = [
        r.summary,
        r.category,
        r.remoteAddress,
        r.authorAccountId ?? '',
        r.objectItem?.name ?? '',
        ...r.associatedItems.map((a) => a.name),
        ...r.changedValues.map((c) => `${c.fieldName} ${c.changedFrom ?? ''} ${c.changedTo ?? ''}`),
      ].join(' ');
      return matchesTerms(hay, terms);
    })
    .sort((a, b) => b.id - a.id);
  return {
    status: 200,
    body: { offset, limit, total: all.length, records: all.slice(offset, offset + limit) },
  };
}

// ---- Confluence -----------------------------------------------------------------------------------------

function confUser(u: SimUser): Record<string, unknown> {
  return {
    type: 'known',
    accountId: u.accountId,
    accountType: u.accountType,
    email: u.email ?? '',
    publicName: u.displayName,
    displayName: u.displayName,
    isExternalCollaborator: false,
  };
}

function confMembers(sim: CloudSim, g: Group, q: URLSearchParams): Res {
  const start = intParam(q, 'start', 0);
  const limit = intParam(q, 'limit', 200, 200);
  const list = [...g.members].sort().map((id) => sim.user(id)!);
  const results = list.slice(start, start + limit).map(confUser);
  return { status: 200, body: { results, start, limit, size: results.length } };
}

export function routeConfluence(sim: CloudSim, req: HarnessRequest): Res {
  const who = caller(sim, req);
  if (!who) return confErr(401, 'This request requires authentication');
  const { pathname: p, query: q, method } = req;
  try {
    if (method === 'GET' && p === '/wiki/rest/api/audit') {
      if (!sim.isConfluenceAdmin(who.accountId))
        return confErr(403, 'User is not permitted to view the audit log');
      const now = sim.now();
      const start = intParam(q, 'start', 0);
      const limit = intParam(q, 'limit', 1000, 1000);
      const from = parseTime(q.get('startDate'));
      const to = parseTime(q.get('endDate'));
      const terms = (q.get('searchString') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
      const all = sim.confluenceAudit
        .filter((s) => s.visibleAt <= now)
        .map((s) => s.rec)
        .filter(
          (r) => (from === undefined || r.creationDate >= from) && (to === undefined || r.creationDate <= to),
        )
        .filter(
          (r) =>
            terms.length === 0 ||
            matchesTerms(
              `${r.summary} ${r.category} ${r.affectedObject.name} ${r.associatedObjects.map((a) => a.name).join(' ')}`,
              terms,
            ),
        )
        .reverse();
      const results = all.slice(start, start + limit);
      return {
        status: 200,
        body: {
          results,
          start,
          limit,
          size: results.length,
          _links: { base: `${sim.hostName}/wiki`, context: '/wiki', self: `${sim.hostName}${req.path}` },
        },
      };
    }
    if (method === 'GET' && p === '/wiki/rest/api/user') {
      const u = sim.user(q.get('accountId') ?? '');
      return u ? { status: 200, body: confUser(u) } : confErr(404, 'No user found');
    }
    if (method === 'GET' && p === '/wiki/rest/api/user/memberof') {
      const u = sim.user(q.get('accountId') ?? '');
      if (!u) return confErr(404, 'No user found');
      const results = sim.groupsOf(u.accountId).map((g) => ({ type: 'group', name: g.name, id: g.groupId }));
      return { status: 200, body: { results, start: 0, limit: 200, size: results.length } };
    }
    const members = /^\/wiki\/rest\/api\/group\/([^/]+)\/membersByGroupId$/.exec(p);
    if (method === 'GET' && members) {
      const g = sim.groups.get(decodeURIComponent(members[1]!));
      if (!g) return confErr(404, 'Group not found');
      return confMembers(sim, g, q);
    }
    if (method === 'GET' && p === '/wiki/rest/api/user/current') {
      const ops = [
        ...(sim.canAuthenticate(who.accountId) ? [{ operation: 'use', targetType: 'application' }] : []),
        ...(sim.isConfluenceAdmin(who.accountId)
          ? [{ operation: 'administer', targetType: 'application' }]
          : []),
      ];
      return {
        status: 200,
        body: {
          ...confUser(who),
          ...((q.get('expand') ?? '').includes('operations') ? { operations: ops } : {}),
        },
      };
    }
    const spaceOps = /^\/wiki\/api\/v2\/spaces\/([^/]+)\/operations$/.exec(p);
    if (method === 'GET' && spaceOps) {
      const s = [...sim.spaces.values()].find((x) => String(x.id) === decodeURIComponent(spaceOps[1]!));
      if (!s) return confErr(404, 'Space not found');
      const mine = s.permissions.get(who.accountId) ?? new Set<string>();
      const operations = [
        { operation: 'read', targetType: 'space' },
        ...(sim.isConfluenceAdmin(who.accountId) || mine.has('administer')
          ? [{ operation: 'administer', targetType: 'space' }]
          : []),
        ...(mine.has('export') ? [{ operation: 'export', targetType: 'space' }] : []),
      ];
      return { status: 200, body: { operations } };
    }
    if (method === 'GET' && p === '/wiki/rest/api/group/member') {
      const g = sim.groupByName(q.get('name') ?? '');
      if (!g) return confErr(404, 'Group not found');
      return confMembers(sim, g, q);
    }
    // Membership changes, the group named by name or by id: POST adds the body's accountId, DELETE removes the query's.
    if (
      (p === '/wiki/rest/api/group/user' || p === '/wiki/rest/api/group/userByGroupId') &&
      (method === 'POST' || method === 'DELETE')
    ) {
      const g =
        p === '/wiki/rest/api/group/user'
          ? sim.groupByName(q.get('name') ?? '')
          : sim.groups.get(q.get('groupId') ?? '');
      if (!g) return confErr(404, 'Group not found');
      if (method === 'POST') {
        sim.addToGroup(who.accountId, (req.json as { accountId?: string } | undefined)?.accountId ?? '', g);
        return { status: 201 };
      }
      sim.removeFromGroup(who.accountId, q.get('accountId') ?? '', g);
      return { status: 204 };
    }
    return confErr(404, `No simulated Confluence endpoint ${method} ${p}`);
  } catch (e) {
    return mapErr(e, confErr);
  }
}

// ---- Bitbucket ------------------------------------------------------------------------------------------

export function routeBitbucket(sim: CloudSim, req: HarnessRequest): Res {
  const who = caller(sim, req);
  if (!who) return bbErr(401, 'Authentication required');
  const { pathname: p, method } = req;
  const isApp = who.accountId === sim.appUser.accountId;
  const perm = /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/permissions-config\/users(?:\/([^/]+))?$/.exec(p);
  if (perm) {
    const [, ws, slug, sel] = perm;
    const repo = sim.repos.get(decodeURIComponent(slug!));
    if (decodeURIComponent(ws!) !== sim.workspace.slug && decodeURIComponent(ws!) !== sim.workspace.uuid)
      return bbErr(404, 'Workspace not found');
    if (!repo) return bbErr(404, 'Repository not found');
    if (!isApp && sim.repoPermission(who.accountId, repo) !== 'admin')
      return bbErr(403, 'You do not have admin access to this repository.');
    const entry = (accountId: string, permission: string): Record<string, unknown> => {
      const u = sim.user(accountId);
      return {
        type: 'repository_user_permission',
        permission,
        user: {
          type: 'user',
          account_id: accountId,
          uuid: sim.bitbucketUuid(accountId),
          display_name: u?.displayName ?? accountId,
        },
        repository: { type: 'repository', full_name: `${sim.workspace.slug}/${repo.slug}`, uuid: repo.uuid },
      };
    };
    const resolve = (s: string): string | undefined => {
      const id = decodeURIComponent(s);
      if (sim.user(id)) return id;
      for (const u of sim.users.values()) if (sim.bitbucketUuid(u.accountId) === id) return u.accountId;
      return undefined;
    };
    if (!sel) {
      if (method !== 'GET') return bbErr(405, 'Method not allowed');
      const values = [...repo.permissions]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, pm]) => entry(id, pm));
      return { status: 200, body: { pagelen: 100, size: values.length, page: 1, values } };
    }
    const accountId = resolve(sel);
    if (!accountId) return bbErr(404, 'User not found');
    try {
      if (method === 'GET') {
        const pm = repo.permissions.get(accountId);
        return pm
          ? { status: 200, body: entry(accountId, pm) }
          : bbErr(404, 'No explicit permission for this user');
      }
      if (method === 'DELETE') {
        if (!repo.permissions.has(accountId)) return bbErr(404, 'No explicit permission for this user');
        sim.setRepoPermission(who.accountId, repo.slug, accountId, undefined);
        return { status: 204 };
      }
      if (method === 'PUT') {
        const pm = (req.json as { permission?: string } | undefined)?.permission;
        if (pm !== 'read' && pm !== 'write' && pm !== 'admin')
          return bbErr(400, 'permission must be read, write or admin');
        const existed = repo.permissions.has(accountId);
        sim.setRepoPermission(who.accountId, repo.slug, accountId, pm);
        return { status: existed ? 200 : 201, body: entry(accountId, pm) };
      }
    } catch (e) {
      return mapErr(e, bbErr);
    }
    return bbErr(405, 'Method not allowed');
  }
  const wsPerms = /^\/2\.0\/workspaces\/([^/]+)\/permissions\/repositories$/.exec(p);
  if (method === 'GET' && wsPerms) {
    if (!isApp && !sim.workspace.admins.has(who.accountId))
      return bbErr(403, 'You must be a workspace admin');
    const conds = bbQuery(req.query.get('q'));
    const rows: Record<string, unknown>[] = [];
    for (const repo of [...sim.repos.values()].sort((a, b) => a.slug.localeCompare(b.slug))) {
      for (const [id, pm] of [...repo.permissions].sort(([a], [b]) => a.localeCompare(b))) {
        const row = {
          type: 'repository_permission',
          permission: pm,
          user: {
            type: 'user',
            account_id: id,
            uuid: sim.bitbucketUuid(id),
            display_name: sim.user(id)?.displayName ?? id,
          },
          repository: {
            type: 'repository',
            full_name: `${sim.workspace.slug}/${repo.slug}`,
            name: repo.name,
            uuid: repo.uuid,
          },
        };
        if (bbMatches(row, conds)) rows.push(row);
      }
    }
    return bbPage(sim, req, rows);
  }
  if (method === 'GET' && p === '/2.0/user/permissions/workspaces') {
    const perm = sim.workspace.admins.has(who.accountId)
      ? 'owner'
      : sim.workspace.members.has(who.accountId)
        ? 'collaborator'
        : undefined;
    const rows = perm
      ? [
          {
            type: 'workspace_membership',
            permission: perm,
            user: { type: 'user', account_id: who.accountId, uuid: sim.bitbucketUuid(who.accountId) },
            workspace: { type: 'workspace', slug: sim.workspace.slug, uuid: sim.workspace.uuid },
          },
        ]
      : [];
    return bbPage(
      sim,
      req,
      rows.filter((r) => bbMatches(r, bbQuery(req.query.get('q')))),
    );
  }
  if (method === 'GET' && p === '/2.0/user/permissions/repositories') {
    const rows: Record<string, unknown>[] = [];
    for (const repo of sim.repos.values()) {
      const pm = sim.repoPermission(who.accountId, repo);
      if (!pm) continue;
      rows.push({
        type: 'repository_permission',
        permission: pm,
        user: { type: 'user', account_id: who.accountId, uuid: sim.bitbucketUuid(who.accountId) },
        repository: {
          type: 'repository',
          full_name: `${sim.workspace.slug}/${repo.slug}`,
          name: repo.name,
          uuid: repo.uuid,
        },
      });
    }
    return bbPage(
      sim,
      req,
      rows.filter((r) => bbMatches(r, bbQuery(req.query.get('q')))),
    );
  }
  const members = /^\/2\.0\/workspaces\/([^/]+)\/members$/.exec(p);
  if (method === 'GET' && members) {
    const values = [...sim.workspace.members].sort().map((id) => ({
      type: 'workspace_membership',
      user: {
        type: 'user',
        account_id: id,
        uuid: sim.bitbucketUuid(id),
        display_name: sim.user(id)?.displayName ?? id,
      },
      workspace: { type: 'workspace', slug: sim.workspace.slug, uuid: sim.workspace.uuid },
    }));
    return { status: 200, body: { pagelen: 100, size: values.length, page: 1, values } };
  }
  const pr = /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/pullrequests\/(\d+)$/.exec(p);
  if (method === 'GET' && pr) {
    const repo = sim.repos.get(decodeURIComponent(pr[2]!));
    const x = repo?.pullRequests.find((y) => y.id === Number(pr[3]));
    if (!repo || !x) return bbErr(404, 'Pull request not found');
    return {
      status: 200,
      body: {
        type: 'pullrequest',
        id: x.id,
        title: x.title,
        state: x.state,
        author: { type: 'user', account_id: x.authorAccountId, uuid: sim.bitbucketUuid(x.authorAccountId) },
        source: { branch: { name: x.source } },
        destination: { branch: { name: x.destination } },
      },
    };
  }
  return bbErr(404, `No simulated Bitbucket endpoint ${method} ${p}`);
}

/** Bitbucket's `q` filter, the subset of its query language used here: `a.b="x"` terms joined by AND. */
function bbQuery(q: string | null): { path: string[]; value: string }[] {
  if (!q) return [];
  return q.split(/\s+AND\s+/i).map((term) => {
    const m = /^\s*([\w.]+)\s*=\s*"([^"]*)"\s*$/.exec(term);
    if (!m) throw new Error(`unsupported Bitbucket query term ${term}`);
    return { path: m[1]!.split('.'), value: m[2]! };
  });
}

function bbMatches(row: Record<string, unknown>, conds: { path: string[]; value: string }[]): boolean {
  return conds.every((c) => {
    let v: unknown = row;
    for (const k of c.path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return v === c.value;
  });
}

function bbPage(sim: CloudSim, req: HarnessRequest, rows: Record<string, unknown>[]): Res {
  const pagelen = intParam(req.query, 'pagelen', 10, 100) || 10;
  const page = Math.max(1, intParam(req.query, 'page', 1));
  const values = rows.slice((page - 1) * pagelen, page * pagelen);
  const next = page * pagelen < rows.length ? new URL(`https://api.bitbucket.org${req.pathname}`) : undefined;
  if (next) {
    for (const [k, v] of req.query) if (k !== 'page') next.searchParams.set(k, v);
    next.searchParams.set('page', String(page + 1));
  }
  void sim;
  return {
    status: 200,
    body: { pagelen, size: rows.length, page, values, ...(next ? { next: next.href } : {}) },
  };
}

// ---- stargate -------------------------------------------------------------------------------------------

export function routeStargate(_sim: CloudSim, req: HarnessRequest): Res {
  if (req.pathname.startsWith('/admin/')) {
    return adminErr(
      403,
      'The Admin API has no Forge scope: call api.atlassian.com with the organization API key (external fetch)',
    );
  }
  return { status: 501, body: { errors: [{ message: `stargate path ${req.pathname} is not simulated` }] } };
}

// ---- Admin API and User management API (api.atlassian.com) ---------------------------------------------

function encodeCursor(n: number): string {
  return Buffer.from(`c:${n}`).toString('base64url');
}
function decodeCursor(c: string | null): number | undefined {
  if (!c) return undefined;
  const m = /^c:(-?\d+)$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

export function routeAdmin(sim: CloudSim, req: HarnessRequest): Res {
  const auth = req.headers.authorization ?? '';
  const key = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
  if (!key || !sim.org.apiKeys.has(key)) return adminErr(401, 'Unauthorized');
  const { pathname: p, query: q, method } = req;
  const orgPath = /^\/admin\/v[12]\/orgs\/([^/]+)(\/.*)$/.exec(p);
  try {
    if (orgPath) {
      if (decodeURIComponent(orgPath[1]!) !== sim.org.orgId) return adminErr(404, 'Organization not found');
      const rest = orgPath[2]!;
      const v1 = /^\/directory\/users\/([^/]+)\/(suspend-access|restore-access)$/.exec(rest);
      const v2 = /^\/directories\/([^/]+)\/users\/([^/]+)\/(suspend|restore)$/.exec(rest);
      if (method === 'POST' && (v1 || v2)) {
        if (v2 && decodeURIComponent(v2[1]!) !== sim.org.directoryId)
          return adminErr(404, 'Directory not found');
        const accountId = decodeURIComponent((v1 ? v1[1] : v2![2])!);
        const suspend = (v1 ? v1[2] : v2![3])!.startsWith('suspend');
        const u = sim.user(accountId);
        if (!u) return adminErr(404, 'User not found');
        sim.setSuspended(accountId, suspend);
        return {
          status: 200,
          body: { message: `${suspend ? 'Suspended' : 'Restored'} access for ${accountId}` },
        };
      }
      if (method === 'GET' && rest === '/events') return orgEvents(sim, q, false);
      if (method === 'GET' && rest === '/events-stream') return orgEvents(sim, q, true);
      return adminErr(404, `No simulated Admin API endpoint ${method} ${p}`);
    }
    const tokens = /^\/users\/([^/]+)\/manage\/api-tokens(?:\/([^/]+))?$/.exec(p);
    if (tokens) {
      const accountId = decodeURIComponent(tokens[1]!);
      if (!sim.user(accountId)) return adminErr(404, 'User not found');
      if (method === 'GET' && !tokens[2]) {
        const list = [...sim.tokens.values()]
          .filter((t) => t.accountId === accountId && t.revokedAt === undefined)
          .map((t) => ({
            id: t.id,
            label: t.label,
            createdAt: new Date(t.createdAt).toISOString(),
            expiresAt: new Date(t.expiresAt).toISOString(),
            lastAccess: null,
          }));
        return { status: 200, body: list };
      }
      if (method === 'DELETE' && tokens[2]) {
        const t = sim.tokens.get(decodeURIComponent(tokens[2]));
        if (!t || t.accountId !== accountId || t.revokedAt !== undefined)
          return adminErr(404, 'Token not found');
        sim.revokeApiToken(
          {
            accountId: 'org-api-key',
            displayName: 'Organization API key',
            accountType: 'atlassian',
            active: true,
            suspended: false,
            createdAt: 0,
          },
          t.id,
        );
        return { status: 204 };
      }
    }
    return adminErr(404, `No simulated endpoint ${method} ${p}`);
  } catch (e) {
    return mapErr(e, adminErr);
  }
}

function orgEvents(sim: CloudSim, q: URLSearchParams, stream: boolean): Res {
  const now = sim.now();
  const from = parseTime(q.get('from'));
  const to = parseTime(q.get('to'));
  const action = q.get('action');
  const limit = intParam(q, 'limit', stream ? 100 : 100, stream ? 1000 : 500);
  const asc = stream && (q.get('sortOrder') ?? 'asc') === 'asc';
  const visible = sim.orgEvents
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.visibleAt <= now)
    .filter(({ s }) => {
      const t = Date.parse(s.rec.attributes.time);
      return (
        (from === undefined || t >= from) &&
        (to === undefined || t <= to) &&
        (!action || s.rec.attributes.action === action)
      );
    });
  // Cursor = index of the last event returned; a stream cursor can be reused after the last page to poll for new events.
  const cursor = decodeCursor(q.get('cursor'));
  const ordered = asc ? visible : [...visible].reverse();
  const after = cursor === undefined ? ordered : ordered.filter(({ i }) => (asc ? i > cursor : i < cursor));
  const page = after.slice(0, limit);
  const last = page[page.length - 1];
  const more = after.length > page.length;
  const next = last ? encodeCursor(last.i) : stream ? (q.get('cursor') ?? undefined) : undefined;
  const base = `https://api.atlassian.com/admin/v1/orgs/${sim.org.orgId}/${stream ? 'events-stream' : 'events'}`;
  return {
    status: 200,
    body: {
      data: page.map(({ s }) => s.rec),
      meta: { ...(stream || more ? (next ? { next } : {}) : {}), page_size: page.length },
      links: { self: base, ...((stream || more) && next ? { next: `${base}?cursor=${next}` } : {}) },
    },
  };
}
