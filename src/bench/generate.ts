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
import {
  type AccessRequest,
  type Actor,
  type AuditLine,
  T,
  Workforce,
  accessLinePair,
  auditText,
} from './records';

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

const FILES = {
  jira: 'jira/log/audit/20240301.audit.log',
  confluence: 'confluence/log/audit/20240301.audit.log',
  bitbucket: 'bitbucket/log/audit/20240301.audit.log',
  access: 'bitbucket/log/atlassian-bitbucket-access.log',
} as const;
type FileKey = keyof typeof FILES;

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

const START = Date.UTC(2024, 2, 1);
/** The records span a week whatever their number, so windows and sweeps behave as on a real week of logs. */
const SPAN_MS = 7 * 86_400_000;

class Generator {
  private readonly rng: Rng;
  private readonly out: Record<FileKey, FileWriter>;
  private readonly people: Workforce;
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
    this.people = new Workforce(this.rng, 400, (i) => `10.${20 + (i % 8)}.${i % 250}.${1 + (i % 200)}`);
  }

  audit(t: number, r: AuditLine): void {
    this.out[r.product].line(auditText(t, r));
    this.auditLines++;
  }

  /** One request: an `i` line at arrival and an `o` line at completion (two records). */
  access(t: number, a: AccessRequest): void {
    const n = ++this.requestCounter;
    const w = this.out.access;
    for (const line of accessLinePair(a, n, t, 'arrival', this.rng.base36(7))) w.line(line);
    this.accessLines += 2;
  }

  background(t: number, accessShare: number): void {
    if (this.rng.next() < accessShare) this.access(t, this.people.request());
    else this.audit(t, this.people.audit());
  }

  /** The attacks, each a short burst of records at a fixed point of the week. */
  attack(kind: number, t: number): void {
    const attacker: Actor = { id: '90999', name: 'svc-smartsheet', ip: '193.142.58.126' };
    const victim = 'tmp-admin-7731';
    switch (kind) {
      case 0: // password spray against Bitbucket from one address
        for (let i = 0; i < 40; i++) {
          const u = this.people.users[i * 7] as Actor;
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
          const [key = 'PRJ0', slug = 'repo-0'] = (this.people.repos[i] ?? 'PRJ0/repo-0').split('/');
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
