/**
 * Readiness: which sources and actions work with the current setup, and why not. Built from settings, which
 * secrets are set (never their values), the pollers' last results and the last answer each kind of action got.
 */
import type { Observation } from './containment';
import { KEYS, SECRETS } from './keys';
import type { PollResult } from './pollers';
import type { KvPort } from './ports';
import type { ForgeSettings } from './settings';

export type ReadyState = 'ready' | 'not-ready' | 'unknown' | 'impossible';

export interface ReadinessItem {
  readonly area: 'source' | 'action' | 'notification';
  readonly name: string;
  readonly state: ReadyState;
  readonly why: string;
}

async function has(kv: KvPort, secret: string): Promise<boolean> {
  return (await kv.getSecret(secret)) !== undefined;
}

export async function readiness(kv: KvPort, s: ForgeSettings): Promise<ReadinessItem[]> {
  const out: ReadinessItem[] = [];
  const orgKey = await has(kv, SECRETS.orgApiKey);
  const poll = async (source: string, name: string, needs: string) => {
    const r = await kv.get<PollResult & { at: number }>(KEYS.observation(`poll:${source}`));
    if (r === undefined)
      out.push({ area: 'source', name, state: 'unknown', why: `not polled yet (every 5 minutes); ${needs}` });
    else if (r.error !== undefined)
      out.push({ area: 'source', name, state: 'not-ready', why: `last poll failed: ${r.error}; ${needs}` });
    else if (r.skipped !== undefined) out.push({ area: 'source', name, state: 'not-ready', why: r.skipped });
    else out.push({ area: 'source', name, state: 'ready', why: `last poll read ${r.records} record(s)` });
  };

  out.push({
    area: 'source',
    name: 'Forge product events',
    state: 'ready',
    why: 'users created/deleted, issue and page views, Confluence searches, space permissions, groups created, Bitbucket repository and push events; delivered within about 3 minutes',
  });
  await poll(
    'jira-audit',
    'Jira audit records',
    'needs the app to hold Administer Jira (manage:jira-configuration)',
  );
  await poll(
    'confluence-audit',
    'Confluence audit log',
    'needs the app user to count as a Confluence administrator (UNVERIFIED on a live site)',
  );
  if (!orgKey || s.orgId === undefined)
    out.push({
      area: 'source',
      name: 'Organization events stream',
      state: 'not-ready',
      why: 'set the org API key and the org id (Atlassian Guard for the full audit log)',
    });
  else await poll('org-events', 'Organization events stream', 'org API key with read:events:admin');
  out.push(
    (await has(kv, SECRETS.orgWebhookAuth))
      ? {
          area: 'source',
          name: 'Organization audit-log webhook',
          state: 'ready',
          why: 'Authorization secret set; point the admin.atlassian.com audit-log webhook at the org-audit-webhook URL',
        }
      : {
          area: 'source',
          name: 'Organization audit-log webhook',
          state: 'not-ready',
          why: 'set the webhook Authorization secret (needs Guard Premium or Enterprise); seconds instead of the 5-minute poll',
        },
  );
  out.push(
    (await has(kv, SECRETS.bitbucketWebhook))
      ? {
          area: 'source',
          name: 'Bitbucket webhooks',
          state: 'ready',
          why: 'secret set (repo:fork and other events Forge does not deliver)',
        }
      : {
          area: 'source',
          name: 'Bitbucket webhooks',
          state: 'not-ready',
          why: 'set the webhook secret and add the bitbucket-webhook URL to the workspace',
        },
  );
  out.push(
    (await has(kv, SECRETS.forwarder))
      ? { area: 'source', name: 'Self-hosted forwarder', state: 'ready', why: 'shared HMAC secret set' }
      : {
          area: 'source',
          name: 'Self-hosted forwarder',
          state: 'not-ready',
          why: 'set the forwarder secret (optional: only with a self-hosted Bulkhead)',
        },
  );
  out.push({
    area: 'source',
    name: 'Bitbucket Cloud archive downloads and clones',
    state: 'impossible',
    why: 'Bitbucket Cloud exposes no event, webhook or audit API for them (BCLOUD-14278)',
  });

  const observed = async (kind: string, product: string, name: string, needs: string) => {
    const o = await kv.get<Observation>(KEYS.observation(`${kind}:${product}`));
    if (o === undefined) out.push({ area: 'action', name, state: 'unknown', why: `not tried yet; ${needs}` });
    else if (o.ok)
      out.push({ area: 'action', name, state: 'ready', why: `last run succeeded (${o.detail})` });
    else
      out.push({
        area: 'action',
        name,
        state: 'not-ready',
        why: /HTTP 403/.test(o.detail) ? `refused (403): ${needs}` : `last run failed: ${o.detail}`,
      });
  };
  await observed(
    'remove-from-group',
    'jira',
    'Remove from Jira admin groups',
    'add the app user to site-admins',
  );
  await observed(
    'remove-from-group',
    'confluence',
    'Remove from Confluence admin groups',
    'add the app user to site-admins',
  );
  out.push(
    orgKey && s.orgId !== undefined && s.directoryId !== undefined
      ? {
          area: 'action',
          name: 'Suspend and restore accounts',
          state: 'ready',
          why: 'org API key, org id and directory id set',
        }
      : {
          area: 'action',
          name: 'Suspend and restore accounts',
          state: 'not-ready',
          why: 'needs an org API key, the org id and the directory id',
        },
  );
  out.push(
    orgKey
      ? {
          area: 'action',
          name: 'Revoke API tokens',
          state: 'ready',
          why: 'org API key set (revoked tokens cannot be restored)',
        }
      : { area: 'action', name: 'Revoke API tokens', state: 'not-ready', why: 'needs an org API key' },
  );
  out.push({
    area: 'action',
    name: 'Block merges',
    state: 'ready',
    why: 'the merge check reads the block flags; enable the Bulkhead merge check in each repository',
  });
  out.push(
    s.bitbucketWorkspace !== undefined
      ? {
          area: 'action',
          name: 'Revoke Bitbucket repository permissions',
          state: 'ready',
          why: `workspace ${s.bitbucketWorkspace}`,
        }
      : {
          area: 'action',
          name: 'Revoke Bitbucket repository permissions',
          state: 'not-ready',
          why: 'set the Bitbucket workspace',
        },
  );

  out.push(
    s.securityProject !== undefined
      ? { area: 'notification', name: 'Jira issue', state: 'ready', why: `in project ${s.securityProject}` }
      : { area: 'notification', name: 'Jira issue', state: 'not-ready', why: 'set the security project key' },
  );
  for (const [secret, name] of [
    [SECRETS.slackWebhook, 'Slack'],
    [SECRETS.teamsWebhook, 'Microsoft Teams'],
  ] as const)
    out.push(
      (await has(kv, secret))
        ? { area: 'notification', name, state: 'ready', why: 'webhook URL set' }
        : { area: 'notification', name, state: 'not-ready', why: 'set the webhook URL' },
    );
  out.push(
    s.siemUrl !== undefined
      ? {
          area: 'notification',
          name: 'SIEM webhook',
          state: 'unknown',
          why: `its host ${hostOf(s.siemUrl)} must be in manifest.yml egress (permissions.external.fetch.backend) before deploy`,
        }
      : { area: 'notification', name: 'SIEM webhook', state: 'not-ready', why: 'set the SIEM webhook URL' },
  );
  return out;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
