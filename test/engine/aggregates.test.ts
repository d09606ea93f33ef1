import type { AuditEvent } from '../../src/core/event';
import { Engine } from '../../src/engine';
import { ListSet } from '../../src/lists';
import { DAY, HOUR, MIN, T0, ev, rule } from './helpers';

const lists = new ListSet([
  { name: 'service-account-patterns', description: '', kind: 'glob', entries: ['svc-*'], sources: [] },
  { name: 'admin-groups', description: '', kind: 'string', entries: ['jira-administrators'], sources: [] },
]);

const downloads = (over: Record<string, unknown> = {}) =>
  rule({
    id: 'archive-burst',
    detection: { dl: { 'event.action': 'repository.archive.downloaded' }, condition: 'dl' },
    aggregate: { type: 'count', by: ['user.name'], window: '10m', threshold: 3 },
    summary: '{user.name} downloaded {count} archives',
    ...over,
  });
const dl = (t: number, user = 'mallory', extra: Record<string, unknown> = {}, refLine?: number): AuditEvent =>
  ev({ '@timestamp': t, 'event.action': 'repository.archive.downloaded', 'user.name': user, ...extra }, refLine);

function run(engine: Engine, events: AuditEvent[]): { at: number; id: string; key: string; summary: string; n: number }[] {
  const out: { at: number; id: string; key: string; summary: string; n: number }[] = [];
  events.forEach((e, i) => {
    for (const d of engine.process(e)) out.push({ at: i, id: d.id, key: d.key, summary: d.summary, n: d.evidenceCount });
  });
  return out;
}

describe('count', () => {
  it('fires when threshold events fall within the window, on the completing event', () => {
    const engine = new Engine({ rules: [downloads()], lists });
    const got = run(engine, [dl(T0), dl(T0 + MIN), dl(T0 + 2 * MIN)]);
    expect(got).toEqual([expect.objectContaining({ at: 2, key: 'user.name=mallory', summary: 'mallory downloaded 3 archives', n: 3 })]);
  });

  it('window edge: exactly the window apart fires, one ms more does not', () => {
    const edge = run(new Engine({ rules: [downloads()], lists }), [dl(T0), dl(T0 + 5 * MIN), dl(T0 + 10 * MIN)]);
    expect(edge).toHaveLength(1);
    const past = run(new Engine({ rules: [downloads()], lists }), [dl(T0), dl(T0 + 5 * MIN), dl(T0 + 10 * MIN + 1)]);
    expect(past).toHaveLength(0);
  });

  it('keys are separate', () => {
    const got = run(new Engine({ rules: [downloads()], lists }), [dl(T0, 'a'), dl(T0, 'b'), dl(T0 + 1, 'a'), dl(T0 + 1, 'b')]);
    expect(got).toHaveLength(0);
  });

  it('suppresses the key for the window after firing, then fires again', () => {
    const events = [0, 1, 2, 3, 4, 5, 6, 7].map((m) => dl(T0 + m * MIN));
    // fires at 2; 3..7 suppressed until 2m+10m = 12m
    expect(run(new Engine({ rules: [downloads()], lists }), events).map((d) => d.at)).toEqual([2]);
    const later = [...events, dl(T0 + 12 * MIN), dl(T0 + 13 * MIN), dl(T0 + 14 * MIN)];
    expect(run(new Engine({ rules: [downloads()], lists }), later).map((d) => d.at)).toEqual([2, 10]);
  });

  it('an event stamped far in the future does not expire live windows', () => {
    const engine = new Engine({ rules: [downloads()], lists, sweepEvery: 1, now: () => T0 + DAY });
    const got = run(engine, [dl(T0), dl(T0 + MIN), ev({ '@timestamp': Date.parse('2099-01-01'), 'user.name': 'clock-skew' }), dl(T0 + 2 * MIN)]);
    expect(got.map((d) => d.at)).toEqual([3]);
    // Without the guard (a clock far ahead), the sweep at the 2099 event drops mallory's window.
    const naive = new Engine({ rules: [downloads()], lists, sweepEvery: 1, now: () => Date.parse('2100-01-01') });
    expect(run(naive, [dl(T0), dl(T0 + MIN), ev({ '@timestamp': Date.parse('2099-01-01'), 'user.name': 'clock-skew' }), dl(T0 + 2 * MIN)])).toEqual([]);
  });

  it('accepts slightly out-of-order events and ignores the missing by field', () => {
    const got = run(new Engine({ rules: [downloads()], lists }), [dl(T0 + 5 * MIN), dl(T0), ev({ '@timestamp': T0, 'event.action': 'repository.archive.downloaded' }), dl(T0 + 2 * MIN)]);
    expect(got).toEqual([expect.objectContaining({ at: 3, n: 3 })]);
  });
});

