/**
 * The record shapes both benchmarks write: Data Center `*.audit.log` NDJSON lines and Bitbucket access-log lines,
 * the audit types and their weighted background mix, and the people who do the background work (each reading
 * mostly in a working set of pages and repositories). The batch generator (generate.ts) writes them to disk in
 * one go; the serve benchmark's writer (serve-writer.ts) appends them on the wall clock.
 */
import type { Rng } from '../scenarios/rng';
import { accessLogTime } from '../scenarios/formats/time';

export type Product = 'jira' | 'confluence' | 'bitbucket';

const SYSTEM: Record<Product, string> = {
  jira: 'https://jira.example.com',
  confluence: 'https://wiki.example.com',
  bitbucket: 'https://git.example.com',
};

export interface AuditType {
  readonly action: string;
  readonly actionI18nKey: string;
  readonly area: string;
  readonly category: string;
  readonly categoryI18nKey: string;
  readonly level: 'BASE' | 'FULL';
}

const at = (
  action: string,
  key: string,
  area: string,
  category: string,
  level: 'BASE' | 'FULL' = 'BASE',
): AuditType => ({
  action,
  actionI18nKey: key,
  area,
  category,
  categoryI18nKey: `audit.category.${category.toLowerCase().replace(/\W+/g, '')}`,
  level,
});

export const T = {
  jql: at('JQLsearchperformed', 'issuenav.jqlsearch.performed', 'END_USER_ACTIVITY', 'search', 'FULL'),
  userLoggedIn: at('User logged in', 'audit.action.user.loggedin', 'SECURITY', 'Authentication', 'FULL'),
  loginFailed: at(
    'User login failed',
    'bitbucket.service.user.audit.action.authenticationfailure',
    'SECURITY',
    'Authentication',
  ),
  userCreated: at('User created', 'jira.auditing.user.created', 'USER_MANAGEMENT', 'user management'),
  addedToGroup: at(
    'User added to group',
    'jira.auditing.user.added.to.group',
    'USER_MANAGEMENT',
    'group management',
  ),
  schemeUpdated: at(
    'Permission scheme updated',
    'jira.auditing.permission.scheme.updated',
    'PERMISSIONS',
    'permissions',
  ),
  patCreated: at(
    'Personal access token created',
    'personal.access.tokens.audit.log.summary.token.created',
    'SECURITY',
    'Security',
  ),
  appEnabled: at(
    'App enabled',
    'audit.logging.summary.plugin.enabled',
    'GLOBAL_CONFIG_AND_ADMINISTRATION',
    'Apps',
  ),
  pageCreated: at('Page created', 'audit.logging.summary.page.created', 'END_USER_ACTIVITY', 'Pages', 'FULL'),
  pageUpdated: at('Page updated', 'audit.logging.summary.page.updated', 'END_USER_ACTIVITY', 'Pages', 'FULL'),
  pageViewed: at('Page viewed', 'audit.logging.summary.page.viewed', 'END_USER_ACTIVITY', 'Pages', 'FULL'),
  spacePermission: at(
    'Space permission added',
    'audit.logging.summary.space.permission.added',
    'PERMISSIONS',
    'Permissions',
  ),
  repoAccessed: at(
    'Repository accessed by user',
    'bitbucket.service.repository.audit.action.repositoryaccessed',
    'END_USER_ACTIVITY',
    'Repositories',
    'FULL',
  ),
  sshKeyAdded: at(
    'User added SSH access key to profile',
    'bitbucket.service.user.audit.action.sshkeyadded',
    'SECURITY',
    'Security',
  ),
} as const;

/** Weighted background mix per product: common reads, occasional writes, rare administration. Administration
 *  is about one record in a thousand (version 1 had 1-2%, which made 1,400 app installs and 2,700 permission
 *  scheme changes a week: a hunt then reported those, not the attacks, and held 19,000 detections). */
