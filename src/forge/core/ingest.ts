/**
 * Ingestion on Forge, host-independent. Every source (product-event triggers, web triggers, the audit pollers)
 * first stores what it received in the inbox (`accept`: one SQL INSERT, cheap enough for a 55 s trigger and
 * no KVS unit) and asks for a drain; the `ingest` queue consumer drains the inbox in batches, one at a time
 * (queue concurrency 1): read the oldest items in arrival order → parse → drop records already seen → engine →
 * correlator → store detections, incidents and the new snapshot (KVS) → tag the items with the new
 * generation → commit (`head`) → mark seen, delete exactly the inbox items it read → queue containment for
 * incidents at or above the policy's severity. A crash anywhere before the commit repeats the batch with the
 * same result; after it, the batch is skipped: its items carry a generation `head.gen` covers. The inbox and
 * the marks are on Forge SQL (./inbox.ts), the rest on KVS (./storage.ts).
 */
import type { Detection } from '../../core/detection';
import type { AuditEvent } from '../../core/event';
import { atLeast } from '../../core/severity';
import { Correlator } from '../../correlate';
import { Engine } from '../../engine';
import { Enricher, type MutableEvent } from '../../engine/enrich';
import { bindCondition, bindSelection, type Predicate } from '../../engine/match';
import type { ListSet } from '../../lists/list-set';
import { parseRecord } from '../../parsers';
import { withThresholds, type CompiledRule } from '../../rules/compiled';
import { ENTITIES, KEYS, rawKey, safeKey } from './keys';
import type { BatchKey, BatchSetItem, InboxPort, InboxRow, Logger, QueuePort } from './ports';
import { Storage, type Head } from './storage';

/** Records per inbox item: an item of audit records of a few KB stays far under the 1 MiB request limit. */
export const RECORDS_PER_ITEM = 50;
/** Inbox items one drain takes at most: enough for what accumulates during the longest cooldown at peak
 *  (about 3,900 product events a minute × 264 s ≈ 17,000 at 100,000 users with views on, decision 0016), so
 *  a large state is read and written once per cooldown, not once per thousand events. */
export const MAX_DRAIN_ITEMS = 20_000;
/** Bytes of records one drain takes at most (memory; the SELECTs are cut at 3 MB each). */
export const MAX_DRAIN_BYTES = 32 * 1024 * 1024;
/** A drain asked for within this many seconds of another is the same drain: audit records, webhooks and the
 *  forwarder (what containment waits for) are drained within seconds. */
export const DRAIN_DEBOUNCE_SECONDS = 5;
/** Product events (views, searches: the bulk of a large site's volume) wait this long for a batch: each
 *  drain reads and writes the whole engine snapshot, so fewer, larger batches keep KVS units per event low
 *  (decision 0016). The platform itself takes up to 3 minutes to deliver them. */
export const BULK_DRAIN_SECONDS = 30;
/** How long a pushed urgent drain keeps later urgent batches from pushing another (the drain clears it when it
 *  starts; this bounds a mark left behind by a drain that started before the mark was written). */
export const URGENT_MARK_SECONDS = 30;
/** How long a runtime instance reuses the urgency test (the policy's severity and the disabled rules). */
const URGENCY_CACHE_MS = 60_000;
/** Sources whose records are checked against per-record de-duplication marks. Product events are not (a mark
 *  per event for 3 days would be ~8 M rows at 100,000 users, most of the 1 GiB of SQL storage): a duplicate
 *  is merged while both copies wait in the inbox (the id is the payload's hash), and a later one gives the
 *  same detection ids (evidence refs are content hashes). */
const HIGH_VOLUME = new Set(['forge-event']);

/** Share of the per-installation KVS budget (4,000 10-KB units a minute each for reads and writes) that
 *  snapshot reads and writes may take; the rest is for the inbox and the entities. */
export const SNAPSHOT_BUDGET_UNITS_PER_MINUTE = 2000;

