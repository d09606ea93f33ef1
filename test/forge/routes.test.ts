/** The product REST allow-list: every path the core builds has a route (which the Forge linter checks
 *  against the manifest's scopes); anything else is refused before it leaves the app. */
import '../../src/forge-harness/register';
import { json } from '../../src/forge-harness';
import { productApi, asAppApi } from '../../src/forge/adapters/forge';
import { routeFor, type Method } from '../../src/forge/adapters/routes';
import api from '@forge/api';
import { installApp } from './harness-app';

const CORE_PATHS: [product: 'jira' | 'confluence' | 'bitbucket', method: Method, path: string][] = [
  [
    'jira',
    'GET',
    '/rest/api/3/auditing/record?offset=0&limit=1000&from=2026-11-01T00%3A00%3A00.000Z&to=2026-11-02T00%3A00%3A00.000Z',
  ],
  ['jira', 'GET', '/rest/api/3/user/groups?accountId=5b10'],
  [
    'jira',
    'GET',
    '/rest/api/3/group/member?groupname=jira-administrators&includeInactiveUsers=false&maxResults=1',
  ],
  ['jira', 'DELETE', '/rest/api/3/group/user?groupname=site-admins&accountId=5b10'],
  ['jira', 'POST', '/rest/api/3/group/user?groupname=site-admins'],
  ['jira', 'POST', '/rest/api/3/issue'],
  ['jira', 'POST', '/rest/api/3/issue/SEC-12/comment'],
  ['jira', 'GET', '/rest/api/3/mypermissions?permissions=ADMINISTER'],
  ['confluence', 'GET', '/wiki/rest/api/audit?startDate=1&endDate=2&start=0&limit=1000'],
  ['confluence', 'GET', '/wiki/rest/api/user/memberof?accountId=x&limit=200'],
  ['confluence', 'GET', '/wiki/rest/api/group/member?name=confluence-admins&start=0&limit=200'],
  ['confluence', 'DELETE', '/wiki/rest/api/group/user?name=confluence-admins&accountId=x'],
  ['confluence', 'POST', '/wiki/rest/api/group/user?name=confluence-admins'],
  ['confluence', 'GET', '/wiki/rest/api/user/current?expand=operations'],
  ['confluence', 'GET', '/wiki/api/v2/spaces/98/operations'],
  [
    'bitbucket',
    'GET',
    '/2.0/workspaces/acme/permissions/repositories?q=user.account_id%3D%22x%22&pagelen=100',
  ],
  ['bitbucket', 'DELETE', '/2.0/repositories/acme/api/permissions-config/users/x'],
  ['bitbucket', 'PUT', '/2.0/repositories/acme/api/permissions-config/users/x'],
  ['bitbucket', 'GET', '/2.0/user/permissions/workspaces?q=workspace.uuid%3D%22%7Bw%7D%22'],
  ['bitbucket', 'GET', '/2.0/user/permissions/repositories?q=repository.uuid%3D%22%7Br%7D%22'],
];

test.each(CORE_PATHS)('%s %s %s has a route', (product, method, path) => {
  expect(routeFor(product, method, path)).toBeDefined();
});

test('paths outside the catalog are refused; traversal in a path parameter is refused by route', async () => {
  expect(routeFor('jira', 'DELETE', '/rest/api/3/user?accountId=x')).toBeUndefined();
  expect(routeFor('jira', 'GET', '/rest/api/3/group/user?groupname=x')).toBeUndefined();
  await expect(
    asAppApi.request('jira', '/rest/api/3/user?accountId=x', { method: 'DELETE' }),
  ).rejects.toThrow(/not an allowed route/);
  const h = installApp();
  h.setProductHandler('jira', () => json(201, { key: 'SEC-1' }));
  await expect(
    h.invokeFunction(
      't',
      () =>
        productApi(() => api.asApp()).request('jira', '/rest/api/3/issue/..%2f..%2fuser/comment', {
          method: 'POST',
          body: '{}',
        }),
      {},
    ),
  ).rejects.toThrow(/path manipulation/);
  const ok = (await h.invokeFunction(
    't',
    async () => (await asAppApi.request('jira', '/rest/api/3/issue', { method: 'POST', body: '{}' })).status,
    {},
  )) as number;
  expect(ok).toBe(201);
  expect(h.callsTo('jira').map((c) => `${c.method} ${c.path}`)).toEqual(['POST /rest/api/3/issue']);
});
