import '../../src/forge-harness/register';
import { asApp, route } from '@forge/api';
import { kvs, Filter, WhereConditions, FilterConditions, Sort } from '@forge/kvs';
import { Queue, InvocationError, InvocationErrorCode } from '@forge/events';
import Resolver from '@forge/resolver';
import {
  HANG,
  KVS_LIMITS,
  entitiesFromManifest,
  resetForgeHarness,
  type ForgeHarness,
} from '../../src/forge-harness';

let h: ForgeHarness;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
beforeEach(() => {
  h = resetForgeHarness({
    startMs: T0,
    entities: entitiesFromManifest(`
app:
  storage:
    entities:
      - name: detection
        attributes:
          actor: { type: string }
          at: { type: integer }
          rule: { type: string }
          open: { type: boolean }
        indexes:
          - at
          - name: by-actor
            range: [at]
            partition: [actor]
`),
  });
});

describe('clock', () => {
  test('Date reads the simulated clock and moves only when the harness moves it', async () => {
    expect(Date.now()).toBe(T0);
    expect(new Date().toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(new Date(0).getTime()).toBe(0);
    expect(new Date() instanceof Date).toBe(true);
    await h.advance(1500);
    expect(Date.now()).toBe(T0 + 1500);
  });
});

describe('KVS', () => {
  test('get/set/delete, KEY_NOT_FOUND is undefined, secrets are a separate namespace', async () => {
    expect(await kvs.get('nope')).toBeUndefined();
    await kvs.set('k', { a: 1 });
    expect(await kvs.get('k')).toEqual({ a: 1 });
    await kvs.setSecret('k', 'hidden');
    expect(await kvs.get('k')).toEqual({ a: 1 });
    expect(await kvs.getSecret('k')).toBe('hidden');
    await kvs.delete('k');
    expect(await kvs.get('k')).toBeUndefined();
    expect(await kvs.getSecret('k')).toBe('hidden');
    await kvs.deleteSecret('k');
    expect(await kvs.getSecret('k')).toBeUndefined();
  });

  test('limits answer with the documented error codes', async () => {
    await expect(kvs.set('x'.repeat(501), 1)).rejects.toMatchObject({ code: 'KEY_TOO_LONG' });
    await expect(kvs.set('bad/key', 1)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(kvs.set('big', 'x'.repeat(KVS_LIMITS.valueBytes + 1))).rejects.toMatchObject({
      code: 'MAX_SIZE',
    });
    await expect(
      kvs.batchSet(Array.from({ length: 26 }, (_, i) => ({ key: `k${i}`, value: i }))),
    ).rejects.toMatchObject({ code: 'BATCH_TOO_LARGE' });
    await expect(kvs.query().limit(21).getMany()).rejects.toMatchObject({ code: 'INVALID_LIMIT' });
    await kvs.set('once', 1, { keyPolicy: 'FAIL_IF_EXISTS' });
    await expect(kvs.set('once', 2, { keyPolicy: 'FAIL_IF_EXISTS' })).rejects.toMatchObject({
      code: 'KEY_ALREADY_EXISTS',
    });
    expect(await kvs.set('once', 3, { keyPolicy: 'OVERRIDE', returnValue: 'PREVIOUS' })).toMatchObject({
      key: 'once',
      value: 1,
    });
  });

  test('query by key prefix pages with a cursor', async () => {
    for (let i = 0; i < 25; i++) await kvs.set(`evt:${String(i).padStart(2, '0')}`, i);
    await kvs.set('other', 0);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      let q = kvs.query().where('key', WhereConditions.beginsWith('evt:')).limit(10);
      if (cursor) q = q.cursor(cursor);
      const page = await q.getMany<number>();
      seen.push(...page.results.map((r) => r.value));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  test('TTL expires on the simulated clock', async () => {
    await kvs.set('lock', 1, { ttl: { value: 30, unit: 'SECONDS' } } as never);
    expect(await kvs.get('lock')).toBe(1);
    await h.advance(31_000);
    expect(await kvs.get('lock')).toBeUndefined();
  });

  test('custom entities: index, partition, range, filters, sort, cursor; attributes are checked', async () => {
    const e = kvs.entity<{ actor: string; at: number; rule: string; open: boolean }>('detection');
    for (let i = 0; i < 12; i++)
      await e.set(`d${i}`, {
        actor: i % 2 ? 'mallory' : 'alice',
        at: 100 + i,
        rule: i % 3 ? 'r1' : 'r2',
        open: i < 6,
      });
    const q = await e
      .query()
      .index('by-actor', { partition: ['mallory'] })
      .where(WhereConditions.greaterThan(103))
      .sort(Sort.DESC)
      .getMany();
    expect(q.results.map((r) => r.key)).toEqual(['d11', 'd9', 'd7', 'd5']);
    const f = await e
      .query()
      .index('at')
      .filters(
        new Filter<{ actor: string; at: number; rule: string; open: boolean }>()
          .and('rule', FilterConditions.equalTo('r2'))
          .and('open', FilterConditions.equalTo(true)),
      )
      .getMany();
    expect(f.results.map((r) => r.key)).toEqual(['d0', 'd3']);
    const p1 = await e.query().index('at').limit(5).getMany();
    expect(p1.results).toHaveLength(5);
    const p2 = await e.query().index('at').limit(100).cursor(p1.nextCursor!).getMany();
    expect(p2.results.map((r) => r.key)).toEqual(['d5', 'd6', 'd7', 'd8', 'd9', 'd10', 'd11']);
    expect(p2.nextCursor).toBeUndefined();
    await expect(e.query().index('at').limit(101).getMany()).rejects.toMatchObject({ code: 'INVALID_LIMIT' });
    await expect(kvs.entity('detection').set('bad', { actor: 1 })).rejects.toMatchObject({
      code: 'INVALID_ATTRIBUTE_TYPE',
    });
    await expect(kvs.entity('nosuch').set('x', {})).rejects.toMatchObject({ code: 'ENTITY_NOT_FOUND' });
  });

  test('transactions are all-or-nothing on their conditions', async () => {
    const e = kvs.entity<{ actor: string; at: number; rule: string; open: boolean }>('detection');
    await e.set('d1', { actor: 'a', at: 1, rule: 'r', open: true });
    await expect(
      kvs
        .transact()
        .set('d1', { actor: 'a', at: 2, rule: 'r', open: false }, {
          entityName: 'detection',
          conditions: new Filter<{ open: boolean }>().and('open', FilterConditions.equalTo(false)),
        } as never)
        .set('plain', 1)
        .execute(),
    ).rejects.toMatchObject({ code: 'CONDITIONAL_CHECK_FAILED' });
    expect(await kvs.get('plain')).toBeUndefined();
    await kvs.transact().set('plain', 1).set('plain2', 2).execute();
    expect(await kvs.get('plain2')).toBe(2);
  });

  test('operations are counted per type', async () => {
    h.kvs.resetStats();
    await kvs.set('a', 1);
    await kvs.get('a');
    await kvs.batchSet([
      { key: 'b', value: 1 },
      { key: 'c', value: 2 },
    ]);
    const s = h.stats().kvs;
    expect(s.requests).toEqual({ '/api/v1/set': 1, '/api/v1/get': 1, '/api/v1/batch/set': 1 });
    expect(s.writes).toBe(3);
    expect(s.reads).toBe(1);
  });
});

describe('queues', () => {
  test('push → delivered after its delay as an AsyncEvent; InvocationError retries with retryContext', async () => {
    const seen: { body: unknown; at: number; retry?: unknown }[] = [];
    h.registerConsumer(
      'work',
      (event: {
        body: unknown;
        retryContext?: { retryCount: number; retryReason: string; retryData: unknown };
      }) => {
        seen.push({ body: event.body, at: Date.now(), retry: event.retryContext });
        if (!event.retryContext)
          return new InvocationError({
            retryAfter: 10,
            retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
            retryData: { n: 1 },
          });
        return undefined;
      },
    );
    await h.invokeFunction(
      'pusher',
      async () => {
        await new Queue({ key: 'work' }).push([{ body: { n: 1 }, delayInSeconds: 5 }]);
      },
      {},
    );
    await h.runUntilIdle();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ body: { n: 1 }, at: T0 + 5000 });
    expect(seen[1]).toMatchObject({
      at: T0 + 15000,
      retry: { retryCount: 1, retryReason: 'FUNCTION_RETRY_REQUEST', retryData: { n: 1 } },
    });
    expect(h.stats().queue).toMatchObject({ eventsPublished: 1, deliveries: 2, retries: 1, succeeded: 1 });
  });

  test('thrown errors are retried by the platform at most 4 times; a job can report its stats', async () => {
    let calls = 0;
    h.registerConsumer('boom', () => {
      calls++;
      throw new Error('nope');
    });
    const { jobId } = await new Queue({ key: 'boom' }).push({ body: {} });
    await h.runUntilIdle();
    expect(calls).toBe(5);
    expect(await new Queue({ key: 'boom' }).getJob(jobId).getStats()).toEqual({
      success: 0,
      inProgress: 0,
      failed: 1,
    });
  });

  test('platform validation: 51 events, too big, rate limit', async () => {
    const q = new Queue({ key: 'q' });
    await expect(q.push(Array.from({ length: 51 }, () => ({ body: {} })))).rejects.toThrow(/50 events/);
    for (let i = 0; i < 10; i++) await q.push(Array.from({ length: 50 }, () => ({ body: {} })));
    await expect(q.push({ body: {} })).rejects.toThrow(/Too many requests/);
    await h.advance(60_001);
    await q.push({ body: {} });
  });

  test('duplicate delivery (at-least-once) under a seed', async () => {
    h = resetForgeHarness({ seed: 7, queue: { duplicateRate: 1 } });
    const ids: string[] = [];
    h.registerConsumer('dup', (e: { eventId: string }) => {
      ids.push(e.eventId);
    });
    await new Queue({ key: 'dup' }).push([{ body: { a: 1 } }, { body: { a: 2 } }]);
    await h.runUntilIdle();
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('triggers, web triggers, resolvers, scheduled triggers', () => {
  test('product event retried on InvocationError at most 4 times', async () => {
    const got: unknown[] = [];
    h.registerTrigger(
      'on-user',
      ['avi:jira:created:user'],
      (event: { retryContext?: unknown }, ctx: { installContext: string }) => {
        got.push([event.retryContext, ctx.installContext]);
        return new InvocationError({
          retryAfter: 30,
          retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
        });
      },
    );
    h.deliverEvent({ eventType: 'avi:jira:created:user', user: { accountId: 'u1' } }, { delayMs: 2000 });
    h.deliverEvent({ eventType: 'avi:jira:deleted:user' });
    await h.runUntilIdle();
    expect(got).toHaveLength(5);
    expect(got[0]).toEqual([undefined, h.contextAri]);
    expect(got[4]).toEqual([
      { retryCount: 4, retryReason: 'FUNCTION_RETRY_REQUEST', retryData: undefined },
      h.contextAri,
    ]);
    expect(h.productEventDeliveries[0]!.at).toBe(T0 + 2000);
  });

  test('a call that never answers times the invocation out; product events are retried', async () => {
    let n = 0;
    h.setProductHandler('jira', () => (n++ === 0 ? HANG : { status: 200, body: {} }));
    const outcomes: string[] = [];
    h.registerTrigger('t', ['avi:jira:created:issue'], async () => {
      await asApp().requestJira(route`/rest/api/3/myself`);
      outcomes.push('done');
    });
    h.deliverEvent({ eventType: 'avi:jira:created:issue' });
    await h.runUntilIdle();
    expect(outcomes).toEqual(['done']);
    expect(h.productEventDeliveries.map((d) => d.outcome)).toEqual(['timeout', 'ok']);
    expect(h.invocations[0]!.outcome).toBe('timeout');
  });

  test('web trigger request and response shapes', async () => {
    h.registerWebTrigger(
      'hook',
      (req: {
        method: string;
        headers: Record<string, string[]>;
        queryParameters: Record<string, string[]>;
        body: string;
      }) => ({
        statusCode: 202,
        headers: { 'Content-Type': ['application/json'] },
        body: JSON.stringify({
          m: req.method,
          h: req.headers['x-sig'],
          q: req.queryParameters.a,
          b: JSON.parse(req.body),
        }),
      }),
    );
    const r = await h.callWebTrigger('hook', {
      headers: { 'X-Sig': 'abc' },
      query: { a: '1' },
      body: { z: 1 },
    });
    expect(r.statusCode).toBe(202);
    expect(JSON.parse(r.body)).toEqual({ m: 'POST', h: ['abc'], q: ['1'], b: { z: 1 } });
    h.registerWebTrigger('bad', () => 'nope');
    expect((await h.callWebTrigger('bad')).statusCode).toBe(500);
  });

  test('resolver through getDefinitions with the caller accountId', async () => {
    const r = new Resolver();
    r.define('whoami', ({ payload, context }) => ({ accountId: context.accountId, payload }));
    h.registerResolver('admin-page', r.getDefinitions());
    expect(await h.invokeResolver('admin-page', 'whoami', { x: 1 }, { accountId: 'acc-9' })).toEqual({
      accountId: 'acc-9',
      payload: { x: 1 },
    });
  });

  test('scheduled trigger runs every interval with the documented request; runUntilIdle does not loop on it', async () => {
    const at: number[] = [];
    h.registerScheduledTrigger(
      'poll',
      'fiveMinute',
      (req: { context: { moduleKey: string; cloudId: string } }) => {
        expect(req.context).toEqual({ moduleKey: 'poll', cloudId: h.opts.cloudId });
        at.push(Date.now() - T0);
      },
    );
    await h.runUntilIdle();
    expect(at).toEqual([]);
    await h.advance(16 * 60_000);
    expect(at).toEqual([300_000, 600_000, 900_000]);
  });
});

describe('platform faults', () => {
  test('KVS answers RATE_LIMIT_EXCEEDED and a queue push 429 on demand, then recover', async () => {
    h.injectPlatformFault({ target: 'kvs', path: '/api/v1/set', count: 2 });
    h.injectPlatformFault({ target: 'queue' });
    await expect(kvs.set('a', 1)).rejects.toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' });
    expect(await kvs.get('a')).toBeUndefined();
    await expect(kvs.set('a', 1)).rejects.toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' });
    await kvs.set('a', 1);
    expect(await kvs.get('a')).toBe(1);
    await expect(new Queue({ key: 'q' }).push({ body: {} })).rejects.toThrow(/Too many requests/);
    await new Queue({ key: 'q' }).push({ body: {} });
  });
});
