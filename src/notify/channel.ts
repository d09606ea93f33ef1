/**
 * A notification channel (Slack, Teams, the SIEM webhook, email, Jira) and how a delivery fails. The outbox
 * decides from a `DeliveryError` whether to try again: network errors, timeouts, 429 and 5xx are retried
 * (honouring Retry-After), any other refusal fails at once.
 *
 * Error messages never carry a secret: URLs are cut to scheme and host, and every channel scrubs the secrets
 * it holds out of whatever text it passes on (a product's answer could echo them).
 */
import type { NotificationMessage } from './message';

export type ChannelName = 'slack' | 'teams' | 'webhook' | 'email' | 'jira';

export interface SendContext {
  /** Aborted when the delivery's timeout is reached. */
  readonly signal: AbortSignal;
  /** The clock's ms at the start of the delivery. */
  readonly now: number;
  /** What an earlier delivery of this channel for this incident returned (the Jira issue key). */
  readonly ref?: string;
}

export interface SendResult {
  /** Kept per incident and handed back to later deliveries (the Jira issue key). */
  readonly ref?: string;
  /** A short, secret-free note for the history (`created BULK-12`, `HTTP 200`). */
  readonly detail?: string;
}

export interface Channel {
  readonly name: ChannelName;
  /** The values this channel must never let out (webhook URLs, tokens, passwords), for scrubbing. */
  readonly secrets: readonly string[];
  send(message: NotificationMessage, ctx: SendContext): Promise<SendResult>;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    /** Worth another attempt later. */
    readonly retryable: boolean,
    /** What the receiver asked for (Retry-After), in ms. */
    readonly retryAfterMs?: number,
    /** The HTTP status, when there was one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** `https://hooks.slack.com/…`: a URL with only its scheme and host, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/** Replaces every occurrence of each secret (and of each URL secret's path) with `[redacted]`. */
export function scrub(textIn: string, secrets: readonly string[]): string {
  let out = textIn;
  const all = new Set<string>();
  for (const s of secrets) {
    if (s.length < 4) continue; // scrubbing a 1-3 character value would shred ordinary text
    all.add(s);
    try {
      const u = new URL(s);
      if (u.pathname.length > 4) all.add(u.pathname);
      if (u.search.length > 4) all.add(u.search);
    } catch {
      /* not a URL */
    }
  }
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out;
}

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const h = header.trim();
  if (/^\d+$/.test(h)) return Number(h) * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** An HTTP status as a delivery outcome: 2xx ok (undefined), 429/5xx retryable, other codes final. */
export function statusError(
  status: number,
  where: string,
  body: string,
  retryAfter: string | null,
  now: number,
): DeliveryError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const snippet = body.trim().slice(0, 200).replace(/\s+/g, ' ');
  const msg = `${where}: HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
  if (status === 429 || status >= 500)
    return new DeliveryError(msg, true, retryAfterMs(retryAfter, now), status);
  return new DeliveryError(msg, false, undefined, status);
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * POSTs JSON and classifies the outcome. Throws a secret-free `DeliveryError`: the URL is named by scheme and
 * host only, and the answer is scrubbed of `secrets`.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  ctx: SendContext,
  secrets: readonly string[],
): Promise<HttpResponse> {
  const where = `POST ${redactUrl(url)}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      signal: ctx.signal,
      redirect: 'error',
    });
  } catch (err) {
    throw networkError(err, where, ctx.signal);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw networkError(err, where, ctx.signal);
  }
  const e = statusError(res.status, where, scrub(text, secrets), res.headers.get('retry-after'), ctx.now);
  if (e) throw e;
  return { status: res.status, body: text };
}

/** A failure before an HTTP answer: timed out, refused, reset. Named by its code, never by the URL. */
export function networkError(err: unknown, where: string, signal?: AbortSignal): DeliveryError {
  if (signal?.aborted) return new DeliveryError(`${where}: timed out`, true);
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code =
    (typeof cause?.code === 'string' ? cause.code : undefined) ??
    (typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined);
  return new DeliveryError(`${where}: network error${code ? ` (${code})` : ''}`, true);
}
