/**
 * What each Data Center product can do through REST, one class per product (calls as in endpoints.ts). An
 * operation the product has no REST call for throws `NotPossible`, naming the product and the reason.
 */
import { z } from 'zod';
import { DC_PRODUCT_NAME, type DcProduct } from './endpoints';
import { DcHttpError, seg, type DcClient } from './http';

export class NotPossibleError extends Error {
  override readonly name = 'NotPossibleError';
  constructor(product: DcProduct, why: string) {
    super(`not possible on ${DC_PRODUCT_NAME[product]}: ${why}`);
  }
}

/** A direct permission a user holds on a Bitbucket project or repository. */
export interface Grant {
  readonly project: string;
  /** Absent for a project grant. */
  readonly repository?: string;
  /** PROJECT_READ/WRITE/ADMIN, REPO_READ/WRITE/ADMIN. */
  readonly permission: string;
}

export const GrantsSchema = z.object({
  user: z.string(),
  grants: z.array(
    z.object({ project: z.string(), repository: z.string().optional(), permission: z.string() }).strict(),
  ),
});

export interface ProductApi {
  readonly product: DcProduct;
  groupsOf(username: string): Promise<string[]>;
  memberCount(group: string): Promise<number>;
  addToGroup(username: string, group: string): Promise<string>;
  removeFromGroup(username: string, group: string): Promise<string>;
  setActive(username: string, active: boolean): Promise<string>;
  revokeTokens(username: string): Promise<string>;
  revokePermissions(username: string): Promise<Grant[]>;
  grant(username: string, grants: readonly Grant[]): Promise<string>;
  setMergeBlock(username: string, blocked: boolean): Promise<string>;
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const PAGE = 100;
/** Pages followed at most, so a misbehaving server cannot loop us forever. */
const MAX_PAGES = 1000;

/** Bitbucket's paged responses: `values`, `isLastPage`, `nextPageStart`. */
async function bitbucketPages(c: DcClient, path: string, query: Record<string, string> = {}): Promise<unknown[]> {
  const out: unknown[] = [];
  let start = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { body } = await c.request('GET', path, { query: { ...query, start, limit: PAGE } });
    const b = obj(body);
    out.push(...arr(b['values']));
    const next = b['nextPageStart'];
    if (b['isLastPage'] !== false || typeof next !== 'number') break;
    start = next;
  }
  return out;
}

/** Confluence's paged responses: `results`, `size`, `start`, `limit`, `_links.next`. */
async function confluencePages(c: DcClient, path: string, query: Record<string, string> = {}): Promise<unknown[]> {
  const out: unknown[] = [];
  let start = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { body } = await c.request('GET', path, { query: { ...query, start, limit: PAGE } });
    const b = obj(body);
    const results = arr(b['results']);
    out.push(...results);
    if (results.length === 0 || obj(b['_links'])['next'] === undefined) break;
    start += results.length;
  }
  return out;
}

abstract class Base implements ProductApi {
  abstract readonly product: DcProduct;
  constructor(protected readonly c: DcClient) {}
  abstract groupsOf(username: string): Promise<string[]>;
  abstract memberCount(group: string): Promise<number>;
  abstract addToGroup(username: string, group: string): Promise<string>;
  abstract removeFromGroup(username: string, group: string): Promise<string>;
  abstract setActive(username: string, active: boolean): Promise<string>;
  abstract revokeTokens(username: string): Promise<string>;
  revokePermissions(_username: string): Promise<Grant[]> {
    return Promise.reject(new NotPossibleError(this.product, 'project and repository permissions are Bitbucket’s'));
  }
  grant(_username: string, _grants: readonly Grant[]): Promise<string> {
    return Promise.reject(new NotPossibleError(this.product, 'project and repository permissions are Bitbucket’s'));
  }
  setMergeBlock(_username: string, _blocked: boolean): Promise<string> {
    return Promise.reject(new NotPossibleError(this.product, 'merges are Bitbucket’s'));
  }
}

