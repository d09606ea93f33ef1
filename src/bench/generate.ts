/**
 * The benchmark's input: a Data Center installation's logs, generated straight to disk in time order. Jira,
 * Confluence and Bitbucket `*.audit.log` NDJSON lines (the shape of shared/samples/dc-audit/*-audit-file) and a
 * Bitbucket access log (` | ` fields, one `i` and one `o` line per request). Background users do ordinary work;
 * a handful of attacks from the 2023 incidents are laid in so the rules and the correlator have work to do.
 *
 * Nothing is held in memory beyond a 1 MiB write buffer per file, so 1,000,000 records take seconds and a few
 * MB. The output is reused when `.params.json` (hidden, so the hunt skips it) in the folder says it was made with the same parameters.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { Rng } from '../scenarios/rng';
import { accessLogTime } from '../scenarios/formats/time';

/** Bump when the generated shape changes, so stale data folders are regenerated. */
const GENERATOR_VERSION = 2;
const FLUSH_BYTES = 1 << 20;

export interface GenerateOptions {
  /** Total records (lines) across all files. */
  readonly records: number;
  /** Share of records that are access-log lines (default 0.3). */
  readonly accessShare?: number;
  readonly seed?: number;
}

export interface GeneratedData {
  readonly dir: string;
  readonly files: readonly string[];
  readonly records: number;
  readonly auditRecords: number;
  readonly accessRecords: number;
  readonly bytes: number;
  /** False when an earlier run's data was reused. */
  readonly generated: boolean;
  readonly ms: number;
}

type Product = 'jira' | 'confluence' | 'bitbucket';

const FILES = {
  jira: 'jira/log/audit/20240301.audit.log',
  confluence: 'confluence/log/audit/20240301.audit.log',
  bitbucket: 'bitbucket/log/audit/20240301.audit.log',
  access: 'bitbucket/log/atlassian-bitbucket-access.log',
} as const;
type FileKey = keyof typeof FILES;

const SYSTEM: Record<Product, string> = {
  jira: 'https://jira.example.com',
  confluence: 'https://wiki.example.com',
  bitbucket: 'https://git.example.com',
};

