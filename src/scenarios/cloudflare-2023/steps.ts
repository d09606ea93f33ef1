/** The ground-truth steps of the Cloudflare 2023 timeline (INCIDENTS.md), before records are attached. */
import type { Category } from '../../core/category';

export interface StepSpec {
  readonly id: string;
  readonly when: string;
  readonly what: string;
  readonly actor: string;
  readonly categories: readonly Category[];
  /** Said of the step when the platform keeps no record of it. */
  readonly unobservable: { readonly dc: string; readonly cloud: string };
}

const none = 'no record source on this platform';

export const STEPS: readonly StepSpec[] = [
  {
    id: 'recon-failed-logins',
    when: '2023-11-14T09:22:00.000Z',
    actor: 'svc-smartsheet',
    what: 'Nov 14 09:22 reconnaissance; Okta and dashboard logins refused (failed logins from new IPs for a dormant service identity)',
    categories: ['brute-force', 'anomalous-login', 'ioc-match', 'dormant-account'],
    unobservable: {
      dc: none,
      cloud:
        'refused logins happen at the identity provider; the organization audit log records successful logins only',
    },
  },
  {
    id: 'dormant-credential-use',
    when: '2023-11-15T16:28:00.000Z',
    actor: 'moveworks-bot',
    what: 'Nov 15 16:28 used the Moveworks token and Smartsheet account to reach Jira and Confluence (first use in months of a service credential)',
    categories: ['dormant-account', 'anomalous-login', 'ioc-match'],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'sensitive-search',
    when: '2023-11-15T16:28:00.000Z',
    actor: 'moveworks-bot',
    what: 'Nov 15-16 searched for "remote access", "password", "client secret", "openconnect", "cloudflared", "token" (sensitive search terms)',
    categories: ['sensitive-search'],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'wiki-page-reads',
    when: '2023-11-15T16:40:00.000Z',
    actor: 'moveworks-bot',
    what: "Nov 15-16 read 202 of 14,099 wiki pages (page reads far above the actor's baseline)",
    categories: ['bulk-read'],
    unobservable: {
      dc: "Confluence DC page views: no verifiable audit record (the audit log's end-user-activity coverage was not confirmed to log views), so none is written",
      cloud: none,
    },
  },
  {
    id: 'jira-issue-reads',
    when: '2023-11-16T09:30:00.000Z',
    actor: 'svc-smartsheet',
    what: "Nov 15-16 read 36 of 2,059,357 Jira tickets (issue reads far above the actor's baseline)",
    categories: ['bulk-read'],
    unobservable: { dc: 'Jira DC writes no audit record for issue views', cloud: none },
  },
  {
    id: 'user-created',
    when: '2023-11-16T14:36:00.000Z',
    actor: 'svc-smartsheet',
    what: 'Nov 16 14:36 created a normal-looking Atlassian user with the Smartsheet account (user created by a service account)',
    categories: ['account-creation'],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'new-user-groups',
    when: '2023-11-16T14:37:00.000Z',
    actor: 'svc-smartsheet',
    what: 'Nov 16 14:36 added the new user to several groups (new user added to groups within minutes)',
    categories: ['account-creation', 'permission-change', 'privilege-escalation'],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'access-checks',
    when: '2023-11-16T14:45:00.000Z',
    actor: 'jdoe2',
    what: "Nov 17 - Nov 20 mostly quiet, brief access checks (logins from the attacker's addresses)",
    categories: ['ioc-match', 'anomalous-login', 'dormant-account'],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'scriptrunner-install',
    when: '2023-11-22T14:18:00.000Z',
    actor: 'svc-smartsheet',
    what: 'Nov 22 14:18 installed ScriptRunner for Jira with the Smartsheet account (app installed by a service account)',
    categories: ['app-install'],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'script-console',
    when: '2023-11-22T14:24:00.000Z',
    actor: 'svc-smartsheet',
    what: 'Nov 22 used the ScriptRunner script console to deploy the Sliver C2 implant (script console used by a service account)',
    categories: ['app-install'],
    unobservable: {
      dc: none,
      cloud: 'ScriptRunner for Jira Cloud console runs reach no product or organization audit log',
    },
  },
  {
    id: 'repo-views',
    when: '2023-11-22T14:50:00.000Z',
    actor: 'svc-bitbucket',
    what: 'Nov 22-23 viewed 120 of 11,904 repositories',
    categories: ['repo-exfiltration', 'bulk-read'],
    unobservable: { dc: none, cloud: 'Bitbucket Cloud records no repository page views' },
  },
  {
    id: 'archive-downloads',
    when: '2023-11-22T15:00:00.000Z',
    actor: 'svc-bitbucket',
    what: "Nov 22-23 used Bitbucket's git archive feature on 76 repositories (archive downloads across many repositories)",
    categories: ['repo-exfiltration', 'data-export'],
    unobservable: {
      dc: none,
      cloud: 'Bitbucket Cloud has no source for archive downloads or clones (BCLOUD-14278)',
    },
  },
  {
    id: 'admin-group-add',
    when: '2023-11-23T15:58:00.000Z',
    actor: 'svc-smartsheet',
    what: 'Nov 23 15:58 added the Smartsheet service account to an admin group (admin group membership change)',
    categories: ['privilege-escalation'],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'contain-smartsheet',
    when: '2023-11-23T16:35:00.000Z',
    actor: 'admin',
    what: '16:35 the SOC disabled the Smartsheet account (defender action; no detection expected)',
    categories: [],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'contain-created-user',
    when: '2023-11-23T17:23:00.000Z',
    actor: 'admin',
    what: '17:23 the attacker-created user found and disabled (defender action; no detection expected)',
    categories: [],
    unobservable: { dc: none, cloud: none },
  },
  {
    id: 'last-activity',
    when: '2023-11-24T10:44:00.000Z',
    actor: 'moveworks-bot',
    what: 'Nov 24 10:44 / 11:59 last activity',
    categories: ['ioc-match', 'sensitive-search', 'brute-force', 'anomalous-login'],
    unobservable: { dc: none, cloud: none },
  },
];
