/**
 * Forge entry points (manifest.yml `function` handlers `forge/index.<name>`). Each is thin: read the
 * invocation, call the core (./core/app.ts), return. The app is built once per runtime instance.
 */
import { InvocationError, InvocationErrorCode } from '@forge/events';
import { getAppContext } from '@forge/api';
import Resolver from '@forge/resolver';
import { asAppApi, asUserApi, externalFetch, forgeQueue, forgeSql, ForgeKv } from './adapters/forge';
import { BulkheadApp, type QueueJob } from './core/app';
import { CONSOLE_FUNCTIONS, type CallerContext } from './core/console';
import type { RuleSet } from './core/ingest';
import type { WebTriggerRequest } from './core/webtriggers';
import bundle from './generated/builtin-rules.json';
import { ruleSetFromBundle, type RulesBundle } from './rules-bundle';

let rules: RuleSet | undefined;
/** The built-in rules and lists, from the generated bundle (the Forge bundler does not package YAML files),
 *  compiled once per runtime instance. */
function builtinRules(): RuleSet {
  rules ??= ruleSetFromBundle(bundle as RulesBundle);
  return rules;
}

let app: BulkheadApp | undefined;
export function bulkhead(): BulkheadApp {
  app ??= new BulkheadApp({
    kv: new ForgeKv(),
    sql: forgeSql,
    asApp: asAppApi,
    asUser: () => asUserApi,
    fetch: externalFetch,
    queue: forgeQueue,
    rules: builtinRules,
    now: () => Date.now(),
    installation: () => getAppContext().installationAri.toString(),
    log: (line) => console.log(line),
  });
  return app;
}

/** Product-event trigger: the event goes to the inbox; a bad payload is logged and dropped (never retried).
 *  A failure to store it (a Forge SQL or KVS rate limit or outage) asks the platform to deliver it again: a thrown error is
 *  not retried, so the event would be lost. */
export async function onProductEvent(event: unknown): Promise<InvocationError | void> {
  let r: { accepted: boolean; reason?: string };
  try {
    r = await bulkhead().productEvent(event);
  } catch (err) {
    console.log(`product event not stored, asking for it again: ${(err as Error).message}`);
    return new InvocationError({ retryAfter: 30, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
  }
  if (!r.accepted) console.log(`product event not read: ${r.reason ?? ''}`);
}

/** `avi:forge:installed:app`: start the backfill. Retried when the app user's permissions are not there yet. */
export async function onInstalled(): Promise<InvocationError | void> {
  try {
    await bulkhead().installed();
  } catch (err) {
    console.log(`install setup failed, retrying: ${(err as Error).message}`);
    return new InvocationError({ retryAfter: 60, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
  }
}

export async function pollJiraAudit(): Promise<void> {
  await bulkhead().poll('jira-audit');
}
export async function pollConfluenceAudit(): Promise<void> {
  await bulkhead().poll('confluence-audit');
}
export async function pollOrgEvents(): Promise<void> {
  await bulkhead().poll('org-events');
}

export const orgWebhook = (req: WebTriggerRequest) => bulkhead().webtrigger('org', req);
export const bitbucketWebhook = (req: WebTriggerRequest) => bulkhead().webtrigger('bitbucket', req);
export const forwarderWebhook = (req: WebTriggerRequest) => bulkhead().webtrigger('forwarder', req);

/** `ingest` queue: drain the inbox (a failure is retried by the platform; the batch repeats identically). */
export async function ingestWorker(event: { body?: QueueJob }): Promise<void> {
  await bulkhead().job('ingest', event.body ?? {});
}

/** `contain` queue: decide and run the incident's containment, then notify; an action that failed on a 429
 *  or 5xx, or a retryable notification failure, asks for the job again (decided actions are not repeated). */
export async function containWorker(event: {
  body?: QueueJob;
  retryContext?: { retryCount?: number };
}): Promise<InvocationError | void> {
  const r = (await bulkhead().job('contain', {
    ...(event.body ?? {}),
    attempt: event.retryContext?.retryCount ?? 0,
  })) as { notified?: { retryable?: boolean }[]; retryAfterS?: number };
  if (r.retryAfterS !== undefined)
    return new InvocationError({
      retryAfter: r.retryAfterS,
      retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
    });
  if (r.notified?.some((n) => n.retryable === true))
    return new InvocationError({ retryAfter: 60, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
}

export const mergeCheck = (event: unknown) => bulkhead().mergeCheck(event);

const resolver = new Resolver();
for (const fn of CONSOLE_FUNCTIONS)
  resolver.define(fn, (req) => bulkhead().resolve(fn, req.payload, req.context as CallerContext));
export const consoleResolver = resolver.getDefinitions();
