/** Small formatting helpers shared by the terminal and HTML reports. */
import type { Identity } from '../core/detection';
import type { RawRef } from '../core/event';
import type { LinkedIdentity } from '../core/incident';

/** `2023-11-14 15:58:02Z`: UTC, second precision, sortable. */
export function utc(ms: number): string {
  return Number.isFinite(ms)
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, 'Z')
    : '-';
}

export function identityLabel(id: Identity): string {
  const name = id.name ?? id.id ?? 'unidentified';
  const extra = id.name !== undefined && id.id !== undefined && id.id !== id.name ? ` [${id.id}]` : '';
  return `${name}${extra} (${id.kind})`;
}

/** `file:line` or `file:line#index` for records inside a whole-JSON document. */
export function refLabel(r: RawRef): string {
  return r.index === undefined ? `${r.file}:${r.line}` : `${r.file}:${r.line}#${r.index}`;
}

/**
 * Strips control characters (ANSI escapes, carriage returns, newlines) from text that came from logs, so an
 * attacker-chosen user name cannot rewrite the analyst's terminal.
 */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' || c === '\t' ? ' ' : '\uFFFD'));
}

/** How a linked identity came into an incident, as a phrase: `created by svc-smartsheet`,
 *  `acted from the same attacker address 193.142.58.126`. */
export function relationText(l: LinkedIdentity): string {
  const via = l.via ?? '?';
  switch (l.relation) {
    case 'actor':
      return "the incident's actor";
    case 'created':
      return `created by ${via}`;
    case 'added-to-group':
      return `added to a group by ${via}`;
    case 'granted-token':
      return `given a token or key by ${via}`;
    case 'granted-permission':
      return `granted a permission by ${via}`;
    case 'same-attacker-address':
      return `acted from the same attacker address ${via}`;
  }
}
