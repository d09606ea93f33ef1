/**
 * Forge async events (@forge/events `Queue`): the publish endpoint the SDK posts to through
 * `__forge_fetch__({type:'fpp', provider:'app', remote:'stargate'}, '/webhook/queue/publish/{contextAri}/…')`,
 * plus `…/stats/…` and `…/cancel/…`, and delivery to the registered consumer.
 *
 * Platform behaviour simulated (docs: limits-async-events, runtime-reference/async-events-api, forge-platform.md §E;
 * status codes from @forge/events/out/validators.js):
 * - a push holds 1..50 events and ≤ 200 KB (413 `{errorMessage}` otherwise), `delayInSeconds` 0..900 (400);
 * - at most 500 events per minute per installation across all queues (429);
 * - at most 1,000 pushes per originating invocation chain (405, the cyclic-invocation limit);
 * - success is 201; each event is delivered as `handler(AsyncEvent, context)` with
 *   AsyncEvent = `{body, queueName, jobId, eventId, delayInSeconds?, concurrency?, retryContext?}`
 *   after its delay;
 * - a consumer that returns `new InvocationError({retryAfter, retryReason, retryData})` is retried after
 *   retryAfter seconds, a thrown error or timeout is retried by the platform with exponential backoff
 *   (capped at 15 min); both carry `retryContext {retryCount, retryReason, retryData, retentionWindow}` and
 *   stop after `maxRetries` (default 4) or when the 24 h retention window is over;
 * - at-least-once: `duplicateRate` (0..1, seeded) delivers some events a second time, as the platform may;
 * - job stats: `{success, inProgress, failed}`; cancel drops the job's undelivered events (204).
 * Not simulated: `concurrency` limits (the harness never overlaps invocations), fifo consumers, the
 * resolver-style consumer (`resolver: {function, method}`), the 72 h extension on platform errors.
 */
import type { ForgeHandler, ForgeHarness, Invocation } from './harness';
import type { HarnessRequest, HarnessResponse } from './http';

export interface QueueOptions {
  maxRetries?: number;
  /** Events per minute per installation (documented: 500). */
  eventsPerMinute?: number;
  /** Probability that a delivered event is delivered again (at-least-once). */
  duplicateRate?: number;
  /** Delay of a duplicate delivery after the first one (ms). */
  duplicateDelayMs?: number;
  /** Cyclic-invocation limit (documented: 1,000 pushes per originating invocation). */
  cyclicLimit?: number;
}

interface Consumer {
  queueName: string;
  moduleKey: string;
  handler: ForgeHandler;
  timeoutMs: number;
}

interface Job {
  jobId: string;
  queueName: string;
  total: number;
  success: number;
  failed: number;
  cancelled: boolean;
}

export interface QueuedEvent {
  body: Record<string, unknown>;
  queueName: string;
  jobId: string;
  eventId: string;
  delayInSeconds?: number;
  concurrency?: { key: string; limit: number };
  /** Chain root of the pushing invocation (cyclic limit). */
  rootId: string;
  firstAttemptAt: number;
}

export interface QueueStats {
  pushes: number;
  eventsPublished: number;
  deliveries: number;
  retries: number;
  duplicates: number;
  succeeded: number;
  failed: number;
  rejectedPushes: Record<string, number>;
}

const RETENTION_MS = 24 * 3_600_000;

export interface RetryResult {
  _retry: true;
  retryOptions?: { retryAfter?: number; retryReason?: string; retryData?: unknown };
}

/** `new InvocationError(...)` from @forge/events returns `{_retry: true, retryOptions}` (its toJSON()). */
export function isRetryResult(x: unknown): x is RetryResult {
  return typeof x === 'object' && x !== null && (x as { _retry?: unknown })._retry === true;
}

export class QueueEmulator {
  private consumers = new Map<string, Consumer>();
  private jobs = new Map<string, Job>();
  private recent: { at: number; n: number }[] = [];
  private chainPushes = new Map<string, number>();
  readonly published: QueuedEvent[] = [];
  private s: QueueStats = {
    pushes: 0,
    eventsPublished: 0,
    deliveries: 0,
    retries: 0,
    duplicates: 0,
    succeeded: 0,
    failed: 0,
    rejectedPushes: {},
  };

  constructor(
    private readonly h: ForgeHarness,
    private readonly o: QueueOptions,
  ) {}

