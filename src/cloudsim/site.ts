/**
 * A stateful simulator of one Atlassian Cloud site (Jira, Confluence, Bitbucket workspace) and its
 * organization, wired into a ForgeHarness: the app's `requestJira/Confluence/Bitbucket` calls and its
 * external `fetch` to api.atlassian.com are answered from this state (routes.ts), and every change writes
 * the audit records and emits the Forge product events a real site would.
 *
 * What is simulated, and from which documented behaviour (forge-platform.md §B.3, §E, §F; samples in
 * ../shared/samples):
 * - Users (accountId, displayName, email, accountType atlassian|app, active, suspended), site-wide groups
 *   (site-admins, jira-admins-<site>, confluence-admins-<site>, jira-software-users-<site>,
 *   confluence-users-<site>, atlassian-addons-admin), installed apps with their app user, Confluence spaces
 *   and pages, Jira issues, one Bitbucket workspace with repositories, direct repository grants and pull
 *   requests, API tokens per user, the organization (id, directory id, API keys).
 * - Permissions: "Administer Jira"/"Confluence Administrator" = site-admins, the product's admins group,
 *   or atlassian-addons-admin (where Cloud puts app users, so the app can read the audit logs: UNVERIFIED on
 *   a live site); group membership changes need site-admins ("site administration (that is, member of the
 *   site-admin group)"), so the app gets 403 until an admin adds its app user to site-admins; repository
 *   permission changes need repository admin (the app is treated as having `admin:repository:bitbucket`);
 *   the Admin API needs a valid organization API key as Bearer; asUser calls act with that user's
 *   permissions and fail 401 for a suspended or deactivated user.
 * - Audit: Jira audit records, Confluence audit records and org audit events, each visible through its API
 *   only `auditVisibleAfterMs` after the change (defaults 10 s / 10 s / 60 s: not documented; configurable).
 * - Product events (names from §B.3) delivered to the harness after a delay drawn from a seeded RNG
 *   (default 1–8 s; the docs allow up to 3 min), with optional duplicate and late (out-of-order) deliveries.
 *   Nothing is emitted where Cloud has no event: group membership changes, API tokens, app installs by
 *   others, Bitbucket archive downloads and clones.
 * - The org audit-log webhook (Guard): when configured, each org event is POSTed to a web trigger with the
 *   configured Authorization header, `{data: event}`.
 * - Faults on demand (faults.ts): 429 with Retry-After, 500/503, never answering.
 *
 * Not simulated: sessions, login, 2SV, SCIM/directory sync, projects and permission schemes, page
 * restrictions, Bitbucket webhooks and the workspace audit log (Bitbucket Cloud has no audit API), Admin
 * API rate limits (inject 429s instead), exact error message wording.
 */
import { createHash } from 'node:crypto';
import type { ForgeHandler, ForgeHarness, HandlerResult, HarnessRequest } from '../forge-harness';
import { seededRng } from '../forge-harness';
import { FaultInjector, type FaultTarget } from './faults';
import { CloudSimError } from './model';
import type {
  AccountType,
  ApiToken,
  Group,
  InstalledApp,
  Issue,
  Operation,
  Org,
  Page,
  PullRequest,
  RepoPermission,
  Repository,
  SimUser,
  Space,
  Workspace,
} from './model';
import {
  confluenceAuthor,
  confluenceContent,
  jiraGroupItem,
  jiraTime,
  jiraUserItem,
  userDetails,
  type ConfluenceAuditRecord,
  type JiraAuditItem,
  type JiraAuditRecord,
  type OrgAuditEvent,
} from './records';
export { CloudSimError } from './model';
import { routeAdmin, routeBitbucket, routeConfluence, routeJira, routeStargate } from './routes';

export interface EventDeliveryOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Probability that an event is delivered twice. */
  duplicateRate?: number;
  /** Probability that an event is delivered late (between lateMinMs and lateMaxMs), so out of order. */
  lateRate?: number;
  lateMinMs?: number;
  lateMaxMs?: number;
}

export interface CloudSimOptions {
  siteName?: string;
  orgId?: string;
  orgApiKey?: string;
  seed?: number;
  /** Our app (the one under test): its key and whether its app user starts in site-admins. */
  appKey?: string;
  appName?: string;
  appUserInSiteAdmins?: boolean;
  events?: EventDeliveryOptions;
  auditVisibleAfterMs?: { jira?: number; confluence?: number; org?: number };
  orgWebhook?: { webTriggerKey: string; authorization: string; delayMs?: number };
  /** Emit `avi:jira:updated:user` when a group membership changes (undocumented on Cloud; default false). */
  emitUpdatedUserOnGroupChange?: boolean;
  workspaceSlug?: string;
  /** Number of the built-in admin's account: `admin` user created at start, member of site-admins. */
  adminDisplayName?: string;
}

interface Stored<T> {
  rec: T;
  visibleAt: number;
  opSeq: number;
}

export interface EmittedEvent {
  event: Record<string, unknown>;
  opSeq: number;
  at: number;
  deliveries: number[];
}

export const DEFAULT_GROUPS = (site: string): string[] => [
  'site-admins',
  `jira-admins-${site}`,
  `confluence-admins-${site}`,
  `jira-software-users-${site}`,
  `confluence-users-${site}`,
  'atlassian-addons-admin',
];

