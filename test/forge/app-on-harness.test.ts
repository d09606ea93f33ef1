/**
 * The Forge app's real handlers (src/forge/index.ts) through the unmodified SDKs on the local harness:
 * a scheduled poll reads a Jira audit record of a service account put into jira-administrators, the ingest
 * queue detects it, the contain queue removes the accounts from the group as the app, and the console's
 * resolvers show the incident and its actions to a Jira admin and to nobody else.
 */
import '../../src/forge-harness/register';
import { createHmac } from 'node:crypto';
import { json, type ForgeHarness, type HarnessRequest } from '../../src/forge-harness';
import { signature } from '../../src/notify/webhook';
import { adminGroupRecord } from './support';
import { installApp } from './harness-app';
import { kvs } from '@forge/kvs';
import { sql } from '@forge/sql';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const ADMIN = 'admin-1';
const NOBODY = 'user-2';
const ADMIN_PAGE = { extension: { type: 'jira:adminPage' } };

interface Site {
  members: Map<string, Set<string>>;
  removed: string[];
  audit: Record<string, unknown>[];
}

function jiraSite(h: ForgeHarness): Site {
  const site: Site = {
    members: new Map([['jira-administrators', new Set(['5b10ac8d82e05b22cc7d4ef5', '61a0a4c2', 'admin-1'])]]),
    removed: [],
    audit: [adminGroupRecord(42, '2026-11-01T11:58:00.000+0000')],
  };
  h.setProductHandler('jira', (req: HarnessRequest) => {
    const q = req.query;
    if (req.pathname === '/rest/api/3/auditing/record') {
      const from = Date.parse(q.get('from') ?? '');
      const to = Date.parse(q.get('to') ?? '');
      const recs = site.audit.filter((r) => {
        const t = Date.parse(String(r['created']).replace('+0000', 'Z'));
        return t >= from && t < to;
      });
      return json(200, { offset: 0, limit: 1000, total: recs.length, records: recs });
    }
    if (req.pathname === '/rest/api/3/user/groups') {
      const id = q.get('accountId') ?? '';
      return json(
        200,
        [...site.members].filter(([, m]) => m.has(id)).map(([name]) => ({ name })),
      );
    }
    if (req.pathname === '/rest/api/3/group/member')
      return json(200, { total: site.members.get(q.get('groupname') ?? '')?.size ?? 0, values: [] });
    if (req.pathname === '/rest/api/3/group/user' && req.method === 'DELETE') {
      if (req.provider !== 'app') return json(403, {});
      const m = site.members.get(q.get('groupname') ?? '');
      const id = q.get('accountId') ?? '';
      if (!m?.has(id)) return json(404, { errorMessages: ['not a member'] });
      m.delete(id);
      site.removed.push(id);
      return { status: 200 };
    }
    if (req.pathname === '/rest/api/3/mypermissions') {
      if (req.provider !== 'user') return json(400, {});
      // asUser() names no account: the platform answers for the invocation's principal. The harness does not
      // pass the resolver's principal to product handlers, so the test says who is calling (`caller`).
      return json(200, {
        permissions: { ADMINISTER: { havePermission: (req.accountId ?? caller) === ADMIN } },
      });
    }
    return json(404, { errorMessages: [`no route ${req.method} ${req.pathname}`] });
  });
  return site;
}

let h: ForgeHarness;
let site: Site;
let caller: string | undefined;

/** A resolver call as `accountId` from the Jira admin page. */
function resolve(fn: string, payload: unknown, accountId: string): Promise<unknown> {
  caller = accountId;
  return h.invokeResolver('console-jira', fn, payload, { accountId, context: ADMIN_PAGE });
}
beforeEach(() => {
  h = installApp({ startMs: T0, queue: { duplicateRate: 0 } });
  site = jiraSite(h);
});

test('poll → ingest queue → detection → contain queue → removed from jira-administrators; resolvers show it to an admin only', async () => {
  await h.runScheduledTrigger('poll-jira-audit');
  await h.runUntilIdle();
  expect(h.handlerErrors).toEqual([]);
  expect(site.removed.sort()).toEqual(['5b10ac8d82e05b22cc7d4ef5', '61a0a4c2']);
  expect(site.members.get('jira-administrators')).toEqual(new Set(['admin-1']));

  const list = (await resolve('incidents.list', { scope: { kind: 'all' } }, ADMIN)) as {
    incidents: { id: string; severity: string }[];
  };
  expect(list.incidents).toHaveLength(1);
  expect(list.incidents[0]!.severity).toBe('critical');
  const detail = (await resolve(
    'incidents.get',
    { id: list.incidents[0]!.id, scope: { kind: 'all' } },
    ADMIN,
  )) as {
    actions: { state: string; action: { kind: string; group?: string } }[];
  };
  const removals = detail.actions.filter((a) => a.action.kind === 'remove-from-group');
  expect(removals.map((a) => a.state)).toEqual(['done', 'done']);

  expect(await resolve('incidents.list', { scope: { kind: 'all' } }, NOBODY)).toMatchObject({
    error: { code: 'forbidden' },
  });
});

