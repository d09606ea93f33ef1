/**
 * Jira, Confluence and Bitbucket Data Center audit log file lines (`<home>/log/audit/*.audit.log`), in the key
 * order and shapes of the public samples (shared/samples/dc-audit/*-audit-file.ndjson).
 */
import type { RecordSink } from '../sink';
import { yyyymmdd } from './time';

export type DcProduct = 'jira' | 'confluence' | 'bitbucket';

export interface DcAuditType {
  readonly action: string;
  readonly actionI18nKey: string;
  readonly area: string;
  readonly category: string;
  readonly categoryI18nKey: string;
  readonly level: 'BASE' | 'ADVANCED' | 'FULL';
}

export interface DcAuthor {
  readonly id: string;
  readonly name: string;
  /** `user` in Jira and Confluence files, `NORMAL` in Bitbucket's, `system` for the system. */
  readonly type: string;
}

export interface DcObject {
  readonly id?: string;
  readonly name: string;
  readonly type: string;
}

export interface DcChange {
  readonly key: string;
  readonly i18nKey: string;
  readonly from?: string;
  readonly to: string;
}

export interface DcAttribute {
  readonly name: string;
  readonly nameI18nKey: string;
  readonly value: string;
}

export interface DcAuditRecord {
  readonly t: number;
  readonly product: DcProduct;
  readonly type: DcAuditType;
  readonly author: DcAuthor;
  readonly source?: string;
  readonly affected?: readonly DcObject[];
  readonly changed?: readonly DcChange[];
  readonly extra?: readonly DcAttribute[];
  readonly method?: string;
  readonly steps?: readonly string[];
}

const SYSTEM: Record<DcProduct, string> = {
  jira: 'https://jira.example.com',
  confluence: 'https://wiki.example.com',
  bitbucket: 'https://git.example.com',
};

const NODE: Record<DcProduct, string> = {
  jira: 'jira-node-1',
  confluence: 'confluence-node-1',
  bitbucket: '8e1c0a52-3f7d-4b8e-9a1c-2d5f6b7e8c90',
};

export const dcSystemUrl = (p: DcProduct): string => SYSTEM[p];

export function dcAuditFile(product: DcProduct, t: number): string {
  return `${product}/log/audit/${yyyymmdd(t)}.audit.log`;
}

export function emitDcAudit(sink: RecordSink, r: DcAuditRecord): void {
  const file = dcAuditFile(r.product, r.t);
  sink.declare(file, 'dc-audit-file');
  const line = {
    affectedObjects: r.affected ?? [],
    auditType: r.type,
    author: r.author,
    changedValues: r.changed ?? [],
    extraAttributes: r.extra ?? [],
    method: r.method ?? 'Browser',
    node: NODE[r.product],
    ...(r.source !== undefined ? { source: r.source } : {}),
    system: SYSTEM[r.product],
    timestamp: { epochSecond: Math.floor(r.t / 1000), nano: (r.t % 1000) * 1_000_000 },
    version: '1.0',
  };
  sink.emit({ t: r.t, file, text: JSON.stringify(line), ...(r.steps ? { steps: r.steps } : {}) });
}

/** An audit type from its parts, in the order the products' records list them. */
export const dcAuditType = (
  action: string,
  actionI18nKey: string,
  area: string,
  category: string,
  categoryI18nKey: string,
  level: DcAuditType['level'] = 'BASE',
): DcAuditType => ({ action, actionI18nKey, area, category, categoryI18nKey, level });
const t = dcAuditType;

/** The audit types the scenarios write. Strings from the public samples where they exist there. */
export const JIRA = {
  userCreated: t(
    'User created',
    'jira.auditing.user.created',
    'USER_MANAGEMENT',
    'user management',
    'jira.auditing.category.usermanagement',
  ),
  userUpdated: t(
    'User updated',
    'jira.auditing.user.updated',
    'USER_MANAGEMENT',
    'user management',
    'jira.auditing.category.usermanagement',
  ),
  userAddedToGroup: t(
    'User added to group',
    'jira.auditing.user.added.to.group',
    'USER_MANAGEMENT',
    'group management',
    'jira.auditing.category.groupmanagement',
  ),
  permissionSchemeUpdated: t(
    'Permission scheme updated',
    'jira.auditing.permission.scheme.updated',
    'PERMISSIONS',
    'permissions',
    'jira.auditing.category.permissions',
  ),
  patCreated: t(
    'Personal access token created',
    'personal.access.tokens.audit.log.summary.token.created',
    'SECURITY',
    'Security',
    'personal.access.tokens.audit.log.category',
  ),
  jqlSearch: t(
    'JQLsearchperformed',
    'issuenav.jqlsearch.performed',
    'END_USER_ACTIVITY',
    'search',
    'jira.auditing.category.search',
    'FULL',
  ),
  appInstalled: t(
    'App installed',
    'upm.auditing.plugin.installed',
    'GLOBAL_CONFIG_AND_ADMINISTRATION',
    'Apps',
    'upm.auditing.category.apps',
  ),
  scriptConsole: t(
    'Script console executed',
    'scriptrunner.audit.action.console.executed',
    'GLOBAL_CONFIG_AND_ADMINISTRATION',
    'ScriptRunner',
    'scriptrunner.audit.category',
  ),
} as const;

export const CONFLUENCE = {
  spacePermissionAdded: t(
    'Space permission added',
    'audit.logging.summary.space.permission.added',
    'PERMISSIONS',
    'Permissions',
    'audit.logging.category.permissions',
  ),
  appEnabled: t(
    'App enabled',
    'audit.logging.summary.plugin.enabled',
    'GLOBAL_CONFIG_AND_ADMINISTRATION',
    'Apps',
    'audit.logging.category.plugins',
  ),
} as const;

export const BITBUCKET = {
  loggedIn: t(
    'User logged in',
    'bitbucket.service.user.audit.action.authenticationsuccess',
    'SECURITY',
    'Authentication',
    'bitbucket.service.audit.category.authentication',
    'FULL',
  ),
  repositoryAccessed: t(
    'Repository accessed by user',
    'bitbucket.service.repository.audit.action.repositoryaccessed',
    'END_USER_ACTIVITY',
    'Repositories',
    'bitbucket.service.audit.category.repositories',
    'FULL',
  ),
  loginFailed: t(
    'User login failed',
    'bitbucket.service.user.audit.action.authenticationfailure',
    'SECURITY',
    'Authentication',
    'bitbucket.service.audit.category.authentication',
  ),
} as const;
