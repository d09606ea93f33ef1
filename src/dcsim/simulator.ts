/**
 * A local simulator of Jira, Confluence and Bitbucket Data Center, for tests and the demo: one loopback HTTP
 * server hosting the three products under `/jira`, `/confluence` and `/bitbucket` (each is a product's base
 * URL), over a stateful model (model.ts).
 *
 * What is simulated, and from which documented behaviour:
 *  - the REST calls Bulkhead's containment makes (routes.ts; the table in src/dc/endpoints.ts names each
 *    call's documentation), with the products' paging fields and error bodies (Jira `errorMessages`/`errors`,
 *    Confluence `statusCode`/`message`, Bitbucket `errors[{context,message,exceptionName}]`);
 *  - authentication by personal access token sent as `Authorization: Bearer` (401 without a known token),
 *    and 403 on administration calls when the token's owner is not in a system-administrator group;
 *  - `GET /rest/auditing/1.0/events` (from, to, offset, limit, pageCursor "epochMs,id"; newest first;
 *    `{entities, pagingInfo}`), returning what the simulator wrote, in the REST entity shape of the public
 *    samples;
 *  - the native audit log: every change appends the line a real node writes to
 *    `<logDir>/<product>/log/audit/<yyyymmdd>.audit.log`, synchronously, author = the acting admin;
 *  - scenario replay: `replay` appends a pre-generated audit line verbatim and applies its effect to the model
 *    (as the product did when it wrote the line); `replayAccess` appends Bitbucket access log lines;
 *  - faults on demand: the next N matching requests answer 429 with Retry-After, 500/503, never answer, or
 *    make the change and never answer (the answer lost on the way back).
 *
 * Not simulated: users' own sessions and UI, rate limiting beyond injected faults, websudo, directory
 * synchronisation (LDAP/Crowd), group-granted project permissions, and everything not in endpoints.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DC_PRODUCTS, isDcProduct, type DcProduct } from '../dc/endpoints';
import { parseLine } from '../parsers';
import type { AuditEvent } from '../core/event';
import { dcAuditFile } from '../scenarios/formats/dc-audit';
import { AuditLog, ProductModel, SimState, type AuditEntity } from './model';
import { HttpFail, ROUTES, type Ctx, type Reply } from './routes';

export interface SimUserSeed {
  readonly name: string;
  readonly displayName?: string;
  readonly email?: string;
  readonly active?: boolean;
  readonly groups?: readonly string[];
  /** Personal access tokens: the secret is what a client sends as the bearer token. */
  readonly tokens?: readonly { readonly name: string; readonly secret: string }[];
  /** Bitbucket SSH key labels. */
  readonly sshKeys?: readonly string[];
}