/**
 * How long after a drain the next one waits, from the snapshot's size: every drain reads and writes the
 * whole snapshot, so a large state (a large site) is drained less often to stay within the KVS budget.
 * At least DRAIN_DEBOUNCE_SECONDS (300 KB of state: 5 s); 5 MB: 15 s; 90 MB: 264 s; at most 300 s.
 */
export function drainCooldownSeconds(snapshotChars: number): number {
  const units = Math.ceil(snapshotChars / 10_240);
  return Math.min(
    300,
    Math.max(DRAIN_DEBOUNCE_SECONDS, Math.ceil((units * 60) / SNAPSHOT_BUDGET_UNITS_PER_MINUTE)),
  );
}

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly lists: ListSet;
}

export interface IngestDeps {
  readonly storage: Storage;
  /** The inbox and the de-duplication marks (Forge SQL). */
  readonly inbox: InboxPort;
  readonly queue: QueuePort;
  readonly rules: () => RuleSet;
  readonly now: () => number;
  /** The installation being served (memory kept between invocations is kept per installation). */
  readonly installation?: () => string;
  readonly log?: Logger;
}

export interface DrainResult {
  readonly items: number;
  readonly records: number;
  readonly duplicates: number;
  readonly events: number;
  readonly rejects: number;
  readonly detections: readonly Detection[];
  /** Incidents created or changed by this batch. */
  readonly incidents: readonly string[];
  /** Incidents sent to the `contain` queue. */
  readonly contain: readonly string[];
  /** Whether more inbox items are waiting. */
  readonly more: boolean;
}

interface Parsed {
  readonly key: string;
  readonly events: readonly AuditEvent[];
  readonly rejects: number;
}

export class Ingestor {
  /** When this runtime instance last asked for a drain of each speed: a warm instance skips the KVS read. */
  private readonly askedAt = new Map<string, number>();
  /** Per installation: the urgency test's inputs, read at most once a minute (one KVS read). */
  private readonly urgency = new Map<string, { at: number; rules: RuleSet; preds: readonly Predicate[] }>();

  constructor(private readonly d: IngestDeps) {}

  /**
   * Stores received records in the inbox (chunks of RECORDS_PER_ITEM) and asks for a drain. Returns once
   * they are stored: a poller moves its cursor only after this.
   */
  async accept(source: string, records: readonly unknown[], opts: { drain?: boolean } = {}): Promise<number> {
    if (records.length === 0) return 0;
    const at = this.d.now();
    const bulk = HIGH_VOLUME.has(source);
    const items: InboxRow[] = [];
    for (let i = 0; i < records.length; i += RECORDS_PER_ITEM) {
      const chunk = records.slice(i, i + RECORDS_PER_ITEM);
      const hash = rawKey(chunk).slice(0, 24);
      items.push({
        id: bulk ? inboxBulkId(hash) : inboxId(at, hash),
        source,
        receivedAt: at,
        records: chunk,
      });
    }
    await this.d.inbox.put(items);
    if (opts.drain === false) return items.length;
    // Containment is promised within 10 s of a record reaching the app, by whichever path it came (product
    // event, webhook, or the 5-minute audit poll). The debounce (5 s, 30 s for product events) and the cooldown
    // of a large state (up to 300 s) would break that, so a batch holding a record that can start containment
    // on its own is drained at once; every other batch keeps the cadence that holds the KVS budget.
    if (await this.urgent(source, records, at)) await this.requestUrgentDrain();
    else await this.requestDrain(bulk ? 'bulk' : 'fast');
    return items.length;
  }

