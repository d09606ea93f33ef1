/**
 * The self-hosted service's loop (`bulkhead serve`): poll the tailed logs and the audit REST spools, commit
 * what the rules found (pipeline.ts), then, for every incident that changed, decide containment through the
 * shared response core and queue notifications. The host-specific parts come in as ports (the DC REST executor
 * and directory, the notification outbox), so the loop is the same against a real site and the simulator.
 *
 * Order of effects, and why it is crash-safe: detections are committed first, in one transaction with the
 * resume point; containment runs after. A service killed between the two restarts, finds the incidents already
 * stored, and decides them again on start (`catchUp`): the response core's records are keyed by incident and
 * action, so an action already decided is never decided twice, and one not yet decided is decided now.
 * Notifications are drained on their own timer, so a slow chat webhook never delays containment.
 */
import type Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Detection } from '../core/detection';
import type { Incident } from '../core/incident';
import { atLeast, type Severity } from '../core/severity';
import { withThresholds, type CompiledRule } from '../rules/compiled';
import {
  Responder,
  type ActionRecord,
  type Directory,
  type Executor,
  type ResponsePolicy,
} from '../respond/responder';
import type { AuditRestPoller } from './audit-rest-poller';
import { Pipeline, type PipelineOptions, type StepResult } from './pipeline';
import type { SqliteActionLog } from './state';

/** Where notifications go: the SQLite outbox of src/notify, which works out what changed since the last
 *  notification (opened, escalated, contained) and keeps each once, so handling an incident again is silent. */
export interface IncidentNotifier {
  notify(incident: Incident, actions: readonly ActionRecord[]): unknown;
  drain(): Promise<unknown>;
}

export interface Containment {
  readonly directory: Directory;
  readonly executor: Executor;
}

/** What a person may change while the service runs (console → Settings); kept in the state file. */
export interface RuleSetting {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  /** User names or ids this rule never raises a detection for. */
  readonly allowList: readonly string[];
  /** For count and distinct rules, a threshold in place of the rule file's. */
  readonly threshold?: number;
}
export interface ServiceSettings {
  readonly rules: Readonly<Record<string, RuleSetting>>;
  readonly response: Omit<ResponsePolicy, 'dryRunRules' | 'offRules'>;
}

export interface ServiceOptions extends Omit<PipelineOptions, 'accept'> {
  /** Between polls that found nothing (default 100 ms). */
  readonly pollMs?: number;
  readonly restPollers?: readonly {
    readonly poller: AuditRestPoller;
    readonly everyMs: number;
    readonly name: string;
  }[];
  /** Without it, the service detects and notifies but never acts. */
  readonly containment?: Containment;
  /** The response policy until a person changes it in the console (default DEFAULT_POLICY). */
  readonly policy?: ResponsePolicy;
  /** Built over the service's own database (the outbox keeps its tables there). */
  readonly notifier?: (db: Database.Database) => IncidentNotifier;
  /** How often due notifications are sent (default 1 s). */
  readonly notifyEveryMs?: number;
  /** Incidents below this are stored but not notified (default high). */
  readonly notifyMinSeverity?: Severity;
  /** Where the service says what it does (never secrets). */
  readonly log?: (line: string) => void;
}

/** A poll's outcome as the console and the tests see it: what was stored and what was done, with the wall time. */
export interface CommitEvent {
  readonly at: number;
  readonly step: StepResult;
  /** Records decided in this poll. */
  readonly actions: readonly ActionRecord[];
}

export interface SourceHealth {
  readonly name: string;
  readonly ok: boolean;
  readonly why: string;
  readonly at: number;
}

type ServiceEvents = {
  commit: [CommitEvent];
  /** A record changed outside a poll (a person undid or approved it). */
  action: [ActionRecord];
  error: [Error];
};