export interface SimProjectSeed {
  readonly key: string;
  readonly name?: string;
  readonly repos?: readonly string[];
  /** Direct project grants: user → PROJECT_READ | PROJECT_WRITE | PROJECT_ADMIN. */
  readonly users?: Readonly<Record<string, string>>;
  /** Direct repository grants: repo slug → user → REPO_READ | REPO_WRITE | REPO_ADMIN. */
  readonly repoUsers?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface SimProductSeed {
  readonly users?: readonly SimUserSeed[];
  readonly groups?: readonly string[];
  /** Bitbucket only. */
  readonly projects?: readonly SimProjectSeed[];
}

export type SimSeed = Partial<Record<DcProduct, SimProductSeed>>;

export interface DcSimulatorOptions {
  /** Where the products' logs go: `<logDir>/<product>/log/audit/…`, `<logDir>/bitbucket/log/atlassian-bitbucket-access.log`. */
  readonly logDir: string;
  /** Initial state; default `defaultDcSeed()`. */
  readonly seed?: SimSeed;
  /** Groups whose members are system administrators (may call admin endpoints). */
  readonly sysAdminGroups?: Partial<Record<DcProduct, readonly string[]>>;
  /** The clock audit records are stamped with. Default Date.now. */
  readonly now?: () => number;
  /** Default 0: an ephemeral port. */
  readonly port?: number;
}

export const DEFAULT_SYSADMIN_GROUPS: Record<DcProduct, readonly string[]> = {
  jira: ['jira-system-administrators', 'jira-administrators'],
  confluence: ['confluence-administrators'],
  bitbucket: ['stash-admins', 'bitbucket-admins', 'sys-admins'],
};

/** The admin token Bulkhead uses against the simulator, per product. */
export const simAdminToken = (p: DcProduct): string => `bulkhead-${p}-admin-token`;
/** The token of `carol`, an ordinary user (for 403 paths). */
export const simUserToken = (p: DcProduct): string => `carol-${p}-token`;

/**
 * A small site: `bulkhead` (the service's admin account, with a token), two more administrators (so the
 * last-admin guard does not trip), `carol` (an ordinary user with a token), the products' standard groups,
 * and on Bitbucket two projects with repositories.
 */
export function defaultDcSeed(): SimSeed {
  const base = (p: DcProduct, adminGroup: string, userGroup: string): SimProductSeed => ({
    groups: [adminGroup, userGroup],
    users: [
      { name: 'bulkhead', displayName: 'Bulkhead', groups: [adminGroup, userGroup], tokens: [{ name: 'bulkhead', secret: simAdminToken(p) }] },
      { name: 'alice.admin', displayName: 'Alice Admin', groups: [adminGroup, userGroup] },
      { name: 'bob.admin', displayName: 'Bob Admin', groups: [adminGroup, userGroup] },
      { name: 'carol', displayName: 'Carol User', groups: [userGroup], tokens: [{ name: 'laptop', secret: simUserToken(p) }] },
    ],
  });
  const jira = base('jira', 'jira-administrators', 'jira-software-users');
  const confluence = base('confluence', 'confluence-administrators', 'confluence-users');
  const bb = base('bitbucket', 'stash-admins', 'stash-users');
  return {
    jira: { ...jira, groups: [...(jira.groups ?? []), 'jira-system-administrators'] },
    confluence,
    bitbucket: {
      ...bb,
      projects: [
        { key: 'PLAT', name: 'Platform', repos: ['platform-core', 'platform-infra'], users: { carol: 'PROJECT_READ' } },
        { key: 'SEC', name: 'Security', repos: ['secrets-scanner'] },
      ],
    },
  };
}

/** A fault served instead of the real answer to the next `times` matching requests. */
export interface SimFault {
  /** `hang`: never answers; `lose-answer`: makes the change, then never answers (a timeout after success). */
  readonly kind: 429 | 500 | 503 | 'hang' | 'lose-answer';
  readonly times: number;
  readonly product?: DcProduct;
  readonly method?: string;
  /** Matched against the product-relative path (`/rest/api/2/group/user`): a prefix, or a RegExp. */
  readonly path?: string | RegExp;
  /** For 429; default 1. */
  readonly retryAfterSeconds?: number;
}

export interface ReplayResult {
  /** The file the line was appended to, relative to logDir. */
  readonly file: string;
  readonly events: readonly AuditEvent[];
  /** Why the line could not be parsed, if it could not (it is appended all the same). */
  readonly rejects: readonly string[];
  /** What the line changed in the model, e.g. `added svc-x to jira-administrators`. */
  readonly applied: readonly string[];
}

const ACCESS_LOG = 'bitbucket/log/atlassian-bitbucket-access.log';

export class DcSimulator {
  readonly state: SimState;
  /** Requests served, as `product METHOD path?query status` (for tests). */
  readonly requests: string[] = [];
  private readonly models: Record<DcProduct, ProductModel>;
  private readonly audit: AuditLog;
  private readonly now: () => number;
  private readonly sysAdmin: Record<DcProduct, readonly string[]>;
  private readonly faults: { f: SimFault; left: number }[] = [];
  private readonly hung = new Set<ServerResponse>();
  private server: Server | undefined;
  private base = '';
  private replayLines = 0;

  private constructor(private readonly opts: DcSimulatorOptions) {
    this.models = { jira: new ProductModel('jira'), confluence: new ProductModel('confluence'), bitbucket: new ProductModel('bitbucket') };
    this.state = new SimState(this.models);
    this.audit = new AuditLog(opts.logDir, this.models);
    this.now = opts.now ?? Date.now;
    this.sysAdmin = { ...DEFAULT_SYSADMIN_GROUPS, ...opts.sysAdminGroups } as Record<DcProduct, readonly string[]>;
    this.applySeed(opts.seed ?? defaultDcSeed());
  }

