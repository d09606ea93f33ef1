/**
 * KVS and Forge SQL operations per 1,000 events, counted by the harness's emulators as the real @forge/kvs
 * and @forge/sql calls arrive (KVS: requests, item reads/writes, 10 KB units; SQL: requests by endpoint and
 * statement, the most DML requests in one simulated second, rows, SQLite's time). Two shapes: product events
 * arriving one per trigger invocation over ten minutes (views and searches: the bulk of a large org's
 * volume), and 1,000 audit records read by one poll. The numbers feed decision 0016's per-installation
 * arithmetic; the bounds here keep a change from silently making ingestion more expensive. Run alone with
 * `npx jest test/forge/kvs-ops.test.ts` to see the table.
 */
import '../../src/forge-harness/register';
import { json, type ForgeHarness, type SqlStats } from '../../src/forge-harness';
import { installApp } from './harness-app';
import { kvs } from '@forge/kvs';

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

function productEvent(i: number, at: number): Record<string, unknown> {
  const user = `acct-${i % 100}`;
  const when = new Date(at).toISOString();
  if (i % 10 < 6)
    return {
      eventType: 'avi:confluence:viewed:page',
      atlassianId: user,
      eventCreatedDate: when,
      suppressNotifications: false,
      content: {
        id: String(100_000 + (i % 5000)),
        type: 'page',
        status: 'current',
        title: `Page ${i % 5000}`,
        space: { id: 7, key: `S${i % 40}` },
      },
    };
  if (i % 10 < 9)
    return {
      eventType: 'avi:jira:viewed:issue',
      atlassianId: user,
      timestamp: when,
      issue: {
        id: String(20_000 + (i % 3000)),
        key: `P${i % 30}-${i % 3000}`,
        fields: { project: { id: '1', key: `P${i % 30}` } },
      },
    };
  return {
    eventType: 'avi:confluence:performed:search',
    atlassianId: user,
    eventCreatedDate: when,
    query: `roadmap ${i % 50}`,
    results: 12,
  };
}

function auditRecord(i: number, at: number): Record<string, unknown> {
  return {
    id: 10_000 + i,
    summary: i % 3 === 0 ? 'User added to group' : 'Project updated',
    remoteAddress: `203.0.113.${i % 200}`,
    authorAccountId: `acct-${i % 100}`,
    created: new Date(at).toISOString().replace('Z', '+0000'),
    category: i % 3 === 0 ? 'group management' : 'projects',
    eventSource: '',
    objectItem:
      i % 3 === 0
        ? { name: `team-${i % 20}`, typeName: 'GROUP' }
        : { id: String(i % 30), name: `P${i % 30}`, typeName: 'PROJECT' },
    associatedItems: [{ id: `acct-${(i + 7) % 100}`, name: `user${(i + 7) % 100}`, typeName: 'USER' }],
  };
}

interface Row {
  readonly shape: string;
  readonly requests: number;
  readonly byPath: Record<string, number>;
  readonly reads: number;
  readonly writes: number;
  readonly deletes: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly sql: SqlStats;
  readonly invocations: Record<string, number>;
}

function row(shape: string, h: ForgeHarness): Row {
  const s = h.stats();
  const k = s.kvs;
  return {
    shape,
    requests: Object.values(k.requests).reduce((a, b) => a + b, 0),
    byPath: k.requests,
    reads: k.reads,
    writes: k.writes,
    deletes: k.deletes,
    readUnits: k.readUnits,
    writeUnits: k.writeUnits,
    sql: s.sql,
    invocations: s.invocations,
  };
}

