/**
 * Local Forge host: see harness.ts for how the SDKs are routed, kvs.ts, sql.ts and queues.ts for what the
 * storage, SQL and async-event emulators simulate. Import `./register` first in a test that requires app code.
 */
export * from './harness';
export * from './http';
export * from './clock';
export { KvsEmulator, KVS_LIMITS, type EntityDef, type EntityIndexDef, type KvsStats } from './kvs';
export {
  SqlEmulator,
  SQL_LIMITS,
  isMultiStatement,
  translateMySql,
  type SqlEmulatorOptions,
  type SqlFault,
  type SqlStats,
} from './sql';
export { QueueEmulator, type QueueOptions, type QueueStats, type QueuedEvent } from './queues';
export { entitiesFromManifest } from './manifest';
