/**
 * Forge Key-Value Store and Custom Entity Store, in memory, answering the HTTP API that @forge/kvs 1.6.5
 * sends through `__forge_fetch__` ({type:'kvs'}): POST /api/v1/{get,set,delete,query,batch/get,batch/set,
 * batch/delete,transaction,secret/get|set|delete,entity/get|set|delete|query}.
 *
 * Request and response shapes are those in node_modules/@forge/kvs/out (storage-api.js, interfaces/kvs-api.d.ts).
 * Semantics from the Forge docs (storage-reference, limits-kvs-ce, handling-errors-kvs):
 * - keys 1..500 chars matching /^(?!\s+$)[a-zA-Z0-9:._\s-#]+$/ (400 INVALID_KEY / KEY_TOO_LONG / EMPTY_KEY);
 * - values ≤ 240 KiB as JSON (400 MAX_SIZE), depth ≤ 31 (400 MAX_DEPTH);
 * - a missing key is 404 {code:'KEY_NOT_FOUND'}, which the SDK turns into `undefined`;
 * - secrets live in their own namespace: `kvs.get('k')` never returns what `kvs.setSecret('k')` stored;
 * - `kvs.query()` supports only `where('key', beginsWith)`, limit ≤ 20 (default 10), opaque cursor;
 * - entity queries use a declared index (`range` attribute(s), optional `partition`), range conditions
 *   BEGINS_WITH/BETWEEN/EQUAL_TO/GT/GTE/LT/LTE, `filters` {and|or:[…]} on any attribute, sort ASC|DESC,
 *   limit default 10 and ≤ 100, cursor; an entity that lacks the index's attributes is not in the index;
 * - batch get/set/delete ≤ 25 items; transactions ≤ 25 operations, all-or-nothing with `check` conditions;
 * - set options keyPolicy FAIL_IF_EXISTS (409 KEY_ALREADY_EXISTS), returnValue PREVIOUS|LATEST, ttl;
 * - metadata fields createdAt/updatedAt (epoch ms) and expireTime (ISO) on request.
 * Not simulated: the per-second/per-minute rate quotas (counted in 10 KB units by `stats()`, not enforced
 * unless `enforceRateLimits`), consistency delays, and the exact wording of error messages.
 * Filters are applied before the limit here; the real service may return short pages when filtering.
 */

export interface EntityIndexDef {
  name: string;
  range: string[];
  partition?: string[];
}

export interface EntityDef {
  name: string;
  attributes: Record<string, { type: string }>;
  indexes?: (string | EntityIndexDef)[];
}

interface Item {
  value: unknown;
  createdAt: number;
  updatedAt: number;
  expireAt?: number;
}

export interface KvsStats {
  /** Requests by API path (e.g. `/api/v1/set`: 12). */
  requests: Record<string, number>;
  /** Item-level operations: a batch of 10 sets counts 10 writes. */
  reads: number;
  writes: number;
  deletes: number;
  queries: number;
  /** Reads and writes in the 10 KB units the Forge quota counts (each item rounds up). */
  readUnits: number;
  writeUnits: number;
  /** Requests answered with a 4xx/5xx. */
  errors: number;
}

export const KVS_LIMITS = {
  keyLength: 500,
  valueBytes: 240 * 1024,
  depth: 31,
  batchItems: 25,
  transactionOps: 25,
  queryLimitMax: 20,
  queryLimitDefault: 10,
  entityQueryLimitMax: 100,
  entityQueryLimitDefault: 10,
  entityQueryConditionsMax: 100,
} as const;

