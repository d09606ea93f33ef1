/**
 * A local Forge host for the app's real handlers.
 *
 * The unmodified Forge SDKs (@forge/api 8.3.0, @forge/kvs 1.6.5, @forge/events 3.0.8, @forge/resolver 2.0.1,
 * @forge/sql 4.0.8)
 * reach the platform only through two globals the host injects (../../../shared/reference/forge-platform.md
 * §D.2): `__forge_runtime__` (app context, metrics, remaining time, proxy token) and
 * `__forge_fetch__(meta, path, init)`. This module installs both, plus a `fetch` router for external egress
 * (the Admin API on api.atlassian.com is reached with plain `fetch` from @forge/api), and routes:
 *
 *   meta {type:'fpp', remote:'jira'|'confluence'|'bitbucket'}  → the product handler for that remote
 *   meta {type:'fpp', remote:'stargate'}, path /webhook/queue/* → the queue emulator (Queue.push, getStats, cancel)
 *   meta {type:'fpp', remote:'stargate'}, any other path        → the stargate handler (GraphQL, requestAtlassian)
 *   meta {type:'kvs'}                                           → the KVS / Custom Entity Store emulator
 *   meta {type:'sql'}                                           → the Forge SQL emulator (./sql.ts: SQLite in memory, one
 *                                                                 database per harness = per installation), or the
 *                                                                 handler set with setSqlHandler
 *
 * ORDER MATTERS: the globals must exist before the SDK modules are required, because @forge/kvs picks its
 * transport and @forge/api captures `fetch` at require time. In a jest test, make
 * `import '<…>/src/forge-harness/register'` the first import (it installs the globals with a default
 * harness), then call `resetForgeHarness(opts)` in `beforeEach` for fresh state. The globals delegate to
 * whichever harness is current, so reset never needs the app modules to be re-required.
 *
 * Time: the harness runs on a simulated clock. By default it also patches `Date` (no-argument `new Date()`
 * and `Date.now()` read the simulated clock) so app code that timestamps with Date is deterministic;
 * `setTimeout` is left alone, so app code should take its sleep function from outside (use
 * `harness.clock.sleep`). Nothing runs by itself: `runUntilIdle()`, `advance(ms)` and `runUntil(t)` run
 * the due deliveries one at a time, each awaited before the next (invocations never overlap, so the
 * concurrency settings of queue events have no effect here).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { SimClock, Scheduler } from './clock';
import {
  HANG,
  type HarnessRequest,
  type HarnessResponse,
  type Provider,
  type ResponseLike,
  type RouteHandler,
  bodyToText,
  harnessRequest,
  normaliseHeaders,
  parseJson,
  toResponseLike,
} from './http';
import { KvsEmulator, type EntityDef } from './kvs';
import { QueueEmulator, isRetryResult, type QueueOptions } from './queues';
import { SqlEmulator, type SqlEmulatorOptions, type SqlStats } from './sql';

export { isRetryResult, type RetryResult } from './queues';

export type ForgeHandler = (payload: any, context: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
export type ResolverDefinitions = (request: any, backendRuntimePayload?: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

export type InvocationKind =
  'trigger' | 'scheduledTrigger' | 'webtrigger' | 'consumer' | 'resolver' | 'direct';

/** Timeouts per module type (forge-platform.md §E): resolver 25 s, web trigger 55 s, others 55 s unless set. */
export const DEFAULT_TIMEOUT_MS: Record<InvocationKind, number> = {
  trigger: 55_000,
  scheduledTrigger: 55_000,
  webtrigger: 55_000,
  consumer: 55_000,
  resolver: 25_000,
  direct: 55_000,
};

export interface HarnessOptions {
  appId?: string;
  appVersion?: string;
  environmentId?: string;
  environmentType?: 'DEVELOPMENT' | 'STAGING' | 'PRODUCTION';
  installationId?: string;
  cloudId?: string;
  /** The product the installation context names (contextAri `ari:cloud:<product>::site/<cloudId>`). */
  product?: 'jira' | 'confluence' | 'bitbucket';
  /** Simulated start time (epoch ms). */
  startMs?: number;
  /** Custom entity definitions (as manifest `app.storage.entities`); see `entitiesFromManifest`. */
  entities?: EntityDef[];
  /** Patch global Date to read the simulated clock (default true). */
  patchDate?: boolean;
  /** Hosts the app may reach with external fetch (manifest permissions.external.fetch.backend); default: any host that has a handler. */
  egress?: string[];
  /** Seed for the harness's own randomness (queue duplicate deliveries). */
  seed?: number;
  queue?: QueueOptions;
  /** Forge SQL emulator options (rate limits enforced or only counted). */
  sql?: SqlEmulatorOptions;
  /** Retries for product-event triggers that return InvocationError or time out (documented maximum: 4). */
  productEventMaxRetries?: number;
  /** Manifest scopes reported in appContext.permissions. */
  scopes?: string[];
}

