import { CloudExecutor, CloudDirectory } from '../../src/forge/core/cloud';
import { SECRETS, KEYS } from '../../src/forge/core/keys';
import { MemoryKv } from '../../src/forge/core/memory';
import { readiness } from '../../src/forge/core/readiness';
import { DEFAULT_SETTINGS } from '../../src/forge/core/settings';
import type { HttpAnswer, RequestInit } from '../../src/forge/core/ports';
import { answer, adminGroupRecord, ScriptedProduct, testApp } from './support';

const who = { id: 'acc-1', name: 'svc-backup', kind: 'service' as const };

describe('Cloud executor: supports() says what the setup allows', () => {
  test('without an org key nothing is suspended or revoked; group changes and merge blocks are possible', () => {
    const ex = new CloudExecutor(new ScriptedProduct(), () => Promise.resolve(answer(404)), new MemoryKv(), {
      settings: DEFAULT_SETTINGS,
      hasOrgKey: false,
    });
    expect(ex.supports('suspend-account', 'jira')).toBe(false);
    expect(ex.supports('revoke-tokens', 'jira')).toBe(false);
    expect(ex.supports('remove-from-group', 'jira')).toBe(true);
    expect(ex.supports('remove-from-group', 'bitbucket')).toBe(false);
    expect(ex.supports('block-merges', 'bitbucket')).toBe(true);
    expect(ex.supports('revoke-permissions', 'bitbucket')).toBe(false); // no workspace set
    const withKey = new CloudExecutor(
      new ScriptedProduct(),
      () => Promise.resolve(answer(404)),
      new MemoryKv(),
      {
        settings: { ...DEFAULT_SETTINGS, orgId: 'o', directoryId: 'd', bitbucketWorkspace: 'acme' },
        hasOrgKey: true,
      },
    );
    expect(withKey.supports('suspend-account', 'confluence')).toBe(true);
    expect(withKey.supports('revoke-permissions', 'bitbucket')).toBe(true);
  });

  test('suspend and restore through the Admin API with the org key as Bearer; the key never appears in results', async () => {
    const kv = new MemoryKv();
    await kv.setSecret(SECRETS.orgApiKey, 'org-key-secret');
    const seen: { url: string; init?: RequestInit }[] = [];
    const fetch = (url: string, init?: RequestInit): Promise<HttpAnswer> => {
      seen.push({ url, ...(init ? { init } : {}) });
      return Promise.resolve(answer(204, ''));
    };
    const ex = new CloudExecutor(new ScriptedProduct(), fetch, kv, {
      settings: { ...DEFAULT_SETTINGS, orgId: 'org-1', directoryId: 'dir-1' },
      hasOrgKey: true,
    });
    const r = await ex.run({ kind: 'suspend-account', identity: who, product: 'jira' });
    await ex.run({ kind: 'restore-account', identity: who, product: 'jira' });
    expect(seen.map((s) => `${s.init?.method} ${s.url}`)).toEqual([
      'POST https://api.atlassian.com/admin/v2/orgs/org-1/directories/dir-1/users/acc-1/suspend',
      'POST https://api.atlassian.com/admin/v2/orgs/org-1/directories/dir-1/users/acc-1/restore',
    ]);
    expect(seen[0]?.init?.headers?.['Authorization']).toBe('Bearer org-key-secret');
    expect(r).not.toContain('org-key-secret');
  });

  test('an identity named only by an account id (some audit records) is acted on by that id; another name is refused', async () => {
    const kv = new MemoryKv();
    await kv.setSecret(SECRETS.orgApiKey, 'org-key-secret');
    const seen: string[] = [];
    const fetch = (url: string): Promise<HttpAnswer> => {
      seen.push(url);
      return Promise.resolve(answer(204, ''));
    };
    const ex = new CloudExecutor(new ScriptedProduct(), fetch, kv, {
      settings: { ...DEFAULT_SETTINGS, orgId: 'org-1', directoryId: 'dir-1' },
      hasOrgKey: true,
    });
    const byName = (name: string) => ({ name, kind: 'human' as const });
    await ex.run({
      kind: 'suspend-account',
      identity: byName('712020:e69de021-8ad2-4cf5-86c2-aa432dce3cfe'),
      product: 'confluence',
    });
    await ex.run({ kind: 'suspend-account', identity: byName('5d1c3a7e9b2f4c0016a8e311'), product: 'jira' });
    await expect(
      ex.run({ kind: 'suspend-account', identity: byName('John Doe'), product: 'jira' }),
    ).rejects.toThrow(/no account id for John Doe/);
    expect(seen.map((u) => u.split('/users/')[1])).toEqual([
      '712020%3Ae69de021-8ad2-4cf5-86c2-aa432dce3cfe/suspend', // encoded path segment
      '5d1c3a7e9b2f4c0016a8e311/suspend',
    ]);
  });

  test('Bitbucket permissions: the revoked grants are the record, and the undo puts back exactly those', async () => {
    const product = new ScriptedProduct({
      bitbucket: (method, path) => {
        if (method === 'GET' && path.startsWith('/2.0/workspaces/acme/permissions/repositories'))
          return answer(200, {
            values: [
              { permission: 'write', repository: { full_name: 'acme/api' } },
              { permission: 'admin', repository: { full_name: 'acme/infra' } },
            ],
          });
        if (method === 'DELETE' || method === 'PUT') return answer(204, '');
        return undefined;
      },
    });
    const kv = new MemoryKv();
    const ex = new CloudExecutor(product, () => Promise.resolve(answer(404)), kv, {
      settings: { ...DEFAULT_SETTINGS, bitbucketWorkspace: 'acme' },
      hasOrgKey: false,
    });
    const result = await ex.run({ kind: 'revoke-permissions', identity: who, product: 'bitbucket' });
    await ex.run(
      { kind: 'restore-permissions', identity: who, product: 'bitbucket' },
      {
        id: 'r',
        incidentId: 'i',
        action: { kind: 'revoke-permissions', identity: who, product: 'bitbucket' },
        state: 'done',
        reason: '',
        at: 0,
        ...(result !== undefined ? { result } : {}),
      },
    );
    expect(
      product.calls
        .filter((c) => c.method !== 'GET')
        .map((c) => `${c.method} ${c.path} ${c.body ?? ''}`.trim()),
    ).toEqual([
      'DELETE /2.0/repositories/acme/api/permissions-config/users/acc-1',
      'DELETE /2.0/repositories/acme/infra/permissions-config/users/acc-1',
      'PUT /2.0/repositories/acme/api/permissions-config/users/acc-1 {"permission":"write"}',
      'PUT /2.0/repositories/acme/infra/permissions-config/users/acc-1 {"permission":"admin"}',
    ]);
    await ex.run({ kind: 'block-merges', identity: who, product: 'bitbucket' });
    expect(await kv.get(KEYS.block('acc-1'))).toBeDefined();
    await ex.run({ kind: 'unblock-merges', identity: who, product: 'bitbucket' });
    expect(await kv.get(KEYS.block('acc-1'))).toBeUndefined();
  });

  test('directory: admin groups from the configured names, member counts for the last-admin guardrail', async () => {
    const product = new ScriptedProduct({
      jira: (_m, p) =>
        p.startsWith('/rest/api/3/user/groups')
          ? answer(200, [{ name: 'jira-software-users' }, { name: 'Site-Admins' }])
          : p.startsWith('/rest/api/3/group/member')
            ? answer(200, { total: 1 })
            : undefined,
      confluence: (_m, p) =>
        p.startsWith('/wiki/rest/api/user/memberof')
          ? answer(200, { results: [{ name: 'confluence-admins' }] })
          : undefined,
    });
    const d = new CloudDirectory(product, DEFAULT_SETTINGS);
    expect(await d.adminGroupsOf(who, 'jira')).toEqual(['Site-Admins']);
    expect(await d.adminGroupsOf(who, 'confluence')).toEqual(['confluence-admins']);
    expect(await d.adminGroupsOf(who, 'bitbucket')).toEqual([]);
    expect(await d.memberCount('site-admins', 'jira')).toBe(1);
  });
});