  /**
   * Whether a record can start containment by itself: one of its events meets the condition of a rule with no
   * aggregate (no count, window or baseline to wait for) whose severity, or an escalation's, reaches the
   * response policy's (a privileged group change, an app install, an indicator address…). Stateless, so it
   * can say yes to an event the engine then lets pass (suppressed, allow-listed): that costs one drain. It
   * says no to what only state makes critical (counts, sequences, an incident raised by correlation): those
   * keep the usual cadence.
   */
  private async urgent(source: string, records: readonly unknown[], at: number): Promise<boolean> {
    const inst = this.d.installation?.() ?? '';
    const rules = this.d.rules();
    let u = this.urgency.get(inst);
    if (!u || u.rules !== rules || at < u.at || at - u.at > URGENCY_CACHE_MS) {
      const s = await this.d.storage.settings();
      const min = s.policy.minSeverity;
      const off = new Set(s.disabledRules);
      const preds = rules.rules
        .filter(
          (r) =>
            r.enabled &&
            !off.has(r.id) &&
            r.aggregate === undefined &&
            (atLeast(r.ref.severity, min) || r.escalate.some((e) => atLeast(e.severity, min))),
        )
        .map((r) => {
          const sels = new Map<string, Predicate>();
          for (const [name, spec] of r.selections) sels.set(name, bindSelection(spec, rules.lists));
          return bindCondition(r.condition, sels);
        });
      u = { at, rules, preds };
      this.urgency.set(inst, u);
    }
    if (u.preds.length === 0) return false;
    // The engine's stateless enrichment (service accounts by name), on a fresh enricher: no state is kept.
    const enricher = new Enricher(rules.lists);
    const hits: string[] = [];
    for (const rec of records)
      for (const e of parseRecord(rec, { file: source, line: 1 }, undefined, { receivedAt: at }).events) {
        enricher.apply(e as MutableEvent);
        if (u.preds.some((p) => p(e))) {
          hits.push(rawKey(rec));
          break;
        }
      }
    if (hits.length === 0 || HIGH_VOLUME.has(source)) return hits.length > 0;
    // A record already drained (the org webhook's, fetched again by the poll) starts nothing: no urgent drain
    // for it. One read per such record; they are few.
    const seen = await this.d.inbox.seen(hits);
    return hits.some((k) => !seen.has(k));
  }

  /** Pushes a drain with no delay, whatever the debounce and cooldown marks say. A mark (cleared by that drain
   *  when it starts, before it reads the inbox) makes urgent batches arriving before it starts share it. With
   *  the mark present, the regular request is made too, in case the mark outlived its drain. */
  async requestUrgentDrain(): Promise<void> {
    const kv = this.d.storage.kv;
    if ((await kv.get(KEYS.drainPending('urgent'))) !== undefined) return this.requestDrain('fast');
    await this.d.queue.push('ingest', { kind: 'drain', urgent: true });
    await kv.set(KEYS.drainPending('urgent'), this.d.now(), URGENT_MARK_SECONDS);
  }

  /** Pushes a drain job unless one of this speed was asked for within its delay (a debounce mark with a
   *  TTL). A lost race pushes two; a drain finding nothing does nothing. */
  async requestDrain(speed: 'fast' | 'bulk' = 'fast'): Promise<void> {
    const kv = this.d.storage.kv;
    const delay = speed === 'fast' ? DRAIN_DEBOUNCE_SECONDS : BULK_DRAIN_SECONDS;
    const now = this.d.now();
    const mark = `${this.d.installation?.() ?? ''}\u0000${speed}`;
    const last = this.askedAt.get(mark);
    if (last !== undefined && now >= last && now - last < delay * 1000) return;
    if ((await kv.get(KEYS.drainPending(speed))) !== undefined) return;
    this.askedAt.set(mark, now);
    await kv.set(KEYS.drainPending(speed), now, delay);
    await this.d.queue.push('ingest', { kind: 'drain' }, delay);
  }

