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

describe('console resolvers check the caller', () => {
  test.each(CONSOLE_FUNCTIONS)('%s is refused to a non-admin on every console module', async (fn) => {
    const t = testApp();
    asUserIs(t, {});
    for (const ctx of [
      JIRA_ADMIN_PAGE,
      SPACE_PAGE,
      REPO_PAGE,
      { ...JIRA_ADMIN_PAGE, extension: { type: 'confluence:globalSettings' } },
    ])
      await expect(
        t.app.resolve(fn, { id: 'x', name: 'forwarder', value: 'v', change: {} }, ctx),
      ).rejects.toThrow(/administrator/);
    // No account (an anonymous or app call) and an unknown module are refused as well.
    await expect(t.app.resolve(fn, {}, { extension: { type: 'jira:adminPage' } })).rejects.toThrow('no user');
    await expect(
      t.app.resolve(fn, {}, { accountId: 'u', extension: { type: 'jira:issuePanel' } }),
    ).rejects.toThrow();
    // Nothing was written by a refused call.
    expect(await t.kv.getSecret(SECRETS.forwarder)).toBeUndefined();
    expect(t.kv.keys()).toEqual([]);
  });

  test('a Jira admin gets the full console: settings, secrets set but never returned, readiness, export', async () => {
    const t = testApp();
    asUserIs(t, { jiraAdmin: true });
    expect(await t.app.resolve('whoami', {}, JIRA_ADMIN_PAGE)).toEqual({ access: 'full' });
    await t.app.resolve('setSecret', { name: 'orgApiKey', value: 'ATCTT-very-secret' }, JIRA_ADMIN_PAGE);
    const s = (await t.app.resolve('getSettings', {}, JIRA_ADMIN_PAGE)) as {
      secrets: Record<string, string>;
    };
    expect(s.secrets['orgApiKey']).toBe('set');
    expect(s.secrets['forwarder']).toBe('unset');
    expect(JSON.stringify(s)).not.toContain('very-secret');
    await expect(t.app.resolve('saveSettings', { change: { nope: 1 } }, JIRA_ADMIN_PAGE)).rejects.toThrow(
      'settings.nope',
    );
    const saved = (await t.app.resolve(
      'saveSettings',
      { change: { orgId: 'org-1', policy: { maxPerHour: 3 } } },
      JIRA_ADMIN_PAGE,
    )) as {
      settings: { orgId: string; policy: { maxPerHour: number } };
    };
    expect(saved.settings.orgId).toBe('org-1');
    expect(saved.settings.policy.maxPerHour).toBe(3);
    const ready = (await t.app.resolve('getReadiness', {}, JIRA_ADMIN_PAGE)) as {
      items: { name: string; state: string; why: string }[];
    };
    expect(ready.items.find((i) => i.name === 'Suspend and restore accounts')).toMatchObject({
      state: 'not-ready',
    });
    expect(ready.items.find((i) => i.name === 'Revoke API tokens')).toMatchObject({ state: 'ready' });
    expect(ready.items.find((i) => i.name.startsWith('Bitbucket Cloud archive'))).toMatchObject({
      state: 'impossible',
    });
    expect(JSON.stringify(ready)).not.toContain('very-secret');
  });

  test('a space admin sees only incidents that touched the space, read-only; a repository admin likewise', async () => {
    const t = testApp();
    await t.app.ingestor.accept('forwarder', [adminGroupRecord()]);
    await t.app.ingestor.drain();
    asUserIs(t, { spaceAdmin: true, repoAdmin: true });
    expect(await t.app.resolve('whoami', {}, SPACE_PAGE)).toEqual({ access: 'space', space: 'SEC' });
    expect(await t.app.resolve('listIncidents', {}, SPACE_PAGE)).toEqual({ items: [] });
    expect(await t.app.resolve('listIncidents', {}, REPO_PAGE)).toEqual({ items: [] });
    for (const fn of ['undoAction', 'approveAction', 'getSettings', 'setSecret', 'getReadiness'] as const) {
      await expect(t.app.resolve(fn, { id: 'x', name: 'forwarder', value: 'v' }, SPACE_PAGE)).rejects.toThrow(
        /site or organization/,
      );
      await expect(t.app.resolve(fn, { id: 'x', name: 'forwarder', value: 'v' }, REPO_PAGE)).rejects.toThrow(
        /site or organization/,
      );
    }
    asUserIs(t, { jiraAdmin: true });
    const all = (await t.app.resolve('listIncidents', {}, JIRA_ADMIN_PAGE)) as { items: { id: string }[] };
    expect(all.items).toHaveLength(1);
    await expect(t.app.resolve('getIncident', { id: all.items[0]!.id }, SPACE_PAGE)).rejects.toThrow();
    const csv = (await t.app.resolve('exportIncidents', { format: 'csv' }, JIRA_ADMIN_PAGE)) as {
      csv: string;
    };
    expect(csv.csv.split('\r\n')[0]).toBe(
      '"id","status","severity","title","actor","first_seen","last_seen","products"',
    );
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
    const list = (await t.app.resolve('listIncidents', {}, SPACE_PAGE)) as {
      items: { id: string; spaces: string[] }[];
    };
    expect(list.items.map((i) => i.id)).toEqual(r.incidents);
    const detail = (await t.app.resolve('getIncident', { id: r.incidents[0] }, SPACE_PAGE)) as {
      incident: { id: string };
    };
    expect(detail.incident.id).toBe(r.incidents[0]);
    const other = {
      ...SPACE_PAGE,
      extension: { type: 'confluence:spaceSettings', space: { key: 'ENG', id: '98' } },
    };
    expect(await t.app.resolve('listIncidents', {}, other)).toEqual({ items: [] });
  });
});
