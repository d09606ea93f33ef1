/** A simulated Atlassian Cloud site for the Forge harness: see site.ts (what is simulated) and routes.ts (endpoints). */
export {
  CloudSim,
  Actor,
  AUDIT_FOOTPRINT,
  DEFAULT_GROUPS,
  type CloudSimOptions,
  type EventDeliveryOptions,
  type EmittedEvent,
} from './site';
export { CloudSimError } from './model';
export type * from './model';
export { FaultInjector, type FaultSpec, type FaultTarget } from './faults';
export type { JiraAuditRecord, ConfluenceAuditRecord, OrgAuditEvent } from './records';
export { startCloudSimServer, type CloudSimServer } from './server';
