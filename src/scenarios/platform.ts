/**
 * One vocabulary of things people do ("logged in", "searched", "created a user", "downloaded an archive"),
 * written out as the records Data Center or Cloud would keep for it. A method returns false when the platform
 * keeps no record of that act, so scenarios can mark such steps unobservable instead of inventing a format.
 */
import type { Rng } from './rng';
import type { RecordSink } from './sink';
import { AccessLog, httpAction, sshReceivePack, sshUploadPack } from './formats/bitbucket-access';
import { BITBUCKET, CONFLUENCE, JIRA, emitDcAudit, type DcAuthor } from './formats/dc-audit';
import {
  declareCloudFiles,
  emitBitbucketPush,
  emitConfluenceCloudAudit,
  emitConfluenceSearch,
  emitJiraCloudAudit,
  emitOrgEvent,
  emitPageViewed,
  type CloudLocation,
  type CloudUser,
  type ConfluencePage,
  type ConfluenceSpace,
} from './formats/cloud';
import type { JiraProject, Repo } from './world';

export interface Actor {
  readonly username: string;
  readonly displayName: string;
  readonly email: string;
  readonly dcId: { readonly jira: string; readonly bitbucket: string };
  readonly cloud: CloudUser & { readonly uuid: string };
}

/** Where an act came from: the address and, for Cloud's org log, its geolocation. */
export interface Origin {
  readonly ip: string;
  readonly location: CloudLocation;
}

type Steps = readonly string[] | undefined;
const st = (steps: Steps): { steps?: readonly string[] } => (steps ? { steps } : {});

export interface Platform {
  readonly kind: 'dc' | 'cloud';
  login(a: Actor, t: number, o: Origin, steps?: Steps): boolean;
  loginFailed(a: Actor, t: number, o: Origin, steps?: Steps): boolean;
  /** Jira issue search (JQL) on DC; Confluence search on Cloud (the searches each platform records). */
  search(a: Actor, t: number, o: Origin, text: string, steps?: Steps): boolean;
  pageViewed(a: Actor, t: number, o: Origin, page: ConfluencePage, steps?: Steps): boolean;
  issueViewed(a: Actor, t: number, o: Origin, project: JiraProject, issue: number, steps?: Steps): boolean;
  userCreated(by: Actor, t: number, o: Origin, user: Actor, steps?: Steps): boolean;
  addedToGroup(by: Actor, t: number, o: Origin, user: Actor, group: string, steps?: Steps): boolean;
  userDeactivated(by: Actor, t: number, o: Origin, user: Actor, steps?: Steps): boolean;
  appInstalled(
    by: Actor,
    t: number,
    o: Origin,
    app: { key: string; name: string; version: string },
    steps?: Steps,
  ): boolean;
  scriptConsole(by: Actor, t: number, o: Origin, script: string, steps?: Steps): boolean;
  tokenCreated(by: Actor, t: number, o: Origin, tokenName: string, steps?: Steps): boolean;
  permissionSchemeUpdated(by: Actor, t: number, o: Origin, scheme: string, steps?: Steps): boolean;
  spacePermissionAdded(
    by: Actor,
    t: number,
    o: Origin,
    space: ConfluenceSpace,
    group: string,
    permission: string,
    steps?: Steps,
  ): boolean;
  clone(a: Actor, t: number, o: Origin, repo: Repo, protocol: 'ssh' | 'https', steps?: Steps): boolean;
  push(a: Actor, t: number, o: Origin, repo: Repo, protocol: 'ssh' | 'https', steps?: Steps): boolean;
  repoViewed(a: Actor, t: number, o: Origin, repo: Repo, steps?: Steps): boolean;
  archiveDownloaded(a: Actor, t: number, o: Origin, repo: Repo, steps?: Steps): boolean;
}

const BROWSER =
  '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36"';

export class DataCenter implements Platform {
  readonly kind = 'dc' as const;
  private readonly access: AccessLog;

  constructor(
    private readonly sink: RecordSink,
    private readonly rng: Rng,
  ) {
    this.access = new AccessLog(sink, rng);
  }

  private jiraAuthor(a: Actor): DcAuthor {
    return { id: a.dcId.jira, name: a.username, type: 'user' };
  }

  private bbAuthor(a: Actor): DcAuthor {
    return { id: a.dcId.bitbucket, name: a.username, type: 'NORMAL' };
  }