describe('distinct', () => {
  const repos = rule({
    id: 'many-repos',
    detection: { dl: { 'event.action': 'repository.archive.downloaded' }, condition: 'dl' },
    aggregate: { type: 'distinct', field: 'atlassian.repository.name', by: ['user.name'], window: '1h', threshold: 3 },
    summary: '{user.name}: {count} repositories',
  });
  const r = (t: number, repo: string) => dl(t, 'mallory', { 'atlassian.repository.name': repo });

  it('counts distinct values, not events', () => {
    const got = run(new Engine({ rules: [repos], lists }), [r(T0, 'A/a'), r(T0 + 1, 'A/a'), r(T0 + 2, 'a/A'), r(T0 + 3, 'B/b'), r(T0 + 4, 'C/c')]);
    expect(got).toEqual([expect.objectContaining({ at: 4, summary: 'mallory: 3 repositories', n: 3 })]);
  });

  it('values older than the window drop out; the edge is inclusive', () => {
    expect(run(new Engine({ rules: [repos], lists }), [r(T0, 'a'), r(T0 + 30 * MIN, 'b'), r(T0 + HOUR + 1, 'c')])).toHaveLength(0);
    expect(run(new Engine({ rules: [repos], lists }), [r(T0, 'a'), r(T0 + 30 * MIN, 'b'), r(T0 + HOUR, 'c')])).toHaveLength(1);
  });

  it('suppresses for the window after firing', () => {
    const events = ['a', 'b', 'c', 'd', 'e', 'f'].map((x, i) => r(T0 + i * MIN, x));
    expect(run(new Engine({ rules: [repos], lists }), events).map((d) => d.at)).toEqual([2]);
  });
});

describe('sequence', () => {
  const seq = rule({
    id: 'created-then-admin',
    detection: {
      created: { 'event.action': 'user.created' },
      added: { 'event.action': 'group.member.added', 'group.name|list': 'admin-groups' },
      condition: 'created or added',
    },
    aggregate: {
      type: 'sequence',
      window: '1h',
      steps: [
        { selection: 'created', by: ['user.target.name'] },
        { selection: 'added', by: ['user.target.name'] },
      ],
    },
    summary: '{user.target.name} created by {user.name} and made admin',
  }, lists);
  const created = (t: number, target: string) => ev({ '@timestamp': t, 'event.action': 'user.created', 'user.name': 'svc-x', 'user.target.name': target });
  const added = (t: number, target: string, group = 'jira-administrators') =>
    ev({ '@timestamp': t, 'event.action': 'group.member.added', 'user.name': 'svc-x', 'user.target.name': target, 'group.name': group });

  it('fires on the last step with the events of all steps as evidence', () => {
    const engine = new Engine({ rules: [seq], lists });
    const events = [created(T0, 'jsmith2'), added(T0 + 10 * MIN, 'other'), added(T0 + 20 * MIN, 'JSmith2')];
    const ds = events.flatMap((e) => engine.process(e));
    expect(ds).toHaveLength(1);
    expect(ds[0]?.events.map((e) => e['event.action'])).toEqual(['user.created', 'group.member.added']);
    expect(ds[0]?.summary).toBe('JSmith2 created by svc-x and made admin');
  });

  it('needs the order and the window, and the step selection', () => {
    expect(run(new Engine({ rules: [seq], lists }), [added(T0, 'u'), created(T0 + 30 * MIN, 'u')]).length).toBe(0);
    expect(run(new Engine({ rules: [seq], lists }), [created(T0, 'u'), added(T0 + HOUR + 1, 'u')]).length).toBe(0);
    expect(run(new Engine({ rules: [seq], lists }), [created(T0, 'u'), added(T0 + HOUR, 'u')]).length).toBe(1);
    expect(run(new Engine({ rules: [seq], lists }), [created(T0, 'u'), added(T0 + MIN, 'u', 'jira-users')]).length).toBe(0);
  });

  it('a chain completes once', () => {
    expect(run(new Engine({ rules: [seq], lists }), [created(T0, 'u'), added(T0 + MIN, 'u'), added(T0 + 2 * MIN, 'u')]).length).toBe(1);
  });

  it('a step may combine selections like a condition', () => {
    const r = rule({
      id: 'seq-expr',
      detection: {
        created: { 'event.action': 'user.created' },
        scim: { 'user.name|startswith': 'scim' },
        added: { 'event.action': 'group.member.added' },
        condition: 'created or added',
      },
      aggregate: {
        type: 'sequence',
        window: '1h',
        steps: [
          { selection: 'created and not scim', by: ['user.target.name'] },
          { selection: 'added', by: ['user.target.name'] },
        ],
      },
    });
    const mk = (actor: string) => [
      ev({ '@timestamp': T0, 'event.action': 'user.created', 'user.name': actor, 'user.target.name': 'u' }),
      ev({ '@timestamp': T0 + MIN, 'event.action': 'group.member.added', 'user.name': actor, 'user.target.name': 'u' }),
    ];
    expect(run(new Engine({ rules: [r], lists }), mk('scim-sync'))).toHaveLength(0);
    expect(run(new Engine({ rules: [r], lists }), mk('svc-x'))).toHaveLength(1);
  });
});