/** Buffered synchronous appends: one write syscall per MiB instead of per line. */
class FileWriter {
  private parts: string[] = [];
  private pending = 0;
  bytes = 0;
  lines = 0;
  private readonly fd: number;

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'w');
  }

  line(text: string): void {
    this.parts.push(text, '\n');
    this.pending += text.length + 1;
    this.lines++;
    if (this.pending >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.bytes += writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.pending = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

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
): AuditType => ({
  action,
  actionI18nKey: key,
  area,
  category,
  categoryI18nKey: `audit.category.${category.toLowerCase().replace(/\W+/g, '')}`,
  level,
});

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

function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let r = rng.next() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

interface Actor {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  /** Working set: page ids and repositories this person usually reads. */
  readonly pages?: readonly number[];
  readonly repos?: readonly string[];
}

const START = Date.UTC(2024, 2, 1);
/** The records span a week whatever their number, so windows and sweeps behave as on a real week of logs. */
const SPAN_MS = 7 * 86_400_000;

interface AuditLine {
  readonly product: Product;
  readonly type: AuditType;
  readonly author: Actor;
  readonly source: string;
  readonly affected?: readonly { readonly id?: string; readonly name: string; readonly type: string }[];
  readonly extra?: readonly { readonly name: string; readonly nameI18nKey: string; readonly value: string }[];
}

function auditText(t: number, r: AuditLine): string {
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

class Generator {
  private readonly rng: Rng;
  private readonly out: Record<FileKey, FileWriter>;
  private readonly users: Actor[] = [];
  private readonly services: Actor[] = [];
  private readonly repos: string[] = [];
  private requestCounter = 0;
  auditLines = 0;
  accessLines = 0;

  constructor(dir: string, seed: number) {
    this.rng = new Rng(seed);
    this.out = {
      jira: new FileWriter(path.join(dir, FILES.jira)),
      confluence: new FileWriter(path.join(dir, FILES.confluence)),
      bitbucket: new FileWriter(path.join(dir, FILES.bitbucket)),
      access: new FileWriter(path.join(dir, FILES.access)),
    };
    for (let i = 0; i < 120; i++) this.repos.push(`PRJ${i % 12}/repo-${i}`);
    for (let i = 0; i < 400; i++) {
      this.users.push({
        id: String(10_000 + i),
        name: `user${i}`,
        ip: `10.${20 + (i % 8)}.${i % 250}.${1 + (i % 200)}`,
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

  audit(t: number, r: AuditLine): void {
    this.out[r.product].line(auditText(t, r));
    this.auditLines++;
  }

  /** One request: an `i` line at arrival and an `o` line at completion (two records). */
  access(
    t: number,
    a: {
      ip: string;
      user: string;
      action: string;
      status: number;
      bytesOut: number;
      protocol?: 'https' | 'ssh';
    },
  ): void {
    const protocol = a.protocol ?? 'https';
    const id = `${(++this.requestCounter).toString(36).toUpperCase()}x${Math.floor((t % 86_400_000) / 60_000)}x${this.requestCounter}x0`;
    const agent = protocol === 'ssh' ? '-' : '"" "Mozilla/5.0"';
    const session = this.rng.base36(7);
    const duration = 5 + (this.requestCounter % 90);
    const w = this.out.access;
    w.line(
      `${a.ip} | ${protocol} | i*${id} | ${a.user} | ${accessLogTime(t)} | ${a.action} | ${agent} | - | - | - | - | - | ${session} |`,
    );
    w.line(
      `${a.ip} | ${protocol} | o*${id} | ${a.user} | ${accessLogTime(t + duration)} | ${a.action} | ${agent} | ${a.status} | 0 | ${a.bytesOut} | cache:miss | ${duration} | ${session} |`,
    );
    this.accessLines += 2;
  }

  background(t: number, accessShare: number): void {
    const rng = this.rng;
    if (rng.next() < accessShare) {
      const u = rng.pick(this.users);
      const repo = this.repoFor(u);
      const [key = 'PRJ0', slug = 'repo-0'] = repo.split('/');
      const r = rng.next();
      if (r < 0.7)
        this.access(t, {
          ip: u.ip,
          user: u.name,
          action: `"GET /projects/${key}/repos/${slug}/browse HTTP/1.1"`,
          status: 200,
          bytesOut: rng.int(2_000, 90_000),
        });
      else if (r < 0.97)
        this.access(t, {
          ip: u.ip,
          user: u.name,
          action: `SSH - git-upload-pack '/${key.toLowerCase()}/${slug}.git'`,
          status: 0,
          bytesOut: rng.int(10_000, 5_000_000),
          protocol: 'ssh',
        });
      else
        this.access(t, {
          ip: u.ip,
          user: u.name,
          action: `"GET /rest/api/latest/projects/${key}/repos/${slug}/archive?format=zip HTTP/1.1"`,
          status: 200,
          bytesOut: rng.int(100_000, 20_000_000),
        });
      return;
    }
    const product: Product = rng.pick(['jira', 'jira', 'confluence', 'confluence', 'bitbucket'] as const);
    const type = weighted(rng, MIX[product]);
    const author = rng.chance(0.05) ? rng.pick(this.services) : rng.pick(this.users);
    const line: AuditLine = {
      product,
      type,
      author,
      source: author.ip,
      ...this.details(type, product, author),
    };
    this.audit(t, line);
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

  /** The attacks, each a short burst of records at a fixed point of the week. */
  attack(kind: number, t: number): void {
    const attacker: Actor = { id: '90999', name: 'svc-smartsheet', ip: '193.142.58.126' };
    const victim = 'tmp-admin-7731';
    switch (kind) {
      case 0: // password spray against Bitbucket from one address
        for (let i = 0; i < 40; i++) {
          const u = this.users[i * 7] as Actor;
          this.audit(t + i * 2_000, {
            product: 'bitbucket',
            type: T.loginFailed,
            author: u,
            source: '185.220.101.33',
          });
        }
        break;
      case 1: // Cloudflare 2023: a service token creates a user and makes it an administrator, then a PAT
        this.audit(t, { product: 'jira', type: T.userLoggedIn, author: attacker, source: attacker.ip });
        this.audit(t + 60_000, {
          product: 'jira',
          type: T.userCreated,
          author: attacker,
          source: attacker.ip,
          affected: [{ name: victim, type: 'USER' }],
        });
        this.audit(t + 240_000, {
          product: 'jira',
          type: T.addedToGroup,
          author: attacker,
          source: attacker.ip,
          affected: [
            { name: 'jira-administrators', type: 'GROUP' },
            { name: victim, type: 'USER' },
          ],
        });
        this.audit(t + 400_000, {
          product: 'jira',
          type: T.patCreated,
          author: attacker,
          source: attacker.ip,
        });
        break;
      case 2: // bulk repository archive downloads by one account
        for (let i = 0; i < 60; i++) {
          const [key = 'PRJ0', slug = 'repo-0'] = (this.repos[i] ?? 'PRJ0/repo-0').split('/');
          this.access(t + i * 3_000, {
            ip: attacker.ip,
            user: attacker.name,
            action: `"GET /rest/api/latest/projects/${key}/repos/${slug}/archive?format=zip HTTP/1.1"`,
            status: 200,
            bytesOut: 30_000_000,
          });
        }
        break;
      default: // persistence: the service account adds an SSH key and enables an app
        this.audit(t, { product: 'bitbucket', type: T.sshKeyAdded, author: attacker, source: attacker.ip });
        this.audit(t + 30_000, {
          product: 'confluence',
          type: T.appEnabled,
          author: attacker,
          source: attacker.ip,
          affected: [{ name: 'ScriptRunner', type: 'App' }],
        });
    }
  }

  /** A factor in [0.5, 1.5): spacing between records varies around the mean step. */
  jitter(): number {
    return 0.5 + this.rng.next();
  }

  close(): number {
    let bytes = 0;
    for (const w of Object.values(this.out)) {
      w.close();
      bytes += w.bytes;
    }
    return bytes;
  }
}

const ATTACKS = 4;

/** Writes the data set into `dir` (or reuses it) and describes it. */
export function generateBenchData(dir: string, opts: GenerateOptions): GeneratedData {
  const started = Date.now();
  if (!Number.isInteger(opts.records) || opts.records < 1_000) {
    throw new Error(`--records must be an integer of at least 1000, got ${String(opts.records)}`);
  }
  const accessShare = opts.accessShare ?? 0.3;
  const seed = opts.seed ?? 2023;
  const params = { version: GENERATOR_VERSION, records: opts.records, accessShare, seed };
  const paramsFile = path.join(dir, '.params.json');
  const files = Object.values(FILES).map((f) => path.join(dir, f));
  if (existsSync(paramsFile) && files.every((f) => existsSync(f))) {
    try {
      const saved = JSON.parse(readFileSync(paramsFile, 'utf8')) as {
        params?: unknown;
        data?: GeneratedData;
      };
      if (JSON.stringify(saved.params) === JSON.stringify(params) && saved.data) {
        return { ...saved.data, dir, files, generated: false, ms: Date.now() - started };
      }
    } catch {
      // An unreadable params file means an interrupted run: regenerate below.
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const g = new Generator(dir, seed);
  // Access requests write two lines, so they are drawn at half the line share to land on `accessShare`.
  const requestShare = accessShare / 2 / (1 - accessShare / 2);
  const step = SPAN_MS / opts.records;
  const attackAt = Array.from({ length: ATTACKS }, (_, i) =>
    Math.floor(((i + 1) * opts.records) / (ATTACKS + 1)),
  );
  let nextAttack = 0;
  let t = START;
  // Attack bursts add about 200 lines; the background stops when the total is reached.
  while (g.auditLines + g.accessLines < opts.records) {
    const done = g.auditLines + g.accessLines;
    if (nextAttack < ATTACKS && done >= (attackAt[nextAttack] ?? Infinity))
      g.attack(nextAttack++, Math.floor(t));
    // An access request is two lines: with one line left, write an audit record so the total is exact.
    g.background(Math.floor(t), opts.records - (g.auditLines + g.accessLines) === 1 ? 0 : requestShare);
    t += step * g.jitter();
  }
  const bytes = g.close();
  const data: GeneratedData = {
    dir,
    files,
    records: g.auditLines + g.accessLines,
    auditRecords: g.auditLines,
    accessRecords: g.accessLines,
    bytes,
    generated: true,
    ms: Date.now() - started,
  };
  writeFileSync(paramsFile, JSON.stringify({ params, data }, null, 2));
  return data;
}
