/**
 * The Data Center service's ports for the shared responder (src/respond/responder.ts): `DcExecutor` carries
 * containment actions out through the Jira, Confluence and Bitbucket DC REST APIs; `DcDirectory` answers the
 * guardrails' questions (which admin groups is this user in, how many members does that group have) through
 * the same APIs. Users are named by username (`identity.name`, else `identity.id`): DC's REST APIs take names.
 */
import type { Identity } from '../core/detection';
import type { Product } from '../core/event';
import type { ListSet } from '../lists';
import type { ContainmentAction } from '../respond/action';
import type { ActionRecord, Directory, Executor } from '../respond/responder';
import { DC_PRODUCTS, isDcProduct, type DcProduct } from './endpoints';
import { DcClient, DcHttpError } from './http';
import { describeGrants, GrantsSchema, productApi, type ProductApi } from './products';

export interface DcSite {
  /** Base URL, context path included. */
  readonly baseUrl: string;
  /** An administrator's personal access token (Bitbucket: a system administrator's). */
  readonly token: string;
}

export interface DcConnectOptions {
  /** The products containment reaches; an action on a product not listed fails saying so. */
  readonly sites: Partial<Record<DcProduct, DcSite>>;
  /** Per attempt, default 10 s. */
  readonly timeoutMs?: number;
  /** Retries on 429, 5xx and timeouts, default 3. */
  readonly retries?: number;
  /** First backoff, default 250 ms. */
  readonly backoffMs?: number;
  /** Cap on a 429's Retry-After, default 30 s. */
  readonly maxRetryAfterMs?: number;
}

class Sites {
  private readonly apis = new Map<DcProduct, ProductApi>();
  constructor(opts: DcConnectOptions) {
    for (const p of DC_PRODUCTS) {
      const s = opts.sites[p];
      if (!s) continue;
      const client = new DcClient({
        product: p,
        baseUrl: s.baseUrl,
        token: s.token,
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
        ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}),
        ...(opts.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: opts.maxRetryAfterMs } : {}),
      });
      this.apis.set(p, productApi(client));
    }
  }
  api(product: Product): ProductApi {
    if (!isDcProduct(product)) throw new Error(`${product}: not a Data Center product`);
    const a = this.apis.get(product);
    if (!a)
      throw new Error(
        `${product}: no containment site configured (containment.sites has no ${product} entry)`,
      );
    return a;
  }
}

/** The username DC's REST APIs know the identity by. */
export function usernameOf(identity: Identity): string {
  const n = identity.name ?? identity.id;
  if (n === undefined || n === '') throw new Error('the identity has neither a name nor an id');
  return n;
}

/** What each product cannot do through REST (the `none` rows of ENDPOINTS): never planned. */
const NOT_POSSIBLE: Record<DcProduct, readonly ContainmentAction['kind'][]> = {
  jira: ['revoke-tokens', 'block-merges', 'unblock-merges', 'revoke-permissions', 'restore-permissions'],
  confluence: [
    'revoke-tokens',
    'block-merges',
    'unblock-merges',
    'revoke-permissions',
    'restore-permissions',
  ],
  bitbucket: ['suspend-account', 'restore-account', 'block-merges', 'unblock-merges'],
};

export class DcExecutor implements Executor {
  private readonly sites: Sites;
  constructor(private readonly opts: DcConnectOptions) {
    this.sites = new Sites(opts);
  }

  supports(kind: ContainmentAction['kind'], product: Product): boolean {
    return (
      isDcProduct(product) && this.opts.sites[product] !== undefined && !NOT_POSSIBLE[product].includes(kind)
    );
  }

  async run(action: ContainmentAction, undoOf?: ActionRecord): Promise<string | undefined> {
    const api = this.sites.api(action.product);
    const user = usernameOf(action.identity);
    switch (action.kind) {
      case 'remove-from-group':
        return api.removeFromGroup(user, action.group);
      case 'add-to-group':
        return api.addToGroup(user, action.group);
      case 'suspend-account':
        return api.setActive(user, false);
      case 'restore-account':
        return api.setActive(user, true);
      case 'revoke-tokens':
        return api.revokeTokens(user);
      case 'block-merges':
        return api.setMergeBlock(user, true);
      case 'unblock-merges':
        return api.setMergeBlock(user, false);
      case 'revoke-permissions': {
        const grants = await api.revokePermissions(user);
        return JSON.stringify({ user, grants });
      }
      case 'restore-permissions': {
        if (undoOf?.result === undefined) {
          throw new Error(
            'restore-permissions needs the revocation it undoes (its result lists the grants removed)',
          );
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(undoOf.result);
        } catch {
          throw new Error(`restore-permissions: the revocation's result is not the JSON this executor wrote`);
        }
        const r = GrantsSchema.safeParse(parsed);
        if (!r.success)
          throw new Error(`restore-permissions: the revocation's result is not a list of grants`);
        if (r.data.user.toLowerCase() !== user.toLowerCase()) {
          throw new Error(`restore-permissions: the revocation was of ${r.data.user}, not ${user}`);
        }
        if (r.data.grants.length === 0) return `nothing to restore (${describeGrants([])} were revoked)`;
        return api.grant(user, r.data.grants);
      }
    }
  }
}

export interface DcDirectoryOptions extends DcConnectOptions {
  /** Which group names are admin groups: a predicate, or a ListSet holding the `admin-groups` list. */
  readonly adminGroups: ((group: string) => boolean) | ListSet;
}

export class DcDirectory implements Directory {
  private readonly sites: Sites;
  private readonly isAdmin: (group: string) => boolean;
  constructor(opts: DcDirectoryOptions) {
    this.sites = new Sites(opts);
    const a = opts.adminGroups;
    this.isAdmin = typeof a === 'function' ? a : a.matcher('admin-groups');
  }

  /** A user the product does not know is in no group there (an incident can name a user of another product). */
  async adminGroupsOf(identity: Identity, product: Product): Promise<readonly string[]> {
    let groups: string[];
    try {
      groups = await this.sites.api(product).groupsOf(usernameOf(identity));
    } catch (err) {
      if (err instanceof DcHttpError && err.status === 404) return [];
      throw err;
    }
    return groups.filter((g) => this.isAdmin(g)).sort();
  }

  /** A group the product does not know has no members. */
  async memberCount(group: string, product: Product): Promise<number> {
    try {
      return await this.sites.api(product).memberCount(group);
    } catch (err) {
      if (err instanceof DcHttpError && err.status === 404) return 0;
      throw err;
    }
  }
}
