/**
 * Issue #3 §6: the Cloudflare 2023 timeline (INCIDENTS.md) played against the real Forge app on the local
 * harness, with the intruder and 200 background users acting through the Cloud simulator's actor API on the
 * harness's simulated clock, Nov 13-24 2023 (scheduled triggers fire every five minutes as on Forge; product
 * events arrive after seeded delays; audit records become visible after the simulator's delays).
 *
 * How the site is set up (test/forge/scenario-cloudflare.ts):
 * - The admin configures the app through the console's resolvers as a site admin: org API key and org
 *   webhook Authorization (`secrets.set`), org id, directory id and backfill days (`settings.put`); the app
 *   user is in site-admins (decision 0016, deploy step 3); the install event starts the backfill, which is
 *   how the service accounts' July activity (before the install) reaches the dormancy baselines.
 * - Group changes and app installs reach a Forge app on Cloud only through the Jira/Confluence audit polls
 *   (every 5 minutes, plus the records' visibility delay) or the org audit-log webhook. 0016's drain cadence
 *   (5 s for webhook and audit records) cannot meet 10 s through a 5-minute poll, so the site has Guard's org
 *   audit-log webhook pointed at the app's `org-audit-webhook` web trigger, as a real Guard customer would
 *   (CloudSimOptions.orgWebhook, delivered 2 s after the change); containment time is measured from that
 *   delivery to the simulator's state changes.
 * - Smartsheet was a Jira admin at Cloudflare. On Cloud, creating users, installing apps and changing group
 *   membership need site administration, so here it is an organization admin (site administration without
 *   being in site-admins), which is what lets it create jdoe2 and later put itself into site-admins.
 * - The intruder's addresses are next to the published indicators but not on the built-in IOC list (the
 *   indicators were published after the intrusion); with them, `ioc-ip-activity` contains both service
 *   accounts at their first move on Nov 15.
 *
 * What the app does with the faithful timeline: its first critical signal is the ScriptRunner install by the
 * service account (Nov 22 14:18, `app-installed` escalated for a script app), so it contains the Smartsheet
 * account and jdoe2 there, a day before the site-admins step, which is then refused (the account is
 * suspended). The site-admins path the issue names is checked on the same timeline without the ScriptRunner
 * step (40 background users, to keep the run short). In that variant jdoe2 was created 7 days 1 h 22 min
 * before the site-admins change, beyond the correlator's 7-day gap, with no detection in between to keep the
 * incident open; it is in the incident all the same, because links outlive the gap (decision 0008, link
 * memory), and it is suspended with the account (asserted). The same change reaching the app through the
 * webhook and the audit polls used to open two critical incidents for the account; with the correlator's
 * stale index fixed in the same change it opens one (not asserted).
 *
 * The fault run repeats the faithful timeline with 429 (Retry-After) and 5xx answers on the product and Admin
 * APIs, KVS and queue faults, and duplicate, late and out-of-order event and queue deliveries, and compares
 * the action records and the simulator's final state with the clean run.
 */
import '../../src/forge-harness/register';
import { performance } from 'node:perf_hooks';
import { playCloudflare, type ScenarioResult } from './scenario-cloudflare';

jest.setTimeout(240_000);

const SEED = 20231123;
const TEN_SECONDS = 10_000;
const iso = (t?: number) => (t === undefined ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));

/** Runs a scenario with the app's own logging silenced; returns it and the wall time it took. */
async function quietly(
  opts: Parameters<typeof playCloudflare>[0],
): Promise<{ r: ScenarioResult; ms: number; refused: string[] }> {
  const log = console.log;
  const refused: string[] = [];
  console.log = () => undefined;
  const t0 = performance.now();
  try {
    const r = await playCloudflare({ ...opts, log: (l) => refused.push(l) });
    return { r, ms: performance.now() - t0, refused };
  } finally {
    console.log = log;
  }
}

/** Detections that caught a step: by the step's actor, with evidence inside the step's time window. */
function caught(r: ScenarioResult, stepId: string) {
  const s = r.steps.find((x) => x.id === stepId)!;
  return r.detections.filter(
    (d) => s.actor !== undefined && d.actorId === s.actor && d.first <= s.to && d.last >= s.from,
  );
}

/** What the app did, in a form that does not depend on timing: one line per action record. */
function actionLines(r: ScenarioResult): string[] {
  const name = (id?: string) =>
    id === r.smartsheet
      ? 'smartsheet'
      : id === r.jdoe2
        ? 'jdoe2'
        : (r.cloud.user(id ?? '')?.displayName ?? id);
  return r.actions
    .map(
      (a) =>
        `${a.action.kind} ${a.action.product} ${a.action.group ?? ''} ${name(a.action.identity.id)} → ${a.state}`,
    )
    .sort();
}

