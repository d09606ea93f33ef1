/**
 * Forge product event payloads (`eventType: avi:<product>:<verb>:<object>`). Product events are pushed live:
 * most carry `eventCreatedDate` or `timestamp`, some (Bitbucket repository events) carry no time at all, in
 * which case the delivery time (`ParseOptions.receivedAt`) is the event's time.
 */
import type { AuditEvent, Product, RawRef } from '../../core/event';
import { canonicalAction } from '../action-map';
import { RecordError, type ParseOptions } from '../types';
import {
  actorKindFromCloudType,
  addTarget,
  draft,
  needStr,
  needTime,
  obj,
  parseIsoMs,
  str,
  type EventDraft,
  type Json,
} from '../util';

const FORGE = /^avi:(jira|confluence|bitbucket|jira-software|jira-servicedesk|jsm-entity):/;

export function isForgeEventType(t: unknown): boolean {
  return typeof t === 'string' && FORGE.test(t);
}

export function parseForgeEvent(rec: Json, ref: RawRef, opts: ParseOptions): AuditEvent {
  const eventType = needStr(rec, 'eventType');
  const m = FORGE.exec(eventType);
  if (m === null) throw new RecordError(`eventType ${JSON.stringify(eventType.slice(0, 60))} is not a Jira, Confluence or Bitbucket event`);
  const product: Product = m[1] === 'confluence' ? 'confluence' : m[1] === 'bitbucket' ? 'bitbucket' : 'jira';
  const e = draft(pushedTime(rec, opts, eventType), 'forge-event', product, eventType, canonicalAction(eventType), ref);

  const actor = obj(rec, 'actor');
  const actorId = str(rec, 'atlassianId') ?? (actor === undefined ? undefined : str(actor, 'accountId'));
  if (actorId !== undefined) e['user.id'] = actorId;
  if (actor !== undefined) {
    const name = str(actor, 'displayName') ?? str(actor, 'nickname');
    if (name !== undefined) e['user.name'] = name;
    e['user.kind'] = actorKindFromCloudType(str(actor, 'type') ?? str(actor, 'accountType'));
  }
  // Asynchronous events (Confluence user and group created/deleted) name no actor: the platform acted.
  if (actorId === undefined && actor === undefined) e['user.kind'] = 'system';

  const user = obj(rec, 'user');
  if (user !== undefined) {
    addTarget(e, 'user', str(user, 'accountId'), str(user, 'displayName'));
    const groups = obj(user, 'groups');
    const items = groups === undefined ? undefined : groups['items'];
    if (Array.isArray(items)) {
      for (const g of items) if (typeof g === 'object' && g !== null) addTarget(e, 'group', undefined, str(g as Json, 'name'));
    }
  }
  const group = obj(rec, 'group');
  if (group !== undefined) addTarget(e, 'group', str(group, 'id'), str(group, 'name'));
  const issue = obj(rec, 'issue');
  if (issue !== undefined) {
    addTarget(e, 'issue', str(issue, 'id'), str(issue, 'key'));
    const fields = obj(issue, 'fields');
    const project = fields === undefined ? undefined : obj(fields, 'project');
    if (project !== undefined) addTarget(e, 'project', str(project, 'id'), str(project, 'key'));
  }
  const content = obj(rec, 'content') ?? obj(rec, 'page') ?? obj(rec, 'blogpost');
  if (content !== undefined) {
    addTarget(e, 'page', str(content, 'id'), str(content, 'title'));
    const space = obj(content, 'space');
    if (space !== undefined) addSpace(e, space);
  }
  const space = obj(rec, 'space');
  if (space !== undefined) addSpace(e, space);
  const repo = obj(rec, 'repository');
  if (repo !== undefined) addTarget(e, 'repository', str(repo, 'uuid'), str(repo, 'full_name') ?? str(repo, 'slug'));
  const query = str(rec, 'query') ?? str(rec, 'searchQuery') ?? str(rec, 'cql');
  if (query !== undefined) e['atlassian.search.query'] = query;
  return e;
}

function addSpace(e: EventDraft, space: Json): void {
  const key = str(space, 'key');
  if (key !== undefined) e['atlassian.space.key'] ??= key;
  addTarget(e, 'space', str(space, 'id'), str(space, 'name') ?? key);
}

/** The time a pushed payload (Forge event, webhook body) happened: its own field when it has one, else delivery time. */
export function pushedTime(rec: Json, opts: ParseOptions, what: string, ...fallbacks: Array<string | undefined>): number {
  // A time field that is present but unreadable is a bad record, not a reason to fall back to delivery time.
  for (const k of ['eventCreatedDate', 'timestamp']) {
    if (rec[k] !== undefined && rec[k] !== null) return needTime(rec, k);
  }
  for (const v of fallbacks) {
    const ms = v === undefined ? undefined : parseIsoMs(v);
    if (ms !== undefined) return ms;
  }
  if (opts.receivedAt !== undefined) return opts.receivedAt;
  throw new RecordError(`${what} payload carries no time and no delivery time (receivedAt) was given`);
}
