/** Shared pieces of the Forge app tests: in-memory ports, a scripted product API, the built-in rules. */
import { loadLists, loadRules } from '../../src/engine';
import { builtinListsDir, builtinRulesDir } from '../../src/hunt/paths';
import { BulkheadApp } from '../../src/forge/core/app';
import type { CallerContext } from '../../src/forge/core/console';
import type { RuleSet } from '../../src/forge/core/ingest';
import { MemoryKv } from '../../src/forge/core/memory';
import type {
  HttpAnswer,
  ProductApi,
  QueueName,
  RequestInit,
  SqlPort,
  SqlValue,
  SqlWriteResult,
} from '../../src/forge/core/ports';
import { SqlEmulator } from '../../src/forge-harness/sql';

/**
 * A `SqlPort` over the harness's Forge SQL emulator, with the request shapes @forge/sql sends (`{query, params,
 * method}` to /api/v1/execute or /api/v1/execute/ddl) and a migration runner that does what @forge/sql's does
 * (a `__migrations` table, names run once). Errors carry the emulator's message, as ForgeSQLAPIError does.
 */
export function emulatorSql(em: SqlEmulator): SqlPort {
  const send = (path: string, query: string, params: readonly SqlValue[] = []): unknown => {
    const r = em.handle(path, JSON.stringify({ query, params, method: 'all' }));
    if (r.status < 200 || r.status >= 300) throw new Error((r.body as { message: string }).message);
    return (r.body as { rows: unknown }).rows;
  };
  return {
    query: <T>(q: string, params?: readonly SqlValue[]) =>
      Promise.resolve(send('/api/v1/execute', q, params) as T[]),
    execute: (q: string, params?: readonly SqlValue[]) =>
      Promise.resolve({
        affectedRows: (send('/api/v1/execute', q, params) as SqlWriteResult).affectedRows,
      }),
    migrate(migrations) {
      send(
        '/api/v1/execute/ddl',
        'CREATE TABLE IF NOT EXISTS __migrations (id BIGINT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(255) NOT NULL, migratedAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);',
      );
      const done = new Set(
        (
          send('/api/v1/execute/ddl', 'SELECT id, name, migratedAt FROM __migrations;') as { name: string }[]
        ).map((r) => r.name),
      );
      for (const m of migrations) {
        if (done.has(m.name)) continue;
        send('/api/v1/execute/ddl', m.ddl);
        send('/api/v1/execute', 'INSERT INTO __migrations (name) VALUES (?);', [m.name]);
      }
      return Promise.resolve();
    },
  };
}

let rules: RuleSet | undefined;
export function builtin(): RuleSet {
  if (!rules) {
    const lists = loadLists([builtinListsDir()]).lists;
    rules = { rules: loadRules([builtinRulesDir()], lists).rules, lists };
  }
  return rules;
}

export function answer(status: number, body: unknown = {}): HttpAnswer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, text: () => Promise.resolve(text), headers: { get: () => null } };
}

export interface Call {
  readonly product: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

export type Route = (method: string, path: string, body?: string) => HttpAnswer | undefined;

/** A product API that records calls and answers from routes (first match), else 404. */
export class ScriptedProduct implements ProductApi {
  readonly calls: Call[] = [];
  constructor(public routes: Partial<Record<'jira' | 'confluence' | 'bitbucket', Route>> = {}) {}
  request(
    product: 'jira' | 'confluence' | 'bitbucket',
    path: string,
    init?: RequestInit,
  ): Promise<HttpAnswer> {
    const method = init?.method ?? 'GET';
    this.calls.push({ product, method, path, ...(init?.body !== undefined ? { body: init.body } : {}) });
    return Promise.resolve(
      this.routes[product]?.(method, path, init?.body) ?? answer(404, { errorMessages: ['not found'] }),
    );
  }
}

export interface Pushed {
  readonly queue: QueueName;
  readonly body: Record<string, unknown>;
  readonly delay?: number;
}

export interface TestApp {
  readonly app: BulkheadApp;
  readonly kv: MemoryKv;
  /** Forge SQL (the inbox, the de-duplication marks) on the harness's emulator, and the port the app uses
   *  (tests may replace its methods to inject failures). */
  readonly sqlDb: SqlEmulator;
  readonly sql: SqlPort;
  readonly product: ScriptedProduct;
  readonly asUser: ScriptedProduct;
  readonly pushed: Pushed[];
  readonly clock: { now: number };
}

export function testApp(start = Date.UTC(2026, 10, 1, 12)): TestApp {
  const clock = { now: start };
  const now = () => clock.now;
  const kv = new MemoryKv(now);
  const sqlDb = new SqlEmulator(now);
  const sqlPort = emulatorSql(sqlDb);
  // Through a forwarding object, so a test can replace a method after the app is built.
  const sql: SqlPort = {
    query: (q, p) => sqlPort.query(q, p),
    execute: (q, p) => sqlPort.execute(q, p),
    migrate: (m) => sqlPort.migrate(m),
  };
  const product = new ScriptedProduct();
  const asUser = new ScriptedProduct();
  const pushed: Pushed[] = [];
  const app = new BulkheadApp({
    kv,
    sql,
    asApp: product,
    asUser: (_ctx: CallerContext) => asUser,
    fetch: () => Promise.resolve(answer(404)),
    queue: {
      push(queue, body, delay) {
        pushed.push({ queue, body, ...(delay !== undefined ? { delay } : {}) });
        return Promise.resolve();
      },
    },
    rules: builtin,
    now,
  });
  return { app, kv, sqlDb, sql: sqlPort, product, asUser, pushed, clock };
}

/** The Jira Cloud audit record of a service account put into jira-administrators. */
export function adminGroupRecord(id = 42, at = '2026-11-01T11:00:00.000+0000'): Record<string, unknown> {
  return {
    id,
    summary: 'User added to group',
    remoteAddress: '198.51.100.4',
    authorAccountId: '5b10ac8d82e05b22cc7d4ef5',
    created: at,
    category: 'group management',
    eventSource: '',
    objectItem: { name: 'jira-administrators', typeName: 'GROUP' },
    associatedItems: [{ id: '61a0a4c2', name: 'svc-backup', typeName: 'USER' }],
  };
}

/** Ids of the rows waiting in the Forge SQL inbox (none before the table exists). */
export function inboxIds(db: SqlEmulator): string[] {
  const table = db.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'inbox'").get();
  if (!table) return [];
  return db.peek<{ id: string }>('SELECT id FROM inbox ORDER BY received_at, id').map((r) => r.id);
}
