import type { Detection } from '../../src/core/detection';
import type { AuditEvent } from '../../src/core/event';
import type { Incident } from '../../src/core/incident';
import { Correlator } from '../../src/correlate';
import { Engine } from '../../src/engine';
import { ListSet } from '../../src/lists';
import { DAY, HOUR, MIN, T0, ev, rule } from '../engine/helpers';

const lists = new ListSet([
  { name: 'service-account-patterns', description: '', kind: 'glob', entries: ['svc-*'], sources: [] },
]);
const rules = [
  rule({
    id: 'user-created',
    category: 'account-creation',
    severity: 'medium',
    detection: { s: { 'event.action': 'user.created' }, condition: 's' },
  }),
  rule({
    id: 'admin-added',
    category: 'privilege-escalation',
    severity: 'critical',
    detection: {
      s: { 'event.action': 'group.member.added', 'group.name': 'jira-administrators' },
      condition: 's',
    },
  }),
  rule({
    id: 'archive',
    category: 'repo-exfiltration',
    severity: 'high',
    detection: { s: { 'event.action': 'repository.archive.downloaded' }, condition: 's' },
  }),
  rule({
    id: 'search',
    category: 'sensitive-search',
    severity: 'low',
    detection: { s: { 'event.action': 'search.performed' }, condition: 's' },
  }),
  rule({
    id: 'login-fail',
    category: 'brute-force',
    severity: 'low',
    detection: { s: { 'event.action': 'user.login.failed' }, condition: 's' },
  }),
];

/** Events through engine and correlator, as a host would wire them. */
function pipeline(events: AuditEvent[], gapMs?: number) {
  const engine = new Engine({ rules, lists });
  const corr = new Correlator(gapMs !== undefined ? { gapMs } : {});
  const detections: Detection[] = [];
  for (const e of events) {
    const ds = engine.process(e);
    corr.observe(e);
    for (const d of ds) {
      detections.push(d);
      corr.add(d);
    }
  }
  return { corr, detections, incidents: corr.incidents() };
}

const cloudflare = (): AuditEvent[] =>
  [
    {
      '@timestamp': T0,
      'event.action': 'search.performed',
      'user.name': 'svc-smartsheet',
      'atlassian.search.query': 'password',
    },
    {
      '@timestamp': T0 + DAY,
      'event.action': 'user.created',
      'user.name': 'svc-smartsheet',
      'user.target.name': 'jsmith2',
    },
    {
      '@timestamp': T0 + DAY + 3 * MIN,
      'event.action': 'group.member.added',
      'user.name': 'svc-smartsheet',
      'user.target.name': 'jsmith2',
      'group.name': 'jira-users',
    },
    { '@timestamp': T0 + 2 * DAY, 'event.action': 'repository.archive.downloaded', 'user.name': 'JSmith2' },
    {
      '@timestamp': T0 + 2 * DAY + HOUR,
      'event.action': 'group.member.added',
      'user.name': 'svc-smartsheet',
      'user.target.name': 'svc-smartsheet',
      'group.name': 'jira-administrators',
    },
    { '@timestamp': T0 + 2 * DAY, 'event.action': 'search.performed', 'user.name': 'bob' },
  ].map((p, i) => ev(p, i + 1));

