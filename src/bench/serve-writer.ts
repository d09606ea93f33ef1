/**
 * The load of `npm run bench:serve`, in its own process (forked by serve-run.ts) so that writing never shares
 * the service's event loop: appends Data Center audit lines to the three products' audit folders and Bitbucket
 * access log lines, at a fixed rate, with event time = the wall clock, in time order per file. The records have
 * the shapes and mix of the batch benchmark's generator (src/bench/generate.ts): JQL searches, page views and
 * edits, repository reads, logins, a few failed logins, rare administration; each person reads mostly in a
 * working set of pages and repositories.
 *
 * About once a second a canary is written: a fresh user added to the product's administrators group by a fresh
 * administrator (rotating Jira, Confluence, Bitbucket), which the built-in rule `admin-group-member-added`
 * turns into a detection. Its file, line and write time (after the write returned) go to the parent over IPC.
 *
 * Phases: `idle` (canaries only, the latency baseline), then `load` (canaries and background at `rate`).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Rng } from '../scenarios/rng';
import { accessLogTime, yyyymmdd } from '../scenarios/formats/time';

export interface WriterArgs {
  readonly root: string;
  readonly idleSeconds: number;
  readonly loadSeconds: number;
  /** Lines per second in the load phase (audit and access lines together, canaries included). */
  readonly rate: number;
  readonly users: number;
  readonly seed: number;
  readonly canaryEveryMs: number;
}

export type WriterMessage =
  | { readonly type: 'phase'; readonly phase: 'idle' | 'load'; readonly at: number }
  | {
      readonly type: 'canary';
      readonly phase: 'idle' | 'load';
      readonly key: string;
      readonly product: Product;
      readonly at: number;
    }
  | {
      readonly type: 'done';
      readonly phase: 'idle' | 'load';
      readonly lines: number;
      readonly accessLines: number;
      readonly canaries: number;
      readonly ms: number;
      /** Ticks that wrote later than 50 ms after they were due (the writer itself falling behind). */
      readonly lateTicks: number;
    };

type Product = 'jira' | 'confluence' | 'bitbucket';

/** The service's folders under `root`, as `bulkhead serve` would be configured for a DC installation. */
export const SERVE_DIRS = {
  jira: 'jira/log/audit',
  confluence: 'confluence/log/audit',
  bitbucket: 'bitbucket/log/audit',
  access: 'bitbucket/log',
} as const;
export const ACCESS_LOG_MATCH = /^atlassian-bitbucket-access.*\.log$/;
export const AUDIT_LOG_MATCH = /\.audit\.log$/;

const SYSTEM: Record<Product, string> = {
  jira: 'https://jira.example.com',
  confluence: 'https://wiki.example.com',
  bitbucket: 'https://git.example.com',
};

const ADMIN_GROUP: Record<Product, string> = {
  jira: 'jira-administrators',
  confluence: 'confluence-administrators',
  bitbucket: 'stash-admins',
};

interface AuditType {
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
) => ({
  action,
  actionI18nKey: key,
  area,
  category,
  categoryI18nKey: `audit.category.${category.toLowerCase().replace(/\W+/g, '')}`,
  level,
});

// The generator's audit types and mix (src/bench/generate.ts, version 2).
const T = {
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
} as const satisfies Record<string, AuditType>;

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

const OWN_PAGES = 40;
const OWN_REPOS = 6;
const WANDER = 0.1;
/** Share of lines that are access-log lines (an `i` and an `o` line per request), as in the batch benchmark. */
const ACCESS_SHARE = 0.3;

interface Actor {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  readonly pages?: readonly number[];
  readonly repos?: readonly string[];
}

interface Obj {
  readonly id?: string;
  readonly name: string;
  readonly type: string;
}

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

function auditText(
  t: number,
  product: Product,
  type: AuditType,
  author: Actor,
  affected: readonly Obj[],
  extra: readonly object[] = [],
): string {
  return JSON.stringify({
    affectedObjects: affected,
    auditType: type,
    author: { id: author.id, name: author.name, type: product === 'bitbucket' ? 'NORMAL' : 'user' },
    changedValues: [],
    extraAttributes: extra,
    method: 'Browser',
    node: `${product}-node-1`,
    source: author.ip,
    system: SYSTEM[product],
    timestamp: { epochSecond: Math.floor(t / 1000), nano: (t % 1000) * 1_000_000 },
    version: '1.0',
  });
}

