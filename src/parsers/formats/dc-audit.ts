/**
 * Jira, Confluence and Bitbucket Data Center audit records, in both shapes the products write:
 * - `dc-audit-file`: lines of `*.audit.log` (`auditType{...}`, `timestamp{epochSecond,nano}`);
 * - `dc-audit-rest`: entities of `GET /rest/auditing/1.0/events` (`type{...}`, ISO `timestamp`).
 * The two share author, affectedObjects, changedValues, extraAttributes, `source` (client IP or proxy chain)
 * and `system` (the site's base URL).
 */
import type { AuditEvent, FormatId, Product, RawRef } from '../../core/event';
import { canonicalAction } from '../action-map';
import { RecordError, type ParseOptions } from '../types';
import {
  addAttribute,
  addTarget,
  arr,
  draft,
  isObj,
  markAnonymousGrant,
  needObj,
  needStr,
  needTime,
  setSourceIp,
  str,
  targetKind,
  typeName,
  type Json,
} from '../util';

export function parseDcAudit(rec: Json, format: FormatId, ref: RawRef, opts: ParseOptions): AuditEvent {
  const isFile = format === 'dc-audit-file';
  const type = needObj(rec, isFile ? 'auditType' : 'type');
  const rawAction = needStr(type, 'action', isFile ? 'auditType.action' : 'type.action');
  const ts = isFile ? fileTime(rec) : needTime(rec, 'timestamp');
  const system = str(rec, 'system');
  const product = dcProduct(type, system, opts.product);

  const e = draft(ts, format, product, rawAction, canonicalAction(rawAction), ref);
  const category = str(type, 'category');
  if (category !== undefined) e['atlassian.audit.category'] = category;
  if (system !== undefined) e['atlassian.site'] = system;
  const id = str(rec, 'id');
  if (id !== undefined) e['event.id'] = id;
  setSourceIp(e, str(rec, 'source'));

  const author = rec['author'];
  if (isObj(author)) {
    const aid = str(author, 'id');
    const name = str(author, 'name');
    const atype = str(author, 'type')?.toLowerCase();
    if (aid !== undefined) e['user.id'] = aid;
    if (name !== undefined) e['user.name'] = name;
    if (aid === '-2' || (name !== undefined && name.toLowerCase() === 'anonymous')) e['user.kind'] = 'anonymous';
    else if (aid === '-1' || atype === 'system') e['user.kind'] = 'system';
    else if (atype === 'plugin' || atype === 'app' || atype === 'addon') e['user.kind'] = 'app';
  } else if (author !== undefined) {
    throw new RecordError(`author must be an object, got ${typeName(author)}`);
  }

  for (const o of arr(rec, 'affectedObjects')) {
    if (!isObj(o)) continue;
    addTarget(e, targetKind(str(o, 'type')), str(o, 'id'), str(o, 'name'));
  }
  for (const c of arr(rec, 'changedValues')) {
    if (!isObj(c)) continue;
    const key = str(c, 'key') ?? str(c, 'i18nKey');
    if (key !== undefined) addAttribute(e, key, str(c, 'to') ?? str(c, 'from'));
  }
  for (const a of arr(rec, 'extraAttributes')) {
    if (!isObj(a)) continue;
    const key = str(a, 'name') ?? str(a, 'nameI18nKey');
    if (key !== undefined) addAttribute(e, key, str(a, 'value'));
  }
  markAnonymousGrant(e);
  return e;
}

function fileTime(rec: Json): number {
  const t = rec['timestamp'];
  if (!isObj(t)) {
    throw new RecordError(t === undefined ? 'missing timestamp' : `timestamp must be {epochSecond,nano}, got ${typeName(t)}`);
  }
  const sec = t['epochSecond'];
  const nano = t['nano'] ?? 0;
  if (typeof sec !== 'number' || !Number.isFinite(sec) || typeof nano !== 'number' || !Number.isFinite(nano)) {
    throw new RecordError('timestamp.epochSecond and timestamp.nano must be numbers');
  }
  return sec * 1000 + Math.floor(nano / 1e6);
}

/** The product a DC record came from: its i18n keys say so most of the time, the site URL often, the file path last. */
function dcProduct(type: Json, system: string | undefined, hint: Product | undefined): Product {
  for (const key of [str(type, 'actionI18nKey'), str(type, 'categoryI18nKey')]) {
    if (key === undefined) continue;
    if (key.startsWith('jira.') || key.startsWith('issuenav.')) return 'jira';
    if (key.startsWith('bitbucket.') || key.startsWith('stash.')) return 'bitbucket';
    if (key.startsWith('audit.logging.') || key.startsWith('confluence.')) return 'confluence';
  }
  if (system !== undefined) {
    const s = system.toLowerCase();
    if (s.includes('jira')) return 'jira';
    if (s.includes('confluence') || s.includes('/wiki')) return 'confluence';
    if (s.includes('bitbucket') || s.includes('stash')) return 'bitbucket';
  }
  if (hint !== undefined) return hint;
  throw new RecordError('cannot tell which product wrote this record (no product i18n key, site URL or file path names one)');
}
