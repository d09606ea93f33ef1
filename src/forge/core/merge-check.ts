/**
 * The `bitbucket:mergeCheck` (on-merge): refuses a merge whose author or merger Bulkhead has contained (a
 * `block-merges` action set the account's KVS flag; its undo clears it). One KVS read per account checked.
 * The payload shape follows the merge-check docs: `{ pullrequest: { author: { accountId } }, trigger: {
 * type, actor?: { accountId } } }`, read defensively: an unknown shape allows the merge and says so.
 */
import { KEYS } from './keys';
import type { KvPort } from './ports';

export interface MergeCheckResult {
  readonly success: boolean;
  readonly message: string;
}

function accountIds(event: unknown): string[] {
  const e = event as {
    pullrequest?: { author?: { accountId?: unknown } };
    pullRequest?: { author?: { accountId?: unknown } };
    trigger?: { actor?: { accountId?: unknown } };
    actor?: { accountId?: unknown };
  };
  const ids = [
    e.pullrequest?.author?.accountId,
    e.pullRequest?.author?.accountId,
    e.trigger?.actor?.accountId,
    e.actor?.accountId,
  ];
  return [...new Set(ids.filter((x): x is string => typeof x === 'string' && x !== ''))];
}

export async function mergeCheck(kv: KvPort, event: unknown): Promise<MergeCheckResult> {
  const ids = accountIds(event);
  if (ids.length === 0) return { success: true, message: 'Bulkhead: no account in the merge check payload' };
  for (const id of ids) {
    if ((await kv.get(KEYS.block(id))) !== undefined)
      return {
        success: false,
        message: 'Bulkhead: merges by this account are blocked while a security incident is contained',
      };
  }
  return { success: true, message: 'Bulkhead: no contained account involved' };
}
