/**
 * Who may use the console: one admin account, API tokens, sessions, one-time login links and login
 * rate-limiting, all in the service's SQLite file (tables `auth_*`), so a restart forgets nothing: not the
 * sessions, not the failed logins.
 *
 * Passwords are hashed with scrypt, a per-user salt and the cost parameters stored with the hash
 * (`scrypt$N$r$p$salt$hash`), so the cost can be raised later: a login with a hash below the current cost
 * re-hashes the password. API tokens, session ids and login-link tokens are 256-bit random values; only their
 * SHA-256 is stored (a stolen database opens nothing). Decision 0013.
 */
import {
  createHash,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import type Database from 'better-sqlite3';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP's minimum for scrypt (2^17, 8, 1): 128 MiB and about a quarter of a second per login. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

export interface AuthOptions {
  readonly now?: () => number;
  readonly scrypt?: ScryptParams;
  /** A session ends this long after login, whatever happens (default 12 h). */
  readonly sessionTtlMs?: number;
  /** …or when unused this long (default 1 h). */
  readonly sessionIdleMs?: number;
  /** Failed logins allowed per username and per client address in the window (default 5 per 15 min). */
  readonly maxFailures?: number;
  readonly failureWindowMs?: number;
  /** How long a login link works (default 10 min). */
  readonly loginLinkTtlMs?: number;
}

export interface Session {
  readonly username: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface NewSession extends Session {
  /** The cookie value; not stored, only its hash is. */
  readonly id: string;
}

export type LoginResult =
  | { readonly ok: true; readonly session: NewSession }
  | { readonly ok: false; readonly reason: 'invalid' }
  | { readonly ok: false; readonly reason: 'rate-limited'; readonly retryAfterSeconds: number };

export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly username: string;
  readonly createdAt: number;
  readonly lastUsedAt?: number;
}

const KEY_LEN = 64;
const MIN_PASSWORD = 12;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const random = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** At most this many scrypt computations at once in the process (each takes 128 MiB at the default cost): logins
 *  from many addresses at once wait their turn instead of exhausting memory. */
const MAX_CONCURRENT_HASHES = 2;
let hashing = 0;
const waiting: (() => void)[] = [];

async function limitHashing<T>(f: () => Promise<T>): Promise<T> {
  if (hashing >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  else hashing++;
  try {
    return await f();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return limitHashing(() => scryptNow(password, salt, params));
}

function scryptNow(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, KEY_LEN, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return undefined;
  return {
    params: { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) },
    salt: Buffer.from(m[4] ?? '', 'base64'),
    key: Buffer.from(m[5] ?? '', 'base64'),
  };
}

/** Constant-time comparison of two strings (a length difference shows, the content does not). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A strong generated password: 24 characters from a 64-symbol alphabet (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

interface UserRow {
  username: string;
  hash: string;
}

export class AuthStore {
  private readonly now: () => number;
  private readonly params: ScryptParams;
  private readonly ttl: number;
  private readonly idle: number;
  private readonly maxFailures: number;
  private readonly window: number;
  private readonly linkTtl: number;
  /** Compared against when the username does not exist, so both cases take the same time. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Database.Database,
    opts: AuthOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.params = opts.scrypt ?? DEFAULT_SCRYPT;
    this.ttl = opts.sessionTtlMs ?? 12 * 3_600_000;
    this.idle = opts.sessionIdleMs ?? 3_600_000;
    this.maxFailures = opts.maxFailures ?? 5;
    this.window = opts.failureWindowMs ?? 15 * 60_000;
    this.linkTtl = opts.loginLinkTtlMs ?? 10 * 60_000;
    db.exec(`
      CREATE TABLE IF NOT EXISTS auth_users (
        username TEXT PRIMARY KEY COLLATE NOCASE, hash TEXT NOT NULL, is_admin INTEGER NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS auth_tokens (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, username TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS auth_sessions (
        hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS auth_failures (key TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS auth_failures_key ON auth_failures(key, at);
      CREATE TABLE IF NOT EXISTS auth_login_links (
        hash TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
    `);
  }

  /**
   * Creates the admin account at first start. Returns its generated password only when it created it (for the
   * service to print once); undefined when an account already exists.
   */
  async ensureAdmin(username = 'admin'): Promise<string | undefined> {
    const any = this.db.prepare('SELECT 1 FROM auth_users WHERE is_admin = 1 LIMIT 1').get();
    if (any) return undefined;
    const password = generatePassword();
    const hash = await hashPassword(password, this.params);
    const t = this.now();
    const r = this.db
      .prepare(
        'INSERT OR IGNORE INTO auth_users (username, hash, is_admin, created_at, updated_at) VALUES (?, ?, 1, ?, ?)',
      )
      .run(username, hash, t, t);
    return r.changes === 1 ? password : undefined;
  }

  /** The admin's username (the account login links open), if there is one. */
  adminUsername(): string | undefined {
    const row = this.db.prepare('SELECT username FROM auth_users WHERE is_admin = 1 LIMIT 1').get() as
      { username: string } | undefined;
    return row?.username;
  }

  /** Sets a user's password and ends their sessions. */
  async setPassword(username: string, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD) throw new Error(`a password has at least ${MIN_PASSWORD} characters`);
    if (!this.user(username)) throw new Error(`no user ${username}`);
    const hash = await hashPassword(password, this.params);
    this.db
      .prepare('UPDATE auth_users SET hash = ?, updated_at = ? WHERE username = ?')
      .run(hash, this.now(), username);
    this.db.prepare('DELETE FROM auth_sessions WHERE username = ?').run(this.user(username)?.username);
  }

  /** Checks a password in constant time; an unknown user costs the same as a wrong password. */
  async verifyPassword(username: string, password: string): Promise<boolean> {
    const row = this.user(username);
    const stored = row?.hash ?? (await (this.dummyHash ??= hashPassword(random(), this.params)));
    const parsed = parseHash(stored);
    if (!parsed) return false;
    const key = await scrypt(password, parsed.salt, parsed.params);
    const ok = key.length === parsed.key.length && timingSafeEqual(key, parsed.key) && row !== undefined;
    if (
      ok &&
      row &&
      (parsed.params.N < this.params.N || parsed.params.r < this.params.r || parsed.params.p < this.params.p)
    ) {
      const hash = await hashPassword(password, this.params);
      this.db.prepare('UPDATE auth_users SET hash = ? WHERE username = ?').run(hash, row.username);
    }
    return ok;
  }

  /** The stored hash, for tests and diagnostics. */
  storedHash(username: string): string | undefined {
    return this.user(username)?.hash;
  }

  /**
   * Logs in, unless the username or the client address has had `maxFailures` failed logins in the window: then
   * the password is not even checked, and the answer says when to try again.
   */
  async login(username: string, password: string, address: string): Promise<LoginResult> {
    const keys = [`user:${username.toLowerCase()}`, `addr:${address}`];
    // Checked and counted as a failure in one synchronous step, before the (slow, asynchronous) password check:
    // attempts sent in parallel are counted too. A success takes its own failure back.
    const t = this.now();
    const attempt = this.db.transaction((): number[] | { wait: number } => {
      const wait = Math.max(...keys.map((k) => this.retryAfter(k, t)));
      if (wait > 0) return { wait };
      this.db.prepare('DELETE FROM auth_failures WHERE at <= ?').run(t - this.window);
      const ins = this.db.prepare('INSERT INTO auth_failures (key, at) VALUES (?, ?)');
      return keys.map((k) => Number(ins.run(k, t).lastInsertRowid));
    })();
    if (!Array.isArray(attempt))
      return { ok: false, reason: 'rate-limited', retryAfterSeconds: attempt.wait };
    if (!(await this.verifyPassword(username, password))) return { ok: false, reason: 'invalid' };
    const del = this.db.prepare('DELETE FROM auth_failures WHERE rowid = ?');
    for (const id of attempt) del.run(id);
    this.db.prepare('DELETE FROM auth_failures WHERE key = ?').run(keys[0]);
    const user = this.user(username);
    return { ok: true, session: this.createSession(user?.username ?? username) };
  }

  /** Seconds until the key may try again (0: now). */
  private retryAfter(key: string, t: number): number {
    const rows = this.db
      .prepare('SELECT at FROM auth_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?')
      .all(key, t - this.window, this.maxFailures) as { at: number }[];
    if (rows.length < this.maxFailures) return 0;
    const oldest = rows[rows.length - 1]?.at ?? t;
    return Math.max(1, Math.ceil((oldest + this.window - t) / 1000));
  }

  private createSession(username: string): NewSession {
    const id = random();
    const t = this.now();
    const s: NewSession = { id, username, csrfToken: random(), createdAt: t, expiresAt: t + this.ttl };
    this.db
      .prepare(
        'INSERT INTO auth_sessions (hash, username, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(sha256(id), username, s.csrfToken, t, t, s.expiresAt);
    return s;
  }

  /** The live session with this id (and marks it used), or undefined when unknown, expired or idle too long. */
  session(id: string, touch = true): Session | undefined {
    const t = this.now();
    const hash = sha256(id);
    const row = this.db
      .prepare(
        'SELECT username, csrf, created_at, last_seen_at, expires_at FROM auth_sessions WHERE hash = ?',
      )
      .get(hash) as
      | { username: string; csrf: string; created_at: number; last_seen_at: number; expires_at: number }
      | undefined;
    if (!row) return undefined;
    if (t >= row.expires_at || t - row.last_seen_at >= this.idle || !this.user(row.username)) {
      this.db.prepare('DELETE FROM auth_sessions WHERE hash = ?').run(hash);
      return undefined;
    }
    if (touch) this.db.prepare('UPDATE auth_sessions SET last_seen_at = ? WHERE hash = ?').run(t, hash);
    return {
      username: row.username,
      csrfToken: row.csrf,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  logout(id: string): void {
    this.db.prepare('DELETE FROM auth_sessions WHERE hash = ?').run(sha256(id));
    this.db.prepare('DELETE FROM auth_sessions WHERE expires_at <= ?').run(this.now());
  }

  /** A new API token; the secret is returned here only. */
  createToken(name: string, username: string): { id: string; token: string } {
    if (name.trim() === '') throw new Error('a token needs a name');
    const id = random(9);
    const token = `bkh_${random()}`;
    this.db
      .prepare('INSERT INTO auth_tokens (id, name, username, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, name, username, sha256(token), this.now());
    return { id, token };
  }

  listTokens(): TokenInfo[] {
    const rows = this.db
      .prepare(
        'SELECT id, name, username, created_at, last_used_at FROM auth_tokens WHERE revoked_at IS NULL ORDER BY created_at, id',
      )
      .all() as {
      id: string;
      name: string;
      username: string;
      created_at: number;
      last_used_at: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      username: r.username,
      createdAt: r.created_at,
      ...(r.last_used_at !== null ? { lastUsedAt: r.last_used_at } : {}),
    }));
  }

  /** True when a live token was revoked. */
  revokeToken(id: string): boolean {
    return (
      this.db
        .prepare('UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(this.now(), id).changes === 1
    );
  }

  /** The token's owner and name, or undefined for an unknown or revoked token. Looked up by hash. */
  verifyToken(token: string): TokenInfo | undefined {
    const row = this.db
      .prepare('SELECT id, name, username, created_at FROM auth_tokens WHERE hash = ? AND revoked_at IS NULL')
      .get(sha256(token)) as { id: string; name: string; username: string; created_at: number } | undefined;
    if (!row) return undefined;
    const t = this.now();
    this.db.prepare('UPDATE auth_tokens SET last_used_at = ? WHERE id = ?').run(t, row.id);
    return { id: row.id, name: row.name, username: row.username, createdAt: row.created_at, lastUsedAt: t };
  }

  /** A token that logs the admin in once, within 10 minutes (for the demo to print a link). */
  createLoginLink(username = this.adminUsername()): string {
    if (username === undefined || !this.user(username)) throw new Error('no account to log in as');
    const token = random();
    this.db
      .prepare('INSERT INTO auth_login_links (hash, username, expires_at) VALUES (?, ?, ?)')
      .run(sha256(token), username, this.now() + this.linkTtl);
    return token;
  }

  /** Spends a login link: a new session, or undefined when the link is unknown, used or expired. */
  redeemLoginLink(token: string): NewSession | undefined {
    const t = this.now();
    const hash = sha256(token);
    const row = this.db.transaction(() => {
      const r = this.db
        .prepare(
          'SELECT username FROM auth_login_links WHERE hash = ? AND used_at IS NULL AND expires_at > ?',
        )
        .get(hash, t) as { username: string } | undefined;
      if (r) this.db.prepare('UPDATE auth_login_links SET used_at = ? WHERE hash = ?').run(t, hash);
      return r;
    })();
    if (!row || !this.user(row.username)) return undefined;
    return this.createSession(row.username);
  }

  private user(username: string): UserRow | undefined {
    return this.db.prepare('SELECT username, hash FROM auth_users WHERE username = ?').get(username) as
      UserRow | undefined;
  }
}
