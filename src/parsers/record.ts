/**
 * Record-level entry points: detect which format a JSON value or a text line is, unwrap pages, and dispatch
 * to the format parser. Never throws: every failure is a `ParseReject` naming the format and the reason.
 */
import type { AuditEvent, FormatId, RawRef } from '../core/event';
import { parseBitbucketWebhook, looksLikeBitbucketWebhook } from './formats/bitbucket-cloud-webhook';
import { looksLikeAccessLine, parseAccessLine } from './formats/bitbucket-dc-access';
import { parseConfluenceCloud, parseJiraCloud } from './formats/cloud-audit';
import { parseDcAudit } from './formats/dc-audit';
import { isForgeEventType, parseForgeEvent } from './formats/forge-event';
import { parseOrgAudit } from './formats/org-audit';
import { RecordError, type ParseOptions, type ParseOutcome, type ParseReject } from './types';
import { excerpt, excerptValue, isObj, typeName, type Json } from './util';

const NO_OPTS: ParseOptions = {};
// Most records have no rejects (or no events); one shared empty array saves an allocation per record.
const NONE: readonly never[] = Object.freeze([]);

/** Which single-record JSON format a value is, by its distinguishing keys; undefined when none fits. */
export function detectRecord(rec: Json): FormatId | undefined {
  if ('auditType' in rec) return 'dc-audit-file';
  const type = rec['type'];
  if (isObj(type) && ('action' in type || 'actionI18nKey' in type)) return 'dc-audit-rest';
  if (type === 'events' || (isObj(rec['attributes']) && 'action' in (rec['attributes'] as Json))) return 'org-audit';
  if (isForgeEventType(rec['eventType'])) return 'forge-event';
  if ('summary' in rec) {
    if ('created' in rec || 'objectItem' in rec || 'authorAccountId' in rec) return 'jira-cloud-audit';
    if ('creationDate' in rec || 'affectedObject' in rec) return 'confluence-cloud-audit';
  }
  if (looksLikeBitbucketWebhook(rec)) return 'bitbucket-cloud-webhook';
  return undefined;
}

/** Pages and wrappers that hold several records (or one wrapped record), with the format their items usually have. */
function unwrap(rec: Json): { items: unknown[]; hint: FormatId | undefined } | undefined {
  const records = rec['records'];
  if (Array.isArray(records)) return { items: records, hint: 'jira-cloud-audit' };
  const results = rec['results'];
  if (Array.isArray(results)) return { items: results, hint: 'confluence-cloud-audit' };
  const entities = rec['entities'];
  if (Array.isArray(entities)) return { items: entities, hint: 'dc-audit-rest' };
  const data = rec['data'];
  if (Array.isArray(data)) return { items: data, hint: 'org-audit' };
  // An audit-log webhook delivery or a single-event API response wraps one event in `data` (or `event`).
  if (isObj(data) && !('headers' in rec)) return { items: [data], hint: 'org-audit' };
  const event = rec['event'];
  if (isObj(event) && Object.keys(rec).length <= 3) return { items: [event], hint: undefined };
  return undefined;
}

function parseOne(rec: Json, format: FormatId, ref: RawRef, opts: ParseOptions): AuditEvent {
  switch (format) {
    case 'dc-audit-file':
    case 'dc-audit-rest':
      return parseDcAudit(rec, format, ref, opts);
    case 'jira-cloud-audit':
      return parseJiraCloud(rec, ref, opts);
    case 'confluence-cloud-audit':
      return parseConfluenceCloud(rec, ref, opts);
    case 'org-audit':
      return parseOrgAudit(rec, ref, opts);
    case 'forge-event':
      return parseForgeEvent(rec, ref, opts);
    case 'bitbucket-cloud-webhook':
      return parseBitbucketWebhook(rec, ref, opts);
    case 'bitbucket-dc-access':
    case 'org-audit-csv':
    case 'confluence-audit-csv':
      throw new RecordError(`${format} records are text lines or CSV rows, not JSON values`);
  }
}

function reject(ref: RawRef, format: FormatId | 'unknown', reason: string, raw: string): ParseReject {
  const r: { file: string; line: number; index?: number; format: FormatId | 'unknown'; reason: string; excerpt: string } = {
    file: ref.file,
    line: ref.line,
    format,
    reason,
    excerpt: raw,
  };
  if (ref.index !== undefined) r.index = ref.index;
  return r;
}