  /** Seeds the model and listens on 127.0.0.1 (ephemeral port unless `port` is given). */
  static async start(opts: DcSimulatorOptions): Promise<DcSimulator> {
    const sim = new DcSimulator(opts);
    await sim.listen(opts.port ?? 0);
    return sim;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    return this.base;
  }

  /** A product's base URL, e.g. `http://127.0.0.1:PORT/jira`. */
  baseUrl(product: DcProduct): string {
    return `${this.base}/${product}`;
  }

  /** Queues a fault for the next `times` matching requests. */
  inject(f: SimFault): void {
    this.faults.push({ f, left: f.times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  async close(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.hung.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve, reject) => s.close((err) => (err ? reject(err) : resolve())));
  }

  // ------------------------------------------------------------------------------------------------ replay

  /**
   * Appends a pre-generated native audit line (a scenario's) verbatim to the product's audit log file for the
   * line's day, and applies its effect to the model: user created/deleted/(de)activated, group created/deleted,
   * user added to/removed from group, personal access token created/revoked, SSH key added/removed.
   */
  replay(product: DcProduct, lineText: string): ReplayResult {
    const text = lineText.replace(/\r?\n$/, '');
    const out = parseLine(text, { file: `replay/${product}`, line: ++this.replayLines }, 'dc-audit-file', { product });
    const t = out.events[0]?.['@timestamp'] ?? this.now();
    const file = dcAuditFile(product, t);
    this.audit.append(product, file, text, t);
    const applied: string[] = [];
    for (const e of out.events) applied.push(...this.apply(product, e));
    return { file, events: out.events, rejects: out.rejects.map((r) => r.reason), applied };
  }

  /** Appends a Bitbucket access log line verbatim to `bitbucket/log/atlassian-bitbucket-access.log`. */
  replayAccess(lineText: string): string {
    this.audit.appendRaw(ACCESS_LOG, lineText.replace(/\r?\n$/, ''));
    return ACCESS_LOG;
  }

  private apply(product: DcProduct, e: AuditEvent): string[] {
    const m = this.models[product];
    const user = e['user.target.name'];
    const group = e['group.name'];
    const attrs = e['atlassian.attributes'] ?? {};
    switch (e['event.action']) {
      case 'user.created': {
        if (user === undefined) return [];
        const init: { id?: string; active?: boolean } = {};
        if (e['user.target.id'] !== undefined) init.id = e['user.target.id'];
        if (attrs['active / inactive'] === 'Inactive') init.active = false;
        m.ensureUser(user, init);
        return [`created ${user}`];
      }
      case 'user.deleted': {
        if (user === undefined) return [];
        m.users.delete(user.toLowerCase());
        for (const g of m.groups.values()) g.members.delete(user.toLowerCase());
        return [`deleted ${user}`];
      }
      case 'user.deactivated':
      case 'user.activated':
      case 'user.updated': {
        if (user === undefined) return [];
        const active =
          e['event.action'] === 'user.deactivated'
            ? false
            : e['event.action'] === 'user.activated'
              ? true
              : attrs['active / inactive'] === 'Inactive'
                ? false
                : attrs['active / inactive'] === 'Active'
                  ? true
                  : undefined;
        if (active === undefined) return [];
        m.ensureUser(user).active = active;
        return [`${active ? 'activated' : 'deactivated'} ${user}`];
      }
      case 'group.created':
        if (group === undefined) return [];
        m.ensureGroup(group);
        return [`created group ${group}`];
      case 'group.deleted':
        if (group === undefined) return [];
        m.groups.delete(group.toLowerCase());
        return [`deleted group ${group}`];
      case 'group.member.added':
        if (user === undefined || group === undefined) return [];
        m.ensureUser(user, e['user.target.id'] !== undefined ? { id: e['user.target.id'] } : {});
        m.ensureGroup(group).members.add(user.toLowerCase());
        return [`added ${user} to ${group}`];
      case 'group.member.removed':
        if (user === undefined || group === undefined) return [];
        m.group(group)?.members.delete(user.toLowerCase());
        return [`removed ${user} from ${group}`];
      case 'token.personal.created': {
        const owner = user ?? e['user.name'];
        if (owner === undefined) return [];
        m.ensureUser(owner);
        const name = e['atlassian.token.name'] ?? 'token';
        m.addToken(owner, name, undefined, e['@timestamp']);
        return [`token ${name} for ${owner}`];
      }
      case 'token.personal.revoked': {
        const owner = (user ?? e['user.name'])?.toLowerCase();
        const name = e['atlassian.token.name'];
        const tok = m.tokens.find((t) => t.owner === owner && (name === undefined || t.name === name));
        if (!tok) return [];
        m.removeToken(tok.id);
        return [`revoked token ${tok.name} of ${owner ?? '?'}`];
      }
      case 'ssh.key.added': {
        const owner = user ?? e['user.name'];
        if (owner === undefined || product !== 'bitbucket') return [];
        m.ensureUser(owner);
        m.addSshKey(owner, attrs['key label'] ?? attrs['label'] ?? 'key');
        return [`SSH key for ${owner}`];
      }
      case 'ssh.key.removed': {
        const owner = (user ?? e['user.name'])?.toLowerCase();
        const i = m.sshKeys.findIndex((k) => k.owner === owner);
        if (i < 0) return [];
        m.sshKeys.splice(i, 1);
        return [`removed an SSH key of ${owner ?? '?'}`];
      }
      default:
        return [];
    }
  }

  // -------------------------------------------------------------------------------------------------- seed

  private applySeed(seed: SimSeed): void {
    for (const p of DC_PRODUCTS) {
      const s = seed[p];
      if (!s) continue;
      const m = this.models[p];
      for (const g of s.groups ?? []) m.ensureGroup(g);
      for (const u of s.users ?? []) {
        m.ensureUser(u.name, {
          ...(u.displayName !== undefined ? { displayName: u.displayName } : {}),
          ...(u.email !== undefined ? { email: u.email } : {}),
          ...(u.active !== undefined ? { active: u.active } : {}),
        });
        for (const g of u.groups ?? []) m.ensureGroup(g).members.add(u.name.toLowerCase());
        for (const t of u.tokens ?? []) m.addToken(u.name, t.name, t.secret);
        for (const k of u.sshKeys ?? []) m.addSshKey(u.name, k);
      }
      for (const ps of s.projects ?? []) {
        const proj = m.ensureProject(ps.key, ps.name);
        for (const r of ps.repos ?? []) proj.repos.set(r, { slug: r, name: r, users: new Map() });
        for (const [u, perm] of Object.entries(ps.users ?? {})) proj.users.set(u.toLowerCase(), perm);
        for (const [slug, grants] of Object.entries(ps.repoUsers ?? {})) {
          const repo = proj.repos.get(slug) ?? { slug, name: slug, users: new Map<string, string>() };
          proj.repos.set(slug, repo);
          for (const [u, perm] of Object.entries(grants)) repo.users.set(u.toLowerCase(), perm);
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------------- HTTP

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: (err as Error).message }));
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${addr.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = (req.method ?? 'GET').toUpperCase();
    const m = /^\/([a-z]+)(\/.*)$/.exec(url.pathname);
    const raw = await readBody(req);
    const product = m?.[1];
    if (!m || product === undefined || !isDcProduct(product)) {
      this.send(res, 404, { message: `no product at ${url.pathname}` });
      return;
    }
    const path = m[2] as string;
    const log = (status: number | string): void => {
      this.requests.push(`${product} ${method} ${path}${url.search} ${status}`);
    };

    const fault = this.takeFault(product, method, path);
    if (fault?.kind === 'lose-answer') {
      const reply = this.dispatch(product, method, path, url.searchParams, raw, req);
      log(`${reply.status} lost`);
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    if (fault) {
      log(fault.kind);
      if (fault.kind === 'hang') {
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.kind === 429) headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
      res.writeHead(fault.kind, headers);
      res.end(JSON.stringify(errorBody(product, fault.kind, fault.kind === 429 ? 'Rate limit exceeded' : 'Internal server error')));
      return;
    }

    const reply = this.dispatch(product, method, path, url.searchParams, raw, req);
    log(reply.status);
    this.send(res, reply.status, reply.body);
  }

  private dispatch(product: DcProduct, method: string, path: string, query: URLSearchParams, raw: string, req: IncomingMessage): Reply {
    const model = this.models[product];
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    const me = bearer !== undefined ? model.tokenUser(bearer) : undefined;
    if (!me || !me.active) {
      return { status: 401, body: errorBody(product, 401, 'Client must be authenticated to access this resource.') };
    }
    const isAdmin = this.sysAdmin[product].some((g) => model.group(g)?.members.has(me.name.toLowerCase()));

    if (path === '/rest/auditing/1.0/events') {
      if (method !== 'GET') return { status: 405, body: errorBody(product, 405, 'Method not allowed') };
      if (!isAdmin) return { status: 403, body: errorBody(product, 403, 'You are not permitted to access this resource') };
      return { status: 200, body: this.auditPage(model, query) };
    }

    let body: unknown;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return { status: 400, body: errorBody(product, 400, 'The request body is not valid JSON') };
      }
    }
    const candidates = ROUTES[product].filter((r) => r.path.test(path));
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      return candidates.length > 0
        ? { status: 405, body: errorBody(product, 405, `${method} is not supported on ${path}`) }
        : { status: 404, body: errorBody(product, 404, `null for uri: ${path}`) };
    }
    if (route.admin && !isAdmin) {
      return {
        status: 403,
        body: errorBody(
          product,
          403,
          product === 'bitbucket'
            ? 'You are not permitted to access this resource'
            : `The user ${me.name} does not have permission to complete this operation`,
          'com.atlassian.bitbucket.AuthorisationException',
        ),
      };
    }
    const match = route.path.exec(path) as RegExpExecArray;
    let params: string[];
    try {
      params = match.slice(1).map((s) => decodeURIComponent(s));
    } catch {
      return { status: 400, body: errorBody(product, 400, 'malformed path') };
    }
    const ctx: Ctx = {
      product,
      model,
      audit: this.audit,
      now: this.now,
      me,
      isAdmin,
      query,
      body,
      params,
      ip: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    };
    try {
      return route.handle(ctx);
    } catch (err) {
      if (err instanceof HttpFail) return { status: err.status, body: errorBody(product, err.status, err.message, err.exceptionName) };
      throw err;
    }
  }

