/**
 * The DC simulator on its own terms: the audit REST API (shape, paging, auth), the products' error shapes,
 * the audit log lines it writes (parsed with zero rejects), and scenario replay: the Cloudflare 2023 scenario
 * replayed line by line into the simulator, hunted from the simulator's own log folder, and contained through
 * its REST API by the real responder, executor and directory.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DcDirectory, DcExecutor, type DcProduct } from '../../src/dc';
import { simAdminToken, simUserToken } from '../../src/dcsim';
import { runHunt } from '../../src/hunt';
import { parseLine } from '../../src/parsers';
import { MemoryActionLog, Responder } from '../../src/respond/responder';
import { simulateCloudflare2023 } from '../../src/scenarios';
import { auditLines, harness, jiraUser, parseAll, type Harness } from '../dc/harness';

const NOW = Date.UTC(2026, 10, 30, 4, 0, 0);

async function get(h: Harness, product: DcProduct, path: string, token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${h.sim.baseUrl(product)}${path}`, {
    headers: token !== undefined ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('audit REST API and error shapes', () => {
  let h: Harness;
  let clock = NOW;
  beforeEach(async () => {
    clock = NOW;
    h = await harness({ now: () => (clock += 1000) });
  });
  afterEach(async () => {
    await h.close();
  });

  it('returns what it wrote, newest first, in the REST entity shape; each entity parses as dc-audit-rest', async () => {
    const users = ['carol', 'alice.admin', 'bob.admin'];
    for (const u of users) {
      await h.executor.run({ kind: 'add-to-group', identity: jiraUser(u), product: 'jira', group: 'jira-software-users' }).catch(() => undefined);
      await h.executor.run({ kind: 'suspend-account', identity: jiraUser(u), product: 'jira' });
    }
    const { status, body } = await get(h, 'jira', '/rest/auditing/1.0/events?limit=100', simAdminToken('jira'));
    expect(status).toBe(200);
    const page = body as { entities: Record<string, unknown>[]; pagingInfo: Record<string, unknown> };
    expect(page.entities).toHaveLength(3);
    expect(Object.keys(page.entities[0] as object).sort()).toEqual(
      ['affectedObjects', 'author', 'changedValues', 'extraAttributes', 'method', 'node', 'source', 'system', 'timestamp', 'type'].sort(),
    );
    const times = page.entities.map((e) => Date.parse(e['timestamp'] as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const events = page.entities.flatMap((e, i) => {
      const out = parseLine(JSON.stringify(e), { file: 'rest', line: i + 1 });
      expect(out.rejects).toEqual([]);
      expect(out.format).toBe('dc-audit-rest');
      return out.events;
    });
    expect(events.map((e) => [e['event.action'], e['user.target.name'], e['user.name']])).toEqual([
      ['user.updated', 'bob.admin', 'bulkhead'],
      ['user.updated', 'alice.admin', 'bulkhead'],
      ['user.updated', 'carol', 'bulkhead'],
    ]);
    // the file lines say the same
    const fileEvents = parseAll(await auditLines(h.dir, 'jira'), 'jira');
    expect(fileEvents.map((e) => e['@timestamp'])).toEqual(events.map((e) => e['@timestamp']).reverse());
  });

  it('pages with limit and pageCursor, filters with from/to', async () => {
    for (const u of ['carol', 'alice.admin', 'bob.admin', 'bulkhead']) {
      await h.executor.run({ kind: 'remove-from-group', identity: jiraUser(u), product: 'bitbucket', group: 'stash-users' });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const q = `limit=3${cursor ? `&pageCursor=${encodeURIComponent(cursor)}` : ''}`;
      const { body } = await get(h, 'bitbucket', `/rest/auditing/1.0/events?${q}`, simAdminToken('bitbucket'));
      const p = body as { entities: { affectedObjects: { name: string; type: string }[] }[]; pagingInfo: { nextPageCursor?: string } };
      seen.push(...p.entities.map((e) => e.affectedObjects.find((o) => o.type === 'USER')?.name ?? '?'));
      cursor = p.pagingInfo.nextPageCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(['bulkhead', 'bob.admin', 'alice.admin', 'carol']);
    const from = new Date(NOW + 2500).toISOString();
    const to = new Date(NOW + 3500).toISOString();
    const { body } = await get(h, 'bitbucket', `/rest/auditing/1.0/events?from=${from}&to=${to}`, simAdminToken('bitbucket'));
    expect((body as { entities: unknown[] }).entities).toHaveLength(1);
  });

  it('401 without a token, 403 for a non-admin, in each product’s error shape', async () => {
    const j = await get(h, 'jira', '/rest/auditing/1.0/events');
    expect(j).toEqual({ status: 401, body: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} } });
    const c = await get(h, 'confluence', '/rest/api/user/memberof?username=carol', 'nope');
    expect(c.status).toBe(401);
    expect(c.body).toMatchObject({ statusCode: 401, message: expect.any(String), data: { successful: false } });
    const b = await get(h, 'bitbucket', '/rest/auditing/1.0/events', simUserToken('bitbucket'));
    expect(b.status).toBe(403);
    expect(b.body).toEqual({ errors: [{ context: null, message: expect.any(String), exceptionName: expect.any(String) }] });
    const unknown = await get(h, 'jira', '/rest/api/2/nothing-here', simAdminToken('jira'));
    expect(unknown.status).toBe(404);
  });

  it('appends one newline-terminated line per change, visible on disk at once', async () => {
    await h.executor.run({ kind: 'remove-from-group', identity: jiraUser('carol'), product: 'confluence', group: 'confluence-users' });
    const lines1 = await auditLines(h.dir, 'confluence');
    expect(lines1).toHaveLength(1);
    await h.executor.run({ kind: 'add-to-group', identity: jiraUser('carol'), product: 'confluence', group: 'confluence-users' });
    const lines2 = await auditLines(h.dir, 'confluence');
    expect(lines2.slice(0, 1)).toEqual(lines1);
    expect(lines2).toHaveLength(2);
    const file = join(h.dir, 'confluence', 'log', 'audit', '20261130.audit.log');
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(3);
  });
});

describe('replay', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness({ now: () => NOW });
  });
  afterEach(async () => {
    await h.close();
  });

  it('appends a line verbatim and applies user-created, group and token effects', () => {
    const line = (action: string, key: string, affected: unknown[], extra: unknown[] = [], changed: unknown[] = []) =>
      JSON.stringify({
        affectedObjects: affected,
        auditType: { action, actionI18nKey: key, area: 'USER_MANAGEMENT', category: 'user management', categoryI18nKey: 'jira.auditing.category.usermanagement', level: 'BASE' },
        author: { id: 'JIRAUSER10000', name: 'alice.admin', type: 'user' },
        changedValues: changed,
        extraAttributes: extra,
        method: 'Browser',
        node: 'jira-node-1',
        source: '203.0.113.9',
        system: 'https://jira.example.com',
        timestamp: { epochSecond: 1700000000, nano: 0 },
        version: '1.0',
      });
    const created = h.sim.replay('jira', line('User created', 'jira.auditing.user.created', [{ id: 'JIRAUSER777', name: 'svc-new', type: 'USER' }]));
    expect(created).toMatchObject({ file: 'jira/log/audit/20231114.audit.log', rejects: [], applied: ['created svc-new'] });
    expect(h.sim.state.isActive('jira', 'svc-new')).toBe(true);
    h.sim.replay('jira', line('User added to group', 'jira.auditing.user.added.to.group', [{ name: 'jira-administrators', type: 'GROUP' }, { name: 'svc-new', type: 'USER' }]));
    expect(h.sim.state.isMember('jira', 'svc-new', 'jira-administrators')).toBe(true);
    const tok = h.sim.replay(
      'jira',
      line('Personal access token created', 'personal.access.tokens.audit.log.summary.token.created', [{ name: 'svc-new', type: 'User' }], [
        { name: 'Token Name', nameI18nKey: 'personal.access.tokens.audit.log.extra.attribute.name', value: 'automation' },
      ]),
    );
    expect(tok.applied).toEqual(['token automation for svc-new']);
    expect(h.sim.state.tokensOf('jira', 'svc-new')).toEqual(['automation']);
    h.sim.replay(
      'jira',
      line('User updated', 'jira.auditing.user.updated', [{ name: 'svc-new', type: 'USER' }], [], [
        { key: 'Active / Inactive', i18nKey: 'admin.common.phrases.active.inactive', from: 'Active', to: 'Inactive' },
      ]),
    );
    expect(h.sim.state.isActive('jira', 'svc-new')).toBe(false);
  });

  it('a line it cannot parse is still appended verbatim, and changes nothing', async () => {
    const r = h.sim.replay('confluence', '{"not":"an audit record"');
    expect(r.rejects).toHaveLength(1);
    expect(r.applied).toEqual([]);
    expect(await readFile(join(h.dir, r.file), 'utf8')).toBe('{"not":"an audit record"\n');
  });

  it('appends access log lines to the Bitbucket access log', async () => {
    const line = '203.0.113.9 | https | i@1 | svc | 2023-11-22 14:50:12,345 | "GET /rest/api/latest/projects HTTP/1.1" | "" "curl/8" | 200 | 0 | 10 | - | 5 | -';
    expect(h.sim.replayAccess(line)).toBe('bitbucket/log/atlassian-bitbucket-access.log');
    expect(await readFile(join(h.dir, 'bitbucket/log/atlassian-bitbucket-access.log'), 'utf8')).toBe(`${line}\n`);
  });

  it('the Cloudflare scenario replayed into the simulator is hunted from its logs and contained through its REST API', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bulkhead-dcsim-scenario-'));
    try {
      const manifest = await simulateCloudflare2023({ format: 'dc', outDir: out, noise: 10, seed: 20231123 });
      let replayed = 0;
      for (const f of manifest.files) {
        const text = await readFile(join(out, f.file), 'utf8');
        const lines = text.split('\n').filter((l) => l !== '');
        const m = /^(jira|confluence|bitbucket)\/log\/audit\//.exec(f.file);
        for (const l of lines) {
          if (m) {
            const r = h.sim.replay(m[1] as DcProduct, l);
            expect(r.rejects).toEqual([]);
            expect(r.file).toBe(f.file);
          } else if (f.file.endsWith('atlassian-bitbucket-access.log')) {
            h.sim.replayAccess(l);
          } else continue;
          replayed++;
        }
        // verbatim: the simulator's copy of each replayed file is the scenario's file
        if (m || f.file.endsWith('atlassian-bitbucket-access.log')) {
          expect(await readFile(join(h.dir, f.file), 'utf8')).toBe(text.endsWith('\n') ? text : `${text}\n`);
        }
      }
      expect(replayed).toBeGreaterThan(100);
      // the service account joined jira-administrators in the scenario, and the defenders deactivated it
      expect(h.sim.state.isMember('jira', 'svc-smartsheet', 'jira-administrators')).toBe(true);
      expect(h.sim.state.isActive('jira', 'svc-smartsheet')).toBe(false);
      expect(h.sim.state.groupsOf('jira', 'jdoe2')).toEqual(expect.arrayContaining(['jira-software-users', 'developers']));

      // hunt the simulator's own log folder, as the service would tail it
      const result = await runHunt({ inputs: [h.dir] });
      expect(result.rejects).toEqual([]);
      const critical = result.incidents.filter((i) => i.severity === 'critical');
      expect(critical).toHaveLength(1);

      const isAdmin = (g: string) => /-(administrators|admins)$/.test(g);
      const responder = new Responder(
        { minSeverity: 'high', actions: ['remove-from-admin-groups'], dryRunRules: [], allowList: ['bulkhead'], maxPerHour: 50 },
        {
          directory: new DcDirectory({ ...h.connect(), adminGroups: isAdmin }),
          executor: new DcExecutor(h.connect()),
          log: new MemoryActionLog(),
          now: () => NOW,
        },
      );
      const records = await responder.respond(critical[0]!);
      const removal = records.find((r) => r.action.kind === 'remove-from-group' && r.action.identity.name === 'svc-smartsheet');
      expect(removal).toMatchObject({ state: 'done', result: 'removed svc-smartsheet from jira-administrators' });
      expect(h.sim.state.isMember('jira', 'svc-smartsheet', 'jira-administrators')).toBe(false);
      expect(h.sim.state.membersOf('jira', 'jira-administrators')).toEqual(['alice.admin', 'bob.admin', 'bulkhead']);
      // and the removal is in today's audit log, by the bulkhead account
      const today = parseAll(await auditLines(h.dir, 'jira'), 'jira').filter((e) => e['@timestamp'] === NOW);
      expect(today.map((e) => [e['event.action'], e['user.target.name'], e['group.name'], e['user.name']])).toEqual([
        ['group.member.removed', 'svc-smartsheet', 'jira-administrators', 'bulkhead'],
      ]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
