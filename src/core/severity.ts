export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const rank: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
export const severityRank = (s: Severity): number => rank[s];
export const maxSeverity = (a: Severity, b: Severity): Severity => (rank[a] >= rank[b] ? a : b);
export const atLeast = (s: Severity, floor: Severity): boolean => rank[s] >= rank[floor];
export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}
