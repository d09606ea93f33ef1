/**
 * The Data Center REST calls containment uses, per product and action: method, path, the first product version
 * that has the call, and where it is documented. The executor (executor.ts), the directory (directory.ts) and
 * the simulator (../dcsim) all follow this table; a call marked `none` is an action the product cannot take
 * through REST, and the executor says so ("not possible on Bitbucket Data Center: …") instead of guessing.
 *
 * Sources (read 2026-11; versions are the documented "since" or the release that closed the feature request):
 *  - Jira: REST API reference for Jira Server/DC (developer.atlassian.com/server/jira/platform/rest),
 *    `group/user`, `group/member`, `user`; JRASERVER-37294 (set active/inactive through `PUT /user`).
 *  - Confluence: Confluence DC REST API (developer.atlassian.com/server/confluence/rest), groups "User Group",
 *    "Admin User", "User", "Group"; CONFSERVER-54928 (disable/enable), CONFSERVER-56205 (user/group management).
 *  - Bitbucket: Bitbucket DC REST API (developer.atlassian.com/server/bitbucket/rest), "Permission management"
 *    (`admin/users/add-groups`, `admin/users/remove-group`, `admin/users/more-members`, `admin/groups/more-members`,
 *    project and repository `permissions/users`), "Authentication" (`access-tokens/latest/users/{userSlug}`),
 *    "SSH" (`ssh/latest/keys?user=`); BSERV-13706 (remove-group takes the user as `context`, the group as `itemName`).
 *  - All three: the audit REST API `GET /rest/auditing/1.0/events` (from, to, offset, limit, pageCursor).
 */

export const DC_PRODUCTS = ['jira', 'confluence', 'bitbucket'] as const;
export type DcProduct = (typeof DC_PRODUCTS)[number];

export const DC_PRODUCT_NAME: Record<DcProduct, string> = {
  jira: 'Jira Data Center',
  confluence: 'Confluence Data Center',
  bitbucket: 'Bitbucket Data Center',
};

export interface EndpointRow {
  readonly product: DcProduct;
  /** An action kind, or what the directory asks. */
  readonly use: string;
  /** `none` when the product has no REST call for it. */
  readonly call: string;
  readonly since: string;
  readonly source: string;
}

const row = (product: DcProduct, use: string, call: string, since: string, source: string): EndpointRow => ({
  product,
  use,
  call,
  since,
  source,
});