  /** Processes up to `maxItems` inbox items as one batch. An urgent drain first clears the urgent mark, so
   *  whatever arrives after it reads the inbox asks for another. */
  async drain(
    maxItems = MAX_DRAIN_ITEMS,
    opts: { urgent?: boolean; maxBytes?: number } = {},
  ): Promise<DrainResult> {
    const { storage } = this.d;
    if (opts.urgent === true) await storage.kv.delete(KEYS.drainPending('urgent'));
    const head = await storage.head();
    const committed = head?.gen ?? 0;
    const items: InboxRow[] = [];
    const stale: string[] = [];
    // The oldest items, in arrival order. Tagged at or below the committed generation: consumed by a drain
    // that committed and then stopped before its delete.
    const read = await this.d.inbox.read(maxItems, opts.maxBytes ?? MAX_DRAIN_BYTES);
    const more = read.more;
    for (const r of read.rows) {
      if (r.gen !== undefined && r.gen <= committed) stale.push(r.id);
      else items.push(r);
    }
    if (stale.length > 0) await this.d.inbox.delete(stale);
    const empty: DrainResult = {
      items: 0,
      records: 0,
      duplicates: 0,
      events: 0,
      rejects: 0,
      detections: [],
      incidents: [],
      contain: [],
      more,
    };
    if (items.length === 0) return empty;

    // Parse every record; its raw key is its identity (and its evidence reference, so detection ids do not
    // depend on which delivery carried it).
    const parsed: (Parsed & { readonly check: boolean })[] = [];
    let records = 0;
    const inBatch = new Set<string>();
    for (const item of items) {
      for (const rec of item.records) {
        records++;
        const key = rawKey(rec);
        if (inBatch.has(key)) continue;
        inBatch.add(key);
        const out = parseRecord(rec, { file: `${item.source}/${key}`, line: 1 }, undefined, {
          receivedAt: item.receivedAt,
        });
        parsed.push({
          key,
          events: out.events,
          rejects: out.rejects.length,
          check: !HIGH_VOLUME.has(item.source),
        });
      }
    }
    const checked = parsed.filter((p) => p.check).map((p) => p.key);
    const seen = checked.length > 0 ? await this.d.inbox.seen(checked) : new Set<string>();
    const fresh = parsed.filter((p) => !seen.has(p.key));
    const duplicates = records - fresh.length;

    const settings = await storage.settings();
    const { rules: fileRules, lists } = this.d.rules();
    const rules = withThresholds(fileRules, settings.ruleThresholds ?? {});
    const snapshot = (await storage.loadSnapshot(head)) as
      { engine?: unknown; correlator?: unknown } | undefined;
    const engineOpts = { rules, lists, disabledRules: settings.disabledRules, now: this.d.now };
    const engine = snapshot?.engine ? Engine.restore(snapshot.engine, engineOpts) : new Engine(engineOpts);
    const correlator = snapshot?.correlator ? Correlator.restore(snapshot.correlator) : new Correlator();
    const mergedBefore = correlator.mergedIds().length;

    const events = fresh.flatMap((p) => p.events);
    events.sort(
      (a, b) =>
        a['@timestamp'] - b['@timestamp'] || (a.ref.file < b.ref.file ? -1 : a.ref.file > b.ref.file ? 1 : 0),
    );
    const detections: Detection[] = [];
    const touched = new Map<string, Detection[]>();
    // A rule's allow-list (console settings) drops its detections before correlation; the rule keeps counting.
    const allowed = (det: Detection): boolean => {
      const names = settings.ruleAllowLists[det.rule.id];
      if (!names || names.length === 0) return true;
      const who = [det.actor.name, det.actor.id]
        .filter((x): x is string => x !== undefined)
        .map((x) => x.toLowerCase());
      return !names.some((n) => who.includes(n.toLowerCase()));
    };
    for (const e of events) {
      const found = engine.process(e).filter(allowed);
      correlator.observe(e);
      for (const det of found) {
        detections.push(det);
        const id = correlator.add(det);
        const list = touched.get(id);
        if (list) list.push(det);
        else touched.set(id, [det]);
      }
    }

    const entities: BatchSetItem[] = [];
    const incidentIds: string[] = [];
    const contain: string[] = [];
    const merged = new Set(correlator.mergedIds());
    // Detections are written once, when found; all of an incident's only when a merge moved some into it.
    const mergedNow = merged.size > mergedBefore;
    const foundNow = new Set(detections.map((d) => d.id));
    for (const id of touched.keys()) {
      const inc = correlator.incident(id);
      if (!inc) continue;
      if (!incidentIds.includes(inc.id)) incidentIds.push(inc.id);
    }
    for (const id of incidentIds) {
      const inc = correlator.incident(id);
      if (!inc) continue;
      entities.push(storage.incidentItem(inc));
      for (const det of inc.detections)
        if (mergedNow || foundNow.has(det.id)) entities.push(storage.detectionItem(det, inc.id));
      if (atLeast(inc.severity, settings.policy.minSeverity)) contain.push(inc.id);
    }
    const dropped: BatchKey[] = [...merged]
      .filter((id) => !incidentIds.includes(id))
      .map((id) => ({ entity: ENTITIES.incident, key: safeKey(id) }));
    const consumedKeys = items.map((i) => i.id);
    const state = { engine: engine.snapshot(), correlator: correlator.snapshot() };
    // The items carry the generation this commit writes; `head` then says whether it was written.
    await this.d.inbox.claim(consumedKeys, committed + 1);
    const newHead = await storage.commit(head, state, dedupe(entities), dropped);
    // A large state slows the next drains down (the marks make requests within the cooldown no-ops) and one
    // drain is queued for its end, for whatever arrives meanwhile.
    const cooldown = drainCooldownSeconds(newHead.chars);
    if (cooldown > DRAIN_DEBOUNCE_SECONDS) {
      await storage.kv.set(KEYS.drainPending('fast'), this.d.now(), cooldown);
      await storage.kv.set(KEYS.drainPending('bulk'), this.d.now(), Math.max(cooldown, BULK_DRAIN_SECONDS));
      await this.d.queue.push('ingest', { kind: 'drain' }, cooldown);
    }
    // After the commit: a crash here leaves marks unwritten (a later duplicate would be processed again, never
    // lost) and inbox items behind (deleted unprocessed next time: their generation is committed).
    const marks = fresh.filter((p) => p.check).map((p) => p.key);
    if (marks.length > 0) await this.d.inbox.markSeen(marks, this.d.now());
    await this.d.inbox.delete(consumedKeys);
    for (const id of contain) await this.d.queue.push('contain', { kind: 'contain', incidentId: id });
    // More waiting: at once on a small state; on a large one the drain queued for the cooldown's end takes it.
    if (more && cooldown <= DRAIN_DEBOUNCE_SECONDS) await this.d.queue.push('ingest', { kind: 'drain' });
    this.d.log?.(
      `drained ${items.length} items: ${records} records, ${duplicates} duplicates, ${events.length} events, ${detections.length} detections`,
    );
    return {
      items: items.length,
      records,
      duplicates,
      events: events.length,
      rejects: fresh.reduce((n, p) => n + p.rejects, 0),
      detections,
      incidents: incidentIds,
      contain,
      more,
    };
  }
}

/** Inbox ids sort by arrival within a millisecond's items too: 13-digit ms, then the chunk's hash. */
export function inboxId(receivedAt: number, hash: string): string {
  return `${String(receivedAt).padStart(13, '0')}:${hash}`;
}

/** Product events: by content alone, so a duplicate delivery while the first waits is the same row. */
export function inboxBulkId(hash: string): string {
  return `e:${hash}`;
}

/** The last write of each key wins (a detection listed by two incidents of one batch). */
function dedupe(items: readonly BatchSetItem[]): BatchSetItem[] {
  const m = new Map<string, BatchSetItem>();
  for (const i of items) m.set(`${i.entity ?? ''}\u0000${i.key}`, i);
  return [...m.values()];
}

export type { Head };
