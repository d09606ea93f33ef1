/**
 * Response: from an incident to containment actions, through the guardrails, to a record of every decision.
 * The same code runs in the Forge app and the Data Center service; they differ only in the ports they pass in
 * (the directory that says who is in which admin group, the executor that calls the product, the action log
 * that stores the records, the clock).
 *
 * Guardrails, in the order they are applied to each planned action:
 *  1. an identity on the allow-list is never touched (`skipped`);
 *  2. an action already decided for this incident is not decided again (the same record comes back), so
 *     re-delivered detections or a restarted host never act twice. This holds whatever the record says:
 *     `done`; `undone` (a person undid it, and a later detection in the incident does not redo it: the
 *     person's word stands until a new incident); `skipped`; `awaiting-approval` (it waits for a person, see
 *     5); `failed` (a later detection does not retry it: responding runs on every change to the incident and
 *     on every restart, and a product that refused a call rarely answers otherwise when asked again; the
 *     Forge contain job retries a 429 or 5xx itself, src/forge/core/containment.ts; a person can `retry` it
 *     once the cause is fixed). Two exceptions:
 *     `running` (see 6), and `dry-run` (see 4);
 *  3. the last member of an admin group is never removed (`skipped`): locking every admin out is worse than
 *     the intrusion;
 *  4. an incident raised only by rules in dry-run is recorded as `dry-run`, and nothing runs. A dry-run
 *     record never stands in for the action: once a later detection by a rule not in dry-run joins the
 *     incident, the action is decided afresh through every guardrail under its own record
 *     (`<incident>/after-dry-run/<action>`), and the dry-run record stays as history. The detections a
 *     dry-run record was decided on stay dry-run for the incident, even if their rule leaves dry-run or is
 *     turned off since (`dryRunDetections`);
 *     A detection by a rule turned off since (`offRules`) counts toward nothing;
 *  5. at most `maxPerHour` actions run automatically in any hour; the rest wait for a person (`awaiting-approval`);
 *  6. the action runs; `done` or `failed` with the product's answer. A done action can be undone (`undone`),
 *     except a token revocation, which nothing can undo (said in the record). The record is written before
 *     the call (`running`), so a host killed during it runs the action again on restart even when the plan no
 *     longer includes it (a removed admin group is no longer listed).
 */
import type { Identity } from '../core/detection';
import type { Product } from '../core/event';
import type { Incident } from '../core/incident';
import { atLeast, type Severity } from '../core/severity';
import { actionKey, inverse, type ContainmentAction } from './action';

/** Actions a policy may ask for (their inverses are for undo only). */
export type PolicyAction =
  | 'remove-from-admin-groups'
  | 'suspend-account'
  | 'revoke-tokens'
  | 'block-merges'
  /** Project and repository permissions granted to the user directly (Bitbucket DC, where there is no merge
   *  check to block with and no REST call that deactivates a user). */
  | 'revoke-permissions';

export interface ResponsePolicy {
  /** Incidents at or above this severity are contained automatically; below it nothing is planned. */
  readonly minSeverity: Severity;
  /** What is done to the incident's actor and to each linked identity, in this order. */
  readonly actions: readonly PolicyAction[];
  /** Rules whose detections are recorded but never acted on. */
  readonly dryRunRules: readonly string[];
  /** Rules a person turned off. The hosts drop their new detections before correlation; this makes the ones
   *  an incident already holds from before count toward nothing either, so a later, lesser detection joining
   *  the incident is judged on its own (default: none). */
  readonly offRules?: readonly string[];
  /** User names or ids never touched (case-insensitive): break-glass admins, the app's own user. */
  readonly allowList: readonly string[];
  /** Most actions run without a person in any rolling hour. */
  readonly maxPerHour: number;
}

/** What the host knows about groups, asked at decision time. */
export interface Directory {
  /** The admin groups the identity is a member of in that product. */
  adminGroupsOf(identity: Identity, product: Product): Promise<readonly string[]>;
  /** How many members the group has now. */
  memberCount(group: string, product: Product): Promise<number>;
}