describe('Correlator', () => {
  it("joins a created user's detection into its creator's incident, with the link recorded", () => {
    const { incidents } = pipeline(cloudflare());
    expect(incidents).toHaveLength(2);
    const inc = incidents[0];
    expect(inc?.actor.name).toBe('svc-smartsheet');
    expect(inc?.timeline.map((t) => [t.ruleId, t.actor])).toEqual([
      ['search', 'svc-smartsheet'],
      ['user-created', 'svc-smartsheet'],
      ['archive', 'JSmith2'],
      ['admin-added', 'svc-smartsheet'],
    ]);
    expect(inc?.identities.map((i) => [i.identity.name, i.relation, i.via ?? null])).toEqual([
      ['svc-smartsheet', 'actor', null],
      ['jsmith2', 'created', 'svc-smartsheet'],
    ]);
    expect(inc?.severity).toBe('critical');
    expect(inc?.title).toBe('svc-smartsheet: privilege escalation, repository exfiltration (+2)');
    expect(incidents[1]?.actor.name).toBe('bob');
  });

  it('a detection of the linked identity joins even when it came before the creator had an incident', () => {
    const events = [
      ev({
        '@timestamp': T0,
        'event.action': 'group.member.added',
        'user.name': 'alice',
        'user.target.name': 'carol',
        'group.name': 'devs',
      }),
      ev({ '@timestamp': T0 + HOUR, 'event.action': 'repository.archive.downloaded', 'user.name': 'carol' }),
      ev({ '@timestamp': T0 + 2 * HOUR, 'event.action': 'search.performed', 'user.name': 'alice' }),
    ];
    const { incidents } = pipeline(events);
    // carol's incident opened first; alice's detection is a separate actor, but carol's incident does not own alice.
    expect(incidents.map((i) => i.actor.name)).toEqual(['carol', 'alice']);
    // With the creator detected first, the child's detection joins the creator's incident.
    const { incidents: joined } = pipeline([
      events[0] as AuditEvent,
      { ...(events[2] as AuditEvent), '@timestamp': T0 + 30 * MIN },
      events[1] as AuditEvent,
    ]);
    expect(joined).toHaveLength(1);
    expect(joined[0]?.identities.map((i) => i.relation)).toEqual(['actor', 'added-to-group']);
  });

  it('does not join beyond the gap, and prunes old links', () => {
    const events = [
      ev({ '@timestamp': T0, 'event.action': 'search.performed', 'user.name': 'mallory' }),
      ev({ '@timestamp': T0 + 8 * DAY, 'event.action': 'search.performed', 'user.name': 'mallory' }),
      ev({ '@timestamp': T0 + 9 * DAY, 'event.action': 'search.performed', 'user.name': 'mallory' }),
    ];
    expect(pipeline(events).incidents.map((i) => i.detections.length)).toEqual([1, 2]);
    expect(pipeline(events, 10 * DAY).incidents.map((i) => i.detections.length)).toEqual([3]);
    const { corr } = pipeline([
      ev({ '@timestamp': T0, 'event.action': 'user.created', 'user.name': 'a', 'user.target.name': 'b' }),
      ...Array.from({ length: 30 }, (_, i) =>
        ev({ '@timestamp': T0 + i * DAY, 'event.action': 'user.login', 'user.name': 'z' }),
      ),
    ]);
    expect(corr.stats().links).toBe(0);
  });

  it('never links through anonymous or system actors', () => {
    const events = [
      ev({
        '@timestamp': T0,
        'event.action': 'user.login.failed',
        'user.kind': 'anonymous',
        'source.ip': '1.1.1.1',
      }),
      ev({
        '@timestamp': T0 + MIN,
        'event.action': 'user.login.failed',
        'user.kind': 'anonymous',
        'source.ip': '2.2.2.2',
      }),
      ev({
        '@timestamp': T0 + 2 * MIN,
        'event.action': 'user.created',
        'user.name': 'anonymous',
        'user.target.name': 'x',
      }),
      ev({ '@timestamp': T0 + 3 * MIN, 'event.action': 'repository.archive.downloaded', 'user.name': 'x' }),
    ];
    const { incidents } = pipeline(events);
    expect(incidents.map((i) => i.title)).toEqual([
      'anonymous from 1.1.1.1: brute force',
      'anonymous from 2.2.2.2: brute force',
      'anonymous: account creation',
      'x: repository exfiltration',
    ]);
    expect(incidents.map((i) => i.identities.length)).toEqual([0, 0, 0, 1]);
    // The same anonymous source again, within the gap, is the same story.
    const again = pipeline([
      events[0] as AuditEvent,
      { ...(events[0] as AuditEvent), '@timestamp': T0 + HOUR, ref: { file: 'x', line: 99 } },
    ]);
    expect(again.incidents.map((i) => i.detections.length)).toEqual([2]);
  });

  it('is deterministic and idempotent', () => {
    const a = pipeline(cloudflare());
    const b = pipeline(cloudflare());
    expect(b.incidents.map((i) => [i.id, i.timeline.map((t) => t.detectionId)])).toEqual(
      a.incidents.map((i) => [i.id, i.timeline.map((t) => t.detectionId)]),
    );
    const ids = a.detections.map((d) => a.corr.add(d));
    expect(a.corr.incidents().map((i) => i.detections.length)).toEqual(
      a.incidents.map((i) => i.detections.length),
    );
    // add names the incident each detection is in; incident(id) returns that incident holding it.
    ids.forEach((id, n) =>
      expect(a.corr.incident(id)?.detections.map((d) => d.id)).toContain(a.detections[n]!.id),
    );
    expect(a.corr.incident('inc-none')).toBeUndefined();
  });
});

