/**
 * What the Forge app's core needs from its host, as small interfaces (decision 0016). The Forge adapters in
 * ../adapters implement them over the real SDKs (@forge/kvs, @forge/api, @forge/events); tests and the
 * KVS benchmark use the in-memory ones in memory.ts. Nothing in core/ imports a Forge package.
 */

/** One stored value with its key, as KVS and custom-entity queries return them. */
export interface KvEntry<T> {
  readonly key: string;
  readonly value: T;
}

export interface KvPage<T> {
  readonly results: readonly KvEntry<T>[];
  readonly nextCursor?: string;
}

/** A range condition on an entity index's range attribute. */
export interface RangeCondition {
  readonly gte?: number | string;
  readonly lte?: number | string;
}

export interface EntityQuery {
  readonly index: string;
  readonly partition?: readonly (string | number)[];
  readonly range?: RangeCondition;
  readonly limit: number;
  readonly cursor?: string;
  readonly descending?: boolean;
}

export interface BatchSetItem {
  readonly key: string;
  readonly value: unknown;
  /** A custom entity's name; absent for a plain KVS key. */
  readonly entity?: string;
  /** Time to live in seconds (dedupe marks, replay marks). */
  readonly ttlSeconds?: number;
}

export interface BatchKey {
  readonly key: string;
  readonly entity?: string;
}

/** Forge hosted storage (KVS + custom entities + secret store), as far as Bulkhead uses it. Batches are at
 *  most 25 keys (the platform's limit); `Storage` splits larger ones. */
export interface KvPort {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  delete(key: string): Promise<void>;
  batchGet<T>(keys: readonly BatchKey[]): Promise<Map<string, T>>;
  batchSet(items: readonly BatchSetItem[]): Promise<void>;
  batchDelete(keys: readonly BatchKey[]): Promise<void>;
  /** Keys beginning with `prefix`, in key order; at most 20 per page (the platform's limit). */
  queryPrefix<T>(prefix: string, limit: number, cursor?: string): Promise<KvPage<T>>;
  entityGet<T>(entity: string, key: string): Promise<T | undefined>;
  entityQuery<T>(entity: string, q: EntityQuery): Promise<KvPage<T>>;
  getSecret(key: string): Promise<string | undefined>;
  setSecret(key: string, value: string): Promise<void>;
  deleteSecret(key: string): Promise<void>;
}

/** An answer from a product or the Admin API. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers?: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface RequestInit {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/**
 * Product REST as the app (`asApp`) or as the calling user (`asUser`, resolvers only). Paths are relative to
 * the product (`/rest/api/3/...`, `/wiki/rest/api/...`, `/2.0/...`).
 */
export interface ProductApi {
  request(
    product: 'jira' | 'confluence' | 'bitbucket',
    path: string,
    init?: RequestInit,
  ): Promise<HttpAnswer>;
}

/** External egress (declared in manifest.yml): the Admin API, chat webhooks. */
export type ExternalFetch = (url: string, init?: RequestInit) => Promise<HttpAnswer>;

/** A queue the app pushes jobs to (`ingest`, `contain`). */
export interface QueuePort {
  push(queue: QueueName, body: Record<string, unknown>, delaySeconds?: number): Promise<void>;
}
export type QueueName = 'ingest' | 'contain';

/** Log lines go through this so no secret can reach them (the adapter prints; tests collect). */
export type Logger = (line: string) => void;
