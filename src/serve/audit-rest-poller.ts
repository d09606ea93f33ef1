/**
 * Polls a Data Center product's audit REST API (`GET /rest/auditing/1.0/events`) where its log files are out
 * of reach, and appends what it returns, one entity per line, to a spool file in the state folder. The
 * pipeline tails the spool like any other log, so REST-polled events go through the same ordering, the same
 * resume point and the same exactly-once commit as tailed ones.
 *
 * The spool is also the cursor: on start the poller reads the newest spool file's last lines to learn the
 * latest time it stored and which entities it stored at that time. Entities carry no id, so an entity is known
 * by its text. A poller killed between fetching and appending fetches the same entities again; one killed
 * after appending finds them in the spool. Either way each entity is spooled once.
 *
 * The API (Jira, Confluence, Bitbucket DC 7.x+/8.x): `from`/`to` ISO 8601 times, `limit`, and `pageCursor`
 * taken from the previous page's `pagingInfo.nextPageCursor`; pages run newest first.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Product } from '../core/event';

export interface AuditRestSource {
  readonly product: Exclude<Product, 'org'>;
  readonly baseUrl: string;
  readonly token: string;
}

export interface PollerOptions {
  readonly source: AuditRestSource;
  readonly spoolDir: string;
  /** How far back to start when the spool is empty (default one day): the history the API still holds. */
  readonly backfillMs?: number;
  readonly pageSize?: number;
  /** Most pages per poll, so one poll cannot run unbounded (default 50). */
  readonly maxPages?: number;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export interface PollResult {
  readonly fetched: number;
  readonly spooled: number;
}

/** Spool files of one product: `<product>-<yyyymmdd>.audit-rest.ndjson`, by the entities' UTC day. */
export const spoolPattern = (product: string): RegExp =>
  new RegExp(`^${product}-\\d{8}\\.audit-rest\\.ndjson$`);

const TAIL_BYTES = 1 << 20;

export class AuditRestPoller {
  private cursor: { at: number; seen: Set<string> } | undefined;

  constructor(private readonly opts: PollerOptions) {}

  /** One poll: fetch everything from the cursor on, spool what is new, in time order. */
  async poll(): Promise<PollResult> {
    const cursor = (this.cursor ??= this.readCursor());
    const entities = await this.fetchSince(cursor.at);
    const fresh: { at: number; text: string }[] = [];
    for (const e of entities) {
      const at = Date.parse(String((e as { timestamp?: unknown }).timestamp));
      if (!Number.isFinite(at)) continue; // kept out of the spool: the parser would only reject it
      const text = JSON.stringify(e);
      if (at < cursor.at || (at === cursor.at && cursor.seen.has(digest(text)))) continue;
      fresh.push({ at, text });
    }
    fresh.sort((a, b) => a.at - b.at);
    const seenText = new Set<string>();
    const lines = fresh.filter((f) => !seenText.has(f.text) && seenText.add(f.text));
    this.append(lines);
    for (const l of lines) {
      if (l.at > cursor.at) this.cursor = { at: l.at, seen: new Set() };
      this.cursor?.seen.add(digest(l.text));
    }
    return { fetched: entities.length, spooled: lines.length };
  }

  private async fetchSince(from: number): Promise<unknown[]> {
    const { baseUrl, token } = this.opts.source;
    const out: unknown[] = [];
    let pageCursor: string | undefined;
    for (let page = 0; page < (this.opts.maxPages ?? 50); page++) {
      const url = new URL(`${baseUrl.replace(/\/$/, '')}/rest/auditing/1.0/events`);
      url.searchParams.set('from', new Date(from).toISOString());
      url.searchParams.set('limit', String(this.opts.pageSize ?? 500));
      if (pageCursor) url.searchParams.set('pageCursor', pageCursor);
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
      if (!res.ok) {
        const body = (await res.text()).slice(0, 200);
        throw new Error(
          `${this.opts.source.product} audit REST: GET ${url.pathname} answered ${res.status}: ${body}`,
        );
      }
      const json = (await res.json()) as {
        entities?: unknown[];
        pagingInfo?: { nextPageCursor?: string };
      };
      if (!Array.isArray(json.entities)) {
        throw new Error(`${this.opts.source.product} audit REST: the answer has no entities array`);
      }
      out.push(...json.entities);
      pageCursor = json.pagingInfo?.nextPageCursor;
      if (!pageCursor || json.entities.length === 0) break;
    }
    return out;
  }

  private append(lines: readonly { at: number; text: string }[]): void {
    const byFile = new Map<string, string[]>();
    for (const l of lines) {
      const day = new Date(l.at).toISOString().slice(0, 10).replaceAll('-', '');
      const file = path.join(this.opts.spoolDir, `${this.opts.source.product}-${day}.audit-rest.ndjson`);
      byFile.set(file, [...(byFile.get(file) ?? []), l.text]);
    }
    for (const [file, texts] of byFile) {
      const fd = openSync(file, 'a');
      try {
        writeSync(fd, texts.map((t) => `${t}\n`).join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }

  /** The latest time in the spool and the entities stored at it; or the backfill start on an empty spool. */
  private readCursor(): { at: number; seen: Set<string> } {
    const now = (this.opts.now ?? Date.now)();
    const pattern = spoolPattern(this.opts.source.product);
    let files: string[] = [];
    try {
      files = readdirSync(this.opts.spoolDir)
        .filter((f) => pattern.test(f))
        .sort();
    } catch {
      // No spool folder yet: nothing stored.
    }
    const newest = files.at(-1);
    if (newest === undefined) return { at: now - (this.opts.backfillMs ?? 86_400_000), seen: new Set() };
    for (const f of files) dropTornTail(path.join(this.opts.spoolDir, f));
    const lines = tailLines(path.join(this.opts.spoolDir, newest));
    let at = -Infinity;
    const seen = new Set<string>();
    for (const text of lines) {
      let t: number;
      try {
        t = Date.parse(String((JSON.parse(text) as { timestamp?: unknown }).timestamp));
      } catch {
        continue; // a torn last line (killed mid-write) is not in the spool as far as the cursor goes
      }
      if (t > at) {
        at = t;
        seen.clear();
      }
      if (t === at) seen.add(digest(text));
    }
    return Number.isFinite(at) ? { at, seen } : { at: now - (this.opts.backfillMs ?? 86_400_000), seen };
  }
}

/** A poller killed mid-append leaves a line without its newline; the next append would glue onto it. The
 *  tailer never read it (it reads whole lines only), and the cursor did not count it, so it is cut off and
 *  fetched again. */
function dropTornTail(file: string): void {
  const size = statSync(file).size;
  if (size === 0) return;
  const window = Math.min(size, TAIL_BYTES);
  const buf = Buffer.alloc(window);
  const fd = openSync(file, 'r+');
  try {
    readSync(fd, buf, 0, window, size - window);
    if (buf[window - 1] === 0x0a) return;
    const lastNewline = buf.lastIndexOf(0x0a);
    ftruncateSync(fd, lastNewline < 0 ? size - window : size - window + lastNewline + 1);
  } finally {
    closeSync(fd);
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** The complete lines among the last MB of a file. */
function tailLines(file: string): string[] {
  const size = statSync(file).size;
  const start = Math.max(0, size - TAIL_BYTES);
  const buf = Buffer.alloc(size - start);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n');
  if (start > 0) lines.shift(); // the first may be the end of a line cut by the window
  return lines.filter((l) => l.length > 0);
}