export interface Invocation {
  id: string;
  kind: InvocationKind;
  moduleKey: string;
  startedAt: number;
  deadline: number;
  endedAt?: number;
  outcome?: 'ok' | 'error' | 'timeout' | 'retry';
  error?: string;
  /** Invocation that (transitively) started this one through queue pushes, for the cyclic limit. */
  rootId: string;
  pushes: number;
  /** The user the invocation runs for (a resolver's caller): `asUser()` without an account acts as them. */
  principal?: string;
}

/** One call the SDKs made through `__forge_fetch__` (or external fetch), for assertions and the contract test. */
export interface RecordedCall {
  meta: Record<string, unknown>;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  status?: number;
  invocationId?: string;
  at: number;
}

export interface PlatformFault {
  target: 'kvs' | 'queue' | 'sql';
  /** Only requests whose path starts with this (KVS: `/api/v1/set`, `/api/v1/entity/query`…; SQL:
   *  `/api/v1/execute`, `/api/v1/execute/ddl`). */
  path?: string;
  /** SQL only: only queries matching this. */
  query?: RegExp;
  status?: number;
  code?: string;
  count?: number;
}

export class InvocationTimeoutError extends Error {
  constructor(readonly invocationId: string) {
    super(`FUNCTION_TIME_OUT: invocation ${invocationId} exceeded its time limit`);
    this.name = 'InvocationTimeoutError';
  }
}

interface TriggerReg {
  moduleKey: string;
  events: string[];
  handler: ForgeHandler;
}
interface ScheduledReg {
  moduleKey: string;
  intervalMs: number;
  handler: ForgeHandler;
  timeoutMs: number;
}

export const SCHEDULE_INTERVAL_MS = {
  fiveMinute: 300_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
} as const;

export interface WebTriggerCall {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  query?: Record<string, string | string[]>;
  body?: string | object;
}

export interface WebTriggerResult {
  statusCode: number;
  headers: Record<string, string[]>;
  body: string;
}

export interface ProductEventDelivery {
  eventType: string;
  moduleKey: string;
  attempt: number;
  at: number;
  outcome: 'ok' | 'error' | 'timeout' | 'retry';
  error?: string;
}

