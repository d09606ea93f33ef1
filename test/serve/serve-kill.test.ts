/**
 * Issue #4 §1, for the real service: `bulkhead serve` (the compiled CLI, in a child process) follows the logs
 * of a simulated Data Center site (src/dcsim) while the Cloudflare 2023 intrusion (DC, 20 background users, a
 * fixed seed) is replayed into it, contains the intruder through the simulator's REST APIs and notifies a
 * signed generic webhook. It is killed with SIGKILL and started again each time: at random moments spread over
 * the replay (at least five: the writer waits for one more every sixth of the lines), and at moments inside its
 * side effects (while a Jira group removal and a suspension are made but their answers lost, just after other
 * containment requests, while the SIEM holds a delivery unanswered). At the end it catches up and is stopped
 * with SIGTERM (exit 0). A reference run replays the same lines into a fresh simulator and a fresh state, in the
 * same folder, with one process that is never interrupted.
 *
 * What this proves, against the reference:
 *  - no event lost, no alert raised twice: the stored detections on the replayed lines are exactly the
 *    reference's (ids); those raised on the audit lines of Bulkhead's own actions are the same rules over the
 *    same lines (where in the file such a line lands depends on when containment ran, so those are compared by
 *    rule and evidence text, not by id);
 *  - containment exactly once per decision: every action record of the reference exists once, under the same
 *    id, and ends in the same state (done / failed / skipped), none more; the simulator ends with the same
 *    groups, active flags, tokens and direct grants for every identity the intruder used;
 *  - notifications at least once, never two different ones for one incident state: every (incident, version)
 *    the outbox enqueued is `sent` and was delivered at least once with a valid HMAC signature; the only
 *    repeated deliveries are re-sends of one delivery id (`X-Bulkhead-Delivery` = `<incident>:<version>`) with
 *    the same notification; no incident version went out under two ids; nothing was delivered that was not
 *    enqueued; and every incident ends notified in the same state (its last version) as in the reference.
 * What it does not prove: that a delivery is never repeated (a kill between the receiver's answer and the
 * outbox's commit sends it again: at least once per delivery id, decision 0012), nor the intermediate
 * notifications (which states an incident passes through depends on how lines fell into polls; a service that
 * was behind may open an incident already contained).
 *
 * The simulator's clock is fixed (two days after the scenario), so the audit lines of Bulkhead's own actions go
 * to a file of their own and never shift the line numbers of the replayed lines (detection ids hash their
 * evidence's file and line).
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedFor } from '../../src/cli/live-demo';
import { DcSimulator, simAdminToken, type SimSeed } from '../../src/dcsim';
import { verifySignature } from '../../src/notify/webhook';
import { simulateCloudflare2023, type ScenarioManifest } from '../../src/scenarios';
import { dcAuditFile } from '../../src/scenarios/formats/dc-audit';
import { replayUnits, type ReplayUnit } from '../../src/scenarios/replay';
import { ensureBuilt, REPO } from '../support/build';

const PRODUCTS = ['jira', 'confluence', 'bitbucket'] as const;
type DcProduct = (typeof PRODUCTS)[number];
const SECRET = 'serve-kill-webhook-secret';
const TOKEN_ENV = (p: DcProduct) => `BULKHEAD_SIM_${p.toUpperCase()}_TOKEN`;

interface Delivery {
  readonly delivery: string;
  readonly incident: string;
  readonly version: string;
  /** The body without its send time: the same notification sent again is equal. */
  readonly content: string;
  readonly signed: boolean;
}

interface RunResult {
  /** Ids of the detections whose evidence is in the replayed lines. */
  readonly detections: string[];
  /** Detections raised on the audit lines of Bulkhead's own actions, as rule + evidence text. */
  readonly onOwnActions: string[];
  readonly actions: Map<string, string>;
  /** (incident, version) pairs the outbox enqueued, with their delivery state. */
  readonly outbox: { incident: string; version: string; state: string }[];
  readonly deliveries: Delivery[];
  /** Per attacker identity and product: groups, active, tokens (and Bitbucket grants). */
  readonly site: Record<string, unknown>;
  readonly kills: number;
  /** Why and when (ms into the run) each kill happened. */
  readonly killedAt: string[];
}

