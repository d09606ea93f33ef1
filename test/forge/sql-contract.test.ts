/**
 * Pins what the pinned @forge/sql sends through `__forge_fetch__` and what it expects back, and what the
 * harness's Forge SQL emulator (src/forge-harness/sql.ts) does with it: the meta object, the two endpoints,
 * the body `{query, params, method}`, the `{rows}` answers, the migration runner's statements, the limits the
 * emulator enforces and counts, and the MySQL → SQLite translation the app relies on. If an SDK upgrade
 * changes any of it, this fails before the harness silently drifts from the platform (forge-platform.md §D.2).
 */
import '../../src/forge-harness/register';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationRunner, sql, ForgeSQLAPIError, type UpdateQueryResponse } from '@forge/sql';
import {
  isMultiStatement,
  resetForgeHarness,
  translateMySql,
  type ForgeHarness,
} from '../../src/forge-harness';

let h: ForgeHarness;
beforeEach(() => {
  h = resetForgeHarness();
});

const sqlCalls = () => h.calls.filter((c) => c.meta.type === 'sql');
const last = () => sqlCalls()[sqlCalls().length - 1]!;

test('the @forge/sql version is the pinned one', () => {
  const pkg = JSON.parse(
    readFileSync(join(__dirname, '../../node_modules/@forge/sql/package.json'), 'utf8'),
  ) as { version: string };
  expect(pkg.version).toBe('4.0.8');
});

test('execute: meta, endpoint, method, headers and body; rows back for a SELECT, a result header for a write', async () => {
  await sql.executeDDL('CREATE TABLE t (id VARCHAR(10) NOT NULL PRIMARY KEY, n BIGINT NOT NULL)');
  expect(last()).toMatchObject({
    meta: { type: 'sql', provider: 'app', remote: 'sql' },
    path: '/api/v1/execute/ddl',
    method: 'POST',
    body: {
      query: 'CREATE TABLE t (id VARCHAR(10) NOT NULL PRIMARY KEY, n BIGINT NOT NULL)',
      params: [],
      method: 'all',
    },
  });
  expect(last().meta).toEqual({ type: 'sql', provider: 'app', remote: 'sql' });
  expect(last().headers['content-type']).toBe('application/json');

  const ins = await sql
    .prepare<UpdateQueryResponse>('INSERT IGNORE INTO t (id, n) VALUES (?, ?), (?, ?)')
    .bindParams('a', 1, 'b', 2)
    .execute();
  expect(last()).toMatchObject({
    path: '/api/v1/execute',
    method: 'POST',
    body: {
      query: 'INSERT IGNORE INTO t (id, n) VALUES (?, ?), (?, ?)',
      params: ['a', 1, 'b', 2],
      method: 'all',
    },
  });
  expect(ins.rows).toMatchObject({ affectedRows: 2, fieldCount: 0 });
  // INSERT IGNORE: a stored key is left alone, reported as 0 rows.
  const again = await sql
    .prepare<UpdateQueryResponse>('INSERT IGNORE INTO t (id, n) VALUES (?, ?)')
    .bindParams('a', 9)
    .execute();
  expect(again.rows.affectedRows).toBe(0);

  const sel = await sql
    .prepare<{ id: string; n: number }>('SELECT id, n FROM t ORDER BY id LIMIT ?')
    .bindParams(5)
    .execute();
  expect(sel.rows).toEqual([
    { id: 'a', n: 1 },
    { id: 'b', n: 2 },
  ]);
  const del = await sql
    .prepare<UpdateQueryResponse>('DELETE FROM t WHERE id IN (?)')
    .bindParams('a')
    .execute();
  expect(del.rows.affectedRows).toBe(1);
  expect(h.sql.stats()).toMatchObject({
    dml: 4,
    ddl: 1,
    statements: { CREATE: 1, INSERT: 2, SELECT: 1, DELETE: 1 },
  });
});

test('the migration runner: its table, its listing and each migration through the DDL endpoint, once', async () => {
  const ran = await migrationRunner
    .enqueue(
      'v001_contract',
      'CREATE TABLE IF NOT EXISTS c (id VARCHAR(8) NOT NULL PRIMARY KEY, at BIGINT, KEY c_at (at))',
    )
    .run();
  expect(ran).toEqual(['v001_contract']);
  expect(sqlCalls().map((c) => [c.path, (c.body as { query: string }).query])).toEqual([
    [
      '/api/v1/execute/ddl',
      'CREATE TABLE IF NOT EXISTS __migrations (id BIGINT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(255) NOT NULL, migratedAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);',
    ],
    ['/api/v1/execute/ddl', 'SELECT id, name, migratedAt FROM __migrations;'],
    [
      '/api/v1/execute/ddl',
      'CREATE TABLE IF NOT EXISTS c (id VARCHAR(8) NOT NULL PRIMARY KEY, at BIGINT, KEY c_at (at))',
    ],
    ['/api/v1/execute', 'INSERT INTO __migrations (name) VALUES (?);'],
  ]);
  // The inline KEY became an index.
  expect(h.sql.peek("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'c_at'")).toHaveLength(1);
  const n = sqlCalls().length;
  expect(await migrationRunner.run()).toEqual([]);
  expect(sqlCalls().length - n).toBe(2); // the table check and the listing; nothing re-run
  expect((await migrationRunner.list()).map((m) => m.name)).toEqual(['v001_contract']);
});

