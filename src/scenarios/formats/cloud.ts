/**
 * Atlassian Cloud record shapes: Jira Cloud audit records, Confluence Cloud audit records, organization audit log
 * events and Forge product events, each following the public samples in shared/samples/.
 */
import type { RecordSink } from '../sink';
import { iso, jiraCloudTime } from './time';

export const JIRA_CLOUD_AUDIT = 'jira-cloud/audit-records.ndjson';
export const CONFLUENCE_CLOUD_AUDIT = 'confluence-cloud/audit-records.ndjson';
export const ORG_EVENTS = 'org/events.ndjson';
export const FORGE_EVENTS = 'forge/events.ndjson';

export const CLOUD_SITE = 'https://example.atlassian.net';
export const CLOUD_SITE_ID = '3f0a8f8e-51b6-4c1d-9d2e-6a0c7b1e2f34';
export const ORG_ID = '8c2d4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e4f';
const DIRECTORY = 'com.atlassian.crowd.directory.IdentityPlatformRemoteDirectory';

export function declareCloudFiles(sink: RecordSink): void {
  sink.declare(JIRA_CLOUD_AUDIT, 'jira-cloud-audit');
  sink.declare(CONFLUENCE_CLOUD_AUDIT, 'confluence-cloud-audit');
  sink.declare(ORG_EVENTS, 'org-audit');
  sink.declare(FORGE_EVENTS, 'forge-event');
}

/** A Cloud identity: what each Cloud source knows of a person. */
export interface CloudUser {
  readonly accountId: string;
  readonly displayName: string;
  readonly email: string;
  /** Short name used in org audit `actor.name`. */
  readonly name: string;
}

export interface CloudLocation {
  readonly ip: string;
  readonly countryName: string;
  readonly regionName: string;
  readonly city: string;
}

type Steps = { readonly steps?: readonly string[] };
const withSteps = (s: Steps): { steps?: readonly string[] } => (s.steps ? { steps: s.steps } : {});

// --- Jira Cloud audit records ------------------------------------------------------------------------------

export interface JiraCloudItem {
  readonly id?: string;
  readonly name: string;
  readonly typeName: string;
}

export interface JiraCloudAuditRecord extends Steps {
  readonly t: number;
  readonly id: number;
  readonly summary: string;
  readonly category: string;
  readonly author: CloudUser;
  readonly remoteAddress: string;
  readonly objectItem: JiraCloudItem;
  readonly changedValues?: ReadonlyArray<{ fieldName: string; changedFrom?: string; changedTo: string }>;
  readonly associatedItems?: readonly JiraCloudItem[];
}

export function emitJiraCloudAudit(sink: RecordSink, r: JiraCloudAuditRecord): void {
  const dir = (item: JiraCloudItem) => ({ ...item, parentId: '10000', parentName: DIRECTORY });
  const line = {
    id: r.id,
    summary: r.summary,
    remoteAddress: r.remoteAddress,
    // Deprecated but still present in real records (shared/samples/jira-cloud/audit-record-page.json).
    authorKey: r.author.name,
    authorAccountId: r.author.accountId,
    created: jiraCloudTime(r.t),
    category: r.category,
    eventSource: '',
    objectItem: dir(r.objectItem),
    ...(r.changedValues ? { changedValues: r.changedValues } : {}),
    ...(r.associatedItems ? { associatedItems: r.associatedItems.map(dir) } : {}),
  };
  sink.emit({ t: r.t, file: JIRA_CLOUD_AUDIT, text: JSON.stringify(line), ...withSteps(r) });
}

// --- Confluence Cloud audit records --------------------------------------------------------------------------

export interface ConfluenceCloudAuditRecord extends Steps {
  readonly t: number;
  readonly summary: string;
  readonly category: string;
  readonly author: CloudUser;
  readonly remoteAddress: string;
  readonly affectedObject: { name: string; objectType: string };
  readonly changedValues?: ReadonlyArray<{ name: string; oldValue: string; newValue: string }>;
  readonly associatedObjects?: ReadonlyArray<{ name: string; objectType: string }>;
}

export function emitConfluenceCloudAudit(sink: RecordSink, r: ConfluenceCloudAuditRecord): void {
  const line = {
    author: {
      type: 'user',
      displayName: r.author.displayName,
      operations: null,
      isExternalCollaborator: false,
      username: r.author.accountId,
      userKey: r.author.accountId,
      accountId: r.author.accountId,
      accountType: '',
      publicName: 'Unknown user',
      externalCollaborator: false,
    },
    remoteAddress: r.remoteAddress,
    creationDate: r.t,
    summary: r.summary,
    description: '',
    category: r.category,
    sysAdmin: false,
    superAdmin: false,
    affectedObject: r.affectedObject,
    changedValues: (r.changedValues ?? []).map((c) => ({ ...c, hiddenOldValue: '', hiddenNewValue: '' })),
    associatedObjects: r.associatedObjects ?? [],
  };
  sink.emit({ t: r.t, file: CONFLUENCE_CLOUD_AUDIT, text: JSON.stringify(line), ...withSteps(r) });
}

// --- Organization audit log -----------------------------------------------------------------------------------