/** Which audit logs each actor operation writes to (Jira, Confluence, org). */
export const AUDIT_FOOTPRINT: Record<string, { jira: number; confluence: number; org: number }> = {
  createUser: { jira: 1, confluence: 1, org: 1 },
  createGroup: { jira: 1, confluence: 1, org: 1 },
  addToGroup: { jira: 1, confluence: 1, org: 1 },
  removeFromGroup: { jira: 1, confluence: 1, org: 1 },
  installApp: { jira: 1, confluence: 1, org: 1 },
  createApiToken: { jira: 0, confluence: 0, org: 1 },
  revokeApiToken: { jira: 0, confluence: 0, org: 1 },
  viewIssue: { jira: 0, confluence: 0, org: 1 },
  viewPage: { jira: 0, confluence: 0, org: 1 },
  search: { jira: 0, confluence: 0, org: 0 },
  grantSpacePermission: { jira: 0, confluence: 1, org: 0 },
  exportSpace: { jira: 0, confluence: 1, org: 0 },
  pushRepository: { jira: 0, confluence: 0, org: 0 },
  downloadArchive: { jira: 0, confluence: 0, org: 0 },
  grantRepoPermission: { jira: 0, confluence: 0, org: 0 },
  revokeRepoPermission: { jira: 0, confluence: 0, org: 0 },
  suspendUser: { jira: 1, confluence: 0, org: 1 },
  restoreUser: { jira: 1, confluence: 0, org: 1 },
  createIssue: { jira: 0, confluence: 0, org: 0 },
  mergePullRequest: { jira: 0, confluence: 0, org: 0 },
  createPullRequest: { jira: 0, confluence: 0, org: 0 },
  addComment: { jira: 0, confluence: 0, org: 0 },
};

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class CloudSim {
  readonly site: string;
  readonly hostName: string;
  readonly rng: () => number;
  readonly users = new Map<string, SimUser>();
  readonly groups = new Map<string, Group>();
  readonly apps = new Map<string, InstalledApp>();
  readonly spaces = new Map<string, Space>();
  readonly pages = new Map<string, Page>();
  readonly issues = new Map<string, Issue>();
  readonly repos = new Map<string, Repository>();
  readonly tokens = new Map<string, ApiToken>();
  readonly workspace: Workspace;
  readonly org: Org;
  readonly ops: Operation[] = [];
  readonly jiraAudit: Stored<JiraAuditRecord>[] = [];
  readonly confluenceAudit: Stored<ConfluenceAuditRecord>[] = [];
  readonly orgEvents: Stored<OrgAuditEvent>[] = [];
  readonly emitted: EmittedEvent[] = [];
  /** Bitbucket archive downloads and clones: kept in the model only, since Cloud exposes no source for them. */
  readonly repoReads: { accountId: string; repo: string; kind: 'archive' | 'clone'; at: number }[] = [];
  readonly faults: FaultInjector;
  readonly appUser: SimUser;
  readonly admin: SimUser;
  readonly opts: CloudSimOptions;
  private seq = 0;
  private jiraAuditId = 10_000;
  private mergeChecks = new Map<string, ForgeHandler>();
  private currentOp = 0;

  constructor(
    readonly harness: ForgeHarness,
    opts: CloudSimOptions = {},
  ) {
    this.opts = opts;
    this.site = opts.siteName ?? 'acme';
    this.hostName = `https://${this.site}.atlassian.net`;
    this.rng = seededRng(opts.seed ?? 42);
    this.faults = new FaultInjector(() => this.harness.clock.now());
    this.org = {
      orgId: opts.orgId ?? uuidFrom(`org:${this.site}`),
      directoryId: uuidFrom(`dir:${this.site}`),
      apiKeys: new Set([opts.orgApiKey ?? 'org-api-key-0001']),
      admins: new Set(),
    };
    this.workspace = {
      uuid: `{${uuidFrom(`ws:${this.site}`)}}`,
      slug: opts.workspaceSlug ?? this.site,
      admins: new Set(),
      members: new Set(),
    };
    for (const name of DEFAULT_GROUPS(this.site)) this.seedGroup(name);
    this.admin = this.seedUser(
      { displayName: opts.adminDisplayName ?? 'Site Admin', email: `admin@${this.site}.example` },
      ['site-admins', `jira-admins-${this.site}`, `confluence-admins-${this.site}`],
    );
    this.workspace.admins.add(this.admin.accountId);
    const appKey = opts.appKey ?? 'bulkhead';
    this.appUser = this.seedUser({ displayName: opts.appName ?? 'Bulkhead', accountType: 'app' }, [
      'atlassian-addons-admin',
      ...(opts.appUserInSiteAdmins ? ['site-admins'] : []),
    ]);
    this.apps.set(appKey, {
      key: appKey,
      name: opts.appName ?? 'Bulkhead',
      installedBy: this.admin.accountId,
      at: harness.clock.now(),
      appUserAccountId: this.appUser.accountId,
    });
    this.attach();
  }

  /** Routes the harness's product REST and api.atlassian.com egress to this site. */
  attach(): void {
    const h = this.harness;
    const wrap =
      (
        target: FaultTarget,
        route: (sim: CloudSim, req: HarnessRequest) => HandlerResult | Promise<HandlerResult>,
      ) =>
      async (req: HarnessRequest): Promise<HandlerResult> => {
        const fault = this.faults.apply(target, req);
        if (fault) return fault;
        const res = await route(this, req);
        if (this.faults.takeLost(req))
          return { status: 504, body: { message: 'Gateway timeout (the change was applied)' } };
        return res;
      };
    h.setProductHandler('jira', wrap('jira', routeJira));
    h.setProductHandler('confluence', wrap('confluence', routeConfluence));
    h.setProductHandler('bitbucket', wrap('bitbucket', routeBitbucket));
    h.setProductHandler('stargate', wrap('stargate', routeStargate));
    h.setExternalHandler('api.atlassian.com', wrap('admin', routeAdmin));
  }

  now(): number {
    return this.harness.clock.now();
  }

  // ---- ids --------------------------------------------------------------------------------------------

  private nextAccountId(kind: AccountType): string {
    const n = this.users.size + 1;
    const hex = createHash('sha1').update(`${this.site}:${n}`).digest('hex');
    return kind === 'app' ? `557058:${uuidFrom(hex)}` : `712020:${uuidFrom(hex)}`;
  }

  bitbucketUuid(accountId: string): string {
    return `{${uuidFrom(`bb:${accountId}`)}}`;
  }

  // ---- lookups ----------------------------------------------------------------------------------------

  user(accountId: string): SimUser | undefined {
    return this.users.get(accountId);
  }

  groupByName(name: string): Group | undefined {
    for (const g of this.groups.values()) if (g.name === name) return g;
    return undefined;
  }

  groupsOf(accountId: string): Group[] {
    return [...this.groups.values()]
      .filter((g) => g.members.has(accountId))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  inGroup(accountId: string, name: string): boolean {
    return this.groupByName(name)?.members.has(accountId) ?? false;
  }

  /** Can this account act at all (exists, active, not suspended)? */
  canAuthenticate(accountId: string): boolean {
    const u = this.users.get(accountId);
    return !!u && u.active && !u.suspended;
  }

  isSiteAdmin(accountId: string): boolean {
    return (
      this.canAuthenticate(accountId) &&
      (this.inGroup(accountId, 'site-admins') || this.org.admins.has(accountId))
    );
  }

  isJiraAdmin(accountId: string): boolean {
    return (
      this.isSiteAdmin(accountId) ||
      (this.canAuthenticate(accountId) &&
        (this.inGroup(accountId, `jira-admins-${this.site}`) ||
          this.inGroup(accountId, 'atlassian-addons-admin')))
    );
  }

  isConfluenceAdmin(accountId: string): boolean {
    return (
      this.isSiteAdmin(accountId) ||
      (this.canAuthenticate(accountId) &&
        (this.inGroup(accountId, `confluence-admins-${this.site}`) ||
          this.inGroup(accountId, 'atlassian-addons-admin')))
    );
  }

  repoPermission(accountId: string, repo: Repository): RepoPermission | undefined {
    if (this.workspace.admins.has(accountId)) return 'admin';
    return repo.permissions.get(accountId);
  }

  // ---- seeding (no audit, no events: history from before the app was installed) ------------------------

  seedGroup(name: string): Group {
    const existing = this.groupByName(name);
    if (existing) return existing;
    const g: Group = { groupId: uuidFrom(`group:${this.site}:${name}`), name, members: new Set() };
    this.groups.set(g.groupId, g);
    return g;
  }

  seedUser(
    u: { displayName: string; email?: string; accountType?: AccountType; accountId?: string },
    groups: string[] = [],
  ): SimUser {
    const accountType = u.accountType ?? 'atlassian';
    const user: SimUser = {
      accountId: u.accountId ?? this.nextAccountId(accountType),
      displayName: u.displayName,
      ...(u.email ? { email: u.email } : {}),
      accountType,
      active: true,
      suspended: false,
      createdAt: this.now(),
    };
    this.users.set(user.accountId, user);
    for (const g of groups) this.seedGroup(g).members.add(user.accountId);
    if (accountType === 'atlassian') this.workspace.members.add(user.accountId);
    return user;
  }

  /** Background users: `n` ordinary users in the product user groups, with seeded names. */
  seedPopulation(n: number): SimUser[] {
    const first = [
      'Ana',
      'Ben',
      'Chen',
      'Dara',
      'Eli',
      'Fatima',
      'Gus',
      'Hana',
      'Ivan',
      'Jo',
      'Kai',
      'Lena',
      'Mo',
      'Nia',
      'Omar',
      'Pia',
    ];
    const last = ['Silva', 'Okafor', 'Novak', 'Berg', 'Kim', 'Rossi', 'Haddad', 'Ito', 'Moreau', 'Walsh'];
    const out: SimUser[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${first[Math.floor(this.rng() * first.length)]} ${last[Math.floor(this.rng() * last.length)]} ${i + 1}`;
      out.push(
        this.seedUser({ displayName: name, email: `user${i + 1}@${this.site}.example` }, [
          `jira-software-users-${this.site}`,
          `confluence-users-${this.site}`,
        ]),
      );
    }
    return out;
  }

  seedSpace(key: string, name = key): Space {
    const s: Space = { id: 100_000 + this.spaces.size + 1, key, name, permissions: new Map() };
    this.spaces.set(key, s);
    return s;
  }

  seedPage(spaceKey: string, title: string): Page {
    if (!this.spaces.has(spaceKey)) this.seedSpace(spaceKey);
    const p: Page = { id: String(800_000 + this.pages.size + 1), spaceKey, title };
    this.pages.set(p.id, p);
    return p;
  }

  seedIssue(projectKey: string, summary: string): Issue {
    const n = [...this.issues.values()].filter((i) => i.projectKey === projectKey).length + 1;
    const is: Issue = {
      id: String(10_000 + this.issues.size + 1),
      key: `${projectKey}-${n}`,
      projectKey,
      summary,
    };
    this.issues.set(is.key, is);
    return is;
  }

  seedRepo(slug: string, grants: Record<string, RepoPermission> = {}): Repository {
    const r: Repository = {
      uuid: `{${uuidFrom(`repo:${slug}`)}}`,
      slug,
      name: slug,
      projectUuid: `{${uuidFrom('project:main')}}`,
      permissions: new Map(Object.entries(grants)),
      pullRequests: [],
    };
    this.repos.set(slug, r);
    return r;
  }

  /** Seeds (no audit, no event) whether an account is a site admin: how a test says a resolver's caller is one. */
  setSiteAdmin(accountId: string, on: boolean): void {
    const g = this.seedGroup('site-admins');
    if (on) g.members.add(accountId);
    else g.members.delete(accountId);
  }

  /**
   * Emits our app's `avi:forge:installed:app` lifecycle event (docs: events-reference/life-cycle; no eventType
   * field). `delayMs` defaults to the product-event delay; the docs warn it may arrive before the app user has
   * its permissions, which a test reproduces by removing the app user from groups first.
   */
  emitAppInstalled(opts: { delayMs?: number; installerAccountId?: string } = {}): Record<string, unknown> {
    const h = this.harness;
    const payload = {
      id: h.installationAri,
      installerAccountId: opts.installerAccountId ?? this.admin.accountId,
      app: { id: h.opts.appId, version: h.opts.appVersion, name: this.opts.appName ?? 'Bulkhead' },
      environment: { id: h.opts.environmentId },
    };
    h.deliverLifecycleEvent('avi:forge:installed:app', payload, { delayMs: opts.delayMs ?? 2000 });
    return payload;
  }

  addOrgApiKey(key: string): void {
    this.org.apiKeys.add(key);
  }

  // ---- operations, audit, events ------------------------------------------------------------------------

  /** Runs a change as one operation: permission checks first, then the change, audit and events. */
  private op<T>(kind: string, actor: string, detail: Record<string, unknown>, fn: () => T): T {
    const o: Operation = { seq: ++this.seq, kind, actor, at: this.now(), ok: false, detail };
    this.ops.push(o);
    this.currentOp = o.seq;
    try {
      const r = fn();
      o.ok = true;
      return r;
    } finally {
      this.currentOp = 0;
    }
  }

  private requireActor(accountId: string): SimUser {
    const u = this.users.get(accountId);
    if (!u || !u.active || u.suspended)
      throw new CloudSimError(401, `account ${accountId} cannot authenticate`);
    return u;
  }

  private visible(kind: 'jira' | 'confluence' | 'org'): number {
    const d = { jira: 10_000, confluence: 10_000, org: 60_000, ...this.opts.auditVisibleAfterMs };
    return this.now() + d[kind];
  }

  writeJiraAudit(
    actor: SimUser | undefined,
    summary: string,
    category: string,
    objectItem: JiraAuditItem | undefined,
    associated: JiraAuditItem[] = [],
    changed: JiraAuditRecord['changedValues'] = [],
    ip = '198.51.100.10',
  ): JiraAuditRecord {
    const rec: JiraAuditRecord = {
      id: ++this.jiraAuditId,
      summary,
      remoteAddress: ip,
      ...(actor ? { authorAccountId: actor.accountId } : {}),
      created: jiraTime(this.now()),
      category,
      eventSource: '',
      ...(objectItem ? { objectItem } : {}),
      changedValues: changed,
      associatedItems: associated,
    };
    this.jiraAudit.push({ rec, visibleAt: this.visible('jira'), opSeq: this.currentOp });
    return rec;
  }

  writeConfluenceAudit(
    actor: SimUser | undefined,
    summary: string,
    category: string,
    affected: { name: string; objectType: string },
    associated: { name: string; objectType: string }[] = [],
    changed: { name: string; oldValue?: string; newValue?: string }[] = [],
    ip = '198.51.100.10',
  ): ConfluenceAuditRecord {
    const rec: ConfluenceAuditRecord = {
      author: confluenceAuthor(actor),
      remoteAddress: ip,
      creationDate: this.now(),
      summary,
      description: '',
      category,
      sysAdmin: false,
      superAdmin: actor ? this.isSiteAdmin(actor.accountId) : false,
      affectedObject: affected,
      changedValues: changed.map((c) => ({
        name: c.name,
        oldValue: c.oldValue ?? '',
        newValue: c.newValue ?? '',
        hiddenOldValue: '',
        hiddenNewValue: '',
      })),
      associatedObjects: associated,
    };
    this.confluenceAudit.push({ rec, visibleAt: this.visible('confluence'), opSeq: this.currentOp });
    return rec;
  }

  writeOrgEvent(
    actor: SimUser,
    action: string,
    message: string,
    context: OrgAuditEvent['attributes']['context'] = [],
    ip = '198.51.100.10',
    extraContainer: Record<string, unknown> = {},
  ): OrgAuditEvent {
    const id = uuidFrom(`orgevent:${this.site}:${this.orgEvents.length + 1}`);
    const ev: OrgAuditEvent = {
      type: 'events',
      id,
      attributes: {
        time: new Date(this.now()).toISOString(),
        action,
        actor: {
          id: actor.accountId,
          name: actor.displayName,
          ...(actor.email ? { email: actor.email } : {}),
          links: { self: `https://api.atlassian.com/users/${actor.accountId}/manage/profile` },
        },
        context,
        container: [
          {
            id: this.harness.opts.cloudId,
            type: 'sites',
            attributes: { siteName: this.site, siteHostName: this.hostName, ...extraContainer },
          },
        ],
        location: { ip },
      },
      links: { self: `https://api.atlassian.com/admin/v1/orgs/${this.org.orgId}/events/${id}` },
      message: { content: message, format: 'simple' },
    };
    this.orgEvents.push({ rec: ev, visibleAt: this.visible('org'), opSeq: this.currentOp });
    const hook = this.opts.orgWebhook;
    if (hook) {
      const body = { data: ev };
      this.harness.scheduler.after(hook.delayMs ?? 2000, 'org-webhook', async () => {
        await this.harness.callWebTrigger(hook.webTriggerKey, {
          method: 'POST',
          headers: { authorization: hook.authorization, 'content-type': 'application/json' },
          body,
        });
      });
    }
    return ev;
  }

  private userContext(u: SimUser): OrgAuditEvent['attributes']['context'][number] {
    return {
      id: u.accountId,
      type: 'users',
      attributes: { displayName: u.displayName, ...(u.email ? { email: u.email } : {}) },
    };
  }

  /** Emits a Forge product event into the harness with a seeded delay (and maybe a duplicate or a late copy). */
  emit(event: Record<string, unknown>): void {
    const o = this.opts.events ?? {};
    const min = o.minDelayMs ?? 1000;
    const max = o.maxDelayMs ?? 8000;
    let delay = min + Math.floor(this.rng() * Math.max(0, max - min));
    if ((o.lateRate ?? 0) > 0 && this.rng() < (o.lateRate ?? 0)) {
      const lmin = o.lateMinMs ?? 60_000;
      const lmax = o.lateMaxMs ?? 180_000;
      delay = lmin + Math.floor(this.rng() * Math.max(0, lmax - lmin));
    }
    const e: EmittedEvent = {
      event,
      opSeq: this.currentOp,
      at: this.now(),
      deliveries: [this.now() + delay],
    };
    this.harness.deliverEvent(event, { delayMs: delay });
    if ((o.duplicateRate ?? 0) > 0 && this.rng() < (o.duplicateRate ?? 0)) {
      const dupDelay = delay + 500 + Math.floor(this.rng() * 5000);
      e.deliveries.push(this.now() + dupDelay);
      this.harness.deliverEvent(event, { delayMs: dupDelay });
    }
    this.emitted.push(e);
  }

  // ---- changes (used by the actor API and by the REST routes) --------------------------------------------

  createUser(
    actorId: string,
    u: { displayName: string; email?: string; accountType?: AccountType },
    ip?: string,
  ): SimUser {
    const actor = this.requireActor(actorId);
    if (!this.isSiteAdmin(actorId)) throw new CloudSimError(403, 'creating users needs site administration');
    return this.op('createUser', actorId, { displayName: u.displayName }, () => {
      const user = this.seedUser({ ...u }, [
        `jira-software-users-${this.site}`,
        `confluence-users-${this.site}`,
      ]);
      this.writeJiraAudit(actor, 'User created', 'user management', jiraUserItem(user), [], [], ip);
      this.writeConfluenceAudit(
        actor,
        'User created',
        'Users and groups',
        { name: user.accountId, objectType: 'User' },
        [],
        [],
        ip,
      );
      this.writeOrgEvent(
        actor,
        'user_created',
        `Created user ${user.displayName}`,
        [this.userContext(user)],
        ip,
      );
      this.emit({
        eventType: 'avi:jira:created:user',
        selfGenerated: false,
        user: userDetails(user, this.groupsOf(user.accountId)),
      });
      this.emit({
        eventType: 'avi:confluence:created:user',
        eventCreatedDate: new Date(this.now()).toISOString(),
        user: {
          type: 'known',
          accountId: user.accountId,
          accountType: user.accountType,
          displayName: user.accountId,
          publicName: user.accountId,
        },
      });
      return user;
    });
  }

  createGroup(actorId: string, name: string, ip?: string): Group {
    const actor = this.requireActor(actorId);
    if (!this.isSiteAdmin(actorId)) throw new CloudSimError(403, 'creating groups needs site administration');
    if (this.groupByName(name)) throw new CloudSimError(400, `group ${name} already exists`);
    return this.op('createGroup', actorId, { name }, () => {
      const g = this.seedGroup(name);
      this.writeJiraAudit(actor, 'Group created', 'group management', jiraGroupItem(g), [], [], ip);
      this.writeConfluenceAudit(
        actor,
        'Group created',
        'Users and groups',
        { name: `${g.name}:${g.groupId}`, objectType: 'Group' },
        [],
        [],
        ip,
      );
      this.writeOrgEvent(
        actor,
        'group_created',
        `Created group ${g.name}`,
        [{ id: g.groupId, type: 'groups', attributes: { name: g.name } }],
        ip,
      );
      this.emit({
        eventType: 'avi:confluence:created:group',
        eventCreatedDate: new Date(this.now()).toISOString(),
        group: { id: g.groupId, name: g.name },
      });
      return g;
    });
  }

  addToGroup(actorId: string, accountId: string, group: Group, ip?: string): boolean {
    const actor = this.requireActor(actorId);
    if (!this.isSiteAdmin(actorId))
      throw new CloudSimError(
        403,
        'You do not have permission to add users to this group: site administration is required.',
      );
    const u = this.users.get(accountId);
    if (!u) throw new CloudSimError(404, `user ${accountId} not found`);
    if (group.members.has(accountId))
      throw new CloudSimError(400, `Cannot add user. User is already a member of '${group.name}'`);
    return this.op('addToGroup', actorId, { accountId, group: group.name }, () => {
      group.members.add(accountId);
      this.membershipRecords(actor, u, group, true, ip);
      return true;
    });
  }

  removeFromGroup(actorId: string, accountId: string, group: Group, ip?: string): boolean {
    const actor = this.requireActor(actorId);
    if (!this.isSiteAdmin(actorId))
      throw new CloudSimError(
        403,
        'You do not have permission to remove users from this group: site administration is required.',
      );
    const u = this.users.get(accountId);
    if (!u) throw new CloudSimError(404, `user ${accountId} not found`);
    if (!group.members.has(accountId))
      throw new CloudSimError(400, `Cannot remove user. User is not a member of '${group.name}'`);
    return this.op('removeFromGroup', actorId, { accountId, group: group.name }, () => {
      group.members.delete(accountId);
      this.membershipRecords(actor, u, group, false, ip);
      return true;
    });
  }

  private membershipRecords(actor: SimUser, u: SimUser, g: Group, added: boolean, ip?: string): void {
    const summary = added ? 'User added to group' : 'User removed from group';
    this.writeJiraAudit(actor, summary, 'group management', jiraUserItem(u), [jiraGroupItem(g)], [], ip);
    this.writeConfluenceAudit(
      actor,
      summary,
      'Users and groups',
      { name: `${g.name}:${g.groupId}`, objectType: 'Group' },
      [{ name: u.accountId, objectType: 'User' }],
      [],
      ip,
    );
    this.writeOrgEvent(
      actor,
      added ? 'user_added_to_group' : 'user_removed_from_group',
      `${added ? 'Added' : 'Removed'} ${u.displayName} ${added ? 'to' : 'from'} group ${g.name}`,
      [this.userContext(u), { id: g.groupId, type: 'groups', attributes: { name: g.name } }],
      ip,
    );
    if (this.opts.emitUpdatedUserOnGroupChange) {
      this.emit({
        eventType: 'avi:jira:updated:user',
        selfGenerated: false,
        user: userDetails(u, this.groupsOf(u.accountId)),
      });
    }
  }

  installApp(actorId: string, key: string, name: string, ip?: string): InstalledApp {
    const actor = this.requireActor(actorId);
    if (!this.isSiteAdmin(actorId)) throw new CloudSimError(403, 'installing apps needs site administration');
    return this.op('installApp', actorId, { key }, () => {
      const appUser = this.seedUser({ displayName: name, accountType: 'app' }, ['atlassian-addons-admin']);
      const app: InstalledApp = {
        key,
        name,
        installedBy: actorId,
        at: this.now(),
        appUserAccountId: appUser.accountId,
      };
      this.apps.set(key, app);
      this.writeJiraAudit(actor, 'App installed', 'apps', { id: key, name, typeName: 'PLUGIN' }, [], [], ip);
      this.writeConfluenceAudit(actor, 'App installed', 'Apps', { name, objectType: 'App' }, [], [], ip);
      this.writeOrgEvent(
        actor,
        'marketplace_app_installed',
        `Installed app ${name}`,
        [{ id: key, type: 'apps', attributes: { name } }],
        ip,
      );
      return app;
    });
  }

  createApiToken(actorId: string, label: string, ip?: string): ApiToken {
    const actor = this.requireActor(actorId);
    return this.op('createApiToken', actorId, { label }, () => {
      const t: ApiToken = {
        id: uuidFrom(`token:${actorId}:${this.tokens.size + 1}`),
        accountId: actorId,
        label,
        createdAt: this.now(),
        expiresAt: this.now() + 365 * 86_400_000,
      };
      this.tokens.set(t.id, t);
      this.writeOrgEvent(
        actor,
        'api_token_created',
        `Created API token ${label}`,
        [this.userContext(actor)],
        ip,
      );
      return t;
    });
  }

  revokeApiToken(actor: SimUser, tokenId: string): void {
    const t = this.tokens.get(tokenId);
    if (!t || t.revokedAt !== undefined) throw new CloudSimError(404, 'token not found');
    this.op('revokeApiToken', actor.accountId, { tokenId }, () => {
      t.revokedAt = this.now();
      const owner = this.users.get(t.accountId)!;
      this.writeOrgEvent(actor, 'api_token_revoked', `Revoked API token ${t.label} of ${owner.displayName}`, [
        this.userContext(owner),
      ]);
    });
  }

  /** Admin API suspend/restore: the org key's admin acts; the org log names the affected user. */
  setSuspended(accountId: string, suspended: boolean): SimUser {
    const u = this.users.get(accountId);
    if (!u) throw new CloudSimError(404, `user ${accountId} not found`);
    if (u.suspended === suspended) return u;
    this.op(suspended ? 'suspendUser' : 'restoreUser', 'org-api-key', { accountId }, () => {
      u.suspended = suspended;
      const orgAdmin: SimUser = {
        accountId: 'org-api-key',
        displayName: 'Organization API key',
        accountType: 'atlassian',
        active: true,
        suspended: false,
        createdAt: 0,
      };
      this.writeJiraAudit(
        undefined,
        suspended ? 'User deactivated' : 'User activated',
        'user management',
        jiraUserItem(u),
      );
      this.writeOrgEvent(
        orgAdmin,
        suspended ? 'user_suspended' : 'user_restored',
        `${suspended ? 'Suspended' : 'Restored'} access for ${u.displayName}`,
        [this.userContext(u)],
      );
    });
    return u;
  }

  viewIssue(actorId: string, key: string, ip?: string): Issue {
    const actor = this.requireActor(actorId);
    const is = this.issues.get(key);
    if (!is) throw new CloudSimError(404, `issue ${key} not found`);
    return this.op('viewIssue', actorId, { key }, () => {
      this.writeOrgEvent(actor, 'jira_issue_viewed', `Viewed Jira issue ${is.key}`, [], ip, {
        product: 'software',
        issueId: is.id,
        issueKeyOrId: is.key,
      });
      this.emit({
        eventType: 'avi:jira:viewed:issue',
        atlassianId: actorId,
        issue: {
          id: is.id,
          key: is.key,
          fields: {
            summary: is.summary,
            project: { id: String(10_000 + is.projectKey.length), key: is.projectKey, name: is.projectKey },
          },
        },
      });
      return is;
    });
  }

  viewPage(actorId: string, pageId: string, ip?: string): Page {
    const actor = this.requireActor(actorId);
    const p = this.pages.get(pageId);
    if (!p) throw new CloudSimError(404, `page ${pageId} not found`);
    const space = this.spaces.get(p.spaceKey)!;
    return this.op('viewPage', actorId, { pageId }, () => {
      this.writeOrgEvent(actor, 'confluence_page_viewed', `Viewed Confluence page ${p.title}`, [], ip, {
        product: 'confluence',
        pageId: p.id,
        pageTitle: p.title,
        spaceKey: space.key,
      });
      this.emit({
        eventType: 'avi:confluence:viewed:page',
        atlassianId: actorId,
        eventCreatedDate: new Date(this.now()).toISOString(),
        suppressNotifications: false,
        content: confluenceContent(p, space),
      });
      return p;
    });
  }

  search(actorId: string, query: string): Page[] {
    this.requireActor(actorId);
    const q = query.toLowerCase();
    const results = [...this.pages.values()].filter((p) => p.title.toLowerCase().includes(q));
    return this.op('search', actorId, { query }, () => {
      this.emit({
        eventType: 'avi:confluence:performed:search',
        atlassianId: actorId,
        eventCreatedDate: new Date(this.now()).toISOString(),
        query,
        numberOfResults: results.length,
      });
      return results;
    });
  }

  grantSpacePermission(
    actorId: string,
    spaceKey: string,
    granteeId: string,
    permission: string,
    ip?: string,
  ): void {
    const actor = this.requireActor(actorId);
    if (!this.isConfluenceAdmin(actorId))
      throw new CloudSimError(403, 'space permissions need Confluence administration');
    const s = this.spaces.get(spaceKey);
    if (!s) throw new CloudSimError(404, `space ${spaceKey} not found`);
    const grantee = this.users.get(granteeId);
    this.op('grantSpacePermission', actorId, { spaceKey, granteeId, permission }, () => {
      if (!s.permissions.has(granteeId)) s.permissions.set(granteeId, new Set());
      s.permissions.get(granteeId)!.add(permission);
      this.writeConfluenceAudit(
        actor,
        'Space permission added',
        'Permissions',
        { name: s.name, objectType: 'Space' },
        [{ name: grantee?.accountId ?? granteeId, objectType: 'User' }],
        [
          { name: 'Space key', newValue: s.key },
          { name: 'Permission', newValue: permission },
        ],
        ip,
      );
      this.emit({
        eventType: 'avi:confluence:permissions_updated:space:V2',
        atlassianId: actorId,
        eventCreatedDate: new Date(this.now()).toISOString(),
        space: { id: s.id, key: s.key, name: s.name, type: 'global', status: 'current' },
      });
    });
  }

  exportSpace(actorId: string, spaceKey: string, ip?: string): void {
    const actor = this.requireActor(actorId);
    const s = this.spaces.get(spaceKey);
    if (!s) throw new CloudSimError(404, `space ${spaceKey} not found`);
    if (!this.isConfluenceAdmin(actorId) && !s.permissions.get(actorId)?.has('export'))
      throw new CloudSimError(403, 'no export permission');
    this.op('exportSpace', actorId, { spaceKey }, () => {
      this.writeConfluenceAudit(
        actor,
        'Space exported',
        'Import/Export',
        { name: s.name, objectType: 'Space' },
        [],
        [{ name: 'Space key', newValue: s.key }],
        ip,
      );
    });
  }

  push(actorId: string, slug: string, ref = 'main'): void {
    this.requireActor(actorId);
    const r = this.repos.get(slug);
    if (!r) throw new CloudSimError(404, `repository ${slug} not found`);
    const p = this.repoPermission(actorId, r);
    if (p !== 'write' && p !== 'admin') throw new CloudSimError(403, 'push needs write access');
    this.op('pushRepository', actorId, { slug, ref }, () => {
      const hash = createHash('sha1').update(`${slug}:${this.seq}`).digest('hex');
      this.emit({
        eventType: 'avi:bitbucket:push:repository',
        selfGenerated: false,
        actor: { type: 'user', accountId: actorId, uuid: this.bitbucketUuid(actorId) },
        repository: { uuid: r.uuid, full_name: `${this.workspace.slug}/${r.slug}` },
        project: { uuid: r.projectUuid },
        workspace: { uuid: this.workspace.uuid },
        push: {
          changes: [
            {
              ref: { type: 'branch', name: ref },
              mainbranch: ref === 'main',
              created: false,
              closed: false,
              forced: false,
              truncated: false,
              commits: [
                {
                  hash,
                  message: { value: 'update', truncated: false },
                  date: new Date(this.now()).toISOString(),
                  author: { user: { type: 'user', accountId: actorId } },
                },
              ],
            },
          ],
        },
      });
    });
  }

  /** An archive download or clone: allowed with read access; Cloud writes no audit and emits no event for it. */
  readRepository(actorId: string, slug: string, kind: 'archive' | 'clone'): void {
    this.requireActor(actorId);
    const r = this.repos.get(slug);
    if (!r) throw new CloudSimError(404, `repository ${slug} not found`);
    if (!this.repoPermission(actorId, r)) throw new CloudSimError(403, 'no read access');
    this.op('downloadArchive', actorId, { slug, kind }, () => {
      this.repoReads.push({ accountId: actorId, repo: slug, kind, at: this.now() });
    });
  }

  setRepoPermission(
    actorId: string,
    slug: string,
    accountId: string,
    permission: RepoPermission | undefined,
  ): void {
    const r = this.repos.get(slug);
    if (!r) throw new CloudSimError(404, `repository ${slug} not found`);
    this.op(
      permission ? 'grantRepoPermission' : 'revokeRepoPermission',
      actorId,
      { slug, accountId, permission },
      () => {
        if (permission) r.permissions.set(accountId, permission);
        else r.permissions.delete(accountId);
      },
    );
  }

  createIssue(actorId: string, projectKey: string, summary: string, description?: unknown): Issue {
    this.requireActor(actorId);
    return this.op('createIssue', actorId, { projectKey }, () => {
      const is = this.seedIssue(projectKey, summary);
      if (description !== undefined) (is as Issue & { description?: unknown }).description = description;
      this.emit({
        eventType: 'avi:jira:created:issue',
        atlassianId: actorId,
        selfGenerated: actorId === this.appUser.accountId,
        issue: { id: is.id, key: is.key, fields: { summary, project: { key: projectKey } } },
      });
      return is;
    });
  }

  addComment(actorId: string, issueKey: string, body: unknown): { id: string } {
    this.requireActor(actorId);
    const is = this.issues.get(issueKey);
    if (!is) throw new CloudSimError(404, `issue ${issueKey} not found`);
    return this.op('addComment', actorId, { issueKey }, () => {
      const list = ((is as Issue & { comments?: unknown[] }).comments ??= []);
      list.push(body);
      this.emit({
        eventType: 'avi:jira:commented:issue',
        atlassianId: actorId,
        selfGenerated: actorId === this.appUser.accountId,
        issue: { id: is.id, key: is.key, fields: { summary: is.summary, project: { key: is.projectKey } } },
        comment: { id: String(10_000 + list.length) },
      });
      return { id: String(10_000 + list.length) };
    });
  }

  createPullRequest(
    actorId: string,
    slug: string,
    title: string,
    source = 'feature',
    destination = 'main',
  ): PullRequest {
    this.requireActor(actorId);
    const r = this.repos.get(slug);
    if (!r) throw new CloudSimError(404, `repository ${slug} not found`);
    return this.op('createPullRequest', actorId, { slug }, () => {
      const pr: PullRequest = {
        id: r.pullRequests.length + 1,
        title,
        authorAccountId: actorId,
        source,
        destination,
        state: 'OPEN',
      };
      r.pullRequests.push(pr);
      return pr;
    });
  }

  // ---- merge checks ------------------------------------------------------------------------------------

  /** A `bitbucket:mergeCheck` function: called with the PR context, must answer `{success, message?}`. */
  registerMergeCheck(moduleKey: string, handler: ForgeHandler): void {
    this.mergeChecks.set(moduleKey, handler);
  }

  /**
   * Merges a pull request after running every registered merge check (as Required checks, trigger
   * `on-merge`). A check that fails, errors or times out blocks the merge. The payload fields follow the
   * merge-check docs' description (pull request, repository, workspace, trigger); UNVERIFIED in detail.
   */
  async mergePullRequest(
    actorId: string,
    slug: string,
    prId: number,
  ): Promise<{ merged: boolean; results: { moduleKey: string; success: boolean; message?: string }[] }> {
    this.requireActor(actorId);
    const r = this.repos.get(slug);
    const pr = r?.pullRequests.find((p) => p.id === prId);
    if (!r || !pr) throw new CloudSimError(404, 'pull request not found');
    const p = this.repoPermission(actorId, r);
    if (p !== 'write' && p !== 'admin') throw new CloudSimError(403, 'merge needs write access');
    const payload = {
      trigger: 'on-merge',
      pullrequest: {
        id: pr.id,
        title: pr.title,
        author: { accountId: pr.authorAccountId, uuid: this.bitbucketUuid(pr.authorAccountId) },
        source: { branch: { name: pr.source } },
        destination: { branch: { name: pr.destination } },
      },
      mergedBy: { accountId: actorId, uuid: this.bitbucketUuid(actorId) },
      repository: { uuid: r.uuid, full_name: `${this.workspace.slug}/${r.slug}` },
      workspace: { uuid: this.workspace.uuid, slug: this.workspace.slug },
    };
    const results: { moduleKey: string; success: boolean; message?: string }[] = [];
    for (const [moduleKey, handler] of this.mergeChecks) {
      const out = await this.harness.invoke('direct', moduleKey, 25_000, (ctx) =>
        handler(structuredClone(payload), ctx),
      );
      const res = out.result as { success?: unknown; message?: unknown } | undefined;
      const success = out.outcome === 'ok' && res?.success === true;
      results.push({
        moduleKey,
        success,
        ...(typeof res?.message === 'string'
          ? { message: res.message }
          : out.outcome !== 'ok'
            ? { message: `check ${out.outcome}` }
            : {}),
      });
    }
    const merged = results.every((x) => x.success);
    this.op('mergePullRequest', actorId, { slug, prId, merged }, () => {
      if (merged) pr.state = 'MERGED';
    });
    return { merged, results };
  }

  // ---- the actor API -------------------------------------------------------------------------------------

  /** Act as a user (a scenario's intruder, a background user, an admin). Errors are CloudSimError(status). */
  as(accountId: string, opts: { ip?: string } = {}): Actor {
    return new Actor(this, accountId, opts.ip);
  }

  /** Visible audit state for assertions. */
  counts(): { jira: number; confluence: number; org: number; events: number } {
    return {
      jira: this.jiraAudit.length,
      confluence: this.confluenceAudit.length,
      org: this.orgEvents.length,
      events: this.emitted.length,
    };
  }
}

