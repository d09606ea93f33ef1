/**
 * The console's HTTP API and static console, as one hono app that depends on no runtime: server.ts runs it on
 * Node (@hono/node-server); tests can call `app.request()` directly.
 *
 * Every /api route needs a session cookie or `Authorization: Bearer <api token>`, except login, the login
 * link and health: the check is one middleware over /api/* that refuses by default, so a route added later is
 * protected without anyone remembering to. A state-changing request made with the session cookie also needs
 * the session's CSRF token in `X-CSRF-Token` (synchronizer token; decision 0013). Errors are
 * `{ error: { code, message, field? } }`.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { summarizeIncident } from '../../console-contract';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { PRODUCTS, type Product } from '../../core/event';
import type { IncidentStatus } from '../../core/incident';
import { SEVERITIES, type Severity } from '../../core/severity';
import type { AuthStore, NewSession, Session, TokenInfo } from './auth';
import { safeEqual } from './auth';
import {
  BackendError,
  SettingsSchema,
  type ConsoleBackend,
  type IncidentListItem,
  type IncidentQuery,
  type SettingsView,
} from './backend';
import { incidentsCsv } from './export';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS } from './fallback-console';

/** A file of the static console: its bytes and content type. */
export interface StaticFile {
  readonly body: Uint8Array | string;
  readonly contentType: string;
}

/** Looks a request path up in the static console (the runtime provides it: server.ts reads a folder). */
export type StaticFiles = (path: string) => Promise<StaticFile | undefined>;

export interface ConsoleAppOptions {
  readonly backend: ConsoleBackend;
  readonly auth: AuthStore;
  /** `Secure` on the session cookie: always, never, or 'auto' (default): when the request came over https
   *  (by the URL, or by `X-Forwarded-Proto` when `trustProxy`). */
  readonly secureCookie?: boolean | 'auto';
  /** Behind a reverse proxy: believe `X-Forwarded-Proto` and the last `X-Forwarded-For` address. */
  readonly trustProxy?: boolean;
  /** The client's address (for login rate-limiting), from the runtime. */
  readonly clientAddress?: (c: Context) => string | undefined;
  /** The built console; the small built-in one is served when absent. */
  readonly staticFiles?: StaticFiles;
  /** Comment lines on the event stream this often (and the session is checked again); default 25 s. */
  readonly heartbeatMs?: number;
}

type Principal =
  | { readonly kind: 'session'; readonly id: string; readonly session: Session }
  | { readonly kind: 'token'; readonly token: TokenInfo };

type AppEnv = { Variables: { principal: Principal } };

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const COOKIE = 'bulkhead_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_BODY = 256 * 1024;
const EXPORT_MAX = 100_000;

/** Routes open without authentication: method and path pattern. Everything else under /api needs it. */
export const PUBLIC_ROUTES: readonly { readonly method: string; readonly path: RegExp }[] = [
  { method: 'GET', path: /^\/api\/health$/ },
  { method: 'POST', path: /^\/api\/login$/ },
  { method: 'GET', path: /^\/api\/login-link\/[^/]+$/ },
];

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const who = (p: Principal): string =>
  p.kind === 'session' ? p.session.username : `${p.token.username} (token ${p.token.name})`;

/** `a.b[2].c` from a zod issue path (an unknown key is named by itself). */
function fieldOf(issue: z.core.$ZodIssue): string {
  const path: PropertyKey[] = [...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  if (path.length === 0) return '(body)';
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join('');
}

async function readBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON', '(body)');
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue ? fieldOf(issue) : '(body)';
    const message = issue?.code === 'unrecognized_keys' ? 'unknown key' : (issue?.message ?? 'invalid');
    throw new ApiError(400, 'invalid_body', `${field}: ${message}`, field);
  }
  return r.data;
}

function parseTime(name: string, v: string): number {
  const d = /^\d+$/.test(v) ? DateTime.fromMillis(Number(v)) : DateTime.fromISO(v, { zone: 'utc' });
  if (!d.isValid) throw new ApiError(400, 'invalid_query', `${name}: not an ISO 8601 time`, name);
  return d.toMillis();
}

function parseInt10(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ApiError(400, 'invalid_query', `${name}: a whole number from ${min} to ${max}`, name);
  }
  return n;
}

const FILTER_KEYS = ['status', 'severity', 'product', 'since', 'until'];

