import type { Category } from '../core/category';

/** How a category reads in an incident title. */
export const CATEGORY_LABELS: Readonly<Record<Category, string>> = {
  'privilege-escalation': 'privilege escalation',
  'account-creation': 'account creation',
  impersonation: 'impersonation',
  'dormant-account': 'dormant account',
  'credential-creation': 'credential creation',
  'auth-weakened': 'authentication weakened',
  'ioc-match': 'known-bad indicator',
  'brute-force': 'brute force',
  'anomalous-login': 'anomalous login',
  'app-install': 'app install',
  'defense-evasion': 'defense evasion',
  'bulk-read': 'bulk read',
  'sensitive-search': 'sensitive search',
  'repo-exfiltration': 'repository exfiltration',
  'data-export': 'data export',
  'public-exposure': 'public exposure',
  'permission-change': 'permission change',
};