const KEY_RE = /^(?!\s+$)[a-zA-Z0-9:._\s\-#]+$/;

class KvsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KvsReply {
  status: number;
  body?: unknown;
}

type Cond = { condition: string; values: unknown[]; property?: string };

function depthOf(v: unknown, d = 0): number {
  if (v === null || typeof v !== 'object') return d;
  let m = d + 1;
  for (const x of Object.values(v as Record<string, unknown>)) m = Math.max(m, depthOf(x, d + 1));
  return m;
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function testCond(value: unknown, c: Cond): boolean {
  const v0 = c.values[0];
  switch (c.condition) {
    case 'EXISTS':
      return value !== undefined;
    case 'NOT_EXISTS':
      return value === undefined;
    case 'EQUAL_TO':
      return value === v0;
    case 'NOT_EQUAL_TO':
      return value !== v0;
    case 'BEGINS_WITH':
      return value !== undefined && String(value).startsWith(String(v0));
    case 'CONTAINS':
      if (Array.isArray(value)) return value.includes(v0);
      return typeof value === 'string' && value.includes(String(v0));
    case 'NOT_CONTAINS':
      if (Array.isArray(value)) return !value.includes(v0);
      return typeof value === 'string' ? !value.includes(String(v0)) : value === undefined;
    case 'BETWEEN':
      return value !== undefined && cmp(value, v0) >= 0 && cmp(value, c.values[1]) <= 0;
    case 'GREATER_THAN':
      return value !== undefined && cmp(value, v0) > 0;
    case 'GREATER_THAN_EQUAL_TO':
      return value !== undefined && cmp(value, v0) >= 0;
    case 'LESS_THAN':
      return value !== undefined && cmp(value, v0) < 0;
    case 'LESS_THAN_EQUAL_TO':
      return value !== undefined && cmp(value, v0) <= 0;
    default:
      throw new KvsError(400, 'INVALID_CONDITION', `Unknown condition ${c.condition}`);
  }
}

function testFilters(
  obj: Record<string, unknown>,
  filters: { and?: Cond[]; or?: Cond[] } | undefined,
): boolean {
  if (!filters) return true;
  if (filters.and) return filters.and.every((c) => testCond(obj[c.property ?? ''], c));
  if (filters.or) return filters.or.some((c) => testCond(obj[c.property ?? ''], c));
  return true;
}

function encodeCursor(pos: number): string {
  return Buffer.from(JSON.stringify({ p: pos })).toString('base64url');
}
function decodeCursor(c: unknown): number {
  if (c === undefined || c === null || c === '') return 0;
  try {
    const o = JSON.parse(Buffer.from(String(c), 'base64url').toString('utf8')) as { p?: unknown };
    if (typeof o.p === 'number' && o.p >= 0) return o.p;
  } catch {
    /* fall through */
  }
  throw new KvsError(400, 'INVALID_CURSOR', 'The cursor is not valid');
}

const TTL_UNIT_MS: Record<string, number> = {
  SECONDS: 1000,
  MINUTES: 60_000,
  HOURS: 3_600_000,
  DAYS: 86_400_000,
};

export class KvsEmulator {
  private kv = new Map<string, Item>();
  private secrets = new Map<string, Item>();
  private entities = new Map<string, Map<string, Item>>();
  private defs = new Map<string, EntityDef>();
  private s: KvsStats = KvsEmulator.emptyStats();

  constructor(
    private readonly now: () => number,
    entityDefs: EntityDef[] = [],
  ) {
    for (const d of entityDefs) this.defineEntity(d);
  }

  static emptyStats(): KvsStats {
    return {
      requests: {},
      reads: 0,
      writes: 0,
      deletes: 0,
      queries: 0,
      readUnits: 0,
      writeUnits: 0,
      errors: 0,
    };
  }

  defineEntity(def: EntityDef): void {
    if (def.name.length < 3 || def.name.length > 60 || !/^[a-z0-9:\-_.]+$/.test(def.name)) {
      throw new Error(`entity name ${def.name} breaks the manifest rule (3–60 chars of [a-z0-9:-_.])`);
    }
    this.defs.set(def.name, def);
  }

  stats(): KvsStats {
    return { ...this.s, requests: { ...this.s.requests } };
  }

  resetStats(): void {
    this.s = KvsEmulator.emptyStats();
  }

  clear(): void {
    this.kv.clear();
    this.secrets.clear();
    this.entities.clear();
    this.resetStats();
  }

  /** Test helpers: read what is stored without counting an operation. */
  peek(key: string): unknown {
    const it = this.live(this.kv, key);
    return it ? structuredClone(it.value) : undefined;
  }
  peekSecret(key: string): unknown {
    const it = this.live(this.secrets, key);
    return it ? structuredClone(it.value) : undefined;
  }
  peekEntity(entityName: string, key: string): unknown {
    const it = this.live(this.entities.get(entityName) ?? new Map<string, Item>(), key);
    return it ? structuredClone(it.value) : undefined;
  }
  keys(): string[] {
    return [...this.kv.keys()].filter((k) => this.live(this.kv, k)).sort();
  }
  entityKeys(entityName: string): string[] {
    const m = this.entities.get(entityName);
    return m ? [...m.keys()].filter((k) => this.live(m, k)).sort() : [];
  }

  handle(path: string, body: unknown): KvsReply {
    const p = path.split('?')[0]!;
    this.s.requests[p] = (this.s.requests[p] ?? 0) + 1;
    try {
      return this.dispatch(p, (body ?? {}) as Record<string, unknown>);
    } catch (e) {
      this.s.errors++;
      if (e instanceof KvsError) return { status: e.status, body: { code: e.code, message: e.message } };
      throw e;
    }
  }

  private dispatch(p: string, b: Record<string, unknown>): KvsReply {
    switch (p) {
      case '/api/v1/get':
        return this.get(this.kv, b);
      case '/api/v1/set':
        return this.set(this.kv, b);
      case '/api/v1/delete':
        return this.del(this.kv, b);
      case '/api/v1/secret/get':
        return this.get(this.secrets, b);
      case '/api/v1/secret/set':
        return this.set(this.secrets, b);
      case '/api/v1/secret/delete':
        return this.del(this.secrets, b);
      case '/api/v1/entity/get':
        return this.get(this.entityMap(b.entityName), b);
      case '/api/v1/entity/set':
        this.checkEntityValue(b.entityName, b.value);
        return this.set(this.entityMap(b.entityName), b);
      case '/api/v1/entity/delete':
        return this.del(this.entityMap(b.entityName), b);
      case '/api/v1/query':
        return this.query(b);
      case '/api/v1/entity/query':
        return this.entityQuery(b);
      case '/api/v1/batch/get':
        return this.batchGet(b);
      case '/api/v1/batch/set':
        return this.batchSet(b);
      case '/api/v1/batch/delete':
        return this.batchDelete(b);
      case '/api/v1/transaction':
        return this.transaction(b);
      default:
        throw new KvsError(404, 'NOT_FOUND', `No KVS endpoint ${p}`);
    }
  }

  private live(m: Map<string, Item>, key: string): Item | undefined {
    const it = m.get(key);
    if (it && it.expireAt !== undefined && it.expireAt <= this.now()) {
      m.delete(key);
      return undefined;
    }
    return it;
  }

  private entityMap(name: unknown): Map<string, Item> {
    const n = String(name ?? '');
    if (!this.defs.has(n))
      throw new KvsError(400, 'ENTITY_NOT_FOUND', `Custom entity ${n} is not defined in the manifest`);
    let m = this.entities.get(n);
    if (!m) {
      m = new Map();
      this.entities.set(n, m);
    }
    return m;
  }

  private checkEntityValue(name: unknown, value: unknown): void {
    const def = this.defs.get(String(name ?? ''));
    if (!def) return;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new KvsError(400, 'INVALID_ENTITY', 'An entity value must be an object');
    }
    for (const [attr, v] of Object.entries(value as Record<string, unknown>)) {
      const a = def.attributes[attr];
      if (!a)
        throw new KvsError(
          400,
          'INVALID_ATTRIBUTE',
          `Attribute ${attr} is not defined for entity ${def.name}`,
        );
      const ok =
        v === null ||
        a.type === 'any' ||
        (a.type === 'string' && typeof v === 'string') ||
        (a.type === 'boolean' && typeof v === 'boolean') ||
        (a.type === 'integer' && Number.isInteger(v)) ||
        (a.type === 'float' && typeof v === 'number');
      if (!ok)
        throw new KvsError(
          400,
          'INVALID_ATTRIBUTE_TYPE',
          `Attribute ${attr} of ${def.name} must be ${a.type}`,
        );
    }
  }

  private checkKey(key: unknown): string {
    if (typeof key !== 'string' || key.length === 0)
      throw new KvsError(400, 'EMPTY_KEY', 'Key cannot be empty.');
    if (key.length > KVS_LIMITS.keyLength)
      throw new KvsError(400, 'KEY_TOO_LONG', 'The provided key has exceeded the maximum 500 characters.');
    if (!KEY_RE.test(key))
      throw new KvsError(
        400,
        'INVALID_KEY',
        'The provided key does not match the regex: /^(?!\\s+$)[a-zA-Z0-9:._\\s-#]+$/',
      );
    return key;
  }

  private checkValue(value: unknown): number {
    if (value === undefined) throw new KvsError(400, 'INVALID_VALUE', 'Value cannot be undefined');
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > KVS_LIMITS.valueBytes)
      throw new KvsError(400, 'MAX_SIZE', 'The provided value has exceeded the maximum size limit.');
    if (depthOf(value) > KVS_LIMITS.depth)
      throw new KvsError(400, 'MAX_DEPTH', 'The provided value has exceeded the maximum object depth limit.');
    return bytes;
  }

  private units(bytes: number): number {
    return Math.max(1, Math.ceil(bytes / 10240));
  }

  private view(key: string, it: Item, withMeta: boolean): Record<string, unknown> {
    return {
      key,
      value: structuredClone(it.value),
      ...(withMeta ? { createdAt: it.createdAt, updatedAt: it.updatedAt } : {}),
      ...(it.expireAt !== undefined ? { expireTime: new Date(it.expireAt).toISOString() } : {}),
    };
  }

  private get(m: Map<string, Item>, b: Record<string, unknown>): KvsReply {
    const key = this.checkKey(b.key);
    this.s.reads++;
    const it = this.live(m, key);
    if (!it) {
      this.s.readUnits += 1;
      throw new KvsError(404, 'KEY_NOT_FOUND', `Key ${key} was not found`);
    }
    this.s.readUnits += this.units(Buffer.byteLength(JSON.stringify(it.value)));
    return { status: 200, body: this.view(key, it, true) };
  }

  private applySet(
    m: Map<string, Item>,
    key: string,
    value: unknown,
    options: Record<string, unknown> | undefined,
  ): { prev?: Item; next: Item } {
    const prev = this.live(m, key);
    if (options?.keyPolicy === 'FAIL_IF_EXISTS' && prev) {
      throw new KvsError(409, 'KEY_ALREADY_EXISTS', `Key ${key} already exists`);
    }
    const now = this.now();
    const ttl = options?.ttl as { value?: number; unit?: string } | undefined;
    const next: Item = { value: structuredClone(value), createdAt: prev?.createdAt ?? now, updatedAt: now };
    if (ttl && typeof ttl.value === 'number')
      next.expireAt = now + ttl.value * (TTL_UNIT_MS[ttl.unit ?? 'SECONDS'] ?? 1000);
    m.set(key, next);
    return { ...(prev ? { prev } : {}), next };
  }

  private set(m: Map<string, Item>, b: Record<string, unknown>): KvsReply {
    const key = this.checkKey(b.key);
    const bytes = this.checkValue(b.value);
    const options = b.options as Record<string, unknown> | undefined;
    const { prev, next } = this.applySet(m, key, b.value, options);
    this.s.writes++;
    this.s.writeUnits += this.units(bytes);
    if (options && 'returnValue' in options) {
      const src = options.returnValue === 'PREVIOUS' ? prev : next;
      if (!src) return { status: 200, body: '' };
      return { status: 200, body: this.view(key, src, true) };
    }
    return { status: 204 };
  }

  private del(m: Map<string, Item>, b: Record<string, unknown>): KvsReply {
    const key = this.checkKey(b.key);
    this.s.deletes++;
    this.s.writeUnits += 1;
    m.delete(key);
    return { status: 204 };
  }

  private query(b: Record<string, unknown>): KvsReply {
    this.s.queries++;
    const limit = b.limit === undefined ? KVS_LIMITS.queryLimitDefault : Number(b.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > KVS_LIMITS.queryLimitMax) {
      throw new KvsError(400, 'INVALID_LIMIT', `limit must be between 1 and ${KVS_LIMITS.queryLimitMax}`);
    }
    const where = (b.where as Cond[] | undefined) ?? [];
    for (const w of where) {
      if (w.property !== 'key' || w.condition !== 'BEGINS_WITH') {
        throw new KvsError(400, 'INVALID_WHERE', 'Only where key BEGINS_WITH is supported');
      }
    }
    const keys = [...this.kv.keys()]
      .filter((k) => this.live(this.kv, k) && where.every((w) => testCond(k, w)))
      .sort();
    const start = decodeCursor(b.after);
    const page = keys.slice(start, start + limit);
    const withMeta = Array.isArray((b.options as { metadataFields?: unknown } | undefined)?.metadataFields);
    for (const k of page)
      this.s.readUnits += this.units(Buffer.byteLength(JSON.stringify(this.kv.get(k)!.value)));
    this.s.reads += page.length;
    return {
      status: 200,
      body: {
        data: page.map((k) => this.view(k, this.kv.get(k)!, withMeta)),
        ...(start + limit < keys.length ? { cursor: encodeCursor(start + limit) } : {}),
      },
    };
  }

  private indexOf(def: EntityDef, name: string): EntityIndexDef {
    for (const ix of def.indexes ?? []) {
      if (typeof ix === 'string' && ix === name) return { name, range: [ix] };
      if (typeof ix !== 'string' && ix.name === name) return ix;
    }
    throw new KvsError(400, 'INDEX_NOT_FOUND', `Index ${name} is not defined for entity ${def.name}`);
  }

  private entityQuery(b: Record<string, unknown>): KvsReply {
    this.s.queries++;
    const name = String(b.entityName ?? '');
    const def = this.defs.get(name);
    if (!def)
      throw new KvsError(400, 'ENTITY_NOT_FOUND', `Custom entity ${name} is not defined in the manifest`);
    const ix = this.indexOf(def, String(b.indexName ?? ''));
    const limit = b.limit === undefined ? KVS_LIMITS.entityQueryLimitDefault : Number(b.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > KVS_LIMITS.entityQueryLimitMax) {
      throw new KvsError(
        400,
        'INVALID_LIMIT',
        `limit must be between 1 and ${KVS_LIMITS.entityQueryLimitMax}`,
      );
    }
    const filters = b.filters as { and?: Cond[]; or?: Cond[] } | undefined;
    const nConds = (filters?.and?.length ?? 0) + (filters?.or?.length ?? 0) + (b.range ? 1 : 0);
    if (nConds > KVS_LIMITS.entityQueryConditionsMax)
      throw new KvsError(400, 'TOO_MANY_CONDITIONS', 'A query may have at most 100 conditions');
    const partition = (b.partition as unknown[] | undefined) ?? [];
    const partAttrs = ix.partition ?? [];
    if (partAttrs.length > 0 && partition.length !== partAttrs.length) {
      throw new KvsError(
        400,
        'INVALID_PARTITION',
        `Index ${ix.name} needs a partition of ${partAttrs.length} value(s)`,
      );
    }
    const rangeAttr = ix.range[0]!;
    const range = b.range as Cond | undefined;
    const m = this.entities.get(name) ?? new Map<string, Item>();
    const rows: { key: string; it: Item; rv: unknown }[] = [];
    for (const key of m.keys()) {
      const it = this.live(m, key);
      if (!it) continue;
      const obj = it.value as Record<string, unknown>;
      if (ix.range.some((a) => obj[a] === undefined || obj[a] === null)) continue;
      if (partAttrs.some((a, i) => obj[a] !== partition[i])) continue;
      if (range && !testCond(obj[rangeAttr], range)) continue;
      if (!testFilters(obj, filters)) continue;
      rows.push({ key, it, rv: obj[rangeAttr] });
    }
    rows.sort((x, y) => {
      for (const a of ix.range) {
        const c = cmp((x.it.value as Record<string, unknown>)[a], (y.it.value as Record<string, unknown>)[a]);
        if (c !== 0) return c;
      }
      return cmp(x.key, y.key);
    });
    if (b.sort === 'DESC') rows.reverse();
    const start = decodeCursor(b.cursor);
    const page = rows.slice(start, start + limit);
    const withMeta =
      Array.isArray(b.metadataFields) ||
      Array.isArray((b.options as { metadataFields?: unknown } | undefined)?.metadataFields);
    this.s.reads += page.length;
    for (const r of page) this.s.readUnits += this.units(Buffer.byteLength(JSON.stringify(r.it.value)));
    return {
      status: 200,
      body: {
        data: page.map((r) => this.view(r.key, r.it, withMeta)),
        ...(start + limit < rows.length ? { cursor: encodeCursor(start + limit) } : {}),
      },
    };
  }

  private batchItems(b: unknown): Record<string, unknown>[] {
    const items = Array.isArray(b) ? b : [];
    if (items.length === 0) throw new KvsError(400, 'EMPTY_BATCH', 'A batch needs at least one item');
    if (items.length > KVS_LIMITS.batchItems)
      throw new KvsError(400, 'BATCH_TOO_LARGE', `A batch may have at most ${KVS_LIMITS.batchItems} items`);
    return items as Record<string, unknown>[];
  }

  private mapFor(entityName: unknown): Map<string, Item> {
    return entityName === undefined || entityName === null ? this.kv : this.entityMap(entityName);
  }

  private itemError(it: Record<string, unknown>, e: unknown): Record<string, unknown> {
    const err =
      e instanceof KvsError
        ? { code: e.code, message: e.message }
        : { code: 'INTERNAL_ERROR', message: String(e) };
    return { key: it.key, ...(it.entityName ? { entityName: it.entityName } : {}), error: err };
  }

  /** Runs `op` on each item of a batch; an item that throws is reported in `failedKeys`, the rest go on. */
  private batch(
    b: unknown,
    op: (it: Record<string, unknown>, key: string) => Record<string, unknown>,
  ): KvsReply {
    const ok: unknown[] = [];
    const failed: unknown[] = [];
    for (const it of this.batchItems(b)) {
      try {
        const key = this.checkKey(it.key);
        ok.push({ ...op(it, key), ...(it.entityName ? { entityName: it.entityName } : {}) });
      } catch (e) {
        failed.push(this.itemError(it, e));
      }
    }
    return { status: 200, body: { successfulKeys: ok, failedKeys: failed } };
  }

  private batchGet(b: unknown): KvsReply {
    return this.batch(b, (it, key) => {
      const m = this.mapFor(it.entityName);
      this.s.reads++;
      const found = this.live(m, key);
      if (!found) throw new KvsError(404, 'KEY_NOT_FOUND', `Key ${key} was not found`);
      this.s.readUnits += this.units(Buffer.byteLength(JSON.stringify(found.value)));
      return this.view(key, found, true);
    });
  }

  private batchSet(b: unknown): KvsReply {
    return this.batch(b, (it, key) => {
      const bytes = this.checkValue(it.value);
      if (it.entityName) this.checkEntityValue(it.entityName, it.value);
      this.applySet(
        this.mapFor(it.entityName),
        key,
        it.value,
        it.options as Record<string, unknown> | undefined,
      );
      this.s.writes++;
      this.s.writeUnits += this.units(bytes);
      return { key };
    });
  }

  private batchDelete(b: unknown): KvsReply {
    return this.batch(b, (it, key) => {
      this.mapFor(it.entityName).delete(key);
      this.s.deletes++;
      this.s.writeUnits += 1;
      return { key };
    });
  }

  private conditionsHold(
    m: Map<string, Item>,
    key: string,
    conditions: { and?: Cond[]; or?: Cond[] } | undefined,
  ): boolean {
    if (!conditions) return true;
    const it = this.live(m, key);
    const obj = (it?.value ?? {}) as Record<string, unknown>;
    return testFilters(obj, conditions);
  }

  private transaction(b: Record<string, unknown>): KvsReply {
    type Op = {
      key: string;
      value?: unknown;
      entityName?: string;
      conditions?: { and?: Cond[]; or?: Cond[] };
      options?: Record<string, unknown>;
    };
    const sets = (b.set as Op[] | undefined) ?? [];
    const dels = (b.delete as Op[] | undefined) ?? [];
    const checks = (b.check as Op[] | undefined) ?? [];
    const n = sets.length + dels.length + checks.length;
    if (n === 0) throw new KvsError(400, 'EMPTY_TRANSACTION', 'A transaction needs at least one operation');
    if (n > KVS_LIMITS.transactionOps)
      throw new KvsError(
        400,
        'TRANSACTION_TOO_LARGE',
        `A transaction may have at most ${KVS_LIMITS.transactionOps} operations`,
      );
    const seen = new Set<string>();
    for (const op of [...sets, ...dels, ...checks]) {
      const id = `${op.entityName ?? ''}\u0000${this.checkKey(op.key)}`;
      if (seen.has(id))
        throw new KvsError(400, 'DUPLICATE_KEY', `Key ${op.key} appears more than once in the transaction`);
      seen.add(id);
    }
    let bytes = 0;
    for (const op of sets) {
      bytes += this.checkValue(op.value);
      if (op.entityName) this.checkEntityValue(op.entityName, op.value);
    }
    if (bytes > 4 * 1024 * 1024)
      throw new KvsError(400, 'TRANSACTION_TOO_LARGE', 'A transaction may carry at most 4 MB');
    for (const op of [...sets, ...dels, ...checks]) {
      if (!this.conditionsHold(this.mapFor(op.entityName), op.key, op.conditions)) {
        throw new KvsError(
          409,
          'CONDITIONAL_CHECK_FAILED',
          `A condition on key ${op.key} did not hold; nothing was written`,
        );
      }
    }
    for (const op of sets) {
      this.applySet(this.mapFor(op.entityName), op.key, op.value, op.options);
      this.s.writes++;
      this.s.writeUnits += this.units(Buffer.byteLength(JSON.stringify(op.value)));
    }
    for (const op of dels) {
      this.mapFor(op.entityName).delete(op.key);
      this.s.deletes++;
      this.s.writeUnits += 1;
    }
    this.s.reads += checks.length;
    return { status: 204 };
  }
}
