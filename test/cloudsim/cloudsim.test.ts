import '../../src/forge-harness/register';
import api, { asApp, asUser, assumeTrustedRoute, route } from '@forge/api';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetForgeHarness, type ForgeHarness } from '../../src/forge-harness';
import { CloudSim, CloudSimError, startCloudSimServer, type CloudSimOptions } from '../../src/cloudsim';
import { parseLine, parseRecord, readInput } from '../../src/parsers';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
let h: ForgeHarness;
let cloud: CloudSim;

function setup(opts: CloudSimOptions = {}): void {
  h = resetForgeHarness({ startMs: T0, seed: 3 });
  cloud = new CloudSim(h, { seed: 11, ...opts });
}
beforeEach(() => setup());

const json = async (r: { json(): Promise<unknown> }): Promise<any> => r.json(); // eslint-disable-line @typescript-eslint/no-explicit-any
const bearer = (k = 'org-api-key-0001') => ({
  Authorization: `Bearer ${k}`,
  'Content-Type': 'application/json',
});

describe('Jira endpoints and permissions', () => {
  test('audit records: newest first, visible after the delay, offset/limit/filter/from', async () => {
    const intruder = cloud.as(cloud.admin.accountId).createUser('svc-backup');
    await h.advance(1000);
    cloud.as(cloud.admin.accountId).addToGroup(intruder.accountId, 'site-admins');
    let page = await json(await asApp().requestJira(route`/rest/api/3/auditing/record`));
    expect(page.total).toBe(0);
    await h.advance(10_000);
    page = await json(await asApp().requestJira(route`/rest/api/3/auditing/record?limit=${1}`));
    expect(page).toMatchObject({ offset: 0, limit: 1, total: 2 });
    expect(page.records[0]).toMatchObject({
      summary: 'User added to group',
      category: 'group management',
      authorAccountId: cloud.admin.accountId,
    });
    expect(page.records[0].associatedItems[0]).toMatchObject({ name: 'site-admins', typeName: 'GROUP' });
    const filtered = await json(
      await asApp().requestJira(route`/rest/api/3/auditing/record?filter=${'user created'}`),
    );
    expect(filtered.records.map((r: { summary: string }) => r.summary)).toEqual(['User created']);
    const from = await json(
      await asApp().requestJira(route`/rest/api/3/auditing/record?from=${new Date(T0 + 500).toISOString()}`),
    );
    expect(from.total).toBe(1);
  });

  test('group removal asApp is 403 until the app user is in site-admins; asUser follows the user', async () => {
    const u = cloud.as(cloud.admin.accountId).createUser('mallory');
    cloud.as(cloud.admin.accountId).addToGroup(u.accountId, 'site-admins');
    const g = cloud.groupByName('site-admins')!;
    const del = () =>
      asApp().requestJira(route`/rest/api/3/group/user?groupId=${g.groupId}&accountId=${u.accountId}`, {
        method: 'DELETE',
      });
    const r1 = await del();
    expect(r1.status).toBe(403);
    expect((await json(r1)).errorMessages[0]).toMatch(/site administration/);
    cloud.as(cloud.admin.accountId).addToGroup(cloud.appUser.accountId, 'site-admins');
    expect((await del()).status).toBe(200);
    expect(g.members.has(u.accountId)).toBe(false);
    expect((await del()).status).toBe(400);
    const bob = cloud.seedUser({ displayName: 'bob' }, []);
    expect(
      (
        await asUser(bob.accountId).requestJira(
          route`/rest/api/3/group/user?groupname=${'site-admins'}&accountId=${cloud.appUser.accountId}`,
          { method: 'DELETE' },
        )
      ).status,
    ).toBe(403);
    const perms = await json(
      await asUser(bob.accountId).requestJira(route`/rest/api/3/mypermissions?permissions=ADMINISTER`),
    );
    expect(perms.permissions.ADMINISTER.havePermission).toBe(false);
    const adminPerms = await json(
      await asUser(cloud.admin.accountId).requestJira(
        route`/rest/api/3/mypermissions?permissions=ADMINISTER,SYSTEM_ADMIN`,
      ),
    );
    expect(adminPerms.permissions.SYSTEM_ADMIN.havePermission).toBe(true);
  });

  test('user, user groups, group members (paged, inactive left out unless asked), add to group', async () => {
    cloud.seedPopulation(60);
    const g = cloud.groupByName('jira-software-users-acme')!;
    const p1 = await json(
      await asApp().requestJira(route`/rest/api/3/group/member?groupId=${g.groupId}&maxResults=${50}`),
    );
    expect(p1).toMatchObject({ startAt: 0, maxResults: 50, total: 60, isLast: false });
    const someone = p1.values[0].accountId as string;
    cloud.setSuspended(someone, true);
    const p2 = await json(
      await asApp().requestJira(route`/rest/api/3/group/member?groupId=${g.groupId}&startAt=${50}`),
    );
    expect(p2).toMatchObject({ total: 59, isLast: true });
    const all = await json(
      await asApp().requestJira(
        route`/rest/api/3/group/member?groupId=${g.groupId}&includeInactiveUsers=true`,
      ),
    );
    expect(all.total).toBe(60);
    const user = await json(
      await asApp().requestJira(route`/rest/api/3/user?accountId=${cloud.admin.accountId}&expand=groups`),
    );
    expect(user.groups.items.map((x: { name: string }) => x.name)).toContain('site-admins');
    const groups = await json(
      await asApp().requestJira(route`/rest/api/3/user/groups?accountId=${cloud.admin.accountId}`),
    );
    expect(groups.map((x: { name: string }) => x.name)).toEqual([
      'confluence-admins-acme',
      'jira-admins-acme',
      'site-admins',
    ]);
    const add = await asUser(cloud.admin.accountId).requestJira(
      route`/rest/api/3/group/user?groupname=${'jira-admins-acme'}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ accountId: someone }),
      },
    );
    expect(add.status).toBe(201);
    // A suspended user cannot act through asUser.
    expect((await asUser(someone).requestJira(route`/rest/api/3/myself`)).status).toBe(401);
  });

  test('the app can open a Jira issue (notifications)', async () => {
    const r = await asApp().requestJira(route`/rest/api/3/issue`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        fields: { project: { key: 'SEC' }, summary: 'Incident 1', issuetype: { name: 'Task' } },
      }),
    });
    expect(r.status).toBe(201);
    expect(await json(r)).toMatchObject({ key: 'SEC-1' });
  });
});

describe('Confluence, Bitbucket and the Admin API', () => {
  test('Confluence audit and group membership by group id', async () => {
    const u = cloud.as(cloud.admin.accountId).createUser('eve');
    cloud.as(cloud.admin.accountId).addToGroup(u.accountId, 'confluence-admins-acme');
    await h.advance(10_000);
    const page = await json(
      await asApp().requestConfluence(route`/wiki/rest/api/audit?startDate=${T0}&limit=${10}`),
    );
    expect(page.results.map((r: { summary: string }) => r.summary)).toEqual([
      'User added to group',
      'User created',
    ]);
    expect(page.results[0].affectedObject.objectType).toBe('Group');
    const g = cloud.groupByName('confluence-admins-acme')!;
    const members = await json(
      await asApp().requestConfluence(route`/wiki/rest/api/group/${g.groupId}/membersByGroupId`),
    );
    expect(members.results.map((m: { accountId: string }) => m.accountId)).toContain(u.accountId);
    expect(
      (
        await asApp().requestConfluence(
          route`/wiki/rest/api/group/userByGroupId?groupId=${g.groupId}&accountId=${u.accountId}`,
          { method: 'DELETE' },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await asUser(cloud.admin.accountId).requestConfluence(
          route`/wiki/rest/api/group/userByGroupId?groupId=${g.groupId}&accountId=${u.accountId}`,
          { method: 'DELETE' },
        )
      ).status,
    ).toBe(204);
    const memberof = await json(
      await asApp().requestConfluence(route`/wiki/rest/api/user/memberof?accountId=${u.accountId}`),
    );
    expect(memberof.results.map((x: { name: string }) => x.name)).not.toContain('confluence-admins-acme');
  });

  test('Bitbucket repository permissions: list, revoke by account id or uuid, grant', async () => {
    const u = cloud.seedUser({ displayName: 'dev' });
    cloud.seedRepo('core', { [u.accountId]: 'admin' });
    const list = await json(
      await asApp().requestBitbucket(route`/2.0/repositories/${'acme'}/${'core'}/permissions-config/users`),
    );
    expect(list.values[0]).toMatchObject({ permission: 'admin', user: { account_id: u.accountId } });
    const uuid = cloud.bitbucketUuid(u.accountId);
    expect(
      (
        await asApp().requestBitbucket(
          route`/2.0/repositories/${'acme'}/${'core'}/permissions-config/users/${uuid}`,
          { method: 'DELETE' },
        )
      ).status,
    ).toBe(204);
    expect(cloud.repos.get('core')!.permissions.size).toBe(0);
    const put = await asApp().requestBitbucket(
      route`/2.0/repositories/${'acme'}/${'core'}/permissions-config/users/${u.accountId}`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ permission: 'read' }),
      },
    );
    expect(put.status).toBe(201);
    expect(
      (
        await asUser(u.accountId).requestBitbucket(
          route`/2.0/repositories/${'acme'}/${'core'}/permissions-config/users`,
        )
      ).status,
    ).toBe(403);
  });

  test('Admin API: org key required; suspend and restore (v1 and v2); API tokens listed and revoked', async () => {
    const u = cloud.as(cloud.admin.accountId).createUser('svc', { email: 'svc@acme.example' });
    const t = cloud.as(u.accountId).createApiToken('ci');
    const orgId = cloud.org.orgId;
    const base = 'https://api.atlassian.com';
    expect(
      (
        await api.fetch(`${base}/admin/v1/orgs/${orgId}/directory/users/${u.accountId}/suspend-access`, {
          method: 'POST',
          headers: bearer('wrong'),
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await api.fetch(`${base}/admin/v1/orgs/other/directory/users/${u.accountId}/suspend-access`, {
          method: 'POST',
          headers: bearer(),
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await api.fetch(`${base}/admin/v1/orgs/${orgId}/directory/users/${u.accountId}/suspend-access`, {
          method: 'POST',
          headers: bearer(),
        })
      ).status,
    ).toBe(200);
    expect(cloud.user(u.accountId)!.suspended).toBe(true);
    expect(() => cloud.as(u.accountId).viewPage('1')).toThrow(CloudSimError);
    expect(
      (
        await api.fetch(
          `${base}/admin/v2/orgs/${orgId}/directories/${cloud.org.directoryId}/users/${u.accountId}/restore`,
          { method: 'POST', headers: bearer() },
        )
      ).status,
    ).toBe(200);
    expect(cloud.user(u.accountId)!.suspended).toBe(false);
    const tokens = (await (
      await api.fetch(`${base}/users/${u.accountId}/manage/api-tokens`, { headers: bearer() })
    ).json()) as { id: string }[];
    expect(tokens.map((x) => x.id)).toEqual([t.id]);
    expect(
      (
        await api.fetch(`${base}/users/${u.accountId}/manage/api-tokens/${t.id}`, {
          method: 'DELETE',
          headers: bearer(),
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await api.fetch(`${base}/users/${u.accountId}/manage/api-tokens/${t.id}`, {
          method: 'DELETE',
          headers: bearer(),
        })
      ).status,
    ).toBe(404);
    // Not through requestAtlassian: no Forge scope covers the Admin API.
    expect((await asApp().requestAtlassian(route`/admin/v1/orgs/${orgId}/events`)).status).toBe(403);
  });

  test('org events and events-stream: visible after the delay, cursor polling sees only new events', async () => {
    const a = cloud.as(cloud.admin.accountId);
    const u = a.createUser('one');
    a.addToGroup(u.accountId, 'site-admins');
    await h.advance(60_000);
    const orgId = cloud.org.orgId;
    const s1 = (await (
      await api.fetch(`https://api.atlassian.com/admin/v1/orgs/${orgId}/events-stream?limit=10`, {
        headers: bearer(),
      })
    ).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(s1.data.map((e: { attributes: { action: string } }) => e.attributes.action)).toEqual([
      'user_created',
      'user_added_to_group',
    ]);
    a.createApiToken('x');
    const s2 = (await (
      await api.fetch(
        `https://api.atlassian.com/admin/v1/orgs/${orgId}/events-stream?cursor=${s1.meta.next}`,
        { headers: bearer() },
      )
    ).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(s2.data).toHaveLength(0);
    await h.advance(60_000);
    const s3 = (await (
      await api.fetch(
        `https://api.atlassian.com/admin/v1/orgs/${orgId}/events-stream?cursor=${s1.meta.next}`,
        { headers: bearer() },
      )
    ).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(s3.data.map((e: { attributes: { action: string } }) => e.attributes.action)).toEqual([
      'api_token_created',
    ]);
    const ev = (await (
      await api.fetch(`https://api.atlassian.com/admin/v1/orgs/${orgId}/events?action=user_created`, {
        headers: bearer(),
      })
    ).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(ev.data).toHaveLength(1);
  });
});

describe('audit records and events parse with Bulkhead parsers', () => {
  test('Jira, Confluence and org pages, NDJSON files and Forge payloads: zero rejects', async () => {
    setup({ events: { minDelayMs: 1000, maxDelayMs: 2000 } });
    const got: Record<string, unknown>[] = [];
    h.registerTrigger(
      'all',
      [
        'avi:jira:created:user',
        'avi:confluence:created:user',
        'avi:confluence:created:group',
        'avi:jira:viewed:issue',
        'avi:confluence:viewed:page',
        'avi:confluence:performed:search',
        'avi:confluence:permissions_updated:space:V2',
        'avi:bitbucket:push:repository',
      ],
      (e: Record<string, unknown>) => {
        got.push(e);
      },
    );
    const a = cloud.as(cloud.admin.accountId, { ip: '203.0.113.9' });
    cloud.seedIssue('WEB', 'login page');
    const page = cloud.seedPage('ENG', 'Secrets rotation');
    cloud.seedRepo('core');
    const u = a.createUser('svc-intruder', { email: 'svc@acme.example' });
    a.createGroup('backup-admins');
    a.addToGroup(u.accountId, 'site-admins');
    a.installApp('scriptrunner', 'ScriptRunner');
    a.viewIssue('WEB-1');
    a.viewPage(page.id);
    a.search('password');
    a.grantSpacePermission('ENG', u.accountId, 'export');
    a.exportSpace('ENG');
    a.push('core');
    a.createApiToken('backdoor');
    a.removeFromGroup(u.accountId, 'site-admins');
    await h.advance(120_000);
    await h.runUntilIdle();

    const jira = await json(await asApp().requestJira(route`/rest/api/3/auditing/record`));
    const conf = await json(await asApp().requestConfluence(route`/wiki/rest/api/audit`));
    const org = (await (
      await api.fetch(`https://api.atlassian.com/admin/v1/orgs/${cloud.org.orgId}/events`, {
        headers: bearer(),
      })
    ).json()) as { data: unknown[] };
    const ref = { file: 'sim', line: 1 };
    for (const [pageBody, n, fmt] of [
      [jira, jira.records.length, 'jira-cloud-audit'],
      [conf, conf.results.length, 'confluence-cloud-audit'],
      [org, org.data.length, 'org-audit'],
    ] as const) {
      const out = parseRecord(pageBody, ref);
      expect(out.rejects).toEqual([]);
      expect(out.format).toBe(fmt);
      expect(out.events).toHaveLength(n);
      expect(n).toBeGreaterThan(0);
    }
    const actions = parseRecord(jira, ref).events.map((e) => e['event.action']);
    expect(actions).toEqual(
      expect.arrayContaining([
        'group.member.added',
        'group.member.removed',
        'user.created',
        'group.created',
        'app.installed',
      ]),
    );
    const orgActions = parseRecord(org, ref).events.map((e) => e['event.action']);
    expect(orgActions).toEqual(
      expect.arrayContaining(['token.api.created', 'issue.viewed', 'page.viewed', 'group.member.added']),
    );

    const dir = mkdtempSync(join(tmpdir(), 'cloudsim-'));
    const lines = [...jira.records, ...conf.results, ...org.data].map((r) => JSON.stringify(r));
    writeFileSync(join(dir, 'audit.ndjson'), lines.join('\n') + '\n');
    let events = 0;
    for await (const batch of readInput(join(dir, 'audit.ndjson'))) {
      expect(batch.rejects).toEqual([]);
      events += batch.events.length;
    }
    expect(events).toBe(lines.length);
    for (const l of lines) expect(parseLine(l, ref).rejects).toEqual([]);

    expect(got.length).toBe(cloud.emitted.length);
    for (const e of got) {
      const out = parseRecord(e, ref, undefined, { receivedAt: T0 });
      expect(out.rejects).toEqual([]);
      expect(out.events).toHaveLength(1);
    }
    // Cloud has no source for archive downloads, clones or group-membership product events.
    a.downloadArchive('core');
    expect(cloud.emitted.map((e) => e.event.eventType)).not.toContain('avi:bitbucket:downloaded:archive');
  });
});

describe('event delivery under a seeded RNG', () => {
  async function run(opts: CloudSimOptions): Promise<{ type: string; at: number; id: string }[]> {
    setup(opts);
    const seen: { type: string; at: number; id: string }[] = [];
    h.registerTrigger(
      't',
      ['avi:confluence:viewed:page'],
      (e: { eventType: string; content: { id: string } }) => {
        seen.push({ type: e.eventType, at: Date.now() - T0, id: e.content.id });
      },
    );
    const pages = Array.from({ length: 20 }, (_, i) => cloud.seedPage('ENG', `p${i}`));
    for (const p of pages) {
      cloud.as(cloud.admin.accountId).viewPage(p.id);
      await h.advance(1000);
    }
    await h.runUntilIdle();
    return seen;
  }

  test('delays within bounds, deterministic for a seed', async () => {
    const a = await run({ seed: 5, events: { minDelayMs: 2000, maxDelayMs: 9000 } });
    const b = await run({ seed: 5, events: { minDelayMs: 2000, maxDelayMs: 9000 } });
    expect(a).toEqual(b);
    expect(a).toHaveLength(20);
    a.forEach((s) => {
      const emittedAt = (Number(s.id) - 800_001) * 1000;
      expect(s.at - emittedAt).toBeGreaterThanOrEqual(2000);
      expect(s.at - emittedAt).toBeLessThanOrEqual(9000);
    });
    const c = await run({ seed: 6, events: { minDelayMs: 2000, maxDelayMs: 9000 } });
    expect(c).not.toEqual(a);
  });

  test('duplicates and late, out-of-order deliveries', async () => {
    const dup = await run({ seed: 5, events: { duplicateRate: 1 } });
    expect(dup).toHaveLength(40);
    expect(new Set(dup.map((d) => d.id)).size).toBe(20);
    const late = await run({ seed: 5, events: { lateRate: 0.3, lateMinMs: 60_000, lateMaxMs: 180_000 } });
    expect(late).toHaveLength(20);
    const order = late.map((d) => Number(d.id));
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
    expect(Math.max(...late.map((d) => d.at))).toBeGreaterThan(60_000);
  });
});

describe('faults', () => {
  test('429 with Retry-After, 5xx, then normal service', async () => {
    cloud.faults.add({ target: 'jira', path: '/rest/api/3/auditing', kind: 429, retryAfterS: 7 });
    cloud.faults.add({ target: 'jira', kind: 503 });
    const r1 = await asApp().requestJira(route`/rest/api/3/auditing/record`);
    expect(r1.status).toBe(429);
    expect(r1.headers.get('Retry-After')).toBe('7');
    expect((await asApp().requestJira(route`/rest/api/3/auditing/record`)).status).toBe(503);
    expect((await asApp().requestJira(route`/rest/api/3/auditing/record`)).status).toBe(200);
    expect(cloud.faults.fired.map((f) => f.kind)).toEqual([429, 503]);
  });

  test('a call that never answers times the invocation out; a lost answer applies the change', async () => {
    const u = cloud.as(cloud.admin.accountId).createUser('m');
    cloud.as(cloud.admin.accountId).addToGroup(u.accountId, 'site-admins');
    cloud.as(cloud.admin.accountId).addToGroup(cloud.appUser.accountId, 'site-admins');
    cloud.faults.add({ target: 'admin', kind: 'hang' });
    await expect(
      h.invokeFunction('contain', async () => {
        await api.fetch(
          `https://api.atlassian.com/admin/v1/orgs/${cloud.org.orgId}/directory/users/${u.accountId}/suspend-access`,
          { method: 'POST', headers: bearer() },
        );
      }),
    ).rejects.toThrow(/FUNCTION_TIME_OUT/);
    expect(cloud.user(u.accountId)!.suspended).toBe(false);
    cloud.faults.add({ target: 'jira', method: 'DELETE', kind: 'lostAnswer' });
    const r = await asApp().requestJira(
      route`/rest/api/3/group/user?groupname=${'site-admins'}&accountId=${u.accountId}`,
      { method: 'DELETE' },
    );
    expect(r.status).toBe(504);
    expect(cloud.inGroup(u.accountId, 'site-admins')).toBe(false);
  });
});

describe('merge checks, org webhook, HTTP server', () => {
  test('a merge check that fails blocks the merge', async () => {
    const dev = cloud.seedUser({ displayName: 'dev' });
    cloud.seedRepo('core', { [dev.accountId]: 'write' });
    const pr = cloud.as(dev.accountId).createPullRequest('core', 'feat');
    cloud.registerMergeCheck(
      'block-contained',
      (payload: { pullrequest: { author: { accountId: string } } }) => ({
        success: payload.pullrequest.author.accountId !== dev.accountId,
        message: 'author is contained',
      }),
    );
    const r = await cloud.as(dev.accountId).mergePullRequest('core', pr.id);
    expect(r).toEqual({
      merged: false,
      results: [{ moduleKey: 'block-contained', success: false, message: 'author is contained' }],
    });
    expect(cloud.repos.get('core')!.pullRequests[0]!.state).toBe('OPEN');
  });

  test('org audit-log webhook delivers each org event to the web trigger', async () => {
    setup({ orgWebhook: { webTriggerKey: 'org-hook', authorization: 'Bearer hook-secret', delayMs: 1500 } });
    const bodies: unknown[] = [];
    h.registerWebTrigger('org-hook', (req: { headers: Record<string, string[]>; body: string }) => {
      expect(req.headers.authorization).toEqual(['Bearer hook-secret']);
      bodies.push(JSON.parse(req.body));
      return { statusCode: 204 };
    });
    cloud.as(cloud.admin.accountId).createApiToken('t');
    await h.runUntilIdle();
    expect(bodies).toHaveLength(1);
    expect(parseRecord(bodies[0], { file: 'hook', line: 1 }).events[0]!['event.action']).toBe(
      'token.api.created',
    );
  });

  test('loopback HTTP: API-token basic auth acts as the user; suspension locks the token out', async () => {
    const u = cloud.as(cloud.admin.accountId).createUser('ops', { email: 'ops@acme.example' });
    cloud.as(cloud.admin.accountId).addToGroup(u.accountId, 'site-admins');
    const t = cloud.as(u.accountId).createApiToken('cli');
    const srv = await startCloudSimServer(cloud);
    try {
      const auth = {
        Authorization: `Basic ${Buffer.from(`ops@acme.example:${t.id}`).toString('base64')}`,
        'Content-Type': 'application/json',
      };
      const victim = cloud.seedUser({ displayName: 'v' });
      const r = await fetch(`${srv.url}/rest/api/3/group/user?groupname=site-admins`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ accountId: victim.accountId }),
      });
      expect(r.status).toBe(201);
      expect(cloud.inGroup(victim.accountId, 'site-admins')).toBe(true);
      cloud.setSuspended(u.accountId, true);
      expect((await fetch(`${srv.url}/rest/api/3/myself`, { headers: auth })).status).toBe(401);
    } finally {
      await srv.close();
    }
  });
});

