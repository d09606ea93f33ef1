import { KEYS } from '../../src/forge/core/keys';
import { MemoryKv } from '../../src/forge/core/memory';
import { answer, adminGroupRecord, inboxIds, testApp } from './support';

async function detectionsStored(kv: MemoryKv): Promise<string[]> {
  const page = await kv.entityQuery<{ id: string }>('detection', { index: 'at', limit: 100 });
  return page.results.map((r) => r.value.id);
}

describe('ingestion', () => {
  test('the same record delivered twice (two deliveries, two inbox items) stores one detection', async () => {
    const t = testApp();
    await t.app.ingestor.accept('forwarder', [adminGroupRecord()]);
    const first = await t.app.ingestor.drain();
    expect(first.detections.map((d) => d.rule.id)).toContain('admin-group-member-added');
    const stored = await detectionsStored(t.kv);
    expect(stored.length).toBeGreaterThan(0);

    t.clock.now += 60_000; // redelivered a minute later, through another source
    await t.app.ingestor.accept('jira-audit', [adminGroupRecord()]);
    const second = await t.app.ingestor.drain();
    expect(second.duplicates).toBe(1);
    expect(second.detections).toHaveLength(0);
    expect(await detectionsStored(t.kv)).toEqual(stored);
    // Both in one batch: read once.
    const u = testApp();
    await u.app.ingestor.accept('forwarder', [adminGroupRecord(), adminGroupRecord()]);
    const both = await u.app.ingestor.drain();
    expect(both.records).toBe(2);
    expect(both.duplicates).toBe(1);
    expect(await detectionsStored(u.kv)).toEqual(stored);
  });

  test('a critical incident is stored and sent to the contain queue; the inbox is emptied', async () => {
    const t = testApp();
    await t.app.ingestor.accept('forwarder', [adminGroupRecord()]);
    const r = await t.app.ingestor.drain();
    expect(r.incidents).toHaveLength(1);
    expect(r.contain).toEqual(r.incidents);
    expect(t.pushed.filter((p) => p.queue === 'contain')).toEqual([
      { queue: 'contain', body: { kind: 'contain', incidentId: r.incidents[0] } },
    ]);
    expect(inboxIds(t.sqlDb)).toEqual([]);
    const inc = await t.app.storage.fullIncident(r.incidents[0]!);
    expect(inc?.severity).toBe('critical');
    expect(inc?.detections.length).toBeGreaterThan(0);
  });

  test('a crash before the commit repeats the batch with the same detections; after it, the batch is not repeated', async () => {
    const t = testApp();
    await t.app.ingestor.accept('forwarder', [adminGroupRecord()]);
    const realSet = t.kv.set.bind(t.kv);
    t.kv.set = (key: string, value: unknown, ttl?: number) =>
      key === KEYS.head ? Promise.reject(new Error('killed')) : realSet(key, value, ttl);
    await expect(t.app.ingestor.drain()).rejects.toThrow('killed');
    t.kv.set = realSet;
    const again = await t.app.ingestor.drain();
    expect(again.duplicates).toBe(0);
    expect(again.detections.length).toBeGreaterThan(0);
    // Killed after the commit, before the inbox items were deleted: skipped by head.consumed.
    const u = testApp();
    await u.app.ingestor.accept('forwarder', [adminGroupRecord()]);
    const realExec = u.sql.execute.bind(u.sql);
    let dels = 0;
    u.sql.execute = (q, p) =>
      q.startsWith('DELETE FROM inbox') && dels++ === 0
        ? Promise.reject(new Error('killed'))
        : realExec(q, p);
    await expect(u.app.ingestor.drain()).rejects.toThrow('killed');
    expect(inboxIds(u.sqlDb)).toHaveLength(1);
    const next = await u.app.ingestor.drain();
    expect(next.items).toBe(0);
    expect(inboxIds(u.sqlDb)).toEqual([]);
  });

  test('engine and correlator state survive between batches (snapshots in chunks under 240 KiB)', async () => {
    const t = testApp();
    await t.app.ingestor.accept('forwarder', [adminGroupRecord(1)]);
    const a = await t.app.ingestor.drain();
    await t.app.ingestor.accept('forwarder', [adminGroupRecord(2, '2026-11-01T11:05:00.000+0000')]);
    const b = await t.app.ingestor.drain();
    // The second detection about the same actor joins the first incident.
    expect(b.incidents).toEqual(a.incidents);
    const head = await t.app.storage.head();
    expect(head?.gen).toBe(2);
    expect(t.kv.keys().filter((k) => k.startsWith('snap:1:'))).toEqual([]);
    expect(t.kv.keys().filter((k) => k.startsWith('snap:2:')).length).toBe(head?.chunks);
  });
});