  registerConsumer(
    queueName: string,
    handler: ForgeHandler,
    opts: { moduleKey?: string; timeoutSeconds?: number } = {},
  ): void {
    this.consumers.set(queueName, {
      queueName,
      handler,
      moduleKey: opts.moduleKey ?? `${queueName}-consumer`,
      timeoutMs: (opts.timeoutSeconds ?? 55) * 1000,
    });
  }

  stats(): QueueStats {
    return { ...this.s, rejectedPushes: { ...this.s.rejectedPushes } };
  }

  jobStats(jobId: string): { success: number; inProgress: number; failed: number } | undefined {
    const j = this.jobs.get(jobId);
    return j
      ? { success: j.success, inProgress: j.total - j.success - j.failed, failed: j.failed }
      : undefined;
  }

  private reject(code: number, body: unknown): HarnessResponse {
    this.s.rejectedPushes[String(code)] = (this.s.rejectedPushes[String(code)] ?? 0) + 1;
    return { status: code, body };
  }

  handle(req: HarnessRequest, inv: Invocation | undefined): HarnessResponse {
    const kind = req.pathname.split('/')[3];
    const b = (req.json ?? {}) as Record<string, unknown>;
    if (req.method !== 'POST') return { status: 405, body: { message: 'POST only' } };
    if (kind === 'stats') {
      const st = this.jobStats(String(b.jobId ?? ''));
      return st ? { status: 200, body: st } : { status: 404, body: { message: 'job not found' } };
    }
    if (kind === 'cancel') {
      const j = this.jobs.get(String(b.jobId ?? ''));
      if (!j) return { status: 404, body: { message: 'job not found' } };
      j.cancelled = true;
      return { status: 204 };
    }
    if (kind !== 'publish')
      return { status: 404, body: { message: `unknown queue endpoint ${req.pathname}` } };
    return this.publish(b, inv);
  }

  private publish(b: Record<string, unknown>, inv: Invocation | undefined): HarnessResponse {
    const queueName = String(b.queueName ?? '');
    const jobId = String(b.jobId ?? '');
    const payload = b.payload as
      { body?: unknown; delayInSeconds?: number; concurrency?: { key: string; limit: number } }[] | undefined;
    if (!/^[a-zA-Z0-9-_]+$/.test(queueName) || !jobId || !Array.isArray(payload)) {
      return this.reject(400, {
        message: 'Invalid push request',
        errors: ['queueName, jobId and payload are required'],
      });
    }
    if (payload.length === 0 || payload.length > 50)
      return this.reject(400, { message: 'A push holds 1 to 50 events' });
    if (Buffer.byteLength(JSON.stringify(payload)) > 200 * 1024)
      return this.reject(413, { errorMessage: 'The maximum payload size is 200KB.' });
    for (const ev of payload) {
      if (typeof ev.body !== 'object' || ev.body === null || Array.isArray(ev.body))
        return this.reject(400, { message: 'Event body must be an object.' });
      if (ev.delayInSeconds !== undefined && (ev.delayInSeconds < 0 || ev.delayInSeconds > 900)) {
        return this.reject(400, { message: 'The delayInSeconds setting must be between 0 and 900.' });
      }
    }
    const now = this.h.clock.now();
    this.recent = this.recent.filter((r) => r.at > now - 60_000);
    const lastMinute = this.recent.reduce((a, r) => a + r.n, 0);
    if (lastMinute + payload.length > (this.o.eventsPerMinute ?? 500))
      return this.reject(429, { message: 'Too many requests.' });
    const rootId = inv?.rootId ?? 'outside-invocation';
    const chain = (this.chainPushes.get(rootId) ?? 0) + 1;
    if (inv && chain > (this.o.cyclicLimit ?? 1000))
      return this.reject(405, { message: 'The limit on cyclic invocation has been reached.' });
    this.chainPushes.set(rootId, chain);
    if (inv) inv.pushes++;
    this.recent.push({ at: now, n: payload.length });
    this.s.pushes++;
    this.s.eventsPublished += payload.length;
    this.jobs.set(jobId, {
      jobId,
      queueName,
      total: payload.length,
      success: 0,
      failed: 0,
      cancelled: false,
    });
    payload.forEach((ev, i) => {
      const qe: QueuedEvent = {
        body: ev.body as Record<string, unknown>,
        queueName,
        jobId,
        eventId: `${jobId}#${i}`,
        ...(ev.delayInSeconds !== undefined ? { delayInSeconds: ev.delayInSeconds } : {}),
        ...(ev.concurrency ? { concurrency: ev.concurrency } : {}),
        rootId,
        firstAttemptAt: now + (ev.delayInSeconds ?? 0) * 1000,
      };
      this.published.push(qe);
      this.h.scheduler.at(qe.firstAttemptAt, `queue:${queueName}`, () =>
        this.deliver(qe, 0, undefined, true),
      );
    });
    return { status: 201, body: {} };
  }

