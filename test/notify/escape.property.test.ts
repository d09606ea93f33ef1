/**
 * Titles, names and summaries come from logs an intruder writes. For arbitrary text (markup characters, odd
 * unicode, control characters), every channel's payload still parses, and the text stays text: no Slack link
 * or mention, no wiki markup, no HTML, and it reads back as it was.
 */
import fc from 'fast-check';
import { emailHtml, jiraWiki, slackPayload, teamsPayload, webhookBody } from '../../src/notify';
import { cardEscape, htmlEscape, slackEscape, wikiEscape, wikiNoformat } from '../../src/notify/escape';
import { buildMessage, changeOf, text } from '../../src/notify/message';
import { incident, record, T0 } from './fixtures';

const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      ...'<>&*_~`{}[]|\\!#?-+^()"\'\n\r\t\u0000\u001b\u2028\u202e\u200b\uFEFF😀é'.split(''),
      '{noformat}',
      '<!channel>',
      '&amp;',
      '\\\\',
      '[x|http://e]',
    ),
    fc.string({ unit: 'binary', maxLength: 3 }),
  ),
  maxLength: 60,
});

const wikiUnescape = (s: string) => s.replace(/\\(.)/g, '$1').replace(/&#92;/g, '\\').replace(/&amp;/g, '&');
const slackUnescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('escaping (property)', () => {
  it('escapers are lossless and leave no live markup', () => {
    fc.assert(
      fc.property(nasty, (s) => {
        const w = wikiEscape(s);
        expect(wikiUnescape(w)).toBe(s);
        // Outside backslash pairs and entities, no wiki special character is left.
        expect(w.replace(/\\./g, '').replace(/&#92;|&amp;/g, '')).not.toMatch(/[{}[\]|*_?\-+^~!#()\\]/);
        expect(wikiNoformat(s).toLowerCase()).not.toContain('{noformat}');
        const sl = slackEscape(s);
        expect(sl).not.toMatch(/[<>]/);
        expect(slackUnescape(sl)).toBe(s);
        expect(htmlEscape(s)).not.toMatch(/[<>"']/);
        expect(cardEscape(s)).not.toContain('](');
      }),
      { numRuns: 500 },
    );
  });

  it('every payload parses and carries the text, whatever the title, names and summaries', () => {
    fc.assert(
      fc.property(nasty, nasty, nasty, nasty, (title, name, summary, result) => {
        const inc = incident({
          title,
          actor: { name, kind: 'human' },
          lines: 2,
          timeline: [
            { '@timestamp': T0, detectionId: 'd', ruleId: 'r', severity: 'high', actor: name, summary },
          ],
        });
        const recs = [record({ result })];
        const m = buildMessage(inc, recs, changeOf(undefined, inc, recs)!, {
          now: T0,
          consoleUrl: 'https://bh.example.com',
        });

        const slack = JSON.parse(JSON.stringify(slackPayload(m))) as {
          blocks: { type: string; text?: { type: string; text: string } }[];
        };
        expect(slack.blocks.length).toBeLessThanOrEqual(50);
        for (const b of slack.blocks) {
          if (b.text?.type !== 'mrkdwn') continue;
          expect(b.text.text).not.toMatch(/[<>]/); // no link, no mention, no <!channel>
          expect(b.text.text.length).toBeLessThanOrEqual(3000);
        }
        const mrkdwn = slack.blocks
          .map((b) => (b.text?.type === 'mrkdwn' ? slackUnescape(b.text.text) : ''))
          .join('\n');
        expect(mrkdwn).toContain(text(summary));

        const teams = JSON.parse(JSON.stringify(teamsPayload(m))) as {
          attachments: { content: { type: string } }[];
        };
        expect(teams.attachments[0]!.content.type).toBe('AdaptiveCard');

        const hook = JSON.parse(JSON.stringify(webhookBody(m, T0))) as {
          incident: { title: string; actor: { name: string } };
          timeline: { summary: string }[];
          actions: { result: string }[];
        };
        expect(hook.incident.title).toBe(text(title, 200));
        expect(hook.incident.actor.name).toBe(name);
        expect(hook.timeline[0]!.summary).toBe(text(summary));
        expect(hook.actions[0]!.result).toBe(text(result));

        const wiki = jiraWiki(m);
        // One noformat block, opened and closed once: the summary cannot end it early.
        expect(wiki.match(/\{noformat\}/gi)).toHaveLength(2);
        const titleLine = wiki.split('\n').find((l) => l.startsWith('*Title:* '))!;
        expect(wikiUnescape(titleLine.slice('*Title:* '.length))).toBe(text(title, 200));

        const html = emailHtml(m);
        expect(html).toContain(`<h2>${htmlEscape(`HIGH: ${text(title, 200)}`)}</h2>`);
        expect(html.match(/<a /g)).toHaveLength(1);
      }),
      { numRuns: 300 },
    );
  });
});
