/**
 * One table from every product's own action string to Bulkhead's canonical `event.action`.
 * Keys are lower-cased; lookup is case-insensitive (`Audit Log configuration updated` and
 * `Audit log configuration updated` are the same action). To teach Bulkhead a new action, add a line here.
 * Anything not listed becomes `slugifyAction(raw)`, so it is still matchable by rules.
 */
import { slugifyAction, type CanonicalAction } from '../core/actions';

export const ACTION_TABLE: ReadonlyArray<readonly [CanonicalAction, readonly string[]]> = [
  // identities
  ['user.created', ['User created', 'user_created', 'Created user', 'avi:jira:created:user', 'avi:confluence:created:user']],
  ['user.deleted', ['User deleted', 'user_deleted', 'Deleted account permanently', 'Delete account permanently', 'avi:jira:deleted:user', 'avi:confluence:deleted:user']],
  ['user.deactivated', ['User deactivated', 'User disabled', 'user_deactivated', 'Deactivated account', 'user_suspended', 'user_access_revoked', 'User access revoked']],
  ['user.activated', ['User activated', 'User reactivated', 'User enabled', 'user_reactivated', 'Reactivated account', 'user_restored']],
  ['user.updated', ['User updated', 'User Changed', 'User details updated', 'avi:jira:updated:user', 'Changed email address', 'user_email_changed']],
  ['user.renamed', ['Username changed', 'User renamed']],
  ['user.invited', ['User invited', 'user_invited']],
  ['user.password.changed', ['User password changed', 'Password changed', 'user_password_changed']],
  ['user.password.reset', ['User password reset', 'Password reset', 'Reset password with recovery link', 'user_password_reset']],
  ['user.login', ['User login', 'User logged in', 'user_login', 'user_logged_in', 'Logged in to account', 'User login successful']],
  ['user.login.failed', ['User login failed', 'user_login_failed', 'Login failed', 'Failed login']],
  ['user.impersonated', ['Impersonated user', 'user_logged_in_as_user', 'Logged in as user', 'User impersonated']],
  ['user.exported', ['Exported users', 'User details exported', 'User permissions exported', 'Users exported', 'user_list_exported']],
  // groups and roles
  ['group.created', ['Group created', 'User group created', 'group_created', 'Created group', 'avi:confluence:created:group']],
  ['group.deleted', ['Group deleted', 'User group deleted', 'Group removed', 'group_deleted', 'Deleted group', 'avi:confluence:deleted:group']],
  ['group.member.added', ['User added to group', 'User added to user group', 'user_added_to_group', 'Added user to group', 'group.membership.added']],
  ['group.member.removed', ['User removed from group', 'User removed from user group', 'user_removed_from_group', 'Removed user from group', 'group.membership.removed']],
  ['role.admin.granted', ['Added organization admin', 'Granted admin access', 'added_org_admin', 'group_granted_admin_access', 'user_granted_role', 'Organization admin added', 'org_admin_added', 'site_admin_added', 'Granted admin access to group']],
  ['role.admin.revoked', ['removed_org_admin', 'group_revoked_admin_access', 'user_revoked_role', 'Organization admin removed', 'org_admin_removed', 'site_admin_removed']],
  // permissions
  ['permission.global.granted', ['Global permission added', 'Global permission granted', 'Global permission changed', 'Global permissions changed']],
  ['permission.global.revoked', ['Global permission deleted', 'Global permission removed', 'Global permission revoked']],
  ['permission.global.requested', ['Global permission requested', 'Global permission request']],
  ['permission.space.granted', ['Space permission added', 'Space permission granted', 'Space permissions added']],
  ['permission.space.revoked', ['Space permission removed', 'Space permission revoked', 'Space permission deleted']],
  ['permission.project.granted', ['Project permission granted', 'Project permission added']],
  ['permission.project.revoked', ['Project permission revoked', 'Project permission removed']],
  ['permission.repository.granted', ['Repository permission granted', 'Repository permission added']],
  ['permission.repository.revoked', ['Repository permission revoked', 'Repository permission removed']],
  ['permission.scheme.updated', ['Permission scheme updated', 'Permission scheme changed', 'Permission grant added to permission scheme']],
  ['permission.role.updated', ['Project roles changed', 'Project role changed', 'Project role updated']],
  ['permission.page.updated', ['Page permission added', 'Page permission removed', 'Page restrictions updated', 'avi:confluence:permissions_updated:page', 'avi:confluence:permissions_updated:blogpost']],
  ['access.anonymous.granted', ['Anonymous access enabled', 'Anonymous access granted', 'Public access enabled']],
  ['link.public.enabled', ['Public link created', 'Public link enabled', 'Public links enabled', 'Public link turned on', 'Public links turned on', 'public_link_enabled']],
  // credentials
  ['token.api.created', ['api_token_created', 'API token created', 'Created API token']],
  ['token.api.revoked', ['api_token_revoked', 'API token revoked', 'Revoked API token']],
  ['token.personal.created', ['Personal access token created', 'HTTP access token created']],
  ['token.personal.revoked', ['Personal access token deleted', 'Personal access token revoked', 'HTTP access token deleted']],
  ['token.repository.created', ['Repository access token created', 'Project access token created']],
  ['token.admin-api.created', ['api_key_created', 'Admin API key created', 'Created API key']],
  ['ssh.key.added', ['User added SSH access key to profile', 'SSH key added', 'SSH key created', 'Access key added', 'Repository access key added', 'Project access key added']],
  ['ssh.key.removed', ['User removed SSH access key from profile', 'SSH key removed', 'SSH key deleted']],
  ['ssh.settings.changed', ['SSH settings changed']],
  // authentication posture
  ['auth.2sv.disabled', ['Disabled two-step verification', 'twosv_disabled_for_user', 'Two-step verification disabled', 'two_step_verification_disabled']],
  ['auth.2sv.policy.changed', ['twosv_policy_updated', 'Two-step verification policy updated', 'twosv_enforcement_disabled']],
  ['auth.policy.changed', ['Updated authentication policy', 'Password policy updated', 'SAML configuration updated', 'SSO configuration updated', 'saml_configuration_updated', 'password_policy_updated']],
  ['auth.ip-allowlist.changed', ['Updated IP allowlist', 'IP allowlist updated', 'IP allowlist created', 'IP allowlist deleted']],
  ['auth.domain.changed', ['Verified domain', 'Removed domain', 'domain_verified', 'domain_removed', 'Domain verified', 'Domain removed']],
  ['auth.sync.enabled', ['user_provisioning_enabled', 'scim_directory_created', 'gsuite_sync_enabled', 'User provisioning enabled']],
  // apps
  ['app.installed', ['Installed app', 'App installed', 'Plugin installed', 'Add-on installed', 'marketplace_app_installed', 'app_installed', 'App successful installation']],
  ['app.enabled', ['App enabled', 'Plugin enabled', 'Add-on enabled', 'App enable success', 'app_enabled']],
  ['app.uninstalled', ['App uninstalled', 'Plugin uninstalled', 'Add-on uninstalled', 'marketplace_app_uninstalled', 'App successful uninstallation', 'app_uninstalled']],
  ['app.disabled', ['App disabled', 'Plugin disabled', 'Add-on disabled', 'App disable success', 'app_disabled']],
  ['app.script.executed', ['Script console executed', 'ScriptRunner script executed', 'Script executed', 'Script run']],
  // defense evasion
  ['audit.config.changed', ['Audit Log configuration updated', 'Audit log settings changed', 'Audit log retention changed', 'Audit coverage changed', 'Audit log configuration changed']],
  ['secret-scanning.rule.deleted', ['Secret scanning rule deleted', 'Secret scanning global rule deleted', 'Secret scanning project rule deleted', 'Secret scanning repository rule deleted']],
  ['secret-scanning.allowlist.added', ['Secret scanning allowlist rule added', 'Secret scanning global allowlist rule added', 'Secret scanning project allowlist rule added', 'Secret scanning repository allowlist rule added']],
  ['secret-scanning.exempt-repository.added', ['Exempt repository added', 'Secret scanning exempt repository added']],
  ['data-security-policy.deactivated', ['data_security_policy_deactivated', 'Data security policy deactivated', 'policy_deactivated']],
  ['settings.global.changed', ['General configuration changed', 'Global settings changed', 'Server settings changed']],
  // content access
  ['page.viewed', ['Viewed Confluence page', 'Page viewed', 'confluence_page_viewed', 'avi:confluence:viewed:page', 'avi:confluence:viewed:blogpost']],
  ['page.created', ['Page created', 'confluence_page_created', 'avi:confluence:created:page', 'avi:confluence:created:blogpost']],
  ['page.updated', ['Page updated', 'confluence_page_updated', 'avi:confluence:updated:page', 'avi:confluence:updated:blogpost']],
  ['page.deleted', ['Page deleted', 'Page trashed', 'avi:confluence:deleted:page', 'avi:confluence:trashed:page', 'avi:confluence:deleted:blogpost']],
  ['issue.viewed', ['Viewed Jira issue', 'Issue viewed', 'jira_issue_viewed', 'avi:jira:viewed:issue']],
  ['issue.created', ['Issue created', 'jira_issue_created', 'avi:jira:created:issue']],
  ['issue.updated', ['Issue updated', 'jira_issue_updated', 'avi:jira:updated:issue']],
  ['issue.deleted', ['Issue deleted', 'jira_issue_deleted', 'avi:jira:deleted:issue']],
  ['search.performed', ['JQLsearchperformed', 'JQL search performed', 'Search performed', 'avi:confluence:performed:search']],
  // repositories
  ['repository.viewed', ['Repository accessed by user', 'Repository accessed', 'Repository viewed']],
  ['repository.pushed', ['Repository pushed', 'Repository push', 'repo:push', 'avi:bitbucket:push:repository']],
  ['repository.created', ['Repository created', 'repo:created', 'avi:bitbucket:created:repository']],
  ['repository.updated', ['Repository updated', 'Repository modified', 'repo:updated', 'avi:bitbucket:updated:repository']],
  ['repository.deleted', ['Repository deleted', 'repo:deleted', 'avi:bitbucket:deleted:repository']],
  ['repository.forked', ['Repository forked', 'repo:fork']],
  // exports
  ['export.space', ['Space exported', 'Space export', 'confluence_space_exported']],
  ['export.site', ['Site exported', 'Site export', 'Backup', 'Backup created', 'Site backup', 'Jira backup created']],
  ['export.full', ['Full data export triggered', 'Data export started', 'Full data export']],
  ['export.page', ['Page exported', 'Page exported to PDF', 'Page exported to Word']],
  ['export.unauthorized', ['Unauthorized full data export triggered', 'Unauthorized export triggered']],
  ['access.unauthorized', ['Unauthorized access to a resource', 'Unauthorized access']],
];

