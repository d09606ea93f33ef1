/**
 * Small, allocation-light helpers every format parser uses: safe field access on untrusted JSON, time
 * parsing, proxy-chain IPs, and the `EventDraft` that fills the flat first-of-kind target fields.
 */
import type { ActorKind, AuditEvent, FormatId, Product, RawRef, Target, TargetKind } from '../core/event';
import { RecordError } from './types';

export type Json = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type EventDraft = Mutable<AuditEvent> & { targets: Target[] };

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field, or undefined when absent/empty. Numbers are accepted as strings (ids are often numeric). */
export function str(o: Json, key: string): string | undefined {
  const v = o[key];
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function obj(o: Json, key: string): Json | undefined {
  const v = o[key];
  return isObj(v) ? v : undefined;
}

export function arr(o: Json, key: string): unknown[] {
  const v = o[key];
  return Array.isArray(v) ? v : [];
}

/** A required string field: a RecordError naming the field when it is missing or of the wrong type. */
export function needStr(o: Json, key: string, where = key): string {
  const v = o[key];
  if (typeof v === 'string' && v !== '') return v;
  throw new RecordError(v === undefined ? `missing ${where}` : `${where} must be a non-empty string, got ${typeName(v)}`);
}

export function needObj(o: Json, key: string, where = key): Json {
  const v = o[key];
  if (isObj(v)) return v;
  throw new RecordError(v === undefined ? `missing ${where}` : `${where} must be an object, got ${typeName(v)}`);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

// ISO 8601 with an optional zone written `Z`, `+00:00` or `+0000` (Jira Cloud writes the last).
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** ISO-8601 text to epoch ms; a time without a zone is UTC. Undefined when it does not parse. */
export function parseIsoMs(s: string): number | undefined {
  // Fast path for the commonest shape, `2023-11-23T10:15:00.000Z`, which Date.parse reads exactly (UTC).
  if (s.length === 24 && s.charCodeAt(23) === 90 /* Z */ && s.charCodeAt(10) === 84 /* T */ && s.charCodeAt(19) === 46) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return ms;
  }
  const m = ISO.exec(s.trim());
  if (m === null) return undefined;
  const frac = m[7] === undefined ? 0 : Math.floor(Number(m[7].padEnd(3, '0').slice(0, 3)));
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), frac);
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.replace(':', '');
    ms -= sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
  }
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (!Number.isFinite(ms) || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return ms;
}

/** A time field that may be ISO text or epoch ms: a RecordError naming the field when it is unusable. */
export function needTime(o: Json, key: string, where = key): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string') {
    const ms = parseIsoMs(v);
    if (ms !== undefined) return ms;
    throw new RecordError(`${where} is not a timestamp: ${JSON.stringify(v.slice(0, 40))}`);
  }
  throw new RecordError(v === undefined ? `missing ${where}` : `${where} must be a timestamp, got ${typeName(v)}`);
}

/** Actions that record an attempt the product refused. */
const FAILED_ACTIONS: ReadonlySet<string> = new Set(['user.login.failed', 'export.unauthorized', 'access.unauthorized']);

/** Start an event with the fields every event has. */
export function draft(
  ts: number,
  dataset: FormatId,
  product: Product,
  rawAction: string,
  action: string,
  ref: RawRef,
): EventDraft {
  return {
    '@timestamp': ts,
    'event.action': action,
    'event.outcome': FAILED_ACTIONS.has(action) ? 'failure' : 'success',
    'event.dataset': dataset,
    'atlassian.product': product,
    'atlassian.audit.action': rawAction,
    'user.kind': 'human',
    targets: [],
    ref,
    // Filled by the engine's enrichment on some events and not others. Declared here so that doing so never
    // changes an event's hidden class: rules, the merge and the correlator read every event, and an event shape
    // forked per enrichment outcome made their property reads megamorphic.
    'user.target.kind': undefined,
    'bulkhead.actor.idle_days': undefined,
    'bulkhead.target.idle_days': undefined,
  };
}

