/**
 * Forge SQL for the local harness: one in-memory SQLite database (better-sqlite3) per harness, i.e. per
 * installation, answering what @forge/sql 4.0.8 sends through `__forge_fetch__({type:'sql', provider:'app',
 * remote:'sql'}, path, {method:'POST', body})`:
 *
 *   POST /api/v1/execute       body {query, params, method:'all'}   (sql.prepare(q).bindParams(…).execute())
 *   POST /api/v1/execute/ddl   body {query, params, method:'all'}   (sql.executeDDL(q), the migration runner)
 *
 * and answering as the SDK reads it (node_modules/@forge/sql/out/sql.js, utils/types.d.ts): 200 with
 * `{rows: [...]}` for a statement that returns rows, `{rows: {affectedRows, insertId, fieldCount, info,
 * serverStatus, warningStatus}}` (mysql2's result header) for any other; an error as a non-2xx status with
 * `{code, message}` (the SDK throws `ForgeSQLAPIError` with both).
 *
 * THIS IS A SIMULATION WITH DIALECT DRIFT. Forge SQL is TiDB (MySQL-compatible); SQLite is not. The app's
 * statements are written in MySQL and translated here, only for the small subset the app uses
 * (`translateMySql`, the complete list):
 *   - `INSERT IGNORE INTO` → `INSERT OR IGNORE INTO`;
 *   - `AUTO_INCREMENT` on a `BIGINT PRIMARY KEY` column → `INTEGER PRIMARY KEY AUTOINCREMENT` (the migration
 *     runner's `__migrations` table);
 *   - `KEY name (cols)` / `INDEX name (cols)` inside `CREATE TABLE` → a separate
 *     `CREATE INDEX IF NOT EXISTS name ON table (cols)` run right after it;
 *   - table options after the closing parenthesis (`ENGINE=…`, `DEFAULT CHARSET=…`) are dropped;
 *   - one trailing `;` is dropped.
 * Types are left as written: SQLite accepts `BIGINT`, `VARCHAR(n)`, `CHAR(n)`, `MEDIUMTEXT`, `TIMESTAMP` by
 * affinity but enforces neither lengths nor sizes; `LENGTH()` counts characters here, bytes in MySQL;
 * TIMESTAMP values come back as `YYYY-MM-DD HH:MM:SS` text. SQLite's "no such table: t" is reported as MySQL's
 * "Table 't' doesn't exist". Anything else (ON DUPLICATE KEY UPDATE, DELETE … LIMIT, MySQL functions)
 * is not translated and fails or behaves as SQLite does.
 *
 * Limits (forge-platform.md §E), enforced: one statement per query (400 INVALID_SQL_QUERY), request body
 * ≤ 1 MiB (413), response ≤ 4 MiB (400), DDL (CREATE/ALTER/DROP/TRUNCATE/RENAME) only through
 * /api/v1/execute/ddl (an assumption: the SDK keeps the two endpoints apart), no FOREIGN KEY (400). Counted
 * for tests (`stats()`): requests per endpoint, DML requests per simulated second (peak) and per simulated
 * minute, DDL requests per minute, statements by verb, rows read and written, and the time SQLite took
 * (wall clock: says nothing about TiDB's query time). With `enforceRateLimits`, more than 150 DML requests in
 * one simulated second or 25 DDL requests in one simulated minute answer 429. Not simulated: the 62.5 s of
 * query time per minute, per-statement timeouts, query memory, the 1 GiB storage quota (see
 * `storageBytes()`, SQLite's own page count), transactions across requests, TiDB's isolation and
 * consistency, the real error codes and messages.
 */
import Database from 'better-sqlite3';

export const SQL_LIMITS = {
  dmlPerSecond: 150,
  ddlPerMinute: 25,
  requestBytes: 1024 * 1024,
  responseBytes: 4 * 1024 * 1024,
  queryMsPerMinute: 62_500,
  storageBytes: 1024 * 1024 * 1024,
} as const;

