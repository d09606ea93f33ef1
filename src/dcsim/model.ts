/**
 * The simulator's state: per product, the users (active or not), groups and memberships, personal access
 * tokens, SSH keys (Bitbucket), projects and repositories with direct user permissions (Bitbucket), and the
 * audit records written so far. Names are case-insensitive, as the products' internal user directories treat
 * them; each product has its own directory, as three separately installed DC products do.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DcProduct } from '../dc/endpoints';
import { emitDcAudit, type DcAuditRecord } from '../scenarios/formats/dc-audit';
import type { RecordSink } from '../scenarios/sink';

export interface SimUser {
  readonly id: string;
  readonly name: string;
  /** Bitbucket's URL-safe form of the name (lower-cased, characters outside [a-z0-9._-] as `_`). */
  readonly slug: string;
  displayName: string;
  email: string;
  active: boolean;
}

export interface SimToken {
  readonly id: string;
  /** Lower-cased owner name. */
  readonly owner: string;
  readonly name: string;
  /** The bearer secret; undefined for tokens learnt from a replayed audit line (nobody knows their secret). */
  readonly secret?: string;
  readonly created: number;
}

export interface SimSshKey {
  readonly id: number;
  readonly owner: string;
  readonly label: string;
  readonly text: string;
}

export interface SimRepo {
  readonly slug: string;
  readonly name: string;
  /** Lower-cased user name → REPO_READ | REPO_WRITE | REPO_ADMIN. */
  readonly users: Map<string, string>;
}

export interface SimProject {
  readonly key: string;
  readonly name: string;
  /** Lower-cased user name → PROJECT_READ | PROJECT_WRITE | PROJECT_ADMIN. */
  readonly users: Map<string, string>;
  readonly repos: Map<string, SimRepo>;
}

export interface SimGroup {
  readonly name: string;
  /** Lower-cased user names. */
  readonly members: Set<string>;
}

/** One audit record as the products' `/rest/auditing/1.0/events` returns it. */
export type AuditEntity = Record<string, unknown>;

const lc = (s: string): string => s.toLowerCase();

export function bitbucketSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
}

export class ProductModel {
  readonly users = new Map<string, SimUser>();
  readonly groups = new Map<string, SimGroup>();
  readonly tokens: SimToken[] = [];
  readonly sshKeys: SimSshKey[] = [];
  readonly projects = new Map<string, SimProject>();
  /** Audit records in the order written (REST entity shape), with their time. */
  readonly audit: { readonly t: number; readonly seq: number; readonly entity: AuditEntity }[] = [];
  private nextId = 100;

  constructor(readonly product: DcProduct) {}

  user(name: string): SimUser | undefined {
    return this.users.get(lc(name));
  }
  group(name: string): SimGroup | undefined {
    return this.groups.get(lc(name));
  }
  bySlug(slug: string): SimUser | undefined {
    return [...this.users.values()].find((u) => u.slug === slug);
  }

  ensureUser(name: string, init: Partial<Omit<SimUser, 'name'>> = {}): SimUser {
    const known = this.user(name);
    if (known) return known;
    const u: SimUser = {
      id: init.id ?? (this.product === 'jira' ? `JIRAUSER${this.nextId++}` : String(this.nextId++)),
      name,
      slug: bitbucketSlug(name),
      displayName: init.displayName ?? name,
      email: init.email ?? `${name}@example.com`,
      active: init.active ?? true,
    };
    this.users.set(lc(name), u);
    return u;
  }

  ensureGroup(name: string): SimGroup {
    const known = this.group(name);
    if (known) return known;
    const g: SimGroup = { name, members: new Set() };
    this.groups.set(lc(name), g);
    return g;
  }

  addToken(owner: string, name: string, secret?: string, created = 0): SimToken {
    const tok: SimToken = {
      id: String(this.nextId++),
      owner: lc(owner),
      name,
      ...(secret !== undefined ? { secret } : {}),
      created,
    };
    this.tokens.push(tok);
    return tok;
  }

  removeToken(id: string): SimToken | undefined {
    const i = this.tokens.findIndex((t) => t.id === id);
    return i < 0 ? undefined : this.tokens.splice(i, 1)[0];
  }