  login(a: Actor, t: number, o: Origin, steps?: Steps): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'bitbucket',
      type: BITBUCKET.loggedIn,
      author: this.bbAuthor(a),
      source: o.ip,
      ...st(steps),
      extra: [
        {
          name: 'Authentication method',
          nameI18nKey: 'bitbucket.service.user.audit.attribute.authentication.authmethod',
          value: 'form',
        },
        { name: 'target', nameI18nKey: 'bitbucket.audit.attribute.legacy.target', value: a.username },
      ],
    });
    return true;
  }

  loginFailed(a: Actor, t: number, o: Origin, steps?: Steps): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'bitbucket',
      type: BITBUCKET.loginFailed,
      author: this.bbAuthor(a),
      source: o.ip,
      ...st(steps),
      extra: [
        {
          name: 'Authentication method',
          nameI18nKey: 'bitbucket.service.user.audit.attribute.authentication.authmethod',
          value: 'form',
        },
        { name: 'target', nameI18nKey: 'bitbucket.audit.attribute.legacy.target', value: a.username },
      ],
    });
    return true;
  }

  search(a: Actor, t: number, o: Origin, text: string, steps?: Steps): boolean {
    // Jira writes the JQL with its whitespace removed (see shared/samples/dc-audit/jira-audit-rest.ndjson).
    const jql = `text ~ "${text}" ORDER BY updated DESC`.replace(/\s+/g, '');
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.jqlSearch,
      author: this.jiraAuthor(a),
      source: o.ip,
      ...st(steps),
      extra: [{ name: 'JQLquery', nameI18nKey: 'issuenav.jqlsearch.query', value: jql }],
    });
    return true;
  }

  /** Confluence DC's audit log documents no page-view record we could verify, so none is invented. */
  pageViewed(): boolean {
    return false;
  }

  /** Jira DC's audit log has no issue-view event. */
  issueViewed(): boolean {
    return false;
  }

  userCreated(by: Actor, t: number, o: Origin, user: Actor, steps?: Steps): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.userCreated,
      author: this.jiraAuthor(by),
      source: o.ip,
      ...st(steps),
      affected: [{ id: user.dcId.jira, name: user.username, type: 'USER' }],
      changed: [
        { i18nKey: 'common.words.username', key: 'Username', to: user.username },
        { i18nKey: 'common.words.fullname', key: 'Full name', to: user.displayName },
        { i18nKey: 'common.words.email', key: 'Email', to: user.email },
        { i18nKey: 'admin.common.phrases.active.inactive', key: 'Active / Inactive', to: 'Active' },
      ],
    });
    return true;
  }

  addedToGroup(by: Actor, t: number, o: Origin, user: Actor, group: string, steps?: Steps): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.userAddedToGroup,
      author: this.jiraAuthor(by),
      source: o.ip,
      ...st(steps),
      affected: [
        { name: group, type: 'GROUP' },
        { id: user.dcId.jira, name: user.username, type: 'USER' },
      ],
    });
    return true;
  }

  userDeactivated(by: Actor, t: number, o: Origin, user: Actor, steps?: Steps): boolean {
    // Jira DC records deactivation as a user update whose Active / Inactive value changes.
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.userUpdated,
      author: this.jiraAuthor(by),
      source: o.ip,
      ...st(steps),
      affected: [{ id: user.dcId.jira, name: user.username, type: 'USER' }],
      changed: [
        {
          i18nKey: 'admin.common.phrases.active.inactive',
          key: 'Active / Inactive',
          from: 'Active',
          to: 'Inactive',
        },
      ],
    });
    return true;
  }

  appInstalled(
    by: Actor,
    t: number,
    o: Origin,
    app: { key: string; name: string; version: string },
    steps?: Steps,
  ): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.appInstalled,
      author: this.jiraAuthor(by),
      source: o.ip,
      ...st(steps),
      affected: [{ id: app.key, name: app.name, type: 'APP' }],
      changed: [{ i18nKey: 'upm.auditing.app.version', key: 'Version', to: app.version }],
    });
    return true;
  }

  scriptConsole(by: Actor, t: number, o: Origin, script: string, steps?: Steps): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.scriptConsole,
      author: this.jiraAuthor(by),
      source: o.ip,
      ...st(steps),
      affected: [
        { id: 'com.onresolve.jira.groovy.groovyrunner', name: 'ScriptRunner for Jira', type: 'APP' },
      ],
      extra: [{ name: 'Script', nameI18nKey: 'scriptrunner.audit.attribute.script', value: script }],
    });
    return true;
  }

  tokenCreated(by: Actor, t: number, o: Origin, tokenName: string, steps?: Steps): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.patCreated,
      author: this.jiraAuthor(by),
      source: o.ip,
      ...st(steps),
      affected: [{ id: by.dcId.jira, name: by.username, type: 'User' }],
      extra: [
        {
          name: 'Token Name',
          nameI18nKey: 'personal.access.tokens.audit.log.extra.attribute.name',
          value: tokenName,
        },
      ],
    });
    return true;
  }

  permissionSchemeUpdated(by: Actor, t: number, o: Origin, scheme: string, steps?: Steps): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'jira',
      type: JIRA.permissionSchemeUpdated,
      author: this.jiraAuthor(by),
      source: o.ip,
      ...st(steps),
      affected: [{ id: String(10000 + scheme.length), name: scheme, type: 'SCHEME' }],
      changed: [
        {
          i18nKey: 'admin.common.words.permission',
          key: 'Permission',
          from: '',
          to: 'Browse Projects: Group (jira-software-users)',
        },
      ],
    });
    return true;
  }

  spacePermissionAdded(
    by: Actor,
    t: number,
    o: Origin,
    space: ConfluenceSpace,
    group: string,
    permission: string,
    steps?: Steps,
  ): boolean {
    emitDcAudit(this.sink, {
      t,
      product: 'confluence',
      type: CONFLUENCE.spacePermissionAdded,
      author: { id: by.dcId.jira, name: by.username, type: 'user' },
      source: o.ip,
      ...st(steps),
      affected: [{ id: String(space.id), name: space.name, type: 'Space' }],
      changed: [
        { i18nKey: 'Group', key: 'Group', to: group },
        { i18nKey: 'Type', key: 'Type', to: permission },
      ],
    });
    return true;
  }

  private session(): string {
    return this.rng.base36(7);
  }

  clone(a: Actor, t: number, o: Origin, repo: Repo, protocol: 'ssh' | 'https', steps?: Steps): boolean {
    const bytes = this.rng.int(20_000, Math.max(40_000, Math.floor(repo.bytes / 20)));
    if (protocol === 'ssh') {
      this.access.emit({
        t,
        ip: o.ip,
        protocol: 'ssh',
        user: a.username,
        action: sshUploadPack(repo.project, repo.slug),
        agent: '"SSH-2.0-OpenSSH_9.0"',
        status: 0,
        bytesRead: this.rng.int(400, 4000),
        bytesWritten: bytes,
        labels: `cache:miss, clone, ssh:user:id:${a.dcId.bitbucket}`,
        durationMs: this.rng.int(300, 9000),
        session: this.session(),
        ...st(steps),
      });
    } else {
      const session = this.session();
      const base = `/scm/${repo.project.toLowerCase()}/${repo.slug}.git`;
      this.access.emit({
        t,
        ip: o.ip,
        protocol: 'https',
        user: a.username,
        action: httpAction('GET', `${base}/info/refs?service=git-upload-pack`),
        agent: '"" "git/2.42.0"',
        status: 200,
        bytesRead: 0,
        bytesWritten: this.rng.int(300, 6000),
        labels: 'refs, protocol:2',
        durationMs: this.rng.int(20, 300),
        session,
        ...st(steps),
      });
      this.access.emit({
        t: t + 400,
        ip: o.ip,
        protocol: 'https',
        user: a.username,
        action: httpAction('POST', `${base}/git-upload-pack`),
        agent: '"" "git/2.42.0"',
        status: 200,
        bytesRead: this.rng.int(400, 4000),
        bytesWritten: bytes,
        labels: 'clone, protocol:2',
        durationMs: this.rng.int(300, 9000),
        session,
        ...st(steps),
      });
    }
    return true;
  }

  push(a: Actor, t: number, o: Origin, repo: Repo, protocol: 'ssh' | 'https', steps?: Steps): boolean {
    const action =
      protocol === 'ssh'
        ? sshReceivePack(repo.project, repo.slug)
        : httpAction('POST', `/scm/${repo.project.toLowerCase()}/${repo.slug}.git/git-receive-pack`);
    this.access.emit({
      t,
      ip: o.ip,
      protocol,
      user: a.username,
      action,
      agent: protocol === 'ssh' ? '"SSH-2.0-OpenSSH_9.0"' : '"" "git/2.42.0"',
      status: protocol === 'ssh' ? 0 : 200,
      bytesRead: this.rng.int(2_000, 400_000),
      bytesWritten: this.rng.int(200, 2000),
      labels: 'push',
      durationMs: this.rng.int(500, 6000),
      session: this.session(),
      ...st(steps),
    });
    return true;
  }

  repoViewed(a: Actor, t: number, o: Origin, repo: Repo, steps?: Steps): boolean {
    // With end-user-activity coverage on, Bitbucket audits the visit as well as logging the request.
    emitDcAudit(this.sink, {
      t: t + 40,
      product: 'bitbucket',
      type: BITBUCKET.repositoryAccessed,
      author: this.bbAuthor(a),
      source: o.ip,
      ...st(steps),
      affected: [
        { id: repo.id, name: repo.slug, type: 'REPOSITORY' },
        { id: repo.projectId, name: repo.project, type: 'PROJECT' },
      ],
    });
    this.access.emit({
      t,
      ip: o.ip,
      protocol: 'https',
      user: a.username,
      action: httpAction('GET', `/projects/${repo.project}/repos/${repo.slug}/browse`),
      agent: `"https://git.example.com/projects/${repo.project}" ${BROWSER}`,
      status: 200,
      bytesRead: 0,
      bytesWritten: this.rng.int(20_000, 120_000),
      labels: '-',
      durationMs: this.rng.int(60, 900),
      session: this.session(),
      ...st(steps),
    });
    return true;
  }

  archiveDownloaded(a: Actor, t: number, o: Origin, repo: Repo, steps?: Steps): boolean {
    this.access.emit({
      t,
      ip: o.ip,
      protocol: 'https',
      user: a.username,
      action: httpAction(
        'GET',
        `/rest/api/latest/projects/${repo.project}/repos/${repo.slug}/archive?format=zip`,
      ),
      agent: '"" "python-requests/2.31.0"',
      status: 200,
      bytesRead: 0,
      bytesWritten: repo.bytes,
      labels: '-',
      durationMs: Math.max(200, Math.floor(repo.bytes / 20_000)),
      session: this.session(),
      ...st(steps),
    });
    return true;
  }
}

