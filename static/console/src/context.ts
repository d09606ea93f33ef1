/**
 * Where the console runs and what it shows: inside a Forge iframe (`@forge/bridge` is connected and
 * `view.getContext()` answers) it talks through the bridge and takes its scope from the module it is rendered
 * in; otherwise it is the self-hosted service's console over HTTP, where `?space=KEY` or `?repo=PROJECT/slug`
 * shows the space or repository page (honoured in HTTP mode only: in Forge the product decides the page).
 */
import type { ConsoleApi, Scope } from './api';
import { bridgeApi, type Invoke } from './bridge-api';
import { httpApi } from './http-api';

export interface ConsoleHome {
  readonly api: ConsoleApi;
  readonly scope: Scope;
  /** Where the page lives, for the heading: `Jira`, `Confluence space settings`, `Bulkhead service`. */
  readonly home: string;
}

/** The scope of a Forge extension context (`confluence:spaceSettings`, `bitbucket:repoSettingsMenuPage`). */
export function scopeOfForgeContext(ctx: { extension?: Record<string, unknown> } | undefined): {
  scope: Scope;
  home: string;
} {
  const ext = (ctx?.extension ?? {}) as {
    type?: string;
    space?: { key?: string };
    repository?: {
      full_name?: string;
      fullName?: string;
      slug?: string;
      uuid?: string;
      project?: { key?: string };
    };
  };
  const type = ext.type ?? '';
  if (type.startsWith('confluence:space') && ext.space?.key) {
    return { scope: { kind: 'space', key: ext.space.key }, home: 'Confluence space settings' };
  }
  if (type.startsWith('bitbucket:repo') && ext.repository) {
    const r = ext.repository;
    const name =
      r.full_name ??
      r.fullName ??
      (r.project?.key && r.slug ? `${r.project.key}/${r.slug}` : (r.slug ?? r.uuid ?? ''));
    return { scope: { kind: 'repository', name }, home: 'Bitbucket repository settings' };
  }
  const product = type.split(':')[0] ?? '';
  const home = product ? `${product[0]?.toUpperCase()}${product.slice(1)} admin` : 'Forge';
  return { scope: { kind: 'all' }, home };
}

/** The scope a self-hosted page asks for in its query string. */
export function scopeOfQuery(search: string): Scope {
  const q = new URLSearchParams(search);
  const space = q.get('space');
  if (space) return { kind: 'space', key: space };
  const repo = q.get('repo');
  if (repo) return { kind: 'repository', name: repo };
  return { kind: 'all' };
}

interface BridgeModule {
  invoke: Invoke;
  view: { getContext(): Promise<{ extension?: Record<string, unknown> }> };
}

export async function detectHome(
  loadBridge: () => Promise<BridgeModule>,
  search: string,
): Promise<ConsoleHome> {
  const g = globalThis as { __bridge?: { callBridge?: unknown } };
  if (g.__bridge?.callBridge) {
    try {
      const bridge = await loadBridge();
      const ctx = await bridge.view.getContext();
      const { scope, home } = scopeOfForgeContext(ctx);
      return { api: bridgeApi({ invoke: bridge.invoke, scope }), scope, home };
    } catch {
      // Not really inside Forge after all: fall through to HTTP.
    }
  }
  return { api: httpApi(), scope: scopeOfQuery(search), home: 'Bulkhead service' };
}
