/**
 * The Forge app's core, assembled from its ports: what each Forge entry point calls. Host-independent (the
 * Forge wiring is ../index.ts, the adapters ../adapters/), so the same app runs under the local harness,
 * in tests with in-memory ports, and on Forge.
 */
import { parseRecord } from '../../parsers';
import { ConsoleApi, ProductAccess, type CallerContext, type ConsoleFunction } from './console';
import { Containment } from './containment';
import { SqlInbox } from './inbox';
import { Ingestor, type RuleSet } from './ingest';
import { KEYS } from './keys';
import { mergeCheck, type MergeCheckResult } from './merge-check';
import { Pollers, type PollResult, type PollSource } from './pollers';
import type { ExternalFetch, KvPort, Logger, ProductApi, QueuePort, SqlPort } from './ports';
import { Storage } from './storage';
import { WebTriggers, type WebTriggerRequest, type WebTriggerResponse } from './webtriggers';

export interface AppPorts {
  readonly kv: KvPort;
  /** Forge SQL: the ingestion inbox and the per-record de-duplication marks. */
  readonly sql: SqlPort;
  /** Product REST as the app. */
  readonly asApp: ProductApi;
  /** Product REST as the user of the current resolver invocation. */
  readonly asUser: (ctx: CallerContext) => ProductApi;
  readonly fetch: ExternalFetch;
  readonly queue: QueuePort;
  readonly rules: () => RuleSet;
  readonly now: () => number;
  /** The installation this invocation serves: a runtime instance may serve several, so anything kept in
   *  memory between invocations is kept per installation. */
  readonly installation?: () => string;
  readonly log?: Logger;
  /** Poll time budget per invocation (ms). */
  readonly pollBudgetMs?: number;
}

/** The high-volume events a large site may turn off. */
const VIEW_EVENTS = /^avi:(jira|confluence):(viewed|performed):/;

export interface QueueJob {
  readonly kind?: unknown;
  readonly incidentId?: unknown;
  /** An `ingest` job pushed for a batch that can start containment (Ingestor.requestUrgentDrain). */
  readonly urgent?: unknown;
  /** Which delivery of the job this is (the platform's retryContext.retryCount; 0 for the first). */
  readonly attempt?: unknown;
}

export class BulkheadApp {
  readonly storage: Storage;
  readonly inbox: SqlInbox;
  readonly ingestor: Ingestor;
  readonly webtriggers: WebTriggers;
  readonly pollers: Pollers;
  readonly containment: Containment;
  readonly console: ConsoleApi;

  constructor(private readonly p: AppPorts) {
    this.storage = new Storage(p.kv, p.now);
    this.inbox = new SqlInbox(p.sql);
    const log = p.log;
    this.ingestor = new Ingestor({
      storage: this.storage,
      inbox: this.inbox,
      queue: p.queue,
      rules: p.rules,
      now: p.now,
      ...(p.installation ? { installation: p.installation } : {}),
      ...(log ? { log } : {}),
    });
    this.webtriggers = new WebTriggers({
      kv: p.kv,
      ingestor: this.ingestor,
      now: p.now,
      ...(log ? { log } : {}),
    });
    this.pollers = new Pollers({
      storage: this.storage,
      ingestor: this.ingestor,
      product: p.asApp,
      fetch: p.fetch,
      now: p.now,
      ...(p.pollBudgetMs !== undefined ? { budgetMs: p.pollBudgetMs } : {}),
      ...(log ? { log } : {}),
    });
    this.containment = new Containment({
      storage: this.storage,
      product: p.asApp,
      fetch: p.fetch,
      now: p.now,
      ...(log ? { log } : {}),
    });
    this.console = new ConsoleApi({
      storage: this.storage,
      containment: this.containment,
      rules: p.rules,
      now: p.now,
      access: (ctx) => new ProductAccess(p.asUser(ctx)),
    });
  }

  private readonly settingsCache = new Map<string, { at: number; ingestViews: boolean }>();

  /** Settings as a product-event trigger needs them, read at most once a minute per runtime instance (a KVS
   *  read per view event would double its cost). */
  private async ingestViews(): Promise<boolean> {
    const now = this.p.now();
    const inst = this.p.installation?.() ?? '';
    let c = this.settingsCache.get(inst);
    if (!c || now - c.at > 60_000 || now < c.at) {
      c = { at: now, ingestViews: (await this.storage.settings()).ingestViews };
      this.settingsCache.set(inst, c);
    }
    return c.ingestViews;
  }

  /** A product event (trigger): kept only if the parser reads it, then into the inbox. */
  async productEvent(event: unknown): Promise<{ accepted: boolean; reason?: string }> {
    const type = (event as { eventType?: unknown } | null)?.eventType;
    if (typeof type === 'string' && VIEW_EVENTS.test(type) && !(await this.ingestViews()))
      return { accepted: false, reason: 'views and searches are not ingested (settings.ingestViews)' };
    const out = parseRecord(event, { file: 'forge-event', line: 1 }, undefined, { receivedAt: this.p.now() });
    if (out.events.length === 0)
      return { accepted: false, reason: out.rejects[0]?.reason ?? 'no event in the payload' };
    await this.ingestor.accept('forge-event', [event]);
    return { accepted: true };
  }

  /** `avi:forge:installed:app`: the SQL schema (idempotent), then backfill what the audit APIs still hold,
   *  from the next polls on. */
  async installed(): Promise<void> {
    await this.inbox.migrate();
    const s = await this.storage.settings();
    await this.pollers.startBackfill(s.backfillDays);
    await this.storage.saveSettings(s);
  }

  async poll(source: PollSource): Promise<PollResult> {
    const r = await this.pollers.poll(source);
    await this.p.kv.set(KEYS.observation(`poll:${source}`), { ...r, at: this.p.now() });
    return r;
  }

  /** A job from the `ingest` or `contain` queue. */
  async job(queue: 'ingest' | 'contain', body: QueueJob): Promise<unknown> {
    if (queue === 'ingest') return this.ingestor.drain(undefined, { urgent: body.urgent === true });
    if (typeof body.incidentId !== 'string') throw new Error('contain job without an incidentId');
    return this.containment.contain(
      body.incidentId,
      typeof body.attempt === 'number' && Number.isInteger(body.attempt) ? body.attempt : 0,
    );
  }

  webtrigger(which: 'org' | 'bitbucket' | 'forwarder', req: WebTriggerRequest): Promise<WebTriggerResponse> {
    if (which === 'org') return this.webtriggers.orgWebhook(req);
    if (which === 'bitbucket') return this.webtriggers.bitbucketWebhook(req);
    return this.webtriggers.forwarder(req);
  }

  mergeCheck(event: unknown): Promise<MergeCheckResult> {
    return mergeCheck(this.p.kv, event);
  }

  resolve(fn: ConsoleFunction, payload: unknown, ctx: CallerContext): Promise<unknown> {
    return this.console.call(fn, payload, ctx);
  }
}