export class Service extends EventEmitter<ServiceEvents> {
  readonly pipeline: Pipeline;
  readonly notifier: IncidentNotifier | undefined;
  private responder: Responder | undefined;
  private current: ServiceSettings;
  private readonly actionLog: SqliteActionLog;
  private readonly now: () => number;
  private readonly health = new Map<string, SourceHealth>();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: ServiceOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.pipeline = Pipeline.open({
      tail: { maxBytesPerPoll: SERVE_READ_BYTES },
      ...opts,
      accept: (d) => this.accepts(d),
    });
    this.actionLog = this.pipeline.store.actionLog();
    const stored = this.store.setting<ServiceSettings>('service');
    if (stored)
      this.say(
        'using the settings last saved from the console (they override containment.policy in the file)',
      );
    this.current = stored ?? defaultSettings(opts.rules, opts.policy ?? DEFAULT_POLICY);
    if (Object.values(this.current.rules).some((r) => r.threshold !== undefined)) this.applyThresholds();
    this.responder = this.buildResponder();
    this.notifier = opts.notifier?.(this.store.database);
  }

  get store(): Pipeline['store'] {
    return this.pipeline.store;
  }

  get actions(): SqliteActionLog {
    return this.actionLog;
  }

  get rules(): readonly CompiledRule[] {
    return this.opts.rules;
  }

  get containment(): Containment | undefined {
    return this.opts.containment;
  }

  settings(): ServiceSettings {
    return this.current;
  }

  /** Applies and keeps new settings; the response policy takes effect for the next decision. */
  updateSettings(next: ServiceSettings): void {
    this.current = next;
    this.store.saveSetting('service', next);
    this.responder = this.buildResponder();
    this.applyThresholds();
  }

  /** The rules as they run now: the files' rules with the thresholds a person set. */
  effectiveRules(): CompiledRule[] {
    const thresholds = Object.fromEntries(
      Object.entries(this.current.rules).map(([id, r]) => [id, r.threshold]),
    );
    return withThresholds(this.opts.rules, thresholds);
  }

  private applyThresholds(): void {
    this.pipeline.setRules(this.effectiveRules());
  }

  /** How each source fared at its last poll (readiness). */
  sourceHealth(): SourceHealth[] {
    return [...this.health.values()];
  }

  /** Starts polling: decides containment for incidents stored before a restart, then loops until `stop()`. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.catchUp();
    for (const { poller, everyMs, name } of this.opts.restPollers ?? []) {
      const tick = async () => {
        try {
          const r = await poller.poll();
          const why = `fetched ${r.fetched}, new ${r.spooled}`;
          this.health.set(name, { name, ok: true, why, at: this.now() });
        } catch (err) {
          this.health.set(name, { name, ok: false, why: (err as Error).message, at: this.now() });
          this.say(`${name}: ${(err as Error).message}`);
        }
      };
      void tick();
      this.timers.push(setInterval(() => void tick(), everyMs));
    }
    const notifier = this.notifier;
    if (notifier) {
      const drain = () => notifier.drain().catch((err: Error) => this.say(`notify: ${err.message}`));
      this.timers.push(setInterval(() => void drain(), this.opts.notifyEveryMs ?? 1_000));
    }
    this.loop = this.run();
  }

  /** One poll and everything it leads to; the loop calls it, tests may too. */
  async tick(): Promise<CommitEvent> {
    const step = await this.pipeline.step();
    const actions: ActionRecord[] = [];
    // The step's incidents hold only what their titles need (pipeline.ts); containment plans from the stored ones.
    for (const { id } of step.incidents) {
      const incident = this.store.incident(id);
      if (incident) actions.push(...(await this.handle(incident)));
    }
    const event: CommitEvent = { at: Date.now(), step, actions };
    if (step.detections.length > 0 || actions.length > 0) this.emit('commit', event);
    return event;
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    await this.loop;
    await this.notifier?.drain().catch(() => undefined);
    await this.pipeline.close();
  }

  /** A person acknowledges or resolves an incident; a resolved incident is no longer acted on. */
  setStatus(id: string, status: Incident['status'], note: string, by: string): void {
    this.store.setStatus(id, status, note, by, this.now());
  }

  /** A person undoes a done action, approves one that waited for the hourly cap, or retries a failed one. */
  async decide(kind: 'undo' | 'approve' | 'retry', actionId: string, by: string): Promise<ActionRecord> {
    if (!this.responder) throw new Error('containment is not configured: there are no actions');
    const rec = await this.responder[kind](actionId, by);
    const incident = this.store.incident(rec.incidentId);
    if (incident && this.notifier) this.notifier.notify(incident, this.actionLog.forIncident(incident.id));
    this.emit('action', rec);
    return rec;
  }

  private buildResponder(): Responder | undefined {
    const c = this.opts.containment;
    if (!c) return undefined;
    const rules = Object.entries(this.current.rules);
    const dryRunRules = rules.filter(([, r]) => r.dryRun).map(([id]) => id);
    const offRules = rules.filter(([, r]) => !r.enabled).map(([id]) => id);
    return new Responder(
      { ...this.current.response, dryRunRules, offRules },
      { directory: c.directory, executor: c.executor, log: this.actionLog, now: this.now },
    );
  }

  private accepts(d: Detection): boolean {
    const r = this.current.rules[d.rule.id];
    if (!r) return true;
    if (!r.enabled) return false;
    const names = [d.actor.name, d.actor.id]
      .filter((x): x is string => x !== undefined)
      .map((x) => x.toLowerCase());
    return !r.allowList.some((a) => names.includes(a.toLowerCase()));
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const e = await this.tick();
        if (e.step.lines === 0) await sleep(this.opts.pollMs ?? 100);
      } catch (err) {
        // A failing poll (a disk error, a full disk) must not end the service: say it, wait, try again.
        this.emit('error', err as Error);
        this.say(`poll failed: ${(err as Error).message}`);
        await sleep(1_000);
      }
    }
  }

  /** Incidents stored before the service (re)started get their containment decided now. */
  private async catchUp(): Promise<void> {
    for (const incident of this.store.incidents()) await this.handle(incident);
  }

  private async handle(incident: Incident): Promise<ActionRecord[]> {
    const status = this.store.statusOf(incident.id)?.status ?? 'open';
    if (status === 'resolved') return [];
    const before = this.actionLog.forIncident(incident.id).length;
    if (this.responder) await this.responder.respond(incident);
    const all = this.actionLog.forIncident(incident.id);
    const decided = all.slice(before);
    if (this.notifier && atLeast(incident.severity, this.opts.notifyMinSeverity ?? 'high'))
      this.notifier.notify(incident, all);
    for (const r of decided.filter((x) => x.state === 'failed' || x.state === 'awaiting-approval'))
      this.say(`${r.id}: ${r.state}${r.result ? ` (${r.result})` : ''}`);
    return decided;
  }

  private say(line: string): void {
    this.opts.log?.(line);
  }
}

/** Most bytes the service reads from one file per poll: 1 MiB is a few thousand lines, plenty for any live
 *  rate; larger reads only make a backlog's polls larger, and the tailer's 8 MiB (sized for hunts) took the
 *  heap to 1.5 GB catching up on 15 minutes of a 5,000 lines/s site (docs/benchmarks.md, serve). */
const SERVE_READ_BYTES = 1024 * 1024;

/** As the configuration's defaults: critical incidents, out of admin groups and suspended, ten an hour. */
export const DEFAULT_POLICY: ResponsePolicy = {
  minSeverity: 'critical',
  actions: ['remove-from-admin-groups', 'suspend-account'],
  dryRunRules: [],
  allowList: [],
  maxPerHour: 10,
};

function defaultSettings(rules: readonly CompiledRule[], policy: ResponsePolicy): ServiceSettings {
  const dry = new Set(policy.dryRunRules);
  return {
    rules: Object.fromEntries(
      rules.map((r) => [r.id, { enabled: true, dryRun: dry.has(r.id), allowList: [] }]),
    ),
    response: {
      minSeverity: policy.minSeverity,
      actions: policy.actions,
      allowList: policy.allowList,
      maxPerHour: policy.maxPerHour,
    },
  };
}
