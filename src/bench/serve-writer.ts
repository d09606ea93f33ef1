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
 * Phases: `warmup` (history: the `warmupSeconds` before the start at `rate`, event times in the past, written as
 * fast as the disk takes them; the writer then waits for the parent's `go`, sent once the service has read it
 * all), `idle` (canaries only, the latency baseline), then `load` (canaries and background at `rate`).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Rng } from '../scenarios/rng';
import { yyyymmdd } from '../scenarios/formats/time';
import { type Actor, type Product, T, Workforce, accessLinePair, auditText } from './records';

export interface WriterArgs {
  readonly root: string;
  readonly warmupSeconds: number;
  readonly idleSeconds: number;
  readonly loadSeconds: number;
  /** Lines per second in the load phase (audit and access lines together, canaries included). */
  readonly rate: number;
  readonly users: number;
  readonly seed: number;
  readonly canaryEveryMs: number;
}

export type WriterPhase = 'warmup' | 'idle' | 'load';

export type WriterMessage =
  | { readonly type: 'phase'; readonly phase: WriterPhase; readonly at: number }
  | {
      readonly type: 'canary';
      readonly phase: 'idle' | 'load';
      readonly key: string;
      readonly product: Product;
      readonly at: number;
    }
  | {
      readonly type: 'done';
      readonly phase: WriterPhase;
      readonly lines: number;
      readonly accessLines: number;
      readonly canaries: number;
      readonly ms: number;
      /** Ticks that wrote later than 50 ms after they were due (the writer itself falling behind). */
      readonly lateTicks: number;
    };

/** The service's folders under `root`, as `bulkhead serve` would be configured for a DC installation. */
export const SERVE_DIRS = {
  jira: 'jira/log/audit',
  confluence: 'confluence/log/audit',
  bitbucket: 'bitbucket/log/audit',
  access: 'bitbucket/log',
} as const;
export const ACCESS_LOG_MATCH = /^atlassian-bitbucket-access.*\.log$/;
export const AUDIT_LOG_MATCH = /\.audit\.log$/;

const ADMIN_GROUP: Record<Product, string> = {
  jira: 'jira-administrators',
  confluence: 'confluence-administrators',
  bitbucket: 'stash-admins',
};

/** Share of lines that are access-log lines (an `i` and an `o` line per request), as in the batch benchmark. */
const ACCESS_SHARE = 0.3;

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
  private readonly people: Workforce;
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
    // One address per person (the batch generator's formula repeats addresses beyond 1,000 people).
    this.people = new Workforce(
      this.rng,
      args.users,
      (i) => `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
    );
  }

  /** Picks today's file names; returns nothing. */
  private roll(t: number): void {
    const day = `${yyyymmdd(t)}.audit.log`;
    this.files.jira.use(day);
    this.files.confluence.use(day);
    this.files.bitbucket.use(day);
    this.files.access.use('atlassian-bitbucket-access.log');
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
      const line = this.people.audit();
      this.files[line.product].add(auditText(t, line));
      written++;
    }
    this.lines += written;
  }

  /** A request that completes now: its `i` line (arrival, its duration ago) and its `o` line. */
  private access(t: number): void {
    const request = this.people.request();
    const w = this.files.access;
    for (const line of accessLinePair(request, ++this.requests, t, 'completion', this.rng.base36(7)))
      w.add(line);
    this.accessLines += 2;
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
      auditText(t, {
        product,
        type: T.addedToGroup,
        author: admin,
        source: admin.ip,
        affected: [
          { name: ADMIN_GROUP[product], type: 'GROUP' },
          { name: `canary-user-${n}`, type: 'USER' },
        ],
      }),
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

/** The `seconds` before now at `rate`, as one burst: a service that has been running has its windows filled. */
function history(w: Writer, seconds: number, rate: number): void {
  const started = Date.now();
  send({ type: 'phase', phase: 'warmup', at: started });
  const lines0 = w.lines;
  const access0 = w.accessLines;
  const STEP_MS = 100;
  for (let t = started - seconds * 1000; t < started; t += STEP_MS) {
    // Catch up to rate × elapsed event time, as the load phase does.
    const owed = Math.floor(((t + STEP_MS - (started - seconds * 1000)) * rate) / 1000) - (w.lines - lines0);
    if (owed > 0) w.background(t, owed);
    // Every simulated second: the writer buffers what it has not flushed, and millions of lines overflow a string.
    if ((t - started) % 1000 === 0) w.flush();
  }
  w.flush();
  send({
    type: 'done',
    phase: 'warmup',
    lines: w.lines - lines0,
    accessLines: w.accessLines - access0,
    canaries: 0,
    ms: Date.now() - started,
    lateTicks: 0,
  });
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as WriterArgs;
  const w = new Writer(args);
  try {
    if (args.warmupSeconds > 0) {
      history(w, args.warmupSeconds, args.rate);
      await new Promise<void>((resolve) => process.once('message', () => resolve()));
    }
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