/** The incident filters of a query string; unknown parameters are refused by name (a typo is not ignored). */
function parseQuery(c: Context, paged: boolean): IncidentQuery {
  const q = c.req.query();
  const known = paged ? [...FILTER_KEYS, 'limit', 'offset'] : FILTER_KEYS;
  for (const k of Object.keys(q)) {
    if (!known.includes(k)) throw new ApiError(400, 'invalid_query', `${k}: unknown parameter`, k);
  }
  const statuses = ['open', 'acknowledged', 'resolved'];
  const status = q.status?.split(',').map((s) => s.trim());
  if (status?.some((s) => !statuses.includes(s))) {
    throw new ApiError(400, 'invalid_query', `status: one or more of ${statuses.join(', ')}`, 'status');
  }
  if (q.severity !== undefined && !(SEVERITIES as readonly string[]).includes(q.severity)) {
    throw new ApiError(400, 'invalid_query', `severity: one of ${SEVERITIES.join(', ')}`, 'severity');
  }
  if (q.product !== undefined && !(PRODUCTS as readonly string[]).includes(q.product)) {
    throw new ApiError(400, 'invalid_query', `product: one of ${PRODUCTS.join(', ')}`, 'product');
  }
  return {
    ...(status ? { status: status as IncidentStatus[] } : {}),
    ...(q.severity !== undefined ? { minSeverity: q.severity as Severity } : {}),
    ...(q.product !== undefined ? { product: q.product as Product } : {}),
    ...(q.since !== undefined ? { since: parseTime('since', q.since) } : {}),
    ...(q.until !== undefined ? { until: parseTime('until', q.until) } : {}),
    offset: paged ? parseInt10('offset', q.offset, 0, 0, Number.MAX_SAFE_INTEGER) : 0,
    limit: paged ? parseInt10('limit', q.limit, 50, 1, 500) : 500,
  };
}

/** An incident as listed: without its detections' events. */
function summary({ incident, actions }: IncidentListItem) {
  return summarizeIncident(incident, actions);
}

/** Settings as they may leave the service: the known fields only, secrets as `{ set }`. */
function settingsOut(v: SettingsView) {
  return {
    rules: Object.fromEntries(
      Object.entries(v.rules).map(([id, r]) => [
        id,
        {
          enabled: r.enabled,
          dryRun: r.dryRun,
          allowList: [...r.allowList],
          ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
          ...(r.defaultThreshold !== undefined ? { defaultThreshold: r.defaultThreshold } : {}),
        },
      ]),
    ),
    response: {
      minSeverity: v.response.minSeverity,
      actions: [...v.response.actions],
      allowList: [...v.response.allowList],
      maxPerHour: v.response.maxPerHour,
    },
    secrets: Object.fromEntries(Object.entries(v.secrets).map(([k, s]) => [k, { set: s.set === true }])),
  };
}

const LoginBody = z
  .object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) })
  .strict();
const StatusBody = z
  .object({ status: z.enum(['acknowledged', 'resolved']), note: z.string().max(4000).default('') })
  .strict();
const TokenBody = z.object({ name: z.string().trim().min(1).max(100) }).strict();
const PasswordBody = z
  .object({ current: z.string().min(1).max(1000), new: z.string().min(12).max(1000) })
  .strict();