  private async deliver(
    qe: QueuedEvent,
    retryCount: number,
    retry: { reason: string; data: unknown } | undefined,
    mayDuplicate: boolean,
  ): Promise<void> {
    const job = this.jobs.get(qe.jobId);
    if (job?.cancelled) return;
    const consumer = this.consumers.get(qe.queueName);
    if (!consumer) {
      // The platform keeps events for a queue without a consumer until the retention window ends; so do we.
      if (this.h.clock.now() - qe.firstAttemptAt < RETENTION_MS) {
        this.h.scheduler.after(60_000, `queue-wait:${qe.queueName}`, () =>
          this.deliver(qe, retryCount, retry, mayDuplicate),
        );
      } else if (job) job.failed++;
      return;
    }
    const now = this.h.clock.now();
    const event: Record<string, unknown> = {
      body: structuredClone(qe.body),
      queueName: qe.queueName,
      jobId: qe.jobId,
      eventId: qe.eventId,
      ...(qe.delayInSeconds !== undefined ? { delayInSeconds: qe.delayInSeconds } : {}),
      ...(qe.concurrency ? { concurrency: qe.concurrency } : {}),
      ...(retry
        ? {
            retryContext: {
              retryCount,
              retryReason: retry.reason,
              retryData: retry.data,
              retentionWindow: {
                startTime: new Date(qe.firstAttemptAt).toISOString(),
                remainingTimeMs: Math.max(0, qe.firstAttemptAt + RETENTION_MS - now),
              },
            },
          }
        : {}),
    };
    this.s.deliveries++;
    const parentRoot = { rootId: qe.rootId } as Invocation;
    const r = await this.h.invoke(
      'consumer',
      consumer.moduleKey,
      consumer.timeoutMs,
      (ctx) => consumer.handler(event, ctx),
      { parent: parentRoot },
    );
    if (mayDuplicate && (this.o.duplicateRate ?? 0) > 0 && this.h.rng() < (this.o.duplicateRate ?? 0)) {
      this.s.duplicates++;
      this.h.scheduler.after(this.o.duplicateDelayMs ?? 1000, `queue-dup:${qe.queueName}`, () =>
        this.deliver(qe, retryCount, retry, false),
      );
    }
    let next: { afterS: number; reason: string; data: unknown } | undefined;
    if (r.outcome === 'ok' && isRetryResult(r.result)) {
      next = {
        afterS: Math.max(1, r.result.retryOptions?.retryAfter ?? 1),
        reason: r.result.retryOptions?.retryReason ?? 'FUNCTION_RETRY_REQUEST',
        data: r.result.retryOptions?.retryData,
      };
    } else if (r.outcome === 'error') {
      next = {
        afterS: Math.min(900, 2 ** (retryCount + 1) * 5),
        reason: 'FUNCTION_PLATFORM_UNKNOWN_ERROR',
        data: undefined,
      };
    } else if (r.outcome === 'timeout') {
      next = {
        afterS: Math.min(900, 2 ** (retryCount + 1) * 5),
        reason: 'FUNCTION_TIME_OUT',
        data: undefined,
      };
    }
    if (!next) {
      if (job) job.success++;
      this.s.succeeded++;
      return;
    }
    const withinWindow = this.h.clock.now() + next.afterS * 1000 - qe.firstAttemptAt < RETENTION_MS;
    if (retryCount < (this.o.maxRetries ?? 4) && withinWindow) {
      this.s.retries++;
      const n = next;
      this.h.scheduler.after(Math.min(900, n.afterS) * 1000, `queue-retry:${qe.queueName}`, () =>
        this.deliver(qe, retryCount + 1, { reason: n.reason, data: n.data }, mayDuplicate),
      );
      return;
    }
    if (job) job.failed++;
    this.s.failed++;
  }
}
