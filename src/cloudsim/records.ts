/**
 * The shapes the simulated site writes: Jira Cloud audit records (`GET /rest/api/3/auditing/record`
 * `records[]`), Confluence Cloud audit records (`GET /wiki/rest/api/audit` `results[]`), organization audit
 * events (Admin API `/admin/v1/orgs/{orgId}/events` `data[]`, also the audit-log webhook body), and Forge
 * product event payloads.
 *
 * Field sets follow the public samples in ../shared/samples (jira-cloud, confluence-cloud, org-audit,
 * forge-events) and forge-platform.md §B.3. Where a sample does not show a field for a given action, the
 * simulator uses the fields the sample shows for a neighbouring action; names chosen that way:
 * - Jira/Confluence summaries: `User created`, `User added to group`, `User removed from group`, `Group created`,
 *   `User deactivated`, `User activated` (samples and shared/samples/README.md), `App installed`,
 *   `Space permission added`, `Space exported` (Bulkhead's action map names; a live site may word them differently);
 * - org actions: `user_created`, `group_created`, `user_added_to_group`, `user_removed_from_group`,
 *   `api_token_created`, `api_token_revoked`, `marketplace_app_installed`, `jira_issue_viewed`,
 *   `confluence_page_viewed`, `user_suspended`, `user_restored` (public samples and connectors; the live list
 *   is `GET /admin/v1/orgs/{orgId}/event-actions`);
 * - `avi:confluence:performed:search` carries `query` and `numberOfResults` (UNVERIFIED field names: the docs
 *   say "query string, result count, actor").
 */
import type { Group, SimUser } from './model';

export interface JiraAuditItem {
  id: string;
  name: string;
  typeName: string;
  parentId?: string;
  parentName?: string;
}

export interface JiraAuditRecord {
  id: number;
  summary: string;
  remoteAddress: string;
  authorAccountId?: string;
  created: string;
  category: string;
  eventSource: string;
  description?: string;
  objectItem?: JiraAuditItem;
  changedValues: { fieldName: string; changedFrom?: string; changedTo?: string }[];
  associatedItems: JiraAuditItem[];
}

export interface ConfluenceAuditRecord {
  author: Record<string, unknown>;
  remoteAddress: string;
  creationDate: number;
  summary: string;
  description: string;
  category: string;
  sysAdmin: boolean;
  superAdmin: boolean;
  affectedObject: { name: string; objectType: string };
  changedValues: {
    name: string;
    oldValue: string;
    newValue: string;
    hiddenOldValue: string;
    hiddenNewValue: string;
  }[];
  associatedObjects: { name: string; objectType: string }[];
}

export interface OrgAuditEvent {
  type: 'events';
  id: string;
  attributes: {
    time: string;
    action: string;
    actor: { id: string; name: string; email?: string; links: { self: string } };
    context: { id: string; type: string; attributes: Record<string, unknown> }[];
    container: {
      id: string;
      type: string;
      attributes: Record<string, unknown>;
      links?: Record<string, string>;
    }[];
    location: { ip: string; countryName?: string; city?: string };
  };
  links: { self: string };
  message: { content: string; format: 'simple' };
}

/** Jira's audit `created` format: `2022-04-12T18:45:42.967+0000`. */
export function jiraTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

const DIRECTORY = {
  parentId: '10000',
  parentName: 'com.atlassian.crowd.directory.IdentityPlatformRemoteDirectory',
};

export function jiraUserItem(u: SimUser): JiraAuditItem {
  return { id: u.accountId, name: u.accountId, typeName: 'USER', ...DIRECTORY };
}

export function jiraGroupItem(g: Group): JiraAuditItem {
  return { id: g.groupId, name: g.name, typeName: 'GROUP', ...DIRECTORY };
}

export function confluenceAuthor(u: SimUser | undefined): Record<string, unknown> {
  if (!u) {
    return {
      type: 'user',
      displayName: 'System',
      operations: null,
      isExternalCollaborator: false,
      accountType: '',
      publicName: 'Unknown user',
      externalCollaborator: false,
    };
  }
  return {
    type: 'user',
    displayName: u.displayName,
    operations: null,
    isExternalCollaborator: false,
    accountId: u.accountId,
    accountType: u.accountType === 'app' ? 'app' : '',
    publicName: 'Unknown user',
    externalCollaborator: false,
  };
}

/** A Jira `UserDetails` as product events carry it (forge-platform.md §B.3). */
export function userDetails(u: SimUser, groups: Group[]): Record<string, unknown> {
  return {
    accountId: u.accountId,
    accountType: u.accountType,
    displayName: u.displayName,
    ...(u.email ? { emailAddress: u.email } : {}),
    active: u.active && !u.suspended,
    timeZone: 'Etc/UTC',
    locale: 'en_US',
    groups: { size: groups.length, items: groups.map((g) => ({ name: g.name, groupId: g.groupId })) },
    applicationRoles: { size: 0, items: [] },
  };
}

/** A Confluence content object as page events carry it (trimmed from the forge-events sample). */
export function confluenceContent(
  page: { id: string; title: string },
  space: { id: number; key: string; name: string },
): Record<string, unknown> {
  return {
    id: page.id,
    type: 'page',
    status: 'current',
    title: page.title,
    space: {
      id: space.id,
      key: space.key,
      alias: space.key,
      name: space.name,
      type: 'global',
      status: 'current',
    },
  };
}
