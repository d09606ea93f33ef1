/**
 * The shared response guardrails, against a small in-memory site (groups and suspended accounts) that the
 * executor changes for real, and against the incident the Cloudflare scenario's hunt produces.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Identity } from '../../src/core/detection';
import type { Product } from '../../src/core/event';
import type { Incident } from '../../src/core/incident';
import { runHunt } from '../../src/hunt';
import { actionKey, inverse, type ContainmentAction } from '../../src/respond/action';
import {
  MemoryActionLog,
  Responder,
  type ActionRecord,
  type ResponsePolicy,
} from '../../src/respond/responder';
import { simulateCloudflare2023 } from '../../src/scenarios';
import { ServeState } from '../../src/serve/state';

/** A site: group members per product, suspended and token-less accounts, repositories blocking merges. */
class Site {
  readonly groups = new Map<string, Set<string>>();
  readonly suspended = new Set<string>();
  readonly tokensRevoked = new Set<string>();
  readonly mergeBlocked = new Set<string>();
  /** Direct repository grants per `product:user`, as `repo:permission`. */
  readonly grants = new Map<string, string[]>();
  readonly calls: string[] = [];
  /** Everyone an action was run against. */
  readonly touched = new Set<string>();
  failNext: string | undefined;
  constructor(members: Record<string, string[]>) {
    for (const [k, v] of Object.entries(members)) this.groups.set(k, new Set(v));
  }
  private static who(i: Identity): string {
    return (i.name ?? i.id ?? '?').toLowerCase();
  }
  readonly directory = {
    adminGroupsOf: (identity: Identity, product: Product) =>
      Promise.resolve(
        [...this.groups]
          .filter(([k, m]) => k.startsWith(`${product}:`) && k.includes('admin') && m.has(Site.who(identity)))
          .map(([k]) => k.slice(product.length + 1)),
      ),
    memberCount: (group: string, product: Product) =>
      Promise.resolve(this.groups.get(`${product}:${group}`)?.size ?? 0),
  };
  readonly executor = {
    run: (a: ContainmentAction, undoOf?: ActionRecord): Promise<string | undefined> => {
      this.calls.push(actionKey(a));
      if (this.failNext !== undefined) {
        const msg = this.failNext;
        this.failNext = undefined;
        return Promise.reject(new Error(msg));
      }
      const who = Site.who(a.identity);
      this.touched.add(who);
      const key = `${a.product}:${who}`;
      switch (a.kind) {
        case 'remove-from-group':
          this.groups.get(`${a.product}:${a.group}`)?.delete(who);
          break;
        case 'add-to-group':
          this.groups.get(`${a.product}:${a.group}`)?.add(who);
          break;
        case 'suspend-account':
          this.suspended.add(key);
          break;
        case 'restore-account':
          this.suspended.delete(key);
          break;
        case 'revoke-tokens':
          this.tokensRevoked.add(key);
          break;
        case 'block-merges':
          this.mergeBlocked.add(key);
          break;
        case 'unblock-merges':
          this.mergeBlocked.delete(key);
          break;
        case 'revoke-permissions': {
          // Like the Bitbucket DC executor: the answer lists what was removed, so the undo can put it back.
          const removed = this.grants.get(key) ?? [];
          this.grants.set(key, []);
          return Promise.resolve(JSON.stringify(removed));
        }
        case 'restore-permissions':
          this.grants.set(key, JSON.parse(undoOf?.result ?? '[]') as string[]);
          break;
      }
      return Promise.resolve(undefined);
    },
  };
}