let dir: string;
let manifest: ScenarioManifest;
let units: ReplayUnit[];
let seed: SimSeed;
let fixedNow: number;
let receiver: Server;
let receiverUrl: string;
let received: Delivery[] = [];
/** Called with each delivery before it is answered (the kill run kills the service there, now and then). */
let onDelivery: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-serve-kill-'));
  const sim = path.join(dir, 'scenario');
  manifest = await simulateCloudflare2023({ format: 'dc', outDir: sim, noise: 20, seed: 20231123 });
  units = replayUnits(manifest, sim);
  seed = seedFor(manifest, units);
  const last = Math.max(...units.map((u) => u.t));
  fixedNow = last - (last % 86_400_000) + 2 * 86_400_000 + 12 * 3_600_000;
  ensureBuilt('dist/cli/main.js');

  // The SIEM: records every delivery, checks its signature, answers 200.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const h = (n: string) => String(req.headers[n] ?? '');
      const body = JSON.parse(raw) as {
        delivery: string;
        sentAt: string;
        incident: { id: string; version: string };
      };
      const { sentAt: _sentAt, ...rest } = body;
      received.push({
        delivery: h('x-bulkhead-delivery'),
        incident: body.incident.id,
        version: body.incident.version,
        content: JSON.stringify(rest),
        signed:
          body.delivery === h('x-bulkhead-delivery') &&
          verifySignature(SECRET, h('x-bulkhead-timestamp'), raw, h('x-bulkhead-signature'), Date.now()),
      });
      void (onDelivery?.() ?? Promise.resolve()).then(() => {
        if (!res.destroyed) res.writeHead(200).end('ok');
      });
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/siem`;
}, 120_000);

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One run of the whole replay through a fresh simulator and a fresh state, in the same folder every time. */
async function run(kill: boolean): Promise<RunResult> {
  const root = path.join(dir, 'run');
  fs.rmSync(root, { recursive: true, force: true });
  const logs = path.join(root, 'logs');
  for (const p of PRODUCTS) fs.mkdirSync(path.join(logs, p, 'log', 'audit'), { recursive: true });
  const stateFile = path.join(root, 'state', 'state.sqlite');
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  received = [];
  const sim = await DcSimulator.start({ logDir: logs, seed, now: () => fixedNow });
  try {
    const config = {
      state: { sqlite: stateFile },
      sources: {
        auditLogs: PRODUCTS.map((p) => ({ product: p, dir: path.join(logs, p, 'log', 'audit') })),
        accessLog: { dir: path.join(logs, 'bitbucket', 'log') },
      },
      containment: {
        products: PRODUCTS.map((p) => ({
          product: p,
          baseUrl: sim.baseUrl(p),
          token: { env: TOKEN_ENV(p) },
        })),
        policy: {
          minSeverity: 'critical',
          actions: ['remove-from-admin-groups', 'suspend-account', 'revoke-tokens', 'revoke-permissions'],
          allowList: ['bulkhead'],
          maxPerHour: 100,
        },
      },
      notify: { webhook: { url: receiverUrl, secret: { env: 'BULKHEAD_WEBHOOK_SECRET' } } },
      http: { listen: '127.0.0.1', port: 0 },
    };
    // JSON is YAML.
    const configFile = path.join(root, 'bulkhead.yml');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const env: NodeJS.ProcessEnv = { ...process.env, BULKHEAD_WEBHOOK_SECRET: SECRET };
    for (const p of PRODUCTS) env[TOKEN_ENV(p)] = simAdminToken(p);

    let stderr = '';
    const start = (): { child: ChildProcess; ready: Promise<void> } => {
      const child = spawn(
        process.execPath,
        [path.join(REPO, 'bin/bulkhead.js'), 'serve', '--config', configFile],
        {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      let out = '';
      const ready = new Promise<void>((r) => {
        child.stdout?.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('Bulkhead is watching')) r();
        });
        child.once('exit', () => r());
      });
      return { child, ready };
    };
    const exited = (c: ChildProcess) =>
      new Promise<number | null>((r) =>
        c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', r),
      );

    const t0 = Date.now();
    let current = start();
    let kills = 0;
    const killedAt: string[] = [];
    let restarting: Promise<void> | undefined;
    /** SIGKILL, wait for the exit, start again. One at a time. */
    const killAndRestart = (why: string): Promise<void> =>
      (restarting ??= (async () => {
        current.child.kill('SIGKILL');
        await exited(current.child);
        kills++;
        killedAt.push(`${why}@${Date.now() - t0}`);
        current = start();
      })().finally(() => (restarting = undefined)));

    // Random moments: half the time while it starts (before or during its catch-up), half once it runs.
    let stopped = false;
    const killer = kill
      ? (async () => {
          while (!stopped) {
            if (kills % 2 === 0) await current.ready;
            await sleep(Math.floor(Math.random() * (kills % 2 === 0 ? 400 : 1_500)));
            if (stopped) break;
            await killAndRestart('random');
          }
        })()
      : Promise.resolve();
    // And moments inside its side effects: while the first Jira group removal and the first suspension are
    // made but unanswered (the simulator's lose-answer fault: the change is done, the answer never comes), just
    // after the simulator carried out a containment request (the answer maybe not yet read or recorded), and
    // while the SIEM holds a delivery unanswered.
    if (kill) {
      sim.inject({
        kind: 'lose-answer',
        times: 1,
        product: 'jira',
        method: 'DELETE',
        path: '/rest/api/2/group/user',
      });
      sim.inject({ kind: 'lose-answer', times: 1, product: 'jira', method: 'PUT', path: '/rest/api/2/user' });
    }
    let watching = kill;
    let effectKills = 0;
    const effects = kill
      ? (async () => {
          let seen = 0;
          while (watching) {
            await sleep(2);
            const fresh = sim.requests.slice(seen);
            seen += fresh.length;
            if (fresh.some((r) => r.endsWith(' lost'))) await killAndRestart('answer-lost');
            else if (effectKills < 4 && fresh.some((r) => !/^\w+ GET /.test(r)) && Math.random() < 0.5) {
              effectKills++;
              await sleep(Math.floor(Math.random() * 10));
              await killAndRestart('action');
            }
          }
        })()
      : Promise.resolve();
    let deliveryKills = 0;
    onDelivery = kill
      ? async () => {
          // The first delivery always (it must be sent again), later ones at random.
          if (deliveryKills >= 3 || (deliveryKills > 0 && Math.random() >= 0.5)) return;
          deliveryKills++;
          await killAndRestart('delivery');
        }
      : undefined;

    // Time for the first process to start before the products write (the reference too).
    await current.ready;
    const write = (u: ReplayUnit) => {
      const product = u.file.split('/')[0] as DcProduct;
      const access = u.file.includes('atlassian-bitbucket-access');
      for (const line of u.text.split('\n').slice(0, -1)) {
        if (access) sim.replayAccess(line);
        else sim.replay(product, line);
      }
    };
    // The products write their logs concurrently, line by line in time order. Every sixth of the way the
    // writer waits for one more kill, so a slow machine sees as many kills as a fast one.
    const segment = Math.ceil(units.length / 6);
    for (let i = 0; i < units.length;) {
      const n = 10 + Math.floor(Math.random() * 40);
      for (const u of units.slice(i, i + n)) write(u);
      i += n;
      await sleep(20);
      if (kill) {
        const due = Math.min(5, Math.floor(i / segment));
        for (let waited = 0; kills < due && waited < 30_000; waited += 10) await sleep(10);
      }
    }
    stopped = true;
    await killer;

    // Catch up: wait until the state and the receiver have been still for a while, with nothing left to send.
    const db = new Database(stateFile, { readonly: true, fileMustExist: true });
    const look = () => {
      const d = db.prepare('SELECT count(*) AS n FROM detections').get() as { n: number };
      const a = db.prepare("SELECT group_concat(id || '=' || state) AS s FROM actions").get() as {
        s: string | null;
      };
      const hasOutbox = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notify_outbox'")
        .get();
      const pending = hasOutbox
        ? (
            db.prepare("SELECT count(*) AS n FROM notify_outbox WHERE state = 'pending'").get() as {
              n: number;
            }
          ).n
        : 0;
      return {
        key: `${d.n}|${a.s ?? ''}|${received.length}|${kills}`,
        pending: pending + (restarting ? 1 : 0),
      };
    };
    let last = '';
    let stillSince = Date.now();
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      await sleep(250);
      const now = look();
      if (now.key !== last || now.pending > 0) {
        last = now.key;
        stillSince = Date.now();
      } else if (Date.now() - stillSince >= 3_000) break;
    }
    db.close();
    watching = false;
    onDelivery = undefined;
    await effects;
    await restarting;
    await current.ready;

    current.child.kill('SIGTERM');
    const code = await exited(current.child);
    // A failed action is an outcome (compared below); a failed poll or a crash is not.
    expect({
      code,
      errors: stderr.split('\n').filter((l) => /poll failed|bulkhead serve:|bulkhead:/.test(l)),
    }).toEqual({
      code: 0,
      errors: [],
    });

    const s = new Database(stateFile, { readonly: true, fileMustExist: true });
    // Detections on the replayed lines by id; those on the audit lines of Bulkhead's own actions (the fixed
    // day's files) by rule and evidence text.
    const own = (file: string) => file.endsWith(`/${dcAuditFile('jira', fixedNow).split('/').pop()}`);
    const detections: string[] = [];
    const onOwnActions: string[] = [];
    for (const { id, json } of s.prepare('SELECT id, json FROM detections ORDER BY id').all() as {
      id: string;
      json: string;
    }[]) {
      const d = JSON.parse(json) as { rule: { id: string }; evidence: { file: string; line: number }[] };
      if (!d.evidence.some((e) => own(e.file))) detections.push(id);
      else
        onOwnActions.push(
          `${d.rule.id} ${d.evidence
            .map((e) => fs.readFileSync(e.file, 'utf8').split('\n')[e.line - 1] ?? `${e.file}:${e.line}`)
            .join(' + ')}`,
        );
    }
    onOwnActions.sort();
    const actions = new Map(
      (s.prepare('SELECT id, state FROM actions ORDER BY id').all() as { id: string; state: string }[]).map(
        (r) => [r.id, r.state],
      ),
    );
    const outbox = s
      .prepare(
        "SELECT incident_id AS incident, version, state FROM notify_outbox WHERE channel = 'webhook' ORDER BY seq",
      )
      .all() as { incident: string; version: string; state: string }[];
    s.close();

    const site: Record<string, unknown> = {};
    for (const who of manifest.attacker.identities)
      for (const p of PRODUCTS) {
        if (!sim.state.userExists(p, who)) {
          site[`${p}:${who}`] = 'absent';
          continue;
        }
        site[`${p}:${who}`] = {
          groups: sim.state.groupsOf(p, who),
          active: sim.state.isActive(p, who),
          tokens: sim.state.tokensOf(p, who).sort(),
          ...(p === 'bitbucket' ? { grants: sim.state.grantsOf(who) } : {}),
        };
      }
    return { detections, onOwnActions, actions, outbox, deliveries: [...received], site, kills, killedAt };
  } finally {
    await sim.close();
  }
}

/** The last version delivered for each incident. */
function lastVersions(r: RunResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of r.outbox) out.set(o.incident, o.version);
  return out;
}

it('bulkhead serve killed with SIGKILL at random moments and restarted loses no event, raises no alert twice, acts once, and notifies every incident state', async () => {
  const t0 = Date.now();
  const reference = await run(false);
  const tRef = Date.now();
  expect(reference.detections.length).toBeGreaterThan(10);
  expect([...reference.actions.values()]).toContain('done');
  expect(reference.deliveries.length).toBeGreaterThan(0);

  const killed = await run(true);
  const tKill = Date.now();
  console.log(
    `serve-kill: ${killed.kills} kills (${killed.killedAt.join(' ')}); ${killed.detections.length} + ${killed.onOwnActions.length} detections (reference ${reference.detections.length} + ${reference.onOwnActions.length}); ` +
      `${killed.actions.size} actions (reference ${reference.actions.size}, done ${[...killed.actions.values()].filter((s) => s === 'done').length}); ` +
      `${killed.deliveries.length} deliveries of ${killed.outbox.length} notifications (reference ${reference.deliveries.length} of ${reference.outbox.length}); ` +
      `reference run ${tRef - t0} ms, killed run ${tKill - tRef} ms`,
  );
  expect(killed.kills).toBeGreaterThanOrEqual(5);

  // No event lost, no alert raised twice.
  expect(killed.detections).toEqual(reference.detections);
  expect(killed.onOwnActions).toEqual(reference.onOwnActions);

  // Every decision of the reference, once (ids are primary keys), in the same final state; nothing more.
  expect(Object.fromEntries(killed.actions)).toEqual(Object.fromEntries(reference.actions));
  expect(killed.site).toEqual(reference.site);

  // Notifications: every enqueued incident version sent, and delivered at least once, signed.
  for (const r of [reference, killed]) {
    expect(r.deliveries.filter((d) => !d.signed)).toEqual([]);
    expect(r.outbox.filter((o) => o.state !== 'sent')).toEqual([]);
    const delivered = new Set(r.deliveries.map((d) => d.delivery));
    for (const o of r.outbox) expect(delivered).toContain(`${o.incident}:${o.version}`);
    // A delivery id is one notification: re-sends of it carry the same body; one incident version, one id.
    const byDelivery = new Map<string, Set<string>>();
    const byVersion = new Map<string, Set<string>>();
    for (const d of r.deliveries) {
      expect(d.delivery).toBe(`${d.incident}:${d.version}`);
      byDelivery.set(d.delivery, (byDelivery.get(d.delivery) ?? new Set()).add(d.content));
      const v = `${d.incident}|${d.version}`;
      byVersion.set(v, (byVersion.get(v) ?? new Set()).add(d.delivery));
    }
    expect([...byDelivery].filter(([, c]) => c.size > 1).map(([id]) => id)).toEqual([]);
    expect([...byVersion].filter(([, ids]) => ids.size > 1).map(([v]) => v)).toEqual([]);
    // Nothing delivered that the outbox did not enqueue.
    const enqueued = new Set(r.outbox.map((o) => `${o.incident}:${o.version}`));
    expect([...delivered].filter((id) => !enqueued.has(id))).toEqual([]);
  }
  expect(reference.deliveries.length).toBe(new Set(reference.deliveries.map((d) => d.delivery)).size);
  // The delivery the service was killed on went out again under its id.
  expect(killed.deliveries.length).toBeGreaterThan(new Set(killed.deliveries.map((d) => d.delivery)).size);
  // Every incident ends notified in the state of the reference.
  expect(Object.fromEntries(lastVersions(killed))).toEqual(Object.fromEntries(lastVersions(reference)));
}, 100_000);
