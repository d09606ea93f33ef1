/**
 * Escaping for each channel's markup. Everything here is text an attacker may have chosen (a user name, a
 * page title in a summary), so it must never become a link, a mention, a table cell or a macro.
 */

/** Slack mrkdwn: `&`, `<` and `>` are its control characters (links, mentions, `<!channel>`), escaped as
 *  Slack documents. Emphasis characters (`*`, `_`, `~`) have no escape in mrkdwn; at worst they make text
 *  bold, never a link or a mention. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inside a Slack code span nothing is formatted, but a backtick ends it: replace it with a look-alike. */
export function slackCode(s: string): string {
  return `\`${slackEscape(s).replace(/`/g, 'ˋ')}\``;
}

export function htmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Jira wiki markup's special characters, escaped with a backslash. */
const WIKI_SPECIAL = /[{}[\]|*_?\-+^~!#()]/g;

/**
 * Jira wiki markup: every special character gets a backslash; a backslash itself (which, doubled, is a line
 * break) and `&` (entities) become numeric entities; line breaks are already gone (control characters are
 * stripped when the message is built).
 */
export function wikiEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/\\/g, '&#92;')
    .replace(WIKI_SPECIAL, (c) => `\\${c}`);
}

/** Text for a `{noformat}` block: only the closing tag means anything inside, so it is broken up. */
export function wikiNoformat(s: string): string {
  return s.replace(/\{noformat\}/gi, (m) => `{${m.slice(1, -1)} }`);
}

/**
 * Adaptive Card TextBlock and Fact text is rendered by Teams as a Markdown subset (emphasis, lists, links
 * `[title](url)`; no HTML). Emphasis and link characters get a backslash (CommonMark's escape), and a
 * zero-width space is put between `]` and `(` so that, should a renderer ignore backslash escapes, text still
 * cannot form a link.
 */
export function cardEscape(s: string): string {
  return s.replace(/[\\`*_[\]~]/g, (c) => `\\${c}`).replace(/\]\(/g, ']\u200b(');
}