/** The Cloudflare attacker address as an IOC list, and the rule that links identities seen at it. */
const IOC_IPS = {
  name: 'ioc-ips',
  description: '',
  kind: 'cidr',
  entries: ['193.142.58.126/32'],
  sources: [],
} as const;
const iocIpRule = (l: ListSet) =>
  rule(
    {
      id: 'ioc-ip-activity',
      category: 'ioc-match',
      severity: 'critical',
      detection: { ioc: { 'source.ip|list': 'ioc-ips' }, condition: 'ioc' },
      suppress: '1h',
      links_source: true,
    },
    l,
  );

describe('identities at one attacker address (links_source)', () => {
  const iocLists = new ListSet([
    IOC_IPS,
    { name: 'tor-exits', description: '', kind: 'cidr', entries: ['185.220.101.0/24'], sources: [] },
  ]);
  const linkRules = [
    iocIpRule(iocLists),
    rule(
      {
        id: 'tor-exit-activity',
        category: 'ioc-match',
        detection: { tor: { 'source.ip|list': 'tor-exits' }, condition: 'tor' },
        suppress: '1h',
      },
      iocLists,
    ),
    rule({
      id: 'search',
      category: 'sensitive-search',
      detection: { s: { 'event.action': 'search.performed' }, condition: 's' },
    }),
  ];
  function run(events: AuditEvent[]) {
    const engine = new Engine({ rules: linkRules, lists: iocLists });
    const corr = new Correlator();
    const ids: string[] = [];
    for (const e of events) {
      corr.observe(e);
      for (const d of engine.process(e)) ids.push(corr.add(d));
    }
    return { corr, ids, incidents: corr.incidents() };
  }
  const at = (t: number, user: string, ip: string, action = 'user.login'): AuditEvent =>
    ev({ '@timestamp': t, 'event.action': action, 'user.name': user, 'source.ip': ip });

  it('joins a second identity into the first incident, and merges an incident it already had', () => {
    const { corr, ids, incidents } = run([
      at(T0, 'svc-smartsheet', '193.142.58.126'),
      // moveworks-bot's own earlier-unrelated incident (a search from the office) ...
      at(T0 + MIN, 'moveworks-bot', '10.0.0.5', 'search.performed'),
      // ... then it shows up at the attacker address: both incidents become one.
      at(T0 + HOUR, 'moveworks-bot', '193.142.58.126'),
      at(T0 + 2 * HOUR, 'svc-bitbucket', '193.142.58.126'),
    ]);
    expect(incidents).toHaveLength(1);
    const [inc] = incidents;
    expect(inc!.actor.name).toBe('svc-smartsheet');
    expect(
      inc!.identities
        .filter((l) => l.relation === 'same-attacker-address')
        .map((l) => [l.identity.name, l.via]),
    ).toEqual([
      ['moveworks-bot', '193.142.58.126'],
      ['svc-bitbucket', '193.142.58.126'],
    ]);
    expect(inc!.detections.map((d) => d.rule.id)).toEqual([
      'ioc-ip-activity',
      'search',
      'ioc-ip-activity',
      'ioc-ip-activity',
    ]);
    // Every id add() returned still names the incident, including the one that was merged away.
    for (const id of ids) expect(corr.incident(id)?.id).toBe(inc!.id);
  });

  it('does not link through rules without links_source (a Tor exit is shared by strangers), nor beyond the gap', () => {
    const tor = run([at(T0, 'alice', '185.220.101.33'), at(T0 + MIN, 'bob', '185.220.101.33')]);
    expect(tor.incidents.map((i) => i.actor.name).sort()).toEqual(['alice', 'bob']);
    const late = run([
      at(T0, 'svc-smartsheet', '193.142.58.126'),
      at(T0 + 30 * DAY, 'moveworks-bot', '193.142.58.126'),
    ]);
    expect(late.incidents).toHaveLength(2);
  });
});

