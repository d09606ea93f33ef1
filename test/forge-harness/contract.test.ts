/**
 * Pins what the pinned Forge SDKs send through the two host globals. If an SDK upgrade changes a meta
 * object, a path or a body shape, this fails loudly: the harness (and any real host knowledge in
 * forge-platform.md §D.2) must then be revisited before the upgrade is taken.
 */
import '../../src/forge-harness/register';
import api, { asApp, asUser, route } from '@forge/api';
import { kvs, Filter, WhereConditions, FilterConditions, Sort } from '@forge/kvs';
import { Queue } from '@forge/events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resetForgeHarness, type ForgeHarness } from '../../src/forge-harness';

const PINNED = {
  '@forge/api': '8.3.0',
  '@forge/kvs': '1.6.5',
  '@forge/events': '3.0.8',
  '@forge/resolver': '2.0.1',
};

let h: ForgeHarness;
beforeEach(() => {
  h = resetForgeHarness({
    entities: [
      {
        name: 'incident',
        attributes: { severity: { type: 'string' }, at: { type: 'integer' } },
        indexes: [{ name: 'by-sev', range: ['at'], partition: ['severity'] }],
      },
    ],
  });
  for (const remote of ['jira', 'confluence', 'bitbucket'])
    h.setProductHandler(remote, () => ({ status: 200, body: { ok: true } }));
});

const last = () => h.calls[h.calls.length - 1]!;

test('the SDK versions are the pinned ones', () => {
  for (const [name, version] of Object.entries(PINNED)) {
    const pkg = JSON.parse(
      readFileSync(join(__dirname, '../../node_modules', name, 'package.json'), 'utf8'),
    ) as { version: string };
    expect(pkg.version).toBe(version);
  }
});

