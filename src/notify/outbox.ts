/**
 * The notification outbox, in the service's SQLite file (tables `notify_*`).
 *
 * `notify(incident, actions)` compares the incident with what was last notified about it and, when it was
 * opened, escalated or contained further, builds one message and enqueues it once per channel, in the same
 * transaction that remembers the new state. Each row is unique by (incident, version, channel): processing
 * the same incident again (after a crash, on a restart) enqueues nothing, so nobody is notified twice about
 * the same state.
 *
 * `drain()` (the service calls it on a timer) sends what is due, one row at a time, each with a timeout.
 * Network errors, timeouts, 429 (honouring Retry-After) and 5xx are retried with exponential backoff up to
 * `maxAttempts`, then the row is failed with the reason; any other refusal fails it at once. Rows of one
 * incident and channel go out in order: a later one waits while an earlier one is still pending (so the Jira
 * issue exists before it is commented on). A process killed while sending sends that row again after the
 * restart: delivery to the channel is at least once, enqueueing exactly once.
 *
 * What a delivery returned for later ones (the Jira issue key) is kept per incident and channel.
 */
import type Database from 'better-sqlite3';
import type { Incident } from '../core/incident';
import type { Severity } from '../core/severity';
import type { ActionRecord } from '../respond/responder';
import { DeliveryError, scrub, type Channel } from './channel';
import {
  buildMessage,
  changeOf,
  notifiedState,
  type Change,
  type ChangeKind,
  type NotificationMessage,
  type NotifiedState,
} from './message';

export type DeliveryState = 'pending' | 'sent' | 'failed';

export interface OutboxEntry {
  readonly seq: number;
  readonly incidentId: string;
  readonly version: string;
  readonly channel: string;
  readonly change: ChangeKind;
  readonly severity: Severity;
  readonly title: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  /** When the next attempt is due (pending rows). */
  readonly nextAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Why the last attempt failed; never contains a secret. */
  readonly lastError?: string;
  /** What the delivery said (`created BULK-12`, `HTTP 200`). */
  readonly detail?: string;
}

export interface OutboxOptions {
  /** The clock (ms). Default Date.now. */
  readonly now?: () => number;
  /** The console's address, for the link in every message. */
  readonly consoleUrl?: string;
  /** Attempts per row before it is failed. Default 6. */
  readonly maxAttempts?: number;
  /** First retry delay; doubled each attempt. Default 30 s. */
  readonly backoffMs?: number;
  /** Longest retry delay, also the cap on Retry-After. Default 30 min. */
  readonly maxBackoffMs?: number;
  /** Per delivery. Default 15 s. */
  readonly timeoutMs?: number;
  /** Timeline lines per message. */
  readonly maxTimeline?: number;
  /** One line per delivery problem (already free of secrets). */
  readonly log?: (line: string) => void;
}

export interface DrainResult {
  readonly sent: number;
  readonly retrying: number;
  readonly failed: number;
}

interface Row {
  seq: number;
  incident_id: string;
  version: string;
  channel: string;
  change: ChangeKind;
  severity: Severity;
  title: string;
  message: string;
  state: DeliveryState;
  attempts: number;
  next_at: number;
  created_at: number;
  updated_at: number;
  last_error: string | null;
  detail: string | null;
}

export class Outbox {
  private readonly now: () => number;
  private readonly channels: ReadonlyMap<string, Channel>;
  private readonly secrets: string[];
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private draining: Promise<DrainResult> | undefined;

