/**
 * Containment in Atlassian Cloud: the response core's `Executor` and `Directory` over the product REST APIs
 * (as the app) and the Admin API (with the customer's org API key, which Forge apps need because the Admin
 * API has no Forge scope). What needs what:
 *
 * | action | call | needs |
 * |---|---|---|
 * | Jira group remove/add | `DELETE/POST /rest/api/3/group/user?groupname=` | the app user in site-admins (else 403) |
 * | Confluence group remove/add | `DELETE/POST /wiki/rest/api/group/user?name=` | the same |
 * | suspend/restore | `POST api.atlassian.com/admin/v2/orgs/{org}/directories/{dir}/users/{id}/suspend|restore` | org API key, org id |
 * | revoke API tokens | `GET/DELETE api.atlassian.com/users/{id}/manage/api-tokens[/{tokenId}]` | org API key |
 * | Bitbucket repository permissions | `GET /2.0/workspaces/{ws}/permissions/repositories?q=`, `DELETE/PUT /2.0/repositories/{ws}/{repo}/permissions-config/users/{id}` | workspace setting |
 * | block merges | a KVS flag read by the merge check | nothing |
 *
 * `supports` answers from the current setup, so the response core does not plan what cannot run; `readiness`
 * says why. Answers that mean "already so" (not a member, already suspended) count as done, so a retried
 * action is not a failure.
 */
import type { Identity } from '../../core/detection';
import type { Product } from '../../core/event';
import { actionKey, type ContainmentAction } from '../../respond/action';
import type { ActionRecord, Directory, Executor } from '../../respond/responder';
import { KEYS, SECRETS } from './keys';
import type { ExternalFetch, HttpAnswer, KvPort, ProductApi } from './ports';
import type { ForgeSettings } from './settings';

export interface CloudSetup {
  readonly settings: ForgeSettings;
  readonly hasOrgKey: boolean;
}

export async function loadSetup(kv: KvPort, settings: ForgeSettings): Promise<CloudSetup> {
  return { settings, hasOrgKey: (await kv.getSecret(SECRETS.orgApiKey)) !== undefined };
}

const ADMIN = 'https://api.atlassian.com';
const NOT_A_MEMBER = /not a member/i;

/** A 429 or 5xx answer: the call may succeed later (after `retryAfterS`, from Retry-After when given). */
export class TransientHttpError extends Error {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
    this.name = 'TransientHttpError';
  }
}

function retryAfterOf(a: HttpAnswer): number {
  const v = Number(a.headers?.get('retry-after') ?? a.headers?.get('Retry-After') ?? NaN);
  if (Number.isFinite(v) && v >= 1) return Math.min(900, Math.ceil(v));
  return a.status === 429 ? 30 : 10;
}

async function expectOk(
  a: HttpAnswer,
  what: string,
  okAlso: readonly number[] = [],
  alreadySo?: RegExp,
): Promise<string> {
  const text = await a.text();
  if ((a.status >= 200 && a.status < 300) || okAlso.includes(a.status)) return text;
  // "Already so" in the product's words (Jira and Confluence answer 400 "User is not a member of …").
  if (alreadySo && a.status === 400 && alreadySo.test(text)) return text;
  const message = `${what}: HTTP ${a.status} ${text.slice(0, 200).replace(/\s+/g, ' ')}`.trim();
  if (a.status === 429 || a.status >= 500) throw new TransientHttpError(message, retryAfterOf(a));
  throw new Error(message);
}

