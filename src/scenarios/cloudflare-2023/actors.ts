/**
 * The identities of the Cloudflare 2023 scenario. Service accounts are named so that an ordinary
 * service-account pattern list (`svc-*`, `*-bot`, `*integration*`, `smartsheet*`) recognises them.
 * Account ids are fixed (not drawn from the seed) so tests and docs can name them.
 */
import type { Actor, Origin } from '../platform';

const actor = (
  username: string,
  displayName: string,
  jira: string,
  bitbucket: string,
  accountId: string,
  uuid: string,
): Actor => ({
  username,
  displayName,
  email: `${username}@example.com`,
  dcId: { jira, bitbucket },
  cloud: { accountId, displayName, email: `${username}@example.com`, name: username, uuid },
});

/** Smartsheet integration account: Jira administrator rights, credential leaked in the Okta breach. */
export const SMARTSHEET = actor(
  'svc-smartsheet',
  'Smartsheet Integration',
  'JIRAUSER10042',
  '42',
  '5d1c3a7e9b2f4c0016a8e311',
  '{0b7d6c1e-5a2f-4e3b-9c8d-1f2e3a4b5c6d}',
);
/** Moveworks service token. */
export const MOVEWORKS = actor(
  'moveworks-bot',
  'Moveworks',
  'JIRAUSER10057',
  '57',
  '5e4f2b8a1c3d5e0017b9f422',
  '{1c8e7d2f-6b3a-4f4c-8d9e-2a3b4c5d6e7f}',
);
/** Bitbucket service account. */
export const BITBUCKET_SVC = actor(
  'svc-bitbucket',
  'Bitbucket Service',
  'JIRAUSER10063',
  '63',
  '5f5a3c9b2d4e6f0018c0a533',
  '{2d9f8e3a-7c4b-4a5d-9e0f-3b4c5d6e7f80}',
);
/** The normal-looking user the attacker created with the Smartsheet account. */
export const JDOE2 = actor(
  'jdoe2',
  'John Doe',
  'JIRAUSER12001',
  '1201',
  '6a0b1c2d3e4f5a0019d1b644',
  '{3e0a9f4b-8d5c-4b6e-8f10-4c5d6e7f8091}',
);

/** The attacker's identities, in the order the manifest lists them. */
export const ATTACKER_ACTORS: readonly Actor[] = [SMARTSHEET, JDOE2, MOVEWORKS, BITBUCKET_SVC];

/** Published indicators (INCIDENTS.md). */
export const PRIMARY_IP = '193.142.58.126';
export const SLIVER_IP = '198.244.174.214';

export const PRIMARY: Origin = {
  ip: PRIMARY_IP,
  location: { ip: PRIMARY_IP, countryName: 'Romania', regionName: 'Bucharest', city: 'Bucharest' },
};
export const SLIVER: Origin = {
  ip: SLIVER_IP,
  location: { ip: SLIVER_IP, countryName: 'United Kingdom', regionName: 'England', city: 'London' },
};

/** Where the integrations legitimately called from, months before the breach. */
export const SMARTSHEET_HOME: Origin = {
  ip: '52.38.109.17',
  location: { ip: '52.38.109.17', countryName: 'United States', regionName: 'Oregon', city: 'Boardman' },
};
export const MOVEWORKS_HOME: Origin = {
  ip: '35.203.144.62',
  location: {
    ip: '35.203.144.62',
    countryName: 'United States',
    regionName: 'California',
    city: 'Los Angeles',
  },
};
export const BITBUCKET_SVC_HOME: Origin = {
  ip: '10.20.7.31',
  location: {
    ip: '10.20.7.31',
    countryName: 'United States',
    regionName: 'California',
    city: 'San Francisco',
  },
};

/** CI account: fetches a few repositories an hour, every hour. */
export const BAMBOO: Actor = actor(
  'bamboo_user',
  'Bamboo CI',
  'JIRAUSER10011',
  '11',
  '5b2a4c6d8e0f1a0015c7d200',
  '{4f1b0a5c-9e6d-4c7f-9021-5d6e7f8091a2}',
);
export const BAMBOO_HOME: Origin = {
  ip: '10.20.5.17',
  location: {
    ip: '10.20.5.17',
    countryName: 'United States',
    regionName: 'California',
    city: 'San Francisco',
  },
};