export function createConsoleApp(opts: ConsoleAppOptions): Hono<AppEnv> {
  const { backend, auth } = opts;
  const heartbeatMs = opts.heartbeatMs ?? 25_000;
  const app = new Hono<AppEnv>();

  const forwardedProto = (c: Context): string | undefined =>
    opts.trustProxy ? c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
  const isHttps = (c: Context): boolean =>
    opts.secureCookie === true ||
    (opts.secureCookie !== false &&
      (new URL(c.req.url).protocol === 'https:' || forwardedProto(c) === 'https'));
  const clientAddress = (c: Context): string => {
    if (opts.trustProxy) {
      const last = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
      if (last) return last;
    }
    return opts.clientAddress?.(c) ?? 'unknown';
  };
  const sessionId = (c: Context): string | undefined =>
    getCookie(c, `__Host-${COOKIE}`) ?? getCookie(c, COOKIE);
  const startSession = (c: Context, s: NewSession): void => {
    const maxAge = Math.max(0, Math.floor((s.expiresAt - s.createdAt) / 1000));
    const base = { httpOnly: true, sameSite: 'Strict' as const, path: '/', maxAge };
    if (isHttps(c)) setCookie(c, COOKIE, s.id, { ...base, secure: true, prefix: 'host' });
    else setCookie(c, COOKIE, s.id, base);
  };
  const endSession = (c: Context): void => {
    deleteCookie(c, COOKIE, { path: '/' });
    if (isHttps(c)) deleteCookie(c, `__Host-${COOKIE}`, { path: '/', secure: true });
  };

  app.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    if (c.req.path.startsWith('/api/') && !c.res.headers.has('Cache-Control')) {
      c.res.headers.set('Cache-Control', 'no-store');
    }
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      return c.json(
        { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } },
        err.status,
      );
    }
    if (err instanceof BackendError) {
      const status = err.code === 'not-found' ? 404 : err.code === 'conflict' ? 409 : 400;
      return c.json(
        {
          error: {
            code: err.code.replace('-', '_'),
            message: err.field ? `${err.field}: ${err.message}` : err.message,
            ...(err.field ? { field: err.field } : {}),
          },
        },
        status,
      );
    }
    console.error('bulkhead http:', err);
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });

  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );

  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY,
      onError: (c) =>
        c.json({ error: { code: 'too_large', message: `bodies are at most ${MAX_BODY} bytes` } }, 413),
    }),
  );

  // Authentication, deny by default.
  app.use('/api/*', async (c, next) => {
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    if (PUBLIC_ROUTES.some((r) => r.method === method && r.path.test(c.req.path))) return next();
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const m = /^Bearer +([A-Za-z0-9_\-.~+/]+=*)$/i.exec(authorization.trim());
      const token = m?.[1] ? auth.verifyToken(m[1]) : undefined;
      if (!token) throw new ApiError(401, 'unauthorized', 'the API token is unknown or revoked');
      c.set('principal', { kind: 'token', token });
      return next();
    }
    const id = sessionId(c);
    const session = id !== undefined ? auth.session(id) : undefined;
    if (id === undefined || !session) {
      c.header('WWW-Authenticate', 'Bearer realm="bulkhead"');
      throw new ApiError(401, 'unauthorized', 'log in, or send Authorization: Bearer <api token>');
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const sent = c.req.header('x-csrf-token');
      if (sent === undefined || !safeEqual(sent, session.csrfToken)) {
        throw new ApiError(403, 'csrf', 'missing or wrong X-CSRF-Token header (GET /api/session gives it)');
      }
    }
    c.set('principal', { kind: 'session', id, session });
    return next();
  });

  const sessionOnly = (c: Context<AppEnv>): Extract<Principal, { kind: 'session' }> => {
    const p = c.get('principal');
    if (p.kind !== 'session')
      throw new ApiError(403, 'session_required', 'this needs a logged-in person, not an API token');
    return p;
  };

  app.get('/api/health', (c) => c.json({ ok: true }));

  app.post('/api/login', async (c) => {
    const { username, password } = await readBody(c, LoginBody);
    const r = await auth.login(username, password, clientAddress(c));
    if (!r.ok && r.reason === 'rate-limited') {
      c.header('Retry-After', String(r.retryAfterSeconds));
      throw new ApiError(
        429,
        'rate_limited',
        `too many failed logins; try again in ${r.retryAfterSeconds} s`,
      );
    }
    if (!r.ok) throw new ApiError(401, 'unauthorized', 'wrong username or password');
    startSession(c, r.session);
    return c.json({
      username: r.session.username,
      csrfToken: r.session.csrfToken,
      expiresAt: r.session.expiresAt,
    });
  });

  app.get('/api/login-link/:token', (c) => {
    const s = auth.redeemLoginLink(c.req.param('token'));
    if (!s)
      throw new ApiError(
        401,
        'unauthorized',
        'this login link is unknown, used or expired; log in with the password',
      );
    startSession(c, s);
    return c.redirect('/', 303);
  });

  app.post('/api/logout', (c) => {
    const p = c.get('principal');
    if (p.kind === 'session') auth.logout(p.id);
    endSession(c);
    return c.json({ ok: true });
  });

  app.get('/api/session', (c) => {
    const p = c.get('principal');
    return p.kind === 'session'
      ? c.json({
          via: 'session',
          username: p.session.username,
          csrfToken: p.session.csrfToken,
          expiresAt: p.session.expiresAt,
        })
      : c.json({ via: 'token', username: p.token.username, token: { id: p.token.id, name: p.token.name } });
  });

  app.post('/api/password', async (c) => {
    const p = sessionOnly(c);
    const body = await readBody(c, PasswordBody);
    if (!(await auth.verifyPassword(p.session.username, body.current))) {
      throw new ApiError(403, 'wrong_password', 'the current password is wrong', 'current');
    }
    await auth.setPassword(p.session.username, body.new);
    endSession(c);
    return c.json({ ok: true, loggedOut: true });
  });

  app.get('/api/tokens', (c) => {
    sessionOnly(c);
    return c.json({ tokens: auth.listTokens() });
  });

  app.post('/api/tokens', async (c) => {
    const p = sessionOnly(c);
    const { name } = await readBody(c, TokenBody);
    const t = auth.createToken(name, p.session.username);
    return c.json({ id: t.id, name, token: t.token }, 201);
  });

  app.delete('/api/tokens/:id', (c) => {
    sessionOnly(c);
    if (!auth.revokeToken(c.req.param('id'))) throw new ApiError(404, 'not_found', 'no such live token');
    return c.json({ ok: true });
  });

  app.get('/api/incidents', async (c) => {
    const q = parseQuery(c, true);
    const page = await backend.listIncidents(q);
    return c.json({
      total: page.total,
      offset: q.offset,
      limit: q.limit,
      incidents: page.items.map(summary),
    });
  });

  app.get('/api/incidents/:id', async (c) => {
    const d = await backend.incident(c.req.param('id'));
    if (!d) throw new ApiError(404, 'not_found', `no incident ${c.req.param('id')}`);
    return c.json(d);
  });

  app.post('/api/incidents/:id/status', async (c) => {
    const body = await readBody(c, StatusBody);
    return c.json(
      await backend.setStatus(c.req.param('id'), body.status, body.note, who(c.get('principal'))),
    );
  });

  app.post('/api/actions/:id/undo', async (c) =>
    c.json(await backend.undo(c.req.param('id'), who(c.get('principal')))),
  );

  app.post('/api/actions/:id/approve', async (c) =>
    c.json(await backend.approve(c.req.param('id'), who(c.get('principal')))),
  );

  app.post('/api/actions/:id/retry', async (c) =>
    c.json(await backend.retry(c.req.param('id'), who(c.get('principal')))),
  );

  app.get('/api/settings', async (c) => c.json(settingsOut(await backend.getSettings())));

  app.put('/api/settings', async (c) => {
    const s = await readBody(c, SettingsSchema);
    return c.json(settingsOut(await backend.putSettings(s, who(c.get('principal')))));
  });

  app.get('/api/readiness', async (c) => {
    const checks = await backend.readiness();
    return c.json({
      ready: checks.every((x) => x.ok),
      checks: checks.map((x) => ({ kind: x.kind, name: x.name, ok: x.ok, why: x.why })),
    });
  });

  const exportAll = async (c: Context): Promise<IncidentListItem[]> => {
    const q = parseQuery(c, false);
    const out: IncidentListItem[] = [];
    for (let offset = 0; offset < EXPORT_MAX; offset += q.limit) {
      const page = await backend.listIncidents({ ...q, offset });
      out.push(...page.items);
      if (page.items.length < q.limit || out.length >= page.total) break;
    }
    return out.slice(0, EXPORT_MAX);
  };
  const attachment = (name: string) => `attachment; filename="${name}"`;

  app.get('/api/export/incidents.csv', async (c) => {
    const csv = incidentsCsv(await exportAll(c));
    c.header('Content-Disposition', attachment('bulkhead-incidents.csv'));
    return c.body(csv, 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  });

  app.get('/api/export/incidents.json', async (c) => {
    const items = await exportAll(c);
    c.header('Content-Disposition', attachment('bulkhead-incidents.json'));
    return c.json({ incidents: items.map((i) => ({ ...i.incident, actions: i.actions })) });
  });

  app.get('/api/events', (c) => {
    const principal = c.get('principal');
    return streamSSE(c, async (stream) => {
      let wake: (() => void) | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = new Promise<void>((resolve) => stream.onAbort(resolve));
      const unsubscribe = backend.subscribe((e) => {
        if (!stream.aborted)
          void stream.writeSSE({ event: e.type, data: JSON.stringify(e) }).catch(() => undefined);
      });
      try {
        await stream.writeSSE({ event: 'ready', data: '{}', retry: 3000 });
        while (!stream.aborted) {
          const tick = new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, heartbeatMs);
          });
          await Promise.race([tick, done]);
          clearTimeout(timer);
          wake = undefined;
          if (stream.aborted) break;
          if (principal.kind === 'session' && !auth.session(principal.id, false)) break;
          if (principal.kind === 'token' && !auth.listTokens().some((t) => t.id === principal.token.id))
            break;
          await stream.write(': keep-alive\n\n');
        }
      } finally {
        clearTimeout(timer);
        wake?.();
        unsubscribe();
      }
    });
  });

  // The console: the built one when given, the small built-in one otherwise.
  app.get('*', async (c) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || path === '/api') return c.notFound();
    if (opts.staticFiles) {
      const f =
        (await opts.staticFiles(path === '/' ? '/index.html' : path)) ??
        (/\.[A-Za-z0-9]+$/.test(path) ? undefined : await opts.staticFiles('/index.html'));
      if (!f) return c.notFound();
      return c.body(typeof f.body === 'string' ? f.body : new Uint8Array(f.body), 200, {
        'Content-Type': f.contentType,
      });
    }
    if (path === '/' || path === '/index.html') return c.html(CONSOLE_HTML);
    if (path === '/console.js')
      return c.body(CONSOLE_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
    if (path === '/console.css')
      return c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
    return c.notFound();
  });

  return app;
}