/** What a person can do on the site, as `cloud.as(accountId)`. Every change goes through CloudSim's checks. */
export class Actor {
  constructor(
    private readonly sim: CloudSim,
    readonly accountId: string,
    private readonly ip?: string,
  ) {}

  createUser(displayName: string, opts: { email?: string; accountType?: AccountType } = {}): SimUser {
    return this.sim.createUser(this.accountId, { displayName, ...opts }, this.ip);
  }
  createGroup(name: string): Group {
    return this.sim.createGroup(this.accountId, name, this.ip);
  }
  addToGroup(accountId: string, groupName: string): boolean {
    const g = this.sim.groupByName(groupName);
    if (!g) throw new CloudSimError(404, `group ${groupName} not found`);
    return this.sim.addToGroup(this.accountId, accountId, g, this.ip);
  }
  removeFromGroup(accountId: string, groupName: string): boolean {
    const g = this.sim.groupByName(groupName);
    if (!g) throw new CloudSimError(404, `group ${groupName} not found`);
    return this.sim.removeFromGroup(this.accountId, accountId, g, this.ip);
  }
  installApp(key: string, name: string): InstalledApp {
    return this.sim.installApp(this.accountId, key, name, this.ip);
  }
  createApiToken(label: string): ApiToken {
    return this.sim.createApiToken(this.accountId, label, this.ip);
  }
  viewIssue(key: string): Issue {
    return this.sim.viewIssue(this.accountId, key, this.ip);
  }
  viewPage(pageId: string): Page {
    return this.sim.viewPage(this.accountId, pageId, this.ip);
  }
  search(query: string): Page[] {
    return this.sim.search(this.accountId, query);
  }
  grantSpacePermission(spaceKey: string, granteeId: string, permission: string): void {
    this.sim.grantSpacePermission(this.accountId, spaceKey, granteeId, permission, this.ip);
  }
  exportSpace(spaceKey: string): void {
    this.sim.exportSpace(this.accountId, spaceKey, this.ip);
  }
  push(slug: string, ref?: string): void {
    this.sim.push(this.accountId, slug, ref);
  }
  downloadArchive(slug: string): void {
    this.sim.readRepository(this.accountId, slug, 'archive');
  }
  clone(slug: string): void {
    this.sim.readRepository(this.accountId, slug, 'clone');
  }
  createPullRequest(slug: string, title: string): PullRequest {
    return this.sim.createPullRequest(this.accountId, slug, title);
  }
  mergePullRequest(slug: string, prId: number): ReturnType<CloudSim['mergePullRequest']> {
    return this.sim.mergePullRequest(this.accountId, slug, prId);
  }
}