test('undo through the resolver puts the account back (as the app); a non-admin cannot undo', async () => {
  site.members.get('jira-administrators')!.add('spare');
  h.setProductHandler(
    'jira',
    ((orig) => (req: HarnessRequest) => {
      if (req.pathname === '/rest/api/3/group/user' && req.method === 'POST') {
        site.members
          .get(req.query.get('groupname') ?? '')
          ?.add(String((req.json as { accountId: string }).accountId));
        return json(201, {});
      }
      return orig(req);
    })(h['products'].get('jira')!),
  );
  await h.runScheduledTrigger('poll-jira-audit');
  await h.runUntilIdle();
  const list = (await resolve('incidents.list', { scope: { kind: 'all' } }, ADMIN)) as {
    incidents: { id: string }[];
  };
  const detail = (await resolve(
    'incidents.get',
    { id: list.incidents[0]!.id, scope: { kind: 'all' } },
    ADMIN,
  )) as {
    actions: { id: string; state: string; action: { kind: string; identity: { id: string } } }[];
  };
  const target = detail.actions.find(
    (a) => a.action.kind === 'remove-from-group' && a.action.identity.id === '61a0a4c2',
  )!;
  expect(await resolve('actions.undo', { id: target.id }, NOBODY)).toMatchObject({
    error: { code: 'forbidden' },
  });
  const undone = (await resolve('actions.undo', { id: target.id }, ADMIN)) as { state: string; by: string };
  expect(undone).toMatchObject({ state: 'undone', by: ADMIN });
  expect(site.members.get('jira-administrators')!.has('61a0a4c2')).toBe(true);
});

test('a failed removal is retried by an admin through the resolver once the cause is fixed; a non-admin cannot', async () => {
  // Jira refuses the app's removals (a 403 is not retried by the contain job: only 429 and 5xx are).
  let refuse = true;
  h.setProductHandler(
    'jira',
    ((orig) => (req: HarnessRequest) =>
      refuse && req.pathname === '/rest/api/3/group/user' && req.method === 'DELETE'
        ? json(403, { errorMessages: ['the app user is not in site-admins'] })
        : orig(req))(h['products'].get('jira')!),
  );
  await h.runScheduledTrigger('poll-jira-audit');
  await h.runUntilIdle();
  expect(site.removed).toEqual([]);
  const list = (await resolve('incidents.list', { scope: { kind: 'all' } }, ADMIN)) as {
    incidents: { id: string }[];
  };
  const actions = async () =>
    (
      (await resolve('incidents.get', { id: list.incidents[0]!.id, scope: { kind: 'all' } }, ADMIN)) as {
        actions: {
          id: string;
          state: string;
          result?: string;
          action: { kind: string; identity: { id: string } };
        }[];
      }
    ).actions.filter((a) => a.action.kind === 'remove-from-group');
  const failed = (await actions()).find((a) => a.action.identity.id === '61a0a4c2')!;
  expect(failed).toMatchObject({ state: 'failed', result: expect.stringContaining('403') });

  refuse = false; // the app user was put in site-admins
  expect(await resolve('actions.retry', { id: failed.id }, NOBODY)).toMatchObject({
    error: { code: 'forbidden' },
  });
  expect(site.removed).toEqual([]);
  expect(await resolve('actions.retry', { id: failed.id }, ADMIN)).toMatchObject({
    state: 'done',
    by: ADMIN,
  });
  expect(site.removed).toEqual(['61a0a4c2']);
  expect((await actions()).find((a) => a.id === failed.id)?.state).toBe('done');
  // Retrying what is no longer failed is refused, naming the state.
  expect(await resolve('actions.retry', { id: failed.id }, ADMIN)).toMatchObject({
    error: { message: expect.stringContaining('is done, not failed') },
  });
});

