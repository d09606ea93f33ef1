/**
 * A small HTTP client for one Data Center product's REST API: bearer personal access token (what Jira 8.14+,
 * Confluence 7.9+ and Bitbucket 5.5+ accept as `Authorization: Bearer <token>`), a timeout per attempt, and a
 * bounded retry on 429 (waiting what `Retry-After` asks, capped) and on 5xx or a timeout (exponential backoff).
 * Errors name the product, method, path and the product's status and answer (truncated); never the token.
 */
import type { DcProduct } from './endpoints';

export interface DcClientOptions {
  readonly product: DcProduct;
  /** The product's base URL, context path included (`https://jira.example.com/jira`). */
  readonly baseUrl: string;
  /** A personal access token of an administrator (Bitbucket: a system administrator). */
  readonly token: string;
  /** Per attempt. Default 10 s. */
  readonly timeoutMs?: number;
  /** Attempts after the first, for 429, 5xx and timeouts. Default 3. */
  readonly retries?: number;
  /** First backoff for 5xx and timeouts, doubled each time. Default 250 ms. */
  readonly backoffMs?: number;
  /** A `Retry-After` longer than this is cut to it. Default 30 s. */
  readonly maxRetryAfterMs?: number;
}

/** The product answered with an error status (or never answered). */
export class DcHttpError extends Error {
  override readonly name = 'DcHttpError';
  constructor(
    message: string,
    /** 0 when there was no answer (timeout, connection refused). */
    readonly status: number,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export interface DcResponse {
  readonly status: number;
  /** The parsed JSON body, or undefined for an empty one. */
  readonly body: unknown;
}

export interface DcRequest {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
}

const MAX_BODY_IN_ERROR = 300;

/** `encodeURIComponent` for one path segment. */
export const seg = (s: string): string => encodeURIComponent(s);

export class DcClient {
  readonly product: DcProduct;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly opts: DcClientOptions) {
    this.product = opts.product;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 250;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
  }

  /** `path` starts with `/rest/` and has its segments already encoded (see `seg`); query values are encoded here. */
  async request(method: string, path: string, req: DcRequest = {}): Promise<DcResponse> {
    const q = Object.entries(req.query ?? {})
      .filter((kv): kv is [string, string | number | boolean] => kv[1] !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const where = q ? `${path}?${q}` : path;
    const what = `${this.product} ${method} ${where}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.opts.token}`,
      accept: 'application/json',
      // Jira and Confluence refuse state-changing REST calls without it when they look like a browser's (XSRF).
      'x-atlassian-token': 'no-check',
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      let res: Response;
      let text: string;
      try {
        res = await fetch(this.base + where, {
          method,
          headers,
          ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        const e = err as Error;
        const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
        const why = timedOut ? `no answer within ${this.timeoutMs} ms` : `${e.message}${causeOf(e)}`;
        if (last) throw new DcHttpError(`${what}: ${why} (after ${attempt + 1} attempts)`, 0, method, where);
        await sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      if (res.ok) return { status: res.status, body: parseBody(text) };
      const retriable = res.status === 429 || res.status >= 500;
      if (!retriable || last) {
        const tries = attempt > 0 ? ` (after ${attempt + 1} attempts)` : '';
        throw new DcHttpError(
          `${what}: ${res.status} ${res.statusText}: ${errorText(text)}${tries}`,
          res.status,
          method,
          where,
        );
      }
      const wait =
        res.status === 429
          ? Math.min(retryAfterMs(res.headers.get('retry-after')) ?? this.backoffMs * 2 ** attempt, this.maxRetryAfterMs)
          : this.backoffMs * 2 ** attempt;
      await sleep(wait);
    }
  }
}

function causeOf(e: Error): string {
  const c = (e as { cause?: unknown }).cause;
  return c instanceof Error ? ` (${c.message})` : '';
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The message of the products' error shapes (Jira `errorMessages`, Bitbucket `errors[].message`, Confluence
 *  `message`), else the raw body; truncated. */
function errorText(text: string): string {
  let out = text;
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const msgs: string[] = [];
    if (Array.isArray(j['errorMessages'])) msgs.push(...j['errorMessages'].map(String));
    if (j['errors'] && typeof j['errors'] === 'object' && !Array.isArray(j['errors']))
      msgs.push(...Object.entries(j['errors']).map(([k, v]) => `${k}: ${String(v)}`));
    if (Array.isArray(j['errors']))
      msgs.push(...j['errors'].map((e) => String((e as Record<string, unknown>)['message'] ?? JSON.stringify(e))));
    if (typeof j['message'] === 'string') msgs.push(j['message']);
    if (msgs.length > 0) out = msgs.join('; ');
  } catch {
    /* not JSON: keep the text */
  }
  out = out.replace(/\s+/g, ' ').trim() || '(empty body)';
  return out.length > MAX_BODY_IN_ERROR ? `${out.slice(0, MAX_BODY_IN_ERROR)}…` : out;
}

/** `Retry-After`: seconds, or an HTTP date. */
export function retryAfterMs(h: string | null): number | undefined {
  if (h === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(h)) return Math.max(0, Number(h) * 1000);
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