/** `"127.0.0.1,192.168.22.33"` → source.ip is the first (the client), related.ip keeps them all. */
export function setSourceIp(e: EventDraft, raw: string | undefined): void {
  if (raw === undefined) return;
  if (raw.indexOf(',') < 0) {
    const ip = raw.trim();
    if (ip !== '') e['source.ip'] = ip;
    return;
  }
  const all = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (all[0] !== undefined) e['source.ip'] = all[0];
  if (all.length > 1) e['related.ip'] = all;
}

const PROJECT_KEY = /^~?[A-Z][A-Z0-9_]*$/;

/** Record a target and fill the flat first-of-kind field for its kind (the first one wins). */
export function addTarget(e: EventDraft, kind: TargetKind, id: string | undefined, name: string | undefined): void {
  const t: { kind: TargetKind; id?: string; name?: string } = { kind };
  if (id !== undefined) t.id = id;
  if (name !== undefined) t.name = name;
  e.targets.push(t);
  switch (kind) {
    case 'user':
      if (e['user.target.id'] === undefined && e['user.target.name'] === undefined) {
        if (id !== undefined) e['user.target.id'] = id;
        if (name !== undefined) e['user.target.name'] = name;
      }
      break;
    case 'group':
      if (e['group.id'] === undefined && e['group.name'] === undefined) {
        if (id !== undefined) e['group.id'] = id;
        if (name !== undefined) e['group.name'] = name;
      }
      break;
    case 'space':
      if (e['atlassian.space.name'] === undefined && name !== undefined) e['atlassian.space.name'] = name;
      break;
    case 'page':
      if (e['atlassian.page.id'] === undefined && e['atlassian.page.title'] === undefined) {
        if (id !== undefined) e['atlassian.page.id'] = id;
        if (name !== undefined) e['atlassian.page.title'] = name;
      }
      break;
    case 'issue':
      if (e['atlassian.issue.key'] === undefined) {
        const key = name ?? id;
        if (key !== undefined) e['atlassian.issue.key'] = key;
      }
      break;
    case 'project':
      // DC records name projects by display name or key depending on product; only a key-shaped value is a key.
      if (e['atlassian.project.key'] === undefined) {
        if (name !== undefined && PROJECT_KEY.test(name)) e['atlassian.project.key'] = name;
        else if (id !== undefined && PROJECT_KEY.test(id)) e['atlassian.project.key'] = id;
      }
      break;
    case 'repository':
      if (e['atlassian.repository.name'] === undefined) {
        const n = name ?? id;
        if (n !== undefined) e['atlassian.repository.name'] = n;
      }
      break;
    case 'app':
      if (e['atlassian.app.key'] === undefined && e['atlassian.app.name'] === undefined) {
        if (id !== undefined) e['atlassian.app.key'] = id;
        if (name !== undefined) e['atlassian.app.name'] = name;
      }
      break;
    case 'token':
      if (e['atlassian.token.name'] === undefined && name !== undefined) e['atlassian.token.name'] = name;
      break;
    default:
      break;
  }
}

/** Object type names as the products write them → target kinds. */
const KIND_BY_TYPE: Readonly<Record<string, TargetKind>> = {
  user: 'user',
  applicationuser: 'user',
  group: 'group',
  space: 'space',
  page: 'page',
  blog: 'page',
  blogpost: 'page',
  content: 'page',
  issue: 'issue',
  project: 'project',
  repository: 'repository',
  repo: 'repository',
  plugin: 'app',
  app: 'app',
  addon: 'app',
  application: 'app',
  permissions: 'permission',
  permission: 'permission',
  token: 'token',
  site: 'site',
  sites: 'site',
  users: 'user',
  groups: 'group',
  spaces: 'space',
  pages: 'page',
  issues: 'issue',
  projects: 'project',
  repositories: 'repository',
  apps: 'app',
  plugins: 'app',
  tokens: 'token',
};

// Object type names and attribute keys repeat in every record: memoize their normalization (bounded).
const kindCache = new Map<string, TargetKind>();
const lowerCache = new Map<string, string>();
const MEMO_LIMIT = 5_000;

export function targetKind(type: string | undefined): TargetKind {
  if (type === undefined) return 'other';
  let kind = kindCache.get(type);
  if (kind === undefined) {
    kind = KIND_BY_TYPE[type.toLowerCase().replace(/[\s_-]/g, '')] ?? 'other';
    if (kindCache.size < MEMO_LIMIT) kindCache.set(type, kind);
  }
  return kind;
}