test('product REST: meta per provider and remote, path verbatim, init passed through', async () => {
  await asApp().requestJira(route`/rest/api/3/auditing/record?limit=${100}`);
  expect(last()).toMatchObject({
    meta: { type: 'fpp', provider: 'app', remote: 'jira' },
    path: '/rest/api/3/auditing/record?limit=100',
    method: 'GET',
  });
  expect(Object.keys(last().meta).sort()).toEqual(['accountId', 'provider', 'remote', 'type']);
  expect(last().meta.accountId).toBeUndefined();

  await asApp().requestConfluence(route`/wiki/rest/api/audit?startDate=${1}`, { method: 'GET' });
  expect(last()).toMatchObject({
    meta: { type: 'fpp', provider: 'app', remote: 'confluence' },
    path: '/wiki/rest/api/audit?startDate=1',
  });

  await asApp().requestBitbucket(
    route`/2.0/repositories/${'ws'}/${'repo'}/permissions-config/users/${'{abc}'}`,
    { method: 'DELETE' },
  );
  expect(last()).toMatchObject({
    meta: { type: 'fpp', provider: 'app', remote: 'bitbucket' },
    method: 'DELETE',
  });
  // route`` leaves braces alone: Bitbucket's {uuid} path segments arrive verbatim.
  expect(last().path).toBe('/2.0/repositories/ws/repo/permissions-config/users/{abc}');

  await asUser('acc-1').requestJira(route`/rest/api/3/mypermissions?permissions=ADMINISTER`);
  expect(last().meta).toEqual({ type: 'fpp', provider: 'user', remote: 'jira', accountId: 'acc-1' });
  await asUser('acc-2').requestConfluence(route`/wiki/rest/api/user/current`);
  expect(last().meta).toEqual({ type: 'fpp', provider: 'user', remote: 'confluence', accountId: 'acc-2' });
  await asUser('acc-3').requestBitbucket(route`/2.0/user`);
  expect(last().meta).toEqual({ type: 'fpp', provider: 'user', remote: 'bitbucket', accountId: 'acc-3' });

  await api.requestJira(route`/rest/api/3/myself`);
  expect(last().meta).toMatchObject({ type: 'fpp', provider: 'none', remote: 'jira' });

  await asApp().requestJira(route`/rest/api/3/group/user?groupname=${'site-admins'}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ accountId: 'x' }),
  });
  expect(last()).toMatchObject({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: { accountId: 'x' },
  });

  await asApp().requestAtlassian(route`/admin/v1/orgs/${'o1'}/events`);
  expect(last()).toMatchObject({
    meta: { type: 'fpp', provider: 'app', remote: 'stargate' },
    path: '/admin/v1/orgs/o1/events',
  });
  await asApp().requestGraph('query { me { user { accountId } } }');
  expect(last()).toMatchObject({
    meta: { type: 'fpp', provider: 'app', remote: 'stargate' },
    path: '/graphql',
    method: 'POST',
    body: { query: 'query { me { user { accountId } } }' },
  });
});

test('the SDK refuses unsafe paths before reaching the host', () => {
  expect(() => asApp().requestJira('/rest/api/3/user' as never)).toThrow();
});

test('external fetch goes through global fetch with the URL and init unchanged', async () => {
  h.setExternalHandler('api.atlassian.com', () => ({ status: 204 }));
  const res = await api.fetch(
    'https://api.atlassian.com/admin/v1/orgs/o1/directory/users/u1/suspend-access',
    {
      method: 'POST',
      headers: { Authorization: 'Bearer k' },
    },
  );
  expect(res.status).toBe(204);
  expect(last()).toMatchObject({
    meta: { type: 'external', host: 'api.atlassian.com' },
    path: '/admin/v1/orgs/o1/directory/users/u1/suspend-access',
    headers: { authorization: 'Bearer k' },
  });
  await expect(api.fetch('https://evil.example.com/x')).rejects.toThrow(/egress/);
});

test('KVS: endpoints, meta and bodies', async () => {
  await kvs.set('cursor:jira', { offset: 5 });
  expect(last()).toMatchObject({
    meta: { type: 'kvs', provider: 'app', remote: 'kvs' },
    path: '/api/v1/set',
    method: 'POST',
    body: { key: 'cursor:jira', value: { offset: 5 } },
  });
  expect(last().headers['content-type']).toBe('application/json');
  await kvs.get('cursor:jira');
  expect(last()).toMatchObject({ path: '/api/v1/get', body: { key: 'cursor:jira' } });
  await kvs.delete('cursor:jira');
  expect(last()).toMatchObject({ path: '/api/v1/delete', body: { key: 'cursor:jira' } });
  await kvs
    .query()
    .where('key', WhereConditions.beginsWith('cur'))
    .limit(5)
    .cursor('abc')
    .getMany()
    .catch(() => undefined);
  expect(last()).toMatchObject({
    path: '/api/v1/query',
    body: { limit: 5, after: 'abc', where: [{ property: 'key', condition: 'BEGINS_WITH', values: ['cur'] }] },
  });
  await kvs.setSecret('org-key', 'secret');
  expect(last()).toMatchObject({ path: '/api/v1/secret/set', body: { key: 'org-key', value: 'secret' } });
  await kvs.getSecret('org-key');
  expect(last()).toMatchObject({ path: '/api/v1/secret/get', body: { key: 'org-key' } });
  await kvs.deleteSecret('org-key');
  expect(last()).toMatchObject({ path: '/api/v1/secret/delete', body: { key: 'org-key' } });
  await kvs.entity('incident').set('i1', { severity: 'high', at: 1 });
  expect(last()).toMatchObject({
    path: '/api/v1/entity/set',
    body: { entityName: 'incident', key: 'i1', value: { severity: 'high', at: 1 } },
  });
  await kvs.entity('incident').get('i1');
  expect(last()).toMatchObject({ path: '/api/v1/entity/get', body: { entityName: 'incident', key: 'i1' } });
  await kvs
    .entity<{ severity: string; at: number }>('incident')
    .query()
    .index('by-sev', { partition: ['high'] })
    .where(WhereConditions.between(0, 10))
    .filters(new Filter<{ severity: string; at: number }>().and('severity', FilterConditions.equalTo('high')))
    .sort(Sort.DESC)
    .limit(3)
    .getMany();
  expect(last()).toMatchObject({
    path: '/api/v1/entity/query',
    body: {
      entityName: 'incident',
      indexName: 'by-sev',
      partition: ['high'],
      range: { condition: 'BETWEEN', values: [0, 10] },
      filters: { and: [{ property: 'severity', condition: 'EQUAL_TO', values: ['high'] }] },
      sort: 'DESC',
      limit: 3,
    },
  });
  await kvs.entity('incident').delete('i1');
  expect(last()).toMatchObject({
    path: '/api/v1/entity/delete',
    body: { entityName: 'incident', key: 'i1' },
  });
  await kvs.batchSet([
    { key: 'a', value: 1 },
    { key: 'b', value: 2, entityName: undefined as never },
  ]);
  expect(last()).toMatchObject({
    path: '/api/v1/batch/set',
    body: [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ],
  });
  await kvs.transact().set('t1', 1).delete('a').execute();
  expect(last()).toMatchObject({
    path: '/api/v1/transaction',
    body: { set: [{ key: 't1', value: 1 }], delete: [{ key: 'a' }] },
  });
});

test('Queue.push: stargate publish path with literal placeholders and the documented body', async () => {
  const q = new Queue({ key: 'containment' });
  const { jobId } = await q.push([{ body: { action: 'remove' }, delayInSeconds: 3 }]);
  expect(last().meta).toEqual({ type: 'fpp', provider: 'app', remote: 'stargate' });
  expect(last().path).toBe('/webhook/queue/publish/{contextAri}/{environmentId}/{appId}/{appVersion}');
  expect(last().body).toEqual({
    queueName: 'containment',
    jobId,
    type: 'avi:forge:app:event',
    schema: 'ari:cloud:ecosystem::forge/app-event-2',
    payload: [{ body: { action: 'remove' }, delayInSeconds: 3 }],
    time: new Date(h.clock.now()).toISOString(),
  });
  await q.getJob(jobId).getStats();
  expect(last()).toMatchObject({
    path: '/webhook/queue/stats/{contextAri}/{environmentId}/{appId}/{appVersion}',
    body: { queueName: 'containment', jobId },
  });
});

test('__forge_runtime__ carries the fields the SDKs read', async () => {
  const rt = (globalThis as unknown as { __forge_runtime__: Record<string, any> }).__forge_runtime__; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(rt.appContext).toMatchObject({
    appId: h.opts.appId,
    environmentId: h.opts.environmentId,
    installationId: h.opts.installationId,
  });
  expect(typeof rt.lambdaContext.getRemainingTimeInMillis).toBe('function');
  expect(typeof rt.metrics.counter('x').incr).toBe('function');
  const { getAppContext } = await import('@forge/api');
  await h.invokeFunction(
    'probe',
    () => {
      const ctx = getAppContext();
      expect(ctx.moduleKey).toBe('probe');
      expect(ctx.invocationId).toMatch(/^inv-/);
      expect(ctx.invocationRemainingTimeInMillis()).toBe(55_000);
      expect(ctx.installationAri.installationId).toBe(h.opts.installationId);
    },
    {},
  );
});
