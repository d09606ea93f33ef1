/**
 * Atlassian organization audit log events (admin.atlassian.com; Admin API `/admin/v1/orgs/{orgId}/events`
 * `data[]` items, which the audit-log webhook also delivers). JSON:API shaped: `{type:"events", id,
 * attributes{time, action, actor, context[], container[], location}, message{content}}`.
 */
import type { AuditEvent, RawRef } from '../../core/event';
import { canonicalAction } from '../action-map';
import type { ParseOptions } from '../types';
import {
  actorKindFromCloudType,
  addTarget,
  arr,
  draft,
  isObj,
  needObj,
  needStr,
  needTime,
  obj,
  setSourceIp,
  str,
  targetKind,
  type EventDraft,
  type Json,
} from '../util';

export function parseOrgAudit(rec: Json, ref: RawRef, _opts: ParseOptions): AuditEvent {
  const at = needObj(rec, 'attributes');
  const rawAction = needStr(at, 'action', 'attributes.action');
  const e = draft(needTime(at, 'time', 'attributes.time'), 'org-audit', 'org', rawAction, canonicalAction(rawAction), ref);
  const id = str(rec, 'id');
  if (id !== undefined) e['event.id'] = id;
  const message = obj(rec, 'message');
  const content = message === undefined ? undefined : str(message, 'content');
  if (content !== undefined) e.message = content;

  const actor = obj(at, 'actor');
  if (actor !== undefined) {
    const aid = str(actor, 'id');
    const name = str(actor, 'name');
    const email = str(actor, 'email');
    if (aid !== undefined) e['user.id'] = aid;
    if (name !== undefined) e['user.name'] = name;
    if (email !== undefined) e['user.email'] = email;
    e['user.kind'] = actorKindFromCloudType(str(actor, 'type') ?? str(actor, 'accountType'));
    if (name?.toLowerCase() === 'system' && email === undefined) e['user.kind'] = 'system';
  }

  const loc = obj(at, 'location');
  if (loc !== undefined) {
    setSourceIp(e, str(loc, 'ip'));
    const country = str(loc, 'countryName');
    const iso = str(loc, 'countryCode') ?? str(loc, 'countryIsoCode');
    const region = str(loc, 'regionName');
    const city = str(loc, 'city');
    if (country !== undefined) e['source.geo.country_name'] = country;
    if (iso !== undefined) e['source.geo.country_iso_code'] = iso;
    if (region !== undefined) e['source.geo.region_name'] = region;
    if (city !== undefined) e['source.geo.city_name'] = city;
  }
  for (const c of arr(at, 'context')) if (isObj(c)) orgItem(e, c);
  for (const c of arr(at, 'container')) if (isObj(c)) orgItem(e, c);
  return e;
}

/** A context or container item: `{id, type, attributes{name|displayName|siteName, email, siteHostName, issueKeyOrId...}}`. */
function orgItem(e: EventDraft, item: Json): void {
  const attrs = obj(item, 'attributes') ?? {};
  const kind = targetKind(str(item, 'type'));
  const name =
    str(attrs, 'name') ?? str(attrs, 'displayName') ?? str(attrs, 'siteName') ?? str(attrs, 'title') ?? str(attrs, 'email');
  addTarget(e, kind, str(item, 'id'), name);
  const host = str(attrs, 'siteHostName');
  if (host !== undefined) e['atlassian.site'] ??= host;
  const issue = str(attrs, 'issueKeyOrId');
  if (issue !== undefined) addTarget(e, 'issue', str(attrs, 'issueId'), issue);
  const pageTitle = str(attrs, 'pageTitle');
  if (pageTitle !== undefined) addTarget(e, 'page', str(attrs, 'pageId'), pageTitle);
  const spaceKey = str(attrs, 'spaceKey');
  if (spaceKey !== undefined) e['atlassian.space.key'] ??= spaceKey;
}
