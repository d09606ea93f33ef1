/** The fixed vocabulary of rule categories. Every built-in rule names exactly one. */
export const CATEGORIES = [
  'privilege-escalation',
  'account-creation',
  'impersonation',
  'dormant-account',
  'credential-creation',
  'auth-weakened',
  'ioc-match',
  'brute-force',
  'anomalous-login',
  'app-install',
  'defense-evasion',
  'bulk-read',
  'sensitive-search',
  'repo-exfiltration',
  'data-export',
  'public-exposure',
  'permission-change',
] as const;
export type Category = (typeof CATEGORIES)[number];