  addSshKey(owner: string, label: string): SimSshKey {
    const id = this.nextId++;
    const k: SimSshKey = { id, owner: lc(owner), label, text: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA${id} ${label}` };
    this.sshKeys.push(k);
    return k;
  }

  /** The user a bearer secret belongs to. */
  tokenUser(secret: string): SimUser | undefined {
    const tok = this.tokens.find((t) => t.secret !== undefined && t.secret === secret);
    return tok ? this.users.get(tok.owner) : undefined;
  }

  project(key: string): SimProject | undefined {
    return [...this.projects.values()].find((p) => lc(p.key) === lc(key));
  }

  ensureProject(key: string, name = key): SimProject {
    const known = this.project(key);
    if (known) return known;
    const p: SimProject = { key, name, users: new Map(), repos: new Map() };
    this.projects.set(key, p);
    return p;
  }
}

/** Read-only questions tests and the demo ask of the simulator. */
export class SimState {
  constructor(private readonly models: Readonly<Record<DcProduct, ProductModel>>) {}
  model(product: DcProduct): ProductModel {
    return this.models[product];
  }
  userExists(product: DcProduct, user: string): boolean {
    return this.models[product].user(user) !== undefined;
  }
  isMember(product: DcProduct, user: string, group: string): boolean {
    return this.models[product].group(group)?.members.has(lc(user)) ?? false;
  }
  isActive(product: DcProduct, user: string): boolean {
    const u = this.models[product].user(user);
    if (!u) throw new Error(`${product}: no user ${user}`);
    return u.active;
  }
  groupsOf(product: DcProduct, user: string): string[] {
    return [...this.models[product].groups.values()]
      .filter((g) => g.members.has(lc(user)))
      .map((g) => g.name)
      .sort();
  }
  membersOf(product: DcProduct, group: string): string[] {
    const g = this.models[product].group(group);
    return g ? [...g.members].map((m) => this.models[product].users.get(m)?.name ?? m).sort() : [];
  }
  tokensOf(product: DcProduct, user: string): string[] {
    return this.models[product].tokens.filter((t) => t.owner === lc(user)).map((t) => t.name);
  }
  sshKeysOf(user: string): string[] {
    return this.models.bitbucket.sshKeys.filter((k) => k.owner === lc(user)).map((k) => k.label);
  }
  /** `PROJ:PROJECT_WRITE`, `PROJ/repo:REPO_ADMIN`: the user's direct Bitbucket grants, sorted. */
  grantsOf(user: string): string[] {
    const out: string[] = [];
    for (const p of this.models.bitbucket.projects.values()) {
      const pp = p.users.get(lc(user));
      if (pp) out.push(`${p.key}:${pp}`);
      for (const r of p.repos.values()) {
        const rp = r.users.get(lc(user));
        if (rp) out.push(`${p.key}/${r.slug}:${rp}`);
      }
    }
    return out.sort();
  }
  /** Audit records written so far (REST entity shape), oldest first. */
  auditOf(product: DcProduct): AuditEntity[] {
    return this.models[product].audit.map((a) => a.entity);
  }
}

/** `{epochSecond, nano}` file record → the REST entity shape (shared/samples/dc-audit/*-audit-rest.ndjson). */
export function fileLineToEntity(rec: Record<string, unknown>): AuditEntity | undefined {
  const ts = rec['timestamp'] as { epochSecond?: unknown; nano?: unknown } | undefined;
  const type = rec['auditType'] as Record<string, unknown> | undefined;
  if (!ts || typeof ts.epochSecond !== 'number' || !type) return undefined;
  const ms = ts.epochSecond * 1000 + Math.floor((typeof ts.nano === 'number' ? ts.nano : 0) / 1e6);
  const author = (rec['author'] ?? {}) as Record<string, unknown>;
  return {
    timestamp: new Date(ms).toISOString(),
    author: { ...author, avatarUri: '' },
    type: {
      categoryI18nKey: type['categoryI18nKey'],
      category: type['category'],
      actionI18nKey: type['actionI18nKey'],
      action: type['action'],
    },
    affectedObjects: rec['affectedObjects'] ?? [],
    changedValues: rec['changedValues'] ?? [],
    ...(rec['source'] !== undefined ? { source: rec['source'] } : {}),
    system: rec['system'],
    node: rec['node'],
    method: rec['method'],
    extraAttributes: rec['extraAttributes'] ?? [],
  };
}

/**
 * Appends native audit log lines to `<logDir>/<product>/log/audit/<yyyymmdd>.audit.log`, one synchronous
 * append per line (so a tailer sees each line as soon as the change is made), and keeps each record for the
 * audit REST endpoint.
 */
export class AuditLog {
  private seq = 0;
  constructor(
    private readonly logDir: string,
    private readonly models: Readonly<Record<DcProduct, ProductModel>>,
  ) {}

  /** Writes the record through the scenarios' own line writer (`emitDcAudit`), so both write the same shape. */
  write(r: DcAuditRecord): void {
    // emitDcAudit only calls `declare` and `emit`; this adapter appends instead of buffering.
    const sink = {
      declare: (): void => undefined,
      emit: (rec: { t: number; file: string; text: string }): void => this.append(r.product, rec.file, rec.text, rec.t),
    } as unknown as RecordSink;
    emitDcAudit(sink, r);
  }

  /** Appends a line verbatim (replay) and keeps it for REST when it is a file-format record. */
  append(product: DcProduct, file: string, text: string, t: number): void {
    const path = join(this.logDir, file);
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `${text}\n`);
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      return;
    }
    if (rec === null || typeof rec !== 'object') return;
    const entity = fileLineToEntity(rec as Record<string, unknown>);
    if (entity) this.models[product].audit.push({ t, seq: this.seq++, entity });
  }

  appendRaw(file: string, text: string): void {
    const path = join(this.logDir, file);
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `${text}\n`);
  }
}