/** Mulberry32: small seeded PRNG so runs are repeatable. */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class ForgeHarness {
  readonly clock: SimClock;
  readonly scheduler: Scheduler;
  readonly kvs: KvsEmulator;
  readonly sql: SqlEmulator;
  readonly queues: QueueEmulator;
  readonly opts: Required<
    Pick<
      HarnessOptions,
      'appId' | 'appVersion' | 'environmentId' | 'environmentType' | 'installationId' | 'cloudId' | 'product'
    >
  > &
    HarnessOptions;
  readonly calls: RecordedCall[] = [];
  readonly invocations: Invocation[] = [];
  readonly productEventDeliveries: ProductEventDelivery[] = [];
  readonly metrics = new Map<string, number>();
  readonly rng: () => number;
  /** Errors thrown by handlers (also recorded on their invocation). */
  readonly handlerErrors: { moduleKey: string; kind: InvocationKind; error: unknown }[] = [];

  private products = new Map<string, RouteHandler>();
  private external = new Map<string, RouteHandler>();
  private sqlHandler: RouteHandler | undefined;
  private triggers: TriggerReg[] = [];
  private scheduled: ScheduledReg[] = [];
  private webTriggers = new Map<string, ForgeHandler>();
  private resolvers = new Map<string, ResolverDefinitions>();
  readonly als = new AsyncLocalStorage<Invocation>();
  private invocationSeq = 0;

  constructor(options: HarnessOptions = {}) {
    this.opts = {
      appId: 'a1b2c3d4-0000-4000-8000-00000000b01c',
      appVersion: '1.0.0',
      environmentId: 'e0e0e0e0-0000-4000-8000-000000000001',
      environmentType: 'DEVELOPMENT',
      installationId: 'i0i0i0i0-0000-4000-8000-000000000001',
      cloudId: 'c10d0000-0000-4000-8000-000000000001',
      product: 'jira',
      ...options,
    };
    this.clock = new SimClock(options.startMs);
    this.scheduler = new Scheduler(this.clock);
    this.kvs = new KvsEmulator(() => this.clock.now(), options.entities ?? []);
    this.sql = new SqlEmulator(() => this.clock.now(), options.sql ?? {});
    this.rng = seededRng(options.seed ?? 1);
    this.queues = new QueueEmulator(this, options.queue ?? {});
  }

  // ---- identity -------------------------------------------------------------------------------------

  get contextAri(): string {
    return `ari:cloud:${this.opts.product}::site/${this.opts.cloudId}`;
  }

  get installationAri(): string {
    return `ari:cloud:ecosystem::installation/${this.opts.installationId}`;
  }

  currentInvocation(): Invocation | undefined {
    return this.als.getStore();
  }

  /** The object installed as `globalThis.__forge_runtime__` delegates here. */
  runtimeView(): Record<string, unknown> {
    const inv = this.currentInvocation();
    const o = this.opts;
    return {
      appContext: {
        appId: o.appId,
        appVersion: o.appVersion,
        environmentId: o.environmentId,
        environmentType: o.environmentType,
        invocationId: inv?.id ?? 'harness-outside-invocation',
        installationId: o.installationId,
        moduleKey: inv?.moduleKey ?? 'harness',
        license: { isActive: true },
        installation: { ari: { installationId: o.installationId }, contexts: [this.contextAri] },
        permissions: { scopes: o.scopes ?? [], external: {} },
      },
      contextAri: this.contextAri,
      lambdaContext: {
        getRemainingTimeInMillis: () =>
          inv ? Math.max(0, inv.deadline - this.clock.now()) : DEFAULT_TIMEOUT_MS.direct,
      },
      metrics: {
        counter: (name: string) => ({
          incr: () => this.metrics.set(name, (this.metrics.get(name) ?? 0) + 1),
          decr: () => this.metrics.set(name, (this.metrics.get(name) ?? 0) - 1),
        }),
        timing: () => ({ measure: () => ({ stop: () => undefined }) }),
        gauge: () => ({ set: () => undefined }),
      },
      proxy: { token: 'forge-harness-proxy-token', url: 'http://forge-proxy.harness.invalid' },
      tracing: {
        traceId: createHash('sha1')
          .update(inv?.id ?? 'none')
          .digest('hex')
          .slice(0, 16),
        spanId: '0000000000000001',
      },
      externalAuth: [],
    };
  }

  // ---- routes ---------------------------------------------------------------------------------------

  /** Product REST for `jira` | `confluence` | `bitbucket`, or `stargate` (GraphQL / requestAtlassian; queue paths are the harness's own). */
  setProductHandler(remote: string, handler: RouteHandler | undefined): void {
    if (handler) this.products.set(remote, handler);
    else this.products.delete(remote);
  }

  /** External egress by host (e.g. `api.atlassian.com`), reached by the app with `fetch` from @forge/api. */
  setExternalHandler(host: string, handler: RouteHandler | undefined): void {
    if (handler) this.external.set(host.toLowerCase(), handler);
    else this.external.delete(host.toLowerCase());
  }

  /** Replaces the SQL emulator for `{type:'sql'}` calls (undefined: back to the emulator). */
  setSqlHandler(handler: RouteHandler | undefined): void {
    this.sqlHandler = handler;
  }

  // ---- modules --------------------------------------------------------------------------------------

  registerTrigger(moduleKey: string, events: string[], handler: ForgeHandler): void {
    this.triggers.push({ moduleKey, events, handler });
  }

  /**
   * A scheduled trigger: first run `firstRunMs` after registration (default: one interval; the docs say
   * "about 5 minutes after deployment"), then every interval. Errors are not retried (documented).
   */
  registerScheduledTrigger(
    moduleKey: string,
    interval: keyof typeof SCHEDULE_INTERVAL_MS,
    handler: ForgeHandler,
    opts: { firstRunMs?: number; timeoutSeconds?: number } = {},
  ): void {
    const reg: ScheduledReg = {
      moduleKey,
      intervalMs: SCHEDULE_INTERVAL_MS[interval],
      handler,
      timeoutMs: (opts.timeoutSeconds ?? 55) * 1000,
    };
    this.scheduled.push(reg);
    const tick = async (): Promise<void> => {
      if (!this.scheduled.includes(reg)) return;
      this.scheduler.after(reg.intervalMs, `scheduled:${moduleKey}`, tick, true);
      await this.fireScheduled(reg);
    };
    this.scheduler.after(opts.firstRunMs ?? reg.intervalMs, `scheduled:${moduleKey}`, tick, true);
  }

  /** Runs a scheduled trigger now (outside its schedule). */
  async runScheduledTrigger(moduleKey: string): Promise<void> {
    const reg = this.scheduled.find((s) => s.moduleKey === moduleKey);
    if (!reg) throw new Error(`no scheduled trigger ${moduleKey}`);
    await this.fireScheduled(reg);
  }

  private async fireScheduled(reg: ScheduledReg): Promise<void> {
    const request = {
      context: { cloudId: this.opts.cloudId, moduleKey: reg.moduleKey },
      contextToken: `harness-context-token-${this.invocationSeq + 1}`,
    };
    await this.invoke('scheduledTrigger', reg.moduleKey, reg.timeoutMs, (ctx) => reg.handler(request, ctx));
  }

  registerWebTrigger(moduleKey: string, handler: ForgeHandler): void {
    this.webTriggers.set(moduleKey, handler);
  }

  /** A resolver module's function: the value of `new Resolver()…getDefinitions()`. */
  registerResolver(moduleKey: string, definitions: ResolverDefinitions): void {
    this.resolvers.set(moduleKey, definitions);
  }

  /** A queue consumer (manifest `consumer` with `function`): called as handler(AsyncEvent, context). */
  registerConsumer(
    queueName: string,
    handler: ForgeHandler,
    opts: { moduleKey?: string; timeoutSeconds?: number } = {},
  ): void {
    this.queues.registerConsumer(queueName, handler, opts);
  }

  // ---- invocations ----------------------------------------------------------------------------------

  /** The context object every Forge function gets (function-reference/arguments). */
  baseContext(principalAccountId?: string): Record<string, unknown> {
    return {
      installContext: this.contextAri,
      ...(principalAccountId ? { principal: { accountId: principalAccountId } } : {}),
      license: { isActive: true },
      installation: { ari: { installationId: this.opts.installationId }, contexts: [this.contextAri] },
    };
  }

  /**
   * Runs `fn` as one Forge invocation: an invocation id and module key in `__forge_runtime__`, a
   * deadline on the simulated clock. A call that never answers (`HANG`) makes the invocation time out:
   * the clock jumps to the deadline, the pending SDK call rejects, later calls from it reject too, and
   * its result is discarded, as when the platform kills a function.
   */
  async invoke(
    kind: InvocationKind,
    moduleKey: string,
    timeoutMs: number,
    fn: (context: Record<string, unknown>) => unknown,
    opts: { principal?: string; parent?: Invocation } = {},
  ): Promise<{
    outcome: 'ok' | 'error' | 'timeout';
    result?: unknown;
    error?: unknown;
    invocation: Invocation;
  }> {
    const id = `inv-${String(++this.invocationSeq).padStart(6, '0')}`;
    const now = this.clock.now();
    const inv: Invocation = {
      id,
      kind,
      moduleKey,
      startedAt: now,
      deadline: now + timeoutMs,
      rootId: opts.parent?.rootId ?? id,
      pushes: 0,
      ...(opts.principal ? { principal: opts.principal } : {}),
    };
    this.invocations.push(inv);
    const ctx = this.baseContext(opts.principal);
    let result: unknown;
    let error: unknown;
    let threw = false;
    try {
      result = await this.als.run(inv, async () => fn(ctx));
    } catch (e) {
      threw = true;
      error = e;
    }
    inv.endedAt = this.clock.now();
    const timedOut = inv.outcome === 'timeout' || inv.endedAt > inv.deadline;
    if (timedOut) {
      inv.outcome = 'timeout';
      inv.error = 'FUNCTION_TIME_OUT';
      return { outcome: 'timeout', error: new InvocationTimeoutError(id), invocation: inv };
    }
    if (threw) {
      inv.outcome = 'error';
      inv.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.handlerErrors.push({ moduleKey, kind, error });
      return { outcome: 'error', error, invocation: inv };
    }
    inv.outcome = isRetryResult(result) ? 'retry' : 'ok';
    return { outcome: 'ok', result, invocation: inv };
  }

  /** Calls any function as an invocation of `moduleKey` (for app code outside the module types above). */
  async invokeFunction(
    moduleKey: string,
    handler: ForgeHandler,
    payload: unknown = {},
    opts: { accountId?: string; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const r = await this.invoke(
      'direct',
      moduleKey,
      opts.timeoutMs ?? DEFAULT_TIMEOUT_MS.direct,
      (ctx) => handler(payload, ctx),
      {
        ...(opts.accountId ? { principal: opts.accountId } : {}),
      },
    );
    if (r.outcome !== 'ok') throw r.error;
    return r.result;
  }

  // ---- product events -------------------------------------------------------------------------------

  /**
   * Delivers a product event to every trigger subscribed to its eventType, `delayMs` from now (the
   * Cloud simulator picks delays, duplicates and order). A handler returning InvocationError is retried
   * after its retryAfter (seconds), a timeout is retried by the platform, both at most
   * `productEventMaxRetries` (4, documented) times, the retried event carrying `retryContext`. A thrown
   * error is recorded and not retried.
   */
  deliverEvent(event: Record<string, unknown>, opts: { delayMs?: number } = {}): void {
    const eventType = String(event.eventType ?? '');
    for (const t of this.triggers) {
      if (!t.events.includes(eventType)) continue;
      this.scheduler.after(opts.delayMs ?? 0, `event:${eventType}:${t.moduleKey}`, () =>
        this.fireTrigger(t, structuredClone(event), 0),
      );
    }
  }

  /**
   * Delivers a lifecycle event (`avi:forge:installed:app`, `avi:forge:upgraded:app`), whose payload has no
   * `eventType`, to the triggers subscribed to `eventName`, with the same retry rules as product events.
   */
  deliverLifecycleEvent(
    eventName: string,
    payload: Record<string, unknown>,
    opts: { delayMs?: number } = {},
  ): void {
    for (const t of this.triggers) {
      if (!t.events.includes(eventName)) continue;
      this.scheduler.after(opts.delayMs ?? 0, `lifecycle:${eventName}:${t.moduleKey}`, () =>
        this.fireTrigger(t, structuredClone(payload), 0, eventName),
      );
    }
  }

  /** Delivers now and waits for this delivery (and nothing else) to finish. */
  async deliverEventNow(event: Record<string, unknown>): Promise<void> {
    const eventType = String(event.eventType ?? '');
    for (const t of this.triggers)
      if (t.events.includes(eventType)) await this.fireTrigger(t, structuredClone(event), 0);
  }

  subscribedEventTypes(): Set<string> {
    return new Set(this.triggers.flatMap((t) => t.events));
  }

  private async fireTrigger(
    t: TriggerReg,
    event: Record<string, unknown>,
    attempt: number,
    eventName = String(event.eventType ?? ''),
  ): Promise<void> {
    const r = await this.invoke('trigger', t.moduleKey, DEFAULT_TIMEOUT_MS.trigger, (ctx) =>
      t.handler(event, ctx),
    );
    const eventType = eventName;
    const maxRetries = this.opts.productEventMaxRetries ?? 4;
    let retryAfterS: number | undefined;
    let reason = '';
    let retryData: unknown;
    if (r.outcome === 'ok' && isRetryResult(r.result)) {
      retryAfterS = r.result.retryOptions?.retryAfter ?? 1;
      reason = r.result.retryOptions?.retryReason ?? 'FUNCTION_RETRY_REQUEST';
      retryData = r.result.retryOptions?.retryData;
    } else if (r.outcome === 'timeout') {
      retryAfterS = Math.min(900, 5 * 2 ** attempt);
      reason = 'FUNCTION_TIME_OUT';
    }
    this.productEventDeliveries.push({
      eventType,
      moduleKey: t.moduleKey,
      attempt,
      at: r.invocation.startedAt,
      outcome: r.outcome === 'ok' && isRetryResult(r.result) ? 'retry' : r.outcome,
      ...(r.invocation.error ? { error: r.invocation.error } : {}),
    });
    if (retryAfterS !== undefined && attempt < maxRetries) {
      const next = { ...event, retryContext: { retryCount: attempt + 1, retryReason: reason, retryData } };
      this.scheduler.after(Math.min(900, retryAfterS) * 1000, `event-retry:${eventType}:${t.moduleKey}`, () =>
        this.fireTrigger(t, next, attempt + 1, eventName),
      );
    }
  }

  // ---- web triggers ---------------------------------------------------------------------------------

  /**
   * Calls a web trigger as the platform does: request `{method, path, headers:{k:[v]}, queryParameters:{k:[v]}, body}`
   * (header names lower-cased; body a string), response `{statusCode, headers?, body?}`. A missing or
   * malformed response becomes 500 here; a timeout 504 (the platform's exact codes are not documented).
   */
  async callWebTrigger(moduleKey: string, call: WebTriggerCall = {}): Promise<WebTriggerResult> {
    const handler = this.webTriggers.get(moduleKey);
    if (!handler) throw new Error(`no web trigger ${moduleKey}`);
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(call.headers ?? {}))
      headers[k.toLowerCase()] = Array.isArray(v) ? v : [v];
    const queryParameters: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(call.query ?? {})) queryParameters[k] = Array.isArray(v) ? v : [v];
    const body =
      call.body === undefined ? '' : typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
    const request = {
      method: (call.method ?? 'POST').toUpperCase(),
      path: call.path ?? '/',
      headers,
      queryParameters,
      body,
    };
    const r = await this.invoke('webtrigger', moduleKey, DEFAULT_TIMEOUT_MS.webtrigger, (ctx) =>
      handler(request, ctx),
    );
    if (r.outcome === 'timeout') return { statusCode: 504, headers: {}, body: 'Function timed out' };
    if (r.outcome === 'error') return { statusCode: 500, headers: {}, body: 'Function failed' };
    const res = r.result as
      { statusCode?: unknown; headers?: Record<string, unknown>; body?: unknown } | undefined;
    if (!res || typeof res.statusCode !== 'number')
      return { statusCode: 500, headers: {}, body: 'Invalid web trigger response' };
    const outHeaders: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(res.headers ?? {}))
      outHeaders[k] = Array.isArray(v) ? v.map(String) : [String(v)];
    return {
      statusCode: res.statusCode,
      headers: outHeaders,
      body: res.body === undefined ? '' : String(res.body),
    };
  }

  // ---- resolvers ------------------------------------------------------------------------------------

  /**
   * Invokes a resolver function as the platform does: `definitions({call:{functionKey, payload, jobId}, context},
   * {principal:{accountId}, installContext, license, installation})`. Whether the caller is a site admin is
   * not in the context (the real platform does not put it there): the app must ask the product, and the
   * Cloud simulator answers from its site-admins group. `context` adds UI context fields (extension, localId…).
   */
  async invokeResolver(
    moduleKey: string,
    functionKey: string,
    payload: unknown = {},
    opts: { accountId?: string; context?: Record<string, unknown> } = {},
  ): Promise<unknown> {
    const defs = this.resolvers.get(moduleKey);
    if (!defs) throw new Error(`no resolver for module ${moduleKey}`);
    const context = {
      cloudId: this.opts.cloudId,
      moduleKey,
      localId: `${moduleKey}-local`,
      extension: { type: moduleKey },
      ...(opts.accountId ? { accountId: opts.accountId } : {}),
      ...opts.context,
    };
    const backend = {
      principal: opts.accountId ? { accountId: opts.accountId } : undefined,
      installContext: this.contextAri,
      license: { isActive: true },
      installation: { ari: { installationId: this.opts.installationId }, contexts: [this.contextAri] },
    };
    const r = await this.invoke(
      'resolver',
      moduleKey,
      DEFAULT_TIMEOUT_MS.resolver,
      () => defs({ call: { functionKey, payload }, context }, backend),
      {
        ...(opts.accountId ? { principal: opts.accountId } : {}),
      },
    );
    if (r.outcome !== 'ok') throw r.error;
    return r.result;
  }

  // ---- time -----------------------------------------------------------------------------------------

  /** Runs everything that is due or becomes due, until only recurring scheduled triggers remain. */
  runUntilIdle(maxTasks?: number): Promise<number> {
    return this.scheduler.runUntilIdle(maxTasks);
  }

  /** Moves simulated time forward by `ms`, running what falls due on the way (scheduled triggers included). */
  advance(ms: number): Promise<number> {
    return this.scheduler.runUntil(this.clock.now() + ms);
  }

  runUntil(atMs: number): Promise<number> {
    return this.scheduler.runUntil(atMs);
  }

  // ---- the fetch path -------------------------------------------------------------------------------

  async forgeFetch(
    metaIn: unknown,
    path: string,
    init: Record<string, unknown> | undefined,
  ): Promise<ResponseLike> {
    const meta = { ...((metaIn ?? {}) as Record<string, unknown>) };
    const inv = this.currentInvocation();
    const { rec, method, headers, bodyText } = this.recordCall(meta, path, init, inv);
    const url = new URL(path, 'http://forge.invalid');
    const req = harnessRequest(
      {
        remote: String(meta.remote ?? meta.type ?? ''),
        provider: (meta.provider as Provider | undefined) ?? 'app',
        // `asUser()` names no account: the platform acts for the invocation's principal.
        ...(typeof meta.accountId === 'string'
          ? { accountId: meta.accountId }
          : meta.provider === 'user' && inv?.principal
            ? { accountId: inv.principal }
            : {}),
      },
      method,
      url,
      headers,
      bodyText,
      path,
    );
    let handler: RouteHandler | undefined;
    const platformFault = this.takePlatformFault(meta.type === 'kvs' ? 'kvs' : 'queue', req);
    if (
      platformFault &&
      (meta.type === 'kvs' || (meta.remote === 'stargate' && url.pathname.startsWith('/webhook/queue/')))
    ) {
      handler = () => platformFault;
    } else if (meta.type === 'kvs') {
      handler = (r) => this.kvs.handle(r.pathname, r.json);
    } else if (meta.type === 'sql') {
      handler = this.sqlHandler ?? ((r) => this.sql.handle(r.pathname, r.bodyText));
    } else if (
      meta.type === 'fpp' &&
      meta.remote === 'stargate' &&
      url.pathname.startsWith('/webhook/queue/')
    ) {
      handler = (r) => this.queues.handle(r, inv);
    } else if (meta.type === 'fpp') {
      handler =
        this.products.get(String(meta.remote)) ??
        (() => ({ status: 404, body: { errorMessages: [`no handler for remote ${String(meta.remote)}`] } }));
    } else {
      handler = () => ({ status: 501, body: { message: `meta type ${String(meta.type)} is not simulated` } });
    }
    return this.answer(rec, req, handler, inv, `https://${req.remote}.harness.invalid${path}`);
  }

  /** Replacement for global `fetch`: handlers by host, loopback passes through, anything else is refused egress. */
  async externalFetch(
    realFetch: typeof fetch,
    input: unknown,
    init?: Record<string, unknown>,
  ): Promise<unknown> {
    const href =
      typeof input === 'string'
        ? input
        : input instanceof URL
          ? input.href
          : String((input as { url?: string }).url ?? input);
    const url = new URL(href);
    const host = url.host.toLowerCase();
    const handler = this.external.get(host) ?? this.external.get(url.hostname.toLowerCase());
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (!handler) {
      if (loopback) return realFetch(input as Parameters<typeof fetch>[0], init as RequestInit);
      throw new TypeError(`fetch failed: egress to ${host} is not simulated by the harness`);
    }
    if (this.opts.egress && !this.opts.egress.includes(host) && !this.opts.egress.includes(url.hostname)) {
      throw new Error(`URL not included in the external fetch backend permissions: ${host}`);
    }
    const inv = this.currentInvocation();
    const { rec, method, headers, bodyText } = this.recordCall(
      { type: 'external', host },
      url.pathname + url.search,
      init,
      inv,
    );
    const req = harnessRequest({ remote: host, provider: 'none' }, method, url, headers, bodyText);
    return this.answer(rec, req, handler, inv, href);
  }

  /** Records an outgoing call (its method, headers and body from `init`); fails it when the invocation has
   *  already timed out, as the platform would. */
  private recordCall(
    meta: Record<string, unknown>,
    path: string,
    init: Record<string, unknown> | undefined,
    inv: Invocation | undefined,
  ): { rec: RecordedCall; method: string; headers: Record<string, string>; bodyText: string } {
    const method = String(init?.method ?? 'GET').toUpperCase();
    const headers = normaliseHeaders(init?.headers);
    const bodyText = bodyToText(init?.body);
    const rec: RecordedCall = {
      meta,
      path,
      method,
      headers,
      body: parseJson(bodyText) ?? (bodyText || undefined),
      ...(inv ? { invocationId: inv.id } : {}),
      at: this.clock.now(),
    };
    this.calls.push(rec);
    if (inv?.outcome === 'timeout') throw new InvocationTimeoutError(inv.id);
    return { rec, method, headers, bodyText };
  }

  private async answer(
    rec: RecordedCall,
    req: HarnessRequest,
    handler: RouteHandler,
    inv: Invocation | undefined,
    url: string,
  ): Promise<ResponseLike> {
    const out = await handler(req);
    if (out === HANG) {
      rec.status = 0;
      if (inv) {
        this.clock.set(inv.deadline + 1);
        inv.outcome = 'timeout';
        throw new InvocationTimeoutError(inv.id);
      }
      this.clock.set(this.clock.now() + DEFAULT_TIMEOUT_MS.direct);
      throw new InvocationTimeoutError('outside-invocation');
    }
    const res = out as HarnessResponse;
    rec.status = res.status;
    return toResponseLike(res, url);
  }

  private platformFaults: (PlatformFault & { left: number })[] = [];

  /**
   * Makes the next `count` KVS requests (optionally only those whose path starts with `path`, e.g.
   * `/api/v1/set`) or queue publishes fail: KVS with the documented `{code, message}` body
   * (429 RATE_LIMIT_EXCEEDED by default), queue pushes with 429 (`RateLimitError` in @forge/events) or 5xx.
   */
  injectPlatformFault(fault: PlatformFault): void {
    if (fault.target === 'sql') {
      this.sql.injectFault({
        ...(fault.path !== undefined ? { path: fault.path } : {}),
        ...(fault.query !== undefined ? { query: fault.query } : {}),
        ...(fault.status !== undefined ? { status: fault.status } : {}),
        ...(fault.code !== undefined ? { code: fault.code } : {}),
        ...(fault.count !== undefined ? { count: fault.count } : {}),
      });
      return;
    }
    this.platformFaults.push({ ...fault, left: fault.count ?? 1 });
  }

  private takePlatformFault(target: 'kvs' | 'queue', req: HarnessRequest): HarnessResponse | undefined {
    if (
      target === 'queue' &&
      !(req.remote === 'stargate' && req.pathname.startsWith('/webhook/queue/publish'))
    )
      return undefined;
    const f = this.platformFaults.find(
      (x) => x.left > 0 && x.target === target && (!x.path || req.pathname.startsWith(x.path)),
    );
    if (!f) return undefined;
    f.left--;
    const status = f.status ?? 429;
    if (target === 'queue')
      return {
        status,
        body: { message: status === 429 ? 'Too many requests.' : 'Simulated platform error' },
      };
    return {
      status,
      body: {
        code: f.code ?? (status === 429 ? 'RATE_LIMIT_EXCEEDED' : 'INTERNAL_SERVER_ERROR'),
        message: 'Simulated platform fault',
      },
    };
  }

  /** Calls matching a predicate, e.g. `harness.callsTo('jira', 'DELETE')`. */
  callsTo(remote: string, method?: string): RecordedCall[] {
    return this.calls.filter(
      (c) =>
        (c.meta.remote === remote || c.meta.host === remote || c.meta.type === remote) &&
        (!method || c.method === method),
    );
  }

  stats(): {
    kvs: ReturnType<KvsEmulator['stats']>;
    sql: SqlStats;
    queue: ReturnType<QueueEmulator['stats']>;
    invocations: Record<string, number>;
  } {
    const invocations: Record<string, number> = {};
    for (const i of this.invocations)
      invocations[`${i.kind}:${i.outcome ?? 'running'}`] =
        (invocations[`${i.kind}:${i.outcome ?? 'running'}`] ?? 0) + 1;
    return { kvs: this.kvs.stats(), sql: this.sql.stats(), queue: this.queues.stats(), invocations };
  }

  newId(): string {
    return randomUUID();
  }
}

