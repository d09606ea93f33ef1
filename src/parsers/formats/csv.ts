/**
 * CSV exports of audit logs, recognised by their header row:
 * - `org-audit-csv`: the export of the organization audit log at admin.atlassian.com;
 * - `confluence-audit-csv`: the export button of the Confluence (Cloud and Data Center) audit log.
 *
 * Atlassian documents neither header exactly (the public docs describe the activity table, not the file), so
 * columns are matched by name, case-insensitively, against the aliases below, and column order does not
 * matter. What is required: a time column and an action column (org: `Date`/`Time`, `Activity`/`Action`;
 * Confluence: `Date`/`Created`, `Summary`). Everything else (actor, email, IP, location, objects) is optional.
 */
import { parse } from 'csv-parse';
import { DateTime } from 'luxon';
import type { Readable } from 'node:stream';
import type { AuditEvent, FormatId, RawRef } from '../../core/event';
import { canonicalAction } from '../action-map';
import { RecordError, type ParseOptions, type ParseOutcome, type ParseReject } from '../types';
import { addTarget, draft, excerpt, markAnonymousGrant, parseIsoMs, setSourceIp, targetKind } from '../util';

type Column = 'time' | 'action' | 'actor' | 'actorId' | 'email' | 'ip' | 'location' | 'category' | 'description' | 'object' | 'objectType' | 'associated' | 'site' | 'id';

const ALIASES: Readonly<Record<Column, readonly string[]>> = {
  time: ['date', 'time', 'timestamp', 'date (utc)', 'time (utc)', 'created', 'creation date', 'date and time'],
  // Confluence shows a record's summary in its audit log's 'Change' column, its category as 'Event type' and its
  // affected object as 'Item affected'; exports taken from that screen may carry those headers.
  action: ['activity', 'action', 'event', 'summary', 'change'],
  actor: ['actor', 'actor name', 'author', 'author name', 'user', 'username'],
  actorId: ['actor id', 'actor account id', 'author id', 'author account id', 'account id', 'author key'],
  email: ['actor email', 'email', 'email address', 'author email'],
  ip: ['ip address', 'ip', 'remote address', 'source ip', 'source'],
  location: ['location', 'country'],
  category: ['category', 'activity type', 'event type', 'type'],
  description: ['description', 'details', 'message'],
  object: ['affected object', 'item affected', 'object', 'object name', 'target', 'context'],
  objectType: ['affected object type', 'object type'],
  associated: ['associated objects', 'associated object', 'container'],
  site: ['site', 'site url', 'product'],
  id: ['id', 'event id'],
};

export interface CsvLayout {
  readonly format: FormatId;
  readonly columns: Partial<Record<Column, number>>;
}

/** The format and column positions a header row names, or undefined when it is not an export Bulkhead knows. */
export function csvLayout(header: readonly string[]): CsvLayout | undefined {
  const names = header.map((h) => h.replace(/^\ufeff/, '').trim().toLowerCase());
  const columns: Partial<Record<Column, number>> = {};
  for (const col of Object.keys(ALIASES) as Column[]) {
    for (const alias of ALIASES[col]) {
      const i = names.indexOf(alias);
      if (i >= 0) {
        columns[col] = i;
        break;
      }
    }
  }
  if (columns.time === undefined || columns.action === undefined) return undefined;
  const confluence =
    (names.includes('summary') && (names.some((n) => n.startsWith('author')) || names.includes('affected object'))) ||
    (names.includes('change') && (names.includes('event type') || names.includes('item affected')));
  if (confluence) return { format: 'confluence-audit-csv', columns };
  const org = (names.includes('activity') || names.includes('action')) && names.some((n) => n.startsWith('actor') || n === 'user');
  return org ? { format: 'org-audit-csv', columns } : undefined;
}

