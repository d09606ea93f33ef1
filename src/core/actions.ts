/**
 * The canonical action vocabulary. Parsers map each product's own action strings (`User added to group`,
 * `User added to user group`, `group.membership.added`, `user_added_to_group`...) onto these names so one
 * rule covers Jira, Confluence, Bitbucket and the org log. The raw string stays in `atlassian.audit.action`.
 *
 * Naming: `<object>.<verb>` or `<object>.<sub-object>.<verb>`, past tense, lower case.
 */
export const CANONICAL_ACTIONS = [
  // identities
  'user.created',
  'user.deleted',
  'user.deactivated', // disabled, suspended, access revoked
  'user.activated', // re-enabled, restored
  'user.updated',
  'user.renamed',
  'user.invited',
  'user.password.changed',
  'user.password.reset',
  'user.login',
  'user.login.failed',
  'user.impersonated', // an admin logged in / acted as another user
  'user.exported', // user details / user permissions export
  // groups and roles
  'group.created',
  'group.deleted',
  'group.member.added',
  'group.member.removed',
  'role.admin.granted', // org admin added, group granted admin access, user granted (admin) role
  'role.admin.revoked',
  // permissions
  'permission.global.granted',
  'permission.global.revoked',
  'permission.global.requested',
  'permission.space.granted',
  'permission.space.revoked',
  'permission.project.granted',
  'permission.project.revoked',
  'permission.repository.granted',
  'permission.repository.revoked',
  'permission.scheme.updated',
  'permission.role.updated', // project roles changed
  'permission.page.updated',
  'access.anonymous.granted', // anonymous / public access to a space, project or site
  'link.public.enabled', // Confluence public links
  // credentials
  'token.api.created', // Atlassian account API token
  'token.api.revoked',
  'token.personal.created', // DC personal access token
  'token.personal.revoked',
  'token.repository.created', // Bitbucket repository / project access token
  'token.admin-api.created', // org admin API key
  'ssh.key.added',
  'ssh.key.removed',
  'ssh.settings.changed',
  // authentication posture
  'auth.2sv.disabled',
  'auth.2sv.policy.changed',
  'auth.policy.changed', // authentication policy, password policy, SSO/SAML config
  'auth.ip-allowlist.changed',
  'auth.domain.changed', // verified domain added or removed
  'auth.sync.enabled', // SCIM / G Suite / SAML user sync enabled
  // apps
  'app.installed',
  'app.enabled',
  'app.uninstalled',
  'app.disabled',
  'app.script.executed', // ScriptRunner console, script jobs
  // defense evasion
  'audit.config.changed',
  'secret-scanning.rule.deleted',
  'secret-scanning.allowlist.added',
  'secret-scanning.exempt-repository.added',
  'data-security-policy.deactivated',
  'settings.global.changed',
  // content access
  'page.viewed',
  'page.created',
  'page.updated',
  'page.deleted',
  'issue.viewed',
  'issue.created',
  'issue.updated',
  'issue.deleted',
  'search.performed',
  // repositories
  'repository.viewed',
  'repository.archive.downloaded',
  'repository.cloned', // git-upload-pack over https or ssh
  'repository.pushed',
  'repository.created',
  'repository.updated',
  'repository.deleted',
  'repository.forked',
  'api.request', // any other authenticated HTTP request in an access log
  // exports
  'export.space',
  'export.site', // Confluence site export, Jira backup
  'export.full', // Bitbucket full data export
  'export.page', // page export (PDF, Word)
  'export.unauthorized', // an export attempt the product refused
  'access.unauthorized', // unauthorized access to a resource
] as const;

export type CanonicalAction = (typeof CANONICAL_ACTIONS)[number];

const canonical: ReadonlySet<string> = new Set(CANONICAL_ACTIONS);
export function isCanonicalAction(s: string): s is CanonicalAction {
  return canonical.has(s);
}

/** The `event.action` for a raw action Bulkhead has no canonical name for: `New license added` → `new-license-added`. */
export function slugifyAction(raw: string): string {
  const slug = raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'unknown' : slug;
}
