/**
 * Audit types the simulator writes for changes made through its REST API, beside the ones the scenarios
 * already define (src/scenarios/formats/dc-audit.ts). Strings follow the products' published samples where a
 * sample has the type (Bitbucket's "User added to user group"); the others follow the products' naming of
 * the same area (i18n key prefix per product, the category of the neighbouring types) and the action names
 * Bulkhead's action map (src/parsers/action-map.ts) recognises, so each parses to the canonical action a
 * real record of that change does.
 */
import { dcAuditType as t, JIRA } from '../scenarios/formats/dc-audit';

export const SIM_JIRA = {
  userAddedToGroup: JIRA.userAddedToGroup,
  userRemovedFromGroup: t(
    'User removed from group',
    'jira.auditing.user.removed.from.group',
    'USER_MANAGEMENT',
    'group management',
    'jira.auditing.category.groupmanagement',
  ),
  /** Jira records (de)activation as a user update whose "Active / Inactive" value changes. */
  userUpdated: JIRA.userUpdated,
  userCreated: JIRA.userCreated,
} as const;

export const SIM_CONFLUENCE = {
  userAddedToGroup: t(
    'User added to group',
    'audit.logging.summary.user.added.to.group',
    'USER_MANAGEMENT',
    'Users and groups',
    'audit.logging.category.user.management',
  ),
  userRemovedFromGroup: t(
    'User removed from group',
    'audit.logging.summary.user.removed.from.group',
    'USER_MANAGEMENT',
    'Users and groups',
    'audit.logging.category.user.management',
  ),
  userDeactivated: t(
    'User deactivated',
    'audit.logging.summary.user.deactivated',
    'USER_MANAGEMENT',
    'Users and groups',
    'audit.logging.category.user.management',
  ),
  userActivated: t(
    'User activated',
    'audit.logging.summary.user.activated',
    'USER_MANAGEMENT',
    'Users and groups',
    'audit.logging.category.user.management',
  ),
} as const;

export const SIM_BITBUCKET = {
  userAddedToGroup: t(
    'User added to user group',
    'bitbucket.service.user.audit.action.groupmembershipscreated.user',
    'USER_MANAGEMENT',
    'Users and groups',
    'bitbucket.service.audit.category.usersandgroups',
  ),
  userRemovedFromGroup: t(
    'User removed from user group',
    'bitbucket.service.user.audit.action.groupmembershipsdeleted.user',
    'USER_MANAGEMENT',
    'Users and groups',
    'bitbucket.service.audit.category.usersandgroups',
  ),
  accessTokenDeleted: t(
    'HTTP access token deleted',
    'bitbucket.access.tokens.audit.action.token.deleted',
    'SECURITY',
    'Authentication',
    'bitbucket.service.audit.category.authentication',
  ),
  sshKeyRemoved: t(
    'User removed SSH access key from profile',
    'bitbucket.ssh.audit.action.user.key.deleted',
    'SECURITY',
    'Authentication',
    'bitbucket.service.audit.category.authentication',
  ),
  projectPermissionGranted: t(
    'Project permission granted',
    'bitbucket.service.project.audit.action.projectpermissiongranted',
    'PERMISSIONS',
    'Permissions',
    'bitbucket.service.audit.category.permissions',
  ),
  projectPermissionRevoked: t(
    'Project permission revoked',
    'bitbucket.service.project.audit.action.projectpermissionrevoked',
    'PERMISSIONS',
    'Permissions',
    'bitbucket.service.audit.category.permissions',
  ),
  repositoryPermissionGranted: t(
    'Repository permission granted',
    'bitbucket.service.repository.audit.action.repositorypermissiongranted',
    'PERMISSIONS',
    'Permissions',
    'bitbucket.service.audit.category.permissions',
  ),
  repositoryPermissionRevoked: t(
    'Repository permission revoked',
    'bitbucket.service.repository.audit.action.repositorypermissionrevoked',
    'PERMISSIONS',
    'Permissions',
    'bitbucket.service.audit.category.permissions',
  ),
} as const;
