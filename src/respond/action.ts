/**
 * Containment actions: what Bulkhead can do to an identity, and how each is undone. Host-independent: the
 * Forge app carries them out through the Cloud and Admin APIs, the Data Center service through the DC REST
 * APIs (see their executors); the guardrails that decide whether an action runs (guardrails.ts) are shared.
 */
import type { Identity } from '../core/detection';
import type { Product } from '../core/event';

export const ACTION_KINDS = [
  'remove-from-group',
  'add-to-group',
  'suspend-account',
  'restore-account',
  'revoke-tokens',
  'block-merges',
  'unblock-merges',
  'revoke-permissions',
  'restore-permissions',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

interface Base {
  /** Who the action is about. */
  readonly identity: Identity;
  readonly product: Product;
}

/** One action. A group action names its group; the others act on the whole account. */
export type ContainmentAction =
  | (Base & { readonly kind: 'remove-from-group' | 'add-to-group'; readonly group: string })
  | (Base & { readonly kind: Exclude<ActionKind, 'remove-from-group' | 'add-to-group'> });

/** What undoes an action, or why nothing can (`restore-permissions` puts back exactly the grants that
 *  `revoke-permissions` removed: the executor returns them as the revocation's result, and gets that record
 *  back when asked to undo it): a revoked token is gone, its owner has to create a new one. */
export function inverse(a: ContainmentAction): ContainmentAction | { readonly impossible: string } {
  switch (a.kind) {
    case 'remove-from-group':
      return { ...a, kind: 'add-to-group' };
    case 'add-to-group':
      return { ...a, kind: 'remove-from-group' };
    case 'suspend-account':
      return { ...a, kind: 'restore-account' };
    case 'restore-account':
      return { ...a, kind: 'suspend-account' };
    case 'block-merges':
      return { ...a, kind: 'unblock-merges' };
    case 'unblock-merges':
      return { ...a, kind: 'block-merges' };
    case 'revoke-permissions':
      return { ...a, kind: 'restore-permissions' };
    case 'restore-permissions':
      return { ...a, kind: 'revoke-permissions' };
    case 'revoke-tokens':
      return { impossible: 'revoked tokens cannot be restored; the owner creates new ones' };
  }
}

/** `suspend-account jira:svc-smartsheet`, `remove-from-group jira:svc-smartsheet from jira-administrators`: the
 *  identity of an action, so the same action is never planned twice for one incident. */
export function actionKey(a: ContainmentAction): string {
  const who = (a.identity.id ?? a.identity.name ?? '?').toLowerCase();
  return `${a.kind} ${a.product}:${who}${'group' in a ? ` from ${a.group.toLowerCase()}` : ''}`;
}