export interface SqlStats {
  /** Requests by endpoint path. */
  requests: Record<string, number>;
  /** Requests through /api/v1/execute (SELECT, INSERT, UPDATE, DELETE: what the 150/s limit counts). */
  dml: number;
  /** Requests through /api/v1/execute/ddl. */
  ddl: number;
  /** Statements by leading verb (SELECT, INSERT, DELETE, CREATE…). */
  statements: Record<string, number>;
  /** The most DML requests within one simulated second, and within one simulated minute. */
  peakDmlPerSecond: number;
  peakDmlPerMinute: number;
  peakDdlPerMinute: number;
  rowsRead: number;
  rowsWritten: number;
  /** Wall-clock milliseconds SQLite spent executing (not TiDB's query time). */
  queryMs: number;
  /** Request and response body bytes. */
  requestBytes: number;
  responseBytes: number;
  /** Requests answered with a non-2xx status. */
  errors: number;
}

export interface SqlEmulatorOptions {
  /** Answer 429 past 150 DML requests a second or 25 DDL requests a minute (simulated time). */
  enforceRateLimits?: boolean;
}

export interface SqlReply {
  status: number;
  body?: unknown;
}

export interface SqlFault {
  /** Only requests whose path starts with this (`/api/v1/execute/ddl`…). */
  path?: string;
  /** Only queries matching this. */
  query?: RegExp;
  status?: number;
  code?: string;
  count?: number;
}

const DDL = /^\s*(CREATE|ALTER|DROP|TRUNCATE|RENAME)\b/i;

