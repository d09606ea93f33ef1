/**
 * Jira Cloud (`/rest/api/3/auditing/record` records) and Confluence Cloud (`/wiki/rest/api/audit` results).
 * Both carry a `summary` (the action), a remote address, the object acted on and associated objects.
 */
import type { AuditEvent, RawRef } from '../../core/event';
import { canonicalAction } from '../action-map';
import type { ParseOptions } from '../types';
import {
  actorKindFromCloudType,
  addAttribute,
  addTarget,
  arr,
  draft,
  isObj,
  markAnonymousGrant,
  needStr,
  needTime,
  obj,
  setSourceIp,
  str,
  targetKind,
  type EventDraft,
  type Json,
} from '../util';

export function parseJiraCloud(rec: Json, ref: RawRef, _opts: ParseOptions): AuditEvent {
  const rawAction = needStr(rec, 'summary');
  const e = draft(needTime(rec, 'created'), 'jira-cloud-audit', 'jira', rawAction, canonicalAction(rawAction), ref);
  const id = str(rec, 'id');
  if (id !== undefined) e['event.id'] = id;
  const category = str(rec, 'category');
  if (category !== undefined) e['atlassian.audit.category'] = category;
  const description = str(rec, 'description');
  if (description !== undefined) e.message = description;
  setSourceIp(e, str(rec, 'remoteAddress'));
  const accountId = str(rec, 'authorAccountId');
  const key = str(rec, 'authorKey');
  if (accountId !== undefined) e['user.id'] = accountId;
  if (key !== undefined) e['user.name'] = key;
  // Jira Cloud leaves the author out of records the system made (directory sync, automation housekeeping).
  if (accountId === undefined && key === undefined) e['user.kind'] = 'system';
  const item = obj(rec, 'objectItem');
  if (item !== undefined) jiraItem(e, item);
  for (const a of arr(rec, 'associatedItems')) if (isObj(a)) jiraItem(e, a);
  for (const c of arr(rec, 'changedValues')) {
    if (!isObj(c)) continue;
    const name = str(c, 'fieldName');
    if (name !== undefined) addAttribute(e, name, str(c, 'changedTo') ?? str(c, 'changedFrom'));
  }
  markAnonymousGrant(e);
  return e;
}

function jiraItem(e: EventDraft, item: Json): void {
  addTarget(e, targetKind(str(item, 'typeName')), str(item, 'id'), str(item, 'name'));
}

export function parseConfluenceCloud(rec: Json, ref: RawRef, _opts: ParseOptions): AuditEvent {
  const rawAction = needStr(rec, 'summary');
  const e = draft(needTime(rec, 'creationDate'), 'confluence-cloud-audit', 'confluence', rawAction, canonicalAction(rawAction), ref);
  const category = str(rec, 'category');
  if (category !== undefined) e['atlassian.audit.category'] = category;
  const description = str(rec, 'description');
  if (description !== undefined) e.message = description;
  setSourceIp(e, str(rec, 'remoteAddress'));
  const author = obj(rec, 'author');
  if (author !== undefined) {
    const accountId = str(author, 'accountId');
    const name = str(author, 'displayName') ?? str(author, 'publicName');
    if (accountId !== undefined) e['user.id'] = accountId;
    if (name !== undefined) e['user.name'] = name;
    const email = str(author, 'email');
    if (email !== undefined && email.includes('@')) e['user.email'] = email;
    e['user.kind'] =
      accountId === undefined && name?.toLowerCase() === 'system'
        ? 'system'
        : name?.toLowerCase() === 'anonymous'
          ? 'anonymous'
          : actorKindFromCloudType(str(author, 'accountType'));
  }
  const affected = obj(rec, 'affectedObject');
  if (affected !== undefined) confluenceObject(e, affected);
  for (const a of arr(rec, 'associatedObjects')) if (isObj(a)) confluenceObject(e, a);
  for (const c of arr(rec, 'changedValues')) {
    if (!isObj(c)) continue;
    const name = str(c, 'name');
    if (name === undefined) continue;
    const value = str(c, 'newValue') ?? str(c, 'oldValue');
    if (name.toLowerCase() === 'space key' && value !== undefined) e['atlassian.space.key'] ??= value;
    else addAttribute(e, name, value);
  }
  markAnonymousGrant(e);
  return e;
}

function confluenceObject(e: EventDraft, o: Json): void {
  addTarget(e, targetKind(str(o, 'objectType')), str(o, 'id'), str(o, 'name'));
}
