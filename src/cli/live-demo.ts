/**
 * `bulkhead demo`: the Quick start. Starts the self-hosted service on an embedded SQLite file in a temp folder,
 * beside the Data Center simulator (src/dcsim), and replays a simulated intrusion into the simulator's logs at
 * a speed a person can watch: the history before the intruder's first day at once (the baselines dormancy and
 * first-seen rules learn from), then one simulated hour a second, quiet nights shortened. The console is at a
 * printed localhost URL with a one-time login link; incidents and containment are printed as they happen, with
 * how long after the admin-group change the intruder was out of the admin group on the simulator.
 *
 * What is simulated: Jira, Confluence and Bitbucket Data Center (their REST endpoints and the audit and access
 * log lines they write). What is real: everything of Bulkhead's — tailing, rules, SQLite, containment through
 * REST over loopback, the console's HTTP API.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Incident } from '../core/incident';
import { DcSimulator, defaultDcSeed, simAdminToken, type SimSeed } from '../dcsim';
import { parseLine } from '../parsers';
import { SCENARIOS, type ScenarioManifest } from '../scenarios';
import { paceUnits, replayUnits, type ReplayUnit } from '../scenarios/replay';
import { ServeConfigSchema } from '../serve/config';
import { startServe, type RunningServe } from '../serve/run';
import type { CommitEvent } from '../serve/service';
import { EXIT_OK, UsageError, type CliIO } from './io';
import { simulate } from './simulate-command';

export interface LiveDemoFlags {
  scenario: string;
  /** Simulated ms per wall ms. */
  speed: number;
  noise?: number;
  seed?: number;
  out?: string;
  port?: number;
  /** Stop after the replay instead of keeping the console up. */
  exitWhenDone?: boolean;
}

export interface LiveDemoResult {
  readonly incidents: number;
  readonly actionsDone: number;
  /** Wall ms from the admin-group change being written to the intruder being out of the group (if seen). */
  readonly containedAfterMs: number | undefined;
  readonly consoleUrl: string;
}

const PRODUCTS = ['jira', 'confluence', 'bitbucket'] as const;
type DcProduct = (typeof PRODUCTS)[number];

/** For tests and embedding: stop early, or look at the running demo once the replay is over. */
export interface DemoHooks {
  /** Resolves to stop the replay (and the console). */
  readonly until?: Promise<void>;
  /** Called after the replay, while the service, the console and the simulator still run. */
  readonly onReplayDone?: (ctx: {
    readonly url: string;
    readonly loginLink: string;
    readonly sim: DcSimulator;
    readonly running: RunningServe;
  }) => Promise<void>;
}

