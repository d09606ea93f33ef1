/**
 * The generic JSON webhook for SIEMs and ticketing glue: a documented, versioned body
 * (`bulkhead.notification/v1`, see docs/decisions/0012-notifications.md), optionally signed.
 *
 * Signing, when a secret is configured: `X-Bulkhead-Timestamp` is the send time in Unix seconds and
 * `X-Bulkhead-Signature` is `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + raw body). A receiver
 * recomputes it over the raw bytes it received, compares in constant time, and rejects a timestamp more than a
 * few minutes from its own clock (a replayed request). `X-Bulkhead-Delivery` (`<incident>:<version>`) is the
 * same on every retry of one notification, so a receiver can drop duplicates.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { postJson, type Channel, type SendContext, type SendResult } from './channel';
import type { NotificationMessage } from './message';

export const NOTIFICATION_SCHEMA = 'bulkhead.notification/v1';

const iso = (ms: number) => new Date(ms).toISOString();

/** The webhook body. Additive changes keep `v1`; anything else is a new version. */
export function webhookBody(m: NotificationMessage, sentAt: number): Record<string, unknown> {
  return {
    schema: NOTIFICATION_SCHEMA,
    delivery: deliveryId(m),
    sentAt: iso(sentAt),
    change: m.change,
    ...(m.previousSeverity ? { previousSeverity: m.previousSeverity } : {}),
    incident: {
      id: m.incidentId,
      version: m.version,
      title: m.title,
      severity: m.severity,
      status: m.status,
      actor: { ...m.actor, label: m.actorLabel },
      identities: m.identities.map((i) => ({
        ...i.identity,
        label: i.label,
        relation: i.relation,
        description: i.how,
        at: iso(i.at),
      })),
      firstAt: iso(m.firstAt),
      lastAt: iso(m.lastAt),
      ...(m.url ? { url: m.url } : {}),
    },
    timeline: m.timeline.map((t) => ({
      at: iso(t.at),
      ruleId: t.ruleId,
      severity: t.severity,
      summary: t.summary,
    })),
    timelineOmitted: m.timelineOmitted,
    actions: m.actions.map((a) => ({
      id: a.id,
      kind: a.kind,
      label: a.label,
      product: a.product,
      state: a.state,
      reason: a.reason,
      ...(a.result !== undefined ? { result: a.result } : {}),
      ...(a.by !== undefined ? { by: a.by } : {}),
      at: iso(a.at),
      new: a.isNew,
    })),
  };
}

export function deliveryId(m: NotificationMessage): string {
  return `${m.incidentId}:${m.version}`;
}

/** `sha256=<hex>` over `timestamp + "." + body`. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * What a receiver does: true when the signature matches the raw body and the timestamp is within
 * `toleranceSeconds` of `nowMs`. Exported for receivers written in TypeScript and for the tests.
 */
export function verifySignature(
  secret: string,
  timestamp: string,
  body: string,
  header: string,
  nowMs: number,
  toleranceSeconds = 300,
): boolean {
  if (!/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const want = Buffer.from(signature(secret, timestamp, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

export class WebhookChannel implements Channel {
  readonly name = 'webhook' as const;
  readonly secrets: readonly string[];
  constructor(
    private readonly url: string,
    private readonly secret?: string,
  ) {
    // The URL is not a secret in the config (a SIEM endpoint), but it may carry a key in its query.
    this.secrets = secret !== undefined ? [secret] : [];
  }
  async send(m: NotificationMessage, ctx: SendContext): Promise<SendResult> {
    const body = JSON.stringify(webhookBody(m, ctx.now));
    const headers: Record<string, string> = { 'x-bulkhead-delivery': deliveryId(m) };
    if (this.secret !== undefined) {
      const ts = String(Math.floor(ctx.now / 1000));
      headers['x-bulkhead-timestamp'] = ts;
      headers['x-bulkhead-signature'] = signature(this.secret, ts, body);
    }
    const r = await postJson(this.url, body, headers, ctx, this.secrets);
    return { detail: `HTTP ${r.status}` };
  }
}