export class Cloud implements Platform {
  readonly kind = 'cloud' as const;
  private jiraAuditId = 20000;

  constructor(
    private readonly sink: RecordSink,
    private readonly rng: Rng,
  ) {
    declareCloudFiles(sink);
  }

  private org(
    a: Actor,
    t: number,
    o: Origin,
    action: string,
    message: string,
    steps: Steps,
    extra: Partial<Parameters<typeof emitOrgEvent>[1]> = {},
  ): void {
    emitOrgEvent(this.sink, {
      t,
      id: this.rng.uuid(),
      action,
      actor: a.cloud,
      location: o.location,
      message,
      ...st(steps),
      ...extra,
    });
  }

  login(a: Actor, t: number, o: Origin, steps?: Steps): boolean {
    this.org(a, t, o, 'user_login', `Logged in to ${a.email}`, steps);
    return true;
  }

  /** Refused logins happen at the identity provider; the organization audit log records successful ones. */
  loginFailed(): boolean {
    return false;
  }

  search(a: Actor, t: number, _o: Origin, text: string, steps?: Steps): boolean {
    emitConfluenceSearch(this.sink, { t, user: a.cloud, query: text, ...st(steps) });
    return true;
  }

  pageViewed(a: Actor, t: number, _o: Origin, page: ConfluencePage, steps?: Steps): boolean {
    emitPageViewed(this.sink, { t, viewer: a.cloud, page, ...st(steps) });
    return true;
  }

