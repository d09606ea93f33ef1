/**
 * A Jira issue on the Data Center Jira (REST API v2, personal access token as Bearer): the first
 * notification of an incident creates an issue, every later one comments on it. The issue key is returned as
 * the delivery's `ref`, which the outbox keeps per incident and hands back. The token is the secret.
 */
import { utc } from '../report/format';
import { DeliveryError, postJson, type Channel, type SendContext, type SendResult } from './channel';
import { wikiEscape, wikiNoformat } from './escape';
import {
  actionText,
  changeSuffix,
  text,
  timelineText,
  timelineWithGap,
  type NotificationMessage,
} from './message';

export interface JiraOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly project: string;
  /** Default `Task`. */
  readonly issueType?: string;
  /** Added to the issue; default `bulkhead`. */
  readonly labels?: readonly string[];
}

/** Jira's summary: one line, at most 255 characters, plain text (not rendered as wiki markup). */
export function jiraSummary(m: NotificationMessage): string {
  return text(`[Bulkhead] ${m.severity.toUpperCase()}: ${m.title}`, 255);
}

/** The issue description or comment body, in Jira wiki markup. */
export function jiraWiki(m: NotificationMessage): string {
  const out: string[] = [];
  const head = m.change === 'opened' ? 'Incident opened' : `Incident update${changeSuffix(m)}`;
  out.push(`h3. ${wikiEscape(`${head}: ${m.severity.toUpperCase()}`)}`);
  out.push(`*Title:* ${wikiEscape(m.title)}`);
  out.push(`*Actor:* ${wikiEscape(m.actorLabel)}`);
  out.push(`*Period:* ${wikiEscape(`${utc(m.firstAt)} .. ${utc(m.lastAt)}`)}`);
  out.push(`*Incident:* ${wikiEscape(m.incidentId)} (${m.status})`);
  if (m.url) out.push(`*Console:* [Open in Bulkhead|${m.url.replace(/[|\]]/g, encodeURIComponent)}]`);
  if (m.identities.length > 0) {
    out.push('', '*Linked identities*');
    for (const i of m.identities) out.push(`* ${wikiEscape(`${i.label}: ${i.how} at ${utc(i.at)}`)}`);
  }
  out.push('', '*Timeline (UTC)*', '{noformat}');
  for (const t of timelineWithGap(m)) out.push(wikiNoformat(typeof t === 'string' ? t : timelineText(t)));
  out.push('{noformat}');
  if (m.actions.length > 0) {
    out.push('', '*Containment*');
    for (const a of m.actions) out.push(`* ${wikiEscape(actionText(a))}`);
  }
  return out.join('\n');
}

export class JiraChannel implements Channel {
  readonly name = 'jira' as const;
  readonly secrets: readonly string[];
  private readonly base: string;
  constructor(private readonly o: JiraOptions) {
    this.secrets = [o.token];
    this.base = o.baseUrl.replace(/\/+$/, '');
  }
  async send(m: NotificationMessage, ctx: SendContext): Promise<SendResult> {
    const headers = { authorization: `Bearer ${this.o.token}`, accept: 'application/json' };
    if (ctx.ref !== undefined) {
      const url = `${this.base}/rest/api/2/issue/${encodeURIComponent(ctx.ref)}/comment`;
      await postJson(url, JSON.stringify({ body: jiraWiki(m) }), headers, ctx, this.secrets);
      return { ref: ctx.ref, detail: `commented on ${ctx.ref}` };
    }
    const fields = {
      project: { key: this.o.project },
      issuetype: { name: this.o.issueType ?? 'Task' },
      summary: jiraSummary(m),
      description: jiraWiki(m),
      labels: [...(this.o.labels ?? ['bulkhead'])],
    };
    const r = await postJson(
      `${this.base}/rest/api/2/issue`,
      JSON.stringify({ fields }),
      headers,
      ctx,
      this.secrets,
    );
    let key: unknown;
    try {
      key = (JSON.parse(r.body) as { key?: unknown }).key;
    } catch {
      key = undefined;
    }
    if (typeof key !== 'string' || key === '')
      throw new DeliveryError(`Jira answered ${r.status} without an issue key`, false, undefined, r.status);
    return { ref: key, detail: `created ${key}` };
  }
}
