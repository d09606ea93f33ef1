/**
 * The ingestion inbox and the per-record de-duplication marks on Forge SQL (decision 0016, "Ingestion"),
 * over a `SqlPort`. On KVS every product event cost an inbox write and a delete (≥ 2 of the 4,000 write units
 * a minute an installation has); here it costs one INSERT (one of the 150 DML requests a second) and a share
 * of the drain's few statements, and KVS is left to the snapshot, cursors, settings and drain marks.
 *
 * A drain reads the oldest rows in arrival order, tags them with the snapshot generation it is about to commit
 * (`claim`), commits on KVS, then deletes exactly those rows: after a crash between the commit and the
 * delete, rows tagged at or below the committed generation are known consumed and only deleted; rows tagged
 * above it belong to a drain that never committed and are taken again.
 *
 * Statements are MySQL (TiDB), one per request, with `?` placeholders; a request stays under the 1 MiB limit
 * and a response under 4 MiB (records are read in groups by size). Idempotent throughout: rows and marks are
 * keyed by id and record hash and written with INSERT IGNORE, so a repeated store or mark changes nothing.
 * The schema is created by the migration runner at install and, for an installation that had the app before
 * the `sql` module (a major version), on first use: a statement failing on a missing table runs the
 * migrations and is tried once more.
 */
import type { InboxPort, InboxRow, SqlPort, SqlValue } from './ports';

/** The schema, in order; a name is never reused for another statement (the runner skips names it ran). */
export const INBOX_MIGRATIONS: readonly { readonly name: string; readonly ddl: string }[] = [
  {
    name: 'v001_create_inbox',
    ddl:
      'CREATE TABLE IF NOT EXISTS inbox (' +
      'id VARCHAR(64) NOT NULL PRIMARY KEY, ' +
      'received_at BIGINT NOT NULL, ' +
      'source VARCHAR(32) NOT NULL, ' +
      'records MEDIUMTEXT NOT NULL, ' +
      'drained_gen BIGINT NULL, ' +
      'KEY inbox_arrival (received_at, id))',
  },
  {
    name: 'v002_create_seen',
    ddl:
      'CREATE TABLE IF NOT EXISTS seen (' +
      'record_key CHAR(32) NOT NULL PRIMARY KEY, ' +
      'at BIGINT NOT NULL, ' +
      'KEY seen_at (at))',
  },
];

/** How long a record's de-duplication mark is honoured: longer than a queue's retention (24 h) and retries. */
export const SEEN_TTL_MS = 3 * 86_400_000;
/** Expired marks are deleted at most this often per runtime instance (one DELETE). */
const PRUNE_EVERY_MS = 3_600_000;
/** Bytes of parameters per INSERT: under the 1 MiB request limit with the JSON encoding's overhead. */
const INSERT_BYTES = 900_000;
/** Bytes of records per SELECT: under the 4 MiB response limit with the JSON encoding's overhead. */
const SELECT_BYTES = 3_000_000;
/** Ids per `IN (…)` list (a drain of 17,000 items: 9 UPDATEs and 9 DELETEs; ~60 KB a request). */
const IN_LIST = 2000;
/** Rows per multi-row INSERT. */
const INSERT_ROWS = 500;

const placeholders = (n: number, group = '?'): string => Array.from({ length: n }, () => group).join(', ');

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function missingTable(err: unknown): boolean {
  return /doesn't exist|no such table/i.test((err as Error | undefined)?.message ?? '');
}

export class SqlInbox implements InboxPort {
  private prunedAt = -Infinity;

  constructor(private readonly sql: SqlPort) {}

  /** Creates the tables if they are not there (install; idempotent). */
  migrate(): Promise<void> {
    return this.sql.migrate(INBOX_MIGRATIONS);
  }

