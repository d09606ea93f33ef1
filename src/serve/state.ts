/**
 * The self-hosted service's state in one embedded SQLite file: detections, incidents, actions, settings, and the
 * resume point that says how far the inputs were read together with the engine's and the correlator's state at
 * that point.
 *
 * A poll's detections and incidents are stored at once; the resume point is written with them when it is due
 * (every poll by default, every ten seconds in the service: it holds every live window and is tens of MB on a
 * busy site). A process killed at any moment restarts from the last resume point: the lines after it are read
 * again from the state of that point, produce the same detections (ids are deterministic), and
 * `INSERT OR IGNORE` keeps each once. Nothing is lost and nothing is raised twice.
 */
import Database from 'better-sqlite3';
import type { Detection } from '../core/detection';
import type { Incident, IncidentStatus } from '../core/incident';
import { RAN_STATES, type ActionLog, type ActionRecord, type RecordState } from '../respond/responder';
import { timelineEntryOf } from '../correlate';
import { joinResume, writeResume } from './resume-parts';

const SCHEMA_VERSION = 1;

/** What a restart needs: the input checkpoint and the engine's and correlator's state, from one commit. */
export interface Resume {
  readonly inputs: unknown;
  readonly engine: unknown;
  readonly correlator: unknown;
}

export interface Commit {
  /** The new resume point, when this commit writes one (see Pipeline's resumeEveryMs). */
  readonly resume?: Resume;
  /** Detections new in this poll (already stored ones are ignored by id). */
  readonly detections: readonly { readonly detection: Detection; readonly incidentId: string }[];
  /** Incidents that changed in this poll, as they are now. */
  readonly incidents: readonly Incident[];
  /** Incidents merged into another one, with the one they live on in: their rows go and their detections
   *  move to the survivor. */
  readonly mergedAway: readonly (readonly [gone: string, into: string])[];
}

export class ServeState {
  private readonly db: Database.Database;
  private readonly insertDetection: Database.Statement;
  private readonly upsertIncident: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly deleteIncident: Database.Statement;
  private readonly insertPart: Database.Statement;
  private readonly clearParts: Database.Statement;
  private readonly incidentDetections: Database.Statement;
  private readonly moveDetections: Database.Statement;
  private readonly deleteMeta: Database.Statement;
  private readonly commitTx: (c: Commit) => void;

