import { NotLoggedIn, ApiError, touches } from '../src/api';
import { bridgeApi, BRIDGE_KEYS } from '../src/bridge-api';
import { detectHome, scopeOfForgeContext, scopeOfQuery } from '../src/context';
import { filterParams, httpApi } from '../src/http-api';
import { incident } from './fake-api';

type Call = { url: string; init: RequestInit };

function fakeFetch(answers: Record<string, { status?: number; body: unknown }>) {
  const calls: Call[] = [];
  const f = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    const key = Object.keys(answers).find((k) => url.startsWith(k)) ?? '';
    const a = answers[key] ?? {
      status: 404,
      body: { error: { code: 'not_found', message: `no route ${url}` } },
    };
    const status = a.status ?? 200;
    return { status, ok: status >= 200 && status < 300, json: async () => a.body };
  }) as unknown as typeof fetch;
  return { f, calls };
}

describe('httpApi', () => {
  test('sends the session CSRF token on every change, fetched from /api/session first', async () => {
    const { f, calls } = fakeFetch({
      'api/session': { body: { username: 'admin', csrfToken: 'tok-1' } },
      'api/actions/a1/undo': { body: { id: 'a1', state: 'undone' } },
    });
    const api = httpApi({ fetch: f });
    const r = await api.undo('a1');
    expect(r.state).toBe('undone');
    const post = calls.find((c) => c.url === 'api/actions/a1/undo');
    expect(post?.init.method).toBe('POST');
    expect((post?.init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok-1');
    expect((post?.init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(post?.init.credentials).toBe('same-origin');
  });

  test('settings: a threshold is sent back, the read-only default is not', async () => {
    const { f, calls } = fakeFetch({
      'api/session': { body: { username: 'admin', csrfToken: 'tok-1' } },
      'api/settings': { body: { rules: {}, response: {}, secrets: {} } },
    });
    const api = httpApi({ fetch: f });
    const view = {
      rules: {
        'failed-login-burst-by-user': {
          enabled: true,
          dryRun: false,
          allowList: [],
          threshold: 12,
          defaultThreshold: 10,
        },
        'admin-group-member-added': { enabled: true, dryRun: true, allowList: ['x'] },
      },
      response: { minSeverity: 'high' as const, actions: [], allowList: [], maxPerHour: 3 },
      secrets: { 'notify.slack.webhook': { set: true } },
    };
    await api.putSettings(view);
    const put = calls.find((c) => c.url === 'api/settings' && c.init.method === 'PUT');
    expect(JSON.parse(put?.init.body as string)).toEqual({
      rules: {
        'failed-login-burst-by-user': { enabled: true, dryRun: false, allowList: [], threshold: 12 },
        'admin-group-member-added': { enabled: true, dryRun: true, allowList: ['x'] },
      },
      response: { minSeverity: 'high', actions: [], allowList: [], maxPerHour: 3 },
    });
  });

  test('a 401 is NotLoggedIn; other errors keep the API message and field', async () => {
    const { f } = fakeFetch({
      'api/session': { status: 401, body: { error: { code: 'unauthorized', message: 'log in' } } },
      'api/settings': {
        status: 400,
        body: {
          error: {
            code: 'invalid_body',
            message: 'response.maxPerHour: too small',
            field: 'response.maxPerHour',
          },
        },
      },
    });
    const api = httpApi({ fetch: f });
    await expect(api.session()).rejects.toBeInstanceOf(NotLoggedIn);
    const err = await api.getSettings().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field).toBe('response.maxPerHour');
  });

  test('filters use the API names (severity, not minSeverity) and ISO times', () => {
    const p = filterParams({
      status: ['open', 'acknowledged'],
      minSeverity: 'high',
      product: 'jira',
      since: Date.UTC(2023, 10, 14),
    });
    expect(p.toString()).toBe(
      'status=open%2Cacknowledged&severity=high&product=jira&since=2023-11-14T00%3A00%3A00.000Z',
    );
  });

  test('a space or repository list is the JSON export filtered by the detections’ events', async () => {
    const a = incident('a');
    const b = incident('b', { detections: [] });
    const { f, calls } = fakeFetch({
      'api/export/incidents.json': {
        body: {
          incidents: [
            { ...a, actions: [] },
            { ...b, actions: [] },
          ],
        },
      },
    });
    const api = httpApi({ fetch: f });
    const page = await api.listIncidents({
      scope: { kind: 'repository', name: 'ops/OPS-VPN-CLIENT' },
      minSeverity: 'high',
    });
    expect(calls[0]?.url).toBe('api/export/incidents.json?severity=high');
    expect(page.incidents.map((i) => i.id)).toEqual(['a']);
    expect(page.total).toBe(1);
  });

  test('exports are links with the filters', async () => {
    const api = httpApi({ fetch: fakeFetch({}).f });
    expect(await api.exportIncidents('csv', { product: 'bitbucket' })).toEqual({
      href: 'api/export/incidents.csv?product=bitbucket',
    });
  });
});

describe('touches', () => {
  test('by field or by target, case-insensitively', () => {
    const i = incident('a');
    expect(touches(i, { kind: 'space', key: 'eng' })).toBe(true);
    expect(touches(i, { kind: 'space', key: 'OPS' })).toBe(false);
    expect(touches(i, { kind: 'repository', name: 'OPS/ops-vpn-client' })).toBe(true);
    expect(touches(i, { kind: 'all' })).toBe(true);
  });
});

describe('bridgeApi', () => {
  test('calls the documented resolver keys with the page scope', async () => {
    const seen: [string, unknown][] = [];
    const api = bridgeApi({
      scope: { kind: 'space', key: 'ENG' },
      invoke: async (key, payload) => {
        seen.push([key, payload]);
        return key === 'incidents.list' ? { total: 0, offset: 0, limit: 50, incidents: [] } : {};
      },
    });
    await api.listIncidents({ minSeverity: 'high' });
    await api.getIncident('i1');
    await api.setStatus('i1', 'resolved', 'done');
    await api.undo('a1');
    await api.approve('a2');
    await api.retry('a3');
    await api.getSettings();
    await api.putSettings({
      rules: {},
      response: { minSeverity: 'high', actions: [], allowList: [], maxPerHour: 3 },
    });
    await api.readiness();
    await api.exportIncidents('json', {});
    await api.session();
    await api.setSecret?.('slack.webhook', 'https://hooks.example/x');
    await api.clearSecret?.('slack.webhook');
    expect(seen.map(([k]) => k).sort()).toEqual([...BRIDGE_KEYS].sort());
    expect(seen.find(([k]) => k === 'secrets.set')?.[1]).toEqual({
      name: 'slack.webhook',
      value: 'https://hooks.example/x',
    });
    expect(seen[0]?.[1]).toMatchObject({ minSeverity: 'high', scope: { kind: 'space', key: 'ENG' } });
    expect(seen.find(([k]) => k === 'incidents.setStatus')?.[1]).toMatchObject({
      id: 'i1',
      status: 'resolved',
      note: 'done',
    });
    expect(seen.find(([k]) => k === 'settings.put')?.[1]).toMatchObject({
      settings: { response: { maxPerHour: 3 } },
    });
  });

  test('a resolver refusal becomes an ApiError', async () => {
    const api = bridgeApi({
      scope: { kind: 'all' },
      invoke: async () => ({ error: { code: 'forbidden', message: 'site admins only' } }),
    });
    const err = await api.readiness().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(403);
  });
});

describe('where the console runs', () => {
  afterEach(() => {
    delete (globalThis as { __bridge?: unknown }).__bridge;
  });

  test('outside Forge: HTTP, with ?space= or ?repo= choosing the page', async () => {
    const home = await detectHome(() => Promise.reject(new Error('not loaded')), '?repo=OPS/ops-vpn-client');
    expect(home.api.kind).toBe('http');
    expect(home.scope).toEqual({ kind: 'repository', name: 'OPS/ops-vpn-client' });
    expect(scopeOfQuery('?space=ENG')).toEqual({ kind: 'space', key: 'ENG' });
    expect(scopeOfQuery('')).toEqual({ kind: 'all' });
  });

  test('inside Forge: the bridge, with the scope from the module context (a query string is ignored)', async () => {
    (globalThis as { __bridge?: unknown }).__bridge = { callBridge: () => undefined };
    const home = await detectHome(
      async () => ({
        invoke: async () => ({}),
        view: {
          getContext: async () => ({
            extension: { type: 'confluence:spaceSettings', space: { key: 'ENG' } },
          }),
        },
      }),
      '?repo=X/y',
    );
    expect(home.api.kind).toBe('forge');
    expect(home.scope).toEqual({ kind: 'space', key: 'ENG' });
    expect(
      scopeOfForgeContext({
        extension: { type: 'bitbucket:repoSettingsMenuPage', repository: { full_name: 'ws/repo' } },
      }).scope,
    ).toEqual({
      kind: 'repository',
      name: 'ws/repo',
    });
    expect(scopeOfForgeContext({ extension: { type: 'jira:adminPage' } })).toEqual({
      scope: { kind: 'all' },
      home: 'Jira admin',
    });
  });
});