/** Distinct containment effects that were carried out: kind, group, account. */
function effects(r: ScenarioResult): string[] {
  const name = (id?: string) => (id === r.smartsheet ? 'smartsheet' : id === r.jdoe2 ? 'jdoe2' : id);
  return [
    ...new Set(
      r.actions
        .filter((a) => a.state === 'done')
        .map((a) => `${a.action.kind} ${a.action.group ?? ''} ${name(a.action.identity.id) ?? '?'}`),
    ),
  ].sort();
}

/** The simulator's final state of everyone the intruder touched or used, and of the app user. */
function finalState(r: ScenarioResult): string[] {
  return [...r.cloud.users.values()]
    .filter((u) => !r.background.has(u.accountId))
    .map(
      (u) =>
        `${u.displayName}: ${r.cloud
          .groupsOf(u.accountId)
          .map((g) => g.name)
          .join(',')} suspended=${String(u.suspended)}`,
    )
    .sort();
}

function report(title: string, r: ScenarioResult, ms: number): void {
  const lines = [`\n=== ${title} (${(ms / 1000).toFixed(1)} s, ${r.invocations} invocations) ===`];
  for (const s of r.steps) {
    if (s.noCloudSource) {
      lines.push(`${s.id.padEnd(22)} no Cloud source: ${s.noCloudSource}`);
      continue;
    }
    if (s.doneByApp) {
      lines.push(`${s.id.padEnd(22)} done by the app (see containment)`);
      continue;
    }
    if (s.unremarkable) {
      lines.push(`${s.id.padEnd(22)} no detection expected: ${s.unremarkable}`);
      continue;
    }
    const ds = caught(r, s.id);
    const rules = [...new Set(ds.map((d) => `${d.ruleId} (${d.severity})`))];
    lines.push(`${s.id.padEnd(22)} ${rules.length > 0 ? rules.join(', ') : 'NOT DETECTED'}`);
  }
  const e = r.escalation;
  lines.push(
    `containment on ${e.trigger ?? '?'}: change ${iso(e.changedAt)}, delivered ${iso(e.deliveredAt)} (org audit-log webhook),` +
      ` removed from ${e.removedGroups.join('+') || '-'} ${iso(e.removedAt)}, suspended ${iso(e.suspendedAt)},` +
      ` jdoe2 suspended ${iso(e.jdoe2SuspendedAt)}; ${delayOf(r) ?? '?'} ms after delivery`,
  );
  lines.push(`actions:\n  ${actionLines(r).join('\n  ')}`);
  for (const i of r.incidents.filter((x) => x.severity === 'critical'))
    lines.push(`critical incident ${i.id}: actor ${i.actorId ?? '?'}, identities ${i.identities.join(', ')}`);
  lines.push(
    `incidents ${r.incidents.length}, detections ${r.detections.length}, faults fired ${r.faultsFired}, handler errors ${r.handlerErrors}`,
  );
  console.log(lines.join('\n'));
}

function delayOf(r: ScenarioResult): number | undefined {
  const e = r.escalation;
  if (e.deliveredAt === undefined || e.removedAt === undefined || e.suspendedAt === undefined)
    return undefined;
  return Math.max(e.removedAt, e.suspendedAt) - e.deliveredAt;
}

let clean: ScenarioResult;
let faulted: ScenarioResult;
let siteAdmins: ScenarioResult;

beforeAll(async () => {
  const a = await quietly({ seed: SEED, backgroundUsers: 200, faults: false });
  clean = a.r;
  report('Cloudflare 2023 on Cloud, clean', clean, a.ms);
  const b = await quietly({ seed: SEED, backgroundUsers: 200, faults: true });
  faulted = b.r;
  report('the same with faults injected', faulted, b.ms);
  const c = await quietly({ seed: SEED, backgroundUsers: 40, faults: false, skip: ['scriptrunner-install'] });
  siteAdmins = c.r;
  report('without the ScriptRunner step: containment on the site-admins change', siteAdmins, c.ms);
});

