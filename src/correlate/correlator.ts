/**
 * Correlation: detections about the same intruder become one incident. "The same intruder" means the same
 * identity, or an identity linked to it by the audit trail: a user it created, added to a group, gave a
 * token or SSH key, or granted a permission (Cloudflare: the Smartsheet account created a user, and that user
 * had to be contained with it). Links come from `observe`, which sees every event; detections come from `add`.
 *
 * State is bounded by the gap: links older than the gap and incidents idle for longer than the gap are no
 * longer indexed (closed incidents stay in `incidents()`, which is output, not working state).
 *
 * Links outlive the gap (decision 0008): the identities an identity's incidents gathered by a link (created,
 * added to a group, given a token or permission) are remembered for the longer link memory (default 90 days),
 * and an incident opened later for that identity, after a quiet spell longer than the gap, starts with them.
 * Cloudflare's service account created jdoe2 and put itself into an admin group 7 days 1.5 h later.
 */
import { createHash } from 'node:crypto';
import type { Detection, Identity } from '../core/detection';
import type { AuditEvent } from '../core/event';
import type { Incident, LinkedIdentity, LinkRelation, TimelineEntry } from '../core/incident';
import { maxSeverity, severityRank, type Severity } from '../core/severity';
import { CATEGORY_LABELS } from './labels';

export const DEFAULT_GAP_MS = 7 * 86_400_000;
export const DEFAULT_LINK_MEMORY_MS = 90 * 86_400_000;

export interface CorrelatorOptions {
  /** A detection joins an incident only if the incident's last detection is at most this long before (or
   *  after) it; links older than this are forgotten. Default 7 days. */
  readonly gapMs?: number;
  /** An incident opened for an identity inherits the identities linked to it (created, added to a group, given
   *  a token or permission) in its earlier incidents whose last detection is at most this long before (or
   *  after) it, beyond the gap; older remembered links are forgotten. Default 90 days. */
  readonly linkMemoryMs?: number;
  /** What an incident holds of its detections. 'whole' (the default): every detection as added. 'summary':
   *  for each rule category only its earliest and its most severe detection, without events or evidence (an
   *  actorless one keeps its first event, whose address names the incident) — exactly what the title needs —
   *  and no index of detection ids (adding one twice is then the host's to prevent). For a host that stores
   *  detections itself and reads an incident's detections back from there (the self-hosted service): incidents
   *  stay open for the 7-day gap, and under a detection-heavy load the detections they held were the service's
   *  memory growing; a summary is bounded per incident. */
  readonly detections?: 'whole' | 'summary';
}

/** Names that stand for "nobody in particular": linking through them would merge unrelated incidents. */
const NON_IDENTITIES: ReadonlySet<string> = new Set(['anonymous', 'system', 'unknown', '-', '']);

interface Link {
  readonly child: Identity;
  readonly parent: Identity;
  readonly relation: Exclude<LinkRelation, 'actor'>;
  readonly time: number;
}

/** An identity linked into an incident (by a link relation), remembered under that incident's actor. */
interface Remembered {
  readonly linked: LinkedIdentity;
  /** The incident that gathered it (resolved through merges): it is remembered while that incident's last
   *  detection, or the link itself, is within the link memory. */
  readonly incident: string;
}

const LINK_RELATIONS: ReadonlySet<LinkRelation> = new Set<LinkRelation>([
  'created',
  'added-to-group',
  'granted-token',
  'granted-permission',
]);

/** 2: `linkMemoryMs` and `memory` (links that outlive the gap). Version 1 is still restored, with no memory. */
const SNAPSHOT_VERSION = 2;
const SNAPSHOT_VERSIONS: readonly number[] = [1, SNAPSHOT_VERSION];