export const ENDPOINTS: readonly EndpointRow[] = [
  // Jira Data Center
  row('jira', 'directory: groups of a user', 'GET /rest/api/2/user?username=&expand=groups', '5.0', 'Jira REST: user'),
  row('jira', 'directory: member count', 'GET /rest/api/2/group/member?groupname=&includeInactiveUsers=false (total)', '6.0', 'Jira REST: group/member'),
  row('jira', 'remove-from-group', 'DELETE /rest/api/2/group/user?groupname=&username=', '6.0', 'Jira REST: group/user'),
  row('jira', 'add-to-group', 'POST /rest/api/2/group/user?groupname= {"name":username}', '6.0', 'Jira REST: group/user'),
  row('jira', 'suspend-account', 'PUT /rest/api/2/user?username= {"active":false}', '8.3', 'Jira REST: user; JRASERVER-37294'),
  row('jira', 'restore-account', 'PUT /rest/api/2/user?username= {"active":true}', '8.3', 'Jira REST: user; JRASERVER-37294'),
  row('jira', 'revoke-tokens', 'none: /rest/pat/latest/tokens manages only the caller’s own tokens; an admin revokes others’ in the UI', '8.14', 'Jira: personal access tokens'),
  row('jira', 'block-merges, revoke-permissions', 'none: Bitbucket only', '-', '-'),
  // Confluence Data Center
  row('confluence', 'directory: groups of a user', 'GET /rest/api/user/memberof?username=&start=&limit=', '5.5', 'Confluence REST: User'),
  row('confluence', 'directory: member count', 'GET /rest/api/group/{groupName}/member?start=&limit= (paged, counted)', '5.5', 'Confluence REST: Group'),
  row('confluence', 'remove-from-group', 'DELETE /rest/api/user/{username}/group/{groupName}', '8.2', 'Confluence REST: User Group; CONFSERVER-56205'),
  row('confluence', 'add-to-group', 'PUT /rest/api/user/{username}/group/{groupName}', '8.2', 'Confluence REST: User Group; CONFSERVER-56205'),
  // Method and path as the Admin User reference gives them (idempotent: disabling a disabled user does nothing).
  // Not in 7.x: in May 2022 Atlassian answered that no REST call deactivates a Confluence user. The 8.4 REST
  // reference has it; whether 8.0-8.3 do is not verified, so 8.4 is the version given.
  row('confluence', 'suspend-account', 'PUT /rest/api/admin/user/{username}/disable', '8.4 (CONFSERVER-54928)', 'Confluence REST: Admin User'),
  row('confluence', 'restore-account', 'PUT /rest/api/admin/user/{username}/enable', '8.4 (CONFSERVER-54928)', 'Confluence REST: Admin User'),
  row('confluence', 'revoke-tokens', 'none: personal access tokens of other users are revoked in the admin UI only', '7.9', 'Confluence: personal access tokens'),
  row('confluence', 'block-merges, revoke-permissions', 'none: Bitbucket only', '-', '-'),
  // Bitbucket Data Center
  row('bitbucket', 'directory: groups of a user', 'GET /rest/api/latest/admin/users/more-members?context=&start=&limit=', '2.x', 'Bitbucket REST: Permission management'),
  row('bitbucket', 'directory: member count', 'GET /rest/api/latest/admin/groups/more-members?context=&start=&limit= (active, counted)', '2.x', 'Bitbucket REST: Permission management'),
  row('bitbucket', 'remove-from-group', 'POST /rest/api/latest/admin/users/remove-group {"context":user,"itemName":group}', '2.x', 'Bitbucket REST: Permission management; BSERV-13706'),
  row('bitbucket', 'add-to-group', 'POST /rest/api/latest/admin/users/add-groups {"user":user,"groups":[group]}', '2.x', 'Bitbucket REST: Permission management'),
  row('bitbucket', 'user slug', 'GET /rest/api/latest/admin/users?filter= (exact name → slug)', '2.x', 'Bitbucket REST: Permission management'),
  row('bitbucket', 'revoke-tokens (HTTP access tokens)', 'GET /rest/access-tokens/latest/users/{userSlug}; DELETE /rest/access-tokens/latest/users/{userSlug}/{tokenId}', '5.5', 'Bitbucket REST: Authentication (access tokens)'),
  row('bitbucket', 'revoke-tokens (SSH keys)', 'GET /rest/ssh/latest/keys?user=; DELETE /rest/ssh/latest/keys?user=', '4.x', 'Bitbucket REST: SSH'),
  row('bitbucket', 'revoke-permissions', 'GET /rest/api/latest/projects, …/projects/{key}/repos, …/permissions/users?filter=; DELETE …/permissions/users?name=', '4.x', 'Bitbucket REST: Permission management'),
  row('bitbucket', 'restore-permissions', 'PUT /rest/api/latest/projects/{key}[/repos/{slug}]/permissions/users?name=&permission=', '4.x', 'Bitbucket REST: Permission management'),
  row('bitbucket', 'suspend-account, restore-account', 'none: Bitbucket DC has no REST call that deactivates a user (users are deactivated in the user directory: Crowd, LDAP, Jira)', '-', 'Bitbucket REST reference (no such resource)'),
  row('bitbucket', 'block-merges, unblock-merges', 'none: there is no per-user merge block; revoke-permissions removes the user’s write access instead', '-', 'Bitbucket REST reference (no such resource)'),
  // All three
  row('jira', 'audit (poller, simulator)', 'GET /rest/auditing/1.0/events?from=&to=&offset=&limit=&pageCursor=', '8.8', 'Audit log improvements for developers'),
  row('confluence', 'audit (poller, simulator)', 'GET /rest/auditing/1.0/events?from=&to=&offset=&limit=&pageCursor=', '7.5', 'Audit log improvements for developers'),
  row('bitbucket', 'audit (poller, simulator)', 'GET /rest/auditing/1.0/events?from=&to=&offset=&limit=&pageCursor=', '7.0', 'Audit log improvements for developers'),
];

export function isDcProduct(p: string): p is DcProduct {
  return (DC_PRODUCTS as readonly string[]).includes(p);
}