function reasonOf(err: unknown): string {
  if (err instanceof RecordError) return err.message;
  // A parser bug must not lose the record or crash the run; say plainly it is one.
  return `internal parser error: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * One JSON value already in memory (a Forge payload, a webhook body, a REST entity or a whole REST page) → its
 * events and rejects. `hint` skips detection. Page items get `ref.index` (0-based) and keep `ref.line`.
 */
export function parseRecord(value: unknown, ref: RawRef, hint?: FormatId, opts: ParseOptions = NO_OPTS): ParseOutcome {
  return parseValue(value, ref, hint, opts, undefined);
}

function parseValue(value: unknown, ref: RawRef, hint: FormatId | undefined, opts: ParseOptions, raw: string | undefined): ParseOutcome {
  if (Array.isArray(value)) return parsePage(value, ref, hint, opts);
  if (!isObj(value)) {
    return { format: hint ?? 'unknown', events: [], rejects: [reject(ref, hint ?? 'unknown', `expected a JSON object, got ${typeName(value)}`, raw === undefined ? excerptValue(value) : excerpt(raw))] };
  }
  const format = hint ?? detectRecord(value);
  if (format === undefined) {
    const page = unwrap(value);
    if (page !== undefined) return parsePage(page.items, ref, page.hint, opts);
    return { format: 'unknown', events: [], rejects: [reject(ref, 'unknown', 'unknown record format: no Atlassian audit, event or webhook shape matches', raw === undefined ? excerptValue(value) : excerpt(raw))] };
  }
  if (hint !== undefined && detectRecord(value) === undefined) {
    const page = unwrap(value);
    if (page !== undefined) return parsePage(page.items, ref, hint, opts);
  }
  try {
    return { format, events: [parseOne(value, format, ref, opts)], rejects: NONE };
  } catch (err) {
    return { format, events: [], rejects: [reject(ref, format, reasonOf(err), raw === undefined ? excerptValue(value) : excerpt(raw))] };
  }
}

function parsePage(items: unknown[], ref: RawRef, pageHint: FormatId | undefined, opts: ParseOptions): ParseOutcome {
  const events: AuditEvent[] = [];
  const rejects: ParseReject[] = [];
  let format: FormatId | 'unknown' = pageHint ?? 'unknown';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const itemRef: RawRef = { file: ref.file, line: ref.line, index: i };
    const detected = isObj(item) ? (detectRecord(item) ?? pageHint) : pageHint;
    // Pages are one level deep: an array inside a page item is a bad record, not another page.
    const out = isObj(item) && detected !== undefined
      ? parseValue(item, itemRef, detected, opts, undefined)
      : { format: detected ?? ('unknown' as const), events: [], rejects: [reject(itemRef, detected ?? 'unknown', isObj(item) ? 'unknown record format inside page' : `page item must be a JSON object, got ${typeName(item)}`, excerptValue(item))] };
    if (out.format !== 'unknown') format = out.format;
    for (const e of out.events) events.push(e);
    for (const r of out.rejects) rejects.push(r);
  }
  return { format, events, rejects };
}

/** The largest line accepted; longer lines are rejected without being held whole. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** One text line (NDJSON record or page, or a Bitbucket access-log line) → its events and rejects. */
export function parseLine(line: string, ref: RawRef, hint?: FormatId, opts: ParseOptions = NO_OPTS): ParseOutcome {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9 || line.charCodeAt(i) === 0xfeff)) i++;
  const c = line.charCodeAt(i);
  if (c === 123 /* { */ || c === 91 /* [ */) {
    let value: unknown;
    try {
      // JSON.parse accepts leading spaces but not a byte-order mark, which some exporters write.
      value = JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
    } catch (err) {
      const fmt = hint ?? 'unknown';
      return { format: fmt, events: [], rejects: [reject(ref, fmt, `malformed JSON: ${(err as Error).message}`, excerpt(line))] };
    }
    return parseValue(value, ref, hint === 'bitbucket-dc-access' ? undefined : hint, opts, line);
  }
  if (hint === 'bitbucket-dc-access' || looksLikeAccessLine(line)) {
    try {
      const e = parseAccessLine(line, ref, opts);
      return { format: 'bitbucket-dc-access', events: e === undefined ? NONE : [e], rejects: NONE };
    } catch (err) {
      return { format: 'bitbucket-dc-access', events: [], rejects: [reject(ref, 'bitbucket-dc-access', reasonOf(err), excerpt(line))] };
    }
  }
  return {
    format: 'unknown',
    events: [],
    rejects: [reject(ref, hint ?? 'unknown', 'unrecognized line: neither a JSON record nor a Bitbucket access log line', excerpt(line))],
  };
}
