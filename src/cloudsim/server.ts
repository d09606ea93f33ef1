/**
 * The same simulated site over plain HTTP on loopback, for a scenario script or a demo that acts through
 * REST the way an intruder with an API token would: `Authorization: Basic base64(email:apiToken)` (Atlassian
 * API tokens, checked against the site's tokens; a suspended owner or revoked token gets 401), or
 * `Authorization: Bearer <org API key>` for the Admin API paths.
 * Routing by path: `/rest/api/3/…` Jira, `/wiki/…` Confluence, `/2.0/…` Bitbucket, `/admin/…` and `/users/…`
 * the Admin and User management APIs. Faults apply as for the in-process routes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HANG, type HarnessRequest, type HarnessResponse } from '../forge-harness';
import { harnessRequest } from '../forge-harness/http';
import type { FaultTarget } from './faults';
import { routeAdmin, routeBitbucket, routeConfluence, routeJira } from './routes';
import type { CloudSim } from './site';

export interface CloudSimServer {
  url: string;
  close(): Promise<void>;
}

function userFromBasic(sim: CloudSim, auth: string): string | undefined {
  const m = /^Basic\s+(.+)$/i.exec(auth);
  if (!m) return undefined;
  const [email, token] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
  for (const t of sim.tokens.values()) {
    if (t.id !== token || t.revokedAt !== undefined || t.expiresAt < sim.now()) continue;
    const u = sim.user(t.accountId);
    if (u && u.email === email && sim.canAuthenticate(u.accountId)) return u.accountId;
  }
  return undefined;
}

export async function startCloudSimServer(sim: CloudSim, port = 0): Promise<CloudSimServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string') headers[k.toLowerCase()] = v;
        const bodyText = Buffer.concat(chunks).toString('utf8');
        const accountId = userFromBasic(sim, headers.authorization ?? '');
        const hreq = harnessRequest(
          { remote: 'http', provider: accountId ? 'user' : 'none', ...(accountId ? { accountId } : {}) },
          (req.method ?? 'GET').toUpperCase(),
          url,
          headers,
          bodyText,
        );
        const p = url.pathname;
        const [target, route]: [FaultTarget, (s: CloudSim, r: HarnessRequest) => HarnessResponse] =
          p.startsWith('/wiki/')
            ? ['confluence', routeConfluence]
            : p.startsWith('/2.0/')
              ? ['bitbucket', routeBitbucket]
              : p.startsWith('/admin/') || p.startsWith('/users/')
                ? ['admin', routeAdmin]
                : ['jira', routeJira];
        const fault = sim.faults.apply(target, hreq);
        if (fault === HANG) return; // never answers; the client's timeout decides
        let out = fault ?? route(sim, hreq);
        if (sim.faults.takeLost(hreq))
          out = { status: 504, body: { message: 'Gateway timeout (the change was applied)' } };
        const text =
          out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
        res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
        res.end(text);
      })().catch((e: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(e) }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
