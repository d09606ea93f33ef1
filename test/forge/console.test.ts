/** The console's resolvers (decision 0017's keys and shapes) and who may call them. */
import { CONSOLE_FUNCTIONS, type CallerContext } from '../../src/forge/core/console';
import { SECRETS } from '../../src/forge/core/keys';
import { answer, adminGroupRecord, testApp, type TestApp } from './support';

const JIRA_ADMIN_PAGE: CallerContext = { accountId: 'u-1', extension: { type: 'jira:adminPage' } };
const SPACE_PAGE: CallerContext = {
  accountId: 'u-2',
  extension: { type: 'confluence:spaceSettings', space: { key: 'SEC', id: '98' } },
};
const REPO_PAGE: CallerContext = {
  accountId: 'u-3',
  extension: {
    type: 'bitbucket:repoSettingsMenuPage',
    repository: { uuid: '{r-1}' },
    workspace: { uuid: '{w-1}' },
  },
};

/** The caller's answers to the permission checks made as the user. */
function asUserIs(
  t: TestApp,
  who: { jiraAdmin?: boolean; confAdmin?: boolean; spaceAdmin?: boolean; repoAdmin?: boolean },
) {
  t.asUser.routes = {
    jira: (_m, p) =>
      p.startsWith('/rest/api/3/mypermissions')
        ? answer(200, { permissions: { ADMINISTER: { havePermission: who.jiraAdmin === true } } })
        : undefined,
    confluence: (_m, p) => {
      if (p.startsWith('/wiki/rest/api/user/current'))
        return answer(200, {
          operations: who.confAdmin ? [{ operation: 'administer', targetType: 'application' }] : [],
        });
      if (p.startsWith('/wiki/api/v2/spaces/98/operations'))
        return answer(200, {
          operations: who.spaceAdmin
            ? [{ operation: 'administer', targetType: 'space' }]
            : [{ operation: 'read', targetType: 'space' }],
        });
      return undefined;
    },
    bitbucket: (_m, p) => {
      if (p.startsWith('/2.0/user/permissions/workspaces'))
        return answer(200, { values: [{ permission: 'member' }] });
      if (p.startsWith('/2.0/user/permissions/repositories'))
        return answer(200, { values: [{ permission: who.repoAdmin ? 'admin' : 'write' }] });
      return undefined;
    },
  };
}

const PAYLOAD = {
  id: 'x',
  name: 'forwarder',
  value: 'v',
  status: 'resolved',
  settings: {},
  scope: { kind: 'all' },
};
const codeOf = (r: unknown) => (r as { error?: { code?: string } }).error?.code;