export class JiraApi extends Base {
  readonly product = 'jira' as const;
  async groupsOf(username: string): Promise<string[]> {
    const { body } = await this.c.request('GET', '/rest/api/2/user', { query: { username, expand: 'groups' } });
    return arr(obj(obj(body)['groups'])['items'])
      .map((g) => str(obj(g)['name']))
      .filter((n): n is string => n !== undefined);
  }
  async memberCount(group: string): Promise<number> {
    const { body } = await this.c.request('GET', '/rest/api/2/group/member', {
      query: { groupname: group, includeInactiveUsers: false, maxResults: 1 },
    });
    const total = obj(body)['total'];
    if (typeof total !== 'number') throw new Error(`jira GET /rest/api/2/group/member: no total in the answer`);
    return total;
  }
  /** Jira answers 400 to adding a member or removing a non-member; when a retry meets that because the first
   *  attempt did the change but its answer was lost, the membership is checked and the change counts as done. */
  async addToGroup(username: string, group: string): Promise<string> {
    try {
      await this.c.request('POST', '/rest/api/2/group/user', { query: { groupname: group }, body: { name: username } });
    } catch (err) {
      if (!(await this.already(err, username, group, true))) throw err;
      return `added ${username} to ${group} (already a member)`;
    }
    return `added ${username} to ${group}`;
  }
  async removeFromGroup(username: string, group: string): Promise<string> {
    try {
      await this.c.request('DELETE', '/rest/api/2/group/user', { query: { groupname: group, username } });
    } catch (err) {
      if (!(await this.already(err, username, group, false))) throw err;
      return `removed ${username} from ${group} (was not a member)`;
    }
    return `removed ${username} from ${group}`;
  }
  private async already(err: unknown, username: string, group: string, member: boolean): Promise<boolean> {
    if (!(err instanceof DcHttpError) || err.status !== 400) return false;
    const groups = await this.groupsOf(username);
    return groups.some((g) => g.toLowerCase() === group.toLowerCase()) === member;
  }
  async setActive(username: string, active: boolean): Promise<string> {
    await this.c.request('PUT', '/rest/api/2/user', { query: { username }, body: { active } });
    return `${active ? 'activated' : 'deactivated'} ${username}`;
  }
  revokeTokens(_username: string): Promise<string> {
    return Promise.reject(
      new NotPossibleError(
        'jira',
        'its personal access token REST API (/rest/pat/latest/tokens) manages only the caller’s own tokens; revoke them in Administration › System › Personal access tokens (deactivating the account also stops them)',
      ),
    );
  }
}

export class ConfluenceApi extends Base {
  readonly product = 'confluence' as const;
  async groupsOf(username: string): Promise<string[]> {
    const rows = await confluencePages(this.c, '/rest/api/user/memberof', { username });
    return rows.map((g) => str(obj(g)['name'])).filter((n): n is string => n !== undefined);
  }
  async memberCount(group: string): Promise<number> {
    return (await confluencePages(this.c, `/rest/api/group/${seg(group)}/member`)).length;
  }
  async addToGroup(username: string, group: string): Promise<string> {
    await this.c.request('PUT', `/rest/api/user/${seg(username)}/group/${seg(group)}`);
    return `added ${username} to ${group}`;
  }
  async removeFromGroup(username: string, group: string): Promise<string> {
    await this.c.request('DELETE', `/rest/api/user/${seg(username)}/group/${seg(group)}`);
    return `removed ${username} from ${group}`;
  }
  async setActive(username: string, active: boolean): Promise<string> {
    await this.c.request('PUT', `/rest/api/admin/user/${seg(username)}/${active ? 'enable' : 'disable'}`);
    return `${active ? 'enabled' : 'disabled'} ${username}`;
  }
  revokeTokens(_username: string): Promise<string> {
    return Promise.reject(
      new NotPossibleError(
        'confluence',
        'personal access tokens of another user can be revoked only in the administration UI (disabling the account also stops them)',
      ),
    );
  }
}

export class BitbucketApi extends Base {
  readonly product = 'bitbucket' as const;
  async groupsOf(username: string): Promise<string[]> {
    const rows = await bitbucketPages(this.c, '/rest/api/latest/admin/users/more-members', { context: username });
    return rows.map((g) => str(obj(g)['name'])).filter((n): n is string => n !== undefined);
  }
  async memberCount(group: string): Promise<number> {
    const rows = await bitbucketPages(this.c, '/rest/api/latest/admin/groups/more-members', { context: group });
    return rows.filter((u) => obj(u)['active'] !== false).length;
  }
  async addToGroup(username: string, group: string): Promise<string> {
    await this.c.request('POST', '/rest/api/latest/admin/users/add-groups', {
      body: { user: username, groups: [group] },
    });
    return `added ${username} to ${group}`;
  }
  async removeFromGroup(username: string, group: string): Promise<string> {
    await this.c.request('POST', '/rest/api/latest/admin/users/remove-group', {
      body: { context: username, itemName: group },
    });
    return `removed ${username} from ${group}`;
  }
  setActive(_username: string, _active: boolean): Promise<string> {
    return Promise.reject(
      new NotPossibleError(
        'bitbucket',
        'it has no REST call that deactivates a user; deactivate the account in its user directory (Crowd, LDAP or Jira), or use revoke-permissions and revoke-tokens',
      ),
    );
  }
  override setMergeBlock(_username: string, _blocked: boolean): Promise<string> {
    return Promise.reject(
      new NotPossibleError(
        'bitbucket',
        'there is no per-user merge block; use revoke-permissions to take the user’s write access away',
      ),
    );
  }