  constructor(file: string) {
    this.db = new Database(file);
    // WAL: readers (the console) never block the writer; a killed process loses at most the transaction it was in.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS detections (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL,
        at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS detections_incident ON detections(incident_id);
      CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, severity TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
        title TEXT NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS incident_status (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, note TEXT NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS incident_status_history (
        id TEXT NOT NULL, status TEXT NOT NULL, note TEXT NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS actions (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS actions_incident ON actions(incident_id);
      -- When actions ran (automatically or by approval), for the hourly cap; an undo does not free a slot.
      CREATE TABLE IF NOT EXISTS action_runs (action_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS action_runs_at ON action_runs(at);
      -- The resume point's large arrays, cut into rows (resume-parts.ts); meta 'resume-skeleton' holds the rest.
      CREATE TABLE IF NOT EXISTS resume_parts (name TEXT PRIMARY KEY, json TEXT NOT NULL);
    `);
    const version = this.meta('schema');
    if (version !== undefined && version !== String(SCHEMA_VERSION)) {
      throw new Error(`${file}: state schema ${version}, this Bulkhead reads ${SCHEMA_VERSION}`);
    }
    this.setMeta = this.db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.setMeta.run('schema', String(SCHEMA_VERSION));
    this.insertDetection = this.db.prepare(
      'INSERT OR IGNORE INTO detections (id, incident_id, rule_id, severity, at, json) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.upsertIncident = this.db.prepare(
      `INSERT INTO incidents (id, severity, first_at, last_at, title, json) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, first_at = excluded.first_at,
         last_at = excluded.last_at, title = excluded.title, json = excluded.json`,
    );
    this.deleteIncident = this.db.prepare('DELETE FROM incidents WHERE id = ?');
    this.incidentDetections = this.db.prepare(
      'SELECT json FROM detections WHERE incident_id = ? ORDER BY at, id',
    );
    this.moveDetections = this.db.prepare('UPDATE detections SET incident_id = ? WHERE incident_id = ?');
    this.insertPart = this.db.prepare('INSERT INTO resume_parts (name, json) VALUES (?, ?)');
    this.clearParts = this.db.prepare('DELETE FROM resume_parts');
    this.deleteMeta = this.db.prepare('DELETE FROM meta WHERE key = ?');
    this.commitTx = this.db.transaction((c: Commit) => {
      for (const { detection: d, incidentId } of c.detections)
        this.insertDetection.run(d.id, incidentId, d.rule.id, d.severity, d['@timestamp'], JSON.stringify(d));
      for (const i of c.incidents)
        this.upsertIncident.run(
          i.id,
          i.severity,
          i.firstTimestamp,
          i.lastTimestamp,
          i.title,
          JSON.stringify(i),
        );
      for (const [gone, into] of c.mergedAway) {
        this.deleteIncident.run(gone);
        if (gone !== into) this.moveDetections.run(into, gone);
      }
      if (c.resume) {
        this.clearParts.run();
        // Each part goes to SQLite as it is made: the point is never held whole (resume-parts.ts).
        const skeleton = writeResume(c.resume, (name, json) => this.insertPart.run(name, json));
        this.setMeta.run('resume-skeleton', skeleton);
        // A file written before the split kept the whole point here; it is superseded now.
        this.deleteMeta.run('resume');
      }
    });
  }

  /** The open database, for the stores that keep their own tables in the same file (notifications, auth). */
  get database(): Database.Database {
    return this.db;
  }

  /** The action log of the response core, in this file. */
  actionLog(): SqliteActionLog {
    return new SqliteActionLog(this.db);
  }

  /** An incident as stored, with the status a person gave it. */
  incident(id: string): Incident | undefined {
    const row = this.db.prepare('SELECT json FROM incidents WHERE id = ?').get(id) as
      { json: string } | undefined;
    return row ? this.withStatus(this.whole(JSON.parse(row.json) as Incident)) : undefined;
  }

  /** Acknowledge or resolve an incident (or reopen it); the note and who did it are kept. */
  setStatus(id: string, status: IncidentStatus, note: string, by: string, at: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO incident_status (id, status, note, by, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET status = excluded.status, note = excluded.note, by = excluded.by, at = excluded.at`,
        )
        .run(id, status, note, by, at);
      this.db
        .prepare('INSERT INTO incident_status_history (id, status, note, by, at) VALUES (?, ?, ?, ?, ?)')
        .run(id, status, note, by, at);
    })();
  }

  statusOf(id: string): { status: IncidentStatus; note: string; by: string; at: number } | undefined {
    return this.db.prepare('SELECT status, note, by, at FROM incident_status WHERE id = ?').get(id) as
      { status: IncidentStatus; note: string; by: string; at: number } | undefined;
  }

  /** A setting a person changed in the console (JSON), or undefined when never set. */
  setting<T>(key: string): T | undefined {
    const v = this.meta(`setting:${key}`);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  saveSetting(key: string, value: unknown): void {
    this.setMeta.run(`setting:${key}`, JSON.stringify(value));
  }

  /** Status changes are kept as history too, oldest first. */
  statusHistory(id: string): { status: IncidentStatus; note: string; by: string; at: number }[] {
    return this.db
      .prepare('SELECT status, note, by, at FROM incident_status_history WHERE id = ? ORDER BY at, rowid')
      .all(id) as { status: IncidentStatus; note: string; by: string; at: number }[];
  }

  /** The state of the last commit, or undefined on a new file. */
  resume(): Resume | undefined {
    const skeleton = this.meta('resume-skeleton');
    if (skeleton !== undefined) {
      const part = this.db.prepare('SELECT json FROM resume_parts WHERE name = ?');
      return joinResume(skeleton, (name) => (part.get(name) as { json: string } | undefined)?.json) as Resume;
    }
    // Written whole, before the split.
    const v = this.meta('resume');
    return v === undefined ? undefined : (JSON.parse(v) as Resume);
  }

  /** Size of the stored resume point in characters, and the rows it takes (for the benchmark). */
  resumeSize(): { chars: number; rows: number } {
    const p = this.db.prepare('SELECT COALESCE(SUM(length(json)), 0) AS chars, COUNT(*) AS rows FROM resume_parts').get() as
      { chars: number; rows: number };
    const skeleton = this.meta('resume-skeleton') ?? this.meta('resume') ?? '';
    return { chars: p.chars + skeleton.length, rows: p.rows + (skeleton ? 1 : 0) };
  }

  commit(c: Commit): void {
    this.commitTx(c);
  }

  detectionIds(): string[] {
    return (this.db.prepare('SELECT id FROM detections ORDER BY at, id').all() as { id: string }[]).map(
      (r) => r.id,
    );
  }

  incidents(): Incident[] {
    return (
      this.db.prepare('SELECT json FROM incidents ORDER BY first_at, id').all() as { json: string }[]
    ).map((r) => this.withStatus(this.whole(JSON.parse(r.json) as Incident)));
  }

  /** The incident with all its detections and its timeline, from the detections table: the pipeline's
   *  correlator keeps only what an incident's title needs (its `detections: 'summary'` option), and an
   *  incident's row is written from that. */
  private whole(i: Incident): Incident {
    const rows = this.incidentDetections.all(i.id) as { json: string }[];
    if (rows.length === 0) return i;
    const detections = rows.map((r) => JSON.parse(r.json) as Detection);
    return { ...i, detections, timeline: detections.map(timelineEntryOf) };
  }

  private withStatus(i: Incident): Incident {
    const s = this.statusOf(i.id);
    return s ? { ...i, status: s.status } : i;
  }

  close(): void {
    this.db.close();
  }

  private meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value;
  }
}

/** The response core's action log in the service's SQLite file: records survive restarts, so a restarted
 *  service neither repeats an action nor forgets that it is waiting for approval. */
export class SqliteActionLog implements ActionLog {
  private readonly getStmt: Database.Statement;
  private readonly putTx: (r: ActionRecord) => void;
  private readonly countStmt: Database.Statement;
  private readonly byIncidentStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare('SELECT json FROM actions WHERE id = ?');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM action_runs WHERE at >= ?');
    this.byIncidentStmt = db.prepare('SELECT json FROM actions WHERE incident_id = ? ORDER BY rowid');
    const upsert = db.prepare(
      `INSERT INTO actions (id, incident_id, state, at, json) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, at = excluded.at, json = excluded.json`,
    );
    const ran = db.prepare('INSERT OR IGNORE INTO action_runs (action_id, at) VALUES (?, ?)');
    const ranState = (s: RecordState) => RAN_STATES.has(s);
    this.putTx = db.transaction((r: ActionRecord) => {
      upsert.run(r.id, r.incidentId, r.state, r.at, JSON.stringify(r));
      if (ranState(r.state)) ran.run(r.id, r.at);
    });
  }

  get(id: string): Promise<ActionRecord | undefined> {
    const row = this.getStmt.get(id) as { json: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.json) as ActionRecord) : undefined);
  }

  put(record: ActionRecord): Promise<void> {
    this.putTx(record);
    return Promise.resolve();
  }

  countRunSince(since: number): Promise<number> {
    return Promise.resolve((this.countStmt.get(since) as { n: number }).n);
  }

  /** Every record of one incident, in the order first decided. */
  forIncident(incidentId: string): ActionRecord[] {
    return (this.byIncidentStmt.all(incidentId) as { json: string }[]).map(
      (r) => JSON.parse(r.json) as ActionRecord,
    );
  }

  all(): ActionRecord[] {
    return (this.db.prepare('SELECT json FROM actions ORDER BY rowid').all() as { json: string }[]).map(
      (r) => JSON.parse(r.json) as ActionRecord,
    );
  }
}