describe('first_seen', () => {
  const fs = rule({
    id: 'new-country',
    detection: { login: { 'event.action': 'user.login' }, condition: 'login' },
    aggregate: { type: 'first_seen', field: 'source.geo.country_iso_code', by: ['user.name'], learn: '7d', forget: '30d' },
    summary: '{user.name} from {source.geo.country_iso_code}',
  });
  const login = (t: number, cc: string, user = 'alice') => ev({ '@timestamp': t, 'event.action': 'user.login', 'user.name': user, 'source.geo.country_iso_code': cc });

  it('learns silently, then fires on a value never seen for the key', () => {
    const got = run(new Engine({ rules: [fs], lists }), [
      login(T0, 'US'),
      login(T0 + DAY, 'DE'), // learning
      login(T0 + 8 * DAY, 'US'),
      login(T0 + 8 * DAY + 1, 'de'),
      login(T0 + 9 * DAY, 'RO'),
      login(T0 + 9 * DAY + 1, 'RO'),
    ]);
    expect(got.map((d) => d.summary)).toEqual(['alice from RO']);
  });

  it('forgets values unseen for longer than forget', () => {
    const got = run(new Engine({ rules: [fs], lists }), [login(T0, 'US'), login(T0 + 8 * DAY, 'DE'), login(T0 + 40 * DAY, 'US')]);
    expect(got.map((d) => d.summary)).toEqual(['alice from DE', 'alice from US']);
  });
});

describe('dormant and enrichment', () => {
  const dormant = rule({
    id: 'dormant-wakes',
    detection: { any: { 'user.kind': 'service' }, condition: 'any' },
    aggregate: { type: 'dormant', by: 'user.name', idle: '30d' },
    summary: '{user.name} idle {bulkhead.actor.idle_days} days',
  });

  it('fires when the identity acts after being unseen for at least idle, using any event as a sighting', () => {
    const engine = new Engine({ rules: [dormant], lists });
    const got = run(engine, [
      ev({ '@timestamp': T0, 'user.name': 'svc-smartsheet' }),
      ev({ '@timestamp': T0 + 29 * DAY, 'event.action': 'page.viewed', 'user.name': 'svc-smartsheet' }),
      ev({ '@timestamp': T0 + 59 * DAY, 'user.name': 'svc-smartsheet' }),
      ev({ '@timestamp': T0 + 100 * DAY, 'user.name': 'svc-smartsheet' }),
      ev({ '@timestamp': T0 + 200 * DAY, 'user.name': 'alice' }), // human: not selected
    ]);
    expect(got.map((d) => d.summary)).toEqual(['svc-smartsheet idle 30 days', 'svc-smartsheet idle 41 days']);
  });

  it('marks service accounts by name or email local part, and fills idle days', () => {
    const engine = new Engine({ rules: [], lists });
    const a = ev({ '@timestamp': T0, 'user.name': 'Svc-Backup' });
    const b = ev({ '@timestamp': T0, 'user.name': 'bob', 'user.email': 'svc-mail@example.com' });
    const c = ev({ '@timestamp': T0 + 3 * DAY + HOUR, 'user.name': 'alice', 'user.target.name': 'Svc-Backup' });
    const d = ev({ '@timestamp': T0 + 10 * DAY, 'user.name': 'svc-backup' });
    const late = ev({ '@timestamp': T0 + 5 * DAY, 'user.name': 'svc-backup' });
    for (const e of [a, b, c, d, late]) engine.process(e);
    expect(a['user.kind']).toBe('service');
    expect(b['user.kind']).toBe('service');
    expect(c['user.kind']).toBe('human');
    expect(c['user.target.kind']).toBe('service');
    expect(c['bulkhead.target.idle_days']).toBe(3);
    expect(c['bulkhead.actor.idle_days']).toBeUndefined();
    expect(a['bulkhead.actor.idle_days']).toBeUndefined();
    expect(d['bulkhead.actor.idle_days']).toBe(10);
    expect(late['bulkhead.actor.idle_days']).toBe(0); // out of order: never negative
  });
});