test('queue redelivery (at-least-once, every event twice) stores one detection and removes each account once', async () => {
  h = installApp({ startMs: T0, queue: { duplicateRate: 1, duplicateDelayMs: 2000 } });
  site = jiraSite(h);
  await h.runScheduledTrigger('poll-jira-audit');
  await h.runScheduledTrigger('poll-jira-audit'); // a duplicated scheduled invocation
  await h.runUntilIdle();
  expect(h.handlerErrors).toEqual([]);
  expect(h.stats().queue.duplicates).toBeGreaterThan(0);
  expect(site.removed.sort()).toEqual(['5b10ac8d82e05b22cc7d4ef5', '61a0a4c2']);
  const dets = await kvs.entity('detection').query().index('at').limit(100).getMany();
  expect(
    dets.results.filter((r) => (r.value as { ruleId: string }).ruleId === 'admin-group-member-added'),
  ).toHaveLength(1);
});

test('product events and the forwarder web trigger reach the same pipeline', async () => {
  await kvs.setSecret('forwarder-secret', 'fwd-secret');
  await h.deliverEventNow({
    eventType: 'avi:jira:created:user',
    selfGenerated: false,
    atlassianId: '5b10ac8d82e05b22cc7d4ef5',
    eventCreatedDate: '2026-11-01T11:59:00.000Z',
    user: { accountId: 'new-1', displayName: 'svc-new', accountType: 'atlassian' },
  });
  const body = JSON.stringify([adminGroupRecord(7, '2026-11-01T11:59:30.000+0000')]);
  const ts = String(Math.floor(T0 / 1000));
  const ok = await h.callWebTrigger('forwarder', {
    headers: { 'x-bulkhead-timestamp': ts, 'x-bulkhead-signature': signature('fwd-secret', ts, body) },
    body,
  });
  expect(ok.statusCode).toBe(202);
  const bad = await h.callWebTrigger('forwarder', {
    headers: {
      'x-bulkhead-timestamp': ts,
      'x-bulkhead-signature': `sha256=${createHmac('sha256', 'x').update(body).digest('hex')}`,
    },
    body,
  });
  expect(bad.statusCode).toBe(401);
  await h.runUntilIdle();
  expect(h.handlerErrors).toEqual([]);
  // The inbox is Forge SQL (created on first use through the migration runner) and is empty after the drain.
  const left = await h.invokeFunction(
    'peek',
    async () => (await sql.prepare<{ n: number }>('SELECT COUNT(*) AS n FROM inbox').execute()).rows,
    {},
  );
  expect(left).toEqual([{ n: 0 }]);
  expect(
    h.sql.peek<{ name: string }>('SELECT name FROM __migrations ORDER BY id').map((r) => r.name),
  ).toEqual(['v001_create_inbox', 'v002_create_seen']);
  // Per-record marks for the forwarder's record; none for the product event (merged by its id instead).
  expect(h.sql.peek('SELECT record_key FROM seen')).toHaveLength(1);
  expect(h.kvs.stats().requests['/api/v1/batch/set']).toBeGreaterThan(0);
  const dets = await kvs.entity('detection').query().index('at').limit(100).getMany();
  expect(dets.results.length).toBeGreaterThan(0);
});

test('a Forge SQL outage at the trigger asks the platform to deliver the event again; it is stored then', async () => {
  h.injectPlatformFault({
    target: 'sql',
    path: '/api/v1/execute',
    query: /^INSERT IGNORE INTO inbox/,
    status: 503,
  });
  await h.deliverEventNow({
    eventType: 'avi:jira:created:user',
    selfGenerated: false,
    atlassianId: '5b10ac8d82e05b22cc7d4ef5',
    eventCreatedDate: '2026-11-01T11:59:00.000Z',
    user: { accountId: 'new-2', displayName: 'svc-other', accountType: 'atlassian' },
  });
  await h.runUntilIdle();
  expect(h.handlerErrors).toEqual([]);
  expect(h.productEventDeliveries.map((d) => d.outcome)).toEqual(['retry', 'ok']);
  // The fault, then the first use on a fresh installation: the missing table runs the migrations.
  expect(h.sql.stats().errors).toBe(2);
  expect(h.sql.stats().ddl).toBe(4); // __migrations, its listing, the two tables
  const dets = await kvs.entity('detection').query().index('at').limit(100).getMany();
  expect(dets.results.map((r) => (r.value as { ruleId: string }).ruleId)).toContain('user-created');
});

test('the merge check refuses a contained account and allows others', async () => {
  const mergeFn = (await import('../../src/forge/index')).mergeCheck;
  await kvs.set('block:acc-1', { accountId: 'acc-1', at: T0 });
  const r1 = await h.invokeFunction('merge-check-fn', mergeFn, {
    pullrequest: { author: { accountId: 'acc-1' } },
  });
  expect(r1).toMatchObject({ success: false });
  const r2 = await h.invokeFunction('merge-check-fn', mergeFn, {
    pullrequest: { author: { accountId: 'acc-2' } },
  });
  expect(r2).toMatchObject({ success: true });
});
