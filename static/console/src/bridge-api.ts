/**
 * The console inside a Forge app: the same calls through `@forge/bridge` `invoke(key, payload)`. The Forge
 * resolvers must answer each key with the same shape the HTTP API returns (docs/decisions/0017-console-ui.md
 * lists them). Live updates are polled: Forge has no server push to Custom UI that fits here.
 */
import type {
  ActionRecord,
  ConsoleApi,
  IncidentDetail,
  IncidentPage,
  Readiness,
  SessionInfo,
  SettingsView,
  Scope,
} from './api';
import { CONSOLE_FUNCTIONS } from '../../../src/console-contract';
import { ApiError, editable } from './api';

export type Invoke = (key: string, payload?: Record<string, unknown>) => Promise<unknown>;

/** The resolver keys, in one place: the contract the Forge app's resolvers serve. */
export const BRIDGE_KEYS = CONSOLE_FUNCTIONS;
export type BridgeKey = (typeof BRIDGE_KEYS)[number];

export interface BridgeApiOptions {
  readonly invoke: Invoke;
  /** What the page is about (the Forge context): resolvers must check the caller may see it. */
  readonly scope: Scope;
  readonly pollMs?: number;
}

export function bridgeApi(opts: BridgeApiOptions): ConsoleApi {
  const call = async <T>(key: BridgeKey, payload: Record<string, unknown> = {}): Promise<T> => {
    let r: unknown;
    try {
      r = await opts.invoke(key, payload);
    } catch (e) {
      throw new ApiError(0, 'bridge', `the Forge app did not answer ${key}: ${(e as Error).message}`);
    }
    // Resolvers report refusals as { error: { code, message, field? } }, like the HTTP API.
    const err = (r as { error?: { code: string; message: string; field?: string } } | null)?.error;
    if (err) throw new ApiError(err.code === 'forbidden' ? 403 : 400, err.code, err.message, err.field);
    return r as T;
  };
  return {
    kind: 'forge',
    session: () => call<SessionInfo>('session'),
    listIncidents: (q) =>
      call<IncidentPage>('incidents.list', {
        ...q,
        status: q.status ? [...q.status] : undefined,
        scope: q.scope ?? opts.scope,
      }),
    getIncident: (id) => call<IncidentDetail>('incidents.get', { id, scope: opts.scope }),
    setStatus: (id, status, note) =>
      call<IncidentDetail>('incidents.setStatus', { id, status, note, scope: opts.scope }),
    undo: (id) => call<ActionRecord>('actions.undo', { id }),
    approve: (id) => call<ActionRecord>('actions.approve', { id }),
    retry: (id) => call<ActionRecord>('actions.retry', { id }),
    getSettings: () => call<SettingsView>('settings.get'),
    putSettings: (s) => call<SettingsView>('settings.put', { settings: editable(s) }),
    readiness: () => call<Readiness>('readiness'),
    async setSecret(name, value) {
      await call('secrets.set', { name, value });
    },
    async clearSecret(name) {
      await call('secrets.clear', { name });
    },
    exportIncidents: (format, f) =>
      call<{ filename: string; body: string; type: string }>('export', {
        format,
        filters: { ...f },
        scope: opts.scope,
      }),
    subscribe(listener) {
      const t = setInterval(() => listener({ type: 'poll' }), opts.pollMs ?? 5_000);
      return () => clearInterval(t);
    },
  };
}
