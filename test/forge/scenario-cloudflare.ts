/**
 * The Cloudflare 2023 timeline (INCIDENTS.md, src/scenarios/cloudflare-2023) played on a simulated Cloud site
 * (src/cloudsim) against the real Forge app on the local harness: the intruder and 200 background users act
 * through the simulator's actor API on the harness's clock, and the app sees only what Cloud would give it
 * (product events, audit APIs, the org audit-log webhook). Used by cloudflare-scenario.test.ts.
 *
 * History before the install (July 2023, the service accounts' last ordinary use) is played with no app
 * registered, so it reaches the app only through the install backfill of the audit APIs, as on a real site.
 */
import { seededRng, type ForgeHarness, type WebTriggerCall } from '../../src/forge-harness';
import { CloudSim, CloudSimError, type CloudSimOptions, type SimUser } from '../../src/cloudsim';
import { manifestHarness, registerModules } from './harness-app';
import {
  MOVEWORKS,
  BITBUCKET_SVC,
  SMARTSHEET,
  PRIMARY_IP as PUBLISHED_PRIMARY_IP,
  SLIVER_IP as PUBLISHED_SLIVER_IP,
  ORDINARY_SEARCHES,
  SENSITIVE_TERMS,
} from '../../src/scenarios/cloudflare-2023';

const MIN = 60_000;
const HOUR = 60 * MIN;
export const at = (month: number, day: number, h: number, m: number, s = 0): number =>
  Date.UTC(2023, month, day, h, m, s);
const nov = (day: number, h: number, m: number, s = 0) => at(10, day, h, m, s);

/**
 * Addresses not yet published: next to the published indicators (193.142.58.126, M247 Bucharest;
 * 198.244.174.214, OVH London) but not on the built-in IOC list, as when the intrusion happened (the
 * indicators were published after it). `ScenarioOptions.publishedIocs` plays the published ones instead.
 */
export const UNPUBLISHED_PRIMARY_IP = '193.142.58.127';
export const UNPUBLISHED_SLIVER_IP = '198.244.174.215';

export const ORG_KEY = 'org-api-key-0001';
export const WEBHOOK_AUTH = 'Bearer whsec-guard-0001';
const ADMIN_PAGE = { extension: { type: 'jira:adminPage' } };

/** A step of the timeline as played here: who did it, when, and whether Cloud gives the app any source. */
export interface PlayedStep {
  readonly id: string;
  readonly what: string;
  readonly actor?: string;
  readonly from: number;
  readonly to: number;
  /** Why Cloud gives the app nothing for this step (then no detection is expected). */
  readonly noCloudSource?: string;
  /** A defender's step in the original timeline that the app is expected to do itself. */
  readonly doneByApp?: boolean;
  /** Cloud records it, but no rule is expected to call it suspicious (and why). */
  readonly unremarkable?: string;
}

export interface ActionView {
  readonly id: string;
  readonly incidentId: string;
  readonly state: string;
  readonly result?: string;
  readonly action: {
    kind: string;
    product: string;
    group?: string;
    identity: { id?: string; name?: string };
  };
}

export interface DetectionView {
  readonly id: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly actorId?: string;
  readonly actorName?: string;
  readonly first: number;
  readonly last: number;
  readonly incidentId: string;
}

export interface ScenarioResult {
  readonly h: ForgeHarness;
  readonly cloud: CloudSim;
  readonly steps: PlayedStep[];
  readonly background: Set<string>;
  /** Every background user's groups and suspension when the run ends (and when it started). */
  readonly backgroundBefore: Map<string, string>;
  readonly backgroundAfter: Map<string, string>;
  readonly smartsheet: string;
  readonly jdoe2: string;
  readonly incidents: { id: string; severity: string; actorId?: string; identities: string[] }[];
  readonly detections: DetectionView[];
  readonly actions: ActionView[];
  /** The delivery that carried the change the app contained on to the app, and the simulator's state changes
   *  after it. */
  readonly escalation: {
    /** The step whose change the app contained on (its first critical signal). */
    readonly trigger?: string;
    readonly changedAt?: number;
    /** When a record of the change first reached the app (see `reached`), and by which path. */
    readonly deliveredAt?: number;
    readonly deliveredVia?: string;
    /** When a delivery that the app stored carried it (differs from deliveredAt when faults hit the first). */
    readonly storedAt?: number;
    readonly removedAt?: number;
    readonly removedGroups: string[];
    readonly suspendedAt?: number;
    readonly jdoe2SuspendedAt?: number;
  };
  /** publishedIocs: per service account, its first action from an indicator address, when the record carrying
   *  the address reached the app, and when the account was suspended (and removed from its admin groups). */
  readonly iocFirstMoves: {
    readonly account: string;
    readonly actedAt: number;
    readonly deliveredAt?: number;
    readonly deliveredVia?: string;
    readonly removedAt?: number;
    readonly suspendedAt?: number;
  }[];
  readonly webhookCalls: { at: number; status: number }[];
  readonly lastActivity: { smartsheetRefused: boolean; jdoe2Refused: boolean };
  readonly faultsFired: number;
  readonly handlerErrors: number;
  readonly invocations: number;
}