describe('the Cloudflare timeline on a simulated Cloud site', () => {
  test('every step with a Cloud source becomes a stored detection', () => {
    const missing = clean.steps
      .filter((s) => !s.noCloudSource && !s.doneByApp && !s.unremarkable)
      // Once the app has contained the account, the step is refused by the site: nothing to detect.
      .filter((s) => !(s.id === 'admin-group-add' && clean.escalation.trigger === 'scriptrunner-install'))
      .filter((s) => caught(clean, s.id).length === 0)
      .map((s) => s.id);
    expect(missing).toEqual([]);
    expect(caught(siteAdmins, 'admin-group-add').map((d) => d.ruleId)).toContain('admin-group-member-added');
  });

  test('the first critical change is contained within 10 s of reaching the app: out of its admin groups, suspended', () => {
    expect(clean.escalation.trigger).toBe('scriptrunner-install');
    expect(clean.escalation.removedGroups).toEqual(['jira-admins-acme']);
    expect(delayOf(clean)).toBeLessThanOrEqual(TEN_SECONDS);
    // The site-admins step a day later is refused: the account is suspended.
    expect(clean.cloud.inGroup(clean.smartsheet, 'site-admins')).toBe(false);
    expect(clean.lastActivity).toEqual({ smartsheetRefused: true, jdoe2Refused: true });
  });

  test('when the service account is added to site-admins, the app removes it and suspends it within 10 s', () => {
    const e = siteAdmins.escalation;
    expect(e.trigger).toBe('admin-group-add');
    expect(e.removedGroups).toEqual(expect.arrayContaining(['site-admins', 'jira-admins-acme']));
    expect(delayOf(siteAdmins)).toBeLessThanOrEqual(TEN_SECONDS);
    expect(siteAdmins.cloud.inGroup(siteAdmins.smartsheet, 'site-admins')).toBe(false);
    expect(siteAdmins.cloud.user(siteAdmins.smartsheet)?.suspended).toBe(true);
  });

  test('the account it created days earlier is contained in the same incident', () => {
    // siteAdmins: jdoe2 was created 7 days 1 h 22 min before the site-admins change, beyond the gap.
    for (const r of [clean, faulted, siteAdmins]) {
      const inc = r.incidents.find((i) => i.actorId === r.smartsheet && i.severity === 'critical')!;
      expect(inc.identities).toEqual(expect.arrayContaining([r.smartsheet, r.jdoe2]));
      const jd = r.actions.filter((a) => a.action.identity.id === r.jdoe2);
      expect(jd.length).toBeGreaterThan(0);
      expect(new Set(jd.map((a) => a.incidentId))).toEqual(new Set([inc.id]));
      expect(jd.filter((a) => a.action.kind === 'suspend-account').every((a) => a.state === 'done')).toBe(
        true,
      );
      expect(r.cloud.user(r.jdoe2)?.suspended).toBe(true);
    }
  });

  test('every action and its result is read through the resolvers (incidents.list / incidents.get as a site admin)', () => {
    for (const r of [clean, faulted, siteAdmins]) {
      expect(r.actions.length).toBeGreaterThan(0);
      // Every state change the app made on the site has its record, read back through the console.
      const made = r.cloud.ops.filter(
        (op) => op.ok && (op.actor === r.cloud.appUser.accountId || op.actor === 'org-api-key'),
      );
      for (const op of made)
        expect(
          r.actions.some(
            (a) =>
              a.state === 'done' &&
              a.action.identity.id === op.detail?.['accountId'] &&
              (op.kind === 'suspendUser'
                ? a.action.kind === 'suspend-account'
                : a.action.kind === 'remove-from-group' && a.action.group === op.detail?.['group']),
          ),
        ).toBe(true);
      for (const a of r.actions) {
        expect(['done', 'skipped']).toContain(a.state);
        if (a.state === 'done') expect(a.result).toEqual(expect.any(String));
      }
    }
  });

  test('no background user is touched: no action, groups and suspension unchanged', () => {
    for (const r of [clean, faulted, siteAdmins]) {
      expect(r.actions.filter((a) => r.background.has(a.action.identity.id ?? ''))).toEqual([]);
      const changed = [...r.background].filter(
        (id) => r.backgroundBefore.get(id) !== r.backgroundAfter.get(id),
      );
      expect(changed).toEqual([]);
      expect(r.background.size).toBeGreaterThanOrEqual(r === siteAdmins ? 40 : 200);
    }
  });

  test('with faults injected no action is lost and none doubled', () => {
    expect(faulted.faultsFired).toBeGreaterThan(0);
    // Every decided action ended done (or skipped by a guardrail), in both runs: none failed, none left running.
    for (const r of [clean, faulted])
      expect(r.actions.filter((a) => !['done', 'skipped'].includes(a.state))).toEqual([]);
    // The same containment, action for action: which account, what kind, which group (the product a record is
    // filed under follows which source reached the app first, which faults change).
    expect(effects(faulted)).toEqual(effects(clean));
    expect(finalState(faulted)).toEqual(finalState(clean));
    // Each change happened once on the site.
    const changes = (r: ScenarioResult) =>
      r.cloud.ops
        .filter((op) => op.ok && (op.kind === 'removeFromGroup' || op.kind === 'suspendUser'))
        .map((op) => `${op.kind} ${String(op.detail?.['accountId'])} ${String(op.detail?.['group'] ?? '')}`)
        .sort();
    expect(changes(faulted)).toEqual(changes(clean));
    expect(new Set(changes(clean)).size).toBe(changes(clean).length);
  });
});
