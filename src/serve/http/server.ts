/**
 * Runs the console app (app.ts) on Node: the only file here that knows about @hono/node-server, sockets and the
 * file system.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type HttpBindings } from '@hono/node-server';
import type { AuthStore } from './auth';
import type { ConsoleBackend } from './backend';
import { createConsoleApp, type ConsoleAppOptions, type StaticFiles } from './app';

export interface StartHttpOptions {
  readonly backend: ConsoleBackend;
  readonly auth: AuthStore;
  /** Address to listen on (the config's `http.listen`, loopback by default). */
  readonly listen: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** A built console to serve at `/` instead of the built-in one. */
  readonly staticDir?: string;
  readonly secureCookie?: ConsoleAppOptions['secureCookie'];
  readonly trustProxy?: boolean;
  readonly heartbeatMs?: number;
}

export interface RunningHttp {
  /** `http://127.0.0.1:8477` */
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files under `dir` only: a path that resolves (through `..` or a symlink) outside it is not found. */
export function folderFiles(dir: string): StaticFiles {
  const rootP = realpath(path.resolve(dir));
  return async (requestPath) => {
    if (requestPath.includes('\0')) return undefined;
    const root = await rootP;
    let decoded: string;
    try {
      decoded = decodeURIComponent(requestPath);
    } catch {
      return undefined;
    }
    try {
      const file = await realpath(path.join(root, path.normalize(decoded)));
      if (file !== root && !file.startsWith(root + path.sep)) return undefined;
      if (!(await stat(file)).isFile()) return undefined;
      const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
      return { body: await readFile(file), contentType: type };
    } catch {
      return undefined;
    }
  };
}

export async function startHttp(opts: StartHttpOptions): Promise<RunningHttp> {
  const app = createConsoleApp({
    backend: opts.backend,
    auth: opts.auth,
    clientAddress: (c) => (c.env as HttpBindings | undefined)?.incoming?.socket.remoteAddress,
    ...(opts.staticDir !== undefined ? { staticFiles: folderFiles(opts.staticDir) } : {}),
    ...(opts.secureCookie !== undefined ? { secureCookie: opts.secureCookie } : {}),
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.listen, port: opts.port }, () => resolve(s as Server));
    (s as Server).once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Event streams stay open until their client goes: end them with the server.
        server.closeAllConnections();
      }),
  };
}
