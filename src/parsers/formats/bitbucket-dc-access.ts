/**
 * Bitbucket Data Center `atlassian-bitbucket-access.log` lines:
 *   ip | protocol | request id | user | time | action | agent | status | bytes read | bytes written | labels | duration | session
 * Each request is logged twice: `i…` when it arrives and `o…` when it completes. Only `o` lines make events (they
 * have the status, bytes and duration), so a request is one event; `i` lines are read and skipped.
 * SSH lines may lack the duration column; fields are therefore read from both ends.
 */
import { DateTime } from 'luxon';
import type { AuditEvent, RawRef } from '../../core/event';
import { RecordError, type ParseOptions } from '../types';
import { draft, setSourceIp } from '../util';

const SEP = ' | ';

/** Cheap test used by detection: at least 6 ` | ` fields with an i/o request id in the third. */
export function looksLikeAccessLine(line: string): boolean {
  const a = line.indexOf(SEP);
  if (a < 0) return false;
  const b = line.indexOf(SEP, a + 3);
  if (b < 0) return false;
  const c = line.charCodeAt(b + 3);
  return c === 105 /* i */ || c === 111; /* o */
}

const ARCHIVE = /\/(projects|users)\/([^/?#]+)\/repos\/([^/?#]+)\/archive(?:[/?.#]|$)/;
const SCM =
  /^\/scm\/([^/?#]+)\/([^/?#]+?)(?:\.git)?\/(?:info\/refs\?(?:.*&)?service=git-upload-pack|git-upload-pack)(?:[?&#]|$)/;
const SSH_UPLOAD = /^SSH - git-upload-pack '\/?([^/']+)\/([^/']+?)(?:\.git)?'/;

/** Returns undefined for lines that are read but make no event (request-in lines, anonymous non-git requests). */
export function parseAccessLine(line: string, ref: RawRef, opts: ParseOptions): AuditEvent | undefined {
  // Request-in lines (`i` request ids) make no event: their `o` twin has status, bytes and duration. Half of
  // every access log, so they are recognised without splitting the line.
  const a = line.indexOf(SEP);
  const b = a < 0 ? -1 : line.indexOf(SEP, a + 3);
  if (b > 0 && line.charCodeAt(b + 3) === 105 /* i */) return undefined;
  const f = line.split(SEP);
  // A trailing ` |` leaves an empty last field; drop it so counting from the end works.
  if (f.length > 0 && f[f.length - 1]!.trim().replace(/\|$/, '') === '') f.pop();
  if (f.length < 6) throw new RecordError(`access log line has ${f.length} fields, expected at least 6`);
  const [ip, proto, reqId, user, time, action] = f as [string, string, string, string, string, string];
  const dir = reqId.charAt(0);
  if (dir !== 'i' && dir !== 'o')
    throw new RecordError(`request id ${JSON.stringify(reqId.slice(0, 30))} starts with neither i nor o`);
  if (dir === 'i') return undefined;
  const ts = accessTime(time, opts.timezone);

  const protocol = proto.trim().toLowerCase();
  if (protocol !== 'https' && protocol !== 'http' && protocol !== 'ssh')
    throw new RecordError(`unknown protocol ${JSON.stringify(proto.slice(0, 20))}`);
  const anonymous = user === '-' || user === '';
  // Tail fields, from the end: session, [duration], labels, bytes written, bytes read, status, [agent].
  const full = f.length >= 13;
  const status = num(f[7]);
  const bytesOut = num(f[9]);
  const duration = full ? num(f[11]) : undefined;

  let canonical: string;
  let repo: string | undefined;
  let method: string | undefined;
  let path: string | undefined;
  let query: string | undefined;
  const act = action.trim();
  if (protocol === 'ssh') {
    const m = SSH_UPLOAD.exec(act);
    if (m === null) {
      if (anonymous) return undefined;
      canonical = 'api.request';
    } else {
      canonical = 'repository.cloned';
      repo = repoName(m[1]!, m[2]!);
    }
  } else {
    const req = act.startsWith('"') && act.endsWith('"') ? act.slice(1, -1) : act;
    const sp1 = req.indexOf(' ');
    const sp2 = req.lastIndexOf(' ');
    method = sp1 > 0 ? req.slice(0, sp1) : req;
    const target = sp1 > 0 ? req.slice(sp1 + 1, sp2 > sp1 ? sp2 : undefined) : '';
    const q = target.indexOf('?');
    path = q < 0 ? target : target.slice(0, q);
    if (q >= 0) query = target.slice(q + 1);
    const archive = method === 'GET' ? ARCHIVE.exec(path) : null;
    const scm = archive === null ? SCM.exec(target) : null;
    if (archive !== null) {
      canonical = 'repository.archive.downloaded';
      repo =
        archive[1] === 'users'
          ? `~${archive[2]!.toUpperCase()}/${archive[3]!}`
          : repoName(archive[2]!, archive[3]!);
    } else if (scm !== null) {
      canonical = 'repository.cloned';
      repo = repoName(scm[1]!, scm[2]!);
    } else {
      if (anonymous) return undefined;
      canonical = 'api.request';
    }
  }

  const e = draft(ts, 'bitbucket-dc-access', 'bitbucket', act, canonical, ref);
  e['event.id'] = reqId;
  setSourceIp(e, ip);
  e['network.protocol'] = protocol;
  if (anonymous) e['user.kind'] = 'anonymous';
  else e['user.name'] = user;
  if (method !== undefined) e['http.request.method'] = method;
  if (path !== undefined) e['url.path'] = path;
  if (query !== undefined) e['url.query'] = query;
  // SSH lines log the git exit code in this column, not an HTTP status.
  if (status !== undefined && protocol !== 'ssh') {
    e['http.response.status_code'] = status;
    if (status >= 400) e['event.outcome'] = 'failure';
  }
  if (bytesOut !== undefined) e['http.response.body.bytes'] = bytesOut;
  if (duration !== undefined) e['event.duration_ms'] = duration;
  const agent = protocol === 'ssh' ? undefined : f[6]?.trim();
  if (agent !== undefined && agent !== '-' && agent !== '"" ""')
    e['user_agent.original'] = agent.replace(/^"|"$/g, '');
  if (repo !== undefined) {
    e['atlassian.repository.name'] = repo;
    e.targets.push({ kind: 'repository', name: repo });
  }
  return e;
}

/** `PROJECT/slug`, the project key upper-cased as Bitbucket stores it (URLs may write it in any case). */
function repoName(project: string, slug: string): string {
  const key = decodeURIComponent(project);
  return `${key.startsWith('~') ? key : key.toUpperCase()}/${decodeURIComponent(slug)}`;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === '' || t === '-') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

const ACCESS_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:[,.](\d{1,3}))?$/;

/** `2015-09-09 15:21:08,431`, zoneless: UTC unless a timezone option says otherwise. */
function accessTime(s: string, zone: string | undefined): number {
  const m = ACCESS_TIME.exec(s.trim());
  if (m === null)
    throw new RecordError(`time ${JSON.stringify(s.slice(0, 40))} is not yyyy-MM-dd HH:mm:ss,SSS`);
  const parts = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
    millisecond: Number((m[7] ?? '0').padEnd(3, '0')),
  };
  if (zone === undefined || zone === 'UTC') {
    return Date.UTC(
      parts.year,
      parts.month - 1,
      parts.day,
      parts.hour,
      parts.minute,
      parts.second,
      parts.millisecond,
    );
  }
  const dt = DateTime.fromObject(parts, { zone });
  if (!dt.isValid)
    throw new RecordError(
      `time ${JSON.stringify(s.slice(0, 40))} in zone ${zone}: ${dt.invalidReason ?? 'invalid'}`,
    );
  return dt.toMillis();
}
