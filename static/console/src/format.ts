import type { ActionRecord, ActionState, Identity, Severity } from './api';

export const time = (ms: number): string =>
  Number.isFinite(ms) ? `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC` : '—';

export const who = (i: Identity | undefined): string => i?.name ?? i?.id ?? 'unidentified';

export type LozengeAppearance = 'default' | 'inprogress' | 'moved' | 'new' | 'removed' | 'success';

export const severityAppearance: Record<Severity, LozengeAppearance> = {
  critical: 'removed',
  high: 'moved',
  medium: 'inprogress',
  low: 'default',
  info: 'default',
};

export const statusAppearance: Record<string, LozengeAppearance> = {
  open: 'removed',
  acknowledged: 'inprogress',
  resolved: 'success',
};

export const stateAppearance: Record<ActionState, LozengeAppearance> = {
  done: 'success',
  failed: 'removed',
  'dry-run': 'new',
  'awaiting-approval': 'moved',
  skipped: 'default',
  undone: 'inprogress',
};

export function describeAction(a: ActionRecord): string {
  const what = a.action.group ? `${a.action.kind} ${a.action.group}` : a.action.kind;
  return `${what} · ${a.action.product}:${who(a.action.identity)}`;
}

/** "a, b, c" → ["a","b","c"], empty entries dropped. */
export const splitList = (s: string): string[] =>
  s
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