// ---- the globals ---------------------------------------------------------------------------------------

interface GlobalSlots {
  __forge_runtime__?: unknown;
  __forge_fetch__?: unknown;
  __forge_harness_state__?: {
    current: ForgeHarness | undefined;
    realFetch: typeof fetch;
    RealDate: DateConstructor;
    datePatched: boolean;
  };
  fetch?: typeof fetch;
  Date: DateConstructor;
}

function slots(): GlobalSlots {
  return globalThis as unknown as GlobalSlots;
}

/** The harness the globals currently delegate to. */
export function currentHarness(): ForgeHarness {
  const st = slots().__forge_harness_state__;
  if (!st?.current)
    throw new Error(
      'forge-harness: no harness installed (call installForgeGlobals / resetForgeHarness first)',
    );
  return st.current;
}

function patchDate(st: NonNullable<GlobalSlots['__forge_harness_state__']>): void {
  if (st.datePatched) return;
  const RealDate = st.RealDate;
  const simNow = (): number => {
    const h = st.current;
    return h && h.opts.patchDate !== false ? h.clock.now() : RealDate.now();
  };
  function SimDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(simNow()).toString();
    if (args.length === 0) return Reflect.construct(RealDate, [simNow()], new.target);
    return Reflect.construct(RealDate, args, new.target);
  }
  Object.setPrototypeOf(SimDate, RealDate);
  SimDate.prototype = RealDate.prototype;
  Object.defineProperty(SimDate, 'now', { value: simNow, writable: true, configurable: true });
  Object.defineProperty(SimDate, Symbol.hasInstance, { value: (x: unknown) => x instanceof RealDate });
  slots().Date = SimDate as unknown as DateConstructor;
  st.datePatched = true;
}