const detection = (ruleId: string, severity: 'low' | 'high' | 'critical', product: Product) =>
  ({
    id: `${ruleId}:${product}`,
    rule: { id: ruleId, title: ruleId, severity, category: 'privilege-escalation', attack: ['T1098'] },
    severity,
    '@timestamp': 0,
    firstTimestamp: 0,
    actor: { name: 'svc-smartsheet', kind: 'service' },
    key: 'user.name=svc-smartsheet',
    summary: '',
    evidence: [],
    evidenceCount: 1,
    events: [{ 'atlassian.product': product }],
  }) as unknown as Incident['detections'][number];

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: 'inc-1',
  status: 'open',
  severity: 'critical',
  title: 'svc-smartsheet: privilege escalation',
  actor: { name: 'svc-smartsheet', kind: 'service' },
  identities: [
    { identity: { name: 'svc-smartsheet', kind: 'service' }, relation: 'actor', '@timestamp': 0 },
    {
      identity: { name: 'jdoe2', kind: 'human' },
      relation: 'created',
      via: 'svc-smartsheet',
      '@timestamp': 0,
    },
  ],
  firstTimestamp: 0,
  lastTimestamp: 0,
  detections: [
    detection('admin-group-member-added', 'critical', 'jira'),
    detection('bulk-archive-downloads', 'high', 'bitbucket'),
  ],
  timeline: [],
  ...over,
});

const policy = (over: Partial<ResponsePolicy> = {}): ResponsePolicy => ({
  minSeverity: 'critical',
  actions: ['remove-from-admin-groups', 'suspend-account', 'revoke-tokens', 'block-merges'],
  dryRunRules: [],
  allowList: ['break-glass'],
  maxPerHour: 100,
  ...over,
});

function setup(over: Partial<ResponsePolicy> = {}, members: Record<string, string[]> = {}) {
  const site = new Site({
    'jira:jira-administrators': ['svc-smartsheet', 'alice'],
    'bitbucket:bitbucket-admins': ['svc-smartsheet'],
    ...members,
  });
  let clock = 1_700_000_000_000;
  const log = new MemoryActionLog();
  const responder = new Responder(policy(over), {
    directory: site.directory,
    executor: site.executor,
    log,
    now: () => clock,
  });
  return { site, log, responder, advance: (ms: number) => (clock += ms) };
}