describe('detections keyed by source address', () => {
  const sprayRules = [
    rule({
      id: 'password-spray-from-ip',
      category: 'brute-force',
      severity: 'high',
      detection: { failed: { 'event.action': 'user.login.failed' }, condition: 'failed' },
      aggregate: { type: 'distinct', field: 'user.name', by: ['source.ip'], window: '1h', threshold: 5 },
    }),
    rule({
      id: 'failed-login-burst-by-ip',
      category: 'brute-force',
      detection: { failed: { 'event.action': 'user.login.failed' }, condition: 'failed' },
      aggregate: { type: 'count', by: ['source.ip'], window: '15m', threshold: 8 },
    }),
  ];

  it('file a spray against many accounts as one incident about the address, not about the last account tried', () => {
    const engine = new Engine({ rules: sprayRules, lists });
    const corr = new Correlator();
    for (let i = 0; i < 12; i++) {
      const e = ev({
        '@timestamp': T0 + i * MIN,
        'event.action': 'user.login.failed',
        'user.name': `user${i}`,
        'source.ip': '185.220.101.33',
      });
      corr.observe(e);
      for (const d of engine.process(e)) corr.add(d);
    }
    const incidents = corr.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.actor).toEqual({ kind: 'anonymous' });
    expect(incidents[0]!.title).toBe('anonymous from 185.220.101.33: brute force');
    expect(incidents[0]!.detections.map((d) => d.rule.id).sort()).toEqual([
      'failed-login-burst-by-ip',
      'password-spray-from-ip',
    ]);
  });
});

