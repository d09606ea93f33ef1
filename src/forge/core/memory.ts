/**
 * In-memory `KvPort`, for tests and for counting storage operations (the KVS benchmark): it keeps the
 * platform's rules that matter to the code (batches of at most 25 keys, prefix pages of at most 20, values of
 * at most 240 KiB, key syntax) and counts requests and 10 KB read/write units as Forge meters them.
 */
import type { BatchKey, BatchSetItem, EntityQuery, KvEntry, KvPage, KvPort } from './ports';

export const MAX_BATCH = 25;
export const MAX_PREFIX_PAGE = 20;
export const MAX_VALUE_BYTES = 240 * 1024;
const KEY_RE = /^(?!\s+$)[a-zA-Z0-9:._\s\-#]+$/;
const UNIT = 10 * 1024;

export interface KvCounts {
  /** Requests made (a batch is one request). */
  requests: number;
  readRequests: number;
  writeRequests: number;
  /** 10 KB units, each item rounded up, as the per-installation limits count them. */
  readUnits: number;
  writeUnits: number;
}

const size = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
const units = (v: unknown): number => Math.max(1, Math.ceil(size(v) / UNIT));

interface Stored {
  value: unknown;
  expires?: number;
}

export class MemoryKv implements KvPort {
  readonly counts: KvCounts = { requests: 0, readRequests: 0, writeRequests: 0, readUnits: 0, writeUnits: 0 };
  private readonly data = new Map<string, Stored>();
  private readonly secrets = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  resetCounts(): void {
    Object.assign(this.counts, {
      requests: 0,
      readRequests: 0,
      writeRequests: 0,
      readUnits: 0,
      writeUnits: 0,
    });
  }

  /** Every live plain key (not entities, not secrets), for tests. */
  keys(): string[] {
    return [...this.data.keys()].filter((k) => !k.includes('\u0000') && this.live(k) !== undefined).sort();
  }

  private id(key: string, entity?: string): string {
    if (!KEY_RE.test(key) || key.length > 500) throw new Error(`invalid KVS key ${JSON.stringify(key)}`);
    return entity === undefined ? key : `${entity}\u0000${key}`;
  }

  private live(id: string): Stored | undefined {
    const s = this.data.get(id);
    if (s?.expires !== undefined && s.expires <= this.now()) {
      this.data.delete(id);
      return undefined;
    }
    return s;
  }

  private read(n: number, values: unknown[]): void {
    this.counts.requests++;
    this.counts.readRequests++;
    this.counts.readUnits += values.length === 0 ? n : values.reduce<number>((a, v) => a + units(v), 0);
  }

  private write(values: unknown[]): void {
    this.counts.requests++;
    this.counts.writeRequests++;
    this.counts.writeUnits += values.reduce<number>((a, v) => a + units(v), 0);
  }

  private put(id: string, value: unknown, ttlSeconds?: number): void {
    if (size(value) > MAX_VALUE_BYTES)
      throw new Error(`value of ${id} is over 240 KiB (${size(value)} bytes)`);
    const s: Stored = { value: structuredClone(value) };
    if (ttlSeconds !== undefined) s.expires = this.now() + ttlSeconds * 1000;
    this.data.set(id, s);
  }

  get<T>(key: string): Promise<T | undefined> {
    const v = this.live(this.id(key))?.value;
    this.read(1, v === undefined ? [] : [v]);
    return Promise.resolve(v === undefined ? undefined : (structuredClone(v) as T));
  }

  set(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    this.put(this.id(key), value, ttlSeconds);
    this.write([value]);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.data.delete(this.id(key));
    this.write([null]);
    return Promise.resolve();
  }

  batchGet<T>(keys: readonly BatchKey[]): Promise<Map<string, T>> {
    if (keys.length > MAX_BATCH) throw new Error(`batchGet of ${keys.length} keys (at most ${MAX_BATCH})`);
    const out = new Map<string, T>();
    const found: unknown[] = [];
    for (const k of keys) {
      const v = this.live(this.id(k.key, k.entity))?.value;
      if (v !== undefined) {
        out.set(k.key, structuredClone(v) as T);
        found.push(v);
      }
    }
    this.read(keys.length, found);
    return Promise.resolve(out);
  }

  batchSet(items: readonly BatchSetItem[]): Promise<void> {
    if (items.length === 0 || items.length > MAX_BATCH)
      throw new Error(`batchSet of ${items.length} items (1 to ${MAX_BATCH})`);
    const ids = new Set(items.map((i) => this.id(i.key, i.entity)));
    if (ids.size !== items.length) throw new Error('batchSet names the same key twice');
    for (const i of items) this.put(this.id(i.key, i.entity), i.value, i.ttlSeconds);
    this.write(items.map((i) => i.value));
    return Promise.resolve();
  }

  batchDelete(keys: readonly BatchKey[]): Promise<void> {
    if (keys.length === 0 || keys.length > MAX_BATCH)
      throw new Error(`batchDelete of ${keys.length} keys (1 to ${MAX_BATCH})`);
    for (const k of keys) this.data.delete(this.id(k.key, k.entity));
    this.write(keys.map(() => null));
    return Promise.resolve();
  }

  queryPrefix<T>(prefix: string, limit: number, cursor?: string): Promise<KvPage<T>> {
    const n = Math.min(limit, MAX_PREFIX_PAGE);
    const all = [...this.data.keys()]
      .filter((k) => !k.includes('\u0000') && k.startsWith(prefix) && (cursor === undefined || k > cursor))
      .filter((k) => this.live(k) !== undefined)
      .sort();
    const page = all.slice(0, n);
    const results: KvEntry<T>[] = page.map((k) => ({
      key: k,
      value: structuredClone(this.data.get(k)?.value) as T,
    }));
    this.read(
      1,
      results.map((r) => r.value),
    );
    const last = page[page.length - 1];
    return Promise.resolve(
      all.length > n && last !== undefined ? { results, nextCursor: last } : { results },
    );
  }

  entityGet<T>(entity: string, key: string): Promise<T | undefined> {
    const v = this.live(this.id(key, entity))?.value;
    this.read(1, v === undefined ? [] : [v]);
    return Promise.resolve(v === undefined ? undefined : (structuredClone(v) as T));
  }

  /** Indexes are named after the attribute they range over (`lastAt`), or `by-x` with `partition` naming
   *  attributes in index order; the range attribute is the index's last one (see manifest.yml). */
  entityQuery<T>(
    entity: string,
    q: EntityQuery,
    rangeAttr?: string,
    partitionAttrs?: readonly string[],
  ): Promise<KvPage<T>> {
    const prefix = `${entity}\u0000`;
    const range = rangeAttr ?? ENTITY_INDEXES[entity]?.[q.index]?.range ?? q.index;
    const parts = partitionAttrs ?? ENTITY_INDEXES[entity]?.[q.index]?.partition ?? [];
    let rows: KvEntry<Record<string, unknown>>[] = [];
    for (const id of this.data.keys()) {
      if (!id.startsWith(prefix) || this.live(id) === undefined) continue;
      const value = this.data.get(id)?.value as Record<string, unknown>;
      if (q.partition && parts.some((p, i) => value[p] !== q.partition?.[i])) continue;
      const r = value[range] as number | string | undefined;
      if (r === undefined) continue;
      if (q.range?.gte !== undefined && r < q.range.gte) continue;
      if (q.range?.lte !== undefined && r > q.range.lte) continue;
      rows.push({ key: id.slice(prefix.length), value });
    }
    const cmp = (a: KvEntry<Record<string, unknown>>, b: KvEntry<Record<string, unknown>>): number => {
      const x = a.value[range] as number | string;
      const y = b.value[range] as number | string;
      return x < y ? -1 : x > y ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    };
    rows.sort(cmp);
    if (q.descending) rows.reverse();
    const start = q.cursor === undefined ? 0 : Number(q.cursor);
    const limit = Math.min(q.limit, 100);
    rows = rows.slice(start, start + limit + 1);
    const more = rows.length > limit;
    const results = rows.slice(0, limit).map((r) => ({ key: r.key, value: structuredClone(r.value) as T }));
    this.read(
      1,
      results.map((r) => r.value),
    );
    return Promise.resolve(more ? { results, nextCursor: String(start + limit) } : { results });
  }

  getSecret(key: string): Promise<string | undefined> {
    this.read(1, []);
    return Promise.resolve(this.secrets.get(key));
  }
  setSecret(key: string, value: string): Promise<void> {
    this.secrets.set(key, value);
    this.write([value]);
    return Promise.resolve();
  }
  deleteSecret(key: string): Promise<void> {
    this.secrets.delete(key);
    this.write([null]);
    return Promise.resolve();
  }
}

/** The custom-entity indexes of manifest.yml: name → partition attributes and range attribute. */
export const ENTITY_INDEXES: Readonly<
  Record<string, Readonly<Record<string, { readonly partition: readonly string[]; readonly range: string }>>>
> = {
  incident: {
    lastAt: { partition: [], range: 'lastAt' },
    'by-status': { partition: ['status'], range: 'lastAt' },
  },
  detection: {
    at: { partition: [], range: 'at' },
    'by-incident': { partition: ['incidentId'], range: 'at' },
  },
  action: {
    'by-incident': { partition: ['incidentId'], range: 'at' },
    'by-state': { partition: ['state'], range: 'at' },
    ranAt: { partition: [], range: 'ranAt' },
  },
};