describe('Responder', () => {
  it('contains the actor and every linked identity in every product the incident touched', async () => {
    const { site, responder } = setup();
    const recs = await responder.respond(incident());
    expect(recs.map((r) => [actionKey(r.action), r.state])).toEqual([
      ['remove-from-group bitbucket:svc-smartsheet from bitbucket-admins', 'skipped'],
      ['remove-from-group jira:svc-smartsheet from jira-administrators', 'done'],
      ['suspend-account bitbucket:svc-smartsheet', 'done'],
      ['suspend-account jira:svc-smartsheet', 'done'],
      ['revoke-tokens bitbucket:svc-smartsheet', 'done'],
      ['revoke-tokens jira:svc-smartsheet', 'done'],
      ['block-merges bitbucket:svc-smartsheet', 'done'],
      ['suspend-account bitbucket:jdoe2', 'done'],
      ['suspend-account jira:jdoe2', 'done'],
      ['revoke-tokens bitbucket:jdoe2', 'done'],
      ['revoke-tokens jira:jdoe2', 'done'],
      ['block-merges bitbucket:jdoe2', 'done'],
    ]);
    expect(site.groups.get('jira:jira-administrators')).toEqual(new Set(['alice']));
    expect(site.suspended).toEqual(
      new Set(['jira:svc-smartsheet', 'bitbucket:svc-smartsheet', 'jira:jdoe2', 'bitbucket:jdoe2']),
    );
    // The last member of bitbucket-admins stays.
    expect(site.groups.get('bitbucket:bitbucket-admins')).toEqual(new Set(['svc-smartsheet']));
  });

  it('never removes the last member of an admin group, and records why', async () => {
    const { site, responder, log } = setup({ actions: ['remove-from-admin-groups'] });
    await responder.respond(incident());
    const skipped = log
      .all()
      .find((r) => r.action.kind === 'remove-from-group' && r.action.product === 'bitbucket');
    expect(skipped).toMatchObject({
      state: 'skipped',
      reason: expect.stringContaining('last member of bitbucket-admins'),
    });
    expect(site.calls).toEqual(['remove-from-group jira:svc-smartsheet from jira-administrators']);
  });

  it('never touches an allow-listed identity', async () => {
    const { site, responder } = setup({ allowList: ['JDOE2'] });
    const recs = await responder.respond(incident());
    expect(recs.filter((r) => r.action.identity.name === 'jdoe2').every((r) => r.state === 'skipped')).toBe(
      true,
    );
    expect(site.calls.some((c) => c.includes('jdoe2'))).toBe(false);
  });

  it('decides each action once: responding again runs nothing and returns the records already decided', async () => {
    const { site, responder } = setup();
    const first = new Map((await responder.respond(incident())).map((r) => [r.id, r]));
    const calls = site.calls.length;
    const again = await responder.respond(incident());
    expect(site.calls).toHaveLength(calls);
    expect(again.length).toBeGreaterThan(0);
    // (The group removal is not planned again: the directory no longer lists the member.)
    for (const r of again) expect(r).toEqual(first.get(r.id));
  });

  it('acts on nothing below the policy severity, and only records an incident raised by dry-run rules', async () => {
    const low = setup();
    expect(
      await low.responder.respond(incident({ detections: [detection('user-created', 'low', 'jira')] })),
    ).toEqual([]);
    const dry = setup({ dryRunRules: ['admin-group-member-added'] });
    const recs = await dry.responder.respond(incident());
    expect(new Set(recs.map((r) => r.state))).toEqual(new Set(['dry-run', 'skipped']));
    expect(dry.site.calls).toEqual([]);
  });

  it('counts nothing from a rule turned off, not even the detections the incident held before', async () => {
    // The critical admin-group detection came first; then its rule was turned off; then a high one joined.
    const withOff = setup({ offRules: ['admin-group-member-added'] });
    expect(await withOff.responder.respond(incident())).toEqual([]);
    expect(withOff.site.calls).toEqual([]);
    // The same incident with the rule on is contained (the first test), and so is it with another rule off.
    const otherOff = setup({ offRules: ['bulk-archive-downloads'], actions: ['suspend-account'] });
    const recs = await otherOff.responder.respond(incident());
    expect(recs.map((r) => r.state)).toEqual(['done', 'done', 'done', 'done']);
  });

  it('runs at most maxPerHour actions an hour; the rest wait for a person, and an approval runs them', async () => {
    const { site, responder, advance } = setup({ maxPerHour: 3, actions: ['suspend-account'] });
    const recs = await responder.respond(incident());
    expect(recs.map((r) => r.state)).toEqual(['done', 'done', 'done', 'awaiting-approval']);
    const waiting = recs[3]!;
    expect(waiting.reason).toContain('3 actions ran in the last hour');
    const approved = await responder.approve(waiting.id, 'alice');
    expect(approved).toMatchObject({ state: 'done', by: 'alice', reason: 'approved by alice' });
    expect(site.suspended.has('jira:jdoe2')).toBe(true);
    await expect(responder.approve(waiting.id, 'alice')).rejects.toThrow(/is done, not awaiting-approval/);
    // An hour later the cap has room again.
    advance(3_600_001);
    const next = await responder.respond(incident({ id: 'inc-2' }));
    expect(next.map((r) => r.state)).toEqual(['done', 'done', 'done', 'awaiting-approval']);
  });

  it('records a failure with the product answer, and undoes a done action through its inverse', async () => {
    const { site, responder } = setup({ actions: ['remove-from-admin-groups', 'revoke-tokens'] });
    site.failNext = '403: the app user is not in site-admins';
    const recs = await responder.respond(incident());
    expect(
      recs.find((r) => r.action.kind === 'remove-from-group' && r.action.product === 'jira'),
    ).toMatchObject({
      state: 'failed',
      result: '403: the app user is not in site-admins',
    });
    const second = await responder.respond(incident({ id: 'inc-3' }));
    const removal = second.find((r) => r.action.kind === 'remove-from-group' && r.action.product === 'jira')!;
    expect(removal.state).toBe('done');
    expect(site.groups.get('jira:jira-administrators')?.has('svc-smartsheet')).toBe(false);
    const undone = await responder.undo(removal.id, 'bob');
    expect(undone).toMatchObject({ state: 'undone', by: 'bob' });
    expect(site.groups.get('jira:jira-administrators')?.has('svc-smartsheet')).toBe(true);
    const revoke = second.find((r) => r.action.kind === 'revoke-tokens')!;
    await expect(responder.undo(revoke.id, 'bob')).rejects.toThrow(/cannot be restored/);
    expect(
      inverse({ kind: 'block-merges', identity: { kind: 'human' }, product: 'bitbucket' }),
    ).toMatchObject({ kind: 'unblock-merges' });
  });

  it('a person retries a failed action under its record; the allow-list and last-admin guardrails are asked again', async () => {
    const { site, responder, log } = setup({
      actions: ['remove-from-admin-groups', 'suspend-account'],
      maxPerHour: 2,
    });
    site.failNext = '401: the admin token has expired';
    const recs = await responder.respond(incident());
    const removal = recs.find((r) => r.action.kind === 'remove-from-group' && r.action.product === 'jira')!;
    expect(removal).toMatchObject({ state: 'failed', result: '401: the admin token has expired' });
    // Responding again does not retry it on its own (guardrail 2) ...
    await responder.respond(incident());
    expect(site.groups.get('jira:jira-administrators')?.has('svc-smartsheet')).toBe(true);
    // ... a person does, once the token is renewed, past the hourly cap (two ran already).
    expect(await log.countRunSince(0)).toBeGreaterThanOrEqual(2);
    const retried = await responder.retry(removal.id, 'bob');
    expect(retried).toMatchObject({ id: removal.id, state: 'done', by: 'bob' });
    expect(retried.reason).toMatch(/^retried by bob \(actor of incident inc-1\)/);
    expect(retried.result).toBeUndefined();
    expect(site.groups.get('jira:jira-administrators')?.has('svc-smartsheet')).toBe(false);
    await expect(responder.retry(removal.id, 'bob')).rejects.toThrow(/is done, not failed/);
    await expect(responder.retry('no-such-action', 'bob')).rejects.toThrow(/no action no-such-action/);

    // A failed removal whose group has since shrunk to its last member is skipped, not run.
    const lone = setup({ actions: ['remove-from-admin-groups'] });
    lone.site.failNext = '503: Jira is restarting';
    const [failed] = (await lone.responder.respond(incident())).filter(
      (r) => r.action.kind === 'remove-from-group' && r.action.product === 'jira',
    );
    expect(failed?.state).toBe('failed');
    lone.site.groups.get('jira:jira-administrators')?.delete('alice');
    const skipped = await lone.responder.retry(failed!.id, 'bob');
    expect(skipped).toMatchObject({ state: 'skipped', by: 'bob' });
    expect(skipped.reason).toContain('the last member of jira-administrators is never removed');
    expect(lone.site.groups.get('jira:jira-administrators')?.has('svc-smartsheet')).toBe(true);
  });

  it('puts back exactly the grants a permission revocation removed, from the revocation record', async () => {
    const { site, responder } = setup({ actions: ['revoke-permissions'] });
    site.grants.set('bitbucket:svc-smartsheet', ['PRJ/api:REPO_WRITE', 'PRJ/web:REPO_ADMIN']);
    const [revoked] = await responder.respond(incident());
    expect(revoked).toMatchObject({
      state: 'done',
      result: '["PRJ/api:REPO_WRITE","PRJ/web:REPO_ADMIN"]',
    });
    expect(site.grants.get('bitbucket:svc-smartsheet')).toEqual([]);
    const undone = await responder.undo(revoked!.id, 'bob');
    expect(undone.result).toBe('undone: restore-permissions bitbucket:svc-smartsheet');
    expect(site.grants.get('bitbucket:svc-smartsheet')).toEqual(['PRJ/api:REPO_WRITE', 'PRJ/web:REPO_ADMIN']);
  });

  it('does not plan what the product cannot do (Bitbucket DC cannot suspend a user)', async () => {
    const site = new Site({ 'jira:jira-administrators': ['svc-smartsheet', 'alice'] });
    const responder = new Responder(policy({ actions: ['suspend-account'] }), {
      directory: site.directory,
      executor: {
        ...site.executor,
        supports: (kind, product) => !(product === 'bitbucket' && kind === 'suspend-account'),
      },
      log: new MemoryActionLog(),
      now: () => 0,
    });
    const recs = await responder.respond(incident());
    expect(recs.map((r) => actionKey(r.action))).not.toContain('suspend-account bitbucket:svc-smartsheet');
    expect(recs.map((r) => actionKey(r.action))).toContain('suspend-account jira:svc-smartsheet');
  });

  it('runs again an action its host did not live to record, even when the plan no longer includes it', async () => {
    const { site, log, responder } = setup({ actions: ['remove-from-admin-groups'] });
    // A host killed after the product removed the group member, before the outcome was recorded: the record
    // says `running`, and the directory no longer lists the group, so a fresh plan would not include it.
    const removal = {
      kind: 'remove-from-group' as const,
      product: 'jira' as const,
      group: 'jira-administrators',
      identity: { name: 'svc-smartsheet', kind: 'service' as const },
    };
    site.groups.get('jira:jira-administrators')?.delete('svc-smartsheet');
    await log.put({
      id: `inc-1/${actionKey(removal)}`,
      incidentId: 'inc-1',
      action: removal,
      state: 'running',
      reason: 'actor of incident inc-1',
      at: 1,
    });
    const recs = await responder.respond(incident());
    expect(recs.filter((r) => r.action.product === 'jira').map((r) => [r.id, r.state])).toEqual([
      [`inc-1/${actionKey(removal)}`, 'done'],
    ]);
    expect(site.calls.filter((c) => c.startsWith('remove-from-group jira'))).toHaveLength(1);
    expect(await log.countRunSince(0)).toBe(1);
  });

  it('runs for real what a dry-run record only planned, once a rule not in dry-run raises the incident', async () => {
    // The app-install rule is in dry-run; its detection alone plans the containment as dry-run records. The
    // admin-group change that follows in the same incident is not: the same actions must now run.
    const { site, log, responder } = setup({
      dryRunRules: ['app-installed'],
      actions: ['remove-from-admin-groups', 'suspend-account'],
    });
    const installOnly = incident({ detections: [detection('app-installed', 'critical', 'jira')] });
    const dry = await responder.respond(installOnly);
    expect(dry.map((r) => [actionKey(r.action), r.state])).toEqual([
      ['remove-from-group jira:svc-smartsheet from jira-administrators', 'dry-run'],
      ['suspend-account jira:svc-smartsheet', 'dry-run'],
      ['suspend-account jira:jdoe2', 'dry-run'],
    ]);
    expect(site.calls).toEqual([]);

    const escalated = incident({
      detections: [
        detection('app-installed', 'critical', 'jira'),
        detection('admin-group-member-added', 'critical', 'jira'),
      ],
    });
    const real = await responder.respond(escalated);
    expect(real.map((r) => [actionKey(r.action), r.state])).toEqual([
      ['remove-from-group jira:svc-smartsheet from jira-administrators', 'done'],
      ['suspend-account jira:svc-smartsheet', 'done'],
      ['suspend-account jira:jdoe2', 'done'],
    ]);
    expect(site.groups.get('jira:jira-administrators')).toEqual(new Set(['alice']));
    expect(site.suspended).toEqual(new Set(['jira:svc-smartsheet', 'jira:jdoe2']));
    // The dry-run records stay as they were, as history, beside the records of what ran.
    for (const r of dry) expect(await log.get(r.id)).toEqual(r);
    expect(new Set(real.map((r) => r.id)).size).toBe(3);
    expect(real.some((r) => dry.some((d) => d.id === r.id))).toBe(false);
    expect(log.forIncident('inc-1').map((r) => r.state)).toEqual([
      'dry-run',
      'dry-run',
      'dry-run',
      'done',
      'done',
      'done',
    ]);
  });

  it('keeps the detections a dry-run record was decided on in dry-run when their rule leaves dry-run, until a later one', async () => {
    const { site, log } = setup();
    const responder = (dryRunRules: string[]) =>
      new Responder(policy({ dryRunRules, actions: ['suspend-account'] }), {
        directory: site.directory,
        executor: site.executor,
        log,
        now: () => 0,
      });
    const promoted = detection('admin-group-member-added', 'critical', 'jira');
    const dry = await responder(['admin-group-member-added']).respond(incident({ detections: [promoted] }));
    expect(dry.map((r) => [r.state, r.dryRunDetections])).toEqual([
      ['dry-run', ['admin-group-member-added:jira']],
      ['dry-run', ['admin-group-member-added:jira']],
    ]);
    // A person turns the rule off (the host then no longer lists it in dry-run); the incident changes (a low
    // detection, a newly linked identity): its old detection still does not make anything run.
    const mallory = {
      identity: { name: 'mallory', kind: 'human' as const },
      relation: 'created' as const,
      via: 'svc-smartsheet',
      '@timestamp': 0,
    };
    const changed = incident({
      identities: [...incident().identities, mallory],
      detections: [promoted, detection('user-created', 'low', 'jira')],
    });
    const still = await responder([]).respond(changed);
    expect(still.map((r) => [actionKey(r.action), r.state])).toEqual([
      ['suspend-account jira:svc-smartsheet', 'dry-run'],
      ['suspend-account jira:jdoe2', 'dry-run'],
      ['suspend-account jira:mallory', 'dry-run'],
    ]);
    expect(site.calls).toEqual([]);
    // A later detection by a rule not in dry-run: now everything runs.
    const later = await responder([]).respond(
      incident({
        ...changed,
        detections: [...changed.detections, detection('app-installed', 'critical', 'jira')],
      }),
    );
    expect(later.map((r) => [r.id, r.state])).toEqual([
      ['inc-1/after-dry-run/suspend-account jira:svc-smartsheet', 'done'],
      ['inc-1/after-dry-run/suspend-account jira:jdoe2', 'done'],
      ['inc-1/after-dry-run/suspend-account jira:mallory', 'done'],
    ]);
    expect(site.suspended).toEqual(new Set(['jira:svc-smartsheet', 'jira:jdoe2', 'jira:mallory']));
  });

  it('decides what a dry-run record only planned through every guardrail: the last admin stays, the cap holds', async () => {
    const { site, responder } = setup({
      dryRunRules: ['app-installed'],
      actions: ['remove-from-admin-groups', 'suspend-account'],
      maxPerHour: 1,
    });
    const installOnly = incident({ detections: [detection('app-installed', 'critical', 'jira')] });
    expect((await responder.respond(installOnly)).map((r) => r.state)).toEqual([
      'dry-run',
      'dry-run',
      'dry-run',
    ]);
    // Between the two detections alice leaves: svc-smartsheet is now the group's last member.
    site.groups.get('jira:jira-administrators')?.delete('alice');
    const recs = await responder.respond(
      incident({
        detections: [
          detection('app-installed', 'critical', 'jira'),
          detection('admin-group-member-added', 'critical', 'jira'),
        ],
      }),
    );
    expect(recs.map((r) => [r.id, r.state])).toEqual([
      ['inc-1/after-dry-run/remove-from-group jira:svc-smartsheet from jira-administrators', 'skipped'],
      ['inc-1/after-dry-run/suspend-account jira:svc-smartsheet', 'done'],
      ['inc-1/after-dry-run/suspend-account jira:jdoe2', 'awaiting-approval'],
    ]);
    expect(recs[0]!.reason).toContain('last member of jira-administrators');
    expect(site.calls).toEqual(['suspend-account jira:svc-smartsheet']);
    const approved = await responder.approve(recs[2]!.id, 'alice');
    expect(approved).toMatchObject({ state: 'done', by: 'alice' });
    expect(site.suspended).toEqual(new Set(['jira:svc-smartsheet', 'jira:jdoe2']));
  });

  it('decides a dry-run incident and its escalation once, across a restart on the SQLite log', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bulkhead-respond-'));
    const file = join(root, 'state.sqlite');
    try {
      const site = new Site({ 'jira:jira-administrators': ['svc-smartsheet', 'alice'] });
      let clock = 1_700_000_000_000;
      const host = (state: ServeState, dryRunRules: string[] = ['app-installed']) =>
        new Responder(policy({ dryRunRules, actions: ['remove-from-admin-groups', 'suspend-account'] }), {
          directory: site.directory,
          executor: site.executor,
          log: state.actionLog(),
          now: () => clock,
        });
      const installOnly = incident({ detections: [detection('app-installed', 'critical', 'jira')] });
      const escalated = incident({
        detections: [
          detection('app-installed', 'critical', 'jira'),
          detection('admin-group-member-added', 'critical', 'jira'),
        ],
      });

      const a = new ServeState(file);
      const dry = await host(a).respond(installOnly);
      clock += 60_000;
      // The same dry-run incident again: the same records, nothing new, not even a newer time.
      expect(await host(a).respond(installOnly)).toEqual(dry);
      expect(a.actionLog().forIncident('inc-1')).toEqual(dry);
      const real = await host(a).respond(escalated);
      expect(real.map((r) => r.state)).toEqual(['done', 'done', 'done']);
      const calls = site.calls.length;
      expect(calls).toBe(3);
      const before = a.actionLog().forIncident('inc-1');
      expect(before).toHaveLength(6);
      const ranBefore = await a.actionLog().countRunSince(0);
      expect(ranBefore).toBe(3);
      a.close();

      clock += 60_000;
      const b = new ServeState(file);
      // Restarted: both versions of the incident again, in either order, change nothing; and a policy that
      // puts the other rule in dry-run too does not bring the dry-run records back in the real ones' place.
      // (The group removal is not planned again: the directory no longer lists the member.)
      const realById = new Map(real.map((r) => [r.id, r]));
      for (const again of [
        await host(b).respond(escalated),
        await host(b).respond(installOnly),
        await host(b, ['app-installed', 'admin-group-member-added']).respond(escalated),
      ]) {
        expect(again).toHaveLength(2);
        for (const r of again) expect(r).toEqual(realById.get(r.id));
      }
      expect(site.calls).toHaveLength(calls);
      expect(b.actionLog().forIncident('inc-1')).toEqual(before);
      expect(await b.actionLog().countRunSince(0)).toBe(ranBefore);
      b.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('keeps a done action done when the incident later counts as dry-run (a rule put in dry-run since)', async () => {
    const { site, log, responder } = setup({ actions: ['suspend-account'] });
    const escalated = incident({ detections: [detection('admin-group-member-added', 'critical', 'jira')] });
    const done = await responder.respond(escalated);
    expect(done.map((r) => r.state)).toEqual(['done', 'done']);
    const dryNow = new Responder(
      policy({ actions: ['suspend-account'], dryRunRules: ['admin-group-member-added'] }),
      {
        directory: site.directory,
        executor: site.executor,
        log,
        now: () => 0,
      },
    );
    expect(await dryNow.respond(escalated)).toEqual(done);
    expect(log.all()).toEqual(done);
    expect(site.calls).toHaveLength(2);
  });

  it('does not redo what a person undid, retry what failed, or run what a guardrail skipped, on a later detection', async () => {
    const { site, responder } = setup(
      { actions: ['remove-from-admin-groups', 'suspend-account'] },
      { 'confluence:confluence-administrators': ['svc-smartsheet'] },
    );
    const first = incident({
      detections: [
        detection('admin-group-member-added', 'critical', 'jira'),
        detection('admin-group-member-added', 'critical', 'confluence'),
      ],
    });
    site.failNext = '503: Confluence is restarting';
    const recs = await responder.respond(first);
    const state = (rs: readonly ActionRecord[]) => rs.map((r) => [actionKey(r.action), r.state]);
    expect(state(recs)).toEqual([
      ['remove-from-group confluence:svc-smartsheet from confluence-administrators', 'skipped'],
      ['remove-from-group jira:svc-smartsheet from jira-administrators', 'failed'],
      ['suspend-account confluence:svc-smartsheet', 'done'],
      ['suspend-account jira:svc-smartsheet', 'done'],
      ['suspend-account confluence:jdoe2', 'done'],
      ['suspend-account jira:jdoe2', 'done'],
    ]);
    const jdoe2 = recs.find((r) => actionKey(r.action) === 'suspend-account jira:jdoe2')!;
    await responder.undo(jdoe2.id, 'bob');
    expect(site.suspended.has('jira:jdoe2')).toBe(false);
    // A second admin joins the group whose last member was kept.
    site.groups.get('confluence:confluence-administrators')?.add('carol');
    const calls = site.calls.length;

    const later = await responder.respond(
      incident({ detections: [...first.detections, detection('app-installed', 'critical', 'jira')] }),
    );
    expect(state(later)).toEqual([
      ['remove-from-group confluence:svc-smartsheet from confluence-administrators', 'skipped'],
      ['remove-from-group jira:svc-smartsheet from jira-administrators', 'failed'],
      ['suspend-account confluence:svc-smartsheet', 'done'],
      ['suspend-account jira:svc-smartsheet', 'done'],
      ['suspend-account confluence:jdoe2', 'done'],
      ['suspend-account jira:jdoe2', 'undone'],
    ]);
    expect(site.calls).toHaveLength(calls);
    expect(site.suspended.has('jira:jdoe2')).toBe(false);
    expect(site.groups.get('jira:jira-administrators')?.has('svc-smartsheet')).toBe(true);
  });

  it('refuses a policy with a negative or fractional hourly cap', () => {
    expect(() => setup({ maxPerHour: -1 })).toThrow(/maxPerHour/);
    expect(() => setup({ maxPerHour: 1.5 })).toThrow(/maxPerHour/);
  });

  it('on the Cloudflare scenario: the intruder and every linked identity are contained, nobody else', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bulkhead-respond-'));
    try {
      const manifest = await simulateCloudflare2023({
        format: 'dc',
        outDir: root,
        noise: 20,
        seed: 20231123,
      });
      const result = await runHunt({ inputs: manifest.files.map((f) => join(root, f.file)) });
      const critical = result.incidents.filter((i) => i.severity === 'critical');
      expect(critical).toHaveLength(1);
      const { site, responder } = setup(
        { actions: ['remove-from-admin-groups', 'suspend-account'] },
        { 'jira:jira-administrators': ['svc-smartsheet', 'alice', 'bob'] },
      );
      await responder.respond(critical[0]!);
      const suspended = new Set([...site.suspended].map((k) => k.split(':')[1]));
      expect([...suspended].sort()).toEqual(['jdoe2', 'moveworks-bot', 'svc-bitbucket', 'svc-smartsheet']);
      expect(site.groups.get('jira:jira-administrators')).toEqual(new Set(['alice', 'bob']));
      const attacker = new Set(manifest.attacker.identities.map((s) => s.toLowerCase()));
      expect([...site.touched].filter((who) => !attacker.has(who))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