export interface ScenarioOptions {
  readonly seed: number;
  readonly backgroundUsers: number;
  readonly faults: boolean;
  /** Guard's org audit-log webhook pointed at the app (deploy step 4); without it the audit polls are the
   *  only source of group changes and app installs. */
  readonly orgWebhook: boolean;
  /** The intruder acts from the published indicator addresses (on the built-in IOC list). */
  readonly publishedIocs?: boolean;
  /** Rules the admin turns off in the console (`settings.put`), e.g. `app-installed` on a site that installs
   *  apps through a change process. */
  readonly disabledRules?: readonly string[];
  /** Steps of the timeline left out (the intruder does not do them). */
  readonly skip?: readonly string[];
  readonly log?: (line: string) => void;
}

/** Group names and suspension of an account, as one comparable string. */
function stateOf(cloud: CloudSim, id: string): string {
  const u = cloud.user(id);
  return `${cloud
    .groupsOf(id)
    .map((g) => g.name)
    .join(',')}|suspended=${String(u?.suspended)}|active=${String(u?.active)}`;
}

/** Calls an actor operation; a refusal by the simulator (e.g. 401 for a suspended account) is returned. */
function attempt(fn: () => unknown): CloudSimError | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof CloudSimError) return e;
    throw e;
  }
}