const MIX: Record<Product, readonly (readonly [AuditType, number])[]> = {
  jira: [
    [T.jql, 80],
    [T.userLoggedIn, 15],
    [T.schemeUpdated, 0.1],
    [T.patCreated, 0.1],
    [T.userCreated, 0.05],
    [T.addedToGroup, 0.1],
  ],
  confluence: [
    [T.pageViewed, 60],
    [T.pageUpdated, 20],
    [T.pageCreated, 8],
    [T.userLoggedIn, 10],
    [T.appEnabled, 0.02],
    [T.spacePermission, 0.1],
  ],
  bitbucket: [
    [T.repoAccessed, 75],
    [T.userLoggedIn, 20],
    [T.loginFailed, 4],
    [T.sshKeyAdded, 0.1],
  ],
};

/** People work in a few places: most reads go to a user's own pages and repositories, a few wander. */
const OWN_PAGES = 40;
const OWN_REPOS = 6;
const WANDER = 0.1;

function weighted<V>(rng: Rng, items: readonly (readonly [V, number])[]): V {
  let total = 0;
  for (const [, w] of items) total += w;
  let r = rng.next() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return (items[items.length - 1] as readonly [V, number])[0];
}

export interface Actor {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  /** Working set: page ids and repositories this person usually reads. */
  readonly pages?: readonly number[];
  readonly repos?: readonly string[];
}

export interface AuditLine {
  readonly product: Product;
  readonly type: AuditType;
  readonly author: Actor;
  readonly source: string;
  readonly affected?: readonly { readonly id?: string; readonly name: string; readonly type: string }[];
  readonly extra?: readonly { readonly name: string; readonly nameI18nKey: string; readonly value: string }[];
}

/** One audit record with event time `t`, as a `*.audit.log` line (without the newline). */
export function auditText(t: number, r: AuditLine): string {
  return JSON.stringify({
    affectedObjects: r.affected ?? [],
    auditType: r.type,
    author: { id: r.author.id, name: r.author.name, type: r.product === 'bitbucket' ? 'NORMAL' : 'user' },
    changedValues: [],
    extraAttributes: r.extra ?? [],
    method: 'Browser',
    node: `${r.product}-node-1`,
    source: r.source,
    system: SYSTEM[r.product],
    timestamp: { epochSecond: Math.floor(t / 1000), nano: (t % 1000) * 1_000_000 },
    version: '1.0',
  });
}

export interface AccessRequest {
  readonly ip: string;
  readonly user: string;
  readonly action: string;
  readonly status: number;
  readonly bytesOut: number;
  readonly protocol?: 'https' | 'ssh';
}

/**
 * One request's two access-log lines: the `i` line at arrival and the `o` line at completion. `n` numbers the
 * request (its id and duration follow from it); `t` names it too and is its arrival or its completion, as `tIs` says.
 */
export function accessLinePair(
  a: AccessRequest,
  n: number,
  t: number,
  tIs: 'arrival' | 'completion',
  session: string,
): readonly [string, string] {
  const protocol = a.protocol ?? 'https';
  const id = `${n.toString(36).toUpperCase()}x${Math.floor((t % 86_400_000) / 60_000)}x${n}x0`;
  const agent = protocol === 'ssh' ? '-' : '"" "Mozilla/5.0"';
  const duration = 5 + (n % 90);
  const arrival = tIs === 'arrival' ? t : t - duration;
  return [
    `${a.ip} | ${protocol} | i*${id} | ${a.user} | ${accessLogTime(arrival)} | ${a.action} | ${agent} | - | - | - | - | - | ${session} |`,
    `${a.ip} | ${protocol} | o*${id} | ${a.user} | ${accessLogTime(arrival + duration)} | ${a.action} | ${agent} | ${a.status} | 0 | ${a.bytesOut} | cache:miss | ${duration} | ${session} |`,
  ];
}

/** The background's people (users with working sets, a few service accounts) and the records they make. */
export class Workforce {
  readonly users: Actor[] = [];
  readonly services: Actor[] = [];
  readonly repos: string[] = [];