/** Carries an action out in the product; throws with the product's answer when it could not. */
export interface Executor {
  /**
   * Returns what the product answered, kept as the record's `result`. An action whose undo needs to know what
   * it changed (the grants a `revoke-permissions` removed) returns that here, as text the executor can read
   * back: when undoing, `undoOf` is the record of the action being undone.
   */
  run(action: ContainmentAction, undoOf?: ActionRecord): Promise<string | undefined>;
  /** Whether the product can take this kind of action at all (Bitbucket Data Center cannot suspend a user).
   *  An action it cannot take is not planned; the host's readiness check says why. Absent: every action. */
  supports?(kind: ContainmentAction['kind'], product: Product): boolean;
}

export type RecordState =
  | 'done'
  | 'failed'
  | 'dry-run'
  | 'awaiting-approval'
  | 'skipped'
  | 'undone'
  /** The call to the product began and has not ended; a host killed during it runs it again on restart. */
  | 'running';

/** States in which an action has been run (they count towards the hourly cap; undo does not free a slot). */
export const RAN_STATES: ReadonlySet<RecordState> = new Set(['running', 'done', 'failed']);

export interface ActionRecord {
  /** Deterministic: the incident and the action, `<incident>/<actionKey>`; `<incident>/after-dry-run/<actionKey>`
   *  for the action decided once a dry-run record of it exists (guardrail 4). */
  readonly id: string;
  readonly incidentId: string;
  readonly action: ContainmentAction;
  readonly state: RecordState;
  /** Why the action was planned, or why it did not run. */
  readonly reason: string;
  /** When the state was last decided (the clock's ms). */
  readonly at: number;
  /** The product's answer: an error message for `failed`, the undo's answer for `undone`. */
  readonly result?: string;
  /** Who approved, retried or undid it, when a person did. */
  readonly by?: string;
  /** For a `dry-run` record: the detections (ids) that raised the incident then, every one by a rule in
   *  dry-run. They stay dry-run for the incident even if their rule leaves dry-run or is turned off since: only
   *  a later detection by a rule not in dry-run makes its actions run (guardrail 4). */
  readonly dryRunDetections?: readonly string[];
}

/** Where records live: memory for tests and the hunt, KVS on Forge, SQLite in the self-hosted service. */
export interface ActionLog {
  get(id: string): Promise<ActionRecord | undefined>;
  put(record: ActionRecord): Promise<void>;
  /** Records that started running (RAN_STATES) at or after `since` (for the hourly cap). */
  countRunSince(since: number): Promise<number>;
  /** Every record of one incident (lets a restarted host finish runs that its plan no longer includes). */
  forIncident(incidentId: string): Promise<readonly ActionRecord[]> | readonly ActionRecord[];
}

export class MemoryActionLog implements ActionLog {
  private readonly records = new Map<string, ActionRecord>();
  /** Times at which actions ran automatically or by approval; kept so undo does not free a slot. */
  private readonly runs: number[] = [];
  get(id: string): Promise<ActionRecord | undefined> {
    return Promise.resolve(this.records.get(id));
  }
  put(record: ActionRecord): Promise<void> {
    const prev = this.records.get(record.id);
    const ran = (s: RecordState | undefined) => s !== undefined && RAN_STATES.has(s);
    if (ran(record.state) && !ran(prev?.state)) this.runs.push(record.at);
    this.records.set(record.id, record);
    return Promise.resolve();
  }
  countRunSince(since: number): Promise<number> {
    return Promise.resolve(this.runs.filter((t) => t >= since).length);
  }
  forIncident(incidentId: string): ActionRecord[] {
    return [...this.records.values()].filter((r) => r.incidentId === incidentId);
  }
  all(): ActionRecord[] {
    return [...this.records.values()];
  }
}

const HOUR_MS = 3_600_000;

export interface ResponderPorts {
  readonly directory: Directory;
  readonly executor: Executor;
  readonly log: ActionLog;
  readonly now: () => number;
}

export class Responder {
  private readonly allow: ReadonlySet<string>;
  private readonly dryRun: ReadonlySet<string>;
  private readonly off: ReadonlySet<string>;

  constructor(
    private readonly policy: ResponsePolicy,
    private readonly ports: ResponderPorts,
  ) {
    if (!Number.isInteger(policy.maxPerHour) || policy.maxPerHour < 0) {
      throw new Error(`maxPerHour must be a whole number of at least 0, got ${String(policy.maxPerHour)}`);
    }
    this.allow = new Set(policy.allowList.map((s) => s.toLowerCase()));
    this.dryRun = new Set(policy.dryRunRules);
    this.off = new Set(policy.offRules ?? []);
  }