/**
 * Installs `__forge_runtime__`, `__forge_fetch__`, the external `fetch` router and (unless
 * `patchDate: false`) the simulated `Date`, delegating to a new harness built from `opts`, and returns it.
 * Call it before the Forge SDK modules (or the app modules that import them) are required. Calling it
 * again replaces the current harness (same as `resetForgeHarness`).
 */
export function installForgeGlobals(opts: HarnessOptions = {}): ForgeHarness {
  const g = slots();
  const harness = new ForgeHarness(opts);
  if (!g.__forge_harness_state__) {
    const realFetch = g.fetch as typeof fetch;
    const state = {
      current: harness as ForgeHarness | undefined,
      realFetch,
      RealDate: g.Date,
      datePatched: false,
    };
    g.__forge_harness_state__ = state;
    const runtime = {};
    for (const key of [
      'appContext',
      'contextAri',
      'lambdaContext',
      'metrics',
      'proxy',
      'tracing',
      'externalAuth',
    ]) {
      Object.defineProperty(runtime, key, {
        enumerable: true,
        get: () => currentHarness().runtimeView()[key],
      });
    }
    g.__forge_runtime__ = runtime;
    g.__forge_fetch__ = (meta: unknown, path: string, init?: Record<string, unknown>) =>
      currentHarness().forgeFetch(meta, path, init);
    g.fetch = ((input: unknown, init?: Record<string, unknown>) =>
      currentHarness().externalFetch(realFetch, input, init)) as typeof fetch;
  } else {
    g.__forge_harness_state__.current = harness;
  }
  if (opts.patchDate !== false) patchDate(g.__forge_harness_state__);
  return harness;
}

/** Fresh state for the next test: a new harness behind the same globals. */
export function resetForgeHarness(opts: HarnessOptions = {}): ForgeHarness {
  return installForgeGlobals(opts);
}

/** Removes the globals and restores `fetch` and `Date` (SDK modules already required keep their references). */
export function uninstallForgeGlobals(): void {
  const g = slots();
  const st = g.__forge_harness_state__;
  if (!st) return;
  g.fetch = st.realFetch;
  g.Date = st.RealDate;
  delete g.__forge_runtime__;
  delete g.__forge_fetch__;
  delete g.__forge_harness_state__;
}
