/** Reads custom entity definitions (`app.storage.entities`) from manifest.yml text for the KVS emulator. */
import { parse } from 'yaml';
import type { EntityDef } from './kvs';

export function entitiesFromManifest(manifestYaml: string): EntityDef[] {
  const doc = parse(manifestYaml) as { app?: { storage?: { entities?: unknown } } } | null;
  const list = doc?.app?.storage?.entities;
  if (!Array.isArray(list)) return [];
  return list.map((e) => {
    const o = e as {
      name: string;
      attributes?: Record<string, { type: string }>;
      indexes?: EntityDef['indexes'];
    };
    return { name: o.name, attributes: o.attributes ?? {}, ...(o.indexes ? { indexes: o.indexes } : {}) };
  });
}