  issueViewed(a: Actor, t: number, o: Origin, project: JiraProject, issue: number, steps?: Steps): boolean {
    const key = `${project.key}-${issue}`;
    this.org(a, t, o, 'jira_issue_viewed', `Viewed Jira issue ${key}`, steps, {
      product: 'software',
      containerAttributes: { issueId: String(Number(project.id) * 100 + issue), issueKeyOrId: key },
    });
    return true;
  }

  private jira(
    by: Actor,
    t: number,
    o: Origin,
    summary: string,
    category: string,
    objectItem: { id?: string; name: string; typeName: string },
    steps: Steps,
    more: Partial<Parameters<typeof emitJiraCloudAudit>[1]> = {},
  ): void {
    emitJiraCloudAudit(this.sink, {
      t,
      id: ++this.jiraAuditId,
      summary,
      category,
      author: by.cloud,
      remoteAddress: o.ip,
      objectItem,
      ...st(steps),
      ...more,
    });
  }

  userCreated(by: Actor, t: number, o: Origin, user: Actor, steps?: Steps): boolean {
    const u = user.cloud.accountId;
    this.jira(by, t, o, 'User created', 'user management', { id: u, name: u, typeName: 'USER' }, steps, {
      changedValues: [
        { fieldName: 'Display name', changedTo: user.displayName },
        { fieldName: 'Email', changedTo: user.email },
        { fieldName: 'Active / Inactive', changedTo: 'Active' },
      ],
      associatedItems: [{ id: u, name: u, typeName: 'USER' }],
    });
    this.org(by, t + 150, o, 'user_created', `Created user ${user.displayName}`, steps, {
      context: [{ id: u, type: 'users', attributes: { displayName: user.displayName, email: user.email } }],
    });
    return true;
  }

