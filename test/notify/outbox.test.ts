/**
 * The outbox against a real loopback HTTP server standing in for Slack, Teams, a SIEM and Jira: body shapes,
 * the webhook signature, retries after 429 and 503, no duplicate on re-processing or restart, the Jira issue
 * then comments, and no secret in errors, logs or the history.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ServeConfigSchema } from '../../src/serve/config';
import {
  createNotifiers,
  JiraChannel,
  Outbox,
  SlackChannel,
  TeamsChannel,
  verifySignature,
  WebhookChannel,
  type Channel,
} from '../../src/notify';
import { CaptureServer, Clock, incident, record } from './fixtures';

const SLACK_PATH = '/services/T0001/B0001/slackSECRETpath42';
const TEAMS_PATH = '/workflows/abc/triggers/manual/paths/invoke?sig=teamsSIGsecret77';
const HOOK_SECRET = 'whsec-0123456789abcdef';
const JIRA_TOKEN = 'jiraPATsecretTOKEN99';

let server: CaptureServer;
beforeEach(async () => {
  server = await new CaptureServer().start();
  server.fallback = (r) =>
    r.url === '/jira/rest/api/2/issue'
      ? { status: 201, body: JSON.stringify({ id: '10001', key: 'BULK-7', self: 'x' }) }
      : { status: 200, body: 'ok' };
});
afterEach(() => server.stop());

function channels(): Channel[] {
  return [
    new SlackChannel(server.url + SLACK_PATH),
    new TeamsChannel(server.url + TEAMS_PATH),
    new WebhookChannel(`${server.url}/siem`, HOOK_SECRET),
    new JiraChannel({ baseUrl: `${server.url}/jira`, token: JIRA_TOKEN, project: 'SEC' }),
  ];
}

const allSecrets = [SLACK_PATH, 'slackSECRETpath42', 'teamsSIGsecret77', HOOK_SECRET, JIRA_TOKEN];
function expectNoSecret(text: string): void {
  for (const s of allSecrets) expect(text).not.toContain(s);
}

describe('Outbox with the HTTP channels', () => {
  it('sends each channel its payload once per state, and comments on the Jira issue afterwards', async () => {
    const clock = new Clock();
    const db = new Database(':memory:');
    const box = new Outbox(db, channels(), { now: clock.now, consoleUrl: 'https://bh.example.com' });
    const inc = incident();

    expect(box.notify(inc, [])?.kind).toBe('opened');
    expect(box.pending()).toHaveLength(4);
    expect(await box.drain()).toEqual({ sent: 4, retrying: 0, failed: 0 });

    // Slack: Block Kit with a plain-text header, the timeline and a button to the console.
    const slack = JSON.parse(server.on('/services/')[0]!.body) as {
      text: string;
      blocks: { type: string; text?: { text: string }; elements?: { url: string }[] }[];
    };
    expect(slack.text).toBe('[Bulkhead] HIGH: svc-smartsheet added to jira-administrators');
    expect(slack.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'HIGH: svc-smartsheet added to jira-administrators', emoji: false },
    });
    expect(
      slack.blocks.some((b) =>
        b.text?.text.includes('2023-11-14 15:58:02Z  high  `admin-group-member-added`'),
      ),
    ).toBe(true);
    expect(slack.blocks.at(-1)?.elements?.[0]?.url).toBe('https://bh.example.com/#/incidents/inc-1');

    // Teams: a message with one Adaptive Card attachment.
    const teams = JSON.parse(server.on('/workflows/')[0]!.body) as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; version: string; body: { text?: string }[]; actions: { url: string }[] };
      }[];
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments).toHaveLength(1);
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0]!.content.type).toBe('AdaptiveCard');
    expect(teams.attachments[0]!.content.actions[0]!.url).toBe('https://bh.example.com/#/incidents/inc-1');

    // The SIEM webhook: versioned body, signed over timestamp + "." + body.
    const hook = server.on('/siem')[0]!;
    const ts = hook.headers['x-bulkhead-timestamp'] as string;
    expect(ts).toBe(String(Math.floor(clock.t / 1000)));
    expect(
      verifySignature(HOOK_SECRET, ts, hook.body, hook.headers['x-bulkhead-signature'] as string, clock.t),
    ).toBe(true);
    expect(
      verifySignature('other-secret', ts, hook.body, hook.headers['x-bulkhead-signature'] as string, clock.t),
    ).toBe(false);
    expect(
      verifySignature(
        HOOK_SECRET,
        ts,
        `${hook.body} `,
        hook.headers['x-bulkhead-signature'] as string,
        clock.t,
      ),
    ).toBe(false);
    // A replay ten minutes later is refused by the timestamp check.
    expect(
      verifySignature(
        HOOK_SECRET,
        ts,
        hook.body,
        hook.headers['x-bulkhead-signature'] as string,
        clock.t + 600_000,
      ),
    ).toBe(false);
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      schema: 'bulkhead.notification/v1',
      change: 'opened',
      incident: {
        id: 'inc-1',
        severity: 'high',
        actor: { name: 'svc-smartsheet', kind: 'service' },
        url: 'https://bh.example.com/#/incidents/inc-1',
      },
      timelineOmitted: 0,
      actions: [],
    });
    expect(hook.headers['x-bulkhead-delivery']).toBe(
      `inc-1:${String((body.incident as { version: string }).version)}`,
    );

    // Jira: one issue, Bearer PAT, wiki markup description with the timeline.
    const issue = server.on('/jira/')[0]!;
    expect(issue.url).toBe('/jira/rest/api/2/issue');
    expect(issue.headers.authorization).toBe(`Bearer ${JIRA_TOKEN}`);
    const fields = (JSON.parse(issue.body) as { fields: Record<string, unknown> }).fields;
    expect(fields).toMatchObject({
      project: { key: 'SEC' },
      issuetype: { name: 'Task' },
      summary: '[Bulkhead] HIGH: svc-smartsheet added to jira-administrators',
    });
    expect(fields.description).toContain(
      '{noformat}\n2023-11-14 15:58:02Z  high  admin-group-member-added  step 0',
    );
    expect(box.ref('inc-1', 'jira')).toBe('BULK-7');

    // The same incident again: nothing enqueued, nothing sent.
    expect(box.notify(inc, [])).toBeUndefined();
    expect(box.enqueue(box.message(box.history('inc-1')[0]!.seq)!)).toBe(0);
    await box.drain();
    expect(server.requests).toHaveLength(4);

    // Escalated, then contained: every channel again, Jira as comments on BULK-7.
    clock.advance(60_000);
    expect(box.notify(incident({ severity: 'critical' }), [])?.kind).toBe('escalated');
    clock.advance(60_000);
    expect(box.notify(incident({ severity: 'critical' }), [record()])?.kind).toBe('contained');
    expect(await box.drain()).toEqual({ sent: 8, retrying: 0, failed: 0 });
    const jira = server.on('/jira/');
    expect(jira.map((r) => r.url)).toEqual([
      '/jira/rest/api/2/issue',
      '/jira/rest/api/2/issue/BULK-7/comment',
      '/jira/rest/api/2/issue/BULK-7/comment',
    ]);
    const comment = (JSON.parse(jira[2]!.body) as { body: string }).body;
    expect(comment).toContain('containment: 1 action');
    expect(comment).toContain('done: suspend\\-account jira:5b10ac8d \\(HTTP 204\\) \\[new\\]');
    const last = JSON.parse(server.on('/siem')[2]!.body) as {
      change: string;
      actions: { state: string; new: boolean }[];
    };
    expect(last.change).toBe('contained');
    expect(last.actions).toEqual([expect.objectContaining({ state: 'done', new: true, result: 'HTTP 204' })]);

    const h = box.history('inc-1');
    expect(h).toHaveLength(12);
    expect(h.every((e) => e.state === 'sent' && e.attempts === 1)).toBe(true);
    expect(h.filter((e) => e.channel === 'jira').map((e) => e.detail)).toEqual([
      'created BULK-7',
      'commented on BULK-7',
      'commented on BULK-7',
    ]);
    expect(box.pending()).toEqual([]);
    db.close();
  });

  it('retries after 429 (Retry-After) and 503 with backoff, then sends once', async () => {
    const clock = new Clock();
    const db = new Database(':memory:');
    const log: string[] = [];
    const box = new Outbox(db, [new SlackChannel(server.url + SLACK_PATH)], {
      now: clock.now,
      backoffMs: 1000,
      log: (l) => log.push(l),
    });
    server.replies.push(
      { status: 429, body: 'rate_limited', headers: { 'retry-after': '120' } },
      { status: 503, body: `upstream ${server.url}${SLACK_PATH} unavailable` },
    );
    box.notify(incident(), []);
    expect(await box.drain()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    let [p] = box.pending();
    expect(p).toMatchObject({
      attempts: 1,
      nextAt: clock.t + 120_000,
      lastError: expect.stringContaining('HTTP 429'),
    });
    expect(await box.drain()).toEqual({ sent: 0, retrying: 0, failed: 0 }); // not due yet
    clock.advance(120_000);
    expect(await box.drain()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    [p] = box.pending();
    expect(p).toMatchObject({ attempts: 2, nextAt: clock.t + 2000 });
    expect(p!.lastError).toContain('HTTP 503');
    expectNoSecret(p!.lastError!);
    clock.advance(2000);
    expect(await box.drain()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(server.requests).toHaveLength(3);
    expect(box.history('inc-1')[0]).toMatchObject({ state: 'sent', attempts: 3 });
    expect(log).toHaveLength(2);
    for (const l of log) expectNoSecret(l);
    expect(log[0]).toContain('http://127.0.0.1:');
    db.close();
  });

  it('fails at once on a 4xx other than 429, and after maxAttempts on repeated 5xx, without secrets in the reason', async () => {
    const clock = new Clock();
    const db = new Database(':memory:');
    const box = new Outbox(
      db,
      [
        new TeamsChannel(server.url + TEAMS_PATH),
        new JiraChannel({ baseUrl: `${server.url}/jira`, token: JIRA_TOKEN, project: 'SEC' }),
      ],
      { now: clock.now, backoffMs: 10, maxAttempts: 3 },
    );
    server.fallback = (r) =>
      r.url.startsWith('/workflows/')
        ? { status: 400, body: `bad request to ${r.url}` }
        : { status: 500, body: `{"errorMessages":["token ${JIRA_TOKEN} broke"]}` };
    box.notify(incident(), []);
    expect(await box.drain()).toEqual({ sent: 0, retrying: 1, failed: 1 });
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await box.drain();
    }
    const [teams, jira] = box.history('inc-1');
    expect(teams).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastError: expect.stringContaining('HTTP 400'),
    });
    expect(jira).toMatchObject({
      state: 'failed',
      attempts: 3,
      lastError: expect.stringContaining('gave up after 3 attempts'),
    });
    expect(jira!.lastError).toContain('[redacted]');
    expect(server.requests).toHaveLength(4);
    expectNoSecret(JSON.stringify(box.history('inc-1')));
    db.close();
  });

  it('retries a refused connection and a timeout, naming neither the URL path nor the token', async () => {
    const clock = new Clock();
    const db = new Database(':memory:');
    const dead = await new CaptureServer().start();
    await dead.stop();
    server.replies.push({ status: 0, hang: true });
    const box = new Outbox(
      db,
      [new SlackChannel(dead.url + SLACK_PATH), new WebhookChannel(`${server.url}/siem`, HOOK_SECRET)],
      { now: clock.now, timeoutMs: 300 },
    );
    box.notify(incident(), []);
    expect(await box.drain()).toEqual({ sent: 0, retrying: 2, failed: 0 });
    const [slack, hook] = box.pending();
    expect(slack!.lastError).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/…: network error \(ECONNREFUSED\)$/);
    expect(hook!.lastError).toMatch(/timed out/);
    expectNoSecret(JSON.stringify(box.pending()));
    db.close();
  });

  it('sends a Jira comment only after the issue exists, even when creating it had to be retried', async () => {
    const clock = new Clock();
    const db = new Database(':memory:');
    const box = new Outbox(
      db,
      [
        new JiraChannel({
          baseUrl: `${server.url}/jira`,
          token: JIRA_TOKEN,
          project: 'SEC',
          issueType: 'Incident',
        }),
      ],
      {
        now: clock.now,
        backoffMs: 1000,
      },
    );
    server.replies.push({ status: 503 });
    box.notify(incident(), []);
    await box.drain();
    box.notify(incident({ severity: 'critical' }), []);
    expect(await box.drain()).toEqual({ sent: 0, retrying: 0, failed: 0 }); // the comment waits for the issue
    clock.advance(1000);
    expect(await box.drain()).toEqual({ sent: 2, retrying: 0, failed: 0 });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/jira/rest/api/2/issue',
      '/jira/rest/api/2/issue',
      '/jira/rest/api/2/issue/BULK-7/comment',
    ]);
    expect(
      (JSON.parse(server.requests[1]!.body) as { fields: { issuetype: unknown } }).fields.issuetype,
    ).toEqual({ name: 'Incident' });
    db.close();
  });

  it('after a restart, re-processing the same incident notifies nobody again, and what was pending is sent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bulkhead-notify-'));
    try {
      const file = join(dir, 'state.sqlite');
      const clock = new Clock();
      let db = new Database(file);
      let box = new Outbox(db, channels(), { now: clock.now });
      box.notify(incident(), []);
      await box.drain();
      box.notify(incident(), [record()]); // enqueued, then the process dies before draining
      db.close();

      db = new Database(file);
      box = new Outbox(db, channels(), { now: clock.now });
      expect(box.notify(incident(), [record()])).toBeUndefined();
      expect(box.pending()).toHaveLength(4);
      expect(await box.drain()).toEqual({ sent: 4, retrying: 0, failed: 0 });
      expect(server.requests).toHaveLength(8);
      expect(server.on('/jira/').map((r) => r.url)).toEqual([
        '/jira/rest/api/2/issue',
        '/jira/rest/api/2/issue/BULK-7/comment',
      ]);
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('concurrent drains share one run (no double send)', async () => {
    const db = new Database(':memory:');
    const box = new Outbox(db, [new SlackChannel(server.url + SLACK_PATH)], { now: new Clock().now });
    box.notify(incident(), []);
    const [a, b] = await Promise.all([box.drain(), box.drain()]);
    expect(a).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(b).toBe(a);
    expect(server.requests).toHaveLength(1);
    db.close();
  });
});

describe('createNotifiers', () => {
  const config = ServeConfigSchema.parse({
    state: { sqlite: 'x.sqlite' },
    sources: { auditLogs: [{ product: 'jira', dir: '/var/log' }] },
    notify: {
      slack: { webhook: { env: 'SLACK' } },
      teams: { webhook: { env: 'TEAMS' } },
      webhook: { url: 'https://siem.example.com/in', secret: { env: 'HOOK' } },
      email: {
        smtpHost: 'smtp.example.com',
        from: 'bulkhead@example.com',
        to: ['sec@example.com'],
        username: 'bh',
        password: { env: 'SMTP' },
      },
      jira: { baseUrl: 'https://jira.example.com', token: { env: 'JIRA' }, project: 'SEC' },
    },
  });
  const secrets = new Map([
    ['notify.slack.webhook', 'https://hooks.slack.com/services/x/y/z'],
    ['notify.teams.webhook', 'https://prod.westeurope.logic.azure.com/workflows/x?sig=y'],
    ['notify.webhook.secret', HOOK_SECRET],
    ['notify.email.password', 'smtp-password'],
    ['notify.jira.token', JIRA_TOKEN],
  ]);
  it('builds every configured channel from the config section and the secret map', () => {
    const cs = createNotifiers(config.notify, secrets);
    expect(cs.map((c) => c.name)).toEqual(['slack', 'teams', 'webhook', 'email', 'jira']);
    expect(cs.flatMap((c) => c.secrets)).toEqual([...secrets.values()]);
    expect(createNotifiers({}, new Map())).toEqual([]);
  });
  it('a missing secret is named by its key, never by a value', () => {
    const partial = new Map(secrets);
    partial.delete('notify.jira.token');
    expect(() => createNotifiers(config.notify, partial)).toThrow('notify.jira.token: secret not resolved');
  });
});
