/**
 * Notifications (issue #4 §3): one message model, five channels, and a SQLite outbox that enqueues each
 * (incident, version, channel) once and delivers it at least once. `createNotifiers` builds the channels the
 * service configuration names, from its `notify` section and the resolved secrets.
 */
import type { ServeConfig } from '../serve/config';
import type { Channel } from './channel';
import { EmailChannel } from './email';
import { JiraChannel } from './jira';
import { SlackChannel } from './slack';
import { TeamsChannel } from './teams';
import { WebhookChannel } from './webhook';

export * from './channel';
export * from './message';
export { Outbox, type DeliveryState, type DrainResult, type OutboxEntry, type OutboxOptions } from './outbox';
export { SlackChannel, slackPayload } from './slack';
export { TeamsChannel, teamsPayload, adaptiveCard } from './teams';
export {
  WebhookChannel,
  webhookBody,
  signature,
  verifySignature,
  deliveryId,
  NOTIFICATION_SCHEMA,
} from './webhook';
export { EmailChannel, emailSubject, emailText, emailHtml, type EmailOptions } from './email';
export { JiraChannel, jiraSummary, jiraWiki, type JiraOptions } from './jira';

export interface NotifierOptions {
  /** The Jira issue type for new incidents. Default `Task`. */
  readonly jiraIssueType?: string;
  /** Email: refuse to send without TLS; a private CA for the SMTP server. */
  readonly emailRequireTls?: boolean;
  readonly emailTls?: { readonly ca?: string; readonly rejectUnauthorized?: boolean };
}

/**
 * The channels the `notify` section configures, in a fixed order (slack, teams, webhook, email, jira). A
 * secret missing from the map is an error naming its key (`notify.slack.webhook`), never its value.
 */
export function createNotifiers(
  notify: ServeConfig['notify'],
  secrets: ReadonlyMap<string, string>,
  opts: NotifierOptions = {},
): Channel[] {
  const need = (key: string): string => {
    const v = secrets.get(key);
    if (v === undefined || v === '') throw new Error(`${key}: secret not resolved`);
    return v;
  };
  const out: Channel[] = [];
  if (notify.slack) out.push(new SlackChannel(need('notify.slack.webhook')));
  if (notify.teams) out.push(new TeamsChannel(need('notify.teams.webhook')));
  if (notify.webhook)
    out.push(
      new WebhookChannel(
        notify.webhook.url,
        notify.webhook.secret !== undefined ? need('notify.webhook.secret') : undefined,
      ),
    );
  if (notify.email) {
    const e = notify.email;
    out.push(
      new EmailChannel({
        host: e.smtpHost,
        port: e.port,
        from: e.from,
        to: e.to,
        ...(e.username !== undefined ? { username: e.username } : {}),
        ...(e.password !== undefined ? { password: need('notify.email.password') } : {}),
        ...(opts.emailRequireTls !== undefined ? { requireTls: opts.emailRequireTls } : {}),
        ...(opts.emailTls !== undefined ? { tls: opts.emailTls } : {}),
      }),
    );
  }
  if (notify.jira)
    out.push(
      new JiraChannel({
        baseUrl: notify.jira.baseUrl,
        token: need('notify.jira.token'),
        project: notify.jira.project,
        ...(opts.jiraIssueType !== undefined ? { issueType: opts.jiraIssueType } : {}),
      }),
    );
  return out;
}
