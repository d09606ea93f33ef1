/**
 * Per-installation settings (KVS key `settings`): plain data a site admin changes in the console. Secrets are
 * not settings: they are set through `setSecret` and only ever reported as set or unset.
 */
import { isSeverity, type Severity } from '../../core/severity';
import type { PolicyAction, ResponsePolicy } from '../../respond/responder';

export interface ForgeSettings {
  /** Atlassian organization id (admin.atlassian.com), for the Admin API. */
  readonly orgId?: string;
  /** The org directory whose users are suspended and restored (Admin API v2). */
  readonly directoryId?: string;
  /** Bitbucket workspace slug whose repository permissions are revoked. */
  readonly bitbucketWorkspace?: string;
  /** Jira project key for incident issues; absent: no issue is created. */
  readonly securityProject?: string;
  readonly jiraIssueType: string;
  /** A SIEM's JSON webhook URL (its host must be in manifest.yml egress). */
  readonly siemUrl?: string;
  readonly policy: ResponsePolicy;
  /** Group names treated as admin groups when containing (lower-case compare). */
  readonly adminGroups: readonly string[];
  readonly disabledRules: readonly string[];
  /** Per rule: user names or ids it never raises a detection for. */
  readonly ruleAllowLists: Readonly<Record<string, readonly string[]>>;
  /** Per count or distinct rule: a threshold in place of the rule file's. */
  readonly ruleThresholds: Readonly<Record<string, number>>;
  /** How far back the install backfill reads the audit APIs. */
  readonly backfillDays: number;
  /** Whether issue and page views and searches (the bulk of a large site's events) are ingested. Off for
   *  sites whose view volume exceeds the KVS budget (decision 0016); the bulk-read rules then see nothing. */
  readonly ingestViews: boolean;
}

export const DEFAULT_SETTINGS: ForgeSettings = {
  jiraIssueType: 'Task',
  policy: {
    minSeverity: 'critical',
    actions: ['remove-from-admin-groups', 'suspend-account', 'block-merges'],
    dryRunRules: [],
    allowList: [],
    maxPerHour: 10,
  },
  adminGroups: [
    'site-admins',
    'org-admins',
    'administrators',
    'jira-administrators',
    'jira-admins',
    'confluence-administrators',
    'confluence-admins',
    'system-administrators',
    // Cloud's product admin groups are named after the site.
    'jira-admins-*',
    'confluence-admins-*',
  ],
  disabledRules: [],
  ruleAllowLists: {},
  ruleThresholds: {},
  backfillDays: 90,
  ingestViews: true,
};

const POLICY_ACTIONS: readonly PolicyAction[] = [
  'remove-from-admin-groups',
  'suspend-account',
  'revoke-tokens',
  'block-merges',
  'revoke-permissions',
];

const OPTIONAL_STRINGS = [
  'orgId',
  'directoryId',
  'bitbucketWorkspace',
  'securityProject',
  'siemUrl',
] as const;

/** Merges a change into settings; throws naming the key for a bad value. */
export function applySettings(base: ForgeSettings, change: unknown): ForgeSettings {
  if (typeof change !== 'object' || change === null || Array.isArray(change))
    throw new Error('settings: expected an object');
  const c = change as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base };
  for (const k of Object.keys(c)) {
    const v = c[k];
    if ((OPTIONAL_STRINGS as readonly string[]).includes(k)) {
      if (v === null || v === '') delete out[k];
      else if (typeof v === 'string' && v.length <= 500) out[k] = v;
      else throw new Error(`settings.${k}: expected a string of at most 500 characters`);
      if (k === 'siemUrl' && typeof v === 'string' && v !== '' && !/^https:\/\//.test(v))
        throw new Error('settings.siemUrl: must be an https URL');
    } else if (k === 'jiraIssueType') {
      if (typeof v !== 'string' || v === '') throw new Error('settings.jiraIssueType: expected a name');
      out[k] = v;
    } else if (k === 'adminGroups' || k === 'disabledRules') {
      out[k] = stringList(v, k);
    } else if (k === 'ruleThresholds') {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new Error('settings.ruleThresholds: expected rule id → whole number');
      for (const [id, n] of Object.entries(v as Record<string, unknown>))
        if (!Number.isInteger(n) || (n as number) < 1)
          throw new Error(`settings.ruleThresholds.${id}: expected a whole number of at least 1`);
      out[k] = v;
    } else if (k === 'ingestViews') {
      if (typeof v !== 'boolean') throw new Error('settings.ingestViews: expected true or false');
      out[k] = v;
    } else if (k === 'backfillDays') {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 365)
        throw new Error('settings.backfillDays: expected a whole number 0..365');
      out[k] = v;
    } else if (k === 'policy') {
      out[k] = applyPolicy(base.policy, v);
    } else {
      throw new Error(`settings.${k}: unknown setting`);
    }
  }
  return out as unknown as ForgeSettings;
}

function stringList(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`settings.${key}: expected a list of strings`);
  return v as string[];
}

function applyPolicy(base: ResponsePolicy, v: unknown): ResponsePolicy {
  if (typeof v !== 'object' || v === null) throw new Error('settings.policy: expected an object');
  const p = v as Record<string, unknown>;
  let minSeverity: Severity = base.minSeverity;
  if (p['minSeverity'] !== undefined) {
    if (typeof p['minSeverity'] !== 'string' || !isSeverity(p['minSeverity']))
      throw new Error('settings.policy.minSeverity: expected a severity');
    minSeverity = p['minSeverity'];
  }
  let actions = base.actions;
  if (p['actions'] !== undefined) {
    const a = stringList(p['actions'], 'policy.actions');
    const bad = a.find((x) => !(POLICY_ACTIONS as readonly string[]).includes(x));
    if (bad !== undefined) throw new Error(`settings.policy.actions: unknown action ${bad}`);
    actions = a as PolicyAction[];
  }
  let maxPerHour = base.maxPerHour;
  if (p['maxPerHour'] !== undefined) {
    if (!Number.isInteger(p['maxPerHour']) || (p['maxPerHour'] as number) < 0)
      throw new Error('settings.policy.maxPerHour: expected a whole number of at least 0');
    maxPerHour = p['maxPerHour'] as number;
  }
  return {
    minSeverity,
    actions,
    maxPerHour,
    dryRunRules:
      p['dryRunRules'] !== undefined ? stringList(p['dryRunRules'], 'policy.dryRunRules') : base.dryRunRules,
    allowList: p['allowList'] !== undefined ? stringList(p['allowList'], 'policy.allowList') : base.allowList,
  };
}