  constructor(
    private readonly db: Database.Database,
    channels: readonly Channel[],
    private readonly opts: OutboxOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    const names = new Map<string, Channel>();
    for (const c of channels) {
      if (names.has(c.name)) throw new Error(`two ${c.name} channels: give each channel once`);
      names.set(c.name, c);
    }
    this.channels = names;
    this.secrets = channels.flatMap((c) => c.secrets);
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 6);
    this.backoffMs = opts.backoffMs ?? 30_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30 * 60_000;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    db.exec(`
      CREATE TABLE IF NOT EXISTS notify_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL, version TEXT NOT NULL, channel TEXT NOT NULL,
        change TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL,
        state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_error TEXT, detail TEXT,
        UNIQUE (incident_id, version, channel));
      CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox(state, next_at);
      CREATE INDEX IF NOT EXISTS notify_outbox_incident ON notify_outbox(incident_id, channel, seq);
      CREATE TABLE IF NOT EXISTS notify_incidents (incident_id TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS notify_refs (
        incident_id TEXT NOT NULL, channel TEXT NOT NULL, ref TEXT NOT NULL,
        PRIMARY KEY (incident_id, channel));
    `);
  }

  /** The channels rows are enqueued for. */
  get channelNames(): string[] {
    return [...this.channels.keys()];
  }

  /**
   * Enqueues a notification when the incident was opened, escalated or contained since the last one;
   * returns the change, or undefined when there is nothing new to say. Idempotent.
   */
  notify(incident: Incident, actions: readonly ActionRecord[]): Change | undefined {
    return this.db.transaction((): Change | undefined => {
      const prevRow = this.db
        .prepare('SELECT state FROM notify_incidents WHERE incident_id = ?')
        .get(incident.id) as { state: string } | undefined;
      const prev = prevRow ? (JSON.parse(prevRow.state) as NotifiedState) : undefined;
      const change = changeOf(prev, incident, actions);
      if (change === undefined) return undefined;
      const message = buildMessage(incident, actions, change, {
        now: this.now(),
        ...(this.opts.consoleUrl !== undefined ? { consoleUrl: this.opts.consoleUrl } : {}),
        ...(this.opts.maxTimeline !== undefined ? { maxTimeline: this.opts.maxTimeline } : {}),
      });
      this.enqueue(message);
      this.db
        .prepare(
          `INSERT INTO notify_incidents (incident_id, state) VALUES (?, ?)
           ON CONFLICT(incident_id) DO UPDATE SET state = excluded.state`,
        )
        .run(incident.id, JSON.stringify(notifiedState(incident, actions)));
      return change;
    })();
  }

  /** Enqueues a built message for every channel; a (incident, version, channel) already enqueued is left
   *  alone. Returns how many rows were added. */
  enqueue(m: NotificationMessage): number {
    const ins = this.db.prepare(
      `INSERT OR IGNORE INTO notify_outbox
         (incident_id, version, channel, change, severity, title, message, state, attempts, next_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
    );
    const now = this.now();
    const json = JSON.stringify(m);
    let added = 0;
    this.db.transaction(() => {
      for (const name of this.channels.keys())
        added += ins.run(
          m.incidentId,
          m.version,
          name,
          m.change,
          m.severity,
          m.title,
          json,
          now,
          now,
          now,
        ).changes;
    })();
    return added;
  }

  /** Sends every row that is due now. Concurrent calls share one run. */
  drain(): Promise<DrainResult> {
    if (this.draining) return this.draining;
    this.draining = this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<DrainResult> {
    let sent = 0;
    let retrying = 0;
    let failed = 0;
    const due = this.db.prepare(
      `SELECT * FROM notify_outbox o WHERE o.state = 'pending' AND o.next_at <= ?
         AND NOT EXISTS (SELECT 1 FROM notify_outbox p WHERE p.incident_id = o.incident_id
                         AND p.channel = o.channel AND p.seq < o.seq AND p.state = 'pending')
       ORDER BY o.seq`,
    );
    // Each row is tried at most once per drain; a row sent may make the next one of its incident and
    // channel due in the same drain (the Jira issue, then its comment).
    const tried = new Set<number>();
    for (;;) {
      const row = (due.all(this.now()) as Row[]).find((r) => !tried.has(r.seq));
      if (!row) break;
      tried.add(row.seq);
      const outcome = await this.deliver(row);
      if (outcome === 'sent') sent++;
      else if (outcome === 'failed') failed++;
      else if (outcome === 'pending') retrying++;
    }
    return { sent, retrying, failed };
  }

  private async deliver(row: Row): Promise<DeliveryState | 'skipped'> {
    const channel = this.channels.get(row.channel);
    if (!channel) return 'skipped'; // configured before, not now: kept pending, shown by pending()
    const message = JSON.parse(row.message) as NotificationMessage;
    const ref = this.ref(row.incident_id, row.channel);
    const attempt = row.attempts + 1;
    const start = this.now();
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const r = await channel.send(message, { signal, now: start, ...(ref !== undefined ? { ref } : {}) });
      const at = this.now();
      this.db.transaction(() => {
        if (r.ref !== undefined)
          this.db
            .prepare(
              `INSERT INTO notify_refs (incident_id, channel, ref) VALUES (?, ?, ?)
               ON CONFLICT(incident_id, channel) DO UPDATE SET ref = excluded.ref`,
            )
            .run(row.incident_id, row.channel, r.ref);
        this.db
          .prepare(
            `UPDATE notify_outbox SET state = 'sent', attempts = ?, updated_at = ?, last_error = NULL, detail = ?
             WHERE seq = ?`,
          )
          .run(attempt, at, r.detail !== undefined ? this.clean(r.detail) : null, row.seq);
      })();
      return 'sent';
    } catch (err) {
      const at = this.now();
      const e =
        err instanceof DeliveryError
          ? err
          : new DeliveryError(`${row.channel}: ${err instanceof Error ? err.message : String(err)}`, false);
      const reason = this.clean(e.message);
      const final = !e.retryable || attempt >= this.maxAttempts;
      if (final) {
        const why = e.retryable ? `${reason} (gave up after ${attempt} attempts)` : reason;
        this.db
          .prepare(
            `UPDATE notify_outbox SET state = 'failed', attempts = ?, updated_at = ?, last_error = ? WHERE seq = ?`,
          )
          .run(attempt, at, why, row.seq);
        this.opts.log?.(`notify ${row.channel} ${row.incident_id} ${row.version}: failed: ${why}`);
        return 'failed';
      }
      const backoff = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
      const wait = Math.min(this.maxBackoffMs, Math.max(backoff, e.retryAfterMs ?? 0));
      this.db
        .prepare(
          `UPDATE notify_outbox SET attempts = ?, updated_at = ?, next_at = ?, last_error = ? WHERE seq = ?`,
        )
        .run(attempt, at, at + wait, reason, row.seq);
      this.opts.log?.(
        `notify ${row.channel} ${row.incident_id} ${row.version}: attempt ${attempt} failed, retry in ${Math.round(wait / 1000)} s: ${reason}`,
      );
      return 'pending';
    }
  }

  /** Secrets out, one line, bounded. */
  private clean(s: string): string {
    return scrub(s, this.secrets).replace(/\s+/g, ' ').slice(0, 500);
  }

  /** Rows still to be sent, oldest first (for the console). */
  pending(): OutboxEntry[] {
    return (
      this.db.prepare(`SELECT * FROM notify_outbox WHERE state = 'pending' ORDER BY seq`).all() as Row[]
    ).map(entry);
  }

  /** Every notification of an incident, in the order enqueued, with its delivery state. */
  history(incidentId: string): OutboxEntry[] {
    return (
      this.db
        .prepare('SELECT * FROM notify_outbox WHERE incident_id = ? ORDER BY seq')
        .all(incidentId) as Row[]
    ).map(entry);
  }

  /** What a channel's delivery returned for this incident (the Jira issue key). */
  ref(incidentId: string, channel: string): string | undefined {
    const r = this.db
      .prepare('SELECT ref FROM notify_refs WHERE incident_id = ? AND channel = ?')
      .get(incidentId, channel) as { ref: string } | undefined;
    return r?.ref;
  }

  /** The message a row carries (what was, or will be, sent). */
  message(seq: number): NotificationMessage | undefined {
    const r = this.db.prepare('SELECT message FROM notify_outbox WHERE seq = ?').get(seq) as
      { message: string } | undefined;
    return r ? (JSON.parse(r.message) as NotificationMessage) : undefined;
  }
}

function entry(r: Row): OutboxEntry {
  return {
    seq: r.seq,
    incidentId: r.incident_id,
    version: r.version,
    channel: r.channel,
    change: r.change,
    severity: r.severity,
    title: r.title,
    state: r.state,
    attempts: r.attempts,
    nextAt: r.next_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.detail !== null ? { detail: r.detail } : {}),
  };
}