  private auditPage(model: ProductModel, q: URLSearchParams): unknown {
    const from = q.get('from') ? Date.parse(q.get('from') as string) : Number.NEGATIVE_INFINITY;
    const to = q.get('to') ? Date.parse(q.get('to') as string) : Number.POSITIVE_INFINITY;
    const limit = Math.min(10_000, Math.max(1, Number(q.get('limit') ?? 200) || 200));
    const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    // Newest first, as the products return them; ties by insertion.
    let rows = model.audit
      .filter((a) => a.t >= from && a.t <= to)
      .sort((a, b) => b.t - a.t || b.seq - a.seq);
    const cursor = q.get('pageCursor');
    if (cursor) {
      const [ct, cid] = cursor.split(',').map(Number);
      rows = rows.filter((a) => a.t < (ct as number) || (a.t === ct && a.seq < (cid as number)));
    }
    const pageRows = rows.slice(offset, offset + limit);
    const last = pageRows[pageRows.length - 1];
    const more = offset + limit < rows.length && last !== undefined;
    const entities: AuditEntity[] = pageRows.map((a) => a.entity);
    return {
      entities,
      pagingInfo: { blockSize: limit, offset, size: entities.length, ...(more ? { nextPageCursor: `${last.t},${last.seq}` } : {}) },
    };
  }

  private takeFault(product: DcProduct, method: string, path: string): SimFault | undefined {
    for (const x of this.faults) {
      if (x.left <= 0) continue;
      const f = x.f;
      if (f.product !== undefined && f.product !== product) continue;
      if (f.method !== undefined && f.method.toUpperCase() !== method) continue;
      if (f.path !== undefined && !(typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(path))) continue;
      x.left--;
      return f;
    }
    return undefined;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** Each product's JSON error shape. */
export function errorBody(product: DcProduct, status: number, message: string, exceptionName?: string): unknown {
  switch (product) {
    case 'jira':
      return { errorMessages: [message], errors: {} };
    case 'confluence':
      return {
        statusCode: status,
        data: { authorized: status !== 401 && status !== 403, valid: status < 400 || status >= 500, errors: [], successful: false },
        message,
        reason: STATUS_REASON[status] ?? 'Error',
      };
    case 'bitbucket':
      return {
        errors: [
          {
            context: null,
            message,
            exceptionName:
              exceptionName ??
              (status === 401 || status === 403
                ? 'com.atlassian.bitbucket.AuthorisationException'
                : 'com.atlassian.bitbucket.ServiceException'),
          },
        ],
      };
  }
}

const STATUS_REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
