/**
 * The service as the console sees it, against the DC simulator on loopback: an admin-group change made through
 * Jira's REST API is written to the simulator's audit log, tailed, detected and contained; the settings a person
 * changes (dry-run, rule off, per-rule allow-list, response policy) change what happens next and survive a
 * restart; readiness says which actions the configured products can take and why not; bad settings are refused
 * naming the key. Real files, SQLite, HTTP and rules; the products are the simulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DcDirectory, DcExecutor, type DcConnectOptions } from '../../src/dc';
import { DcSimulator, simAdminToken } from '../../src/dcsim';
import { loadLists, loadRules } from '../../src/engine';
import { builtinListsDir, builtinRulesDir } from '../../src/hunt/paths';
import { serviceBackend } from '../../src/serve/console-backend';
import { BackendError, type Settings } from '../../src/serve/http/backend';
import { Service } from '../../src/serve/service';

const lists = loadLists([builtinListsDir()], []).lists;
const rules = loadRules([builtinRulesDir()], lists).rules;
const RULE = 'admin-group-member-added';

describe('the service behind the console (DC simulator)', () => {
  let dir: string;
  let sim: DcSimulator;
  let conn: DcConnectOptions;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-backend-'));
    for (const p of ['jira', 'confluence', 'bitbucket'])
      mkdirSync(path.join(dir, 'logs', p, 'log', 'audit'), { recursive: true });
    sim = await DcSimulator.start({ logDir: path.join(dir, 'logs') });
    conn = {
      sites: {
        jira: { baseUrl: sim.baseUrl('jira'), token: simAdminToken('jira') },
        bitbucket: { baseUrl: sim.baseUrl('bitbucket'), token: simAdminToken('bitbucket') },
      },
      timeoutMs: 2_000,
    };
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const service = () =>
    new Service({
      sources: [
        { dir: path.join(dir, 'logs', 'jira', 'log', 'audit'), match: /\.audit\.log$/, product: 'jira' },
      ],
      stateFile: path.join(dir, 'state.sqlite'),
      rules,
      lists,
      idleMs: 0,
      containment: {
        executor: new DcExecutor(conn),
        directory: new DcDirectory({ ...conn, adminGroups: lists }),
      },
      policy: {
        minSeverity: 'high',
        actions: ['remove-from-admin-groups'],
        dryRunRules: [],
        allowList: ['bulkhead'],
        maxPerHour: 10,
      },
    });

  /** An admin (the simulator's `bulkhead` account) puts carol into jira-administrators through Jira's REST API. */
  const promoteCarol = () =>
    new DcExecutor(conn).run({
      kind: 'add-to-group',
      product: 'jira',
      group: 'jira-administrators',
      identity: { name: 'carol', kind: 'human' },
    });

  /** Polls until the service has read everything written so far. */
  async function settle(s: Service): Promise<void> {
    for (let i = 0; i < 5; i++) await s.tick();
  }

  it('contains the promoted account by default, and a person can undo it', async () => {
    const s = service();
    await promoteCarol();
    await settle(s);
    const records = s.actions.all();
    // The admin who made the change is on the allow-list (the app's own account): skipped, never touched.
    expect(records.map((r) => [r.action.kind, r.action.identity.name, r.state])).toEqual([
      ['remove-from-group', 'bulkhead', 'skipped'],
      ['remove-from-group', 'carol', 'done'],
    ]);
    expect(sim.state.isMember('jira', 'carol', 'jira-administrators')).toBe(false);
    const backend = serviceBackend({ service: s, sources: [], secretKeys: [], channels: [] });
    await backend.undo(records[1]!.id, 'alice');
    expect(sim.state.isMember('jira', 'carol', 'jira-administrators')).toBe(true);
    await expect(backend.undo(records[1]!.id, 'alice')).rejects.toMatchObject({ code: 'conflict' });
    await expect(backend.approve('nope', 'alice')).rejects.toMatchObject({ code: 'not-found' });
    await s.stop();
  });

  it('a removal Jira refused is retried by a person once Jira answers again', async () => {
    const s = service();
    // Jira answers 503 to every removal for now (more than the executor's own retries).
    sim.inject({ kind: 503, times: 100, product: 'jira', method: 'DELETE', path: '/rest/api/2/group/user' });
    await promoteCarol();
    await settle(s);
    const failed = s.actions.all().find((r) => r.action.identity.name === 'carol');
    expect(failed).toMatchObject({ state: 'failed', result: expect.stringContaining('503') });
    expect(sim.state.isMember('jira', 'carol', 'jira-administrators')).toBe(true);
    // Responding again (a restart, a new detection) does not retry it on its own.
    await settle(s);
    expect((await s.actions.get(failed!.id))?.state).toBe('failed');

    sim.clearFaults();
    const backend = serviceBackend({ service: s, sources: [], secretKeys: [], channels: [] });
    expect(await backend.retry(failed!.id, 'alice')).toMatchObject({ state: 'done', by: 'alice' });
    expect(sim.state.isMember('jira', 'carol', 'jira-administrators')).toBe(false);
    await expect(backend.retry(failed!.id, 'alice')).rejects.toMatchObject({ code: 'conflict' });
    await s.stop();
  });

  it('follows the settings a person saves: dry-run, then the rule off, kept across a restart', async () => {
    let s = service();
    const backend = () => serviceBackend({ service: s, sources: [], secretKeys: [], channels: [] });
    const settings = await backend().getSettings();
    const withRule = (r: Partial<Settings['rules'][string]>): Settings => ({
      rules: { [RULE]: { ...settings.rules[RULE]!, ...r } },
      response: settings.response,
    });
    await backend().putSettings(withRule({ dryRun: true }), 'alice');
    await promoteCarol();
    await settle(s);
    expect(s.actions.all().map((r) => [r.action.identity.name, r.state])).toEqual([
      ['bulkhead', 'skipped'],
      ['carol', 'dry-run'],
    ]);
    expect(sim.state.isMember('jira', 'carol', 'jira-administrators')).toBe(true);
    await s.stop();

    // A restart keeps the saved settings; with the rule off, a second promotion raises nothing.
    s = service();
    expect(s.settings().rules[RULE]?.dryRun).toBe(true);
    await backend().putSettings(withRule({ enabled: false, dryRun: false }), 'alice');
    const ofRule = () => s.store.detectionIds().filter((id) => id.startsWith(`${RULE}:`)).length;
    const before = ofRule();
    expect(before).toBe(1);
    // carol out and in again: the second "User added to group" line is written, but the rule is off.
    await new DcExecutor(conn).run({
      kind: 'remove-from-group',
      product: 'jira',
      group: 'jira-administrators',
      identity: { name: 'carol', kind: 'human' },
    });
    await promoteCarol();
    await settle(s);
    expect(sim.state.isMember('jira', 'carol', 'jira-administrators')).toBe(true);
    expect(s.store.detectionIds().length).toBeGreaterThan(before); // the removal is still detected
    expect(ofRule()).toBe(before);
    await s.stop();
  });

  it('applies a threshold a person sets to the next events, keeps it across a restart, refuses one on a rule without', async () => {
    const file = path.join(dir, 'logs', 'jira', 'log', 'audit', '20231114.audit.log');
    const t0 = Date.UTC(2023, 10, 14, 9, 0, 0) / 1000;
    const fail = (i: number) =>
      JSON.stringify({
        affectedObjects: [],
        auditType: { action: 'User login failed', area: 'SECURITY', category: 'security', level: 'BASE' },
        author: { id: 'JIRAUSER-svc', name: 'svc-smartsheet', type: 'user' },
        changedValues: [],
        extraAttributes: [],
        method: 'Browser',
        source: '193.0.2.10',
        system: 'http://jira.internal:8088',
        timestamp: { epochSecond: t0 + i * 10, nano: 0 },
        version: '1.0',
      }) + '\n';
    const rule = 'failed-login-burst-by-user';
    let s = service();
    const backend = () => serviceBackend({ service: s, sources: [], secretKeys: [], channels: [] });
    const before = await backend().getSettings();
    expect(before.rules[rule]).toMatchObject({ threshold: 20, defaultThreshold: 20 });
    expect(before.rules['admin-group-member-added']?.threshold).toBeUndefined();
    await backend().putSettings(
      { rules: { [rule]: { ...before.rules[rule]!, threshold: 5 } }, response: before.response },
      'alice',
    );
    await s.stop();
    s = service(); // a restart keeps it
    expect((await backend().getSettings()).rules[rule]).toMatchObject({ threshold: 5, defaultThreshold: 20 });
    for (let i = 0; i < 5; i++) appendFileSync(file, fail(i));
    await settle(s);
    expect(s.store.detectionIds().filter((id) => id.startsWith(`${rule}:`))).toHaveLength(1);
    const bad = await backend()
      .putSettings(
        {
          rules: {
            'admin-group-member-added': { enabled: true, dryRun: false, allowList: [], threshold: 3 },
          },
          response: before.response,
        },
        'alice',
      )
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'invalid', field: 'rules.admin-group-member-added.threshold' });
    await s.stop();
  });

  it('refuses settings that name an unknown rule, naming the key', async () => {
    const s = service();
    const backend = serviceBackend({
      service: s,
      sources: [],
      secretKeys: ['notify.slack.webhook'],
      channels: [],
    });
    const settings = await backend.getSettings();
    expect(settings.secrets).toEqual({ 'notify.slack.webhook': { set: true } });
    const bad = { ...settings, rules: { 'no-such-rule': { enabled: false, dryRun: false, allowList: [] } } };
    const err = await backend.putSettings(bad, 'alice').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: 'invalid', field: 'rules.no-such-rule' });
    await s.stop();
  });

  it('readiness says which sources and actions work, and why not', async () => {
    const s = service();
    const backend = serviceBackend({
      service: s,
      sources: [
        { dir: path.join(dir, 'logs', 'jira', 'log', 'audit'), match: /\.audit\.log$/, product: 'jira' },
        { dir: path.join(dir, 'nowhere'), match: /\.audit\.log$/, product: 'confluence' },
      ],
      secretKeys: [],
      channels: [],
    });
    await backend.putSettings(
      {
        rules: {},
        response: {
          minSeverity: 'high',
          actions: ['remove-from-admin-groups', 'suspend-account'],
          allowList: [],
          maxPerHour: 5,
        },
      },
      'alice',
    );
    await promoteCarol(); // so the jira folder has a file
    const checks = await backend.readiness();
    const by = (name: string) => checks.find((c) => c.name === name);
    expect(by('suspend-account on jira')).toMatchObject({ ok: true });
    expect(by('suspend-account on bitbucket')).toMatchObject({ ok: false });
    expect(by('remove-from-admin-groups on confluence')?.why).toMatch(
      /no containment site is configured for confluence/,
    );
    expect(checks.find((c) => c.name.includes('nowhere'))).toMatchObject({
      ok: false,
      why: 'the folder does not exist',
    });
    expect(checks.find((c) => c.name.startsWith('jira logs'))).toMatchObject({ ok: true });
    expect(by('notifications')).toMatchObject({ ok: false });
    await s.stop();
  });
});