export interface CorrelatorSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly gapMs: number;
  readonly linkMemoryMs: number;
  readonly maxTime: number | null;
  readonly lastPrune: number | null;
  readonly incidents: (Omit<WorkingIncident, 'keys'> & { keys: string[] })[];
  readonly parentsOf: [string, Link[]][];
  readonly childrenOf: [string, Link[]][];
  readonly byIdentity: [string, string][];
  readonly byDetection: [string, string][];
  readonly byAnonymousSource: [string, string][];
  readonly byAttackerAddress: [string, string][];
  readonly merged: [string, string][];
  readonly memory: [string, Remembered[]][];
}

interface WorkingIncident {
  readonly id: string;
  readonly actor: Identity;
  readonly identities: LinkedIdentity[];
  readonly keys: Set<string>;
  /** Kept in time order as they arrive (mostly appends), with their timeline entries alongside, so `add` does
   *  not re-sort a large incident on every detection. */
  readonly detections: Detection[];
  readonly timeline: TimelineEntry[];
  first: number;
  last: number;
  severity: Severity;
}

/** Lower-cased id and name: an identity is matched by either. */
function identityKeys(i: Identity): string[] {
  if (i.kind === 'anonymous' || i.kind === 'system') return [];
  const out: string[] = [];
  for (const v of [i.id, i.name]) {
    if (v === undefined) continue;
    const k = v.toLowerCase();
    if (!NON_IDENTITIES.has(k)) out.push(k);
  }
  return out;
}

const label = (i: Identity): string => i.name ?? i.id ?? i.kind;

function relationOf(e: AuditEvent): Link['relation'] | undefined {
  const a = e['event.action'];
  if (a === 'user.created') return 'created';
  if (a === 'group.member.added') return 'added-to-group';
  if (a === 'ssh.key.added' || (a.startsWith('token.') && a.endsWith('.created'))) return 'granted-token';
  if (a.startsWith('permission.') && a.endsWith('.granted')) return 'granted-permission';
  if (a === 'role.admin.granted') return 'granted-permission';
  return undefined;
}

export class Correlator {
  private readonly gapMs: number;
  private readonly linkMemoryMs: number;
  private readonly summaries: boolean;
  /** child key → links naming it as the child (newest last). */
  private readonly parentsOf = new Map<string, Link[]>();
  /** parent key → links it made. */
  private readonly childrenOf = new Map<string, Link[]>();
  /** identity key → the live incident that holds it. */
  private readonly byIdentity = new Map<string, WorkingIncident>();
  private readonly all: WorkingIncident[] = [];
  private readonly byId = new Map<string, WorkingIncident>();
  private readonly byDetection = new Map<string, WorkingIncident>();
  /** Actorless detections (anonymous, system) group only by source address: `anonymous@193.142.58.126`. */
  private readonly byAnonymousSource = new Map<string, WorkingIncident>();
  /** Attacker address → the live incident of identities caught acting from it (rules with `links_source`). */
  private readonly byAttackerAddress = new Map<string, WorkingIncident>();
  private maxTime = -Infinity;
  private lastPrune = -Infinity;
  /** Ids of incidents merged into another → the id they live on under, so an id `add` returned stays valid. */
  private readonly merged = new Map<string, string>();
  /** Actor key → identities its incidents gathered by a link (newest last), kept for the link memory. */
  private readonly memory = new Map<string, Remembered[]>();

  constructor(options: CorrelatorOptions = {}) {
    this.gapMs = options.gapMs ?? DEFAULT_GAP_MS;
    this.linkMemoryMs = Math.max(options.linkMemoryMs ?? DEFAULT_LINK_MEMORY_MS, this.gapMs);
    this.summaries = options.detections === 'summary';
  }