  /** Runs `fn`; on a missing table, migrates and runs it once more. */
  private async withSchema<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!missingTable(err)) throw err;
      await this.migrate();
      return fn();
    }
  }

  async put(rows: readonly InboxRow[]): Promise<void> {
    const groups: InboxRow[][] = [];
    let cur: InboxRow[] = [];
    let bytes = 0;
    const texts = new Map<InboxRow, string>();
    for (const r of rows) {
      const text = JSON.stringify(r.records);
      texts.set(r, text);
      const size = Buffer.byteLength(text) + r.id.length + r.source.length + 64;
      if (cur.length > 0 && (bytes + size > INSERT_BYTES || cur.length >= INSERT_ROWS)) {
        groups.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(r);
      bytes += size;
    }
    if (cur.length > 0) groups.push(cur);
    for (const g of groups) {
      const params: SqlValue[] = [];
      for (const r of g) params.push(r.id, r.receivedAt, r.source, texts.get(r) ?? '[]');
      await this.withSchema(() =>
        this.sql.execute(
          `INSERT IGNORE INTO inbox (id, received_at, source, records) VALUES ${placeholders(g.length, '(?, ?, ?, ?)')}`,
          params,
        ),
      );
    }
  }

  async read(limit: number, maxBytes: number): Promise<{ rows: InboxRow[]; more: boolean }> {
    if (limit <= 0) return { rows: [], more: false };
    const all = await this.withSchema(() =>
      this.sql.query<{
        id: string;
        source: string;
        received_at: number | string;
        size: number | string;
        drained_gen: number | string | null;
      }>(
        'SELECT id, source, received_at, LENGTH(records) AS size, drained_gen FROM inbox ' +
          'ORDER BY received_at, id LIMIT ?',
        [limit + 1],
      ),
    );
    let total = 0;
    let take = 0;
    for (const h of all.slice(0, limit)) {
      if (take > 0 && total + Number(h.size) > maxBytes) break;
      total += Number(h.size);
      take++;
    }
    const heads = all.slice(0, take);
    const more = all.length > take;
    if (heads.length === 0) return { rows: [], more };
    // The records, in groups that keep each response under the 4 MiB limit.
    const records = new Map<string, unknown[]>();
    let group: string[] = [];
    let bytes = 0;
    const fetch = async (ids: readonly string[]): Promise<void> => {
      if (ids.length === 0) return;
      const got = await this.sql.query<{ id: string; records: string }>(
        `SELECT id, records FROM inbox WHERE id IN (${placeholders(ids.length)})`,
        ids,
      );
      for (const r of got) records.set(r.id, JSON.parse(r.records) as unknown[]);
    };
    for (const h of heads) {
      const size = Number(h.size);
      if (group.length > 0 && (bytes + size > SELECT_BYTES || group.length >= IN_LIST)) {
        await fetch(group);
        group = [];
        bytes = 0;
      }
      group.push(h.id);
      bytes += size;
    }
    await fetch(group);
    const rows: InboxRow[] = [];
    for (const h of heads) {
      const recs = records.get(h.id);
      if (recs)
        rows.push({
          id: h.id,
          source: h.source,
          receivedAt: Number(h.received_at),
          records: recs,
          ...(h.drained_gen !== null && h.drained_gen !== undefined ? { gen: Number(h.drained_gen) } : {}),
        });
    }
    return { rows, more };
  }

  async claim(ids: readonly string[], gen: number): Promise<void> {
    for (const g of chunks(ids, IN_LIST))
      await this.withSchema(() =>
        this.sql.execute(`UPDATE inbox SET drained_gen = ? WHERE id IN (${placeholders(g.length)})`, [
          gen,
          ...g,
        ]),
      );
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (const g of chunks(ids, IN_LIST))
      await this.withSchema(() =>
        this.sql.execute(`DELETE FROM inbox WHERE id IN (${placeholders(g.length)})`, g),
      );
  }

  async seen(keys: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const g of chunks([...new Set(keys)], IN_LIST)) {
      const rows = await this.withSchema(() =>
        this.sql.query<{ record_key: string }>(
          `SELECT record_key FROM seen WHERE record_key IN (${placeholders(g.length)})`,
          g,
        ),
      );
      for (const r of rows) out.add(r.record_key);
    }
    return out;
  }

  async markSeen(keys: readonly string[], at: number): Promise<void> {
    for (const g of chunks([...new Set(keys)], INSERT_ROWS))
      await this.withSchema(() =>
        this.sql.execute(
          `INSERT IGNORE INTO seen (record_key, at) VALUES ${placeholders(g.length, '(?, ?)')}`,
          g.flatMap((k) => [k, at]),
        ),
      );
    if (at - this.prunedAt >= PRUNE_EVERY_MS || at < this.prunedAt) {
      this.prunedAt = at;
      await this.withSchema(() => this.sql.execute('DELETE FROM seen WHERE at < ?', [at - SEEN_TTL_MS]));
    }
  }
}