export async function liveDemo(
  flags: LiveDemoFlags,
  io: CliIO,
  hooks: DemoHooks = {},
): Promise<LiveDemoResult> {
  const until = hooks.until;
  const def = SCENARIOS[flags.scenario];
  if (!def)
    throw new UsageError(`unknown scenario ${flags.scenario}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  if (!(flags.speed > 0)) throw new UsageError(`--speed must be a positive number, got ${flags.speed}`);
  const out = flags.out ?? (await mkdtemp(path.join(tmpdir(), 'bulkhead-demo-')));
  const say = (s: string) => io.stderr.write(`${s}\n`);

  say(`Simulating ${flags.scenario} (Data Center, ${flags.noise ?? def.defaultNoise} background users)...`);
  const scenarioDir = path.join(out, 'scenario');
  const manifest = await simulate(flags.scenario, {
    format: 'dc',
    out: scenarioDir,
    ...(flags.noise !== undefined ? { noise: flags.noise } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  });
  const units = replayUnits(manifest, scenarioDir);
  const attackerSteps = manifest.steps.filter((s) => s.categories.length > 0);
  const firstStep = Math.min(...attackerSteps.map((s) => Date.parse(s.when)));
  const liveFrom = firstStep - (firstStep % 86_400_000); // the intruder's first day, from midnight UTC
  const escalation = manifest.steps.find((s) => s.id === 'admin-group-add');
  const watched = new Set((escalation?.records ?? []).map((r) => `${r.file}:${r.line}`));

  // The simulator's clock follows the replay, so the audit lines of Bulkhead's own actions carry scenario time.
  let simNow = liveFrom;
  let simAt = Date.now();
  const clock = () => simNow + (Date.now() - simAt) * flags.speed;
  const logs = path.join(out, 'logs');
  for (const p of PRODUCTS) mkdirSync(path.join(logs, p, 'log', 'audit'), { recursive: true });
  const sim = await DcSimulator.start({ logDir: logs, now: clock, seed: seedFor(manifest, units) });

  // Everything from here on closes the simulator when it fails.
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }

  async function run(sim: DcSimulator): Promise<LiveDemoResult> {
    const config = ServeConfigSchema.parse({
      state: { sqlite: path.join(out, 'state.sqlite') },
      sources: {
        auditLogs: PRODUCTS.map((p) => ({ product: p, dir: path.join(logs, p, 'log', 'audit') })),
        accessLog: { dir: path.join(logs, 'bitbucket', 'log') },
      },
      containment: {
        products: PRODUCTS.map((p) => ({ product: p, baseUrl: sim.baseUrl(p), token: { env: 'UNUSED' } })),
        policy: {
          minSeverity: 'critical',
          actions: ['remove-from-admin-groups', 'suspend-account', 'revoke-tokens', 'revoke-permissions'],
          // The app's own admin account is never touched.
          allowList: ['bulkhead'],
          maxPerHour: 20,
        },
      },
      http: { listen: '127.0.0.1', port: flags.port ?? 0 },
    });
    const secrets = new Map(PRODUCTS.map((p, i) => [`containment.products[${i}].token`, simAdminToken(p)]));
    const running: RunningServe = await startServe(config, secrets, {
      port: flags.port ?? 0,
      pollMs: 25,
      idleMs: 300,
      log: (l) => say(`  service: ${l}`),
    });
    const url = running.http.url;
    const link = `${url}/api/login-link/${running.auth.createLoginLink()}`;
    io.stdout.write(`\nConsole:  ${url}\nLog in:   ${link}   (one use, 10 minutes)\n`);
    if (running.adminPasswordFile)
      io.stdout.write(`Password: in ${running.adminPasswordFile} (user admin)\n`);
    io.stdout.write(`Logs:     ${logs}\nState:    ${config.state.sqlite}\n\n`);

    let escalationWrittenAt: number | undefined;
    let containedAfterMs: number | undefined;
    const seen = new Map<string, string>();
    const onCommit = (e: CommitEvent) => {
      for (const i of e.step.incidents) announce(i);
      for (const a of e.actions) {
        const who = a.action.identity.name ?? a.action.identity.id ?? '?';
        const what =
          a.action.kind === 'remove-from-group' ? `${a.action.kind} ${a.action.group}` : a.action.kind;
        io.stdout.write(
          `  ${a.state.padEnd(17)} ${what} ${a.action.product}:${who}${a.result ? ` (${a.result})` : ''}\n`,
        );
        if (
          a.state === 'done' &&
          a.action.kind === 'remove-from-group' &&
          escalationWrittenAt !== undefined &&
          containedAfterMs === undefined
        ) {
          containedAfterMs = e.at - escalationWrittenAt;
          io.stdout.write(
            `  >> ${who} was out of ${a.action.group} ${containedAfterMs} ms after the admin-group change was written\n`,
          );
        }
      }
    };
    const announce = (i: Incident) => {
      if (seen.get(i.id) === i.severity) return;
      const verb = seen.has(i.id) ? 'escalated' : 'incident';
      seen.set(i.id, i.severity);
      const when = new Date(i.lastTimestamp).toISOString().replace('T', ' ').slice(0, 16);
      io.stdout.write(`[${when}] ${verb.padEnd(9)} ${i.severity.toUpperCase().padEnd(8)} ${i.title}\n`);
    };
    running.service.on('commit', onCommit);

    const lineCount = new Map<string, number>();
    const write = (u: ReplayUnit) => {
      simNow = Math.max(simNow, u.t);
      simAt = Date.now();
      const product = u.file.split('/')[0] as DcProduct;
      const isAccess = u.file.includes('atlassian-bitbucket-access');
      for (const line of u.text.split('\n').slice(0, -1)) {
        const n = (lineCount.get(u.file) ?? 0) + 1;
        lineCount.set(u.file, n);
        if (isAccess) sim.replayAccess(line);
        else sim.replay(product, line);
        if (watched.has(`${u.file}:${n}`)) escalationWrittenAt ??= Date.now();
      }
    };
    const history = units.filter((u) => u.t < liveFrom).length;
    say(
      `Replaying ${units.length} log lines: ${history} of history at once, then from ` +
        `${new Date(liveFrom).toISOString().slice(0, 10)} at ${Math.round(flags.speed / 3600)} simulated hour(s) a second...`,
    );
    let stopped = false;
    void until?.then(() => (stopped = true));
    await paceUnits(units, { speed: flags.speed, maxGapMs: 1_000, liveFrom, stopped: () => stopped }, write);
    // Let the last lines go through (idle files release the watermark after idleMs).
    await new Promise((r) => setTimeout(r, 1_500));

    const incidents = running.service.store.incidents();
    const actionsDone = running.service.actions.all().filter((a) => a.state === 'done').length;
    io.stdout.write(
      `\nReplay done: ${incidents.length} incidents, ${actionsDone} containment actions done.\n`,
    );
    try {
      await hooks.onReplayDone?.({ url, loginLink: link, sim, running });
    } catch (err) {
      await running.close();
      throw err;
    }
    if (!flags.exitWhenDone && !stopped) {
      io.stdout.write(`The console stays up at ${url}; press Ctrl-C to stop.\n`);
      await (until ??
        new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        }));
    }
    running.service.off('commit', onCommit);
    await running.close();
    return { incidents: incidents.length, actionsDone, containedAfterMs, consoleUrl: url };
  }
}

/**
 * The simulated site as it was before the replay: the default admins plus every background user and every
 * identity the intruder used that already existed (not the ones the replay creates), in the products' user
 * groups, so containment acts on accounts the products know.
 */
export function seedFor(manifest: ScenarioManifest, units: readonly ReplayUnit[]): SimSeed {
  const created = new Set<string>();
  for (const u of units)
    for (const line of u.text.split('\n')) {
      if (!line.includes('reated')) continue; // cheap pre-filter: "User created", "user_created"
      for (const e of parseLine(line, { file: u.file, line: 0 }).events)
        if (e['event.action'] === 'user.created' && e['user.target.name']) created.add(e['user.target.name']);
    }
  const people = [...manifest.background.users, ...manifest.attacker.identities].filter(
    (n) => !created.has(n),
  );
  const base = defaultDcSeed();
  const userGroup: Record<DcProduct, string> = {
    jira: 'jira-software-users',
    confluence: 'confluence-users',
    bitbucket: 'stash-users',
  };
  const withPeople = (p: DcProduct) => ({
    ...base[p],
    users: [...(base[p]?.users ?? []), ...people.map((name) => ({ name, groups: [userGroup[p]] }))],
  });
  return {
    jira: withPeople('jira'),
    confluence: withPeople('confluence'),
    bitbucket: withPeople('bitbucket'),
  };
}

export async function liveDemoCommand(flags: LiveDemoFlags, io: CliIO): Promise<number> {
  await liveDemo(flags, io);
  return EXIT_OK;
}