test('containment as the app: a 403 on group removal (app user not in site-admins) is recorded and readiness says why', async () => {
  const t = testApp();
  t.product.routes.jira = (method, path) => {
    if (path.startsWith('/rest/api/3/user/groups')) return answer(200, [{ name: 'jira-administrators' }]);
    if (path.startsWith('/rest/api/3/group/member')) return answer(200, { total: 5 });
    if (method === 'DELETE' && path.startsWith('/rest/api/3/group/user'))
      return answer(403, { errorMessages: ['site admin required'] });
    return undefined;
  };
  await t.app.ingestor.accept('jira-audit', [adminGroupRecord()]);
  const d = await t.app.ingestor.drain();
  const r = await t.app.containment.contain(d.contain[0]!);
  const removals = r.records.filter((x) => x.action.kind === 'remove-from-group');
  expect(removals.length).toBe(2);
  expect(removals.every((x) => x.state === 'failed' && /HTTP 403/.test(x.result ?? ''))).toBe(true);
  // Nothing the setup cannot do was planned (no org key: no suspension, no token revocation).
  expect(
    r.records.some((x) => x.action.kind === 'suspend-account' || x.action.kind === 'revoke-tokens'),
  ).toBe(false);
  const items = await readiness(t.kv, await t.app.storage.settings());
  expect(items.find((i) => i.name === 'Remove from Jira admin groups')).toMatchObject({
    state: 'not-ready',
    why: expect.stringContaining('site-admins'),
  });
  // A second contain job (queue redelivery) decides nothing again.
  const again = await t.app.containment.contain(d.contain[0]!);
  expect(again.records.map((x) => x.id)).toEqual(r.records.map((x) => x.id));
  expect(t.product.calls.filter((c) => c.method === 'DELETE')).toHaveLength(2);
});

test('notifications: a Jira issue in the security project as the app, then a comment; each incident version once', async () => {
  const t = testApp();
  await t.app.storage.saveSettings({
    ...(await t.app.storage.settings()),
    securityProject: 'SEC',
    policy: { ...DEFAULT_SETTINGS.policy, minSeverity: 'critical', actions: [] },
  });
  t.product.routes.jira = (method, path) => {
    if (method === 'POST' && path === '/rest/api/3/issue') return answer(201, { key: 'SEC-7' });
    if (method === 'POST' && path === '/rest/api/3/issue/SEC-7/comment') return answer(201, {});
    return undefined;
  };
  await t.app.ingestor.accept('jira-audit', [adminGroupRecord()]);
  const d = await t.app.ingestor.drain();
  const first = await t.app.containment.contain(d.contain[0]!);
  expect(first.notified).toEqual([{ channel: 'jira', sent: true, detail: 'created SEC-7' }]);
  const created = JSON.parse(t.product.calls.find((c) => c.path === '/rest/api/3/issue')!.body!) as {
    fields: { project: { key: string }; description: { type: string } };
  };
  expect(created.fields.project.key).toBe('SEC');
  expect(created.fields.description.type).toBe('doc');
  expect((await t.app.containment.contain(d.contain[0]!)).notified).toEqual([]);
});
