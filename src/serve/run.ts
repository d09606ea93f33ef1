/**
 * Everything `bulkhead serve` starts, from a loaded configuration: the rules, the tailed and polled sources,
 * containment through the DC REST APIs, the notification outbox, the console's HTTP API with its admin account,
 * and the loop. The demo calls the same function with a configuration that points at the DC simulator.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DcDirectory, DcExecutor, type DcSite } from '../dc';
import type { LoadError } from '../engine';
import { createNotifiers, Outbox } from '../notify';
import type { ServeConfig } from './config';
import { serviceBackend } from './console-backend';
import { AuthStore } from './http/auth';
import { startHttp, type RunningHttp } from './http/server';
import { DEFAULT_POLICY, Service, type Containment } from './service';
import { loadConfiguredRules, resolveSources } from './sources';

/** The React console when built (`npm run console:build`); the small built-in one otherwise. The same path
 *  from src/ and dist/. */
export const BUILT_CONSOLE = path.resolve(__dirname, '../../static/console/build');

export interface ServeOptions {
  /** Where the service says what it does. */
  readonly log?: (line: string) => void;
  /** A built console to serve instead of the built-in one. */
  readonly staticDir?: string;
  /** For links in notifications (default from `http.listen` and `http.port`). */
  readonly consoleUrl?: string;
  readonly pollMs?: number;
  readonly idleMs?: number;
  /** Overrides `http.port` (0: any free port; the demo and the tests). */
  readonly port?: number;
}

export interface RunningServe {
  readonly service: Service;
  readonly http: RunningHttp;
  readonly auth: AuthStore;
  /** Where the first start wrote the generated admin password (undefined when the account existed). */
  readonly adminPasswordFile: string | undefined;
  close(): Promise<void>;
}

/** Refused configurations (a rule that does not load, say) come back as one error naming every problem. */
export class ServeStartError extends Error {
  constructor(readonly errors: readonly LoadError[]) {
    super(errors.map((e) => `${e.file}${e.path ? `: ${e.path}` : ''}: ${e.message}`).join('\n'));
    this.name = 'ServeStartError';
  }
}

export async function startServe(
  config: ServeConfig,
  secrets: ReadonlyMap<string, string>,
  opts: ServeOptions = {},
): Promise<RunningServe> {
  const loaded = loadConfiguredRules(config);
  if (!loaded.ok) throw new ServeStartError(loaded.errors);
  const resolved = resolveSources(config, secrets);

  let containment: Containment | undefined;
  if (config.containment) {
    const sites: Partial<Record<'jira' | 'confluence' | 'bitbucket', DcSite>> = {};
    config.containment.products.forEach((p, i) => {
      sites[p.product] = { baseUrl: p.baseUrl, token: secrets.get(`containment.products[${i}].token`) ?? '' };
    });
    containment = {
      executor: new DcExecutor({ sites }),
      directory: new DcDirectory({ sites, adminGroups: loaded.lists }),
    };
  }
  const channels = createNotifiers(config.notify, secrets);
  const port = opts.port ?? config.http.port;
  const consoleUrl = opts.consoleUrl ?? `http://${config.http.listen}:${port}`;
  let outbox: Outbox | undefined;
  const service = new Service({
    sources: resolved.sources,
    restPollers: resolved.restPollers,
    stateFile: config.state.sqlite,
    rules: loaded.rules,
    lists: loaded.lists,
    ...(resolved.timezone ? { timezone: resolved.timezone } : {}),
    ...(opts.idleMs !== undefined ? { idleMs: opts.idleMs } : {}),
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    resumeEveryMs: 10_000,
    ...(containment ? { containment } : {}),
    policy: config.containment ? { ...config.containment.policy } : DEFAULT_POLICY,
    ...(channels.length > 0
      ? {
          notifier: (db) =>
            (outbox = new Outbox(db, channels, { consoleUrl, ...(opts.log ? { log: opts.log } : {}) })),
        }
      : {}),
  });

  const auth = new AuthStore(service.store.database);
  const password = await auth.ensureAdmin('admin');
  let adminPasswordFile: string | undefined;
  if (password !== undefined) {
    // Shown once, to whoever can read the state folder; never logged.
    adminPasswordFile = path.join(path.dirname(path.resolve(config.state.sqlite)), 'initial-admin-password');
    writeFileSync(adminPasswordFile, `${password}\n`, { mode: 0o600 });
    chmodSync(adminPasswordFile, 0o600);
  }
  const backend = serviceBackend({
    service,
    sources: resolved.sources,
    secretKeys: [...secrets.keys()],
    channels: channels.map((c) => c.name),
    ...(outbox ? { notificationHistory: (id: string) => (outbox as Outbox).history(id) } : {}),
  });
  const staticDir =
    opts.staticDir ?? (existsSync(path.join(BUILT_CONSOLE, 'index.html')) ? BUILT_CONSOLE : undefined);
  const http = await startHttp({
    backend,
    auth,
    listen: config.http.listen,
    port,
    ...(staticDir ? { staticDir } : {}),
  });
  await service.start();
  return {
    service,
    http,
    auth,
    adminPasswordFile,
    async close() {
      await http.close();
      await service.stop();
    },
  };
}