function lower(s: string): string {
  let l = lowerCache.get(s);
  if (l === undefined) {
    l = s.toLowerCase();
    if (lowerCache.size < MEMO_LIMIT) lowerCache.set(s, l);
  }
  return l;
}

/** Keys naming a permission in changedValues / extraAttributes (lower-cased). */
const PERMISSION_KEYS = new Set(['permission', 'permissions', 'global permission', 'space permission', 'permission type']);
const TOKEN_KEYS = new Set(['token name', 'token', 'name of token', 'access token name']);
const QUERY_KEYS = new Set(['jqlquery', 'jql query', 'query', 'search query', 'cql']);
/** Display names some products write instead of the permission key. */
const PERMISSION_ALIASES: Readonly<Record<string, string>> = {
  'administer jira': 'ADMINISTER',
  'jira administrators': 'ADMINISTER',
  'jira system administrators': 'SYSTEM_ADMIN',
  'system administrator': 'SYSTEM_ADMIN',
  'confluence administrator': 'ADMINISTRATECONFLUENCE',
};

/**
 * A name/value pair from changedValues or extraAttributes: permission names, token names and search queries
 * go to their fields; everything else to `atlassian.attributes` (keys lower-cased; first value wins).
 */
export function addAttribute(e: EventDraft, name: string, value: string | undefined): void {
  if (value === undefined || value === '') return;
  const key = lower(name);
  // Confluence writes the granted permission as `Type` (SYSTEMADMINISTRATOR, EXPORTSPACE); `Type` means
  // other things elsewhere, so it only names a permission on permission events.
  if (PERMISSION_KEYS.has(key) || (key === 'type' && isPermissionAction(e['event.action']))) {
    if (e['atlassian.permission'] === undefined) e['atlassian.permission'] = PERMISSION_ALIASES[value.toLowerCase()] ?? value;
    return;
  }
  if (TOKEN_KEYS.has(key) && e['atlassian.token.name'] === undefined) {
    e['atlassian.token.name'] = value;
    return;
  }
  if (QUERY_KEYS.has(key) && e['atlassian.search.query'] === undefined) {
    e['atlassian.search.query'] = value;
    return;
  }
  const attrs = (e['atlassian.attributes'] ??= {}) as Record<string, string>;
  if (attrs[key] === undefined) attrs[key] = value;
}

function isPermissionAction(a: string): boolean {
  return a.startsWith('permission.') || a === 'access.anonymous.granted';
}

const ANONYMOUS_NAMES = new Set(['anonymous', 'anyone', 'anyone on the web', 'anonymous users', 'public']);
export function isAnonymousName(s: string | undefined): boolean {
  return s !== undefined && ANONYMOUS_NAMES.has(s.toLowerCase());
}

/** A grant to anonymous users is its own canonical action: it is what rules about public exposure look for. */
export function markAnonymousGrant(e: EventDraft): void {
  const a = e['event.action'];
  if (a !== 'permission.space.granted' && a !== 'permission.global.granted' && a !== 'permission.project.granted') return;
  const attrs = e['atlassian.attributes'];
  const anon =
    e.targets.some((t) => isAnonymousName(t.name)) ||
    (attrs !== undefined && Object.values(attrs).some((v) => isAnonymousName(v)));
  if (anon) e['event.action'] = 'access.anonymous.granted';
}

export function actorKindFromCloudType(accountType: string | undefined): ActorKind {
  if (accountType === undefined) return 'human';
  const t = accountType.toLowerCase();
  return t === 'app' || t === 'addon' || t === 'connect' ? 'app' : 'human';
}

/** `≤200` characters of the raw input, control bytes escaped so a terminal or report cannot be garbled. */
export function excerpt(raw: string): string {
  const head = raw.length > 400 ? raw.slice(0, 400) : raw;
  // eslint-disable-next-line no-control-regex
  const escaped = head.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, (c) =>
    c === '\ufffd' ? '\\ufffd' : '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'),
  );
  return escaped.length > 200 ? escaped.slice(0, 199) + '…' : escaped;
}

export function excerptValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    s = '[unprintable value]';
  }
  return excerpt(s);
}

export function finish(e: EventDraft): AuditEvent {
  return e;
}