describe('endpoints the app uses for access checks and repository grants', () => {
  test('Confluence by group name, current user operations, space operations', async () => {
    const u = cloud.as(cloud.admin.accountId).createUser('carol');
    const s = cloud.seedSpace('ENG', 'Engineering');
    const byName = () =>
      asUser(cloud.admin.accountId).requestConfluence(
        route`/wiki/rest/api/group/user?name=${'confluence-users-acme'}&accountId=${u.accountId}`,
        {
          method: 'DELETE',
        },
      );
    expect((await byName()).status).toBe(204);
    expect((await byName()).status).toBe(400);
    const m = await json(
      await asApp().requestConfluence(
        route`/wiki/rest/api/group/member?name=${'site-admins'}&start=${0}&limit=${200}`,
      ),
    );
    expect(m.results.map((x: { accountId: string }) => x.accountId)).toEqual([cloud.admin.accountId]);
    const cur = await json(
      await asUser(cloud.admin.accountId).requestConfluence(
        route`/wiki/rest/api/user/current?expand=operations`,
      ),
    );
    expect(cur.operations).toContainEqual({ operation: 'administer', targetType: 'application' });
    const mine = await json(
      await asUser(u.accountId).requestConfluence(route`/wiki/rest/api/user/current?expand=operations`),
    );
    expect(mine.operations).not.toContainEqual({ operation: 'administer', targetType: 'application' });
    expect(
      (
        await json(
          await asUser(u.accountId).requestConfluence(route`/wiki/api/v2/spaces/${String(s.id)}/operations`),
        )
      ).operations,
    ).not.toContainEqual({
      operation: 'administer',
      targetType: 'space',
    });
    cloud.as(cloud.admin.accountId).grantSpacePermission('ENG', u.accountId, 'administer');
    expect(
      (
        await json(
          await asUser(u.accountId).requestConfluence(route`/wiki/api/v2/spaces/${String(s.id)}/operations`),
        )
      ).operations,
    ).toContainEqual({
      operation: 'administer',
      targetType: 'space',
    });
  });

  test('Bitbucket workspace repository permissions by q, pages with next; the caller own permissions', async () => {
    const u = cloud.seedUser({ displayName: 'dev' });
    for (let i = 0; i < 12; i++)
      cloud.seedRepo(`r${String(i).padStart(2, '0')}`, { [u.accountId]: i % 2 ? 'write' : 'admin' });
    cloud.seedRepo('other', { [cloud.admin.accountId]: 'read' });
    const q = `user.account_id="${u.accountId}"`;
    const p1 = await json(
      await asApp().requestBitbucket(
        route`/2.0/workspaces/${'acme'}/permissions/repositories?q=${q}&pagelen=${10}`,
      ),
    );
    expect(p1).toMatchObject({ size: 12, page: 1, pagelen: 10 });
    expect(p1.values).toHaveLength(10);
    const next = new URL(p1.next as string);
    expect(next.searchParams.get('page')).toBe('2');
    const p2 = await json(await asApp().requestBitbucket(assumeTrustedRoute(next.pathname + next.search)));
    expect(p2.values).toHaveLength(2);
    expect(p2.next).toBeUndefined();
    const ws = await json(
      await asUser(cloud.admin.accountId).requestBitbucket(
        route`/2.0/user/permissions/workspaces?q=${`workspace.uuid="${cloud.workspace.uuid}"`}`,
      ),
    );
    expect(ws.values[0].permission).toBe('owner');
    const repoUuid = cloud.repos.get('r00')!.uuid;
    const rp = await json(
      await asUser(u.accountId).requestBitbucket(
        route`/2.0/user/permissions/repositories?q=${`repository.uuid="${repoUuid}"`}`,
      ),
    );
    expect(rp.values.map((v: { permission: string }) => v.permission)).toEqual(['admin']);
    expect(
      (await asUser(u.accountId).requestBitbucket(route`/2.0/workspaces/${'acme'}/permissions/repositories`))
        .status,
    ).toBe(403);
  });

  test('Jira issue comment from the app is selfGenerated', async () => {
    const got: Record<string, unknown>[] = [];
    h.registerTrigger('c', ['avi:jira:commented:issue'], (e: Record<string, unknown>) => {
      got.push(e);
    });
    cloud.seedIssue('SEC', 'incident');
    const r = await asApp().requestJira(route`/rest/api/3/issue/${'SEC-1'}/comment`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: { type: 'doc', version: 1, content: [] } }),
    });
    expect(r.status).toBe(201);
    await h.runUntilIdle();
    expect(got[0]).toMatchObject({
      eventType: 'avi:jira:commented:issue',
      selfGenerated: true,
      atlassianId: cloud.appUser.accountId,
    });
  });
});