const MAP: ReadonlyMap<string, CanonicalAction> = new Map(
  ACTION_TABLE.flatMap(([canonical, raws]) => raws.map((raw) => [raw.toLowerCase(), canonical] as const)),
);

// Raw actions repeat endlessly in real logs; caching the lower-casing and slugging keeps the hot path to one Map hit.
const cache = new Map<string, string>();
const CACHE_LIMIT = 10_000;

/** The canonical action for a raw product action, or its slug when Bulkhead has no name for it. */
export function canonicalAction(raw: string): string {
  const hit = cache.get(raw);
  if (hit !== undefined) return hit;
  const mapped = MAP.get(raw.trim().toLowerCase()) ?? prefixRule(raw) ?? slugifyAction(raw);
  if (cache.size < CACHE_LIMIT) cache.set(raw, mapped);
  return mapped;
}

/** Families named by prefix rather than one by one (org `authentication_policy_*`, `ip_allowlist_*`...). */
function prefixRule(raw: string): CanonicalAction | undefined {
  const r = raw.toLowerCase();
  if (r.startsWith('authentication_policy_') || r.startsWith('password_policy_')) return 'auth.policy.changed';
  if (r.startsWith('ip_allowlist_')) return 'auth.ip-allowlist.changed';
  if (r.startsWith('domain_')) return 'auth.domain.changed';
  if (r.startsWith('secret scanning') && r.endsWith(' deleted')) return 'secret-scanning.rule.deleted';
  return undefined;
}