const rows: Row[] = [];
let snapshot = '';
afterAll(() => {
  console.log(
    [
      'KVS and Forge SQL per 1,000 events',
      snapshot,
      ...rows.flatMap((r) => [
        `${r.shape}: KVS ${r.requests} requests, ${r.reads} reads (${r.readUnits} units), ${r.writes} writes (${r.writeUnits} units), ${r.deletes} deletes (${JSON.stringify(r.byPath)}); invocations ${JSON.stringify(r.invocations)}`,
        `${r.shape}: SQL ${r.sql.dml} DML requests (${JSON.stringify(r.sql.statements)}), ${r.sql.ddl} DDL requests, ${r.sql.errors} errors, peak ${r.sql.peakDmlPerSecond} DML/s and ${r.sql.peakDmlPerMinute} DML/min (simulated time), ${r.sql.rowsWritten} rows written, ${r.sql.rowsRead} rows read, ${Math.round(r.sql.requestBytes / 1024)} KiB sent, ${Math.round(r.sql.responseBytes / 1024)} KiB received, SQLite ${r.sql.queryMs.toFixed(1)} ms`,
      ]),
    ].join('\n'),
  );
});

test('1,000 product events over ten minutes, one per trigger invocation', async () => {
  const h = installApp({ startMs: T0, queue: { duplicateRate: 0 } });
  for (let i = 0; i < 1000; i++) h.deliverEvent(productEvent(i, T0 + i * 600), { delayMs: i * 600 });
  await h.runUntil(T0 + 11 * 60_000);
  await h.runUntilIdle();
  expect(h.handlerErrors).toEqual([]);
  const head = (await h.invokeFunction(
    'peek',
    async () => kvs.get<{ gen: number; chunks: number }>('head'),
    {},
  )) as { gen: number; chunks: number };
  let bytes = 0;
  for (let i = 0; i < head.chunks; i++)
    bytes += (
      (await h.invokeFunction('peek', async () => kvs.get<string>(`snap:${head.gen}:${i}`), {})) as string
    ).length;
  snapshot = `snapshot after 1,000 product events from 100 users: ${bytes} characters in ${head.chunks} chunk(s), ${head.gen} drains`;
  const r = row('product events (10 min)', h);
  rows.push(r);
  // Per event: one SQL INSERT at the trigger (the inbox); at the drain, a share of its few statements (read
  // the batch, delete it) and of the snapshot and entity writes on KVS. No KVS unit per event any more (on
  // KVS the inbox cost a write and a delete per event: 2,333 write units per 1,000).
  expect(r.writeUnits).toBeLessThan(600);
  expect(r.readUnits).toBeLessThan(600);
  // + the two migration checkpoints and the first insert, which found no table and ran the migrations
  expect(r.sql.statements['INSERT']).toBeLessThanOrEqual(1000 + 3);
  expect(r.sql.dml).toBeLessThan(1000 + 5 * head.gen + 10);
  expect(h.sql.peek('SELECT id FROM inbox')).toEqual([]);
});

test('1,000 Jira audit records read by one poll', async () => {
  const h = installApp({ startMs: T0, queue: { duplicateRate: 0 } });
  const recs = Array.from({ length: 1000 }, (_, i) => auditRecord(i, T0 - 30 * 60_000 + i * 1000));
  h.setProductHandler('jira', (req) => {
    if (req.pathname !== '/rest/api/3/auditing/record') return json(404, {});
    const from = Date.parse(req.query.get('from') ?? '');
    const to = Date.parse(req.query.get('to') ?? '');
    const offset = Number(req.query.get('offset') ?? 0);
    const inWindow = recs.filter((r) => {
      const t = Date.parse(String(r['created']).replace('+0000', 'Z'));
      return t >= from && t < to;
    });
    return json(200, {
      offset,
      limit: 1000,
      total: inWindow.length,
      records: inWindow.slice(offset, offset + 1000),
    });
  });
  const { bulkhead } = await import('../../src/forge/index');
  await h.invokeFunction(
    'setup',
    async () => {
      await bulkhead().storage.setCursor('jira-audit', { until: T0 - 3_600_000 });
    },
    {},
  );
  await h.runScheduledTrigger('poll-jira-audit');
  await h.runUntilIdle();
  expect(h.handlerErrors).toEqual([]);
  const r = row('audit poll', h);
  rows.push(r);
  // The inbox rows and the 1,000 de-duplication marks are SQL rows now (on KVS: 1,084 write units).
  expect(r.writeUnits).toBeLessThan(200);
  expect(r.sql.dml).toBeLessThan(20);
  expect(h.sql.peek('SELECT record_key FROM seen')).toHaveLength(1000);
});
