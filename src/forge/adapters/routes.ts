/**
 * Every product REST call the app makes, as a `route` template with a literal method: the one place the
 * Forge linter (tools/forge-lint) reads to check manifest.yml's scopes against the calls, and, at run time,
 * an allow-list: the core hands the adapter a path, and a path no entry matches is refused before it leaves
 * the app. Paths arrive already encoded by the core; `route` rejects traversal in path parameters.
 */
import { route, type APIResponse } from '@forge/api';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What @forge/api's `asApp()` / `asUser()` give (only the three product methods are used). */
export interface Requester {
  requestJira(url: ReturnType<typeof route>, init?: RequestInitLike): Promise<APIResponse>;
  requestConfluence(url: ReturnType<typeof route>, init?: RequestInitLike): Promise<APIResponse>;
  requestBitbucket(url: ReturnType<typeof route>, init?: RequestInitLike): Promise<APIResponse>;
}

interface RequestInitLike {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

interface Entry {
  readonly product: 'jira' | 'confluence' | 'bitbucket';
  readonly method: Method;
  readonly pattern: RegExp;
  readonly call: (
    r: Requester,
    m: RegExpExecArray,
    headers: Record<string, string>,
    body?: string,
  ) => Promise<APIResponse>;
}

const q = (s: string | undefined): URLSearchParams => new URLSearchParams(s ?? '');
const seg = (s: string | undefined): string => s ?? '';
const withBody = (body: string | undefined) => (body !== undefined ? { body } : {});

export const ROUTES: readonly Entry[] = [
  // Jira: audit poll and backfill; directory; group changes; the incident issue; the caller's admin check.
  {
    product: 'jira',
    method: 'GET',
    pattern: /^\/rest\/api\/3\/auditing\/record\?(.*)$/,
    call: (r, m, headers) =>
      r.requestJira(route`/rest/api/3/auditing/record?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'jira',
    method: 'GET',
    pattern: /^\/rest\/api\/3\/user\/groups\?(.*)$/,
    call: (r, m, headers) =>
      r.requestJira(route`/rest/api/3/user/groups?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'jira',
    method: 'GET',
    pattern: /^\/rest\/api\/3\/group\/member\?(.*)$/,
    call: (r, m, headers) =>
      r.requestJira(route`/rest/api/3/group/member?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'jira',
    method: 'DELETE',
    pattern: /^\/rest\/api\/3\/group\/user\?(.*)$/,
    call: (r, m, headers) =>
      r.requestJira(route`/rest/api/3/group/user?${q(m[1])}`, { method: 'DELETE', headers }),
  },
  {
    product: 'jira',
    method: 'POST',
    pattern: /^\/rest\/api\/3\/group\/user\?(.*)$/,
    call: (r, m, headers, body) =>
      r.requestJira(route`/rest/api/3/group/user?${q(m[1])}`, { method: 'POST', headers, ...withBody(body) }),
  },
  {
    product: 'jira',
    method: 'POST',
    pattern: /^\/rest\/api\/3\/issue$/,
    call: (r, _m, headers, body) =>
      r.requestJira(route`/rest/api/3/issue`, { method: 'POST', headers, ...withBody(body) }),
  },
  {
    product: 'jira',
    method: 'POST',
    pattern: /^\/rest\/api\/3\/issue\/([^/?]+)\/comment$/,
    call: (r, m, headers, body) =>
      r.requestJira(route`/rest/api/3/issue/${seg(m[1])}/comment`, {
        method: 'POST',
        headers,
        ...withBody(body),
      }),
  },
  {
    product: 'jira',
    method: 'GET',
    pattern: /^\/rest\/api\/3\/mypermissions\?(.*)$/,
    call: (r, m, headers) =>
      r.requestJira(route`/rest/api/3/mypermissions?${q(m[1])}`, { method: 'GET', headers }),
  },

  // Confluence: audit poll; directory; group changes; the caller's admin checks.
  {
    product: 'confluence',
    method: 'GET',
    pattern: /^\/wiki\/rest\/api\/audit\?(.*)$/,
    call: (r, m, headers) =>
      r.requestConfluence(route`/wiki/rest/api/audit?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'confluence',
    method: 'GET',
    pattern: /^\/wiki\/rest\/api\/user\/memberof\?(.*)$/,
    call: (r, m, headers) =>
      r.requestConfluence(route`/wiki/rest/api/user/memberof?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'confluence',
    method: 'GET',
    pattern: /^\/wiki\/rest\/api\/group\/member\?(.*)$/,
    call: (r, m, headers) =>
      r.requestConfluence(route`/wiki/rest/api/group/member?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'confluence',
    method: 'DELETE',
    pattern: /^\/wiki\/rest\/api\/group\/user\?(.*)$/,
    call: (r, m, headers) =>
      r.requestConfluence(route`/wiki/rest/api/group/user?${q(m[1])}`, { method: 'DELETE', headers }),
  },
  {
    product: 'confluence',
    method: 'POST',
    pattern: /^\/wiki\/rest\/api\/group\/user\?(.*)$/,
    call: (r, m, headers, body) =>
      r.requestConfluence(route`/wiki/rest/api/group/user?${q(m[1])}`, {
        method: 'POST',
        headers,
        ...withBody(body),
      }),
  },
  {
    product: 'confluence',
    method: 'GET',
    pattern: /^\/wiki\/rest\/api\/user\/current\?(.*)$/,
    call: (r, m, headers) =>
      r.requestConfluence(route`/wiki/rest/api/user/current?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'confluence',
    method: 'GET',
    pattern: /^\/wiki\/api\/v2\/spaces\/([^/?]+)\/operations$/,
    call: (r, m, headers) =>
      r.requestConfluence(route`/wiki/api/v2/spaces/${seg(m[1])}/operations`, { method: 'GET', headers }),
  },

  // Bitbucket: repository permission revoke/restore; the caller's admin checks.
  {
    product: 'bitbucket',
    method: 'GET',
    pattern: /^\/2\.0\/workspaces\/([^/?]+)\/permissions\/repositories\?(.*)$/,
    call: (r, m, headers) =>
      r.requestBitbucket(route`/2.0/workspaces/${seg(m[1])}/permissions/repositories?${q(m[2])}`, {
        method: 'GET',
        headers,
      }),
  },
  {
    product: 'bitbucket',
    method: 'DELETE',
    pattern: /^\/2\.0\/repositories\/([^/?]+)\/([^/?]+)\/permissions-config\/users\/([^/?]+)$/,
    call: (r, m, headers) =>
      r.requestBitbucket(
        route`/2.0/repositories/${seg(m[1])}/${seg(m[2])}/permissions-config/users/${seg(m[3])}`,
        { method: 'DELETE', headers },
      ),
  },
  {
    product: 'bitbucket',
    method: 'PUT',
    pattern: /^\/2\.0\/repositories\/([^/?]+)\/([^/?]+)\/permissions-config\/users\/([^/?]+)$/,
    call: (r, m, headers, body) =>
      r.requestBitbucket(
        route`/2.0/repositories/${seg(m[1])}/${seg(m[2])}/permissions-config/users/${seg(m[3])}`,
        { method: 'PUT', headers, ...withBody(body) },
      ),
  },
  {
    product: 'bitbucket',
    method: 'GET',
    pattern: /^\/2\.0\/user\/permissions\/workspaces\?(.*)$/,
    call: (r, m, headers) =>
      r.requestBitbucket(route`/2.0/user/permissions/workspaces?${q(m[1])}`, { method: 'GET', headers }),
  },
  {
    product: 'bitbucket',
    method: 'GET',
    pattern: /^\/2\.0\/user\/permissions\/repositories\?(.*)$/,
    call: (r, m, headers) =>
      r.requestBitbucket(route`/2.0/user/permissions/repositories?${q(m[1])}`, { method: 'GET', headers }),
  },
];

/** The catalog entry for a call, or undefined (the call is refused). */
export function routeFor(
  product: Entry['product'],
  method: Method,
  path: string,
): { entry: Entry; match: RegExpExecArray } | undefined {
  for (const entry of ROUTES) {
    if (entry.product !== product || entry.method !== method) continue;
    const match = entry.pattern.exec(path);
    if (match) return { entry, match };
  }
  return undefined;
}