  /** Plans and decides the containment of an incident; returns one record per action, in the order decided.
   *  Safe to call again whenever the incident changes: decided actions keep their records. */
  async respond(incident: Incident): Promise<ActionRecord[]> {
    const out: ActionRecord[] = [];
    const wasDryRun = new Set<string>();
    for (const r of await this.ports.log.forIncident(incident.id)) {
      if (r.state === 'running') out.push(await this.run(r, r.reason, r.by));
      for (const id of r.dryRunDetections ?? []) wasDryRun.add(id);
    }
    const acting = incident.detections.filter(
      (d) => !this.off.has(d.rule.id) && atLeast(d.severity, this.policy.minSeverity),
    );
    if (acting.length === 0) return out;
    // A detection a dry-run record was decided on stays dry-run for the incident (guardrail 4); for any other
    // (or one only a record written before records named their detections was decided on), the policy decides.
    const dryRun = acting.every((d) => this.dryRun.has(d.rule.id) || wasDryRun.has(d.id));
    const products = [
      ...new Set(incident.detections.flatMap((d) => d.events.map((e) => e['atlassian.product']))),
    ].sort();
    const who = [
      { identity: incident.actor, why: `actor of incident ${incident.id}` },
      ...incident.identities
        .filter((l) => l.relation !== 'actor')
        .map((l) => ({
          identity: l.identity,
          why: `${l.relation} (${l.via ?? '?'}) in incident ${incident.id}`,
        })),
    ].filter((w) => w.identity.name !== undefined || w.identity.id !== undefined);
    for (const { identity, why } of who) {
      for (const action of await this.plan(identity, products)) {
        const rec = await this.decide(incident.id, action, why, dryRun ? acting.map((d) => d.id) : undefined);
        if (!out.some((r) => r.id === rec.id)) out.push(rec);
      }
    }
    return out;
  }

  /** A person approves an action that waited for the hourly cap: it runs now. */
  async approve(id: string, by: string): Promise<ActionRecord> {
    const r = await this.need(id, 'awaiting-approval');
    return this.run(r, `approved by ${by}`, by);
  }

  /**
   * A person runs a failed action again, under the same record: the product refused it once (an admin token
   * that had expired, a permission granted since), and responding never retries on its own (guardrail 2). The
   * allow-list and the last-admin guardrails are asked again, because the site may have changed since; the
   * hourly cap is not, because a person asked (as with an approval).
   */
  async retry(id: string, by: string): Promise<ActionRecord> {
    const r = await this.need(id, 'failed');
    const blocked = await this.blocked(r.action);
    if (blocked) {
      const rec: ActionRecord = {
        ...r,
        state: 'skipped',
        reason: `${r.reason}; ${blocked}`,
        at: this.ports.now(),
        by,
      };
      await this.ports.log.put(rec);
      return rec;
    }
    return this.run(r, `retried by ${by} (${r.reason})`, by);
  }

  /** Reverses a done action through its inverse; a token revocation cannot be reversed and says so. */
  async undo(id: string, by: string): Promise<ActionRecord> {
    const r = await this.need(id, 'done');
    const inv = inverse(r.action);
    if ('impossible' in inv) throw new Error(`cannot undo ${actionKey(r.action)}: ${inv.impossible}`);
    let answer: string | undefined;
    try {
      answer = await this.ports.executor.run(inv, r);
    } catch (err) {
      throw new Error(`undo of ${actionKey(r.action)} failed: ${(err as Error).message}`, { cause: err });
    }
    const rec: ActionRecord = {
      ...r,
      state: 'undone',
      at: this.ports.now(),
      result: `undone: ${actionKey(inv)}${answer ? ` (${answer})` : ''}`,
      by,
    };
    await this.ports.log.put(rec);
    return rec;
  }

  private async need(id: string, state: RecordState): Promise<ActionRecord> {
    const r = await this.ports.log.get(id);
    if (!r) throw new Error(`no action ${id}`);
    if (r.state !== state) throw new Error(`action ${id} is ${r.state}, not ${state}`);
    return r;
  }