describe('console resolvers check the caller', () => {
  test.each(CONSOLE_FUNCTIONS)('%s is refused to a non-admin on every console module', async (fn) => {
    const t = testApp();
    asUserIs(t, {});
    for (const ctx of [
      JIRA_ADMIN_PAGE,
      SPACE_PAGE,
      REPO_PAGE,
      { ...JIRA_ADMIN_PAGE, extension: { type: 'confluence:globalSettings' } },
      {
        ...JIRA_ADMIN_PAGE,
        extension: { type: 'bitbucket:workspaceSettingsMenuPage', workspace: { uuid: '{w-1}' } },
      },
    ])
      expect(await t.app.resolve(fn, PAYLOAD, ctx)).toEqual({
        error: { code: 'forbidden', message: expect.stringMatching(/administrator/) },
      });
    // No account (an app call) and a module that is not a console page are refused as well.
    expect(codeOf(await t.app.resolve(fn, {}, { extension: { type: 'jira:adminPage' } }))).toBe('forbidden');
    expect(
      codeOf(await t.app.resolve(fn, {}, { accountId: 'u', extension: { type: 'jira:issuePanel' } })),
    ).toBe('forbidden');
    // Nothing was written by a refused call.
    expect(await t.kv.getSecret(SECRETS.forwarder)).toBeUndefined();
    expect(t.kv.keys()).toEqual([]);
  });

  test('a Jira admin gets the full console: settings, secrets set but never returned, readiness', async () => {
    const t = testApp();
    asUserIs(t, { jiraAdmin: true });
    expect(await t.app.resolve('session', {}, JIRA_ADMIN_PAGE)).toEqual({ username: 'u-1', access: 'full' });
    await t.app.resolve('secrets.set', { name: 'orgApiKey', value: 'ATCTT-very-secret' }, JIRA_ADMIN_PAGE);
    const s = (await t.app.resolve('settings.get', {}, JIRA_ADMIN_PAGE)) as {
      secrets: Record<string, { set: boolean }>;
      rules: Record<string, { enabled: boolean }>;
      response: { maxPerHour: number };
    };
    expect(s.secrets['orgApiKey']).toEqual({ set: true });
    expect(s.secrets['forwarder']).toEqual({ set: false });
    expect(Object.keys(s.rules).length).toBeGreaterThan(50);
    expect(JSON.stringify(s)).not.toContain('very-secret');

    const bad = await t.app.resolve(
      'settings.put',
      {
        settings: { rules: { nope: { enabled: false, dryRun: false, allowList: [] } }, response: s.response },
      },
      JIRA_ADMIN_PAGE,
    );
    expect(bad).toEqual({ error: { code: 'invalid', message: 'no rule nope', field: 'rules.nope' } });
    const put = (await t.app.resolve(
      'settings.put',
      {
        settings: {
          rules: { 'user-created': { enabled: false, dryRun: true, allowList: ['scim-bot'] } },
          response: {
            minSeverity: 'high',
            actions: ['suspend-account'],
            allowList: ['breakglass'],
            maxPerHour: 3,
          },
          forge: { orgId: 'org-1' },
        },
      },
      JIRA_ADMIN_PAGE,
    )) as { rules: Record<string, unknown>; response: unknown; forge: { orgId: string } };
    expect(put.rules['user-created']).toEqual({ enabled: false, dryRun: true, allowList: ['scim-bot'] });
    expect(put.response).toEqual({
      minSeverity: 'high',
      actions: ['suspend-account'],
      allowList: ['breakglass'],
      maxPerHour: 3,
    });
    expect(put.forge.orgId).toBe('org-1');
    const stored = await t.app.storage.settings();
    expect(stored.disabledRules).toContain('user-created');
    expect(stored.policy.dryRunRules).toContain('user-created');

    // Thresholds: shown with the rule file's default, changed for count/distinct rules only.
    const rule = 'failed-login-burst-by-user';
    expect(s.rules[rule]).toMatchObject({ threshold: 20, defaultThreshold: 20 });
    const withThreshold = (await t.app.resolve(
      'settings.put',
      {
        settings: {
          rules: { [rule]: { enabled: true, dryRun: false, allowList: [], threshold: 7 } },
          response: s.response,
        },
      },
      JIRA_ADMIN_PAGE,
    )) as { rules: Record<string, unknown> };
    expect(withThreshold.rules[rule]).toMatchObject({ threshold: 7, defaultThreshold: 20 });
    expect((await t.app.storage.settings()).ruleThresholds).toEqual({ [rule]: 7 });
    expect(
      await t.app.resolve(
        'settings.put',
        {
          settings: {
            rules: { 'user-created': { enabled: true, dryRun: false, allowList: [], threshold: 2 } },
            response: s.response,
          },
        },
        JIRA_ADMIN_PAGE,
      ),
    ).toMatchObject({ error: { code: 'invalid', field: 'rules.user-created.threshold' } });

    const ready = (await t.app.resolve('readiness', {}, JIRA_ADMIN_PAGE)) as {
      ready: boolean;
      checks: { kind: string; name: string; ok: boolean; why: string }[];
    };
    expect(ready.checks.find((i) => i.name === 'Suspend and restore accounts')).toMatchObject({
      kind: 'action',
      ok: false,
    });
    expect(ready.checks.find((i) => i.name === 'Revoke API tokens')).toMatchObject({ ok: true });
    expect(ready.checks.find((i) => i.name.startsWith('Bitbucket Cloud archive'))).toMatchObject({
      ok: false,
    });
    expect(ready.ready).toBe(false);
    expect(JSON.stringify(ready)).not.toContain('very-secret');
  });

  test('incidents: list with filters, detail, acknowledge with history, export; space and repository admins are read-only and scoped', async () => {
    const t = testApp();
    await t.app.ingestor.accept('forwarder', [adminGroupRecord()]);
    await t.app.ingestor.drain();
    asUserIs(t, { jiraAdmin: true });
    const page = (await t.app.resolve(
      'incidents.list',
      { scope: { kind: 'all' }, limit: 25 },
      JIRA_ADMIN_PAGE,
    )) as {
      total: number;
      incidents: {
        id: string;
        severity: string;
        detectionCount: number;
        rules: string[];
        actions: unknown[];
      }[];
    };
    expect(page.total).toBe(1);
    const inc = page.incidents[0]!;
    expect(inc).toMatchObject({
      severity: 'critical',
      detectionCount: 1,
      rules: ['admin-group-member-added'],
      actions: [],
    });
    expect(
      (
        (await t.app.resolve(
          'incidents.list',
          { status: ['resolved'], scope: { kind: 'all' } },
          JIRA_ADMIN_PAGE,
        )) as { total: number }
      ).total,
    ).toBe(0);
    expect(
      (
        (await t.app.resolve(
          'incidents.list',
          { product: 'confluence', scope: { kind: 'all' } },
          JIRA_ADMIN_PAGE,
        )) as { total: number }
      ).total,
    ).toBe(0);

    const acked = (await t.app.resolve(
      'incidents.setStatus',
      { id: inc.id, status: 'acknowledged', note: 'on it', scope: { kind: 'all' } },
      JIRA_ADMIN_PAGE,
    )) as {
      incident: { status: string; detections: unknown[] };
      history: { status: string; note: string; by: string }[];
      notifications: unknown[];
    };
    expect(acked.incident.status).toBe('acknowledged');
    expect(acked.incident.detections).toHaveLength(1);
    expect(acked.history).toEqual([{ status: 'acknowledged', note: 'on it', by: 'u-1', at: t.clock.now }]);
    // A later batch does not undo what a person set.
    await t.app.ingestor.accept('forwarder', [adminGroupRecord(43, '2026-11-01T11:10:00.000+0000')]);
    await t.app.ingestor.drain();
    const after = (await t.app.resolve(
      'incidents.get',
      { id: inc.id, scope: { kind: 'all' } },
      JIRA_ADMIN_PAGE,
    )) as { incident: { status: string } };
    expect(after.incident.status).toBe('acknowledged');

    const csv = (await t.app.resolve(
      'export',
      { format: 'csv', filters: {}, scope: { kind: 'all' } },
      JIRA_ADMIN_PAGE,
    )) as { filename: string; body: string; type: string };
    expect(csv.filename).toBe('bulkhead-incidents.csv');
    expect(csv.body.split('\r\n')[0]).toContain('"id","status","severity"');
    expect(csv.body).toContain('acknowledged');

    asUserIs(t, { spaceAdmin: true, repoAdmin: true });
    expect(await t.app.resolve('session', {}, SPACE_PAGE)).toEqual({
      username: 'u-2',
      access: 'space',
      space: 'SEC',
    });
    expect(
      await t.app.resolve('incidents.list', { scope: { kind: 'space', key: 'SEC' } }, SPACE_PAGE),
    ).toMatchObject({ total: 0 });
    expect(
      await t.app.resolve('incidents.list', { scope: { kind: 'repository', name: '{r-1}' } }, REPO_PAGE),
    ).toMatchObject({ total: 0 });
    expect(codeOf(await t.app.resolve('incidents.list', { scope: { kind: 'all' } }, SPACE_PAGE))).toBe(
      'forbidden',
    );
    expect(
      codeOf(await t.app.resolve('incidents.list', { scope: { kind: 'space', key: 'ENG' } }, SPACE_PAGE)),
    ).toBe('forbidden');
    expect(
      codeOf(
        await t.app.resolve(
          'incidents.get',
          { id: inc.id, scope: { kind: 'space', key: 'SEC' } },
          SPACE_PAGE,
        ),
      ),
    ).toBe('not-found');
    for (const fn of [
      'actions.undo',
      'actions.approve',
      'actions.retry',
      'incidents.setStatus',
      'settings.get',
      'settings.put',
      'secrets.set',
      'readiness',
    ] as const) {
      expect(
        codeOf(await t.app.resolve(fn, { ...PAYLOAD, scope: { kind: 'space', key: 'SEC' } }, SPACE_PAGE)),
      ).toBe('forbidden');
      expect(
        codeOf(
          await t.app.resolve(fn, { ...PAYLOAD, scope: { kind: 'repository', name: '{r-1}' } }, REPO_PAGE),
        ),
      ).toBe('forbidden');
    }
  });

  test('a space admin sees the incidents that touched their space', async () => {
    const t = testApp();
    await t.app.ingestor.accept('confluence-audit', [
      {
        summary: 'Space exported',
        creationDate: Date.UTC(2026, 10, 1, 11),
        category: 'Import/Export',
        remoteAddress: '203.0.113.9',
        author: { accountId: 'acc-7', displayName: 'mallory', accountType: 'atlassian' },
        affectedObject: { id: '98', name: 'SEC', objectType: 'Space' },
        changedValues: [{ name: 'Space key', newValue: 'SEC' }],
      },
    ]);
    const r = await t.app.ingestor.drain();
    expect(r.incidents).toHaveLength(1);
    asUserIs(t, { spaceAdmin: true });
    const list = (await t.app.resolve(
      'incidents.list',
      { scope: { kind: 'space', key: 'SEC' } },
      SPACE_PAGE,
    )) as { incidents: { id: string }[] };
    expect(list.incidents.map((i) => i.id)).toEqual(r.incidents);
    const detail = (await t.app.resolve(
      'incidents.get',
      { id: r.incidents[0], scope: { kind: 'space', key: 'SEC' } },
      SPACE_PAGE,
    )) as { incident: { id: string } };
    expect(detail.incident.id).toBe(r.incidents[0]);
    // Without a scope in the payload, a space admin's own space is the scope.
    expect(await t.app.resolve('incidents.list', {}, SPACE_PAGE)).toMatchObject({ total: 1 });
  });

  test("a rule's allow-list drops its detections for that actor", async () => {
    const t = testApp();
    await t.app.storage.saveSettings({
      ...(await t.app.storage.settings()),
      ruleAllowLists: { 'admin-group-member-added': ['5b10ac8d82e05b22cc7d4ef5'] },
    });
    await t.app.ingestor.accept('forwarder', [adminGroupRecord()]);
    const r = await t.app.ingestor.drain();
    expect(r.detections.map((d) => d.rule.id)).not.toContain('admin-group-member-added');
  });
});
