/** A local simulator of Jira, Confluence and Bitbucket Data Center (see simulator.ts for what it simulates). */
export {
  DcSimulator,
  defaultDcSeed,
  simAdminToken,
  simUserToken,
  errorBody,
  DEFAULT_SYSADMIN_GROUPS,
  type DcSimulatorOptions,
  type SimSeed,
  type SimProductSeed,
  type SimUserSeed,
  type SimProjectSeed,
  type SimFault,
  type ReplayResult,
} from './simulator';
export { SimState, bitbucketSlug, type AuditEntity } from './model';
export { SIM_JIRA, SIM_CONFLUENCE, SIM_BITBUCKET } from './audit-types';