  /** Records the identity link an event makes, if any. Call it for every event, before `add` for its detections. */
  observe(e: AuditEvent): void {
    const t = e['@timestamp'];
    if (t > this.maxTime) this.maxTime = t;
    if (this.maxTime - this.lastPrune > this.gapMs / 7) this.prune();
    const relation = relationOf(e);
    if (!relation) return;
    const parent: Identity = {
      ...(e['user.id'] ? { id: e['user.id'] } : {}),
      ...(e['user.name'] ? { name: e['user.name'] } : {}),
      kind: e['user.kind'],
    };
    const child: Identity = {
      ...(e['user.target.id'] ? { id: e['user.target.id'] } : {}),
      ...(e['user.target.name'] ? { name: e['user.target.name'] } : {}),
      kind: e['user.target.kind'] ?? 'human',
    };
    const pk = identityKeys(parent);
    const ck = identityKeys(child);
    if (pk.length === 0 || ck.length === 0 || ck.some((k) => pk.includes(k))) return; // self-grants link nothing
    const link: Link = { child, parent, relation, time: t };
    for (const k of ck) push(this.parentsOf, k, link);
    for (const k of pk) push(this.childrenOf, k, link);
    // A parent already under investigation brings the new identity into its incident at once.
    const inc = this.live(pk, t);
    if (inc) this.addIdentity(inc, { identity: child, relation, via: label(parent), '@timestamp': t });
  }

  /** Files a detection into the incident of its actor (or of the identity that created / granted its actor),
   *  or opens a new incident, and returns that incident's id. Adding the same detection id twice changes
   *  nothing. Returns the id, not the incident: copying a large incident on every detection made a hunt's
   *  correlation quadratic in allocation; `incident(id)` gives the copy when a host needs it. */
  add(d: Detection): string {
    const seen = this.byDetection.get(d.id);
    if (seen) return seen.id;
    const t = d['@timestamp'];
    if (t > this.maxTime) this.maxTime = t;
    // A rule that groups by source address (failed logins per address, a password spray) is about the address:
    // its actor is only the last account tried. Such detections are filed like actorless activity, by address.
    const keys = bySource(d) ? [] : identityKeys(d.actor);
    let inc = keys.length > 0 ? this.live(keys, t) : undefined;
    if (!inc && keys.length > 0) {
      // The actor was created / granted by someone whose incident is open: it is part of that intrusion.
      for (const k of keys) {
        for (const l of this.parentsOf.get(k) ?? []) {
          if (Math.abs(t - l.time) > this.gapMs) continue;
          inc = this.live(identityKeys(l.parent), t);
          if (inc) {
            this.addIdentity(inc, {
              identity: l.child,
              relation: l.relation,
              via: label(l.parent),
              '@timestamp': l.time,
            });
            break;
          }
        }
        if (inc) break;
      }
    }
    if (!inc && keys.length === 0) inc = this.liveAnonymous(d);
    const address = d.rule.linksSource === true ? d.events[d.events.length - 1]?.['source.ip'] : undefined;
    if (address !== undefined) inc = this.joinByAttackerAddress(d, address, inc, t);
    if (!inc) {
      inc = this.open(d, keys);
      if (address !== undefined) this.byAttackerAddress.set(address, inc);
    }
    insertDetection(inc, this.summaries ? summaryOf(d) : d, this.summaries);
    inc.first = Math.min(inc.first, d.firstTimestamp, t);
    inc.last = Math.max(inc.last, t);
    inc.severity = maxSeverity(inc.severity, d.severity);
    if (!this.summaries) this.byDetection.set(d.id, inc);
    return inc.id;
  }

  /** Ids of incidents merged into another, so a store can drop them. */
  mergedIds(): string[] {
    return [...this.merged.keys()];
  }

  /** The id an incident lives on under now (itself, or the incident it was merged into), without copying it as
   *  `incident(id)` does; undefined for an id this correlator never returned. */
  currentId(id: string): string | undefined {
    return this.resolve(id)?.id;
  }

  /** A snapshot of one incident, by the id `add` returned (also after that incident was merged into another). */
  incident(id: string): Incident | undefined {
    const inc = this.resolve(id);
    return inc ? freeze(inc) : undefined;
  }

