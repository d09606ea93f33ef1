/**
 * The three web triggers, host-independent: each authenticates the request, stores what it carries in the
 * inbox and answers at once (a web trigger has 55 s; detection happens in the ingest consumer).
 *
 * - org audit-log webhook: the `Authorization` header must equal the secret the admin configured for the
 *   webhook in admin.atlassian.com (compared in constant time);
 * - Bitbucket webhooks: `X-Hub-Signature: sha256=<hex>` HMAC-SHA256 of the raw body with the hook's secret;
 * - the self-hosted forwarder: `X-Bulkhead-Timestamp` (Unix seconds) and `X-Bulkhead-Signature:
 *   sha256=<hex>` HMAC-SHA256 over `timestamp + "." + body` (the notification webhook's scheme, decision
 *   0012), refused outside a 5-minute window and refused when the same signature was seen before (replay).
 *
 * No answer says which check failed beyond the status, and no secret or header value is logged.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { signature } from '../../notify/webhook';
import type { Ingestor } from './ingest';
import { KEYS, SECRETS } from './keys';
import type { KvPort, Logger } from './ports';

/** What Forge hands a web trigger function (headers are lower-cased, each a list). */
export interface WebTriggerRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, readonly string[] | undefined>>;
  readonly body?: string;
  readonly queryParameters?: Readonly<Record<string, readonly string[]>>;
}

export interface WebTriggerResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string[]>;
  readonly body: string;
}

export const REPLAY_WINDOW_SECONDS = 300;
/** Bodies larger than this are refused before anything else is done. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface WebTriggerDeps {
  readonly kv: KvPort;
  readonly ingestor: Ingestor;
  readonly now: () => number;
  readonly log?: Logger;
}

function reply(statusCode: number, message: string): WebTriggerResponse {
  return {
    statusCode,
    headers: { 'Content-Type': ['application/json'] },
    body: JSON.stringify(statusCode < 300 ? { ok: true, message } : { error: message }),
  };
}

export function header(req: WebTriggerRequest, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === want) return v?.[0];
  return undefined;
}

/** Equal strings, in time that does not depend on where they differ (both sides hashed to one length). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

export type ForwarderCheck =
  { readonly ok: true } | { readonly ok: false; readonly status: 401 | 409; readonly reason: string };

/** The forwarder's signature check, without the replay store (see `forwarder`). */
export function checkForwarderSignature(
  secret: string,
  timestamp: string | undefined,
  sig: string | undefined,
  body: string,
  nowMs: number,
): ForwarderCheck {
  if (timestamp === undefined || sig === undefined)
    return { ok: false, status: 401, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 401, reason: 'bad timestamp' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS)
    return { ok: false, status: 401, reason: 'timestamp outside the 5-minute window' };
  if (!constantTimeEqual(signature(secret, timestamp, body), sig))
    return { ok: false, status: 401, reason: 'bad signature' };
  return { ok: true };
}

function parseBody(body: string | undefined): unknown[] | undefined {
  if (body === undefined || body === '') return undefined;
  try {
    const v = JSON.parse(body) as unknown;
    return Array.isArray(v) ? v : [v];
  } catch {
    return undefined;
  }
}

export class WebTriggers {
  constructor(private readonly d: WebTriggerDeps) {}

  private tooBig(req: WebTriggerRequest): boolean {
    return Buffer.byteLength(req.body ?? '', 'utf8') > MAX_BODY_BYTES;
  }

  /** admin.atlassian.com audit-log webhook. */
  async orgWebhook(req: WebTriggerRequest): Promise<WebTriggerResponse> {
    if (req.method !== 'POST') return reply(405, 'POST only');
    if (this.tooBig(req)) return reply(413, 'body too large');
    const secret = await this.d.kv.getSecret(SECRETS.orgWebhookAuth);
    if (secret === undefined) return reply(503, 'webhook secret not configured');
    const auth = header(req, 'authorization');
    if (auth === undefined || !constantTimeEqual(auth, secret)) {
      this.d.log?.('org webhook: refused a request with a missing or wrong Authorization header');
      return reply(401, 'unauthorized');
    }
    const records = parseBody(req.body);
    if (!records) return reply(400, 'body must be JSON');
    await this.d.ingestor.accept('org-webhook', records);
    return reply(202, 'accepted');
  }

  /** Bitbucket Cloud repository and workspace webhooks (with a secret). */
  async bitbucketWebhook(req: WebTriggerRequest): Promise<WebTriggerResponse> {
    if (req.method !== 'POST') return reply(405, 'POST only');
    if (this.tooBig(req)) return reply(413, 'body too large');
    const secret = await this.d.kv.getSecret(SECRETS.bitbucketWebhook);
    if (secret === undefined) return reply(503, 'webhook secret not configured');
    const body = req.body ?? '';
    const want = `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
    const got = header(req, 'x-hub-signature');
    if (got === undefined || !constantTimeEqual(want, got)) {
      this.d.log?.('bitbucket webhook: refused a request with a missing or wrong signature');
      return reply(401, 'unauthorized');
    }
    const records = parseBody(body);
    if (!records) return reply(400, 'body must be JSON');
    // The event key names what happened (repo:push, repo:fork); the parser reads it from the body's shape.
    await this.d.ingestor.accept('bitbucket-webhook', records);
    return reply(202, 'accepted');
  }

  /** Records forwarded by a self-hosted Bulkhead or any script holding the shared secret. */
  async forwarder(req: WebTriggerRequest): Promise<WebTriggerResponse> {
    if (req.method !== 'POST') return reply(405, 'POST only');
    if (this.tooBig(req)) return reply(413, 'body too large');
    const secret = await this.d.kv.getSecret(SECRETS.forwarder);
    if (secret === undefined) return reply(503, 'forwarder secret not configured');
    const body = req.body ?? '';
    const sig = header(req, 'x-bulkhead-signature');
    const check = checkForwarderSignature(
      secret,
      header(req, 'x-bulkhead-timestamp'),
      sig,
      body,
      this.d.now(),
    );
    if (!check.ok) {
      this.d.log?.(`forwarder: refused (${check.reason})`);
      return reply(check.status, 'unauthorized');
    }
    // A valid signature is accepted once: kept for longer than the window it could be replayed in.
    const mark = KEYS.replay(
      createHash('sha256')
        .update(sig ?? '')
        .digest('hex')
        .slice(0, 40),
    );
    if ((await this.d.kv.get(mark)) !== undefined) {
      this.d.log?.('forwarder: refused a replayed request');
      return reply(409, 'replayed');
    }
    const records = parseBody(body);
    if (!records) return reply(400, 'body must be JSON');
    await this.d.kv.set(mark, this.d.now(), 2 * REPLAY_WINDOW_SECONDS);
    await this.d.ingestor.accept('forwarder', records);
    return reply(202, 'accepted');
  }
}