  addedToGroup(by: Actor, t: number, o: Origin, user: Actor, group: string, steps?: Steps): boolean {
    const u = user.cloud.accountId;
    this.jira(
      by,
      t,
      o,
      'User added to group',
      'group management',
      { name: group, typeName: 'GROUP' },
      steps,
      {
        associatedItems: [{ id: u, name: u, typeName: 'USER' }],
      },
    );
    return true;
  }

  userDeactivated(by: Actor, t: number, o: Origin, user: Actor, steps?: Steps): boolean {
    const u = user.cloud.accountId;
    this.jira(by, t, o, 'User deactivated', 'user management', { id: u, name: u, typeName: 'USER' }, steps, {
      changedValues: [{ fieldName: 'Active / Inactive', changedFrom: 'Active', changedTo: 'Inactive' }],
    });
    return true;
  }

  appInstalled(
    by: Actor,
    t: number,
    o: Origin,
    app: { key: string; name: string; version: string },
    steps?: Steps,
  ): boolean {
    this.org(by, t, o, 'marketplace_app_installed', `Installed ${app.name}`, steps, {
      product: 'software',
      context: [{ id: app.key, type: 'apps', attributes: { name: app.name, version: app.version } }],
    });
    return true;
  }

  /** ScriptRunner's console on Cloud writes nothing to the product or organization audit logs. */
  scriptConsole(): boolean {
    return false;
  }

  tokenCreated(by: Actor, t: number, o: Origin, tokenName: string, steps?: Steps): boolean {
    this.org(by, t, o, 'api_token_created', `Created API token ${tokenName}`, steps, {
      context: [{ id: this.rng.hex(24), type: 'api-tokens', attributes: { label: tokenName } }],
    });
    return true;
  }

  permissionSchemeUpdated(by: Actor, t: number, o: Origin, scheme: string, steps?: Steps): boolean {
    this.jira(
      by,
      t,
      o,
      'Permission scheme updated',
      'permissions',
      { id: String(10000 + scheme.length), name: scheme, typeName: 'SCHEME' },
      steps,
      {
        changedValues: [
          { fieldName: 'Browse Projects', changedFrom: '', changedTo: 'Group (jira-software-users)' },
        ],
      },
    );
    return true;
  }

  spacePermissionAdded(
    by: Actor,
    t: number,
    o: Origin,
    space: ConfluenceSpace,
    group: string,
    permission: string,
    steps?: Steps,
  ): boolean {
    emitConfluenceCloudAudit(this.sink, {
      t,
      summary: 'Space permission added',
      category: 'Permissions',
      author: by.cloud,
      remoteAddress: o.ip,
      ...st(steps),
      affectedObject: { name: space.name, objectType: 'Space' },
      changedValues: [
        { name: 'Group', oldValue: '', newValue: group },
        { name: 'Type', oldValue: '', newValue: permission },
      ],
    });
    return true;
  }

  /** Bitbucket Cloud has no record of clones or fetches (BCLOUD-14278). */
  clone(): boolean {
    return false;
  }

  push(a: Actor, t: number, _o: Origin, repo: Repo, _protocol: 'ssh' | 'https', steps?: Steps): boolean {
    emitBitbucketPush(this.sink, {
      t,
      user: a.cloud,
      repo,
      hash: this.rng.hex(40),
      message: 'Update from local branch',
      ...st(steps),
    });
    return true;
  }

  /** No Bitbucket Cloud source records repository page views. */
  repoViewed(): boolean {
    return false;
  }

  /** No Bitbucket Cloud source records archive downloads (BCLOUD-14278). */
  archiveDownloaded(): boolean {
    return false;
  }
}