  /** `userIp` gives user `i` its address. */
  constructor(
    private readonly rng: Rng,
    users: number,
    userIp: (i: number) => string,
  ) {
    for (let i = 0; i < 120; i++) this.repos.push(`PRJ${i % 12}/repo-${i}`);
    for (let i = 0; i < users; i++) {
      this.users.push({
        id: String(10_000 + i),
        name: `user${i}`,
        ip: userIp(i),
        pages: Array.from({ length: OWN_PAGES }, () => this.rng.int(100_000, 999_999)),
        repos: Array.from({ length: OWN_REPOS }, () => this.rng.pick(this.repos)),
      });
    }
    for (const name of ['svc-jira-sync', 'svc-backup', 'svc-ci-builds', 'moveworks-svc']) {
      this.services.push({
        id: String(90_000 + this.services.length),
        name,
        ip: `10.9.0.${10 + this.services.length}`,
      });
    }
  }

  private repoFor(u: Actor): string {
    return u.repos && !this.rng.chance(WANDER) ? this.rng.pick(u.repos) : this.rng.pick(this.repos);
  }

  private pageFor(u: Actor): number {
    return u.pages && !this.rng.chance(WANDER) ? this.rng.pick(u.pages) : this.rng.int(100_000, 999_999);
  }

  /** A background request to Bitbucket: mostly browsing, then clones, now and then an archive download. */
  request(): AccessRequest {
    const rng = this.rng;
    const u = rng.pick(this.users);
    const repo = this.repoFor(u);
    const [key = 'PRJ0', slug = 'repo-0'] = repo.split('/');
    const r = rng.next();
    if (r < 0.7)
      return {
        ip: u.ip,
        user: u.name,
        action: `"GET /projects/${key}/repos/${slug}/browse HTTP/1.1"`,
        status: 200,
        bytesOut: rng.int(2_000, 90_000),
      };
    if (r < 0.97)
      return {
        ip: u.ip,
        user: u.name,
        action: `SSH - git-upload-pack '/${key.toLowerCase()}/${slug}.git'`,
        status: 0,
        bytesOut: rng.int(10_000, 5_000_000),
        protocol: 'ssh',
      };
    return {
      ip: u.ip,
      user: u.name,
      action: `"GET /rest/api/latest/projects/${key}/repos/${slug}/archive?format=zip HTTP/1.1"`,
      status: 200,
      bytesOut: rng.int(100_000, 20_000_000),
    };
  }

  /** A background audit record: a product, a type from its mix, an author (now and then a service account). */
  audit(): AuditLine {
    const rng = this.rng;
    const product: Product = rng.pick(['jira', 'jira', 'confluence', 'confluence', 'bitbucket'] as const);
    const type = weighted(rng, MIX[product]);
    const author = rng.chance(0.05) ? rng.pick(this.services) : rng.pick(this.users);
    return { product, type, author, source: author.ip, ...this.details(type, product, author) };
  }

  private details(type: AuditType, product: Product, author: Actor): Pick<AuditLine, 'affected' | 'extra'> {
    const rng = this.rng;
    switch (type) {
      case T.jql:
        return {
          extra: [
            {
              name: 'JQLquery',
              nameI18nKey: 'issuenav.jqlsearch.query',
              value: `project=PRJ${rng.int(0, 11)} AND status=Open`,
            },
          ],
        };
      case T.pageViewed:
      case T.pageUpdated:
      case T.pageCreated:
        return {
          affected: [
            { id: String(this.pageFor(author)), name: `Page ${rng.int(1, 5000)}`, type: 'Page' },
            { id: '98305', name: `Space ${rng.int(1, 40)}`, type: 'Space' },
          ],
        };
      case T.repoAccessed: {
        const repo = this.repoFor(author);
        return {
          affected: [
            { id: String(this.repos.indexOf(repo)), name: repo.split('/')[1] ?? repo, type: 'REPOSITORY' },
          ],
        };
      }
      case T.userCreated:
      case T.addedToGroup: {
        const target = `newhire${rng.int(1, 100_000)}`;
        const group = product === 'jira' ? 'jira-software-users' : 'confluence-users';
        return type === T.userCreated
          ? { affected: [{ name: target, type: 'USER' }] }
          : {
              affected: [
                { name: group, type: 'GROUP' },
                { name: target, type: 'USER' },
              ],
            };
      }
      case T.appEnabled:
        return { affected: [{ name: `Helper App ${rng.int(1, 20)}`, type: 'App' }] };
      default:
        return {};
    }
  }
}