  private async plan(identity: Identity, products: readonly Product[]): Promise<ContainmentAction[]> {
    const out: ContainmentAction[] = [];
    for (const kind of this.policy.actions) {
      for (const product of products) {
        if (kind === 'remove-from-admin-groups') {
          for (const group of await this.ports.directory.adminGroupsOf(identity, product))
            out.push({ kind: 'remove-from-group', identity, product, group });
        } else if (kind === 'block-merges' || kind === 'revoke-permissions') {
          if (product === 'bitbucket') out.push({ kind, identity, product });
        } else {
          out.push({ kind, identity, product });
        }
      }
    }
    const can = this.ports.executor.supports?.bind(this.ports.executor);
    return can ? out.filter((a) => can(a.kind, a.product)) : out;
  }

  private async decide(
    incidentId: string,
    action: ContainmentAction,
    why: string,
    /** The acting detections when every one is in dry-run (guardrail 4), else undefined. */
    dryRun: readonly string[] | undefined,
  ): Promise<ActionRecord> {
    let id = `${incidentId}/${actionKey(action)}`;
    let known = await this.ports.log.get(id);
    if (known?.state === 'dry-run') {
      // Only what would have been done (guardrail 4): the action itself has its own record, decided once the
      // incident is no longer raised by dry-run rules alone (and kept even if it is again: a policy change).
      const realId = `${incidentId}/after-dry-run/${actionKey(action)}`;
      const real = await this.ports.log.get(realId);
      if (real || !dryRun) {
        id = realId;
        known = real;
      }
    }
    // A run the host did not live to record (killed mid-call): the product may or may not have done it, so it
    // runs again (actions are idempotent at the product) under its record.
    if (known?.state === 'running') return this.run(known, known.reason, known.by);
    if (known) return known;
    const now = this.ports.now();
    const base = { id, incidentId, action, at: now };
    let rec: ActionRecord | undefined;
    const blocked = await this.blocked(action);
    if (blocked) {
      rec = { ...base, state: 'skipped', reason: `${why}; ${blocked}` };
    } else if (dryRun) {
      rec = {
        ...base,
        state: 'dry-run',
        reason: `${why}; every rule that raised it is in dry-run`,
        dryRunDetections: dryRun,
      };
    } else if ((await this.ports.log.countRunSince(now - HOUR_MS)) >= this.policy.maxPerHour) {
      rec = {
        ...base,
        state: 'awaiting-approval',
        reason: `${why}; ${this.policy.maxPerHour} actions ran in the last hour`,
      };
    }
    if (rec) {
      await this.ports.log.put(rec);
      return rec;
    }
    return this.run({ ...base, state: 'awaiting-approval', reason: why }, why);
  }

  /** Guardrails 1 and 3: why the action must never run on this identity, or undefined. */
  private async blocked(action: ContainmentAction): Promise<string | undefined> {
    const names = [action.identity.name, action.identity.id].filter((x): x is string => x !== undefined);
    if (names.some((n) => this.allow.has(n.toLowerCase()))) return 'on the allow-list';
    if (
      action.kind === 'remove-from-group' &&
      (await this.ports.directory.memberCount(action.group, action.product)) <= 1
    )
      return `the last member of ${action.group} is never removed`;
    return undefined;
  }

  private async run(known: ActionRecord, reason: string, by?: string): Promise<ActionRecord> {
    const { result: _before, ...r } = known;
    // Recorded before the product is called, so a host killed during the call finds the action on restart.
    await this.ports.log.put({ ...r, state: 'running', reason, at: this.ports.now(), ...(by ? { by } : {}) });
    let rec: ActionRecord;
    try {
      const answer = await this.ports.executor.run(r.action);
      rec = {
        ...r,
        state: 'done',
        reason,
        at: this.ports.now(),
        ...(answer !== undefined ? { result: answer } : {}),
        ...(by ? { by } : {}),
      };
    } catch (err) {
      rec = {
        ...r,
        state: 'failed',
        reason,
        at: this.ports.now(),
        result: (err as Error).message,
        ...(by ? { by } : {}),
      };
    }
    await this.ports.log.put(rec);
    return rec;
  }
}
