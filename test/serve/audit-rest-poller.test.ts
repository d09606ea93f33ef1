/**
 * The audit REST poller against a real HTTP server on loopback that pages `GET /rest/auditing/1.0/events` the
 * way DC does (newest first, `pagingInfo.nextPageCursor`): every entity is spooled once, in time order, across
 * polls, restarts and a torn last line; the spool parses with zero rejects; errors name the product and status.
 */
import { readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { DcExecutor } from '../../src/dc';
import { DcSimulator, simAdminToken } from '../../src/dcsim';
import { parseLine } from '../../src/parsers';
import { AuditRestPoller, spoolPattern } from '../../src/serve/audit-rest-poller';

const samples = readFileSync(
  path.join(__dirname, '../../../shared/samples/dc-audit/jira-audit-rest.ndjson'),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>);

const entity = (at: number, i: number) => ({
  ...samples[i % samples.length],
  timestamp: new Date(at).toISOString(),
});

/** A DC audit REST endpoint over a list the test can grow. */
class AuditServer {
  entities: Record<string, unknown>[] = [];
  status = 200;
  requests: string[] = [];
  private server: Server | undefined;
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push(url.pathname + url.search);
      if (req.headers.authorization !== 'Bearer admin-token') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"message":"no"}]}');
        return;
      }
      if (this.status !== 200 || url.pathname !== '/jira/rest/auditing/1.0/events') {
        res.writeHead(this.status === 200 ? 404 : this.status).end('{"message":"server trouble"}');
        return;
      }
      const from = Date.parse(url.searchParams.get('from') ?? '1970-01-01T00:00:00Z');
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const offset = Number(url.searchParams.get('pageCursor') ?? 0);
      const newestFirst = this.entities
        .filter((e) => Date.parse(String(e.timestamp)) >= from)
        .sort((a, b) => Date.parse(String(b.timestamp)) - Date.parse(String(a.timestamp)));
      const page = newestFirst.slice(offset, offset + limit);
      const more = offset + limit < newestFirst.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          entities: page,
          pagingInfo: more ? { nextPageCursor: String(offset + limit) } : {},
        }),
      );
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/jira`;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()));
  }
}

async function spooled(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => spoolPattern('jira').test(f)).sort();
  const out: string[] = [];
  for (const f of files)
    out.push(...(await readFile(path.join(dir, f), 'utf8')).split('\n').filter((l) => l !== ''));
  return out;
}

describe('AuditRestPoller', () => {
  let dir: string;
  let server: AuditServer;
  let baseUrl: string;
  const T0 = Date.parse('2023-11-14T09:00:00Z');
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-rest-'));
    server = new AuditServer();
    baseUrl = await server.start();
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const poller = () =>
    new AuditRestPoller({
      source: { product: 'jira', baseUrl, token: 'admin-token' },
      spoolDir: dir,
      pageSize: 3,
      now: () => T0 + 3_600_000,
      backfillMs: 2 * 3_600_000,
    });

  it('spools every entity once, oldest first, across pages, polls and restarts', async () => {
    server.entities = [0, 1, 2, 3, 4, 5, 6].map((i) => entity(T0 + i * 60_000, i));
    let p = poller();
    expect(await p.poll()).toEqual({ fetched: 7, spooled: 7 });
    expect(await p.poll()).toMatchObject({ spooled: 0 });
    // Two more at the same time as the last one, one later; then a restart (a new poller reads the spool).
    // (Entities carry no id: two with the same text at the same time cannot be told apart, so these differ.)
    const last = T0 + 6 * 60_000;
    server.entities.push(entity(last, 1), entity(last, 3), entity(last + 1_000, 3));
    p = poller();
    expect(await p.poll()).toMatchObject({ spooled: 3 });
    p = poller();
    expect(await p.poll()).toMatchObject({ spooled: 0 });
    const lines = await spooled(dir);
    expect(lines).toHaveLength(10);
    const times = lines.map((l) => Date.parse((JSON.parse(l) as { timestamp: string }).timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Each spooled line is a DC audit REST entity the parsers read without a reject.
    for (const [i, l] of lines.entries()) {
      const r = parseLine(l, { file: 'spool', line: i + 1 });
      expect(r.rejects).toEqual([]);
      expect(r.events).toHaveLength(1);
    }
  });

  it('cuts a torn last line (killed mid-append) and fetches its entity again', async () => {
    server.entities = [0, 1, 2].map((i) => entity(T0 + i * 60_000, i));
    await poller().poll();
    const [file] = (await readdir(dir)).filter((f) => spoolPattern('jira').test(f));
    const torn = JSON.stringify(entity(T0 + 3 * 60_000, 3));
    await appendFile(path.join(dir, file!), torn.slice(0, 40));
    server.entities.push(entity(T0 + 3 * 60_000, 3));
    expect(await poller().poll()).toMatchObject({ spooled: 1 });
    const lines = await spooled(dir);
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => JSON.parse(l) !== undefined)).toBe(true);
  });

  it('names the product and the status when the API refuses, and spools nothing', async () => {
    server.entities = [entity(T0, 0)];
    server.status = 503;
    await expect(poller().poll()).rejects.toThrow(/jira audit REST: GET .*events answered 503/);
    const p = new AuditRestPoller({
      source: { product: 'jira', baseUrl, token: 'wrong' },
      spoolDir: dir,
      now: () => T0,
    });
    server.status = 200;
    await expect(p.poll()).rejects.toThrow(/answered 401/);
    expect(await spooled(dir)).toEqual([]);
  });

  it('property: whatever the arrival order and page size, each entity is spooled exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 7 }),
        async (batches, pageSize) => {
          const sub = await mkdtemp(path.join(dir, 'p-'));
          const expected = new Set<string>();
          const mustArrive = new Set<string>();
          server.entities = [];
          let n = 0;
          let cursor = -Infinity;
          for (const batch of batches) {
            // Later batches may carry times at or before the cursor: late arrivals at the same time must
            // arrive; ones older than what is already spooled cannot (the API is asked from the cursor on).
            for (const s of batch) {
              const e = entity(T0 + s * 1000, n++);
              server.entities.push(e);
              expected.add(JSON.stringify(e));
              if (T0 + s * 1000 >= cursor) mustArrive.add(JSON.stringify(e));
            }
            await new AuditRestPoller({
              source: { product: 'jira', baseUrl, token: 'admin-token' },
              spoolDir: sub,
              pageSize,
              now: () => T0,
              backfillMs: 0,
            }).poll();
            for (const e of server.entities) cursor = Math.max(cursor, Date.parse(String(e.timestamp)));
          }
          const lines = await spooled(sub);
          expect(new Set(lines).size).toBe(lines.length);
          for (const l of lines) expect(expected.has(l)).toBe(true);
          for (const m of mustArrive) expect(lines).toContain(m);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('AuditRestPoller against the DC simulator', () => {
  it('spools the audit entities of a change made through Jira’s REST API, which parse as that change', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-rest-sim-'));
    const sim = await DcSimulator.start({ logDir: path.join(dir, 'logs') });
    try {
      const site = { baseUrl: sim.baseUrl('jira'), token: simAdminToken('jira') };
      await new DcExecutor({ sites: { jira: site } }).run({
        kind: 'remove-from-group',
        product: 'jira',
        group: 'jira-administrators',
        identity: { name: 'bob.admin', kind: 'human' },
      });
      const spool = path.join(dir, 'spool');
      await mkdir(spool);
      const r = await new AuditRestPoller({ source: { product: 'jira', ...site }, spoolDir: spool }).poll();
      expect(r.spooled).toBeGreaterThanOrEqual(1);
      const events = (await spooled(spool)).flatMap(
        (l, i) => parseLine(l, { file: 'spool', line: i + 1 }).events,
      );
      expect(
        events.some(
          (e) => e['event.action'] === 'group.member.removed' && e['user.target.name'] === 'bob.admin',
        ),
      ).toBe(true);
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