describe('simple rules', () => {
  const r = rule({
    id: 'admin-added',
    severity: 'high',
    detection: { add: { 'event.action': 'group.member.added', 'group.name|list': 'admin-groups' }, condition: 'add' },
    suppress: '1h',
    escalate: [
      { severity: 'critical', when: { 'user.kind': 'service' }, reason: 'a service account did it' },
      { severity: 'low', when: { 'user.name': 'x' }, reason: 'never raises severity' },
    ],
    summary: '{user.name} added {user.target.name} to {group.name} from {source.ip}',
  }, lists);
  const add = (t: number, user: string, extra: Record<string, unknown> = {}) =>
    ev({ '@timestamp': t, 'event.action': 'group.member.added', 'user.name': user, 'group.name': 'jira-administrators', 'user.target.name': 't', ...extra });

  it('escalates by the first matching entry, renders missing fields as ?, and suppresses per actor', () => {
    const engine = new Engine({ rules: [r], lists });
    const ds = [add(T0, 'svc-smart'), add(T0 + MIN, 'svc-smart'), add(T0 + 2 * MIN, 'x'), add(T0 + HOUR, 'svc-smart')].flatMap((e) => engine.process(e));
    expect(ds.map((d) => [d.key, d.severity, d.escalation ?? null])).toEqual([
      ['user.name=svc-smart', 'critical', 'a service account did it'],
      ['user.name=x', 'high', 'never raises severity'],
      ['user.name=svc-smart', 'critical', 'a service account did it'],
    ]);
    expect(ds[0]?.summary).toBe('svc-smart added t to jira-administrators from ?');
    expect(ds[0]?.evidence).toEqual([{ file: 'test#examples[0]', line: expect.any(Number) }]);
    expect(ds[0]?.actor).toEqual({ name: 'svc-smart', kind: 'service' });
  });
});

