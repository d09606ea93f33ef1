/** A hand-made incident, action records, and a loopback HTTP server that records what it is sent. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Incident, TimelineEntry } from '../../src/core/incident';
import type { Severity } from '../../src/core/severity';
import type { ActionRecord } from '../../src/respond/responder';

export const T0 = Date.UTC(2023, 10, 14, 15, 58, 2);

export function incident(over: Partial<Incident> & { lines?: number } = {}): Incident {
  const n = over.lines ?? 3;
  const timeline: TimelineEntry[] = Array.from({ length: n }, (_, i) => ({
    '@timestamp': T0 + i * 60_000,
    detectionId: `det-${i}`,
    ruleId: i === 0 ? 'admin-group-member-added' : `rule-${i}`,
    severity: 'high' as Severity,
    actor: 'svc-smartsheet',
    summary: `step ${i}: svc-smartsheet did something`,
  }));
  const { lines: _lines, ...rest } = over;
  return {
    id: 'inc-1',
    status: 'open',
    severity: 'high',
    title: 'svc-smartsheet added to jira-administrators',
    actor: { name: 'svc-smartsheet', id: '5b10ac8d', kind: 'service' },
    identities: [
      {
        identity: { name: 'svc-smartsheet', id: '5b10ac8d', kind: 'service' },
        relation: 'actor',
        '@timestamp': T0,
      },
      {
        identity: { name: 'mallory', kind: 'human' },
        relation: 'created',
        via: 'svc-smartsheet',
        '@timestamp': T0 + 30_000,
      },
    ],
    firstTimestamp: T0,
    lastTimestamp: T0 + (n - 1) * 60_000,
    detections: [],
    timeline,
    ...rest,
  };
}

export function record(over: Partial<ActionRecord> = {}): ActionRecord {
  return {
    id: 'inc-1/suspend-account jira:5b10ac8d',
    incidentId: 'inc-1',
    action: {
      kind: 'suspend-account',
      product: 'jira',
      identity: { name: 'svc-smartsheet', id: '5b10ac8d', kind: 'service' },
    },
    state: 'done',
    reason: 'actor of incident inc-1',
    at: T0 + 600_000,
    result: 'HTTP 204',
    ...over,
  };
}

export interface Captured {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the next requests get, in order; once used up, `fallback`. */
export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Never answer (for timeouts). */
  readonly hang?: boolean;
}

export class CaptureServer {
  readonly requests: Captured[] = [];
  readonly replies: Reply[] = [];
  fallback: (req: Captured) => Reply = () => ({ status: 200, body: 'ok' });
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const cap: Captured = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(cap);
        const r = this.replies.shift() ?? this.fallback(cap);
        if (r.hang) return;
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(r.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  on(pathPrefix: string): Captured[] {
    return this.requests.filter((r) => r.url.startsWith(pathPrefix));
  }
}

/** A clock the test moves. */
export class Clock {
  constructor(public t = T0 + 3_600_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}