  incidents(): Incident[] {
    return this.all
      .map(freeze)
      .sort((a, b) => a.firstTimestamp - b.firstTimestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** All state as plain JSON, for a host that must survive a restart (the self-hosted service): restored with
   *  `Correlator.restore`, it files later detections exactly as this correlator would have. */
  snapshot(): CorrelatorSnapshot {
    const ids = (m: Map<string, WorkingIncident>): [string, string][] =>
      [...m].map(([k, inc]) => [k, inc.id]);
    return {
      version: SNAPSHOT_VERSION,
      gapMs: this.gapMs,
      linkMemoryMs: this.linkMemoryMs,
      maxTime: Number.isFinite(this.maxTime) ? this.maxTime : null,
      lastPrune: Number.isFinite(this.lastPrune) ? this.lastPrune : null,
      incidents: this.all.map((inc) => ({ ...inc, keys: [...inc.keys] })),
      parentsOf: [...this.parentsOf],
      childrenOf: [...this.childrenOf],
      byIdentity: ids(this.byIdentity),
      byDetection: ids(this.byDetection),
      byAnonymousSource: ids(this.byAnonymousSource),
      byAttackerAddress: ids(this.byAttackerAddress),
      merged: [...this.merged],
      memory: [...this.memory],
    };
  }

  /** `options.detections` is not part of the snapshot: the restoring host says what it wants kept (a snapshot
   *  taken with whole detections restores into summaries). */
  static restore(snapshot: unknown, options: Pick<CorrelatorOptions, 'detections'> = {}): Correlator {
    const s = snapshot as (Omit<Partial<CorrelatorSnapshot>, 'version'> & { version?: unknown }) | null;
    if (typeof s !== 'object' || s === null || !SNAPSHOT_VERSIONS.includes(s.version as number)) {
      throw new Error(`not a correlator snapshot of version ${SNAPSHOT_VERSIONS.join(' or ')}`);
    }
    const need = <T>(v: T[] | undefined, what: string): T[] => {
      if (!Array.isArray(v)) throw new Error(`correlator snapshot: ${what} must be an array`);
      return v;
    };
    const c = new Correlator({
      gapMs: typeof s.gapMs === 'number' ? s.gapMs : DEFAULT_GAP_MS,
      ...(typeof s.linkMemoryMs === 'number' ? { linkMemoryMs: s.linkMemoryMs } : {}),
      ...options,
    });
    c.maxTime = typeof s.maxTime === 'number' ? s.maxTime : -Infinity;
    c.lastPrune = typeof s.lastPrune === 'number' ? s.lastPrune : -Infinity;
    for (const inc of need(s.incidents, 'incidents')) {
      const w: WorkingIncident = {
        ...inc,
        keys: new Set(inc.keys),
        ...(c.summaries ? { detections: [], timeline: [] } : {}),
      };
      if (c.summaries) for (const d of inc.detections) insertDetection(w, summaryOf(d), true);
      c.all.push(w);
      c.byId.set(w.id, w);
    }
    const bind = (
      into: Map<string, WorkingIncident>,
      pairs: [string, string][] | undefined,
      what: string,
    ): void => {
      for (const [k, id] of need(pairs, what)) {
        const inc = c.byId.get(id);
        if (!inc) throw new Error(`correlator snapshot: ${what} names unknown incident ${id}`);
        into.set(k, inc);
      }
    };
    bind(c.byIdentity, s.byIdentity, 'byIdentity');
    if (!c.summaries) bind(c.byDetection, s.byDetection, 'byDetection');
    bind(c.byAnonymousSource, s.byAnonymousSource, 'byAnonymousSource');
    bind(c.byAttackerAddress, s.byAttackerAddress, 'byAttackerAddress');
    for (const [k, links] of need(s.parentsOf, 'parentsOf')) c.parentsOf.set(k, links);
    for (const [k, links] of need(s.childrenOf, 'childrenOf')) c.childrenOf.set(k, links);
    for (const [from, to] of need(s.merged, 'merged')) c.merged.set(from, to);
    // Version 1 had no link memory: links gathered before the upgrade are not remembered beyond the gap.
    if (s.version !== 1) {
      for (const [k, list] of need(s.memory, 'memory')) {
        for (const r of list)
          if (!c.resolve(r.incident))
            throw new Error(`correlator snapshot: memory names unknown incident ${r.incident}`);
        c.memory.set(k, list);
      }
    }
    return c;
  }

  /** Working-state sizes, for memory checks. */
  stats(): { links: number; indexedIdentities: number; incidents: number; rememberedLinks: number } {
    let links = 0;
    for (const l of this.parentsOf.values()) links += l.length;
    let rememberedLinks = 0;
    for (const l of this.memory.values()) rememberedLinks += l.length;
    return { links, indexedIdentities: this.byIdentity.size, incidents: this.all.length, rememberedLinks };
  }

  /** The incident an id names, following merges. */
  private resolve(id: string): WorkingIncident | undefined {
    let current = id;
    for (let next = this.merged.get(current); next !== undefined; next = this.merged.get(current))
      current = next;
    return this.byId.get(current);
  }

  /** When a remembered link was last part of a story: its own time, or its incident's last detection. */
  private rememberedAt(r: Remembered): number {
    return Math.max(r.linked['@timestamp'], this.resolve(r.incident)?.last ?? -Infinity);
  }

  private open(d: Detection, keys: string[]): WorkingIncident {
    const inc: WorkingIncident = {
      id: `inc-${createHash('sha256').update(d.id).digest('hex').slice(0, 16)}`,
      // Who is behind an address-keyed detection is unknown: the incident's actor is nobody in particular.
      actor: bySource(d) ? { kind: 'anonymous' } : d.actor,
      identities: [],
      keys: new Set(),
      detections: [],
      timeline: [],
      first: d.firstTimestamp,
      last: d['@timestamp'],
      severity: d.severity,
    };
    this.all.push(inc);
    this.byId.set(inc.id, inc);
    if (keys.length === 0) {
      // Anonymous / system: never joined by identity, only by source address.
      const source = anonymousSource(d);
      if (source !== undefined) this.byAnonymousSource.set(source, inc);
      return inc;
    }
    this.addIdentity(inc, { identity: d.actor, relation: 'actor', '@timestamp': d.firstTimestamp });
    // Identities the actor created or granted recently come with it.
    for (const k of keys) {
      for (const l of this.childrenOf.get(k) ?? []) {
        if (Math.abs(d['@timestamp'] - l.time) > this.gapMs) continue;
        this.addIdentity(inc, {
          identity: l.child,
          relation: l.relation,
          via: label(l.parent),
          '@timestamp': l.time,
        });
      }
    }
    // Identities its earlier incidents gathered by a link come with it too, beyond the gap, within the link
    // memory (with their original `via` and time): the account it created before a quiet week is still its own.
    for (const k of keys) {
      for (const r of this.memory.get(k) ?? []) {
        if (Math.abs(d['@timestamp'] - this.rememberedAt(r)) > this.linkMemoryMs) continue;
        this.addIdentity(inc, r.linked);
      }
    }
    return inc;
  }

  private addIdentity(inc: WorkingIncident, li: LinkedIdentity): void {
    const keys = identityKeys(li.identity);
    if (keys.length === 0 || keys.some((k) => inc.keys.has(k))) {
      for (const k of keys) inc.keys.add(k);
      return;
    }
    inc.identities.push(li);
    const horizon = this.maxTime - this.gapMs;
    for (const k of keys) {
      inc.keys.add(k);
      // An identity already in another live incident stays there: the earlier one is the better story. One
      // indexed under an incident idle for longer than the gap (which the next prune drops) moves to this one.
      const held = this.byIdentity.get(k);
      if (!held || held.last < horizon) this.byIdentity.set(k, inc);
    }
    if (LINK_RELATIONS.has(li.relation)) {
      for (const k of identityKeys(inc.actor)) push(this.memory, k, { linked: li, incident: inc.id });
    }
  }

  /**
   * A detection of a `links_source` rule names an attacker address. Every identity caught acting from it within
   * the gap is the same intruder: the detection joins the address's incident, and an incident its actor already
   * had is merged into that one (the earlier incident is kept, as the better story). Returns the incident the
   * detection belongs to, or undefined when the caller should open one (which then stands for the address).
   */
  private joinByAttackerAddress(
    d: Detection,
    ip: string,
    inc: WorkingIncident | undefined,
    t: number,
  ): WorkingIncident | undefined {
    const known = this.byAttackerAddress.get(ip);
    const live = known && Math.abs(t - known.last) <= this.gapMs ? known : undefined;
    if (!live || live === inc) {
      if (inc) this.byAttackerAddress.set(ip, inc);
      return inc;
    }
    if (inc) {
      const [keep, gone] = inc.first <= live.first ? [inc, live] : [live, inc];
      this.merge(keep, gone, ip);
      this.byAttackerAddress.set(ip, keep);
      return keep;
    }
    this.addIdentity(live, {
      identity: d.actor,
      relation: 'same-attacker-address',
      via: ip,
      '@timestamp': t,
    });
    return live;
  }

  /** Moves everything of `gone` into `keep`; `gone`'s actor becomes a linked identity by the shared address. */
  private merge(keep: WorkingIncident, gone: WorkingIncident, ip: string): void {
    this.addIdentity(keep, {
      identity: gone.actor,
      relation: 'same-attacker-address',
      via: ip,
      '@timestamp': gone.first,
    });
    for (const li of gone.identities) if (li.relation !== 'actor') this.addIdentity(keep, li);
    for (const d of gone.detections) {
      insertDetection(keep, d, this.summaries);
      if (!this.summaries) this.byDetection.set(d.id, keep);
    }
    keep.first = Math.min(keep.first, gone.first);
    keep.last = Math.max(keep.last, gone.last);
    keep.severity = maxSeverity(keep.severity, gone.severity);
    for (const index of [this.byIdentity, this.byAnonymousSource, this.byAttackerAddress])
      for (const [k, v] of index) if (v === gone) index.set(k, keep);
    const at = this.all.indexOf(gone);
    if (at >= 0) this.all.splice(at, 1);
    this.byId.delete(gone.id);
    this.merged.set(gone.id, keep.id);
  }

  /** Anonymous activity from one address is one story; without an address there is nothing to join on. */
  private liveAnonymous(d: Detection): WorkingIncident | undefined {
    const source = anonymousSource(d);
    if (source === undefined) return undefined;
    const inc = this.byAnonymousSource.get(source);
    if (inc && Math.abs(d['@timestamp'] - inc.last) <= this.gapMs) return inc;
    return undefined;
  }

  /** The live incident holding one of these keys, whose last detection is within the gap of `t`. */
  private live(keys: readonly string[], t: number): WorkingIncident | undefined {
    for (const k of keys) {
      const inc = this.byIdentity.get(k);
      if (inc && Math.abs(t - inc.last) <= this.gapMs) return inc;
    }
    return undefined;
  }

  private prune(): void {
    const horizon = this.maxTime - this.gapMs;
    for (const index of [this.parentsOf, this.childrenOf]) {
      for (const [k, links] of index) {
        const keep = links.filter((l) => l.time >= horizon);
        if (keep.length === 0) index.delete(k);
        else if (keep.length !== links.length) index.set(k, keep);
      }
    }
    for (const [k, inc] of this.byIdentity) if (inc.last < horizon) this.byIdentity.delete(k);
    for (const [k, inc] of this.byAnonymousSource) if (inc.last < horizon) this.byAnonymousSource.delete(k);
    for (const [k, inc] of this.byAttackerAddress) if (inc.last < horizon) this.byAttackerAddress.delete(k);
    const memoryHorizon = this.maxTime - this.linkMemoryMs;
    for (const [k, list] of this.memory) {
      const keep = list.filter((r) => this.rememberedAt(r) >= memoryHorizon);
      if (keep.length === 0) this.memory.delete(k);
      else if (keep.length !== list.length) this.memory.set(k, keep);
    }
    this.lastPrune = this.maxTime;
  }
}

function anonymousSource(d: Detection): string | undefined {
  const ip = d.events[d.events.length - 1]?.['source.ip'];
  return ip === undefined ? undefined : `${bySource(d) ? 'anonymous' : d.actor.kind}@${ip}`;
}

/** Whether a detection's rule grouped by the source address (key `source.ip=...`), not by an identity. */
function bySource(d: Detection): boolean {
  return d.key.startsWith('source.ip=');
}

function push<T>(m: Map<string, T[]>, k: string, l: T): void {
  const list = m.get(k);
  if (list) list.push(l);
  else m.set(k, [l]);
}

const before = (a: Detection, b: Detection): boolean =>
  a['@timestamp'] < b['@timestamp'] || (a['@timestamp'] === b['@timestamp'] && a.id < b.id);

/** A detection without its evidence: see CorrelatorOptions.detections. */
function summaryOf(d: Detection): Detection {
  if (d.events.length === 0 && d.evidence.length === 0) return d;
  return { ...d, events: identityKeys(d.actor).length === 0 ? d.events.slice(0, 1) : [], evidence: [] };
}

/** A detection's line in an incident's timeline. */
export function timelineEntryOf(d: Detection): TimelineEntry {
  return {
    '@timestamp': d['@timestamp'],
    detectionId: d.id,
    ruleId: d.rule.id,
    severity: d.severity,
    actor: label(d.actor),
    summary: d.summary,
  };
}

function insertDetection(inc: WorkingIncident, d: Detection, summary = false): void {
  let i = inc.detections.length;
  while (i > 0 && before(d, inc.detections[i - 1] as Detection)) i--;
  inc.detections.splice(i, 0, d);
  inc.timeline.splice(i, 0, timelineEntryOf(d));
  if (summary) keepTitleDetections(inc, d.rule.category);
}

/** Of `category`'s detections, keeps the earliest and the (earliest) most severe: what `titleOf` reads. */
function keepTitleDetections(inc: WorkingIncident, category: string): void {
  let earliest = -1;
  let severest = -1;
  for (let j = 0; j < inc.detections.length; j++) {
    const d = inc.detections[j] as Detection;
    if (d.rule.category !== category) continue;
    if (earliest < 0) earliest = j;
    if (severest < 0 || severityRank(d.severity) > severityRank((inc.detections[severest] as Detection).severity))
      severest = j;
  }
  for (let j = inc.detections.length - 1; j >= 0; j--) {
    if (j === earliest || j === severest || (inc.detections[j] as Detection).rule.category !== category) continue;
    inc.detections.splice(j, 1);
    inc.timeline.splice(j, 1);
  }
}

function freeze(inc: WorkingIncident): Incident {
  const detections = inc.detections.slice();
  const timeline = inc.timeline.slice();
  return {
    id: inc.id,
    status: 'open',
    severity: inc.severity,
    title: titleOf(inc.actor, detections),
    actor: inc.actor,
    identities: [...inc.identities],
    firstTimestamp: inc.first,
    lastTimestamp: inc.last,
    detections,
    timeline,
  };
}

/** `svc-smartsheet: privilege escalation, repository exfiltration (+3)`: the two most severe categories, then
 *  how many more there are. */
export function titleOf(actor: Identity, detections: readonly Detection[]): string {
  const best = new Map<string, Severity>();
  const order: string[] = [];
  for (const d of detections) {
    const c = d.rule.category;
    const prev = best.get(c);
    if (prev === undefined) order.push(c);
    best.set(c, prev === undefined ? d.severity : maxSeverity(prev, d.severity));
  }
  const cats = order
    .map((c, i) => ({ c, i, r: severityRank(best.get(c) as Severity) }))
    .sort((a, b) => b.r - a.r || a.i - b.i)
    .map((x) => CATEGORY_LABELS[x.c as keyof typeof CATEGORY_LABELS] ?? x.c);
  const shown = cats.slice(0, 2).join(', ');
  const more = cats.length > 2 ? ` (+${cats.length - 2})` : '';
  let who = label(actor);
  if (identityKeys(actor).length === 0) {
    const ip = detections[0]?.events[0]?.['source.ip'];
    who = ip === undefined ? who : `${who} from ${ip}`;
  }
  return `${who}: ${shown}${more}`;
}