describe('determinism, snapshot and bounded state', () => {
  const rules = [
    downloads(),
    rule({
      id: 'many-repos',
      detection: { dl: { 'event.action': 'repository.archive.downloaded' }, condition: 'dl' },
      aggregate: { type: 'distinct', field: 'atlassian.repository.name', by: ['user.name'], window: '1h', threshold: 5 },
    }),
    rule({
      id: 'new-ip',
      detection: { dl: { 'event.action': 'repository.archive.downloaded' }, condition: 'dl' },
      aggregate: { type: 'first_seen', field: 'source.ip', by: ['user.name'], learn: '1d', forget: '7d' },
    }),
    rule({
      id: 'seq',
      detection: { a: { 'event.action': 'user.created' }, b: { 'event.action': 'repository.archive.downloaded' }, condition: 'a or b' },
      aggregate: { type: 'sequence', window: '2h', steps: [{ selection: 'a', by: ['user.target.name'] }, { selection: 'b', by: ['user.name'] }] },
    }),
    rule({ id: 'simple', detection: { a: { 'event.action': 'user.created' }, condition: 'a' }, suppress: '1d' }),
  ];
  /** A deterministic stream: `n` events, a new user every 50 events, one minute apart. */
  function* stream(n: number): Generator<AuditEvent> {
    for (let i = 0; i < n; i++) {
      const user = `u${Math.floor(i / 50)}`;
      const t = T0 + i * MIN;
      if (i % 50 === 0) yield ev({ '@timestamp': t, 'event.action': 'user.created', 'user.name': 'admin', 'user.target.name': user }, i);
      else yield dl(t, user, { 'atlassian.repository.name': `P/r${i % 7}`, 'source.ip': `10.0.${i % 3}.1` }, i);
    }
  }
  const ids = (engine: Engine, n: number) => [...stream(n)].flatMap((e) => engine.process(e).map((d) => d.id));

  it('the same input twice gives identical detection ids', () => {
    const a = ids(new Engine({ rules, lists }), 3000);
    const b = ids(new Engine({ rules, lists }), 3000);
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
  });

  it('a restored snapshot continues exactly where the original was', () => {
    const events = [...stream(2000)];
    const whole = new Engine({ rules, lists });
    const expected = events.flatMap((e) => whole.process(e).map((d) => d.id));
    const first = new Engine({ rules, lists });
    const got = events.slice(0, 1234).flatMap((e) => first.process(e).map((d) => d.id));
    const snap = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    const second = Engine.restore(snap, { rules, lists });
    // Straight from memory too (lazy arrays, as the service's setRules does it).
    const third = Engine.restore(first.snapshot(), { rules, lists });
    const rest = events.slice(1234);
    const before = got.length;
    got.push(...rest.flatMap((e) => second.process(e).map((d) => d.id)));
    expect(got).toEqual(expected);
    expect(rest.flatMap((e) => third.process(e).map((d) => d.id))).toEqual(got.slice(before));
    expect(() => Engine.restore({ version: 99 }, { rules, lists })).toThrow(/version 2/);
  });

  it('a distinct window snapshot taken before file numbers (sightings as objects) still restores', () => {
    const events = [...stream(2000)];
    const whole = new Engine({ rules, lists });
    const expected = events.flatMap((e) => whole.process(e).map((d) => d.id));
    // Split where the window holds sightings.
    type Snap = { rules: Record<string, { seen?: unknown[]; [k: string]: unknown }> };
    const first = new Engine({ rules, lists });
    const got: string[] = [];
    let at = 0;
    let snap: Snap;
    do {
      got.push(...first.process(events[at++] as AuditEvent).map((d) => d.id));
      snap = JSON.parse(JSON.stringify(first.snapshot())) as Snap;
    } while (at < 1234 || (snap.rules['many-repos']?.seen ?? []).length === 0);
    type Compact = { files: string[]; seen: [string, [string, number, number, number, number, number][], number][] };
    const compact = snap.rules['many-repos'] as unknown as Compact & { suppressed: unknown };
    expect(compact.files.length).toBeGreaterThan(0);
    expect(compact.seen.length).toBeGreaterThan(0);
    snap.rules['many-repos'] = {
      seen: compact.seen.map(([key, values, newest]) => [
        key,
        { values: values.map(([v, t, f, line, index, esc]) => [v, { t, file: compact.files[f], line, index, esc }]), newest },
      ]),
      suppressed: compact.suppressed,
    };
    const second = Engine.restore(snap, { rules, lists });
    got.push(...events.slice(at).flatMap((e) => second.process(e).map((d) => d.id)));
    expect(got).toEqual(expected);
    snap.rules['many-repos'] = { ...compact, seen: [['k', [['v', 1, 7, 1, -1, 0]], 1]] };
    expect(() => Engine.restore(snap, { rules, lists })).toThrow(/many-repos: snapshot: distinct sighting of k is malformed/);
  });

  it('a key that never fires holds its live window, not its last threshold events or values however old', () => {
    const count = downloads({ aggregate: { type: 'count', by: ['user.name'], window: '15m', threshold: 20 } });
    const distinct = rule({
      id: 'many-repos-slow',
      detection: { dl: { 'event.action': 'repository.archive.downloaded' }, condition: 'dl' },
      aggregate: { type: 'distinct', field: 'atlassian.repository.name', by: ['user.name'], window: '1h', threshold: 40 },
    });
    const engine = new Engine({ rules: [count, distinct], lists });
    // One download every 10 minutes for two days, each of another repository: never 20 in 15 min, never 40
    // repositories in an hour.
    for (let i = 0; i < 288; i++)
      expect(engine.process(dl(T0 + i * 10 * MIN, 'mallory', { 'atlassian.repository.name': `P/r${i}` }))).toEqual([]);
    const snap = JSON.parse(JSON.stringify(engine.snapshot())) as {
      rules: { 'archive-burst': { rings: [string, unknown[]][] }; 'many-repos-slow': { seen: [string, unknown[]][] } };
    };
    // 15 min holds two downloads; an hour (+ an eighth of slack) holds at most eight repositories.
    expect(snap.rules['archive-burst'].rings[0]?.[1].length).toBeLessThanOrEqual(2);
    expect(snap.rules['many-repos-slow'].seen[0]?.[1].length).toBeLessThanOrEqual(8);
  });

  it('state stays bounded by live windows with ever-new keys over a long span', () => {
    const engine = new Engine({ rules, lists });
    let max = 0;
    let i = 0;
    for (const e of stream(200_000)) {
      engine.process(e);
      if (++i % 10_000 === 0) {
        const s = engine.stats();
        max = Math.max(max, ...Object.values(s.keys));
      }
    }
    // 200,000 minutes ≈ 139 days and 4,000 users; the longest window (first_seen forget 7d) spans ~200 users.
    expect(engine.stats().events).toBe(200_000);
    expect(max).toBeLessThan(400);
  });
});
