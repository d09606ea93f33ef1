/**
 * The core's ports over the real Forge SDKs: @forge/kvs (KVS, custom entities, secret store), @forge/sql
 * (the inbox and de-duplication marks; the migration runner for the schema), @forge/api
 * (product REST as the app or the user; external fetch through global fetch, which the platform limits to
 * the egress manifest.yml declares) and @forge/events (queues). The only module in src/forge that touches
 * Forge besides index.ts.
 */
import api from '@forge/api';
import { Queue } from '@forge/events';
import { kvs, WhereConditions, Sort } from '@forge/kvs';
import { migrationRunner, sql, type UpdateQueryResponse } from '@forge/sql';
import type {
  BatchKey,
  BatchSetItem,
  EntityQuery,
  ExternalFetch,
  HttpAnswer,
  KvPage,
  KvPort,
  ProductApi,
  QueueName,
  QueuePort,
  RequestInit,
  SqlPort,
} from '../core/ports';
import { routeFor, type Requester } from './routes';

type Ttl = { ttl: { value: number; unit: 'SECONDS' } };
const ttl = (s: number | undefined): Ttl | undefined =>
  s === undefined ? undefined : { ttl: { value: s, unit: 'SECONDS' } };

function failed(
  what: string,
  r: { failedKeys: { key: string; error: { code?: string; message?: string } }[] },
): void {
  if (r.failedKeys.length > 0) {
    const f = r.failedKeys[0];
    throw new Error(
      `${what}: ${r.failedKeys.length} key(s) failed (${f?.error.code ?? ''} ${f?.error.message ?? ''})`,
    );
  }
}

export class ForgeKv implements KvPort {
  get<T>(key: string): Promise<T | undefined> {
    return kvs.get<T>(key);
  }
  async set(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const o = ttl(ttlSeconds);
    if (o) await kvs.set(key, value, o);
    else await kvs.set(key, value);
  }
  delete(key: string): Promise<void> {
    return kvs.delete(key);
  }
  async batchGet<T>(keys: readonly BatchKey[]): Promise<Map<string, T>> {
    const r = await kvs.batchGet<T>(
      keys.map((k) => ({ key: k.key, ...(k.entity ? { entityName: k.entity } : {}) })),
    );
    const out = new Map<string, T>();
    for (const s of r.successfulKeys) if (s.value !== undefined) out.set(s.key, s.value);
    return out;
  }
  async batchSet(items: readonly BatchSetItem[]): Promise<void> {
    const r = await kvs.batchSet(
      items.map((i) => {
        const o = ttl(i.ttlSeconds);
        return {
          key: i.key,
          value: i.value,
          ...(i.entity ? { entityName: i.entity } : {}),
          ...(o ? { options: o } : {}),
        };
      }),
    );
    failed('batchSet', r);
  }
  async batchDelete(keys: readonly BatchKey[]): Promise<void> {
    const r = await kvs.batchDelete(
      keys.map((k) => ({ key: k.key, ...(k.entity ? { entityName: k.entity } : {}) })),
    );
    failed('batchDelete', r);
  }
  async queryPrefix<T>(prefix: string, limit: number, cursor?: string): Promise<KvPage<T>> {
    let q = kvs.query().where('key', WhereConditions.beginsWith(prefix)).limit(Math.min(limit, 20));
    if (cursor !== undefined) q = q.cursor(cursor);
    const r = await q.getMany<T>();
    return { results: r.results, ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}) };
  }
  entityGet<T>(entity: string, key: string): Promise<T | undefined> {
    return kvs.entity<T>(entity).get(key);
  }
  async entityQuery<T>(entity: string, q: EntityQuery): Promise<KvPage<T>> {
    let b = kvs
      .entity<T>(entity)
      .query()
      .index(q.index, q.partition ? { partition: [...q.partition] } : undefined);
    const r = q.range;
    if (r?.gte !== undefined && r.lte !== undefined) b = b.where(WhereConditions.between(r.gte, r.lte));
    else if (r?.gte !== undefined) b = b.where(WhereConditions.greaterThanEqualTo(r.gte));
    else if (r?.lte !== undefined) b = b.where(WhereConditions.lessThanEqualTo(r.lte));
    if (q.descending) b = b.sort(Sort.DESC);
    b = b.limit(Math.min(q.limit, 100));
    if (q.cursor !== undefined) b = b.cursor(q.cursor);
    const out = await b.getMany();
    return { results: out.results, ...(out.nextCursor ? { nextCursor: out.nextCursor } : {}) };
  }
  getSecret(key: string): Promise<string | undefined> {
    return kvs.getSecret<string>(key);
  }
  setSecret(key: string, value: string): Promise<void> {
    return kvs.setSecret(key, value);
  }
  deleteSecret(key: string): Promise<void> {
    return kvs.deleteSecret(key);
  }
}

/** Forge SQL through @forge/sql: `sql.prepare(query).bindParams(...).execute()` sends one statement to
 *  `/api/v1/execute`; the migration runner sends DDL to `/api/v1/execute/ddl` and records each migration's
 *  name in its `__migrations` table, so a migration runs once per installation. */
export const forgeSql: SqlPort = {
  async query<T>(query: string, params: readonly (string | number | null)[] = []): Promise<T[]> {
    const r = await sql
      .prepare<T>(query)
      .bindParams(...params)
      .execute();
    return r.rows as T[];
  },
  async execute(query, params = []) {
    const r = await sql
      .prepare<UpdateQueryResponse>(query)
      .bindParams(...params)
      .execute();
    return { affectedRows: r.rows.affectedRows };
  },
  async migrate(migrations) {
    for (const m of migrations) migrationRunner.enqueue(m.name, m.ddl);
    await migrationRunner.run();
  },
};

/** Product REST through @forge/api, only along the routes of ./routes.ts (which the Forge linter checks
 *  against the manifest's scopes); any other path is refused here. */
export function productApi(who: () => Requester): ProductApi {
  return {
    async request(product, path, init?: RequestInit): Promise<HttpAnswer> {
      const method = init?.method ?? 'GET';
      const found = routeFor(product, method, path);
      if (!found)
        throw new Error(
          `${method} ${product} ${path.split('?')[0] ?? ''} is not an allowed route (src/forge/adapters/routes.ts)`,
        );
      const headers = { Accept: 'application/json', ...(init?.headers ?? {}) };
      return found.entry.call(who(), found.match, headers, init?.body);
    },
  };
}

export const asAppApi: ProductApi = productApi(() => api.asApp());
export const asUserApi: ProductApi = productApi(() => api.asUser());

/** External egress with global fetch (the platform enforces manifest.yml's egress list). */
export const externalFetch: ExternalFetch = async (url, init) => {
  const r = await fetch(url, {
    method: init?.method ?? 'GET',
    ...(init?.headers ? { headers: init.headers } : {}),
    ...(init?.body !== undefined ? { body: init.body } : {}),
    redirect: 'error',
  });
  return r;
};

const queues = new Map<QueueName, Queue>();

export const forgeQueue: QueuePort = {
  async push(name, body, delaySeconds) {
    let q = queues.get(name);
    if (!q) {
      q = new Queue({ key: name });
      queues.set(name, q);
    }
    // One ingest batch at a time per installation: batches share the engine snapshot.
    await q.push({
      body,
      ...(delaySeconds !== undefined ? { delayInSeconds: delaySeconds } : {}),
      ...(name === 'ingest' ? { concurrency: { key: 'ingest', limit: 1 } } : {}),
    });
  },
};
