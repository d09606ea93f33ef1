/**
 * Incident export as CSV and JSON. CSV follows RFC 4180 (every cell quoted, quotes doubled, CRLF between
 * rows), and a cell that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return)
 * is prefixed with a single quote: an attacker picks user names and page titles, and those end up in cells.
 */
import type { IncidentListItem } from './backend';

const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  const guarded = FORMULA.test(value) ? `'${value}` : value;
  return `"${guarded.replace(/"/g, '""')}"`;
}

export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const EXPORT_COLUMNS = [
  'id',
  'status',
  'severity',
  'title',
  'actor',
  'first_seen',
  'last_seen',
  'detections',
  'rules',
  'actions',
] as const;

export function actorName(i: IncidentListItem['incident']): string {
  return i.actor.name ?? i.actor.id ?? '';
}

export function exportRow({ incident: i, actions }: IncidentListItem): string[] {
  return [
    i.id,
    i.status,
    i.severity,
    i.title,
    actorName(i),
    iso(i.firstTimestamp),
    iso(i.lastTimestamp),
    String(i.detections.length),
    [...new Set(i.detections.map((d) => d.rule.id))].join(' '),
    actions.map((a) => `${a.action.kind}:${a.state}`).join(' '),
  ];
}

export function incidentsCsv(items: readonly IncidentListItem[]): string {
  return toCsv(EXPORT_COLUMNS, items.map(exportRow));
}
