/**
 * The README's first command, `bulkhead demo` (issue #4 §6), run in-process at a higher speed: the service on
 * SQLite in a temp folder beside the DC simulator, the Cloudflare timeline with 200 background users replayed
 * into the simulator's logs. Within a second of the 15:58 admin-group change the service account is out of the
 * admin group on the simulator; the console API (logged in through the printed one-time link) shows the
 * incident with that action, which a person can undo; no background user is touched.
 */
import { rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Incident } from '../../src/core/incident';
import type { ActionRecord } from '../../src/respond/responder';
import { liveDemo, type LiveDemoResult } from '../../src/cli/live-demo';
import type { CliIO } from '../../src/cli/io';

interface Api {
  get(p: string): Promise<Response>;
  post(p: string, body?: unknown): Promise<Response>;
}

describe('bulkhead demo (live, Cloudflare 2023, 200 background users)', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'bulkhead-live-demo-'));
  let stdout = '';
  let result: LiveDemoResult;
  let checked: {
    memberAfter: boolean;
    memberAfterUndo: boolean;
    incidents: { incident: Incident; actions: ActionRecord[] }[];
    unauthenticated: number;
    touched: string[];
    background: string[];
  };

  beforeAll(async () => {
    const io: CliIO = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      stdin: new PassThrough(),
      env: {},
      now: Date.now,
    };
    result = await liveDemo(
      { scenario: 'cloudflare-2023', speed: 360_000, out: path.join(out, 'demo'), exitWhenDone: true },
      io,
      {
        onReplayDone: async ({ url, loginLink, sim, running }) => {
          const unauthenticated = (await fetch(`${url}/api/incidents`)).status;
          // The printed one-time link logs in: it sets the session cookie and redirects to the console.
          const login = await fetch(loginLink, { redirect: 'manual' });
          const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
          const session = (await (await fetch(`${url}/api/session`, { headers: { cookie } })).json()) as {
            csrfToken: string;
          };
          const api: Api = {
            get: (p) => fetch(`${url}${p}`, { headers: { cookie } }),
            post: (p, body) =>
              fetch(`${url}${p}`, {
                method: 'POST',
                headers: { cookie, 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' },
                body: JSON.stringify(body ?? {}),
              }),
          };
          const list = (await (await api.get('/api/incidents?limit=100')).json()) as {
            incidents: { id: string }[];
          };
          // The detail of each incident: its linked identities and actions.
          const items: { incident: Incident; actions: ActionRecord[] }[] = [];
          for (const i of list.incidents)
            items.push(
              (await (await api.get(`/api/incidents/${encodeURIComponent(i.id)}`)).json()) as {
                incident: Incident;
                actions: ActionRecord[];
              },
            );
          const memberAfter = sim.state.isMember('jira', 'svc-smartsheet', 'jira-administrators');
          const removal = items
            .flatMap((i) => i.actions)
            .find((a) => a.action.kind === 'remove-from-group' && a.state === 'done');
          const undo = removal
            ? await api.post(`/api/actions/${encodeURIComponent(removal.id)}/undo`)
            : undefined;
          expect(undo?.status).toBe(200);
          checked = {
            memberAfter,
            memberAfterUndo: sim.state.isMember('jira', 'svc-smartsheet', 'jira-administrators'),
            incidents: items,
            unauthenticated,
            touched: running.service.actions.all().map((a) => a.action.identity.name ?? ''),
            background: [],
          };
        },
      },
    );
  }, 300_000);

  afterAll(() => rm(out, { recursive: true, force: true }));

  it('takes the service account out of the admin group within a second of the 15:58 change', () => {
    console.log(`contained ${String(result.containedAfterMs)} ms after the admin-group change was written`);
    expect(result.containedAfterMs).toBeDefined();
    expect(result.containedAfterMs as number).toBeLessThan(1_000);
    expect(checked.memberAfter).toBe(false);
    expect(stdout).toMatch(/svc-smartsheet was out of jira-administrators \d+ ms after/);
  });

  it('shows the incident through the authenticated console API, where the removal can be undone', () => {
    expect(checked.unauthenticated).toBe(401);
    const critical = checked.incidents.find(
      (i) => i.incident.severity === 'critical' && i.incident.actor.name === 'svc-smartsheet',
    );
    expect(critical).toBeDefined();
    const names = [critical!.incident.actor, ...critical!.incident.identities.map((l) => l.identity)].map(
      (i) => i.name,
    );
    // The account the intruder created days earlier is contained in the same incident.
    expect(names).toContain('jdoe2');
    expect(critical!.actions.some((a) => a.action.identity.name === 'jdoe2' && a.state === 'done')).toBe(
      true,
    );
    expect(checked.memberAfterUndo).toBe(true);
  });

  it('touches only the intruder’s identities', () => {
    const attacker = new Set(['svc-smartsheet', 'jdoe2', 'moveworks-bot', 'svc-bitbucket']);
    expect([...new Set(checked.touched)].filter((n) => !attacker.has(n))).toEqual([]);
  });
});