  /** The user's slug, found through the admin user search (exact name, case-insensitive); undefined when
   *  Bitbucket has no such user (the search answered, so this is an answer, not a failure). */
  private async slugOf(username: string): Promise<string | undefined> {
    const rows = await bitbucketPages(this.c, '/rest/api/latest/admin/users', { filter: username });
    const hit = rows.map(obj).find((u) => str(u['name'])?.toLowerCase() === username.toLowerCase());
    return hit ? str(hit['slug']) : undefined;
  }

  async revokeTokens(username: string): Promise<string> {
    const slug = await this.slugOf(username);
    // An intruder's account made in Jira (Cloudflare's jdoe2) need not exist in Bitbucket: nothing to revoke
    // there, which is the containment done, not an action failed.
    if (slug === undefined) return `no user named ${username} in Bitbucket: no access tokens or SSH keys to revoke`;
    const base = `/rest/access-tokens/latest/users/${seg(slug)}`;
    const tokens = await bitbucketPages(this.c, base);
    let n = 0;
    for (const t of tokens) {
      const id = obj(t)['id'];
      if (typeof id !== 'string' && typeof id !== 'number') continue;
      try {
        await this.c.request('DELETE', `${base}/${seg(String(id))}`);
      } catch (err) {
        // Gone already (a retried delete whose first answer was lost, or its owner deleted it meanwhile).
        if (!(err instanceof DcHttpError && err.status === 404)) throw err;
      }
      n++;
    }
    const keys = await bitbucketPages(this.c, '/rest/ssh/latest/keys', { user: username });
    if (keys.length > 0) await this.c.request('DELETE', '/rest/ssh/latest/keys', { query: { user: username } });
    return `revoked ${n} access token${n === 1 ? '' : 's'}, ${keys.length} SSH key${keys.length === 1 ? '' : 's'}`;
  }

  override async revokePermissions(username: string): Promise<Grant[]> {
    const grants: Grant[] = [];
    const mine = (rows: unknown[]): string | undefined => {
      const hit = rows
        .map(obj)
        .find((r) => str(obj(r['user'])['name'])?.toLowerCase() === username.toLowerCase());
      return hit ? str(hit['permission']) : undefined;
    };
    for (const p of await bitbucketPages(this.c, '/rest/api/latest/projects')) {
      const key = str(obj(p)['key']);
      if (key === undefined) continue;
      const pbase = `/rest/api/latest/projects/${seg(key)}`;
      const pp = mine(await bitbucketPages(this.c, `${pbase}/permissions/users`, { filter: username }));
      if (pp !== undefined) grants.push({ project: key, permission: pp });
      for (const r of await bitbucketPages(this.c, `${pbase}/repos`)) {
        const slug = str(obj(r)['slug']);
        if (slug === undefined) continue;
        const rp = mine(
          await bitbucketPages(this.c, `${pbase}/repos/${seg(slug)}/permissions/users`, { filter: username }),
        );
        if (rp !== undefined) grants.push({ project: key, repository: slug, permission: rp });
      }
    }
    for (const g of grants) {
      await this.c.request('DELETE', `${grantPath(g)}/permissions/users`, { query: { name: username } });
    }
    return grants;
  }

  override async grant(username: string, grants: readonly Grant[]): Promise<string> {
    for (const g of grants) {
      await this.c.request('PUT', `${grantPath(g)}/permissions/users`, {
        query: { name: username, permission: g.permission },
      });
    }
    return `granted ${describeGrants(grants)} back to ${username}`;
  }
}

function grantPath(g: Grant): string {
  const p = `/rest/api/latest/projects/${seg(g.project)}`;
  return g.repository === undefined ? p : `${p}/repos/${seg(g.repository)}`;
}

export function describeGrants(grants: readonly Grant[]): string {
  if (grants.length === 0) return 'no grants';
  return grants
    .map((g) => `${g.project}${g.repository !== undefined ? `/${g.repository}` : ''}:${g.permission}`)
    .join(', ');
}

export function productApi(c: DcClient): ProductApi {
  switch (c.product) {
    case 'jira':
      return new JiraApi(c);
    case 'confluence':
      return new ConfluenceApi(c);
    case 'bitbucket':
      return new BitbucketApi(c);
  }
}