/** The statement with string literals, quoted identifiers and comments blanked, for structural checks. */
function skeleton(q: string): string {
  let out = '';
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < q.length) {
        if (q[j] === '\\' && c !== '`') j += 2;
        else if (q[j] === c && q[j + 1] === c) j += 2;
        else if (q[j] === c) break;
        else j++;
      }
      out += ' '.repeat(Math.min(j, q.length - 1) - i + 1);
      i = j + 1;
    } else if (c === '-' && q[i + 1] === '-') {
      const j = q.indexOf('\n', i);
      const end = j < 0 ? q.length : j;
      out += ' '.repeat(end - i);
      i = end;
    } else if (c === '/' && q[i + 1] === '*') {
      const j = q.indexOf('*/', i + 2);
      const end = j < 0 ? q.length : j + 2;
      out += ' '.repeat(end - i);
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Whether the query holds more than one statement (a `;` followed by anything but blanks). */
export function isMultiStatement(query: string): boolean {
  const s = skeleton(query);
  const at = s.indexOf(';');
  return at >= 0 && s.slice(at + 1).trim() !== '';
}

/**
 * The MySQL statement as SQLite statements (usually one; a CREATE TABLE with inline indexes gives the
 * table then one CREATE INDEX per index). Only the constructs listed in the module comment are translated.
 */
export function translateMySql(query: string): string[] {
  let q = query.trim().replace(/;\s*$/, '');
  q = q.replace(/^INSERT\s+IGNORE\s+INTO\b/i, 'INSERT OR IGNORE INTO');
  const create = /^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(`?[\w]+`?)\s*\(/i.exec(q);
  if (!create) return [q];
  const table = create[2]!;
  const open = create[0].length - 1;
  // The matching parenthesis of the column list.
  let depth = 0;
  let close = -1;
  const sk = skeleton(q);
  for (let i = open; i < sk.length; i++) {
    if (sk[i] === '(') depth++;
    else if (sk[i] === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) return [q];
  const parts: string[] = [];
  depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    if (sk[i] === '(') depth++;
    else if (sk[i] === ')') depth--;
    else if (sk[i] === ',' && depth === 0) {
      parts.push(q.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(q.slice(start, close).trim());
  const columns: string[] = [];
  const indexes: string[] = [];
  for (const p of parts) {
    const idx = /^(?:UNIQUE\s+)?(?:KEY|INDEX)\s+(`?\w+`?)\s*(\(.*\))$/is.exec(p);
    if (idx) {
      const unique = /^UNIQUE/i.test(p) ? 'UNIQUE ' : '';
      indexes.push(`CREATE ${unique}INDEX IF NOT EXISTS ${idx[1]!} ON ${table} ${idx[2]!}`);
    } else {
      columns.push(
        p.replace(/\bBIGINT\s+PRIMARY\s+KEY\s+AUTO_INCREMENT\b/i, 'INTEGER PRIMARY KEY AUTOINCREMENT'),
      );
    }
  }
  return [`${q.slice(0, open + 1)}${columns.join(', ')})`, ...indexes];
}

function verb(query: string): string {
  return (/^\s*(\w+)/.exec(query)?.[1] ?? '').toUpperCase();
}

class SqlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Param = string | number | bigint | null | Buffer;

function toParam(v: unknown): Param {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'bigint') return v;
  if (Buffer.isBuffer(v)) return v;
  // mysql2 binds an object as its JSON text.
  return JSON.stringify(v);
}

export class SqlEmulator {
  readonly db: Database.Database;
  private readonly counts: SqlStats = {
    requests: {},
    dml: 0,
    ddl: 0,
    statements: {},
    peakDmlPerSecond: 0,
    peakDmlPerMinute: 0,
    peakDdlPerMinute: 0,
    rowsRead: 0,
    rowsWritten: 0,
    queryMs: 0,
    requestBytes: 0,
    responseBytes: 0,
    errors: 0,
  };
  /** DML requests per simulated second and minute, DDL per minute (bucket start → count). */
  private readonly dmlSecond = new Map<number, number>();
  private readonly dmlMinute = new Map<number, number>();
  private readonly ddlMinute = new Map<number, number>();
  private readonly faults: (SqlFault & { left: number })[] = [];
  /** Every statement received, in order (query text and params), for tests. */
  readonly log: { path: string; query: string; params: unknown[]; at: number }[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly opts: SqlEmulatorOptions = {},
  ) {
    this.db = new Database(':memory:');
  }

  stats(): SqlStats {
    return structuredClone(this.counts);
  }

  resetStats(): void {
    this.counts.requests = {};
    this.counts.statements = {};
    for (const k of [
      'dml',
      'ddl',
      'peakDmlPerSecond',
      'peakDmlPerMinute',
      'peakDdlPerMinute',
      'rowsRead',
      'rowsWritten',
      'queryMs',
      'requestBytes',
      'responseBytes',
      'errors',
    ] as const)
      this.counts[k] = 0;
    this.dmlSecond.clear();
    this.dmlMinute.clear();
    this.ddlMinute.clear();
    this.log.length = 0;
  }

  /** The next `count` requests (optionally only matching `path` / `query`) fail with `status` (default 500
   *  SQL_EXECUTION_ERROR; 429 RATE_LIMIT_EXCEEDED). The real codes are not documented. */
  injectFault(f: SqlFault): void {
    this.faults.push({ ...f, left: f.count ?? 1 });
  }

  /** What SQLite occupies (page count × page size): an indication, not TiDB's storage accounting. */
  storageBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  /** Rows of a table, read without counting (tests). */
  peek<T = Record<string, unknown>>(query: string, ...params: unknown[]): T[] {
    return this.db.prepare(translateMySql(query)[0]!).all(...params.map(toParam)) as T[];
  }

  /** One request as the SDK sends it. */
  handle(pathname: string, bodyText: string): SqlReply {
    this.counts.requests[pathname] = (this.counts.requests[pathname] ?? 0) + 1;
    this.counts.requestBytes += Buffer.byteLength(bodyText);
    try {
      const out = this.run(pathname, bodyText);
      const text = JSON.stringify(out);
      if (Buffer.byteLength(text) > SQL_LIMITS.responseBytes)
        throw new SqlError(400, 'SQL_EXECUTION_ERROR', 'Response exceeds the 4 MiB limit');
      this.counts.responseBytes += Buffer.byteLength(text);
      return { status: 200, body: out };
    } catch (err) {
      this.counts.errors++;
      if (err instanceof SqlError)
        return { status: err.status, body: { code: err.code, message: err.message } };
      let message = (err as Error).message;
      const missing = /no such table: (?:\w+\.)?(\w+)/.exec(message);
      if (missing) message = `Table '${missing[1]!}' doesn't exist`;
      return { status: 400, body: { code: 'SQL_EXECUTION_ERROR', message } };
    }
  }

  private run(pathname: string, bodyText: string): unknown {
    if (pathname !== '/api/v1/execute' && pathname !== '/api/v1/execute/ddl')
      throw new SqlError(404, 'NOT_FOUND', `no SQL endpoint ${pathname}`);
    if (Buffer.byteLength(bodyText) > SQL_LIMITS.requestBytes)
      throw new SqlError(413, 'REQUEST_TOO_LARGE', 'The request exceeds the 1 MiB limit');
    const body = JSON.parse(bodyText) as { query?: unknown; params?: unknown; method?: unknown };
    if (typeof body.query !== 'string' || body.query.trim() === '')
      throw new SqlError(400, 'INVALID_SQL_QUERY', 'query is required');
    const query = body.query;
    const params = Array.isArray(body.params) ? body.params : [];
    const isDdlPath = pathname === '/api/v1/execute/ddl';
    this.count(isDdlPath);
    this.log.push({ path: pathname, query, params, at: this.now() });
    const fault = this.faults.find(
      (f) => f.left > 0 && (!f.path || pathname.startsWith(f.path)) && (!f.query || f.query.test(query)),
    );
    if (fault) {
      fault.left--;
      const status = fault.status ?? 500;
      throw new SqlError(
        status,
        fault.code ?? (status === 429 ? 'RATE_LIMIT_EXCEEDED' : 'SQL_EXECUTION_ERROR'),
        'Simulated Forge SQL fault',
      );
    }
    if (isMultiStatement(query))
      throw new SqlError(400, 'INVALID_SQL_QUERY', 'Only one statement is allowed per query');
    if (DDL.test(query) && !isDdlPath)
      throw new SqlError(400, 'INVALID_SQL_QUERY', 'DDL statements must be sent with executeDDL');
    if (/\bFOREIGN\s+KEY\b|\bREFERENCES\b/i.test(skeleton(query)))
      throw new SqlError(400, 'INVALID_SQL_QUERY', 'Foreign keys are not supported');
    const v = verb(query);
    this.counts.statements[v] = (this.counts.statements[v] ?? 0) + 1;

    const started = process.hrtime.bigint();
    try {
      const stmts = translateMySql(query);
      let result: unknown;
      for (const [i, text] of stmts.entries()) {
        const st = this.db.prepare(text);
        if (i > 0) {
          st.run();
          continue;
        }
        if (st.reader) {
          const rows = st.all(...params.map(toParam));
          this.counts.rowsRead += rows.length;
          result = { rows };
        } else {
          const r = st.run(...params.map(toParam));
          this.counts.rowsWritten += r.changes;
          result = {
            rows: {
              fieldCount: 0,
              affectedRows: r.changes,
              insertId: Number(r.lastInsertRowid),
              info: '',
              serverStatus: 2,
              warningStatus: 0,
            },
          };
        }
      }
      return result;
    } finally {
      this.counts.queryMs += Number(process.hrtime.bigint() - started) / 1e6;
    }
  }

  private count(ddl: boolean): void {
    const t = this.now();
    const bump = (m: Map<number, number>, key: number): number => {
      const n = (m.get(key) ?? 0) + 1;
      m.set(key, n);
      return n;
    };
    if (ddl) {
      this.counts.ddl++;
      const n = bump(this.ddlMinute, Math.floor(t / 60_000));
      this.counts.peakDdlPerMinute = Math.max(this.counts.peakDdlPerMinute, n);
      if (this.opts.enforceRateLimits && n > SQL_LIMITS.ddlPerMinute)
        throw new SqlError(429, 'RATE_LIMIT_EXCEEDED', 'More than 25 DDL requests in a minute');
      return;
    }
    this.counts.dml++;
    const s = bump(this.dmlSecond, Math.floor(t / 1000));
    const m = bump(this.dmlMinute, Math.floor(t / 60_000));
    this.counts.peakDmlPerSecond = Math.max(this.counts.peakDmlPerSecond, s);
    this.counts.peakDmlPerMinute = Math.max(this.counts.peakDmlPerMinute, m);
    if (this.opts.enforceRateLimits && s > SQL_LIMITS.dmlPerSecond)
      throw new SqlError(429, 'RATE_LIMIT_EXCEEDED', 'More than 150 DML requests in a second');
  }
}