export async function playCloudflare(o: ScenarioOptions): Promise<ScenarioResult> {
  const log = o.log ?? (() => undefined);
  // The background's choices: a seeded PRNG of their own, separate from the simulator's.
  const r = seededRng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const h = manifestHarness({
    installationId: `cloudflare-${o.seed}-${o.faults ? 'faults' : 'clean'}`,
    startMs: at(6, 3, 0, 0),
    seed: o.seed,
    queue: o.faults ? { duplicateRate: 0.15, duplicateDelayMs: 3000 } : { duplicateRate: 0 },
  });
  const simOpts: CloudSimOptions = {
    seed: o.seed,
    orgApiKey: ORG_KEY,
    appUserInSiteAdmins: true, // decision 0016, deploy step 3: the admin put the app user in site-admins
    events: o.faults
      ? {
          minDelayMs: 1000,
          maxDelayMs: 8000,
          duplicateRate: 0.2,
          lateRate: 0.1,
          lateMinMs: 60_000,
          lateMaxMs: 180_000,
        }
      : { minDelayMs: 1000, maxDelayMs: 8000 },
  };
  const cloud = new CloudSim(h, simOpts);
  const adminId = cloud.admin.accountId;
  const PRIMARY_IP = o.publishedIocs ? PUBLISHED_PRIMARY_IP : UNPUBLISHED_PRIMARY_IP;
  const SLIVER_IP = o.publishedIocs ? PUBLISHED_SLIVER_IP : UNPUBLISHED_SLIVER_IP;

  // ---- the site ---------------------------------------------------------------------------------------
  for (const g of ['developers', 'engineering', 'vpn-users']) cloud.seedGroup(g);
  const spaces = ['ENG', 'IT', 'OPS', 'HR', 'SALES'];
  const revealing = [
    'VPN remote access setup',
    'cloudflared tunnel token rotation',
    'openconnect client config',
    'Remote access for contractors',
    'Credential vault: client secret handling',
    'Tunnel failover runbook',
  ];
  const pages: string[] = [];
  for (let i = 0; i < 420; i++) {
    const title =
      i < 60 ? `${revealing[i % revealing.length]!} (${i + 1})` : `${pick(ORDINARY_SEARCHES)} page ${i + 1}`;
    pages.push(cloud.seedPage(spaces[i % spaces.length]!, title).id);
  }
  const issues: string[] = [];
  for (const proj of ['ENG', 'OPS', 'IT', 'SEC'])
    for (let i = 0; i < 120; i++) issues.push(cloud.seedIssue(proj, `${proj} task ${i + 1}`).key);
  const repos: string[] = [];
  for (let i = 0; i < 90; i++) repos.push(cloud.seedRepo(`repo-${String(i + 1).padStart(3, '0')}`).slug);

  // ---- identities -------------------------------------------------------------------------------------
  const people = cloud.seedPopulation(o.backgroundUsers);
  // Three of them administer the site (onboarding, tokens, space permissions): legitimate admin work.
  const admins = people.slice(0, 3);
  for (const a of admins) cloud.setSiteAdmin(a.accountId, true);
  for (const p of people.slice(3, 60)) cloud.seedGroup('developers').members.add(p.accountId);
  const svc = (a: typeof SMARTSHEET, groups: string[]): SimUser =>
    cloud.seedUser(
      {
        accountId: a.cloud!.accountId,
        displayName: a.username,
        email: a.email,
      },
      groups,
    );
  // Smartsheet: Jira admin at Cloudflare. On Cloud, creating users and installing apps need site
  // administration, which it holds as an organization admin (not a site-admins member).
  const smartsheet = svc(SMARTSHEET, [
    `jira-software-users-${cloud.site}`,
    `confluence-users-${cloud.site}`,
    `jira-admins-${cloud.site}`,
  ]);
  cloud.org.admins.add(smartsheet.accountId);
  const moveworks = svc(MOVEWORKS, [`jira-software-users-${cloud.site}`, `confluence-users-${cloud.site}`]);
  const bbsvc = svc(BITBUCKET_SVC, []);
  for (const slug of repos) cloud.repos.get(slug)!.permissions.set(bbsvc.accountId, 'read');

  // ---- July 2023: the integrations' last ordinary use (before the app was installed) -------------------
  for (let day = 3; day <= 14; day++) {
    const dow = new Date(Date.UTC(2023, 6, day)).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    await h.runUntil(at(6, day, 14, 0));
    cloud.as(smartsheet.accountId, { ip: '52.38.109.17' }).viewIssue(pick(issues));
    await h.advance(20 * MIN);
    cloud.as(moveworks.accountId, { ip: '35.203.144.62' }).viewPage(pick(pages));
    cloud.as(moveworks.accountId).search(pick(['laptop request', 'expense policy', 'wifi']));
    cloud.as(bbsvc.accountId).clone(pick(repos));
  }
  await h.runUntilIdle();

  // ---- Nov 13: the app is installed and set up (decision 0016, "Deploying to a real site") -------------
  await h.runUntil(at(10, 13, 9, 0));
  registerModules(h);
  const webhookCalls: { at: number; status: number; body: unknown }[] = [];
  const callWebTrigger = h.callWebTrigger.bind(h);
  h.callWebTrigger = async (key: string, call?: WebTriggerCall) => {
    const res = await callWebTrigger(key, call);
    if (key === 'org-audit-webhook')
      webhookCalls.push({ at: h.clock.now(), status: res.statusCode, body: call?.body });
    return res;
  };
  const resolve = (fn: string, payload: unknown, who = adminId): Promise<unknown> =>
    h.invokeResolver('console-jira', fn, payload, { accountId: who, context: ADMIN_PAGE });
  const expectOk = (v: unknown, what: string): unknown => {
    if (v && typeof v === 'object' && 'error' in v) throw new Error(`${what}: ${JSON.stringify(v)}`);
    return v;
  };
  expectOk(await resolve('secrets.set', { name: 'orgApiKey', value: ORG_KEY }), 'secrets.set orgApiKey');
  expectOk(
    await resolve('secrets.set', { name: 'orgWebhookAuth', value: WEBHOOK_AUTH }),
    'secrets.set webhook',
  );
  expectOk(
    await resolve('settings.put', {
      settings: {
        forge: { orgId: cloud.org.orgId, directoryId: cloud.org.directoryId, backfillDays: 150 },
      },
    }),
    'settings.put',
  );
  if (o.disabledRules && o.disabledRules.length > 0)
    expectOk(
      await resolve('settings.put', {
        settings: {
          rules: Object.fromEntries(
            o.disabledRules.map((id) => [id, { enabled: false, dryRun: false, allowList: [] }]),
          ),
          response: {
            minSeverity: 'critical',
            actions: ['remove-from-admin-groups', 'suspend-account', 'block-merges'],
            allowList: [],
            maxPerHour: 10,
          },
        },
      }),
      'settings.put rules',
    );
  // Guard's org audit-log webhook pointed at the app's web trigger (deploy step 4).
  if (o.orgWebhook)
    cloud.opts.orgWebhook = {
      webTriggerKey: 'org-audit-webhook',
      authorization: WEBHOOK_AUTH,
      delayMs: 2000,
    };
  cloud.emitAppInstalled({ delayMs: 2000 });
  await h.advance(HOUR);

  const background = new Set(people.map((p) => p.accountId));
  const backgroundBefore = new Map([...background].map((id) => [id, stateOf(cloud, id)]));

  if (o.faults) {
    // Transient trouble on every API the app reads or writes, spread over the run.
    cloud.faults.add({ target: 'jira', path: '/rest/api/3/auditing/record', kind: 500, count: 3 });
    cloud.faults.add({
      target: 'confluence',
      path: '/wiki/rest/api/audit',
      kind: 429,
      retryAfterS: 30,
      count: 3,
    });
    cloud.faults.add({ target: 'admin', path: /events-stream/, kind: 503, count: 2 });
    h.injectPlatformFault({ target: 'kvs', count: 3 });
    h.injectPlatformFault({ target: 'sql', count: 3 });
    h.injectPlatformFault({ target: 'queue', count: 2 });
  }

  // ---- the background: ordinary work every day, Nov 13-24 ----------------------------------------------
  const tasks: { t: number; run: () => void }[] = [];
  const ordinary = people.slice(3);
  for (let d = 13; d <= 24; d++) {
    const weekday = ![0, 6].includes(new Date(Date.UTC(2023, 10, d)).getUTCDay());
    for (const p of ordinary) {
      const n = weekday ? Math.floor(r() * 3) : r() < 0.1 ? 1 : 0;
      for (let i = 0; i < n; i++) {
        // Work comes in bursts (stand-ups, meetings ending, after lunch): one of eight slots a day.
        const t = nov(d, 8, 30) + Math.floor(r() * 8) * HOUR + Math.floor(r() * 3 * MIN);
        const k = r();
        const a = cloud.as(p.accountId, { ip: `203.0.113.${(background.size + i) % 250}` });
        if (k < 0.45) tasks.push({ t, run: () => a.viewIssue(pick(issues)) });
        else if (k < 0.85) tasks.push({ t, run: () => a.viewPage(pick(pages.slice(60))) });
        else tasks.push({ t, run: () => a.search(pick(ORDINARY_SEARCHES)) });
      }
    }
    if (weekday) {
      const a = admins[d % admins.length]!;
      const act = cloud.as(a.accountId, { ip: '203.0.113.250' });
      tasks.push({
        t: nov(d, 10, 15),
        run: () => {
          const hire = act.createUser(`New Hire ${d}`, { email: `hire${d}@${cloud.site}.example` });
          act.addToGroup(hire.accountId, 'developers');
          background.add(hire.accountId);
          backgroundBefore.set(hire.accountId, stateOf(cloud, hire.accountId));
        },
      });
      tasks.push({ t: nov(d, 11, 40), run: () => act.createApiToken(`ci-${d}`) });
      tasks.push({ t: nov(d, 15, 5), run: () => act.viewPage(pick(pages.slice(60))) });
    }
  }

  // ---- the intruder ------------------------------------------------------------------------------------
  const steps: PlayedStep[] = [];
  let jdoe2 = '';
  const lastActivity = { smartsheetRefused: false, jdoe2Refused: false };
  const ss = () => cloud.as(smartsheet.accountId, { ip: PRIMARY_IP });
  const mw = () => cloud.as(moveworks.accountId, { ip: PRIMARY_IP });
  const skip = new Set(o.skip ?? []);
  /** Faults for the first containment: the APIs it needs answer 429 with Retry-After and 5xx first; the app's
   *  next KVS writes and queue push fail (with the audit polls only, those of the polls that fetch the change:
   *  the next polls, five minutes later, fetch it again). */
  const containmentFaults = () => {
    if (!o.faults) return;
    cloud.faults.add({
      target: 'admin',
      method: 'POST',
      path: /\/suspend$/,
      kind: 429,
      retryAfterS: 2,
      count: 2,
    });
    cloud.faults.add({ target: 'jira', method: 'GET', path: '/rest/api/3/user/groups', kind: 503, count: 1 });
    cloud.faults.add({
      target: 'jira',
      method: 'DELETE',
      path: '/rest/api/3/group/user',
      kind: 502,
      count: 1,
    });
    cloud.faults.add({
      target: 'confluence',
      method: 'DELETE',
      path: '/wiki/rest/api/group/user',
      kind: 429,
      retryAfterS: 3,
      count: 1,
    });
    cloud.faults.add({
      target: 'confluence',
      method: 'GET',
      path: '/wiki/rest/api/user/memberof',
      kind: 500,
      count: 1,
    });
    h.injectPlatformFault({ target: 'kvs', count: 2 });
    h.injectPlatformFault({ target: 'sql', status: 503, count: 2 });
    h.injectPlatformFault({ target: 'queue', status: 503, count: 1 });
  };
  let current = '';
  const step = (s: PlayedStep) => {
    current = s.id;
    if (!skip.has(s.id)) steps.push(s);
  };
  const intruder: { t: number; run: () => void }[] = [];
  const add = (t: number, run: () => void) => {
    if (!skip.has(current)) intruder.push({ t, run });
  };

  step({
    id: 'recon-failed-logins',
    what: 'Nov 14 09:22 refused logins for the dormant service identities',
    from: nov(14, 9, 22),
    to: nov(14, 9, 26),
    noCloudSource:
      'refused logins happen at the identity provider; Cloud audit logs keep successful ones only',
  });
  step({
    id: 'dormant-credential-use',
    what: 'Nov 15 16:28 the Moveworks token and the Smartsheet account act again after four months',
    actor: moveworks.accountId,
    from: nov(15, 16, 28),
    to: nov(15, 16, 40),
  });
  add(nov(15, 16, 28, 10), () => mw().viewPage(pages[0]!));
  let t = nov(15, 16, 28, 40);
  step({
    id: 'sensitive-search',
    what: 'Nov 15-16 searches for remote access, password, client secret, openconnect, cloudflared, token',
    actor: moveworks.accountId,
    from: t,
    to: nov(15, 16, 40),
  });
  for (const term of SENSITIVE_TERMS) {
    const tt = t;
    add(tt, () => mw().search(term));
    t += (40 + Math.floor(r() * 110)) * 1000;
  }
  add(nov(15, 16, 31, 3), () => ss().viewIssue(issues[0]!));
  add(nov(15, 16, 33, 27), () => ss().search('vpn password'));
  step({
    id: 'wiki-page-reads',
    what: 'Nov 15-16 reads of 202 wiki pages (the revealing titles first)',
    actor: moveworks.accountId,
    from: nov(15, 16, 40),
    to: nov(16, 12, 0),
  });
  t = nov(15, 16, 40);
  const readPages = [...pages.slice(0, 60), ...pages.slice(60).filter(() => r() < 0.4)].slice(0, 202);
  readPages.forEach((id, i) => {
    if (i === 120) t = nov(16, 8, 2);
    t += (15 + Math.floor(r() * 60)) * 1000;
    add(t, () => mw().viewPage(id));
  });
  step({
    id: 'jira-issue-reads',
    what: 'Nov 16 reads of 36 Jira issues by the Smartsheet account',
    actor: smartsheet.accountId,
    from: nov(16, 9, 30),
    to: nov(16, 12, 0),
  });
  t = nov(16, 9, 30);
  for (const key of issues.filter((_, i) => i % 13 === 5).slice(0, 36)) {
    t += (60 + Math.floor(r() * 140)) * 1000;
    add(t, () => ss().viewIssue(key));
  }
  step({
    id: 'user-created',
    what: 'Nov 16 14:36 the Smartsheet account creates a normal-looking user (jdoe2)',
    actor: smartsheet.accountId,
    from: nov(16, 14, 36),
    to: nov(16, 14, 37),
  });
  add(nov(16, 14, 36, 20), () => {
    jdoe2 = ss().createUser('John Doe', { email: 'jdoe2@example.com' }).accountId;
  });
  step({
    id: 'new-user-groups',
    what: 'Nov 16 14:37 the new user is put into groups within minutes',
    actor: smartsheet.accountId,
    from: nov(16, 14, 37),
    to: nov(16, 14, 42),
  });
  t = nov(16, 14, 37, 5);
  for (const g of ['developers', 'engineering', 'vpn-users']) {
    add(t, () => ss().addToGroup(jdoe2, g));
    t += (40 + Math.floor(r() * 70)) * 1000;
  }
  step({
    id: 'access-checks',
    what: 'Nov 16-20 brief access checks by the new user and the Smartsheet account',
    unremarkable:
      'a few ordinary reads from an address on no list (Cloudflare saw logins from the attacker IP; the IOC came later, and Cloud logins are not simulated)',
    from: nov(16, 14, 45),
    to: nov(20, 15, 20),
  });
  add(nov(16, 14, 45, 12), () => cloud.as(jdoe2, { ip: PRIMARY_IP }).viewIssue(issues[1]!));
  add(nov(17, 10, 5, 40), () => cloud.as(jdoe2, { ip: PRIMARY_IP }).viewPage(pages[70]!));
  add(nov(18, 13, 40, 9), () => cloud.as(smartsheet.accountId, { ip: SLIVER_IP }).viewIssue(issues[2]!));
  add(nov(20, 15, 14, 2), () => cloud.as(jdoe2, { ip: PRIMARY_IP }).search('onboarding'));
  step({
    id: 'scriptrunner-install',
    what: 'Nov 22 14:18 ScriptRunner for Jira installed by the Smartsheet account',
    actor: smartsheet.accountId,
    from: nov(22, 14, 18),
    to: nov(22, 14, 19),
  });
  add(nov(22, 14, 18, 30), () => {
    containmentFaults();
    ss().installApp('com.onresolve.jira.groovy.groovyrunner', 'ScriptRunner for Jira');
  });
  step({
    id: 'script-console',
    what: 'Nov 22 14:24 the script console deploys the Sliver implant',
    from: nov(22, 14, 24),
    to: nov(22, 14, 40),
    noCloudSource: 'ScriptRunner for Jira Cloud console runs reach no product or organization audit log',
  });
  step({
    id: 'repo-views',
    what: 'Nov 22-23 views of 120 repositories by the Bitbucket service account',
    from: nov(22, 14, 50),
    to: nov(23, 15, 0),
    noCloudSource: 'Bitbucket Cloud records no repository page views',
  });
  step({
    id: 'archive-downloads',
    what: "Nov 22-23 Bitbucket's archive download on 76 repositories",
    actor: bbsvc.accountId,
    from: nov(22, 15, 0),
    to: nov(23, 15, 0),
    noCloudSource:
      'Bitbucket Cloud has no event, webhook or audit API for archive downloads or clones (BCLOUD-14278)',
  });
  t = nov(22, 15, 0);
  repos.slice(0, 76).forEach((slug, i) => {
    if (i === 45) t = nov(23, 7, 0);
    t += (90 + Math.floor(r() * 200)) * 1000;
    add(t, () => cloud.as(bbsvc.accountId, { ip: PRIMARY_IP }).downloadArchive(slug));
  });
  const changedAt = nov(23, 15, 58, 12);
  step({
    id: 'admin-group-add',
    what: 'Nov 23 15:58 the Smartsheet account is added to site-admins',
    actor: smartsheet.accountId,
    from: changedAt,
    to: changedAt + MIN,
  });
  add(changedAt, () => {
    if (skip.has('scriptrunner-install')) containmentFaults();
    ss().addToGroup(smartsheet.accountId, 'site-admins');
  });
  step({
    id: 'contain-smartsheet',
    what: '16:35 the SOC disabled the Smartsheet account (here: the app, seconds after the change)',
    from: changedAt,
    to: nov(23, 16, 35),
    doneByApp: true,
  });
  step({
    id: 'contain-created-user',
    what: '17:23 the attacker-created user disabled (here: the app, in the same incident)',
    from: changedAt,
    to: nov(23, 17, 23),
    doneByApp: true,
  });
  step({
    id: 'last-activity',
    what: 'Nov 24 10:44 last activity: the Moveworks token searches "token"; the contained accounts are refused',
    actor: moveworks.accountId,
    from: nov(24, 10, 44),
    to: nov(24, 12, 0),
  });
  add(nov(24, 10, 44, 31), () => mw().search('token'));
  add(nov(24, 11, 59, 7), () => {
    lastActivity.smartsheetRefused =
      attempt(() => cloud.as(smartsheet.accountId, { ip: SLIVER_IP }).viewIssue(issues[3]!))?.status === 401;
    lastActivity.jdoe2Refused = attempt(() => cloud.as(jdoe2).viewIssue(issues[3]!))?.status === 401;
  });

  // ---- play everything in time order --------------------------------------------------------------------
  const all = [
    ...tasks.map((x) => ({ ...x, who: 'bg' })),
    ...intruder.map((x) => ({ ...x, who: 'intruder' })),
  ];
  all.sort((a, b) => a.t - b.t);
  for (const task of all) {
    await h.runUntil(task.t);
    const refused = attempt(task.run);
    if (refused && task.who === 'intruder')
      log(`intruder refused at ${new Date(task.t).toISOString()}: ${refused.message}`);
  }
  await h.runUntil(nov(24, 18, 0));
  await h.runUntilIdle();

  // ---- what happened -------------------------------------------------------------------------------------
  /**
   * When a record of the simulator's operation `opSeq` first reached the app, and by which path: the product
   * event's trigger invocation, the org audit-log webhook's delivery, or the scheduled poll invocation whose
   * request returned it (a call made at or after the record became visible, whose window holds its time: what
   * the simulator's routes return). `kinds` limits the records considered (e.g. only those carrying an address).
   * `stored`: only poll invocations that ended well (one that fetched the record and then failed to store it,
   * e.g. on an injected KVS fault, is not retried by the platform: the next poll fetches it again).
   */
  const reached = (
    opSeq: number,
    kinds: readonly ('event' | 'jira' | 'confluence' | 'org')[] = ['event', 'jira', 'confluence', 'org'],
    stored = false,
  ): { at: number; via: string } | undefined => {
    const found: { at: number; via: string }[] = [];
    const startOf = (invocationId?: string) =>
      h.invocations.find((i) => i.id === invocationId && (!stored || i.outcome === 'ok'))?.startedAt;
    const polled = (
      via: string,
      path: RegExp,
      visibleAt: number,
      time: number,
      window: (q: URLSearchParams) => [number, number],
    ) => {
      const call = h.calls.find((c) => {
        if (!path.test(c.path) || c.status !== 200 || c.at < visibleAt) return false;
        if (startOf(c.invocationId) === undefined) return false;
        const [from, to] = window(new URL(c.path, 'https://x.invalid').searchParams);
        return from <= time && time <= to;
      });
      const at = startOf(call?.invocationId);
      if (at !== undefined) found.push({ at, via });
    };
    if (kinds.includes('event'))
      for (const e of cloud.emitted.filter((x) => x.opSeq === opSeq))
        found.push({ at: Math.min(...e.deliveries), via: 'product event' });
    if (kinds.includes('jira'))
      for (const r of cloud.jiraAudit.filter((x) => x.opSeq === opSeq))
        polled(
          'Jira audit poll',
          /^\/rest\/api\/3\/auditing\/record\?/,
          r.visibleAt,
          Date.parse(r.rec.created.replace('+0000', 'Z')),
          (q) => [Date.parse(q.get('from') ?? ''), Date.parse(q.get('to') ?? '')],
        );
    if (kinds.includes('confluence'))
      for (const r of cloud.confluenceAudit.filter((x) => x.opSeq === opSeq))
        polled(
          'Confluence audit poll',
          /^\/wiki\/rest\/api\/audit\?/,
          r.visibleAt,
          r.rec.creationDate,
          (q) => [Number(q.get('startDate')), Number(q.get('endDate'))],
        );
    if (kinds.includes('org'))
      for (const r of cloud.orgEvents.filter((x) => x.opSeq === opSeq)) {
        polled(
          'org events poll',
          /\/events-stream\?/,
          r.visibleAt,
          Date.parse(r.rec.attributes.time),
          (q) => [Number(q.get('from')), Number(q.get('to'))],
        );
        const hook = webhookCalls.find((c) => c.status < 300 && JSON.stringify(c.body).includes(r.rec.id));
        if (hook) found.push({ at: hook.at, via: 'org audit-log webhook' });
      }
    return found.sort((x, y) => x.at - y.at)[0];
  };
  const removalsOf = (account: string, since: number) =>
    cloud.ops.filter(
      (op) =>
        op.kind === 'removeFromGroup' &&
        op.ok &&
        op.actor === cloud.appUser.accountId &&
        op.detail?.['accountId'] === account &&
        op.at >= since,
    );
  const suspensionOf = (account: string) =>
    cloud.ops.find((op) => op.kind === 'suspendUser' && op.ok && op.detail?.['accountId'] === account);
  const byOp = (kind: string, match: (detail: Record<string, unknown>) => boolean) =>
    cloud.ops.find(
      (op) => op.kind === kind && op.ok && op.actor === smartsheet.accountId && match(op.detail ?? {}),
    );
  const candidates = [
    { step: 'scriptrunner-install', op: byOp('installApp', () => true) },
    { step: 'admin-group-add', op: byOp('addToGroup', (d) => d['group'] === 'site-admins') },
  ];
  const suspended = suspensionOf(smartsheet.accountId);
  const jdoe2Suspended = jdoe2 ? suspensionOf(jdoe2) : undefined;
  const trigger = candidates.filter((c) => c.op && suspended && c.op.at <= suspended.at).pop();
  const removals = trigger?.op ? removalsOf(smartsheet.accountId, trigger.op.at) : [];
  const delivered = trigger?.op ? reached(trigger.op.seq) : undefined;
  const stored = trigger?.op ? reached(trigger.op.seq, undefined, true) : undefined;
  const escalation: ScenarioResult['escalation'] = {
    ...(trigger?.op ? { trigger: trigger.step, changedAt: trigger.op.at } : {}),
    ...(delivered ? { deliveredAt: delivered.at, deliveredVia: delivered.via } : {}),
    ...(stored ? { storedAt: stored.at } : {}),
    ...(removals[0] ? { removedAt: removals[0].at } : {}),
    removedGroups: removals.map((op) => String(op.detail?.['group'])),
    ...(suspended ? { suspendedAt: suspended.at } : {}),
    ...(jdoe2Suspended ? { jdoe2SuspendedAt: jdoe2Suspended.at } : {}),
  };
  // With the published indicators: each service account's first action from one of them (Nov 15 on), and
  // the first record of it that carries the address (org audit events do; product events carry none).
  const iocFirstMoves: ScenarioResult['iocFirstMoves'] = [];
  if (o.publishedIocs)
    for (const account of [moveworks.accountId, smartsheet.accountId]) {
      const first = cloud.ops.find(
        (op) =>
          op.actor === account &&
          op.ok &&
          op.at >= nov(15, 0, 0) &&
          cloud.orgEvents.some(
            (e) =>
              e.opSeq === op.seq && [PRIMARY_IP, SLIVER_IP].includes(e.rec.attributes.location?.ip ?? ''),
          ),
      );
      if (!first) continue;
      const got = reached(first.seq, ['org']);
      const removed = removalsOf(account, first.at)[0];
      const susp = suspensionOf(account);
      iocFirstMoves.push({
        account,
        actedAt: first.at,
        ...(got ? { deliveredAt: got.at, deliveredVia: got.via } : {}),
        ...(removed ? { removedAt: removed.at } : {}),
        ...(susp ? { suspendedAt: susp.at } : {}),
      });
    }

  // Everything the app recorded, read as a site admin through the console's resolvers.
  const list = expectOk(
    await resolve('incidents.list', { scope: { kind: 'all' }, limit: 500 }),
    'incidents.list',
  ) as { total: number; incidents: { id: string }[] };
  const incidents: ScenarioResult['incidents'] = [];
  const detections: DetectionView[] = [];
  const actions: ActionView[] = [];
  for (const i of list.incidents) {
    const d = expectOk(
      await resolve('incidents.get', { id: i.id, scope: { kind: 'all' } }),
      'incidents.get',
    ) as {
      incident: {
        id: string;
        severity: string;
        actor: { id?: string };
        identities: { identity: { id?: string; name?: string } }[];
        detections: {
          id: string;
          rule: { id: string };
          severity: string;
          actor: { id?: string; name?: string };
          firstTimestamp: number;
          '@timestamp': number;
        }[];
      };
      actions: ActionView[];
    };
    incidents.push({
      id: d.incident.id,
      severity: d.incident.severity,
      ...(d.incident.actor.id !== undefined ? { actorId: d.incident.actor.id } : {}),
      identities: d.incident.identities.map((x) => x.identity.id ?? x.identity.name ?? '?'),
    });
    for (const det of d.incident.detections)
      detections.push({
        id: det.id,
        ruleId: det.rule.id,
        severity: det.severity,
        ...(det.actor.id !== undefined ? { actorId: det.actor.id } : {}),
        ...(det.actor.name !== undefined ? { actorName: det.actor.name } : {}),
        first: det.firstTimestamp,
        last: det['@timestamp'],
        incidentId: d.incident.id,
      });
    actions.push(...d.actions);
  }
  if (list.total > list.incidents.length) throw new Error(`more than ${list.incidents.length} incidents`);

  const backgroundAfter = new Map([...background].map((id) => [id, stateOf(cloud, id)]));
  return {
    h,
    cloud,
    steps,
    background,
    backgroundBefore,
    backgroundAfter,
    smartsheet: smartsheet.accountId,
    jdoe2,
    incidents,
    detections,
    actions,
    escalation,
    iocFirstMoves,
    webhookCalls: webhookCalls.map(({ at: a, status }) => ({ at: a, status })),
    lastActivity,
    faultsFired: cloud.faults.fired.length,
    handlerErrors: h.handlerErrors.length,
    invocations: h.invocations.length,
  };
}