test('refused: two statements, foreign keys, over 1 MiB (documented limits); DDL outside executeDDL (assumed)', async () => {
  const fail = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e as ForgeSQLAPIError;
    }
    throw new Error('expected a ForgeSQLAPIError');
  };
  await sql.executeDDL('CREATE TABLE t (id VARCHAR(10) PRIMARY KEY)');
  const two = await fail(sql.prepare("SELECT 1; DELETE FROM t WHERE id = ';'").execute());
  expect(two).toBeInstanceOf(ForgeSQLAPIError);
  expect(two.code).toBe('INVALID_SQL_QUERY');
  expect(two.responseDetails.status).toBe(400);
  // A `;` inside a literal, or a trailing one, is still one statement.
  expect((await sql.prepare("SELECT ';' AS s;").execute()).rows).toEqual([{ s: ';' }]);
  expect((await fail(sql.prepare('DROP TABLE t').execute())).code).toBe('INVALID_SQL_QUERY');
  expect(
    (await fail(sql.executeDDL('CREATE TABLE u (id VARCHAR(10), FOREIGN KEY (id) REFERENCES t (id))'))).code,
  ).toBe('INVALID_SQL_QUERY');
  const big = await fail(
    sql
      .prepare('INSERT INTO t (id) VALUES (?)')
      .bindParams('x'.repeat(1024 * 1024))
      .execute(),
  );
  expect(big.responseDetails.status).toBe(413);
  const missing = await fail(sql.prepare('SELECT * FROM nowhere').execute());
  expect(missing.code).toBe('SQL_EXECUTION_ERROR');
  expect(missing.message).toBe("Table 'nowhere' doesn't exist");
  expect(h.sql.stats().errors).toBe(5);
});

test('DML requests are counted per simulated second (and refused past 150 when enforced); faults can be injected', async () => {
  h = resetForgeHarness({ sql: { enforceRateLimits: true } });
  await sql.executeDDL('CREATE TABLE t (id BIGINT PRIMARY KEY)');
  for (let i = 0; i < 150; i++) await sql.prepare('INSERT INTO t (id) VALUES (?)').bindParams(i).execute();
  await expect(sql.prepare('SELECT COUNT(*) AS n FROM t').execute()).rejects.toMatchObject({
    code: 'RATE_LIMIT_EXCEEDED',
  });
  await h.advance(1000);
  expect((await sql.prepare('SELECT COUNT(*) AS n FROM t').execute()).rows).toEqual([{ n: 150 }]);
  const s = h.sql.stats();
  expect(s.peakDmlPerSecond).toBe(151);
  expect(s.dml).toBe(152);
  expect(s.queryMs).toBeGreaterThan(0);
  expect(h.sql.storageBytes()).toBeGreaterThan(0);

  h.injectPlatformFault({ target: 'sql', status: 503, count: 1 });
  await expect(sql.prepare('SELECT 1 AS one').execute()).rejects.toMatchObject({
    code: 'SQL_EXECUTION_ERROR',
    responseDetails: { status: 503 },
  });
  expect((await sql.prepare('SELECT 1 AS one').execute()).rows).toEqual([{ one: 1 }]);
});

test('the MySQL the app writes, as SQLite runs it (the translation is this list and nothing more)', () => {
  expect(translateMySql('INSERT IGNORE INTO seen (record_key, at) VALUES (?, ?)')).toEqual([
    'INSERT OR IGNORE INTO seen (record_key, at) VALUES (?, ?)',
  ]);
  expect(
    translateMySql(
      'CREATE TABLE IF NOT EXISTS inbox (id VARCHAR(64) NOT NULL PRIMARY KEY, received_at BIGINT NOT NULL, KEY inbox_arrival (received_at, id)) ENGINE=InnoDB;',
    ),
  ).toEqual([
    'CREATE TABLE IF NOT EXISTS inbox (id VARCHAR(64) NOT NULL PRIMARY KEY, received_at BIGINT NOT NULL)',
    'CREATE INDEX IF NOT EXISTS inbox_arrival ON inbox (received_at, id)',
  ]);
  expect(translateMySql('CREATE TABLE m (id BIGINT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(255))')).toEqual([
    'CREATE TABLE m (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255))',
  ]);
  expect(translateMySql('DELETE FROM inbox WHERE id IN (?, ?)')).toEqual([
    'DELETE FROM inbox WHERE id IN (?, ?)',
  ]);
  expect(isMultiStatement('SELECT 1;')).toBe(false);
  expect(isMultiStatement("SELECT 'a;b' -- x; y\n")).toBe(false);
  expect(isMultiStatement('SELECT 1; SELECT 2')).toBe(true);
});
