/**
 * Microsoft Teams through a Workflows (Power Automate) "when a Teams webhook request is received" URL: the
 * body is a message whose one attachment is an Adaptive Card. The workflow URL (with its signature) is the
 * secret.
 */
import { utc } from '../report/format';
import { postJson, type Channel, type SendContext, type SendResult } from './channel';
import { cardEscape } from './escape';
import { actionText, changeSuffix, timelineText, timelineWithGap, type NotificationMessage } from './message';

const COLOR: Record<string, string> = {
  critical: 'Attention',
  high: 'Attention',
  medium: 'Warning',
  low: 'Accent',
  info: 'Default',
};

export function adaptiveCard(m: NotificationMessage): Record<string, unknown> {
  const tb = (text: string, extra: Record<string, unknown> = {}) => ({
    type: 'TextBlock',
    text,
    wrap: true,
    ...extra,
  });
  const body: Record<string, unknown>[] = [
    tb(cardEscape(`${m.severity.toUpperCase()}: ${m.title}`), {
      size: 'Large',
      weight: 'Bolder',
      color: COLOR[m.severity] ?? 'Default',
    }),
  ];
  const suffix = changeSuffix(m).trim();
  if (suffix) body.push(tb(cardEscape(suffix), { isSubtle: true, spacing: 'None' }));
  body.push({
    type: 'FactSet',
    facts: [
      { title: 'Actor', value: cardEscape(m.actorLabel) },
      { title: 'Period', value: `${utc(m.firstAt)} .. ${utc(m.lastAt)}` },
      { title: 'Incident', value: `${cardEscape(m.incidentId)} (${m.status})` },
      ...m.identities.map((i) => ({ title: 'Linked', value: cardEscape(`${i.label}: ${i.how}`) })),
    ],
  });
  body.push(tb('Timeline (UTC)', { weight: 'Bolder', separator: true }));
  for (const t of timelineWithGap(m))
    body.push(
      tb(cardEscape(typeof t === 'string' ? t : timelineText(t)), {
        fontType: 'Monospace',
        size: 'Small',
        spacing: 'None',
        ...(typeof t === 'string' ? { isSubtle: true } : {}),
      }),
    );
  if (m.actions.length > 0) {
    body.push(tb('Containment', { weight: 'Bolder', separator: true }));
    for (const a of m.actions) body.push(tb(cardEscape(actionText(a)), { spacing: 'None' }));
  }
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(m.url ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in Bulkhead', url: m.url }] } : {}),
    msteams: { width: 'Full' },
  };
}

export function teamsPayload(m: NotificationMessage): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: adaptiveCard(m) },
    ],
  };
}

export class TeamsChannel implements Channel {
  readonly name = 'teams' as const;
  readonly secrets: readonly string[];
  constructor(private readonly webhookUrl: string) {
    this.secrets = [webhookUrl];
  }
  async send(m: NotificationMessage, ctx: SendContext): Promise<SendResult> {
    const r = await postJson(this.webhookUrl, JSON.stringify(teamsPayload(m)), {}, ctx, this.secrets);
    return { detail: `HTTP ${r.status}` };
  }
}
