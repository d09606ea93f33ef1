/**
 * The Forge app on the local harness (src/forge-harness): every module of manifest.yml registered with the
 * harness under its key, pointing at the real handler export the manifest names, so a test drives the app
 * exactly as the platform would (product events, schedules, web triggers, queues, resolvers) through the
 * unmodified SDKs. Import `../../src/forge-harness/register` before this module.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  entitiesFromManifest,
  resetForgeHarness,
  type ForgeHarness,
  type HarnessOptions,
} from '../../src/forge-harness';
import * as handlers from '../../src/forge/index';

const MANIFEST = path.join(__dirname, '..', '..', 'manifest.yml');

interface Manifest {
  permissions: { scopes: string[]; external?: { fetch?: { backend?: ({ address: string } | string)[] } } };
  modules: Record<string, Record<string, unknown>[]>;
}

export function manifest(): Manifest {
  return parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
}

/** The exported handler a manifest function key names (`forge/index.<export>`). */
export function handlerOf(fnKey: string): (...args: unknown[]) => unknown {
  const fn = manifest().modules['function']?.find((f) => f['key'] === fnKey);
  if (!fn) throw new Error(`manifest has no function ${fnKey}`);
  const [file, name] = String(fn['handler']).split('.');
  if (file !== 'forge/index' || name === undefined)
    throw new Error(`unexpected handler ${String(fn['handler'])}`);
  const h = (handlers as Record<string, unknown>)[name];
  if (typeof h !== 'function') throw new Error(`src/forge/index.ts exports no function ${name}`);
  return h as (...args: unknown[]) => unknown;
}

function timeoutOf(fnKey: string): number | undefined {
  const fn = manifest().modules['function']?.find((f) => f['key'] === fnKey);
  return typeof fn?.['timeoutSeconds'] === 'number' ? fn['timeoutSeconds'] : undefined;
}

/** A fresh harness with the manifest's entities, egress and scopes (on Jira unless `opts` say otherwise), and
 *  no module registered yet. */
export function manifestHarness(opts: HarnessOptions = {}): ForgeHarness {
  const text = readFileSync(MANIFEST, 'utf8');
  const m = manifest();
  const egress = (m.permissions.external?.fetch?.backend ?? []).map((b) =>
    typeof b === 'string' ? b : b.address,
  );
  return resetForgeHarness({
    entities: entitiesFromManifest(text),
    egress: egress.filter((e) => !e.includes('*')),
    scopes: m.permissions.scopes,
    product: 'jira',
    ...opts,
  });
}

/** A fresh harness with the manifest's entities, egress and scopes, and every module registered. */
export function installApp(opts: HarnessOptions = {}): ForgeHarness {
  // A new installation per harness: the app keeps per-installation hints in memory between invocations.
  const h = manifestHarness({ installationId: randomUUID(), ...opts });
  registerModules(h);
  return h;
}

/** Registers every manifest module with `h` under its key, pointing at the handler the manifest names: on a
 *  fresh harness (installApp) or on one that already carries a site's history (the Cloudflare scenario). */
export function registerModules(h: ForgeHarness): void {
  const mods = manifest().modules;
  for (const t of mods['trigger'] ?? [])
    h.registerTrigger(String(t['key']), t['events'] as string[], handlerOf(String(t['function'])));
  for (const s of mods['scheduledTrigger'] ?? []) {
    const fn = String(s['function']);
    const timeout = timeoutOf(fn);
    h.registerScheduledTrigger(String(s['key']), s['interval'] as 'fiveMinute', handlerOf(fn), {
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    });
  }
  for (const w of mods['webtrigger'] ?? [])
    h.registerWebTrigger(String(w['key']), handlerOf(String(w['function'])));
  for (const c of mods['consumer'] ?? []) {
    const fn = String(c['function']);
    const timeout = timeoutOf(fn);
    h.registerConsumer(String(c['queue']), handlerOf(fn), {
      moduleKey: String(c['key']),
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    });
  }
  for (const type of [
    'jira:adminPage',
    'confluence:globalSettings',
    'confluence:spaceSettings',
    'bitbucket:workspaceSettingsMenuPage',
    'bitbucket:repoSettingsMenuPage',
  ])
    for (const page of mods[type] ?? [])
      h.registerResolver(
        String(page['key']),
        handlerOf(String((page['resolver'] as { function: string }).function)) as never,
      );
}
