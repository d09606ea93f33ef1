/**
 * Notifications from the Forge app: an issue in the configured security project (created as the app, then
 * commented on) and the shared Slack, Teams and SIEM webhook channels of src/notify (they use global fetch,
 * which Forge allows to the hosts manifest.yml declares). What was last notified is kept per incident and
 * channel, so a retried or repeated run notifies each incident version once per channel.
 */
import type { Incident } from '../../core/incident';
import {
  buildMessage,
  changeOf,
  plainLines,
  jiraSummary,
  notifiedState,
  SlackChannel,
  TeamsChannel,
  WebhookChannel,
  DeliveryError,
  type Channel,
  type NotificationMessage,
  type NotifiedState,
  type SendContext,
  type SendResult,
} from '../../notify';
import type { ActionRecord } from '../../respond/responder';
import { KEYS, SECRETS } from './keys';
import type { KvPort, Logger, ProductApi } from './ports';
import type { ForgeSettings } from './settings';

/** The incident as a Jira issue (REST v3, Atlassian Document Format), created and commented on as the app. */
export class ForgeJiraChannel implements Channel {
  readonly name = 'jira' as const;
  readonly secrets: readonly string[] = [];
  constructor(
    private readonly product: ProductApi,
    private readonly project: string,
    private readonly issueType: string,
  ) {}

  async send(m: NotificationMessage, ctx: SendContext): Promise<SendResult> {
    const doc = adf(plainLines(m));
    if (ctx.ref !== undefined) {
      const a = await this.product.request(
        'jira',
        `/rest/api/3/issue/${encodeURIComponent(ctx.ref)}/comment`,
        {
          method: 'POST',
          body: JSON.stringify({ body: doc }),
          headers: { 'Content-Type': 'application/json' },
        },
      );
      await check(a.status, await a.text(), 'comment');
      return { ref: ctx.ref, detail: `commented on ${ctx.ref}` };
    }
    const a = await this.product.request('jira', '/rest/api/3/issue', {
      method: 'POST',
      body: JSON.stringify({
        fields: {
          project: { key: this.project },
          issuetype: { name: this.issueType },
          summary: jiraSummary(m),
          description: doc,
          labels: ['bulkhead'],
        },
      }),
      headers: { 'Content-Type': 'application/json' },
    });
    const text = await a.text();
    await check(a.status, text, 'create issue');
    const key = (JSON.parse(text) as { key?: unknown }).key;
    if (typeof key !== 'string')
      throw new DeliveryError('Jira answered without an issue key', false, undefined, a.status);
    return { ref: key, detail: `created ${key}` };
  }
}

async function check(status: number, text: string, what: string): Promise<void> {
  if (status >= 200 && status < 300) return Promise.resolve();
  const msg = `Jira ${what}: HTTP ${status} ${text.slice(0, 200).replace(/\s+/g, ' ')}`;
  throw new DeliveryError(msg, status === 429 || status >= 500, undefined, status);
}

/** Plain lines as an ADF document: one paragraph each (no markup to escape). */
export function adf(lines: readonly string[]): Record<string, unknown> {
  return {
    type: 'doc',
    version: 1,
    content: lines
      .filter((l) => l !== '')
      .map((l) => ({ type: 'paragraph', content: [{ type: 'text', text: l }] })),
  };
}

/** The channels the settings and secrets configure. */
export async function forgeChannels(kv: KvPort, product: ProductApi, s: ForgeSettings): Promise<Channel[]> {
  const out: Channel[] = [];
  if (s.securityProject !== undefined)
    out.push(new ForgeJiraChannel(product, s.securityProject, s.jiraIssueType));
  const slack = await kv.getSecret(SECRETS.slackWebhook);
  if (slack !== undefined) out.push(new SlackChannel(slack));
  const teams = await kv.getSecret(SECRETS.teamsWebhook);
  if (teams !== undefined) out.push(new TeamsChannel(teams));
  if (s.siemUrl !== undefined)
    out.push(new WebhookChannel(s.siemUrl, await kv.getSecret(SECRETS.siemSecret)));
  return out;
}

interface Notified {
  readonly state: NotifiedState;
  readonly ref?: string;
}

export interface NotifyOutcome {
  readonly channel: string;
  readonly sent: boolean;
  readonly detail: string;
  /** A failure worth another attempt (the caller retries the job). */
  readonly retryable?: boolean;
}

/** Notifies every channel whose last notification of this incident is older than its current state. */
export async function notifyIncident(
  kv: KvPort,
  channels: readonly Channel[],
  incident: Incident,
  actions: readonly ActionRecord[],
  now: number,
  log?: Logger,
): Promise<NotifyOutcome[]> {
  const out: NotifyOutcome[] = [];
  for (const ch of channels) {
    const key = KEYS.notified(incident.id, ch.name);
    const prev = await kv.get<Notified>(key);
    const change = changeOf(prev?.state, incident, actions);
    if (!change) continue;
    const msg = buildMessage(incident, actions, change, { now });
    try {
      const r = await ch.send(msg, {
        signal: AbortSignal.timeout(20_000),
        now,
        ...(prev?.ref !== undefined ? { ref: prev.ref } : {}),
      });
      const ref = r.ref ?? prev?.ref;
      await kv.set(key, { state: notifiedState(incident, actions), ...(ref !== undefined ? { ref } : {}) });
      out.push({ channel: ch.name, sent: true, detail: r.detail ?? 'sent' });
    } catch (err) {
      const e = err as Error;
      const retryable = e instanceof DeliveryError ? e.retryable : true;
      log?.(`notify ${ch.name} for ${incident.id}: ${e.message}`); // channel errors are secret-free (decision 0012)
      out.push({ channel: ch.name, sent: false, detail: e.message, retryable });
    }
  }
  return out;
}