/** Split a first line as CSV, cheaply, to test it as a header (quoted commas included). */
export function splitCsvHeader(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const LOCAL_FORMATS = ['MMM d, yyyy h:mm a', 'MMM d, yyyy, h:mm a', 'MMM d, yyyy h:mm:ss a', 'yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd HH:mm', 'dd/MM/yyyy HH:mm', 'M/d/yyyy h:mm a', 'dd MMM yyyy HH:mm'];

/** Exports write ISO times, or the UI's localised time (read in the `timezone` option, default UTC). */
function csvTime(s: string, zone: string | undefined): number {
  const iso = parseIsoMs(s);
  if (iso !== undefined) return iso;
  const t = s.trim();
  if (/^\d{12,13}$/.test(t)) return Number(t);
  for (const f of LOCAL_FORMATS) {
    const dt = DateTime.fromFormat(t, f, { zone: zone ?? 'UTC', locale: 'en-US' });
    if (dt.isValid) return dt.toMillis();
  }
  throw new RecordError(t === '' ? 'empty time column' : `time ${JSON.stringify(t.slice(0, 40))} is not a date Bulkhead can read`);
}

function rowEvent(row: readonly string[], layout: CsvLayout, ref: RawRef, opts: ParseOptions): AuditEvent {
  const get = (c: Column): string | undefined => {
    const i = layout.columns[c];
    const v = i === undefined ? undefined : row[i]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const rawAction = get('action');
  if (rawAction === undefined) throw new RecordError('empty action column');
  const time = get('time');
  const product = layout.format === 'confluence-audit-csv' ? 'confluence' : 'org';
  const e = draft(csvTime(time ?? '', opts.timezone), layout.format, product, rawAction, canonicalAction(rawAction), ref);
  const id = get('id');
  if (id !== undefined) e['event.id'] = id;
  const actor = get('actor');
  const actorId = get('actorId');
  const email = get('email');
  if (actor !== undefined) e['user.name'] = actor;
  if (actorId !== undefined) e['user.id'] = actorId;
  if (email !== undefined) e['user.email'] = email;
  const a = actor?.toLowerCase();
  if (a === 'system') e['user.kind'] = 'system';
  else if (a === 'anonymous') e['user.kind'] = 'anonymous';
  setSourceIp(e, get('ip'));
  const location = get('location');
  if (location !== undefined) e['source.geo.country_name'] = location;
  const category = get('category');
  if (category !== undefined) e['atlassian.audit.category'] = category;
  const description = get('description');
  if (description !== undefined) e.message = description;
  const site = get('site');
  if (site !== undefined && layout.format === 'org-audit-csv') e['atlassian.site'] = site;
  const object = get('object');
  if (object !== undefined) addTarget(e, targetKind(get('objectType')), undefined, object);
  const associated = get('associated');
  if (associated !== undefined) for (const name of associated.split(/\s*[;\n]\s*/)) if (name !== '') addTarget(e, 'other', undefined, name);
  markAnonymousGrant(e);
  return e;
}

/** Stream a CSV export: one outcome per data row, in order, with the 1-based line the row ends on. */
export async function* readCsv(input: Readable | AsyncIterable<Buffer>, file: string, opts: ParseOptions): AsyncGenerator<ParseOutcome> {
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, skip_records_with_error: true });
  const skipped: ParseReject[] = [];
  parser.on('skip', (err: Error & { lines?: number }) => {
    skipped.push({ file, line: err.lines ?? 0, format: 'unknown', reason: `malformed CSV: ${err.message}`, excerpt: excerpt(String((err as { raw?: unknown }).raw ?? '')) });
  });
  // Feed the parser from the input without holding it: backpressure comes from the parser's own buffer.
  const feed = (async () => {
    try {
      for await (const chunk of input) {
        if (parser.destroyed) return;
        if (!parser.write(chunk)) {
          await new Promise<void>((resolve) => {
            parser.once('drain', resolve);
            parser.once('close', resolve);
          });
        }
      }
      if (!parser.destroyed) parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  })();
  let layout: CsvLayout | undefined;
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    while (skipped.length > 0) yield { format: layout?.format ?? 'unknown', events: [], rejects: [{ ...skipped.shift()!, format: layout?.format ?? 'unknown' }] };
    const ref: RawRef = { file, line: item.info.lines };
    if (layout === undefined) {
      layout = csvLayout(item.record);
      if (layout === undefined) {
        yield { format: 'unknown', events: [], rejects: [{ file, line: ref.line, format: 'unknown', reason: 'CSV header names no known audit export (need a time column and an Activity/Action or Summary column)', excerpt: excerpt(item.record.join(',')) }] };
        break;
      }
      continue;
    }
    try {
      yield { format: layout.format, events: [rowEvent(item.record, layout, ref, opts)], rejects: [] };
    } catch (err) {
      const reason = err instanceof RecordError ? err.message : `internal parser error: ${(err as Error).message}`;
      yield { format: layout.format, events: [], rejects: [{ file, line: ref.line, format: layout.format, reason, excerpt: excerpt(item.record.join(',')) }] };
    }
  }
  await feed;
  for (const r of skipped) yield { format: layout?.format ?? 'unknown', events: [], rejects: [{ ...r, format: layout?.format ?? 'unknown' }] };
}