describe('pollers: the cursor moves only after the window is stored', () => {
  const jiraAudit = (records: unknown[]) => (method: string, path: string) =>
    method === 'GET' && path.startsWith('/rest/api/3/auditing/record')
      ? answer(200, { offset: 0, limit: 1000, total: records.length, records })
      : undefined;

  test('a failed inbox write (Forge SQL) leaves the cursor where it was; the next poll reads the window again', async () => {
    const t = testApp();
    await t.app.pollers.startBackfill(1);
    const before = await t.app.storage.cursor<{ until: number }>('jira-audit');
    t.product.routes.jira = jiraAudit([adminGroupRecord()]);
    t.sqlDb.injectFault({ query: /^INSERT IGNORE INTO inbox/, status: 503 });
    await expect(t.app.poll('jira-audit')).rejects.toThrow('Simulated Forge SQL fault');
    expect(await t.app.storage.cursor('jira-audit')).toEqual(before);
    expect(inboxIds(t.sqlDb)).toEqual([]);

    const r = await t.app.poll('jira-audit');
    expect(r.error).toBeUndefined();
    expect(r.records).toBe(1);
    const after = await t.app.storage.cursor<{ until: number }>('jira-audit');
    expect(after!.until).toBe(t.clock.now - 60_000);
    // The window's request named the stored cursor as its start.
    const first = t.product.calls.find((c) => c.path.startsWith('/rest/api/3/auditing/record'));
    expect(first?.path).toContain(`from=${encodeURIComponent(new Date(before!.until).toISOString())}`);
  });

  test('an API error stops the poll at the last stored window and is reported for readiness', async () => {
    const t = testApp();
    await t.app.pollers.startBackfill(3);
    let n = 0;
    t.product.routes.jira = (method, path) => {
      if (!path.startsWith('/rest/api/3/auditing/record')) return undefined;
      return n++ === 1
        ? answer(403, { errorMessages: ['forbidden'] })
        : answer(200, { total: 0, records: [] });
    };
    const r = await t.app.poll('jira-audit');
    expect(r.windows).toBe(1);
    expect(r.error).toContain('HTTP 403');
    const cur = await t.app.storage.cursor<{ until: number }>('jira-audit');
    expect(cur!.until).toBe(t.clock.now - 3 * 86_400_000 + 86_400_000);
    const { readiness } = await import('../../src/forge/core/readiness');
    const list = await readiness(t.kv, await t.app.storage.settings());
    expect(list.find((i) => i.name === 'Jira audit records')).toMatchObject({ state: 'not-ready' });
  });

  test('the org events stream is skipped without an org key', async () => {
    const t = testApp();
    const r = await t.app.poll('org-events');
    expect(r.skipped).toMatch(/org API key/);
  });
});

describe('product events', () => {
  const created = {
    eventType: 'avi:jira:created:user',
    selfGenerated: false,
    atlassianId: 'admin-9',
    eventCreatedDate: '2026-11-01T11:30:00.000Z',
    user: { accountId: 'new-1', displayName: 'newhire', accountType: 'atlassian' },
  };

  test('the same event delivered twice, before and after a drain, stores one detection', async () => {
    const t = testApp();
    expect(await t.app.productEvent(created)).toEqual({ accepted: true });
    expect(await t.app.productEvent(structuredClone(created))).toEqual({ accepted: true });
    expect(inboxIds(t.sqlDb)).toHaveLength(1); // merged while waiting
    const a = await t.app.ingestor.drain();
    expect(a.detections.map((d) => d.rule.id)).toContain('user-created');
    const stored = await detectionsStored(t.kv);
    t.clock.now += 120_000;
    await t.app.productEvent(structuredClone(created)); // a platform retry after the drain
    await t.app.ingestor.drain();
    expect(await detectionsStored(t.kv)).toEqual(stored);
  });

  test('views and searches can be turned off; other events still flow; one drain is asked for per 30 s', async () => {
    const t = testApp();
    const view = {
      eventType: 'avi:confluence:viewed:page',
      atlassianId: 'u',
      eventCreatedDate: '2026-11-01T11:30:00.000Z',
      content: { id: '1', title: 'x', space: { key: 'S' } },
    };
    expect(await t.app.productEvent(view)).toEqual({ accepted: true });
    expect(
      await t.app.productEvent({ ...view, content: { id: '2', title: 'y', space: { key: 'S' } } }),
    ).toEqual({ accepted: true });
    expect(t.pushed.filter((p) => p.queue === 'ingest')).toEqual([
      { queue: 'ingest', body: { kind: 'drain' }, delay: 30 },
    ]);
    const u = testApp();
    await u.app.storage.saveSettings({ ...(await u.app.storage.settings()), ingestViews: false });
    expect((await u.app.productEvent(view)).accepted).toBe(false);
    expect((await u.app.productEvent(created)).accepted).toBe(true);
    expect(await u.app.productEvent({ eventType: 'avi:forge:unknown' })).toMatchObject({ accepted: false });
  });
});