describe('snapshot and restore', () => {
  const iocLists = new ListSet([
    { name: 'service-account-patterns', description: '', kind: 'glob', entries: ['svc-*'], sources: [] },
    IOC_IPS,
  ]);
  const allRules = [...rules, iocIpRule(iocLists)];
  // Made once: `ev` numbers raw lines afresh on every call, and detection ids follow the lines.
  const EVENTS: AuditEvent[] = [
    ...cloudflare(),
    ev({
      '@timestamp': T0 + 3 * DAY,
      'event.action': 'user.login',
      'user.name': 'moveworks-bot',
      'source.ip': '193.142.58.126',
    }),
    ev({
      '@timestamp': T0 + 3 * DAY + HOUR,
      'event.action': 'user.login',
      'user.name': 'svc-smartsheet',
      'source.ip': '193.142.58.126',
    }),
    ev({
      '@timestamp': T0 + 3 * DAY + 2 * HOUR,
      'event.action': 'repository.archive.downloaded',
      'user.name': 'jsmith2',
    }),
  ];
  function run(split: number | undefined) {
    const all = structuredClone(EVENTS);
    const engine = new Engine({ rules: allRules, lists: iocLists });
    let corr = new Correlator();
    all.forEach((e, i) => {
      if (i === split) corr = Correlator.restore(JSON.parse(JSON.stringify(corr.snapshot())));
      corr.observe(e);
      for (const d of engine.process(e)) corr.add(d);
    });
    return JSON.parse(JSON.stringify(corr.incidents())) as unknown;
  }

  it('a correlator restored at any point files the rest exactly as one that never stopped', () => {
    const whole = run(undefined);
    // The stream exercises identity links (created, added to a group) and an attacker-address merge.
    expect(JSON.stringify(whole)).toContain('"relation":"created"');
    expect(JSON.stringify(whole)).toContain('"relation":"same-attacker-address"');
    for (let split = 0; split <= EVENTS.length; split++)
      expect({ split, incidents: run(split) }).toEqual({ split, incidents: whole });
  });

  it("with detection summaries, incidents are the same but for the detections they hold: each category's earliest and most severe", () => {
    type Inc = { id: string; title: string; severity: string; detections: { id: string; rule: { category: string }; events: unknown[] }[]; timeline: unknown[] };
    const strip = (i: Inc) => ({ ...i, detections: undefined, timeline: undefined });
    const summarized = (split: number | undefined, from: 'whole' | 'summary') => {
      const all = structuredClone(EVENTS);
      const engine = new Engine({ rules: allRules, lists: iocLists });
      let corr = new Correlator(from === 'summary' ? { detections: 'summary' } : {});
      all.forEach((e, i) => {
        // Restored into summaries from a snapshot taken either way (the service's first start after upgrading).
        if (i === split)
          corr = Correlator.restore(JSON.parse(JSON.stringify(corr.snapshot())), { detections: 'summary' });
        corr.observe(e);
        for (const d of engine.process(e)) corr.add(d);
      });
      return JSON.parse(JSON.stringify(corr.incidents())) as Inc[];
    };
    const whole = run(undefined) as Inc[];
    expect(whole.some((i) => i.detections.length > 4)).toBe(true);
    for (const [split, from] of [[undefined, 'summary'], [7, 'summary'], [7, 'whole'], [EVENTS.length - 2, 'whole']] as const) {
      const sum = summarized(split, from);
      expect(sum.map(strip)).toEqual(whole.map(strip));
      for (const [k, inc] of sum.entries()) {
        const all = (whole[k] as Inc).detections;
        const cats = new Set(all.map((d) => d.rule.category));
        expect(inc.detections.length).toBeLessThanOrEqual(2 * cats.size);
        for (const d of inc.detections) {
          expect(all.map((x) => x.id)).toContain(d.id);
          expect(d.events.length).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('refuses what is not its snapshot, naming the problem', () => {
    expect(() => Correlator.restore({ version: 9 })).toThrow(/version 1/);
    const snap = JSON.parse(JSON.stringify(new Correlator().snapshot())) as Record<string, unknown>;
    expect(() => Correlator.restore({ ...snap, byIdentity: [['alice', 'inc-missing']] })).toThrow(
      /unknown incident inc-missing/,
    );
    expect(() => Correlator.restore({ ...snap, incidents: 'x' })).toThrow(/incidents must be an array/);
  });
});

describe('links outlive the gap (link memory)', () => {
  /** Cloudflare's quiet week: the service account creates jdoe2, nothing is detected for longer than the gap,
   *  then it puts itself into an admin group; jdoe2 acts an hour later, the service account again after that.
   *  `traffic` adds an undetected login every hour in between, so the correlator prunes during the quiet week
   *  (its last prune before the admin-group add is then less than a gap after the creation). */
  const quietWeek = (quiet: number, traffic: boolean): AuditEvent[] => [
    ev({
      '@timestamp': T0,
      'event.action': 'user.created',
      'user.name': 'svc-smartsheet',
      'user.target.name': 'jdoe2',
    }),
    ...(traffic
      ? Array.from({ length: Math.floor(quiet / HOUR) }, (_, i) =>
          ev({ '@timestamp': T0 + (i + 1) * HOUR - MIN, 'event.action': 'user.login', 'user.name': 'zed' }),
        )
      : []),
    ev({
      '@timestamp': T0 + quiet,
      'event.action': 'group.member.added',
      'user.name': 'svc-smartsheet',
      'user.target.name': 'svc-smartsheet',
      'group.name': 'jira-administrators',
    }),
    ev({ '@timestamp': T0 + quiet + HOUR, 'event.action': 'repository.archive.downloaded', 'user.name': 'jdoe2' }),
    ev({ '@timestamp': T0 + quiet + 2 * HOUR, 'event.action': 'search.performed', 'user.name': 'svc-smartsheet' }),
  ];
  const run = (events: AuditEvent[], options: ConstructorParameters<typeof Correlator>[0] = {}) => {
    const engine = new Engine({ rules, lists });
    const corr = new Correlator(options);
    for (const e of events) {
      corr.observe(e);
      for (const d of engine.process(e)) corr.add(d);
    }
    return { corr, incidents: corr.incidents() };
  };
  const shape = (incidents: readonly Incident[]) =>
    incidents.map((i) => ({
      actor: i.actor.name,
      rules: i.detections.map((d) => `${d.rule.id} ${d.actor.name ?? ''}`),
      identities: i.identities.map((l) => [l.identity.name, l.relation, l.via ?? null, l['@timestamp']]),
    }));

  it.each([false, true])(
    'a quiet week (7 days 2 h without detections): the new incident holds the account its actor created, and its detections join (traffic %s)',
    (traffic) => {
      const { incidents } = run(quietWeek(7 * DAY + 2 * HOUR, traffic));
      expect(shape(incidents)).toEqual([
        {
          actor: 'svc-smartsheet',
          rules: ['user-created svc-smartsheet'],
          identities: [
            ['svc-smartsheet', 'actor', null, T0],
            ['jdoe2', 'created', 'svc-smartsheet', T0],
          ],
        },
        {
          actor: 'svc-smartsheet',
          rules: ['admin-added svc-smartsheet', 'archive jdoe2', 'search svc-smartsheet'],
          // jdoe2 with its original link: created by svc-smartsheet at T0.
          identities: [
            ['svc-smartsheet', 'actor', null, T0 + 7 * DAY + 2 * HOUR],
            ['jdoe2', 'created', 'svc-smartsheet', T0],
          ],
        },
      ]);
    },
  );

  it('within the gap nothing changes; without link memory (memory = gap) the quiet week splits jdoe2 off', () => {
    // Within the gap: one incident, as before.
    expect(shape(run(quietWeek(6 * DAY, true)).incidents).map((i) => i.rules)).toEqual([
      ['user-created svc-smartsheet', 'admin-added svc-smartsheet', 'archive jdoe2', 'search svc-smartsheet'],
    ]);
    // Link memory no longer than the gap: the old behaviour, jdoe2 in an incident of its own.
    const { incidents } = run(quietWeek(7 * DAY + 2 * HOUR, false), { linkMemoryMs: 7 * DAY });
    expect(shape(incidents).map((i) => [i.actor, i.identities.map((l) => l[0])])).toEqual([
      ['svc-smartsheet', ['svc-smartsheet', 'jdoe2']],
      ['svc-smartsheet', ['svc-smartsheet']],
      ['jdoe2', ['jdoe2']],
    ]);
  });

  it('link memory expires: after 90+ days no inheritance, and the remembered links are pruned', () => {
    const inherited = (quiet: number) =>
      run(quietWeek(quiet, false)).incidents.map((i) => i.identities.map((l) => l.identity.name));
    expect(inherited(89 * DAY)).toEqual([
      ['svc-smartsheet', 'jdoe2'],
      ['svc-smartsheet', 'jdoe2'],
    ]);
    expect(inherited(91 * DAY)).toEqual([['svc-smartsheet', 'jdoe2'], ['svc-smartsheet'], ['jdoe2']]);
    // A shorter memory, as an option.
    expect(
      run(quietWeek(20 * DAY, false), { linkMemoryMs: 14 * DAY }).incidents.map((i) => i.actor.name),
    ).toEqual(['svc-smartsheet', 'svc-smartsheet', 'jdoe2']);
    // Bounded: remembered while the link or its incident is within the memory, then pruned.
    const { corr } = run(quietWeek(7 * DAY + 2 * HOUR, false));
    expect(corr.stats().rememberedLinks).toBeGreaterThan(0);
    for (let day = 8; day <= 100; day++)
      corr.observe(ev({ '@timestamp': T0 + day * DAY, 'event.action': 'user.login', 'user.name': 'zed' }));
    expect(corr.stats()).toMatchObject({ links: 0, indexedIdentities: 0, rememberedLinks: 0 });
  });

  it('a correlator restored mid-stream files the quiet week exactly as one that never stopped', () => {
    const EVENTS = quietWeek(7 * DAY + 2 * HOUR, true);
    const play = (split: number | undefined, downgrade = false) => {
      const events = structuredClone(EVENTS);
      const engine = new Engine({ rules, lists });
      let corr = new Correlator();
      events.forEach((e, i) => {
        if (i === split) {
          const snap = JSON.parse(JSON.stringify(corr.snapshot())) as Record<string, unknown>;
          expect(snap['version']).toBe(2);
          if (downgrade) {
            delete snap['memory'];
            delete snap['linkMemoryMs'];
            snap['version'] = 1;
          }
          corr = Correlator.restore(snap);
        }
        corr.observe(e);
        for (const d of engine.process(e)) corr.add(d);
      });
      return JSON.parse(JSON.stringify(corr.incidents())) as Incident[];
    };
    const whole = play(undefined);
    expect(whole.map((i) => i.identities.map((l) => l.identity.name))).toEqual([
      ['svc-smartsheet', 'jdoe2'],
      ['svc-smartsheet', 'jdoe2'],
    ]);
    for (let split = 0; split <= EVENTS.length; split++)
      expect({ split, incidents: play(split) }).toEqual({ split, incidents: whole });
    // A version 1 snapshot (before link memory) still restores; what it gathered is not remembered beyond the gap.
    const fromV1 = play(EVENTS.length - 3, true);
    expect(fromV1.map((i) => i.identities.map((l) => l.identity.name))).toEqual([
      ['svc-smartsheet', 'jdoe2'],
      ['svc-smartsheet'],
      ['jdoe2'],
    ]);
    expect(() => Correlator.restore({ version: 9 })).toThrow(/version 1 or 2/);
    const snap = JSON.parse(JSON.stringify(new Correlator().snapshot())) as Record<string, unknown>;
    expect(() => Correlator.restore({ ...snap, memory: undefined })).toThrow(/memory must be an array/);
  });
});
