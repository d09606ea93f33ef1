/**
 * Local Forge host: see harness.ts for how the SDKs are routed, kvs.ts and queues.ts for what the
 * storage and async-event emulators simulate. Import `./register` first in a test that requires app code.
 */
export * from './harness';
export * from './http';
export * from './clock';
export { KvsEmulator, KVS_LIMITS, type EntityDef, type EntityIndexDef, type KvsStats } from './kvs';
export { QueueEmulator, type QueueOptions, type QueueStats, type QueuedEvent } from './queues';
export { entitiesFromManifest } from './manifest';