/** Atlassian account ids: 24 hex digits (older accounts) or `<6 digits>:<UUID>`. */
const ACCOUNT_ID = /^(?:[0-9a-f]{24}|\d{6}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

function accountOf(i: Identity): string {
  if (i.id !== undefined) return i.id;
  // Some audit records name a user only by account id, in a name field (the Confluence audit log's
  // `affectedObject.name` in the simulator; UNVERIFIED on a live site): such a name is the id.
  if (i.name !== undefined && ACCOUNT_ID.test(i.name)) return i.name;
  throw new Error(`no account id for ${i.name ?? 'the identity'}: Cloud acts by account id`);
}

/** A grant removed by `revoke-permissions`, kept in the record so the undo puts back exactly these. */
interface RepoGrant {
  readonly repo: string;
  readonly permission: string;
}

export class CloudExecutor implements Executor {
  /** Actions (by `actionKey`) whose last run failed on a 429 or 5xx, with the seconds to wait. */
  readonly transient = new Map<string, number>();

  constructor(
    private readonly product: ProductApi,
    private readonly fetch: ExternalFetch,
    private readonly kv: KvPort,
    private readonly setup: CloudSetup,
    private readonly now: () => number = Date.now,
  ) {}

  supports(kind: ContainmentAction['kind'], product: Product): boolean {
    const s = this.setup.settings;
    switch (kind) {
      case 'remove-from-group':
      case 'add-to-group':
        // Groups are site-wide on Cloud: an org-level detection changes them through Jira's API.
        return product === 'jira' || product === 'confluence' || product === 'org';
      case 'suspend-account':
      case 'restore-account':
        return this.setup.hasOrgKey && s.orgId !== undefined && s.directoryId !== undefined;
      case 'revoke-tokens':
        return this.setup.hasOrgKey;
      case 'block-merges':
      case 'unblock-merges':
        return product === 'bitbucket';
      case 'revoke-permissions':
      case 'restore-permissions':
        return product === 'bitbucket' && s.bitbucketWorkspace !== undefined;
    }
  }

  async run(a: ContainmentAction, undoOf?: ActionRecord): Promise<string | undefined> {
    try {
      const answer = await this.runOnce(a, undoOf);
      this.transient.delete(actionKey(a));
      return answer;
    } catch (err) {
      if (err instanceof TransientHttpError) this.transient.set(actionKey(a), err.retryAfterS);
      throw err;
    }
  }

  private async runOnce(a: ContainmentAction, undoOf?: ActionRecord): Promise<string | undefined> {
    const id = accountOf(a.identity);
    const acct = encodeURIComponent(id);
    switch (a.kind) {
      case 'remove-from-group':
      case 'add-to-group':
        return this.group(a.kind, a.product, a.group, id);
      case 'suspend-account':
      case 'restore-account': {
        const verb = a.kind === 'suspend-account' ? 'suspend' : 'restore';
        const s = this.setup.settings;
        const url = `${ADMIN}/admin/v2/orgs/${encodeURIComponent(s.orgId ?? '')}/directories/${encodeURIComponent(s.directoryId ?? '')}/users/${acct}/${verb}`;
        await expectOk(await this.admin(url, 'POST'), `${verb} ${id}`);
        return `${verb}ed ${id} in the organization`;
      }
      case 'revoke-tokens': {
        const list = await expectOk(
          await this.admin(`${ADMIN}/users/${acct}/manage/api-tokens`, 'GET'),
          'list API tokens',
        );
        const tokens = JSON.parse(list) as { id?: string }[];
        let n = 0;
        for (const t of Array.isArray(tokens) ? tokens : []) {
          if (typeof t.id !== 'string') continue;
          await expectOk(
            await this.admin(
              `${ADMIN}/users/${acct}/manage/api-tokens/${encodeURIComponent(t.id)}`,
              'DELETE',
            ),
            'revoke API token',
            [404],
          );
          n++;
        }
        return `revoked ${n} API token(s)`;
      }
      case 'block-merges':
        await this.kv.set(KEYS.block(id), { accountId: id, at: this.now() });
        return 'merges by this account are blocked by the merge check';
      case 'unblock-merges':
        await this.kv.delete(KEYS.block(id));
        return 'merges unblocked';
      case 'revoke-permissions':
        return this.revokeRepoPermissions(id);
      case 'restore-permissions':
        return this.restoreRepoPermissions(id, undoOf);
    }
  }

  private admin(url: string, method: 'GET' | 'POST' | 'DELETE'): Promise<HttpAnswer> {
    return this.kv.getSecret(SECRETS.orgApiKey).then((key) => {
      if (key === undefined) throw new Error('no org API key configured');
      return this.fetch(url, {
        method,
        headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
      });
    });
  }

  private async group(
    kind: 'remove-from-group' | 'add-to-group',
    product: Product,
    group: string,
    id: string,
  ): Promise<string> {
    const g = encodeURIComponent(group);
    const acct = encodeURIComponent(id);
    if (product === 'jira' || product === 'org') {
      if (kind === 'remove-from-group') {
        const a = await this.product.request(
          'jira',
          `/rest/api/3/group/user?groupname=${g}&accountId=${acct}`,
          {
            method: 'DELETE',
          },
        );
        // 404, or 400 "not a member": the user is no longer a member (a retry after a lost answer).
        await expectOk(a, `remove ${id} from ${group}`, [404], NOT_A_MEMBER);
        return `removed from ${group}`;
      }
      const a = await this.product.request('jira', `/rest/api/3/group/user?groupname=${g}`, {
        method: 'POST',
        body: JSON.stringify({ accountId: id }),
        headers: { 'Content-Type': 'application/json' },
      });
      await expectOk(a, `add ${id} to ${group}`);
      return `added to ${group}`;
    }
    if (product === 'confluence') {
      if (kind === 'remove-from-group') {
        const a = await this.product.request(
          'confluence',
          `/wiki/rest/api/group/user?name=${g}&accountId=${acct}`,
          {
            method: 'DELETE',
          },
        );
        await expectOk(a, `remove ${id} from ${group}`, [404], NOT_A_MEMBER);
        return `removed from ${group}`;
      }
      const a = await this.product.request('confluence', `/wiki/rest/api/group/user?name=${g}`, {
        method: 'POST',
        body: JSON.stringify({ accountId: id }),
        headers: { 'Content-Type': 'application/json' },
      });
      await expectOk(a, `add ${id} to ${group}`);
      return `added to ${group}`;
    }
    throw new Error(`${product} has no groups Bulkhead can change`);
  }

  private async revokeRepoPermissions(id: string): Promise<string> {
    const ws = encodeURIComponent(this.setup.settings.bitbucketWorkspace ?? '');
    const q = encodeURIComponent(`user.account_id="${id}"`);
    const grants: RepoGrant[] = [];
    let path: string | undefined = `/2.0/workspaces/${ws}/permissions/repositories?q=${q}&pagelen=100`;
    while (path !== undefined) {
      const page = JSON.parse(
        await expectOk(await this.product.request('bitbucket', path), 'list repository permissions'),
      ) as { values?: { permission?: string; repository?: { full_name?: string } }[]; next?: string };
      for (const v of page.values ?? []) {
        const repo = v.repository?.full_name?.split('/')[1];
        if (repo && v.permission) grants.push({ repo, permission: v.permission });
      }
      path = page.next ? new URL(page.next).pathname + new URL(page.next).search : undefined;
    }
    for (const g of grants) {
      await expectOk(
        await this.product.request(
          'bitbucket',
          `/2.0/repositories/${ws}/${encodeURIComponent(g.repo)}/permissions-config/users/${encodeURIComponent(id)}`,
          { method: 'DELETE' },
        ),
        `revoke ${g.repo}`,
        [404],
      );
    }
    return JSON.stringify({ revoked: grants });
  }

  private async restoreRepoPermissions(id: string, undoOf?: ActionRecord): Promise<string> {
    const ws = encodeURIComponent(this.setup.settings.bitbucketWorkspace ?? '');
    const grants = (JSON.parse(undoOf?.result ?? '{"revoked":[]}') as { revoked: RepoGrant[] }).revoked;
    for (const g of grants) {
      await expectOk(
        await this.product.request(
          'bitbucket',
          `/2.0/repositories/${ws}/${encodeURIComponent(g.repo)}/permissions-config/users/${encodeURIComponent(id)}`,
          {
            method: 'PUT',
            body: JSON.stringify({ permission: g.permission }),
            headers: { 'Content-Type': 'application/json' },
          },
        ),
        `restore ${g.repo}`,
      );
    }
    return `restored ${grants.length} repository permission(s)`;
  }
}

export class CloudDirectory implements Directory {
  /** Groups are site-wide on Cloud: a group already reported for an identity under one product is not reported
   *  again under another, so one containment plans each removal once (account|group, lower-case). */
  private readonly reported = new Set<string>();

  constructor(
    private readonly product: ProductApi,
    private readonly settings: ForgeSettings,
  ) {}

  private once(identity: string, groups: readonly string[]): string[] {
    const out: string[] = [];
    for (const g of groups) {
      const k = `${identity}|${g.toLowerCase()}`;
      if (this.reported.has(k)) continue;
      this.reported.add(k);
      out.push(g);
    }
    return out;
  }

  /** An admin group by name; `*` in a configured name matches any run of characters (Cloud names its
   *  product admin groups after the site: `jira-admins-<site>`, `confluence-admins-<site>`). */
  private isAdmin(name: string): boolean {
    const n = name.toLowerCase();
    return this.settings.adminGroups.some((g) => {
      const p = g.toLowerCase();
      if (!p.includes('*')) return p === n;
      const re = new RegExp(
        `^${p
          .split('*')
          .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
      return re.test(n);
    });
  }

  async adminGroupsOf(identity: Identity, product: Product): Promise<readonly string[]> {
    if (identity.id === undefined) return [];
    const acct = encodeURIComponent(identity.id);
    // Org-level records (org audit log, its webhook) name no product; groups are site-wide, read through Jira.
    if (product === 'jira' || product === 'org') {
      const a = await this.product.request('jira', `/rest/api/3/user/groups?accountId=${acct}`);
      if (a.status === 404) return [];
      const groups = JSON.parse(await expectOk(a, 'user groups')) as { name?: string }[];
      return this.once(
        identity.id,
        groups.map((g) => g.name ?? '').filter((n) => n !== '' && this.isAdmin(n)),
      );
    }
    if (product === 'confluence') {
      const a = await this.product.request(
        'confluence',
        `/wiki/rest/api/user/memberof?accountId=${acct}&limit=200`,
      );
      if (a.status === 404) return [];
      const page = JSON.parse(await expectOk(a, 'user groups')) as { results?: { name?: string }[] };
      return this.once(
        identity.id,
        (page.results ?? []).map((g) => g.name ?? '').filter((n) => n !== '' && this.isAdmin(n)),
      );
    }
    return [];
  }

  async memberCount(group: string, product: Product): Promise<number> {
    const g = encodeURIComponent(group);
    if (product === 'jira' || product === 'org') {
      const a = await this.product.request(
        'jira',
        `/rest/api/3/group/member?groupname=${g}&includeInactiveUsers=false&maxResults=1`,
      );
      const page = JSON.parse(await expectOk(a, 'group members')) as { total?: number };
      return page.total ?? 0;
    }
    if (product === 'confluence') {
      let n = 0;
      for (let start = 0; ; start += 200) {
        const a = await this.product.request(
          'confluence',
          `/wiki/rest/api/group/member?name=${g}&start=${start}&limit=200`,
        );
        const page = JSON.parse(await expectOk(a, 'group members')) as { results?: unknown[]; size?: number };
        const got = page.results?.length ?? page.size ?? 0;
        n += got;
        if (got < 200) return n;
      }
    }
    return 0;
  }
}
