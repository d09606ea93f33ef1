/**
 * Slack incoming webhook: a Block Kit message (header, facts, timeline, containment, a button to the
 * console) with a plain `text` fallback for notifications. The webhook URL is the secret.
 */
import { utc } from '../report/format';
import { postJson, type Channel, type SendContext, type SendResult } from './channel';
import { slackCode, slackEscape } from './escape';
import {
  actionText,
  changeSuffix,
  headline,
  text,
  timelineWithGap,
  type NotificationMessage,
} from './message';

/** Slack's limit for a section's text. */
const SECTION_MAX = 3000;

/** Lines joined into section texts of at most SECTION_MAX characters each. */
function sections(lines: readonly string[]): string[] {
  const out: string[] = [];
  let cur = '';
  for (const l of lines) {
    const line = l.length > SECTION_MAX ? text(l, SECTION_MAX / 2) : l;
    if (cur !== '' && cur.length + 1 + line.length > SECTION_MAX) {
      out.push(cur);
      cur = '';
    }
    cur = cur === '' ? line : `${cur}\n${line}`;
  }
  if (cur !== '') out.push(cur);
  return out;
}

const EMOJI: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  info: ':white_circle:',
};

export function slackPayload(m: NotificationMessage): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: text(`${m.severity.toUpperCase()}: ${m.title}`, 150), emoji: false },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `${EMOJI[m.severity] ?? ''} *${m.severity.toUpperCase()}*${slackEscape(changeSuffix(m))}`,
          `*Actor:* ${slackEscape(m.actorLabel)}`,
          `*Period:* ${utc(m.firstAt)} .. ${utc(m.lastAt)}`,
          `*Incident:* ${slackCode(m.incidentId)} (${m.status})`,
        ].join('\n'),
      },
    },
  ];
  if (m.identities.length > 0) {
    for (const t of sections([
      '*Linked identities*',
      ...m.identities.map((i) => `• ${slackEscape(i.label)}: ${slackEscape(i.how)} at ${utc(i.at)}`),
    ]))
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: t } });
  }
  const timeline = timelineWithGap(m).map((t) =>
    typeof t === 'string'
      ? `_${slackEscape(t)}_`
      : `${utc(t.at)}  ${t.severity}  ${slackCode(t.ruleId)}  ${slackEscape(t.summary)}`,
  );
  for (const t of sections(['*Timeline (UTC)*', ...timeline]))
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: t } });
  if (m.actions.length > 0) {
    for (const t of sections(['*Containment*', ...m.actions.map((a) => `• ${slackEscape(actionText(a))}`)]))
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: t } });
  }
  if (m.url) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in Bulkhead' },
          url: m.url,
          action_id: 'open',
        },
      ],
    });
  }
  // Slack allows 50 blocks; a message this long is cut, the console has the rest.
  if (blocks.length > 50)
    blocks.splice(49, blocks.length - 49, blocks[blocks.length - 1] as Record<string, unknown>);
  return { text: `[Bulkhead] ${headline(m)}`, blocks };
}

export class SlackChannel implements Channel {
  readonly name = 'slack' as const;
  readonly secrets: readonly string[];
  constructor(private readonly webhookUrl: string) {
    this.secrets = [webhookUrl];
  }
  async send(m: NotificationMessage, ctx: SendContext): Promise<SendResult> {
    const r = await postJson(this.webhookUrl, JSON.stringify(slackPayload(m)), {}, ctx, this.secrets);
    return { detail: `HTTP ${r.status}` };
  }
}
