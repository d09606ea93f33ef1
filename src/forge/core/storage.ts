/**
 * Bulkhead's state on Forge KVS, over a `KvPort`: the commit point (`head`), engine + correlator snapshots
 * split into chunks under 240 KiB, cursors, settings, the incident, detection and action entities, and the
 * `ActionLog` the response core writes through. Writes are batched (25 keys a request, the platform's limit).
 * The inbox and the per-record de-duplication marks are on Forge SQL (./inbox.ts).
 */
import type { Detection } from '../../core/detection';
import type { Incident } from '../../core/incident';
import { severityRank } from '../../core/severity';
import type { ActionLog, ActionRecord } from '../../respond/responder';
import { ENTITIES, KEYS, safeKey } from './keys';
import { MAX_BATCH } from './memory';
import type { BatchKey, BatchSetItem, KvPort } from './ports';
import { DEFAULT_SETTINGS, type ForgeSettings } from './settings';

/** Characters per snapshot chunk: well under the 240 KiB value limit even when every character is escaped. */
export const CHUNK_CHARS = 100_000;

export interface Head {
  readonly gen: number;
  readonly chunks: number;
  /** The snapshot's size in characters (sets how often drains may run). */
  readonly chars: number;
  readonly updatedAt: number;
}

export interface StoredIncident {
  readonly id: string;
  readonly severity: string;
  readonly severityRank: number;
  readonly status: string;
  readonly lastAt: number;
  readonly actor: string;
  readonly products: string;
  /** Space keys and repositories its detections touched (space and repository admins see these). */
  readonly spaces: readonly string[];
  readonly repos: readonly string[];
  readonly detectionCount: number;
  /** The rule ids of its detections. */
  readonly rules: readonly string[];
  /** The incident without its detections (they are `detection` entities). */
  readonly body: Incident;
}

export interface StoredDetection {
  readonly id: string;
  readonly incidentId: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly at: number;
  readonly body: Detection;
}

export interface StoredAction {
  readonly id: string;
  readonly incidentId: string;
  readonly state: string;
  /** When it first ran (done or failed), for the hourly cap; 0 when it has not. */
  readonly ranAt: number;
  readonly at: number;
  readonly body: ActionRecord;
}

