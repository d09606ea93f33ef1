/**
 * Every KVS key and secret name the app uses, in one place (decision 0016 lists what each holds and costs).
 * The inbox and the per-record de-duplication marks are not here: they are Forge SQL tables (./inbox.ts).
 * KVS keys allow only `[a-zA-Z0-9:._ -#]`, so ids from the core (`inc-…`, `rule:hash`, action ids with `/`)
 * are stored under `safeKey(id)`.
 */
import { createHash } from 'node:crypto';

export const KEYS = {
  /** The commit point: snapshot generation, chunk count, inbox ids (Forge SQL) of the last stored batch. */
  head: 'head',
  settings: 'settings',
  snapshotChunk: (gen: number, i: number) => `snap:${gen}:${i}`,
  cursor: (source: string) => `cursor:${source}`,
  drainPending: (speed: 'fast' | 'bulk' | 'urgent') => `drain-pending:${speed}`,
  replay: (sig: string) => `replay:${sig}`,
  block: (accountId: string) => `block:${safeKey(accountId)}`,
  notified: (incidentId: string, channel: string) => `notified:${safeKey(incidentId)}:${channel}`,
  observation: (name: string) => `observed:${name}`,
} as const;

export const ENTITIES = { incident: 'incident', detection: 'detection', action: 'action' } as const;

/** Secrets live in the secret store (`kvs.setSecret`), never in settings, never returned to a resolver. */
export const SECRETS = {
  orgApiKey: 'org-api-key',
  orgWebhookAuth: 'org-webhook-authorization',
  bitbucketWebhook: 'bitbucket-webhook-secret',
  forwarder: 'forwarder-secret',
  slackWebhook: 'slack-webhook-url',
  teamsWebhook: 'teams-webhook-url',
  siemSecret: 'siem-webhook-secret',
} as const;
export type SecretName = keyof typeof SECRETS;
export const SECRET_NAMES = Object.keys(SECRETS) as SecretName[];

const SAFE = /^[a-zA-Z0-9:._\-#]{1,200}$/;

/** The id itself when KVS accepts it as a key, else `h-` and its SHA-256 (the id is kept in the value). */
export function safeKey(id: string): string {
  return SAFE.test(id) ? id : `h-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

/** A record's identity for de-duplication: its JSON with keys sorted, hashed. The same payload delivered
 *  twice (platform retry, queue redelivery, poll overlap) has the same key. */
export function rawKey(record: unknown): string {
  return createHash('sha256').update(stableJson(record)).digest('hex').slice(0, 32);
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