/** One appended-to log file: its open descriptor, name and how many lines it holds. */
class LogFile {
  private fd = -1;
  private name = '';
  lines = 0;
  private parts: string[] = [];
  private pendingLines = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The file for time `t` (daily audit logs roll over at midnight UTC, as the products do). */
  use(name: string): void {
    if (name === this.name) return;
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.name = name;
    this.fd = openSync(path.join(this.dir, name), 'a');
    this.lines = 0;
  }

  get path(): string {
    return path.join(this.dir, this.name);
  }

  add(text: string): number {
    this.parts.push(text, '\n');
    this.pendingLines++;
    return this.lines + this.pendingLines;
  }

  flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.lines += this.pendingLines;
    this.parts = [];
    this.pendingLines = 0;
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
  }
}

class Writer {
  private readonly rng: Rng;
  private readonly users: Actor[] = [];
  private readonly services: Actor[] = [];
  private readonly repos: string[] = [];
  private readonly files: Record<Product | 'access', LogFile>;
  private requests = 0;
  private canaries = 0;
  accessLines = 0;
  lines = 0;

  constructor(private readonly args: WriterArgs) {
    this.rng = new Rng(args.seed);
    const r = args.root;
    this.files = {
      jira: new LogFile(path.join(r, SERVE_DIRS.jira)),
      confluence: new LogFile(path.join(r, SERVE_DIRS.confluence)),
      bitbucket: new LogFile(path.join(r, SERVE_DIRS.bitbucket)),
      access: new LogFile(path.join(r, SERVE_DIRS.access)),
    };
    for (let i = 0; i < 120; i++) this.repos.push(`PRJ${i % 12}/repo-${i}`);
    for (let i = 0; i < args.users; i++) {
      this.users.push({
        id: String(10_000 + i),
        name: `user${i}`,
        // One address per person (the generator's formula repeats addresses beyond 1,000 people).
        ip: `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
        pages: Array.from({ length: OWN_PAGES }, () => this.rng.int(100_000, 999_999)),
        repos: Array.from({ length: OWN_REPOS }, () => this.rng.pick(this.repos)),
      });
    }
    for (const name of ['svc-jira-sync', 'svc-backup', 'svc-ci-builds', 'moveworks-svc'])
      this.services.push({
        id: String(90_000 + this.services.length),
        name,
        ip: `10.9.0.${10 + this.services.length}`,
      });
  }

  /** Picks today's file names; returns nothing. */
  private roll(t: number): void {
    const day = `${yyyymmdd(t)}.audit.log`;
    this.files.jira.use(day);
    this.files.confluence.use(day);
    this.files.bitbucket.use(day);
    this.files.access.use('atlassian-bitbucket-access.log');
  }

  private repoFor(u: Actor): string {
    return u.repos && !this.rng.chance(WANDER) ? this.rng.pick(u.repos) : this.rng.pick(this.repos);
  }

  private pageFor(u: Actor): number {
    return u.pages && !this.rng.chance(WANDER) ? this.rng.pick(u.pages) : this.rng.int(100_000, 999_999);
  }

  /** Background lines with event time `t`: about `n` of them (an access request is two). */
  background(t: number, n: number): void {
    this.roll(t);
    const rng = this.rng;
    // Access requests write two lines, so they are drawn at half the line share.
    const requestShare = ACCESS_SHARE / 2 / (1 - ACCESS_SHARE / 2);
    let written = 0;
    while (written < n) {
      if (n - written >= 2 && rng.next() < requestShare) {
        this.access(t);
        written += 2;
        continue;
      }
      const product: Product = rng.pick(['jira', 'jira', 'confluence', 'confluence', 'bitbucket'] as const);
      const type = weighted(rng, MIX[product]);
      const author = rng.chance(0.05) ? rng.pick(this.services) : rng.pick(this.users);
      const { affected, extra } = this.details(type, product, author);
      this.files[product].add(auditText(t, product, type, author, affected, extra));
      written++;
    }
    this.lines += written;
  }

  /** A request that completes now: its `i` line (arrival, `duration` ms ago) and its `o` line. */
  private access(t: number): void {
    const rng = this.rng;
    const u = rng.pick(this.users);
    const repo = this.repoFor(u);
    const [key = 'PRJ0', slug = 'repo-0'] = repo.split('/');
    const r = rng.next();
    let action: string;
    let status = 200;
    let bytesOut: number;
    let protocol = 'https';
    if (r < 0.7) {
      action = `"GET /projects/${key}/repos/${slug}/browse HTTP/1.1"`;
      bytesOut = rng.int(2_000, 90_000);
    } else if (r < 0.97) {
      action = `SSH - git-upload-pack '/${key.toLowerCase()}/${slug}.git'`;
      status = 0;
      bytesOut = rng.int(10_000, 5_000_000);
      protocol = 'ssh';
    } else {
      action = `"GET /rest/api/latest/projects/${key}/repos/${slug}/archive?format=zip HTTP/1.1"`;
      bytesOut = rng.int(100_000, 20_000_000);
    }
    const n = ++this.requests;
    const id = `${n.toString(36).toUpperCase()}x${Math.floor((t % 86_400_000) / 60_000)}x${n}x0`;
    const agent = protocol === 'ssh' ? '-' : '"" "Mozilla/5.0"';
    const session = rng.base36(7);
    const duration = 5 + (n % 90);
    const w = this.files.access;
    w.add(
      `${u.ip} | ${protocol} | i*${id} | ${u.name} | ${accessLogTime(t - duration)} | ${action} | ${agent} | - | - | - | - | - | ${session} |`,
    );
    w.add(
      `${u.ip} | ${protocol} | o*${id} | ${u.name} | ${accessLogTime(t)} | ${action} | ${agent} | ${status} | 0 | ${bytesOut} | cache:miss | ${duration} | ${session} |`,
    );
    this.accessLines += 2;
  }

  private details(type: AuditType, product: Product, author: Actor): { affected: Obj[]; extra?: object[] } {
    const rng = this.rng;
    switch (type) {
      case T.jql:
        return {
          affected: [],
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
        return { affected: [] };
    }
  }

  /** Flushes the background, then writes one canary line by itself and returns where it is. */
  canary(t: number): { key: string; product: Product } {
    this.roll(t);
    this.flush();
    const n = ++this.canaries;
    const product = (['jira', 'confluence', 'bitbucket'] as const)[n % 3] as Product;
    const admin: Actor = { id: String(50_000_000 + n), name: `canary-admin-${n}`, ip: '10.8.0.1' };
    const file = this.files[product];
    const line = file.add(
      auditText(t, product, T.addedToGroup, admin, [
        { name: ADMIN_GROUP[product], type: 'GROUP' },
        { name: `canary-user-${n}`, type: 'USER' },
      ]),
    );
    file.flush();
    this.lines++;
    return { key: `${file.path}:${line}`, product };
  }

  flush(): void {
    for (const f of Object.values(this.files)) f.flush();
  }

  close(): void {
    for (const f of Object.values(this.files)) f.close();
  }

  get canaryCount(): number {
    return this.canaries;
  }
}

const TICK_MS = 10;

function send(m: WriterMessage): void {
  process.send?.(m);
}

async function phase(
  w: Writer,
  name: 'idle' | 'load',
  seconds: number,
  rate: number,
  canaryEveryMs: number,
): Promise<void> {
  const started = Date.now();
  send({ type: 'phase', phase: name, at: started });
  const lines0 = w.lines;
  const access0 = w.accessLines;
  const canaries0 = w.canaryCount;
  const end = started + seconds * 1000;
  // The first canary half a period in, so none lands on a phase boundary.
  let nextCanary = started + canaryEveryMs / 2;
  let due = started + TICK_MS;
  let lateTicks = 0;
  while (due <= end) {
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const now = Date.now();
    if (now - due > 50) lateTicks++;
    if (rate > 0) {
      // Catch up to exactly rate × elapsed lines (canaries count), so a late tick writes more, not fewer.
      const owed = Math.floor(((now - started) * rate) / 1000) - (w.lines - lines0);
      if (owed > 0) w.background(now, owed);
    }
    if (now >= nextCanary) {
      const c = w.canary(now);
      send({ type: 'canary', phase: name, key: c.key, product: c.product, at: Date.now() });
      nextCanary += canaryEveryMs;
    } else w.flush();
    due += TICK_MS;
  }
  w.flush();
  send({
    type: 'done',
    phase: name,
    lines: w.lines - lines0,
    accessLines: w.accessLines - access0,
    canaries: w.canaryCount - canaries0,
    ms: Date.now() - started,
    lateTicks,
  });
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as WriterArgs;
  const w = new Writer(args);
  try {
    if (args.idleSeconds > 0) await phase(w, 'idle', args.idleSeconds, 0, args.canaryEveryMs);
    await phase(w, 'load', args.loadSeconds, args.rate, args.canaryEveryMs);
  } finally {
    w.close();
  }
}

if (require.main === module) {
  main().then(
    () => process.disconnect?.(),
    (err: unknown) => {
      process.stderr.write(
        `bench writer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
