/**
 * The console over the self-hosted service's HTTP API (src/serve/http/app.ts): the session cookie, the CSRF
 * token from GET /api/session sent as X-CSRF-Token on every change, server-sent events for live updates.
 * Paths are relative (`api/…`), so the console also works behind a reverse proxy under a sub-path.
 */
import {
  ApiError,
  editable,
  NotLoggedIn,
  summarize,
  touches,
  type ActionRecord,
  type ChangeEvent,
  type ConsoleApi,
  type Incident,
  type IncidentDetail,
  type IncidentFilters,
  type IncidentPage,
  type IncidentQuery,
  type Readiness,
  type SessionInfo,
  type Settings,
  type SettingsView,
} from './api';

export interface HttpApiOptions {
  /** Prefix of the API's paths; default `api/` (relative to the page). */
  readonly base?: string;
  readonly fetch?: typeof fetch;
  readonly EventSource?: typeof EventSource;
  /** Polling period when the event stream is unavailable (ms). */
  readonly pollMs?: number;
}

/** Query-string of the list filters, as the API names them. */
export function filterParams(f: IncidentFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.status && f.status.length > 0) p.set('status', f.status.join(','));
  if (f.minSeverity) p.set('severity', f.minSeverity);
  if (f.product) p.set('product', f.product);
  if (f.since !== undefined) p.set('since', new Date(f.since).toISOString());
  if (f.until !== undefined) p.set('until', new Date(f.until).toISOString());
  return p;
}

export function httpApi(opts: HttpApiOptions = {}): ConsoleApi {
  const base = opts.base ?? 'api/';
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  let csrf: string | undefined;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET') {
      if (csrf === undefined && path !== 'login') await session();
      if (csrf !== undefined) headers['X-CSRF-Token'] = csrf;
    }
    let res: Response;
    try {
      res = await doFetch(base + path, {
        method,
        headers,
        credentials: 'same-origin',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(
        0,
        'network',
        'the service did not answer; check that bulkhead serve is running, then retry',
      );
    }
    const json = (await res.json().catch(() => ({}))) as {
      error?: { code: string; message: string; field?: string };
    };
    if (res.status === 401 && path !== 'login') throw new NotLoggedIn(json.error?.message);
    if (!res.ok) {
      throw new ApiError(
        res.status,
        json.error?.code ?? 'http',
        json.error?.message ?? `HTTP ${res.status}`,
        json.error?.field,
      );
    }
    return json as T;
  }

  async function session(): Promise<SessionInfo> {
    const s = await call<{ username: string; csrfToken?: string }>('GET', 'session');
    csrf = s.csrfToken;
    return { username: s.username };
  }

  return {
    kind: 'http',
    session,
    async login(username, password) {
      const s = await call<{ username: string; csrfToken: string }>('POST', 'login', { username, password });
      csrf = s.csrfToken;
      return { username: s.username };
    },
    async logout() {
      await call('POST', 'logout', {});
      csrf = undefined;
    },
    async listIncidents(q: IncidentQuery): Promise<IncidentPage> {
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 50;
      if (q.scope && q.scope.kind !== 'all') {
        // The API has no space or repository filter: take the full incidents (the JSON export, same filters)
        // and keep those whose detections' events touch the scope.
        const p = filterParams(q);
        const all = await call<{ incidents: (Incident & { actions: ActionRecord[] })[] }>(
          'GET',
          `export/incidents.json${p.size > 0 ? `?${p}` : ''}`,
        );
        const scope = q.scope;
        const hits = all.incidents.filter((i) => touches(i, scope));
        return {
          total: hits.length,
          offset,
          limit,
          incidents: hits.slice(offset, offset + limit).map((i) => summarize(i, i.actions)),
        };
      }
      const p = filterParams(q);
      p.set('offset', String(offset));
      p.set('limit', String(limit));
      return call<IncidentPage>('GET', `incidents?${p}`);
    },
    getIncident: (id) => call<IncidentDetail>('GET', `incidents/${encodeURIComponent(id)}`),
    setStatus: (id, status, note) =>
      call<IncidentDetail>('POST', `incidents/${encodeURIComponent(id)}/status`, { status, note }),
    undo: (id) => call<ActionRecord>('POST', `actions/${encodeURIComponent(id)}/undo`, {}),
    approve: (id) => call<ActionRecord>('POST', `actions/${encodeURIComponent(id)}/approve`, {}),
    retry: (id) => call<ActionRecord>('POST', `actions/${encodeURIComponent(id)}/retry`, {}),
    getSettings: () => call<SettingsView>('GET', 'settings'),
    putSettings: (s: Settings) =>
      call<SettingsView>('PUT', 'settings', editable(s)),
    readiness: () => call<Readiness>('GET', 'readiness'),
    async exportIncidents(format, f) {
      const p = filterParams(f);
      return { href: `${base}export/incidents.${format}${p.size > 0 ? `?${p}` : ''}` };
    },
    subscribe(listener: (e: ChangeEvent) => void): () => void {
      const ES = opts.EventSource ?? (typeof EventSource !== 'undefined' ? EventSource : undefined);
      let timer: ReturnType<typeof setInterval> | undefined;
      const poll = () => {
        timer ??= setInterval(() => listener({ type: 'poll' }), opts.pollMs ?? 10_000);
      };
      if (!ES) {
        poll();
        return () => clearInterval(timer);
      }
      const es = new ES(`${base}events`, { withCredentials: true });
      const on = (m: MessageEvent) => {
        try {
          listener(JSON.parse(String(m.data)) as ChangeEvent);
        } catch {
          listener({ type: 'poll' });
        }
      };
      es.addEventListener('incident', on as EventListener);
      es.addEventListener('action', on as EventListener);
      // The browser reconnects by itself; when it gives up (the session ended), poll so a 401 shows the login.
      es.onerror = () => {
        if (es.readyState === 2) poll();
      };
      return () => {
        es.close();
        clearInterval(timer);
      };
    },
  };
}