describe('a batch that can start containment is drained at once, by any path', () => {
  const ordinary = (id: number) => ({
    ...adminGroupRecord(id),
    summary: 'User added to group',
    objectItem: { name: 'developers', typeName: 'GROUP' },
  });

  test('an admin-group change from a poll pushes a drain with no delay, past the debounce and cooldown marks', async () => {
    const t = testApp();
    // A large state's cooldown holds the regular drains back (up to 300 s).
    await t.kv.set(KEYS.drainPending('fast'), t.clock.now, 264);
    await t.app.ingestor.accept('jira-audit', [ordinary(1)]);
    expect(t.pushed).toEqual([]); // the cooldown's queued drain will take it
    await t.app.ingestor.accept('jira-audit', [ordinary(2), adminGroupRecord(3)]);
    expect(t.pushed).toEqual([{ queue: 'ingest', body: { kind: 'drain', urgent: true } }]);
    // A second urgent batch before that drain starts shares it (plus the regular request, here a no-op).
    await t.app.ingestor.accept('confluence-audit', [adminGroupRecord(4)]);
    expect(t.pushed).toHaveLength(1);
    // The drain clears the mark before it reads the inbox: what arrives later asks for its own.
    await t.app.job('ingest', { kind: 'drain', urgent: true });
    expect(await t.kv.get(KEYS.drainPending('urgent'))).toBeUndefined();
    expect(t.pushed.filter((p) => p.queue === 'contain')).toHaveLength(1);
    await t.app.ingestor.accept('jira-audit', [adminGroupRecord(5)]);
    expect(t.pushed.filter((p) => p.queue === 'ingest').pop()).toEqual({
      queue: 'ingest',
      body: { kind: 'drain', urgent: true },
    });
    // A record already drained (the webhook's, fetched again by a poll) asks for no urgent drain.
    await t.app.job('ingest', { kind: 'drain', urgent: true });
    const before = t.pushed.length;
    await t.app.ingestor.accept('org-events', [adminGroupRecord(5)]);
    expect(t.pushed.slice(before).filter((p) => p.body['urgent'] === true)).toEqual([]);
  });

  test('only what a rule can raise to the policy severity on its own is urgent; a disabled rule is not', async () => {
    const t = testApp();
    await t.app.ingestor.accept('jira-audit', [ordinary(1)]);
    expect(t.pushed).toEqual([{ queue: 'ingest', body: { kind: 'drain' }, delay: 5 }]);
    const u = testApp();
    const s = await u.app.storage.settings();
    await u.app.storage.saveSettings({ ...s, disabledRules: ['admin-group-member-added'] });
    await u.app.ingestor.accept('jira-audit', [adminGroupRecord(1)]);
    expect(u.pushed).toEqual([{ queue: 'ingest', body: { kind: 'drain' }, delay: 5 }]);
  });
});

test('drains slow down as the state grows, to keep snapshot reads and writes within the KVS budget', async () => {
  const { drainCooldownSeconds } = await import('../../src/forge/core/ingest');
  expect(drainCooldownSeconds(200_000)).toBe(5);
  expect(drainCooldownSeconds(5_000_000)).toBe(15);
  expect(drainCooldownSeconds(90_000_000)).toBe(264);
  expect(drainCooldownSeconds(1e9)).toBe(300);
});

test('one drain takes a peak cooldown of product events (up to 20,000 items) in SQL statements within the request and response limits', async () => {
  const t = testApp();
  const n = 17_500;
  for (let i = 0; i < n; i++)
    await t.app.productEvent({
      eventType: 'avi:confluence:viewed:page',
      atlassianId: `u-${i % 500}`,
      eventCreatedDate: new Date(t.clock.now - 60_000 + (i % 60_000)).toISOString(),
      content: { id: String(i), type: 'page', title: `Page ${i}`, space: { key: `S${i % 40}` } },
    });
  t.sqlDb.resetStats();
  t.kv.resetCounts();
  const r = await t.app.ingestor.drain();
  expect(r.items).toBe(n);
  expect(r.more).toBe(false);
  expect(inboxIds(t.sqlDb)).toEqual([]);
  const s = t.sqlDb.stats();
  expect(s.errors).toBe(0); // no request over 1 MiB, no response over 4 MiB (the emulator refuses them)
  // Ids and sizes, then records, UPDATEs (the generation tag) and DELETEs by 2,000 ids (a group of records
  // is also cut at 3 MB; these are ~1 MB): 1 + 9 + 9 + 9 statements. No mark for product events.
  expect(s.statements).toEqual({ SELECT: 1 + 9, UPDATE: 9, DELETE: 9 });
  // No KVS cost per event: the drain's KVS use is the snapshot, head and settings.
  expect(t.kv.counts.requests).toBeLessThan(20);
});
