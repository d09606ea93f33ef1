/**
 * The scheduled pollers (every 5 minutes, the platform's floor) and the install backfill. Each reads its API
 * in time windows from its cursor, stores every page's records in the inbox, and only then moves the cursor
 * to the window's end: a poller killed mid-way reads the window again (duplicates are dropped by the
 * ingestor's de-duplication marks), and never skips one. A window ends a minute before now, because audit
 * records can appear late.
 *
 * - Jira: `GET /rest/api/3/auditing/record?from&to&offset&limit` (asApp, manage:jira-configuration);
 * - Confluence: `GET /wiki/rest/api/audit?startDate&endDate&start&limit` (asApp, read:audit-log:confluence);
 * - org: `GET https://api.atlassian.com/admin/v1/orgs/{orgId}/events-stream?from&to&cursor` with the
 *   customer's org API key as Bearer (only when one is set). UNVERIFIED against a live org: the parameter
 *   names follow the `/events` endpoint's.
 */
import type { Ingestor } from './ingest';
import { SECRETS } from './keys';
import type { ExternalFetch, HttpAnswer, Logger, ProductApi } from './ports';
import type { Storage } from './storage';

export const DAY_MS = 86_400_000;
/** A window ends this long before now: records written late still fall into a later window. */
export const SETTLE_MS = 60_000;
/** A backfill or catch-up reads at most this much time per window. */
export const MAX_WINDOW_MS = DAY_MS;
const JIRA_PAGE = 1000;
const CONFLUENCE_PAGE = 1000;

export type PollSource = 'jira-audit' | 'confluence-audit' | 'org-events';

export interface PollCursor {
  /** Everything before this (epoch ms) is in the inbox. */
  readonly until: number;
}

export interface PollResult {
  readonly source: PollSource;
  readonly windows: number;
  readonly records: number;
  readonly cursor?: number;
  /** Why nothing was read, when nothing was. */
  readonly skipped?: string;
  /** A failure that stopped the poll (the cursor stays at the last stored window). */
  readonly error?: string;
}

export interface PollDeps {
  readonly storage: Storage;
  readonly ingestor: Ingestor;
  readonly product: ProductApi;
  readonly fetch: ExternalFetch;
  readonly now: () => number;
  /** Stop starting new windows after this many ms (the function's timeout minus a margin). */
  readonly budgetMs?: number;
  readonly log?: Logger;
}

class HttpError extends Error {}

async function json(answer: HttpAnswer, what: string): Promise<Record<string, unknown>> {
  const text = await answer.text();
  if (answer.status < 200 || answer.status >= 300)
    throw new HttpError(`${what}: HTTP ${answer.status} ${text.slice(0, 200).replace(/\s+/g, ' ')}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export class Pollers {
  constructor(private readonly d: PollDeps) {}

  /** Sets every cursor `days` back (install): the next polls backfill what the APIs still hold. */
  async startBackfill(days: number): Promise<void> {
    const from = this.d.now() - days * DAY_MS;
    for (const s of ['jira-audit', 'confluence-audit', 'org-events'] as const) {
      if ((await this.d.storage.cursor<PollCursor>(s)) === undefined)
        await this.d.storage.setCursor(s, { until: from } satisfies PollCursor);
    }
  }

  poll(source: PollSource): Promise<PollResult> {
    switch (source) {
      case 'jira-audit':
        return this.run(source, (from, to) => this.jiraWindow(from, to));
      case 'confluence-audit':
        return this.run(source, (from, to) => this.confluenceWindow(from, to));
      case 'org-events':
        return this.orgEvents();
    }
  }

  private async orgEvents(): Promise<PollResult> {
    const key = await this.d.storage.kv.getSecret(SECRETS.orgApiKey);
    const { orgId } = await this.d.storage.settings();
    if (key === undefined || orgId === undefined)
      return { source: 'org-events', windows: 0, records: 0, skipped: 'no org API key or org id configured' };
    return this.run('org-events', (from, to) => this.orgWindow(key, orgId, from, to));
  }

  private async run(
    source: PollSource,
    window: (from: number, to: number) => Promise<unknown[]>,
  ): Promise<PollResult> {
    const started = Date.now();
    const budget = this.d.budgetMs ?? 240_000;
    const settings = await this.d.storage.settings();
    const end = this.d.now() - SETTLE_MS;
    let cursor =
      (await this.d.storage.cursor<PollCursor>(source))?.until ?? end - settings.backfillDays * DAY_MS;
    let windows = 0;
    let records = 0;
    while (cursor < end && Date.now() - started < budget) {
      const to = Math.min(end, cursor + MAX_WINDOW_MS);
      let got: unknown[];
      try {
        got = await window(cursor, to);
      } catch (err) {
        const error = (err as Error).message;
        this.d.log?.(`${source}: ${error}`);
        return { source, windows, records, cursor, error };
      }
      await this.d.ingestor.accept(source, got);
      // Only now, with the window's records stored, does the cursor move.
      await this.d.storage.setCursor(source, { until: to } satisfies PollCursor);
      cursor = to;
      windows++;
      records += got.length;
    }
    return { source, windows, records, cursor };
  }

  private async jiraWindow(from: number, to: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let offset = 0; ; offset += JIRA_PAGE) {
      const q = `from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(to).toISOString())}`;
      const page = await json(
        await this.d.product.request(
          'jira',
          `/rest/api/3/auditing/record?offset=${offset}&limit=${JIRA_PAGE}&${q}`,
        ),
        'Jira audit',
      );
      const recs = Array.isArray(page['records']) ? (page['records'] as unknown[]) : [];
      out.push(...recs);
      const total = typeof page['total'] === 'number' ? page['total'] : 0;
      if (recs.length === 0 || offset + recs.length >= total) return out;
    }
  }

  private async confluenceWindow(from: number, to: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let start = 0; ; start += CONFLUENCE_PAGE) {
      const page = await json(
        await this.d.product.request(
          'confluence',
          `/wiki/rest/api/audit?startDate=${from}&endDate=${to}&start=${start}&limit=${CONFLUENCE_PAGE}`,
        ),
        'Confluence audit',
      );
      const recs = Array.isArray(page['results']) ? (page['results'] as unknown[]) : [];
      out.push(...recs);
      if (recs.length < CONFLUENCE_PAGE) return out;
    }
  }

  private async orgWindow(key: string, orgId: string, from: number, to: number): Promise<unknown[]> {
    const out: unknown[] = [];
    let next: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const url =
        `https://api.atlassian.com/admin/v1/orgs/${encodeURIComponent(orgId)}/events-stream?from=${from}&to=${to}` +
        (next !== undefined ? `&cursor=${encodeURIComponent(next)}` : '');
      const page = await json(
        await this.d.fetch(url, { headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' } }),
        'org events',
      );
      const data = Array.isArray(page['data']) ? (page['data'] as unknown[]) : [];
      out.push(...data);
      const meta = page['meta'] as { next?: unknown } | undefined;
      const links = page['links'] as { next?: unknown } | undefined;
      const n =
        typeof meta?.next === 'string'
          ? meta.next
          : typeof links?.next === 'string'
            ? cursorOf(links.next)
            : undefined;
      if (n === undefined || n === next || data.length === 0) return out;
      next = n;
    }
    return out;
  }
}

/** The `cursor` parameter of a next-page link, or the link itself when it is a bare cursor. */
function cursorOf(link: string): string {
  try {
    return new URL(link).searchParams.get('cursor') ?? link;
  } catch {
    return link;
  }
}