export class Storage {
  constructor(
    readonly kv: KvPort,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- batching -------------------------------------------------------------------------------------

  async setAll(items: readonly BatchSetItem[]): Promise<void> {
    for (let i = 0; i < items.length; i += MAX_BATCH) await this.kv.batchSet(items.slice(i, i + MAX_BATCH));
  }

  async deleteAll(keys: readonly BatchKey[]): Promise<void> {
    for (let i = 0; i < keys.length; i += MAX_BATCH) await this.kv.batchDelete(keys.slice(i, i + MAX_BATCH));
  }

  async getAll<T>(keys: readonly BatchKey[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (let i = 0; i < keys.length; i += MAX_BATCH)
      for (const [k, v] of await this.kv.batchGet<T>(keys.slice(i, i + MAX_BATCH))) out.set(k, v);
    return out;
  }

  // ---- settings and cursors --------------------------------------------------------------------------

  async settings(): Promise<ForgeSettings> {
    const s = await this.kv.get<Partial<ForgeSettings>>(KEYS.settings);
    return { ...DEFAULT_SETTINGS, ...(s ?? {}) };
  }

  saveSettings(s: ForgeSettings): Promise<void> {
    return this.kv.set(KEYS.settings, s);
  }

  cursor<T>(source: string): Promise<T | undefined> {
    return this.kv.get<T>(KEYS.cursor(source));
  }

  setCursor(source: string, value: unknown): Promise<void> {
    return this.kv.set(KEYS.cursor(source), value);
  }

  // ---- snapshot and commit point ---------------------------------------------------------------------

  head(): Promise<Head | undefined> {
    return this.kv.get<Head>(KEYS.head);
  }

  async loadSnapshot(head: Head | undefined): Promise<unknown> {
    if (!head || head.chunks === 0) return undefined;
    const keys = Array.from({ length: head.chunks }, (_, i) => ({ key: KEYS.snapshotChunk(head.gen, i) }));
    const got = await this.getAll<string>(keys);
    const parts = keys.map((k) => {
      const v = got.get(k.key);
      if (v === undefined) throw new Error(`snapshot chunk ${k.key} is missing`);
      return v;
    });
    return JSON.parse(parts.join('')) as unknown;
  }

  /**
   * Stores a batch's results and commits: entities and the new snapshot generation first, then `head` (one
   * write: the commit point), then the old generation is deleted. A crash before `head` leaves the previous
   * state in force and the batch is processed again from the inbox, giving the same ids.
   */
  async commit(
    prev: Head | undefined,
    snapshot: unknown,
    entities: readonly BatchSetItem[],
    deleteEntities: readonly BatchKey[],
  ): Promise<Head> {
    const text = JSON.stringify(snapshot);
    const gen = (prev?.gen ?? 0) + 1;
    const chunks: BatchSetItem[] = [];
    for (let i = 0; i * CHUNK_CHARS < text.length; i++)
      chunks.push({
        key: KEYS.snapshotChunk(gen, i),
        value: text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS),
      });
    await this.setAll([...entities, ...chunks]);
    if (deleteEntities.length > 0) await this.deleteAll(deleteEntities);
    const head: Head = { gen, chunks: chunks.length, chars: text.length, updatedAt: this.now() };
    await this.kv.set(KEYS.head, head);
    if (prev && prev.chunks > 0)
      await this.deleteAll(
        Array.from({ length: prev.chunks }, (_, i) => ({ key: KEYS.snapshotChunk(prev.gen, i) })),
      );
    return head;
  }

  // ---- entities --------------------------------------------------------------------------------------

  incidentItem(incident: Incident): BatchSetItem {
    const spaces = new Set<string>();
    const repos = new Set<string>();
    const products = new Set<string>();
    for (const d of incident.detections)
      for (const e of d.events) {
        products.add(e['atlassian.product']);
        if (e['atlassian.space.key']) spaces.add(e['atlassian.space.key']);
        for (const t of e.targets) {
          if (t.kind === 'space' && t.name) spaces.add(t.name);
          if (t.kind === 'repository') for (const v of [t.id, t.name]) if (v) repos.add(v);
        }
        if (e['atlassian.repository.name']) repos.add(e['atlassian.repository.name']);
      }
    const value: StoredIncident = {
      id: incident.id,
      severity: incident.severity,
      severityRank: severityRank(incident.severity),
      status: incident.status,
      lastAt: incident.lastTimestamp,
      actor: incident.actor.name ?? incident.actor.id ?? incident.actor.kind,
      products: [...products].sort().join(','),
      spaces: [...spaces].sort(),
      repos: [...repos].sort(),
      detectionCount: incident.detections.length,
      rules: [...new Set(incident.detections.map((d) => d.rule.id))],
      body: { ...incident, detections: [] },
    };
    return { entity: ENTITIES.incident, key: safeKey(incident.id), value };
  }

  detectionItem(d: Detection, incidentId: string): BatchSetItem {
    const value: StoredDetection = {
      id: d.id,
      incidentId,
      ruleId: d.rule.id,
      severity: d.severity,
      at: d['@timestamp'],
      body: d,
    };
    return { entity: ENTITIES.detection, key: safeKey(d.id), value };
  }

  async incident(id: string): Promise<StoredIncident | undefined> {
    return this.kv.entityGet<StoredIncident>(ENTITIES.incident, safeKey(id));
  }

  /** The incident with its detections, as the response core and notifications want it. */
  async fullIncident(id: string): Promise<Incident | undefined> {
    const s = await this.incident(id);
    if (!s) return undefined;
    const detections: Detection[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.kv.entityQuery<StoredDetection>(ENTITIES.detection, {
        index: 'by-incident',
        partition: [s.id],
        limit: 100,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      for (const r of page.results) detections.push(r.value.body);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    detections.sort((a, b) => a['@timestamp'] - b['@timestamp']);
    return { ...s.body, detections };
  }

  async incidents(limit: number, cursor?: string): Promise<{ items: StoredIncident[]; nextCursor?: string }> {
    const page = await this.kv.entityQuery<StoredIncident>(ENTITIES.incident, {
      index: 'lastAt',
      limit,
      descending: true,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    return {
      items: page.results.map((r) => r.value),
      ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async actionsOf(incidentId: string): Promise<ActionRecord[]> {
    const out: ActionRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.kv.entityQuery<StoredAction>(ENTITIES.action, {
        index: 'by-incident',
        partition: [incidentId],
        limit: 100,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      for (const r of page.results) out.push(r.value.body);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  /** The response core's record store on custom entities. */
  actionLog(): ActionLog {
    const kv = this.kv;
    const actionsOf = (id: string) => this.actionsOf(id);
    const ran = (s: string | undefined) => s === 'done' || s === 'failed';
    return {
      async get(id) {
        return (await kv.entityGet<StoredAction>(ENTITIES.action, safeKey(id)))?.body;
      },
      async put(record) {
        const prev = await kv.entityGet<StoredAction>(ENTITIES.action, safeKey(record.id));
        const ranAt =
          prev && prev.ranAt > 0 ? prev.ranAt : ran(record.state) && !ran(prev?.state) ? record.at : 0;
        const value: StoredAction = {
          id: record.id,
          incidentId: record.incidentId,
          state: record.state,
          ranAt,
          at: record.at,
          body: record,
        };
        await kv.batchSet([{ entity: ENTITIES.action, key: safeKey(record.id), value }]);
      },
      async countRunSince(since) {
        let n = 0;
        let cursor: string | undefined;
        do {
          const page = await kv.entityQuery<StoredAction>(ENTITIES.action, {
            index: 'ranAt',
            range: { gte: Math.max(1, since) },
            limit: 100,
            ...(cursor !== undefined ? { cursor } : {}),
          });
          n += page.results.length;
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        return n;
      },
      forIncident: actionsOf,
    };
  }
}
