/** The state of one simulated Cloud site and its organization. Plain data; `CloudSim` changes it. */

export type AccountType = 'atlassian' | 'app';
export type RepoPermission = 'read' | 'write' | 'admin';

export interface SimUser {
  accountId: string;
  displayName: string;
  email?: string;
  accountType: AccountType;
  /** Account exists and is not deactivated. */
  active: boolean;
  /** Access suspended through the Admin API (restorable). */
  suspended: boolean;
  createdAt: number;
}

/** Groups are site-wide in Cloud: the same group is seen by Jira and Confluence. */
export interface Group {
  groupId: string;
  name: string;
  members: Set<string>;
}

export interface InstalledApp {
  key: string;
  name: string;
  installedBy: string;
  at: number;
  appUserAccountId: string;
}

export interface Space {
  id: number;
  key: string;
  name: string;
  /** accountId → permissions granted directly (e.g. `read`, `export`). */
  permissions: Map<string, Set<string>>;
}

export interface Page {
  id: string;
  spaceKey: string;
  title: string;
}

export interface Issue {
  id: string;
  key: string;
  projectKey: string;
  summary: string;
}

export interface PullRequest {
  id: number;
  title: string;
  authorAccountId: string;
  source: string;
  destination: string;
  state: 'OPEN' | 'MERGED' | 'DECLINED';
}

export interface Repository {
  uuid: string;
  slug: string;
  name: string;
  projectUuid: string;
  /** Direct user grants: accountId → permission. */
  permissions: Map<string, RepoPermission>;
  pullRequests: PullRequest[];
}

export interface ApiToken {
  id: string;
  accountId: string;
  label: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
}

export interface Org {
  orgId: string;
  directoryId: string;
  /** Valid organization API keys (Bearer). */
  apiKeys: Set<string>;
  /** Organization admins: site administration on the org's sites without being in site-admins
   *  (Atlassian: org admins can do everything site admins can). */
  admins: Set<string>;
}

export interface Workspace {
  uuid: string;
  slug: string;
  admins: Set<string>;
  members: Set<string>;
}

/** A user action the simulator performed (through the actor API or REST), for invariants and tests. */
export interface Operation {
  seq: number;
  kind: string;
  actor: string;
  at: number;
  ok: boolean;
  detail?: Record<string, unknown>;
}

/** A refused or failed change: `status` is the HTTP status the REST API answers with. */
export class CloudSimError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CloudSimError';
  }
}