export interface OrgEvent extends Steps {
  readonly t: number;
  readonly id: string;
  readonly action: string;
  readonly actor: CloudUser;
  readonly location: CloudLocation;
  readonly message: string;
  /** Product-specific container attributes (issue key for `jira_issue_viewed`...). */
  readonly containerAttributes?: Readonly<Record<string, string>>;
  readonly product?: 'software' | 'confluence';
  /** What the event acted on (users, groups, apps). */
  readonly context?: ReadonlyArray<{
    id: string;
    type: string;
    attributes: Readonly<Record<string, string>>;
  }>;
}

export function emitOrgEvent(sink: RecordSink, r: OrgEvent): void {
  const line = {
    type: 'events',
    id: r.id,
    attributes: {
      time: iso(r.t),
      action: r.action,
      actor: {
        id: r.actor.accountId,
        name: r.actor.name,
        email: r.actor.email,
        links: {
          alt: `https://admin.atlassian.com/o/${ORG_ID}/users/${r.actor.accountId}`,
          self: `https://api.atlassian.com/users/${r.actor.accountId}/manage/profile`,
        },
      },
      context: r.context ?? [],
      container: [
        {
          id: CLOUD_SITE_ID,
          type: 'sites',
          attributes: {
            siteName: 'example',
            ...(r.product ? { product: r.product } : {}),
            ...r.containerAttributes,
            siteHostName: CLOUD_SITE,
          },
          links: { alt: CLOUD_SITE },
        },
      ],
      location: r.location,
    },
    links: { self: `https://api.atlassian.com/admin/v1/orgs/${ORG_ID}/events/${r.id}` },
    message: { content: r.message, format: 'simple' },
  };
  sink.emit({ t: r.t, file: ORG_EVENTS, text: JSON.stringify(line), ...withSteps(r) });
}

// --- Forge product events --------------------------------------------------------------------------------------

export interface ConfluenceSpace {
  readonly id: number;
  readonly key: string;
  readonly name: string;
}

export interface ConfluencePage {
  readonly id: string;
  readonly title: string;
  readonly space: ConfluenceSpace;
  readonly createdBy: CloudUser;
  readonly createdAt: number;
}

function knownUser(u: CloudUser) {
  return {
    type: 'known',
    accountId: u.accountId,
    accountType: 'atlassian',
    publicName: u.displayName,
    displayName: u.displayName,
    isExternalCollaborator: false,
  };
}

/** `avi:confluence:viewed:page`: the page shape of the `created:page` sample; `atlassianId` is the viewer. */
export function emitPageViewed(
  sink: RecordSink,
  r: { t: number; viewer: CloudUser; page: ConfluencePage } & Steps,
): void {
  const p = r.page;
  const line = {
    eventType: 'avi:confluence:viewed:page',
    atlassianId: r.viewer.accountId,
    eventCreatedDate: iso(r.t),
    suppressNotifications: false,
    content: {
      id: p.id,
      type: 'page',
      status: 'current',
      title: p.title,
      space: {
        id: p.space.id,
        key: p.space.key,
        alias: p.space.key,
        name: p.space.name,
        type: 'global',
        status: 'current',
      },
      history: {
        latest: true,
        createdBy: knownUser(p.createdBy),
        ownedBy: knownUser(p.createdBy),
        createdDate: iso(p.createdAt),
      },
      version: { by: knownUser(p.createdBy), when: iso(p.createdAt), number: 1 },
    },
  };
  sink.emit({ t: r.t, file: FORGE_EVENTS, text: JSON.stringify(line), ...withSteps(r) });
}

/** `avi:confluence:performed:search`: who searched and for what. */
export function emitConfluenceSearch(
  sink: RecordSink,
  r: { t: number; user: CloudUser; query: string } & Steps,
): void {
  const line = {
    eventType: 'avi:confluence:performed:search',
    atlassianId: r.user.accountId,
    eventCreatedDate: iso(r.t),
    searchQuery: r.query,
  };
  sink.emit({ t: r.t, file: FORGE_EVENTS, text: JSON.stringify(line), ...withSteps(r) });
}

export interface BitbucketCloudRepo {
  readonly uuid: string;
  readonly projectUuid: string;
}

export const WORKSPACE_UUID = '{6b1f0c3e-2a4d-4e8f-9b7c-1d2e3f4a5b6c}';

/** `avi:bitbucket:push:repository`, as the forge-events/bitbucket.ndjson sample (which carries no time of its
 *  own; the commit date is when the push happened). */
export function emitBitbucketPush(
  sink: RecordSink,
  r: {
    t: number;
    user: CloudUser & { uuid: string };
    repo: BitbucketCloudRepo;
    hash: string;
    message: string;
  } & Steps,
): void {
  const actor = { type: 'user', accountId: r.user.accountId, uuid: r.user.uuid };
  const line = {
    actor,
    repository: { uuid: r.repo.uuid },
    project: { uuid: r.repo.projectUuid },
    workspace: { uuid: WORKSPACE_UUID },
    push: {
      ref: 'main',
      before: null,
      after: r.hash,
      created: false,
      closed: false,
      forced: false,
      truncated: false,
      commits: [
        {
          hash: r.hash,
          message: { value: r.message, truncated: false },
          date: new Date(r.t).toISOString().replace('Z', '000Z'),
          author: { user: actor },
        },
      ],
    },
    eventType: 'avi:bitbucket:push:repository',
  };
  sink.emit({ t: r.t, file: FORGE_EVENTS, text: JSON.stringify(line), ...withSteps(r) });
}