describe('lifecycle and site-admin seeding', () => {
  test('avi:forge:installed:app arrives without eventType, with the installer and the app', async () => {
    const got: Record<string, unknown>[] = [];
    h.registerTrigger('installed', ['avi:forge:installed:app'], (e: Record<string, unknown>) => {
      got.push(e);
    });
    cloud.emitAppInstalled({ delayMs: 500 });
    await h.runUntilIdle();
    expect(got).toHaveLength(1);
    expect(got[0]).not.toHaveProperty('eventType');
    expect(got[0]).toMatchObject({
      installerAccountId: cloud.admin.accountId,
      app: { id: h.opts.appId },
      environment: { id: h.opts.environmentId },
    });
    expect(h.productEventDeliveries[0]).toMatchObject({
      eventType: 'avi:forge:installed:app',
      outcome: 'ok',
    });
  });

  test('setSiteAdmin decides what the product answers about a resolver caller', async () => {
    const u = cloud.seedUser({ displayName: 'reviewer' });
    const check = async () =>
      (
        await json(
          await asUser(u.accountId).requestJira(route`/rest/api/3/mypermissions?permissions=SYSTEM_ADMIN`),
        )
      ).permissions.SYSTEM_ADMIN.havePermission;
    expect(await check()).toBe(false);
    cloud.setSiteAdmin(u.accountId, true);
    expect(await check()).toBe(true);
    expect(cloud.jiraAudit).toHaveLength(0);
  });
});
