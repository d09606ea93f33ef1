/**
 * What the Forge app's core needs from its host, as small interfaces (decision 0016). The Forge adapters in
 * ../adapters implement them over the real SDKs (@forge/kvs, @forge/sql, @forge/api, @forge/events); tests
 * use the in-memory KVS in memory.ts and the harness's SQLite-backed Forge SQL emulator. Nothing in core/
 * imports a Forge package.
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

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

/** What an INSERT, UPDATE or DELETE reports. */
export interface SqlWriteResult {
  readonly affectedRows: number;
}

/**
 * Forge SQL (one MySQL-compatible TiDB database per installation), as far as Bulkhead uses it: one statement
 * per call, `?` placeholders, MySQL syntax. Limits that shape the callers: 150 DML requests a second,
 * requests ≤ 1 MiB, responses ≤ 4 MiB, 62.5 s of query time a minute, 1 GiB of storage.
 */
export interface SqlPort {
  /** A statement that returns rows (SELECT). */
  query<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** A statement that changes rows (INSERT, UPDATE, DELETE). */
  execute(sql: string, params?: readonly SqlValue[]): Promise<SqlWriteResult>;
  /** Runs, in order, the named schema changes not run before (each recorded once it has run). */
  migrate(migrations: readonly { readonly name: string; readonly ddl: string }[]): Promise<void>;
}

/** One inbox item: up to RECORDS_PER_ITEM records received together from one source (`forge-event`,
 *  `jira-audit`, `confluence-audit`, `org-webhook`, `org-events`, `bitbucket-webhook`, `forwarder`). */
export interface InboxRow {
  /** Arrival-ordered id (`<13-digit ms>:<hash>`), or `e:<hash>` for a product event (a duplicate delivered
   *  while the first waits is the same row). */
  readonly id: string;
  readonly source: string;
  readonly receivedAt: number;
  readonly records: readonly unknown[];
  /** The snapshot generation of the drain that took it (set just before that drain commits): at or below
   *  the committed `head.gen` it was consumed (a crash came between commit and delete), above it the drain
   *  did not commit and the item is taken again. */
  readonly gen?: number;
}

/**
 * Where received records wait for the drain, and the per-record de-duplication marks. Every call is
 * idempotent: storing a stored id or marking a marked record changes nothing.
 */
export interface InboxPort {
  /** Stores the rows; returns once all are stored (a poller moves its cursor only after this). */
  put(rows: readonly InboxRow[]): Promise<void>;
  /** The oldest rows in arrival order (receivedAt, then id): at most `limit`, and no more once their
   *  records pass `maxBytes` (at least one); `more` when rows were left. */
  read(limit: number, maxBytes: number): Promise<{ rows: InboxRow[]; more: boolean }>;
  /** Tags these rows with the generation the drain is about to commit. */
  claim(ids: readonly string[], gen: number): Promise<void>;
  /** Deletes exactly these rows (what a drain committed). */
  delete(ids: readonly string[]): Promise<void>;
  /** Which of these record keys have a de-duplication mark (kept at least SEEN_TTL_MS, ./inbox.ts). */
  seen(keys: readonly string[]): Promise<Set<string>>;
  /** Marks records as drained at `at` (epoch ms), and forgets marks older than the TTL. */
  markSeen(keys: readonly string[], at: number): Promise<void>;
}
