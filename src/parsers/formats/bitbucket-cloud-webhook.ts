/**
 * Bitbucket Cloud webhook bodies. The event key travels in the `X-Event-Key` header, which a file of saved
 * bodies no longer has, so it is inferred from the body's shape (`push` → repo:push, `fork` → repo:fork,
 * `pullrequest` → pullrequest:*, `repository` + `changes` → repo:updated). A saved delivery may also be the
 * envelope `{"headers": {"X-Event-Key": "..."}, "body": {...}}`, whose header then wins.
 */
import type { AuditEvent, RawRef } from '../../core/event';
import { canonicalAction } from '../action-map';
import { RecordError, type ParseOptions } from '../types';
import { addTarget, arr, draft, isObj, needObj, obj, str, type Json } from '../util';
import { pushedTime } from './forge-event';

/** True for a body (or envelope) that looks like a Bitbucket Cloud webhook delivery. */
export function looksLikeBitbucketWebhook(rec: Json): boolean {
  const body = envelopeBody(rec) ?? rec;
  const repo = obj(body, 'repository');
  return (
    repo !== undefined &&
    (typeof repo['full_name'] === 'string' || typeof repo['uuid'] === 'string') &&
    isObj(body['actor']) &&
    body['eventType'] === undefined
  );
}

function envelopeBody(rec: Json): Json | undefined {
  return isObj(rec['headers']) && isObj(rec['body']) ? (rec['body'] as Json) : undefined;
}

function headerKey(rec: Json): string | undefined {
  const headers = obj(rec, 'headers');
  if (headers === undefined) return undefined;
  for (const k of Object.keys(headers)) if (k.toLowerCase() === 'x-event-key') return str(headers, k);
  return undefined;
}

function inferKey(body: Json): string {
  if (isObj(body['push'])) return 'repo:push';
  if (isObj(body['fork'])) return 'repo:fork';
  if (isObj(body['pullrequest'])) {
    const pr = body['pullrequest'] as Json;
    const state = str(pr, 'state');
    if (isObj(body['approval'])) return 'pullrequest:approved';
    if (isObj(body['comment'])) return 'pullrequest:comment_created';
    if (state === 'MERGED') return 'pullrequest:fulfilled';
    if (state === 'DECLINED') return 'pullrequest:rejected';
    return 'pullrequest:updated';
  }
  if (isObj(body['commit_status'])) return 'repo:commit_status_updated';
  if (isObj(body['changes'])) return 'repo:updated';
  if (isObj(body['comment'])) return 'repo:commit_comment_created';
  throw new RecordError('cannot tell which Bitbucket Cloud webhook event this body is (no push, fork, pullrequest or changes)');
}

export function parseBitbucketWebhook(rec: Json, ref: RawRef, opts: ParseOptions): AuditEvent {
  const body = envelopeBody(rec) ?? rec;
  const key = headerKey(rec) ?? inferKey(body);
  const repo = needObj(body, 'repository');
  const e = draft(pushedTime(body, opts, 'Bitbucket webhook', ...bodyTimes(body)), 'bitbucket-cloud-webhook', 'bitbucket', key, canonicalAction(key), ref);
  const actor = obj(body, 'actor');
  if (actor !== undefined) {
    const id = str(actor, 'account_id') ?? str(actor, 'uuid');
    const name = str(actor, 'nickname') ?? str(actor, 'username') ?? str(actor, 'display_name');
    if (id !== undefined) e['user.id'] = id;
    if (name !== undefined) e['user.name'] = name;
    const type = str(actor, 'type');
    if (type === 'app_user' || type === 'team') e['user.kind'] = 'app';
  }
  addTarget(e, 'repository', str(repo, 'uuid'), str(repo, 'full_name') ?? str(repo, 'name'));
  const fork = obj(body, 'fork');
  if (fork !== undefined) addTarget(e, 'repository', str(fork, 'uuid'), str(fork, 'full_name'));
  const project = obj(repo, 'project');
  if (project !== undefined) addTarget(e, 'project', str(project, 'uuid'), str(project, 'key'));
  const links = obj(repo, 'links');
  const html = links === undefined ? undefined : obj(links, 'html');
  const href = html === undefined ? undefined : str(html, 'href');
  if (href !== undefined && URL.canParse(href)) e['atlassian.site'] = new URL(href).origin;
  return e;
}

/** Times a body carries: the pull request's update, the fork's creation, or the newest pushed commit. */
function bodyTimes(body: Json): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  const pr = obj(body, 'pullrequest');
  if (pr !== undefined) out.push(str(pr, 'updated_on'), str(pr, 'created_on'));
  const fork = obj(body, 'fork');
  if (fork !== undefined) out.push(str(fork, 'created_on'));
  const repo = obj(body, 'repository');
  if (repo !== undefined && isObj(body['changes'])) out.push(str(repo, 'updated_on'));
  const push = obj(body, 'push');
  if (push !== undefined) {
    let newest: string | undefined;
    for (const c of arr(push, 'changes')) {
      const target = isObj(c) && isObj(c['new']) ? obj(c['new'] as Json, 'target') : undefined;
      const date = target === undefined ? undefined : str(target, 'date');
      if (date !== undefined && (newest === undefined || date > newest)) newest = date;
    }
    out.push(newest);
  }
  return out;
}
