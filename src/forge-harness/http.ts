/**
 * The request and response shapes the harness passes to product/KVS/external handlers, and the
 * Response-like object `__forge_fetch__` returns (what the SDKs read: status, statusText, ok,
 * headers.get, text(), json()).
 */

export type Provider = 'app' | 'user' | 'none';

/** What `__forge_fetch__` was asked, parsed once for handlers. */
export interface HarnessRequest {
  /** `jira` | `confluence` | `bitbucket` | `stargate` | `kvs` | `sql`, or the host of an external fetch. */
  remote: string;
  /** `app` (asApp), `user` (asUser; see accountId), `none` (plain requestJira from a UI-less context). */
  provider: Provider;
  accountId?: string;
  method: string;
  /** Path with query, exactly as the SDK sent it. */
  path: string;
  pathname: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Raw body text ('' when none). */
  bodyText: string;
  /** Body parsed as JSON when it is JSON, else undefined. */
  json: unknown;
}

export interface HarnessResponse {
  status: number;
  /** An object is sent as JSON; a string as text; undefined as an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A handler may answer `HANG` to simulate a call that never answers within the invocation limit. */
export const HANG = Symbol('forge-harness:hang');
export type HandlerResult = HarnessResponse | typeof HANG;
export type RouteHandler = (req: HarnessRequest) => HandlerResult | Promise<HandlerResult>;

export interface ResponseLike {
  status: number;
  statusText: string;
  ok: boolean;
  url: string;
  headers: {
    get(name: string): string | null;
    has(name: string): boolean;
    forEach(cb: (v: string, k: string) => void): void;
  };
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function toResponseLike(res: HarnessResponse, url = ''): ResponseLike {
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(res.headers ?? {})) headers.set(k.toLowerCase(), v);
  let text = '';
  if (res.body === undefined || res.body === null) text = '';
  else if (typeof res.body === 'string') text = res.body;
  else {
    text = JSON.stringify(res.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  if (!headers.has('content-length')) headers.set('content-length', String(Buffer.byteLength(text)));
  return {
    status: res.status,
    statusText: STATUS_TEXT[res.status] ?? '',
    ok: res.status >= 200 && res.status < 300,
    url,
    headers: {
      get: (name) => headers.get(name.toLowerCase()) ?? null,
      has: (name) => headers.has(name.toLowerCase()),
      forEach: (cb) => headers.forEach((v, k) => cb(v, k)),
    },
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    arrayBuffer: async () => {
      const b = Buffer.from(text);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

/** A request as the route handlers see it, with who sends it: the query from `url`, the body parsed as JSON
 *  when it is JSON; `path` is the path with query as sent (default: `url`'s). */
export function harnessRequest(
  from: Pick<HarnessRequest, 'remote' | 'provider' | 'accountId'>,
  method: string,
  url: URL,
  headers: Record<string, string>,
  bodyText: string,
  path = url.pathname + url.search,
): HarnessRequest {
  return {
    ...from,
    method,
    path,
    pathname: url.pathname,
    query: url.searchParams,
    headers,
    bodyText,
    json: parseJson(bodyText),
  };
}

/** Normalises fetch-style headers (Headers, array pairs, or a plain object) to lower-case keys. */
export function normaliseHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (typeof (h as { forEach?: unknown }).forEach === 'function' && !Array.isArray(h)) {
    (h as { forEach(cb: (v: string, k: string) => void): void }).forEach((v, k) => {
      out[k.toLowerCase()] = v;
    });
    return out;
  }
  if (Array.isArray(h)) {
    for (const pair of h as [string, string][]) out[pair[0].toLowerCase()] = pair[1];
    return out;
  }
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    if (v !== undefined) out[k.toLowerCase()] = String(v);
  }
  return out;
}

export function bodyToText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  if (body instanceof URLSearchParams) return body.toString();
  return String(body);
}

export function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function json(status: number, body?: unknown, headers?: Record<string, string>): HarnessResponse {
  return { status, body, ...(headers ? { headers } : {}) };
}
